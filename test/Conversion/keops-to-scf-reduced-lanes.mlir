// RUN: keops-opt %s -split-input-file -convert-keops-to-scf="lanes=8 blocks=2 accumulation=plain" -canonicalize | FileCheck %s
// RUN: keops-opt %s -split-input-file -convert-keops-to-scf="lanes=8 blocks=2 accumulation=plain few-rows=3" -canonicalize | FileCheck %s --check-prefix=THREE
// RUN: keops-opt %s -split-input-file -convert-keops-to-scf="lanes=8 blocks=2 accumulation=plain few-rows=0" -canonicalize | FileCheck %s --check-prefix=NEVER
// RUN: keops-opt %s -split-input-file -convert-keops-to-scf="lanes=8 blocks=2" -canonicalize | FileCheck %s --check-prefix=BLOCK

// Few kept rows: one row at a time, 8 consecutive reduced indices in the
// lanes. Few is fewer than a quarter of the row loop's tile (4 of 16 here)
// when the pairs cost little, as this sum of differences (no elementary
// function, a sum); half of it otherwise (@argmin below). The reduced rows
// are one load of 8 x 3 floats split into components by shuffles; the
// kept row is loaded once, at its width, and broadcast. After the lanes'
// loop over the first multiple of 8 indices, the lanes' states go through
// memory and are merged in lane order; the last indices are folded one by
// one; the row is written. Calls with more rows take the row loop.
// CHECK-LABEL: func.func @sum(
// CHECK:         %[[LANES:.*]] = memref.alloca() : memref<1x8xf32>
// CHECK:         %[[COLS:.*]] = memref.dim %arg1, %c0
// CHECK:         %[[ROWS:.*]] = memref.dim %arg2, %c0
// CHECK:         %[[FEW:.*]] = arith.cmpi slt, %[[ROWS]], %c4 : index
// CHECK:         scf.if %[[FEW]] {
// CHECK:           %[[REM:.*]] = arith.remsi %[[COLS]], %c8
// CHECK:           %[[FULL:.*]] = arith.subi %[[COLS]], %[[REM]]
// CHECK:           scf.for %[[I:.*]] = %c0 to %{{.*}} step %c1 {
// CHECK:             %[[X:.*]] = vector.load %arg0[%[[I]], %c0] : memref<?x3xf32>, vector<3xf32>
// CHECK:             %[[S:.*]] = scf.for %[[J:.*]] = %c0 to %[[FULL]] step %c8 iter_args(%[[A:.*]] = %{{.*}}) -> (vector<1x8xf32>) {
// CHECK:               %[[FLAT:.*]] = memref.collapse_shape %arg1 {{\[\[}}0, 1]] : memref<?x3xf32> into memref<?xf32>
// CHECK:               %[[AT:.*]] = arith.muli %[[J]], %c3
// CHECK:               %[[Y:.*]] = vector.load %[[FLAT]][%[[AT]]] : memref<?xf32>, vector<24xf32>
// CHECK:               vector.shuffle %[[Y]], %[[Y]] [0, 3, 6, 9, 12, 15, 18, 21]
// CHECK:               vector.shuffle %[[Y]], %[[Y]] [1, 4, 7, 10, 13, 16, 19, 22]
// CHECK:               vector.shuffle %[[Y]], %[[Y]] [2, 5, 8, 11, 14, 17, 20, 23]
// CHECK:               %[[XC:.*]] = vector.shape_cast %[[X]] : vector<3xf32> to vector<3x1xf32>
// CHECK:               %[[XB:.*]] = vector.broadcast %[[XC]] : vector<3x1xf32> to vector<3x8xf32>
// CHECK:               arith.subf %[[XB]], %{{.*}} : vector<3x8xf32>
// CHECK:               %[[NEXT:.*]] = arith.addf %[[A]], %{{.*}} : vector<1x8xf32>
// CHECK:               scf.yield %[[NEXT]]
// CHECK:             vector.transfer_write %[[S]], %[[LANES]][%c0, %c0] {in_bounds = [true, true]}
// CHECK:             %[[L0:.*]] = vector.transfer_read %[[LANES]][%c0, %c0], {{.*}} : memref<1x8xf32>, vector<1x1xf32>
// CHECK:             %[[M:.*]] = scf.for %[[L:.*]] = %c1 to %c8 step %c1 iter_args(%[[B:.*]] = %[[L0]]) -> (vector<1x1xf32>) {
// CHECK:               %[[LL:.*]] = vector.transfer_read %[[LANES]][%c0, %[[L]]]
// CHECK:               %[[SUM:.*]] = arith.addf %[[B]], %[[LL]] : vector<1x1xf32>
// CHECK:               scf.yield %[[SUM]]
// CHECK:             %[[T:.*]] = scf.for %[[J1:.*]] = %[[FULL]] to %[[COLS]] step %c1 iter_args(%[[C:.*]] = %[[M]]) -> (vector<1x1xf32>) {
// CHECK:               vector.load %arg1[%[[J1]], %c0] : memref<?x3xf32>, vector<3xf32>
// CHECK:               arith.subf {{.*}} : vector<3x1xf32>
// CHECK:               arith.addf %[[C]], %{{.*}} : vector<1x1xf32>
// CHECK:             vector.transfer_write %[[T]], %arg2[%[[I]], %c0]
// CHECK:         } else {
// CHECK:           scf.for %{{.*}} = %c0 to %{{.*}} step %c16 {

