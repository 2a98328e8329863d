// RUN: keops-opt %s -split-input-file -convert-keops-to-scf -verify-diagnostics
// RUN: not keops-opt %s -split-input-file -convert-keops-to-scf="accumulation=pairwise" 2>&1 | FileCheck %s --check-prefix=ACC

// ACC: unknown accumulation 'pairwise'; expected plain, block, kahan or f64

// Options beyond their bounds (gigabytes of generated code for no speed).
// RUN: not keops-opt %s -split-input-file -convert-keops-to-scf="lanes=100000" 2>&1 | FileCheck %s --check-prefix=LANES
// RUN: not keops-opt %s -split-input-file -convert-keops-to-scf="blocks=17" 2>&1 | FileCheck %s --check-prefix=BLOCKS
// RUN: not keops-opt %s -split-input-file -convert-keops-to-scf="splits=5000" 2>&1 | FileCheck %s --check-prefix=SPLITS
// LANES: error: lanes 100000 is not in [0, 256]
// BLOCKS: error: blocks 17 is not in [0, 16]
// RUN: not keops-opt %s -split-input-file -convert-keops-to-scf="few-rows=-2" 2>&1 | FileCheck %s --check-prefix=FEW
// SPLITS: error: splits 5000 is not in [0, 1024]
// FEW: error: few-rows -2 is not in [-1, 1024]
// RUN: not keops-opt %s -split-input-file -convert-keops-to-scf="wide-above=70000" 2>&1 | FileCheck %s --check-prefix=WIDE
// WIDE: error: wide-above 70000 is not in [0, 65536]

func.func @tensor_form(%x: tensor<?x1xf32>, %y: tensor<?x1xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  // expected-error @+1 {{has tensor operands; the CPU lowering takes memref-form reductions (run -keops-outline-kernels first)}}
  %r = keops.reduce sum over j ins(%x : i tensor<?x1xf32>, %y : j tensor<?x1xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%xi: vector<1xf32>, %yj: vector<1xf32>):
    keops.yield %xi : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

func.func @unexpanded(%x: memref<?x3xf32>, %y: memref<?x3xf32>, %o: memref<?x1xf32>) {
  keops.reduce sum over j ins(%x : i memref<?x3xf32>, %y : j memref<?x3xf32>) outs(%o : memref<?x1xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>):
    // expected-error @+1 {{cannot be lowered to CPU loops; expand keops formula ops (-keops-expand-formulas) and keops.grad first}}
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    keops.yield %d : vector<1xf32>
  }
  return
}
