// RUN: keops-opt %s -keops-expand-formulas -split-input-file | FileCheck %s
// RUN: keops-opt %s -keops-expand-formulas -split-input-file | FileCheck %s --check-prefix=NONE

// One case per keops formula op: the expansion into arith, math and vector
// ops. Composite ops are rewritten into simpler keops ops and expanded again
// (sqdist -> sqnorm2 -> dot). The values are checked against the reference
// interpreter by test/python/test_expand_formulas.py.

// Nothing of the keops dialect is left but reduce, yield and grad.
// NONE-NOT: keops.{{(sign|step|relu|xlogx|sinxdivx|powi|round|clamp|ifelse|mod|cmp|sum|max|min|argmax|argmin|sqnorm2|norm2|normalize|dot|sqdist|weightedsqnorm|weightedsqdist|one_hot|matvecmult|vecmatmult|tensorprod|tensordot|kron)}}

// +1, -1, else +0 (for -0 too); NaN selected last.
// CHECK-LABEL: func.func @sign
// CHECK: ^bb0([[X:%.+]]: vector<4xf32>):
// CHECK-DAG: [[C0:%.+]] = arith.constant dense<-1.000000e+00> : vector<4xf32>
// CHECK-DAG: [[C1:%.+]] = arith.constant dense<0.000000e+00> : vector<4xf32>
// CHECK-DAG: [[C2:%.+]] = arith.constant dense<1.000000e+00> : vector<4xf32>
// CHECK: [[V0:%.+]] = arith.cmpf ogt, [[X]], [[C1]] : vector<4xf32>
// CHECK: [[V1:%.+]] = arith.select [[V0]], [[C2]], [[C1]] : vector<4xi1>, vector<4xf32>
// CHECK: [[V2:%.+]] = arith.cmpf olt, [[X]], [[C1]] : vector<4xf32>
// CHECK: [[V3:%.+]] = arith.select [[V2]], [[C0]], [[V1]] : vector<4xi1>, vector<4xf32>
// CHECK: [[V4:%.+]] = arith.cmpf uno, [[X]], [[X]] : vector<4xf32>
// CHECK: [[V5:%.+]] = arith.select [[V4]], [[X]], [[V3]] : vector<4xi1>, vector<4xf32>
// CHECK-NOT: keops.sign
// CHECK: keops.yield [[V5]] : vector<4xf32>
func.func @sign(%x_in: tensor<?x4xf32>, %out: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x4xf32>) outs(%out : tensor<?x4xf32>) {
  ^bb0(%x: vector<4xf32>):
    %r = keops.sign %x : vector<4xf32>
    keops.yield %r : vector<4xf32>
  } -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// 1 for x >= 0, else 0; NaN stays NaN.
// CHECK-LABEL: func.func @step
// CHECK: ^bb0([[X:%.+]]: vector<4xf32>):
// CHECK-DAG: [[C0:%.+]] = arith.constant dense<0.000000e+00> : vector<4xf32>
// CHECK-DAG: [[C1:%.+]] = arith.constant dense<1.000000e+00> : vector<4xf32>
// CHECK: [[V0:%.+]] = arith.cmpf oge, [[X]], [[C0]] : vector<4xf32>
// CHECK: [[V1:%.+]] = arith.select [[V0]], [[C1]], [[C0]] : vector<4xi1>, vector<4xf32>
// CHECK: [[V2:%.+]] = arith.cmpf uno, [[X]], [[X]] : vector<4xf32>
// CHECK: [[V3:%.+]] = arith.select [[V2]], [[X]], [[V1]] : vector<4xi1>, vector<4xf32>
// CHECK-NOT: keops.step
// CHECK: keops.yield [[V3]] : vector<4xf32>
func.func @step(%x_in: tensor<?x4xf32>, %out: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x4xf32>) outs(%out : tensor<?x4xf32>) {
  ^bb0(%x: vector<4xf32>):
    %r = keops.step %x : vector<4xf32>
    keops.yield %r : vector<4xf32>
  } -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// x < 0 ? 0 : x keeps -0 and NaN.
// CHECK-LABEL: func.func @relu
// CHECK: ^bb0([[X:%.+]]: vector<4xf32>):
// CHECK-DAG: [[C0:%.+]] = arith.constant dense<0.000000e+00> : vector<4xf32>
// CHECK: [[V0:%.+]] = arith.cmpf olt, [[X]], [[C0]] : vector<4xf32>
// CHECK: [[V1:%.+]] = arith.select [[V0]], [[C0]], [[X]] : vector<4xi1>, vector<4xf32>
// CHECK-NOT: keops.relu
// CHECK: keops.yield [[V1]] : vector<4xf32>
func.func @relu(%x_in: tensor<?x4xf32>, %out: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x4xf32>) outs(%out : tensor<?x4xf32>) {
  ^bb0(%x: vector<4xf32>):
    %r = keops.relu %x : vector<4xf32>
    keops.yield %r : vector<4xf32>
  } -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @xlogx
// CHECK: ^bb0([[X:%.+]]: vector<4xf32>):
// CHECK-DAG: [[C0:%.+]] = arith.constant dense<0.000000e+00> : vector<4xf32>
// CHECK: [[V0:%.+]] = math.log [[X]] : vector<4xf32>
// CHECK: [[V1:%.+]] = arith.mulf [[X]], [[V0]] : vector<4xf32>
// CHECK: [[V2:%.+]] = arith.cmpf oeq, [[X]], [[C0]] : vector<4xf32>
// CHECK: [[V3:%.+]] = arith.select [[V2]], [[C0]], [[V1]] : vector<4xi1>, vector<4xf32>
// CHECK-NOT: keops.xlogx
// CHECK: keops.yield [[V3]] : vector<4xf32>
func.func @xlogx(%x_in: tensor<?x4xf32>, %out: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x4xf32>) outs(%out : tensor<?x4xf32>) {
  ^bb0(%x: vector<4xf32>):
    %r = keops.xlogx %x : vector<4xf32>
    keops.yield %r : vector<4xf32>
  } -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @sinxdivx
// CHECK: ^bb0([[X:%.+]]: vector<4xf32>):
// CHECK-DAG: [[C0:%.+]] = arith.constant dense<0.000000e+00> : vector<4xf32>
// CHECK-DAG: [[C1:%.+]] = arith.constant dense<1.000000e+00> : vector<4xf32>
// CHECK: [[V0:%.+]] = math.sin [[X]] : vector<4xf32>
// CHECK: [[V1:%.+]] = arith.divf [[V0]], [[X]] : vector<4xf32>
// CHECK: [[V2:%.+]] = arith.cmpf oeq, [[X]], [[C0]] : vector<4xf32>
// CHECK: [[V3:%.+]] = arith.select [[V2]], [[C1]], [[V1]] : vector<4xi1>, vector<4xf32>
// CHECK-NOT: keops.sinxdivx
// CHECK: keops.yield [[V3]] : vector<4xf32>
func.func @sinxdivx(%x_in: tensor<?x4xf32>, %out: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x4xf32>) outs(%out : tensor<?x4xf32>) {
  ^bb0(%x: vector<4xf32>):
    %r = keops.sinxdivx %x : vector<4xf32>
    keops.yield %r : vector<4xf32>
  } -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// x^5 = x * (x^2)^2 by repeated squaring.
// CHECK-LABEL: func.func @powi
// CHECK: ^bb0([[X:%.+]]: vector<4xf32>):
// CHECK: [[V0:%.+]] = arith.mulf [[X]], [[X]] : vector<4xf32>
// CHECK: [[V1:%.+]] = arith.mulf [[V0]], [[V0]] : vector<4xf32>
// CHECK: [[V2:%.+]] = arith.mulf [[X]], [[V1]] : vector<4xf32>
// CHECK-NOT: keops.powi
// CHECK: keops.yield [[V2]] : vector<4xf32>
func.func @powi(%x_in: tensor<?x4xf32>, %out: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x4xf32>) outs(%out : tensor<?x4xf32>) {
  ^bb0(%x: vector<4xf32>):
    %r = keops.powi %x, 5 : vector<4xf32>
    keops.yield %r : vector<4xf32>
  } -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// x^-2 = 1 / x^2.
