//===- ExpandFormulas.cpp - keops formula ops to arith, math, vector -----===//
//
// One pattern per keops formula op. Each expansion has exactly the op's
// documented semantics (the reference is lib/Interpreter/FormulaEval.cpp and
// include/keops/Dialect/FormulaSemantics.h), NaN, infinities and signed zeros
// included:
//  - special values go through compare / select (never maximumf/minimumf,
//    whose -0/+0 and NaN rules differ from keops');
//  - sums start from +0 and add in the interpreter's order (vector.reduction
//    <add>, or a chain of addf on a +0 vector), so -0 terms give +0 as there;
//  - composite ops are rewritten into simpler keops ops (sqnorm2 -> dot,
//    sqdist -> sqnorm2, ...) that the greedy driver expands in turn.
// Values of dimension 1 stay vector<1xT> (constants must be dense vectors);
// the only scalars are the results of vector.reduction, broadcast at once.
// keops.select_index stays: it needs the loop indices, which only the
// backends have.
//
//===----------------------------------------------------------------------===//

#include "keops/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/APFloat.h"

#include <cmath>

namespace mlir::keops {
#define GEN_PASS_DEF_KEOPSEXPANDFORMULAS
#include "KeopsPasses.h.inc"
} // namespace mlir::keops

using namespace mlir;
using namespace mlir::keops;
using arith::CmpFPredicate;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// Emits upstream ops at one location; every helper works on vector<D x T>.
struct Emitter {
  PatternRewriter &rw;
  Location loc;

  static VectorType typeOf(Value v) { return cast<VectorType>(v.getType()); }
  static int64_t dimOf(Value v) { return typeOf(v).getDimSize(0); }
  static VectorType withDim(Value v, int64_t d) {
    return VectorType::get({d}, typeOf(v).getElementType());
  }

  /// `value` in the semantics of `type`'s element type, rounded to nearest.
  static APFloat toElement(VectorType type, double value,
                           bool *exact = nullptr) {
    APFloat f(value);
    bool lost = false;
    f.convert(cast<FloatType>(type.getElementType()).getFloatSemantics(),
              APFloat::rmNearestTiesToEven, &lost);
    if (exact)
      *exact = !lost;
    return f;
  }

  /// A dense constant of type `type` (vector<D x T>) holding `values`.
  Value constant(VectorType type, ArrayRef<APFloat> values) {
    return arith::ConstantOp::create(rw, loc, type,
                                     DenseElementsAttr::get(type, values));
  }
  Value constant(VectorType type, ArrayRef<double> values) {
    SmallVector<APFloat> floats;
    for (double v : values)
      floats.push_back(toElement(type, v));
    return constant(type, floats);
  }
  Value splat(VectorType type, double value) {
    return constant(type, ArrayRef<APFloat>{toElement(type, value)});
  }
  Value splat(VectorType type, const APFloat &value) {
    return constant(type, ArrayRef<APFloat>{value});
  }
  Value splatLike(Value v, double value) { return splat(typeOf(v), value); }

  Value cmp(CmpFPredicate p, Value a, Value b) {
    return arith::CmpFOp::create(rw, loc, p, a, b);
  }
  Value select(Value c, Value a, Value b) {
    return arith::SelectOp::create(rw, loc, c, a, b);
  }
  Value add(Value a, Value b) { return arith::AddFOp::create(rw, loc, a, b); }
  Value sub(Value a, Value b) { return arith::SubFOp::create(rw, loc, a, b); }
  Value mul(Value a, Value b) { return arith::MulFOp::create(rw, loc, a, b); }
  Value div(Value a, Value b) { return arith::DivFOp::create(rw, loc, a, b); }
  Value andi(Value a, Value b) { return arith::AndIOp::create(rw, loc, a, b); }

  /// |v| < inf: false for infinities and NaN.
  Value isFinite(Value v) {
    return cmp(CmpFPredicate::OLT, math::AbsFOp::create(rw, loc, v),
               splatLike(v, INFINITY));
  }

