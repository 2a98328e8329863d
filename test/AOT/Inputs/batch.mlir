// out[b, i] = sum_j x_i * y[b, j]: x shared by the batch elements (a static
// 1 on the batch axis), y per element.
func.func @bsum(%x: tensor<1x?x1xf64>, %y: tensor<?x?x1xf64>, %o: tensor<?x?x1xf64>) -> tensor<?x?x1xf64> {
  %r = keops.reduce sum over j ins(%x : i tensor<1x?x1xf64>, %y : j tensor<?x?x1xf64>) outs(%o : tensor<?x?x1xf64>) {
  ^bb0(%a: vector<1xf64>, %b: vector<1xf64>):
    %p = arith.mulf %a, %b : vector<1xf64>
    keops.yield %p : vector<1xf64>
  } -> tensor<?x?x1xf64>
  return %r : tensor<?x?x1xf64>
}