// CHECK-LABEL: func.func @powi_neg
// CHECK: ^bb0([[X:%.+]]: vector<4xf32>):
// CHECK-DAG: [[C0:%.+]] = arith.constant dense<1.000000e+00> : vector<4xf32>
// CHECK: [[V0:%.+]] = arith.mulf [[X]], [[X]] : vector<4xf32>
// CHECK: [[V1:%.+]] = arith.divf [[C0]], [[V0]] : vector<4xf32>
// CHECK-NOT: keops.powi
// CHECK: keops.yield [[V1]] : vector<4xf32>
func.func @powi_neg(%x_in: tensor<?x4xf32>, %out: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x4xf32>) outs(%out : tensor<?x4xf32>) {
  ^bb0(%x: vector<4xf32>):
    %r = keops.powi %x, -2 : vector<4xf32>
    keops.yield %r : vector<4xf32>
  } -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// x^0 = 1 for every x, NaN included.
// CHECK-LABEL: func.func @powi_zero
// CHECK: ^bb0([[X:%.+]]: vector<4xf32>):
// CHECK-DAG: [[C0:%.+]] = arith.constant dense<1.000000e+00> : vector<4xf32>
// CHECK-NOT: keops.powi
// CHECK: keops.yield [[C0]] : vector<4xf32>
func.func @powi_zero(%x_in: tensor<?x4xf32>, %out: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x4xf32>) outs(%out : tensor<?x4xf32>) {
  ^bb0(%x: vector<4xf32>):
    %r = keops.powi %x, 0 : vector<4xf32>
    keops.yield %r : vector<4xf32>
  } -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// round(x * 100) / 100, or x where x * 100 is not finite.
// CHECK-LABEL: func.func @round
// CHECK: ^bb0([[X:%.+]]: vector<4xf32>):
// CHECK-DAG: [[C0:%.+]] = arith.constant dense<0x7F800000> : vector<4xf32>
// CHECK-DAG: [[C1:%.+]] = arith.constant dense<1.000000e+02> : vector<4xf32>
// CHECK: [[V0:%.+]] = arith.mulf [[X]], [[C1]] : vector<4xf32>
// CHECK: [[V1:%.+]] = math.round [[V0]] : vector<4xf32>
// CHECK: [[V2:%.+]] = arith.divf [[V1]], [[C1]] : vector<4xf32>
// CHECK: [[V3:%.+]] = math.absf [[V0]] : vector<4xf32>
// CHECK: [[V4:%.+]] = arith.cmpf olt, [[V3]], [[C0]] : vector<4xf32>
// CHECK: [[V5:%.+]] = arith.select [[V4]], [[V2]], [[X]] : vector<4xi1>, vector<4xf32>
// CHECK-NOT: keops.round
// CHECK: keops.yield [[V5]] : vector<4xf32>
func.func @round(%x_in: tensor<?x4xf32>, %out: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x4xf32>) outs(%out : tensor<?x4xf32>) {
  ^bb0(%x: vector<4xf32>):
    %r = keops.round %x, 2 : vector<4xf32>
    keops.yield %r : vector<4xf32>
  } -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @round_zero
// CHECK: ^bb0([[X:%.+]]: vector<4xf32>):
// CHECK: [[V0:%.+]] = math.round [[X]] : vector<4xf32>
// CHECK-NOT: keops.round
// CHECK: keops.yield [[V0]] : vector<4xf32>
func.func @round_zero(%x_in: tensor<?x4xf32>, %out: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x4xf32>) outs(%out : tensor<?x4xf32>) {
  ^bb0(%x: vector<4xf32>):
    %r = keops.round %x, 0 : vector<4xf32>
    keops.yield %r : vector<4xf32>
  } -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// round(x / 10) * 10: infinities and NaN go through.
// CHECK-LABEL: func.func @round_neg
// CHECK: ^bb0([[X:%.+]]: vector<4xf32>):
// CHECK-DAG: [[C0:%.+]] = arith.constant dense<1.000000e+01> : vector<4xf32>
// CHECK: [[V0:%.+]] = arith.divf [[X]], [[C0]] : vector<4xf32>
// CHECK: [[V1:%.+]] = math.round [[V0]] : vector<4xf32>
// CHECK: [[V2:%.+]] = arith.mulf [[V1]], [[C0]] : vector<4xf32>
// CHECK-NOT: keops.round
// CHECK: keops.yield [[V2]] : vector<4xf32>
func.func @round_neg(%x_in: tensor<?x4xf32>, %out: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x4xf32>) outs(%out : tensor<?x4xf32>) {
  ^bb0(%x: vector<4xf32>):
    %r = keops.round %x, -1 : vector<4xf32>
    keops.yield %r : vector<4xf32>
  } -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// 10^400 is beyond every type: x * 10^400 is never finite, x stays.
// CHECK-LABEL: func.func @round_huge
// CHECK: ^bb0([[X:%.+]]: vector<4xf32>):
// CHECK-NOT: keops.round
// CHECK: keops.yield [[X]] : vector<4xf32>
func.func @round_huge(%x_in: tensor<?x4xf32>, %out: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x4xf32>) outs(%out : tensor<?x4xf32>) {
  ^bb0(%x: vector<4xf32>):
    %r = keops.round %x, 400 : vector<4xf32>
    keops.yield %r : vector<4xf32>
  } -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// 10^-400: copysign(0, x) for finite x.
// CHECK-LABEL: func.func @round_tiny
// CHECK: ^bb0([[X:%.+]]: vector<4xf32>):
// CHECK-DAG: [[C0:%.+]] = arith.constant dense<0x7F800000> : vector<4xf32>
// CHECK-DAG: [[C1:%.+]] = arith.constant dense<0.000000e+00> : vector<4xf32>
// CHECK: [[V0:%.+]] = math.copysign [[C1]], [[X]] : vector<4xf32>
// CHECK: [[V1:%.+]] = math.absf [[X]] : vector<4xf32>
// CHECK: [[V2:%.+]] = arith.cmpf olt, [[V1]], [[C0]] : vector<4xf32>
// CHECK: [[V3:%.+]] = arith.select [[V2]], [[V0]], [[X]] : vector<4xi1>, vector<4xf32>
// CHECK-NOT: keops.round
// CHECK: keops.yield [[V3]] : vector<4xf32>
func.func @round_tiny(%x_in: tensor<?x4xf32>, %out: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x4xf32>) outs(%out : tensor<?x4xf32>) {
  ^bb0(%x: vector<4xf32>):
    %r = keops.round %x, -400 : vector<4xf32>
    keops.yield %r : vector<4xf32>
  } -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// x < lo ? lo : (x > hi ? hi : x).
// CHECK-LABEL: func.func @clamp
// CHECK: ^bb0([[X:%.+]]: vector<4xf32>, [[Y:%.+]]: vector<4xf32>, [[Z:%.+]]: vector<4xf32>):
// CHECK: [[V0:%.+]] = arith.cmpf ogt, [[X]], [[Z]] : vector<4xf32>
// CHECK: [[V1:%.+]] = arith.select [[V0]], [[Z]], [[X]] : vector<4xi1>, vector<4xf32>
// CHECK: [[V2:%.+]] = arith.cmpf olt, [[X]], [[Y]] : vector<4xf32>
// CHECK: [[V3:%.+]] = arith.select [[V2]], [[Y]], [[V1]] : vector<4xi1>, vector<4xf32>
// CHECK-NOT: keops.clamp
// CHECK: keops.yield [[V3]] : vector<4xf32>
func.func @clamp(%x_in: tensor<?x4xf32>, %y_in: tensor<?x4xf32>, %z_in: tensor<?x4xf32>, %out: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x4xf32>, %y_in : i tensor<?x4xf32>, %z_in : i tensor<?x4xf32>) outs(%out : tensor<?x4xf32>) {
  ^bb0(%x: vector<4xf32>, %y: vector<4xf32>, %z: vector<4xf32>):
    %r = keops.clamp %x, %y, %z : vector<4xf32>
    keops.yield %r : vector<4xf32>
  } -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// c >= 0 ? a : b; a NaN condition selects b.
