//===- UpstreamDerivatives.cpp - derivative rules of upstream formula ops -===//
//
// KeopsDifferentiable as external models for the arith, math and vector ops
// that formulas may hold (isFormulaOp and isExpandedFormulaOp). Attached by
// the keops dialect's initialize(), which loads arith, math and vector first.
// Rules work on scalars and on vectors. floor, ceil, round, trunc, cmpf,
// uitofp and the i1 logic ops are piecewise constant: zero derivative.
//
//===----------------------------------------------------------------------===//

#include "DerivativeHelpers.h"

#include <cmath>

using namespace mlir;
using namespace mlir::keops;
using namespace mlir::keops::ad;
using arith::CmpFPredicate;

namespace {

using Partials = SmallVector<Value> (*)(Emitter &, Operation *);

/// A pointwise op with partial derivatives `P` (one per operand, null: 0).
template <typename OpT, Partials P>
struct Pointwise
    : KeopsDifferentiable::ExternalModel<Pointwise<OpT, P>, OpT> {
  SmallVector<Value> vjp(Operation *op, OpBuilder &b,
                         ArrayRef<Value> cts) const {
    if (!cts[0])
      return SmallVector<Value>(op->getNumOperands(), Value());
    Emitter e{b, op->getLoc()};
    return pointwiseVjp(e, P(e, op), cts[0]);
  }
  Value jvp(Operation *op, OpBuilder &b, ArrayRef<Value> ts) const {
    Emitter e{b, op->getLoc()};
    return pointwiseJvp(e, P(e, op), ts);
  }
};

/// Piecewise-constant ops.
template <typename OpT>
struct Zero : KeopsDifferentiable::ExternalModel<Zero<OpT>, OpT> {
  SmallVector<Value> vjp(Operation *op, OpBuilder &, ArrayRef<Value>) const {
    return SmallVector<Value>(op->getNumOperands(), Value());
  }
  Value jvp(Operation *, OpBuilder &, ArrayRef<Value>) const { return {}; }
};

/// Ops linear in their operands, with a vjp given by `V`.
using LinearVjp = SmallVector<Value> (*)(Emitter &, Operation *, Value);
template <typename OpT, LinearVjp V>
struct Linear : KeopsDifferentiable::ExternalModel<Linear<OpT, V>, OpT> {
  SmallVector<Value> vjp(Operation *op, OpBuilder &b,
                         ArrayRef<Value> cts) const {
    if (!cts[0])
      return SmallVector<Value>(op->getNumOperands(), Value());
    Emitter e{b, op->getLoc()};
    return V(e, op, cts[0]);
  }
  Value jvp(Operation *op, OpBuilder &b, ArrayRef<Value> ts) const {
    Emitter e{b, op->getLoc()};
    return linearJvp(e, op, ts);
  }
};

Value x0(Operation *op) { return op->getOperand(0); }
Value x1(Operation *op) { return op->getOperand(1); }
Value res(Operation *op) { return op->getResult(0); }
Value one(Emitter &e, Operation *op) { return e.cst(res(op).getType(), 1.0); }
template <typename OpT> Value un(Emitter &e, Value x) {
  return e.op<OpT>(x);
}

//===----------------------------------------------------------------------===//
// Partial derivatives of pointwise ops.
//===----------------------------------------------------------------------===//

SmallVector<Value> dMul(Emitter &, Operation *op) { return {x1(op), x0(op)}; }
SmallVector<Value> dDiv(Emitter &e, Operation *op) { // 1/b, -(a/b)/b
  return {e.div(one(e, op), x1(op)), e.neg(e.div(res(op), x1(op)))};
}
SmallVector<Value> dMax(Emitter &e, Operation *op) {
  Value m = e.mask(CmpFPredicate::OGE, x0(op), x1(op));
  return {m, e.oneMinus(m)};
}
SmallVector<Value> dMin(Emitter &e, Operation *op) {
  Value m = e.mask(CmpFPredicate::OLE, x0(op), x1(op));
  return {m, e.oneMinus(m)};
}
SmallVector<Value> dExp(Emitter &, Operation *op) { return {res(op)}; }
SmallVector<Value> dLog(Emitter &e, Operation *op) {
  return {e.div(one(e, op), x0(op))};
}
SmallVector<Value> dSin(Emitter &e, Operation *op) {
  return {un<math::CosOp>(e, x0(op))};
}
SmallVector<Value> dCos(Emitter &e, Operation *op) {
  return {e.neg(un<math::SinOp>(e, x0(op)))};
}
SmallVector<Value> dTan(Emitter &e, Operation *op) { // 1 + tan^2
  return {e.add(one(e, op), e.mul(res(op), res(op)))};
}
SmallVector<Value> dAsin(Emitter &e, Operation *op) { // 1 / sqrt(1 - x^2)
  return {un<math::RsqrtOp>(e, e.oneMinus(e.mul(x0(op), x0(op))))};
}
SmallVector<Value> dAcos(Emitter &e, Operation *op) {
  return {e.neg(dAsin(e, op)[0])};
}
SmallVector<Value> dAtan(Emitter &e, Operation *op) { // 1 / (1 + x^2)
  return {e.div(one(e, op), e.add(one(e, op), e.mul(x0(op), x0(op))))};
}
SmallVector<Value> dAtan2(Emitter &e, Operation *op) { // atan2(y, x)
  Value y = x0(op), x = x1(op);
  Value q = e.add(e.mul(x, x), e.mul(y, y));
  return {e.div(x, q), e.neg(e.div(y, q))};
}
SmallVector<Value> dSinh(Emitter &e, Operation *op) {
  return {un<math::CoshOp>(e, x0(op))};
}
SmallVector<Value> dCosh(Emitter &e, Operation *op) {
  return {un<math::SinhOp>(e, x0(op))};
}
SmallVector<Value> dTanh(Emitter &e, Operation *op) {
  return {e.oneMinus(e.mul(res(op), res(op)))};
}
SmallVector<Value> dSqrt(Emitter &e, Operation *op) { // 0.5 / sqrt(x), 0 at 0
  return {e.divOrZero(e.cst(res(op).getType(), 0.5), res(op))};
}
SmallVector<Value> dRsqrt(Emitter &e, Operation *op) { // -0.5 rsqrt(x) / x
  return {e.scale(e.div(res(op), x0(op)), -0.5)};
}
SmallVector<Value> dAbs(Emitter &e, Operation *op) { // copysign(1, x)
  return {e.op<math::CopySignOp>(one(e, op), x0(op))};
}
SmallVector<Value> dPowF(Emitter &e, Operation *op) { // p a^(p-1), a^p log a
  Value a = x0(op), p = x1(op);
  Value pm1 = e.op<math::PowFOp>(a, e.sub(p, one(e, op)));
  return {e.mul(p, pm1), e.mul(res(op), un<math::LogOp>(e, a))};
}
SmallVector<Value> dErf(Emitter &e, Operation *op) { // 2/sqrt(pi) e^(-x^2)
  Value g = un<math::ExpOp>(e, e.neg(e.mul(x0(op), x0(op))));
  return {e.scale(g, 2.0 / std::sqrt(M_PI))};
}
SmallVector<Value> dFma(Emitter &e, Operation *op) { // a b + c
  return {x1(op), x0(op), one(e, op)};
}
SmallVector<Value> dCopySign(Emitter &e, Operation *op) { // |a| sgn(b)
  Value sa = math::CopySignOp::create(e.b, e.loc, one(e, op), x0(op));
  Value sb = math::CopySignOp::create(e.b, e.loc, one(e, op), x1(op));
  return {e.mul(sa, sb), Value()};
}

//===----------------------------------------------------------------------===//
// Linear ops: vjp given the (non-null) cotangent of the result.
//===----------------------------------------------------------------------===//

SmallVector<Value> vAdd(Emitter &, Operation *, Value c) { return {c, c}; }
SmallVector<Value> vSub(Emitter &e, Operation *, Value c) {
  return {c, e.neg(c)};
}
SmallVector<Value> vNeg(Emitter &e, Operation *, Value c) { return {e.neg(c)}; }

SmallVector<Value> vBroadcast(Emitter &e, Operation *op, Value c) {
  Type src = x0(op).getType();
  if (src == c.getType())
    return {c};
  auto rt = dyn_cast<VectorType>(c.getType());
  if (!rt || rt.getRank() != 1)
    return {};
  if (!isa<VectorType>(src)) // scalar -> vector<D>
    return {vector::ReductionOp::create(e.b, e.loc,
                                        vector::CombiningKind::ADD, c)};
  return {SumOp::create(e.b, e.loc, c)}; // vector<1> -> vector<D>
}

/// Scatters `c` (dimension n) into a zero vector<d>: position k gets
/// c[where[k]], or 0 where where[k] < 0.
Value scatter(Emitter &e, Value c, int64_t d, ArrayRef<int64_t> where) {
  auto ct = cast<VectorType>(c.getType());
  Value zero = e.cst(VectorType::get({1}, ct.getElementType()), 0.0);
  SmallVector<int64_t> mask;
  for (int64_t k = 0; k < d; ++k)
    mask.push_back(where[k] < 0 ? ct.getDimSize(0) : where[k]);
  return vector::ShuffleOp::create(e.b, e.loc, c, zero, mask);
}

SmallVector<Value> vSlice(Emitter &e, Operation *op, Value c) {
  auto slice = cast<vector::ExtractStridedSliceOp>(op);
  auto st = slice.getSourceVectorType();
  if (st.getRank() != 1)
    return {};
  int64_t off = cast<IntegerAttr>(slice.getOffsets()[0]).getInt();
  int64_t size = cast<IntegerAttr>(slice.getSizes()[0]).getInt();
  int64_t stride = cast<IntegerAttr>(slice.getStrides()[0]).getInt();
  SmallVector<int64_t> where(st.getDimSize(0), -1);
  for (int64_t k = 0; k < size; ++k)
    where[off + k * stride] = k;
  return {scatter(e, c, st.getDimSize(0), where)};
}

SmallVector<Value> vShuffle(Emitter &e, Operation *op, Value c) {
  auto sh = cast<vector::ShuffleOp>(op);
  if (sh.getV1VectorType().getRank() != 1)
    return {};
  int64_t n1 = sh.getV1VectorType().getDimSize(0);
  ArrayRef<int64_t> mask = sh.getMask();
  SmallVector<Value> out;
  for (auto [k, v] : llvm::enumerate(op->getOperands())) {
    int64_t d = cast<VectorType>(v.getType()).getDimSize(0);
    int64_t base = k == 0 ? 0 : n1;
    // An entry may be picked several times: one scatter per repetition.
    Value acc;
    for (int64_t rep = 0;; ++rep) {
      SmallVector<int64_t> where(d, -1);
      bool any = false;
      for (int64_t i = 0; i < d; ++i) {
        int64_t seen = 0;
        for (auto [p, m] : llvm::enumerate(mask))
          if (m == base + i && seen++ == rep) {
            where[i] = p;
            any = true;
            break;
          }
      }
      if (!any)
        break;
      acc = e.add(acc, scatter(e, c, d, where));
    }
    out.push_back(acc);
  }
  return out;
}

SmallVector<Value> vExtract(Emitter &e, Operation *op, Value c) {
  auto ex = cast<vector::ExtractOp>(op);
  if (!ex.getDynamicPosition().empty())
    return {};
  Value zero = e.cst(ex.getSource().getType(), 0.0);
  return {vector::InsertOp::create(e.b, e.loc, c, zero,
                                   ex.getStaticPosition())};
}

SmallVector<Value> vInsert(Emitter &e, Operation *op, Value c) {
  auto ins = cast<vector::InsertOp>(op);
  if (!ins.getDynamicPosition().empty())
    return {};
  ArrayRef<int64_t> pos = ins.getStaticPosition();
  Value vs = vector::ExtractOp::create(e.b, e.loc, c, pos);
  Value zero = e.cst(ins.getValueToStore().getType(), 0.0);
  Value vd = vector::InsertOp::create(e.b, e.loc, zero, c, pos);
  return {vs, vd};
}

SmallVector<Value> vFromElements(Emitter &e, Operation *op, Value c) {
  if (cast<VectorType>(c.getType()).getRank() != 1)
    return {};
  SmallVector<Value> out;
  for (int64_t k = 0; k < op->getNumOperands(); ++k)
    out.push_back(vector::ExtractOp::create(e.b, e.loc, c, ArrayRef<int64_t>{k}));
  return out;
}

/// vector.reduction: add (with an optional accumulator), mul, max, min.
struct Reduction
    : KeopsDifferentiable::ExternalModel<Reduction, vector::ReductionOp> {
  SmallVector<Value> vjp(Operation *o, OpBuilder &b,
                         ArrayRef<Value> cts) const {
    auto op = cast<vector::ReductionOp>(o);
    Value c = cts[0];
    if (!c)
      return SmallVector<Value>(o->getNumOperands(), Value());
    Emitter e{b, op.getLoc()};
    Type vt = op.getVector().getType();
    Value cv = e.bcast(c, vt);
    using K = vector::CombiningKind;
    K kind = op.getKind();
    if (kind == K::ADD)
      return op.getAcc() ? SmallVector<Value>{cv, c} : SmallVector<Value>{cv};
    if (op.getAcc())
      return {};
    Value r = e.bcast(res(o), vt);
    if (kind == K::MUL) // r / x_k
      return {e.mul(cv, e.div(r, op.getVector()))};
    if (kind == K::MAXNUMF || kind == K::MAXIMUMF || kind == K::MINNUMF ||
        kind == K::MINIMUMF)
      return {e.mul(cv, e.mask(CmpFPredicate::OEQ, op.getVector(), r))};
    return {};
  }
  Value jvp(Operation *o, OpBuilder &b, ArrayRef<Value> ts) const {
    if (llvm::all_of(ts, [](Value t) { return !t; }))
      return {};
    Emitter e{b, o->getLoc()};
    SmallVector<Value> g = vjp(o, b, {e.cst(res(o).getType(), 1.0)});
    if (g.empty())
      return {};
    Value out;
    for (auto [gk, tk] : llvm::zip(g, ts))
      if (Value p = e.mul(gk, tk))
        out = e.add(out, isa<VectorType>(p.getType())
                             ? Value(vector::ReductionOp::create(
                                   e.b, e.loc, vector::CombiningKind::ADD, p))
                             : p);
    return out;
  }
};

/// arith.select: the cotangent goes to the selected operand.
struct Select : KeopsDifferentiable::ExternalModel<Select, arith::SelectOp> {
  SmallVector<Value> vjp(Operation *o, OpBuilder &b,
                         ArrayRef<Value> cts) const {
    auto op = cast<arith::SelectOp>(o);
    Value c = cts[0];
    if (!c)
      return {Value(), Value(), Value()};
    Emitter e{b, op.getLoc()};
    Value zero = e.cst(c.getType(), 0.0);
    Value cond = op.getCondition();
    return {Value(), arith::SelectOp::create(b, e.loc, cond, c, zero),
            arith::SelectOp::create(b, e.loc, cond, zero, c)};
  }
  Value jvp(Operation *o, OpBuilder &b, ArrayRef<Value> ts) const {
    if (!ts[1] && !ts[2])
      return {};
    Emitter e{b, o->getLoc()};
    Type t = res(o).getType();
    return arith::SelectOp::create(b, e.loc, o->getOperand(0),
                                   ts[1] ? ts[1] : e.cst(t, 0.0),
                                   ts[2] ? ts[2] : e.cst(t, 0.0));
  }
};

} // namespace

