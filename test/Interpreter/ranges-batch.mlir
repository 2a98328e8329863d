// DEFINE: %{args} = --array 0="1;2;3;4" --array 1="1;10;100;1000;10000|2;20;200;2000;20000" --array 2="0,2;3,4|0,4;0,0" --array 3="2,3;1,1" --array 4="3,5;0,1;1,3|0,2;0,0;0,0" --array 5="0,5|0,5" --array 6="1;1" --array 7="0,4|0,4"
// RUN: keops-run %s %{args} | FileCheck %s
// RUN: keops-run %s --backend=cpu %{args} | FileCheck %s
// RUN: not keops-run %s --array 0="1;2;3;4" --array 1="1;10;100;1000;10000|2;20;200;2000;20000" --array 2="0,2;3,4|0,4;0,5" --array 3="2,3;1,1" --array 4="3,5;0,1;1,3|0,2;0,0;0,0" --array 5="0,5|0,5" --array 6="1;1" --array 7="0,4|0,4" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not keops-run %s --backend=cpu --array 0="1;2;3;4" --array 1="1;10;100;1000;10000|2;20;200;2000;20000" --array 2="0,2;3,4|0,4;0,5" --array 3="2,3;1,1" --array 4="3,5;0,1;1,3|0,2;0,0;0,0" --array 5="0,5|0,5" --array 6="1;1" --array 7="0,4|0,4" 2>&1 | FileCheck %s --check-prefix=BAD

// One ranges tuple per batch element (the batch axis in front of each
// array; element 1's arrays padded with an empty block and unread
// intervals). x = (1, 2, 3, 4) shared, y[0] = (1, 10, 100, 1000, 10000),
// y[1] = 2 y[0]; F = x_i y_j summed over j.
// Element 0: block [0, 2) reads j in [3, 5) and [0, 1), block [3, 4) reads
// [1, 3), row 2 nothing: 11001, 22002, 0, 440.
// Element 1: block [0, 4) reads [0, 2): x_i * 22.
// CHECK: output 0: shape (2, 4, 1)
// CHECK-NEXT: 11001
// CHECK-NEXT: 22002
// CHECK-NEXT: 0
// CHECK-NEXT: 440
// CHECK-NEXT: 22
// CHECK-NEXT: 44
// CHECK-NEXT: 66
// CHECK-NEXT: 88
// An error names the batch element (its block [0, 5) has 5 > M rows).
// BAD: batch element 1: ranges_i[1] = [0, 5) is not a range of rows within [0, M = 4]
func.func @sums(%x: tensor<1x?x1xf64>, %y: tensor<?x?x1xf64>,
                %ri: tensor<?x?x2xi64>, %si: tensor<?x?xi64>, %rj: tensor<?x?x2xi64>,
                %rj2: tensor<?x?x2xi64>, %sj: tensor<?x?xi64>, %ri2: tensor<?x?x2xi64>)
    -> tensor<?x?x1xf64> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %nb = tensor.dim %y, %c0 : tensor<?x?x1xf64>
  %m = tensor.dim %x, %c1 : tensor<1x?x1xf64>
  %o = tensor.empty(%nb, %m) : tensor<?x?x1xf64>
  %r = keops.reduce sum over j ins(%x : i tensor<1x?x1xf64>, %y : j tensor<?x?x1xf64>) outs(%o : tensor<?x?x1xf64>)
      ranges(%ri, %si, %rj, %rj2, %sj, %ri2 : tensor<?x?x2xi64>, tensor<?x?xi64>, tensor<?x?x2xi64>, tensor<?x?x2xi64>, tensor<?x?xi64>, tensor<?x?x2xi64>) {
  ^bb0(%a: vector<1xf64>, %b: vector<1xf64>):
    %f = arith.mulf %a, %b : vector<1xf64>
    keops.yield %f : vector<1xf64>
  } -> tensor<?x?x1xf64>
  return %r : tensor<?x?x1xf64>
}
