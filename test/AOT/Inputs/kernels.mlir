// Kernels for the keops-compile tests: K nearest neighbours over j (f32,
// int32 indices), a max over i with a parameter (f64, int64 indices), a
// function holding two reductions, and one with index variables (a gather
// over j and a scatter-add over i).
func.func @knn(%x: tensor<?x2xf32>, %y: tensor<?x2xf32>, %v: tensor<?x3xf32>,
               %i: tensor<?x3xi32>) -> (tensor<?x3xf32>, tensor<?x3xi32>) {
  %r:2 = keops.reduce kmin_argkmin k = 3 over j
      ins(%x : i tensor<?x2xf32>, %y : j tensor<?x2xf32>)
      outs(%v : tensor<?x3xf32>, %i : tensor<?x3xi32>) {
  ^bb0(%xi: vector<2xf32>, %yj: vector<2xf32>):
    %d = keops.sqdist %xi, %yj : vector<2xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x3xf32>, tensor<?x3xi32>
  return %r#0, %r#1 : tensor<?x3xf32>, tensor<?x3xi32>
}

func.func @maxi(%x: tensor<?x1xf64>, %y: tensor<?x1xf64>, %w: tensor<1xf64>,
                %v: tensor<?x1xf64>, %i: tensor<?x1xi64>)
    -> (tensor<?x1xf64>, tensor<?x1xi64>) {
  %r:2 = keops.reduce max_argmax over i
      ins(%x : i tensor<?x1xf64>, %y : j tensor<?x1xf64>, %w : p tensor<1xf64>)
      outs(%v : tensor<?x1xf64>, %i : tensor<?x1xi64>) {
  ^bb0(%xi: vector<1xf64>, %yj: vector<1xf64>, %wp: vector<1xf64>):
    %p = arith.mulf %xi, %yj : vector<1xf64>
    %q = arith.mulf %p, %wp : vector<1xf64>
    keops.yield %q : vector<1xf64>
  } -> tensor<?x1xf64>, tensor<?x1xi64>
  return %r#0, %r#1 : tensor<?x1xf64>, tensor<?x1xi64>
}

func.func @pair(%x: tensor<?x2xf32>, %y: tensor<?x2xf32>, %s: tensor<?x2xf32>,
                %l: tensor<?x1xf32>) -> (tensor<?x2xf32>, tensor<?x1xf32>) {
  %sum = keops.reduce sum over j
      ins(%y : j tensor<?x2xf32>, %x : i tensor<?x2xf32>)
      outs(%s : tensor<?x2xf32>) {
  ^bb0(%yj: vector<2xf32>, %xi: vector<2xf32>):
    %p = arith.mulf %xi, %yj : vector<2xf32>
    keops.yield %p : vector<2xf32>
  } -> tensor<?x2xf32>
  %lse = keops.reduce logsumexp over j
      ins(%x : i tensor<?x2xf32>, %y : j tensor<?x2xf32>)
      outs(%l : tensor<?x1xf32>) {
  ^bb0(%xi: vector<2xf32>, %yj: vector<2xf32>):
    %d = keops.dot %xi, %yj : vector<2xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>
  return %sum, %lse : tensor<?x2xf32>, tensor<?x1xf32>
}

func.func @gather(%v: tensor<?x2xf32>, %idx: tensor<?x2xi32>, %g: tensor<?x2xf32>,
                  %w: tensor<?x1xf32>, %to: tensor<?x1xi64>, %s: tensor<?x1xf32>)
    -> (tensor<?x2xf32>, tensor<?x1xf32>) {
  // g_i = v[idx_i] (component by component): a sum over j of the selected v_j.
  %gather = keops.reduce sum over j
      ins(%v : j tensor<?x2xf32>, %idx : i tensor<?x2xi32>)
      outs(%g : tensor<?x2xf32>) {
  ^bb0(%vj: vector<2xf32>, %ki: vector<2xi32>):
    %r = keops.select_index %ki, %vj : vector<2xi32>, vector<2xf32>
    keops.yield %r : vector<2xf32>
  } -> tensor<?x2xf32>
  // s_j = sum of the w_i with to_i = j: a sum over i compared with j.
  %scatter = keops.reduce sum over i
      ins(%w : i tensor<?x1xf32>, %to : i tensor<?x1xi64>)
      outs(%s : tensor<?x1xf32>) {
  ^bb0(%wi: vector<1xf32>, %ti: vector<1xi64>):
    %r = keops.select_index %ti, %wi at j : vector<1xi64>, vector<1xf32>
    keops.yield %r : vector<1xf32>
  } -> tensor<?x1xf32>
  return %gather, %scatter : tensor<?x2xf32>, tensor<?x1xf32>
}