namespace mlir::keops {
void attachUpstreamDerivatives(MLIRContext *ctx) {
  // arith
  arith::AddFOp::attachInterface<Linear<arith::AddFOp, vAdd>>(*ctx);
  arith::SubFOp::attachInterface<Linear<arith::SubFOp, vSub>>(*ctx);
  arith::NegFOp::attachInterface<Linear<arith::NegFOp, vNeg>>(*ctx);
  arith::MulFOp::attachInterface<Pointwise<arith::MulFOp, dMul>>(*ctx);
  arith::DivFOp::attachInterface<Pointwise<arith::DivFOp, dDiv>>(*ctx);
  arith::MaximumFOp::attachInterface<Pointwise<arith::MaximumFOp, dMax>>(*ctx);
  arith::MinimumFOp::attachInterface<Pointwise<arith::MinimumFOp, dMin>>(*ctx);
  arith::SelectOp::attachInterface<Select>(*ctx);
  arith::ConstantOp::attachInterface<Zero<arith::ConstantOp>>(*ctx);
  arith::CmpFOp::attachInterface<Zero<arith::CmpFOp>>(*ctx);
  arith::UIToFPOp::attachInterface<Zero<arith::UIToFPOp>>(*ctx);
  arith::AndIOp::attachInterface<Zero<arith::AndIOp>>(*ctx);
  arith::OrIOp::attachInterface<Zero<arith::OrIOp>>(*ctx);
  arith::XOrIOp::attachInterface<Zero<arith::XOrIOp>>(*ctx);
  // math
  math::ExpOp::attachInterface<Pointwise<math::ExpOp, dExp>>(*ctx);
  math::LogOp::attachInterface<Pointwise<math::LogOp, dLog>>(*ctx);
  math::SinOp::attachInterface<Pointwise<math::SinOp, dSin>>(*ctx);
  math::CosOp::attachInterface<Pointwise<math::CosOp, dCos>>(*ctx);
  math::TanOp::attachInterface<Pointwise<math::TanOp, dTan>>(*ctx);
  math::AsinOp::attachInterface<Pointwise<math::AsinOp, dAsin>>(*ctx);
  math::AcosOp::attachInterface<Pointwise<math::AcosOp, dAcos>>(*ctx);
  math::AtanOp::attachInterface<Pointwise<math::AtanOp, dAtan>>(*ctx);
  math::Atan2Op::attachInterface<Pointwise<math::Atan2Op, dAtan2>>(*ctx);
  math::SinhOp::attachInterface<Pointwise<math::SinhOp, dSinh>>(*ctx);
  math::CoshOp::attachInterface<Pointwise<math::CoshOp, dCosh>>(*ctx);
  math::TanhOp::attachInterface<Pointwise<math::TanhOp, dTanh>>(*ctx);
  math::SqrtOp::attachInterface<Pointwise<math::SqrtOp, dSqrt>>(*ctx);
  math::RsqrtOp::attachInterface<Pointwise<math::RsqrtOp, dRsqrt>>(*ctx);
  math::AbsFOp::attachInterface<Pointwise<math::AbsFOp, dAbs>>(*ctx);
  math::PowFOp::attachInterface<Pointwise<math::PowFOp, dPowF>>(*ctx);
  math::ErfOp::attachInterface<Pointwise<math::ErfOp, dErf>>(*ctx);
  math::FmaOp::attachInterface<Pointwise<math::FmaOp, dFma>>(*ctx);
  math::CopySignOp::attachInterface<Pointwise<math::CopySignOp, dCopySign>>(
      *ctx);
  math::FloorOp::attachInterface<Zero<math::FloorOp>>(*ctx);
  math::CeilOp::attachInterface<Zero<math::CeilOp>>(*ctx);
  math::RoundOp::attachInterface<Zero<math::RoundOp>>(*ctx);
  math::TruncOp::attachInterface<Zero<math::TruncOp>>(*ctx);
  // vector
  vector::BroadcastOp::attachInterface<
      Linear<vector::BroadcastOp, vBroadcast>>(*ctx);
  vector::ExtractStridedSliceOp::attachInterface<
      Linear<vector::ExtractStridedSliceOp, vSlice>>(*ctx);
  vector::ShuffleOp::attachInterface<Linear<vector::ShuffleOp, vShuffle>>(
      *ctx);
  vector::ExtractOp::attachInterface<Linear<vector::ExtractOp, vExtract>>(
      *ctx);
  vector::InsertOp::attachInterface<Linear<vector::InsertOp, vInsert>>(*ctx);
  vector::FromElementsOp::attachInterface<
      Linear<vector::FromElementsOp, vFromElements>>(*ctx);
  vector::FMAOp::attachInterface<Pointwise<vector::FMAOp, dFma>>(*ctx);
  vector::ReductionOp::attachInterface<Reduction>(*ctx);
}
} // namespace mlir::keops