  /// Component k of v as a vector<1xT>.
  Value component(Value v, int64_t k) {
    if (dimOf(v) == 1)
      return v;
    return vector::ExtractStridedSliceOp::create(rw, loc, v, {k}, {1}, {1});
  }
  /// Components [offset, offset + size) of v.
  Value slice(Value v, int64_t offset, int64_t size) {
    if (offset == 0 && size == dimOf(v))
      return v;
    return vector::ExtractStridedSliceOp::create(rw, loc, v, {offset}, {size},
                                                 {1});
  }
  /// The vector (v[mask[0]], v[mask[1]], ...): a slice for a contiguous
  /// mask, a broadcast for a constant one, a shuffle otherwise.
  Value gather(Value v, ArrayRef<int64_t> mask) {
    int64_t n = mask.size();
    bool contiguous = true, repeated = true;
    for (int64_t k = 1; k < n; ++k) {
      contiguous &= mask[k] == mask[0] + k;
      repeated &= mask[k] == mask[0];
    }
    if (contiguous)
      return slice(v, mask[0], n);
    if (repeated)
      return broadcast(component(v, mask[0]), n);
    return vector::ShuffleOp::create(rw, loc, v, v, mask);
  }
  /// A vector<1xT> (or scalar) repeated to dimension d.
  Value broadcast(Value v, int64_t d) {
    auto type = dyn_cast<VectorType>(v.getType());
    Type elt = type ? type.getElementType() : v.getType();
    if (type && type.getDimSize(0) == d)
      return v;
    return vector::BroadcastOp::create(rw, loc, VectorType::get({d}, elt), v);
  }
  /// 0 + v[0] + v[1] + ... as a vector<1xT>, in the interpreter's order.
  Value sum(Value v) {
    Value s =
        vector::ReductionOp::create(rw, loc, vector::CombiningKind::ADD, v);
    return broadcast(s, 1);
  }
};

/// Every pattern: `expand(op, emitter)` returns the replacement value.
template <typename OpTy>
struct Expand : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override;
};

//===----------------------------------------------------------------------===//
// Pointwise special functions
//===----------------------------------------------------------------------===//

/// -1, +0 (for either zero) or +1; NaN stays NaN.
Value expand(SignOp op, Emitter &b) {
  Value x = op.getX();
  Value zero = b.splatLike(x, 0.0);
  Value r = b.select(b.cmp(CmpFPredicate::OGT, x, zero), b.splatLike(x, 1.0),
                     zero);
  r = b.select(b.cmp(CmpFPredicate::OLT, x, zero), b.splatLike(x, -1.0), r);
  return b.select(b.cmp(CmpFPredicate::UNO, x, x), x, r);
}

/// 0 for x < 0, 1 for x >= 0; NaN stays NaN.
Value expand(StepOp op, Emitter &b) {
  Value x = op.getX();
  Value zero = b.splatLike(x, 0.0);
  Value r = b.select(b.cmp(CmpFPredicate::OGE, x, zero), b.splatLike(x, 1.0),
                     zero);
  return b.select(b.cmp(CmpFPredicate::UNO, x, x), x, r);
}

/// x < 0 ? 0 : x (so relu(-0) = -0 and NaN stays NaN).
Value expand(ReluOp op, Emitter &b) {
  Value x = op.getX();
  Value zero = b.splatLike(x, 0.0);
  return b.select(b.cmp(CmpFPredicate::OLT, x, zero), zero, x);
}

/// x == 0 ? 0 : x * log(x).
Value expand(XLogXOp op, Emitter &b) {
  Value x = op.getX();
  Value zero = b.splatLike(x, 0.0);
  Value xlogx = b.mul(x, math::LogOp::create(b.rw, b.loc, x));
  return b.select(b.cmp(CmpFPredicate::OEQ, x, zero), zero, xlogx);
}

