//===- FormulaEval.cpp - double-precision semantics of formula ops -------===//
//
// One case per formula op, written from the op's definition. Values are
// std::vector<double> of the op's dimension.
//
//===----------------------------------------------------------------------===//

#include "keops/Interpreter/Interpreter.h"
#include "keops/Dialect/FormulaSemantics.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::keops;
using Vec = std::vector<double>;

namespace {

Vec map1(const Vec &x, double (*fn)(double)) {
  Vec r(x.size());
  for (size_t k = 0; k < x.size(); ++k)
    r[k] = fn(x[k]);
  return r;
}

template <typename Fn>
Vec map2(const Vec &x, const Vec &y, Fn fn) {
  Vec r(x.size());
  for (size_t k = 0; k < x.size(); ++k)
    r[k] = fn(x[k], y[k]);
  return r;
}

template <typename Fn>
Vec map3(const Vec &x, const Vec &y, const Vec &z, Fn fn) {
  Vec r(x.size());
  for (size_t k = 0; k < x.size(); ++k)
    r[k] = fn(x[k], y[k], z[k]);
  return r;
}

double sumOf(const Vec &x) {
  double s = 0;
  for (double v : x)
    s += v;
  return s;
}

/// Complex components are (real, imaginary) pairs. `fn(a, b, c, d)` maps the
/// pair (a, b) of x and (c, d) of y to the pair of the result.
template <typename Fn> Vec mapComplex(const Vec &x, const Vec &y, Fn fn) {
  Vec r(x.size());
  for (size_t k = 0; k + 1 < x.size(); k += 2) {
    std::pair<double, double> z = fn(x[k], x[k + 1], y[k], y[k + 1]);
    r[k] = z.first;
    r[k + 1] = z.second;
  }
  return r;
}
/// `fn(a, b)` of each pair (a, b) of x: one real per complex component.
template <typename Fn> Vec mapComplexToReal(const Vec &x, Fn fn) {
  Vec r;
  for (size_t k = 0; k + 1 < x.size(); k += 2)
    r.push_back(fn(x[k], x[k + 1]));
  return r;
}

double dotOf(const Vec &x, const Vec &y) {
  double s = 0;
  for (size_t k = 0; k < x.size(); ++k)
    s += x[k] * y[k];
  return s;
}

size_t extremePosition(const Vec &x, bool largest) {
  return semantics::extremePosition(x.data(), x.size(), largest);
}

double weightedSqNorm(const Vec &w, const Vec &x) {
  size_t d = x.size();
  if (w.size() == 1)
    return w[0] * dotOf(x, x);
  if (w.size() == d) {
    double s = 0;
    for (size_t k = 0; k < d; ++k)
      s += w[k] * x[k] * x[k];
    return s;
  }
  double s = 0;
  for (size_t k = 0; k < d; ++k)
    for (size_t l = 0; l < d; ++l)
      s += x[k] * w[k * d + l] * x[l];
  return s;
}

/// Row-major strides of `shape`.
std::vector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (int64_t k = static_cast<int64_t>(shape.size()) - 2; k >= 0; --k)
    strides[k] = strides[k + 1] * shape[k + 1];
  return strides;
}

/// Advances a multi-index over `shape`; returns false after the last one.
bool next(std::vector<int64_t> &index, ArrayRef<int64_t> shape) {
  for (int64_t k = static_cast<int64_t>(index.size()) - 1; k >= 0; --k) {
    if (++index[k] < shape[k])
      return true;
    index[k] = 0;
  }
  return false;
}

