// RUN: keops-opt %s -split-input-file -verify-diagnostics

// One case per diagnostic of keops.reduce (ReduceOp.cpp) and of the formula
// ops (KeopsOps.cpp).

//===----------------------------------------------------------------------===//
// Parser errors (ReduceOp::parse)
//===----------------------------------------------------------------------===//

func.func @unknown_kind(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{unknown reduction kind 'prod'; expected sum, min, max, argmin, argmax, min_argmin, max_argmax, kmin, argkmin, kmin_argkmin, logsumexp or sumsoftmaxweight}}
  %r = keops.reduce prod over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @unknown_axis(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{unknown reduction axis 'k'; expected i or j}}
  %r = keops.reduce sum over k ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @unknown_category(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{unknown variable category 'q'; expected i, j or p}}
  %r = keops.reduce sum over j ins(%x : q tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @empty_region(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // The error points at the token after the region.
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  // expected-error @+1 {{expected a formula region with one block}}
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @missing_over(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{expected 'over'}}
  %r = keops.reduce sum j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// The inherent attributes come from the syntax; the dictionary after
// `attributes` may not override them (here it would turn the sum into a max
// with k = 3). The error points at `attributes`.
func.func @attributes_kind(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{custom op 'keops.reduce' attribute 'kind' is given by the syntax of keops.reduce, not by its attribute dictionary}}
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) attributes {kind = #keops<kind max>, k = 3} {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @attributes_axis(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{custom op 'keops.reduce' attribute 'axis' is given by the syntax of keops.reduce, not by its attribute dictionary}}
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) attributes {axis = #keops<axis i>} {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @attributes_categories(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{custom op 'keops.reduce' attribute 'categories' is given by the syntax of keops.reduce, not by its attribute dictionary}}
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) attributes {categories = [#keops<category i>]} {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @attributes_k(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{custom op 'keops.reduce' attribute 'k' is given by the syntax of keops.reduce, not by its attribute dictionary}}
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) attributes {keops.note = "ok", k = 3 : i64} {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @attributes_operand_segment_sizes(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{custom op 'keops.reduce' attribute 'operandSegmentSizes' is given by the syntax of keops.reduce, not by its attribute dictionary}}
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) attributes {operandSegmentSizes = array<i32: 1, 1, 0>} {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

//===----------------------------------------------------------------------===//
// ReduceOp::verify: inputs, k, outputs, results
//===----------------------------------------------------------------------===//

func.func @categories_count(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'keops.reduce' op expects one category per input, got 1 categories for 2 inputs}}
  %r = "keops.reduce"(%x, %y, %o) <{axis = #keops<axis j>, categories = [#keops<category j>], kind = #keops<kind sum>, operandSegmentSizes = array<i32: 2, 1, 0, 0>}> ({
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    "keops.yield"(%a) : (vector<3xf32>) -> ()
  }) : (tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @no_inputs(%o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'keops.reduce' op needs at least one input variable}}
  %r = keops.reduce sum over j ins() outs(%o : tensor<?x3xf32>) {
  ^bb0:
    %c = arith.constant dense<1.0> : vector<3xf32>
    keops.yield %c : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @parameter_rank_2(%x: tensor<?x3xf32>, %p: tensor<2x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'keops.reduce' op input #1 (category p) must be a 1-D array (D), got 'tensor<2x3xf32>'}}
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>, %p : p tensor<2x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @variable_rank_1(%x: tensor<3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'keops.reduce' op input #0 (category j) must be a 2-D array (rows x D), got 'tensor<3xf32>'}}
  %r = keops.reduce sum over j ins(%x : j tensor<3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @variable_unranked(%x: tensor<*xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'keops.reduce' op input #0 (category i) must be a 2-D array (rows x D), got 'tensor<*xf32>'}}
  %r = keops.reduce sum over j ins(%x : i tensor<*xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @dynamic_vector_dim(%x: tensor<?x?xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'keops.reduce' op input #0 must have a static vector dimension, got 'tensor<?x?xf32>'}}
  %r = keops.reduce sum over j ins(%x : j tensor<?x?xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @zero_vector_dim(%x: tensor<?x0xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  // expected-error @+1 {{'keops.reduce' op input #0 has vector dimension 0; it must be in [1, 65536]}}
  %r = keops.reduce sum over j ins(%x : j tensor<?x0xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<1xf32>):
    keops.yield %a : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

func.func @zero_parameter_dim(%x: tensor<?x1xf32>, %p: memref<0xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  // expected-error @+1 {{'keops.reduce' op input #1 has vector dimension 0; it must be in [1, 65536]}}
  %r = keops.reduce sum over j ins(%x : j tensor<?x1xf32>, %p : p memref<0xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<1xf32>, %b: vector<1xf32>):
    keops.yield %a : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

func.func @vector_dim_too_large(%p: tensor<65537xf32>, %y: tensor<?x1xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  // expected-error @+1 {{'keops.reduce' op input #0 has vector dimension 65537; it must be in [1, 65536]}}
  %r = keops.reduce sum over j ins(%p : p tensor<65537xf32>, %y : j tensor<?x1xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<65537xf32>, %b: vector<1xf32>):
    keops.yield %b : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

func.func @vector_dim_huge(%x: tensor<?x1xf32>, %y: memref<?x4294967296xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  // expected-error @+1 {{'keops.reduce' op input #1 has vector dimension 4294967296; it must be in [1, 65536]}}
  %r = keops.reduce sum over j ins(%x : i tensor<?x1xf32>, %y : j memref<?x4294967296xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<1xf32>, %b: vector<4294967296xf32>):
    keops.yield %a : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

func.func @vector_variable(%x: vector<4x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'keops.reduce' op input #0 must be a tensor or a memref, got 'vector<4x3xf32>'}}
  %r = keops.reduce sum over j ins(%x : j vector<4x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @vector_parameter(%x: tensor<?x3xf32>, %p: vector<3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'keops.reduce' op input #1 must be a tensor or a memref, got 'vector<3xf32>'}}
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>, %p : p vector<3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// i32 and i64 inputs are index variables, but the formula's float type
// comes from the float variables: there must be one.
func.func @integer_inputs_only(%x: tensor<?x3xi32>, %o: tensor<?x3xi32>) -> tensor<?x3xi32> {
  // expected-error @+1 {{'keops.reduce' op needs at least one floating-point input variable (f16, f32 or f64), whose type is that of the formula; all inputs are index variables}}
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xi32>) outs(%o : tensor<?x3xi32>) {
  ^bb0(%a: vector<3xi32>):
    keops.yield %a : vector<3xi32>
  } -> tensor<?x3xi32>
  return %r : tensor<?x3xi32>
}

// -----

func.func @integer_inputs_only_constant(%y: tensor<?x3xi64>, %idx: tensor<?x3xi64>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'keops.reduce' op needs at least one floating-point input variable}}
  %r = keops.reduce sum over j ins(%y : j tensor<?x3xi64>, %idx : i tensor<?x3xi64>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%b: vector<3xi64>, %k: vector<3xi64>):
    %c = arith.constant dense<1.0> : vector<3xf32>
    %s = keops.select_index %k, %c : vector<3xi64>, vector<3xf32>
    keops.yield %s : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// Index variables are i32 or i64.
func.func @i8_index_input(%y: tensor<?x3xf32>, %idx: tensor<?x3xi8>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'keops.reduce' op input #1 must hold f16, f32 or f64 values (or i32 or i64 indices), got 'i8'}}
  %r = keops.reduce sum over j ins(%y : j tensor<?x3xf32>, %idx : i tensor<?x3xi8>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%b: vector<3xf32>, %k: vector<3xi8>):
    keops.yield %b : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @unsigned_index_input(%y: tensor<?x3xf32>, %idx: tensor<?x3xui32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'keops.reduce' op input #1 must hold f16, f32 or f64 values (or i32 or i64 indices), got 'ui32'}}
  %r = keops.reduce sum over j ins(%y : j tensor<?x3xf32>, %idx : i tensor<?x3xui32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%b: vector<3xf32>, %k: vector<3xui32>):
    keops.yield %b : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// An index variable is no formula value: any use but as the indices of
// keops.select_index is an error of keops.reduce, reported before the op's
// own operand checks.
func.func @index_variable_in_arith(%y: tensor<?x3xf32>, %idx: tensor<?x3xi32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%y : j tensor<?x3xf32>, %idx : i tensor<?x3xi32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%b: vector<3xf32>, %k: vector<3xi32>):
    // expected-error @+1 {{'arith.uitofp' op uses index variable #1 ('vector<3xi32>') as operand #0; an index variable may only be the first operand of keops.select_index}}
    %f = arith.uitofp %k : vector<3xi32> to vector<3xf32>
    keops.yield %f : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @index_variable_in_keops_op(%y: tensor<?x3xf32>, %idx: tensor<?x3xi64>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%y : j tensor<?x3xf32>, %idx : i tensor<?x3xi64>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%b: vector<3xf32>, %k: vector<3xi64>):
    // expected-error @+1 {{'keops.relu' op uses index variable #1 ('vector<3xi64>') as operand #0; an index variable may only be the first operand of keops.select_index}}
    %s = keops.relu %k : vector<3xi64>
    keops.yield %b : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @index_variable_selected(%y: tensor<?x3xf32>, %idx: tensor<?x3xi32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%y : j tensor<?x3xf32>, %idx : i tensor<?x3xi32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%b: vector<3xf32>, %k: vector<3xi32>):
    // expected-error @+1 {{'keops.select_index' op uses index variable #1 ('vector<3xi32>') as operand #1; an index variable may only be the first operand of keops.select_index}}
    %s = keops.select_index %k, %k : vector<3xi32>, vector<3xi32>
    keops.yield %b : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @index_variable_yielded(%y: tensor<?x3xf32>, %idx: tensor<?x3xi64>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%y : j tensor<?x3xf32>, %idx : i tensor<?x3xi64>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%b: vector<3xf32>, %k: vector<3xi64>):
    // expected-error @+1 {{'keops.yield' op uses index variable #1 ('vector<3xi64>') as operand #0}}
    keops.yield %k : vector<3xi64>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @index_variable_differentiated(%y: tensor<?x3xf32>, %idx: tensor<?x3xi64>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%y : j tensor<?x3xf32>, %idx : i tensor<?x3xi64>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%b: vector<3xf32>, %k: vector<3xi64>):
    // expected-error @+1 {{'keops.grad' op uses index variable #1 ('vector<3xi64>') as operand #1}}
    %g = keops.grad %b wrt %k, %b : vector<3xf32>, vector<3xi64>
    keops.yield %b : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @bf16_input(%x: tensor<?x3xbf16>, %o: tensor<?x3xbf16>) -> tensor<?x3xbf16> {
  // expected-error @+1 {{'keops.reduce' op input #0 must hold f16, f32 or f64 values (or i32 or i64 indices), got 'bf16'}}
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xbf16>) outs(%o : tensor<?x3xbf16>) {
  ^bb0(%a: vector<3xbf16>):
    %c = arith.constant dense<1.0> : vector<3xf32>
    keops.yield %c : vector<3xf32>
  } -> tensor<?x3xbf16>
  return %r : tensor<?x3xbf16>
}

// -----

func.func @mixed_element_types(%x: tensor<?x3xf32>, %y: tensor<?x3xf64>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'keops.reduce' op input #1 has element type 'f64' but input #0 has 'f32'; all float variables share one element type}}
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf64>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf64>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @rows_mismatch(%x: tensor<4x3xf32>, %y: tensor<5x3xf32>, %z: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // The message names the input that set the extent and the one that differs.
  // expected-error @+1 {{'keops.reduce' op the number of rows (M) is 4 for input #0 but 5 for input #1}}
  %r = keops.reduce sum over j ins(%x : i tensor<4x3xf32>, %y : i tensor<5x3xf32>, %z : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>, %c: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @columns_mismatch(%x: tensor<?x3xf32>, %y: tensor<7x3xf32>, %z: tensor<?x1xf32>, %w: tensor<8x1xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // Input #2 (dynamic) between them changes nothing: the extent 7 was set by
  // input #1.
  // expected-error @+1 {{'keops.reduce' op the number of columns (N) is 7 for input #1 but 8 for input #3}}
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<7x3xf32>, %z : j tensor<?x1xf32>, %w : j tensor<8x1xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>, %c: vector<1xf32>, %d: vector<1xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @output_rows_mismatch(%x: tensor<4x3xf32>, %y: tensor<?x3xf32>, %o: tensor<6x3xf32>) -> tensor<6x3xf32> {
  // expected-error @+1 {{'keops.reduce' op the number of rows (M) is 4 for input #0 but 6 for output #0}}
  %r = keops.reduce sum over j ins(%x : i tensor<4x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<6x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<6x3xf32>
  return %r : tensor<6x3xf32>
}

// -----

func.func @output_columns_mismatch(%x: tensor<?x3xf32>, %y: tensor<9x3xf32>, %o: memref<8x3xf32>) {
  // expected-error @+1 {{'keops.reduce' op the number of columns (N) is 9 for input #1 but 8 for output #0}}
  keops.reduce sum over i ins(%x : i tensor<?x3xf32>, %y : j tensor<9x3xf32>) outs(%o : memref<8x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  }
  return
}

// -----

func.func @outputs_rows_mismatch(%x: tensor<?x3xf32>, %o: memref<4x3xf32>, %i: memref<5x3xi32>) {
  // No input gives M (the only input is a j variable): output #0 sets it.
  // expected-error @+1 {{'keops.reduce' op the number of rows (M) is 4 for output #0 but 5 for output #1}}
  keops.reduce min_argmin over j ins(%x : j tensor<?x3xf32>) outs(%o : memref<4x3xf32>, %i : memref<5x3xi32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  }
  return
}

// -----

func.func @over_j_without_j(%x: tensor<?x3xf32>, %p: tensor<3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'keops.reduce' op a reduction over j needs at least one j variable to give the number of columns}}
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %p : p tensor<3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @over_i_without_i(%y: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'keops.reduce' op a reduction over i needs at least one i variable to give the number of rows}}
  %r = keops.reduce sum over i ins(%y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @missing_k(%x: tensor<?x3xf32>, %o: tensor<?x6xf32>) -> tensor<?x6xf32> {
  // expected-error @+1 {{'keops.reduce' op reduction 'kmin' needs the attribute k}}
  %r = keops.reduce kmin over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x6xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x6xf32>
  return %r : tensor<?x6xf32>
}

// -----

func.func @k_zero(%x: tensor<?x3xf32>, %o: tensor<?x3xi32>) -> tensor<?x3xi32> {
  // expected-error @+1 {{'keops.reduce' op reduction 'argkmin' needs k in [1, 65536], got 0}}
  %r = keops.reduce argkmin k = 0 over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xi32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xi32>
  return %r : tensor<?x3xi32>
}

// -----

func.func @k_negative(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>, %i: tensor<?x3xi64>) -> (tensor<?x3xf32>, tensor<?x3xi64>) {
  // expected-error @+1 {{'keops.reduce' op reduction 'kmin_argkmin' needs k in [1, 65536], got -2}}
  %r:2 = keops.reduce kmin_argkmin k = -2 over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>, %i : tensor<?x3xi64>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>, tensor<?x3xi64>
  return %r#0, %r#1 : tensor<?x3xf32>, tensor<?x3xi64>
}

// -----

func.func @k_too_large(%x: tensor<?x1xf32>, %o: memref<?x65537xf32>) {
  // expected-error @+1 {{'keops.reduce' op reduction 'kmin' needs k in [1, 65536], got 65537}}
  keops.reduce kmin k = 65537 over j ins(%x : j tensor<?x1xf32>) outs(%o : memref<?x65537xf32>) {
  ^bb0(%a: vector<1xf32>):
    keops.yield %a : vector<1xf32>
  }
  return
}

// -----

// k = 2^62 with D = 4: the output width K * D would wrap to 0 columns; the
// bound on k rejects it first.
func.func @k_width_overflow(%x: tensor<?x4xf32>, %o: memref<?x0xf32>) {
  // expected-error @+1 {{'keops.reduce' op reduction 'kmin' needs k in [1, 65536], got 4611686018427387904}}
  keops.reduce kmin k = 4611686018427387904 over j ins(%x : j tensor<?x4xf32>) outs(%o : memref<?x0xf32>) {
  ^bb0(%a: vector<4xf32>):
    keops.yield %a : vector<4xf32>
  }
  return
}

// -----

func.func @k_int64_min(%x: tensor<?x3xf32>, %o: tensor<?x3xi64>) -> tensor<?x3xi64> {
  // expected-error @+1 {{'keops.reduce' op reduction 'argkmin' needs k in [1, 65536], got -9223372036854775808}}
  %r = keops.reduce argkmin k = -9223372036854775808 over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xi64>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xi64>
  return %r : tensor<?x3xi64>
}

// -----

func.func @k_on_sum(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'keops.reduce' op reduction 'sum' takes no k}}
  %r = keops.reduce sum k = 2 over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @one_output_for_min_argmin(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'keops.reduce' op reduction 'min_argmin' writes 2 outputs, got 1}}
  %r = keops.reduce min_argmin over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @two_outputs_for_sum(%x: tensor<?x3xf32>, %o: memref<?x3xf32>, %p: memref<?x3xf32>) {
  // expected-error @+1 {{'keops.reduce' op reduction 'sum' writes 1 output, got 2}}
  keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : memref<?x3xf32>, %p : memref<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  }
  return
}

// -----

func.func @output_rank_1(%x: tensor<?x3xf32>, %o: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{'keops.reduce' op output #0 must be a 2-D tensor or memref, got 'tensor<3xf32>'}}
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<3xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<3xf32>
  return %r : tensor<3xf32>
}

// -----

func.func @output_unranked_memref(%x: tensor<?x3xf32>, %o: memref<*xf32>) {
  // expected-error @+1 {{'keops.reduce' op output #0 must be a 2-D tensor or memref, got 'memref<*xf32>'}}
  keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : memref<*xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  }
  return
}

// -----

func.func @mixed_tensor_memref(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>, %i: memref<?x3xi32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'keops.reduce' op outputs must be all tensors or all memrefs}}
  %r = keops.reduce max_argmax over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>, %i : memref<?x3xi32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @float_index_output(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'keops.reduce' op output #0 of 'argmin' holds indices and must have element type i32 or i64, got 'f32'}}
  %r = keops.reduce argmin over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @index_output_i16(%x: tensor<?x3xf32>, %o: memref<?x3xf32>, %i: memref<?x3xi16>) {
  // expected-error @+1 {{'keops.reduce' op output #1 of 'min_argmin' holds indices and must have element type i32 or i64, got 'i16'}}
  keops.reduce min_argmin over j ins(%x : j tensor<?x3xf32>) outs(%o : memref<?x3xf32>, %i : memref<?x3xi16>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  }
  return
}

// -----

func.func @index_output_index_type(%x: tensor<?x3xf32>, %o: memref<?x3xindex>) {
  // expected-error @+1 {{'keops.reduce' op output #0 of 'argmax' holds indices and must have element type i32 or i64, got 'index'}}
  keops.reduce argmax over j ins(%x : j tensor<?x3xf32>) outs(%o : memref<?x3xindex>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  }
  return
}

// -----

func.func @value_output_type(%x: tensor<?x3xf32>, %o: tensor<?x3xf64>) -> tensor<?x3xf64> {
  // expected-error @+1 {{'keops.reduce' op output #0 has element type 'f64' but the variables have 'f32'}}
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf64>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf64>
  return %r : tensor<?x3xf64>
}

// -----

func.func @value_output_integer(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>, %i: tensor<?x3xi32>) -> (tensor<?x3xf32>, tensor<?x3xi32>) {
  // expected-error @+1 {{'keops.reduce' op output #0 has element type 'i32' but the variables have 'f32'}}
  %r:2 = keops.reduce max_argmax over j ins(%x : j tensor<?x3xf32>) outs(%i : tensor<?x3xi32>, %o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xi32>, tensor<?x3xf32>
  return %r#1, %r#0 : tensor<?x3xf32>, tensor<?x3xi32>
}

// -----

func.func @tensor_without_result(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) {
  // expected-error @+1 {{'keops.reduce' op with tensor outputs, the results must have the outputs' types}}
  keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  }
  return
}

// -----

func.func @tensor_result_type(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<5x3xf32> {
  // expected-error @+1 {{'keops.reduce' op with tensor outputs, the results must have the outputs' types}}
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<5x3xf32>
  return %r : tensor<5x3xf32>
}

// -----

func.func @memref_with_result(%x: tensor<?x3xf32>, %o: memref<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'keops.reduce' op with memref outputs, the op has no results}}
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : memref<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

//===----------------------------------------------------------------------===//
// ReduceOp::verifyRegions: the formula
//===----------------------------------------------------------------------===//

func.func @block_argument_count(%x: tensor<?x3xf32>, %y: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'keops.reduce' op the formula has 1 block arguments for 2 inputs}}
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @no_block_label(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'keops.reduce' op the formula has 0 block arguments for 1 inputs}}
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
    %c = arith.constant dense<1.0> : vector<3xf32>
    keops.yield %c : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @block_argument_type(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'keops.reduce' op block argument #0 has type 'vector<4xf32>' but input #0 of type 'tensor<?x3xf32>' holds 'vector<3xf32>' values}}
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<4xf32>):
    %s = vector.extract_strided_slice %a {offsets = [0], sizes = [3], strides = [1]} : vector<4xf32> to vector<3xf32>
    keops.yield %s : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @block_argument_scalar(%x: tensor<?x1xf32>, %p: tensor<1xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  // expected-error @+1 {{'keops.reduce' op block argument #1 has type 'f32' but input #1 of type 'tensor<1xf32>' holds 'vector<1xf32>' values}}
  %r = keops.reduce sum over j ins(%x : j tensor<?x1xf32>, %p : p tensor<1xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<1xf32>, %b: f32):
    keops.yield %a : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

func.func @arith_remf_in_formula(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    // expected-error @+1 {{'arith.remf' op is not allowed in a keops formula; a formula holds keops ops and the arith, math and vector ops listed in docs/architecture.md}}
    %b = arith.remf %a, %a : vector<3xf32>
    keops.yield %b : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// arith.addi cannot be reached: its integer operands must come from an op of
// the formula, which is rejected first.
func.func @arith_addi_in_formula(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    // expected-error @+1 {{'arith.fptosi' op is not allowed in a keops formula}}
    %c = arith.fptosi %a : vector<3xf32> to vector<3xi32>
    %d = arith.addi %c, %c : vector<3xi32>
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @integer_constant(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    // The element type is printed without quotes inside the vector type.
    // expected-error @+1 {{'arith.constant' op produces 'vector<3xi32>'; every formula value must be a vector<D x f32>}}
    %c = arith.constant dense<1> : vector<3xi32>
    %d = arith.addi %c, %c : vector<3xi32>
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @callee(%a: vector<3xf32>) -> vector<3xf32> {
  return %a : vector<3xf32>
}

func.func @call_in_formula(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    // expected-error @+1 {{'func.call' op is not allowed in a keops formula}}
    %b = func.call @callee(%a) : (vector<3xf32>) -> vector<3xf32>
    keops.yield %b : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @tensor_op_in_formula(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    // expected-error @+1 {{'tensor.empty' op is not allowed in a keops formula}}
    %t = tensor.empty() : tensor<3xf32>
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @math_exp2_in_formula(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    // expected-error @+1 {{'math.exp2' op is not allowed in a keops formula}}
    %b = math.exp2 %a : vector<3xf32>
    keops.yield %b : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @tensor_constant(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    // expected-error @+1 {{'arith.constant' op produces 'tensor<4x3xf32>'; every formula value must be a vector<D x f32>}}
    %t = arith.constant dense<1.0> : tensor<4x3xf32>
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @scalar_constant(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    // expected-error @+1 {{'arith.constant' op produces 'f32'; every formula value must be a vector<D x f32>}}
    %c = arith.constant 1.0 : f32
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @wrong_element_type_value(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    // expected-error @+1 {{'arith.constant' op produces 'vector<3xf64>'; every formula value must be a vector<D x f32>}}
    %c = arith.constant dense<1.0> : vector<3xf64>
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @wrong_element_type_value_f16(%x: tensor<?x3xf16>, %o: tensor<?x3xf16>) -> tensor<?x3xf16> {
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf16>) outs(%o : tensor<?x3xf16>) {
  ^bb0(%a: vector<3xf16>):
    // expected-error @+1 {{'arith.constant' op produces 'vector<3xf32>'; every formula value must be a vector<D x f16>}}
    %c = arith.constant dense<1.0> : vector<3xf32>
    keops.yield %a : vector<3xf16>
  } -> tensor<?x3xf16>
  return %r : tensor<?x3xf16>
}

// -----

func.func @rank_2_value(%x: tensor<?x4xf32>, %o: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %r = keops.reduce sum over j ins(%x : j tensor<?x4xf32>) outs(%o : tensor<?x4xf32>) {
  ^bb0(%a: vector<4xf32>):
    // expected-error @+1 {{'arith.constant' op produces 'vector<2x2xf32>'; every formula value must be a vector<D x f32>}}
    %c = arith.constant dense<1.0> : vector<2x2xf32>
    keops.yield %a : vector<4xf32>
  } -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

func.func @scalable_value(%x: tensor<?x4xf32>, %o: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %r = keops.reduce sum over j ins(%x : j tensor<?x4xf32>) outs(%o : tensor<?x4xf32>) {
  ^bb0(%a: vector<4xf32>):
    %s = arith.constant dense<1.0> : vector<1xf32>
    // expected-error @+1 {{'vector.broadcast' op produces 'vector<[4]xf32>'; every formula value must be a vector<D x f32>}}
    %b = vector.broadcast %s : vector<1xf32> to vector<[4]xf32>
    keops.yield %a : vector<4xf32>
  } -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

// Formula values have at most 65536 components.
func.func @constant_too_large(%x: tensor<?x4xf32>, %o: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %r = keops.reduce sum over j ins(%x : j tensor<?x4xf32>) outs(%o : tensor<?x4xf32>) {
  ^bb0(%a: vector<4xf32>):
    // expected-error @+1 {{'arith.constant' op produces 'vector<65537xf32>'; every formula value must be a vector<D x f32>}}
    %c = arith.constant dense<1.0> : vector<65537xf32>
    keops.yield %a : vector<4xf32>
  } -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

func.func @broadcast_too_large(%x: tensor<?x1xf64>, %o: tensor<?x1xf64>) -> tensor<?x1xf64> {
  %r = keops.reduce sum over j ins(%x : j tensor<?x1xf64>) outs(%o : tensor<?x1xf64>) {
  ^bb0(%a: vector<1xf64>):
    // expected-error @+1 {{'vector.broadcast' op produces 'vector<4294967296xf64>'; every formula value must be a vector<D x f64>}}
    %b = vector.broadcast %a : vector<1xf64> to vector<4294967296xf64>
    keops.yield %a : vector<1xf64>
  } -> tensor<?x1xf64>
  return %r : tensor<?x1xf64>
}

// -----

func.func @empty_formula(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'keops.reduce' op expects a non-empty block}}
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @no_terminator(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    // expected-error @+1 {{block with no terminator}}
    %b = arith.negf %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @other_terminator(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'keops.reduce' op the formula must end with keops.yield}}
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    llvm.unreachable
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @yield_not_last(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    // expected-error @+1 {{'keops.yield' op must be the last operation in the parent block}}
    keops.yield %a : vector<3xf32>
    %b = arith.negf %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @yield_outside_reduce(%a: vector<3xf32>) {
  // expected-error @+1 {{'keops.yield' op expects parent op 'keops.reduce'}}
  keops.yield %a : vector<3xf32>
}

// -----

func.func @two_yields_for_sum(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    // expected-error @+1 {{'keops.yield' op reduction 'sum' needs 1 formula value, got 2}}
    keops.yield %a, %a : vector<3xf32>, vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @no_yield_value(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce max over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    // expected-error @+1 {{'keops.yield' op reduction 'max' needs 1 formula value, got 0}}
    "keops.yield"() : () -> ()
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @sumsoftmaxweight_one_yield(%x: tensor<?x1xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sumsoftmaxweight over j ins(%x : j tensor<?x1xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<1xf32>):
    // expected-error @+1 {{'keops.yield' op reduction 'sumsoftmaxweight' needs 2 formula values, got 1}}
    keops.yield %a : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

func.func @logsumexp_three_yields(%x: tensor<?x1xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce logsumexp over j ins(%x : j tensor<?x1xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<1xf32>):
    // expected-error @+1 {{'keops.yield' op reduction 'logsumexp' needs 1 or 2 formula values, got 3}}
    keops.yield %a, %a, %a : vector<1xf32>, vector<1xf32>, vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

func.func @logsumexp_of_vector(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce logsumexp over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    // expected-error @+1 {{'keops.yield' op reduction 'logsumexp' needs a scalar formula (vector<1xf32>), got 'vector<3xf32>'}}
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @sumsoftmaxweight_of_vector(%x: tensor<?x2xf64>, %o: memref<?x2xf64>) {
  keops.reduce sumsoftmaxweight over j ins(%x : j tensor<?x2xf64>) outs(%o : memref<?x2xf64>) {
  ^bb0(%a: vector<2xf64>):
    // expected-error @+1 {{'keops.yield' op reduction 'sumsoftmaxweight' needs a scalar formula (vector<1xf64>), got 'vector<2xf64>'}}
    keops.yield %a, %a : vector<2xf64>, vector<2xf64>
  }
  return
}

// -----

func.func @output_width(%x: tensor<?x3xf32>, %o: tensor<?x2xf32>) -> tensor<?x2xf32> {
  // expected-error @+1 {{'keops.reduce' op output #0 must have 3 columns for reduction 'sum' of this formula, got 2}}
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x2xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}

// -----

func.func @output_width_dynamic(%x: tensor<?x3xf32>, %o: tensor<?x?xf32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{'keops.reduce' op output #0 must have 3 columns for reduction 'sum' of this formula, got ?}}
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x?xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

// -----

func.func @kmin_width(%x: tensor<?x3xf32>, %o: memref<?x3xf32>) {
  // expected-error @+1 {{'keops.reduce' op output #0 must have 6 columns for reduction 'kmin' of this formula, got 3}}
  keops.reduce kmin k = 2 over j ins(%x : j tensor<?x3xf32>) outs(%o : memref<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  }
  return
}

// -----

func.func @kmin_argkmin_index_width(%x: tensor<?x2xf32>, %o: memref<?x6xf32>, %i: memref<?x2xi64>) {
  // expected-error @+1 {{'keops.reduce' op output #1 must have 6 columns for reduction 'kmin_argkmin' of this formula, got 2}}
  keops.reduce kmin_argkmin k = 3 over j ins(%x : j tensor<?x2xf32>) outs(%o : memref<?x6xf32>, %i : memref<?x2xi64>) {
  ^bb0(%a: vector<2xf32>):
    keops.yield %a : vector<2xf32>
  }
  return
}

// -----

func.func @weighted_logsumexp_width(%x: tensor<?x1xf32>, %w: tensor<?x4xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  // expected-error @+1 {{'keops.reduce' op output #0 must have 4 columns for reduction 'logsumexp' of this formula, got 1}}
  %r = keops.reduce logsumexp over j ins(%x : j tensor<?x1xf32>, %w : j tensor<?x4xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<1xf32>, %b: vector<4xf32>):
    keops.yield %a, %b : vector<1xf32>, vector<4xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// The yield's operand constraint is checked before the formula's value types.
// ("yields T but the variables hold E" in verifyRegions cannot be reached:
// every value a yield can use is a block argument or a result of a formula op,
// and both are checked to hold the variables' element type first.)
func.func @yield_integer(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    %c = arith.constant dense<1> : vector<3xi32>
    // expected-error @+1 {{'keops.yield' op operand #0 must be variadic of vector of 16-bit float or 32-bit float or 64-bit float values of ranks 1, but got 'vector<3xi32>'}}
    "keops.yield"(%c) : (vector<3xi32>) -> ()
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Formula ops: result type inference and verifiers (KeopsOps.cpp)
//===----------------------------------------------------------------------===//

func.func @weight_element_type(%in0: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    %w = arith.constant dense<1.0> : vector<3xf64>
    // expected-error @+1 {{the weight and the vector must have the same element type}}
    %n = keops.weightedsqnorm %w, %a : vector<3xf64>, vector<3xf32>
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @weight_dimension(%in0: tensor<?x3xf32>, %in1: tensor<?x4xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x3xf32>, %in1 : j tensor<?x4xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %w: vector<4xf32>):
    // expected-error @+1 {{a weight for a vector of dimension 3 must have dimension 1 (isotropic), 3 (diagonal) or 9 (full matrix), got 4}}
    %n = keops.weightedsqnorm %w, %a : vector<4xf32>, vector<3xf32>
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @weightedsqdist_weight_dimension(%in0: tensor<?x2xf32>, %in1: tensor<?x2xf32>, %in2: tensor<?x3xf32>, %o: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x2xf32>, %in1 : j tensor<?x2xf32>, %in2 : j tensor<?x3xf32>) outs(%o : tensor<?x2xf32>) {
  ^bb0(%a: vector<2xf32>, %b: vector<2xf32>, %w: vector<3xf32>):
    // expected-error @+1 {{a weight for a vector of dimension 2 must have dimension 1 (isotropic), 2 (diagonal) or 4 (full matrix), got 3}}
    %n = keops.weightedsqdist %w, %a, %b : vector<3xf32>, vector<2xf32>
    keops.yield %a : vector<2xf32>
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}

// -----

func.func @weightedsqdist_weight_element_type(%in0: tensor<?x2xf32>, %in1: tensor<?x2xf32>, %o: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x2xf32>, %in1 : j tensor<?x2xf32>) outs(%o : tensor<?x2xf32>) {
  ^bb0(%a: vector<2xf32>, %b: vector<2xf32>):
    %w = arith.constant dense<1.0> : vector<1xf16>
    // expected-error @+1 {{the weight and the vector must have the same element type}}
    %n = keops.weightedsqdist %w, %a, %b : vector<1xf16>, vector<2xf32>
    keops.yield %a : vector<2xf32>
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}

// -----

func.func @one_hot_of_vector(%in0: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    // expected-error @+1 {{one_hot encodes a scalar (dimension 1), got dimension 3}}
    %h = keops.one_hot %a, 4 : vector<3xf32>
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @one_hot_dim_zero(%in0: tensor<?x1xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x1xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<1xf32>):
    // expected-error @+1 {{one_hot needs a dimension in [1, 65536], got 0}}
    %h = keops.one_hot %a, 0 : vector<1xf32>
    keops.yield %a : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

func.func @one_hot_dim_negative(%in0: tensor<?x1xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x1xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<1xf32>):
    // expected-error @+1 {{one_hot needs a dimension in [1, 65536], got -3}}
    %h = keops.one_hot %a, -3 : vector<1xf32>
    keops.yield %a : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

func.func @one_hot_dim_too_large(%in0: tensor<?x1xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x1xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<1xf32>):
    // expected-error @+1 {{one_hot needs a dimension in [1, 65536], got 65537}}
    %h = keops.one_hot %a, 65537 : vector<1xf32>
    keops.yield %a : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// Folding one_hot of a constant with dim >= 2^32 used to abort keops-opt; the
// dimension is rejected before any fold.
func.func @one_hot_dim_huge(%in0: tensor<?x1xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x1xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<1xf32>):
    %c = arith.constant dense<2.0> : vector<1xf32>
    // expected-error @+1 {{one_hot needs a dimension in [1, 65536], got 4294967296}}
    %h = keops.one_hot %c, 4294967296 : vector<1xf32>
    keops.yield %a : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

func.func @matvecmult_element_type(%in0: tensor<?x6xf32>, %o: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x6xf32>) outs(%o : tensor<?x6xf32>) {
  ^bb0(%a: vector<6xf32>):
    %x = arith.constant dense<1.0> : vector<3xf64>
    // expected-error @+1 {{matvecmult needs operands of one element type}}
    %m = keops.matvecmult %a, %x : vector<6xf32>, vector<3xf64>
    keops.yield %a : vector<6xf32>
  } -> tensor<?x6xf32>
  return %r : tensor<?x6xf32>
}

// -----

func.func @matvecmult_dimension(%in0: tensor<?x6xf32>, %in1: tensor<?x4xf32>, %o: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x6xf32>, %in1 : j tensor<?x4xf32>) outs(%o : tensor<?x6xf32>) {
  ^bb0(%a: vector<6xf32>, %x: vector<4xf32>):
    // expected-error @+1 {{matvecmult: the matrix has 6 entries, not a multiple of the vector's dimension 4}}
    %m = keops.matvecmult %a, %x : vector<6xf32>, vector<4xf32>
    keops.yield %a : vector<6xf32>
  } -> tensor<?x6xf32>
  return %r : tensor<?x6xf32>
}

// -----

func.func @vecmatmult_element_type(%in0: tensor<?x6xf32>, %o: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x6xf32>) outs(%o : tensor<?x6xf32>) {
  ^bb0(%a: vector<6xf32>):
    %x = arith.constant dense<1.0> : vector<2xf16>
    // expected-error @+1 {{vecmatmult needs operands of one element type}}
    %m = keops.vecmatmult %x, %a : vector<2xf16>, vector<6xf32>
    keops.yield %a : vector<6xf32>
  } -> tensor<?x6xf32>
  return %r : tensor<?x6xf32>
}

// -----

func.func @vecmatmult_dimension(%in0: tensor<?x6xf32>, %in1: tensor<?x5xf32>, %o: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x6xf32>, %in1 : j tensor<?x5xf32>) outs(%o : tensor<?x6xf32>) {
  ^bb0(%a: vector<6xf32>, %x: vector<5xf32>):
    // expected-error @+1 {{vecmatmult: the matrix has 6 entries, not a multiple of the vector's dimension 5}}
    %m = keops.vecmatmult %x, %a : vector<5xf32>, vector<6xf32>
    keops.yield %a : vector<6xf32>
  } -> tensor<?x6xf32>
  return %r : tensor<?x6xf32>
}

// -----

func.func @tensorprod_element_type(%in0: tensor<?x2xf32>, %o: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x2xf32>) outs(%o : tensor<?x2xf32>) {
  ^bb0(%a: vector<2xf32>):
    %x = arith.constant dense<1.0> : vector<2xf64>
    // expected-error @+1 {{tensorprod needs operands of one element type}}
    %m = keops.tensorprod %a, %x : vector<2xf32>, vector<2xf64>
    keops.yield %a : vector<2xf32>
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}

// -----

// 256 * 257 = 65792 components.
func.func @tensorprod_too_large(%in0: tensor<?x256xf32>, %in1: tensor<?x257xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x256xf32>, %in1 : j tensor<?x257xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<256xf32>, %b: vector<257xf32>):
    // expected-error @+1 {{tensorprod: the result would have more than 65536 components}}
    %m = keops.tensorprod %a, %b : vector<256xf32>, vector<257xf32>
    %s = keops.sum %a : vector<256xf32>
    keops.yield %s : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

func.func @tensordot_element_type(%in0: tensor<?x2xf32>, %o: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x2xf32>) outs(%o : tensor<?x2xf32>) {
  ^bb0(%a: vector<2xf32>):
    %x = arith.constant dense<1.0> : vector<2xf64>
    // expected-error @+1 {{tensordot needs operands of one element type}}
    %m = keops.tensordot %a, %x shapes [2], [2] contract [0], [0] : vector<2xf32>, vector<2xf64>
    keops.yield %a : vector<2xf32>
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}

// -----

func.func @tensordot_empty_shape(%in0: tensor<?x1xf32>, %in1: tensor<?x2xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x1xf32>, %in1 : j tensor<?x2xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<1xf32>, %b: vector<2xf32>):
    // expected-error @+1 {{the lhs shape must not be empty}}
    %m = keops.tensordot %a, %b shapes [], [2] contract [], [] : vector<1xf32>, vector<2xf32>
    keops.yield %a : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

func.func @tensordot_nonpositive_extent(%in0: tensor<?x2xf32>, %in1: tensor<?x2xf32>, %o: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x2xf32>, %in1 : j tensor<?x2xf32>) outs(%o : tensor<?x2xf32>) {
  ^bb0(%a: vector<2xf32>, %b: vector<2xf32>):
    // expected-error @+1 {{the rhs shape must have extents in [1, 65536]}}
    %m = keops.tensordot %a, %b shapes [2], [2, 0] contract [], [] : vector<2xf32>, vector<2xf32>
    keops.yield %a : vector<2xf32>
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}

// -----

func.func @tensordot_extent_too_large(%in0: tensor<?x2xf32>, %in1: tensor<?x2xf32>, %o: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x2xf32>, %in1 : j tensor<?x2xf32>) outs(%o : tensor<?x2xf32>) {
  ^bb0(%a: vector<2xf32>, %b: vector<2xf32>):
    // expected-error @+1 {{the lhs shape must have extents in [1, 65536]}}
    %m = keops.tensordot %a, %b shapes [65537], [2] contract [], [] : vector<2xf32>, vector<2xf32>
    keops.yield %a : vector<2xf32>
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}

// -----

// The product of [2^62 + 1, 2, 2] wraps to 4 in int64, the lhs dimension; the
// extent is rejected before any product is formed.
func.func @tensordot_extent_overflow(%in0: tensor<?x4xf32>, %in1: tensor<?x2xf32>, %o: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x4xf32>, %in1 : j tensor<?x2xf32>) outs(%o : tensor<?x4xf32>) {
  ^bb0(%a: vector<4xf32>, %b: vector<2xf32>):
    // expected-error @+1 {{the lhs shape must have extents in [1, 65536]}}
    %m = keops.tensordot %a, %b shapes [4611686018427387905, 2, 2], [2] contract [2], [0] : vector<4xf32>, vector<2xf32>
    keops.yield %a : vector<4xf32>
  } -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

// Every extent is in range but the lhs shape holds 256 * 257 = 65792 entries.
func.func @tensordot_lhs_shape_too_large(%in0: tensor<?x4xf32>, %in1: tensor<?x2xf32>, %o: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x4xf32>, %in1 : j tensor<?x2xf32>) outs(%o : tensor<?x4xf32>) {
  ^bb0(%a: vector<4xf32>, %b: vector<2xf32>):
    // expected-error @+1 {{the lhs shape holds more than 65536 entries}}
    %m = keops.tensordot %a, %b shapes [256, 257], [2] contract [], [] : vector<4xf32>, vector<2xf32>
    keops.yield %a : vector<4xf32>
  } -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

// [65536, 65536, 65536] would hold 2^48 entries; the count stops at the bound.
func.func @tensordot_rhs_shape_too_large(%in0: tensor<?x4xf32>, %in1: tensor<?x2xf32>, %o: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x4xf32>, %in1 : j tensor<?x2xf32>) outs(%o : tensor<?x4xf32>) {
  ^bb0(%a: vector<4xf32>, %b: vector<2xf32>):
    // expected-error @+1 {{the rhs shape holds more than 65536 entries}}
    %m = keops.tensordot %a, %b shapes [4], [65536, 65536, 65536] contract [], [] : vector<4xf32>, vector<2xf32>
    keops.yield %a : vector<4xf32>
  } -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

// No contraction: the outer product of 256 and 257 entries.
func.func @tensordot_result_too_large(%in0: tensor<?x256xf32>, %in1: tensor<?x257xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x256xf32>, %in1 : j tensor<?x257xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<256xf32>, %b: vector<257xf32>):
    // expected-error @+1 {{tensordot: the result would have more than 65536 components}}
    %m = keops.tensordot %a, %b shapes [256], [257] contract [], [] : vector<256xf32>, vector<257xf32>
    %s = keops.sum %a : vector<256xf32>
    keops.yield %s : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

func.func @tensordot_shape_size(%in0: tensor<?x6xf32>, %in1: tensor<?x3xf32>, %o: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x6xf32>, %in1 : j tensor<?x3xf32>) outs(%o : tensor<?x6xf32>) {
  ^bb0(%a: vector<6xf32>, %b: vector<3xf32>):
    // expected-error @+1 {{the lhs shape holds 8 entries but the lhs operand has dimension 6}}
    %m = keops.tensordot %a, %b shapes [2, 4], [3] contract [], [] : vector<6xf32>, vector<3xf32>
    keops.yield %a : vector<6xf32>
  } -> tensor<?x6xf32>
  return %r : tensor<?x6xf32>
}

// -----

func.func @tensordot_rhs_shape_size(%in0: tensor<?x6xf32>, %in1: tensor<?x3xf32>, %o: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x6xf32>, %in1 : j tensor<?x3xf32>) outs(%o : tensor<?x6xf32>) {
  ^bb0(%a: vector<6xf32>, %b: vector<3xf32>):
    // expected-error @+1 {{the rhs shape holds 4 entries but the rhs operand has dimension 3}}
    %m = keops.tensordot %a, %b shapes [2, 3], [4] contract [], [] : vector<6xf32>, vector<3xf32>
    keops.yield %a : vector<6xf32>
  } -> tensor<?x6xf32>
  return %r : tensor<?x6xf32>
}

// -----

func.func @tensordot_contract_count(%in0: tensor<?x6xf32>, %in1: tensor<?x3xf32>, %o: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x6xf32>, %in1 : j tensor<?x3xf32>) outs(%o : tensor<?x6xf32>) {
  ^bb0(%a: vector<6xf32>, %b: vector<3xf32>):
    // expected-error @+1 {{tensordot contracts 2 lhs axes with 1 rhs axes}}
    %m = keops.tensordot %a, %b shapes [2, 3], [3] contract [0, 1], [0] : vector<6xf32>, vector<3xf32>
    keops.yield %a : vector<6xf32>
  } -> tensor<?x6xf32>
  return %r : tensor<?x6xf32>
}

// -----

func.func @tensordot_axis_out_of_range(%in0: tensor<?x6xf32>, %in1: tensor<?x3xf32>, %o: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x6xf32>, %in1 : j tensor<?x3xf32>) outs(%o : tensor<?x6xf32>) {
  ^bb0(%a: vector<6xf32>, %b: vector<3xf32>):
    // expected-error @+1 {{tensordot contraction axis out of range}}
    %m = keops.tensordot %a, %b shapes [2, 3], [3] contract [2], [0] : vector<6xf32>, vector<3xf32>
    keops.yield %a : vector<6xf32>
  } -> tensor<?x6xf32>
  return %r : tensor<?x6xf32>
}

// -----

func.func @tensordot_axis_negative(%in0: tensor<?x6xf32>, %in1: tensor<?x3xf32>, %o: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x6xf32>, %in1 : j tensor<?x3xf32>) outs(%o : tensor<?x6xf32>) {
  ^bb0(%a: vector<6xf32>, %b: vector<3xf32>):
    // expected-error @+1 {{tensordot contraction axis out of range}}
    %m = keops.tensordot %a, %b shapes [2, 3], [3] contract [1], [-1] : vector<6xf32>, vector<3xf32>
    keops.yield %a : vector<6xf32>
  } -> tensor<?x6xf32>
  return %r : tensor<?x6xf32>
}

// -----

func.func @tensordot_axis_twice(%in0: tensor<?x9xf32>, %in1: tensor<?x9xf32>, %o: tensor<?x9xf32>) -> tensor<?x9xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x9xf32>, %in1 : j tensor<?x9xf32>) outs(%o : tensor<?x9xf32>) {
  ^bb0(%a: vector<9xf32>, %b: vector<9xf32>):
    // expected-error @+1 {{tensordot contracts an axis twice}}
    %m = keops.tensordot %a, %b shapes [3, 3], [3, 3] contract [0, 0], [0, 1] : vector<9xf32>, vector<9xf32>
    keops.yield %a : vector<9xf32>
  } -> tensor<?x9xf32>
  return %r : tensor<?x9xf32>
}

// -----

func.func @tensordot_extent_mismatch(%in0: tensor<?x6xf32>, %in1: tensor<?x6xf32>, %o: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x6xf32>, %in1 : j tensor<?x6xf32>) outs(%o : tensor<?x6xf32>) {
  ^bb0(%a: vector<6xf32>, %b: vector<6xf32>):
    // expected-error @+1 {{tensordot contracts lhs axis 0 of extent 2 with rhs axis 0 of extent 3}}
    %m = keops.tensordot %a, %b shapes [2, 3], [3, 2] contract [0], [0] : vector<6xf32>, vector<6xf32>
    keops.yield %a : vector<6xf32>
  } -> tensor<?x6xf32>
  return %r : tensor<?x6xf32>
}

// -----

func.func @kron_element_type(%in0: tensor<?x2xf32>, %o: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x2xf32>) outs(%o : tensor<?x2xf32>) {
  ^bb0(%a: vector<2xf32>):
    %x = arith.constant dense<1.0> : vector<2xf64>
    // expected-error @+1 {{kron needs operands of one element type}}
    %m = keops.kron %a, %x shapes [2], [2] : vector<2xf32>, vector<2xf64>
    keops.yield %a : vector<2xf32>
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}

// -----

func.func @kron_rank(%in0: tensor<?x6xf32>, %in1: tensor<?x3xf32>, %o: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x6xf32>, %in1 : j tensor<?x3xf32>) outs(%o : tensor<?x6xf32>) {
  ^bb0(%a: vector<6xf32>, %b: vector<3xf32>):
    // expected-error @+1 {{kron needs tensors of equal rank, got 2 and 1}}
    %m = keops.kron %a, %b shapes [2, 3], [3] : vector<6xf32>, vector<3xf32>
    keops.yield %a : vector<6xf32>
  } -> tensor<?x6xf32>
  return %r : tensor<?x6xf32>
}

// -----

func.func @kron_shape_size(%in0: tensor<?x6xf32>, %in1: tensor<?x3xf32>, %o: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x6xf32>, %in1 : j tensor<?x3xf32>) outs(%o : tensor<?x6xf32>) {
  ^bb0(%a: vector<6xf32>, %b: vector<3xf32>):
    // expected-error @+1 {{the rhs shape holds 2 entries but the rhs operand has dimension 3}}
    %m = keops.kron %a, %b shapes [6], [2] : vector<6xf32>, vector<3xf32>
    keops.yield %a : vector<6xf32>
  } -> tensor<?x6xf32>
  return %r : tensor<?x6xf32>
}

// -----

func.func @kron_empty_shape(%in0: tensor<?x1xf32>, %in1: tensor<?x1xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x1xf32>, %in1 : j tensor<?x1xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<1xf32>, %b: vector<1xf32>):
    // expected-error @+1 {{the rhs shape must not be empty}}
    %m = keops.kron %a, %b shapes [1], [] : vector<1xf32>, vector<1xf32>
    keops.yield %a : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

func.func @kron_nonpositive_extent(%in0: tensor<?x2xf32>, %in1: tensor<?x2xf32>, %o: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x2xf32>, %in1 : j tensor<?x2xf32>) outs(%o : tensor<?x2xf32>) {
  ^bb0(%a: vector<2xf32>, %b: vector<2xf32>):
    // expected-error @+1 {{the lhs shape must have extents in [1, 65536]}}
    %m = keops.kron %a, %b shapes [-2, -1], [2] : vector<2xf32>, vector<2xf32>
    keops.yield %a : vector<2xf32>
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}

// -----

func.func @kron_extent_too_large(%in0: tensor<?x2xf32>, %in1: tensor<?x2xf32>, %o: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x2xf32>, %in1 : j tensor<?x2xf32>) outs(%o : tensor<?x2xf32>) {
  ^bb0(%a: vector<2xf32>, %b: vector<2xf32>):
    // expected-error @+1 {{the rhs shape must have extents in [1, 65536]}}
    %m = keops.kron %a, %b shapes [2], [65537] : vector<2xf32>, vector<2xf32>
    keops.yield %a : vector<2xf32>
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}

// -----

func.func @kron_lhs_shape_too_large(%in0: tensor<?x2xf32>, %in1: tensor<?x2xf32>, %o: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x2xf32>, %in1 : j tensor<?x2xf32>) outs(%o : tensor<?x2xf32>) {
  ^bb0(%a: vector<2xf32>, %b: vector<2xf32>):
    // expected-error @+1 {{the lhs shape holds more than 65536 entries}}
    %m = keops.kron %a, %b shapes [256, 257], [1, 2] : vector<2xf32>, vector<2xf32>
    keops.yield %a : vector<2xf32>
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}

// -----

func.func @kron_result_too_large(%in0: tensor<?x256xf32>, %in1: tensor<?x257xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x256xf32>, %in1 : j tensor<?x257xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<256xf32>, %b: vector<257xf32>):
    // expected-error @+1 {{kron: the result would have more than 65536 components}}
    %m = keops.kron %a, %b shapes [256], [257] : vector<256xf32>, vector<257xf32>
    %s = keops.sum %a : vector<256xf32>
    keops.yield %s : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

func.func @grad_wrt_op_result(%in0: tensor<?x3xf32>, %in1: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x3xf32>, %in1 : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<3xf32>):
    %d = arith.subf %a, %b : vector<3xf32>
    %n = keops.sqnorm2 %d : vector<3xf32>
    %e = arith.constant dense<1.0> : vector<1xf32>
    // expected-error @+1 {{'keops.grad' op differentiates with respect to a value that is not a variable: the second operand must be a block argument of the enclosing keops.reduce}}
    %g = keops.grad %n wrt %d, %e : vector<1xf32>, vector<3xf32>
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @grad_element_type(%in0: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    %f = arith.constant dense<1.0> : vector<1xf64>
    // expected-error @+1 {{'keops.grad' op needs a variable of the formula's element type}}
    %g = keops.grad %f wrt %a, %f : vector<1xf64>, vector<3xf32>
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @grad_cotangent_type(%in0: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    %n = keops.sqnorm2 %a : vector<3xf32>
    // expected-error @+1 {{'keops.grad' op failed to verify that all of {value, cotangent} have same type}}
    %g = "keops.grad"(%n, %a, %a) : (vector<1xf32>, vector<3xf32>, vector<3xf32>) -> vector<3xf32>
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @sqdist_operand_types(%in0: tensor<?x3xf32>, %in1: tensor<?x2xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x3xf32>, %in1 : j tensor<?x2xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>, %b: vector<2xf32>):
    // expected-error @+1 {{'keops.sqdist' op failed to verify that all of {lhs, rhs} have same type}}
    %d = "keops.sqdist"(%a, %b) : (vector<3xf32>, vector<2xf32>) -> vector<1xf32>
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @inferred_type_mismatch(%in0: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    // expected-error @+2 {{'keops.sum' op inferred type(s) 'vector<1xf32>' are incompatible with return type(s) of operation 'vector<3xf32>'}}
    // expected-error @+1 {{'keops.sum' op failed to infer returned types}}
    %s = "keops.sum"(%a) : (vector<3xf32>) -> vector<3xf32>
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @cmp_unknown_predicate(%in0: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%in0 : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    // expected-error @+2 {{custom op 'keops.cmp' expected ::mlir::keops::CmpPredicate to be one of: lt, le, gt, ge, eq, ne}}
    // expected-error @+1 {{failed to parse Keops_CmpPredicateAttr parameter 'value'}}
    %c = keops.cmp olt, %a, %a : vector<3xf32>
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @grad_outside_reduce(%f: vector<1xf32>, %v: vector<3xf32>) -> vector<3xf32> {
  // expected-error @+1 {{'keops.grad' op differentiates with respect to a value that is not a variable}}
  %g = keops.grad %f wrt %v, %f : vector<1xf32>, vector<3xf32>
  return %g : vector<3xf32>
}

// -----

func.func @k_not_integer(%x: tensor<?x3xf32>, %o: tensor<?x6xf32>) -> tensor<?x6xf32> {
  // expected-error @+1 {{expected integer value}}
  %r = keops.reduce kmin k = two over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x6xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x6xf32>
  return %r : tensor<?x6xf32>
}

// -----

//===----------------------------------------------------------------------===//
// keops.select_index
//===----------------------------------------------------------------------===//

func.func @select_index_dims(%y: tensor<?x3xf32>, %idx: tensor<?x2xi32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%y : j tensor<?x3xf32>, %idx : i tensor<?x2xi32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%b: vector<3xf32>, %k: vector<2xi32>):
    // expected-error @+1 {{'keops.select_index' op selects with 2 indices the 3 components of a vector; both must have the same dimension}}
    %s = keops.select_index %k, %b : vector<2xi32>, vector<3xf32>
    keops.yield %s : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @select_index_float_indices(%y: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%y : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%b: vector<3xf32>):
    // expected-error @+1 {{'keops.select_index' op operand #0 must be vector of 32-bit signless integer or 64-bit signless integer values of ranks 1, but got 'vector<3xf32>'}}
    %s = keops.select_index %b, %b : vector<3xf32>, vector<3xf32>
    keops.yield %s : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @select_index_outside_reduce(%k: vector<3xi64>, %v: vector<3xf32>) -> vector<3xf32> {
  // expected-error @+1 {{'keops.select_index' op expects parent op 'keops.reduce'}}
  %s = keops.select_index %k, %v : vector<3xi64>, vector<3xf32>
  return %s : vector<3xf32>
}

// -----

func.func @select_index_bad_axis(%y: tensor<?x3xf32>, %idx: tensor<?x3xi64>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%y : j tensor<?x3xf32>, %idx : i tensor<?x3xi64>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%b: vector<3xf32>, %k: vector<3xi64>):
    // expected-error @+2 {{expected ::mlir::keops::Axis to be one of: i, j}}
    // expected-error @+1 {{failed to parse Keops_AxisAttr parameter 'value'}}
    %s = keops.select_index %k, %b at k : vector<3xi64>, vector<3xf32>
    keops.yield %s : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// Batch axes: every operand has those of the outputs.
func.func @batch_rank_mismatch(%x: tensor<?x3xf32>, %o: tensor<?x?x3xf32>) -> tensor<?x?x3xf32> {
  // expected-error @+1 {{'keops.reduce' op input #0 (category j) must be a 3-D array (1 batch axes, rows, D) like the outputs' batch axes, got 'tensor<?x3xf32>'}}
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x?x3xf32>
  return %r : tensor<?x?x3xf32>
}

// -----

func.func @batch_no_broadcast(%x: tensor<4x?x3xf32>, %o: tensor<3x?x3xf32>) -> tensor<3x?x3xf32> {
  // expected-error @+1 {{'keops.reduce' op input #0 has 4 elements on batch axis 0 but the outputs have 3; an input's batch extent is the reduction's, or 1 to broadcast the input}}
  %r = keops.reduce sum over j ins(%x : j tensor<4x?x3xf32>) outs(%o : tensor<3x?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<3x?x3xf32>
  return %r : tensor<3x?x3xf32>
}

// -----

func.func @batch_outputs_disagree(%x: tensor<?x?x1xf32>, %v: tensor<2x?x1xf32>, %i: tensor<5x?x1xi32>) -> (tensor<2x?x1xf32>, tensor<5x?x1xi32>) {
  // expected-error @+1 {{'keops.reduce' op the number of batch axis 0 elements is 2 for output #0 but 5 for output #1}}
  %r:2 = keops.reduce min_argmin over j ins(%x : j tensor<?x?x1xf32>) outs(%v : tensor<2x?x1xf32>, %i : tensor<5x?x1xi32>) {
  ^bb0(%a: vector<1xf32>):
    keops.yield %a : vector<1xf32>
  } -> tensor<2x?x1xf32>, tensor<5x?x1xi32>
  return %r#0, %r#1 : tensor<2x?x1xf32>, tensor<5x?x1xi32>
}

// -----

func.func @batch_output_rank(%x: tensor<?x?x1xf32>, %o: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{'keops.reduce' op input #0 (category j) must be a 2-D array (rows x D), got 'tensor<?x?x1xf32>'}}
  %r = keops.reduce sum over j ins(%x : j tensor<?x?x1xf32>) outs(%o : tensor<?xf32>) {
  ^bb0(%a: vector<1xf32>):
    keops.yield %a : vector<1xf32>
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

// -----

func.func @unbroadcast_element_type(%g: tensor<?x?x3xf32>) -> tensor<1x?x3xf64> {
  // expected-error @+1 {{'keops.unbroadcast' op needs a result with the operand's floating-point element type, got 'tensor<?x?x3xf32>' -> 'tensor<1x?x3xf64>'}}
  %s = keops.unbroadcast %g : tensor<?x?x3xf32> -> tensor<1x?x3xf64>
  return %s : tensor<1x?x3xf64>
}

// -----

func.func @unbroadcast_rank(%g: tensor<?x?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'keops.unbroadcast' op needs a result of the operand's rank 3, got 2}}
  %s = keops.unbroadcast %g : tensor<?x?x3xf32> -> tensor<?x3xf32>
  return %s : tensor<?x3xf32>
}

// -----

func.func @unbroadcast_extent(%g: tensor<4x?x3xf32>) -> tensor<2x?x3xf32> {
  // expected-error @+1 {{'keops.unbroadcast' op axis 0 of the result must be the operand's extent or a static 1 (summed over), got 'tensor<2x?x3xf32>' for 'tensor<4x?x3xf32>'}}
  %s = keops.unbroadcast %g : tensor<4x?x3xf32> -> tensor<2x?x3xf32>
  return %s : tensor<2x?x3xf32>
}

// -----

func.func @ranges_count(%x: tensor<?x3xf32>, %o: tensor<?x1xf32>, %a: tensor<?x2xi32>, %b: tensor<?xi32>, %c: tensor<?x2xi32>, %f: tensor<?x2xf32>, %l: tensor<?x2xi64>, %s3: tensor<3x2xi32>, %s4: tensor<4xi32>) -> tensor<?x1xf32> {
  // expected-error @+1 {{'keops.reduce' op takes 6 ranges arrays (ranges_i, slices_i, redranges_j, ranges_j, slices_j, redranges_i), got 3}}
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %x : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) ranges(%a, %b, %c : tensor<?x2xi32>, tensor<?xi32>, tensor<?x2xi32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

func.func @ranges_rank(%x: tensor<?x3xf32>, %o: tensor<?x1xf32>, %a: tensor<?x2xi32>, %b: tensor<?xi32>, %c: tensor<?x2xi32>, %f: tensor<?x2xf32>, %l: tensor<?x2xi64>, %s3: tensor<3x2xi32>, %s4: tensor<4xi32>) -> tensor<?x1xf32> {
  // expected-error @+1 {{'keops.reduce' op ranges array ranges_i must be 2-D (count x 2: [begin, end) pairs), got 'tensor<?xi32>'}}
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %x : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) ranges(%b, %b, %c, %a, %b, %c : tensor<?xi32>, tensor<?xi32>, tensor<?x2xi32>, tensor<?x2xi32>, tensor<?xi32>, tensor<?x2xi32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

func.func @ranges_slices_rank(%x: tensor<?x3xf32>, %o: tensor<?x1xf32>, %a: tensor<?x2xi32>, %b: tensor<?xi32>, %c: tensor<?x2xi32>, %f: tensor<?x2xf32>, %l: tensor<?x2xi64>, %s3: tensor<3x2xi32>, %s4: tensor<4xi32>) -> tensor<?x1xf32> {
  // expected-error @+1 {{'keops.reduce' op ranges array slices_i must be 1-D (one count per block), got 'tensor<?x2xi32>'}}
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %x : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) ranges(%a, %a, %c, %a, %b, %c : tensor<?x2xi32>, tensor<?x2xi32>, tensor<?x2xi32>, tensor<?x2xi32>, tensor<?xi32>, tensor<?x2xi32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

func.func @ranges_float(%x: tensor<?x3xf32>, %o: tensor<?x1xf32>, %a: tensor<?x2xi32>, %b: tensor<?xi32>, %c: tensor<?x2xi32>, %f: tensor<?x2xf32>, %l: tensor<?x2xi64>, %s3: tensor<3x2xi32>, %s4: tensor<4xi32>) -> tensor<?x1xf32> {
  // expected-error @+1 {{'keops.reduce' op ranges array redranges_i must hold i32 or i64 integers, got 'tensor<?x2xf32>'}}
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %x : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) ranges(%a, %b, %c, %a, %b, %f : tensor<?x2xi32>, tensor<?xi32>, tensor<?x2xi32>, tensor<?x2xi32>, tensor<?xi32>, tensor<?x2xf32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

func.func @ranges_mixed(%x: tensor<?x3xf32>, %o: tensor<?x1xf32>, %a: tensor<?x2xi32>, %b: tensor<?xi32>, %c: tensor<?x2xi32>, %f: tensor<?x2xf32>, %l: tensor<?x2xi64>, %s3: tensor<3x2xi32>, %s4: tensor<4xi32>) -> tensor<?x1xf32> {
  // expected-error @+1 {{'keops.reduce' op ranges arrays hold one integer type; redranges_i holds 'i64' but ranges_i holds 'i32'}}
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %x : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) ranges(%a, %b, %c, %a, %b, %l : tensor<?x2xi32>, tensor<?xi32>, tensor<?x2xi32>, tensor<?x2xi32>, tensor<?xi32>, tensor<?x2xi64>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

func.func @ranges_blocks(%x: tensor<?x3xf32>, %o: tensor<?x1xf32>, %a: tensor<?x2xi32>, %b: tensor<?xi32>, %c: tensor<?x2xi32>, %f: tensor<?x2xf32>, %l: tensor<?x2xi64>, %s3: tensor<3x2xi32>, %s4: tensor<4xi32>) -> tensor<?x1xf32> {
  // expected-error @+1 {{'keops.reduce' op ranges_i has 3 blocks but slices_i has 4 counts; one count per block}}
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf32>, %x : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) ranges(%s3, %s4, %c, %a, %b, %c : tensor<3x2xi32>, tensor<4xi32>, tensor<?x2xi32>, tensor<?x2xi32>, tensor<?xi32>, tensor<?x2xi32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

// Ranges per batch element have the reduction's batch extents, no 1 that
// would broadcast them.
func.func @ranges_batch_extent(%x: tensor<4x?x3xf32>, %o: tensor<4x?x1xf32>, %a: tensor<2x?x2xi32>, %b: tensor<2x?xi32>) -> tensor<4x?x1xf32> {
  // expected-error @+1 {{'keops.reduce' op ranges array ranges_i has 2 elements on batch axis 0 but the reduction has 4 (ranges per batch element are not broadcast)}}
  %r = keops.reduce sum over j ins(%x : i tensor<4x?x3xf32>, %x : j tensor<4x?x3xf32>) outs(%o : tensor<4x?x1xf32>) ranges(%a, %b, %a, %a, %b, %a : tensor<2x?x2xi32>, tensor<2x?xi32>, tensor<2x?x2xi32>, tensor<2x?x2xi32>, tensor<2x?xi32>, tensor<2x?x2xi32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<4x?x1xf32>
  return %r : tensor<4x?x1xf32>
}

// -----

// All six per element, or all six shared.
func.func @ranges_batch_mixed(%x: tensor<4x?x3xf32>, %o: tensor<4x?x1xf32>, %a: tensor<4x?x2xi32>, %b: tensor<4x?xi32>, %c: tensor<?x2xi32>) -> tensor<4x?x1xf32> {
  // expected-error @+1 {{'keops.reduce' op ranges array redranges_j must be the batch axes then 2-D (count x 2: [begin, end) pairs) like slices_i, got 'tensor<?x2xi32>'}}
  %r = keops.reduce sum over j ins(%x : i tensor<4x?x3xf32>, %x : j tensor<4x?x3xf32>) outs(%o : tensor<4x?x1xf32>) ranges(%a, %b, %c, %a, %b, %a : tensor<4x?x2xi32>, tensor<4x?xi32>, tensor<?x2xi32>, tensor<4x?x2xi32>, tensor<4x?xi32>, tensor<4x?x2xi32>) {
  ^bb0(%xi: vector<3xf32>, %yj: vector<3xf32>):
    %d = keops.sqdist %xi, %yj : vector<3xf32>
    keops.yield %d : vector<1xf32>
  } -> tensor<4x?x1xf32>
  return %r : tensor<4x?x1xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Complex ops: vectors of (real, imaginary) pairs
//===----------------------------------------------------------------------===//

func.func @cmul_odd(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    // expected-error @+1 {{operand #0 must be vector of (real, imaginary) pairs of 16-bit, 32-bit or 64-bit floats (even length), but got 'vector<3xf32>'}}
    %m = keops.cmul %a, %a : vector<3xf32>
    keops.yield %m : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @cabs_odd(%x: tensor<?x3xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x1xf32>) {
  ^bb0(%a: vector<3xf32>):
    // expected-error @+1 {{cabs takes (real, imaginary) pairs: a vector of even dimension, got 3}}
    %m = keops.cabs %a : vector<3xf32>
    %s = keops.sum %m : vector<1xf32>
    keops.yield %s : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

func.func @gram_sides(%x: tensor<?x32xf32>, %y: tensor<?x32xf32>, %o: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x32xf32>, %y : j tensor<?x32xf32>)
      outs(%o : tensor<?x1xf32>) {
  ^bb0(%xi: vector<32xf32>, %yj: vector<32xf32>):
    // expected-error @+1 {{needs a left operand that depends on no reduced variable and a right operand that depends on no kept variable}}
    %g = keops.gram %yj, %xi : vector<32xf32>
    keops.yield %g : vector<1xf32>
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

func.func @partial_state_count(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{partial reduction 'argmin' writes 2 state arrays, got 1}}
  %r = keops.reduce argmin over j partial ins(%x : j tensor<?x3xf32>) outs(%o : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @partial_state_width(%x: tensor<?x3xf32>, %m: tensor<?x1xf32>, %s: tensor<?x3xf32>) -> (tensor<?x1xf32>, tensor<?x3xf32>) {
  // expected-error @+1 {{output #1 must have 1 columns for the state of reduction 'logsumexp' of this formula, got 3}}
  %r:2 = keops.reduce logsumexp over j partial ins(%x : j tensor<?x3xf32>) outs(%m : tensor<?x1xf32>, %s : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    %n = keops.sqnorm2 %a : vector<3xf32>
    keops.yield %n : vector<1xf32>
  } -> tensor<?x1xf32>, tensor<?x3xf32>
  return %r#0, %r#1 : tensor<?x1xf32>, tensor<?x3xf32>
}

// -----

func.func @partial_state_index(%x: tensor<?x3xf32>, %v: tensor<?x3xf32>, %i: tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  // expected-error @+1 {{output #1 of 'min' holds indices and must have element type i32 or i64, got 'f32'}}
  %r:2 = keops.reduce min over j partial ins(%x : j tensor<?x3xf32>) outs(%v : tensor<?x3xf32>, %i : tensor<?x3xf32>) {
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  } -> tensor<?x3xf32>, tensor<?x3xf32>
  return %r#0, %r#1 : tensor<?x3xf32>, tensor<?x3xf32>
}

// -----

func.func @first_not_partial(%x: tensor<?x3xf32>, %o: tensor<?x3xf32>, %f: index) -> tensor<?x3xf32> {
  // expected-error @+1 {{takes a first reduced index only when partial}}
  %r = "keops.reduce"(%x, %o, %f) <{kind = #keops<kind sum>, axis = #keops<axis j>, categories = [#keops<category j>], operandSegmentSizes = array<i32: 1, 1, 0, 1>}> ({
  ^bb0(%a: vector<3xf32>):
    keops.yield %a : vector<3xf32>
  }) : (tensor<?x3xf32>, tensor<?x3xf32>, index) -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

func.func @merge_count(%m: memref<?x1xf32>) {
  // expected-error @+1 {{needs 2 state arrays for reduction 'logsumexp', got 1}}
  keops.merge_states logsumexp ins(%m : memref<?x1xf32>) and(%m : memref<?x1xf32>) outs(%m : memref<?x1xf32>)
  return
}

// -----

func.func @merge_kd(%v: memref<?x7xf32>, %i: memref<?x7xi32>) {
  // expected-error @+1 {{needs state arrays of K x D columns (K = 2), got 7}}
  keops.merge_states kmin k = 2 ins(%v, %i : memref<?x7xf32>, memref<?x7xi32>) and(%v, %i : memref<?x7xf32>, memref<?x7xi32>) outs(%v, %i : memref<?x7xf32>, memref<?x7xi32>)
  return
}

// -----

func.func @merge_mixed(%v: memref<?x3xf32>, %i: memref<?x3xi32>, %w: memref<?x3xf64>) {
  // expected-error @+1 {{second state array #0 must hold the same values (f16, f32 or f64) as the other arrays, got 'f64'}}
  keops.merge_states min ins(%v, %i : memref<?x3xf32>, memref<?x3xi32>) and(%w, %i : memref<?x3xf64>, memref<?x3xi32>) outs(%v, %i : memref<?x3xf32>, memref<?x3xi32>)
  return
}

// -----

func.func @merge_no_k(%v: memref<?x3xf32>, %i: memref<?x3xi32>) {
  // expected-error @+1 {{reduction 'argkmin' needs the attribute k}}
  keops.merge_states argkmin ins(%v, %i : memref<?x3xf32>, memref<?x3xi32>) and(%v, %i : memref<?x3xf32>, memref<?x3xi32>) outs(%v, %i : memref<?x3xf32>, memref<?x3xi32>)
  return
}

// -----

func.func @finalize_outputs(%v: memref<?x3xf32>, %i: memref<?x3xi64>, %o: memref<?x3xf32>) {
  // expected-error @+1 {{output array #0 must hold the same indices (i32 or i64) as the other arrays, got 'f32'}}
  keops.finalize_states argmin ins(%v, %i : memref<?x3xf32>, memref<?x3xi64>) outs(%o : memref<?x3xf32>)
  return
}
