// RUN: keops-opt %s -split-input-file -convert-keops-to-scf="lanes=8 blocks=2 gram-columns=4" -canonicalize 2>&1 | FileCheck %s
// RUN: keops-opt %s -split-input-file -convert-keops-to-scf="lanes=8 blocks=2 gram-columns=4 accumulation=plain" -canonicalize 2>&1 | FileCheck %s --check-prefix=PLAIN
// RUN: keops-opt %s -split-input-file -convert-keops-to-scf="lanes=8 blocks=2 gram-columns=0" -canonicalize 2>&1 | FileCheck %s --check-prefix=NOTILES

// A sum of s_ij v_j with v a reduced variable of width 10: the sums in
// memory (10 x 16, rows x lanes), zeroed for each block of rows; tiles of
// 32 reduced indices, each of 8 Gram tiles of 4, whose pairs store s; then
// the tile's terms added as a matrix product, 4 rows of the sums (the Gram
// tile's width) in registers across the tile's columns, in a loop over the
// rows, and the last 2 rows; the sums written row by row at the end.
// CHECK: remark: sums of s_ij v_j (10 columns) by products of tiles of 16 rows x 32 reduced indices
// CHECK-LABEL: func.func @right_product
// CHECK-DAG: %[[W:.+]] = memref.alloca() : memref<32x16xf32>
// CHECK-DAG: %[[SUMS:.+]] = memref.alloc() {alignment = 64 : i64} : memref<10x16xf32>
// CHECK: scf.for %[[I0:.+]] = %c0 to %{{.+}} step %c16 {
// CHECK: scf.for %[[E:.+]] = %c0 to %c10 step %c1 {
// CHECK-NEXT: vector.store %{{.+}}, %[[SUMS]][%[[E]], %c0]
// CHECK-NEXT: vector.store %{{.+}}, %[[SUMS]][%[[E]], %c8]
// CHECK: scf.for %[[J0:.+]] = %c0 to %{{.+}} step %c32 {
// CHECK: scf.for %[[S0:.+]] = %[[J0]] to %{{.+}} step %c4 {
// CHECK: scf.for %{{.+}} = %c0 to %c32 step %c1 iter_args
// CHECK: scf.for %[[J:.+]] = %[[S0]] to
// CHECK: %[[C:.+]] = arith.subi %[[J]], %[[J0]]
// CHECK: math.exp
// CHECK: vector.store %{{.+}}, %[[W]][%[[C]], %c0]
// CHECK: math.exp
// CHECK: vector.store %{{.+}}, %[[W]][%[[C]], %c8]
// CHECK: scf.for %[[E0:.+]] = %c0 to %c8 step %c4 {
// CHECK: %[[R:.+]]:8 = scf.for %[[CC:.+]] = %c0 to %{{.+}} step %c1 iter_args(%{{.+}} = %cst{{.*}}) -> (vector<8xf32>
// CHECK: vector.load %[[W]][%[[CC]], %c0]
// CHECK: vector.load %[[W]][%[[CC]], %c8]
// CHECK: memref.load %arg2[%{{.+}}, %[[E0]]]
// CHECK-COUNT-8: vector.fma
// Block sums: the tile's terms summed from zero, then added to the sums.
// CHECK: %[[OLD:.+]] = vector.load %[[SUMS]][%[[E0]], %c0]
// CHECK: %[[NEW:.+]] = arith.addf %[[OLD]], %[[R]]#0
// CHECK: vector.store %[[NEW]], %[[SUMS]][%[[E0]], %c0]
// CHECK: %[[T:.+]]:4 = scf.for
// CHECK: memref.load %arg2[%{{.+}}, %c8]
// CHECK-COUNT-2: vector.fma
// CHECK: memref.load %arg2[%{{.+}}, %c9]
// CHECK-COUNT-2: vector.fma
// CHECK: vector.store %{{.+}}, %[[SUMS]][%c9, %c8]
// CHECK: scf.for %[[L:.+]] = %c0 to %{{.+}} step %c1 {
// CHECK: %[[ROW:.+]] = arith.addi %[[I0]], %[[L]]
// CHECK: scf.for %[[E2:.+]] = %c0 to %c10 step %c1 {
// CHECK: %[[V:.+]] = memref.load %[[SUMS]][%[[E2]], %[[L]]]
// CHECK: memref.store %[[V]], %arg3[%[[ROW]], %[[E2]]]
// CHECK: memref.dealloc %[[SUMS]]
// CHECK-NEXT: return
// Plain sums: the registers start from the sums.
// PLAIN-LABEL: func.func @right_product
// PLAIN: scf.for %[[E0:.+]] = %c0 to %c8 step %c4 {
// PLAIN: %[[OLD:.+]] = vector.load %[[SUMS:.+]][%[[E0]], %c0]
// PLAIN: %[[R:.+]]:8 = scf.for %{{.+}} iter_args(%{{.+}} = %[[OLD]],
// PLAIN: vector.store %[[R]]#0, %[[SUMS]][%[[E0]], %c0]
// No tiles: the term-by-term fold of 10 x 8 accumulators.
// NOTILES-LABEL: func.func @right_product
// NOTILES-NOT: memref.alloc
// NOTILES: arith.addf %{{.+}} : vector<10x8xf32>
func.func @right_product(%x: memref<?x32xf32>, %y: memref<?x32xf32>, %v: memref<?x10xf32>, %o: memref<?x10xf32>) {
  keops.reduce sum over j
      ins(%x : i memref<?x32xf32>, %y : j memref<?x32xf32>, %v : j memref<?x10xf32>)
      outs(%o : memref<?x10xf32>) {
  ^bb0(%xi: vector<32xf32>, %yj: vector<32xf32>, %vj: vector<10xf32>):
    %g = keops.gram %xi, %yj : vector<32xf32>
    %e = math.exp %g : vector<1xf32>
    %s = vector.broadcast %e : vector<1xf32> to vector<10xf32>
    %r = arith.mulf %s, %vj : vector<10xf32>
    keops.yield %r : vector<10xf32>
  }
  return
}

