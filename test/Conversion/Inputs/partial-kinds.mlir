// Reductions whose partial-state kernels gpu-ptxas-partial.test compiles:
// a sum, K-lists in registers and in memory, a weighted logsumexp, a f64
// softmax over i.
func.func @gauss(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %o: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : j tensor<?x2xf32>) outs(%o : tensor<?x2xf32>) {
  ^bb0(%a: vector<3xf32>, %c: vector<3xf32>, %w: vector<2xf32>):
    %d = keops.sqdist %a, %c : vector<3xf32>
    %n = arith.negf %d : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %s = vector.broadcast %e : vector<1xf32> to vector<2xf32>
    %p = arith.mulf %s, %w : vector<2xf32>
    keops.yield %p : vector<2xf32>
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}
func.func @knn(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x4xi32>, %o2: tensor<?x40xi64>) -> (tensor<?x4xi32>, tensor<?x40xi64>) {
  %r = keops.reduce argkmin k = 4 over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x4xi32>) {
  ^bb0(%a: vector<3xf32>, %c: vector<3xf32>):
    %d = keops.sqdist %a, %c : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x4xi32>
  %s = keops.reduce argkmin k = 40 over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o2 : tensor<?x40xi64>) {
  ^bb0(%a: vector<3xf32>, %c: vector<3xf32>):
    %d = keops.sqdist %a, %c : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x40xi64>
  return %r, %s : tensor<?x4xi32>, tensor<?x40xi64>
}
func.func @lse(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %o: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %r = keops.reduce logsumexp over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : j tensor<?x2xf32>) outs(%o : tensor<?x2xf32>) {
  ^bb0(%a: vector<3xf32>, %c: vector<3xf32>, %w: vector<2xf32>):
    %d = keops.sqdist %a, %c : vector<3xf32>
    keops.yield %d, %w : vector<1xf32>, vector<2xf32>
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}
func.func @softmax(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %v: tensor<?x3xf64>, %o: tensor<?x3xf64>) -> tensor<?x3xf64> {
  %r = keops.reduce sumsoftmaxweight over i ins(%x : j tensor<?x3xf64>, %y : i tensor<?x3xf64>, %v : i tensor<?x3xf64>) outs(%o : tensor<?x3xf64>) {
  ^bb0(%a: vector<3xf64>, %c: vector<3xf64>, %w: vector<3xf64>):
    %d = keops.sqdist %a, %c : vector<3xf64>
    keops.yield %d, %w : vector<1xf64>, vector<3xf64>
  } -> tensor<?x3xf64>
  return %r : tensor<?x3xf64>
}
