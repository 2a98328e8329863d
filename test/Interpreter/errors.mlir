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

// Index variables take integers: a float .npy file (here one that keops-run
// writes for a float argument), a fraction or a value beyond the type is an
// error naming the argument.
// RUN: rm -rf %t.dir && mkdir -p %t.dir
// RUN: keops-run %s --entry f --save-inputs %t.dir -M 2 -N 2 --quiet
// RUN: not keops-run %s --entry select --input 1=%t.dir/arg0.npy --array 0="1;2" 2>&1 | FileCheck %s --check-prefix=FLOATNPY
// RUN: not keops-run %s --entry select --array 1="0;1.5" --array 0="1;2" 2>&1 | FileCheck %s --check-prefix=FRACTION
// RUN: not keops-run %s --entry select --array 1="0;2147483648" --array 0="1;2" 2>&1 | FileCheck %s --check-prefix=RANGE
// RUN: not keops-run %s --entry select --array 1="0;nan" --array 0="1;2" 2>&1 | FileCheck %s --check-prefix=NAN
// FLOATNPY: error: argument #1 holds floating-point values but its element type is 'i32' (indices): give an integer array (int32 or int64)
// FRACTION: error: argument #1 holds 1.5, which is not an 'i32' value
// RANGE: error: argument #1 holds 2147483648, which is not an 'i32' value
// NAN: error: argument #1 holds nan, which is not an 'i32' value
func.func @select(%y: tensor<?x1xf32>, %k: tensor<?x1xi32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j
      ins(%y : j tensor<?x1xf32>, %k : i tensor<?x1xi32>)
      outs(%o : tensor<?x1xf32>) {
  ^bb0(%yj: vector<1xf32>, %ki: vector<1xi32>):
    %s = keops.select_index %ki, %yj : vector<1xi32>, vector<1xf32>
    keops.yield %s : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}
