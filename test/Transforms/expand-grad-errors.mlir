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
