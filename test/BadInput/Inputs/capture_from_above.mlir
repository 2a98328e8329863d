// The formula is isolated from above: it cannot use %c.
func.func @f(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %c = arith.constant dense<1.0> : vector<3xf32>
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    %s = arith.addf %a, %c : vector<3xf32>
    keops.yield %s : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}
