// RUN: keops-opt %s -keops-differentiate -split-input-file | FileCheck %s
// RUN: keops-opt %s -keops-differentiate -canonicalize -split-input-file | FileCheck %s --check-prefix=CANON

// keops.reduce_grad becomes gradient reductions holding keops.grad ops.
// Values are checked against finite differences by
// test/python/test_differentiate.py.

// Gaussian kernel sum with a bandwidth parameter s:
//   out_i = sum_j exp(-s |x_i - y_j|^2) b_j.
// x (i) and s (p) share one reduction over j, packed [gx | partial gs];
// y and b (j) share one reduction over i, packed [gy | gb]; the partials of s
// are summed over i by a last reduction with a single output row.
// CHECK-LABEL: func.func @gauss
// CHECK-SAME: (%[[X:.+]]: tensor<?x3xf32>, %[[Y:.+]]: tensor<?x3xf32>, %[[B:.+]]: tensor<?x1xf32>, %[[S:.+]]: tensor<1xf32>, %[[O:.+]]: tensor<?x1xf32>, %[[E:.+]]: tensor<?x1xf32>)
// CHECK: %[[M:.+]] = tensor.dim %[[E]], %{{.+}} : tensor<?x1xf32>
// CHECK: %[[I1:.+]] = tensor.empty(%[[M]]) : tensor<?x4xf32>
// CHECK: %[[R1:.+]] = keops.reduce sum over j ins(%[[X]] : i tensor<?x3xf32>, %[[Y]] : j tensor<?x3xf32>, %[[B]] : j tensor<?x1xf32>, %[[S]] : p tensor<1xf32>, %[[E]] : i tensor<?x1xf32>) outs(%[[I1]] : tensor<?x4xf32>)
// CHECK: ^bb0(%[[XI:.+]]: vector<3xf32>, %{{.+}}: vector<3xf32>, %{{.+}}: vector<1xf32>, %[[SP:.+]]: vector<1xf32>, %[[EI:.+]]: vector<1xf32>):
// CHECK: math.exp
// CHECK-NEXT: %[[F:.+]] = arith.mulf %{{.+}}, %{{.+}} : vector<1xf32>
// CHECK-NEXT: %[[GX:.+]] = keops.grad %[[F]] wrt %[[XI]], %[[EI]] : vector<1xf32>, vector<3xf32>
// CHECK-NEXT: %[[GS:.+]] = keops.grad %[[F]] wrt %[[SP]], %[[EI]] : vector<1xf32>, vector<1xf32>
// CHECK-NEXT: %[[P:.+]] = vector.shuffle %[[GX]], %[[GS]] [0, 1, 2, 3]
// CHECK-NEXT: keops.yield %[[P]] : vector<4xf32>
// CHECK: %[[SX:.+]] = tensor.extract_slice %[[R1]][0, 0] [%{{.+}}, 3] [1, 1] : tensor<?x4xf32> to tensor<?x3xf32>
// CHECK: %[[I2:.+]] = tensor.empty() : tensor<1x1xf32>
// CHECK: %[[R2:.+]] = keops.reduce sum over i ins(%[[R1]] : i tensor<?x4xf32>) outs(%[[I2]] : tensor<1x1xf32>)
// CHECK: vector.extract_strided_slice %{{.+}} {offsets = [3], sizes = [1], strides = [1]} : vector<4xf32> to vector<1xf32>
// CHECK: %[[SS:.+]] = tensor.extract_slice %[[R2]][0, 0] [1, 1] [1, 1] : tensor<1x1xf32> to tensor<1xf32>
// CHECK: %[[N:.+]] = tensor.dim %[[Y]], %{{.+}} : tensor<?x3xf32>
// CHECK: %[[I3:.+]] = tensor.empty(%[[N]]) : tensor<?x4xf32>
// CHECK: %[[R3:.+]] = keops.reduce sum over i ins(%[[X]] : i tensor<?x3xf32>, %[[Y]] : j tensor<?x3xf32>, %[[B]] : j tensor<?x1xf32>, %[[S]] : p tensor<1xf32>, %[[E]] : i tensor<?x1xf32>) outs(%[[I3]] : tensor<?x4xf32>)
// CHECK: ^bb0(%{{.+}}: vector<3xf32>, %[[YJ:.+]]: vector<3xf32>, %[[BJ:.+]]: vector<1xf32>, %{{.+}}: vector<1xf32>, %[[EI2:.+]]: vector<1xf32>):
// CHECK: %[[F2:.+]] = arith.mulf %{{.+}}, %[[BJ]] : vector<1xf32>
// CHECK-NEXT: %[[GY:.+]] = keops.grad %[[F2]] wrt %[[YJ]], %[[EI2]] : vector<1xf32>, vector<3xf32>
// CHECK-NEXT: %[[GB:.+]] = keops.grad %[[F2]] wrt %[[BJ]], %[[EI2]] : vector<1xf32>, vector<1xf32>
// CHECK-NEXT: vector.shuffle %[[GY]], %[[GB]] [0, 1, 2, 3]
// CHECK: %[[SY:.+]] = tensor.extract_slice %[[R3]][0, 0] [%{{.+}}, 3] [1, 1] : tensor<?x4xf32> to tensor<?x3xf32>
// CHECK: %[[SB:.+]] = tensor.extract_slice %[[R3]][0, 3] [%{{.+}}, 1] [1, 1] : tensor<?x4xf32> to tensor<?x1xf32>
// CHECK-NOT: keops.reduce_grad
// CHECK: return %[[SX]], %[[SY]], %[[SB]], %[[SS]]
func.func @gauss(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x1xf32>, %s: tensor<1xf32>, %o: tensor<?x1xf32>, %e: tensor<?x1xf32>)
    -> (tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x1xf32>, tensor<1xf32>) {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : j tensor<?x1xf32>, %s : p tensor<1xf32>)
      outs(%o : tensor<?x1xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<1xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %k = math.exp %n : vector<1xf32>
    %f = arith.mulf %k, %bj : vector<1xf32>
    keops.yield %f : vector<1xf32>
  } -> tensor<?x1xf32>
  %gx, %gy, %gb, %gs = keops.reduce_grad %r wrt [0, 1, 2, 3], %e : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x1xf32>, tensor<1xf32>
  return %gx, %gy, %gb, %gs : tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x1xf32>, tensor<1xf32>
}