/// x == 0 ? 1 : sin(x) / x.
Value expand(SinXDivXOp op, Emitter &b) {
  Value x = op.getX();
  Value q = b.div(math::SinOp::create(b.rw, b.loc, x), x);
  return b.select(b.cmp(CmpFPredicate::OEQ, x, b.splatLike(x, 0.0)),
                  b.splatLike(x, 1.0), q);
}

/// x^n by repeated squaring; x^0 = 1 for every x; x^-n = 1 / x^n.
Value expand(PowIOp op, Emitter &b) {
  Value x = op.getX();
  int64_t n = static_cast<int64_t>(op.getExponent());
  if (n == 0)
    return b.splatLike(x, 1.0);
  // |n| without overflow for INT64_MIN.
  uint64_t m = n < 0 ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
  Value result, base = x;
  while (true) {
    if (m & 1)
      result = result ? b.mul(result, base) : base;
    m >>= 1;
    if (!m)
      break;
    base = b.mul(base, base);
  }
  return n < 0 ? b.div(b.splatLike(x, 1.0), result) : result;
}

/// semantics::roundDecimals: round(x * 10^d) / 10^d for d >= 0 (x itself
/// when x * 10^d is not finite), round(x / 10^-d) * 10^-d for d < 0 (a
/// signed zero when 10^-d is not finite; x itself when x is not finite),
/// halves away from 0. The scale 10^|d| is
/// std::pow's double, rounded to the element type; for f16 and f32 it is
/// exact up to 10^4 and 10^10.
Value expand(RoundOp op, Emitter &b) {
  Value x = op.getX();
  VectorType type = Emitter::typeOf(x);
  int64_t d = static_cast<int64_t>(op.getDecimals());
  auto signedZero = [&] { // copysign(0, x) for finite x, x otherwise.
    Value zero =
        math::CopySignOp::create(b.rw, b.loc, b.splatLike(x, 0.0), x);
    return b.select(b.isFinite(x), zero, x);
  };
  if (d == 0) // x * 1 is x: round(x), which keeps infinities and NaN.
    return math::RoundOp::create(b.rw, b.loc, x);
  if (d > 340)
    return x;
  if (d < -340)
    return signedZero();
  double scaleDouble = std::pow(10.0, static_cast<double>(d > 0 ? d : -d));
  APFloat scaleValue = Emitter::toElement(type, scaleDouble);
  if (d > 0) {
    // x * inf is never finite: every x is left unchanged.
    if (scaleValue.isInfinity())
      return x;
    Value scale = b.splat(type, scaleValue);
    Value scaled = b.mul(x, scale);
    Value r = b.div(math::RoundOp::create(b.rw, b.loc, scaled), scale);
    return b.select(b.isFinite(scaled), r, x);
  }
  // A scale beyond the element type (or beyond double): every finite x is
  // below half of it and rounds to a signed zero.
  if (scaleValue.isInfinity())
    return signedZero();
  Value scale = b.splat(type, scaleValue);
  // With a finite scale, infinities and NaN go through unchanged.
  return b.mul(math::RoundOp::create(b.rw, b.loc, b.div(x, scale)), scale);
}

/// x < lo ? lo : x > hi ? hi : x.
Value expand(ClampOp op, Emitter &b) {
  Value x = op.getX(), lo = op.getLo(), hi = op.getHi();
  Value r = b.select(b.cmp(CmpFPredicate::OGT, x, hi), hi, x);
  return b.select(b.cmp(CmpFPredicate::OLT, x, lo), lo, r);
}

/// c >= 0 ? a : b (NaN selects b).
Value expand(IfElseOp op, Emitter &b) {
  Value c = op.getCond();
  return b.select(b.cmp(CmpFPredicate::OGE, c, b.splatLike(c, 0.0)), op.getA(),
                  op.getB());
}

/// x - n * floor((x - d) / n).
Value expand(ModOp op, Emitter &b) {
  Value x = op.getX(), n = op.getN();
  Value q = math::FloorOp::create(b.rw, b.loc, b.div(b.sub(x, op.getD()), n));
  return b.sub(x, b.mul(n, q));
}

