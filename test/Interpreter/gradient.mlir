// RUN: keops-run %s --array 0="1;2" --array 1="3;4;5" --array 3="10;100" | FileCheck %s

// keops-run differentiates (keops-differentiate, keops-expand-grad) before
// interpreting. out_i = sum_j x_i y_j with cotangent e:
//   d/dx_i = e_i sum_j y_j = (120, 1200),  d/dy_j = sum_i e_i x_i = 210.
// CHECK: output 0: shape (2, 1)
// CHECK-NEXT: 120
// CHECK-NEXT: 1200
// CHECK: output 1: shape (3, 1)
// CHECK-NEXT: 210
// CHECK-NEXT: 210
// CHECK-NEXT: 210
func.func @grad(%x: tensor<?x1xf64>, %y: tensor<?x1xf64>, %o: tensor<?x1xf64>, %e: tensor<?x1xf64>) -> (tensor<?x1xf64>, tensor<?x1xf64>) {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x1xf64>, %y : j tensor<?x1xf64>)
      outs(%o : tensor<?x1xf64>) {
  ^bb0(%xi: vector<1xf64>, %yj: vector<1xf64>):
    %p = arith.mulf %xi, %yj : vector<1xf64>
    keops.yield %p : vector<1xf64>
  } -> tensor<?x1xf64>
  %gx, %gy = keops.reduce_grad %r wrt [0, 1], %e : tensor<?x1xf64>, tensor<?x1xf64> -> tensor<?x1xf64>, tensor<?x1xf64>
  return %gx, %gy : tensor<?x1xf64>, tensor<?x1xf64>
}
