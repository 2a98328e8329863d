// Every reduction kind, in f32 and f64, over j and over i, with a formula
// that uses parameters, index selection and libdevice functions: the
// input of the GPU pipeline tests (ptxas validates the PTX).

func.func @sum_f32_j(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %s: tensor<1xf32>, %o0: tensor<?x2xf32>) -> (tensor<?x2xf32>) {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : j tensor<?x2xf32>, %s : p tensor<1xf32>)
      outs(%o0 : tensor<?x2xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<2xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %l = math.sin %ds : vector<1xf32>
    %f = arith.addf %e, %l : vector<1xf32>
    %fb = vector.broadcast %f : vector<1xf32> to vector<2xf32>
    %v = arith.mulf %fb, %bj : vector<2xf32>
    keops.yield %v : vector<2xf32>
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}

func.func @sum_f32_i(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %s: tensor<1xf32>, %o0: tensor<?x2xf32>) -> (tensor<?x2xf32>) {
  %r = keops.reduce sum over i
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : i tensor<?x2xf32>, %s : p tensor<1xf32>)
      outs(%o0 : tensor<?x2xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<2xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %l = math.sin %ds : vector<1xf32>
    %f = arith.addf %e, %l : vector<1xf32>
    %fb = vector.broadcast %f : vector<1xf32> to vector<2xf32>
    %v = arith.mulf %fb, %bj : vector<2xf32>
    keops.yield %v : vector<2xf32>
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}

func.func @min_f32_j(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %s: tensor<1xf32>, %o0: tensor<?x2xf32>) -> (tensor<?x2xf32>) {
  %r = keops.reduce min over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : j tensor<?x2xf32>, %s : p tensor<1xf32>)
      outs(%o0 : tensor<?x2xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<2xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %l = math.sin %ds : vector<1xf32>
    %f = arith.addf %e, %l : vector<1xf32>
    %fb = vector.broadcast %f : vector<1xf32> to vector<2xf32>
    %v = arith.mulf %fb, %bj : vector<2xf32>
    keops.yield %v : vector<2xf32>
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}

func.func @min_f32_i(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %s: tensor<1xf32>, %o0: tensor<?x2xf32>) -> (tensor<?x2xf32>) {
  %r = keops.reduce min over i
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : i tensor<?x2xf32>, %s : p tensor<1xf32>)
      outs(%o0 : tensor<?x2xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<2xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %l = math.sin %ds : vector<1xf32>
    %f = arith.addf %e, %l : vector<1xf32>
    %fb = vector.broadcast %f : vector<1xf32> to vector<2xf32>
    %v = arith.mulf %fb, %bj : vector<2xf32>
    keops.yield %v : vector<2xf32>
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}

func.func @max_f32_j(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %s: tensor<1xf32>, %o0: tensor<?x2xf32>) -> (tensor<?x2xf32>) {
  %r = keops.reduce max over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : j tensor<?x2xf32>, %s : p tensor<1xf32>)
      outs(%o0 : tensor<?x2xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<2xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %l = math.sin %ds : vector<1xf32>
    %f = arith.addf %e, %l : vector<1xf32>
    %fb = vector.broadcast %f : vector<1xf32> to vector<2xf32>
    %v = arith.mulf %fb, %bj : vector<2xf32>
    keops.yield %v : vector<2xf32>
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}

func.func @max_f32_i(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %s: tensor<1xf32>, %o0: tensor<?x2xf32>) -> (tensor<?x2xf32>) {
  %r = keops.reduce max over i
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : i tensor<?x2xf32>, %s : p tensor<1xf32>)
      outs(%o0 : tensor<?x2xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<2xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %l = math.sin %ds : vector<1xf32>
    %f = arith.addf %e, %l : vector<1xf32>
    %fb = vector.broadcast %f : vector<1xf32> to vector<2xf32>
    %v = arith.mulf %fb, %bj : vector<2xf32>
    keops.yield %v : vector<2xf32>
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}

func.func @argmin_f32_j(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %s: tensor<1xf32>, %o0: tensor<?x2xi64>) -> (tensor<?x2xi64>) {
  %r = keops.reduce argmin over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : j tensor<?x2xf32>, %s : p tensor<1xf32>)
      outs(%o0 : tensor<?x2xi64>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<2xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %l = math.sin %ds : vector<1xf32>
    %f = arith.addf %e, %l : vector<1xf32>
    %fb = vector.broadcast %f : vector<1xf32> to vector<2xf32>
    %v = arith.mulf %fb, %bj : vector<2xf32>
    keops.yield %v : vector<2xf32>
  } -> tensor<?x2xi64>
  return %r : tensor<?x2xi64>
}

func.func @argmin_f32_i(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %s: tensor<1xf32>, %o0: tensor<?x2xi64>) -> (tensor<?x2xi64>) {
  %r = keops.reduce argmin over i
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : i tensor<?x2xf32>, %s : p tensor<1xf32>)
      outs(%o0 : tensor<?x2xi64>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<2xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %l = math.sin %ds : vector<1xf32>
    %f = arith.addf %e, %l : vector<1xf32>
    %fb = vector.broadcast %f : vector<1xf32> to vector<2xf32>
    %v = arith.mulf %fb, %bj : vector<2xf32>
    keops.yield %v : vector<2xf32>
  } -> tensor<?x2xi64>
  return %r : tensor<?x2xi64>
}

