// RUN: keops-opt %s -split-input-file -convert-keops-to-scf="lanes=8 blocks=2 gram-columns=4" -canonicalize 2>&1 | FileCheck %s
// RUN: keops-opt %s -split-input-file -convert-keops-to-scf="lanes=8 blocks=2 gram-columns=0" -canonicalize 2>&1 | FileCheck %s --check-prefix=NOTILES

// Tiles of 16 rows (2 groups of 8 lanes) x 4 columns: the rows' x packed
// once per block of rows as 32 x 16, then for each tile of columns a loop
// over the feature axis with 4 broadcasts of y, 2 loads of packed rows and
// 8 FMAs, its entries stored for the pairs' loop that reads them.
// CHECK: remark: 1 keops.gram entry by tiles of 16 rows x 4 columns
// CHECK-LABEL: func.func @tiled
// CHECK: %[[PACKED:.+]] = memref.alloca() : memref<32x16xf32>
// CHECK: %[[TILE:.+]] = memref.alloca() : memref<4x16xf32>
// CHECK: scf.for %[[I0:.+]] = %{{.+}} to %{{.+}} step %c16
// CHECK: scf.for %[[K:.+]] = %c0 to %c32 step %c1
// CHECK: vector.transfer_read %arg0[%[[I0]], %[[K]]]
// CHECK: vector.store %{{.+}}, %[[PACKED]][%[[K]], %c0]
// CHECK: scf.for %[[J0:.+]] = %{{.+}} step %c4
// CHECK: %[[ACC:.+]]:8 = scf.for %[[K2:.+]] = %c0 to %c32 step %c1 iter_args
// CHECK-COUNT-2: vector.load %[[PACKED]][%[[K2]]
// CHECK: memref.load %arg1[%{{.+}}, %[[K2]]]
// CHECK: vector.broadcast %{{.+}} : f32 to vector<8xf32>
// CHECK-COUNT-2: vector.fma
// CHECK-COUNT-3: memref.load %arg1
// CHECK: scf.yield
// CHECK-COUNT-8: vector.store %[[ACC]]#{{[0-7]}}, %[[TILE]]
// CHECK: scf.for %[[J:.+]] = %[[J0]] to
// CHECK: %[[C:.+]] = arith.subi %[[J]], %[[J0]]
// CHECK: vector.load %[[TILE]][%[[C]], %c0]
// CHECK: vector.load %[[TILE]][%[[C]], %c8]
// NOTILES-LABEL: func.func @tiled
// NOTILES-NOT: memref.alloca
// NOTILES: vector.multi_reduction <add>, %{{.+}}, %{{.+}} [0] : vector<32x8xf32> to vector<8xf32>
func.func @tiled(%x: memref<?x32xf32>, %y: memref<?x32xf32>, %b: memref<?x1xf32>, %o: memref<?x1xf32>) {
  keops.reduce sum over j
      ins(%x : i memref<?x32xf32>, %y : j memref<?x32xf32>, %b : j memref<?x1xf32>)
      outs(%o : memref<?x1xf32>) {
  ^bb0(%xi: vector<32xf32>, %yj: vector<32xf32>, %bj: vector<1xf32>):
    %g = keops.gram %xi, %yj : vector<32xf32>
    %m = arith.mulf %g, %bj : vector<1xf32>
    keops.yield %m : vector<1xf32>
  }
  return
}

// -----

// A right operand that is no reduced variable stays a dot product of the
// widened operands; y_j * y_j, of the reduced side only, is computed once
// per j at its width and broadcast to the lanes.
// CHECK-LABEL: func.func @untiled
// CHECK-NOT: memref.alloca
// CHECK: %[[Y:.+]] = vector.load %arg1[%{{.+}}, %c0] : memref<?x32xf32>, vector<32xf32>
// CHECK: %[[YY:.+]] = arith.mulf %[[Y]], %[[Y]] : vector<32xf32>
// CHECK: %[[COL:.+]] = vector.shape_cast %[[YY]] : vector<32xf32> to vector<32x1xf32>
// CHECK: vector.broadcast %[[COL]] : vector<32x1xf32> to vector<32x8xf32>
// CHECK: vector.multi_reduction <add>
func.func @untiled(%x: memref<?x32xf32>, %y: memref<?x32xf32>, %o: memref<?x1xf32>) {
  keops.reduce sum over j
      ins(%x : i memref<?x32xf32>, %y : j memref<?x32xf32>)
      outs(%o : memref<?x1xf32>) {
  ^bb0(%xi: vector<32xf32>, %yj: vector<32xf32>):
    %yy = arith.mulf %yj, %yj : vector<32xf32>
    %g = keops.gram %xi, %yy : vector<32xf32>
    keops.yield %g : vector<1xf32>
  }
  return
}

// -----

// |x_i|^2, a feature sum of the kept side: computed row by row (one load of
// the row, a tree sum), stored in a buffer and read as lanes; x is never
// read as a 32 x 8 vector.
// CHECK-LABEL: func.func @row_values
// CHECK: %[[BUF:.+]] = memref.alloca() : memref<16xf32>
// CHECK-NOT: vector<32x8xf32>
// CHECK: scf.for %[[R:.+]] = %c0 to %c16 step %c1
// CHECK: %[[X:.+]] = vector.load %arg0[%{{.+}}, %c0] : memref<?x32xf32>, vector<32xf32>
// CHECK: %[[XX:.+]] = arith.mulf %[[X]], %[[X]] : vector<32xf32>
// CHECK: vector.reduction <add>, %[[XX]] fastmath<reassoc>
// CHECK: vector.store %{{.+}}, %[[BUF]][%[[R]]]
// CHECK: vector.load %[[BUF]][%c0] : memref<16xf32>, vector<8xf32>
// CHECK: vector.load %[[BUF]][%c8] : memref<16xf32>, vector<8xf32>
// CHECK-NOT: vector<32x8xf32>
// CHECK: return
func.func @row_values(%x: memref<?x32xf32>, %y: memref<?x32xf32>, %o: memref<?x1xf32>) {
  keops.reduce sum over j
      ins(%x : i memref<?x32xf32>, %y : j memref<?x32xf32>)
      outs(%o : memref<?x1xf32>) {
  ^bb0(%xi: vector<32xf32>, %yj: vector<32xf32>):
    %xx = arith.mulf %xi, %xi : vector<32xf32>
    %s = vector.reduction <add>, %xx : vector<32xf32> into f32
    %n = vector.broadcast %s : f32 to vector<1xf32>
    %g = keops.gram %xi, %yj : vector<32xf32>
    %r = arith.addf %n, %g : vector<1xf32>
    keops.yield %r : vector<1xf32>
  }
  return
}

