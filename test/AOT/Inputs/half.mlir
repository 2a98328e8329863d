func.func @half(%x: tensor<?x4xf16>, %y: tensor<?x4xf16>, %out: tensor<?x1xf16>)
    -> tensor<?x1xf16> {
  %r = keops.reduce min over j
      ins(%x : i tensor<?x4xf16>, %y : j tensor<?x4xf16>)
      outs(%out : tensor<?x1xf16>) {
  ^bb0(%xi: vector<4xf16>, %yj: vector<4xf16>):
    %d = keops.sqdist %xi, %yj : vector<4xf16>
    keops.yield %d : vector<1xf16>
  } -> tensor<?x1xf16>
  return %r : tensor<?x1xf16>
}