// -----

// logsumexp: the per-pair cotangent is e_i exp(f - out_i), reading the saved
// forward result as one more i input.
// CHECK-LABEL: func.func @lse
// CHECK-SAME: (%[[X:.+]]: tensor<?x2xf64>, %[[Y:.+]]: tensor<?x2xf64>, %[[O:.+]]: tensor<?x1xf64>, %[[E:.+]]: tensor<?x1xf64>)
// CHECK: %[[R:.+]] = keops.reduce logsumexp over j
// CHECK: keops.reduce sum over j ins(%[[X]] : i tensor<?x2xf64>, %[[Y]] : j tensor<?x2xf64>, %[[E]] : i tensor<?x1xf64>, %[[R]] : i tensor<?x1xf64>)
// CHECK: ^bb0(%[[XI:.+]]: vector<2xf64>, %{{.+}}: vector<2xf64>, %[[EI:.+]]: vector<1xf64>, %[[OUT:.+]]: vector<1xf64>):
// CHECK: %[[F:.+]] = math.sin
// CHECK-NEXT: %[[D:.+]] = arith.subf %[[F]], %[[OUT]] : vector<1xf64>
// CHECK-NEXT: %[[W:.+]] = math.exp %[[D]] : vector<1xf64>
// CHECK-NEXT: %[[C:.+]] = arith.mulf %[[EI]], %[[W]] : vector<1xf64>
// CHECK-NEXT: %[[G:.+]] = keops.grad %[[F]] wrt %[[XI]], %[[C]] : vector<1xf64>, vector<2xf64>
// CHECK-NEXT: keops.yield %[[G]] : vector<2xf64>
func.func @lse(%x: tensor<?x2xf64>, %y: tensor<?x2xf64>, %o: tensor<?x1xf64>, %e: tensor<?x1xf64>) -> tensor<?x2xf64> {
  %r = keops.reduce logsumexp over j
      ins(%x : i tensor<?x2xf64>, %y : j tensor<?x2xf64>)
      outs(%o : tensor<?x1xf64>) {
  ^bb0(%xi: vector<2xf64>, %yj: vector<2xf64>):
    %d = keops.dot %xi, %yj : vector<2xf64>
    %s = math.sin %d : vector<1xf64>
    keops.yield %s : vector<1xf64>
  } -> tensor<?x1xf64>
  %gx = keops.reduce_grad %r wrt [0], %e : tensor<?x1xf64>, tensor<?x1xf64> -> tensor<?x2xf64>
  return %gx : tensor<?x2xf64>
}

