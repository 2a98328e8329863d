// RUN: keops-opt %s -split-input-file | keops-opt -split-input-file | FileCheck %s
// RUN: keops-opt %s -split-input-file --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC
// RUN: keops-opt %s -split-input-file -keops-expand-formulas | FileCheck %s --check-prefix=EXPAND

// The complex ops on vectors of (real, imaginary) pairs: round trip, inferred
// result types, and their expansion into real arith / math / vector ops. The
// values of the expansions are checked against the interpreter by
// test/python/test_expand_formulas.py, the derivative rules by
// test/python/test_grad_rules.py.

// CHECK-LABEL: func.func @complex_ops
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<4xf32>, %[[B:[a-z0-9_]+]]: vector<4xf32>):
// CHECK-NEXT: %[[M:[a-z0-9_]+]] = keops.cmul %[[A]], %[[B]] : vector<4xf32>
// CHECK-NEXT: %[[D:[a-z0-9_]+]] = keops.cdiv %[[M]], %[[B]] : vector<4xf32>
// CHECK-NEXT: %[[C:[a-z0-9_]+]] = keops.conj %[[D]] : vector<4xf32>
// CHECK-NEXT: %[[E:[a-z0-9_]+]] = keops.cexp %[[C]] : vector<4xf32>
// CHECK-NEXT: %[[S:[a-z0-9_]+]] = keops.csum %[[E]] : vector<4xf32>
// CHECK-NEXT: %[[R:[a-z0-9_]+]] = keops.cabs %[[E]] : vector<4xf32>
// CHECK-NEXT: %[[T:[a-z0-9_]+]] = keops.cangle %[[E]] : vector<4xf32>
// GENERIC: "keops.csum"(%{{.*}}) : (vector<4xf32>) -> vector<2xf32>
// GENERIC: "keops.cabs"(%{{.*}}) : (vector<4xf32>) -> vector<2xf32>
// GENERIC: "keops.cangle"(%{{.*}}) : (vector<4xf32>) -> vector<2xf32>

// Every complex op becomes real ops on the deinterleaved parts.
// EXPAND-LABEL: func.func @complex_ops
// EXPAND-NOT: keops.{{c(mul|div|exp|sum|abs|angle)|conj}}
// EXPAND-DAG: vector.shuffle %{{.+}}, %{{.+}} [0, 2] : vector<4xf32>, vector<4xf32>
// EXPAND-DAG: vector.shuffle %{{.+}}, %{{.+}} [1, 3] : vector<4xf32>, vector<4xf32>
// EXPAND-DAG: arith.divf
// EXPAND-DAG: arith.negf
// EXPAND-DAG: math.exp
// EXPAND-DAG: math.cos
// EXPAND-DAG: math.sin
// EXPAND-DAG: vector.reduction <add>
// EXPAND-DAG: math.sqrt
// EXPAND-DAG: math.atan2
// EXPAND-NOT: keops.{{c(mul|div|exp|sum|abs|angle)|conj}}
func.func @complex_ops(%a_in: tensor<?x4xf32>, %b_in: tensor<?x4xf32>, %out: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %0 = keops.reduce sum over j ins(%a_in : i tensor<?x4xf32>, %b_in : j tensor<?x4xf32>) outs(%out : tensor<?x6xf32>) {
  ^bb0(%a: vector<4xf32>, %b: vector<4xf32>):
    %m = keops.cmul %a, %b : vector<4xf32>
    %d = keops.cdiv %m, %b : vector<4xf32>
    %c = keops.conj %d : vector<4xf32>
    %e = keops.cexp %c : vector<4xf32>
    %s = keops.csum %e : vector<4xf32>
    %r = keops.cabs %e : vector<4xf32>
    %t = keops.cangle %e : vector<4xf32>
    %st = vector.shuffle %s, %r [0, 1, 2, 3] : vector<2xf32>, vector<2xf32>
    %all = vector.shuffle %st, %t [0, 1, 2, 3, 4, 5] : vector<4xf32>, vector<2xf32>
    keops.yield %all : vector<6xf32>
  } -> tensor<?x6xf32>
  return %0 : tensor<?x6xf32>
}

// -----

// The complex product of one pair: (ac - bd, ad + bc), interleaved again.
// EXPAND-LABEL: func.func @cmul_one
// EXPAND: ^bb0(%[[A:[a-z0-9_]+]]: vector<2xf64>, %[[B:[a-z0-9_]+]]: vector<2xf64>):
// EXPAND-DAG: %[[AR:[a-z0-9_]+]] = vector.extract_strided_slice %[[A]] {offsets = [0], sizes = [1], strides = [1]}
// EXPAND-DAG: %[[AI:[a-z0-9_]+]] = vector.extract_strided_slice %[[A]] {offsets = [1], sizes = [1], strides = [1]}
// EXPAND-DAG: %[[BR:[a-z0-9_]+]] = vector.extract_strided_slice %[[B]] {offsets = [0], sizes = [1], strides = [1]}
// EXPAND-DAG: %[[BI:[a-z0-9_]+]] = vector.extract_strided_slice %[[B]] {offsets = [1], sizes = [1], strides = [1]}
// EXPAND-DAG: %[[P1:[a-z0-9_]+]] = arith.mulf %[[AR]], %[[BR]] : vector<1xf64>
// EXPAND-DAG: %[[P2:[a-z0-9_]+]] = arith.mulf %[[AI]], %[[BI]] : vector<1xf64>
// EXPAND-DAG: %[[RE:[a-z0-9_]+]] = arith.subf %[[P1]], %[[P2]] : vector<1xf64>
// EXPAND-DAG: %[[P3:[a-z0-9_]+]] = arith.mulf %[[AR]], %[[BI]] : vector<1xf64>
// EXPAND-DAG: %[[P4:[a-z0-9_]+]] = arith.mulf %[[AI]], %[[BR]] : vector<1xf64>
// EXPAND-DAG: %[[IM:[a-z0-9_]+]] = arith.addf %[[P3]], %[[P4]] : vector<1xf64>
// EXPAND: %[[Z:[a-z0-9_]+]] = vector.shuffle %[[RE]], %[[IM]] [0, 1] : vector<1xf64>, vector<1xf64>
// EXPAND: keops.yield %[[Z]] : vector<2xf64>
func.func @cmul_one(%a_in: tensor<?x2xf64>, %b_in: tensor<?x2xf64>, %out: tensor<?x2xf64>) -> tensor<?x2xf64> {
  %0 = keops.reduce sum over j ins(%a_in : i tensor<?x2xf64>, %b_in : j tensor<?x2xf64>) outs(%out : tensor<?x2xf64>) {
  ^bb0(%a: vector<2xf64>, %b: vector<2xf64>):
    %m = keops.cmul %a, %b : vector<2xf64>
    keops.yield %m : vector<2xf64>
  } -> tensor<?x2xf64>
  return %0 : tensor<?x2xf64>
}
