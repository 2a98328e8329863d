// RUN: keops-opt %s -canonicalize -split-input-file | FileCheck %s

// Folds and canonicalization patterns of the keops ops (KeopsFolds.cpp,
// KeopsCanonicalize.td), with the cases that must not fire because they would
// change a result for NaN, infinities or signed zeros, and what upstream arith
// does with the same expressions inside a formula.

// sign(x) on [-2, -0, 0, 3, NaN, -inf, inf, 0.5]: -1, 0, 0, 1, NaN, -1, 1, 1.
// CHECK-LABEL: func.func @fold_sign_constant(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[-1.000000e+00, 0.000000e+00, 0.000000e+00, 1.000000e+00, 0x7FC00000, -1.000000e+00, 1.000000e+00, 1.000000e+00]> : vector<8xf32>
// CHECK-NOT: keops.sign
// CHECK: keops.yield %[[C]] : vector<8xf32>
func.func @fold_sign_constant(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x8xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[-2.0, -0.0, 0.0, 3.0, 0x7FC00000, 0xFF800000, 0x7F800000, 0.5]> : vector<8xf32>
    %0 = keops.sign %c : vector<8xf32>
    keops.yield %0 : vector<8xf32>
  } -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

// step(x): 0 for x < 0, 1 for x >= 0 (-0 included), NaN for NaN.
// CHECK-LABEL: func.func @fold_step_constant(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[0.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 0x7FC00000, 0.000000e+00, 1.000000e+00, 1.000000e+00]> : vector<8xf32>
// CHECK-NOT: keops.step
// CHECK: keops.yield %[[C]] : vector<8xf32>
func.func @fold_step_constant(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x8xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[-2.0, -0.0, 0.0, 3.0, 0x7FC00000, 0xFF800000, 0x7F800000, 0.5]> : vector<8xf32>
    %0 = keops.step %c : vector<8xf32>
    keops.yield %0 : vector<8xf32>
  } -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

// relu(x): 0 for x < 0, x otherwise: -0 stays -0, NaN stays NaN.
// CHECK-LABEL: func.func @fold_relu_constant(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[0.000000e+00, -0.000000e+00, 0.000000e+00, 3.000000e+00, 0x7FC00000, 0.000000e+00, 0x7F800000, 5.000000e-01]> : vector<8xf32>
// CHECK-NOT: keops.relu
// CHECK: keops.yield %[[C]] : vector<8xf32>
func.func @fold_relu_constant(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x8xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[-2.0, -0.0, 0.0, 3.0, 0x7FC00000, 0xFF800000, 0x7F800000, 0.5]> : vector<8xf32>
    %0 = keops.relu %c : vector<8xf32>
    keops.yield %0 : vector<8xf32>
  } -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

// xlogx(x): NaN for x < 0 (either sign of NaN), 0 at +-0, inf at inf.
// CHECK-LABEL: func.func @fold_xlogx_constant(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[{{0x[7F]FC00000}}, 0.000000e+00, 0.000000e+00, 3.29583693, 0x7FC00000, {{0x[7F]FC00000}}, 0x7F800000, -0.346573591]> : vector<8xf32>
// CHECK-NOT: keops.xlogx
// CHECK: keops.yield %[[C]] : vector<8xf32>
func.func @fold_xlogx_constant(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x8xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[-2.0, -0.0, 0.0, 3.0, 0x7FC00000, 0xFF800000, 0x7F800000, 0.5]> : vector<8xf32>
    %0 = keops.xlogx %c : vector<8xf32>
    keops.yield %0 : vector<8xf32>
  } -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

// sinxdivx(x): 1 at +-0, sin(x)/x elsewhere, NaN at NaN and +-inf.
// CHECK-LABEL: func.func @fold_sinxdivx_constant(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[0.454648703, 1.000000e+00, 1.000000e+00, 0.0470400043, 0x7FC00000, {{0x[7F]FC00000}}, {{0x[7F]FC00000}}, 0.958851099]> : vector<8xf32>
// CHECK-NOT: keops.sinxdivx
// CHECK: keops.yield %[[C]] : vector<8xf32>
func.func @fold_sinxdivx_constant(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x8xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[-2.0, -0.0, 0.0, 3.0, 0x7FC00000, 0xFF800000, 0x7F800000, 0.5]> : vector<8xf32>
    %0 = keops.sinxdivx %c : vector<8xf32>
    keops.yield %0 : vector<8xf32>
  } -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @fold_sign_f16(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf16>, %[[B:[a-z0-9_]+]]: vector<3xf16>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[-1.000000e+00, 0x7E00, 0.000000e+00, 1.000000e+00]> : vector<4xf16>
// CHECK-NEXT: keops.yield %[[C]] : vector<4xf16>
func.func @fold_sign_f16(%x: tensor<?x3xf16>, %y: tensor<?x3xf16>, %o: tensor<?x4xf16>) -> tensor<?x4xf16> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf16>, %y : j tensor<?x3xf16>) outs(%o : tensor<?x4xf16>) {
  ^bb0(%a: vector<3xf16>, %b: vector<3xf16>):
    %c = arith.constant dense<[-2.0, 0x7E00, 0.0, 7.0]> : vector<4xf16>
    %0 = keops.sign %c : vector<4xf16>
    keops.yield %0 : vector<4xf16>
  } -> tensor<?x4xf16>
  return %r : tensor<?x4xf16>
}

// -----

// CHECK-LABEL: func.func @fold_step_f64(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf64>, %[[B:[a-z0-9_]+]]: vector<3xf64>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[0.000000e+00, 0x7FF8000000000000, 1.000000e+00, 1.000000e+00]> : vector<4xf64>
// CHECK-NEXT: keops.yield %[[C]] : vector<4xf64>
func.func @fold_step_f64(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %o: tensor<?x4xf64>) -> tensor<?x4xf64> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>) outs(%o : tensor<?x4xf64>) {
  ^bb0(%a: vector<3xf64>, %b: vector<3xf64>):
    %c = arith.constant dense<[-2.0, 0x7FF8000000000000, -0.0, 7.0]> : vector<4xf64>
    %0 = keops.step %c : vector<4xf64>
    keops.yield %0 : vector<4xf64>
  } -> tensor<?x4xf64>
  return %r : tensor<?x4xf64>
}

// -----

// CHECK-LABEL: func.func @fold_xlogx_f64(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf64>, %[[B:[a-z0-9_]+]]: vector<3xf64>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[1.3862943611198906, -0.34657359027997264]> : vector<2xf64>
// CHECK-NEXT: keops.yield %[[C]] : vector<2xf64>
func.func @fold_xlogx_f64(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %o: tensor<?x2xf64>) -> tensor<?x2xf64> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>) outs(%o : tensor<?x2xf64>) {
  ^bb0(%a: vector<3xf64>, %b: vector<3xf64>):
    %c = arith.constant dense<[2.0, 0.5]> : vector<2xf64>
    %0 = keops.xlogx %c : vector<2xf64>
    keops.yield %0 : vector<2xf64>
  } -> tensor<?x2xf64>
  return %r : tensor<?x2xf64>
}

