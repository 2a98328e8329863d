// keops.one_hot of a constant with dim = 2^32: folding it used to abort
// keops-opt -canonicalize ("SmallVector unable to grow").
func.func @f(%x: tensor<?x1xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : j tensor<?x1xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<1xf32>):
    %c = arith.constant dense<2.0> : vector<1xf32>
    %h = keops.one_hot %c, 4294967296 : vector<1xf32>
    %s = keops.sum %h : vector<4294967296xf32>
    keops.yield %s : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}
