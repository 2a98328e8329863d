//===- Derivatives.cpp - derivative rules of the keops formula ops -------===//
//
// KeopsDifferentiable for every keops formula op. Rules emit formula ops
// (keops ops included) at the builder's insertion point. Pointwise ops give
// their partial derivatives; ops with a dimension-1 result get their jvp from
// their vjp with cotangent 1 (jvp = sum_k <grad_k, t_k>); products are
// multilinear; select_index is linear in its value. sign, step, round, cmp,
// argmax, argmin and one_hot are piecewise constant: zero derivative almost
// everywhere (null cotangents).
//
//===----------------------------------------------------------------------===//

#include "DerivativeHelpers.h"

using namespace mlir;
using namespace mlir::keops;
using namespace mlir::keops::ad;

namespace {
VectorType vecType(Value v) { return cast<VectorType>(v.getType()); }
VectorType withDim(Value v, int64_t d) {
  return VectorType::get({d}, vecType(v).getElementType());
}
/// jvp of an op with a vector<1> result from its vjp: sum_k <g_k, t_k>.
template <typename OpT>
Value scalarJvp(OpT op, OpBuilder &b, ArrayRef<Value> ts) {
  Emitter e{b, op.getLoc()};
  if (llvm::all_of(ts, [](Value t) { return !t; }))
    return {};
  SmallVector<Value> g = op.vjp(b, {e.cst(op.getType(), 1.0)});
  Value out;
  for (auto [gk, tk] : llvm::zip(g, ts))
    out = e.add(out, e.dot(gk, tk));
  return out;
}
SmallVector<Value> zeros(Operation *op) {
  return SmallVector<Value>(op->getNumOperands(), Value());
}
} // namespace

// Piecewise-constant ops: zero derivative almost everywhere.
#define KEOPS_ZERO_DERIVATIVE(OP)                                              \
  SmallVector<Value> OP::vjp(OpBuilder &, ArrayRef<Value>) {                   \
    return zeros(getOperation());                                              \
  }                                                                            \
  Value OP::jvp(OpBuilder &, ArrayRef<Value>) { return {}; }
KEOPS_ZERO_DERIVATIVE(SignOp)
KEOPS_ZERO_DERIVATIVE(StepOp)
KEOPS_ZERO_DERIVATIVE(RoundOp)
KEOPS_ZERO_DERIVATIVE(CmpOp)
KEOPS_ZERO_DERIVATIVE(ArgMaxOp)
KEOPS_ZERO_DERIVATIVE(ArgMinOp)
KEOPS_ZERO_DERIVATIVE(OneHotOp)

// Pointwise ops: PARTIALS(e, op) lists the partial derivatives.
#define KEOPS_POINTWISE(OP, ...)                                               \
  static SmallVector<Value> partials(Emitter &e, OP op) __VA_ARGS__             \
  SmallVector<Value> OP::vjp(OpBuilder &b, ArrayRef<Value> cts) {              \
    if (!cts[0])                                                               \
      return zeros(getOperation());                                            \
    Emitter e{b, getLoc()};                                                    \
    return pointwiseVjp(e, partials(e, *this), cts[0]);                        \
  }                                                                            \
  Value OP::jvp(OpBuilder &b, ArrayRef<Value> ts) {                            \
    Emitter e{b, getLoc()};                                                    \
    return pointwiseJvp(e, partials(e, *this), ts);                            \
  }