// -----

// Without Gram entries (a short feature axis) the same product: the pairs
// of a tile of 32 reduced indices compute s = exp(-|x_i - y_j|^2) and store
// it; no 16 x 8 accumulator is formed.
// CHECK-LABEL: func.func @short_features
// CHECK-DAG: %[[W:.+]] = memref.alloca() : memref<32x16xf32>
// CHECK-DAG: %[[SUMS:.+]] = memref.alloc() {alignment = 64 : i64} : memref<16x16xf32>
// CHECK-NOT: vector<16x8xf32>
// CHECK: scf.for %[[J0:.+]] = %c0 to %{{.+}} step %c32 {
// CHECK: scf.for %[[J:.+]] = %[[J0]] to
// CHECK: math.exp
// CHECK: vector.store %{{.+}}, %[[W]]
// CHECK: scf.for %{{.+}} = %c0 to %c16 step %c4 {
// CHECK-COUNT-8: vector.fma
// CHECK-NOT: vector<16x8xf32>
// CHECK: return
func.func @short_features(%x: memref<?x3xf32>, %y: memref<?x3xf32>, %v: memref<?x16xf32>, %o: memref<?x16xf32>) {
  keops.reduce sum over j
      ins(%x : i memref<?x3xf32>, %y : j memref<?x3xf32>, %v : j memref<?x16xf32>)
      outs(%o : memref<?x16xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %vj: vector<16xf32>):
    %df = arith.subf %xi, %yj : vector<3xf32>
    %sq = arith.mulf %df, %df : vector<3xf32>
    %sum = vector.reduction <add>, %sq : vector<3xf32> into f32
    %d = vector.broadcast %sum : f32 to vector<1xf32>
    %n = arith.negf %d : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %s = vector.broadcast %e : vector<1xf32> to vector<16xf32>
    %r = arith.mulf %s, %vj : vector<16xf32>
    keops.yield %r : vector<16xf32>
  }
  return
}

// -----