// CHECK-LABEL: func.func @ifelse
// CHECK: ^bb0([[X:%.+]]: vector<4xf32>, [[Y:%.+]]: vector<4xf32>, [[Z:%.+]]: vector<4xf32>):
// CHECK-DAG: [[C0:%.+]] = arith.constant dense<0.000000e+00> : vector<4xf32>
// CHECK: [[V0:%.+]] = arith.cmpf oge, [[X]], [[C0]] : vector<4xf32>
// CHECK: [[V1:%.+]] = arith.select [[V0]], [[Y]], [[Z]] : vector<4xi1>, vector<4xf32>
// CHECK-NOT: keops.ifelse
// CHECK: keops.yield [[V1]] : vector<4xf32>
func.func @ifelse(%x_in: tensor<?x4xf32>, %y_in: tensor<?x4xf32>, %z_in: tensor<?x4xf32>, %out: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x4xf32>, %y_in : i tensor<?x4xf32>, %z_in : i tensor<?x4xf32>) outs(%out : tensor<?x4xf32>) {
  ^bb0(%x: vector<4xf32>, %y: vector<4xf32>, %z: vector<4xf32>):
    %r = keops.ifelse %x, %y, %z : vector<4xf32>
    keops.yield %r : vector<4xf32>
  } -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @mod
// CHECK: ^bb0([[X:%.+]]: vector<4xf32>, [[Y:%.+]]: vector<4xf32>, [[Z:%.+]]: vector<4xf32>):
// CHECK: [[V0:%.+]] = arith.subf [[X]], [[Z]] : vector<4xf32>
// CHECK: [[V1:%.+]] = arith.divf [[V0]], [[Y]] : vector<4xf32>
// CHECK: [[V2:%.+]] = math.floor [[V1]] : vector<4xf32>
// CHECK: [[V3:%.+]] = arith.mulf [[Y]], [[V2]] : vector<4xf32>
// CHECK: [[V4:%.+]] = arith.subf [[X]], [[V3]] : vector<4xf32>
// CHECK-NOT: keops.mod
// CHECK: keops.yield [[V4]] : vector<4xf32>
func.func @mod(%x_in: tensor<?x4xf32>, %y_in: tensor<?x4xf32>, %z_in: tensor<?x4xf32>, %out: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x4xf32>, %y_in : i tensor<?x4xf32>, %z_in : i tensor<?x4xf32>) outs(%out : tensor<?x4xf32>) {
  ^bb0(%x: vector<4xf32>, %y: vector<4xf32>, %z: vector<4xf32>):
    %r = keops.mod %x, %y, %z : vector<4xf32>
    keops.yield %r : vector<4xf32>
  } -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// ne holds for NaN: une.
// CHECK-LABEL: func.func @cmp
// CHECK: ^bb0([[X:%.+]]: vector<4xf32>, [[Y:%.+]]: vector<4xf32>):
// CHECK: [[V0:%.+]] = arith.cmpf une, [[X]], [[Y]] : vector<4xf32>
// CHECK: [[V1:%.+]] = arith.uitofp [[V0]] : vector<4xi1> to vector<4xf32>
// CHECK-NOT: keops.yield
// CHECK: keops.yield [[V1]] : vector<4xf32>
func.func @cmp(%x_in: tensor<?x4xf32>, %y_in: tensor<?x4xf32>, %out: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x4xf32>, %y_in : i tensor<?x4xf32>) outs(%out : tensor<?x4xf32>) {
  ^bb0(%x: vector<4xf32>, %y: vector<4xf32>):
    %r = keops.cmp ne, %x, %y : vector<4xf32>
    keops.yield %r : vector<4xf32>
  } -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// vector.reduction <add> starts from +0, like the reference.
// CHECK-LABEL: func.func @sum
// CHECK: ^bb0([[X:%.+]]: vector<4xf32>):
// CHECK: [[V0:%.+]] = vector.reduction <add>, [[X]] : vector<4xf32> into f32
// CHECK: [[V1:%.+]] = vector.broadcast [[V0]] : f32 to vector<1xf32>
// CHECK-NOT: keops.sum
// CHECK: keops.yield [[V1]] : vector<1xf32>
func.func @sum(%x_in: tensor<?x4xf32>, %out: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x4xf32>) outs(%out : tensor<?x1xf32>) {
  ^bb0(%x: vector<4xf32>):
    %r = keops.sum %x : vector<4xf32>
    keops.yield %r : vector<1xf32>
  } -> tensor<?x1xf32>
  return %0 : tensor<?x1xf32>
}

// -----

// Compare / select chain: a component replaces the best when the best is
// not NaN and it is NaN or strictly larger (first extreme, NaN wins).
// CHECK-LABEL: func.func @max
// CHECK: ^bb0([[X:%.+]]: vector<3xf32>):
// CHECK: [[V0:%.+]] = vector.extract_strided_slice [[X]] {offsets = {{\[}}0], sizes = {{\[}}1], strides = {{\[}}1]} : vector<3xf32> to vector<1xf32>
// CHECK: [[V1:%.+]] = vector.extract_strided_slice [[X]] {offsets = {{\[}}1], sizes = {{\[}}1], strides = {{\[}}1]} : vector<3xf32> to vector<1xf32>
// CHECK: [[V2:%.+]] = arith.cmpf ugt, [[V1]], [[V0]] : vector<1xf32>
// CHECK: [[V3:%.+]] = arith.cmpf ord, [[V0]], [[V0]] : vector<1xf32>
// CHECK: [[V4:%.+]] = arith.andi [[V3]], [[V2]] : vector<1xi1>
// CHECK: [[V5:%.+]] = arith.select [[V4]], [[V1]], [[V0]] : vector<1xi1>, vector<1xf32>
// CHECK: [[V6:%.+]] = vector.extract_strided_slice [[X]] {offsets = {{\[}}2], sizes = {{\[}}1], strides = {{\[}}1]} : vector<3xf32> to vector<1xf32>
// CHECK: [[V7:%.+]] = arith.cmpf ugt, [[V6]], [[V5]] : vector<1xf32>
// CHECK: [[V8:%.+]] = arith.cmpf ord, [[V5]], [[V5]] : vector<1xf32>
// CHECK: [[V9:%.+]] = arith.andi [[V8]], [[V7]] : vector<1xi1>
// CHECK: [[V10:%.+]] = arith.select [[V9]], [[V6]], [[V5]] : vector<1xi1>, vector<1xf32>
// CHECK-NOT: keops.max
// CHECK: keops.yield [[V10]] : vector<1xf32>
func.func @max(%x_in: tensor<?x3xf32>, %out: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x3xf32>) outs(%out : tensor<?x1xf32>) {
  ^bb0(%x: vector<3xf32>):
    %r = keops.max %x : vector<3xf32>
    keops.yield %r : vector<1xf32>
  } -> tensor<?x1xf32>
  return %0 : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @min
