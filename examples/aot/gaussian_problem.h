// The problem both examples solve: the Gaussian kernel sum of
// examples/mlir/gaussian_sum.mlir,
//   out_i = sum_j exp(-|x_i - y_j|^2 / (2 s^2)) b_j,
// on random data, and its check against a naive double loop in double
// precision.

#ifndef KEOPS_EXAMPLES_GAUSSIAN_PROBLEM_H
#define KEOPS_EXAMPLES_GAUSSIAN_PROBLEM_H

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

struct GaussianProblem {
  static constexpr int64_t M = 300, N = 200, D = 3;
  float sigma = 0.5f;
  std::vector<float> x, y, b; // M x 3, N x 3, N x 1
  std::vector<double> reference, scale;

  GaussianProblem() : x(M * D), y(N * D), b(N), reference(M), scale(M) {
    std::mt19937 generator(42);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    for (float &v : x)
      v = uniform(generator);
    for (float &v : y)
      v = uniform(generator);
    for (float &v : b)
      v = uniform(generator);
    // The naive double loop.
    double gamma = -0.5 / (double(sigma) * sigma);
    for (int64_t i = 0; i < M; ++i) {
      double sum = 0, absSum = 0;
      for (int64_t j = 0; j < N; ++j) {
        double d2 = 0;
        for (int64_t k = 0; k < D; ++k) {
          double d = double(x[i * D + k]) - y[j * D + k];
          d2 += d * d;
        }
        double term = std::exp(gamma * d2) * b[j];
        sum += term;
        absSum += std::fabs(term);
      }
      reference[i] = sum;
      scale[i] = absSum;
    }
  }

  /// Operands in the order of the reduction: x (i), y (j), b (j), s (p).
  std::vector<const void *> inputs() const {
    return {x.data(), y.data(), b.data(), &sigma};
  }

  /// The largest error of `out` (M values) relative to the magnitude of each
  /// row's terms; NaN counts as the worst.
  double maxError(const std::vector<float> &out) const {
    double worst = 0;
    for (int64_t i = 0; i < M; ++i) {
      double error =
          std::fabs(out[i] - reference[i]) / std::max(scale[i], 1e-30);
      if (!(error <= worst))
        worst = error;
    }
    return worst;
  }

  /// f32 kernels with a polynomial exp: a few ulp per term.
  static constexpr double tolerance = 1e-5;
};

#endif // KEOPS_EXAMPLES_GAUSSIAN_PROBLEM_H
