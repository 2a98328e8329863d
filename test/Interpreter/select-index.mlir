// RUN: keops-run %s --array 0="1,10;2,20;3,30" --array 1="0,2;2,-1;1,3;5,0" | FileCheck %s --check-prefix=GATHER
// RUN: keops-run %s --array 0="1,10;2,20;3,30" --array 1="0,2;2,-1;1,3;5,0" --backend=cpu | FileCheck %s --check-prefix=GATHER
// RUN: keops-run %s --entry scatter --array 0="1;2;4;8;16" --array 1="2;0;2;7;-1" --array 2="0;0;0" | FileCheck %s --check-prefix=SCATTER
// RUN: keops-run %s --entry scatter --array 0="1;2;4;8;16" --array 1="2;0;2;7;-1" --array 2="0;0;0" --backend=cpu | FileCheck %s --check-prefix=SCATTER

// Index variables: integers given inline (or as int32 / int64 .npy files).
// gather: g_i = v[idx_i] component by component, a sum over j of the
// selected v_j. Indices that are no row of v (-1, 3, 5) select nothing.
//   idx_0 = (0, 2) -> (1, 30)     idx_1 = (2, -1) -> (3, 0)
//   idx_2 = (1, 3) -> (2, 0)      idx_3 = (5, 0)  -> (0, 10)
// GATHER: output 0: shape (4, 2)
// GATHER-NEXT: 1 30
// GATHER-NEXT: 3 0
// GATHER-NEXT: 2 0
// GATHER-NEXT: 0 10
func.func @gather(%v: tensor<?x2xf32>, %idx: tensor<?x2xi32>, %o: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %r = keops.reduce sum over j ins(%v : j tensor<?x2xf32>, %idx : i tensor<?x2xi32>) outs(%o : tensor<?x2xf32>) {
  ^bb0(%vj: vector<2xf32>, %ki: vector<2xi32>):
    %s = keops.select_index %ki, %vj : vector<2xi32>, vector<2xf32>
    keops.yield %s : vector<2xf32>
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}

// scatter: s_j = sum of the w_i whose to_i is j, a sum over i that compares
// with the kept index j (`at j`); the third argument only gives N = 3.
//   j = 0: w_1 = 2; j = 1: nothing; j = 2: w_0 + w_2 = 5 (7 and -1: no row)
// SCATTER: output 0: shape (3, 1)
// SCATTER-NEXT: 2
// SCATTER-NEXT: 0
// SCATTER-NEXT: 5
func.func @scatter(%w: tensor<?x1xf64>, %to: tensor<?x1xi64>, %n: tensor<?x1xf64>, %o: tensor<?x1xf64>) -> tensor<?x1xf64> {
  %r = keops.reduce sum over i ins(%w : i tensor<?x1xf64>, %to : i tensor<?x1xi64>, %n : j tensor<?x1xf64>) outs(%o : tensor<?x1xf64>) {
  ^bb0(%wi: vector<1xf64>, %ti: vector<1xi64>, %nj: vector<1xf64>):
    %s = keops.select_index %ti, %wi at j : vector<1xi64>, vector<1xf64>
    keops.yield %s : vector<1xf64>
  } -> tensor<?x1xf64>
  return %r : tensor<?x1xf64>
}