// CHECK: ^bb0([[X:%.+]]: vector<3xf32>):
// CHECK: [[V0:%.+]] = vector.extract_strided_slice [[X]] {offsets = {{\[}}0], sizes = {{\[}}1], strides = {{\[}}1]} : vector<3xf32> to vector<1xf32>
// CHECK: [[V1:%.+]] = vector.extract_strided_slice [[X]] {offsets = {{\[}}1], sizes = {{\[}}1], strides = {{\[}}1]} : vector<3xf32> to vector<1xf32>
// CHECK: [[V2:%.+]] = arith.cmpf ult, [[V1]], [[V0]] : vector<1xf32>
// CHECK: [[V3:%.+]] = arith.cmpf ord, [[V0]], [[V0]] : vector<1xf32>
// CHECK: [[V4:%.+]] = arith.andi [[V3]], [[V2]] : vector<1xi1>
// CHECK: [[V5:%.+]] = arith.select [[V4]], [[V1]], [[V0]] : vector<1xi1>, vector<1xf32>
// CHECK: [[V6:%.+]] = vector.extract_strided_slice [[X]] {offsets = {{\[}}2], sizes = {{\[}}1], strides = {{\[}}1]} : vector<3xf32> to vector<1xf32>
// CHECK: [[V7:%.+]] = arith.cmpf ult, [[V6]], [[V5]] : vector<1xf32>
// CHECK: [[V8:%.+]] = arith.cmpf ord, [[V5]], [[V5]] : vector<1xf32>
// CHECK: [[V9:%.+]] = arith.andi [[V8]], [[V7]] : vector<1xi1>
// CHECK: [[V10:%.+]] = arith.select [[V9]], [[V6]], [[V5]] : vector<1xi1>, vector<1xf32>
// CHECK-NOT: keops.min
// CHECK: keops.yield [[V10]] : vector<1xf32>
func.func @min(%x_in: tensor<?x3xf32>, %out: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x3xf32>) outs(%out : tensor<?x1xf32>) {
  ^bb0(%x: vector<3xf32>):
    %r = keops.min %x : vector<3xf32>
    keops.yield %r : vector<1xf32>
  } -> tensor<?x1xf32>
  return %0 : tensor<?x1xf32>
}

// -----

// The same chain selects the position, as a float.
// CHECK-LABEL: func.func @argmax
// CHECK: ^bb0([[X:%.+]]: vector<3xf32>):
// CHECK-DAG: [[C0:%.+]] = arith.constant dense<2.000000e+00> : vector<1xf32>
// CHECK-DAG: [[C1:%.+]] = arith.constant dense<1.000000e+00> : vector<1xf32>
// CHECK-DAG: [[C2:%.+]] = arith.constant dense<0.000000e+00> : vector<1xf32>
// CHECK: [[V0:%.+]] = vector.extract_strided_slice [[X]] {offsets = {{\[}}0], sizes = {{\[}}1], strides = {{\[}}1]} : vector<3xf32> to vector<1xf32>
// CHECK: [[V1:%.+]] = vector.extract_strided_slice [[X]] {offsets = {{\[}}1], sizes = {{\[}}1], strides = {{\[}}1]} : vector<3xf32> to vector<1xf32>
// CHECK: [[V2:%.+]] = arith.cmpf ugt, [[V1]], [[V0]] : vector<1xf32>
// CHECK: [[V3:%.+]] = arith.cmpf ord, [[V0]], [[V0]] : vector<1xf32>
// CHECK: [[V4:%.+]] = arith.andi [[V3]], [[V2]] : vector<1xi1>
// CHECK: [[V5:%.+]] = arith.select [[V4]], [[V1]], [[V0]] : vector<1xi1>, vector<1xf32>
// CHECK: [[V6:%.+]] = arith.select [[V4]], [[C1]], [[C2]] : vector<1xi1>, vector<1xf32>
// CHECK: [[V7:%.+]] = vector.extract_strided_slice [[X]] {offsets = {{\[}}2], sizes = {{\[}}1], strides = {{\[}}1]} : vector<3xf32> to vector<1xf32>
// CHECK: [[V8:%.+]] = arith.cmpf ugt, [[V7]], [[V5]] : vector<1xf32>
// CHECK: [[V9:%.+]] = arith.cmpf ord, [[V5]], [[V5]] : vector<1xf32>
// CHECK: [[V10:%.+]] = arith.andi [[V9]], [[V8]] : vector<1xi1>
// CHECK: [[V11:%.+]] = arith.select [[V10]], [[C0]], [[V6]] : vector<1xi1>, vector<1xf32>
// CHECK-NOT: keops.argmax
// CHECK: keops.yield [[V11]] : vector<1xf32>
func.func @argmax(%x_in: tensor<?x3xf32>, %out: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x3xf32>) outs(%out : tensor<?x1xf32>) {
  ^bb0(%x: vector<3xf32>):
    %r = keops.argmax %x : vector<3xf32>
    keops.yield %r : vector<1xf32>
  } -> tensor<?x1xf32>
  return %0 : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @argmin
// CHECK: ^bb0([[X:%.+]]: vector<3xf32>):
// CHECK-DAG: [[C0:%.+]] = arith.constant dense<2.000000e+00> : vector<1xf32>
// CHECK-DAG: [[C1:%.+]] = arith.constant dense<1.000000e+00> : vector<1xf32>
// CHECK-DAG: [[C2:%.+]] = arith.constant dense<0.000000e+00> : vector<1xf32>
// CHECK: [[V0:%.+]] = vector.extract_strided_slice [[X]] {offsets = {{\[}}0], sizes = {{\[}}1], strides = {{\[}}1]} : vector<3xf32> to vector<1xf32>
// CHECK: [[V1:%.+]] = vector.extract_strided_slice [[X]] {offsets = {{\[}}1], sizes = {{\[}}1], strides = {{\[}}1]} : vector<3xf32> to vector<1xf32>
// CHECK: [[V2:%.+]] = arith.cmpf ult, [[V1]], [[V0]] : vector<1xf32>
// CHECK: [[V3:%.+]] = arith.cmpf ord, [[V0]], [[V0]] : vector<1xf32>
// CHECK: [[V4:%.+]] = arith.andi [[V3]], [[V2]] : vector<1xi1>
// CHECK: [[V5:%.+]] = arith.select [[V4]], [[V1]], [[V0]] : vector<1xi1>, vector<1xf32>
// CHECK: [[V6:%.+]] = arith.select [[V4]], [[C1]], [[C2]] : vector<1xi1>, vector<1xf32>
// CHECK: [[V7:%.+]] = vector.extract_strided_slice [[X]] {offsets = {{\[}}2], sizes = {{\[}}1], strides = {{\[}}1]} : vector<3xf32> to vector<1xf32>
// CHECK: [[V8:%.+]] = arith.cmpf ult, [[V7]], [[V5]] : vector<1xf32>
// CHECK: [[V9:%.+]] = arith.cmpf ord, [[V5]], [[V5]] : vector<1xf32>
// CHECK: [[V10:%.+]] = arith.andi [[V9]], [[V8]] : vector<1xi1>
// CHECK: [[V11:%.+]] = arith.select [[V10]], [[C0]], [[V6]] : vector<1xi1>, vector<1xf32>
// CHECK-NOT: keops.argmin
// CHECK: keops.yield [[V11]] : vector<1xf32>
func.func @argmin(%x_in: tensor<?x3xf32>, %out: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x3xf32>) outs(%out : tensor<?x1xf32>) {
  ^bb0(%x: vector<3xf32>):
    %r = keops.argmin %x : vector<3xf32>
    keops.yield %r : vector<1xf32>
  } -> tensor<?x1xf32>
  return %0 : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @sqnorm2
// CHECK: ^bb0([[X:%.+]]: vector<4xf32>):
// CHECK: [[V0:%.+]] = arith.mulf [[X]], [[X]] : vector<4xf32>
// CHECK: [[V1:%.+]] = vector.reduction <add>, [[V0]] : vector<4xf32> into f32
// CHECK: [[V2:%.+]] = vector.broadcast [[V1]] : f32 to vector<1xf32>
// CHECK-NOT: keops.sqnorm2
// CHECK: keops.yield [[V2]] : vector<1xf32>
func.func @sqnorm2(%x_in: tensor<?x4xf32>, %out: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x4xf32>) outs(%out : tensor<?x1xf32>) {
  ^bb0(%x: vector<4xf32>):
    %r = keops.sqnorm2 %x : vector<4xf32>
    keops.yield %r : vector<1xf32>
  } -> tensor<?x1xf32>
  return %0 : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @norm2