/// 1 where the ordered comparison holds, 0 elsewhere (`ne` holds for NaN).
Value expand(CmpOp op, Emitter &b) {
  CmpFPredicate p = CmpFPredicate::OEQ;
  switch (op.getPredicate()) {
  case CmpPredicate::LT: p = CmpFPredicate::OLT; break;
  case CmpPredicate::LE: p = CmpFPredicate::OLE; break;
  case CmpPredicate::GT: p = CmpFPredicate::OGT; break;
  case CmpPredicate::GE: p = CmpFPredicate::OGE; break;
  case CmpPredicate::EQ: p = CmpFPredicate::OEQ; break;
  case CmpPredicate::NE: p = CmpFPredicate::UNE; break;
  }
  Value mask = b.cmp(p, op.getLhs(), op.getRhs());
  return arith::UIToFPOp::create(b.rw, b.loc, op.getType(), mask);
}

//===----------------------------------------------------------------------===//
// Reductions over the components
//===----------------------------------------------------------------------===//

Value expand(SumOp op, Emitter &b) { return b.sum(op.getX()); }

/// semantics::extremePosition as a compare / select chain: component k
/// replaces the best so far when the best is not NaN and x_k is NaN or
/// strictly better. Returns the value (or, with `position`, the index as a
/// float).
Value extreme(Value x, bool largest, bool position, Emitter &b) {
  VectorType scalarType = Emitter::withDim(x, 1);
  Value best = b.component(x, 0);
  Value index = position ? b.splat(scalarType, 0.0) : Value();
  for (int64_t k = 1, d = Emitter::dimOf(x); k < d; ++k) {
    Value xk = b.component(x, k);
    Value better = b.cmp(largest ? CmpFPredicate::UGT : CmpFPredicate::ULT,
                         xk, best);
    Value take = b.andi(b.cmp(CmpFPredicate::ORD, best, best), better);
    best = b.select(take, xk, best);
    if (position)
      index =
          b.select(take, b.splat(scalarType, static_cast<double>(k)), index);
  }
  return position ? index : best;
}

Value expand(MaxOp op, Emitter &b) {
  return extreme(op.getX(), /*largest=*/true, /*position=*/false, b);
}
Value expand(MinOp op, Emitter &b) {
  return extreme(op.getX(), /*largest=*/false, /*position=*/false, b);
}
Value expand(ArgMaxOp op, Emitter &b) {
  return extreme(op.getX(), /*largest=*/true, /*position=*/true, b);
}
Value expand(ArgMinOp op, Emitter &b) {
  return extreme(op.getX(), /*largest=*/false, /*position=*/true, b);
}

//===----------------------------------------------------------------------===//
// Norms and distances, each in terms of the previous ones
//===----------------------------------------------------------------------===//

/// sum_k a_k b_k.
Value expand(DotOp op, Emitter &b) {
  return b.sum(b.mul(op.getLhs(), op.getRhs()));
}
/// dot(lhs, rhs), for the backends without Gram tiles.
Value expand(GramOp op, Emitter &b) {
  return DotOp::create(b.rw, b.loc, op.getLhs(), op.getRhs());
}
/// dot(x, x).
Value expand(SqNorm2Op op, Emitter &b) {
  return DotOp::create(b.rw, b.loc, op.getX(), op.getX());
}
/// sqrt(sqnorm2(x)).
Value expand(Norm2Op op, Emitter &b) {
  return math::SqrtOp::create(b.rw, b.loc,
                              SqNorm2Op::create(b.rw, b.loc, op.getX()));
}
/// x / norm2(x) (0 / 0 = NaN for the zero vector).
Value expand(NormalizeOp op, Emitter &b) {
  Value x = op.getX();
  Value n = Norm2Op::create(b.rw, b.loc, x);
  return b.div(x, b.broadcast(n, Emitter::dimOf(x)));
}
/// sqnorm2(a - b).
Value expand(SqDistOp op, Emitter &b) {
  return SqNorm2Op::create(b.rw, b.loc, b.sub(op.getLhs(), op.getRhs()));
}

