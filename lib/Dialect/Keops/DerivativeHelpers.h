//===- DerivativeHelpers.h - shared pieces of the derivative rules -------===//
//
// Null-aware arithmetic for derivative rules: a null Value is a zero
// (co)tangent, so `add(null, x) = x` and `mul(null, x) = null`. Works on
// scalars and vectors alike (the upstream ops also appear on the scalars of
// expanded formulas).
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_LIB_DIALECT_DERIVATIVEHELPERS_H
#define KEOPS_LIB_DIALECT_DERIVATIVEHELPERS_H

#include "keops/Dialect/Keops.h"

#include "mlir/IR/IRMapping.h"

namespace mlir::keops::ad {

struct Emitter {
  OpBuilder &b;
  Location loc;

  // Formulas hold scalars only as results of the expanded-formula ops
  // (isExpandedFormulaOp): scalar arithmetic goes through vector<1 x T>.
  static bool isScalar(Value x) { return !isa<VectorType>(x.getType()); }
  Value lift(Value x) {
    return vector::FromElementsOp::create(
        b, loc, VectorType::get({1}, x.getType()), x);
  }
  Value lower(Value v) {
    return vector::ExtractOp::create(b, loc, v, ArrayRef<int64_t>{0});
  }
  template <typename OpT, typename... Args> Value op(Value x, Args... ys) {
    if (isScalar(x))
      return lower(OpT::create(b, loc, lift(x), lift(ys)...));
    return OpT::create(b, loc, x, ys...);
  }

  Value cst(Type type, double value) {
    auto vt = dyn_cast<VectorType>(type);
    if (!vt)
      return lower(cst(VectorType::get({1}, type), value));
    return arith::ConstantOp::create(
        b, loc, vt,
        DenseElementsAttr::get(
            vt, ArrayRef<Attribute>{FloatAttr::get(vt.getElementType(),
                                                   value)}));
  }
  Value add(Value x, Value y) {
    if (!x)
      return y;
    if (!y)
      return x;
    return op<arith::AddFOp>(x, y);
  }
  Value neg(Value x) { return x ? op<arith::NegFOp>(x) : x; }
  Value sub(Value x, Value y) {
    if (!y)
      return x;
    if (!x)
      return neg(y);
    return op<arith::SubFOp>(x, y);
  }
  Value mul(Value x, Value y) {
    if (!x || !y)
      return {};
    return op<arith::MulFOp>(x, y);
  }
  Value div(Value x, Value y) {
    return x ? op<arith::DivFOp>(x, y) : Value();
  }
  Value scale(Value x, double c) { return x ? mul(x, cst(x.getType(), c)) : x; }
  /// x / y, and 0 where y = 0: pykeops' convention for the derivatives of
  /// sqrt and norm2 at 0 (its Rsqrt(0) = 0), on which clients' gradients
  /// depend (a p = 1 transport cost on a point cloud against itself).
  /// (x and y of one type.)
  Value divOrZero(Value x, Value y) {
    if (!x)
      return x;
    if (isScalar(y))
      return lower(divOrZero(lift(x), lift(y)));
    Value at0 = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, y,
                                      cst(y.getType(), 0.0));
    Value safe =
        arith::SelectOp::create(b, loc, at0, cst(y.getType(), 1.0), y);
    return arith::SelectOp::create(b, loc, at0, cst(x.getType(), 0.0),
                                   div(x, safe));
  }
  /// 1 - x.
  Value oneMinus(Value x) { return sub(cst(x.getType(), 1.0), x); }
  /// A vector<1 x T> (or a value of type `to` already) broadcast to `to`.
  Value bcast(Value x, Type to) {
    if (!x || x.getType() == to)
      return x;
    return vector::BroadcastOp::create(b, loc, to, x);
  }
  /// 1.0 where `pred(x, y)` holds, else 0.0 (scalars or vectors).
  Value mask(arith::CmpFPredicate pred, Value x, Value y) {
    Value c = arith::CmpFOp::create(b, loc, pred, x, y);
    return arith::SelectOp::create(b, loc, c, cst(x.getType(), 1.0),
                                   cst(x.getType(), 0.0));
  }
  /// keops.cmp (vectors only): 1.0 where it holds, else 0.0.
  Value cmp(CmpPredicate pred, Value x, Value y) {
    return CmpOp::create(b, loc, x.getType(), pred, x, y);
  }
  /// keops.dot, null-aware.
  Value dot(Value x, Value y) {
    return x && y ? Value(DotOp::create(b, loc, x, y)) : Value();
  }
  /// `op` cloned with operand `k` replaced by `v`.
  Value cloneWith(Operation *op, ArrayRef<std::pair<unsigned, Value>> repl) {
    IRMapping map;
    for (auto [k, v] : repl)
      map.map(op->getOperand(k), v);
    return b.clone(*op, map)->getResult(0);
  }
};

/// Cotangents of the operands of a pointwise op whose partial derivatives
/// (null: zero) are `partials`: partial_k * e.
inline SmallVector<Value> pointwiseVjp(Emitter &e, ArrayRef<Value> partials,
                                       Value ct) {
  SmallVector<Value> out;
  for (Value p : partials)
    out.push_back(e.mul(p, ct));
  return out;
}
/// Tangent of a pointwise op: sum_k partial_k * t_k.
inline Value pointwiseJvp(Emitter &e, ArrayRef<Value> partials,
                          ArrayRef<Value> ts) {
  Value out;
  for (auto [p, t] : llvm::zip(partials, ts))
    out = e.add(out, e.mul(p, t));
  return out;
}
/// Tangent of an op linear in all its operands: the op on the tangents
/// (zeros for null tangents); null when every tangent is null.
inline Value linearJvp(Emitter &e, Operation *op, ArrayRef<Value> ts) {
  if (llvm::all_of(ts, [](Value t) { return !t; }))
    return {};
  SmallVector<std::pair<unsigned, Value>> repl;
  for (auto [k, t] : llvm::enumerate(ts))
    repl.push_back({unsigned(k), t ? t : e.cst(op->getOperand(k).getType(), 0)});
  return e.cloneWith(op, repl);
}
/// Tangent of an op linear in each operand separately (products):
/// sum_k op(x_1, .., t_k, .., x_n).
inline Value multilinearJvp(Emitter &e, Operation *op, ArrayRef<Value> ts) {
  Value out;
  for (auto [k, t] : llvm::enumerate(ts))
    if (t)
      out = e.add(out, e.cloneWith(op, {{unsigned(k), t}}));
  return out;
}

} // namespace mlir::keops::ad

#endif // KEOPS_LIB_DIALECT_DERIVATIVEHELPERS_H