func.func @argmax_f32_j(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %s: tensor<1xf32>, %o0: tensor<?x2xi64>) -> (tensor<?x2xi64>) {
  %r = keops.reduce argmax over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : j tensor<?x2xf32>, %s : p tensor<1xf32>)
      outs(%o0 : tensor<?x2xi64>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<2xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %l = math.sin %ds : vector<1xf32>
    %f = arith.addf %e, %l : vector<1xf32>
    %fb = vector.broadcast %f : vector<1xf32> to vector<2xf32>
    %v = arith.mulf %fb, %bj : vector<2xf32>
    keops.yield %v : vector<2xf32>
  } -> tensor<?x2xi64>
  return %r : tensor<?x2xi64>
}

func.func @argmax_f32_i(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %s: tensor<1xf32>, %o0: tensor<?x2xi64>) -> (tensor<?x2xi64>) {
  %r = keops.reduce argmax over i
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : i tensor<?x2xf32>, %s : p tensor<1xf32>)
      outs(%o0 : tensor<?x2xi64>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<2xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %l = math.sin %ds : vector<1xf32>
    %f = arith.addf %e, %l : vector<1xf32>
    %fb = vector.broadcast %f : vector<1xf32> to vector<2xf32>
    %v = arith.mulf %fb, %bj : vector<2xf32>
    keops.yield %v : vector<2xf32>
  } -> tensor<?x2xi64>
  return %r : tensor<?x2xi64>
}

func.func @min_argmin_f32_j(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %s: tensor<1xf32>, %o0: tensor<?x2xf32>, %o1: tensor<?x2xi64>) -> (tensor<?x2xf32>, tensor<?x2xi64>) {
  %r:2 = keops.reduce min_argmin over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : j tensor<?x2xf32>, %s : p tensor<1xf32>)
      outs(%o0 : tensor<?x2xf32>, %o1 : tensor<?x2xi64>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<2xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %l = math.sin %ds : vector<1xf32>
    %f = arith.addf %e, %l : vector<1xf32>
    %fb = vector.broadcast %f : vector<1xf32> to vector<2xf32>
    %v = arith.mulf %fb, %bj : vector<2xf32>
    keops.yield %v : vector<2xf32>
  } -> tensor<?x2xf32>, tensor<?x2xi64>
  return %r#0, %r#1 : tensor<?x2xf32>, tensor<?x2xi64>
}

func.func @min_argmin_f32_i(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %s: tensor<1xf32>, %o0: tensor<?x2xf32>, %o1: tensor<?x2xi64>) -> (tensor<?x2xf32>, tensor<?x2xi64>) {
  %r:2 = keops.reduce min_argmin over i
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : i tensor<?x2xf32>, %s : p tensor<1xf32>)
      outs(%o0 : tensor<?x2xf32>, %o1 : tensor<?x2xi64>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<2xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %l = math.sin %ds : vector<1xf32>
    %f = arith.addf %e, %l : vector<1xf32>
    %fb = vector.broadcast %f : vector<1xf32> to vector<2xf32>
    %v = arith.mulf %fb, %bj : vector<2xf32>
    keops.yield %v : vector<2xf32>
  } -> tensor<?x2xf32>, tensor<?x2xi64>
  return %r#0, %r#1 : tensor<?x2xf32>, tensor<?x2xi64>
}

func.func @max_argmax_f32_j(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %s: tensor<1xf32>, %o0: tensor<?x2xf32>, %o1: tensor<?x2xi64>) -> (tensor<?x2xf32>, tensor<?x2xi64>) {
  %r:2 = keops.reduce max_argmax over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : j tensor<?x2xf32>, %s : p tensor<1xf32>)
      outs(%o0 : tensor<?x2xf32>, %o1 : tensor<?x2xi64>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<2xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %l = math.sin %ds : vector<1xf32>
    %f = arith.addf %e, %l : vector<1xf32>
    %fb = vector.broadcast %f : vector<1xf32> to vector<2xf32>
    %v = arith.mulf %fb, %bj : vector<2xf32>
    keops.yield %v : vector<2xf32>
  } -> tensor<?x2xf32>, tensor<?x2xi64>
  return %r#0, %r#1 : tensor<?x2xf32>, tensor<?x2xi64>
}

func.func @max_argmax_f32_i(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %s: tensor<1xf32>, %o0: tensor<?x2xf32>, %o1: tensor<?x2xi64>) -> (tensor<?x2xf32>, tensor<?x2xi64>) {
  %r:2 = keops.reduce max_argmax over i
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : i tensor<?x2xf32>, %s : p tensor<1xf32>)
      outs(%o0 : tensor<?x2xf32>, %o1 : tensor<?x2xi64>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<2xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %l = math.sin %ds : vector<1xf32>
    %f = arith.addf %e, %l : vector<1xf32>
    %fb = vector.broadcast %f : vector<1xf32> to vector<2xf32>
    %v = arith.mulf %fb, %bj : vector<2xf32>
    keops.yield %v : vector<2xf32>
  } -> tensor<?x2xf32>, tensor<?x2xi64>
  return %r#0, %r#1 : tensor<?x2xf32>, tensor<?x2xi64>
}

func.func @kmin_f32_j(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %s: tensor<1xf32>, %o0: tensor<?x6xf32>) -> (tensor<?x6xf32>) {
  %r = keops.reduce kmin k = 3 over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : j tensor<?x2xf32>, %s : p tensor<1xf32>)
      outs(%o0 : tensor<?x6xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<2xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %l = math.sin %ds : vector<1xf32>
    %f = arith.addf %e, %l : vector<1xf32>
    %fb = vector.broadcast %f : vector<1xf32> to vector<2xf32>
    %v = arith.mulf %fb, %bj : vector<2xf32>
    keops.yield %v : vector<2xf32>
  } -> tensor<?x6xf32>
  return %r : tensor<?x6xf32>
}

