// RUN: keops-opt %s -keops-outline-kernels | FileCheck %s
// RUN: keops-opt %s -keops-outline-kernels=gpu=true | FileCheck %s --check-prefix=GPU

// A block-sparse reduction: the kernel reads the runtime's checked and
// completed ranges of its axis as four more inputs after the variables:
// {blocks, intervals}, the blocks (blocks x 2), their cumulative counts and
// the intervals (intervals x 2), all int64, whatever the integer type of the
// function's ranges. The memref-form copy takes that one triple for both of
// its own (a reduction over j reads the first). With gpu=true, the kernels
// of both schemes take the same arrays on the device after their other
// parameters (M and N, the 2-D scheme's states and count, the batch
// extents): {blocks, intervals} as two i64 and three pointers.

// CHECK-LABEL: func.func @ranged_kernel0(
// CHECK-SAME:    %[[INS:[^:]*]]: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64)
// CHECK:         %[[SP:.*]] = llvm.getelementptr %[[INS]][2] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK:         %[[SIZES:.*]] = llvm.load %[[SP]] : !llvm.ptr -> !llvm.ptr
// CHECK:         %[[NBP:.*]] = llvm.getelementptr %[[SIZES]][0] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK:         %[[NB:.*]] = llvm.load %[[NBP]] : !llvm.ptr -> i64
// CHECK:         %[[NIP:.*]] = llvm.getelementptr %[[SIZES]][1] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK:         llvm.getelementptr %[[INS]][3]
// CHECK:         llvm.getelementptr %[[INS]][4]
// CHECK:         llvm.getelementptr %[[INS]][5]
// CHECK:         %[[COUNTS:.*]] = builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)> to memref<?xi64>
// CHECK:         keops.reduce sum over j ins({{.*}}) outs({{.*}}) ranges(%[[B:[^,]*]], %[[COUNTS]], %[[I:[^,]*]], %[[B]], %[[COUNTS]], %[[I]] : memref<?x2xi64>, memref<?xi64>, memref<?x2xi64>, memref<?x2xi64>, memref<?xi64>, memref<?x2xi64>)
// GPU-LABEL: gpu.func @ranged_kernel0(
// GPU-SAME:    %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %[[NB:[^:]*]]: i64, %[[NI:[^:]*]]: i64, %[[B:[^:]*]]: !llvm.ptr, %[[C:[^:]*]]: !llvm.ptr, %[[I:[^:]*]]: !llvm.ptr) kernel attributes {keops.scheme = "1d"}
// GPU:         llvm.insertvalue %[[B]], %{{.*}}[0]
// GPU:         llvm.insertvalue %[[NB]], %{{.*}}[3, 0]
// GPU:         keops.reduce sum over j ins({{.*}}) outs({{.*}}) ranges(
// The 2-D scheme's kernels take the partial states and the count after M
// and N, then the same ranges.
// GPU-LABEL: gpu.func @ranged_kernel0_part(
// GPU-SAME:    %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %[[NB:[^:]*]]: i64, %[[NI:[^:]*]]: i64, %[[B:[^:]*]]: !llvm.ptr, %[[C:[^:]*]]: !llvm.ptr, %[[I:[^:]*]]: !llvm.ptr) kernel attributes {keops.scheme = "part"}
// GPU:         llvm.insertvalue %[[B]], %{{.*}}[0]
// GPU:         keops.reduce sum over j ins({{.*}}) outs({{.*}}) ranges(
// GPU-LABEL: gpu.func @ranged_kernel0_combine(
func.func @ranged(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>,
                  %a: tensor<?x2xi32>, %b: tensor<?xi32>, %c: tensor<?x2xi32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>)
      ranges(%a, %b, %c, %a, %b, %c : tensor<?x2xi32>, tensor<?xi32>, tensor<?x2xi32>, tensor<?x2xi32>, tensor<?xi32>, tensor<?x2xi32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// Ranges per batch element: the kernel reads one more array after the
// intervals, the elements' offsets into the runtime's tables ({first
// block, first interval} per element, and once more), and inside the loop
// over batch elements takes its element's blocks, counts and intervals,
// their numbers the differences of consecutive offsets. On the GPU, the
// same from a fourth pointer, inside the loop over blockIdx.z.

// CHECK-LABEL: func.func @per_element_kernel0(
// CHECK-SAME:    %[[INS:[^:]*]]: !llvm.ptr
// CHECK:         llvm.getelementptr %[[INS]][4]
// CHECK:         llvm.getelementptr %[[INS]][5]
// CHECK:         llvm.getelementptr %[[INS]][6]
// CHECK:         %[[OP:.*]] = llvm.getelementptr %[[INS]][7] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK:         %[[OFFSETS:.*]] = llvm.load %[[OP]] : !llvm.ptr -> !llvm.ptr
// CHECK:         scf.for %[[E:[^ ]*]] =
// CHECK:           %[[E64:.*]] = arith.index_cast %[[E]] : index to i64
// CHECK:           %[[AT:.*]] = arith.muli %[[E64]], %{{.*}} : i64
// CHECK:           %[[FB:.*]] = llvm.load %{{.*}} : !llvm.ptr -> i64
// CHECK:           %[[FI:.*]] = llvm.load %{{.*}} : !llvm.ptr -> i64
// CHECK:           %[[EB:.*]] = llvm.load %{{.*}} : !llvm.ptr -> i64
// CHECK:           %[[NB:.*]] = arith.subi %[[EB]], %[[FB]] : i64
// CHECK:           keops.reduce sum over j ins({{.*}}) outs({{.*}}) ranges(
// GPU-LABEL: gpu.func @per_element_kernel0(
// GPU-SAME:    %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %[[OFF:[^:]*]]: !llvm.ptr) kernel attributes {keops.scheme = "1d"}
// GPU:         scf.for %[[E:[^ ]*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// GPU:           arith.index_cast %[[E]] : index to i64
// GPU:           llvm.getelementptr %[[OFF]][%{{.*}}] : (!llvm.ptr, i64) -> !llvm.ptr, i64
// GPU:           keops.reduce sum over j ins({{.*}}) outs({{.*}}) ranges(
func.func @per_element(%x: tensor<?x?x3xf32>, %y: tensor<?x?x3xf32>, %o: tensor<?x?x1xf32>,
                       %a: tensor<?x?x2xi64>, %b: tensor<?x?xi64>, %c: tensor<?x?x2xi64>) -> tensor<?x?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x?x3xf32>, %y : j tensor<?x?x3xf32>) outs(%o : tensor<?x?x1xf32>)
      ranges(%a, %b, %c, %a, %b, %c : tensor<?x?x2xi64>, tensor<?x?xi64>, tensor<?x?x2xi64>, tensor<?x?x2xi64>, tensor<?x?xi64>, tensor<?x?x2xi64>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x?x1xf32>
  return %r : tensor<?x?x1xf32>
}
