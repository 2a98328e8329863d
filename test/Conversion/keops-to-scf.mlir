// RUN: keops-opt %s -split-input-file -convert-keops-to-scf="lanes=8 blocks=1 accumulation=kahan few-rows=0" | FileCheck %s --check-prefix=KAHAN
// RUN: keops-opt %s -split-input-file -convert-keops-to-scf=few-rows=0 | FileCheck %s
// RUN: keops-opt %s -split-input-file -convert-keops-to-scf="accumulation=f64 few-rows=0" | FileCheck %s --check-prefix=F64
// RUN: keops-opt %s -split-input-file -convert-keops-to-scf="lanes=8 blocks=1 accumulation=plain splits=2 few-rows=0" | FileCheck %s --check-prefix=SPLIT

// Output rows are the lanes: a block of rows of x is read transposed into
// vector<D x lanes>, each y_j is broadcast to all lanes, and the formula is
// evaluated on vector<D x lanes> values.

// With splits=2 the reduced axis is reduced in two halves, [0, N/2) and
// [N/2, N), each from the initial state; the states are then merged (a sum:
// added).
// SPLIT-LABEL: func.func @sum(
// SPLIT:         %[[A:.*]] = scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c1 iter_args(%{{.*}} = %[[ZERO:.*]]) -> (vector<1x8xf32>)
// SPLIT:         %[[B:.*]] = scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c1 iter_args(%{{.*}} = %[[ZERO]]) -> (vector<1x8xf32>)
// SPLIT:         %[[S:.*]] = arith.addf %[[A]], %[[B]] : vector<1x8xf32>
// SPLIT:         vector.transfer_write %[[S]]

// KAHAN-LABEL: func.func @sum(
// KAHAN:         scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %c8 {
// KAHAN:           %[[X:.*]] = vector.transfer_read %arg0[%{{.*}}, %{{.*}}], %{{.*}} {in_bounds = [true, false], permutation_map = #map} : memref<?x3xf32>, vector<3x8xf32>
// KAHAN:           scf.for %[[J:.*]] = {{.*}} iter_args(%[[S:.*]] = %{{.*}}, %[[C:.*]] = %{{.*}}) -> (vector<1x8xf32>, vector<1x8xf32>)
// KAHAN:             %[[Y:.*]] = vector.load %arg1[%[[J]], %{{.*}}] : memref<?x3xf32>, vector<3xf32>
// KAHAN:             %[[YC:.*]] = vector.shape_cast %[[Y]] : vector<3xf32> to vector<3x1xf32>
// KAHAN:             %[[YB:.*]] = vector.broadcast %[[YC]] : vector<3x1xf32> to vector<3x8xf32>
// KAHAN:             %[[D:.*]] = arith.subf %[[X]], %[[YB]] : vector<3x8xf32>
// KAHAN:             %[[R:.*]] = vector.multi_reduction <add>, %[[D]], %{{.*}} [0] : vector<3x8xf32> to vector<8xf32>
// KAHAN:             %[[F:.*]] = vector.broadcast %[[R]] : vector<8xf32> to vector<1x8xf32>
// KAHAN:             %[[YK:.*]] = arith.subf %[[F]], %[[C]]
// KAHAN:             %[[T:.*]] = arith.addf %[[S]], %[[YK]]
// KAHAN:             %[[TS:.*]] = arith.subf %[[T]], %[[S]]
// KAHAN:             %[[C2:.*]] = arith.subf %[[TS]], %[[YK]]
// An infinite sum has nothing to compensate (inf - inf would be NaN).
// KAHAN:             %[[AT:.*]] = math.absf %[[T]]
// KAHAN:             %[[FIN:.*]] = arith.cmpf olt, %[[AT]], %{{.*}}
// KAHAN:             %[[C3:.*]] = arith.select %[[FIN]], %[[C2]], %{{.*}}
// KAHAN:             scf.yield %[[T]], %[[C3]]
// KAHAN:           %[[OUT:.*]] = arith.subf
// KAHAN:           vector.transfer_write %[[OUT]], %arg2[%{{.*}}, %{{.*}}] {in_bounds = [true, false], permutation_map = #map} : vector<1x8xf32>, memref<?x1xf32>

