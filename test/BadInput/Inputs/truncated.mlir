// out_i = sum_j exp(-|x_i - y_j|^2 / (2 s^2)) b_j, with the squared norm of
// a difference written out by hand: canonicalization turns it into sqdist.
func.func @gaussian_sum(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>,
                        %b: tensor<?x1xf32>, %s: tensor<1xf32>,
                        %init: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %out = keops.reduce sum over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>,
          %b : j tensor<?x1xf32>, %s : p tensor<1xf32>)
      outs(%init : tensor<?x1xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<1xf32>, %sp: vector<1xf32>):
    %diff = arith.subf %xi, %yj : vector<3xf32>
    %d2 = keops.sqnorm2 %diff : vector<3xf32>
    %half = arith.constant dense<-0.5> : vector<1xf32>