KEOPS_POINTWISE(ReluOp, {
  return {StepOp::create(e.b, e.loc, op.getType(), op.getX())};
})
KEOPS_POINTWISE(XLogXOp, {
  Value log = math::LogOp::create(e.b, e.loc, op.getX());
  return {e.add(log, e.cst(op.getType(), 1.0))};
})
KEOPS_POINTWISE(SinXDivXOp, { // (x cos x - sin x) / x^2
  Value x = op.getX();
  Value c = math::CosOp::create(e.b, e.loc, x);
  Value s = math::SinOp::create(e.b, e.loc, x);
  return {e.div(e.sub(e.mul(x, c), s), e.mul(x, x))};
})
KEOPS_POINTWISE(PowIOp, { // n x^(n-1)
  int64_t n = op.getExponent();
  if (n == 0)
    return {Value()};
  Value p = PowIOp::create(e.b, e.loc, op.getType(), op.getX(),
                           e.b.getI64IntegerAttr(n - 1));
  return {e.scale(p, double(n))};
})
KEOPS_POINTWISE(ClampOp, { // min(max(x, lo), hi)
  Value m = arith::MaximumFOp::create(e.b, e.loc, op.getX(), op.getLo());
  Value atHi = e.cmp(CmpPredicate::GT, m, op.getHi());
  Value belowLo = e.cmp(CmpPredicate::LT, op.getX(), op.getLo());
  Value notHi = e.oneMinus(atHi);
  return {e.mul(e.oneMinus(belowLo), notHi), e.mul(belowLo, notHi), atHi};
})
KEOPS_POINTWISE(IfElseOp, { // c >= 0 ? a : b
  Value m = e.cmp(CmpPredicate::GE, op.getCond(),
                  e.cst(op.getType(), 0.0));
  return {Value(), m, e.oneMinus(m)};
})
KEOPS_POINTWISE(ModOp, { // x - n floor((x - d) / n)
  Value q = e.div(e.sub(op.getX(), op.getD()), op.getN());
  Value fl = math::FloorOp::create(e.b, e.loc, q);
  return {e.cst(op.getType(), 1.0), e.neg(fl), Value()};
})

//===----------------------------------------------------------------------===//
// Feature-axis reductions and norms (vector<1> results).
//===----------------------------------------------------------------------===//

#define KEOPS_SCALAR_JVP(OP)                                                   \
  Value OP::jvp(OpBuilder &b, ArrayRef<Value> ts) {                            \
    return scalarJvp(*this, b, ts);                                            \
  }

SmallVector<Value> SumOp::vjp(OpBuilder &b, ArrayRef<Value> cts) {
  Emitter e{b, getLoc()};
  return {e.bcast(cts[0], getX().getType())};
}
KEOPS_SCALAR_JVP(SumOp)

/// max / min: the cotangent goes to the first extreme component.
template <typename OpT, typename ArgOpT>
static SmallVector<Value> extremeVjp(OpT op, OpBuilder &b, Value ct) {
  Emitter e{b, op.getLoc()};
  if (!ct)
    return {Value()};
  Value pos = ArgOpT::create(b, e.loc, op.getX());
  Value hot = OneHotOp::create(b, e.loc, pos,
                               b.getI64IntegerAttr(formulaDim(op.getX())));
  return {e.mul(hot, e.bcast(ct, op.getX().getType()))};
}
SmallVector<Value> MaxOp::vjp(OpBuilder &b, ArrayRef<Value> cts) {
  return extremeVjp<MaxOp, ArgMaxOp>(*this, b, cts[0]);
}
KEOPS_SCALAR_JVP(MaxOp)
SmallVector<Value> MinOp::vjp(OpBuilder &b, ArrayRef<Value> cts) {
  return extremeVjp<MinOp, ArgMinOp>(*this, b, cts[0]);
}
KEOPS_SCALAR_JVP(MinOp)

SmallVector<Value> SqNorm2Op::vjp(OpBuilder &b, ArrayRef<Value> cts) {
  Emitter e{b, getLoc()}; // 2 x e
  return {e.scale(e.mul(getX(), e.bcast(cts[0], getX().getType())), 2.0)};
}
KEOPS_SCALAR_JVP(SqNorm2Op)

SmallVector<Value> Norm2Op::vjp(OpBuilder &b, ArrayRef<Value> cts) {
  Emitter e{b, getLoc()}; // x e / |x|, 0 at x = 0 (pykeops' convention)
  return {e.mul(getX(),
                e.bcast(e.divOrZero(cts[0], getResult()), getX().getType()))};
}
KEOPS_SCALAR_JVP(Norm2Op)

