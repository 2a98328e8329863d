//===- Reductions.cpp - reference semantics of the reduction kinds -------===//
//
// Each reduction kind as a function of the list of formula values of one
// output row (in order of the reduced index). Conventions shared by every
// backend:
//  - min kinds order values as -inf < numbers < +inf < NaN, max kinds as
//    NaN < -inf < numbers < +inf; ties go to the smaller index;
//  - an empty reduction gives 0 (sum), +inf / -inf (min / max), index -1,
//    -inf (logsumexp) and NaN (sumsoftmaxweight); kmin fills the places it
//    cannot fill with +inf and index -1.
//
//===----------------------------------------------------------------------===//

#include "Reductions.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace mlir::keops;
using Vec = std::vector<double>;

namespace mlir::keops::detail {

/// Whether `a` comes strictly before `b` in the order of a min (or max).
static bool before(double a, double b, bool isMin) {
  if (std::isnan(a))
    return false;
  if (std::isnan(b))
    return true;
  return isMin ? a < b : a > b;
}

/// Neumaier's compensated sum: an oracle should not lose digits to order.
static double accurateSum(const Vec &xs) {
  double plain = 0;
  for (double x : xs)
    plain += x;
  if (!std::isfinite(plain)) // inf and NaN propagate as in any sum.
    return plain;
  double sum = 0, comp = 0;
  for (double x : xs) {
    double t = sum + x;
    comp += std::fabs(sum) >= std::fabs(x) ? (sum - t) + x : (x - t) + sum;
    sum = t;
  }
  return sum + comp;
}

static Vec column(const std::vector<Vec> &values, size_t d) {
  Vec col;
  col.reserve(values.size());
  for (const Vec &v : values)
    col.push_back(v[d]);
  return col;
}

/// The K best (value, index) pairs of `col`, best first.
static std::vector<std::pair<double, int64_t>> best(const Vec &col, int64_t k,
                                                    bool isMin) {
  std::vector<int64_t> order(col.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return before(col[a], col[b], isMin);
  });
  std::vector<std::pair<double, int64_t>> out;
  for (int64_t r = 0; r < k; ++r) {
    if (r < static_cast<int64_t>(order.size()))
      out.push_back({col[order[r]], order[r]});
    else
      out.push_back({isMin ? INFINITY : -INFINITY, -1});
  }
  return out;
}

static double maxOf(const Vec &col) {
  double m = -INFINITY;
  for (double x : col) {
    if (std::isnan(x))
      return x;
    m = std::max(m, x);
  }
  return m;
}

void reduceRow(ReductionKind kind, int64_t k, const std::vector<Vec> &f,
               const std::vector<Vec> &w, int64_t fdim, int64_t wdim,
               Vec &values, Vec &indices) {
  switch (kind) {
  case ReductionKind::Sum:
    for (int64_t d = 0; d < fdim; ++d)
      values.push_back(accurateSum(column(f, d)));
    return;
  case ReductionKind::Min:
  case ReductionKind::Max:
  case ReductionKind::ArgMin:
  case ReductionKind::ArgMax:
  case ReductionKind::MinArgMin:
  case ReductionKind::MaxArgMax:
    k = 1;
    [[fallthrough]];
  case ReductionKind::KMin:
  case ReductionKind::ArgKMin:
  case ReductionKind::KMinArgKMin: {
    bool isMin = kind != ReductionKind::Max && kind != ReductionKind::ArgMax &&
                 kind != ReductionKind::MaxArgMax;
    values.assign(k * fdim, 0.0);
    indices.assign(k * fdim, 0.0);
    for (int64_t d = 0; d < fdim; ++d) {
      auto top = best(column(f, d), k, isMin);
      for (int64_t r = 0; r < k; ++r) {
        values[r * fdim + d] = top[r].first;
        indices[r * fdim + d] = static_cast<double>(top[r].second);
      }
    }
    return;
  }
  case ReductionKind::LogSumExp: {
    // log(sum_t exp(f_t) w_t) = m + log(sum_t exp(f_t - m) w_t), m = max f.
    Vec col = column(f, 0);
    double m = maxOf(col);
    int64_t width = w.empty() && wdim == 0 ? 1 : wdim;
    for (int64_t c = 0; c < width; ++c) {
      if (std::isnan(m) || m == -INFINITY) {
        values.push_back(m);
        continue;
      }
      Vec terms;
      for (size_t t = 0; t < col.size(); ++t) {
        double weight = wdim == 0 ? 1.0 : w[t][c];
        if (m == INFINITY) // Only the +inf terms count.
          terms.push_back(col[t] == INFINITY ? weight : 0.0);
        else
          terms.push_back(std::exp(col[t] - m) * weight);
      }
      double s = accurateSum(terms);
      values.push_back(m == INFINITY ? (s > 0 ? INFINITY : NAN)
                                     : m + std::log(s));
    }
    return;
  }
  case ReductionKind::SumSoftmaxWeight: {
    // sum_t softmax(f)_t v_t; with +inf terms, the mean of their v.
    Vec col = column(f, 0);
    double m = maxOf(col);
    for (int64_t c = 0; c < wdim; ++c) {
      if (std::isnan(m) || m == -INFINITY) {
        values.push_back(NAN);
        continue;
      }
      Vec num, den;
      for (size_t t = 0; t < col.size(); ++t) {
        double p = m == INFINITY ? (col[t] == INFINITY ? 1.0 : 0.0)
                                 : std::exp(col[t] - m);
        num.push_back(p * w[t][c]);
        den.push_back(p);
      }
      values.push_back(accurateSum(num) / accurateSum(den));
    }
    return;
  }
  }
}

} // namespace mlir::keops::detail