// THREE-LABEL: func.func @sum(
// THREE:         arith.cmpi slt, %{{.*}}, %c3 : index
// THREE:         scf.if

// NEVER-LABEL: func.func @sum(
// NEVER-NOT:     scf.if
// NEVER:         scf.for %{{.*}} = %c0 to %{{.*}} step %c16 {
// NEVER-NOT:     scf.if
// NEVER:         return

// Block sums (the default accumulation): the lanes' partial sums of 256
// terms each (256 x 8 indices) are added to their totals.
// BLOCK-LABEL: func.func @sum(
// BLOCK:         scf.if
// BLOCK:           scf.for %[[I:.*]] = %c0 to %{{.*}} step %c1 {
// BLOCK:             scf.for %[[JB:.*]] = %c0 to %{{.*}} step %c2048 iter_args(
// BLOCK:               %[[END:.*]] = arith.minsi
// BLOCK:               scf.for %{{.*}} = %[[JB]] to %[[END]] step %c8 iter_args(
func.func @sum(%x: memref<?x3xf32>, %y: memref<?x3xf32>, %o: memref<?x1xf32>) {
  keops.reduce sum over j ins(%x : i memref<?x3xf32>, %y : j memref<?x3xf32>) outs(%o : memref<?x1xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>):
    %d = arith.subf %xi, %yj : vector<3xf32>
    %s = vector.reduction <add>, %d : vector<3xf32> into f32
    %v = vector.broadcast %s : f32 to vector<1xf32>
    keops.yield %v : vector<1xf32>
  }
  return
}

// -----

// Lane l of the loop at j holds reduced index j + l: the argmin's index
// states are those indices; the lanes are merged with ties to the
// smaller index (cmpi slt of the indices).
// CHECK-LABEL: func.func @argmin(
// CHECK-DAG:     %[[IOTA:.*]] = arith.constant dense<[0, 1, 2, 3, 4, 5, 6, 7]> : vector<8xindex>
// CHECK:         arith.cmpi slt, %{{.*}}, %c8 : index
// CHECK:         scf.if
// CHECK:           scf.for %[[J:.*]] = %c0 to %{{.*}} step %c8 iter_args(
// CHECK:             %[[JB:.*]] = vector.broadcast %[[J]] : index to vector<8xindex>
// CHECK:             %[[JL:.*]] = arith.addi %[[JB]], %[[IOTA]] : vector<8xindex>
// CHECK:             %[[J64:.*]] = arith.index_cast %[[JL]] : vector<8xindex> to vector<8xi64>
// CHECK:             %[[JV:.*]] = vector.broadcast %[[J64]] : vector<8xi64> to vector<1x8xi64>
// CHECK:             arith.select %{{.*}}, %[[JV]], %{{.*}} : vector<1x8xi1>, vector<1x8xi64>
// CHECK:           scf.for %{{.*}} = %c1 to %c8 step %c1 iter_args(
// CHECK:             arith.cmpi slt, %{{.*}}, %{{.*}} : vector<1x1xi64>
func.func @argmin(%x: memref<?x2xf32>, %y: memref<?x2xf32>, %o: memref<?x1xi64>) {
  keops.reduce argmin over j ins(%x : i memref<?x2xf32>, %y : j memref<?x2xf32>) outs(%o : memref<?x1xi64>) {
  ^bb0(%xi: vector<2xf32>, %yj: vector<2xf32>):
    %d = arith.subf %xi, %yj : vector<2xf32>
    %p = arith.mulf %d, %d : vector<2xf32>
    %s = vector.reduction <add>, %p : vector<2xf32> into f32
    %v = vector.broadcast %s : f32 to vector<1xf32>
    keops.yield %v : vector<1xf32>
  }
  return
}

