//===- KeopsFolds.cpp - folds and canonicalizations of keops ops ---------===//
//
// Folds keep IEEE semantics: a fold fires only when its result is the same
// for every input, NaN, infinities and signed zeros included. Constant
// folding evaluates in double and rounds once to the element type.
//
//===----------------------------------------------------------------------===//

#include "keops/Dialect/Keops.h"
#include "keops/Dialect/FormulaSemantics.h"

#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/APFloat.h"

#include <cmath>

using namespace mlir;
using namespace mlir::keops;

namespace {
#include "KeopsCanonicalize.inc"
} // namespace

//===----------------------------------------------------------------------===//
// Constant helpers
//===----------------------------------------------------------------------===//

/// The components of a constant formula value, in double.
static std::optional<SmallVector<double>> constantValues(Attribute attr) {
  auto dense = dyn_cast_or_null<DenseFPElementsAttr>(attr);
  if (!dense || dense.getNumElements() > kMaxFormulaDim)
    return std::nullopt;
  SmallVector<double> values;
  for (APFloat v : dense.getValues<APFloat>())
    values.push_back(v.convertToDouble());
  return values;
}

/// A dense constant of vector type `type` holding `values` rounded once.
static DenseElementsAttr makeConstant(Type type, ArrayRef<double> values) {
  auto vt = cast<VectorType>(type);
  if (vt.getNumElements() > kMaxFormulaDim)
    return {};
  const llvm::fltSemantics &sem =
      cast<FloatType>(vt.getElementType()).getFloatSemantics();
  SmallVector<APFloat> floats;
  for (double v : values) {
    APFloat f(v);
    bool lost;
    f.convert(sem, APFloat::rmNearestTiesToEven, &lost);
    floats.push_back(f);
  }
  return DenseElementsAttr::get(vt, floats);
}

/// Folds a pointwise unary op on a constant operand.
static OpFoldResult foldPointwise(Attribute operand, Type type,
                                  llvm::function_ref<double(double)> fn) {
  std::optional<SmallVector<double>> values = constantValues(operand);
  if (!values)
    return {};
  for (double &v : *values)
    v = fn(v);
  return makeConstant(type, *values);
}

namespace sem = mlir::keops::semantics;

OpFoldResult SignOp::fold(FoldAdaptor adaptor) {
  return foldPointwise(adaptor.getX(), getType(), sem::sign);
}
OpFoldResult StepOp::fold(FoldAdaptor adaptor) {
  return foldPointwise(adaptor.getX(), getType(), sem::step);
}
OpFoldResult ReluOp::fold(FoldAdaptor adaptor) {
  return foldPointwise(adaptor.getX(), getType(), sem::relu);
}
OpFoldResult XLogXOp::fold(FoldAdaptor adaptor) {
  return foldPointwise(adaptor.getX(), getType(), sem::xlogx);
}
OpFoldResult SinXDivXOp::fold(FoldAdaptor adaptor) {
  return foldPointwise(adaptor.getX(), getType(), sem::sinxdivx);
}

OpFoldResult PowIOp::fold(FoldAdaptor adaptor) {
  int64_t n = static_cast<int64_t>(getExponent());
  if (n == 1)
    return getX();
  if (n == 0 && formulaDim(getX()) <= kMaxFormulaDim) // pown(x, 0) = 1 for
    return makeConstant(getType(),                     // every x, NaN too.
                        SmallVector<double>(formulaDim(getX()), 1.0));
  return foldPointwise(adaptor.getX(), getType(), [n](double x) {
    return std::pow(x, static_cast<double>(n));
  });
}

OpFoldResult RoundOp::fold(FoldAdaptor adaptor) {
  int64_t decimals = static_cast<int64_t>(getDecimals());
  return foldPointwise(adaptor.getX(), getType(), [decimals](double x) {
    return sem::roundDecimals(x, decimals);
  });
}

OpFoldResult IfElseOp::fold(FoldAdaptor adaptor) {
  if (getA() == getB())
    return getA();
  std::optional<SmallVector<double>> cond = constantValues(adaptor.getCond());
  if (!cond)
    return {};
  // c >= 0 is false for NaN: a NaN condition selects b.
  if (llvm::all_of(*cond, [](double c) { return c >= 0; }))
    return getA();
  if (llvm::none_of(*cond, [](double c) { return c >= 0; }))
    return getB();
  std::optional<SmallVector<double>> a = constantValues(adaptor.getA());
  std::optional<SmallVector<double>> b = constantValues(adaptor.getB());
  if (!a || !b)
    return {};
  SmallVector<double> out;
  for (auto [c, x, y] : llvm::zip(*cond, *a, *b))
    out.push_back(c >= 0 ? x : y);
  return makeConstant(getType(), out);
}