/// w sqnorm2(x) (dim w = 1), sum_k w_k x_k x_k (dim w = D), or
/// sum_kl x_k w_kl x_l (dim w = D*D), in the reference's order.
Value expand(WeightedSqNormOp op, Emitter &b) {
  Value w = op.getWeight(), x = op.getX();
  int64_t d = Emitter::dimOf(x), dw = Emitter::dimOf(w);
  if (dw == 1)
    return b.mul(w, SqNorm2Op::create(b.rw, b.loc, x));
  if (dw == d)
    return b.sum(b.mul(b.mul(w, x), x));
  SmallVector<int64_t> rows, cols;
  for (int64_t k = 0; k < d; ++k)
    for (int64_t l = 0; l < d; ++l) {
      rows.push_back(k);
      cols.push_back(l);
    }
  Value xk = b.gather(x, rows);
  Value xl = b.gather(x, cols);
  return b.sum(b.mul(b.mul(xk, w), xl));
}
/// weightedsqnorm(w, x - y).
Value expand(WeightedSqDistOp op, Emitter &b) {
  return WeightedSqNormOp::create(b.rw, b.loc, op.getWeight(),
                                  b.sub(op.getX(), op.getY()));
}

//===----------------------------------------------------------------------===//
// Shape-changing ops
//===----------------------------------------------------------------------===//

/// 1 at position round(x) (halves away from 0), 0 elsewhere; all zeros out
/// of range and for NaN. round(x) is compared with the constant positions;
/// a position the element type cannot hold exactly is NaN, which nothing
/// equals.
Value expand(OneHotOp op, Emitter &b) {
  Value x = op.getX();
  int64_t dim = static_cast<int64_t>(op.getDim());
  VectorType type = Emitter::withDim(x, dim);
  SmallVector<APFloat> positions;
  for (int64_t k = 0; k < dim; ++k) {
    bool exact;
    APFloat p = Emitter::toElement(type, static_cast<double>(k), &exact);
    positions.push_back(exact ? p : APFloat::getNaN(p.getSemantics()));
  }
  Value r = b.broadcast(math::RoundOp::create(b.rw, b.loc, x), dim);
  Value mask = b.cmp(CmpFPredicate::OEQ, r, b.constant(type, positions));
  return arith::UIToFPOp::create(b.rw, b.loc, type, mask);
}

/// out = 0 + sum over t of lhs[lhsIndex[t]] * rhs[rhsIndex[t]], one product
/// per term t, added in order; lhsIndex[t] and rhsIndex[t] give, for every
/// output component, the components multiplied in term t.
Value sumOfProducts(Value lhs, Value rhs,
                    ArrayRef<SmallVector<int64_t>> lhsIndex,
                    ArrayRef<SmallVector<int64_t>> rhsIndex, Emitter &b) {
  VectorType type = Emitter::withDim(lhs, lhsIndex.front().size());
  Value acc = b.splat(type, 0.0);
  for (auto [li, ri] : llvm::zip(lhsIndex, rhsIndex)) {
    Value l = b.gather(lhs, li);
    Value r = b.gather(rhs, ri);
    acc = b.add(acc, b.mul(l, r));
  }
  return acc;
}

/// r_i = sum_j A_ij x_j: term j multiplies column j of A by x_j.
Value expand(MatVecMultOp op, Emitter &b) {
  Value a = op.getMatrix(), x = op.getX();
  int64_t cols = Emitter::dimOf(x), rows = Emitter::dimOf(a) / cols;
  SmallVector<SmallVector<int64_t>> li, ri;
  for (int64_t j = 0; j < cols; ++j) {
    li.emplace_back();
    for (int64_t i = 0; i < rows; ++i)
      li.back().push_back(i * cols + j);
    ri.emplace_back(rows, j);
  }
  return sumOfProducts(a, x, li, ri, b);
}

