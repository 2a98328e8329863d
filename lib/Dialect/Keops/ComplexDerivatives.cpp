//===- ComplexDerivatives.cpp - derivative rules of the complex ops ------===//
//
// A complex vector is a vector of (real, imaginary) pairs, and the rules are
// those of the map on the pairs of reals: the cotangent of a pair is
// (dL/da, dL/db), which read as a complex number is the gradient torch gives
// for complex inputs (dL/da + i dL/db). With this reading, the adjoint of
// multiplication by a complex w is multiplication by conj(w), so the rules of
// the holomorphic ops are complex products; cabs and cangle, which are not
// holomorphic, get theirs from their gradient pairs. Rules emit complex ops
// again, so derivatives of any order follow.
//
//===----------------------------------------------------------------------===//

#include "DerivativeHelpers.h"

using namespace mlir;
using namespace mlir::keops;
using namespace mlir::keops::ad;

namespace {

Value shuffle(Emitter &e, Value a, Value b, ArrayRef<int64_t> mask) {
  return vector::ShuffleOp::create(e.b, e.loc, a, b, mask);
}
/// The reals of `x` each repeated twice: x as the scale of D pairs.
Value duplicate(Emitter &e, Value x) {
  SmallVector<int64_t> mask;
  for (int64_t k = 0; k < formulaDim(x); ++k)
    mask.append({k, k});
  return shuffle(e, x, x, mask);
}
/// a_k + b_k for each pair (a_k, b_k) of v.
Value pairSum(Emitter &e, Value v) {
  SmallVector<int64_t> evens, odds;
  for (int64_t k = 0; k < formulaDim(v); k += 2) {
    evens.push_back(k);
    odds.push_back(k + 1);
  }
  return e.add(shuffle(e, v, v, evens), shuffle(e, v, v, odds));
}
/// i z for each complex component z = (a, b) of v: (-b, a).
Value timesI(Emitter &e, Value v) {
  int64_t n = formulaDim(v);
  SmallVector<int64_t> mask;
  for (int64_t k = 0; k < n; k += 2)
    mask.append({k + 1, n + k});
  return shuffle(e, e.neg(v), v, mask);
}
Value conj(Emitter &e, Value v) {
  return v ? Value(ConjOp::create(e.b, e.loc, v)) : v;
}
Value cmul(Emitter &e, Value a, Value b) {
  return a && b ? Value(ComplexMulOp::create(e.b, e.loc, a, b)) : Value();
}
Value cdiv(Emitter &e, Value a, Value b) {
  return a ? Value(ComplexDivOp::create(e.b, e.loc, a, b)) : a;
}
/// vjp and jvp of an op from complex pairs to reals (cabs, cangle) whose
/// gradient pairs are `grad` (vector<2D>): g_k grad_k, and the pair sums of
/// grad * t.
Value toRealVjp(Emitter &e, Value grad, Value g) {
  return g ? e.mul(grad, duplicate(e, g)) : g;
}
Value toRealJvp(Emitter &e, Value grad, Value t) {
  return t ? pairSum(e, e.mul(grad, t)) : t;
}
/// The gradient pairs of cabs and cangle: z / |z| and i z / |z|^2, and 0
/// at z = 0 (pykeops' and torch's convention for the modulus).
Value absGrad(Emitter &e, ComplexAbsOp op) {
  Value one = e.cst(op.getType(), 1.0);
  return e.mul(op.getX(), duplicate(e, e.divOrZero(one, op.getResult())));
}
Value angleGrad(Emitter &e, ComplexAngleOp op) {
  Value x = op.getX();
  Value one = e.cst(op.getType(), 1.0);
  Value sq = pairSum(e, e.mul(x, x));
  return e.mul(timesI(e, x), duplicate(e, e.divOrZero(one, sq)));
}

} // namespace

SmallVector<Value> ComplexMulOp::vjp(OpBuilder &b, ArrayRef<Value> cts) {
  Emitter e{b, getLoc()};
  Value g = cts[0];
  return {cmul(e, g, conj(e, getRhs())), cmul(e, g, conj(e, getLhs()))};
}
Value ComplexMulOp::jvp(OpBuilder &b, ArrayRef<Value> ts) {
  Emitter e{b, getLoc()};
  return multilinearJvp(e, getOperation(), ts);
}

// c = a / b: dc = (da - c db) / b.
SmallVector<Value> ComplexDivOp::vjp(OpBuilder &b, ArrayRef<Value> cts) {
  Emitter e{b, getLoc()};
  Value ga = cdiv(e, cts[0], conj(e, getRhs()));
  return {ga, e.neg(cmul(e, ga, conj(e, getResult())))};
}
Value ComplexDivOp::jvp(OpBuilder &b, ArrayRef<Value> ts) {
  Emitter e{b, getLoc()};
  return cdiv(e, e.sub(ts[0], cmul(e, getResult(), ts[1])), getRhs());
}

SmallVector<Value> ConjOp::vjp(OpBuilder &b, ArrayRef<Value> cts) {
  Emitter e{b, getLoc()};
  return {conj(e, cts[0])};
}
Value ConjOp::jvp(OpBuilder &b, ArrayRef<Value> ts) {
  Emitter e{b, getLoc()};
  return conj(e, ts[0]);
}

SmallVector<Value> ComplexExpOp::vjp(OpBuilder &b, ArrayRef<Value> cts) {
  Emitter e{b, getLoc()};
  return {cmul(e, cts[0], conj(e, getResult()))};
}
Value ComplexExpOp::jvp(OpBuilder &b, ArrayRef<Value> ts) {
  Emitter e{b, getLoc()};
  return cmul(e, getResult(), ts[0]);
}

// cabs and cangle: from their gradient pairs.
#define KEOPS_COMPLEX_TO_REAL_RULES(OP, GRAD)                                  \
  SmallVector<Value> OP::vjp(OpBuilder &b, ArrayRef<Value> cts) {              \
    Emitter e{b, getLoc()};                                                    \
    if (!cts[0])                                                               \
      return {Value()};                                                        \
    return {toRealVjp(e, GRAD(e, *this), cts[0])};                             \
  }                                                                            \
  Value OP::jvp(OpBuilder &b, ArrayRef<Value> ts) {                            \
    Emitter e{b, getLoc()};                                                    \
    if (!ts[0])                                                                \
      return {};                                                               \
    return toRealJvp(e, GRAD(e, *this), ts[0]);                                \
  }
KEOPS_COMPLEX_TO_REAL_RULES(ComplexAbsOp, absGrad)
KEOPS_COMPLEX_TO_REAL_RULES(ComplexAngleOp, angleGrad)
#undef KEOPS_COMPLEX_TO_REAL_RULES

// Linear: the cotangent of every component is that of the sum.
SmallVector<Value> ComplexSumOp::vjp(OpBuilder &b, ArrayRef<Value> cts) {
  Emitter e{b, getLoc()};
  if (!cts[0])
    return {Value()};
  SmallVector<int64_t> mask;
  for (int64_t k = 0; k < formulaDim(getX()); k += 2)
    mask.append({0, 1});
  return {shuffle(e, cts[0], cts[0], mask)};
}
Value ComplexSumOp::jvp(OpBuilder &b, ArrayRef<Value> ts) {
  Emitter e{b, getLoc()};
  return linearJvp(e, getOperation(), ts);
}
