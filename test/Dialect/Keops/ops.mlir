// RUN: keops-opt %s | keops-opt | FileCheck %s
// RUN: keops-opt %s --mlir-print-op-generic | keops-opt | FileCheck %s
// RUN: keops-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// Round trip of every keops op inside a keops.reduce formula, of every
// reduction kind over i and over j, and of the upstream arith / math / vector
// ops that a formula may hold. The GENERIC prefix checks the result types
// that the custom syntax does not print (inferred from the operands).

// CHECK-LABEL: func.func @pointwise(
// CHECK: %{{.*}} = keops.reduce sum over j ins(%{{.*}} : i tensor<?x3xf32>, %{{.*}} : j tensor<?x3xf32>) outs(%{{.*}} : tensor<?x3xf32>) {
// CHECK-NEXT: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[V0:.+]] = keops.sign %[[A]] : vector<3xf32>
// CHECK-NEXT: %[[V1:.+]] = keops.step %[[V0]] : vector<3xf32>
// CHECK-NEXT: %[[V2:.+]] = keops.relu %[[V1]] : vector<3xf32>
// CHECK-NEXT: %[[V3:.+]] = keops.xlogx %[[V2]] : vector<3xf32>
// CHECK-NEXT: %[[V4:.+]] = keops.sinxdivx %[[V3]] : vector<3xf32>
// CHECK-NEXT: %[[V5:.+]] = keops.powi %[[V4]], 3 : vector<3xf32>
// CHECK-NEXT: %[[V6:.+]] = keops.powi %[[V5]], -2 : vector<3xf32>
// CHECK-NEXT: %[[V7:.+]] = keops.round %[[V6]], 2 : vector<3xf32>
// CHECK-NEXT: %[[V8:.+]] = keops.round %[[V7]], -1 : vector<3xf32>
// CHECK-NEXT: %[[V9:.+]] = keops.clamp %[[V8]], %[[A]], %[[B]] : vector<3xf32>
// CHECK-NEXT: %[[V10:.+]] = keops.ifelse %[[V9]], %[[A]], %[[B]] : vector<3xf32>
// CHECK-NEXT: %[[V11:.+]] = keops.mod %[[V10]], %[[A]], %[[B]] : vector<3xf32>
// CHECK-NEXT: %[[C0:.+]] = keops.cmp lt, %[[V11]], %[[B]] : vector<3xf32>
// CHECK-NEXT: %[[C1:.+]] = keops.cmp le, %[[C0]], %[[B]] : vector<3xf32>
// CHECK-NEXT: %[[C2:.+]] = keops.cmp gt, %[[C1]], %[[B]] : vector<3xf32>
// CHECK-NEXT: %[[C3:.+]] = keops.cmp ge, %[[C2]], %[[B]] : vector<3xf32>
// CHECK-NEXT: %[[C4:.+]] = keops.cmp eq, %[[C3]], %[[B]] : vector<3xf32>
// CHECK-NEXT: %[[C5:.+]] = keops.cmp ne, %[[C4]], %[[B]] : vector<3xf32>
// CHECK-NEXT: keops.yield %[[C5]] : vector<3xf32>
// CHECK-NEXT: } -> tensor<?x3xf32>
// GENERIC-LABEL: sym_name = "pointwise"
// GENERIC: "keops.powi"(%{{.*}}) <{exponent = 3 : i64}> : (vector<3xf32>) -> vector<3xf32>
// GENERIC: "keops.round"(%{{.*}}) <{decimals = -1 : i64}> : (vector<3xf32>) -> vector<3xf32>
// GENERIC: "keops.cmp"(%{{.*}}, %{{.*}}) <{predicate = #keops<predicate lt>}> : (vector<3xf32>, vector<3xf32>) -> vector<3xf32>
// GENERIC: "keops.cmp"(%{{.*}}, %{{.*}}) <{predicate = #keops<predicate ne>}>
func.func @pointwise(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %init: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %out = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%init : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %0 = keops.sign %a : vector<3xf32>
    %1 = keops.step %0 : vector<3xf32>
    %2 = keops.relu %1 : vector<3xf32>
    %3 = keops.xlogx %2 : vector<3xf32>
    %4 = keops.sinxdivx %3 : vector<3xf32>
    %5 = keops.powi %4, 3 : vector<3xf32>
    %6 = keops.powi %5, -2 : vector<3xf32>
    %7 = keops.round %6, 2 : vector<3xf32>
    %8 = keops.round %7, -1 : vector<3xf32>
    %9 = keops.clamp %8, %a, %b : vector<3xf32>
    %10 = keops.ifelse %9, %a, %b : vector<3xf32>
    %11 = keops.mod %10, %a, %b : vector<3xf32>
    %12 = keops.cmp lt, %11, %b : vector<3xf32>
    %13 = keops.cmp le, %12, %b : vector<3xf32>
    %14 = keops.cmp gt, %13, %b : vector<3xf32>
    %15 = keops.cmp ge, %14, %b : vector<3xf32>
    %16 = keops.cmp eq, %15, %b : vector<3xf32>
    %17 = keops.cmp ne, %16, %b : vector<3xf32>
    keops.yield %17 : vector<3xf32>
  } -> tensor<?x3xf32>
  return %out : tensor<?x3xf32>
}

// CHECK-LABEL: func.func @feature(
// CHECK: keops.reduce sum over j ins(%{{.*}} : i tensor<?x3xf32>, %{{.*}} : j tensor<?x3xf32>, %{{.*}} : p tensor<1xf32>, %{{.*}} : p tensor<3xf32>, %{{.*}} : p tensor<9xf32>) outs(%{{.*}} : tensor<?x1xf32>) {
// CHECK-NEXT: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>, %[[W1:[a-z0-9_]+]]: vector<1xf32>, %[[W3:[a-z0-9_]+]]: vector<3xf32>, %[[W9:[a-z0-9_]+]]: vector<9xf32>):
// CHECK-NEXT: %[[S:.+]] = keops.sum %[[A]] : vector<3xf32>
// CHECK-NEXT: %[[M:.+]] = keops.max %[[A]] : vector<3xf32>
// CHECK-NEXT: keops.min %[[A]] : vector<3xf32>
// CHECK-NEXT: keops.argmax %[[A]] : vector<3xf32>
// CHECK-NEXT: keops.argmin %[[A]] : vector<3xf32>
// CHECK-NEXT: keops.sqnorm2 %[[A]] : vector<3xf32>
// CHECK-NEXT: keops.norm2 %[[A]] : vector<3xf32>
// CHECK-NEXT: %[[N:.+]] = keops.normalize %[[A]] : vector<3xf32>
// CHECK-NEXT: keops.dot %[[N]], %[[B]] : vector<3xf32>
// CHECK-NEXT: keops.sqdist %[[A]], %[[B]] : vector<3xf32>
// CHECK-NEXT: keops.weightedsqnorm %[[W1]], %[[A]] : vector<1xf32>, vector<3xf32>
// CHECK-NEXT: keops.weightedsqnorm %[[W3]], %[[A]] : vector<3xf32>, vector<3xf32>
// CHECK-NEXT: keops.weightedsqnorm %[[W9]], %[[A]] : vector<9xf32>, vector<3xf32>
// CHECK-NEXT: keops.weightedsqdist %[[W9]], %[[A]], %[[B]] : vector<9xf32>, vector<3xf32>
// CHECK-NEXT: keops.weightedsqdist %[[W1]], %[[A]], %[[B]] : vector<1xf32>, vector<3xf32>
// CHECK-NEXT: keops.weightedsqdist %[[W3]], %[[A]], %[[B]] : vector<3xf32>, vector<3xf32>
// CHECK-NEXT: %[[R:.+]] = arith.addf %[[S]], %[[M]] : vector<1xf32>
// CHECK-NEXT: keops.yield %[[R]] : vector<1xf32>
// CHECK-NEXT: } -> tensor<?x1xf32>
// GENERIC-LABEL: sym_name = "feature"
// GENERIC: "keops.sum"(%{{.*}}) : (vector<3xf32>) -> vector<1xf32>
// GENERIC: "keops.max"(%{{.*}}) : (vector<3xf32>) -> vector<1xf32>
// GENERIC: "keops.min"(%{{.*}}) : (vector<3xf32>) -> vector<1xf32>
// GENERIC: "keops.argmax"(%{{.*}}) : (vector<3xf32>) -> vector<1xf32>
// GENERIC: "keops.argmin"(%{{.*}}) : (vector<3xf32>) -> vector<1xf32>
// GENERIC: "keops.sqnorm2"(%{{.*}}) : (vector<3xf32>) -> vector<1xf32>
// GENERIC: "keops.norm2"(%{{.*}}) : (vector<3xf32>) -> vector<1xf32>
// GENERIC: "keops.normalize"(%{{.*}}) : (vector<3xf32>) -> vector<3xf32>
// GENERIC: "keops.dot"(%{{.*}}, %{{.*}}) : (vector<3xf32>, vector<3xf32>) -> vector<1xf32>
// GENERIC: "keops.sqdist"(%{{.*}}, %{{.*}}) : (vector<3xf32>, vector<3xf32>) -> vector<1xf32>
// GENERIC: "keops.weightedsqnorm"(%{{.*}}, %{{.*}}) : (vector<1xf32>, vector<3xf32>) -> vector<1xf32>
// GENERIC: "keops.weightedsqnorm"(%{{.*}}, %{{.*}}) : (vector<3xf32>, vector<3xf32>) -> vector<1xf32>
// GENERIC: "keops.weightedsqnorm"(%{{.*}}, %{{.*}}) : (vector<9xf32>, vector<3xf32>) -> vector<1xf32>
// GENERIC: "keops.weightedsqdist"(%{{.*}}, %{{.*}}, %{{.*}}) : (vector<9xf32>, vector<3xf32>, vector<3xf32>) -> vector<1xf32>
func.func @feature(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %w1: tensor<1xf32>, %w3: tensor<3xf32>, %w9: tensor<9xf32>, %init: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %out = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %w1 : p tensor<1xf32>, %w3 : p tensor<3xf32>, %w9 : p tensor<9xf32>) outs(%init : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>, %p1: vector<1xf32>, %p3: vector<3xf32>, %p9: vector<9xf32>):
    %0 = keops.sum %a : vector<3xf32>
    %1 = keops.max %a : vector<3xf32>
    %2 = keops.min %a : vector<3xf32>
    %3 = keops.argmax %a : vector<3xf32>
    %4 = keops.argmin %a : vector<3xf32>
    %5 = keops.sqnorm2 %a : vector<3xf32>
    %6 = keops.norm2 %a : vector<3xf32>
    %7 = keops.normalize %a : vector<3xf32>
    %8 = keops.dot %7, %b : vector<3xf32>
    %9 = keops.sqdist %a, %b : vector<3xf32>
    %10 = keops.weightedsqnorm %p1, %a : vector<1xf32>, vector<3xf32>
    %11 = keops.weightedsqnorm %p3, %a : vector<3xf32>, vector<3xf32>
    %12 = keops.weightedsqnorm %p9, %a : vector<9xf32>, vector<3xf32>
    %13 = keops.weightedsqdist %p9, %a, %b : vector<9xf32>, vector<3xf32>
    %14 = keops.weightedsqdist %p1, %a, %b : vector<1xf32>, vector<3xf32>
    %15 = keops.weightedsqdist %p3, %a, %b : vector<3xf32>, vector<3xf32>
    %r = arith.addf %0, %1 : vector<1xf32>
    keops.yield %r : vector<1xf32>
  } -> tensor<?x1xf32>
  return %out : tensor<?x1xf32>
}

