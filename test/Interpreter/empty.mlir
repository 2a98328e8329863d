// RUN: keops-run %s -M 2 -N 0 | FileCheck %s
// Reductions over no column at all: sum 0, min +inf with index -1.

// CHECK: output 0: shape (2, 3)
// CHECK-NEXT: 0 0 0
// CHECK-NEXT: 0 0 0
// CHECK: output 1: shape (2, 1)
// CHECK-NEXT: inf
// CHECK: output 2: shape (2, 1) indices
// CHECK-NEXT: -1
// CHECK-NEXT: -1
func.func @empty(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %s: tensor<?x3xf32>,
                 %m: tensor<?x1xf32>, %a: tensor<?x1xi64>)
    -> (tensor<?x3xf32>, tensor<?x1xf32>, tensor<?x1xi64>) {
  %sum = keops.reduce sum over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>)
      outs(%s : tensor<?x3xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>):
    %p = arith.mulf %xi, %yj : vector<3xf32>
    keops.yield %p : vector<3xf32>
  } -> tensor<?x3xf32>
  %min:2 = keops.reduce min_argmin over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>)
      outs(%m : tensor<?x1xf32>, %a : tensor<?x1xi64>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>, tensor<?x1xi64>
  return %sum, %min#0, %min#1 : tensor<?x3xf32>, tensor<?x1xf32>, tensor<?x1xi64>
}