Vec tensorDot(TensorDotOp op, const Vec &a, const Vec &b) {
  ArrayRef<int64_t> ls = op.getLhsShape(), rs = op.getRhsShape();
  ArrayRef<int64_t> lc = op.getLhsContract(), rc = op.getRhsContract();
  std::vector<int64_t> lfree, rfree, shape, contractShape;
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
  std::vector<int64_t> lstr = stridesOf(ls), rstr = stridesOf(rs);
  Vec out;
  std::vector<int64_t> idx(shape.size(), 0);
  do {
    double s = 0;
    std::vector<int64_t> c(contractShape.size(), 0);
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
      s += a[la] * b[ra];
    } while (!c.empty() && next(c, contractShape));
    out.push_back(s);
  } while (!idx.empty() && next(idx, shape));
  return out;
}

Vec kron(KronOp op, const Vec &a, const Vec &b) {
  ArrayRef<int64_t> ls = op.getLhsShape(), rs = op.getRhsShape();
  std::vector<int64_t> shape;
  for (size_t k = 0; k < ls.size(); ++k)
    shape.push_back(ls[k] * rs[k]);
  std::vector<int64_t> lstr = stridesOf(ls), rstr = stridesOf(rs),
                       ostr = stridesOf(shape);
  Vec out(a.size() * b.size(), 0.0);
  std::vector<int64_t> ia(ls.size(), 0);
  do {
    std::vector<int64_t> ib(rs.size(), 0);
    do {
      int64_t la = 0, rb = 0, o = 0;
      for (size_t k = 0; k < ls.size(); ++k) {
        la += ia[k] * lstr[k];
        rb += ib[k] * rstr[k];
        o += (ia[k] * rs[k] + ib[k]) * ostr[k];
      }
      out[o] = a[la] * b[rb];
    } while (next(ib, rs));
  } while (next(ia, ls));
  return out;
}

double rsqrtOf(double x) { return 1.0 / std::sqrt(x); }
double negOf(double x) { return -x; }
double absOf(double x) { return std::fabs(x); }
/// IEEE maximum / minimum: NaN propagates, -0 < +0.
double maximumOf(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return NAN;
  if (a == b)
    return std::signbit(a) ? b : a;
  return a > b ? a : b;
}
double minimumOf(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return NAN;
  if (a == b)
    return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

FailureOr<Vec> constantOf(arith::ConstantOp op) {
  auto dense = dyn_cast<DenseFPElementsAttr>(op.getValue());
  if (!dense)
    return op.emitOpError() << "must hold a dense floating-point literal to "
                               "be interpreted";
  Vec r;
  for (APFloat v : dense.getValues<APFloat>())
    r.push_back(v.convertToDouble());
  return r;
}

bool compare(CmpPredicate p, double a, double b) {
  switch (p) {
  case CmpPredicate::LT: return a < b;
  case CmpPredicate::LE: return a <= b;
  case CmpPredicate::GT: return a > b;
  case CmpPredicate::GE: return a >= b;
  case CmpPredicate::EQ: return a == b;
  case CmpPredicate::NE: return a != b;
  }
  return false;
}

bool compareFloats(arith::CmpFPredicate p, double a, double b) {
  bool unordered = std::isnan(a) || std::isnan(b);
  using P = arith::CmpFPredicate;
  switch (p) {
  case P::AlwaysFalse: return false;
  case P::AlwaysTrue: return true;
  case P::OEQ: return !unordered && a == b;
  case P::OGT: return !unordered && a > b;
  case P::OGE: return !unordered && a >= b;
  case P::OLT: return !unordered && a < b;
  case P::OLE: return !unordered && a <= b;
  case P::ONE: return !unordered && a != b;
  case P::ORD: return !unordered;
  case P::UEQ: return unordered || a == b;
  case P::UGT: return unordered || a > b;
  case P::UGE: return unordered || a >= b;
  case P::ULT: return unordered || a < b;
  case P::ULE: return unordered || a <= b;
  case P::UNE: return unordered || a != b;
  case P::UNO: return unordered;
  }
  return false;
}

FailureOr<Vec> reduceVector(vector::ReductionOp op, const Vec &v,
                            const Vec *acc) {
  using K = vector::CombiningKind;
  double r;
  switch (op.getKind()) {
  case K::ADD:
    r = 0;
    for (double e : v)
      r += e;
    if (acc)
      r += (*acc)[0];
    return Vec{r};
  case K::MUL:
    r = 1;
    for (double e : v)
      r *= e;
    if (acc)
      r *= (*acc)[0];
    return Vec{r};
  case K::MAXIMUMF:
  case K::MINIMUMF: {
    bool isMax = op.getKind() == K::MAXIMUMF;
    r = v[0];
    for (size_t k = 1; k < v.size(); ++k)
      r = isMax ? maximumOf(r, v[k]) : minimumOf(r, v[k]);
    if (acc)
      r = isMax ? maximumOf(r, (*acc)[0]) : minimumOf(r, (*acc)[0]);
    return Vec{r};
  }
  default:
    return op.emitOpError() << "combining kind is not interpreted";
  }
}

} // namespace