/// r_j = sum_i x_i A_ij: term i multiplies x_i by row i of A.
Value expand(VecMatMultOp op, Emitter &b) {
  Value x = op.getX(), a = op.getMatrix();
  int64_t rows = Emitter::dimOf(x), cols = Emitter::dimOf(a) / rows;
  SmallVector<SmallVector<int64_t>> li, ri;
  for (int64_t i = 0; i < rows; ++i) {
    li.emplace_back(cols, i);
    ri.emplace_back();
    for (int64_t j = 0; j < cols; ++j)
      ri.back().push_back(i * cols + j);
  }
  return sumOfProducts(x, a, li, ri, b);
}

/// (a ⊗ b)[k * dim(b) + l] = a_k b_l: no sum.
Value expand(TensorProdOp op, Emitter &b) {
  Value lhs = op.getLhs(), rhs = op.getRhs();
  int64_t m = Emitter::dimOf(lhs), n = Emitter::dimOf(rhs);
  SmallVector<int64_t> li, ri;
  for (int64_t k = 0; k < m; ++k)
    for (int64_t l = 0; l < n; ++l) {
      li.push_back(k);
      ri.push_back(l);
    }
  Value l = b.gather(lhs, li);
  Value r = b.gather(rhs, ri);
  return b.mul(l, r);
}

/// Row-major strides of `shape`.
SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t k = static_cast<int64_t>(shape.size()) - 2; k >= 0; --k)
    strides[k] = strides[k + 1] * shape[k + 1];
  return strides;
}

/// Advances a row-major multi-index over `shape`; false after the last one.
bool next(SmallVectorImpl<int64_t> &index, ArrayRef<int64_t> shape) {
  for (int64_t k = static_cast<int64_t>(index.size()) - 1; k >= 0; --k) {
    if (++index[k] < shape[k])
      return true;
    index[k] = 0;
  }
  return false;
}

/// One term per contracted multi-index, in row-major order (a single term
/// when nothing is contracted), each gathering the components of lhs and
/// rhs for every output multi-index.
Value expand(TensorDotOp op, Emitter &b) {
  ArrayRef<int64_t> ls = op.getLhsShape(), rs = op.getRhsShape();
  ArrayRef<int64_t> lc = op.getLhsContract(), rc = op.getRhsContract();
  SmallVector<int64_t> lfree, rfree, shape, contractShape;
  for (int64_t k = 0; k < static_cast<int64_t>(ls.size()); ++k)
    if (!llvm::is_contained(lc, k))
      lfree.push_back(k);
  for (int64_t k = 0; k < static_cast<int64_t>(rs.size()); ++k)
    if (!llvm::is_contained(rc, k))
      rfree.push_back(k);
  for (int64_t k : lfree)
    shape.push_back(ls[k]);
  for (int64_t k : rfree)
    shape.push_back(rs[k]);
  for (int64_t k : lc)
    contractShape.push_back(ls[k]);
  SmallVector<int64_t> lstr = stridesOf(ls), rstr = stridesOf(rs);

  SmallVector<SmallVector<int64_t>> li, ri;
  SmallVector<int64_t> c(contractShape.size(), 0);
  do {
    li.emplace_back();
    ri.emplace_back();
    SmallVector<int64_t> idx(shape.size(), 0);
    do {
      int64_t la = 0, ra = 0;
      for (size_t k = 0; k < lfree.size(); ++k)
        la += idx[k] * lstr[lfree[k]];
      for (size_t k = 0; k < rfree.size(); ++k)
        ra += idx[lfree.size() + k] * rstr[rfree[k]];
      for (size_t k = 0; k < c.size(); ++k) {
        la += c[k] * lstr[lc[k]];
        ra += c[k] * rstr[rc[k]];
      }
      li.back().push_back(la);
      ri.back().push_back(ra);
    } while (!idx.empty() && next(idx, shape));
  } while (!c.empty() && next(c, contractShape));
  return sumOfProducts(op.getLhs(), op.getRhs(), li, ri, b);
}

