// RUN: keops-opt %s -split-input-file -convert-keops-to-scf=lanes=4 | FileCheck %s

// States of partial reductions (ReduceOp::getStateLayout): merged and
// finalized by the kind's accumulator on `lanes` rows at a time (read and
// written transposed, one row per lane), or one row at a time where K-lists
// are in memory; a partial reduction writes its states and counts its
// reduced indices from `first`.

// Two logsumexp states rescaled to their larger running maximum (an empty
// state, maximum -inf, weighs 0), then stored in place.
// CHECK-LABEL: func.func @merge(
// CHECK-SAME: %[[M1:[a-z0-9]+]]: memref<?x1xf32>, %[[S1:[a-z0-9]+]]: memref<?x2xf32>, %[[M2:[a-z0-9]+]]: memref<?x1xf32>, %[[S2:[a-z0-9]+]]: memref<?x2xf32>)
// CHECK: %[[C4:.+]] = arith.constant 4 : index
// CHECK: scf.for %[[R:.+]] = %{{.*}} to %{{.*}} step %[[C4]] {
// CHECK-DAG: %[[B:.+]] = vector.transfer_read %[[M2]][%[[R]], %{{.*}}], %{{.*}} {in_bounds = [true, false], permutation_map = #map} : memref<?x1xf32>, vector<1x4xf32>
// CHECK-DAG: %[[A:.+]] = vector.transfer_read %[[M1]][%[[R]], %{{.*}}], %{{.*}} {in_bounds = [true, false], permutation_map = #map} : memref<?x1xf32>, vector<1x4xf32>
// CHECK: %[[M:.+]] = arith.maximumf %[[A]], %[[B]] : vector<1x4xf32>
// CHECK: math.exp
// CHECK: math.exp
// CHECK: %[[SUM:.+]] = arith.addf %{{.*}}, %{{.*}} : vector<2x4xf32>
// CHECK: vector.transfer_write %[[M]], %[[M1]][%[[R]], %{{.*}}] {{.*}} : vector<1x4xf32>, memref<?x1xf32>
// CHECK: vector.transfer_write %[[SUM]], %[[S1]][%[[R]], %{{.*}}] {{.*}} : vector<2x4xf32>, memref<?x2xf32>
func.func @merge(%m1: memref<?x1xf32>, %s1: memref<?x2xf32>, %m2: memref<?x1xf32>, %s2: memref<?x2xf32>) {
  keops.merge_states logsumexp ins(%m1, %s1 : memref<?x1xf32>, memref<?x2xf32>)
      and(%m2, %s2 : memref<?x1xf32>, memref<?x2xf32>)
      outs(%m1, %s1 : memref<?x1xf32>, memref<?x2xf32>)
  return
}

// -----

// A K-min state holds K slots of D values and indices side by side; the
// argkmin outputs are the indices, sorted as they are.
// CHECK-LABEL: func.func @finalize(
// CHECK: scf.for %[[R:.+]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: %[[I:.+]] = vector.transfer_read %{{.*}}[%[[R]], %{{.*}}], %{{.*}} : memref<?x6xi64>, vector<6x4xi64>
// CHECK-DAG: %[[I0:.+]] = vector.extract_strided_slice %[[I]] {offsets = [0, 0], sizes = [3, 4], strides = [1, 1]}
// CHECK-DAG: %[[I1:.+]] = vector.extract_strided_slice %[[I]] {offsets = [3, 0], sizes = [3, 4], strides = [1, 1]}
// CHECK: %[[P:.+]] = vector.insert_strided_slice %[[I0]], %{{.*}} {offsets = [0, 0], strides = [1, 1]} : vector<3x4xi64> into vector<6x4xi64>
// CHECK: %[[Q:.+]] = vector.insert_strided_slice %[[I1]], %[[P]] {offsets = [3, 0], strides = [1, 1]} : vector<3x4xi64> into vector<6x4xi64>
// CHECK: vector.transfer_write %[[Q]], %{{.*}}[%[[R]], %{{.*}}] {{.*}} : vector<6x4xi64>, memref<?x6xi64>
func.func @finalize(%v: memref<?x6xf32>, %i: memref<?x6xi64>, %o: memref<?x6xi64>) {
  keops.finalize_states argkmin k = 2 ins(%v, %i : memref<?x6xf32>, memref<?x6xi64>)
      outs(%o : memref<?x6xi64>)
  return
}

// -----

// K above 12 (lists in memory in lanes): one row at a time, K in registers
// up to 32, heaps in memory above (allocas at the function's entry), the
// sorted state reversed into a heap.
// CHECK-LABEL: func.func @merge_lists(
// CHECK-DAG: memref.alloca() : memref<40x1xi32>
// CHECK-DAG: memref.alloca() : memref<40x1xi64>
// CHECK: %[[C1:.+]] = arith.constant 1 : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C1]]
// CHECK: arith.subi %{{.*}}, %{{.*}} : index
func.func @merge_lists(%v: memref<?x40xf32>, %i: memref<?x40xi64>) {
  keops.merge_states kmin k = 40 ins(%v, %i : memref<?x40xf32>, memref<?x40xi64>)
      and(%v, %i : memref<?x40xf32>, memref<?x40xi64>)
      outs(%v, %i : memref<?x40xf32>, memref<?x40xi64>)
  return
}

// -----

// The partial min folds index j + first and writes the selected values and
// their indices (the state of min_argmin) instead of the min's values.
// CHECK-LABEL: func.func @partial(
// CHECK-SAME: %[[FIRST:[a-z0-9]+]]: index)
// CHECK: scf.for %[[J:.+]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(
// CHECK: %[[G:.+]] = arith.addi %[[J]], %[[FIRST]] : index
// CHECK: arith.index_cast %[[G]] : index to i32
// CHECK: vector.transfer_write %{{.*}}, %{{.*}} : vector<3x4xf32>, memref<?x3xf32>
// CHECK: vector.transfer_write %{{.*}}, %{{.*}} : vector<3x4xi32>, memref<?x3xi32>
func.func @partial(%x: memref<?x3xf32>, %y: memref<?x3xf32>, %v: memref<?x3xf32>, %i: memref<?x3xi32>, %first: index) {
  keops.reduce min over j partial from %first
      ins(%x : i memref<?x3xf32>, %y : j memref<?x3xf32>)
      outs(%v : memref<?x3xf32>, %i : memref<?x3xi32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %d = arith.subf %a, %b : vector<3xf32>
    keops.yield %d : vector<3xf32>
  }
  return
}
