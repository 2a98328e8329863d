// tensorprod outside a keops.reduce: operand dimensions whose product
// overflows int64 are refused, not wrapped into vector<0x...> or vector<-1x...>.
//
// RUN: keops-opt %s -split-input-file -verify-diagnostics

func.func @tensorprod_wraps_to_zero(%c: vector<4294967296xf32>) {
  // expected-error @+1 {{tensorprod: the result would have more than 65536 components}}
  %0 = keops.tensorprod %c, %c : vector<4294967296xf32>, vector<4294967296xf32>
  return
}

// -----

func.func @tensorprod_wraps_to_minus_one(%c: vector<4294967297xf32>, %d: vector<4294967295xf32>) {
  // expected-error @+1 {{tensorprod: the result would have more than 65536 components}}
  %0 = keops.tensorprod %c, %d : vector<4294967297xf32>, vector<4294967295xf32>
  return
}