// -----

// A sum of s_ij v_j with v a reduced variable of width 12: the tile's pairs
// store s, then a second product adds the tile's terms, 8 rows of the
// accumulators (and the last 4) in registers across the tile's columns.
// CHECK-LABEL: func.func @right_product
// CHECK: memref.alloca() : memref<4x16xf32>
// CHECK: %[[W:.+]] = memref.alloca() : memref<4x16xf32>
// CHECK: scf.for %[[J0:.+]] = %{{.+}} step %c4 iter_args(%[[A0:.+]] = %{{.+}}, %[[A1:.+]] = %{{.+}}) -> (vector<12x8xf32>, vector<12x8xf32>)
// CHECK: scf.for %[[J:.+]] = %[[J0]] to %{{.+}} step %c1 {
// CHECK: math.exp
// CHECK: vector.store %{{.+}}, %[[W]][%{{.+}}, %c0]
// CHECK: vector.store %{{.+}}, %[[W]][%{{.+}}, %c8]
// CHECK: vector.extract %[[A0]][0] : vector<8xf32> from vector<12x8xf32>
// CHECK: %[[R:.+]]:16 = scf.for %[[C:.+]] = %c0 to %{{.+}} step %c1
// CHECK: vector.load %[[W]][%[[C]], %c0]
// CHECK: vector.load %[[W]][%[[C]], %c8]
// CHECK-COUNT-16: vector.fma
// CHECK: %[[R2:.+]]:8 = scf.for
// CHECK-COUNT-8: vector.fma
// The 12 rows back into the state (inserts, folded by the canonicalizer).
// CHECK: vector.to_elements %[[R2]]#7
// CHECK: vector.from_elements {{.*}} : vector<12x8xf32>
func.func @right_product(%x: memref<?x32xf32>, %y: memref<?x32xf32>, %v: memref<?x12xf32>, %o: memref<?x12xf32>) {
  keops.reduce sum over j
      ins(%x : i memref<?x32xf32>, %y : j memref<?x32xf32>, %v : j memref<?x12xf32>)
      outs(%o : memref<?x12xf32>) {
  ^bb0(%xi: vector<32xf32>, %yj: vector<32xf32>, %vj: vector<12xf32>):
    %g = keops.gram %xi, %yj : vector<32xf32>
    %e = math.exp %g : vector<1xf32>
    %s = vector.broadcast %e : vector<1xf32> to vector<12xf32>
    %r = arith.mulf %s, %vj : vector<12xf32>
    keops.yield %r : vector<12xf32>
  }
  return
}

// -----

// The gradients' form 2 s_ij (x_i - y_j): the weights -2 s stored, their
// sum over the tile, x_i times minus it added to the accumulators, then
// the second product with y; no x_i - y_j is formed.
// CHECK-LABEL: func.func @gradient_form
// CHECK: %[[M2:.+]] = arith.constant dense<-2.000000e+00> : vector<8xf32>
// CHECK-NOT: arith.subf %{{.+}} : vector<32x8xf32>
// CHECK: arith.mulf %{{.+}}, %[[M2]] : vector<8xf32>
// CHECK: %[[S:.+]]:2 = scf.for
// CHECK: %[[N:.+]] = arith.negf %[[S]]#0 : vector<8xf32>
// CHECK: vector.fma %{{.+}}, %[[N]], %{{.+}} : vector<8xf32>
// CHECK: scf.for
// CHECK-COUNT-16: vector.fma
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
// weights 2 s (minus x_i's), x_i's components read from the tiles' packed
// rows (no D x lanes value of x_i), and the wide rows written through a
// buffer, row by row, instead of a transposed write.
// CHECK-LABEL: func.func @gradient_scaled
// CHECK: %[[M2:.+]] = arith.constant dense<-2.000000e+00> : vector<8xf32>
// CHECK: %[[BUF:.+]] = memref.alloca() : memref<32x8xf32>
// CHECK-NOT: arith.subf %{{.+}} : vector<32x8xf32>
// CHECK-NOT: vector.transfer_read %arg0{{.*}} vector<32x8xf32>
// CHECK: arith.mulf %{{.+}}, %[[M2]] : vector<8xf32>
// CHECK: %[[S:.+]]:2 = scf.for
// CHECK: %[[N:.+]] = arith.negf %[[S]]#0 : vector<8xf32>
// CHECK: %[[XK:.+]] = vector.load %{{.+}} : memref<32x16xf32>, vector<8xf32>
// CHECK: vector.fma %[[XK]], %[[N]], %{{.+}} : vector<8xf32>
// CHECK-NOT: arith.subf %{{.+}} : vector<32x8xf32>
// CHECK: vector.store %{{.+}}, %[[BUF]]
// CHECK: scf.for
// CHECK: vector.transfer_read %[[BUF]]
// CHECK: vector.store %{{.+}}, %arg2
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
