// RUN: keops-opt %s -verify-diagnostics -convert-keops-to-gpu

// Reductions must be in a gpu.func kernel, in memref form.
func.func @host(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  // expected-error @+1 {{is not a memref-form reduction in the body of a gpu.func kernel (run -keops-outline-kernels=gpu=true first)}}
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>)
      outs(%o : tensor<?x1xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>):
    %d = arith.subf %xi, %yj : vector<3xf32>
    %s = vector.reduction <add>, %d : vector<3xf32> into f32
    %v = vector.broadcast %s : f32 to vector<1xf32>
    keops.yield %v : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}