// Default: 16 lanes for f32, 2 blocks (32 rows per iteration), partial sums
// of 256 terms added to the totals.
// CHECK-LABEL: func.func @sum(
// CHECK:         scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %c32 {
// CHECK:           vector.transfer_read {{.*}} vector<3x16xf32>
// CHECK:           %[[I2:.*]] = arith.addi %[[I]], %c16
// CHECK:           vector.transfer_read %arg0[%[[I2]], {{.*}} vector<3x16xf32>
// CHECK:           scf.for %[[JB:.*]] = %{{.*}} to %{{.*}} step %c256 iter_args(
// CHECK:             %[[END:.*]] = arith.minsi
// CHECK:             scf.for %{{.*}} = %[[JB]] to %[[END]] step %c1
// CHECK-COUNT-2:       vector.multi_reduction
// CHECK:             arith.addf
// CHECK:             arith.addf
// CHECK:           vector.transfer_write
// CHECK:           vector.transfer_write {{.*}}[%[[I2]],

// F64-LABEL: func.func @sum(
// F64:         iter_args({{.*}}) -> (vector<1x16xf64>, vector<1x16xf64>)
// F64:           arith.extf %{{.*}} : vector<1x16xf32> to vector<1x16xf64>
// F64:         arith.truncf %{{.*}} : vector<1x16xf64> to vector<1x16xf32>
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

// min_argmin over i: lanes are columns (j rows), the loop runs over i. A
// value replaces the slot when it is smaller, or when the slot holds NaN and
// the value does not, or when the slot is still empty (index -1). Empty
// slots become +inf.
// CHECK-LABEL: func.func @min_over_i(
// CHECK-DAG:     vector.transfer_read %arg1{{.*}} vector<2x8xf64>
// CHECK-DAG:     arith.constant dense<-1> : vector<2x8xi64>
// CHECK:         scf.for %[[I:.*]] = {{.*}} iter_args(%[[V:.*]] = %{{.*}}, %[[K:.*]] = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (vector<2x8xf64>, vector<2x8xi64>, vector<2x8xf64>, vector<2x8xi64>)
// CHECK:           vector.load %arg0[%[[I]], %{{.*}}] : memref<?x2xf64>, vector<2xf64>
// CHECK:           %[[F:.*]] = arith.mulf
// CHECK:           %[[IV:.*]] = arith.index_cast %[[I]] : index to i64
// CHECK:           %[[IB:.*]] = vector.broadcast %[[IV]] : i64 to vector<2x8xi64>
// CHECK:           %[[LT:.*]] = arith.cmpf olt, %[[F]], %[[V]]
// CHECK:           %[[VNAN:.*]] = arith.cmpf uno, %[[V]], %[[V]]
// CHECK:           %[[FNUM:.*]] = arith.cmpf ord, %[[F]], %[[F]]
// CHECK:           %[[E:.*]] = arith.cmpi eq, %[[K]], %{{.*}} : vector<2x8xi64>
// CHECK:           %[[TAKE:.*]] = arith.ori %[[LT]]
// CHECK:           arith.select %[[TAKE]], %[[F]], %[[V]]
// CHECK:           arith.select %[[TAKE]], %[[IB]], %[[K]]
// CHECK:         %[[EMPTY0:.*]] = arith.cmpi eq, %{{.*}}#1, %{{.*}} : vector<2x8xi64>
// CHECK:         %[[OUT:.*]] = arith.select %[[EMPTY0]], %{{.*}}, %{{.*}}#0 : vector<2x8xi1>, vector<2x8xf64>
// CHECK:         vector.transfer_write %[[OUT]], %arg2
// CHECK:         vector.transfer_write %{{.*}}#1, %arg3
func.func @min_over_i(%x: memref<?x2xf64>, %y: memref<?x2xf64>, %v: memref<?x2xf64>, %k: memref<?x2xi64>) {
  keops.reduce min_argmin over i ins(%x : i memref<?x2xf64>, %y : j memref<?x2xf64>) outs(%v : memref<?x2xf64>, %k : memref<?x2xi64>) {
  ^bb0(%xi: vector<2xf64>, %yj: vector<2xf64>):
    %p = arith.mulf %xi, %yj : vector<2xf64>
    keops.yield %p : vector<2xf64>
  }
  return
}

