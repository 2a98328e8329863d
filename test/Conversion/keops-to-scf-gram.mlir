// RUN: keops-opt %s -split-input-file -convert-keops-to-scf="lanes=8 blocks=2 gram-columns=4 few-rows=0" -canonicalize 2>&1 | FileCheck %s
// RUN: keops-opt %s -split-input-file -convert-keops-to-scf="lanes=8 blocks=2 gram-columns=0 few-rows=0" -canonicalize 2>&1 | FileCheck %s --check-prefix=NOTILES

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