func.func @kmin_f32_i(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %s: tensor<1xf32>, %o0: tensor<?x6xf32>) -> (tensor<?x6xf32>) {
  %r = keops.reduce kmin k = 3 over i
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : i tensor<?x2xf32>, %s : p tensor<1xf32>)
      outs(%o0 : tensor<?x6xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<2xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %l = math.sin %ds : vector<1xf32>
    %f = arith.addf %e, %l : vector<1xf32>
    %fb = vector.broadcast %f : vector<1xf32> to vector<2xf32>
    %v = arith.mulf %fb, %bj : vector<2xf32>
    keops.yield %v : vector<2xf32>
  } -> tensor<?x6xf32>
  return %r : tensor<?x6xf32>
}

func.func @argkmin_f32_j(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %s: tensor<1xf32>, %o0: tensor<?x6xi64>) -> (tensor<?x6xi64>) {
  %r = keops.reduce argkmin k = 3 over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : j tensor<?x2xf32>, %s : p tensor<1xf32>)
      outs(%o0 : tensor<?x6xi64>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<2xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %l = math.sin %ds : vector<1xf32>
    %f = arith.addf %e, %l : vector<1xf32>
    %fb = vector.broadcast %f : vector<1xf32> to vector<2xf32>
    %v = arith.mulf %fb, %bj : vector<2xf32>
    keops.yield %v : vector<2xf32>
  } -> tensor<?x6xi64>
  return %r : tensor<?x6xi64>
}

func.func @argkmin_f32_i(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %s: tensor<1xf32>, %o0: tensor<?x6xi64>) -> (tensor<?x6xi64>) {
  %r = keops.reduce argkmin k = 3 over i
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : i tensor<?x2xf32>, %s : p tensor<1xf32>)
      outs(%o0 : tensor<?x6xi64>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<2xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %l = math.sin %ds : vector<1xf32>
    %f = arith.addf %e, %l : vector<1xf32>
    %fb = vector.broadcast %f : vector<1xf32> to vector<2xf32>
    %v = arith.mulf %fb, %bj : vector<2xf32>
    keops.yield %v : vector<2xf32>
  } -> tensor<?x6xi64>
  return %r : tensor<?x6xi64>
}

func.func @kmin_argkmin_f32_j(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %s: tensor<1xf32>, %o0: tensor<?x6xf32>, %o1: tensor<?x6xi64>) -> (tensor<?x6xf32>, tensor<?x6xi64>) {
  %r:2 = keops.reduce kmin_argkmin k = 3 over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : j tensor<?x2xf32>, %s : p tensor<1xf32>)
      outs(%o0 : tensor<?x6xf32>, %o1 : tensor<?x6xi64>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<2xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %l = math.sin %ds : vector<1xf32>
    %f = arith.addf %e, %l : vector<1xf32>
    %fb = vector.broadcast %f : vector<1xf32> to vector<2xf32>
    %v = arith.mulf %fb, %bj : vector<2xf32>
    keops.yield %v : vector<2xf32>
  } -> tensor<?x6xf32>, tensor<?x6xi64>
  return %r#0, %r#1 : tensor<?x6xf32>, tensor<?x6xi64>
}

func.func @kmin_argkmin_f32_i(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %s: tensor<1xf32>, %o0: tensor<?x6xf32>, %o1: tensor<?x6xi64>) -> (tensor<?x6xf32>, tensor<?x6xi64>) {
  %r:2 = keops.reduce kmin_argkmin k = 3 over i
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : i tensor<?x2xf32>, %s : p tensor<1xf32>)
      outs(%o0 : tensor<?x6xf32>, %o1 : tensor<?x6xi64>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<2xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %l = math.sin %ds : vector<1xf32>
    %f = arith.addf %e, %l : vector<1xf32>
    %fb = vector.broadcast %f : vector<1xf32> to vector<2xf32>
    %v = arith.mulf %fb, %bj : vector<2xf32>
    keops.yield %v : vector<2xf32>
  } -> tensor<?x6xf32>, tensor<?x6xi64>
  return %r#0, %r#1 : tensor<?x6xf32>, tensor<?x6xi64>
}