// -----

// K smallest: a value is first compared with the last of the K sorted slots;
// the insertion runs only if some lane needs it.
// CHECK-LABEL: func.func @argkmin(
// CHECK:         scf.for {{.*}} -> (vector<1x16xf32>, vector<1x16xf32>, vector<1x16xf32>, vector<1x16xi32>, vector<1x16xi32>, vector<1x16xi32>
// CHECK:           %[[FLAT:.*]] = vector.shape_cast %{{.*}} : vector<1x16xi1> to vector<16xi1>
// CHECK:           %[[ANY:.*]] = vector.reduction <or>, %[[FLAT]] : vector<16xi1> into i1
// CHECK:           scf.if %[[ANY]] -> (vector<1x16xf32>, vector<1x16xf32>, vector<1x16xf32>, vector<1x16xi32>, vector<1x16xi32>, vector<1x16xi32>
// CHECK-COUNT-12:    arith.select
// CHECK:           } else {
// CHECK:         vector.insert_strided_slice %{{.*}}, %{{.*}} {offsets = [2, 0], strides = [1, 1]} : vector<1x16xi32> into vector<3x16xi32>
// CHECK:         vector.transfer_write {{.*}} : vector<3x16xi32>, memref<?x3xi32>
func.func @argkmin(%x: memref<?x1xf32>, %y: memref<?x1xf32>, %o: memref<?x3xi32>) {
  keops.reduce argkmin k = 3 over j ins(%x : i memref<?x1xf32>, %y : j memref<?x1xf32>) outs(%o : memref<?x3xi32>) {
  ^bb0(%xi: vector<1xf32>, %yj: vector<1xf32>):
    %d = arith.subf %xi, %yj : vector<1xf32>
    keops.yield %d : vector<1xf32>
  }
  return
}

// -----

