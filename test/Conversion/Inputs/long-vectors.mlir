// f32 reductions of long vectors (D = 64 and 100) whose squared distances
// become Gram entries: with tensor-cores=tf32, warp tiles on the tensor
// cores (gpu-ptxas-tensor-cores.test).

func.func @gauss64(%x: tensor<?x64xf32>, %y: tensor<?x64xf32>, %b: tensor<?x1xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x64xf32>, %y : j tensor<?x64xf32>, %b : j tensor<?x1xf32>)
      outs(%o : tensor<?x1xf32>) {
  ^bb0(%xi: vector<64xf32>, %yj: vector<64xf32>, %bj: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<64xf32>
    %n = arith.negf %d : vector<1xf32>
    %k = math.exp %n : vector<1xf32>
    %f = arith.mulf %k, %bj : vector<1xf32>
    keops.yield %f : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

func.func @knn100(%x: tensor<?x100xf32>, %y: tensor<?x100xf32>, %o: tensor<?x10xi32>) -> tensor<?x10xi32> {
  %r = keops.reduce argkmin k = 10 over j
      ins(%x : i tensor<?x100xf32>, %y : j tensor<?x100xf32>)
      outs(%o : tensor<?x10xi32>) {
  ^bb0(%xi: vector<100xf32>, %yj: vector<100xf32>):
    %d = keops.sqdist %xi, %yj : vector<100xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x10xi32>
  return %r : tensor<?x10xi32>
}

func.func @lse_i(%x: tensor<?x64xf32>, %y: tensor<?x64xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce logsumexp over i
      ins(%x : i tensor<?x64xf32>, %y : j tensor<?x64xf32>)
      outs(%o : tensor<?x1xf32>) {
  ^bb0(%xi: vector<64xf32>, %yj: vector<64xf32>):
    %d = keops.sqdist %xi, %yj : vector<64xf32>
    %n = arith.negf %d : vector<1xf32>
    keops.yield %n : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}