// -----

// CHECK-LABEL: func.func @fold_powi_3(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[-8.000000e+00, -0.000000e+00, 0.000000e+00, 2.700000e+01, 0x7FC00000, 0xFF800000, 0x7F800000, 1.250000e-01]> : vector<8xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<8xf32>
func.func @fold_powi_3(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x8xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[-2.0, -0.0, 0.0, 3.0, 0x7FC00000, 0xFF800000, 0x7F800000, 0.5]> : vector<8xf32>
    %0 = keops.powi %c, 3 : vector<8xf32>
    keops.yield %0 : vector<8xf32>
  } -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

// x^-1 = 1/x: -inf at -0, +inf at +0, -0 at -inf.
// CHECK-LABEL: func.func @fold_powi_minus_1(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[-5.000000e-01, 0xFF800000, 0x7F800000, 0.333333343, 0x7FC00000, -0.000000e+00, 0.000000e+00, 2.000000e+00]> : vector<8xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<8xf32>
func.func @fold_powi_minus_1(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x8xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[-2.0, -0.0, 0.0, 3.0, 0x7FC00000, 0xFF800000, 0x7F800000, 0.5]> : vector<8xf32>
    %0 = keops.powi %c, -1 : vector<8xf32>
    keops.yield %0 : vector<8xf32>
  } -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @fold_powi_minus_2(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[2.500000e-01, 0x7F800000, 0x7F800000, 0.111111112, 0x7FC00000, 0.000000e+00, 0.000000e+00, 4.000000e+00]> : vector<8xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<8xf32>
func.func @fold_powi_minus_2(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x8xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[-2.0, -0.0, 0.0, 3.0, 0x7FC00000, 0xFF800000, 0x7F800000, 0.5]> : vector<8xf32>
    %0 = keops.powi %c, -2 : vector<8xf32>
    keops.yield %0 : vector<8xf32>
  } -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

// pown(x, 0) = 1 for every x, NaN and inf included (IEEE 754 pown): folds
// even for a non-constant x.
// CHECK-LABEL: func.func @fold_powi_0_variable(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<1.000000e+00> : vector<3xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<3xf32>
func.func @fold_powi_0_variable(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %0 = keops.powi %a, 0 : vector<3xf32>
    keops.yield %0 : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// CHECK-LABEL: func.func @fold_powi_0_nan(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<1.000000e+00> : vector<8xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<8xf32>
func.func @fold_powi_0_nan(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x8xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[-2.0, -0.0, 0.0, 3.0, 0x7FC00000, 0xFF800000, 0x7F800000, 0.5]> : vector<8xf32>
    %0 = keops.powi %c, 0 : vector<8xf32>
    keops.yield %0 : vector<8xf32>
  } -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @fold_powi_1(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: keops.yield %[[A]] : vector<3xf32>
func.func @fold_powi_1(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %0 = keops.powi %a, 1 : vector<3xf32>
    keops.yield %0 : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// CHECK-LABEL: func.func @no_fold_powi_2_variable(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[P:.+]] = keops.powi %[[A]], 2 : vector<3xf32>
// CHECK-NEXT: keops.yield %[[P]] : vector<3xf32>
func.func @no_fold_powi_2_variable(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %0 = keops.powi %a, 2 : vector<3xf32>
    keops.yield %0 : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// Folds build no constant of more than 65536 components (the bound on formula
// values): powi x, 0 of a vector<65537> stays, at 65536 it folds.
// CHECK-LABEL: func.func @no_fold_powi_0_too_large(
// CHECK-SAME: %[[X:[a-z0-9_]+]]: vector<65537xf32>
// CHECK-NEXT: %[[P:.+]] = keops.powi %[[X]], 0 : vector<65537xf32>
// CHECK-NEXT: return %[[P]] : vector<65537xf32>
func.func @no_fold_powi_0_too_large(%x: vector<65537xf32>) -> vector<65537xf32> {
  %0 = keops.powi %x, 0 : vector<65537xf32>
  return %0 : vector<65537xf32>
}

// -----

// CHECK-LABEL: func.func @fold_powi_0_65536(
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<1.000000e+00> : vector<65536xf32>
// CHECK-NEXT: return %[[C]] : vector<65536xf32>
func.func @fold_powi_0_65536(%x: vector<65536xf32>) -> vector<65536xf32> {
  %0 = keops.powi %x, 0 : vector<65536xf32>
  return %0 : vector<65536xf32>
}

// -----

// A constant operand of 65537 components is not folded either.
// CHECK-LABEL: func.func @no_fold_sign_too_large(
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<-2.000000e+00> : vector<65537xf64>
// CHECK-NEXT: %[[S:.+]] = keops.sign %[[C]] : vector<65537xf64>
// CHECK-NEXT: %[[P:.+]] = keops.powi %[[C]], 0 : vector<65537xf64>
// CHECK-NEXT: return %[[S]], %[[P]] : vector<65537xf64>, vector<65537xf64>
func.func @no_fold_sign_too_large() -> (vector<65537xf64>, vector<65537xf64>) {
  %c = arith.constant dense<-2.0> : vector<65537xf64>
  %0 = keops.sign %c : vector<65537xf64>
  %1 = keops.powi %c, 0 : vector<65537xf64>
  return %0, %1 : vector<65537xf64>, vector<65537xf64>
}

// -----

// CHECK-LABEL: func.func @fold_sign_65536(
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<-1.000000e+00> : vector<65536xf64>
// CHECK-NEXT: return %[[C]] : vector<65536xf64>
func.func @fold_sign_65536() -> vector<65536xf64> {
  %c = arith.constant dense<-2.0> : vector<65536xf64>
  %0 = keops.sign %c : vector<65536xf64>
  return %0 : vector<65536xf64>
}

// -----

// Halves round away from 0; NaN and -0 are kept.
// CHECK-LABEL: func.func @fold_round_0(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[3.000000e+00, -3.000000e+00, 1.000000e+00, 1.000000e+00, 0x7FC00000, -0.000000e+00]> : vector<6xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<6xf32>
func.func @fold_round_0(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x6xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[2.5, -2.5, 0.5, 1.25, 0x7FC00000, -0.0]> : vector<6xf32>
    %0 = keops.round %c, 0 : vector<6xf32>
    keops.yield %0 : vector<6xf32>
  } -> tensor<?x6xf32>
  return %r : tensor<?x6xf32>
}

// -----

// CHECK-LABEL: func.func @fold_round_1(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[2.500000e+00, -2.500000e+00, 5.000000e-01, 1.300000e+00, 0x7FC00000, -0.000000e+00]> : vector<6xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<6xf32>
func.func @fold_round_1(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x6xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[2.5, -2.5, 0.5, 1.25, 0x7FC00000, -0.0]> : vector<6xf32>
    %0 = keops.round %c, 1 : vector<6xf32>
    keops.yield %0 : vector<6xf32>
  } -> tensor<?x6xf32>
  return %r : tensor<?x6xf32>
}

// -----

// CHECK-LABEL: func.func @fold_round_2_f64(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf64>, %[[B:[a-z0-9_]+]]: vector<3xf64>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[3.140000e+00, -2.720000e+00, 0x7FF0000000000000]> : vector<3xf64>
// CHECK-NEXT: keops.yield %[[C]] : vector<3xf64>
func.func @fold_round_2_f64(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %o: tensor<?x3xf64>) -> tensor<?x3xf64> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>) outs(%o : tensor<?x3xf64>) {
  ^bb0(%a: vector<3xf64>, %b: vector<3xf64>):
    %c = arith.constant dense<[3.14159, -2.71828, 0x7FF0000000000000]> : vector<3xf64>
    %0 = keops.round %c, 2 : vector<3xf64>
    keops.yield %0 : vector<3xf64>
  } -> tensor<?x3xf64>
  return %r : tensor<?x3xf64>
}

// -----

// A negative decimals count rounds to tens, hundreds, ...: x / 10^-d rounded
// (halves away from 0), times 10^-d. The sign of a zero result is x's.
// CHECK-LABEL: func.func @fold_round_minus_1_f64(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf64>, %[[B:[a-z0-9_]+]]: vector<3xf64>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[3.000000e+01, -3.000000e+01, 1.234600e+05, 0.000000e+00, -0.000000e+00, 0.000000e+00, -0.000000e+00, 2.000000e+01]> : vector<8xf64>
// CHECK-NOT: keops.round
// CHECK: keops.yield %[[C]] : vector<8xf64>
func.func @fold_round_minus_1_f64(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %o: tensor<?x8xf64>) -> tensor<?x8xf64> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>) outs(%o : tensor<?x8xf64>) {
  ^bb0(%a: vector<3xf64>, %b: vector<3xf64>):
    %c = arith.constant dense<[25.0, -25.0, 123456.0, 4.0, -4.0, 0.0, -0.0, 15.0]> : vector<8xf64>
    %0 = keops.round %c, -1 : vector<8xf64>
    keops.yield %0 : vector<8xf64>
  } -> tensor<?x8xf64>
  return %r : tensor<?x8xf64>
}