// -----

// With the forward's result saved (a backward pass that kept it), the
// gradient reduction reads the saved value: the forward reduction is left
// without uses, for canonicalization to remove.
// CHECK-LABEL: func.func @lse_saved
// CHECK-SAME: (%[[X:.+]]: tensor<?x2xf32>, %[[Y:.+]]: tensor<?x2xf32>, %[[O:.+]]: tensor<?x1xf32>, %[[E:.+]]: tensor<?x1xf32>, %[[S:.+]]: tensor<?x1xf32>)
// CHECK: keops.reduce sum over i ins(%[[X]] : i tensor<?x2xf32>, %[[Y]] : j tensor<?x2xf32>, %[[E]] : i tensor<?x1xf32>, %[[S]] : i tensor<?x1xf32>)
// CANON-LABEL: func.func @lse_saved
// CANON-NOT: keops.reduce logsumexp
// CANON: keops.reduce sum over i
// CANON-NOT: keops.reduce
// CANON: return
func.func @lse_saved(%x: tensor<?x2xf32>, %y: tensor<?x2xf32>, %o: tensor<?x1xf32>, %e: tensor<?x1xf32>, %saved: tensor<?x1xf32>) -> tensor<?x2xf32> {
  %r = keops.reduce logsumexp over j
      ins(%x : i tensor<?x2xf32>, %y : j tensor<?x2xf32>)
      outs(%o : tensor<?x1xf32>) {
  ^bb0(%xi: vector<2xf32>, %yj: vector<2xf32>):
    %d = keops.dot %xi, %yj : vector<2xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>
  %gy = keops.reduce_grad %r wrt [1], %e saved(%saved : tensor<?x1xf32>) : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x2xf32>
  return %gy : tensor<?x2xf32>
}

// -----

// Second order: the gradient w.r.t. x of <grad_x, u>, a Hessian-vector
// product. The inner gradient is a reduction over j with inputs (x, y, e);
// the outer one differentiates it, with u as its cotangent.
// CHECK-LABEL: func.func @hvp
// CHECK-SAME: (%[[X:.+]]: tensor<?x3xf32>, %[[Y:.+]]: tensor<?x3xf32>, %[[O:.+]]: tensor<?x1xf32>, %[[E:.+]]: tensor<?x1xf32>, %[[U:.+]]: tensor<?x3xf32>)
// CHECK: keops.reduce sum over j
// CHECK: keops.reduce sum over j ins(%[[X]] : i tensor<?x3xf32>, %[[Y]] : j tensor<?x3xf32>, %[[E]] : i tensor<?x1xf32>)
// CHECK: %[[H:.+]] = keops.reduce sum over j ins(%[[X]] : i tensor<?x3xf32>, %[[Y]] : j tensor<?x3xf32>, %[[E]] : i tensor<?x1xf32>, %[[U]] : i tensor<?x3xf32>)
// CHECK: ^bb0(%[[XI:.+]]: vector<3xf32>, %[[YJ:.+]]: vector<3xf32>, %[[EI:.+]]: vector<1xf32>, %[[UI:.+]]: vector<3xf32>):
// CHECK: %[[G1:.+]] = keops.grad %{{.+}} wrt %[[XI]], %[[EI]] : vector<1xf32>, vector<3xf32>
// CHECK-NEXT: %[[G2:.+]] = keops.grad %[[G1]] wrt %[[XI]], %[[UI]] : vector<3xf32>, vector<3xf32>
// CHECK-NEXT: keops.yield %[[G2]] : vector<3xf32>
// CHECK: return %[[H]]
func.func @hvp(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>, %e: tensor<?x1xf32>, %u: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>)
      outs(%o : tensor<?x1xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %n = arith.negf %d : vector<1xf32>
    %k = math.exp %n : vector<1xf32>
    keops.yield %k : vector<1xf32>
  } -> tensor<?x1xf32>
  %gx = keops.reduce_grad %r wrt [0], %e : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x3xf32>
  %hx = keops.reduce_grad %gx wrt [0], %u : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  return %hx : tensor<?x3xf32>
}

