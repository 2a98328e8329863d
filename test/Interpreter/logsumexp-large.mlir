// RUN: keops-run %s --array 0="100" --array 1="100;100;-inf" | FileCheck %s
// log(exp(1e4) + exp(1e4) + exp(-inf)) = 1e4 + log 2, without overflow.

// CHECK: output 0: shape (1, 1)
// CHECK-NEXT: 10000.69314718056
func.func @lse(%x: tensor<?x1xf64>, %y: tensor<?x1xf64>, %o: tensor<?x1xf64>) -> tensor<?x1xf64> {
  %r = keops.reduce logsumexp over j
      ins(%x : i tensor<?x1xf64>, %y : j tensor<?x1xf64>)
      outs(%o : tensor<?x1xf64>) {
  ^bb0(%xi: vector<1xf64>, %yj: vector<1xf64>):
    %p = arith.mulf %xi, %yj : vector<1xf64>
    keops.yield %p : vector<1xf64>
  } -> tensor<?x1xf64>
  return %r : tensor<?x1xf64>
}
