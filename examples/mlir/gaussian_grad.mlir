// Gradients of a Gaussian kernel sum with respect to x, y, b and the
// bandwidth s: `keops-opt -keops-differentiate` shows the gradient
// reductions; `keops-run` evaluates them.
func.func @gauss(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x1xf32>, %s: tensor<1xf32>, %o: tensor<?x1xf32>, %e: tensor<?x1xf32>)
    -> (tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x1xf32>, tensor<1xf32>) {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : j tensor<?x1xf32>, %s : p tensor<1xf32>)
      outs(%o : tensor<?x1xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<1xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %k = math.exp %n : vector<1xf32>
    %f = arith.mulf %k, %bj : vector<1xf32>
    keops.yield %f : vector<1xf32>
  } -> tensor<?x1xf32>
  %gx, %gy, %gb, %gs = keops.reduce_grad %r wrt [0, 1, 2, 3], %e : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x1xf32>, tensor<1xf32>
  return %gx, %gy, %gb, %gs : tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x1xf32>, tensor<1xf32>
}
