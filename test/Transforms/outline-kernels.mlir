// RUN: keops-opt %s -keops-outline-kernels -split-input-file | FileCheck %s
// RUN: keops-opt %s -keops-outline-kernels=gpu=true -split-input-file | FileCheck %s --check-prefix=GPU

// One kernel per reduction, with the runtime's calling convention; kept
// variables and outputs are sliced to rows [begin, end); parameters and
// reduced variables are whole.

// CHECK-LABEL: func.func @gauss_kernel0(
// CHECK-SAME:    %[[INS:[^:]*]]: !llvm.ptr, %[[OUTS:[^:]*]]: !llvm.ptr, %[[M:[^:]*]]: i64, %[[N:[^:]*]]: i64, %[[B:[^:]*]]: i64, %[[E:[^:]*]]: i64)
// CHECK-SAME:    attributes {keops.kernel}
// CHECK-DAG:     %[[BI:.*]] = arith.index_cast %[[B]] : i64 to index
// CHECK-DAG:     %[[EI:.*]] = arith.index_cast %[[E]] : i64 to index
// CHECK:         %[[P0:.*]] = llvm.getelementptr %[[INS]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK:         %[[X:.*]] = llvm.load %[[P0]] : !llvm.ptr -> !llvm.ptr
// CHECK:         llvm.getelementptr %[[INS]][1]
// CHECK:         llvm.getelementptr %[[OUTS]][0]
// CHECK:         llvm.insertvalue %[[X]], %{{.*}}[0]
// CHECK:         llvm.insertvalue %[[M]], %{{.*}}[3, 0]
// CHECK:         %[[XM:.*]] = builtin.unrealized_conversion_cast %{{.*}} to memref<?x3xf32>
// CHECK:         llvm.insertvalue %[[N]], %{{.*}}[3, 0]
// CHECK:         %[[YM:.*]] = builtin.unrealized_conversion_cast %{{.*}} to memref<?x3xf32>
// CHECK:         %[[SM:.*]] = builtin.unrealized_conversion_cast %{{.*}} to memref<1xf32>
// CHECK:         %[[OM:.*]] = builtin.unrealized_conversion_cast %{{.*}} to memref<?x1xf32>
// CHECK:         %[[XS:.*]] = memref.subview %[[XM]][%[[BI]], 0] [%{{.*}}, 3] [1, 1]
// CHECK-NOT:     memref.subview %[[YM]]
// CHECK:         %[[OS:.*]] = memref.subview %[[OM]]
// CHECK:         keops.reduce sum over j ins(%[[XS]] : i memref<?x3xf32, strided<[3, 1], offset: ?>>, %[[YM]] : j memref<?x3xf32>, %[[SM]] : p memref<1xf32>) outs(%[[OS]] : memref<?x1xf32, strided<[1, 1], offset: ?>>)
// CHECK:           keops.sqdist
// CHECK:         return
// CHECK-NOT:   func.func @gauss(

