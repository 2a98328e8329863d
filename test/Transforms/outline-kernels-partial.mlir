// RUN: keops-opt %s -keops-outline-kernels=partial-states=true | FileCheck %s
// RUN: not keops-opt %s -keops-outline-kernels="gpu=true partial-states=true" 2>&1 | FileCheck %s --check-prefix=GPU

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

// GPU: error: partial-states kernels are built for the CPU only

func.func @lse(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %o: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %r = keops.reduce logsumexp over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : j tensor<?x2xf32>) outs(%o : tensor<?x2xf32>) {
  ^bb0(%a: vector<3xf32>, %c: vector<3xf32>, %w: vector<2xf32>):
    %d = keops.sqdist %a, %c : vector<3xf32>
    keops.yield %d, %w : vector<1xf32>, vector<2xf32>
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}
