// RUN: keops-opt %s -split-input-file -convert-keops-to-scf="lanes=8 blocks=2 accumulation=plain wide-above=16" -canonicalize | FileCheck %s
// RUN: keops-opt %s -split-input-file -convert-keops-to-scf="lanes=8 blocks=2 wide-above=16" -canonicalize | FileCheck %s --check-prefix=BLOCK
// RUN: keops-opt %s -split-input-file -convert-keops-to-scf="lanes=8 blocks=2 accumulation=plain" -canonicalize | FileCheck %s --check-prefix=DEFAULT

// Sums of formula values wider than `wide-above` (20 > 16 here): one kept
// row at a time, the feature axis in chunks of 8 lanes (a loop over the
// full chunks, then the last 4). The outputs start at zero; blocks of
// reduced rows are the outer loop (about 16 KiB of their variables: 204
// rows of 20 floats), the kept rows inside. No
// narrow value of the pair is needed: for each chunk, a loop over the
// block's columns keeps its sums in registers, from the output row's
// (plain sums), and stores them back.
// CHECK-LABEL: func.func @difference(
// CHECK:         %[[COLS:.*]] = memref.dim %arg1, %c0
// CHECK:         %[[NROWS:.*]] = memref.dim %arg2, %c0
// CHECK:         scf.for %[[I:.*]] = %c0 to %[[NROWS]] step %c1 {
// CHECK:           scf.for %[[C:.*]] = %c0 to %c16 step %c8 {
// CHECK:             vector.transfer_write %{{.*}}, %arg2[%[[I]], %[[C]]] {in_bounds = [true]} : vector<8xf32>
// CHECK:           vector.transfer_write %{{.*}}, %arg2[%[[I]], %c16] {in_bounds = [true]} : vector<4xf32>
// CHECK:         scf.for %[[J0:.*]] = %c0 to %[[COLS]] step %c204 {
// CHECK:           %[[END:.*]] = arith.minsi
// CHECK:           scf.for %[[R:.*]] = %c0 to %[[NROWS]] step %c1 {
// CHECK:             scf.for %[[K:.*]] = %c0 to %c16 step %c8 {
// CHECK:               %[[OLD:.*]] = vector.transfer_read %arg2[%[[R]], %[[K]]]
// CHECK:               %[[SUMS:.*]] = scf.for %[[J:.*]] = %[[J0]] to %[[END]] step %c1 iter_args(%[[A:.*]] = %[[OLD]]) -> (vector<8xf32>) {
// CHECK:                 %[[X:.*]] = vector.transfer_read %arg0[%[[R]], %[[K]]], %{{.*}} {in_bounds = [true]} : memref<?x20xf32>, vector<8xf32>
// CHECK:                 %[[Y:.*]] = vector.transfer_read %arg1[%[[J]], %[[K]]], %{{.*}} {in_bounds = [true]} : memref<?x20xf32>, vector<8xf32>
// CHECK:                 %[[D:.*]] = arith.subf %[[X]], %[[Y]] : vector<8xf32>
// CHECK:                 %[[T:.*]] = arith.addf %[[A]], %[[D]] : vector<8xf32>
// CHECK:                 scf.yield %[[T]]
// CHECK:               vector.transfer_write %[[SUMS]], %arg2[%[[R]], %[[K]]]
// CHECK:             scf.for %{{.*}} = %[[J0]] to %[[END]] step %c1 iter_args(%{{.*}}) -> (vector<4xf32>) {
// CHECK:               arith.subf %{{.*}}, %{{.*}} : vector<4xf32>
// CHECK:             vector.transfer_write %{{.*}}, %arg2[%[[R]], %c16] {in_bounds = [true]} : vector<4xf32>
// CHECK:         return