// -----

// argmin has a zero gradient and no kernel.
// CHECK-LABEL: func.func @argmin
// CHECK-SAME: (%[[X:.+]]: tensor<?x3xf32>,
// CHECK-NOT: keops.reduce sum
// CHECK: %[[Z:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[G:.+]] = tensor.splat %[[Z]][%{{.+}}] : tensor<?x3xf32>
// CHECK: return %[[G]]
func.func @argmin(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xi64>, %e: tensor<?x1xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce argmin over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>)
      outs(%o : tensor<?x1xi64>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xi64>
  %gx = keops.reduce_grad %r wrt [0], %e : tensor<?x1xi64>, tensor<?x1xf32> -> tensor<?x3xf32>
  return %gx : tensor<?x3xf32>
}

// -----

// min_argmin: the cotangent reaches the selected term only, through the
// forward's index output (a new i input); the whole term is zero elsewhere,
// so that no unselected pair can contribute a NaN. For y (a reduction over
// i) the index is compared with j, the rows of that reduction.
// CHECK-LABEL: func.func @min_argmin
// CHECK-SAME: (%[[X:.+]]: tensor<?x2xf64>, %[[Y:.+]]: tensor<?x2xf64>, %[[O:.+]]: tensor<?x2xf64>, %[[I:.+]]: tensor<?x2xi64>, %[[E:.+]]: tensor<?x2xf64>)
// CHECK: %[[R:.+]]:2 = keops.reduce min_argmin over j
// CHECK: keops.reduce sum over j ins(%[[X]] : i tensor<?x2xf64>, %[[Y]] : j tensor<?x2xf64>, %[[E]] : i tensor<?x2xf64>, %[[R]]#1 : i tensor<?x2xi64>)
// CHECK: ^bb0(%[[XI:.+]]: vector<2xf64>, %{{.+}}: vector<2xf64>, %[[EI:.+]]: vector<2xf64>, %[[IDX:.+]]: vector<2xi64>):
// CHECK: %[[F:.+]] = arith.mulf
// CHECK-NEXT: %[[C:.+]] = keops.select_index %[[IDX]], %[[EI]] at j : vector<2xi64>, vector<2xf64>
// CHECK-NEXT: %[[G:.+]] = keops.grad %[[F]] wrt %[[XI]], %[[C]] : vector<2xf64>, vector<2xf64>
// CHECK-NEXT: %[[ONE:.+]] = arith.constant dense<1.000000e+00> : vector<2xf64>
// CHECK-NEXT: %[[HIT:.+]] = keops.select_index %[[IDX]], %[[ONE]] at j
// CHECK: %[[N:.+]] = keops.sum %[[HIT]] : vector<2xf64>
// CHECK-NEXT: %[[COND:.+]] = arith.subf %[[N]], %{{.+}} : vector<1xf64>
// CHECK-NEXT: %[[CB:.+]] = vector.broadcast %[[COND]] : vector<1xf64> to vector<2xf64>
// CHECK: %[[MASKED:.+]] = keops.ifelse %[[CB]], %[[G]], %{{.+}} : vector<2xf64>
// CHECK-NEXT: keops.yield %[[MASKED]]
// CHECK: keops.reduce sum over i ins(%[[X]] : i tensor<?x2xf64>, %[[Y]] : j tensor<?x2xf64>, %[[E]] : i tensor<?x2xf64>, %[[R]]#1 : i tensor<?x2xi64>)
// CHECK: keops.select_index %{{.+}}, %{{.+}} at j
func.func @min_argmin(%x: tensor<?x2xf64>, %y: tensor<?x2xf64>, %o: tensor<?x2xf64>, %i: tensor<?x2xi64>, %e: tensor<?x2xf64>) -> (tensor<?x2xf64>, tensor<?x2xf64>) {
  %r:2 = keops.reduce min_argmin over j ins(%x : i tensor<?x2xf64>, %y : j tensor<?x2xf64>) outs(%o : tensor<?x2xf64>, %i : tensor<?x2xi64>) {
  ^bb0(%a: vector<2xf64>, %b: vector<2xf64>):
    %d = arith.subf %a, %b : vector<2xf64>
    %s = math.sin %d : vector<2xf64>
    %p = arith.mulf %s, %b : vector<2xf64>
    keops.yield %p : vector<2xf64>
  } -> tensor<?x2xf64>, tensor<?x2xi64>
  %gx, %gy = keops.reduce_grad %r#0 wrt [0, 1], %e : tensor<?x2xf64>, tensor<?x2xf64> -> tensor<?x2xf64>, tensor<?x2xf64>
  return %gx, %gy : tensor<?x2xf64>, tensor<?x2xf64>
}

