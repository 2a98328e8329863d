// RUN: keops-opt %s -keops-outline-kernels=partial-states=true | FileCheck %s
// RUN: keops-opt %s -keops-outline-kernels="gpu=true partial-states=true" | FileCheck %s --check-prefix=GPU
// RUN: keops-opt %s -keops-outline-kernels="gpu=true partial-states=true" -keops-expand-formulas -convert-keops-to-gpu | FileCheck %s --check-prefix=THREADS

// With partial-states, a reduction also gets the kernels of its partial
// states: F_kernelK_partial writes the state's arrays (here the running
// maximum and the scaled sums of a weighted logsumexp) and reads the first
// reduced index through the last input pointer; F_kernelK_merge and
// F_kernelK_finalize run keops.merge_states and keops.finalize_states on
// rows [begin, end) of M rows.

// CHECK-LABEL: func.func @lse_kernel0(
// CHECK: keops.reduce logsumexp over j ins(

// CHECK-LABEL: func.func @lse_kernel0_partial(
// CHECK-SAME: %[[INS:[a-z0-9]+]]: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64) attributes {keops.kernel}
// CHECK: %[[SLOT:.+]] = llvm.getelementptr %[[INS]][3]
// CHECK: %[[PTR:.+]] = llvm.load %[[SLOT]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[FIRST64:.+]] = llvm.load %[[PTR]] : !llvm.ptr -> i64
// CHECK: %[[FIRST:.+]] = arith.index_cast %[[FIRST64]] : i64 to index
// CHECK: keops.reduce logsumexp over j partial from %[[FIRST]] ins(%{{.*}} : i memref<?x3xf32, strided<[3, 1], offset: ?>>, %{{.*}} : j memref<?x3xf32>, %{{.*}} : j memref<?x2xf32>) outs(%{{.*}} : memref<?x1xf32, strided<[1, 1], offset: ?>>, %{{.*}} : memref<?x2xf32, strided<[2, 1], offset: ?>>)

// CHECK-LABEL: func.func @lse_kernel0_merge(
// CHECK: keops.merge_states logsumexp ins(%{{.*}}, %{{.*}} : memref<?x1xf32, {{.*}}>, memref<?x2xf32, {{.*}}>) and(%{{.*}}, %{{.*}} : memref<?x1xf32, {{.*}}>, memref<?x2xf32, {{.*}}>) outs(%{{.*}}, %{{.*}} : memref<?x1xf32, {{.*}}>, memref<?x2xf32, {{.*}}>)

// CHECK-LABEL: func.func @lse_kernel0_finalize(
// CHECK: keops.finalize_states logsumexp ins(%{{.*}}, %{{.*}} : memref<?x1xf32, {{.*}}>, memref<?x2xf32, {{.*}}>) outs(%{{.*}} : memref<?x2xf32, {{.*}}>)

// On the GPU, the partial reduction has the three kernels of the schemes,
// which take the first reduced index after M and N (the 2-D scheme's
// states and count after it); the merge and finalize kernels take one
// pointer per array and the rows, and run one row per thread.
// GPU-LABEL: gpu.func @lse_kernel0_partial(
// GPU-SAME: %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64, %[[FIRST:.+]]: i64) kernel attributes {keops.scheme = "1d"}
// GPU: %[[F:.+]] = arith.index_cast %[[FIRST]] : i64 to index
// GPU: keops.reduce logsumexp over j partial from %[[F]]
// GPU-LABEL: gpu.func @lse_kernel0_partial_part(
// GPU-SAME: %{{.*}}: i64, %{{.*}}: i64, %[[FIRST2:[a-z0-9]+]]: i64, %{{.*}}: !llvm.ptr, %{{.*}}: i64) kernel attributes {keops.scheme = "part"}
// GPU: %[[F2:.+]] = arith.index_cast %[[FIRST2]] : i64 to index
// GPU: keops.reduce logsumexp over j partial from %[[F2]]
// GPU-LABEL: gpu.func @lse_kernel0_partial_combine(
// GPU-SAME: kernel attributes {keops.scheme = "combine"}
// GPU-LABEL: gpu.func @lse_kernel0_merge(
// GPU-SAME: %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64) kernel attributes {keops.scheme = "states"}
// GPU: keops.merge_states logsumexp
// GPU-LABEL: gpu.func @lse_kernel0_finalize(
// GPU: keops.finalize_states logsumexp

// THREADS-LABEL: gpu.func @lse_kernel0_merge(
// THREADS: %[[B:.+]] = gpu.block_id x
// THREADS: %[[D:.+]] = gpu.block_dim x
// THREADS: %[[P:.+]] = arith.muli %[[B]], %[[D]] : index
// THREADS: %[[T:.+]] = gpu.thread_id x
// THREADS: %[[ROW:.+]] = arith.addi %[[P]], %[[T]] : index
// THREADS: %[[IN:.+]] = arith.cmpi ult, %[[ROW]], %{{.*}} : index
// THREADS: scf.if %[[IN]] {
// THREADS: arith.maximumf %{{.*}}, %{{.*}} : vector<1xf32>
// THREADS: vector.store %{{.*}}, %{{.*}}[%[[ROW]], %{{.*}}] : memref<?x1xf32>, vector<1xf32>

func.func @lse(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %o: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %r = keops.reduce logsumexp over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : j tensor<?x2xf32>) outs(%o : tensor<?x2xf32>) {
  ^bb0(%a: vector<3xf32>, %c: vector<3xf32>, %w: vector<2xf32>):
    %d = keops.sqdist %a, %c : vector<3xf32>
    keops.yield %d, %w : vector<1xf32>, vector<2xf32>
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}
