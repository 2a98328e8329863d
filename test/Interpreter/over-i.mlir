// RUN: keops-run %s --array 0="1;5;5;-2" --array 1="1;-1;0" | FileCheck %s
// A reduction over i keeps one row per j: max_i x_i * y_j and its argmax.
//   y = 1: 1, 5, 5, -2 -> 5 at i = 1 (tie with i = 2: smaller index)
//   y = -1: -1, -5, -5, 2 -> 2 at i = 3
//   y = 0: 0, 0, 0, -0 -> 0 at i = 0

// CHECK: output 0: shape (3, 1)
// CHECK-NEXT: 5
// CHECK-NEXT: 2
// CHECK-NEXT: 0
// CHECK: output 1: shape (3, 1) indices
// CHECK-NEXT: 1
// CHECK-NEXT: 3
// CHECK-NEXT: 0
func.func @maxi(%x: tensor<?x1xf64>, %y: tensor<?x1xf64>, %v: tensor<?x1xf64>,
                %i: tensor<?x1xi64>) -> (tensor<?x1xf64>, tensor<?x1xi64>) {
  %r:2 = keops.reduce max_argmax over i
      ins(%x : i tensor<?x1xf64>, %y : j tensor<?x1xf64>)
      outs(%v : tensor<?x1xf64>, %i : tensor<?x1xi64>) {
  ^bb0(%xi: vector<1xf64>, %yj: vector<1xf64>):
    %p = arith.mulf %xi, %yj : vector<1xf64>
    keops.yield %p : vector<1xf64>
  } -> tensor<?x1xf64>, tensor<?x1xi64>
  return %r#0, %r#1 : tensor<?x1xf64>, tensor<?x1xi64>
}