func.func @logsumexp_f32_j(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %s: tensor<1xf32>, %o0: tensor<?x1xf32>) -> (tensor<?x1xf32>) {
  %r = keops.reduce logsumexp over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : j tensor<?x2xf32>, %s : p tensor<1xf32>)
      outs(%o0 : tensor<?x1xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<2xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %l = math.sin %ds : vector<1xf32>
    %f = arith.addf %e, %l : vector<1xf32>
    keops.yield %f : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

func.func @logsumexp_f32_i(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %s: tensor<1xf32>, %o0: tensor<?x1xf32>) -> (tensor<?x1xf32>) {
  %r = keops.reduce logsumexp over i
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : i tensor<?x2xf32>, %s : p tensor<1xf32>)
      outs(%o0 : tensor<?x1xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<2xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %l = math.sin %ds : vector<1xf32>
    %f = arith.addf %e, %l : vector<1xf32>
    keops.yield %f : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

func.func @logsumexp_w_f32_j(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %s: tensor<1xf32>, %o0: tensor<?x1xf32>) -> (tensor<?x1xf32>) {
  %r = keops.reduce logsumexp over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : j tensor<?x2xf32>, %s : p tensor<1xf32>)
      outs(%o0 : tensor<?x1xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<2xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %l = math.sin %ds : vector<1xf32>
    %f = arith.addf %e, %l : vector<1xf32>
    %w = math.absf %bj : vector<2xf32>
    %w1 = vector.extract_strided_slice %w {offsets = [0], sizes = [1], strides = [1]} : vector<2xf32> to vector<1xf32>
    keops.yield %f, %w1 : vector<1xf32>, vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

func.func @logsumexp_w_f32_i(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %s: tensor<1xf32>, %o0: tensor<?x1xf32>) -> (tensor<?x1xf32>) {
  %r = keops.reduce logsumexp over i
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : i tensor<?x2xf32>, %s : p tensor<1xf32>)
      outs(%o0 : tensor<?x1xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<2xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %l = math.sin %ds : vector<1xf32>
    %f = arith.addf %e, %l : vector<1xf32>
    %w = math.absf %bj : vector<2xf32>
    %w1 = vector.extract_strided_slice %w {offsets = [0], sizes = [1], strides = [1]} : vector<2xf32> to vector<1xf32>
    keops.yield %f, %w1 : vector<1xf32>, vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

func.func @sumsoftmaxweight_f32_j(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %s: tensor<1xf32>, %o0: tensor<?x2xf32>) -> (tensor<?x2xf32>) {
  %r = keops.reduce sumsoftmaxweight over j
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : j tensor<?x2xf32>, %s : p tensor<1xf32>)
      outs(%o0 : tensor<?x2xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<2xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %l = math.sin %ds : vector<1xf32>
    %f = arith.addf %e, %l : vector<1xf32>
    %w = math.absf %bj : vector<2xf32>
    keops.yield %f, %w : vector<1xf32>, vector<2xf32>
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}

func.func @sumsoftmaxweight_f32_i(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %b: tensor<?x2xf32>, %s: tensor<1xf32>, %o0: tensor<?x2xf32>) -> (tensor<?x2xf32>) {
  %r = keops.reduce sumsoftmaxweight over i
      ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>, %b : i tensor<?x2xf32>, %s : p tensor<1xf32>)
      outs(%o0 : tensor<?x2xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>, %bj: vector<2xf32>, %sp: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    %ds = arith.mulf %d, %sp : vector<1xf32>
    %n = arith.negf %ds : vector<1xf32>
    %e = math.exp %n : vector<1xf32>
    %l = math.sin %ds : vector<1xf32>
    %f = arith.addf %e, %l : vector<1xf32>
    %w = math.absf %bj : vector<2xf32>
    keops.yield %f, %w : vector<1xf32>, vector<2xf32>
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}

func.func @sum_f64_j(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %b: tensor<?x2xf64>, %s: tensor<1xf64>, %o0: tensor<?x2xf64>) -> (tensor<?x2xf64>) {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %b : j tensor<?x2xf64>, %s : p tensor<1xf64>)
      outs(%o0 : tensor<?x2xf64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<2xf64>, %sp: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %ds = arith.mulf %d, %sp : vector<1xf64>
    %n = arith.negf %ds : vector<1xf64>
    %e = math.exp %n : vector<1xf64>
    %l = math.sin %ds : vector<1xf64>
    %f = arith.addf %e, %l : vector<1xf64>
    %fb = vector.broadcast %f : vector<1xf64> to vector<2xf64>
    %v = arith.mulf %fb, %bj : vector<2xf64>
    keops.yield %v : vector<2xf64>
  } -> tensor<?x2xf64>
  return %r : tensor<?x2xf64>
}

func.func @sum_f64_i(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %b: tensor<?x2xf64>, %s: tensor<1xf64>, %o0: tensor<?x2xf64>) -> (tensor<?x2xf64>) {
  %r = keops.reduce sum over i
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %b : i tensor<?x2xf64>, %s : p tensor<1xf64>)
      outs(%o0 : tensor<?x2xf64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<2xf64>, %sp: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %ds = arith.mulf %d, %sp : vector<1xf64>
    %n = arith.negf %ds : vector<1xf64>
    %e = math.exp %n : vector<1xf64>
    %l = math.sin %ds : vector<1xf64>
    %f = arith.addf %e, %l : vector<1xf64>
    %fb = vector.broadcast %f : vector<1xf64> to vector<2xf64>
    %v = arith.mulf %fb, %bj : vector<2xf64>
    keops.yield %v : vector<2xf64>
  } -> tensor<?x2xf64>
  return %r : tensor<?x2xf64>
}

func.func @min_f64_j(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %b: tensor<?x2xf64>, %s: tensor<1xf64>, %o0: tensor<?x2xf64>) -> (tensor<?x2xf64>) {
  %r = keops.reduce min over j
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %b : j tensor<?x2xf64>, %s : p tensor<1xf64>)
      outs(%o0 : tensor<?x2xf64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<2xf64>, %sp: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %ds = arith.mulf %d, %sp : vector<1xf64>
    %n = arith.negf %ds : vector<1xf64>
    %e = math.exp %n : vector<1xf64>
    %l = math.sin %ds : vector<1xf64>
    %f = arith.addf %e, %l : vector<1xf64>
    %fb = vector.broadcast %f : vector<1xf64> to vector<2xf64>
    %v = arith.mulf %fb, %bj : vector<2xf64>
    keops.yield %v : vector<2xf64>
  } -> tensor<?x2xf64>
  return %r : tensor<?x2xf64>
}

func.func @min_f64_i(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %b: tensor<?x2xf64>, %s: tensor<1xf64>, %o0: tensor<?x2xf64>) -> (tensor<?x2xf64>) {
  %r = keops.reduce min over i
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %b : i tensor<?x2xf64>, %s : p tensor<1xf64>)
      outs(%o0 : tensor<?x2xf64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<2xf64>, %sp: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %ds = arith.mulf %d, %sp : vector<1xf64>
    %n = arith.negf %ds : vector<1xf64>
    %e = math.exp %n : vector<1xf64>
    %l = math.sin %ds : vector<1xf64>
    %f = arith.addf %e, %l : vector<1xf64>
    %fb = vector.broadcast %f : vector<1xf64> to vector<2xf64>
    %v = arith.mulf %fb, %bj : vector<2xf64>
    keops.yield %v : vector<2xf64>
  } -> tensor<?x2xf64>
  return %r : tensor<?x2xf64>
}

