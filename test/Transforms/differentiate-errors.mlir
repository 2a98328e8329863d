// RUN: keops-opt %s -split-input-file -keops-differentiate -verify-diagnostics

func.func @unknown_input(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>, %e: tensor<?x1xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %d = keops.sqdist %a, %b : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>
  // expected-error @+1 {{differentiates with respect to input #2, but the reduction has 2 inputs}}
  %g = keops.reduce_grad %r wrt [2], %e : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x3xf32>
  return %g : tensor<?x3xf32>
}

// -----

func.func @cotangent_dim(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>, %e: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %d = keops.sqdist %a, %b : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>
  // expected-error @+1 {{needs a cotangent of type 'tensor<?x1xf32>' (the shape of the differentiated value, the reduction's element type), got 'tensor<?x3xf32>'}}
  %g = keops.reduce_grad %r wrt [0], %e : tensor<?x1xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  return %g : tensor<?x3xf32>
}

// -----

func.func @cotangent_type(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>, %e: tensor<?x1xf64>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %d = keops.sqdist %a, %b : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>
  // expected-error @+1 {{needs a cotangent of type 'tensor<?x1xf32>'}}
  %g = keops.reduce_grad %r wrt [0], %e : tensor<?x1xf32>, tensor<?x1xf64> -> tensor<?x3xf32>
  return %g : tensor<?x3xf32>
}

// -----

func.func @twice(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>, %e: tensor<?x1xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %d = keops.sqdist %a, %b : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>
  // expected-error @+1 {{lists input #0 twice}}
  %g:2 = keops.reduce_grad %r wrt [0, 0], %e : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x3xf32>, tensor<?x3xf32>
  return %g#0, %g#1 : tensor<?x3xf32>, tensor<?x3xf32>
}

// -----

func.func @result_type(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>, %e: tensor<?x1xf32>) -> tensor<?x2xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %d = keops.sqdist %a, %b : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>
  // expected-error @+1 {{result #0 must have the type of input #0, 'tensor<?x3xf32>', got 'tensor<?x2xf32>'}}
  %g = keops.reduce_grad %r wrt [0], %e : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x2xf32>
  return %g : tensor<?x2xf32>
}

// -----

func.func @count(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>, %e: tensor<?x1xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %d = keops.sqdist %a, %b : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>
  // expected-error @+1 {{differentiates with respect to 2 inputs but has 1 results}}
  %g = keops.reduce_grad %r wrt [0, 1], %e : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x3xf32>
  return %g : tensor<?x3xf32>
}

// -----

func.func @not_a_reduction(%x: tensor<?x3xf32>, %e: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{differentiates a value that is not the first result of a keops.reduce}}
  %g = keops.reduce_grad %x wrt [0], %e : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  return %g : tensor<?x3xf32>
}

// -----

func.func @index_output(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>, %i: tensor<?x1xi64>, %e: tensor<?x1xf32>) -> tensor<?x3xf32> {
  %r:2 = keops.reduce min_argmin over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>, %i : tensor<?x1xi64>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %d = keops.sqdist %a, %b : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>, tensor<?x1xi64>
  // expected-error @+1 {{differentiates a value that is not the first result of a keops.reduce}}
  %g = keops.reduce_grad %r#1 wrt [0], %e : tensor<?x1xi64>, tensor<?x1xf32> -> tensor<?x3xf32>
  return %g : tensor<?x3xf32>
}

// -----

func.func @slice_of_min(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x3xf32>, %e: tensor<?x1xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce min over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %d = arith.subf %a, %b : vector<3xf32>
    keops.yield %d : vector<3xf32>
  } -> tensor<?x3xf32>
  %c0 = arith.constant 0 : index
  %m = tensor.dim %r, %c0 : tensor<?x3xf32>
  %s = tensor.extract_slice %r[0, 1] [%m, 1] [1, 1] : tensor<?x3xf32> to tensor<?x1xf32>
  // expected-error @+1 {{differentiates a column slice of a 'min' reduction; slices are supported for sum only}}
  %g = keops.reduce_grad %s wrt [0], %e : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x3xf32>
  return %g : tensor<?x3xf32>
}

// -----

func.func @rows_slice(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>, %e: tensor<2x1xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %d = keops.sqdist %a, %b : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>
  %s = tensor.extract_slice %r[0, 0] [2, 1] [1, 1] : tensor<?x1xf32> to tensor<2x1xf32>
  // expected-error @+1 {{differentiates a value that is not the first result of a keops.reduce (or a slice of whole rows and fixed columns of one)}}
  %g = keops.reduce_grad %s wrt [0], %e : tensor<2x1xf32>, tensor<2x1xf32> -> tensor<?x3xf32>
  return %g : tensor<?x3xf32>
}

// -----

func.func @saved_count(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>, %e: tensor<?x1xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce logsumexp over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %d = keops.sqdist %a, %b : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>
  // expected-error @+1 {{has 2 saved forward results, but the reduction has 1}}
  %g = keops.reduce_grad %r wrt [0], %e saved(%o, %o : tensor<?x1xf32>, tensor<?x1xf32>) : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x3xf32>
  return %g : tensor<?x3xf32>
}

// -----

func.func @saved_type(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>, %e: tensor<?x1xf32>, %s: tensor<?x2xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce logsumexp over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %d = keops.sqdist %a, %b : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>
  // expected-error @+1 {{saved forward result #0 has type 'tensor<?x2xf32>', the reduction's is 'tensor<?x1xf32>'}}
  %g = keops.reduce_grad %r wrt [0], %e saved(%s : tensor<?x2xf32>) : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x3xf32>
  return %g : tensor<?x3xf32>
}

// -----

func.func @saved_of_slice(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x3xf32>, %e: tensor<?x1xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    keops.yield %b : vector<3xf32>
  } -> tensor<?x3xf32>
  %c0 = arith.constant 0 : index
  %n = tensor.dim %r, %c0 : tensor<?x3xf32>
  %s = tensor.extract_slice %r[0, 1] [%n, 1] [1, 1] : tensor<?x3xf32> to tensor<?x1xf32>
  // expected-error @+1 {{has saved forward results, but differentiates a slice of a reduction's result}}
  %g = keops.reduce_grad %s wrt [0], %e saved(%r : tensor<?x3xf32>) : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x3xf32>
  return %g : tensor<?x3xf32>
}

// -----

func.func @partial(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x1xf32>, %e: tensor<?x1xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j partial ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %d = keops.sqdist %a, %b : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>
  // expected-error @+1 {{differentiates a partial reduction, whose results are states; differentiate the whole reduction}}
  %g = keops.reduce_grad %r wrt [0], %e : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x3xf32>
  return %g : tensor<?x3xf32>
}
