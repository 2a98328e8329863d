// RUN: keops-run %s --entry grad --array 0="1;2;3;4" --array 1="1;10;100;1000;10000" --array 3="1;1;1;1" --array 4="0,2;3,4" --array 5="2,3" --array 6="3,5;0,1;1,3" --array 7="0,1;1,3;3,5" --array 8="1,2,3" --array 9="0,2;3,4;0,2" | FileCheck %s --check-prefix=GRAD
// RUN: keops-run %s --backend=cpu --entry grad --array 0="1;2;3;4" --array 1="1;10;100;1000;10000" --array 3="1;1;1;1" --array 4="0,2;3,4" --array 5="2,3" --array 6="3,5;0,1;1,3" --array 7="0,1;1,3;3,5" --array 8="1,2,3" --array 9="0,2;3,4;0,2" | FileCheck %s --check-prefix=GRAD
// RUN: keops-run %s --array 0="1;2;3;4" --array 1="1;10;100;1000;10000" --array 3="0,2;3,4" --array 4="2,3" --array 5="3,5;0,1;1,3" --array 6="0,5" --array 7="1" --array 8="0,1" | FileCheck %s
// RUN: keops-run %s --backend=cpu --array 0="1;2;3;4" --array 1="1;10;100;1000;10000" --array 3="0,2;3,4" --array 4="2,3" --array 5="3,5;0,1;1,3" --array 6="0,5" --array 7="1" --array 8="0,1" | FileCheck %s
// RUN: keops-run %s --entry mins --array 0="1;2;3;4" --array 1="1;10;100;1000;10000" --array 4="0,2;3,4" --array 5="2,3" --array 6="3,5;0,1;1,3" --array 7="0,5" --array 8="1" --array 9="0,1" | FileCheck %s --check-prefix=MIN
// RUN: keops-run %s --backend=cpu --entry mins --array 0="1;2;3;4" --array 1="1;10;100;1000;10000" --array 4="0,2;3,4" --array 5="2,3" --array 6="3,5;0,1;1,3" --array 7="0,5" --array 8="1" --array 9="0,1" | FileCheck %s --check-prefix=MIN
// RUN: not keops-run %s --array 0="1;2;3;4" --array 1="1;10;100;1000;10000" --array 3="0,2;1,4" --array 4="2,3" --array 5="3,5;0,1;1,3" --array 6="0,5" --array 7="1" --array 8="0,1" 2>&1 | FileCheck %s --check-prefix=OVERLAP
// RUN: not keops-run %s --backend=cpu --array 0="1;2;3;4" --array 1="1;10;100;1000;10000" --array 3="0,2;1,4" --array 4="2,3" --array 5="3,5;0,1;1,3" --array 6="0,5" --array 7="1" --array 8="0,1" 2>&1 | FileCheck %s --check-prefix=OVERLAP-CPU
// RUN: not keops-run %s --array 0="1;2;3;4" --array 1="1;10;100;1000;10000" --array 3="0,2;3,4" --array 4="2,3" --array 5="3,5;0,4;1,3" --array 6="0,5" --array 7="1" --array 8="0,1" 2>&1 | FileCheck %s --check-prefix=PAIRS
// RUN: not keops-run %s --array 0="1;2;3;4" --array 1="1;10;100;1000;10000" --array 3="0,2;3,4" --array 4="2,3" --array 5="3,6;0,1;1,3" --array 6="0,5" --array 7="1" --array 8="0,1" 2>&1 | FileCheck %s --check-prefix=BOUNDS
// RUN: not keops-run %s --array 0="1;2;3;4" --array 1="1;10;100;1000;10000" --array 3="0,2;3,4" --array 4="2,4" --array 5="3,5;0,1;1,3" --array 6="0,5" --array 7="1" --array 8="0,1" 2>&1 | FileCheck %s --check-prefix=COUNTS

// Block-sparse reductions: x = (1, 2, 3, 4) (i), y = (1, 10, 100, 1000,
// 10000) (j), F = x_i y_j. Over j, block 0 (rows 0, 1) reads the intervals
// [3, 5) and [0, 1) of j, block 1 (row 3) the interval [1, 3); row 2 is in
// no block: the empty reduction.
//   row 0: 1 * (1000 + 10000 + 1) = 11001     row 1: 22002
//   row 2: 0                                  row 3: 4 * (10 + 100) = 440
// Over i, one block of every column reads the interval [0, 1) of i: y_j.
// CHECK: output 0: shape (4, 1)
// CHECK-NEXT: 11001
// CHECK-NEXT: 22002
// CHECK-NEXT: 0
// CHECK-NEXT: 440
// CHECK: output 1: shape (5, 1)
// CHECK-NEXT: 1
// CHECK-NEXT: 10
// CHECK-NEXT: 100
// CHECK-NEXT: 1000
// CHECK-NEXT: 10000
func.func @sums(%x: tensor<?x1xf64>, %y: tensor<?x1xf64>, %o: tensor<?x1xf64>,
                %ri: tensor<?x2xi64>, %si: tensor<?xi64>, %rj: tensor<?x2xi64>,
                %rj2: tensor<?x2xi64>, %sj: tensor<?xi64>, %ri2: tensor<?x2xi64>)
    -> (tensor<?x1xf64>, tensor<?x1xf64>) {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %y, %c0 : tensor<?x1xf64>
  %r = keops.reduce sum over j ins(%x : i tensor<?x1xf64>, %y : j tensor<?x1xf64>) outs(%o : tensor<?x1xf64>)
      ranges(%ri, %si, %rj, %rj2, %sj, %ri2 : tensor<?x2xi64>, tensor<?xi64>, tensor<?x2xi64>, tensor<?x2xi64>, tensor<?xi64>, tensor<?x2xi64>) {
  ^bb0(%a: vector<1xf64>, %b: vector<1xf64>):
    %f = arith.mulf %a, %b : vector<1xf64>
    keops.yield %f : vector<1xf64>
  } -> tensor<?x1xf64>
  %init = tensor.empty(%n) : tensor<?x1xf64>
  %t = keops.reduce sum over i ins(%x : i tensor<?x1xf64>, %y : j tensor<?x1xf64>) outs(%init : tensor<?x1xf64>)
      ranges(%ri, %si, %rj, %rj2, %sj, %ri2 : tensor<?x2xi64>, tensor<?xi64>, tensor<?x2xi64>, tensor<?x2xi64>, tensor<?xi64>, tensor<?x2xi64>) {
  ^bb0(%a: vector<1xf64>, %b: vector<1xf64>):
    %f = arith.mulf %a, %b : vector<1xf64>
    keops.yield %f : vector<1xf64>
  } -> tensor<?x1xf64>
  return %r, %t : tensor<?x1xf64>, tensor<?x1xf64>
}