/// out[a * rhs_shape + b] = lhs[a] * rhs[b]: no sum.
Value expand(KronOp op, Emitter &b) {
  ArrayRef<int64_t> ls = op.getLhsShape(), rs = op.getRhsShape();
  SmallVector<int64_t> shape;
  for (size_t k = 0; k < ls.size(); ++k)
    shape.push_back(ls[k] * rs[k]);
  SmallVector<int64_t> lstr = stridesOf(ls), rstr = stridesOf(rs),
                       ostr = stridesOf(shape);
  int64_t n = Emitter::dimOf(op.getLhs()) * Emitter::dimOf(op.getRhs());
  SmallVector<int64_t> li(n, 0), ri(n, 0);
  SmallVector<int64_t> ia(ls.size(), 0);
  do {
    SmallVector<int64_t> ib(rs.size(), 0);
    do {
      int64_t la = 0, rb = 0, o = 0;
      for (size_t k = 0; k < ls.size(); ++k) {
        la += ia[k] * lstr[k];
        rb += ib[k] * rstr[k];
        o += (ia[k] * rs[k] + ib[k]) * ostr[k];
      }
      li[o] = la;
      ri[o] = rb;
    } while (next(ib, rs));
  } while (next(ia, ls));
  Value l = b.gather(op.getLhs(), li);
  Value r = b.gather(op.getRhs(), ri);
  return b.mul(l, r);
}

//===----------------------------------------------------------------------===//
// Complex numbers: (real, imaginary) pairs split into the vectors of their
// real and imaginary parts, computed on, and interleaved again.
//===----------------------------------------------------------------------===//

/// Components start, start + 2, start + 4, ... of v: the real parts for
/// start 0, the imaginary parts for start 1.
Value everyOther(Emitter &b, Value v, int64_t start) {
  SmallVector<int64_t> mask;
  for (int64_t k = start; k < Emitter::dimOf(v); k += 2)
    mask.push_back(k);
  return b.gather(v, mask);
}
Value realPart(Emitter &b, Value v) { return everyOther(b, v, 0); }
Value imagPart(Emitter &b, Value v) { return everyOther(b, v, 1); }
/// The complex vector (re[0], im[0], re[1], im[1], ...).
Value interleave(Emitter &b, Value re, Value im) {
  int64_t d = Emitter::dimOf(re);
  SmallVector<int64_t> mask;
  for (int64_t k = 0; k < d; ++k)
    mask.append({k, d + k});
  return vector::ShuffleOp::create(b.rw, b.loc, re, im, mask);
}

Value expand(ComplexMulOp op, Emitter &b) {
  Value ar = realPart(b, op.getLhs()), ai = imagPart(b, op.getLhs());
  Value br = realPart(b, op.getRhs()), bi = imagPart(b, op.getRhs());
  return interleave(b, b.sub(b.mul(ar, br), b.mul(ai, bi)),
                    b.add(b.mul(ar, bi), b.mul(ai, br)));
}

Value expand(ComplexDivOp op, Emitter &b) {
  Value ar = realPart(b, op.getLhs()), ai = imagPart(b, op.getLhs());
  Value br = realPart(b, op.getRhs()), bi = imagPart(b, op.getRhs());
  Value den = b.add(b.mul(br, br), b.mul(bi, bi));
  return interleave(b, b.div(b.add(b.mul(ar, br), b.mul(ai, bi)), den),
                    b.div(b.sub(b.mul(ai, br), b.mul(ar, bi)), den));
}

Value expand(ConjOp op, Emitter &b) {
  Value x = op.getX();
  return interleave(b, realPart(b, x),
                    arith::NegFOp::create(b.rw, b.loc, imagPart(b, x)));
}

