// Block-sparse reductions for gpu-ptxas.test: ranges shared by the batch
// elements (none here) and one tuple per batch element; each gets the 1-D
// scheme's kernel and the 2-D scheme's two.
func.func @ranged(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x2xf32>, %oi: tensor<?x2xi64>,
                  %a: tensor<?x2xi64>, %b: tensor<?xi64>, %c: tensor<?x2xi64>) -> tensor<?x2xf32> {
  %r:2 = keops.reduce kmin_argkmin k = 2 over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x2xf32>, %oi : tensor<?x2xi64>)
      ranges(%a, %b, %c, %a, %b, %c : tensor<?x2xi64>, tensor<?xi64>, tensor<?x2xi64>, tensor<?x2xi64>, tensor<?xi64>, tensor<?x2xi64>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x2xf32>, tensor<?x2xi64>
  return %r#0 : tensor<?x2xf32>
}

func.func @per_element(%x: tensor<?x?x3xf64>, %y: tensor<?x?x3xf64>, %o: tensor<?x?x1xf64>,
                       %a: tensor<?x?x2xi64>, %b: tensor<?x?xi64>, %c: tensor<?x?x2xi64>) -> tensor<?x?x1xf64> {
  %r = keops.reduce logsumexp over i ins(%x : i tensor<?x?x3xf64>, %y : j tensor<?x?x3xf64>) outs(%o : tensor<?x?x1xf64>)
      ranges(%a, %b, %c, %a, %b, %c : tensor<?x?x2xi64>, tensor<?x?xi64>, tensor<?x?x2xi64>, tensor<?x?x2xi64>, tensor<?x?xi64>, tensor<?x?x2xi64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %e = arith.negf %d : vector<1xf64>
    keops.yield %e : vector<1xf64>
  } -> tensor<?x?x1xf64>
  return %r : tensor<?x?x1xf64>
}