// K above 12: the K best of each lane live in memory, memref<K x D x lanes>,
// as heaps whose roots (the worst kept, the bar to pass) are also kept in
// registers. The lanes whose term passes are visited through the bits of
// the comparison (count trailing zeros, clear the lowest bit); each term
// replaces its heap's root and sifts down. The outputs are the heaps,
// heap-sorted and written from memory. Nothing grows with K but constants.
// The heaps hold order keys (integers of the values' width, whose unsigned
// order is the values'): an entry ranks before another by one comparison
// of keys, then one of indices.
// CHECK-LABEL: func.func @argkmin_lists(
// CHECK:         %[[KEYS:.*]] = memref.alloc() : memref<100x1x16xi32>
// CHECK:         %[[IDXS:.*]] = memref.alloc() : memref<100x1x16xi32>
// CHECK:         %[[SCRATCH:.*]] = memref.alloc() : memref<1x16xf32>
// CHECK:         scf.for {{.*}} -> (vector<1x16xf32>, vector<1x16xi32>, memref<100x1x16xi32>, memref<100x1x16xi32>, memref<1x16xf32>
// CHECK:           %[[ANY:.*]] = vector.reduction <or>, %{{.*}} : vector<16xi1> into i1
// CHECK:           scf.if %[[ANY]] -> (vector<1x16xf32>, vector<1x16xi32>)
// CHECK:             vector.transfer_write %{{.*}}, %{{.*}} : vector<1x16xf32>, memref<1x16xf32>
// CHECK:             %[[BITS:.*]] = vector.bitcast %{{.*}} : vector<16xi1> to vector<1xi16>
// CHECK:             scf.while
// CHECK:               math.cttz %{{.*}} : i16
// CHECK:               memref.load %{{.*}} : memref<1x16xf32>
// CHECK:               %[[TBITS:.*]] = arith.bitcast %{{.*}} : f32 to i32
// CHECK:               arith.xori %[[TBITS]]
// CHECK:               scf.while
// CHECK:                 %[[KA:.*]] = memref.load %{{.*}} : memref<100x1x16xi32>
// CHECK:                 %[[IA:.*]] = memref.load %{{.*}} : memref<100x1x16xi32>
// CHECK:                 %[[KC:.*]] = memref.load %{{.*}} : memref<100x1x16xi32>
// CHECK:                 %[[IC:.*]] = memref.load %{{.*}} : memref<100x1x16xi32>
// CHECK-DAG:             arith.cmpi ult, %[[KA]], %[[KC]] : i32
// CHECK-DAG:             arith.cmpi eq, %[[KA]], %[[KC]] : i32
// CHECK-DAG:             arith.cmpi ult, %[[IA]], %[[IC]] : i32
// CHECK:                 scf.condition
// CHECK:             vector.transfer_read %{{.*}}[%c0{{.*}}, %{{.*}}, %{{.*}}]
// CHECK:           } else {
// CHECK:         scf.while
// CHECK:         memref.store %{{.*}}, %{{.*}} : memref<?x100xi32>
// CHECK:         memref.dealloc
// CHECK-NOT:     vector<100
func.func @argkmin_lists(%x: memref<?x1xf32>, %y: memref<?x1xf32>, %o: memref<?x100xi32>) {
  keops.reduce argkmin k = 100 over j ins(%x : i memref<?x1xf32>, %y : j memref<?x1xf32>) outs(%o : memref<?x100xi32>) {
  ^bb0(%xi: vector<1xf32>, %yj: vector<1xf32>):
    %d = arith.subf %xi, %yj : vector<1xf32>
    keops.yield %d : vector<1xf32>
  }
  return
}

// -----

// logsumexp with a weight: a running maximum. While every lane's term is at
// most its maximum (f - m <= 0, false for NaN), exp(f - m) is added;
// otherwise one exponential per term, exp(-|f - m|), rescales either the
// term or the running sum.
// CHECK-LABEL: func.func @lse(
// CHECK:         %[[NEGINF:.*]] = arith.constant dense<0xFF800000> : vector<1x16xf32>
// CHECK:         scf.for {{.*}} iter_args(%[[M:[^ ]*]] = %[[NEGINF]], %[[S:[^ ]*]] = %{{.*}}) -> (vector<1x16xf32>, vector<2x16xf32>, vector<1x16xf32>, vector<2x16xf32>)
// CHECK:           %[[D0:.*]] = arith.subf %[[F:.*]], %[[M]]
// CHECK:           %[[BELOW:.*]] = arith.cmpf ole, %[[D0]], %{{.*}}
// CHECK:           %[[FLAT:.*]] = vector.shape_cast %[[BELOW]] : vector<1x16xi1> to vector<16xi1>
// CHECK:           %[[ALL:.*]] = vector.reduction <and>, %[[FLAT]]
// CHECK:           scf.if %[[ALL]]
// CHECK:             %[[E0:.*]] = math.exp %[[D0]]
// CHECK:             %[[EW:.*]] = vector.broadcast %[[E0]] : vector<1x16xf32> to vector<2x16xf32>
// CHECK:             %[[T:.*]] = arith.mulf %[[EW]], %{{.*}} : vector<2x16xf32>
// CHECK:             %[[S1:.*]] = arith.addf %[[S]], %[[T]]
// CHECK:             scf.yield %[[M]], %[[S1]]
// CHECK:           } else {
// CHECK:             %[[GT:.*]] = arith.cmpf ogt, %[[F]], %[[M]]
// CHECK:             %[[D:.*]] = arith.subf %[[F]], %[[M]]
// CHECK:             %[[A:.*]] = math.absf %[[D]]
// CHECK:             %[[NA:.*]] = arith.negf %[[A]]
// CHECK:             math.exp %[[NA]]
// CHECK:             arith.select %[[GT]], %[[F]], %[[M]]
// CHECK:             vector.broadcast %{{.*}} : vector<1x16xf32> to vector<2x16xf32>
// CHECK:         math.log
// CHECK:         vector.transfer_write {{.*}} : vector<2x16xf32>, memref<?x2xf32>
func.func @lse(%x: memref<?x1xf32>, %y: memref<?x2xf32>, %o: memref<?x2xf32>) {
  keops.reduce logsumexp over j ins(%x : i memref<?x1xf32>, %y : j memref<?x2xf32>) outs(%o : memref<?x2xf32>) {
  ^bb0(%xi: vector<1xf32>, %yj: vector<2xf32>):
    keops.yield %xi, %yj : vector<1xf32>, vector<2xf32>
  }
  return
}

