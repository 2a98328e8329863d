// RUN: keops-opt %s -keops-expand-grad -split-input-file -verify-diagnostics

// A derivative rule that does not cover the form of an op: the error names
// the op.
func.func @reduction_mul_acc(%x: tensor<?x3xf32>, %y: tensor<?x1xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x1xf32>)
      outs(%o : tensor<?x3xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<1xf32>):
    %a = vector.extract %yj[0] : f32 from vector<1xf32>
    // expected-note @below {{the op is here}}
    %s = vector.reduction <mul>, %xi, %a : vector<3xf32> into f32
    %f = vector.broadcast %s : f32 to vector<1xf32>
    // expected-error @below {{cannot differentiate through 'vector.reduction': its derivative rule does not cover this form of the op}}
    %g = keops.grad %f wrt %xi, %yj : vector<1xf32>, vector<3xf32>
    keops.yield %g : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// keops.diff differentiates with respect to a variable of the reduction.
func.func @diff_of_a_formula(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j
      ins(%x : j tensor<?x3xf32>)
      outs(%o : tensor<?x3xf32>) {
  ^bb0(%xj: vector<3xf32>):
    %s = math.sin %xj : vector<3xf32>
    // expected-error @below {{'keops.diff' op differentiates with respect to a value that is not a variable: the second operand must be a block argument of the enclosing keops.reduce}}
    %g = keops.diff %s wrt %s, %xj : vector<3xf32>, vector<3xf32>
    keops.yield %g : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}