// The minimum of the same pairs, with its index; row 2 reduces nothing:
// +inf and index -1.
// MIN: output 0: shape (4, 1)
// MIN-NEXT: 1
// MIN-NEXT: 2
// MIN-NEXT: inf
// MIN-NEXT: 40
// MIN: output 1: shape (4, 1)
// MIN-NEXT: 0
// MIN-NEXT: 0
// MIN-NEXT: -1
// MIN-NEXT: 1
func.func @mins(%x: tensor<?x1xf32>, %y: tensor<?x1xf32>, %v: tensor<?x1xf32>, %k: tensor<?x1xi64>,
                %ri: tensor<?x2xi32>, %si: tensor<?xi32>, %rj: tensor<?x2xi32>,
                %rj2: tensor<?x2xi32>, %sj: tensor<?xi32>, %ri2: tensor<?x2xi32>)
    -> (tensor<?x1xf32>, tensor<?x1xi64>) {
  %r:2 = keops.reduce min_argmin over j ins(%x : i tensor<?x1xf32>, %y : j tensor<?x1xf32>) outs(%v : tensor<?x1xf32>, %k : tensor<?x1xi64>)
      ranges(%ri, %si, %rj, %rj2, %sj, %ri2 : tensor<?x2xi32>, tensor<?xi32>, tensor<?x2xi32>, tensor<?x2xi32>, tensor<?xi32>, tensor<?x2xi32>) {
  ^bb0(%a: vector<1xf32>, %b: vector<1xf32>):
    %f = arith.mulf %a, %b : vector<1xf32>
    keops.yield %f : vector<1xf32>
  } -> tensor<?x1xf32>, tensor<?x1xi64>
  return %r#0, %r#1 : tensor<?x1xf32>, tensor<?x1xi64>
}

// OVERLAP-CPU: error: bad ranges: ranges_i[0] = [0, 2) and ranges_i[1] = [1, 4) overlap: each row may be in one block only
// OVERLAP: error: ranges_i[0] = [0, 2) and ranges_i[1] = [1, 4) overlap: each row may be in one block only
// PAIRS: error: redranges_j[1] = [0, 4) and redranges_j[0] = [3, 5) overlap, in block 0 of ranges_i: each pair may be reduced once only
// BOUNDS: error: redranges_j[0] = [3, 6) is not a range within [0, N = 5]
// COUNTS: error: slices_i[1] = 4 is not a count within [2, 3] (counts are cumulative, at most the number of intervals of redranges_j)

// Gradients of a block-sparse sum, with the second triple the transpose of
// the first (what cluster helpers build): d/dx_i = sum of the y_j of row
// i's intervals, d/dy_j = sum of the x_i of the rows whose intervals hold
// j (a reduction over i reading ranges_j, slices_j, redranges_i).
// GRAD: output 0: shape (4, 1)
// GRAD-NEXT: 11001
// GRAD-NEXT: 11001
// GRAD-NEXT: 0
// GRAD-NEXT: 110
// GRAD: output 1: shape (5, 1)
// GRAD-NEXT: 3
// GRAD-NEXT: 4
// GRAD-NEXT: 4
// GRAD-NEXT: 3
// GRAD-NEXT: 3
func.func @grad(%x: tensor<?x1xf64>, %y: tensor<?x1xf64>, %o: tensor<?x1xf64>, %e: tensor<?x1xf64>,
                %ri: tensor<?x2xi64>, %si: tensor<?xi64>, %rj: tensor<?x2xi64>,
                %rj2: tensor<?x2xi64>, %sj: tensor<?xi64>, %ri2: tensor<?x2xi64>)
    -> (tensor<?x1xf64>, tensor<?x1xf64>) {
  %r = keops.reduce sum over j ins(%x : i tensor<?x1xf64>, %y : j tensor<?x1xf64>) outs(%o : tensor<?x1xf64>)
      ranges(%ri, %si, %rj, %rj2, %sj, %ri2 : tensor<?x2xi64>, tensor<?xi64>, tensor<?x2xi64>, tensor<?x2xi64>, tensor<?xi64>, tensor<?x2xi64>) {
  ^bb0(%a: vector<1xf64>, %b: vector<1xf64>):
    %f = arith.mulf %a, %b : vector<1xf64>
    keops.yield %f : vector<1xf64>
  } -> tensor<?x1xf64>
  %g:2 = keops.reduce_grad %r wrt [0, 1], %e : tensor<?x1xf64>, tensor<?x1xf64> -> tensor<?x1xf64>, tensor<?x1xf64>
  return %g#0, %g#1 : tensor<?x1xf64>, tensor<?x1xf64>
}