// CHECK-LABEL: func.func @shapes(
// CHECK: keops.reduce sum over j ins(%{{.*}} : i tensor<?x6xf64>, %{{.*}} : j tensor<?x3xf64>, %{{.*}} : p tensor<1xf64>) outs(%{{.*}} : tensor<?x6xf64>) {
// CHECK-NEXT: ^bb0(%[[A:[a-z0-9_]+]]: vector<6xf64>, %[[B:[a-z0-9_]+]]: vector<3xf64>, %[[C:[a-z0-9_]+]]: vector<1xf64>):
// CHECK-NEXT: keops.one_hot %[[C]], 4 : vector<1xf64>
// CHECK-NEXT: %[[MV:.+]] = keops.matvecmult %[[A]], %[[B]] : vector<6xf64>, vector<3xf64>
// CHECK-NEXT: keops.vecmatmult %[[MV]], %[[A]] : vector<2xf64>, vector<6xf64>
// CHECK-NEXT: keops.tensorprod %[[MV]], %[[B]] : vector<2xf64>, vector<3xf64>
// CHECK-NEXT: keops.tensordot %[[A]], %[[B]] shapes [2, 3], [3] contract [1], [0] : vector<6xf64>, vector<3xf64>
// CHECK-NEXT: keops.tensordot %[[A]], %[[B]] shapes [2, 3], [3] contract [], [] : vector<6xf64>, vector<3xf64>
// CHECK-NEXT: keops.tensordot %[[A]], %[[A]] shapes [2, 3], [3, 2] contract [1, 0], [0, 1] : vector<6xf64>, vector<6xf64>
// CHECK-NEXT: %[[K:.+]] = keops.kron %[[MV]], %[[B]] shapes [2], [3] : vector<2xf64>, vector<3xf64>
// CHECK-NEXT: keops.kron %[[A]], %[[A]] shapes [2, 3], [3, 2] : vector<6xf64>, vector<6xf64>
// CHECK-NEXT: keops.yield %[[K]] : vector<6xf64>
// CHECK-NEXT: } -> tensor<?x6xf64>
// GENERIC-LABEL: sym_name = "shapes"
// GENERIC: "keops.one_hot"(%{{.*}}) <{dim = 4 : i64}> : (vector<1xf64>) -> vector<4xf64>
// GENERIC: "keops.matvecmult"(%{{.*}}, %{{.*}}) : (vector<6xf64>, vector<3xf64>) -> vector<2xf64>
// GENERIC: "keops.vecmatmult"(%{{.*}}, %{{.*}}) : (vector<2xf64>, vector<6xf64>) -> vector<3xf64>
// GENERIC: "keops.tensorprod"(%{{.*}}, %{{.*}}) : (vector<2xf64>, vector<3xf64>) -> vector<6xf64>
// GENERIC: "keops.tensordot"(%{{.*}}, %{{.*}}) <{lhs_contract = array<i64: 1>, lhs_shape = array<i64: 2, 3>, rhs_contract = array<i64: 0>, rhs_shape = array<i64: 3>}> : (vector<6xf64>, vector<3xf64>) -> vector<2xf64>
// GENERIC: "keops.tensordot"(%{{.*}}, %{{.*}}) <{lhs_contract = array<i64>, lhs_shape = array<i64: 2, 3>, rhs_contract = array<i64>, rhs_shape = array<i64: 3>}> : (vector<6xf64>, vector<3xf64>) -> vector<18xf64>
// GENERIC: "keops.tensordot"(%{{.*}}, %{{.*}}) <{{.*}}> : (vector<6xf64>, vector<6xf64>) -> vector<1xf64>
// GENERIC: "keops.kron"(%{{.*}}, %{{.*}}) <{lhs_shape = array<i64: 2>, rhs_shape = array<i64: 3>}> : (vector<2xf64>, vector<3xf64>) -> vector<6xf64>
// GENERIC: "keops.kron"(%{{.*}}, %{{.*}}) <{lhs_shape = array<i64: 2, 3>, rhs_shape = array<i64: 3, 2>}> : (vector<6xf64>, vector<6xf64>) -> vector<36xf64>
func.func @shapes(%x: tensor<?x6xf64>, %y: tensor<?x3xf64>, %s: tensor<1xf64>, %init: tensor<?x6xf64>) -> tensor<?x6xf64> {
  %out = keops.reduce sum over j ins(%x : i tensor<?x6xf64>, %y : j tensor<?x3xf64>, %s : p tensor<1xf64>) outs(%init : tensor<?x6xf64>) {
  ^bb0(%a: vector<6xf64>, %b: vector<3xf64>, %c: vector<1xf64>):
    %0 = keops.one_hot %c, 4 : vector<1xf64>
    %1 = keops.matvecmult %a, %b : vector<6xf64>, vector<3xf64>
    %2 = keops.vecmatmult %1, %a : vector<2xf64>, vector<6xf64>
    %3 = keops.tensorprod %1, %b : vector<2xf64>, vector<3xf64>
    %4 = keops.tensordot %a, %b shapes [2, 3], [3] contract [1], [0] : vector<6xf64>, vector<3xf64>
    %5 = keops.tensordot %a, %b shapes [2, 3], [3] contract [], [] : vector<6xf64>, vector<3xf64>
    %6 = keops.tensordot %a, %a shapes [2, 3], [3, 2] contract [1, 0], [0, 1] : vector<6xf64>, vector<6xf64>
    %7 = keops.kron %1, %b shapes [2], [3] : vector<2xf64>, vector<3xf64>
    %8 = keops.kron %a, %a shapes [2, 3], [3, 2] : vector<6xf64>, vector<6xf64>
    keops.yield %7 : vector<6xf64>
  } -> tensor<?x6xf64>
  return %out : tensor<?x6xf64>
}

// CHECK-LABEL: func.func @grad(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[D:.+]] = keops.sqdist %[[A]], %[[B]] : vector<3xf32>
// CHECK-NEXT: %[[E:.+]] = arith.constant dense<1.000000e+00> : vector<1xf32>
// CHECK-NEXT: %[[G:.+]] = keops.grad %[[D]] wrt %[[A]], %[[E]] : vector<1xf32>, vector<3xf32>
// CHECK-NEXT: %[[H:.+]] = keops.grad %[[G]] wrt %[[B]], %[[A]] : vector<3xf32>, vector<3xf32>
// CHECK-NEXT: keops.yield %[[H]] : vector<3xf32>
// GENERIC-LABEL: sym_name = "grad"
// GENERIC: "keops.grad"(%{{.*}}, %{{.*}}, %{{.*}}) : (vector<1xf32>, vector<3xf32>, vector<1xf32>) -> vector<3xf32>
func.func @grad(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %init: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %out = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%init : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %d = keops.sqdist %a, %b : vector<3xf32>
    %e = arith.constant dense<1.0> : vector<1xf32>
    %g = keops.grad %d wrt %a, %e : vector<1xf32>, vector<3xf32>
    %h = keops.grad %g wrt %b, %a : vector<3xf32>, vector<3xf32>
    keops.yield %h : vector<3xf32>
  } -> tensor<?x3xf32>
  return %out : tensor<?x3xf32>
}

