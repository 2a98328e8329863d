//===- Pipelines.h - the pass pipelines of the backends ---------*- C++ -*-===//

#ifndef KEOPS_TRANSFORMS_PIPELINES_H
#define KEOPS_TRANSFORMS_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
namespace keops {

struct CpuPipelineOptions : public PassPipelineOptions<CpuPipelineOptions> {
  Option<int64_t> lanes{*this, "lanes",
                        llvm::cl::desc("output rows per vector (0: native)"),
                        llvm::cl::init(0)};
  Option<int64_t> blocks{*this, "blocks",
                         llvm::cl::desc("groups of lanes per iteration"),
                         llvm::cl::init(2)};
  Option<std::string> accumulation{
      *this, "accumulation",
      llvm::cl::desc("sums: plain, block, kahan or f64"),
      llvm::cl::init("block")};
  Option<bool> approximateMath{
      *this, "approximate-math",
      llvm::cl::desc("polynomial f32 elementary functions"),
      llvm::cl::init(true)};
};

/// Target independent: keops.reduce_grad into gradient reductions, keops.grad
/// into formula ops (keops-differentiate, keops-expand-grad). Every backend
/// and the interpreter start with it.
void buildDifferentiationPipeline(OpPassManager &pm);

/// From keops reductions in functions to LLVM dialect kernels with the
/// runtime's calling convention (see keops-outline-kernels).
void buildCpuPipeline(OpPassManager &pm, const CpuPipelineOptions &options);

/// Registers `keops-cpu-pipeline` for keops-opt.
void registerPipelines();

} // namespace keops
} // namespace mlir

#endif // KEOPS_TRANSFORMS_PIPELINES_H