func.func @max_f64_j(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %b: tensor<?x2xf64>, %s: tensor<1xf64>, %o0: tensor<?x2xf64>) -> (tensor<?x2xf64>) {
  %r = keops.reduce max over j
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %b : j tensor<?x2xf64>, %s : p tensor<1xf64>)
      outs(%o0 : tensor<?x2xf64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<2xf64>, %sp: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %ds = arith.mulf %d, %sp : vector<1xf64>
    %n = arith.negf %ds : vector<1xf64>
    %e = math.exp %n : vector<1xf64>
    %l = math.sin %ds : vector<1xf64>
    %f = arith.addf %e, %l : vector<1xf64>
    %fb = vector.broadcast %f : vector<1xf64> to vector<2xf64>
    %v = arith.mulf %fb, %bj : vector<2xf64>
    keops.yield %v : vector<2xf64>
  } -> tensor<?x2xf64>
  return %r : tensor<?x2xf64>
}

func.func @max_f64_i(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %b: tensor<?x2xf64>, %s: tensor<1xf64>, %o0: tensor<?x2xf64>) -> (tensor<?x2xf64>) {
  %r = keops.reduce max over i
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %b : i tensor<?x2xf64>, %s : p tensor<1xf64>)
      outs(%o0 : tensor<?x2xf64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<2xf64>, %sp: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %ds = arith.mulf %d, %sp : vector<1xf64>
    %n = arith.negf %ds : vector<1xf64>
    %e = math.exp %n : vector<1xf64>
    %l = math.sin %ds : vector<1xf64>
    %f = arith.addf %e, %l : vector<1xf64>
    %fb = vector.broadcast %f : vector<1xf64> to vector<2xf64>
    %v = arith.mulf %fb, %bj : vector<2xf64>
    keops.yield %v : vector<2xf64>
  } -> tensor<?x2xf64>
  return %r : tensor<?x2xf64>
}

func.func @argmin_f64_j(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %b: tensor<?x2xf64>, %s: tensor<1xf64>, %o0: tensor<?x2xi64>) -> (tensor<?x2xi64>) {
  %r = keops.reduce argmin over j
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %b : j tensor<?x2xf64>, %s : p tensor<1xf64>)
      outs(%o0 : tensor<?x2xi64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<2xf64>, %sp: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %ds = arith.mulf %d, %sp : vector<1xf64>
    %n = arith.negf %ds : vector<1xf64>
    %e = math.exp %n : vector<1xf64>
    %l = math.sin %ds : vector<1xf64>
    %f = arith.addf %e, %l : vector<1xf64>
    %fb = vector.broadcast %f : vector<1xf64> to vector<2xf64>
    %v = arith.mulf %fb, %bj : vector<2xf64>
    keops.yield %v : vector<2xf64>
  } -> tensor<?x2xi64>
  return %r : tensor<?x2xi64>
}

func.func @argmin_f64_i(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %b: tensor<?x2xf64>, %s: tensor<1xf64>, %o0: tensor<?x2xi64>) -> (tensor<?x2xi64>) {
  %r = keops.reduce argmin over i
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %b : i tensor<?x2xf64>, %s : p tensor<1xf64>)
      outs(%o0 : tensor<?x2xi64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<2xf64>, %sp: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %ds = arith.mulf %d, %sp : vector<1xf64>
    %n = arith.negf %ds : vector<1xf64>
    %e = math.exp %n : vector<1xf64>
    %l = math.sin %ds : vector<1xf64>
    %f = arith.addf %e, %l : vector<1xf64>
    %fb = vector.broadcast %f : vector<1xf64> to vector<2xf64>
    %v = arith.mulf %fb, %bj : vector<2xf64>
    keops.yield %v : vector<2xf64>
  } -> tensor<?x2xi64>
  return %r : tensor<?x2xi64>
}

func.func @argmax_f64_j(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %b: tensor<?x2xf64>, %s: tensor<1xf64>, %o0: tensor<?x2xi64>) -> (tensor<?x2xi64>) {
  %r = keops.reduce argmax over j
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %b : j tensor<?x2xf64>, %s : p tensor<1xf64>)
      outs(%o0 : tensor<?x2xi64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<2xf64>, %sp: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %ds = arith.mulf %d, %sp : vector<1xf64>
    %n = arith.negf %ds : vector<1xf64>
    %e = math.exp %n : vector<1xf64>
    %l = math.sin %ds : vector<1xf64>
    %f = arith.addf %e, %l : vector<1xf64>
    %fb = vector.broadcast %f : vector<1xf64> to vector<2xf64>
    %v = arith.mulf %fb, %bj : vector<2xf64>
    keops.yield %v : vector<2xf64>
  } -> tensor<?x2xi64>
  return %r : tensor<?x2xi64>
}

func.func @argmax_f64_i(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %b: tensor<?x2xf64>, %s: tensor<1xf64>, %o0: tensor<?x2xi64>) -> (tensor<?x2xi64>) {
  %r = keops.reduce argmax over i
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %b : i tensor<?x2xf64>, %s : p tensor<1xf64>)
      outs(%o0 : tensor<?x2xi64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<2xf64>, %sp: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %ds = arith.mulf %d, %sp : vector<1xf64>
    %n = arith.negf %ds : vector<1xf64>
    %e = math.exp %n : vector<1xf64>
    %l = math.sin %ds : vector<1xf64>
    %f = arith.addf %e, %l : vector<1xf64>
    %fb = vector.broadcast %f : vector<1xf64> to vector<2xf64>
    %v = arith.mulf %fb, %bj : vector<2xf64>
    keops.yield %v : vector<2xf64>
  } -> tensor<?x2xi64>
  return %r : tensor<?x2xi64>
}

