func.func @f(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = "keops.reduce"(%x, %o) <{axis = #keops<axis j>, categories = [#keops<category j>], kind = #keops<kind nope>, operandSegmentSizes = array<i32: 1, 1, 0, 0>}> ({
  ^bb0(%a: vector<3xf32>):
    "keops.yield"(%a) : (vector<3xf32>) -> ()
  }) : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}
