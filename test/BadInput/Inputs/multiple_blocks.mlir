func.func @f(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    cf.br ^bb1
  ^bb1:
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}