Value expand(ComplexExpOp op, Emitter &b) {
  Value re = realPart(b, op.getX()), im = imagPart(b, op.getX());
  Value e = math::ExpOp::create(b.rw, b.loc, re);
  return interleave(b, b.mul(e, math::CosOp::create(b.rw, b.loc, im)),
                    b.mul(e, math::SinOp::create(b.rw, b.loc, im)));
}

Value expand(ComplexAbsOp op, Emitter &b) {
  Value re = realPart(b, op.getX()), im = imagPart(b, op.getX());
  return math::SqrtOp::create(b.rw, b.loc,
                              b.add(b.mul(re, re), b.mul(im, im)));
}

Value expand(ComplexAngleOp op, Emitter &b) {
  return math::Atan2Op::create(b.rw, b.loc, imagPart(b, op.getX()),
                               realPart(b, op.getX()));
}

Value expand(ComplexSumOp op, Emitter &b) {
  return interleave(b, b.sum(realPart(b, op.getX())),
                    b.sum(imagPart(b, op.getX())));
}

template <typename OpTy>
LogicalResult Expand<OpTy>::matchAndRewrite(OpTy op,
                                            PatternRewriter &rewriter) const {
  Emitter b{rewriter, op.getLoc()};
  Value result = expand(op, b);
  rewriter.replaceOp(op, result);
  return success();
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct ExpandFormulasPass
    : keops::impl::KeopsExpandFormulasBase<ExpandFormulasPass> {
  using KeopsExpandFormulasBase::KeopsExpandFormulasBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateExpandFormulaPatterns(patterns);
    if (!keepGram)
      populateExpandGramPatterns(patterns);
    // No folding: keops folds are exact but not always the reference's
    // evaluation (sum of one component is 0 + x there, x when folded), and
    // the expansion alone should decide what the formula computes.
    GreedyRewriteConfig config;
    config.enableFolding(false);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     config))) {
      getOperation()->emitError("keops-expand-formulas did not converge");
      return signalPassFailure();
    }
    WalkResult left = getOperation()->walk([&](Operation *op) {
      if (isa<KeopsDialect>(op->getDialect()) &&
          !isa<ReduceOp, YieldOp, GradOp, DiffOp, SelectIndexOp, MergeStatesOp,
               FinalizeStatesOp>(op) &&
          !(keepGram && isa<GramOp>(op))) {
        op->emitError("keops formula op left unexpanded");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (left.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace

void mlir::keops::populateExpandGramPatterns(RewritePatternSet &patterns) {
  patterns.add<Expand<GramOp>>(patterns.getContext());
}

void mlir::keops::populateExpandFormulaPatterns(RewritePatternSet &patterns) {
  patterns.add<Expand<SignOp>, Expand<StepOp>, Expand<ReluOp>,
               Expand<XLogXOp>, Expand<SinXDivXOp>, Expand<PowIOp>,
               Expand<RoundOp>, Expand<ClampOp>, Expand<IfElseOp>,
               Expand<ModOp>, Expand<CmpOp>, Expand<SumOp>, Expand<MaxOp>,
               Expand<MinOp>, Expand<ArgMaxOp>, Expand<ArgMinOp>,
               Expand<SqNorm2Op>, Expand<Norm2Op>, Expand<NormalizeOp>,
               Expand<DotOp>, Expand<SqDistOp>, Expand<WeightedSqNormOp>,
               Expand<WeightedSqDistOp>, Expand<OneHotOp>,
               Expand<MatVecMultOp>, Expand<VecMatMultOp>,
               Expand<TensorProdOp>, Expand<TensorDotOp>, Expand<KronOp>,
               Expand<ComplexMulOp>, Expand<ComplexDivOp>, Expand<ConjOp>,
               Expand<ComplexExpOp>, Expand<ComplexAbsOp>,
               Expand<ComplexAngleOp>, Expand<ComplexSumOp>>(
      patterns.getContext());
}