// -----

// Formula ops of parameters run once, before the loop over rows; ops of the
// row variables once per block of rows, before the loop over j; the rest
// for every j.
// CHECK-LABEL: func.func @hoisted(
// CHECK:         %[[P:.*]] = vector.load %arg2
// CHECK:         %[[PB:.*]] = vector.broadcast
// CHECK:         %[[PE:.*]] = math.exp %[[PB]] : vector<1x16xf32>
// CHECK:         scf.for %{{.*}} step %c32 {
// CHECK:           %[[X:.*]] = vector.transfer_read %arg0
// CHECK:           %[[X2:.*]] = vector.transfer_read %arg0
// CHECK:           %[[SX:.*]] = math.sin %[[X]] : vector<1x16xf32>
// CHECK:           %[[XP:.*]] = arith.mulf %[[SX]], %[[PE]] : vector<1x16xf32>
// CHECK:           math.sin %[[X2]]
// CHECK:           arith.mulf
// CHECK-NOT:       math.sin
// CHECK:           scf.for
// CHECK-NOT:       math.exp
// CHECK-NOT:       math.sin
// CHECK:             scf.for
// CHECK-NOT:           math.exp
// CHECK-NOT:           math.sin
// CHECK:               arith.mulf %[[XP]], %{{.*}} : vector<1x16xf32>
// CHECK:             scf.yield
func.func @hoisted(%x: memref<?x1xf32>, %y: memref<?x1xf32>, %p: memref<1xf32>, %o: memref<?x1xf32>) {
  keops.reduce sum over j ins(%x : i memref<?x1xf32>, %y : j memref<?x1xf32>, %p : p memref<1xf32>) outs(%o : memref<?x1xf32>) {
  ^bb0(%xi: vector<1xf32>, %yj: vector<1xf32>, %pp: vector<1xf32>):
    %sx = math.sin %xi : vector<1xf32>
    %pe = math.exp %pp : vector<1xf32>
    %xp = arith.mulf %sx, %pe : vector<1xf32>
    %v = arith.mulf %xp, %yj : vector<1xf32>
    keops.yield %v : vector<1xf32>
  }
  return
}

// -----

// keops.select_index over j: the indices of a kept variable are read like
// float ones (vector<D x lanes x i32>), the reduced index j is cast to i32
// and broadcast, and the comparison selects v or +0.
// CHECK-LABEL: func.func @select_index(
// CHECK:         scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %c32 {
// CHECK:           %[[K:.*]] = vector.transfer_read %arg1[{{.*}}], %c0_i32 {{.*}} : memref<?x2xi32>, vector<2x16xi32>
// CHECK:           scf.for %[[J:[^ ]*]] = %{{.*}} to %{{.*}} step %c1 iter_args(
// CHECK:             %[[Y:.*]] = vector.broadcast %{{.*}} : vector<2x1xf32> to vector<2x16xf32>
// CHECK:             %[[JI:.*]] = arith.index_cast %[[J]] : index to i32
// CHECK:             %[[JB:.*]] = vector.broadcast %[[JI]] : i32 to vector<2x16xi32>
// CHECK:             %[[EQ:.*]] = arith.cmpi eq, %[[K]], %[[JB]] : vector<2x16xi32>
// CHECK:             %[[Z:.*]] = arith.constant dense<0.000000e+00> : vector<2x16xf32>
// CHECK:             %[[S:.*]] = arith.select %[[EQ]], %[[Y]], %[[Z]] : vector<2x16xi1>, vector<2x16xf32>
// CHECK:             arith.addf %{{.*}}, %[[S]] : vector<2x16xf32>
func.func @select_index(%y: memref<?x2xf32>, %idx: memref<?x2xi32>, %o: memref<?x2xf32>) {
  keops.reduce sum over j ins(%y : j memref<?x2xf32>, %idx : i memref<?x2xi32>) outs(%o : memref<?x2xf32>) {
  ^bb0(%yj: vector<2xf32>, %k: vector<2xi32>):
    %s = keops.select_index %k, %yj : vector<2xi32>, vector<2xf32>
    keops.yield %s : vector<2xf32>
  }
  return
}