// -----

// K-lists: the lanes' slots go to K x 1 x lanes buffers; each filled slot
// of lanes 1 to 7 is inserted into lane 0's list, by value then index (a
// loop over lanes and slots, not a merge network).
// CHECK-LABEL: func.func @argkmin(
// CHECK-DAG:     %[[IDX:.*]] = memref.alloca() : memref<3x1x8xi32>
// CHECK-DAG:     %[[VAL:.*]] = memref.alloca() : memref<3x1x8xf32>
// CHECK:         scf.if
// CHECK:           %[[S:.*]]:6 = scf.for %{{.*}} = %c0 to %{{.*}} step %c8 iter_args(
// CHECK:           vector.transfer_write %[[S]]#0, %[[VAL]][%c0, %c0, %c0]
// CHECK:           vector.transfer_write %[[S]]#5, %[[IDX]][%c2, %c0, %c0]
// CHECK:           scf.for %[[L:.*]] = %c1 to %c8 step %c1 iter_args(
// CHECK:             scf.for %[[SLOT:.*]] = %c0 to %c3 step %c1 iter_args(
// CHECK:               %[[I:.*]] = vector.transfer_read %[[IDX]][%[[SLOT]], %c0, %[[L]]]
// CHECK:               %[[FILLED:.*]] = arith.cmpi ne, %[[I]], %{{.*}} : vector<1x1xi32>
// CHECK:               vector.transfer_read %[[VAL]][%[[SLOT]], %c0, %[[L]]]
// CHECK:               arith.andi %{{.*}}, %[[FILLED]] : vector<1x1xi1>
func.func @argkmin(%x: memref<?x1xf32>, %y: memref<?x1xf32>, %o: memref<?x3xi32>) {
  keops.reduce argkmin k = 3 over j ins(%x : i memref<?x1xf32>, %y : j memref<?x1xf32>) outs(%o : memref<?x3xi32>) {
  ^bb0(%xi: vector<1xf32>, %yj: vector<1xf32>):
    %d = arith.subf %xi, %yj : vector<1xf32>
    keops.yield %d : vector<1xf32>
  }
  return
}

// -----

// keops.select_index against the reduced index: the lanes' indices j + l.
// CHECK-LABEL: func.func @select_index(
// CHECK-DAG:     %[[IOTA:.*]] = arith.constant dense<[0, 1, 2, 3, 4, 5, 6, 7]> : vector<8xi32>
// CHECK:         scf.if
// CHECK:           scf.for %[[J:.*]] = %c0 to %{{.*}} step %c8 iter_args(
// CHECK:             %[[J32:.*]] = arith.index_cast %[[J]] : index to i32
// CHECK:             %[[JB:.*]] = vector.broadcast %[[J32]] : i32 to vector<8xi32>
// CHECK:             %[[JL:.*]] = arith.addi %[[JB]], %[[IOTA]] : vector<8xi32>
// CHECK:             %[[JV:.*]] = vector.broadcast %[[JL]] : vector<8xi32> to vector<2x8xi32>
// CHECK:             %[[EQ:.*]] = arith.cmpi eq, %{{.*}}, %[[JV]] : vector<2x8xi32>
// CHECK:             arith.select %[[EQ]]
func.func @select_index(%y: memref<?x2xf32>, %idx: memref<?x2xi32>, %o: memref<?x2xf32>) {
  keops.reduce sum over j ins(%y : j memref<?x2xf32>, %idx : i memref<?x2xi32>) outs(%o : memref<?x2xf32>) {
  ^bb0(%yj: vector<2xf32>, %k: vector<2xi32>):
    %s = keops.select_index %k, %yj : vector<2xi32>, vector<2xf32>
    keops.yield %s : vector<2xf32>
  }
  return
}

