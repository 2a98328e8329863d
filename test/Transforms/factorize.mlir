// RUN: keops-opt %s -keops-factorize -split-input-file | FileCheck %s

// Ops of parameters and constants first, then ops of the variables indexed
// like the output rows (x and e for a reduction over j), then the others,
// each group in its original order.
// CHECK-LABEL: func.func @groups
// CHECK: ^bb0(%[[X:.+]]: vector<3xf32>, %[[Y:.+]]: vector<3xf32>, %[[S:.+]]: vector<1xf32>, %[[E:.+]]: vector<1xf32>):
// Per reduction:
// CHECK-NEXT: %[[TWO:.+]] = arith.constant dense<2.000000e+00> : vector<1xf32>
// CHECK-NEXT: %[[S2:.+]] = arith.mulf %[[S]], %[[TWO]] : vector<1xf32>
// Per row:
// CHECK-NEXT: %[[NX:.+]] = keops.sqnorm2 %[[X]] : vector<3xf32>
// CHECK-NEXT: %[[ES:.+]] = arith.mulf %[[E]], %[[S2]] : vector<1xf32>
// Per pair:
// CHECK-NEXT: %[[D:.+]] = keops.dot %[[X]], %[[Y]] : vector<3xf32>
// CHECK-NEXT: %[[A:.+]] = arith.addf %[[D]], %[[NX]] : vector<1xf32>
// CHECK-NEXT: %[[R:.+]] = arith.mulf %[[A]], %[[ES]] : vector<1xf32>
// CHECK-NEXT: keops.yield %[[R]]
func.func @groups(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %s: tensor<1xf32>, %e: tensor<?x1xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %s : p tensor<1xf32>, %e : i tensor<?x1xf32>)
      outs(%o : tensor<?x1xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %sp: vector<1xf32>, %ei: vector<1xf32>):
    %d = keops.dot %xi, %yj : vector<3xf32>
    %nx = keops.sqnorm2 %xi : vector<3xf32>
    %a = arith.addf %d, %nx : vector<1xf32>
    %two = arith.constant dense<2.0> : vector<1xf32>
    %s2 = arith.mulf %sp, %two : vector<1xf32>
    %es = arith.mulf %ei, %s2 : vector<1xf32>
    %r = arith.mulf %a, %es : vector<1xf32>
    keops.yield %r : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// Over i, the rows are j: y is the per-row variable.
// CHECK-LABEL: func.func @over_i
// CHECK: ^bb0(%[[X:.+]]: vector<2xf64>, %[[Y:.+]]: vector<2xf64>):
// CHECK-NEXT: %[[EY:.+]] = math.exp %[[Y]] : vector<2xf64>
// CHECK-NEXT: %[[M:.+]] = arith.mulf %[[X]], %[[EY]] : vector<2xf64>
// CHECK-NEXT: %[[EX:.+]] = math.exp %[[M]] : vector<2xf64>
// CHECK-NEXT: keops.yield %[[EX]]
func.func @over_i(%x: tensor<?x2xf64>, %y: tensor<?x2xf64>, %o: tensor<?x2xf64>) -> tensor<?x2xf64> {
  %r = keops.reduce sum over i
      ins(%x : i tensor<?x2xf64>, %y : j tensor<?x2xf64>)
      outs(%o : tensor<?x2xf64>) {
  ^bb0(%xi: vector<2xf64>, %yj: vector<2xf64>):
    %ey = math.exp %yj : vector<2xf64>
    %m = arith.mulf %xi, %ey : vector<2xf64>
    %ex = math.exp %m : vector<2xf64>
    keops.yield %ex : vector<2xf64>
  } -> tensor<?x2xf64>
  return %r : tensor<?x2xf64>
}