// The gradients' form 2 s_ij (x_i - y_j): the weights -2 s stored, their
// sum over the tile, x_i (from the tiles' packed rows) times minus it
// added to each chunk of rows before the second product with y; no
// x_i - y_j is formed.
// CHECK-LABEL: func.func @gradient_form
// CHECK: %[[M2:.+]] = arith.constant dense<-2.000000e+00> : vector<8xf32>
// CHECK: %[[XR:.+]] = vector.transfer_read %arg0
// CHECK: vector.store %[[XR]], %[[PACKED:[a-z_0-9%]+]][%{{.+}}, %c0] : memref<32x16xf32>
// CHECK-NOT: arith.subf %{{.+}} : vector<32x8xf32>
// CHECK: arith.mulf %{{.+}}, %[[M2]] : vector<8xf32>
// CHECK: %[[S:.+]]:2 = scf.for
// CHECK: %[[N:.+]] = arith.negf %[[S]]#0 : vector<8xf32>
// CHECK: scf.for %[[E0:.+]] = %c0 to %c32 step %c4 {
// CHECK: %[[XK:.+]] = vector.load %[[PACKED]][%[[E0]], %c0] : memref<32x16xf32>, vector<8xf32>
// CHECK: vector.fma %[[XK]], %[[N]], %{{.+}} : vector<8xf32>
// CHECK: scf.for
// CHECK-COUNT-8: vector.fma
// CHECK-NOT: arith.subf %{{.+}} : vector<32x8xf32>
// CHECK: return
func.func @gradient_form(%x: memref<?x32xf32>, %y: memref<?x32xf32>, %o: memref<?x32xf32>) {
  keops.reduce sum over j
      ins(%x : i memref<?x32xf32>, %y : j memref<?x32xf32>)
      outs(%o : memref<?x32xf32>) {
  ^bb0(%xi: vector<32xf32>, %yj: vector<32xf32>):
    %g = keops.gram %xi, %yj : vector<32xf32>
    %e = math.exp %g : vector<1xf32>
    %d = arith.subf %xi, %yj : vector<32xf32>
    %s = vector.broadcast %e : vector<1xf32> to vector<32xf32>
    %t = arith.mulf %d, %s : vector<32xf32>
    %r = arith.addf %t, %t : vector<32xf32>
    keops.yield %r : vector<32xf32>
  }
  return
}

// -----

// The same with 2 t written t * 2.0 (as keops-differentiate writes it):
// weights 2 s (minus x_i's).
// CHECK-LABEL: func.func @gradient_scaled
// CHECK: %[[M2:.+]] = arith.constant dense<-2.000000e+00> : vector<8xf32>
// CHECK-NOT: vector.transfer_read %arg0{{.*}} vector<32x8xf32>
// CHECK: arith.mulf %{{.+}}, %[[M2]] : vector<8xf32>
// CHECK: return
func.func @gradient_scaled(%x: memref<?x32xf32>, %y: memref<?x32xf32>, %o: memref<?x32xf32>) {
  keops.reduce sum over j
      ins(%x : i memref<?x32xf32>, %y : j memref<?x32xf32>)
      outs(%o : memref<?x32xf32>) {
  ^bb0(%xi: vector<32xf32>, %yj: vector<32xf32>):
    %two = arith.constant dense<2.0> : vector<32xf32>
    %g = keops.gram %xi, %yj : vector<32xf32>
    %e = math.exp %g : vector<1xf32>
    %d = arith.subf %xi, %yj : vector<32xf32>
    %s = vector.broadcast %e : vector<1xf32> to vector<32xf32>
    %t = arith.mulf %d, %s : vector<32xf32>
    %r = arith.mulf %t, %two : vector<32xf32>
    keops.yield %r : vector<32xf32>
  }
  return
}

// -----

