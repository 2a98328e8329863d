// RUN: keops-opt %s -keops-approximate-math | FileCheck %s
// RUN: keops-opt %s -keops-approximate-math=gpu=true | FileCheck %s --check-prefix=FAST
// RUN: keops-opt %s -keops-approximate-math=nvvm=true | FileCheck %s --check-prefix=NVVM

// f32 elementary functions become polynomials in arith ops (no libm call);
// f64 ones are left to LLVM.

// For the GPU: f32 exp becomes exp2 of a product by log2(e), marked
// reassoc (LLVM merges it with the product that computes the argument,
// see @scaled_exp), and exp2 and log are marked afn (the NVVM lowering gives
// the fast instructions); sin still becomes a polynomial, its products
// marked contract (FMAs); f64 is untouched.
// FAST-LABEL: func.func @f32(
// FAST:         %[[L2E:.*]] = arith.constant dense<1.44269502> : vector<3x16xf32>
// FAST:         %[[S:.*]] = arith.mulf %{{.*}}, %[[L2E]] fastmath<reassoc,contract> : vector<3x16xf32>
// FAST:         math.exp2 %[[S]] fastmath<afn> : vector<3x16xf32>
// FAST-NOT:     math.exp %
// FAST:         math.log %{{.*}} fastmath<afn> : vector<3x16xf32>
// FAST-NOT:     math.sin
// FAST:         arith.mulf %{{.*}}, %{{.*}} fastmath<contract> : vector<3x16xf32>
// FAST:         return
// FAST-LABEL: func.func @f64(
// FAST:         math.exp %{{.*}} : vector<8xf64>
// FAST-NOT:     fastmath
// FAST:         return

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