OpFoldResult CmpOp::fold(FoldAdaptor adaptor) {
  std::optional<SmallVector<double>> lhs = constantValues(adaptor.getLhs());
  std::optional<SmallVector<double>> rhs = constantValues(adaptor.getRhs());
  if (!lhs || !rhs)
    return {};
  CmpPredicate pred = getPredicate();
  SmallVector<double> out;
  for (auto [a, b] : llvm::zip(*lhs, *rhs)) {
    bool r = false;
    switch (pred) {
    case CmpPredicate::LT: r = a < b; break;
    case CmpPredicate::LE: r = a <= b; break;
    case CmpPredicate::GT: r = a > b; break;
    case CmpPredicate::GE: r = a >= b; break;
    case CmpPredicate::EQ: r = a == b; break;
    case CmpPredicate::NE: r = a != b; break;
    }
    out.push_back(r ? 1.0 : 0.0);
  }
  return makeConstant(getType(), out);
}

//===----------------------------------------------------------------------===//
// Reductions over the feature axis: identities on dimension 1, constants.
//===----------------------------------------------------------------------===//

/// Folds a reduction over the components of a constant.
static OpFoldResult foldComponents(Attribute operand, Type type,
                                   llvm::function_ref<double(ArrayRef<double>)> fn) {
  std::optional<SmallVector<double>> values = constantValues(operand);
  if (!values)
    return {};
  return makeConstant(type, {fn(*values)});
}

/// Min or max with NaN propagation, and the position where it is reached.
static std::pair<double, double> extremum(ArrayRef<double> xs, bool isMax) {
  size_t best = sem::extremePosition(xs.data(), xs.size(), isMax);
  return {xs[best], static_cast<double>(best)};
}

OpFoldResult SumOp::fold(FoldAdaptor adaptor) {
  if (formulaDim(getX()) == 1)
    return getX();
  return foldComponents(adaptor.getX(), getType(), [](ArrayRef<double> xs) {
    double s = 0;
    for (double x : xs)
      s += x;
    return s;
  });
}
OpFoldResult MaxOp::fold(FoldAdaptor adaptor) {
  if (formulaDim(getX()) == 1)
    return getX();
  return foldComponents(adaptor.getX(), getType(), [](ArrayRef<double> xs) {
    return extremum(xs, true).first;
  });
}
OpFoldResult MinOp::fold(FoldAdaptor adaptor) {
  if (formulaDim(getX()) == 1)
    return getX();
  return foldComponents(adaptor.getX(), getType(), [](ArrayRef<double> xs) {
    return extremum(xs, false).first;
  });
}
OpFoldResult ArgMaxOp::fold(FoldAdaptor adaptor) {
  if (formulaDim(getX()) == 1)
    return makeConstant(getType(), {0.0});
  return foldComponents(adaptor.getX(), getType(), [](ArrayRef<double> xs) {
    return extremum(xs, true).second;
  });
}
OpFoldResult ArgMinOp::fold(FoldAdaptor adaptor) {
  if (formulaDim(getX()) == 1)
    return makeConstant(getType(), {0.0});
  return foldComponents(adaptor.getX(), getType(), [](ArrayRef<double> xs) {
    return extremum(xs, false).second;
  });
}

static double sumOfSquares(ArrayRef<double> xs) {
  double s = 0;
  for (double x : xs)
    s += x * x;
  return s;
}
OpFoldResult SqNorm2Op::fold(FoldAdaptor adaptor) {
  return foldComponents(adaptor.getX(), getType(), sumOfSquares);
}
// norm2 of a scalar is not |x|: x * x may overflow where |x| does not.
OpFoldResult Norm2Op::fold(FoldAdaptor adaptor) {
  return foldComponents(adaptor.getX(), getType(), [](ArrayRef<double> xs) {
    return std::sqrt(sumOfSquares(xs));
  });
}

OpFoldResult OneHotOp::fold(FoldAdaptor adaptor) {
  std::optional<SmallVector<double>> x = constantValues(adaptor.getX());
  if (!x || static_cast<int64_t>(getDim()) > kMaxFormulaDim)
    return {};
  SmallVector<double> out(getDim(), 0.0);
  double k = std::round((*x)[0]);
  if (k >= 0 && k < static_cast<double>(getDim()))
    out[static_cast<size_t>(k)] = 1.0;
  return makeConstant(getType(), out);
}

// Nothing to sum: every axis of the result is the operand's.
OpFoldResult UnbroadcastOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// Dialect-wide canonicalization patterns (declared in KeopsCanonicalize.td).
//===----------------------------------------------------------------------===//

void KeopsDialect::getCanonicalizationPatterns(
    RewritePatternSet &results) const {
  populateWithGenerated(results);
}
