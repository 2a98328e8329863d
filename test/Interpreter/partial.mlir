// RUN: not keops-run %s --array 0="0,0,0;1,1,1" --array 1="1,1,1;0,0,0;-1,0,2" 2>&1 | FileCheck %s --check-prefix=REFERENCE
// RUN: keops-run %s --array 0="0,0,0;1,1,1" --array 1="1,1,1;0,0,0;-1,0,2" --backend=cpu | FileCheck %s

// A partial reduction is the compiler's protocol: the reference interpreter
// refuses it with a message, never evaluates it as a whole reduction. The
// CPU backend writes the state of a min, the selected values and their
// indices (x_i - y_j component by component, ties to the smaller index):
//   x_0 - y_j: (-1,-1,-1), (0,0,0), (1,0,-2) -> (-1,-1,-2) at (0,0,2)
//   x_1 - y_j: (0,0,0), (1,1,1), (2,1,-1)    -> (0,0,-1)   at (0,0,2)
// REFERENCE: error: is a partial reduction: the reference interpreter evaluates whole reductions only
// CHECK: output 0: shape (2, 3)
// CHECK-NEXT: -1 -1 -2
// CHECK-NEXT: 0 0 -1
// CHECK-NEXT: output 1: shape (2, 3) indices
// CHECK-NEXT: 0 0 2
// CHECK-NEXT: 0 0 2

func.func @f(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %v: tensor<?x3xf32>, %i: tensor<?x3xi32>) -> (tensor<?x3xf32>, tensor<?x3xi32>) {
  %r:2 = keops.reduce min over j partial
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>)
      outs(%v : tensor<?x3xf32>, %i : tensor<?x3xi32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %d = arith.subf %a, %b : vector<3xf32>
    keops.yield %d : vector<3xf32>
  } -> tensor<?x3xf32>, tensor<?x3xi32>
  return %r#0, %r#1 : tensor<?x3xf32>, tensor<?x3xi32>
}