// CHECK-LABEL: func.func @upstream(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>, %[[C:[a-z0-9_]+]]: vector<1xf32>):
// CHECK-NEXT: %[[K:.+]] = arith.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]> : vector<3xf32>
// CHECK-NEXT: %[[V0:.+]] = arith.addf %[[A]], %[[K]] : vector<3xf32>
// CHECK-NEXT: %[[V1:.+]] = arith.subf %[[V0]], %[[B]] : vector<3xf32>
// CHECK-NEXT: %[[V2:.+]] = arith.mulf %[[V1]], %[[B]] fastmath<nnan,ninf> : vector<3xf32>
// CHECK-NEXT: %[[V3:.+]] = arith.divf %[[V2]], %[[A]] : vector<3xf32>
// CHECK-NEXT: %[[V4:.+]] = arith.negf %[[V3]] : vector<3xf32>
// CHECK-NEXT: %[[V5:.+]] = arith.maximumf %[[V4]], %[[A]] : vector<3xf32>
// CHECK-NEXT: %[[V6:.+]] = arith.minimumf %[[V5]], %[[B]] : vector<3xf32>
// CHECK-NEXT: %[[M0:.+]] = math.exp %[[V6]] : vector<3xf32>
// CHECK-NEXT: %[[M1:.+]] = math.log %[[M0]] : vector<3xf32>
// CHECK-NEXT: %[[M2:.+]] = math.sin %[[M1]] : vector<3xf32>
// CHECK-NEXT: %[[M3:.+]] = math.cos %[[M2]] : vector<3xf32>
// CHECK-NEXT: %[[M4:.+]] = math.tan %[[M3]] : vector<3xf32>
// CHECK-NEXT: %[[M5:.+]] = math.asin %[[M4]] : vector<3xf32>
// CHECK-NEXT: %[[M6:.+]] = math.acos %[[M5]] : vector<3xf32>
// CHECK-NEXT: %[[M7:.+]] = math.atan %[[M6]] : vector<3xf32>
// CHECK-NEXT: %[[M8:.+]] = math.atan2 %[[M7]], %[[A]] : vector<3xf32>
// CHECK-NEXT: %[[M9:.+]] = math.sinh %[[M8]] : vector<3xf32>
// CHECK-NEXT: %[[M10:.+]] = math.cosh %[[M9]] : vector<3xf32>
// CHECK-NEXT: %[[M11:.+]] = math.tanh %[[M10]] : vector<3xf32>
// CHECK-NEXT: %[[M12:.+]] = math.sqrt %[[M11]] : vector<3xf32>
// CHECK-NEXT: %[[M13:.+]] = math.rsqrt %[[M12]] : vector<3xf32>
// CHECK-NEXT: %[[M14:.+]] = math.absf %[[M13]] : vector<3xf32>
// CHECK-NEXT: %[[M15:.+]] = math.floor %[[M14]] : vector<3xf32>
// CHECK-NEXT: %[[M16:.+]] = math.ceil %[[M15]] : vector<3xf32>
// CHECK-NEXT: %[[M17:.+]] = math.powf %[[M16]], %[[B]] : vector<3xf32>
// CHECK-NEXT: %[[M18:.+]] = math.erf %[[M17]] : vector<3xf32>
// CHECK-NEXT: %[[B0:.+]] = vector.broadcast %[[C]] : vector<1xf32> to vector<3xf32>
// CHECK-NEXT: %[[S0:.+]] = vector.extract_strided_slice %[[M18]] {offsets = [1], sizes = [2], strides = [1]} : vector<3xf32> to vector<2xf32>
// CHECK-NEXT: %[[S1:.+]] = vector.shuffle %[[S0]], %[[C]] [0, 2, 1] : vector<2xf32>, vector<1xf32>
// CHECK-NEXT: %[[R:.+]] = arith.addf %[[B0]], %[[S1]] : vector<3xf32>
// CHECK-NEXT: keops.yield %[[R]] : vector<3xf32>
// CHECK-NEXT: } -> tensor<?x3xf32>
func.func @upstream(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %s: tensor<1xf32>, %init: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %out = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %s : p tensor<1xf32>) outs(%init : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>, %c: vector<1xf32>):
    %k = arith.constant dense<[1.0, 2.0, 3.0]> : vector<3xf32>
    %0 = arith.addf %a, %k : vector<3xf32>
    %1 = arith.subf %0, %b : vector<3xf32>
    %2 = arith.mulf %1, %b fastmath<nnan,ninf> : vector<3xf32>
    %3 = arith.divf %2, %a : vector<3xf32>
    %4 = arith.negf %3 : vector<3xf32>
    %5 = arith.maximumf %4, %a : vector<3xf32>
    %6 = arith.minimumf %5, %b : vector<3xf32>
    %m0 = math.exp %6 : vector<3xf32>
    %m1 = math.log %m0 : vector<3xf32>
    %m2 = math.sin %m1 : vector<3xf32>
    %m3 = math.cos %m2 : vector<3xf32>
    %m4 = math.tan %m3 : vector<3xf32>
    %m5 = math.asin %m4 : vector<3xf32>
    %m6 = math.acos %m5 : vector<3xf32>
    %m7 = math.atan %m6 : vector<3xf32>
    %m8 = math.atan2 %m7, %a : vector<3xf32>
    %m9 = math.sinh %m8 : vector<3xf32>
    %m10 = math.cosh %m9 : vector<3xf32>
    %m11 = math.tanh %m10 : vector<3xf32>
    %m12 = math.sqrt %m11 : vector<3xf32>
    %m13 = math.rsqrt %m12 : vector<3xf32>
    %m14 = math.absf %m13 : vector<3xf32>
    %m15 = math.floor %m14 : vector<3xf32>
    %m16 = math.ceil %m15 : vector<3xf32>
    %m17 = math.powf %m16, %b : vector<3xf32>
    %m18 = math.erf %m17 : vector<3xf32>
    %v0 = vector.broadcast %c : vector<1xf32> to vector<3xf32>
    %v1 = vector.extract_strided_slice %m18 {offsets = [1], sizes = [2], strides = [1]} : vector<3xf32> to vector<2xf32>
    %v2 = vector.shuffle %v1, %c [0, 2, 1] : vector<2xf32>, vector<1xf32>
    %r = arith.addf %v0, %v2 : vector<3xf32>
    keops.yield %r : vector<3xf32>
  } -> tensor<?x3xf32>
  return %out : tensor<?x3xf32>
}

// Static row counts and a discardable attribute; a reduction over i whose only
// variable is an i variable (the output then gives the number of columns N).
// CHECK-LABEL: func.func @static_rows_and_attributes(
// CHECK: keops.reduce sum over j ins(%{{.*}} : i tensor<7x2xf32>, %{{.*}} : j tensor<11x2xf32>, %{{.*}} : p tensor<2xf32>) outs(%{{.*}} : tensor<7x2xf32>) attributes {keops.note = "static"} {
// CHECK: } -> tensor<7x2xf32>
// CHECK: keops.reduce max over i ins(%{{.*}} : i memref<11x4xf64>) outs(%{{.*}} : memref<4x4xf64>) {
// CHECK: keops.yield %{{.*}} : vector<4xf64>
// GENERIC-LABEL: sym_name = "static_rows_and_attributes"
// GENERIC: "keops.reduce"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{axis = #keops<axis j>, categories = [#keops<category i>, #keops<category j>, #keops<category p>], kind = #keops<kind sum>, operandSegmentSizes = array<i32: 3, 1, 0, 0>}> ({
// GENERIC: }) {keops.note = "static"} : (tensor<7x2xf32>, tensor<11x2xf32>, tensor<2xf32>, tensor<7x2xf32>) -> tensor<7x2xf32>
// GENERIC: "keops.reduce"(%{{.*}}, %{{.*}}) <{axis = #keops<axis i>, categories = [#keops<category i>], kind = #keops<kind max>, operandSegmentSizes = array<i32: 1, 1, 0, 0>}> ({
// GENERIC: }) : (memref<11x4xf64>, memref<4x4xf64>) -> ()
func.func @static_rows_and_attributes(%x: tensor<7x2xf32>, %y: tensor<11x2xf32>, %p: tensor<2xf32>, %init: tensor<7x2xf32>, %m: memref<11x4xf64>, %o: memref<4x4xf64>) -> tensor<7x2xf32> {
  %out = keops.reduce sum over j ins(%x : i tensor<7x2xf32>, %y : j tensor<11x2xf32>, %p : p tensor<2xf32>) outs(%init : tensor<7x2xf32>) attributes {keops.note = "static"} {
  ^bb0(%a: vector<2xf32>, %b: vector<2xf32>, %c: vector<2xf32>):
    %0 = arith.mulf %a, %c : vector<2xf32>
    %1 = arith.addf %0, %b : vector<2xf32>
    keops.yield %1 : vector<2xf32>
  } -> tensor<7x2xf32>
  keops.reduce max over i ins(%m : i memref<11x4xf64>) outs(%o : memref<4x4xf64>) {
  ^bb0(%a: vector<4xf64>):
    keops.yield %a : vector<4xf64>
  }
  return %out : tensor<7x2xf32>
}

// One reduction per kind and axis.

// CHECK-LABEL: func.func @sum_over_j(
// CHECK: %{{.*}} = keops.reduce sum over j ins(%{{[a-z0-9]+}} : i tensor<?x2xf16>, %{{[a-z0-9]+}} : j tensor<?x2xf16>, %{{[a-z0-9]+}} : p tensor<3xf16>) outs(%{{[a-z0-9]+}} : tensor<?x2xf16>) {
// CHECK-NEXT: ^bb0(%[[X:[a-z0-9_]+]]: vector<2xf16>, %[[Y:[a-z0-9_]+]]: vector<2xf16>, %[[P:[a-z0-9_]+]]: vector<3xf16>):
// CHECK-NEXT: %[[F:[a-z0-9_]+]] = arith.subf %[[X]], %[[Y]] : vector<2xf16>
// CHECK-NEXT: keops.yield %[[F]] : vector<2xf16>
// CHECK-NEXT: } -> tensor<?x2xf16>
func.func @sum_over_j(%x: tensor<?x2xf16>, %y: tensor<?x2xf16>, %p: tensor<3xf16>, %o0: tensor<?x2xf16>) -> (tensor<?x2xf16>) {
  %r = keops.reduce sum over j ins(%x : i tensor<?x2xf16>, %y : j tensor<?x2xf16>, %p : p tensor<3xf16>) outs(%o0 : tensor<?x2xf16>) {
  ^bb0(%a: vector<2xf16>, %b: vector<2xf16>, %c: vector<3xf16>):
      %f = arith.subf %a, %b : vector<2xf16>
      keops.yield %f : vector<2xf16>
  } -> tensor<?x2xf16>
  return %r : tensor<?x2xf16>
}

// CHECK-LABEL: func.func @sum_over_i(
// CHECK: keops.reduce sum over i ins(%{{[a-z0-9]+}} : i tensor<?x2xf32>, %{{[a-z0-9]+}} : j memref<?x2xf32>, %{{[a-z0-9]+}} : p tensor<3xf32>) outs(%{{[a-z0-9]+}} : memref<?x2xf32>) {
// CHECK-NEXT: ^bb0(%[[X:[a-z0-9_]+]]: vector<2xf32>, %[[Y:[a-z0-9_]+]]: vector<2xf32>, %[[P:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[F:[a-z0-9_]+]] = arith.subf %[[X]], %[[Y]] : vector<2xf32>
// CHECK-NEXT: keops.yield %[[F]] : vector<2xf32>
// CHECK-NEXT: {{^ *}}}{{$}}
// CHECK-NEXT: return{{$}}
func.func @sum_over_i(%x: tensor<?x2xf32>, %y: memref<?x2xf32>, %p: tensor<3xf32>, %o0: memref<?x2xf32>) {
  keops.reduce sum over i ins(%x : i tensor<?x2xf32>, %y : j memref<?x2xf32>, %p : p tensor<3xf32>) outs(%o0 : memref<?x2xf32>) {
  ^bb0(%a: vector<2xf32>, %b: vector<2xf32>, %c: vector<3xf32>):
      %f = arith.subf %a, %b : vector<2xf32>
      keops.yield %f : vector<2xf32>
  }
  return
}

