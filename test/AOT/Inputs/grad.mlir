// Parses, but keops.reduce_grad names an input the reduction does not have:
// the error is located in the source.
func.func @grad(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %init: tensor<?x1xf32>, %e: tensor<?x1xf32>) -> tensor<?x3xf32> {
  %out = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%init : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %d = keops.sqdist %a, %b : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>
  %g = keops.reduce_grad %out wrt [5], %e : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x3xf32>
  return %g : tensor<?x3xf32>
}
