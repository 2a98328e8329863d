// RUN: keops-run %s --input 0=%S/Inputs/batch-x.npy --input 1=%S/Inputs/batch-y.npy --input 2=%S/Inputs/batch-p.npy | FileCheck %s
// RUN: keops-run %s --backend=cpu --input 0=%S/Inputs/batch-x.npy --input 1=%S/Inputs/batch-y.npy --input 2=%S/Inputs/batch-p.npy | FileCheck %s
// Two batch elements, x shared by both (static 1), y and the parameter per
// element: out[b, i] = sum_j p_b * x_i * y[b, j].
//   x = (1, 2); y[0] = (1, 2, 3), p[0] = 1 -> 6, 12
//               y[1] = (-1, 4, 0), p[1] = 10 -> 30, 60

// CHECK: output 0: shape (2, 2, 1)
// CHECK-NEXT: 6
// CHECK-NEXT: 12
// CHECK-NEXT: 30
// CHECK-NEXT: 60
func.func @batch(%x: tensor<1x?x1xf32>, %y: tensor<?x?x1xf32>, %p: tensor<?x1xf32>) -> tensor<?x?x1xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = tensor.dim %y, %c0 : tensor<?x?x1xf32>
  %m = tensor.dim %x, %c1 : tensor<1x?x1xf32>
  %init = tensor.empty(%b, %m) : tensor<?x?x1xf32>
  %r = keops.reduce sum over j
      ins(%x : i tensor<1x?x1xf32>, %y : j tensor<?x?x1xf32>, %p : p tensor<?x1xf32>)
      outs(%init : tensor<?x?x1xf32>) {
  ^bb0(%xi: vector<1xf32>, %yj: vector<1xf32>, %pp: vector<1xf32>):
    %t = arith.mulf %xi, %yj : vector<1xf32>
    %u = arith.mulf %t, %pp : vector<1xf32>
    keops.yield %u : vector<1xf32>
  } -> tensor<?x?x1xf32>
  return %r : tensor<?x?x1xf32>
}