// With gpu=true: gpu.func kernels of one gpu.module, one pointer per operand
// and M, N; whole arrays, no row range.
// GPU:         module attributes {gpu.container_module}
// GPU:         gpu.module @keops_kernels {
// GPU-NEXT:      gpu.func @gauss_kernel0(%[[X:[^:]*]]: !llvm.ptr, %[[Y:[^:]*]]: !llvm.ptr, %[[S:[^:]*]]: !llvm.ptr, %[[O:[^:]*]]: !llvm.ptr, %[[M:[^:]*]]: i64, %[[N:[^:]*]]: i64) kernel attributes {keops.scheme = "1d"} {
// GPU:           llvm.insertvalue %[[X]], %{{.*}}[0]
// GPU:           llvm.insertvalue %[[M]], %{{.*}}[3, 0]
// GPU:           %[[XM:.*]] = builtin.unrealized_conversion_cast %{{.*}} to memref<?x3xf32>
// GPU-NOT:       memref.subview
// GPU:           keops.reduce sum over j ins(%[[XM]] : i memref<?x3xf32>, %{{.*}} : j memref<?x3xf32>, %{{.*}} : p memref<1xf32>) outs(%{{.*}} : memref<?x1xf32>)
// GPU:           gpu.return
// The 2-D scheme's kernels: also the partial states and a count.
// GPU:         gpu.func @gauss_kernel0_part({{.*}}: i64, %{{.*}}: i64, %{{.*}}: !llvm.ptr, %{{.*}}: i64) kernel attributes {keops.scheme = "part"}
// GPU:           keops.reduce sum over j
// GPU:         gpu.func @gauss_kernel0_combine({{.*}}: i64, %{{.*}}: i64, %{{.*}}: !llvm.ptr, %{{.*}}: i64) kernel attributes {keops.scheme = "combine"}
// GPU:           keops.reduce sum over j
// GPU-NOT:     func.func @gauss(
func.func @gauss(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %s: tensor<1xf32>,
                 %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %s : p tensor<1xf32>)
      outs(%o : tensor<?x1xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %v = arith.mulf %d, %sp : vector<1xf32>
    keops.yield %v : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// Two reductions in one function give two kernels; over i, the j variables
// and the outputs (N rows) are the ones sliced.

// CHECK-LABEL: func.func @two_kernel0(
// CHECK:         keops.reduce min over j
// CHECK-LABEL: func.func @two_kernel1(
// CHECK-SAME:    %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %[[M:[^:]*]]: i64, %[[N:[^:]*]]: i64
// CHECK:         llvm.insertvalue %[[M]], %{{.*}}[3, 0]
// CHECK:         %[[XM:.*]] = builtin.unrealized_conversion_cast %{{.*}} to memref<?x2xf64>
// CHECK:         llvm.insertvalue %[[N]], %{{.*}}[3, 0]
// CHECK:         %[[YM:.*]] = builtin.unrealized_conversion_cast %{{.*}} to memref<?x2xf64>
// CHECK:         llvm.insertvalue %[[N]], %{{.*}}[3, 0]
// CHECK:         %[[OM:.*]] = builtin.unrealized_conversion_cast %{{.*}} to memref<?x2xi64>
// CHECK:         %[[YS:.*]] = memref.subview %[[YM]]
// CHECK:         %[[OS:.*]] = memref.subview %[[OM]]
// CHECK:         keops.reduce argmax over i ins(%[[XM]] : i memref<?x2xf64>, %[[YS]] : j memref<?x2xf64, strided<[2, 1], offset: ?>>) outs(%[[OS]] : memref<?x2xi64, strided<[2, 1], offset: ?>>)
func.func @two(%x: tensor<?x2xf64>, %y: tensor<?x2xf64>, %a: tensor<?x2xf64>,
               %b: tensor<?x2xi64>) -> (tensor<?x2xf64>, tensor<?x2xi64>) {
  %r = keops.reduce min over j
      ins(%x : i tensor<?x2xf64>, %y : j tensor<?x2xf64>) outs(%a : tensor<?x2xf64>) {
  ^bb0(%xi: vector<2xf64>, %yj: vector<2xf64>):
    %v = arith.subf %xi, %yj : vector<2xf64>
    keops.yield %v : vector<2xf64>
  } -> tensor<?x2xf64>
  %s = keops.reduce argmax over i
      ins(%x : i tensor<?x2xf64>, %y : j tensor<?x2xf64>) outs(%b : tensor<?x2xi64>) {
  ^bb0(%xi: vector<2xf64>, %yj: vector<2xf64>):
    %v = arith.mulf %xi, %yj : vector<2xf64>
    keops.yield %v : vector<2xf64>
  } -> tensor<?x2xi64>
  return %r, %s : tensor<?x2xf64>, tensor<?x2xi64>
}

// -----

// Index variables get memrefs of their integer type; over j the i32
// indices (kept) are sliced like the float i variables.

// CHECK-LABEL: func.func @indices_kernel0(
// CHECK:         %[[YM:.*]] = builtin.unrealized_conversion_cast %{{.*}} to memref<?x2xf32>
// CHECK:         %[[KM:.*]] = builtin.unrealized_conversion_cast %{{.*}} to memref<?x2xi32>
// CHECK:         %[[PM:.*]] = builtin.unrealized_conversion_cast %{{.*}} to memref<2xi64>
// CHECK:         %[[KS:.*]] = memref.subview %[[KM]]
// CHECK:         keops.reduce sum over j ins(%[[YM]] : j memref<?x2xf32>, %[[KS]] : i memref<?x2xi32, strided<[2, 1], offset: ?>>, %[[PM]] : p memref<2xi64>) outs(%{{.*}} : memref<?x2xf32, strided<[2, 1], offset: ?>>)
// CHECK:           keops.select_index %{{.*}}, %{{.*}} : vector<2xi32>, vector<2xf32>
// CHECK:           keops.select_index %{{.*}}, %{{.*}} at i : vector<2xi64>, vector<2xf32>
func.func @indices(%y: tensor<?x2xf32>, %k: tensor<?x2xi32>, %p: tensor<2xi64>,
                   %o: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %r = keops.reduce sum over j
      ins(%y : j tensor<?x2xf32>, %k : i tensor<?x2xi32>, %p : p tensor<2xi64>) outs(%o : tensor<?x2xf32>) {
  ^bb0(%yj: vector<2xf32>, %ki: vector<2xi32>, %pp: vector<2xi64>):
    %s = keops.select_index %ki, %yj : vector<2xi32>, vector<2xf32>
    %t = keops.select_index %pp, %s at i : vector<2xi64>, vector<2xf32>
    keops.yield %t : vector<2xf32>
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}