// y_j - x_i with x_i no Gram operand (a short feature axis): x_i's rows
// packed from its memory for each block of rows (8 x 16), weights +2 s.
// CHECK-LABEL: func.func @gradient_short
// CHECK-DAG: %[[P2:.+]] = arith.constant dense<2.000000e+00> : vector<8xf32>
// CHECK: scf.for %[[K:.+]] = %c0 to %c8 step %c1 {
// CHECK: vector.transfer_read %arg0[%{{.+}}, %[[K]]]
// CHECK: vector.store %{{.+}}, %[[X:[a-z_0-9%]+]][%[[K]], %c0] : memref<8x16xf32>
// CHECK: arith.mulf %{{.+}}, %[[P2]] : vector<8xf32>
// CHECK: vector.load %[[X]]
// CHECK: memref.dealloc %[[X]]
func.func @gradient_short(%x: memref<?x8xf32>, %y: memref<?x8xf32>, %o: memref<?x8xf32>) {
  keops.reduce sum over j
      ins(%x : i memref<?x8xf32>, %y : j memref<?x8xf32>)
      outs(%o : memref<?x8xf32>) {
  ^bb0(%xi: vector<8xf32>, %yj: vector<8xf32>):
    %df = arith.subf %xi, %yj : vector<8xf32>
    %sq = arith.mulf %df, %df : vector<8xf32>
    %sum = vector.reduction <add>, %sq : vector<8xf32> into f32
    %dd = vector.broadcast %sum : f32 to vector<1xf32>
    %n = arith.negf %dd : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %d = arith.subf %yj, %xi : vector<8xf32>
    %s = vector.broadcast %e : vector<1xf32> to vector<8xf32>
    %t = arith.mulf %d, %s : vector<8xf32>
    %r = arith.addf %t, %t : vector<8xf32>
    keops.yield %r : vector<8xf32>
  }
  return
}

// -----

// A softmax-weighted sum (attention): the pairs store the terms f (here a
// Gram entry); per tile, the running maximum M updated from the tile's
// (maxnumf: NaN terms ignored), the sums so far and the weights' sum
// rescaled by exp(m - M) (1 where m = M), the terms replaced by their
// weights exp(f - M) (with no overflow path: f - M <= 0), then the product;
// at the end the sums divided by the weights' sum.
// CHECK-LABEL: func.func @attention
// CHECK-DAG: %[[NEGINF:.+]] = arith.constant dense<0xFF800000> : vector<8xf32>
// CHECK-DAG: %[[MAX:.+]] = memref.alloca() : memref<1x16xf32>
// CHECK-DAG: %[[TOTAL:.+]] = memref.alloca() : memref<1x16xf32>
// CHECK: vector.store %[[NEGINF]], %[[MAX]][%c0, %c0]
// CHECK: scf.for %[[J0:.+]] = %c0 to %{{.+}} step %c32 {
// CHECK: %[[TM:.+]]:2 = scf.for
// CHECK: arith.maxnumf
// CHECK: %[[M:.+]] = vector.load %[[MAX]][%c0, %c0]
// CHECK: %[[TOP:.+]] = arith.maxnumf %[[M]], %[[TM]]#0
// CHECK: vector.store %[[TOP]], %[[MAX]][%c0, %c0]
// CHECK: %[[SAME:.+]] = arith.cmpf oeq, %[[M]], %[[TOP]]
// CHECK: %[[D:.+]] = arith.subf %[[M]], %[[TOP]]
// CHECK: %[[E:.+]] = math.exp %[[D]] {keops.nonpositive}
// CHECK: %[[SCALE:.+]] = arith.select %[[SAME]], %{{.+}}, %[[E]]
// CHECK: math.exp %{{.+}} {keops.nonpositive}
// CHECK: scf.for %[[E0:.+]] = %c0 to %c8 step %c4 {
// CHECK: %[[OLD:.+]] = vector.load %{{.+}}[%[[E0]], %c0] : memref<10x16xf32>
// CHECK: arith.mulf %[[OLD]], %[[SCALE]]
// CHECK-COUNT-8: vector.fma
// CHECK: arith.divf
// CHECK: return
func.func @attention(%q: memref<?x32xf32>, %k: memref<?x32xf32>, %v: memref<?x10xf32>, %o: memref<?x10xf32>) {
  keops.reduce sumsoftmaxweight over j
      ins(%q : i memref<?x32xf32>, %k : j memref<?x32xf32>, %v : j memref<?x10xf32>)
      outs(%o : memref<?x10xf32>) {
  ^bb0(%qi: vector<32xf32>, %kj: vector<32xf32>, %vj: vector<10xf32>):
    %g = keops.gram %qi, %kj : vector<32xf32>
    keops.yield %g, %vj : vector<1xf32>, vector<10xf32>
  }
  return
}