func.func @min_argmin_f64_j(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %b: tensor<?x2xf64>, %s: tensor<1xf64>, %o0: tensor<?x2xf64>, %o1: tensor<?x2xi64>) -> (tensor<?x2xf64>, tensor<?x2xi64>) {
  %r:2 = keops.reduce min_argmin over j
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %b : j tensor<?x2xf64>, %s : p tensor<1xf64>)
      outs(%o0 : tensor<?x2xf64>, %o1 : tensor<?x2xi64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<2xf64>, %sp: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %ds = arith.mulf %d, %sp : vector<1xf64>
    %n = arith.negf %ds : vector<1xf64>
    %e = math.exp %n : vector<1xf64>
    %l = math.sin %ds : vector<1xf64>
    %f = arith.addf %e, %l : vector<1xf64>
    %fb = vector.broadcast %f : vector<1xf64> to vector<2xf64>
    %v = arith.mulf %fb, %bj : vector<2xf64>
    keops.yield %v : vector<2xf64>
  } -> tensor<?x2xf64>, tensor<?x2xi64>
  return %r#0, %r#1 : tensor<?x2xf64>, tensor<?x2xi64>
}

func.func @min_argmin_f64_i(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %b: tensor<?x2xf64>, %s: tensor<1xf64>, %o0: tensor<?x2xf64>, %o1: tensor<?x2xi64>) -> (tensor<?x2xf64>, tensor<?x2xi64>) {
  %r:2 = keops.reduce min_argmin over i
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %b : i tensor<?x2xf64>, %s : p tensor<1xf64>)
      outs(%o0 : tensor<?x2xf64>, %o1 : tensor<?x2xi64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<2xf64>, %sp: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %ds = arith.mulf %d, %sp : vector<1xf64>
    %n = arith.negf %ds : vector<1xf64>
    %e = math.exp %n : vector<1xf64>
    %l = math.sin %ds : vector<1xf64>
    %f = arith.addf %e, %l : vector<1xf64>
    %fb = vector.broadcast %f : vector<1xf64> to vector<2xf64>
    %v = arith.mulf %fb, %bj : vector<2xf64>
    keops.yield %v : vector<2xf64>
  } -> tensor<?x2xf64>, tensor<?x2xi64>
  return %r#0, %r#1 : tensor<?x2xf64>, tensor<?x2xi64>
}

func.func @max_argmax_f64_j(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %b: tensor<?x2xf64>, %s: tensor<1xf64>, %o0: tensor<?x2xf64>, %o1: tensor<?x2xi64>) -> (tensor<?x2xf64>, tensor<?x2xi64>) {
  %r:2 = keops.reduce max_argmax over j
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %b : j tensor<?x2xf64>, %s : p tensor<1xf64>)
      outs(%o0 : tensor<?x2xf64>, %o1 : tensor<?x2xi64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<2xf64>, %sp: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %ds = arith.mulf %d, %sp : vector<1xf64>
    %n = arith.negf %ds : vector<1xf64>
    %e = math.exp %n : vector<1xf64>
    %l = math.sin %ds : vector<1xf64>
    %f = arith.addf %e, %l : vector<1xf64>
    %fb = vector.broadcast %f : vector<1xf64> to vector<2xf64>
    %v = arith.mulf %fb, %bj : vector<2xf64>
    keops.yield %v : vector<2xf64>
  } -> tensor<?x2xf64>, tensor<?x2xi64>
  return %r#0, %r#1 : tensor<?x2xf64>, tensor<?x2xi64>
}

func.func @max_argmax_f64_i(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %b: tensor<?x2xf64>, %s: tensor<1xf64>, %o0: tensor<?x2xf64>, %o1: tensor<?x2xi64>) -> (tensor<?x2xf64>, tensor<?x2xi64>) {
  %r:2 = keops.reduce max_argmax over i
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %b : i tensor<?x2xf64>, %s : p tensor<1xf64>)
      outs(%o0 : tensor<?x2xf64>, %o1 : tensor<?x2xi64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<2xf64>, %sp: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %ds = arith.mulf %d, %sp : vector<1xf64>
    %n = arith.negf %ds : vector<1xf64>
    %e = math.exp %n : vector<1xf64>
    %l = math.sin %ds : vector<1xf64>
    %f = arith.addf %e, %l : vector<1xf64>
    %fb = vector.broadcast %f : vector<1xf64> to vector<2xf64>
    %v = arith.mulf %fb, %bj : vector<2xf64>
    keops.yield %v : vector<2xf64>
  } -> tensor<?x2xf64>, tensor<?x2xi64>
  return %r#0, %r#1 : tensor<?x2xf64>, tensor<?x2xi64>
}

func.func @kmin_f64_j(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %b: tensor<?x2xf64>, %s: tensor<1xf64>, %o0: tensor<?x6xf64>) -> (tensor<?x6xf64>) {
  %r = keops.reduce kmin k = 3 over j
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %b : j tensor<?x2xf64>, %s : p tensor<1xf64>)
      outs(%o0 : tensor<?x6xf64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<2xf64>, %sp: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %ds = arith.mulf %d, %sp : vector<1xf64>
    %n = arith.negf %ds : vector<1xf64>
    %e = math.exp %n : vector<1xf64>
    %l = math.sin %ds : vector<1xf64>
    %f = arith.addf %e, %l : vector<1xf64>
    %fb = vector.broadcast %f : vector<1xf64> to vector<2xf64>
    %v = arith.mulf %fb, %bj : vector<2xf64>
    keops.yield %v : vector<2xf64>
  } -> tensor<?x6xf64>
  return %r : tensor<?x6xf64>
}

