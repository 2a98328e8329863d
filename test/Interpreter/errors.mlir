// RUN: not keops-run %s --array 0="1,2" 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: not keops-run %s --array 0="1;x" 2>&1 | FileCheck %s --check-prefix=NUMBER
// RUN: not keops-run %s --input 0=%t.missing.npy 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not keops-run %s --entry nothere 2>&1 | FileCheck %s --check-prefix=ENTRY

// SHAPE: error: argument #0 has shape (1, 2), which does not fit 'tensor<?x1xf32>'
// NUMBER: error: bad --array '0=1;x': 'x' is not a number
// MISSING: error: {{.*}}missing.npy: cannot open
// ENTRY: error: no function named 'nothere'

func.func @f(%x: tensor<?x1xf32>, %y: tensor<?x1xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x1xf32>, %y : j tensor<?x1xf32>)
      outs(%o : tensor<?x1xf32>) {
  ^bb0(%xi: vector<1xf32>, %yj: vector<1xf32>):
    %p = arith.mulf %xi, %yj : vector<1xf32>
    keops.yield %p : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}
