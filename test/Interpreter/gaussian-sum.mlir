// RUN: keops-run %s --array 0="0,0;1,0" --array 1="0,0;0,1;2,0" --array 2="1;2;3" | FileCheck %s
// out_i = sum_j exp(-|x_i - y_j|^2) b_j, by hand:
//   i = 0: 1 + 2 e^-1 + 3 e^-4;  i = 1: e^-1 + 2 e^-2 + 3 e^-1.

// CHECK: output 0: shape (2, 1)
// CHECK-NEXT: 1.790705799009087
// CHECK-NEXT: 1.742188331158994
func.func @gaussian(%x: tensor<?x2xf64>, %y: tensor<?x2xf64>, %b: tensor<?x1xf64>,
                    %out: tensor<?x1xf64>) -> tensor<?x1xf64> {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x2xf64>, %y : j tensor<?x2xf64>, %b : j tensor<?x1xf64>)
      outs(%out : tensor<?x1xf64>) {
  ^bb0(%xi: vector<2xf64>, %yj: vector<2xf64>, %bj: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<2xf64>
    %n = arith.negf %d : vector<1xf64>
    %e = math.exp %n : vector<1xf64>
    %v = arith.mulf %e, %bj : vector<1xf64>
    keops.yield %v : vector<1xf64>
  } -> tensor<?x1xf64>
  return %r : tensor<?x1xf64>
}
