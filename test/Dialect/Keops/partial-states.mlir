// RUN: keops-opt %s -split-input-file | keops-opt -split-input-file | FileCheck %s
// RUN: keops-opt %s -split-input-file --mlir-print-op-generic | keops-opt -split-input-file | FileCheck %s

// Partial reductions and the ops on their states: syntax, round trip, and
// the state layout of each kind (ReduceOp::getStateLayout).

// CHECK-LABEL: func.func @argkmin_state(
// CHECK: keops.reduce argkmin k = 2 over j partial from %{{.*}} ins(%{{.*}} : i tensor<?x3xf32>, %{{.*}} : j tensor<?x3xf32>) outs(%{{.*}} : tensor<?x6xf32>, %{{.*}} : tensor<?x6xi64>)
func.func @argkmin_state(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %v: tensor<?x6xf32>,
                         %i: tensor<?x6xi64>, %first: index) -> (tensor<?x6xf32>, tensor<?x6xi64>) {
  %r:2 = keops.reduce argkmin k = 2 over j partial from %first
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>)
      outs(%v : tensor<?x6xf32>, %i : tensor<?x6xi64>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %d = arith.subf %a, %b : vector<3xf32>
    keops.yield %d : vector<3xf32>
  } -> tensor<?x6xf32>, tensor<?x6xi64>
  return %r#0, %r#1 : tensor<?x6xf32>, tensor<?x6xi64>
}

// -----

// A min's state holds indices (i32 without an index output) to break ties.
// CHECK-LABEL: func.func @min_state(
// CHECK: keops.reduce min over i partial ins(
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

// -----

// CHECK-LABEL: func.func @softmax_states(
// CHECK: keops.merge_states sumsoftmaxweight ins(%{{.*}}, %{{.*}}, %{{.*}} : memref<?x1xf64>, memref<?x1xf64>, memref<?x4xf64>) and(%{{.*}}, %{{.*}}, %{{.*}} : memref<?x1xf64>, memref<?x1xf64>, memref<?x4xf64>) outs(%{{.*}}, %{{.*}}, %{{.*}} : memref<?x1xf64>, memref<?x1xf64>, memref<?x4xf64>)
// CHECK: keops.finalize_states sumsoftmaxweight ins(%{{.*}}, %{{.*}}, %{{.*}} : memref<?x1xf64>, memref<?x1xf64>, memref<?x4xf64>) outs(%{{.*}} : memref<?x4xf64>)
func.func @softmax_states(%m: memref<?x1xf64>, %s: memref<?x1xf64>, %v: memref<?x4xf64>,
                          %out: memref<?x4xf64>) {
  keops.merge_states sumsoftmaxweight ins(%m, %s, %v : memref<?x1xf64>, memref<?x1xf64>, memref<?x4xf64>)
      and(%m, %s, %v : memref<?x1xf64>, memref<?x1xf64>, memref<?x4xf64>)
      outs(%m, %s, %v : memref<?x1xf64>, memref<?x1xf64>, memref<?x4xf64>)
  keops.finalize_states sumsoftmaxweight ins(%m, %s, %v : memref<?x1xf64>, memref<?x1xf64>, memref<?x4xf64>)
      outs(%out : memref<?x4xf64>)
  return
}

// -----

// CHECK-LABEL: func.func @kmin_finalize(
// CHECK: keops.finalize_states argkmin k = 4 ins(%{{.*}}, %{{.*}} : memref<?x12xf32>, memref<?x12xi64>) outs(%{{.*}} : memref<?x12xi64>)
func.func @kmin_finalize(%v: memref<?x12xf32>, %i: memref<?x12xi64>, %out: memref<?x12xi64>) {
  keops.finalize_states argkmin k = 4 ins(%v, %i : memref<?x12xf32>, memref<?x12xi64>)
      outs(%out : memref<?x12xi64>)
  return
}
