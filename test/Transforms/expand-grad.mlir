// RUN: keops-opt %s -keops-expand-grad -split-input-file | FileCheck %s

// keops.grad expanded by reverse-mode accumulation with the derivative rules
// of KeopsDifferentiable. The values are checked against finite differences
// by test/python/test_grad_rules.py.

// grad of exp(-sqdist(x, y)) * b w.r.t. x, y and b.
// CHECK-LABEL: func.func @gauss
// CHECK: ^bb0([[X:%.+]]: vector<3xf32>, [[Y:%.+]]: vector<3xf32>, [[B:%.+]]: vector<1xf32>, [[E:%.+]]: vector<1xf32>):
// CHECK-NOT: keops.grad
// CHECK: [[D:%.+]] = keops.sqdist [[X]], [[Y]] : vector<3xf32>
// CHECK: [[N:%.+]] = arith.negf [[D]] : vector<1xf32>
// CHECK: [[K:%.+]] = math.exp [[N]] : vector<1xf32>
// d/dx = -2 (x - y) k b e: the adjoint of exp(-d) is k b e, that of d its negation.
// CHECK: [[BE:%.+]] = arith.mulf [[B]], [[E]] : vector<1xf32>
// CHECK: [[KBE:%.+]] = arith.mulf [[K]], [[BE]] : vector<1xf32>
// CHECK: [[AD:%.+]] = arith.negf [[KBE]] : vector<1xf32>
// CHECK: [[ADB:%.+]] = vector.broadcast [[AD]] : vector<1xf32> to vector<3xf32>
// CHECK: [[XY:%.+]] = arith.subf [[X]], [[Y]] : vector<3xf32>
// CHECK: [[P:%.+]] = arith.mulf [[XY]], [[ADB]] : vector<3xf32>
// CHECK: [[TWO:%.+]] = arith.constant dense<2.000000e+00> : vector<3xf32>
// CHECK: [[GX:%.+]] = arith.mulf [[P]], [[TWO]] : vector<3xf32>
// d/dy: the same computation, negated.
// CHECK: arith.subf [[X]], [[Y]] : vector<3xf32>
// CHECK: arith.constant dense<2.000000e+00> : vector<3xf32>
// CHECK-NEXT: [[GY2:%.+]] = arith.mulf {{%.+}}, {{%.+}} : vector<3xf32>
// CHECK-NEXT: [[GY:%.+]] = arith.negf [[GY2]] : vector<3xf32>
// d/db = k e.
// CHECK: [[GB:%.+]] = arith.mulf [[K]], [[E]] : vector<1xf32>
// CHECK: [[S:%.+]] = vector.shuffle [[GX]], [[GY]]
// CHECK: vector.shuffle [[S]], [[GB]]
func.func @gauss(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x1xf32>, %e: tensor<?x1xf32>, %o: tensor<?x7xf32>) -> tensor<?x7xf32> {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : j tensor<?x1xf32>, %e : i tensor<?x1xf32>)
      outs(%o : tensor<?x7xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<1xf32>, %ei: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %n = arith.negf %d : vector<1xf32>
    %k = math.exp %n : vector<1xf32>
    %f = arith.mulf %k, %bj : vector<1xf32>
    %gx = keops.grad %f wrt %xi, %ei : vector<1xf32>, vector<3xf32>
    %gy = keops.grad %f wrt %yj, %ei : vector<1xf32>, vector<3xf32>
    %gb = keops.grad %f wrt %bj, %ei : vector<1xf32>, vector<1xf32>
    %s = vector.shuffle %gx, %gy [0, 1, 2, 3, 4, 5] : vector<3xf32>, vector<3xf32>
    %t = vector.shuffle %s, %gb [0, 1, 2, 3, 4, 5, 6] : vector<6xf32>, vector<1xf32>
    keops.yield %t : vector<7xf32>
  } -> tensor<?x7xf32>
  return %r : tensor<?x7xf32>
}

// -----

// Second order: the Hessian-vector product of sin(x) . y through two grads.
// CHECK-LABEL: func.func @second
// CHECK: ^bb0([[X:%.+]]: vector<3xf32>, [[Y:%.+]]: vector<3xf32>, [[U:%.+]]: vector<3xf32>):
// CHECK-NOT: keops.grad
// The inner grad is cos(x) y; the outer one -sin(x) y u.
// CHECK: [[YB:%.+]] = arith.mulf [[Y]], {{%.+}} : vector<3xf32>
// CHECK: [[UB:%.+]] = arith.mulf [[U]], {{%.+}} : vector<3xf32>
// CHECK: [[YU:%.+]] = arith.mulf [[YB]], [[UB]] : vector<3xf32>
// CHECK: [[S:%.+]] = math.sin [[X]] : vector<3xf32>
// CHECK: [[NS:%.+]] = arith.negf [[S]] : vector<3xf32>
// CHECK: [[H:%.+]] = arith.mulf [[NS]], [[YU]] : vector<3xf32>
// CHECK: keops.yield [[H]] : vector<3xf32>
func.func @second(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %u: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %u : i tensor<?x3xf32>)
      outs(%o : tensor<?x3xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %ui: vector<3xf32>):
    %s = math.sin %xi : vector<3xf32>
    %f = keops.dot %s, %yj : vector<3xf32>
    %one = arith.constant dense<1.0> : vector<1xf32>
    %g = keops.grad %f wrt %xi, %one : vector<1xf32>, vector<3xf32>
    %gu = keops.dot %g, %ui : vector<3xf32>
    %h = keops.grad %gu wrt %xi, %one : vector<1xf32>, vector<3xf32>
    keops.yield %h : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// A formula that does not depend on the variable: zeros.
