// RUN: keops-run %s --array 0="0" --array 1="3;1;nan;1;-2" | FileCheck %s
// f_j = (x - y_j)^2 = 9, 1, NaN, 1, 4. Ascending with ties to the smaller
// index and NaN after every number: 1 (j=1), 1 (j=3), 4 (j=4), 9 (j=0),
// NaN (j=2).

// CHECK: output 0: shape (1, 5)
// CHECK-NEXT: 1 1 4 9 nan
// CHECK: output 1: shape (1, 5) indices
// CHECK-NEXT: 1 3 4 0 2
func.func @knn(%x: tensor<?x1xf32>, %y: tensor<?x1xf32>, %v: tensor<?x5xf32>,
               %i: tensor<?x5xi32>) -> (tensor<?x5xf32>, tensor<?x5xi32>) {
  %r:2 = keops.reduce kmin_argkmin k = 5 over j
      ins(%x : i tensor<?x1xf32>, %y : j tensor<?x1xf32>)
      outs(%v : tensor<?x5xf32>, %i : tensor<?x5xi32>) {
  ^bb0(%xi: vector<1xf32>, %yj: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<1xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x5xf32>, tensor<?x5xi32>
  return %r#0, %r#1 : tensor<?x5xf32>, tensor<?x5xi32>
}
