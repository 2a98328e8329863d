func.func @f(%m: tensor<?x6xf64>, %v: tensor<?x4xf64>, %o: memref<?x2xf64>) {
  keops.reduce sum over j ins(%m : i tensor<?x6xf64>, %v : j tensor<?x4xf64>) outs(%o : memref<?x2xf64>) {
  ^bb0(%a: vector<6xf64>, %b: vector<4xf64>):
    %p = keops.matvecmult %a, %b : vector<6xf64>, vector<4xf64>
    keops.yield %p : vector<2xf64>
  }
  return
}
