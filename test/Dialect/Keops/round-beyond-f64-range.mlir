// keops.round with decimals in [-340, -309]: 10^-decimals is inf in double,
// and every finite x rounds to a zero of its own sign (not to 0 * inf = NaN).
// inf and NaN stay unchanged.
//
// RUN: keops-opt %s -canonicalize -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @fold_round_minus_309(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf64>, %[[B:[a-z0-9_]+]]: vector<3xf64>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[0.000000e+00, -0.000000e+00, 0.000000e+00, -0.000000e+00, 0x7FF0000000000000, 0x7FF8000000000000]> : vector<6xf64>
// CHECK-NOT: keops.round
// CHECK: keops.yield %[[C]] : vector<6xf64>
func.func @fold_round_minus_309(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %o: tensor<?x6xf64>) -> tensor<?x6xf64> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>) outs(%o : tensor<?x6xf64>) {
  ^bb0(%a: vector<3xf64>, %b: vector<3xf64>):
    %c = arith.constant dense<[1.0e308, -1.0e308, 2.5, -0.0, 0x7FF0000000000000, 0x7FF8000000000000]> : vector<6xf64>
    %0 = keops.round %c, -309 : vector<6xf64>
    keops.yield %0 : vector<6xf64>
  } -> tensor<?x6xf64>
  return %r : tensor<?x6xf64>
}

// -----

// CHECK-LABEL: func.func @fold_round_minus_340(
// CHECK: ^bb0(%[[A:[a-z0-9_]+]]: vector<3xf32>, %[[B:[a-z0-9_]+]]: vector<3xf32>):
// CHECK-NEXT: %[[C:.+]] = arith.constant dense<[0.000000e+00, -0.000000e+00, 0.000000e+00, 0xFF800000]> : vector<4xf32>
// CHECK-NOT: keops.round
// CHECK: keops.yield %[[C]] : vector<4xf32>
func.func @fold_round_minus_340(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x4xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %c = arith.constant dense<[3.0e38, -7.0, 0.0, 0xFF800000]> : vector<4xf32>
    %0 = keops.round %c, -340 : vector<4xf32>
    keops.yield %0 : vector<4xf32>
  } -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}
