//===- Runtime.h - compile keops modules and run their kernels --*- C++ -*-===//
//
// The C++ API of the runtime: compile a module holding keops reductions for
// the host CPU (through a memory and disk cache), then run its kernels on
// raw row-major host arrays, with output rows split over a thread pool.
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_RUNTIME_RUNTIME_H
#define KEOPS_RUNTIME_RUNTIME_H

#include "keops/Dialect/Keops.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir::keops::runtime {

/// What a caller needs to know to run one kernel.
struct KernelInfo {
  std::string name;
  ReductionKind kind;
  Axis axis;
  int64_t k = 0;
  std::vector<Category> categories; ///< one per input
  std::vector<int64_t> inputDims;   ///< D of each input
  std::vector<int> inputBits;       ///< element width of each input
  std::vector<bool> inputIsInteger; ///< index variables (i32, i64)
  std::vector<int64_t> outputWidths;
  std::vector<bool> outputIsIndex;
  int elementBits = 32;  ///< 16, 32 or 64 (floats)
  int indexBits = 64;    ///< 32 or 64 (index outputs)
};

struct CompileOptions {
  int64_t lanes = 0;
  int64_t blocks = 2;
  std::string accumulation = "block";
  bool approximateMath = true;
  int optLevel = 3;
  /// Prepended to the name of every function, hence of every kernel
  /// (ahead-of-time libraries: keeps the symbols of two libraries apart).
  std::string symbolPrefix;
};

class ThreadPool;

/// A compiled module: its kernels, loaded in the process.
class Module {
public:
  ~Module();
  const std::vector<KernelInfo> &kernels() const { return infos; }
  /// Runs kernel `index`: `inputs` and `outputs` point to row-major arrays in
  /// operand order; M and N are the rows of the i and j variables. Returns
  /// an error message, empty on success.
  std::string run(size_t index, const void *const *inputs,
                  void *const *outputs, int64_t m, int64_t n) const;

private:
  friend class Compiler;
  using KernelFn = void (*)(const void *const *, void *const *, int64_t,
                            int64_t, int64_t, int64_t);
  std::vector<KernelInfo> infos;
  std::vector<KernelFn> functions;
  std::shared_ptr<void> owner; ///< keeps the JIT'd code alive
};

/// Compiles modules; one per process is enough (see Compiler::global()).
class Compiler {
public:
  /// Compiles the MLIR text `source`. On failure returns null and sets
  /// `error` to the diagnostics (with locations).
  std::shared_ptr<Module> compile(llvm::StringRef source,
                                  const CompileOptions &options,
                                  std::string &error);
  /// Compiles to a relocatable object file (for ahead-of-time libraries):
  /// position-independent code for the host CPU, one global symbol per
  /// kernel. `sourceName` names the source in diagnostics.
  bool compileToObject(llvm::StringRef source, const CompileOptions &options,
                       std::string &object, std::vector<KernelInfo> &infos,
                       std::string &error,
                       llvm::StringRef sourceName = "<keops module>");
  static Compiler &global();
  ~Compiler();

private:
  Compiler();
  struct Impl;
  std::unique_ptr<Impl> impl;
};

/// Number of threads kernels use: KEOPS_NUM_THREADS, else all cores.
int numThreads();
void setNumThreads(int threads);

} // namespace mlir::keops::runtime

#endif // KEOPS_RUNTIME_RUNTIME_H