// -----

// round(123456, -5) is exactly 1e5 (123456 / 1e5 = 1.23456 rounds to 1; 1 *
// 1e5 is exact), not 99999.99999999999 as round(x * 1e-5) / 1e-5 gives. NaN
// and -inf are unchanged.
// CHECK-LABEL: func.func @fold_round_minus_5_f64(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf64>, %[[B:[a-z0-9_]+]]: vector<3xf64>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[1.000000e+05, -2.000000e+05, 1.000000e+05, 0.000000e+00, 0x7FF8000000000000, 0xFFF0000000000000]> : vector<6xf64>
// CHECK-NOT: keops.round
// CHECK: keops.yield %[[C]] : vector<6xf64>
func.func @fold_round_minus_5_f64(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %o: tensor<?x6xf64>) -> tensor<?x6xf64> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>) outs(%o : tensor<?x6xf64>) {
  ^bb0(%a: vector<3xf64>, %b: vector<3xf64>):
    %c = arith.constant dense<[123456.0, -150000.0, 149999.0, 25.0, 0x7FF8000000000000, 0xFFF0000000000000]> : vector<6xf64>
    %0 = keops.round %c, -5 : vector<6xf64>
    keops.yield %0 : vector<6xf64>
  } -> tensor<?x6xf64>
  return %r : tensor<?x6xf64>
}

// -----

// CHECK-LABEL: func.func @fold_round_minus_2_f32(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[3.000000e+02, -1.200000e+03, 0.000000e+00, 0x7FC00000, 0x7F800000, 0xFF800000]> : vector<6xf32>
// CHECK-NOT: keops.round
// CHECK: keops.yield %[[C]] : vector<6xf32>
func.func @fold_round_minus_2_f32(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x6xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[250.0, -1249.0, 49.0, 0x7FC00000, 0x7F800000, 0xFF800000]> : vector<6xf32>
    %0 = keops.round %c, -2 : vector<6xf32>
    keops.yield %0 : vector<6xf32>
  } -> tensor<?x6xf32>
  return %r : tensor<?x6xf32>
}

// -----

// The largest power of ten below the f64 range.
// CHECK-LABEL: func.func @fold_round_minus_308(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf64>, %[[B:[a-z0-9_]+]]: vector<3xf64>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[1.000000e+308, 0.000000e+00, -1.000000e+308, 0.000000e+00]> : vector<4xf64>
// CHECK-NOT: keops.round
// CHECK: keops.yield %[[C]] : vector<4xf64>
func.func @fold_round_minus_308(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %o: tensor<?x4xf64>) -> tensor<?x4xf64> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>) outs(%o : tensor<?x4xf64>) {
  ^bb0(%a: vector<3xf64>, %b: vector<3xf64>):
    %c = arith.constant dense<[1.2e308, 4.0e307, -6.0e307, 2.5]> : vector<4xf64>
    %0 = keops.round %c, -308 : vector<4xf64>
    keops.yield %0 : vector<4xf64>
  } -> tensor<?x4xf64>
  return %r : tensor<?x4xf64>
}

// -----

// Rounding to a power of ten beyond the f64 range gives a zero of x's sign;
// inf and NaN are unchanged.
// CHECK-LABEL: func.func @fold_round_minus_400(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf64>, %[[B:[a-z0-9_]+]]: vector<3xf64>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[0.000000e+00, -0.000000e+00, 0.000000e+00, -0.000000e+00, 0x7FF0000000000000, 0x7FF8000000000000]> : vector<6xf64>
// CHECK-NOT: keops.round
// CHECK: keops.yield %[[C]] : vector<6xf64>
func.func @fold_round_minus_400(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %o: tensor<?x6xf64>) -> tensor<?x6xf64> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>) outs(%o : tensor<?x6xf64>) {
  ^bb0(%a: vector<3xf64>, %b: vector<3xf64>):
    %c = arith.constant dense<[1.0e300, -1.0e300, 2.5, -0.0, 0x7FF0000000000000, 0x7FF8000000000000]> : vector<6xf64>
    %0 = keops.round %c, -400 : vector<6xf64>
    keops.yield %0 : vector<6xf64>
  } -> tensor<?x6xf64>
  return %r : tensor<?x6xf64>
}

// -----

// More decimals than a double holds (10^400 is inf) leave x unchanged, the
// smallest subnormal included.
// CHECK-LABEL: func.func @fold_round_400(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf64>, %[[B:[a-z0-9_]+]]: vector<3xf64>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[3.141590e+00, -2.500000e+00, 1.000000e+300, 4.940660e-324, -0.000000e+00, 0x7FF8000000000000]> : vector<6xf64>
// CHECK-NOT: keops.round
// CHECK: keops.yield %[[C]] : vector<6xf64>
func.func @fold_round_400(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %o: tensor<?x6xf64>) -> tensor<?x6xf64> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>) outs(%o : tensor<?x6xf64>) {
  ^bb0(%a: vector<3xf64>, %b: vector<3xf64>):
    %c = arith.constant dense<[3.14159, -2.5, 1.0e300, 4.9406564584124654e-324, -0.0, 0x7FF8000000000000]> : vector<6xf64>
    %0 = keops.round %c, 400 : vector<6xf64>
    keops.yield %0 : vector<6xf64>
  } -> tensor<?x6xf64>
  return %r : tensor<?x6xf64>
}