func.func @kmin_f64_i(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %b: tensor<?x2xf64>, %s: tensor<1xf64>, %o0: tensor<?x6xf64>) -> (tensor<?x6xf64>) {
  %r = keops.reduce kmin k = 3 over i
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %b : i tensor<?x2xf64>, %s : p tensor<1xf64>)
      outs(%o0 : tensor<?x6xf64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<2xf64>, %sp: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %ds = arith.mulf %d, %sp : vector<1xf64>
    %n = arith.negf %ds : vector<1xf64>
    %e = math.exp %n : vector<1xf64>
    %l = math.sin %ds : vector<1xf64>
    %f = arith.addf %e, %l : vector<1xf64>
    %fb = vector.broadcast %f : vector<1xf64> to vector<2xf64>
    %v = arith.mulf %fb, %bj : vector<2xf64>
    keops.yield %v : vector<2xf64>
  } -> tensor<?x6xf64>
  return %r : tensor<?x6xf64>
}

func.func @argkmin_f64_j(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %b: tensor<?x2xf64>, %s: tensor<1xf64>, %o0: tensor<?x6xi64>) -> (tensor<?x6xi64>) {
  %r = keops.reduce argkmin k = 3 over j
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %b : j tensor<?x2xf64>, %s : p tensor<1xf64>)
      outs(%o0 : tensor<?x6xi64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<2xf64>, %sp: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %ds = arith.mulf %d, %sp : vector<1xf64>
    %n = arith.negf %ds : vector<1xf64>
    %e = math.exp %n : vector<1xf64>
    %l = math.sin %ds : vector<1xf64>
    %f = arith.addf %e, %l : vector<1xf64>
    %fb = vector.broadcast %f : vector<1xf64> to vector<2xf64>
    %v = arith.mulf %fb, %bj : vector<2xf64>
    keops.yield %v : vector<2xf64>
  } -> tensor<?x6xi64>
  return %r : tensor<?x6xi64>
}

func.func @argkmin_f64_i(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %b: tensor<?x2xf64>, %s: tensor<1xf64>, %o0: tensor<?x6xi64>) -> (tensor<?x6xi64>) {
  %r = keops.reduce argkmin k = 3 over i
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %b : i tensor<?x2xf64>, %s : p tensor<1xf64>)
      outs(%o0 : tensor<?x6xi64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<2xf64>, %sp: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %ds = arith.mulf %d, %sp : vector<1xf64>
    %n = arith.negf %ds : vector<1xf64>
    %e = math.exp %n : vector<1xf64>
    %l = math.sin %ds : vector<1xf64>
    %f = arith.addf %e, %l : vector<1xf64>
    %fb = vector.broadcast %f : vector<1xf64> to vector<2xf64>
    %v = arith.mulf %fb, %bj : vector<2xf64>
    keops.yield %v : vector<2xf64>
  } -> tensor<?x6xi64>
  return %r : tensor<?x6xi64>
}

func.func @kmin_argkmin_f64_j(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %b: tensor<?x2xf64>, %s: tensor<1xf64>, %o0: tensor<?x6xf64>, %o1: tensor<?x6xi64>) -> (tensor<?x6xf64>, tensor<?x6xi64>) {
  %r:2 = keops.reduce kmin_argkmin k = 3 over j
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %b : j tensor<?x2xf64>, %s : p tensor<1xf64>)
      outs(%o0 : tensor<?x6xf64>, %o1 : tensor<?x6xi64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<2xf64>, %sp: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %ds = arith.mulf %d, %sp : vector<1xf64>
    %n = arith.negf %ds : vector<1xf64>
    %e = math.exp %n : vector<1xf64>
    %l = math.sin %ds : vector<1xf64>
    %f = arith.addf %e, %l : vector<1xf64>
    %fb = vector.broadcast %f : vector<1xf64> to vector<2xf64>
    %v = arith.mulf %fb, %bj : vector<2xf64>
    keops.yield %v : vector<2xf64>
  } -> tensor<?x6xf64>, tensor<?x6xi64>
  return %r#0, %r#1 : tensor<?x6xf64>, tensor<?x6xi64>
}

func.func @kmin_argkmin_f64_i(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %b: tensor<?x2xf64>, %s: tensor<1xf64>, %o0: tensor<?x6xf64>, %o1: tensor<?x6xi64>) -> (tensor<?x6xf64>, tensor<?x6xi64>) {
  %r:2 = keops.reduce kmin_argkmin k = 3 over i
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %b : i tensor<?x2xf64>, %s : p tensor<1xf64>)
      outs(%o0 : tensor<?x6xf64>, %o1 : tensor<?x6xi64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<2xf64>, %sp: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %ds = arith.mulf %d, %sp : vector<1xf64>
    %n = arith.negf %ds : vector<1xf64>
    %e = math.exp %n : vector<1xf64>
    %l = math.sin %ds : vector<1xf64>
    %f = arith.addf %e, %l : vector<1xf64>
    %fb = vector.broadcast %f : vector<1xf64> to vector<2xf64>
    %v = arith.mulf %fb, %bj : vector<2xf64>
    keops.yield %v : vector<2xf64>
  } -> tensor<?x6xf64>, tensor<?x6xi64>
  return %r#0, %r#1 : tensor<?x6xf64>, tensor<?x6xi64>
}

