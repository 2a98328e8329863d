// RUN: keops-opt %s -keops-outline-kernels=gpu=true -keops-expand-formulas -convert-keops-to-gpu -convert-gpu-kernels-to-host | FileCheck %s
// RUN: keops-opt %s -keops-gpu-emulation-pipeline | FileCheck %s --check-prefix=LLVM

// The GPU emulator's functions: each kernel's body reads its coordinates
// and shared memory from the thread context (%ctx, 64-bit words), calls
// the barrier function where the kernel had gpu.barrier, and is called by
// a launch entry that unpacks cuLaunchKernel's parameter array.

// CHECK-NOT:   gpu.module
// CHECK-LABEL: func.func private @gauss_kernel0.body(
// CHECK-SAME:    %{{.*}}: i64, %{{.*}}: i64, %[[CTX:.*]]: !llvm.ptr)
// The block's shared memory: the tile of y and b, packed in rows of one
// 16-byte word, at offset 0.
// CHECK:         %[[SW:.*]] = llvm.getelementptr %[[CTX]][6] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK:         %[[SH:.*]] = llvm.load %[[SW]] : !llvm.ptr -> !llvm.ptr
// CHECK:         llvm.getelementptr %[[SH]][0] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK:         %[[TY:.*]] = memref.cast %{{.*}} : memref<?x4xf32> to memref<128x4xf32>
// thread_id x and block_id x: words 0 and 1.
// CHECK:         llvm.getelementptr %[[CTX]][0] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK:         %[[T:.*]] = llvm.load %{{.*}} : !llvm.ptr -> i64
// CHECK:         %[[TID:.*]] = arith.index_cast %[[T]] : i64 to index
// CHECK:         llvm.getelementptr %[[CTX]][1] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK:         scf.for
// CHECK:           vector.store %{{.*}}, %[[TY]][%[[TID]], %{{.*}}] {alignment = 16 : i64} : memref<128x4xf32>, vector<4xf32>
// gpu.barrier: the function of word 7 called on word 8.
// CHECK:         %[[FW:.*]] = llvm.getelementptr %[[CTX]][7] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK:         %[[FN:.*]] = llvm.load %[[FW]] : !llvm.ptr -> !llvm.ptr
// CHECK:         %[[AW:.*]] = llvm.getelementptr %[[CTX]][8] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK:         %[[ARG:.*]] = llvm.load %[[AW]] : !llvm.ptr -> !llvm.ptr
// CHECK:         llvm.call %[[FN]](%[[ARG]]) : !llvm.ptr, (!llvm.ptr) -> ()
// CHECK:           vector.load %[[TY]]
// CHECK:         llvm.call
// CHECK:         return

// The launch entry: parameter k is *(T *)params[k].
// CHECK-LABEL: func.func @gauss_kernel0(
// CHECK-SAME:    %[[P:.*]]: !llvm.ptr, %[[C:.*]]: !llvm.ptr)
// CHECK:         %[[S0:.*]] = llvm.getelementptr %[[P]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK:         %[[A0:.*]] = llvm.load %[[S0]] : !llvm.ptr -> !llvm.ptr
// CHECK:         %[[V0:.*]] = llvm.load %[[A0]] : !llvm.ptr -> !llvm.ptr
// CHECK:         llvm.getelementptr %[[P]][4] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK:         %[[M:.*]] = llvm.load %{{.*}} : !llvm.ptr -> i64
// CHECK:         %[[N:.*]] = llvm.load %{{.*}} : !llvm.ptr -> i64
// CHECK:         call @gauss_kernel0.body(%[[V0]], {{.*}}, %[[M]], %[[N]], %[[C]])
// CHECK:       llvm.mlir.global external constant @gauss_kernel0.shared_bytes(2048 : i64)

// The 2-D scheme's kernels too; _combine has no shared memory. block_id y
// is word 2.
// CHECK-LABEL: func.func private @gauss_kernel0_part.body(
// CHECK:         llvm.getelementptr %{{.*}}[2] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK:       func.func @gauss_kernel0_part(
// CHECK:       llvm.mlir.global external constant @gauss_kernel0_part.shared_bytes(2048 : i64)
// CHECK-LABEL: func.func private @gauss_kernel0_combine.body(
// CHECK-NOT:     llvm.call
// CHECK:       func.func @gauss_kernel0_combine(
// CHECK:       llvm.mlir.global external constant @gauss_kernel0_combine.shared_bytes(0 : i64)

// The whole emulation pipeline ends in the LLVM dialect.
// LLVM-NOT:    gpu.
// LLVM:        llvm.func @gauss_kernel0(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// LLVM:        llvm.func @gauss_kernel0_part(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// LLVM:        llvm.func @gauss_kernel0_combine(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)

func.func @gauss(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x1xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : j tensor<?x1xf32>)
      outs(%o : tensor<?x1xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %n = arith.negf %d : vector<1xf32>
    %k = math.exp %n : vector<1xf32>
    %f = arith.mulf %k, %bj : vector<1xf32>
    keops.yield %f : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}