// -----

// A min reduction is replaced by its min_argmin variant, whose indices the
// gradient reads; the values keep their uses.
// CHECK-LABEL: func.func @min
// CHECK: %[[IDX:.+]] = tensor.empty(%{{.+}}) : tensor<?x1xi64>
// CHECK: %[[R:.+]]:2 = keops.reduce min_argmin over j ins({{.*}}) outs(%{{.+}} : tensor<?x1xf32>, %[[IDX]] : tensor<?x1xi64>)
// CHECK: keops.reduce sum over j {{.*}}, %[[R]]#1 : i tensor<?x1xi64>)
// CHECK: return %[[R]]#0,
func.func @min(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>, %e: tensor<?x1xf32>) -> (tensor<?x1xf32>, tensor<?x3xf32>) {
  %r = keops.reduce min over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %d = keops.sqdist %a, %b : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>
  %gx = keops.reduce_grad %r wrt [0], %e : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x3xf32>
  return %r, %gx : tensor<?x1xf32>, tensor<?x3xf32>
}

// -----

// The gradient of a parameter's gradient: its cotangent %c, one vector for
// all rows of the per-row partials, becomes a parameter input of the second
// gradient reductions.
// CHECK-LABEL: func.func @param_second_order
// CHECK-SAME: %[[E:[a-z0-9]+]]: tensor<?x1xf32>, %[[C:[a-z0-9]+]]: tensor<1xf32>)
// CHECK: %[[P:.+]] = keops.reduce sum over j ins({{.*}}, %[[E]] : i tensor<?x1xf32>) outs(%{{.+}} : tensor<?x1xf32>)
// CHECK: keops.reduce sum over i ins(%[[P]] : i tensor<?x1xf32>) outs(%{{.+}} : tensor<1x1xf32>)
// CHECK: keops.reduce sum over j ins({{.*}}, %[[E]] : i tensor<?x1xf32>, %[[C]] : p tensor<1xf32>)
// CHECK: ^bb0({{.*}}, %[[EI:.+]]: vector<1xf32>, %[[CP:.+]]: vector<1xf32>):
// CHECK: %[[G:.+]] = keops.grad %{{.+}} wrt %{{.+}}, %[[EI]] : vector<1xf32>, vector<1xf32>
// CHECK: keops.grad %[[G]] wrt %{{.+}}, %[[CP]] : vector<1xf32>, vector<3xf32>
func.func @param_second_order(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %s: tensor<1xf32>, %o: tensor<?x1xf32>, %e: tensor<?x1xf32>, %c: tensor<1xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %s : p tensor<1xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %a, %b : vector<3xf32>
    %m = arith.mulf %d, %sp : vector<1xf32>
    keops.yield %m : vector<1xf32>
  } -> tensor<?x1xf32>
  %gs = keops.reduce_grad %r wrt [2], %e : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<1xf32>
  %hx = keops.reduce_grad %gs wrt [0], %c : tensor<1xf32>, tensor<1xf32> -> tensor<?x3xf32>
  return %hx : tensor<?x3xf32>
}