// -----

// Over i with indices of the reduced (i) variable compared with the kept
// index j (`at j`): the i64 indices are loaded and broadcast like a reduced
// float variable, and the kept rows' indices are the row offset of the
// output view plus the block's first row plus the lane numbers.
// CHECK-LABEL: func.func @select_index_kept(
// CHECK:         %[[BUF:.*]], %[[OFF:.*]], %[[SIZES:.*]]:2, %[[STRIDES:.*]]:2 = memref.extract_strided_metadata %arg2
// CHECK:         %[[STRIDE:.*]] = arith.maxsi %[[STRIDES]]#0, %c1
// CHECK:         %[[BASE:.*]] = arith.divsi %[[OFF]], %[[STRIDE]]
// CHECK:         scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c32 {
// CHECK:           %[[START:.*]] = arith.addi %[[BASE]], %{{.*}} : index
// CHECK:           scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c1 iter_args(
// CHECK:             %[[K:.*]] = vector.load %arg1[{{.*}}] : memref<?x3xi64, strided<[3, 1], offset: ?>>, vector<3xi64>
// CHECK:             %[[KC:.*]] = vector.shape_cast %[[K]] : vector<3xi64> to vector<3x1xi64>
// CHECK:             %[[KB:.*]] = vector.broadcast %[[KC]] : vector<3x1xi64> to vector<3x16xi64>
// CHECK:             %[[IOTA:.*]] = arith.constant dense<[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]> : vector<16xi64>
// CHECK:             %[[S64:.*]] = arith.index_cast %[[START]] : index to i64
// CHECK:             %[[SB:.*]] = vector.broadcast %[[S64]] : i64 to vector<16xi64>
// CHECK:             %[[ROWS:.*]] = arith.addi %[[SB]], %[[IOTA]] : vector<16xi64>
// CHECK:             %[[RB:.*]] = vector.broadcast %[[ROWS]] : vector<16xi64> to vector<3x16xi64>
// CHECK:             %[[EQ:.*]] = arith.cmpi eq, %[[KB]], %[[RB]] : vector<3x16xi64>
// CHECK:             arith.select %[[EQ]], %{{.*}}, %{{.*}} : vector<3x16xi1>, vector<3x16xf32>
func.func @select_index_kept(%y: memref<?x3xf32>, %idx: memref<?x3xi64, strided<[3, 1], offset: ?>>, %o: memref<?x3xf32, strided<[3, 1], offset: ?>>) {
  keops.reduce sum over i ins(%y : j memref<?x3xf32>, %idx : i memref<?x3xi64, strided<[3, 1], offset: ?>>) outs(%o : memref<?x3xf32, strided<[3, 1], offset: ?>>) {
  ^bb0(%yj: vector<3xf32>, %k: vector<3xi64>):
    %s = keops.select_index %k, %yj at j : vector<3xi64>, vector<3xf32>
    keops.yield %s : vector<3xf32>
  }
  return
}

// -----