// CHECK: ^bb0([[X:%.+]]: vector<4xf32>):
// CHECK: [[V0:%.+]] = arith.mulf [[X]], [[X]] : vector<4xf32>
// CHECK: [[V1:%.+]] = vector.reduction <add>, [[V0]] : vector<4xf32> into f32
// CHECK: [[V2:%.+]] = vector.broadcast [[V1]] : f32 to vector<1xf32>
// CHECK: [[V3:%.+]] = math.sqrt [[V2]] : vector<1xf32>
// CHECK-NOT: keops.norm2
// CHECK: keops.yield [[V3]] : vector<1xf32>
func.func @norm2(%x_in: tensor<?x4xf32>, %out: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x4xf32>) outs(%out : tensor<?x1xf32>) {
  ^bb0(%x: vector<4xf32>):
    %r = keops.norm2 %x : vector<4xf32>
    keops.yield %r : vector<1xf32>
  } -> tensor<?x1xf32>
  return %0 : tensor<?x1xf32>
}

// -----

// x / sqrt(sum x_k^2), as the reference divides.
// CHECK-LABEL: func.func @normalize
// CHECK: ^bb0([[X:%.+]]: vector<4xf32>):
// CHECK: [[V0:%.+]] = arith.mulf [[X]], [[X]] : vector<4xf32>
// CHECK: [[V1:%.+]] = vector.reduction <add>, [[V0]] : vector<4xf32> into f32
// CHECK: [[V2:%.+]] = vector.broadcast [[V1]] : f32 to vector<1xf32>
// CHECK: [[V3:%.+]] = math.sqrt [[V2]] : vector<1xf32>
// CHECK: [[V4:%.+]] = vector.broadcast [[V3]] : vector<1xf32> to vector<4xf32>
// CHECK: [[V5:%.+]] = arith.divf [[X]], [[V4]] : vector<4xf32>
// CHECK-NOT: keops.normalize
// CHECK: keops.yield [[V5]] : vector<4xf32>
func.func @normalize(%x_in: tensor<?x4xf32>, %out: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x4xf32>) outs(%out : tensor<?x4xf32>) {
  ^bb0(%x: vector<4xf32>):
    %r = keops.normalize %x : vector<4xf32>
    keops.yield %r : vector<4xf32>
  } -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @dot
// CHECK: ^bb0([[X:%.+]]: vector<4xf32>, [[Y:%.+]]: vector<4xf32>):
// CHECK: [[V0:%.+]] = arith.mulf [[X]], [[Y]] : vector<4xf32>
// CHECK: [[V1:%.+]] = vector.reduction <add>, [[V0]] : vector<4xf32> into f32
// CHECK: [[V2:%.+]] = vector.broadcast [[V1]] : f32 to vector<1xf32>
// CHECK-NOT: keops.dot
// CHECK: keops.yield [[V2]] : vector<1xf32>
func.func @dot(%x_in: tensor<?x4xf32>, %y_in: tensor<?x4xf32>, %out: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x4xf32>, %y_in : i tensor<?x4xf32>) outs(%out : tensor<?x1xf32>) {
  ^bb0(%x: vector<4xf32>, %y: vector<4xf32>):
    %r = keops.dot %x, %y : vector<4xf32>
    keops.yield %r : vector<1xf32>
  } -> tensor<?x1xf32>
  return %0 : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @sqdist
// CHECK: ^bb0([[X:%.+]]: vector<4xf32>, [[Y:%.+]]: vector<4xf32>):
// CHECK: [[V0:%.+]] = arith.subf [[X]], [[Y]] : vector<4xf32>
// CHECK: [[V1:%.+]] = arith.mulf [[V0]], [[V0]] : vector<4xf32>
// CHECK: [[V2:%.+]] = vector.reduction <add>, [[V1]] : vector<4xf32> into f32
// CHECK: [[V3:%.+]] = vector.broadcast [[V2]] : f32 to vector<1xf32>
// CHECK-NOT: keops.sqdist
// CHECK: keops.yield [[V3]] : vector<1xf32>
func.func @sqdist(%x_in: tensor<?x4xf32>, %y_in: tensor<?x4xf32>, %out: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x4xf32>, %y_in : i tensor<?x4xf32>) outs(%out : tensor<?x1xf32>) {
  ^bb0(%x: vector<4xf32>, %y: vector<4xf32>):
    %r = keops.sqdist %x, %y : vector<4xf32>
    keops.yield %r : vector<1xf32>
  } -> tensor<?x1xf32>
  return %0 : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @wsqnorm_iso