// Block sums: each chunk's sums start from zero for each block and are
// added to the output row after it.
// BLOCK-LABEL: func.func @difference(
// BLOCK:         scf.for %[[J0:.*]] = %c0 to %{{.*}} step %c204 {
// BLOCK:           scf.for %[[R:.*]] = %c0 to %{{.*}} step %c1 {
// BLOCK:             scf.for %[[K:.*]] = %c0 to %c16 step %c8 {
// BLOCK:               %[[SUMS:.*]] = scf.for %{{.*}} = %[[J0]] to %{{.*}} step %c1 iter_args(%{{.*}} = %[[ZERO:.*]]) -> (vector<8xf32>) {
// BLOCK:               %[[O:.*]] = vector.transfer_read %arg2[%[[R]], %[[K]]]
// BLOCK:               %[[T:.*]] = arith.addf %[[O]], %[[SUMS]] : vector<8xf32>
// BLOCK:               vector.transfer_write %[[T]], %arg2[%[[R]], %[[K]]]

// Values of 20 floats are no wide values by default: the row loop.
// DEFAULT-LABEL: func.func @difference(
// DEFAULT:         vector<20x8xf32>
func.func @difference(%x: memref<?x20xf32>, %y: memref<?x20xf32>, %o: memref<?x20xf32>) {
  keops.reduce sum over j ins(%x : i memref<?x20xf32>, %y : j memref<?x20xf32>) outs(%o : memref<?x20xf32>) {
  ^bb0(%xi: vector<20xf32>, %yj: vector<20xf32>):
    %d = arith.subf %xi, %yj : vector<20xf32>
    keops.yield %d : vector<20xf32>
  }
  return
}

// -----

// Wide values of one side are computed once into buffers: sin(b_j) for
// each column of the block (block x 20), cos(c_i) for each row (and block).
// The pairs' narrow value that wide ones read, exp(-|x_i - y_j|^2), is
// computed for 8 reduced indices at a time into a buffer of the block;
// each chunk's loop over the columns loads it and broadcasts it.
// CHECK-LABEL: func.func @kernel_of_columns(
// CHECK-DAG:     %[[ROW:.*]] = memref.alloc() : memref<20xf32>
// CHECK-DAG:     %[[COLUMN:.*]] = memref.alloc() : memref<96x20xf32>
// CHECK-DAG:     %[[K:.*]] = memref.alloc() : memref<96x1xf32>
// CHECK:         scf.for %[[J0:.*]] = %c0 to %{{.*}} step %c96 {
// CHECK:           scf.for %[[J:.*]] = %[[J0]] to %[[END:.*]] step %c1 {
// CHECK:             %[[AT:.*]] = arith.subi %[[J]], %[[J0]]
// CHECK:             scf.for %[[C:.*]] = %c0 to %c16 step %c8 {
// CHECK:               %[[B:.*]] = vector.transfer_read %arg2[%[[J]], %[[C]]]
// CHECK:               %[[SB:.*]] = math.sin %[[B]] : vector<8xf32>
// CHECK:               vector.transfer_write %[[SB]], %[[COLUMN]][%[[AT]], %[[C]]]
// CHECK:           scf.for %[[I:.*]] = %c0 to %{{.*}} step %c1 {
// CHECK:             math.cos %{{.*}} : vector<8xf32>
// CHECK:             vector.transfer_write %{{.*}}, %[[ROW]][%{{.*}}]
// CHECK:             scf.for %[[JL:.*]] = %[[J0]] to %[[END]] step %c8 {
// CHECK:               vector.transfer_read %arg1[%[[JL]], %c0], %{{.*}} {in_bounds = [true, false], permutation_map = #map} : memref<?x3xf32>, vector<3x8xf32>
// CHECK:               %[[E:.*]] = math.exp %{{.*}} : vector<1x8xf32>
// CHECK:               vector.transfer_write %[[E]], %[[K]]
// CHECK:             scf.for %[[CP:.*]] = %c0 to %c16 step %c8 {
// CHECK:               scf.for %[[JP:.*]] = %[[J0]] to %[[END]] step %c1 iter_args(%[[A:.*]] = %{{.*}}) -> (vector<8xf32>) {
// CHECK:                 %[[AT2:.*]] = arith.subi %[[JP]], %[[J0]]
// CHECK:                 %[[KV:.*]] = vector.load %[[K]][%[[AT2]], %c0] : memref<96x1xf32>, vector<1xf32>
// CHECK:                 %[[KB:.*]] = vector.broadcast %[[KV]] : vector<1xf32> to vector<8xf32>
// CHECK:                 %[[SBV:.*]] = vector.transfer_read %[[COLUMN]][%[[AT2]], %[[CP]]]
// CHECK:                 %[[P:.*]] = arith.mulf %[[KB]], %[[SBV]] : vector<8xf32>
// CHECK:                 %[[CC:.*]] = vector.transfer_read %[[ROW]][%[[CP]]]
// CHECK:                 %[[F:.*]] = arith.mulf %[[P]], %[[CC]] : vector<8xf32>
// CHECK:                 arith.addf %[[A]], %[[F]] : vector<8xf32>
// CHECK:         memref.dealloc
func.func @kernel_of_columns(%x: memref<?x3xf32>, %y: memref<?x3xf32>, %b: memref<?x20xf32>, %c: memref<?x20xf32>, %o: memref<?x20xf32>) {
  keops.reduce sum over j ins(%x : i memref<?x3xf32>, %y : j memref<?x3xf32>, %b : j memref<?x20xf32>, %c : i memref<?x20xf32>) outs(%o : memref<?x20xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<20xf32>, %ci: vector<20xf32>):
    %d = arith.subf %xi, %yj : vector<3xf32>
    %q = arith.mulf %d, %d : vector<3xf32>
    %s = vector.reduction <add>, %q : vector<3xf32> into f32
    %v = vector.broadcast %s : f32 to vector<1xf32>
    %n = arith.negf %v : vector<1xf32>
    %k = math.exp %n : vector<1xf32>
    %sb = math.sin %bj : vector<20xf32>
    %cc = math.cos %ci : vector<20xf32>
    %kb = vector.broadcast %k : vector<1xf32> to vector<20xf32>
    %p = arith.mulf %kb, %sb : vector<20xf32>
    %r = arith.mulf %p, %cc : vector<20xf32>
    keops.yield %r : vector<20xf32>
  }
  return
}