// CHECK-LABEL: func.func @min_over_j(
// CHECK: %{{.*}} = keops.reduce min over j ins(%{{[a-z0-9]+}} : i tensor<?x2xf64>, %{{[a-z0-9]+}} : j tensor<?x2xf64>, %{{[a-z0-9]+}} : p tensor<3xf64>) outs(%{{[a-z0-9]+}} : tensor<?x2xf64>) {
// CHECK-NEXT: ^bb0(%[[X:[a-z0-9_]+]]: vector<2xf64>, %[[Y:[a-z0-9_]+]]: vector<2xf64>, %[[P:[a-z0-9_]+]]: vector<3xf64>):
// CHECK-NEXT: %[[F:[a-z0-9_]+]] = arith.subf %[[X]], %[[Y]] : vector<2xf64>
// CHECK-NEXT: keops.yield %[[F]] : vector<2xf64>
// CHECK-NEXT: } -> tensor<?x2xf64>
func.func @min_over_j(%x: tensor<?x2xf64>, %y: tensor<?x2xf64>, %p: tensor<3xf64>, %o0: tensor<?x2xf64>) -> (tensor<?x2xf64>) {
  %r = keops.reduce min over j ins(%x : i tensor<?x2xf64>, %y : j tensor<?x2xf64>, %p : p tensor<3xf64>) outs(%o0 : tensor<?x2xf64>) {
  ^bb0(%a: vector<2xf64>, %b: vector<2xf64>, %c: vector<3xf64>):
      %f = arith.subf %a, %b : vector<2xf64>
      keops.yield %f : vector<2xf64>
  } -> tensor<?x2xf64>
  return %r : tensor<?x2xf64>
}

// CHECK-LABEL: func.func @min_over_i(
// CHECK: keops.reduce min over i ins(%{{[a-z0-9]+}} : i tensor<?x2xf16>, %{{[a-z0-9]+}} : j memref<5x2xf16>, %{{[a-z0-9]+}} : p tensor<3xf16>) outs(%{{[a-z0-9]+}} : memref<5x2xf16>) {
// CHECK-NEXT: ^bb0(%[[X:[a-z0-9_]+]]: vector<2xf16>, %[[Y:[a-z0-9_]+]]: vector<2xf16>, %[[P:[a-z0-9_]+]]: vector<3xf16>):
// CHECK-NEXT: %[[F:[a-z0-9_]+]] = arith.subf %[[X]], %[[Y]] : vector<2xf16>
// CHECK-NEXT: keops.yield %[[F]] : vector<2xf16>
// CHECK-NEXT: {{^ *}}}{{$}}
// CHECK-NEXT: return{{$}}
func.func @min_over_i(%x: tensor<?x2xf16>, %y: memref<5x2xf16>, %p: tensor<3xf16>, %o0: memref<5x2xf16>) {
  keops.reduce min over i ins(%x : i tensor<?x2xf16>, %y : j memref<5x2xf16>, %p : p tensor<3xf16>) outs(%o0 : memref<5x2xf16>) {
  ^bb0(%a: vector<2xf16>, %b: vector<2xf16>, %c: vector<3xf16>):
      %f = arith.subf %a, %b : vector<2xf16>
      keops.yield %f : vector<2xf16>
  }
  return
}

// CHECK-LABEL: func.func @max_over_j(
// CHECK: keops.reduce max over j ins(%{{[a-z0-9]+}} : i tensor<?x2xf32>, %{{[a-z0-9]+}} : j memref<?x2xf32>, %{{[a-z0-9]+}} : p tensor<3xf32>) outs(%{{[a-z0-9]+}} : memref<?x2xf32>) {
// CHECK-NEXT: ^bb0(%[[X:[a-z0-9_]+]]: vector<2xf32>, %[[Y:[a-z0-9_]+]]: vector<2xf32>, %[[P:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[F:[a-z0-9_]+]] = arith.subf %[[X]], %[[Y]] : vector<2xf32>
// CHECK-NEXT: keops.yield %[[F]] : vector<2xf32>
// CHECK-NEXT: {{^ *}}}{{$}}
// CHECK-NEXT: return{{$}}
func.func @max_over_j(%x: tensor<?x2xf32>, %y: memref<?x2xf32>, %p: tensor<3xf32>, %o0: memref<?x2xf32>) {
  keops.reduce max over j ins(%x : i tensor<?x2xf32>, %y : j memref<?x2xf32>, %p : p tensor<3xf32>) outs(%o0 : memref<?x2xf32>) {
  ^bb0(%a: vector<2xf32>, %b: vector<2xf32>, %c: vector<3xf32>):
      %f = arith.subf %a, %b : vector<2xf32>
      keops.yield %f : vector<2xf32>
  }
  return
}

// CHECK-LABEL: func.func @max_over_i(
// CHECK: keops.reduce max over i ins(%{{[a-z0-9]+}} : i tensor<?x2xf64>, %{{[a-z0-9]+}} : j memref<?x2xf64>, %{{[a-z0-9]+}} : p tensor<3xf64>) outs(%{{[a-z0-9]+}} : memref<?x2xf64>) {
// CHECK-NEXT: ^bb0(%[[X:[a-z0-9_]+]]: vector<2xf64>, %[[Y:[a-z0-9_]+]]: vector<2xf64>, %[[P:[a-z0-9_]+]]: vector<3xf64>):
// CHECK-NEXT: %[[F:[a-z0-9_]+]] = arith.subf %[[X]], %[[Y]] : vector<2xf64>
// CHECK-NEXT: keops.yield %[[F]] : vector<2xf64>
// CHECK-NEXT: {{^ *}}}{{$}}
// CHECK-NEXT: return{{$}}
func.func @max_over_i(%x: tensor<?x2xf64>, %y: memref<?x2xf64>, %p: tensor<3xf64>, %o0: memref<?x2xf64>) {
  keops.reduce max over i ins(%x : i tensor<?x2xf64>, %y : j memref<?x2xf64>, %p : p tensor<3xf64>) outs(%o0 : memref<?x2xf64>) {
  ^bb0(%a: vector<2xf64>, %b: vector<2xf64>, %c: vector<3xf64>):
      %f = arith.subf %a, %b : vector<2xf64>
      keops.yield %f : vector<2xf64>
  }
  return
}

// CHECK-LABEL: func.func @argmin_over_j(
// CHECK: %{{.*}} = keops.reduce argmin over j ins(%{{[a-z0-9]+}} : i tensor<?x2xf16>, %{{[a-z0-9]+}} : j tensor<?x2xf16>, %{{[a-z0-9]+}} : p tensor<3xf16>) outs(%{{[a-z0-9]+}} : tensor<?x2xi32>) {
// CHECK-NEXT: ^bb0(%[[X:[a-z0-9_]+]]: vector<2xf16>, %[[Y:[a-z0-9_]+]]: vector<2xf16>, %[[P:[a-z0-9_]+]]: vector<3xf16>):
// CHECK-NEXT: %[[F:[a-z0-9_]+]] = arith.subf %[[X]], %[[Y]] : vector<2xf16>
// CHECK-NEXT: keops.yield %[[F]] : vector<2xf16>
// CHECK-NEXT: } -> tensor<?x2xi32>
func.func @argmin_over_j(%x: tensor<?x2xf16>, %y: tensor<?x2xf16>, %p: tensor<3xf16>, %o0: tensor<?x2xi32>) -> (tensor<?x2xi32>) {
  %r = keops.reduce argmin over j ins(%x : i tensor<?x2xf16>, %y : j tensor<?x2xf16>, %p : p tensor<3xf16>) outs(%o0 : tensor<?x2xi32>) {
  ^bb0(%a: vector<2xf16>, %b: vector<2xf16>, %c: vector<3xf16>):
      %f = arith.subf %a, %b : vector<2xf16>
      keops.yield %f : vector<2xf16>
  } -> tensor<?x2xi32>
  return %r : tensor<?x2xi32>
}

// CHECK-LABEL: func.func @argmin_over_i(
// CHECK: %{{.*}} = keops.reduce argmin over i ins(%{{[a-z0-9]+}} : i tensor<?x2xf32>, %{{[a-z0-9]+}} : j tensor<5x2xf32>, %{{[a-z0-9]+}} : p tensor<3xf32>) outs(%{{[a-z0-9]+}} : tensor<5x2xi64>) {
// CHECK-NEXT: ^bb0(%[[X:[a-z0-9_]+]]: vector<2xf32>, %[[Y:[a-z0-9_]+]]: vector<2xf32>, %[[P:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[F:[a-z0-9_]+]] = arith.subf %[[X]], %[[Y]] : vector<2xf32>
// CHECK-NEXT: keops.yield %[[F]] : vector<2xf32>
// CHECK-NEXT: } -> tensor<5x2xi64>
func.func @argmin_over_i(%x: tensor<?x2xf32>, %y: tensor<5x2xf32>, %p: tensor<3xf32>, %o0: tensor<5x2xi64>) -> (tensor<5x2xi64>) {
  %r = keops.reduce argmin over i ins(%x : i tensor<?x2xf32>, %y : j tensor<5x2xf32>, %p : p tensor<3xf32>) outs(%o0 : tensor<5x2xi64>) {
  ^bb0(%a: vector<2xf32>, %b: vector<2xf32>, %c: vector<3xf32>):
      %f = arith.subf %a, %b : vector<2xf32>
      keops.yield %f : vector<2xf32>
  } -> tensor<5x2xi64>
  return %r : tensor<5x2xi64>
}

// CHECK-LABEL: func.func @argmax_over_j(
// CHECK: %{{.*}} = keops.reduce argmax over j ins(%{{[a-z0-9]+}} : i tensor<?x2xf64>, %{{[a-z0-9]+}} : j tensor<?x2xf64>, %{{[a-z0-9]+}} : p tensor<3xf64>) outs(%{{[a-z0-9]+}} : tensor<?x2xi32>) {
// CHECK-NEXT: ^bb0(%[[X:[a-z0-9_]+]]: vector<2xf64>, %[[Y:[a-z0-9_]+]]: vector<2xf64>, %[[P:[a-z0-9_]+]]: vector<3xf64>):
// CHECK-NEXT: %[[F:[a-z0-9_]+]] = arith.subf %[[X]], %[[Y]] : vector<2xf64>
// CHECK-NEXT: keops.yield %[[F]] : vector<2xf64>
// CHECK-NEXT: } -> tensor<?x2xi32>
func.func @argmax_over_j(%x: tensor<?x2xf64>, %y: tensor<?x2xf64>, %p: tensor<3xf64>, %o0: tensor<?x2xi32>) -> (tensor<?x2xi32>) {
  %r = keops.reduce argmax over j ins(%x : i tensor<?x2xf64>, %y : j tensor<?x2xf64>, %p : p tensor<3xf64>) outs(%o0 : tensor<?x2xi32>) {
  ^bb0(%a: vector<2xf64>, %b: vector<2xf64>, %c: vector<3xf64>):
      %f = arith.subf %a, %b : vector<2xf64>
      keops.yield %f : vector<2xf64>
  } -> tensor<?x2xi32>
  return %r : tensor<?x2xi32>
}