/// (c - y <y, c>) / |x| with y = x / |x|: the Jacobian is symmetric.
static Value normalizeRule(NormalizeOp op, OpBuilder &b, Value c) {
  Emitter e{b, op.getLoc()};
  if (!c)
    return {};
  Type t = op.getType();
  Value y = op.getResult();
  Value n = Norm2Op::create(b, e.loc, op.getX());
  return e.div(e.sub(c, e.mul(y, e.bcast(e.dot(y, c), t))), e.bcast(n, t));
}
SmallVector<Value> NormalizeOp::vjp(OpBuilder &b, ArrayRef<Value> cts) {
  return {normalizeRule(*this, b, cts[0])};
}
Value NormalizeOp::jvp(OpBuilder &b, ArrayRef<Value> ts) {
  return normalizeRule(*this, b, ts[0]);
}

SmallVector<Value> DotOp::vjp(OpBuilder &b, ArrayRef<Value> cts) {
  Emitter e{b, getLoc()};
  Value c = e.bcast(cts[0], getLhs().getType());
  return {e.mul(getRhs(), c), e.mul(getLhs(), c)};
}
KEOPS_SCALAR_JVP(DotOp)

// A Gram entry is a dot product whose operands keep to their sides; its
// derivatives are products with the other side's operand.
SmallVector<Value> GramOp::vjp(OpBuilder &b, ArrayRef<Value> cts) {
  Emitter e{b, getLoc()};
  Value c = e.bcast(cts[0], getLhs().getType());
  return {e.mul(getRhs(), c), e.mul(getLhs(), c)};
}
KEOPS_SCALAR_JVP(GramOp)

SmallVector<Value> SqDistOp::vjp(OpBuilder &b, ArrayRef<Value> cts) {
  Emitter e{b, getLoc()}; // +-2 (a - b) e
  if (!cts[0])
    return {Value(), Value()};
  // (Operands made in statements: the IR's order does not depend on the
  // C++ compiler's order of evaluating arguments.)
  Value c = e.bcast(cts[0], getLhs().getType());
  Value g = e.scale(e.mul(e.sub(getLhs(), getRhs()), c), 2.0);
  return {g, e.neg(g)};
}
KEOPS_SCALAR_JVP(SqDistOp)

/// Cotangents of (w, x) for weightedsqnorm(w, x) and cotangent c.
static std::pair<Value, Value> wsqnormVjp(Emitter &e, Value w, Value x,
                                          Value c) {
  if (!c)
    return {};
  int64_t dw = formulaDim(w), d = formulaDim(x);
  Type xt = x.getType(), wt = w.getType();
  if (dw == 1) { // w |x|^2
    Value vw = e.mul(c, SqNorm2Op::create(e.b, e.loc, x));
    Value vx = e.scale(e.mul(x, e.bcast(e.mul(w, c), xt)), 2.0);
    return {vw, vx};
  }
  Value cx = e.bcast(c, xt);
  if (dw == d) // sum w_k x_k^2
    return {e.mul(e.mul(x, x), cx), e.scale(e.mul(e.mul(w, x), cx), 2.0)};
  // x^T W x
  Value vw = e.mul(e.bcast(c, wt), TensorProdOp::create(e.b, e.loc, x, x));
  Value wx = MatVecMultOp::create(e.b, e.loc, w, x);
  Value xw = VecMatMultOp::create(e.b, e.loc, x, w);
  return {vw, e.mul(cx, e.add(wx, xw))};
}
SmallVector<Value> WeightedSqNormOp::vjp(OpBuilder &b, ArrayRef<Value> cts) {
  Emitter e{b, getLoc()};
  auto [vw, vx] = wsqnormVjp(e, getWeight(), getX(), cts[0]);
  return {vw, vx};
}
KEOPS_SCALAR_JVP(WeightedSqNormOp)
SmallVector<Value> WeightedSqDistOp::vjp(OpBuilder &b, ArrayRef<Value> cts) {
  Emitter e{b, getLoc()};
  auto [vw, vd] = wsqnormVjp(e, getWeight(), e.sub(getX(), getY()), cts[0]);
  return {vw, vd, e.neg(vd)};
}
KEOPS_SCALAR_JVP(WeightedSqDistOp)