// An index variable that is a parameter is loaded once, like a float one.
// CHECK-LABEL: func.func @select_index_param(
// CHECK:         %[[P:.*]] = vector.load %arg1[%c0] : memref<2xi64>, vector<2xi64>
// CHECK:         scf.for
// CHECK:           scf.for %[[J:[^ ]*]] = %{{.*}} to %{{.*}} step %c1 iter_args(
// CHECK:             %[[JI:.*]] = arith.index_cast %[[J]] : index to i64
// CHECK:             arith.cmpi eq, %{{.*}}, %{{.*}} : vector<2x16xi64>
func.func @select_index_param(%y: memref<?x2xf32>, %p: memref<2xi64>, %x: memref<?x2xf32>, %o: memref<?x2xf32>) {
  keops.reduce sum over j ins(%y : j memref<?x2xf32>, %p : p memref<2xi64>, %x : i memref<?x2xf32>) outs(%o : memref<?x2xf32>) {
  ^bb0(%yj: vector<2xf32>, %k: vector<2xi64>, %xi: vector<2xf32>):
    %m = arith.mulf %xi, %yj : vector<2xf32>
    %s = keops.select_index %k, %m : vector<2xi64>, vector<2xf32>
    keops.yield %s : vector<2xf32>
  }
  return
}

// -----

// Block-sparse: every row first gets the empty reduction; then each block of
// ranges_i (rows clamped to this memref, from its offset) reduces its rows,
// as views, over its intervals of redranges_j [slices_i[k - 1], slices_i[k]),
// the states carried from one interval to the next.
// CHECK-LABEL: func.func @ranged(
// CHECK-SAME:    %[[X:[^:]*]]: memref<?x1xf32>, %[[Y:[^:]*]]: memref<?x1xf32>, %[[O:[^:]*]]: memref<?x1xf32>, %[[R:[^:]*]]: memref<?x2xi64>, %[[S:[^:]*]]: memref<?xi64>, %[[I:[^:]*]]: memref<?x2xi64>)
// CHECK:         scf.for
// CHECK:           vector.transfer_write %{{.*}}, %[[O]]
// CHECK:         %[[NB:.*]] = memref.dim %[[R]], %{{.*}} : memref<?x2xi64>
// CHECK:         scf.for %[[K:.*]] = %{{.*}} to %[[NB]] step %{{.*}} {
// CHECK:           memref.load %[[R]][%[[K]], %{{.*}}] : memref<?x2xi64>
// CHECK:           %[[FROM:.*]] = scf.if
// CHECK:             memref.load %[[S]][%{{.*}}] : memref<?xi64>
// CHECK:           memref.load %[[S]][%[[K]]] : memref<?xi64>
// CHECK:           scf.if
// CHECK:             %[[XV:.*]] = memref.subview %[[X]]
// CHECK:             %[[OV:.*]] = memref.subview %[[O]]
// CHECK:             scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c32{{.*}} {
// CHECK:               %{{.*}} = scf.for %[[SI:[^ ]*]] = %[[FROM]] to %{{.*}} step %c1 iter_args(
// CHECK:                 memref.load %[[I]][%[[SI]], %c1] : memref<?x2xi64>
// CHECK:                 memref.load %[[I]][%[[SI]], %c0] : memref<?x2xi64>
// CHECK:                 scf.for
// CHECK:                   vector.load %[[Y]]
// CHECK:               vector.transfer_write %{{.*}}, %[[OV]]
func.func @ranged(%x: memref<?x1xf32>, %y: memref<?x1xf32>, %o: memref<?x1xf32>,
                  %a: memref<?x2xi64>, %b: memref<?xi64>, %c: memref<?x2xi64>) {
  keops.reduce sum over j ins(%x : i memref<?x1xf32>, %y : j memref<?x1xf32>) outs(%o : memref<?x1xf32>)
      ranges(%a, %b, %c, %a, %b, %c : memref<?x2xi64>, memref<?xi64>, memref<?x2xi64>, memref<?x2xi64>, memref<?xi64>, memref<?x2xi64>) {
  ^bb0(%xi: vector<1xf32>, %yj: vector<1xf32>):
    %p = arith.mulf %xi, %yj : vector<1xf32>
    keops.yield %p : vector<1xf32>
  }
  return
}