func.func @logsumexp_f64_j(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %b: tensor<?x2xf64>, %s: tensor<1xf64>, %o0: tensor<?x1xf64>) -> (tensor<?x1xf64>) {
  %r = keops.reduce logsumexp over j
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %b : j tensor<?x2xf64>, %s : p tensor<1xf64>)
      outs(%o0 : tensor<?x1xf64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<2xf64>, %sp: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %ds = arith.mulf %d, %sp : vector<1xf64>
    %n = arith.negf %ds : vector<1xf64>
    %e = math.exp %n : vector<1xf64>
    %l = math.sin %ds : vector<1xf64>
    %f = arith.addf %e, %l : vector<1xf64>
    keops.yield %f : vector<1xf64>
  } -> tensor<?x1xf64>
  return %r : tensor<?x1xf64>
}

func.func @logsumexp_f64_i(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %b: tensor<?x2xf64>, %s: tensor<1xf64>, %o0: tensor<?x1xf64>) -> (tensor<?x1xf64>) {
  %r = keops.reduce logsumexp over i
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %b : i tensor<?x2xf64>, %s : p tensor<1xf64>)
      outs(%o0 : tensor<?x1xf64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<2xf64>, %sp: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %ds = arith.mulf %d, %sp : vector<1xf64>
    %n = arith.negf %ds : vector<1xf64>
    %e = math.exp %n : vector<1xf64>
    %l = math.sin %ds : vector<1xf64>
    %f = arith.addf %e, %l : vector<1xf64>
    keops.yield %f : vector<1xf64>
  } -> tensor<?x1xf64>
  return %r : tensor<?x1xf64>
}

func.func @logsumexp_w_f64_j(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %b: tensor<?x2xf64>, %s: tensor<1xf64>, %o0: tensor<?x1xf64>) -> (tensor<?x1xf64>) {
  %r = keops.reduce logsumexp over j
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %b : j tensor<?x2xf64>, %s : p tensor<1xf64>)
      outs(%o0 : tensor<?x1xf64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<2xf64>, %sp: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %ds = arith.mulf %d, %sp : vector<1xf64>
    %n = arith.negf %ds : vector<1xf64>
    %e = math.exp %n : vector<1xf64>
    %l = math.sin %ds : vector<1xf64>
    %f = arith.addf %e, %l : vector<1xf64>
    %w = math.absf %bj : vector<2xf64>
    %w1 = vector.extract_strided_slice %w {offsets = [0], sizes = [1], strides = [1]} : vector<2xf64> to vector<1xf64>
    keops.yield %f, %w1 : vector<1xf64>, vector<1xf64>
  } -> tensor<?x1xf64>
  return %r : tensor<?x1xf64>
}

func.func @logsumexp_w_f64_i(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %b: tensor<?x2xf64>, %s: tensor<1xf64>, %o0: tensor<?x1xf64>) -> (tensor<?x1xf64>) {
  %r = keops.reduce logsumexp over i
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %b : i tensor<?x2xf64>, %s : p tensor<1xf64>)
      outs(%o0 : tensor<?x1xf64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<2xf64>, %sp: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %ds = arith.mulf %d, %sp : vector<1xf64>
    %n = arith.negf %ds : vector<1xf64>
    %e = math.exp %n : vector<1xf64>
    %l = math.sin %ds : vector<1xf64>
    %f = arith.addf %e, %l : vector<1xf64>
    %w = math.absf %bj : vector<2xf64>
    %w1 = vector.extract_strided_slice %w {offsets = [0], sizes = [1], strides = [1]} : vector<2xf64> to vector<1xf64>
    keops.yield %f, %w1 : vector<1xf64>, vector<1xf64>
  } -> tensor<?x1xf64>
  return %r : tensor<?x1xf64>
}

func.func @sumsoftmaxweight_f64_j(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %b: tensor<?x2xf64>, %s: tensor<1xf64>, %o0: tensor<?x2xf64>) -> (tensor<?x2xf64>) {
  %r = keops.reduce sumsoftmaxweight over j
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %b : j tensor<?x2xf64>, %s : p tensor<1xf64>)
      outs(%o0 : tensor<?x2xf64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<2xf64>, %sp: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %ds = arith.mulf %d, %sp : vector<1xf64>
    %n = arith.negf %ds : vector<1xf64>
    %e = math.exp %n : vector<1xf64>
    %l = math.sin %ds : vector<1xf64>
    %f = arith.addf %e, %l : vector<1xf64>
    %w = math.absf %bj : vector<2xf64>
    keops.yield %f, %w : vector<1xf64>, vector<2xf64>
  } -> tensor<?x2xf64>
  return %r : tensor<?x2xf64>
}

func.func @sumsoftmaxweight_f64_i(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %b: tensor<?x2xf64>, %s: tensor<1xf64>, %o0: tensor<?x2xf64>) -> (tensor<?x2xf64>) {
  %r = keops.reduce sumsoftmaxweight over i
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %b : i tensor<?x2xf64>, %s : p tensor<1xf64>)
      outs(%o0 : tensor<?x2xf64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<2xf64>, %sp: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %ds = arith.mulf %d, %sp : vector<1xf64>
    %n = arith.negf %ds : vector<1xf64>
    %e = math.exp %n : vector<1xf64>
    %l = math.sin %ds : vector<1xf64>
    %f = arith.addf %e, %l : vector<1xf64>
    %w = math.absf %bj : vector<2xf64>
    keops.yield %f, %w : vector<1xf64>, vector<2xf64>
  } -> tensor<?x2xf64>
  return %r : tensor<?x2xf64>
}