// CHECK: ^bb0([[W:%.+]]: vector<1xf32>, [[X:%.+]]: vector<2xf32>):
// CHECK: [[V0:%.+]] = arith.mulf [[X]], [[X]] : vector<2xf32>
// CHECK: [[V1:%.+]] = vector.reduction <add>, [[V0]] : vector<2xf32> into f32
// CHECK: [[V2:%.+]] = vector.broadcast [[V1]] : f32 to vector<1xf32>
// CHECK: [[V3:%.+]] = arith.mulf [[W]], [[V2]] : vector<1xf32>
// CHECK-NOT: keops.weightedsqnorm
// CHECK: keops.yield [[V3]] : vector<1xf32>
func.func @wsqnorm_iso(%w_in: tensor<?x1xf32>, %x_in: tensor<?x2xf32>, %out: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %0 = keops.reduce sum over i ins(%w_in : i tensor<?x1xf32>, %x_in : i tensor<?x2xf32>) outs(%out : tensor<?x1xf32>) {
  ^bb0(%w: vector<1xf32>, %x: vector<2xf32>):
    %r = keops.weightedsqnorm %w, %x : vector<1xf32>, vector<2xf32>
    keops.yield %r : vector<1xf32>
  } -> tensor<?x1xf32>
  return %0 : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @wsqnorm_diag
// CHECK: ^bb0([[W:%.+]]: vector<2xf32>, [[X:%.+]]: vector<2xf32>):
// CHECK: [[V0:%.+]] = arith.mulf [[W]], [[X]] : vector<2xf32>
// CHECK: [[V1:%.+]] = arith.mulf [[V0]], [[X]] : vector<2xf32>
// CHECK: [[V2:%.+]] = vector.reduction <add>, [[V1]] : vector<2xf32> into f32
// CHECK: [[V3:%.+]] = vector.broadcast [[V2]] : f32 to vector<1xf32>
// CHECK-NOT: keops.weightedsqnorm
// CHECK: keops.yield [[V3]] : vector<1xf32>
func.func @wsqnorm_diag(%w_in: tensor<?x2xf32>, %x_in: tensor<?x2xf32>, %out: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %0 = keops.reduce sum over i ins(%w_in : i tensor<?x2xf32>, %x_in : i tensor<?x2xf32>) outs(%out : tensor<?x1xf32>) {
  ^bb0(%w: vector<2xf32>, %x: vector<2xf32>):
    %r = keops.weightedsqnorm %w, %x : vector<2xf32>, vector<2xf32>
    keops.yield %r : vector<1xf32>
  } -> tensor<?x1xf32>
  return %0 : tensor<?x1xf32>
}

// -----

// sum_kl x_k w_kl x_l with the row and column copies of x.
// CHECK-LABEL: func.func @wsqnorm_full
// CHECK: ^bb0([[W:%.+]]: vector<4xf32>, [[X:%.+]]: vector<2xf32>):
// CHECK: [[V0:%.+]] = vector.shuffle [[X]], [[X]] {{\[}}0, 0, 1, 1] : vector<2xf32>, vector<2xf32>
// CHECK: [[V1:%.+]] = vector.shuffle [[X]], [[X]] {{\[}}0, 1, 0, 1] : vector<2xf32>, vector<2xf32>
// CHECK: [[V2:%.+]] = arith.mulf [[V0]], [[W]] : vector<4xf32>
// CHECK: [[V3:%.+]] = arith.mulf [[V2]], [[V1]] : vector<4xf32>
// CHECK: [[V4:%.+]] = vector.reduction <add>, [[V3]] : vector<4xf32> into f32
// CHECK: [[V5:%.+]] = vector.broadcast [[V4]] : f32 to vector<1xf32>
// CHECK-NOT: keops.weightedsqnorm
// CHECK: keops.yield [[V5]] : vector<1xf32>
func.func @wsqnorm_full(%w_in: tensor<?x4xf32>, %x_in: tensor<?x2xf32>, %out: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %0 = keops.reduce sum over i ins(%w_in : i tensor<?x4xf32>, %x_in : i tensor<?x2xf32>) outs(%out : tensor<?x1xf32>) {
  ^bb0(%w: vector<4xf32>, %x: vector<2xf32>):
    %r = keops.weightedsqnorm %w, %x : vector<4xf32>, vector<2xf32>
    keops.yield %r : vector<1xf32>
  } -> tensor<?x1xf32>
  return %0 : tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @wsqdist
// CHECK: ^bb0([[W:%.+]]: vector<2xf32>, [[X:%.+]]: vector<2xf32>, [[Y:%.+]]: vector<2xf32>):
// CHECK: [[V0:%.+]] = arith.subf [[X]], [[Y]] : vector<2xf32>
// CHECK: [[V1:%.+]] = arith.mulf [[W]], [[V0]] : vector<2xf32>
// CHECK: [[V2:%.+]] = arith.mulf [[V1]], [[V0]] : vector<2xf32>
// CHECK: [[V3:%.+]] = vector.reduction <add>, [[V2]] : vector<2xf32> into f32
// CHECK: [[V4:%.+]] = vector.broadcast [[V3]] : f32 to vector<1xf32>
// CHECK-NOT: keops.weightedsqdist
// CHECK: keops.yield [[V4]] : vector<1xf32>
func.func @wsqdist(%w_in: tensor<?x2xf32>, %x_in: tensor<?x2xf32>, %y_in: tensor<?x2xf32>, %out: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %0 = keops.reduce sum over i ins(%w_in : i tensor<?x2xf32>, %x_in : i tensor<?x2xf32>, %y_in : i tensor<?x2xf32>) outs(%out : tensor<?x1xf32>) {
  ^bb0(%w: vector<2xf32>, %x: vector<2xf32>, %y: vector<2xf32>):
    %r = keops.weightedsqdist %w, %x, %y : vector<2xf32>, vector<2xf32>
    keops.yield %r : vector<1xf32>
  } -> tensor<?x1xf32>
  return %0 : tensor<?x1xf32>
}

// -----

// round(x) (halves away from 0) against the positions; NaN matches none.
// CHECK-LABEL: func.func @one_hot
// CHECK: ^bb0([[X:%.+]]: vector<1xf32>):
// CHECK-DAG: [[C0:%.+]] = arith.constant dense<{{\[}}0.000000e+00, 1.000000e+00, 2.000000e+00]> : vector<3xf32>
// CHECK: [[V0:%.+]] = math.round [[X]] : vector<1xf32>
// CHECK: [[V1:%.+]] = vector.broadcast [[V0]] : vector<1xf32> to vector<3xf32>
// CHECK: [[V2:%.+]] = arith.cmpf oeq, [[V1]], [[C0]] : vector<3xf32>
// CHECK: [[V3:%.+]] = arith.uitofp [[V2]] : vector<3xi1> to vector<3xf32>
// CHECK-NOT: keops.one_hot
// CHECK: keops.yield [[V3]] : vector<3xf32>
func.func @one_hot(%x_in: tensor<?x1xf32>, %out: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x1xf32>) outs(%out : tensor<?x3xf32>) {
  ^bb0(%x: vector<1xf32>):
    %r = keops.one_hot %x, 3 : vector<1xf32>
    keops.yield %r : vector<3xf32>
  } -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// 0 + A[:, 0] x_0 + A[:, 1] x_1: each row summed in the reference's order.
// CHECK-LABEL: func.func @matvecmult
// CHECK: ^bb0([[A:%.+]]: vector<6xf32>, [[X:%.+]]: vector<2xf32>):
// CHECK-DAG: [[C0:%.+]] = arith.constant dense<0.000000e+00> : vector<3xf32>
// CHECK: [[V0:%.+]] = vector.shuffle [[A]], [[A]] {{\[}}0, 2, 4] : vector<6xf32>, vector<6xf32>
// CHECK: [[V1:%.+]] = vector.extract_strided_slice [[X]] {offsets = {{\[}}0], sizes = {{\[}}1], strides = {{\[}}1]} : vector<2xf32> to vector<1xf32>
// CHECK: [[V2:%.+]] = vector.broadcast [[V1]] : vector<1xf32> to vector<3xf32>
// CHECK: [[V3:%.+]] = arith.mulf [[V0]], [[V2]] : vector<3xf32>
// CHECK: [[V4:%.+]] = arith.addf [[C0]], [[V3]] : vector<3xf32>
// CHECK: [[V5:%.+]] = vector.shuffle [[A]], [[A]] {{\[}}1, 3, 5] : vector<6xf32>, vector<6xf32>
// CHECK: [[V6:%.+]] = vector.extract_strided_slice [[X]] {offsets = {{\[}}1], sizes = {{\[}}1], strides = {{\[}}1]} : vector<2xf32> to vector<1xf32>
// CHECK: [[V7:%.+]] = vector.broadcast [[V6]] : vector<1xf32> to vector<3xf32>
// CHECK: [[V8:%.+]] = arith.mulf [[V5]], [[V7]] : vector<3xf32>
// CHECK: [[V9:%.+]] = arith.addf [[V4]], [[V8]] : vector<3xf32>
// CHECK-NOT: keops.matvecmult
// CHECK: keops.yield [[V9]] : vector<3xf32>
func.func @matvecmult(%a_in: tensor<?x6xf32>, %x_in: tensor<?x2xf32>, %out: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = keops.reduce sum over i ins(%a_in : i tensor<?x6xf32>, %x_in : i tensor<?x2xf32>) outs(%out : tensor<?x3xf32>) {
  ^bb0(%a: vector<6xf32>, %x: vector<2xf32>):
    %r = keops.matvecmult %a, %x : vector<6xf32>, vector<2xf32>
    keops.yield %r : vector<3xf32>
  } -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// 0 + x_0 A[0, :] + x_1 A[1, :].
// CHECK-LABEL: func.func @vecmatmult
// CHECK: ^bb0([[X:%.+]]: vector<2xf32>, [[A:%.+]]: vector<6xf32>):
// CHECK-DAG: [[C0:%.+]] = arith.constant dense<0.000000e+00> : vector<3xf32>
// CHECK: [[V0:%.+]] = vector.extract_strided_slice [[X]] {offsets = {{\[}}0], sizes = {{\[}}1], strides = {{\[}}1]} : vector<2xf32> to vector<1xf32>
// CHECK: [[V1:%.+]] = vector.broadcast [[V0]] : vector<1xf32> to vector<3xf32>
// CHECK: [[V2:%.+]] = vector.extract_strided_slice [[A]] {offsets = {{\[}}0], sizes = {{\[}}3], strides = {{\[}}1]} : vector<6xf32> to vector<3xf32>
// CHECK: [[V3:%.+]] = arith.mulf [[V1]], [[V2]] : vector<3xf32>
// CHECK: [[V4:%.+]] = arith.addf [[C0]], [[V3]] : vector<3xf32>
// CHECK: [[V5:%.+]] = vector.extract_strided_slice [[X]] {offsets = {{\[}}1], sizes = {{\[}}1], strides = {{\[}}1]} : vector<2xf32> to vector<1xf32>
// CHECK: [[V6:%.+]] = vector.broadcast [[V5]] : vector<1xf32> to vector<3xf32>
// CHECK: [[V7:%.+]] = vector.extract_strided_slice [[A]] {offsets = {{\[}}3], sizes = {{\[}}3], strides = {{\[}}1]} : vector<6xf32> to vector<3xf32>
// CHECK: [[V8:%.+]] = arith.mulf [[V6]], [[V7]] : vector<3xf32>
// CHECK: [[V9:%.+]] = arith.addf [[V4]], [[V8]] : vector<3xf32>
// CHECK-NOT: keops.vecmatmult
// CHECK: keops.yield [[V9]] : vector<3xf32>
func.func @vecmatmult(%x_in: tensor<?x2xf32>, %a_in: tensor<?x6xf32>, %out: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x2xf32>, %a_in : i tensor<?x6xf32>) outs(%out : tensor<?x3xf32>) {
  ^bb0(%x: vector<2xf32>, %a: vector<6xf32>):
    %r = keops.vecmatmult %x, %a : vector<2xf32>, vector<6xf32>
    keops.yield %r : vector<3xf32>
  } -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// CHECK-LABEL: func.func @tensorprod
// CHECK: ^bb0([[X:%.+]]: vector<2xf32>, [[Y:%.+]]: vector<3xf32>):
// CHECK: [[V0:%.+]] = vector.shuffle [[X]], [[X]] {{\[}}0, 0, 0, 1, 1, 1] : vector<2xf32>, vector<2xf32>
// CHECK: [[V1:%.+]] = vector.shuffle [[Y]], [[Y]] {{\[}}0, 1, 2, 0, 1, 2] : vector<3xf32>, vector<3xf32>
// CHECK: [[V2:%.+]] = arith.mulf [[V0]], [[V1]] : vector<6xf32>
// CHECK-NOT: keops.tensorprod
// CHECK: keops.yield [[V2]] : vector<6xf32>
func.func @tensorprod(%x_in: tensor<?x2xf32>, %y_in: tensor<?x3xf32>, %out: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x2xf32>, %y_in : i tensor<?x3xf32>) outs(%out : tensor<?x6xf32>) {
  ^bb0(%x: vector<2xf32>, %y: vector<3xf32>):
    %r = keops.tensorprod %x, %y : vector<2xf32>, vector<3xf32>
    keops.yield %r : vector<6xf32>
  } -> tensor<?x6xf32>
  return %0 : tensor<?x6xf32>
}

// -----

// One term per contracted index, added to +0 in order.
// CHECK-LABEL: func.func @tensordot
// CHECK: ^bb0([[X:%.+]]: vector<4xf32>, [[Y:%.+]]: vector<6xf32>):
// CHECK-DAG: [[C0:%.+]] = arith.constant dense<0.000000e+00> : vector<6xf32>
// CHECK: [[V0:%.+]] = vector.shuffle [[X]], [[X]] {{\[}}0, 0, 0, 2, 2, 2] : vector<4xf32>, vector<4xf32>
// CHECK: [[V1:%.+]] = vector.shuffle [[Y]], [[Y]] {{\[}}0, 1, 2, 0, 1, 2] : vector<6xf32>, vector<6xf32>
// CHECK: [[V2:%.+]] = arith.mulf [[V0]], [[V1]] : vector<6xf32>
// CHECK: [[V3:%.+]] = arith.addf [[C0]], [[V2]] : vector<6xf32>
// CHECK: [[V4:%.+]] = vector.shuffle [[X]], [[X]] {{\[}}1, 1, 1, 3, 3, 3] : vector<4xf32>, vector<4xf32>
// CHECK: [[V5:%.+]] = vector.shuffle [[Y]], [[Y]] {{\[}}3, 4, 5, 3, 4, 5] : vector<6xf32>, vector<6xf32>
// CHECK: [[V6:%.+]] = arith.mulf [[V4]], [[V5]] : vector<6xf32>
// CHECK: [[V7:%.+]] = arith.addf [[V3]], [[V6]] : vector<6xf32>
// CHECK-NOT: keops.tensordot
// CHECK: keops.yield [[V7]] : vector<6xf32>
func.func @tensordot(%x_in: tensor<?x4xf32>, %y_in: tensor<?x6xf32>, %out: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x4xf32>, %y_in : i tensor<?x6xf32>) outs(%out : tensor<?x6xf32>) {
  ^bb0(%x: vector<4xf32>, %y: vector<6xf32>):
    %r = keops.tensordot %x, %y shapes [2, 2], [2, 3] contract [1], [0] : vector<4xf32>, vector<6xf32>
    keops.yield %r : vector<6xf32>
  } -> tensor<?x6xf32>
  return %0 : tensor<?x6xf32>
}

// -----

// CHECK-LABEL: func.func @kron
// CHECK: ^bb0([[X:%.+]]: vector<2xf32>, [[Y:%.+]]: vector<2xf32>):
// CHECK: [[V0:%.+]] = vector.shuffle [[X]], [[X]] {{\[}}0, 0, 1, 1] : vector<2xf32>, vector<2xf32>
// CHECK: [[V1:%.+]] = vector.shuffle [[Y]], [[Y]] {{\[}}0, 1, 0, 1] : vector<2xf32>, vector<2xf32>
// CHECK: [[V2:%.+]] = arith.mulf [[V0]], [[V1]] : vector<4xf32>
// CHECK-NOT: keops.kron
// CHECK: keops.yield [[V2]] : vector<4xf32>
func.func @kron(%x_in: tensor<?x2xf32>, %y_in: tensor<?x2xf32>, %out: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x2xf32>, %y_in : i tensor<?x2xf32>) outs(%out : tensor<?x4xf32>) {
  ^bb0(%x: vector<2xf32>, %y: vector<2xf32>):
    %r = keops.kron %x, %y shapes [2], [2] : vector<2xf32>, vector<2xf32>
    keops.yield %r : vector<4xf32>
  } -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// keops.grad stays; the formula it differentiates is expanded.
// CHECK-LABEL: func.func @grad_stays
// CHECK: ^bb0([[X:%.+]]: vector<3xf32>, [[E:%.+]]: vector<1xf32>):
// CHECK: [[V0:%.+]] = arith.mulf [[X]], [[X]] : vector<3xf32>
// CHECK: [[V1:%.+]] = vector.reduction <add>, [[V0]] : vector<3xf32> into f32
// CHECK: [[V2:%.+]] = vector.broadcast [[V1]] : f32 to vector<1xf32>
// CHECK: [[V3:%.+]] = keops.grad [[V2]] wrt [[X]], [[E]] : vector<1xf32>, vector<3xf32>
// CHECK-NOT: keops.sqnorm2
// CHECK: keops.yield [[V3]] : vector<3xf32>
func.func @grad_stays(%x_in: tensor<?x3xf32>, %e_in: tensor<?x1xf32>, %out: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x3xf32>, %e_in : i tensor<?x1xf32>) outs(%out : tensor<?x3xf32>) {
  ^bb0(%x: vector<3xf32>, %e: vector<1xf32>):
    %f = keops.sqnorm2 %x : vector<3xf32>
    %r = keops.grad %f wrt %x, %e : vector<1xf32>, vector<3xf32>
    keops.yield %r : vector<3xf32>
  } -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// weightedsqdist -> weightedsqnorm -> sqnorm2 -> dot, all expanded.
// CHECK-LABEL: func.func @nested
// CHECK: ^bb0([[X:%.+]]: vector<2xf64>, [[W:%.+]]: vector<1xf64>):
// CHECK-DAG: [[C0:%.+]] = arith.constant dense<-1.000000e+00> : vector<2xf64>
// CHECK-DAG: [[C1:%.+]] = arith.constant dense<0.000000e+00> : vector<2xf64>
// CHECK-DAG: [[C2:%.+]] = arith.constant dense<1.000000e+00> : vector<2xf64>
// CHECK: [[V0:%.+]] = arith.cmpf ogt, [[X]], [[C1]] : vector<2xf64>
// CHECK: [[V1:%.+]] = arith.select [[V0]], [[C2]], [[C1]] : vector<2xi1>, vector<2xf64>
// CHECK: [[V2:%.+]] = arith.cmpf olt, [[X]], [[C1]] : vector<2xf64>
// CHECK: [[V3:%.+]] = arith.select [[V2]], [[C0]], [[V1]] : vector<2xi1>, vector<2xf64>
// CHECK: [[V4:%.+]] = arith.cmpf uno, [[X]], [[X]] : vector<2xf64>
// CHECK: [[V5:%.+]] = arith.select [[V4]], [[X]], [[V3]] : vector<2xi1>, vector<2xf64>
// CHECK: [[V6:%.+]] = arith.subf [[X]], [[V5]] : vector<2xf64>
// CHECK: [[V7:%.+]] = arith.mulf [[V6]], [[V6]] : vector<2xf64>
// CHECK: [[V8:%.+]] = vector.reduction <add>, [[V7]] : vector<2xf64> into f64
// CHECK: [[V9:%.+]] = vector.broadcast [[V8]] : f64 to vector<1xf64>
// CHECK: [[V10:%.+]] = arith.mulf [[W]], [[V9]] : vector<1xf64>
// CHECK-NOT: keops.{{(sign|weightedsqnorm|weightedsqdist|sqnorm2|dot)}}
// CHECK: keops.yield [[V10]] : vector<1xf64>
func.func @nested(%x_in: tensor<?x2xf64>, %w_in: tensor<?x1xf64>, %out: tensor<?x1xf64>) -> tensor<?x1xf64> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x2xf64>, %w_in : i tensor<?x1xf64>) outs(%out : tensor<?x1xf64>) {
  ^bb0(%x: vector<2xf64>, %w: vector<1xf64>):
    %s = keops.sign %x : vector<2xf64>
    %r = keops.weightedsqdist %w, %x, %s : vector<1xf64>, vector<2xf64>
    keops.yield %r : vector<1xf64>
  } -> tensor<?x1xf64>
  return %0 : tensor<?x1xf64>
}