/// Evaluates one formula op given its operand values; `i` and `j` are the
/// indices of the pair (keops.select_index compares with them).
static FailureOr<Vec> evaluateOp(Operation *op, ArrayRef<const Vec *> in,
                                 int64_t i, int64_t j) {
  auto x = [&](unsigned k) -> const Vec & { return *in[k]; };
  auto scalar = [](double v) { return Vec{v}; };
  using R = FailureOr<Vec>;
  return llvm::TypeSwitch<Operation *, R>(op)
      // arith
      .Case([&](arith::ConstantOp c) -> R { return constantOf(c); })
      .Case([&](arith::AddFOp) -> R { return map2(x(0), x(1), std::plus<>()); })
      .Case([&](arith::SubFOp) -> R { return map2(x(0), x(1), std::minus<>()); })
      .Case([&](arith::MulFOp) -> R { return map2(x(0), x(1), std::multiplies<>()); })
      .Case([&](arith::DivFOp) -> R { return map2(x(0), x(1), std::divides<>()); })
      .Case([&](arith::NegFOp) -> R { return map1(x(0), negOf); })
      .Case([&](arith::MaximumFOp) -> R { return map2(x(0), x(1), maximumOf); })
      .Case([&](arith::MinimumFOp) -> R { return map2(x(0), x(1), minimumOf); })
      // math
      .Case([&](math::ExpOp) -> R { return map1(x(0), std::exp); })
      .Case([&](math::LogOp) -> R { return map1(x(0), std::log); })
      .Case([&](math::SinOp) -> R { return map1(x(0), std::sin); })
      .Case([&](math::CosOp) -> R { return map1(x(0), std::cos); })
      .Case([&](math::TanOp) -> R { return map1(x(0), std::tan); })
      .Case([&](math::AsinOp) -> R { return map1(x(0), std::asin); })
      .Case([&](math::AcosOp) -> R { return map1(x(0), std::acos); })
      .Case([&](math::AtanOp) -> R { return map1(x(0), std::atan); })
      .Case([&](math::SinhOp) -> R { return map1(x(0), std::sinh); })
      .Case([&](math::CoshOp) -> R { return map1(x(0), std::cosh); })
      .Case([&](math::TanhOp) -> R { return map1(x(0), std::tanh); })
      .Case([&](math::SqrtOp) -> R { return map1(x(0), std::sqrt); })
      .Case([&](math::RsqrtOp) -> R { return map1(x(0), rsqrtOf); })
      .Case([&](math::AbsFOp) -> R { return map1(x(0), absOf); })
      .Case([&](math::FloorOp) -> R { return map1(x(0), std::floor); })
      .Case([&](math::CeilOp) -> R { return map1(x(0), std::ceil); })
      .Case([&](math::ErfOp) -> R { return map1(x(0), std::erf); })
      .Case([&](math::Atan2Op) -> R {
        return map2(x(0), x(1), [](double a, double b) { return std::atan2(a, b); });
      })
      .Case([&](math::PowFOp) -> R {
        return map2(x(0), x(1), [](double a, double b) { return std::pow(a, b); });
      })
      // expanded formulas: masks, selections, fma, rounding
      .Case([&](arith::CmpFOp c) -> R {
        arith::CmpFPredicate p = c.getPredicate();
        return map2(x(0), x(1), [p](double a, double b) {
          return compareFloats(p, a, b) ? 1.0 : 0.0;
        });
      })
      .Case([&](arith::SelectOp) -> R {
        size_t n = x(1).size();
        Vec r(n);
        for (size_t k = 0; k < n; ++k)
          r[k] = x(0)[x(0).size() == 1 ? 0 : k] != 0 ? x(1)[k] : x(2)[k];
        return r;
      })
      .Case([&](arith::UIToFPOp) -> R { return x(0); })
      .Case([&](arith::AndIOp) -> R {
        return map2(x(0), x(1), [](double a, double b) { return double(a != 0 && b != 0); });
      })
      .Case([&](arith::OrIOp) -> R {
        return map2(x(0), x(1), [](double a, double b) { return double(a != 0 || b != 0); });
      })
      .Case([&](arith::XOrIOp) -> R {
        return map2(x(0), x(1), [](double a, double b) { return double((a != 0) != (b != 0)); });
      })
      .Case([&](math::FmaOp) -> R {
        return map3(x(0), x(1), x(2), [](double a, double b, double c) { return std::fma(a, b, c); });
      })
      .Case([&](vector::FMAOp) -> R {
        return map3(x(0), x(1), x(2), [](double a, double b, double c) { return std::fma(a, b, c); });
      })
      .Case([&](math::CopySignOp) -> R {
        return map2(x(0), x(1), [](double a, double b) { return std::copysign(a, b); });
      })
      .Case([&](math::RoundOp) -> R { return map1(x(0), std::round); })
      .Case([&](math::TruncOp) -> R { return map1(x(0), std::trunc); })
      .Case([&](vector::ReductionOp red) -> R {
        return reduceVector(red, x(0), in.size() > 1 ? in[1] : nullptr);
      })
      .Case([&](vector::ExtractOp e) -> R {
        if (!e.getDynamicPosition().empty() || e.getStaticPosition().size() != 1)
          return e.emitOpError() << "needs one static position to be interpreted";
        return scalar(x(0)[e.getStaticPosition()[0]]);
      })
      .Case([&](vector::InsertOp ins) -> R {
        if (!ins.getDynamicPosition().empty() || ins.getStaticPosition().size() != 1)
          return ins.emitOpError() << "needs one static position to be interpreted";
        Vec r = x(1);
        r[ins.getStaticPosition()[0]] = x(0)[0];
        return r;
      })
      .Case([&](vector::FromElementsOp) -> R {
        Vec r;
        for (const Vec *v : in)
          r.push_back((*v)[0]);
        return r;
      })
      // vector
      .Case([&](vector::BroadcastOp b) -> R {
        auto type = dyn_cast<VectorType>(b.getResult().getType());
        int64_t d = type ? type.getDimSize(0) : 1;
        if (x(0).size() == static_cast<size_t>(d))
          return x(0);
        return Vec(d, x(0)[0]);
      })
      .Case([&](vector::ExtractStridedSliceOp e) -> R {
        int64_t offset = cast<IntegerAttr>(e.getOffsets()[0]).getInt();
        int64_t size = cast<IntegerAttr>(e.getSizes()[0]).getInt();
        int64_t stride = cast<IntegerAttr>(e.getStrides()[0]).getInt();
        Vec r;
        for (int64_t k = 0; k < size; ++k)
          r.push_back(x(0)[offset + k * stride]);
        return r;
      })
      .Case([&](vector::ShuffleOp s) -> R {
        Vec r;
        size_t n0 = x(0).size();
        for (int64_t m : s.getMask())
          r.push_back(m < 0 ? NAN
                            : static_cast<size_t>(m) < n0 ? x(0)[m]
                                                          : x(1)[m - n0]);
        return r;
      })
      // keops pointwise
      .Case([&](SignOp) -> R { return map1(x(0), semantics::sign); })
      .Case([&](StepOp) -> R { return map1(x(0), semantics::step); })
      .Case([&](ReluOp) -> R { return map1(x(0), semantics::relu); })
      .Case([&](XLogXOp) -> R { return map1(x(0), semantics::xlogx); })
      .Case([&](SinXDivXOp) -> R { return map1(x(0), semantics::sinxdivx); })
      .Case([&](PowIOp p) -> R {
        double n = static_cast<double>(static_cast<int64_t>(p.getExponent()));
        Vec r = x(0);
        for (double &v : r)
          v = std::pow(v, n);
        return r;
      })
      .Case([&](RoundOp r) -> R {
        int64_t decimals = static_cast<int64_t>(r.getDecimals());
        Vec v = x(0);
        for (double &e : v)
          e = semantics::roundDecimals(e, decimals);
        return v;
      })
      .Case([&](ClampOp) -> R {
        return map3(x(0), x(1), x(2), [](double v, double lo, double hi) {
          return v < lo ? lo : v > hi ? hi : v;
        });
      })
      .Case([&](IfElseOp) -> R {
        return map3(x(0), x(1), x(2),
                    [](double c, double a, double b) { return c >= 0 ? a : b; });
      })
      .Case([&](ModOp) -> R {
        return map3(x(0), x(1), x(2), [](double v, double n, double d) {
          return v - n * std::floor((v - d) / n);
        });
      })
      .Case([&](CmpOp c) -> R {
        CmpPredicate p = c.getPredicate();
        return map2(x(0), x(1), [p](double a, double b) {
          return compare(p, a, b) ? 1.0 : 0.0;
        });
      })
      // keops reductions over the components and norms
      .Case([&](SumOp) -> R { return scalar(sumOf(x(0))); })
      .Case([&](MaxOp) -> R { return scalar(x(0)[extremePosition(x(0), true)]); })
      .Case([&](MinOp) -> R { return scalar(x(0)[extremePosition(x(0), false)]); })
      .Case([&](ArgMaxOp) -> R {
        return scalar(static_cast<double>(extremePosition(x(0), true)));
      })
      .Case([&](ArgMinOp) -> R {
        return scalar(static_cast<double>(extremePosition(x(0), false)));
      })
      .Case([&](SqNorm2Op) -> R { return scalar(dotOf(x(0), x(0))); })
      .Case([&](Norm2Op) -> R { return scalar(std::sqrt(dotOf(x(0), x(0)))); })
      .Case([&](NormalizeOp) -> R {
        double n = std::sqrt(dotOf(x(0), x(0)));
        Vec r = x(0);
        for (double &v : r)
          v /= n;
        return r;
      })
      .Case<DotOp, GramOp>(
          [&](Operation *) -> R { return scalar(dotOf(x(0), x(1))); })
      .Case([&](SqDistOp) -> R {
        Vec d = map2(x(0), x(1), std::minus<>());
        return scalar(dotOf(d, d));
      })
      .Case([&](WeightedSqNormOp) -> R { return scalar(weightedSqNorm(x(0), x(1))); })
      .Case([&](WeightedSqDistOp) -> R {
        return scalar(weightedSqNorm(x(0), map2(x(1), x(2), std::minus<>())));
      })
      // complex numbers, as ExpandFormulas computes them
      .Case([&](ComplexMulOp) -> R {
        return mapComplex(x(0), x(1), [](double a, double b, double c, double d) {
          return std::make_pair(a * c - b * d, a * d + b * c);
        });
      })
      .Case([&](ComplexDivOp) -> R {
        return mapComplex(x(0), x(1), [](double a, double b, double c, double d) {
          double den = c * c + d * d;
          return std::make_pair((a * c + b * d) / den, (b * c - a * d) / den);
        });
      })
      .Case([&](ConjOp) -> R {
        return mapComplex(x(0), x(0), [](double a, double b, double, double) {
          return std::make_pair(a, -b);
        });
      })
      .Case([&](ComplexExpOp) -> R {
        return mapComplex(x(0), x(0), [](double a, double b, double, double) {
          double e = std::exp(a);
          return std::make_pair(e * std::cos(b), e * std::sin(b));
        });
      })
      .Case([&](ComplexAbsOp) -> R {
        return mapComplexToReal(x(0), [](double a, double b) {
          return std::sqrt(a * a + b * b);
        });
      })
      .Case([&](ComplexAngleOp) -> R {
        return mapComplexToReal(x(0), [](double a, double b) {
          return std::atan2(b, a);
        });
      })
      .Case([&](ComplexSumOp) -> R {
        Vec s{0.0, 0.0};
        for (size_t k = 0; k + 1 < x(0).size(); k += 2) {
          s[0] += x(0)[k];
          s[1] += x(0)[k + 1];
        }
        return s;
      })
      // keops shape-changing ops
      .Case([&](OneHotOp o) -> R {
        Vec r(o.getDim(), 0.0);
        double k = std::round(x(0)[0]);
        if (k >= 0 && k < static_cast<double>(o.getDim()))
          r[static_cast<size_t>(k)] = 1.0;
        return r;
      })
      .Case([&](MatVecMultOp) -> R {
        const Vec &a = x(0), &v = x(1);
        size_t cols = v.size(), rows = a.size() / cols;
        Vec r(rows, 0.0);
        for (size_t i = 0; i < rows; ++i)
          for (size_t j = 0; j < cols; ++j)
            r[i] += a[i * cols + j] * v[j];
        return r;
      })
      .Case([&](VecMatMultOp) -> R {
        const Vec &v = x(0), &a = x(1);
        size_t rows = v.size(), cols = a.size() / rows;
        Vec r(cols, 0.0);
        for (size_t i = 0; i < rows; ++i)
          for (size_t j = 0; j < cols; ++j)
            r[j] += v[i] * a[i * cols + j];
        return r;
      })
      .Case([&](TensorProdOp) -> R {
        Vec r;
        for (double a : x(0))
          for (double b : x(1))
            r.push_back(a * b);
        return r;
      })
      .Case([&](TensorDotOp t) -> R { return tensorDot(t, x(0), x(1)); })
      .Case([&](KronOp k) -> R { return kron(k, x(0), x(1)); })
      // index variables: idx holds integers (exact in a double)
      .Case([&](SelectIndexOp sel) -> R {
        double current = static_cast<double>(
            sel.getComparedAxis() == Axis::I ? i : j);
        return map2(x(0), x(1), [&](double idx, double v) {
          return idx == current ? v : 0.0;
        });
      })
      .Case<GradOp, DiffOp>([&](Operation *g) -> R {
        return g->emitOpError()
               << "must be expanded by the differentiation pass before the "
                  "formula can be interpreted";
      })
      .Default([](Operation *o) -> R {
        return o->emitOpError() << "has no reference semantics in the "
                                   "interpreter";
      });
}

FailureOr<std::vector<Vec>>
keops::evaluateFormula(ReduceOp op, ArrayRef<Vec> vars, int64_t i,
                       int64_t j) {
  Block &body = op.getFormula().front();
  llvm::DenseMap<Value, Vec> values;
  for (auto [arg, value] : llvm::zip(body.getArguments(), vars))
    values[arg] = value;
  for (Operation &inner : body.without_terminator()) {
    SmallVector<const Vec *> operands;
    for (Value v : inner.getOperands())
      operands.push_back(&values[v]);
    FailureOr<Vec> result = evaluateOp(&inner, operands, i, j);
    if (failed(result))
      return failure();
    values[inner.getResult(0)] = std::move(*result);
  }
  std::vector<Vec> out;
  for (Value v : op.getYield().getValues())
    out.push_back(values[v]);
  return out;
}