// The pass runs after the CPU loops are built, but a formula holding index
// variables and keops.select_index does not trouble it either.
// CHECK-LABEL: func.func @formula(
// CHECK:         keops.select_index %{{.*}}, %{{.*}} : vector<2xi32>, vector<2xf32>
func.func @formula(%y: tensor<?x2xf32>, %k: tensor<?x2xi32>, %o: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %r = keops.reduce sum over j ins(%y : j tensor<?x2xf32>, %k : i tensor<?x2xi32>) outs(%o : tensor<?x2xf32>) {
  ^bb0(%yj: vector<2xf32>, %ki: vector<2xi32>):
    %e = arith.mulf %yj, %yj : vector<2xf32>
    %s = keops.select_index %ki, %e : vector<2xi32>, vector<2xf32>
    keops.yield %s : vector<2xf32>
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}

// Sums over the feature axis: contract (their products fuse into FMAs) and
// nsz (no +0.0 start value); other reductions and f64 keep their flags.
// FAST-LABEL: func.func @feature_sums(
// FAST:         vector.reduction <add>, %{{.*}} fastmath<nsz,contract> : vector<3xf32> into f32
// FAST:         vector.reduction <maxnumf>, %{{.*}} : vector<3xf32> into f32
// FAST:         vector.reduction <add>, %{{.*}} : vector<3xf64> into f64
// CHECK-LABEL: func.func @feature_sums(
// CHECK:         vector.reduction <add>, %{{.*}} : vector<3xf32> into f32
func.func @feature_sums(%x: vector<3xf32>, %y: vector<3xf64>) -> (f32, f32, f64) {
  %s = vector.reduction <add>, %x : vector<3xf32> into f32
  %m = vector.reduction <maxnumf>, %x : vector<3xf32> into f32
  %d = vector.reduction <add>, %y : vector<3xf64> into f64
  return %s, %m, %d : f32, f32, f64
}

// The product that computes exp's argument is marked reassoc too, when exp
// is its only use: (d g) log2(e) may then become d (g log2(e)).
// FAST-LABEL: func.func @scaled_exp(
// FAST:         %[[A:.*]] = arith.mulf %{{.*}}, %{{.*}} fastmath<reassoc,contract> : vector<1xf32>
// FAST:         %[[S:.*]] = arith.mulf %[[A]], %{{.*}} fastmath<reassoc,contract> : vector<1xf32>
// FAST:         math.exp2 %[[S]] fastmath<afn>
// FAST:         %[[B:.*]] = arith.mulf %{{.*}}, %{{.*}} fastmath<contract> : vector<1xf32>
// FAST:         math.exp2 %{{.*}} fastmath<afn>
// FAST:         arith.addf %[[B]]
func.func @scaled_exp(%d: vector<1xf32>, %g: vector<1xf32>) -> vector<1xf32> {
  %a = arith.mulf %d, %g : vector<1xf32>
  %e = math.exp %a : vector<1xf32>
  %b = arith.mulf %g, %g : vector<1xf32>
  %f = math.exp %b : vector<1xf32>
  %s = arith.addf %e, %f : vector<1xf32>
  %t = arith.addf %b, %s : vector<1xf32>
  return %t : vector<1xf32>
}

// exp of an argument known to be <= 0 (keops.nonpositive, from the
// log-sum-exp accumulator): raised to -88, k = roundeven(x log2 e), r = x - k
// ln 2 in two FMAs, a degree-7 polynomial (7 FMAs, the last two with 1),
// times 2^k built from k's bits. No overflow path. The GPU keeps exp2.
// CHECK-LABEL: func.func @nonpositive(
// CHECK:         %[[LOW:.*]] = arith.constant dense<-8.800000e+01> : vector<16xf32>
// CHECK:         %[[LT:.*]] = arith.cmpf olt, %[[X:.*]], %[[LOW]]
// CHECK:         %[[C:.*]] = arith.select %[[LT]], %[[LOW]], %[[X]]
// CHECK:         %[[T:.*]] = arith.mulf %[[C]], %{{.*}}
// CHECK:         %[[K:.*]] = math.roundeven %[[T]]
// CHECK:         %[[R0:.*]] = math.fma %[[K]], %{{.*}}, %[[C]]
// CHECK:         %[[R:.*]] = math.fma %[[K]], %{{.*}}, %[[R0]]
// CHECK-COUNT-7: math.fma %{{.*}}, %[[R]], %{{.*}}
// CHECK:         %[[KI:.*]] = arith.fptosi %[[K]] : vector<16xf32> to vector<16xi32>
// CHECK:         %[[E:.*]] = arith.addi %[[KI]], %{{.*}} : vector<16xi32>
// CHECK:         %[[B:.*]] = arith.shli %[[E]], %{{.*}} : vector<16xi32>
// CHECK:         %[[S:.*]] = arith.bitcast %[[B]] : vector<16xi32> to vector<16xf32>
// CHECK:         arith.mulf %{{.*}}, %[[S]]
// CHECK-NOT:     math.exp
// CHECK:         return
// FAST-LABEL: func.func @nonpositive(
// FAST:         math.exp2
func.func @nonpositive(%x: vector<16xf32>) -> vector<16xf32> {
  %e = math.exp %x {keops.nonpositive} : vector<16xf32>
  return %e : vector<16xf32>
}

// GPU kernels flush f32 subnormals to zero under approximate math (the
// attribute the NVPTX backend reads); on the device, exp2 marked afn is
// NVVM's ex2.approx.ftz, one call per component; f64, and exp2 without afn,
// are left alone.
// FAST-LABEL: gpu.func @kernel(
// FAST-SAME:    denormal_fp_math_f32 = "preserve-sign"
// NVVM-LABEL: gpu.func @kernel(
// NVVM:         %[[A:.*]] = vector.extract %[[X:.*]][0] : f32 from vector<2xf32>
// NVVM:         %[[EA:.*]] = llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"(%[[A]]) : (f32) -> f32
// NVVM:         %[[B:.*]] = vector.extract %[[X]][1] : f32 from vector<2xf32>
// NVVM:         %[[EB:.*]] = llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"(%[[B]]) : (f32) -> f32
// NVVM:         vector.from_elements %[[EA]], %[[EB]] : vector<2xf32>
// NVVM:         math.exp2 %{{.*}} : vector<2xf32>
// NVVM:         math.exp2 %{{.*}} fastmath<afn> : vector<2xf64>
// NVVM-NOT:     llvm.call_intrinsic
// NVVM:         gpu.return
gpu.module @kernels {
  gpu.func @kernel(%x: vector<2xf32>, %y: vector<2xf64>) kernel {
    %a = math.exp2 %x fastmath<afn> : vector<2xf32>
    %b = math.exp2 %a : vector<2xf32>
    %c = math.exp2 %y fastmath<afn> : vector<2xf64>
    gpu.return
  }
}