// -----

// 10^6 is beyond f16 but not double: every finite f16 rounds to +-0.
// CHECK-LABEL: func.func @round_f16_scale_overflow
// CHECK: ^bb0([[X:%.+]]: vector<1xf16>):
// CHECK-DAG: [[C0:%.+]] = arith.constant dense<0x7C00> : vector<1xf16>
// CHECK-DAG: [[C1:%.+]] = arith.constant dense<0.000000e+00> : vector<1xf16>
// CHECK: [[V0:%.+]] = math.copysign [[C1]], [[X]] : vector<1xf16>
// CHECK: [[V1:%.+]] = math.absf [[X]] : vector<1xf16>
// CHECK: [[V2:%.+]] = arith.cmpf olt, [[V1]], [[C0]] : vector<1xf16>
// CHECK: [[V3:%.+]] = arith.select [[V2]], [[V0]], [[X]] : vector<1xi1>, vector<1xf16>
// CHECK-NOT: keops.round
// CHECK: keops.yield [[V3]] : vector<1xf16>
func.func @round_f16_scale_overflow(%x_in: tensor<?x1xf16>, %out: tensor<?x1xf16>) -> tensor<?x1xf16> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x1xf16>) outs(%out : tensor<?x1xf16>) {
  ^bb0(%x: vector<1xf16>):
    %r = keops.round %x, -6 : vector<1xf16>
    keops.yield %r : vector<1xf16>
  } -> tensor<?x1xf16>
  return %0 : tensor<?x1xf16>
}

