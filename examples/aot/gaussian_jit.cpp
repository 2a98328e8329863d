// The same Gaussian kernel sum compiled at run time through the C API of
// libkeops (KeopsMLIR::keops), checked against the naive double loop.
//   gaussian_jit [FILE.mlir]   (default: examples/mlir/gaussian_sum.mlir)
// Exits 1 on a mismatch or an error.

#include "gaussian_problem.h"
#include "keops-c/keops.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : GAUSSIAN_SUM_MLIR;
  std::ifstream file(path);
  if (!file) {
    std::printf("cannot read %s\n", path);
    return 1;
  }
  std::stringstream text;
  text << file.rdbuf();
  std::string mlir = text.str();

  keops_options options;
  keops_default_options(&options);
  keops_module module = nullptr;
  if (keops_compile(mlir.data(), mlir.size(), &options, &module) != KEOPS_OK) {
    std::printf("keops_compile failed: %s\n", keops_last_error());
    return 1;
  }
  GaussianProblem p;
  std::vector<const void *> inputs = p.inputs();
  std::vector<float> out(p.M, NAN);
  void *outputs[] = {out.data()};
  if (keops_run(module, 0, inputs.data(), outputs, p.M, p.N) != KEOPS_OK) {
    std::printf("keops_run failed: %s\n", keops_last_error());
    keops_module_release(module);
    return 1;
  }
  double error = p.maxError(out);
  std::printf("JIT %s, M = %lld, N = %lld: max error %.3g, tolerance %.0e\n",
              keops_kernel_name(module, 0), (long long)p.M, (long long)p.N,
              error, p.tolerance);
  keops_module_release(module);
  if (!(error <= p.tolerance)) {
    std::printf("FAILED\n");
    return 1;
  }
  std::printf("OK\n");
  return 0;
}