// CHECK-LABEL: func.func @argmax_over_i(
// CHECK: keops.reduce argmax over i ins(%{{[a-z0-9]+}} : i tensor<?x2xf16>, %{{[a-z0-9]+}} : j memref<?x2xf16>, %{{[a-z0-9]+}} : p tensor<3xf16>) outs(%{{[a-z0-9]+}} : memref<?x2xi64>) {
// CHECK-NEXT: ^bb0(%[[X:[a-z0-9_]+]]: vector<2xf16>, %[[Y:[a-z0-9_]+]]: vector<2xf16>, %[[P:[a-z0-9_]+]]: vector<3xf16>):
// CHECK-NEXT: %[[F:[a-z0-9_]+]] = arith.subf %[[X]], %[[Y]] : vector<2xf16>
// CHECK-NEXT: keops.yield %[[F]] : vector<2xf16>
// CHECK-NEXT: {{^ *}}}{{$}}
// CHECK-NEXT: return{{$}}
func.func @argmax_over_i(%x: tensor<?x2xf16>, %y: memref<?x2xf16>, %p: tensor<3xf16>, %o0: memref<?x2xi64>) {
  keops.reduce argmax over i ins(%x : i tensor<?x2xf16>, %y : j memref<?x2xf16>, %p : p tensor<3xf16>) outs(%o0 : memref<?x2xi64>) {
  ^bb0(%a: vector<2xf16>, %b: vector<2xf16>, %c: vector<3xf16>):
      %f = arith.subf %a, %b : vector<2xf16>
      keops.yield %f : vector<2xf16>
  }
  return
}

// CHECK-LABEL: func.func @min_argmin_over_j(
// CHECK: keops.reduce min_argmin over j ins(%{{[a-z0-9]+}} : i tensor<?x2xf32>, %{{[a-z0-9]+}} : j memref<?x2xf32>, %{{[a-z0-9]+}} : p tensor<3xf32>) outs(%{{[a-z0-9]+}} : memref<?x2xf32>, %{{[a-z0-9]+}} : memref<?x2xi32>) {
// CHECK-NEXT: ^bb0(%[[X:[a-z0-9_]+]]: vector<2xf32>, %[[Y:[a-z0-9_]+]]: vector<2xf32>, %[[P:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[F:[a-z0-9_]+]] = arith.subf %[[X]], %[[Y]] : vector<2xf32>
// CHECK-NEXT: keops.yield %[[F]] : vector<2xf32>
// CHECK-NEXT: {{^ *}}}{{$}}
// CHECK-NEXT: return{{$}}
func.func @min_argmin_over_j(%x: tensor<?x2xf32>, %y: memref<?x2xf32>, %p: tensor<3xf32>, %o0: memref<?x2xf32>, %o1: memref<?x2xi32>) {
  keops.reduce min_argmin over j ins(%x : i tensor<?x2xf32>, %y : j memref<?x2xf32>, %p : p tensor<3xf32>) outs(%o0 : memref<?x2xf32>, %o1 : memref<?x2xi32>) {
  ^bb0(%a: vector<2xf32>, %b: vector<2xf32>, %c: vector<3xf32>):
      %f = arith.subf %a, %b : vector<2xf32>
      keops.yield %f : vector<2xf32>
  }
  return
}

// CHECK-LABEL: func.func @min_argmin_over_i(
// CHECK: keops.reduce min_argmin over i ins(%{{[a-z0-9]+}} : i tensor<?x2xf64>, %{{[a-z0-9]+}} : j memref<5x2xf64>, %{{[a-z0-9]+}} : p tensor<3xf64>) outs(%{{[a-z0-9]+}} : memref<5x2xf64>, %{{[a-z0-9]+}} : memref<5x2xi64>) {
// CHECK-NEXT: ^bb0(%[[X:[a-z0-9_]+]]: vector<2xf64>, %[[Y:[a-z0-9_]+]]: vector<2xf64>, %[[P:[a-z0-9_]+]]: vector<3xf64>):
// CHECK-NEXT: %[[F:[a-z0-9_]+]] = arith.subf %[[X]], %[[Y]] : vector<2xf64>
// CHECK-NEXT: keops.yield %[[F]] : vector<2xf64>
// CHECK-NEXT: {{^ *}}}{{$}}
// CHECK-NEXT: return{{$}}
func.func @min_argmin_over_i(%x: tensor<?x2xf64>, %y: memref<5x2xf64>, %p: tensor<3xf64>, %o0: memref<5x2xf64>, %o1: memref<5x2xi64>) {
  keops.reduce min_argmin over i ins(%x : i tensor<?x2xf64>, %y : j memref<5x2xf64>, %p : p tensor<3xf64>) outs(%o0 : memref<5x2xf64>, %o1 : memref<5x2xi64>) {
  ^bb0(%a: vector<2xf64>, %b: vector<2xf64>, %c: vector<3xf64>):
      %f = arith.subf %a, %b : vector<2xf64>
      keops.yield %f : vector<2xf64>
  }
  return
}

// CHECK-LABEL: func.func @max_argmax_over_j(
// CHECK: %{{.*}} = keops.reduce max_argmax over j ins(%{{[a-z0-9]+}} : i tensor<?x2xf16>, %{{[a-z0-9]+}} : j tensor<?x2xf16>, %{{[a-z0-9]+}} : p tensor<3xf16>) outs(%{{[a-z0-9]+}} : tensor<?x2xf16>, %{{[a-z0-9]+}} : tensor<?x2xi32>) {
// CHECK-NEXT: ^bb0(%[[X:[a-z0-9_]+]]: vector<2xf16>, %[[Y:[a-z0-9_]+]]: vector<2xf16>, %[[P:[a-z0-9_]+]]: vector<3xf16>):
// CHECK-NEXT: %[[F:[a-z0-9_]+]] = arith.subf %[[X]], %[[Y]] : vector<2xf16>
// CHECK-NEXT: keops.yield %[[F]] : vector<2xf16>
// CHECK-NEXT: } -> tensor<?x2xf16>, tensor<?x2xi32>
func.func @max_argmax_over_j(%x: tensor<?x2xf16>, %y: tensor<?x2xf16>, %p: tensor<3xf16>, %o0: tensor<?x2xf16>, %o1: tensor<?x2xi32>) -> (tensor<?x2xf16>, tensor<?x2xi32>) {
  %r:2 = keops.reduce max_argmax over j ins(%x : i tensor<?x2xf16>, %y : j tensor<?x2xf16>, %p : p tensor<3xf16>) outs(%o0 : tensor<?x2xf16>, %o1 : tensor<?x2xi32>) {
  ^bb0(%a: vector<2xf16>, %b: vector<2xf16>, %c: vector<3xf16>):
      %f = arith.subf %a, %b : vector<2xf16>
      keops.yield %f : vector<2xf16>
  } -> tensor<?x2xf16>, tensor<?x2xi32>
  return %r#0, %r#1 : tensor<?x2xf16>, tensor<?x2xi32>
}

// CHECK-LABEL: func.func @max_argmax_over_i(
// CHECK: %{{.*}} = keops.reduce max_argmax over i ins(%{{[a-z0-9]+}} : i tensor<?x2xf32>, %{{[a-z0-9]+}} : j tensor<?x2xf32>, %{{[a-z0-9]+}} : p tensor<3xf32>) outs(%{{[a-z0-9]+}} : tensor<?x2xf32>, %{{[a-z0-9]+}} : tensor<?x2xi64>) {
// CHECK-NEXT: ^bb0(%[[X:[a-z0-9_]+]]: vector<2xf32>, %[[Y:[a-z0-9_]+]]: vector<2xf32>, %[[P:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[F:[a-z0-9_]+]] = arith.subf %[[X]], %[[Y]] : vector<2xf32>
// CHECK-NEXT: keops.yield %[[F]] : vector<2xf32>
// CHECK-NEXT: } -> tensor<?x2xf32>, tensor<?x2xi64>
func.func @max_argmax_over_i(%x: tensor<?x2xf32>, %y: tensor<?x2xf32>, %p: tensor<3xf32>, %o0: tensor<?x2xf32>, %o1: tensor<?x2xi64>) -> (tensor<?x2xf32>, tensor<?x2xi64>) {
  %r:2 = keops.reduce max_argmax over i ins(%x : i tensor<?x2xf32>, %y : j tensor<?x2xf32>, %p : p tensor<3xf32>) outs(%o0 : tensor<?x2xf32>, %o1 : tensor<?x2xi64>) {
  ^bb0(%a: vector<2xf32>, %b: vector<2xf32>, %c: vector<3xf32>):
      %f = arith.subf %a, %b : vector<2xf32>
      keops.yield %f : vector<2xf32>
  } -> tensor<?x2xf32>, tensor<?x2xi64>
  return %r#0, %r#1 : tensor<?x2xf32>, tensor<?x2xi64>
}

// CHECK-LABEL: func.func @kmin_over_j(
// CHECK: %{{.*}} = keops.reduce kmin k = 3 over j ins(%{{[a-z0-9]+}} : i tensor<?x2xf64>, %{{[a-z0-9]+}} : j tensor<?x2xf64>, %{{[a-z0-9]+}} : p tensor<3xf64>) outs(%{{[a-z0-9]+}} : tensor<?x6xf64>) {
// CHECK-NEXT: ^bb0(%[[X:[a-z0-9_]+]]: vector<2xf64>, %[[Y:[a-z0-9_]+]]: vector<2xf64>, %[[P:[a-z0-9_]+]]: vector<3xf64>):
// CHECK-NEXT: %[[F:[a-z0-9_]+]] = arith.subf %[[X]], %[[Y]] : vector<2xf64>
// CHECK-NEXT: keops.yield %[[F]] : vector<2xf64>
// CHECK-NEXT: } -> tensor<?x6xf64>
func.func @kmin_over_j(%x: tensor<?x2xf64>, %y: tensor<?x2xf64>, %p: tensor<3xf64>, %o0: tensor<?x6xf64>) -> (tensor<?x6xf64>) {
  %r = keops.reduce kmin k = 3 over j ins(%x : i tensor<?x2xf64>, %y : j tensor<?x2xf64>, %p : p tensor<3xf64>) outs(%o0 : tensor<?x6xf64>) {
  ^bb0(%a: vector<2xf64>, %b: vector<2xf64>, %c: vector<3xf64>):
      %f = arith.subf %a, %b : vector<2xf64>
      keops.yield %f : vector<2xf64>
  } -> tensor<?x6xf64>
  return %r : tensor<?x6xf64>
}

