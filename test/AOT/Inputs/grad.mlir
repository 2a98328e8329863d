// Parses and verifies, but keops.grad has no CPU lowering yet: the error
// comes from the lowering, with the location of the op.
func.func @grad(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %init: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %out = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%init : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %d = keops.sqdist %a, %b : vector<3xf32>
    %e = arith.constant dense<1.0> : vector<1xf32>
    %g = keops.grad %d wrt %a, %e : vector<1xf32>, vector<3xf32>
    keops.yield %g : vector<3xf32>
  } -> tensor<?x3xf32>
  return %out : tensor<?x3xf32>
}
