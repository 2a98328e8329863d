// The formula has dimension 3 but the output rows have 4 entries.
func.func @f(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x4xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %d = arith.subf %a, %b : vector<3xf32>
    keops.yield %d : vector<3xf32>
  } -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}