//===----------------------------------------------------------------------===//
// Products (multilinear: jvp = sum over operands of the op on one tangent).
//===----------------------------------------------------------------------===//

#define KEOPS_MULTILINEAR_JVP(OP)                                              \
  Value OP::jvp(OpBuilder &b, ArrayRef<Value> ts) {                            \
    Emitter e{b, getLoc()};                                                    \
    return multilinearJvp(e, getOperation(), ts);                              \
  }

SmallVector<Value> MatVecMultOp::vjp(OpBuilder &b, ArrayRef<Value> cts) {
  if (!cts[0])
    return {Value(), Value()};
  return {TensorProdOp::create(b, getLoc(), cts[0], getX()),
          VecMatMultOp::create(b, getLoc(), cts[0], getMatrix())};
}
KEOPS_MULTILINEAR_JVP(MatVecMultOp)

SmallVector<Value> VecMatMultOp::vjp(OpBuilder &b, ArrayRef<Value> cts) {
  if (!cts[0])
    return {Value(), Value()};
  return {MatVecMultOp::create(b, getLoc(), getMatrix(), cts[0]),
          TensorProdOp::create(b, getLoc(), getX(), cts[0])};
}
KEOPS_MULTILINEAR_JVP(VecMatMultOp)

SmallVector<Value> TensorProdOp::vjp(OpBuilder &b, ArrayRef<Value> cts) {
  if (!cts[0])
    return {Value(), Value()};
  return {MatVecMultOp::create(b, getLoc(), cts[0], getRhs()),
          VecMatMultOp::create(b, getLoc(), getLhs(), cts[0])};
}
KEOPS_MULTILINEAR_JVP(TensorProdOp)

/// Row-major flat index of `idx` (over `order`'s axes of `shape`).
static int64_t flatIndex(ArrayRef<int64_t> shape, ArrayRef<int64_t> idx,
                         ArrayRef<int64_t> order) {
  int64_t flat = 0;
  for (int64_t a : order)
    flat = flat * shape[a] + idx[a];
  return flat;
}

/// `v` holds a tensor of shape `shape` whose axes are stored in the order
/// `order` (a permutation); returns it with its axes in natural order.
static Value permuteAxes(Emitter &e, Value v, ArrayRef<int64_t> shape,
                         ArrayRef<int64_t> order) {
  int64_t n = formulaDim(v);
  SmallVector<int64_t> mask(n), idx(shape.size());
  bool identity = true;
  for (int64_t p = 0; p < n; ++p) {
    int64_t rest = p;
    for (int64_t a = shape.size() - 1; a >= 0; --a) {
      idx[a] = rest % shape[a];
      rest /= shape[a];
    }
    mask[p] = flatIndex(shape, idx, order);
    identity &= mask[p] == p;
  }
  if (identity)
    return v;
  return vector::ShuffleOp::create(e.b, e.loc, v, v, mask);
}