// -----

// Batch axes: the gradient reductions keep the forward's batch axes; the
// gradient of an input broadcast along a batch axis (y along axis 1, the
// parameter s along axis 0) is that of every batch element, summed over the
// axis by keops.unbroadcast.
// CHECK-LABEL: func.func @batched
// CHECK-SAME: (%[[X:.+]]: tensor<?x?x?x3xf32>, %[[Y:.+]]: tensor<?x1x?x3xf32>, %[[S:.+]]: tensor<1x?x1xf32>, %[[O:.+]]: tensor<?x?x?x1xf32>, %[[E:.+]]: tensor<?x?x?x1xf32>)
// CHECK: %[[B0:.+]] = tensor.dim %[[O]], %{{.+}} : tensor<?x?x?x1xf32>
// CHECK: %[[B1:.+]] = tensor.dim %[[O]], %{{.+}} : tensor<?x?x?x1xf32>
// CHECK: %[[M:.+]] = tensor.dim %[[E]], %{{.+}} : tensor<?x?x?x1xf32>
// CHECK: %[[I1:.+]] = tensor.empty(%[[B0]], %[[B1]], %[[M]]) : tensor<?x?x?x4xf32>
// CHECK: %[[R1:.+]] = keops.reduce sum over j ins(%[[X]] : i tensor<?x?x?x3xf32>, %[[Y]] : j tensor<?x1x?x3xf32>, %[[S]] : p tensor<1x?x1xf32>, %[[E]] : i tensor<?x?x?x1xf32>) outs(%[[I1]] : tensor<?x?x?x4xf32>)
// CHECK: %[[GX:.+]] = tensor.extract_slice %[[R1]][0, 0, 0, 0] [%{{.+}}, %{{.+}}, %{{.+}}, 3] [1, 1, 1, 1] : tensor<?x?x?x4xf32> to tensor<?x?x?x3xf32>
// CHECK: %[[R2:.+]] = keops.reduce sum over i ins(%[[R1]] : i tensor<?x?x?x4xf32>) outs(%{{.+}} : tensor<?x?x1x1xf32>)
// CHECK: %[[PS:.+]] = tensor.extract_slice %[[R2]][0, 0, 0, 0] [%{{.+}}, %{{.+}}, 1, 1] [1, 1, 1, 1] : tensor<?x?x1x1xf32> to tensor<?x?x1xf32>
// CHECK: %[[GS:.+]] = keops.unbroadcast %[[PS]] : tensor<?x?x1xf32> -> tensor<1x?x1xf32>
// CHECK: %[[R3:.+]] = keops.reduce sum over i ins(%[[X]] : i tensor<?x?x?x3xf32>, %[[Y]] : j tensor<?x1x?x3xf32>, %[[S]] : p tensor<1x?x1xf32>, %[[E]] : i tensor<?x?x?x1xf32>) outs(%{{.+}} : tensor<?x?x?x3xf32>)
// CHECK: %[[GY:.+]] = keops.unbroadcast %[[R3]] : tensor<?x?x?x3xf32> -> tensor<?x1x?x3xf32>
// CHECK: return %[[GX]], %[[GY]], %[[GS]]
func.func @batched(%x: tensor<?x?x?x3xf32>, %y: tensor<?x1x?x3xf32>, %s: tensor<1x?x1xf32>, %o: tensor<?x?x?x1xf32>, %e: tensor<?x?x?x1xf32>)
    -> (tensor<?x?x?x3xf32>, tensor<?x1x?x3xf32>, tensor<1x?x1xf32>) {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x?x?x3xf32>, %y : j tensor<?x1x?x3xf32>, %s : p tensor<1x?x1xf32>)
      outs(%o : tensor<?x?x?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>, %c: vector<1xf32>):
    %d = keops.sqdist %a, %b : vector<3xf32>
    %f = arith.mulf %d, %c : vector<1xf32>
    keops.yield %f : vector<1xf32>
  } -> tensor<?x?x?x1xf32>
  %g:3 = keops.reduce_grad %r wrt [0, 1, 2], %e : tensor<?x?x?x1xf32>, tensor<?x?x?x1xf32> -> tensor<?x?x?x3xf32>, tensor<?x1x?x3xf32>, tensor<1x?x1xf32>
  return %g#0, %g#1, %g#2 : tensor<?x?x?x3xf32>, tensor<?x1x?x3xf32>, tensor<1x?x1xf32>
}