// -----

// x * 10^20 overflows for 1e300 and the largest double: x is unchanged (it
// has no digits that far after the point), inf and NaN too.
// CHECK-LABEL: func.func @fold_round_20_large(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf64>, %[[B:[a-z0-9_]+]]: vector<3xf64>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[1.000000e+300, -1.000000e+300, 1.7976931348623157E+308, 2.500000e+00, 0x7FF0000000000000, 0x7FF8000000000000]> : vector<6xf64>
// CHECK-NOT: keops.round
// CHECK: keops.yield %[[C]] : vector<6xf64>
func.func @fold_round_20_large(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %o: tensor<?x6xf64>) -> tensor<?x6xf64> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>) outs(%o : tensor<?x6xf64>) {
  ^bb0(%a: vector<3xf64>, %b: vector<3xf64>):
    %c = arith.constant dense<[1.0e300, -1.0e300, 1.7976931348623157e308, 2.5, 0x7FF0000000000000, 0x7FF8000000000000]> : vector<6xf64>
    %0 = keops.round %c, 20 : vector<6xf64>
    keops.yield %0 : vector<6xf64>
  } -> tensor<?x6xf64>
  return %r : tensor<?x6xf64>
}

// -----

// f32 values fold in double and round once: unchanged.
// CHECK-LABEL: func.func @fold_round_20_f32(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[1.000000e+30, 3.40282347E+38, 1.000000e-01, -0.000000e+00]> : vector<4xf32>
// CHECK-NOT: keops.round
// CHECK: keops.yield %[[C]] : vector<4xf32>
func.func @fold_round_20_f32(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x4xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[1.0e30, 3.4028234663852886e38, 0.1, -0.0]> : vector<4xf32>
    %0 = keops.round %c, 20 : vector<4xf32>
    keops.yield %0 : vector<4xf32>
  } -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @no_fold_round_variable(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[R:.+]] = keops.round %[[A]], 2 : vector<3xf32>
// CHECK-NEXT: keops.yield %[[R]] : vector<3xf32>
func.func @no_fold_round_variable(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %0 = keops.round %a, 2 : vector<3xf32>
    keops.yield %0 : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// lhs [1, 2, NaN, 3, NaN, -0], rhs [2, 2, 1, NaN, NaN, 0]: ordered comparisons are
// false on NaN, ne is true; -0 == 0.
// CHECK-LABEL: func.func @fold_cmp_lt(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[1.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00]> : vector<6xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<6xf32>
func.func @fold_cmp_lt(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x6xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %l = arith.constant dense<[1.0, 2.0, 0x7FC00000, 3.0, 0x7FC00000, -0.0]> : vector<6xf32>
    %r = arith.constant dense<[2.0, 2.0, 1.0, 0x7FC00000, 0x7FC00000, 0.0]> : vector<6xf32>
    %0 = keops.cmp lt, %l, %r : vector<6xf32>
    keops.yield %0 : vector<6xf32>
  } -> tensor<?x6xf32>
  return %r : tensor<?x6xf32>
}

// -----

// CHECK-LABEL: func.func @fold_cmp_le(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[1.000000e+00, 1.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 1.000000e+00]> : vector<6xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<6xf32>
func.func @fold_cmp_le(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x6xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %l = arith.constant dense<[1.0, 2.0, 0x7FC00000, 3.0, 0x7FC00000, -0.0]> : vector<6xf32>
    %r = arith.constant dense<[2.0, 2.0, 1.0, 0x7FC00000, 0x7FC00000, 0.0]> : vector<6xf32>
    %0 = keops.cmp le, %l, %r : vector<6xf32>
    keops.yield %0 : vector<6xf32>
  } -> tensor<?x6xf32>
  return %r : tensor<?x6xf32>
}

// -----

// CHECK-LABEL: func.func @fold_cmp_gt(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<0.000000e+00> : vector<6xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<6xf32>
func.func @fold_cmp_gt(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x6xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %l = arith.constant dense<[1.0, 2.0, 0x7FC00000, 3.0, 0x7FC00000, -0.0]> : vector<6xf32>
    %r = arith.constant dense<[2.0, 2.0, 1.0, 0x7FC00000, 0x7FC00000, 0.0]> : vector<6xf32>
    %0 = keops.cmp gt, %l, %r : vector<6xf32>
    keops.yield %0 : vector<6xf32>
  } -> tensor<?x6xf32>
  return %r : tensor<?x6xf32>
}

// -----

// CHECK-LABEL: func.func @fold_cmp_ge(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[0.000000e+00, 1.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 1.000000e+00]> : vector<6xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<6xf32>
func.func @fold_cmp_ge(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x6xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %l = arith.constant dense<[1.0, 2.0, 0x7FC00000, 3.0, 0x7FC00000, -0.0]> : vector<6xf32>
    %r = arith.constant dense<[2.0, 2.0, 1.0, 0x7FC00000, 0x7FC00000, 0.0]> : vector<6xf32>
    %0 = keops.cmp ge, %l, %r : vector<6xf32>
    keops.yield %0 : vector<6xf32>
  } -> tensor<?x6xf32>
  return %r : tensor<?x6xf32>
}

// -----

// CHECK-LABEL: func.func @fold_cmp_eq(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[0.000000e+00, 1.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 1.000000e+00]> : vector<6xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<6xf32>
func.func @fold_cmp_eq(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x6xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %l = arith.constant dense<[1.0, 2.0, 0x7FC00000, 3.0, 0x7FC00000, -0.0]> : vector<6xf32>
    %r = arith.constant dense<[2.0, 2.0, 1.0, 0x7FC00000, 0x7FC00000, 0.0]> : vector<6xf32>
    %0 = keops.cmp eq, %l, %r : vector<6xf32>
    keops.yield %0 : vector<6xf32>
  } -> tensor<?x6xf32>
  return %r : tensor<?x6xf32>
}

// -----

// CHECK-LABEL: func.func @fold_cmp_ne(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[1.000000e+00, 0.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 0.000000e+00]> : vector<6xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<6xf32>
func.func @fold_cmp_ne(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x6xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %l = arith.constant dense<[1.0, 2.0, 0x7FC00000, 3.0, 0x7FC00000, -0.0]> : vector<6xf32>
    %r = arith.constant dense<[2.0, 2.0, 1.0, 0x7FC00000, 0x7FC00000, 0.0]> : vector<6xf32>
    %0 = keops.cmp ne, %l, %r : vector<6xf32>
    keops.yield %0 : vector<6xf32>
  } -> tensor<?x6xf32>
  return %r : tensor<?x6xf32>
}

