//===- FormulaSemantics.h - scalar semantics of keops ops -------*- C++ -*-===//
//
// The definitions of KeOps' special functions on one double, shared by the
// constant folders and the reference interpreter so that both read the
// documented semantics from one place. Backends implement the same
// definitions in IR (keops-expand-formulas).
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_DIALECT_FORMULASEMANTICS_H
#define KEOPS_DIALECT_FORMULASEMANTICS_H

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace mlir::keops::semantics {

/// -1, 0 (for either zero) or +1; NaN stays NaN.
inline double sign(double x) {
  return std::isnan(x) ? x : (x > 0) - (x < 0);
}
/// 0 for x < 0, 1 for x >= 0; NaN stays NaN.
inline double step(double x) { return std::isnan(x) ? x : x >= 0 ? 1.0 : 0.0; }
/// 0 for x < 0, x otherwise; NaN stays NaN.
inline double relu(double x) { return x < 0 ? 0.0 : x; }
/// x log x, continued by 0 at 0; NaN for x < 0.
inline double xlogx(double x) { return x == 0 ? 0.0 : x * std::log(x); }
/// sin(x) / x, continued by 1 at 0.
inline double sinxdivx(double x) { return x == 0 ? 1.0 : std::sin(x) / x; }

/// Rounds x to `decimals` digits after the point (tens, hundreds, ... for a
/// negative count), halves away from 0. Non-finite x and digits beyond the
/// precision of a double leave x unchanged.
inline double roundDecimals(double x, int64_t decimals) {
  if (!std::isfinite(x))
    return x;
  if (decimals >= 0) {
    if (decimals > 340)
      return x;
    double scale = std::pow(10.0, static_cast<double>(decimals));
    double scaled = x * scale;
    if (!std::isfinite(scaled))
      return x;
    return std::round(scaled) / scale;
  }
  double scale = decimals < -340 ? INFINITY
                                 : std::pow(10.0, static_cast<double>(-decimals));
  if (!std::isfinite(scale)) // Every finite x rounds to a zero.
    return std::copysign(0.0, x);
  return std::round(x / scale) * scale;
}

/// Position of the largest (or smallest) of n values: the first one wins
/// ties and a NaN wins over every number (so max and min propagate NaN).
inline size_t extremePosition(const double *xs, size_t n, bool largest) {
  size_t best = 0;
  for (size_t k = 1; k < n; ++k) {
    if (std::isnan(xs[best]))
      break;
    if (std::isnan(xs[k]) || (largest ? xs[k] > xs[best] : xs[k] < xs[best]))
      best = k;
  }
  return best;
}

} // namespace mlir::keops::semantics

#endif // KEOPS_DIALECT_FORMULASEMANTICS_H
