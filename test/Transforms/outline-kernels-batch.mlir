// RUN: keops-opt %s -keops-outline-kernels | FileCheck %s
// RUN: keops-opt %s -keops-outline-kernels=gpu=true | FileCheck %s --check-prefix=GPU

// A reduction with batch axes: the batch extents are one more input (after
// the variables); the kernel loops over the batch elements that its rows
// [begin, end) touch, advances each operand's pointer to its element (the
// broadcast axis of x left out) and runs an unbatched copy on rows
// [first, last) of that element. With gpu=true, the batch extents are the
// last parameters of every scheme's kernel, and batch elements go over
// blockIdx.z (a loop of step gridDim.z).

// CHECK-LABEL: func.func @bsum_kernel0(
// CHECK-SAME:    %[[INS:[^:]*]]: !llvm.ptr, %[[OUTS:[^:]*]]: !llvm.ptr, %[[M:[^:]*]]: i64, %[[N:[^:]*]]: i64, %[[B:[^:]*]]: i64, %[[E:[^:]*]]: i64)
// CHECK-DAG:     %[[BI:.*]] = arith.index_cast %[[B]] : i64 to index
// CHECK-DAG:     %[[EI:.*]] = arith.index_cast %[[E]] : i64 to index
// CHECK:         %[[XP:.*]] = llvm.load %{{.*}} : !llvm.ptr -> !llvm.ptr
// CHECK:         %[[YP:.*]] = llvm.load %{{.*}} : !llvm.ptr -> !llvm.ptr
// CHECK:         %[[OP:.*]] = llvm.load %{{.*}} : !llvm.ptr -> !llvm.ptr
// CHECK:         %[[SLOT:.*]] = llvm.getelementptr %[[INS]][2] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK:         %[[EXT:.*]] = llvm.load %[[SLOT]] : !llvm.ptr -> !llvm.ptr
// CHECK:         %[[E0P:.*]] = llvm.getelementptr %[[EXT]][0] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK:         llvm.load %[[E0P]] : !llvm.ptr -> i64
// CHECK:         %[[E1P:.*]] = llvm.getelementptr %[[EXT]][1] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK:         %[[MI:.*]] = arith.index_cast %[[M]] : i64 to index
// CHECK:         %[[R:.*]] = arith.maxui %[[MI]], %{{.*}} : index
// CHECK:         %[[FIRST:.*]] = arith.divui %[[BI]], %[[R]] : index
// CHECK:         %[[LAST:.*]] = arith.ceildivui %[[EI]], %[[R]] : index
// CHECK:         scf.for %[[EL:.*]] = %[[FIRST]] to %[[LAST]]
// CHECK:           llvm.getelementptr %[[XP]][%{{.*}}] : (!llvm.ptr, i64) -> !llvm.ptr, f32
// CHECK:           llvm.getelementptr %[[YP]][%{{.*}}] : (!llvm.ptr, i64) -> !llvm.ptr, f32
// CHECK:           llvm.getelementptr %[[OP]][%{{.*}}] : (!llvm.ptr, i64) -> !llvm.ptr, f32
// CHECK:           memref.subview
// CHECK:           memref.subview
// CHECK:           keops.reduce sum over j ins(%{{.*}} : i memref<?x3xf32, strided<[3, 1], offset: ?>>, %{{.*}} : j memref<?x3xf32>) outs(%{{.*}} : memref<?x3xf32, strided<[3, 1], offset: ?>>)
// CHECK:         return
// GPU:         gpu.func @bsum_kernel0(%{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %[[M:[^:]*]]: i64, %[[N:[^:]*]]: i64, %[[B0:[^:]*]]: i64, %[[B1:[^:]*]]: i64) kernel attributes {keops.scheme = "1d"}
// GPU-DAG:       %[[GZ:.*]] = gpu.grid_dim z
// GPU-DAG:       %[[BZ:.*]] = gpu.block_id z
// GPU:           scf.for %{{.*}} = %[[BZ]] to %{{.*}} step %[[GZ]]
// GPU:             keops.reduce sum over j ins(%{{.*}} : i memref<?x3xf32>, %{{.*}} : j memref<?x3xf32>) outs(%{{.*}} : memref<?x3xf32>)
// The 2-D scheme's kernels: the partial states and the count after M and N,
// then the extents.
// GPU:         gpu.func @bsum_kernel0_part(%{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %[[P0:[^:]*]]: i64, %[[P1:[^:]*]]: i64) kernel attributes {keops.scheme = "part"}
// GPU:           arith.index_cast %[[P0]]
// GPU:           arith.index_cast %[[P1]]
// GPU:           gpu.block_id z
// GPU:         gpu.func @bsum_kernel0_combine(
func.func @bsum(%x: tensor<?x1x?x3xf32>, %y: tensor<?x?x?x3xf32>, %o: tensor<?x?x?x3xf32>) -> tensor<?x?x?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x1x?x3xf32>, %y : j tensor<?x?x?x3xf32>) outs(%o : tensor<?x?x?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %s = arith.addf %a, %b : vector<3xf32>
    keops.yield %s : vector<3xf32>
  } -> tensor<?x?x?x3xf32>
  return %r : tensor<?x?x?x3xf32>
}
