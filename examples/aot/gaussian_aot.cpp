// The Gaussian kernel sum through the kernel library that keops-compile built
// at build time (keops_add_kernel_library in CMakeLists.txt), checked against
// a naive double loop. Exits 1 on a mismatch.

#include "gaussian_kernels.h" // generated: declares aot_gaussian_sum_kernel0*
#include "gaussian_problem.h"

#include <cstdio>

int main() {
  GaussianProblem p;
  const int64_t M = p.M, N = p.N;
  std::vector<const void *> inputs = p.inputs();
  std::vector<float> out(M, NAN), outThreads(M, NAN);
  void *outputs[] = {out.data()};
  void *outputsThreads[] = {outThreads.data()};

  int status = aot_gaussian_sum_kernel0_run(inputs.data(), outputs, M, N);
  if (status != KEOPS_AOT_OK) {
    std::printf("aot_gaussian_sum_kernel0_run failed: status %d\n", status);
    return 1;
  }
  status = aot_gaussian_sum_kernel0_run_threads(inputs.data(), outputsThreads,
                                                M, N, 4);
  if (status != KEOPS_AOT_OK) {
    std::printf("aot_gaussian_sum_kernel0_run_threads failed: status %d\n",
                status);
    return 1;
  }

  // Invalid arguments are refused with a status, and nothing is computed.
  const void *nullInput[] = {inputs[0], nullptr, inputs[2], inputs[3]};
  if (aot_gaussian_sum_kernel0_run(nullInput, outputs, M, N) !=
          KEOPS_AOT_NULL_POINTER ||
      aot_gaussian_sum_kernel0_run(inputs.data(), nullptr, M, N) !=
          KEOPS_AOT_NULL_POINTER ||
      aot_gaussian_sum_kernel0_run(inputs.data(), outputs, -1, N) !=
          KEOPS_AOT_BAD_SIZE ||
      aot_gaussian_sum_kernel0_run_threads(inputs.data(), outputs, M, N, 0) !=
          KEOPS_AOT_BAD_THREADS) {
    std::printf("invalid arguments were not refused\n");
    return 1;
  }

  double error = p.maxError(out), errorThreads = p.maxError(outThreads);
  bool same = out == outThreads;
  std::printf("AOT, M = %lld, N = %lld: out[0] = %.6f (reference %.6f)\n",
              (long long)M, (long long)N, out[0], p.reference[0]);
  std::printf("max error: %.3g (1 thread), %.3g (4 threads), tolerance %.0e\n",
              error, errorThreads, p.tolerance);
  std::printf("threaded result %s\n",
              same ? "identical" : "DIFFERENT from the single-thread one");
  if (!(error <= p.tolerance) || !(errorThreads <= p.tolerance) || !same) {
    std::printf("FAILED\n");
    return 1;
  }
  std::printf("OK\n");
  return 0;
}