// CHECK-LABEL: func.func @kmin_over_i(
// CHECK: keops.reduce kmin k = 3 over i ins(%{{[a-z0-9]+}} : i tensor<?x2xf16>, %{{[a-z0-9]+}} : j memref<5x2xf16>, %{{[a-z0-9]+}} : p tensor<3xf16>) outs(%{{[a-z0-9]+}} : memref<5x6xf16>) {
// CHECK-NEXT: ^bb0(%[[X:[a-z0-9_]+]]: vector<2xf16>, %[[Y:[a-z0-9_]+]]: vector<2xf16>, %[[P:[a-z0-9_]+]]: vector<3xf16>):
// CHECK-NEXT: %[[F:[a-z0-9_]+]] = arith.subf %[[X]], %[[Y]] : vector<2xf16>
// CHECK-NEXT: keops.yield %[[F]] : vector<2xf16>
// CHECK-NEXT: {{^ *}}}{{$}}
// CHECK-NEXT: return{{$}}
func.func @kmin_over_i(%x: tensor<?x2xf16>, %y: memref<5x2xf16>, %p: tensor<3xf16>, %o0: memref<5x6xf16>) {
  keops.reduce kmin k = 3 over i ins(%x : i tensor<?x2xf16>, %y : j memref<5x2xf16>, %p : p tensor<3xf16>) outs(%o0 : memref<5x6xf16>) {
  ^bb0(%a: vector<2xf16>, %b: vector<2xf16>, %c: vector<3xf16>):
      %f = arith.subf %a, %b : vector<2xf16>
      keops.yield %f : vector<2xf16>
  }
  return
}

// CHECK-LABEL: func.func @argkmin_over_j(
// CHECK: keops.reduce argkmin k = 2 over j ins(%{{[a-z0-9]+}} : i tensor<?x2xf32>, %{{[a-z0-9]+}} : j memref<?x2xf32>, %{{[a-z0-9]+}} : p tensor<3xf32>) outs(%{{[a-z0-9]+}} : memref<?x4xi32>) {
// CHECK-NEXT: ^bb0(%[[X:[a-z0-9_]+]]: vector<2xf32>, %[[Y:[a-z0-9_]+]]: vector<2xf32>, %[[P:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[F:[a-z0-9_]+]] = arith.subf %[[X]], %[[Y]] : vector<2xf32>
// CHECK-NEXT: keops.yield %[[F]] : vector<2xf32>
// CHECK-NEXT: {{^ *}}}{{$}}
// CHECK-NEXT: return{{$}}
func.func @argkmin_over_j(%x: tensor<?x2xf32>, %y: memref<?x2xf32>, %p: tensor<3xf32>, %o0: memref<?x4xi32>) {
  keops.reduce argkmin k = 2 over j ins(%x : i tensor<?x2xf32>, %y : j memref<?x2xf32>, %p : p tensor<3xf32>) outs(%o0 : memref<?x4xi32>) {
  ^bb0(%a: vector<2xf32>, %b: vector<2xf32>, %c: vector<3xf32>):
      %f = arith.subf %a, %b : vector<2xf32>
      keops.yield %f : vector<2xf32>
  }
  return
}

// CHECK-LABEL: func.func @argkmin_over_i(
// CHECK: keops.reduce argkmin k = 2 over i ins(%{{[a-z0-9]+}} : i tensor<?x2xf64>, %{{[a-z0-9]+}} : j memref<?x2xf64>, %{{[a-z0-9]+}} : p tensor<3xf64>) outs(%{{[a-z0-9]+}} : memref<?x4xi64>) {
// CHECK-NEXT: ^bb0(%[[X:[a-z0-9_]+]]: vector<2xf64>, %[[Y:[a-z0-9_]+]]: vector<2xf64>, %[[P:[a-z0-9_]+]]: vector<3xf64>):
// CHECK-NEXT: %[[F:[a-z0-9_]+]] = arith.subf %[[X]], %[[Y]] : vector<2xf64>
// CHECK-NEXT: keops.yield %[[F]] : vector<2xf64>
// CHECK-NEXT: {{^ *}}}{{$}}
// CHECK-NEXT: return{{$}}
func.func @argkmin_over_i(%x: tensor<?x2xf64>, %y: memref<?x2xf64>, %p: tensor<3xf64>, %o0: memref<?x4xi64>) {
  keops.reduce argkmin k = 2 over i ins(%x : i tensor<?x2xf64>, %y : j memref<?x2xf64>, %p : p tensor<3xf64>) outs(%o0 : memref<?x4xi64>) {
  ^bb0(%a: vector<2xf64>, %b: vector<2xf64>, %c: vector<3xf64>):
      %f = arith.subf %a, %b : vector<2xf64>
      keops.yield %f : vector<2xf64>
  }
  return
}

// CHECK-LABEL: func.func @kmin_argkmin_over_j(
// CHECK: %{{.*}} = keops.reduce kmin_argkmin k = 4 over j ins(%{{[a-z0-9]+}} : i tensor<?x2xf16>, %{{[a-z0-9]+}} : j tensor<?x2xf16>, %{{[a-z0-9]+}} : p tensor<3xf16>) outs(%{{[a-z0-9]+}} : tensor<?x8xf16>, %{{[a-z0-9]+}} : tensor<?x8xi32>) {
// CHECK-NEXT: ^bb0(%[[X:[a-z0-9_]+]]: vector<2xf16>, %[[Y:[a-z0-9_]+]]: vector<2xf16>, %[[P:[a-z0-9_]+]]: vector<3xf16>):
// CHECK-NEXT: %[[F:[a-z0-9_]+]] = arith.subf %[[X]], %[[Y]] : vector<2xf16>
// CHECK-NEXT: keops.yield %[[F]] : vector<2xf16>
// CHECK-NEXT: } -> tensor<?x8xf16>, tensor<?x8xi32>
func.func @kmin_argkmin_over_j(%x: tensor<?x2xf16>, %y: tensor<?x2xf16>, %p: tensor<3xf16>, %o0: tensor<?x8xf16>, %o1: tensor<?x8xi32>) -> (tensor<?x8xf16>, tensor<?x8xi32>) {
  %r:2 = keops.reduce kmin_argkmin k = 4 over j ins(%x : i tensor<?x2xf16>, %y : j tensor<?x2xf16>, %p : p tensor<3xf16>) outs(%o0 : tensor<?x8xf16>, %o1 : tensor<?x8xi32>) {
  ^bb0(%a: vector<2xf16>, %b: vector<2xf16>, %c: vector<3xf16>):
      %f = arith.subf %a, %b : vector<2xf16>
      keops.yield %f : vector<2xf16>
  } -> tensor<?x8xf16>, tensor<?x8xi32>
  return %r#0, %r#1 : tensor<?x8xf16>, tensor<?x8xi32>
}

// CHECK-LABEL: func.func @kmin_argkmin_over_i(
// CHECK: %{{.*}} = keops.reduce kmin_argkmin k = 4 over i ins(%{{[a-z0-9]+}} : i tensor<?x2xf32>, %{{[a-z0-9]+}} : j tensor<5x2xf32>, %{{[a-z0-9]+}} : p tensor<3xf32>) outs(%{{[a-z0-9]+}} : tensor<5x8xf32>, %{{[a-z0-9]+}} : tensor<5x8xi64>) {
// CHECK-NEXT: ^bb0(%[[X:[a-z0-9_]+]]: vector<2xf32>, %[[Y:[a-z0-9_]+]]: vector<2xf32>, %[[P:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[F:[a-z0-9_]+]] = arith.subf %[[X]], %[[Y]] : vector<2xf32>
// CHECK-NEXT: keops.yield %[[F]] : vector<2xf32>
// CHECK-NEXT: } -> tensor<5x8xf32>, tensor<5x8xi64>
func.func @kmin_argkmin_over_i(%x: tensor<?x2xf32>, %y: tensor<5x2xf32>, %p: tensor<3xf32>, %o0: tensor<5x8xf32>, %o1: tensor<5x8xi64>) -> (tensor<5x8xf32>, tensor<5x8xi64>) {
  %r:2 = keops.reduce kmin_argkmin k = 4 over i ins(%x : i tensor<?x2xf32>, %y : j tensor<5x2xf32>, %p : p tensor<3xf32>) outs(%o0 : tensor<5x8xf32>, %o1 : tensor<5x8xi64>) {
  ^bb0(%a: vector<2xf32>, %b: vector<2xf32>, %c: vector<3xf32>):
      %f = arith.subf %a, %b : vector<2xf32>
      keops.yield %f : vector<2xf32>
  } -> tensor<5x8xf32>, tensor<5x8xi64>
  return %r#0, %r#1 : tensor<5x8xf32>, tensor<5x8xi64>
}

// CHECK-LABEL: func.func @logsumexp_over_j(
// CHECK: %{{.*}} = keops.reduce logsumexp over j ins(%{{[a-z0-9]+}} : i tensor<?x2xf64>, %{{[a-z0-9]+}} : j tensor<?x2xf64>, %{{[a-z0-9]+}} : p tensor<3xf64>) outs(%{{[a-z0-9]+}} : tensor<?x1xf64>) {
// CHECK-NEXT: ^bb0(%[[X:[a-z0-9_]+]]: vector<2xf64>, %[[Y:[a-z0-9_]+]]: vector<2xf64>, %[[P:[a-z0-9_]+]]: vector<3xf64>):
// CHECK-NEXT: %[[F:[a-z0-9_]+]] = keops.sqdist %[[X]], %[[Y]] : vector<2xf64>
// CHECK-NEXT: keops.yield %[[F]] : vector<1xf64>
// CHECK-NEXT: } -> tensor<?x1xf64>
func.func @logsumexp_over_j(%x: tensor<?x2xf64>, %y: tensor<?x2xf64>, %p: tensor<3xf64>, %o0: tensor<?x1xf64>) -> (tensor<?x1xf64>) {
  %r = keops.reduce logsumexp over j ins(%x : i tensor<?x2xf64>, %y : j tensor<?x2xf64>, %p : p tensor<3xf64>) outs(%o0 : tensor<?x1xf64>) {
  ^bb0(%a: vector<2xf64>, %b: vector<2xf64>, %c: vector<3xf64>):
      %f = keops.sqdist %a, %b : vector<2xf64>
      keops.yield %f : vector<1xf64>
  } -> tensor<?x1xf64>
  return %r : tensor<?x1xf64>
}

