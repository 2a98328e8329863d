// RUN: keops-opt %s -split-input-file -verify-diagnostics -keops-outline-kernels=gpu=true -convert-keops-to-gpu
// RUN: not keops-opt %s -split-input-file -convert-keops-to-gpu="block-size=2048" 2>&1 | FileCheck %s --check-prefix=BLOCK
// RUN: not keops-opt %s -split-input-file -convert-keops-to-gpu="accumulation=pairwise" 2>&1 | FileCheck %s --check-prefix=ACC

// BLOCK: error: block-size 2048 is not in [1, 1024]
// ACC: error: unknown accumulation 'pairwise'; expected plain, block, kahan or f64

// Formula ops must be expanded first.
func.func @unexpanded(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>)
      outs(%o : tensor<?x1xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>):
    // expected-error @+1 {{cannot be lowered to GPU code; expand keops formula ops}}
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// K-lists are unrolled in a GPU thread's registers: K is bounded.
func.func @large_k(%x: tensor<?x2xf32>, %y: tensor<?x2xf32>, %o: tensor<?x10000xi32>) -> tensor<?x10000xi32> {
  // expected-error @+1 {{keeps K x D = 5000 x 2 values and indices per output row (80000 bytes) in a GPU thread's memory; more than 65536 bytes is not supported there (the CPU backend keeps lists of any size)}}
  %r = keops.reduce argkmin k = 5000 over j
      ins(%x : i tensor<?x2xf32>, %y : j tensor<?x2xf32>)
      outs(%o : tensor<?x10000xi32>) {
  ^bb0(%xi: vector<2xf32>, %yj: vector<2xf32>):
    %d = arith.subf %xi, %yj : vector<2xf32>
    keops.yield %d : vector<2xf32>
  } -> tensor<?x10000xi32>
  return %r : tensor<?x10000xi32>
}

// -----

// States merged outside a kernel: the GPU lowering says where they belong.
func.func @merge(%m: memref<?x1xf32>, %s: memref<?x1xf32>) {
  // expected-error @+1 {{'keops.merge_states' op is not in the body of a gpu.func kernel (run -keops-outline-kernels="gpu=true partial-states=true" first)}}
  keops.merge_states logsumexp ins(%m, %s : memref<?x1xf32>, memref<?x1xf32>)
      and(%m, %s : memref<?x1xf32>, memref<?x1xf32>)
      outs(%m, %s : memref<?x1xf32>, memref<?x1xf32>)
  return
}