SmallVector<Value> TensorDotOp::vjp(OpBuilder &b, ArrayRef<Value> cts) {
  Value c = cts[0];
  if (!c)
    return {Value(), Value()};
  Emitter e{b, getLoc()};
  ArrayRef<int64_t> ls = getLhsShape(), rs = getRhsShape();
  ArrayRef<int64_t> lc = getLhsContract(), rc = getRhsContract();
  SmallVector<int64_t> lfree, rfree, cs;
  for (int64_t a = 0; a < int64_t(ls.size()); ++a)
    if (!llvm::is_contained(lc, a))
      lfree.push_back(a);
  for (int64_t a = 0; a < int64_t(rs.size()); ++a)
    if (!llvm::is_contained(rc, a))
      rfree.push_back(a);
  for (int64_t a : lfree)
    cs.push_back(ls[a]);
  for (int64_t a : rfree)
    cs.push_back(rs[a]);
  bool dummy = cs.empty(); // everything contracted: c has one entry
  if (dummy)
    cs.push_back(1);
  int64_t nl = lfree.size(), nr = rfree.size();
  auto partner = [](ArrayRef<int64_t> from, ArrayRef<int64_t> to, int64_t a) {
    return to[llvm::find(from, a) - from.begin()];
  };
  // d lhs: contract c's rhs-free axes with rhs's free axes. Result axes: the
  // lhs free axes, then rhs's contracted axes (ascending), i.e. their lhs
  // partners.
  SmallVector<int64_t> cAxes, lOrder(lfree);
  for (int64_t k = 0; k < nr; ++k)
    cAxes.push_back(nl + k);
  for (int64_t a = 0; a < int64_t(rs.size()); ++a)
    if (llvm::is_contained(rc, a))
      lOrder.push_back(partner(rc, lc, a));
  Value dl = TensorDotOp::create(b, e.loc, c, getRhs(), cs, rs, cAxes, rfree);
  dl = permuteAxes(e, dl, ls, lOrder);
  // d rhs: contract lhs's free axes with c's first nl axes. Result axes:
  // lhs's contracted axes (ascending; their rhs partners), then rhs free.
  SmallVector<int64_t> cAxes2, rOrder;
  for (int64_t k = 0; k < nl; ++k)
    cAxes2.push_back(k);
  for (int64_t a = 0; a < int64_t(ls.size()); ++a)
    if (llvm::is_contained(lc, a))
      rOrder.push_back(partner(lc, rc, a));
  rOrder.append(rfree);
  Value dr = TensorDotOp::create(b, e.loc, getLhs(), c, ls, cs, lfree, cAxes2);
  dr = permuteAxes(e, dr, rs, rOrder);
  return {dl, dr};
}
KEOPS_MULTILINEAR_JVP(TensorDotOp)

SmallVector<Value> KronOp::vjp(OpBuilder &b, ArrayRef<Value> cts) {
  Value c = cts[0];
  if (!c)
    return {Value(), Value()};
  // c viewed with shape (a0, b0, a1, b1, ...): contract the b axes with rhs
  // for d lhs, the a axes with lhs for d rhs.
  ArrayRef<int64_t> ls = getLhsShape(), rs = getRhsShape();
  SmallVector<int64_t> cs, aAxes, bAxes, all;
  for (size_t k = 0; k < ls.size(); ++k) {
    cs.append({ls[k], rs[k]});
    aAxes.push_back(2 * k);
    bAxes.push_back(2 * k + 1);
    all.push_back(k);
  }
  return {TensorDotOp::create(b, getLoc(), c, getRhs(), cs, rs, bAxes, all),
          TensorDotOp::create(b, getLoc(), c, getLhs(), cs, ls, aAxes, all)};
}
KEOPS_MULTILINEAR_JVP(KronOp)

//===----------------------------------------------------------------------===//
// Index variables: a selection, linear in v; the indices get no gradient.
//===----------------------------------------------------------------------===//

SmallVector<Value> SelectIndexOp::vjp(OpBuilder &b, ArrayRef<Value> cts) {
  if (!cts[0])
    return {Value(), Value()};
  return {Value(), SelectIndexOp::create(b, getLoc(), getIdx(), cts[0],
                                         getAxisAttr())};
}
Value SelectIndexOp::jvp(OpBuilder &b, ArrayRef<Value> ts) {
  if (!ts[1])
    return {};
  return SelectIndexOp::create(b, getLoc(), getIdx(), ts[1], getAxisAttr());
}
