// RUN: keops-opt %s -keops-approximate-math | FileCheck %s

// f32 elementary functions become polynomials in arith ops (no libm call);
// f64 ones are left to LLVM.

// CHECK-LABEL: func.func @f32(
// CHECK-NOT:     math.exp
// CHECK-NOT:     math.log
// CHECK-NOT:     math.sin
// CHECK:         math.fma
// CHECK:         return
func.func @f32(%x: vector<3x16xf32>) -> (vector<3x16xf32>, vector<3x16xf32>, vector<3x16xf32>) {
  %e = math.exp %x : vector<3x16xf32>
  %l = math.log %x : vector<3x16xf32>
  %s = math.sin %x : vector<3x16xf32>
  return %e, %l, %s : vector<3x16xf32>, vector<3x16xf32>, vector<3x16xf32>
}

// CHECK-LABEL: func.func @f64(
// CHECK:         math.exp %{{.*}} : vector<8xf64>
func.func @f64(%x: vector<8xf64>) -> vector<8xf64> {
  %e = math.exp %x : vector<8xf64>
  return %e : vector<8xf64>
}