// -----

// A wide value that is no chunk-by-chunk computation (a shuffle): the
// whole formula for each pair, at its width (one chunk of 20).
// CHECK-LABEL: func.func @reversed(
// CHECK:         scf.for %[[J0:.*]] = %c0 to %{{.*}} step %c256 {
// CHECK:           scf.for %[[R:.*]] = %c0 to %{{.*}} step %c1 {
// CHECK:             %[[X:.*]] = vector.load %arg0[%[[R]], %c0] : memref<?x20xf32>, vector<20xf32>
// CHECK:             scf.for %[[J:.*]] = %[[J0]] to %{{.*}} step %c1 {
// CHECK:               %[[Y:.*]] = vector.load %arg1[%[[J]], %c0] : memref<?x20xf32>, vector<20xf32>
// CHECK:               %[[D:.*]] = arith.subf %[[X]], %[[Y]] : vector<20xf32>
// CHECK:               %[[V:.*]] = vector.shuffle %[[D]], %[[D]] [19, 18
// CHECK:               %[[S:.*]] = vector.transfer_read %arg2[%[[R]], %c0]
// CHECK:               arith.addf %[[S]], %[[V]] : vector<20xf32>
func.func @reversed(%x: memref<?x20xf32>, %y: memref<?x20xf32>, %o: memref<?x20xf32>) {
  keops.reduce sum over j ins(%x : i memref<?x20xf32>, %y : j memref<?x20xf32>) outs(%o : memref<?x20xf32>) {
  ^bb0(%xi: vector<20xf32>, %yj: vector<20xf32>):
    %d = arith.subf %xi, %yj : vector<20xf32>
    %r = vector.shuffle %d, %d [19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0] : vector<20xf32>, vector<20xf32>
    keops.yield %r : vector<20xf32>
  }
  return
}

// -----

// Other kinds keep the row loop.
// CHECK-LABEL: func.func @wide_min(
// CHECK:         vector<20x8xf32>
func.func @wide_min(%x: memref<?x20xf32>, %y: memref<?x20xf32>, %o: memref<?x20xf32>) {
  keops.reduce min over j ins(%x : i memref<?x20xf32>, %y : j memref<?x20xf32>) outs(%o : memref<?x20xf32>) {
  ^bb0(%xi: vector<20xf32>, %yj: vector<20xf32>):
    %d = arith.subf %xi, %yj : vector<20xf32>
    keops.yield %d : vector<20xf32>
  }
  return
}
