// RUN: keops-opt %s -keops-recognize-gram -split-input-file | FileCheck %s
// RUN: keops-opt %s -keops-recognize-gram=min-dim=64 -split-input-file | FileCheck %s --check-prefix=SHORT

// The Gaussian kernel: the squared distance of two long vectors becomes
// their norms and a Gram entry, clamped at zero.
// CHECK-LABEL: func.func @gaussian
// CHECK: ^bb0(%[[X:.+]]: vector<32xf32>, %[[Y:.+]]: vector<32xf32>, %[[B:.+]]: vector<1xf32>):
// CHECK-NEXT: %[[NX:.+]] = keops.sqnorm2 %[[X]] : vector<32xf32>
// CHECK-NEXT: %[[NY:.+]] = keops.sqnorm2 %[[Y]] : vector<32xf32>
// CHECK-NEXT: %[[G:.+]] = keops.gram %[[X]], %[[Y]] : vector<32xf32>
// CHECK-NEXT: %[[S:.+]] = arith.addf %[[NX]], %[[NY]] : vector<1xf32>
// CHECK-NEXT: %[[G2:.+]] = arith.addf %[[G]], %[[G]] : vector<1xf32>
// CHECK-NEXT: %[[D:.+]] = arith.subf %[[S]], %[[G2]] : vector<1xf32>
// CHECK-NEXT: %[[R:.+]] = keops.relu %[[D]] : vector<1xf32>
// CHECK-NEXT: arith.negf %[[R]]
// SHORT-LABEL: func.func @gaussian
// SHORT-NOT: keops.gram
// SHORT: keops.sqdist
func.func @gaussian(%x: tensor<?x32xf32>, %y: tensor<?x32xf32>, %b: tensor<?x1xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x32xf32>, %y : j tensor<?x32xf32>, %b : j tensor<?x1xf32>)
      outs(%o : tensor<?x1xf32>) {
  ^bb0(%xi: vector<32xf32>, %yj: vector<32xf32>, %bj: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<32xf32>
    %n = arith.negf %d : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %v = arith.mulf %e, %bj : vector<1xf32>
    keops.yield %v : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// Over i the kept side is j: the Gram entry's left operand is y, whichever
// order the dot product had; |a - b|^2 is recognized too.
// CHECK-LABEL: func.func @over_i
// CHECK: ^bb0(%[[X:.+]]: vector<64xf64>, %[[Y:.+]]: vector<64xf64>):
// CHECK-NEXT: %[[G:.+]] = keops.gram %[[Y]], %[[X]] : vector<64xf64>
// CHECK-NEXT: %[[NY:.+]] = keops.sqnorm2 %[[Y]] : vector<64xf64>
// CHECK-NEXT: %[[NX:.+]] = keops.sqnorm2 %[[X]] : vector<64xf64>
// CHECK-NEXT: %[[G1:.+]] = keops.gram %[[Y]], %[[X]] : vector<64xf64>
// CHECK-NOT: arith.subf %[[X]]
// CHECK: keops.relu
// CHECK-NOT: keops.sqnorm2
// CHECK: keops.yield
func.func @over_i(%x: tensor<?x64xf64>, %y: tensor<?x64xf64>, %o: tensor<?x1xf64>) -> tensor<?x1xf64> {
  %r = keops.reduce min over i
      ins(%x : i tensor<?x64xf64>, %y : j tensor<?x64xf64>)
      outs(%o : tensor<?x1xf64>) {
  ^bb0(%xi: vector<64xf64>, %yj: vector<64xf64>):
    %g = keops.dot %xi, %yj : vector<64xf64>
    %diff = arith.subf %xi, %yj : vector<64xf64>
    %n = keops.sqnorm2 %diff : vector<64xf64>
    %s = arith.addf %g, %n : vector<1xf64>
    keops.yield %s : vector<1xf64>
  } -> tensor<?x1xf64>
  return %r : tensor<?x1xf64>
}

// -----

// A diagonal weight of parameters: weighted norms and the Gram entry of
// w x with y. An isotropic weight scales the unweighted distance.
// CHECK-LABEL: func.func @weighted
// CHECK: ^bb0(%[[X:.+]]: vector<40xf32>, %[[Y:.+]]: vector<40xf32>, %[[W:.+]]: vector<40xf32>, %[[S:.+]]: vector<1xf32>):
// CHECK-NEXT: %[[NX:.+]] = keops.weightedsqnorm %[[W]], %[[X]]
// CHECK-NEXT: %[[NY:.+]] = keops.weightedsqnorm %[[W]], %[[Y]]
// CHECK-NEXT: %[[WX:.+]] = arith.mulf %[[W]], %[[X]] : vector<40xf32>
// CHECK-NEXT: keops.gram %[[WX]], %[[Y]] : vector<40xf32>
// CHECK: %[[R:.+]] = keops.relu
// CHECK: keops.gram %[[X]], %[[Y]]
// CHECK: %[[R2:.+]] = keops.relu
// CHECK-NEXT: arith.mulf %[[S]], %[[R2]] : vector<1xf32>
func.func @weighted(%x: tensor<?x40xf32>, %y: tensor<?x40xf32>, %w: tensor<40xf32>, %s: tensor<1xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x40xf32>, %y : j tensor<?x40xf32>, %w : p tensor<40xf32>, %s : p tensor<1xf32>)
      outs(%o : tensor<?x1xf32>) {
  ^bb0(%xi: vector<40xf32>, %yj: vector<40xf32>, %wp: vector<40xf32>, %sp: vector<1xf32>):
    %d = keops.weightedsqdist %wp, %xi, %yj : vector<40xf32>, vector<40xf32>
    %e = keops.weightedsqdist %sp, %xi, %yj : vector<1xf32>, vector<40xf32>
    %v = arith.addf %d, %e : vector<1xf32>
    keops.yield %v : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// Left alone: inner products of one side only, of a pair-dependent value,
// with a weight that depends on a variable, and short vectors.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: keops.gram
// CHECK-NOT: keops.relu
// CHECK: keops.sqnorm2
// CHECK: keops.dot
// CHECK: keops.weightedsqdist
// CHECK: keops.sqdist
// CHECK: keops.yield
func.func @left_alone(%x: tensor<?x32xf32>, %y: tensor<?x32xf32>, %w: tensor<?x32xf32>, %u: tensor<?x4xf32>, %v: tensor<?x4xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x32xf32>, %y : j tensor<?x32xf32>, %w : i tensor<?x32xf32>, %u : i tensor<?x4xf32>, %v : j tensor<?x4xf32>)
      outs(%o : tensor<?x1xf32>) {
  ^bb0(%xi: vector<32xf32>, %yj: vector<32xf32>, %wi: vector<32xf32>, %ui: vector<4xf32>, %vj: vector<4xf32>):
    %n = keops.sqnorm2 %yj : vector<32xf32>
    %p = arith.mulf %xi, %yj : vector<32xf32>
    %d = keops.dot %p, %yj : vector<32xf32>
    %w2 = keops.weightedsqdist %wi, %xi, %yj : vector<32xf32>, vector<32xf32>
    %s = keops.sqdist %ui, %vj : vector<4xf32>
    %a = arith.addf %n, %d : vector<1xf32>
    %b = arith.addf %a, %w2 : vector<1xf32>
    %c = arith.addf %b, %s : vector<1xf32>
    keops.yield %c : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// The forms LazyTensor writes: ((x - y) ** 2).sum(-1) and (x * y).sum(-1);
// the products and differences they read go when nothing else reads them.
// CHECK-LABEL: func.func @lazy_forms
// CHECK: ^bb0(%[[X:.+]]: vector<48xf32>, %[[Y:.+]]: vector<48xf32>):
// CHECK-NOT: arith.subf %[[X]]
// CHECK-NOT: arith.mulf %[[X]]
// CHECK: keops.gram %[[X]], %[[Y]]
// CHECK: keops.relu
// CHECK: keops.gram %[[X]], %[[Y]]
// CHECK-NOT: keops.sum
// CHECK: keops.yield
func.func @lazy_forms(%x: tensor<?x48xf32>, %y: tensor<?x48xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x48xf32>, %y : j tensor<?x48xf32>)
      outs(%o : tensor<?x1xf32>) {
  ^bb0(%xi: vector<48xf32>, %yj: vector<48xf32>):
    %d = arith.subf %xi, %yj : vector<48xf32>
    %d2 = arith.mulf %d, %d : vector<48xf32>
    %s = keops.sum %d2 : vector<48xf32>
    %p = arith.mulf %xi, %yj : vector<48xf32>
    %t = keops.sum %p : vector<48xf32>
    %v = arith.addf %s, %t : vector<1xf32>
    keops.yield %v : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}
