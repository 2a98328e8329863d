// RUN: keops-opt %s -keops-outline-kernels=gpu=true -keops-expand-formulas -convert-keops-to-gpu | FileCheck %s
// RUN: keops-opt %s -keops-gpu-pipeline -o /dev/null
// RUN: keops-opt %s -keops-gpu-pipeline=partial-states=true -o /dev/null
// RUN: keops-opt %s -keops-cpu-pipeline=partial-states=true -o /dev/null

// A partial reduction written by hand (no first index: its reduced rows are
// indices 0, 1, ...) outlined without partial-states: its kernels have no
// first-index parameter, and the 2-D scheme's states and count follow M and
// N as for any reduction (a fuzzer found the lowering reading a parameter
// past the last). With partial-states, its state kernels finalize into the
// outputs of its kind (a min's values), not into its own state arrays.
// CHECK-LABEL: gpu.func @min_state_kernel0_part(
// CHECK-SAME: %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64, %[[STATES:.+]]: !llvm.ptr, %[[CHUNK:.+]]: i64)
// CHECK: arith.index_cast %[[CHUNK]] : i64 to index
func.func @min_state(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %v: tensor<?x3xf32>,
                     %i: tensor<?x3xi32>) -> (tensor<?x3xf32>, tensor<?x3xi32>) {
  %r:2 = keops.reduce min over i partial
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>)
      outs(%v : tensor<?x3xf32>, %i : tensor<?x3xi32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %d = arith.subf %a, %b : vector<3xf32>
    keops.yield %d : vector<3xf32>
  } -> tensor<?x3xf32>, tensor<?x3xi32>
  return %r#0, %r#1 : tensor<?x3xf32>, tensor<?x3xi32>
}