// -----

// Ranges: every gradient reduction is block-sparse with the forward's six
// arrays; the one over i (w.r.t. y) reads their second triple.
// CHECK-LABEL: func.func @ranged
// CHECK-SAME: %[[A:[^:]+]]: tensor<?x2xi32>, %[[B:[^:]+]]: tensor<?xi32>, %[[C:[^:]+]]: tensor<?x2xi32>, %[[D:[^:]+]]: tensor<?x2xi32>, %[[E2:[^:]+]]: tensor<?xi32>, %[[F:[^:]+]]: tensor<?x2xi32>)
// CHECK: keops.reduce sum over j ins({{.*}}) outs({{.*}}) ranges(%[[A]], %[[B]], %[[C]], %[[D]], %[[E2]], %[[F]] :
// CHECK: keops.reduce sum over i ins({{.*}}) outs({{.*}}) ranges(%[[A]], %[[B]], %[[C]], %[[D]], %[[E2]], %[[F]] :
// CHECK-NOT: keops.reduce_grad
func.func @ranged(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>, %e: tensor<?x1xf32>,
                  %a: tensor<?x2xi32>, %b: tensor<?xi32>, %c: tensor<?x2xi32>,
                  %d: tensor<?x2xi32>, %e2: tensor<?xi32>, %f: tensor<?x2xi32>)
    -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  %r = keops.reduce logsumexp over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>)
      ranges(%a, %b, %c, %d, %e2, %f : tensor<?x2xi32>, tensor<?xi32>, tensor<?x2xi32>, tensor<?x2xi32>, tensor<?xi32>, tensor<?x2xi32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>):
    %s = keops.sqdist %xi, %yj : vector<3xf32>
    keops.yield %s : vector<1xf32>
  } -> tensor<?x1xf32>
  %g:2 = keops.reduce_grad %r wrt [0, 1], %e : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x3xf32>, tensor<?x3xf32>
  return %g#0, %g#1 : tensor<?x3xf32>, tensor<?x3xf32>
}