// CHECK-LABEL: func.func @logsumexp_over_i(
// CHECK: keops.reduce logsumexp over i ins(%{{[a-z0-9]+}} : i tensor<?x2xf16>, %{{[a-z0-9]+}} : j memref<?x2xf16>, %{{[a-z0-9]+}} : p tensor<3xf16>) outs(%{{[a-z0-9]+}} : memref<?x1xf16>) {
// CHECK-NEXT: ^bb0(%[[X:[a-z0-9_]+]]: vector<2xf16>, %[[Y:[a-z0-9_]+]]: vector<2xf16>, %[[P:[a-z0-9_]+]]: vector<3xf16>):
// CHECK-NEXT: %[[F:[a-z0-9_]+]] = keops.sqdist %[[X]], %[[Y]] : vector<2xf16>
// CHECK-NEXT: keops.yield %[[F]] : vector<1xf16>
// CHECK-NEXT: {{^ *}}}{{$}}
// CHECK-NEXT: return{{$}}
func.func @logsumexp_over_i(%x: tensor<?x2xf16>, %y: memref<?x2xf16>, %p: tensor<3xf16>, %o0: memref<?x1xf16>) {
  keops.reduce logsumexp over i ins(%x : i tensor<?x2xf16>, %y : j memref<?x2xf16>, %p : p tensor<3xf16>) outs(%o0 : memref<?x1xf16>) {
  ^bb0(%a: vector<2xf16>, %b: vector<2xf16>, %c: vector<3xf16>):
      %f = keops.sqdist %a, %b : vector<2xf16>
      keops.yield %f : vector<1xf16>
  }
  return
}

// CHECK-LABEL: func.func @logsumexp2_over_j(
// CHECK: keops.reduce logsumexp over j ins(%{{[a-z0-9]+}} : i tensor<?x2xf32>, %{{[a-z0-9]+}} : j memref<?x2xf32>, %{{[a-z0-9]+}} : p tensor<3xf32>) outs(%{{[a-z0-9]+}} : memref<?x3xf32>) {
// CHECK-NEXT: ^bb0(%[[X:[a-z0-9_]+]]: vector<2xf32>, %[[Y:[a-z0-9_]+]]: vector<2xf32>, %[[P:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[F:[a-z0-9_]+]] = keops.sqdist %[[X]], %[[Y]] : vector<2xf32>
// CHECK-NEXT: keops.yield %[[F]], %[[P]] : vector<1xf32>, vector<3xf32>
// CHECK-NEXT: {{^ *}}}{{$}}
// CHECK-NEXT: return{{$}}
func.func @logsumexp2_over_j(%x: tensor<?x2xf32>, %y: memref<?x2xf32>, %p: tensor<3xf32>, %o0: memref<?x3xf32>) {
  keops.reduce logsumexp over j ins(%x : i tensor<?x2xf32>, %y : j memref<?x2xf32>, %p : p tensor<3xf32>) outs(%o0 : memref<?x3xf32>) {
  ^bb0(%a: vector<2xf32>, %b: vector<2xf32>, %c: vector<3xf32>):
      %f = keops.sqdist %a, %b : vector<2xf32>
      keops.yield %f, %c : vector<1xf32>, vector<3xf32>
  }
  return
}

// CHECK-LABEL: func.func @logsumexp2_over_i(
// CHECK: keops.reduce logsumexp over i ins(%{{[a-z0-9]+}} : i tensor<?x2xf64>, %{{[a-z0-9]+}} : j memref<5x2xf64>, %{{[a-z0-9]+}} : p tensor<3xf64>) outs(%{{[a-z0-9]+}} : memref<5x3xf64>) {
// CHECK-NEXT: ^bb0(%[[X:[a-z0-9_]+]]: vector<2xf64>, %[[Y:[a-z0-9_]+]]: vector<2xf64>, %[[P:[a-z0-9_]+]]: vector<3xf64>):
// CHECK-NEXT: %[[F:[a-z0-9_]+]] = keops.sqdist %[[X]], %[[Y]] : vector<2xf64>
// CHECK-NEXT: keops.yield %[[F]], %[[P]] : vector<1xf64>, vector<3xf64>
// CHECK-NEXT: {{^ *}}}{{$}}
// CHECK-NEXT: return{{$}}
func.func @logsumexp2_over_i(%x: tensor<?x2xf64>, %y: memref<5x2xf64>, %p: tensor<3xf64>, %o0: memref<5x3xf64>) {
  keops.reduce logsumexp over i ins(%x : i tensor<?x2xf64>, %y : j memref<5x2xf64>, %p : p tensor<3xf64>) outs(%o0 : memref<5x3xf64>) {
  ^bb0(%a: vector<2xf64>, %b: vector<2xf64>, %c: vector<3xf64>):
      %f = keops.sqdist %a, %b : vector<2xf64>
      keops.yield %f, %c : vector<1xf64>, vector<3xf64>
  }
  return
}

// CHECK-LABEL: func.func @sumsoftmaxweight_over_j(
// CHECK: %{{.*}} = keops.reduce sumsoftmaxweight over j ins(%{{[a-z0-9]+}} : i tensor<?x2xf16>, %{{[a-z0-9]+}} : j tensor<?x2xf16>, %{{[a-z0-9]+}} : p tensor<3xf16>) outs(%{{[a-z0-9]+}} : tensor<?x3xf16>) {
// CHECK-NEXT: ^bb0(%[[X:[a-z0-9_]+]]: vector<2xf16>, %[[Y:[a-z0-9_]+]]: vector<2xf16>, %[[P:[a-z0-9_]+]]: vector<3xf16>):
// CHECK-NEXT: %[[F:[a-z0-9_]+]] = keops.sqdist %[[X]], %[[Y]] : vector<2xf16>
// CHECK-NEXT: keops.yield %[[F]], %[[P]] : vector<1xf16>, vector<3xf16>
// CHECK-NEXT: } -> tensor<?x3xf16>
func.func @sumsoftmaxweight_over_j(%x: tensor<?x2xf16>, %y: tensor<?x2xf16>, %p: tensor<3xf16>, %o0: tensor<?x3xf16>) -> (tensor<?x3xf16>) {
  %r = keops.reduce sumsoftmaxweight over j ins(%x : i tensor<?x2xf16>, %y : j tensor<?x2xf16>, %p : p tensor<3xf16>) outs(%o0 : tensor<?x3xf16>) {
  ^bb0(%a: vector<2xf16>, %b: vector<2xf16>, %c: vector<3xf16>):
      %f = keops.sqdist %a, %b : vector<2xf16>
      keops.yield %f, %c : vector<1xf16>, vector<3xf16>
  } -> tensor<?x3xf16>
  return %r : tensor<?x3xf16>
}