// -----

// Not for K-lists in memory (K > 12), nor for reduced variables of more
// than 32 floats in all: those keep the row loop alone (no test of the
// rows, no loop up to the last multiple of the lanes).
// CHECK-LABEL: func.func @long_list(
// CHECK-NOT:     arith.remsi
// CHECK:         return
func.func @long_list(%x: memref<?x1xf32>, %y: memref<?x1xf32>, %o: memref<?x20xi32>) {
  keops.reduce argkmin k = 20 over j ins(%x : i memref<?x1xf32>, %y : j memref<?x1xf32>) outs(%o : memref<?x20xi32>) {
  ^bb0(%xi: vector<1xf32>, %yj: vector<1xf32>):
    %d = arith.subf %xi, %yj : vector<1xf32>
    keops.yield %d : vector<1xf32>
  }
  return
}

// -----

// CHECK-LABEL: func.func @wide(
// CHECK-NOT:     arith.remsi
// CHECK:         return
func.func @wide(%x: memref<?x40xf32>, %y: memref<?x40xf32>, %o: memref<?x1xf32>) {
  keops.reduce sum over j ins(%x : i memref<?x40xf32>, %y : j memref<?x40xf32>) outs(%o : memref<?x1xf32>) {
  ^bb0(%xi: vector<40xf32>, %yj: vector<40xf32>):
    %d = arith.subf %xi, %yj : vector<40xf32>
    %s = vector.reduction <add>, %d : vector<40xf32> into f32
    %v = vector.broadcast %s : f32 to vector<1xf32>
    keops.yield %v : vector<1xf32>
  }
  return
}

// -----

// Views of contiguous rows (any offset: a batch's rows) are read as one
// vector too; rows with gaps (stride 4 for 3 floats) by a transposed read,
// in bounds (no test per lane).
// CHECK-LABEL: func.func @views(
// CHECK:         scf.for %{{.*}} = %c0 to %{{.*}} step %c8 iter_args(
// CHECK:           %[[FLAT:.*]] = memref.collapse_shape %arg1 {{\[\[}}0, 1]] : memref<?x3xf32, strided<[3, 1], offset: ?>> into memref<?xf32, strided<[1], offset: ?>>
// CHECK:           vector.load %[[FLAT]][%{{.*}}] : memref<?xf32, strided<[1], offset: ?>>, vector<24xf32>
// CHECK:           vector.transfer_read %arg2[%{{.*}}, %c0], %{{.*}} {in_bounds = [true, true], permutation_map = #map} : memref<?x3xf32, strided<[4, 1]>>, vector<3x8xf32>
func.func @views(%x: memref<?x3xf32>, %y: memref<?x3xf32, strided<[3, 1], offset: ?>>, %z: memref<?x3xf32, strided<[4, 1]>>, %o: memref<?x1xf32>) {
  keops.reduce sum over j ins(%x : i memref<?x3xf32>, %y : j memref<?x3xf32, strided<[3, 1], offset: ?>>, %z : j memref<?x3xf32, strided<[4, 1]>>) outs(%o : memref<?x1xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %zj: vector<3xf32>):
    %d = arith.subf %xi, %yj : vector<3xf32>
    %e = arith.mulf %d, %zj : vector<3xf32>
    %s = vector.reduction <add>, %e : vector<3xf32> into f32
    %v = vector.broadcast %s : f32 to vector<1xf32>
    keops.yield %v : vector<1xf32>
  }
  return
}

// -----

// Formula values wider than 32 floats do not take this loop (sums of them
// take the one of keops-to-scf-wide-values.mlir).
// CHECK-LABEL: func.func @wide_value(
// CHECK-NOT:     arith.remsi
// CHECK:         return
func.func @wide_value(%x: memref<?x40xf32>, %y: memref<?x1xf32>, %o: memref<?x40xf32>) {
  keops.reduce sum over j ins(%x : i memref<?x40xf32>, %y : j memref<?x1xf32>) outs(%o : memref<?x40xf32>) {
  ^bb0(%xi: vector<40xf32>, %yj: vector<1xf32>):
    %b = vector.broadcast %yj : vector<1xf32> to vector<40xf32>
    %p = arith.mulf %xi, %b : vector<40xf32>
    keops.yield %p : vector<40xf32>
  }
  return
}