// -----

// 10^320 is beyond double: every finite x rounds to a zero of its sign;
// infinities and NaN stay.
// CHECK-LABEL: func.func @round_f64_scale_overflow
// CHECK: ^bb0([[X:%.+]]: vector<1xf64>):
// CHECK-DAG: [[INF:%.+]] = arith.constant dense<0x7FF0000000000000> : vector<1xf64>
// CHECK-DAG: [[ZERO:%.+]] = arith.constant dense<0.000000e+00> : vector<1xf64>
// CHECK: [[V1:%.+]] = math.copysign [[ZERO]], [[X]] : vector<1xf64>
// CHECK: [[V3:%.+]] = math.absf [[X]] : vector<1xf64>
// CHECK: [[V4:%.+]] = arith.cmpf olt, [[V3]], [[INF]] : vector<1xf64>
// CHECK: [[V5:%.+]] = arith.select [[V4]], [[V1]], [[X]] : vector<1xi1>, vector<1xf64>
// CHECK-NOT: keops.round
// CHECK: keops.yield [[V5]] : vector<1xf64>
func.func @round_f64_scale_overflow(%x_in: tensor<?x1xf64>, %out: tensor<?x1xf64>) -> tensor<?x1xf64> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x1xf64>) outs(%out : tensor<?x1xf64>) {
  ^bb0(%x: vector<1xf64>):
    %r = keops.round %x, -320 : vector<1xf64>
    keops.yield %r : vector<1xf64>
  } -> tensor<?x1xf64>
  return %0 : tensor<?x1xf64>
}

// -----

// CHECK-LABEL: func.func @one_hot_f16_large
// CHECK: ^bb0([[X:%.+]]: vector<1xf16>):
// Positions 0, 1, 2, ..., 2047, 2048 and NaN for 2049, which f16 cannot hold.
// CHECK-DAG: [[C0:%.+]] = arith.constant dense<"0x0000003C0040{{[0-9A-F]*}}FF670068007E"> : vector<2050xf16>
// CHECK: [[V0:%.+]] = math.round [[X]] : vector<1xf16>
// CHECK: [[V1:%.+]] = vector.broadcast [[V0]] : vector<1xf16> to vector<2050xf16>
// CHECK: [[V2:%.+]] = arith.cmpf oeq, [[V1]], [[C0]] : vector<2050xf16>
// CHECK: [[V3:%.+]] = arith.uitofp [[V2]] : vector<2050xi1> to vector<2050xf16>
// CHECK-NOT: keops.one_hot
// CHECK: keops.yield [[V3]] : vector<2050xf16>
func.func @one_hot_f16_large(%x_in: tensor<?x1xf16>, %out: tensor<?x2050xf16>) -> tensor<?x2050xf16> {
  %0 = keops.reduce sum over i ins(%x_in : i tensor<?x1xf16>) outs(%out : tensor<?x2050xf16>) {
  ^bb0(%x: vector<1xf16>):
    %r = keops.one_hot %x, 2050 : vector<1xf16>
    keops.yield %r : vector<2050xf16>
  } -> tensor<?x2050xf16>
  return %0 : tensor<?x2050xf16>
}


// -----

// keops.select_index needs the loop indices: it stays for the backends, its
// operands expanded.
// CHECK-LABEL: func.func @select_index
// CHECK: ^bb0([[X:%.+]]: vector<2xf32>, [[K:%.+]]: vector<2xi64>):
// CHECK: [[R:%.+]] = arith.select {{.*}} : vector<2xi1>, vector<2xf32>
// CHECK: [[S:%.+]] = keops.select_index [[K]], [[R]] at i : vector<2xi64>, vector<2xf32>
// CHECK: keops.yield [[S]] : vector<2xf32>
func.func @select_index(%x_in: tensor<?x2xf32>, %k_in: tensor<?x2xi64>, %out: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %0 = keops.reduce sum over i ins(%x_in : j tensor<?x2xf32>, %k_in : i tensor<?x2xi64>) outs(%out : tensor<?x2xf32>) {
  ^bb0(%x: vector<2xf32>, %k: vector<2xi64>):
    %r = keops.relu %x : vector<2xf32>
    %s = keops.select_index %k, %r at i : vector<2xi64>, vector<2xf32>
    keops.yield %s : vector<2xf32>
  } -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}