// CHECK-LABEL: func.func @independent
// CHECK: [[Z:%.+]] = arith.constant dense<0.000000e+00> : vector<2xf32>
// CHECK-NEXT: keops.yield [[Z]] : vector<2xf32>
func.func @independent(%x: tensor<?x2xf32>, %y: tensor<?x2xf32>, %o: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x2xf32>, %y : j tensor<?x2xf32>)
      outs(%o : tensor<?x2xf32>) {
  ^bb0(%xi: vector<2xf32>, %yj: vector<2xf32>):
    %f = math.exp %yj : vector<2xf32>
    %g = keops.grad %f wrt %xi, %yj : vector<2xf32>, vector<2xf32>
    keops.yield %g : vector<2xf32>
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}

// -----

// keops.select_index is linear in its value: the cotangent is selected the
// same way (same indices, same axis), the indices get nothing. This is the
// gradient through a min over j with respect to y_j: a sum over i of the
// terms whose argmin index idx_i is j.
// CHECK-LABEL: func.func @select_index(
// CHECK: ^bb0([[Y:%.+]]: vector<3xf32>, [[K:%.+]]: vector<3xi64>, [[E:%.+]]: vector<3xf32>):
// CHECK-NEXT: [[S:%.+]] = keops.select_index [[K]], [[E]] at j : vector<3xi64>, vector<3xf32>
// CHECK-NEXT: [[A:%.+]] = arith.mulf [[Y]], [[S]] : vector<3xf32>
// CHECK-NEXT: [[B:%.+]] = arith.mulf [[Y]], [[S]] : vector<3xf32>
// CHECK-NEXT: [[G:%.+]] = arith.addf [[A]], [[B]] : vector<3xf32>
// CHECK-NEXT: keops.yield [[G]] : vector<3xf32>
func.func @select_index(%y: tensor<?x3xf32>, %k: tensor<?x3xi64>, %e: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over i ins(%y : j tensor<?x3xf32>, %k : i tensor<?x3xi64>, %e : i tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%yj: vector<3xf32>, %ki: vector<3xi64>, %ei: vector<3xf32>):
    %m = arith.mulf %yj, %yj : vector<3xf32>
    %s = keops.select_index %ki, %m at j : vector<3xi64>, vector<3xf32>
    %g = keops.grad %s wrt %yj, %ei : vector<3xf32>, vector<3xf32>
    keops.yield %g : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// keops.diff: forward mode. (d/dx exp(-|x - y|^2)) . t = -exp(-d) <2 (x - y), t>,
// from the jvp rules of sqdist, negf and exp in order.
// CHECK-LABEL: func.func @diff
// CHECK: ^bb0([[X:%.+]]: vector<3xf64>, [[Y:%.+]]: vector<3xf64>, [[T:%.+]]: vector<3xf64>):
// CHECK-NOT: keops.diff
// CHECK: [[D:%.+]] = keops.sqdist [[X]], [[Y]] : vector<3xf64>
// CHECK: [[N:%.+]] = arith.negf [[D]] : vector<1xf64>
// CHECK: [[K:%.+]] = math.exp [[N]] : vector<1xf64>
// CHECK: [[DT:%.+]] = keops.dot {{%.+}}, [[T]] : vector<3xf64>
// CHECK: [[NT:%.+]] = arith.negf [[DT]] : vector<1xf64>
// CHECK: [[R:%.+]] = arith.mulf [[K]], [[NT]] : vector<1xf64>
// CHECK-NOT: keops.diff
// CHECK: keops.yield [[R]] : vector<1xf64>
func.func @diff(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %t: tensor<?x3xf64>, %o: tensor<?x1xf64>) -> tensor<?x1xf64> {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %t : i tensor<?x3xf64>)
      outs(%o : tensor<?x1xf64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %ti: vector<3xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %n = arith.negf %d : vector<1xf64>
    %k = math.exp %n : vector<1xf64>
    %g = keops.diff %k wrt %xi, %ti : vector<1xf64>, vector<3xf64>
    keops.yield %g : vector<1xf64>
  } -> tensor<?x1xf64>
  return %r : tensor<?x1xf64>
}
