func.func @f(%x: tensor<10x3xf32>, %y: tensor<?x3xf32>, %o: tensor<12x3xf32>) -> tensor<12x3xf32> {
  %r = keops.reduce min over j ins(%x : i tensor<10x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<12x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<12x3xf32>
  return %r : tensor<12x3xf32>
}
