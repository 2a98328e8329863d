func.func @f(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce kmin k = 123456789012345678901234567890 over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}