// -----

// cmp lt, x, x is 0 for every x (NaN included) but only constant operands fold.
// CHECK-LABEL: func.func @no_fold_cmp_variable(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[R:.+]] = keops.cmp lt, %[[A]], %[[A]] : vector<3xf32>
// CHECK-NEXT: keops.yield %[[R]] : vector<3xf32>
func.func @no_fold_cmp_variable(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %0 = keops.cmp lt, %a, %a : vector<3xf32>
    keops.yield %0 : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// one_hot(x, 4): 1 at round(x) (halves away from 0), all zeros when round(x)
// is out of [0, 4) or x is NaN.
// CHECK-LABEL: func.func @fold_one_hot_2(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[0.000000e+00, 0.000000e+00, 1.000000e+00, 0.000000e+00]> : vector<4xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<4xf32>
func.func @fold_one_hot_2(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x4xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<2.0> : vector<1xf32>
    %0 = keops.one_hot %c, 4 : vector<1xf32>
    keops.yield %0 : vector<4xf32>
  } -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @fold_one_hot_2_5(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[0.000000e+00, 0.000000e+00, 0.000000e+00, 1.000000e+00]> : vector<4xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<4xf32>
func.func @fold_one_hot_2_5(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x4xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<2.5> : vector<1xf32>
    %0 = keops.one_hot %c, 4 : vector<1xf32>
    keops.yield %0 : vector<4xf32>
  } -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @fold_one_hot_minus_0_4(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[1.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00]> : vector<4xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<4xf32>
func.func @fold_one_hot_minus_0_4(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x4xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<-0.4> : vector<1xf32>
    %0 = keops.one_hot %c, 4 : vector<1xf32>
    keops.yield %0 : vector<4xf32>
  } -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @fold_one_hot_minus_0_6(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<0.000000e+00> : vector<4xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<4xf32>
func.func @fold_one_hot_minus_0_6(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x4xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<-0.6> : vector<1xf32>
    %0 = keops.one_hot %c, 4 : vector<1xf32>
    keops.yield %0 : vector<4xf32>
  } -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @fold_one_hot_out_of_range(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<0.000000e+00> : vector<4xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<4xf32>
func.func @fold_one_hot_out_of_range(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x4xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<4.0> : vector<1xf32>
    %0 = keops.one_hot %c, 4 : vector<1xf32>
    keops.yield %0 : vector<4xf32>
  } -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @fold_one_hot_nan(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<0.000000e+00> : vector<4xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<4xf32>
func.func @fold_one_hot_nan(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x4xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<0x7FC00000> : vector<1xf32>
    %0 = keops.one_hot %c, 4 : vector<1xf32>
    keops.yield %0 : vector<4xf32>
  } -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @fold_one_hot_inf(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<0.000000e+00> : vector<4xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<4xf32>
func.func @fold_one_hot_inf(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x4xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<0x7F800000> : vector<1xf32>
    %0 = keops.one_hot %c, 4 : vector<1xf32>
    keops.yield %0 : vector<4xf32>
  } -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @fold_ifelse_same_branches(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: keops.yield %[[A]] : vector<3xf32>
func.func @fold_ifelse_same_branches(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %0 = keops.ifelse %b, %a, %a : vector<3xf32>
    keops.yield %0 : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// -0 >= 0: selects a.
// CHECK-LABEL: func.func @fold_ifelse_nonnegative_condition(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: keops.yield %[[A]] : vector<3xf32>
func.func @fold_ifelse_nonnegative_condition(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[0.0, -0.0, 5.0]> : vector<3xf32>
    %0 = keops.ifelse %c, %a, %b : vector<3xf32>
    keops.yield %0 : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// A NaN condition selects b.
// CHECK-LABEL: func.func @fold_ifelse_nan_condition(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: keops.yield %[[B]] : vector<3xf32>
func.func @fold_ifelse_nan_condition(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<0x7FC00000> : vector<3xf32>
    %0 = keops.ifelse %c, %a, %b : vector<3xf32>
    keops.yield %0 : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// CHECK-LABEL: func.func @fold_ifelse_negative_condition(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: keops.yield %[[B]] : vector<3xf32>
func.func @fold_ifelse_negative_condition(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[-1.0, 0xFF800000, 0x7FC00000]> : vector<3xf32>
    %0 = keops.ifelse %c, %a, %b : vector<3xf32>
    keops.yield %0 : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// CHECK-LABEL: func.func @fold_ifelse_mixed_constants(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[4.000000e+00, 2.000000e+00, 6.000000e+00]> : vector<3xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<3xf32>
func.func @fold_ifelse_mixed_constants(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[-1.0, 1.0, 0x7FC00000]> : vector<3xf32>
    %p = arith.constant dense<[1.0, 2.0, 3.0]> : vector<3xf32>
    %q = arith.constant dense<[4.0, 5.0, 6.0]> : vector<3xf32>
    %0 = keops.ifelse %c, %p, %q : vector<3xf32>
    keops.yield %0 : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// CHECK-LABEL: func.func @no_fold_ifelse_mixed_condition(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[-1.000000e+00, 1.000000e+00, 0x7FC00000]> : vector<3xf32>
// CHECK-NEXT: %[[R:.+]] = keops.ifelse %[[C]], %[[A]], %[[B]] : vector<3xf32>
// CHECK-NEXT: keops.yield %[[R]] : vector<3xf32>
func.func @no_fold_ifelse_mixed_condition(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[-1.0, 1.0, 0x7FC00000]> : vector<3xf32>
    %0 = keops.ifelse %c, %a, %b : vector<3xf32>
    keops.yield %0 : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// CHECK-LABEL: func.func @fold_sum_of_scalar(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[S:.+]] = keops.dot %[[A]], %[[B]] : vector<3xf32>
// CHECK-NOT: keops.sum
// CHECK-NEXT: keops.yield %[[S]] : vector<1xf32>
func.func @fold_sum_of_scalar(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %s = keops.dot %a, %b : vector<3xf32>
    %0 = keops.sum %s : vector<1xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @fold_max_of_scalar(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[S:.+]] = keops.dot %[[A]], %[[B]] : vector<3xf32>
// CHECK-NOT: keops.max
// CHECK-NEXT: keops.yield %[[S]] : vector<1xf32>
func.func @fold_max_of_scalar(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %s = keops.dot %a, %b : vector<3xf32>
    %0 = keops.max %s : vector<1xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @fold_min_of_scalar(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[S:.+]] = keops.dot %[[A]], %[[B]] : vector<3xf32>
// CHECK-NOT: keops.min
// CHECK-NEXT: keops.yield %[[S]] : vector<1xf32>
func.func @fold_min_of_scalar(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %s = keops.dot %a, %b : vector<3xf32>
    %0 = keops.min %s : vector<1xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @fold_argmax_of_scalar(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<0.000000e+00> : vector<1xf32>
// CHECK-NOT: keops.
// CHECK: keops.yield %[[C]] : vector<1xf32>
func.func @fold_argmax_of_scalar(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %s = keops.dot %a, %b : vector<3xf32>
    %0 = keops.argmax %s : vector<1xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @fold_argmin_of_scalar(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<0.000000e+00> : vector<1xf32>
// CHECK-NOT: keops.
// CHECK: keops.yield %[[C]] : vector<1xf32>
func.func @fold_argmin_of_scalar(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %s = keops.dot %a, %b : vector<3xf32>
    %0 = keops.argmin %s : vector<1xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @fold_sum_constant_ties(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<7.000000e+00> : vector<1xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<1xf32>
func.func @fold_sum_constant_ties(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[3.0, -1.0, 3.0, 2.0]> : vector<4xf32>
    %0 = keops.sum %c : vector<4xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @fold_max_constant_ties(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<3.000000e+00> : vector<1xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<1xf32>
func.func @fold_max_constant_ties(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[3.0, -1.0, 3.0, 2.0]> : vector<4xf32>
    %0 = keops.max %c : vector<4xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @fold_min_constant_ties(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<-1.000000e+00> : vector<1xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<1xf32>
func.func @fold_min_constant_ties(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[3.0, -1.0, 3.0, 2.0]> : vector<4xf32>
    %0 = keops.min %c : vector<4xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// The first position wins ties.
// CHECK-LABEL: func.func @fold_argmax_constant_ties(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<0.000000e+00> : vector<1xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<1xf32>
func.func @fold_argmax_constant_ties(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[3.0, -1.0, 3.0, 2.0]> : vector<4xf32>
    %0 = keops.argmax %c : vector<4xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @fold_argmin_constant_ties(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<1.000000e+00> : vector<1xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<1xf32>
func.func @fold_argmin_constant_ties(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[3.0, -1.0, 3.0, 2.0]> : vector<4xf32>
    %0 = keops.argmin %c : vector<4xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @fold_sqnorm2_constant_ties(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<2.300000e+01> : vector<1xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<1xf32>
func.func @fold_sqnorm2_constant_ties(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[3.0, -1.0, 3.0, 2.0]> : vector<4xf32>
    %0 = keops.sqnorm2 %c : vector<4xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @fold_norm2_constant_ties(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<4.79583168> : vector<1xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<1xf32>
func.func @fold_norm2_constant_ties(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[3.0, -1.0, 3.0, 2.0]> : vector<4xf32>
    %0 = keops.norm2 %c : vector<4xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @fold_sum_constant_nan(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<0x7FC00000> : vector<1xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<1xf32>
func.func @fold_sum_constant_nan(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[1.0, 0x7FC00000, 5.0, 0x7FC00000]> : vector<4xf32>
    %0 = keops.sum %c : vector<4xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// max/min propagate NaN; argmax/argmin return the first NaN's position.
// CHECK-LABEL: func.func @fold_max_constant_nan(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<0x7FC00000> : vector<1xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<1xf32>
func.func @fold_max_constant_nan(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[1.0, 0x7FC00000, 5.0, 0x7FC00000]> : vector<4xf32>
    %0 = keops.max %c : vector<4xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @fold_min_constant_nan(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<0x7FC00000> : vector<1xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<1xf32>
func.func @fold_min_constant_nan(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[1.0, 0x7FC00000, 5.0, 0x7FC00000]> : vector<4xf32>
    %0 = keops.min %c : vector<4xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @fold_argmax_constant_nan(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<1.000000e+00> : vector<1xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<1xf32>
func.func @fold_argmax_constant_nan(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[1.0, 0x7FC00000, 5.0, 0x7FC00000]> : vector<4xf32>
    %0 = keops.argmax %c : vector<4xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @fold_argmin_constant_nan(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<1.000000e+00> : vector<1xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<1xf32>
func.func @fold_argmin_constant_nan(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[1.0, 0x7FC00000, 5.0, 0x7FC00000]> : vector<4xf32>
    %0 = keops.argmin %c : vector<4xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @fold_sqnorm2_constant_nan(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<0x7FC00000> : vector<1xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<1xf32>
func.func @fold_sqnorm2_constant_nan(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[1.0, 0x7FC00000, 5.0, 0x7FC00000]> : vector<4xf32>
    %0 = keops.sqnorm2 %c : vector<4xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @fold_norm2_constant_nan(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<0x7FC00000> : vector<1xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<1xf32>
func.func @fold_norm2_constant_nan(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[1.0, 0x7FC00000, 5.0, 0x7FC00000]> : vector<4xf32>
    %0 = keops.norm2 %c : vector<4xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @fold_sum_constant_inf(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<{{0x[7F]FC00000}}> : vector<1xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<1xf32>
func.func @fold_sum_constant_inf(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[0xFF800000, 0x7F800000, 1.0, 2.0]> : vector<4xf32>
    %0 = keops.sum %c : vector<4xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @fold_max_constant_inf(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<0x7F800000> : vector<1xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<1xf32>
func.func @fold_max_constant_inf(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[0xFF800000, 0x7F800000, 1.0, 2.0]> : vector<4xf32>
    %0 = keops.max %c : vector<4xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @fold_min_constant_inf(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<0xFF800000> : vector<1xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<1xf32>
func.func @fold_min_constant_inf(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[0xFF800000, 0x7F800000, 1.0, 2.0]> : vector<4xf32>
    %0 = keops.min %c : vector<4xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @fold_argmax_constant_inf(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<1.000000e+00> : vector<1xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<1xf32>
func.func @fold_argmax_constant_inf(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[0xFF800000, 0x7F800000, 1.0, 2.0]> : vector<4xf32>
    %0 = keops.argmax %c : vector<4xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @fold_argmin_constant_inf(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<0.000000e+00> : vector<1xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<1xf32>
func.func @fold_argmin_constant_inf(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[0xFF800000, 0x7F800000, 1.0, 2.0]> : vector<4xf32>
    %0 = keops.argmin %c : vector<4xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @fold_sqnorm2_constant_inf(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<0x7F800000> : vector<1xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<1xf32>
func.func @fold_sqnorm2_constant_inf(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[0xFF800000, 0x7F800000, 1.0, 2.0]> : vector<4xf32>
    %0 = keops.sqnorm2 %c : vector<4xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @fold_norm2_constant_inf(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<0x7F800000> : vector<1xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<1xf32>
func.func @fold_norm2_constant_inf(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[0xFF800000, 0x7F800000, 1.0, 2.0]> : vector<4xf32>
    %0 = keops.norm2 %c : vector<4xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @fold_norm2_constant_pythagoras(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<5.000000e+00> : vector<1xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<1xf32>
func.func @fold_norm2_constant_pythagoras(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[3.0, 4.0, 0.0, 0.0]> : vector<4xf32>
    %0 = keops.norm2 %c : vector<4xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @fold_argmin_constant_pythagoras(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<2.000000e+00> : vector<1xf32>
// CHECK-NEXT: keops.yield %[[C]] : vector<1xf32>
func.func @fold_argmin_constant_pythagoras(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[3.0, 4.0, 0.0, 0.0]> : vector<4xf32>
    %0 = keops.argmin %c : vector<4xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// 300^2 + 300^2 = 180000 overflows f16 to +inf.
// CHECK-LABEL: func.func @fold_sqnorm2_f16_overflow(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf16>, %[[B:[a-z0-9_]+]]: vector<3xf16>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<0x7C00> : vector<1xf16>
// CHECK-NEXT: keops.yield %[[C]] : vector<1xf16>
func.func @fold_sqnorm2_f16_overflow(%x: tensor<?x3xf16>, %y: tensor<?x3xf16>, %o: tensor<?x1xf16>) -> tensor<?x1xf16> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf16>, %y : j tensor<?x3xf16>) outs(%o : tensor<?x1xf16>) {
  ^bb0(%a: vector<3xf16>, %b: vector<3xf16>):
    %c = arith.constant dense<[300.0, 300.0]> : vector<2xf16>
    %0 = keops.sqnorm2 %c : vector<2xf16>
    keops.yield %0 : vector<1xf16>
  } -> tensor<?x1xf16>
  return %r : tensor<?x1xf16>
}

// -----

// norm2 of a 1-D value is not rewritten into |x|: x * x may overflow where |x|
// does not.
// CHECK-LABEL: func.func @no_fold_norm2_of_scalar(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[S:.+]] = keops.dot %[[A]], %[[B]] : vector<3xf32>
// CHECK-NEXT: %[[N:.+]] = keops.norm2 %[[S]] : vector<1xf32>
// CHECK-NOT: math.absf
// CHECK-NEXT: keops.yield %[[N]] : vector<1xf32>
func.func @no_fold_norm2_of_scalar(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %s = keops.dot %a, %b : vector<3xf32>
    %0 = keops.norm2 %s : vector<1xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @no_fold_sqnorm2_of_scalar(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[S:.+]] = keops.dot %[[A]], %[[B]] : vector<3xf32>
// CHECK-NEXT: %[[N:.+]] = keops.sqnorm2 %[[S]] : vector<1xf32>
// CHECK-NEXT: keops.yield %[[N]] : vector<1xf32>
func.func @no_fold_sqnorm2_of_scalar(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %s = keops.dot %a, %b : vector<3xf32>
    %0 = keops.sqnorm2 %s : vector<1xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @sqrt_of_sqnorm2(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[N:.+]] = keops.norm2 %[[A]] : vector<3xf32>
// CHECK-NOT: math.sqrt
// CHECK-NEXT: keops.yield %[[N]] : vector<1xf32>
func.func @sqrt_of_sqnorm2(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %n = keops.sqnorm2 %a : vector<3xf32>
    %0 = math.sqrt %n : vector<1xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// A sqrt with fast-math flags is left alone.
// CHECK-LABEL: func.func @sqrt_of_sqnorm2_fastmath(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[N:.+]] = keops.sqnorm2 %[[A]] : vector<3xf32>
// CHECK-NEXT: %[[S:.+]] = math.sqrt %[[N]] fastmath<afn> : vector<1xf32>
// CHECK-NOT: keops.norm2
// CHECK-NEXT: keops.yield %[[S]] : vector<1xf32>
func.func @sqrt_of_sqnorm2_fastmath(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %n = keops.sqnorm2 %a : vector<3xf32>
    %0 = math.sqrt %n fastmath<afn> : vector<1xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// Not rewritten when sqnorm2 has another use.
// CHECK-LABEL: func.func @sqrt_of_sqnorm2_two_uses(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[N:.+]] = keops.sqnorm2 %[[A]] : vector<3xf32>
// CHECK-NEXT: %[[S:.+]] = math.sqrt %[[N]] : vector<1xf32>
// CHECK-NEXT: %[[R:.+]] = arith.addf %[[S]], %[[N]] : vector<1xf32>
// CHECK-NEXT: keops.yield %[[R]] : vector<1xf32>
func.func @sqrt_of_sqnorm2_two_uses(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %n = keops.sqnorm2 %a : vector<3xf32>
    %s = math.sqrt %n : vector<1xf32>
    %0 = arith.addf %s, %n : vector<1xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @dot_self(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[N:.+]] = keops.sqnorm2 %[[A]] : vector<3xf32>
// CHECK-NEXT: keops.yield %[[N]] : vector<1xf32>
func.func @dot_self(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %0 = keops.dot %a, %a : vector<3xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @dot_other(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[D:.+]] = keops.dot %[[A]], %[[B]] : vector<3xf32>
// CHECK-NEXT: keops.yield %[[D]] : vector<1xf32>
func.func @dot_other(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %0 = keops.dot %a, %b : vector<3xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @sqnorm2_of_difference(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[D:.+]] = keops.sqdist %[[A]], %[[B]] : vector<3xf32>
// CHECK-NOT: arith.subf
// CHECK-NEXT: keops.yield %[[D]] : vector<1xf32>
func.func @sqnorm2_of_difference(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %d = arith.subf %a, %b : vector<3xf32>
    %0 = keops.sqnorm2 %d : vector<3xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @sqnorm2_of_difference_fastmath(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[D:.+]] = arith.subf %[[A]], %[[B]] fastmath<nnan> : vector<3xf32>
// CHECK-NEXT: %[[N:.+]] = keops.sqnorm2 %[[D]] : vector<3xf32>
// CHECK-NEXT: keops.yield %[[N]] : vector<1xf32>
func.func @sqnorm2_of_difference_fastmath(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %d = arith.subf %a, %b fastmath<nnan> : vector<3xf32>
    %0 = keops.sqnorm2 %d : vector<3xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @sqnorm2_of_difference_two_uses(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[D:.+]] = arith.subf %[[A]], %[[B]] : vector<3xf32>
// CHECK-NEXT: %[[N:.+]] = keops.sqnorm2 %[[D]] : vector<3xf32>
// CHECK-NOT: keops.sqdist
func.func @sqnorm2_of_difference_two_uses(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %d = arith.subf %a, %b : vector<3xf32>
    %n = keops.sqnorm2 %d : vector<3xf32>
    %nb = vector.broadcast %n : vector<1xf32> to vector<3xf32>
    %0 = arith.mulf %nb, %d : vector<3xf32>
    keops.yield %0 : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// sqnorm2(a - b) becomes sqdist first, so the sqrt is not turned into norm2.
// CHECK-LABEL: func.func @sqrt_of_sqnorm2_of_difference(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[D:.+]] = keops.sqdist %[[A]], %[[B]] : vector<3xf32>
// CHECK-NEXT: %[[S:.+]] = math.sqrt %[[D]] : vector<1xf32>
// CHECK-NEXT: keops.yield %[[S]] : vector<1xf32>
func.func @sqrt_of_sqnorm2_of_difference(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %d = arith.subf %a, %b : vector<3xf32>
    %n = keops.sqnorm2 %d : vector<3xf32>
    %0 = math.sqrt %n : vector<1xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @relu_of_relu(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[R:.+]] = keops.relu %[[A]] : vector<3xf32>
// CHECK-NOT: keops.relu
// CHECK: keops.yield %[[R]] : vector<3xf32>
func.func @relu_of_relu(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %r = keops.relu %a : vector<3xf32>
    %0 = keops.relu %r : vector<3xf32>
    keops.yield %0 : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// CHECK-LABEL: func.func @sign_of_sign(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[R:.+]] = keops.sign %[[A]] : vector<3xf32>
// CHECK-NOT: keops.sign
// CHECK: keops.yield %[[R]] : vector<3xf32>
func.func @sign_of_sign(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %r = keops.sign %a : vector<3xf32>
    %0 = keops.sign %r : vector<3xf32>
    keops.yield %0 : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// step is not idempotent: step(step(-1)) = step(0) = 1.
// CHECK-LABEL: func.func @step_of_step(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[R:.+]] = keops.step %[[A]] : vector<3xf32>
// CHECK-NEXT: %[[S:.+]] = keops.step %[[R]] : vector<3xf32>
// CHECK-NEXT: keops.yield %[[S]] : vector<3xf32>
func.func @step_of_step(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %r = keops.step %a : vector<3xf32>
    %0 = keops.step %r : vector<3xf32>
    keops.yield %0 : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// sqdist(x, x) is not 0: inf - inf is NaN.
// CHECK-LABEL: func.func @sqdist_self(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[D:.+]] = keops.sqdist %[[A]], %[[A]] : vector<3xf32>
// CHECK-NOT: arith.constant
// CHECK-NEXT: keops.yield %[[D]] : vector<1xf32>
func.func @sqdist_self(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %0 = keops.sqdist %a, %a : vector<3xf32>
    keops.yield %0 : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// x - x is not 0: inf - inf and NaN - NaN are NaN.
// CHECK-LABEL: func.func @arith_subf_self(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[S:.+]] = arith.subf %[[A]], %[[A]] : vector<3xf32>
// CHECK-NEXT: keops.yield %[[S]] : vector<3xf32>
func.func @arith_subf_self(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %0 = arith.subf %a, %a : vector<3xf32>
    keops.yield %0 : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// Upstream arith does not fold x - x even under fast-math.
// CHECK-LABEL: func.func @arith_subf_self_fastmath(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[S:.+]] = arith.subf %[[A]], %[[A]] fastmath<fast> : vector<3xf32>
// CHECK-NEXT: keops.yield %[[S]] : vector<3xf32>
func.func @arith_subf_self_fastmath(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %0 = arith.subf %a, %a fastmath<fast> : vector<3xf32>
    keops.yield %0 : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// x * 0 is not 0: NaN * 0 and inf * 0 are NaN, -1 * 0 is -0.
// CHECK-LABEL: func.func @arith_mulf_zero(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[Z:.+]] = arith.constant dense<0.000000e+00> : vector<3xf32>
// CHECK-NEXT: %[[M:.+]] = arith.mulf %[[A]], %[[Z]] : vector<3xf32>
// CHECK-NEXT: keops.yield %[[M]] : vector<3xf32>
func.func @arith_mulf_zero(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %z = arith.constant dense<0.0> : vector<3xf32>
    %0 = arith.mulf %a, %z : vector<3xf32>
    keops.yield %0 : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// Upstream arith folds x * 0 to 0 under fastmath<fast> ...
// CHECK-LABEL: func.func @arith_mulf_zero_fast(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[Z:.+]] = arith.constant dense<0.000000e+00> : vector<3xf32>
// CHECK-NOT: arith.mulf
// CHECK-NEXT: keops.yield %[[Z]] : vector<3xf32>
func.func @arith_mulf_zero_fast(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %z = arith.constant dense<0.0> : vector<3xf32>
    %0 = arith.mulf %a, %z fastmath<fast> : vector<3xf32>
    keops.yield %0 : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// ... and under nnan + nsz, the two flags it needs ...
// CHECK-LABEL: func.func @arith_mulf_zero_nnan_nsz(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[Z:.+]] = arith.constant dense<0.000000e+00> : vector<3xf32>
// CHECK-NOT: arith.mulf
// CHECK-NEXT: keops.yield %[[Z]] : vector<3xf32>
func.func @arith_mulf_zero_nnan_nsz(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %z = arith.constant dense<0.0> : vector<3xf32>
    %0 = arith.mulf %a, %z fastmath<nnan,nsz> : vector<3xf32>
    keops.yield %0 : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// ... but not under nnan alone (-1 * 0 is -0).
// CHECK-LABEL: func.func @arith_mulf_zero_nnan(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[Z:.+]] = arith.constant dense<0.000000e+00> : vector<3xf32>
// CHECK-NEXT: %[[M:.+]] = arith.mulf %[[A]], %[[Z]] fastmath<nnan> : vector<3xf32>
// CHECK-NEXT: keops.yield %[[M]] : vector<3xf32>
func.func @arith_mulf_zero_nnan(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %z = arith.constant dense<0.0> : vector<3xf32>
    %0 = arith.mulf %a, %z fastmath<nnan> : vector<3xf32>
    keops.yield %0 : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// x + 0 is not x (-0 + 0 = +0); x + -0 is.
// CHECK-LABEL: func.func @arith_addf_zero(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[Z:.+]] = arith.constant dense<0.000000e+00> : vector<3xf32>
// CHECK-NEXT: %[[S:.+]] = arith.addf %[[A]], %[[Z]] : vector<3xf32>
// CHECK-NEXT: keops.yield %[[S]] : vector<3xf32>
func.func @arith_addf_zero(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %z = arith.constant dense<0.0> : vector<3xf32>
    %0 = arith.addf %a, %z : vector<3xf32>
    keops.yield %0 : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// CHECK-LABEL: func.func @arith_addf_minus_zero(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NOT: arith.addf
// CHECK: keops.yield %[[A]] : vector<3xf32>
func.func @arith_addf_minus_zero(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %z = arith.constant dense<-0.0> : vector<3xf32>
    %0 = arith.addf %a, %z : vector<3xf32>
    keops.yield %0 : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// keops.unbroadcast with nothing to sum is its operand; one that sums stays.
// CHECK-LABEL: func.func @fold_unbroadcast(
// CHECK-SAME: %[[G:.+]]: tensor<1x?x3xf32>, %[[H:.+]]: tensor<?x?x3xf32>)
// CHECK-NEXT: %[[S:.+]] = keops.unbroadcast %[[H]] : tensor<?x?x3xf32> -> tensor<1x?x3xf32>
// CHECK-NEXT: return %[[G]], %[[S]]
func.func @fold_unbroadcast(%g: tensor<1x?x3xf32>, %h: tensor<?x?x3xf32>) -> (tensor<1x?x3xf32>, tensor<1x?x3xf32>) {
  %a = keops.unbroadcast %g : tensor<1x?x3xf32> -> tensor<1x?x3xf32>
  %b = keops.unbroadcast %h : tensor<?x?x3xf32> -> tensor<1x?x3xf32>
  return %a, %b : tensor<1x?x3xf32>, tensor<1x?x3xf32>
}