// CHECK-LABEL: func.func @sumsoftmaxweight_over_i(
// CHECK: %{{.*}} = keops.reduce sumsoftmaxweight over i ins(%{{[a-z0-9]+}} : i tensor<?x2xf32>, %{{[a-z0-9]+}} : j tensor<?x2xf32>, %{{[a-z0-9]+}} : p tensor<3xf32>) outs(%{{[a-z0-9]+}} : tensor<?x3xf32>) {
// CHECK-NEXT: ^bb0(%[[X:[a-z0-9_]+]]: vector<2xf32>, %[[Y:[a-z0-9_]+]]: vector<2xf32>, %[[P:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[F:[a-z0-9_]+]] = keops.sqdist %[[X]], %[[Y]] : vector<2xf32>
// CHECK-NEXT: keops.yield %[[F]], %[[P]] : vector<1xf32>, vector<3xf32>
// CHECK-NEXT: } -> tensor<?x3xf32>
func.func @sumsoftmaxweight_over_i(%x: tensor<?x2xf32>, %y: tensor<?x2xf32>, %p: tensor<3xf32>, %o0: tensor<?x3xf32>) -> (tensor<?x3xf32>) {
  %r = keops.reduce sumsoftmaxweight over i ins(%x : i tensor<?x2xf32>, %y : j tensor<?x2xf32>, %p : p tensor<3xf32>) outs(%o0 : tensor<?x3xf32>) {
  ^bb0(%a: vector<2xf32>, %b: vector<2xf32>, %c: vector<3xf32>):
      %f = keops.sqdist %a, %b : vector<2xf32>
      keops.yield %f, %c : vector<1xf32>, vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// Dimensions at the bound, 65536 (kMaxFormulaDim), are accepted: k, a
// parameter's vector dimension, one_hot, and tensorprod / tensordot / kron
// results of exactly 65536 components.
// CHECK-LABEL: func.func @at_the_bound(
// CHECK: keops.reduce kmin k = 65536 over j ins(%{{[a-z0-9]+}} : i tensor<?x1xf32>, %{{[a-z0-9]+}} : j tensor<?x256xf32>, %{{[a-z0-9]+}} : p tensor<65536xf32>) outs(%{{[a-z0-9]+}} : memref<?x65536xf32>) {
// CHECK-NEXT: ^bb0(%[[X:[a-z0-9_]+]]: vector<1xf32>, %[[Y:[a-z0-9_]+]]: vector<256xf32>, %[[P:[a-z0-9_]+]]: vector<65536xf32>):
// CHECK-NEXT: %[[H:.+]] = keops.one_hot %[[X]], 65536 : vector<1xf32>
// CHECK-NEXT: %[[T:.+]] = keops.tensorprod %[[Y]], %[[Y]] : vector<256xf32>, vector<256xf32>
// CHECK-NEXT: %[[D:.+]] = keops.tensordot %[[Y]], %[[Y]] shapes [16, 16], [256] contract [], [] : vector<256xf32>, vector<256xf32>
// CHECK-NEXT: %[[K:.+]] = keops.kron %[[Y]], %[[Y]] shapes [16, 16], [16, 16] : vector<256xf32>, vector<256xf32>
// CHECK-NEXT: %[[S0:.+]] = keops.dot %[[H]], %[[P]] : vector<65536xf32>
// CHECK-NEXT: %[[S1:.+]] = keops.dot %[[T]], %[[D]] : vector<65536xf32>
// CHECK-NEXT: %[[S2:.+]] = keops.dot %[[K]], %[[P]] : vector<65536xf32>
// CHECK-NEXT: %[[S3:.+]] = arith.addf %[[S0]], %[[S1]] : vector<1xf32>
// CHECK-NEXT: %[[S4:.+]] = arith.addf %[[S3]], %[[S2]] : vector<1xf32>
// CHECK-NEXT: keops.yield %[[S4]] : vector<1xf32>
// CHECK-NEXT: }
// GENERIC-LABEL: sym_name = "at_the_bound"
// GENERIC: "keops.one_hot"(%{{.*}}) <{dim = 65536 : i64}> : (vector<1xf32>) -> vector<65536xf32>
// GENERIC: "keops.tensorprod"(%{{.*}}, %{{.*}}) : (vector<256xf32>, vector<256xf32>) -> vector<65536xf32>
// GENERIC: "keops.tensordot"(%{{.*}}, %{{.*}}) <{{.*}}> : (vector<256xf32>, vector<256xf32>) -> vector<65536xf32>
// GENERIC: "keops.kron"(%{{.*}}, %{{.*}}) <{lhs_shape = array<i64: 16, 16>, rhs_shape = array<i64: 16, 16>}> : (vector<256xf32>, vector<256xf32>) -> vector<65536xf32>
func.func @at_the_bound(%x: tensor<?x1xf32>, %y: tensor<?x256xf32>, %p: tensor<65536xf32>, %o: memref<?x65536xf32>) {
  keops.reduce kmin k = 65536 over j ins(%x : i tensor<?x1xf32>, %y : j tensor<?x256xf32>, %p : p tensor<65536xf32>) outs(%o : memref<?x65536xf32>) {
  ^bb0(%a: vector<1xf32>, %b: vector<256xf32>, %c: vector<65536xf32>):
    %h = keops.one_hot %a, 65536 : vector<1xf32>
    %t = keops.tensorprod %b, %b : vector<256xf32>, vector<256xf32>
    %d = keops.tensordot %b, %b shapes [16, 16], [256] contract [], [] : vector<256xf32>, vector<256xf32>
    %k = keops.kron %b, %b shapes [16, 16], [16, 16] : vector<256xf32>, vector<256xf32>
    %s0 = keops.dot %h, %c : vector<65536xf32>
    %s1 = keops.dot %t, %d : vector<65536xf32>
    %s2 = keops.dot %k, %c : vector<65536xf32>
    %s3 = arith.addf %s0, %s1 : vector<1xf32>
    %s4 = arith.addf %s3, %s2 : vector<1xf32>
    keops.yield %s4 : vector<1xf32>
  }
  return
}

// Index variables (i32 or i64, any category) and keops.select_index, with the
// reduced index (default) or an explicit axis. The float variables give the
// formula's element type.
// CHECK-LABEL: func.func @select_index(
// CHECK: %{{.*}} = keops.reduce sum over j ins(%{{[a-z0-9]+}} : j tensor<?x3xf64>, %{{[a-z0-9]+}} : i tensor<?x3xi32>, %{{[a-z0-9]+}} : j tensor<?x3xi64>, %{{[a-z0-9]+}} : p tensor<3xi64>) outs(%{{[a-z0-9]+}} : tensor<?x3xf64>) {
// CHECK-NEXT: ^bb0(%[[V:[a-z0-9_]+]]: vector<3xf64>, %[[I:[a-z0-9_]+]]: vector<3xi32>, %[[J:[a-z0-9_]+]]: vector<3xi64>, %[[P:[a-z0-9_]+]]: vector<3xi64>):
// CHECK-NEXT: %[[S0:.+]] = keops.select_index %[[I]], %[[V]] : vector<3xi32>, vector<3xf64>
// CHECK-NEXT: %[[S1:.+]] = keops.select_index %[[J]], %[[S0]] at i : vector<3xi64>, vector<3xf64>
// CHECK-NEXT: %[[S2:.+]] = keops.select_index %[[P]], %[[S1]] at j : vector<3xi64>, vector<3xf64>
// CHECK-NEXT: %[[S3:.+]] = keops.select_index %[[I]], %[[S2]] : vector<3xi32>, vector<3xf64>
// CHECK-NEXT: keops.yield %[[S3]] : vector<3xf64>
// CHECK-NEXT: } -> tensor<?x3xf64>
// CHECK: keops.reduce min_argmin over i ins(%{{[a-z0-9]+}} : i memref<?x2xi32>, %{{[a-z0-9]+}} : p memref<2xf16>) outs(%{{[a-z0-9]+}} : memref<?x2xf16>, %{{[a-z0-9]+}} : memref<?x2xi64>) {
// CHECK-NEXT: ^bb0(%[[K:[a-z0-9_]+]]: vector<2xi32>, %[[W:[a-z0-9_]+]]: vector<2xf16>):
// CHECK-NEXT: %[[S4:.+]] = keops.select_index %[[K]], %[[W]] at j : vector<2xi32>, vector<2xf16>
// CHECK-NEXT: keops.yield %[[S4]] : vector<2xf16>
// GENERIC-LABEL: sym_name = "select_index"
// GENERIC: "keops.select_index"(%{{.*}}, %{{.*}}) : (vector<3xi32>, vector<3xf64>) -> vector<3xf64>
// GENERIC: "keops.select_index"(%{{.*}}, %{{.*}}) <{axis = #keops<axis i>}> : (vector<3xi64>, vector<3xf64>) -> vector<3xf64>
// GENERIC: "keops.select_index"(%{{.*}}, %{{.*}}) <{axis = #keops<axis j>}> : (vector<3xi64>, vector<3xf64>) -> vector<3xf64>
func.func @select_index(%v: tensor<?x3xf64>, %i: tensor<?x3xi32>, %j: tensor<?x3xi64>, %p: tensor<3xi64>, %o: tensor<?x3xf64>,
                        %k: memref<?x2xi32>, %w: memref<2xf16>, %m: memref<?x2xf16>, %n: memref<?x2xi64>) -> tensor<?x3xf64> {
  %r = keops.reduce sum over j ins(%v : j tensor<?x3xf64>, %i : i tensor<?x3xi32>, %j : j tensor<?x3xi64>, %p : p tensor<3xi64>) outs(%o : tensor<?x3xf64>) {
  ^bb0(%a: vector<3xf64>, %b: vector<3xi32>, %c: vector<3xi64>, %d: vector<3xi64>):
    %0 = keops.select_index %b, %a : vector<3xi32>, vector<3xf64>
    %1 = keops.select_index %c, %0 at i : vector<3xi64>, vector<3xf64>
    %2 = keops.select_index %d, %1 at j : vector<3xi64>, vector<3xf64>
    %3 = keops.select_index %b, %2 : vector<3xi32>, vector<3xf64>
    keops.yield %3 : vector<3xf64>
  } -> tensor<?x3xf64>
  keops.reduce min_argmin over i ins(%k : i memref<?x2xi32>, %w : p memref<2xf16>) outs(%m : memref<?x2xf16>, %n : memref<?x2xi64>) {
  ^bb0(%a: vector<2xi32>, %b: vector<2xf16>):
    %0 = keops.select_index %a, %b at j : vector<2xi32>, vector<2xf16>
    keops.yield %0 : vector<2xf16>
  }
  return %r : tensor<?x3xf64>
}

// Batch axes: leading extents of every operand, a static 1 broadcasting an
// input (here x over axis 1, b over axis 0, the parameter over axis 1).
// CHECK-LABEL: func.func @batched(
// CHECK: keops.reduce min_argmin over j ins(%{{.*}} : i tensor<?x1x?x3xf64>, %{{.*}} : j tensor<?x4x?x3xf64>, %{{.*}} : j tensor<1x4x?x1xf64>, %{{.*}} : p tensor<?x1x1xf64>) outs(%{{.*}} : tensor<?x4x?x1xf64>, %{{.*}} : tensor<?x4x?x1xi32>)
// CHECK: } -> tensor<?x4x?x1xf64>, tensor<?x4x?x1xi32>
func.func @batched(%x: tensor<?x1x?x3xf64>, %y: tensor<?x4x?x3xf64>, %b: tensor<1x4x?x1xf64>, %p: tensor<?x1x1xf64>, %v: tensor<?x4x?x1xf64>, %i: tensor<?x4x?x1xi32>) -> (tensor<?x4x?x1xf64>, tensor<?x4x?x1xi32>) {
  %r:2 = keops.reduce min_argmin over j ins(%x : i tensor<?x1x?x3xf64>, %y : j tensor<?x4x?x3xf64>, %b : j tensor<1x4x?x1xf64>, %p : p tensor<?x1x1xf64>) outs(%v : tensor<?x4x?x1xf64>, %i : tensor<?x4x?x1xi32>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<1xf64>, %pp: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %s = arith.mulf %d, %pp : vector<1xf64>
    %t = arith.addf %s, %bj : vector<1xf64>
    keops.yield %t : vector<1xf64>
  } -> tensor<?x4x?x1xf64>, tensor<?x4x?x1xi32>
  return %r#0, %r#1 : tensor<?x4x?x1xf64>, tensor<?x4x?x1xi32>
}

// The sum over broadcast batch axes that gradients of batched reductions end
// with.
// CHECK-LABEL: func.func @unbroadcast(
// CHECK: keops.unbroadcast %{{.*}} : tensor<?x4x?x3xf32> -> tensor<1x4x?x3xf32>
// GENERIC: "keops.unbroadcast"(%{{.*}}) : (tensor<?x4x?x3xf32>) -> tensor<1x4x?x3xf32>
func.func @unbroadcast(%g: tensor<?x4x?x3xf32>) -> tensor<1x4x?x3xf32> {
  %s = keops.unbroadcast %g : tensor<?x4x?x3xf32> -> tensor<1x4x?x3xf32>
  return %s : tensor<1x4x?x3xf32>
}

// Block-sparse ranges: pykeops' six arrays after the outputs.
// CHECK-LABEL: func.func @ranges(
// CHECK: keops.reduce sum over j ins(%{{.*}} : i tensor<?x3xf32>, %{{.*}} : j tensor<?x3xf32>) outs(%{{.*}} : tensor<?x1xf32>) ranges(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x2xi32>, tensor<?xi32>, tensor<?x2xi32>, tensor<?x2xi32>, tensor<?xi32>, tensor<?x2xi32>) {
// GENERIC: sym_name = "ranges"
// GENERIC: operandSegmentSizes = array<i32: 2, 1, 6, 0>
func.func @ranges(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>,
                  %a: tensor<?x2xi32>, %b: tensor<?xi32>, %c: tensor<?x2xi32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>)
      ranges(%a, %b, %c, %a, %b, %c : tensor<?x2xi32>, tensor<?xi32>, tensor<?x2xi32>, tensor<?x2xi32>, tensor<?xi32>, tensor<?x2xi32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}
