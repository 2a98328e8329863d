//===- Pipelines.h - the pass pipelines of the backends ---------*- C++ -*-===//

#ifndef KEOPS_TRANSFORMS_PIPELINES_H
#define KEOPS_TRANSFORMS_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class DialectRegistry;
class OpPassManager;
namespace keops {

struct CpuPipelineOptions : public PassPipelineOptions<CpuPipelineOptions> {
  Option<int64_t> lanes{*this, "lanes",
                        llvm::cl::desc("output rows per vector (0: native)"),
                        llvm::cl::init(0)};
  Option<int64_t> blocks{*this, "blocks",
                         llvm::cl::desc("groups of lanes per iteration"),
                         llvm::cl::init(2)};
  Option<int64_t> splits{*this, "splits",
                         llvm::cl::desc("ranges of the reduced axis, merged"),
                         llvm::cl::init(1)};
  Option<std::string> accumulation{
      *this, "accumulation",
      llvm::cl::desc("sums: plain, block, kahan or f64"),
      llvm::cl::init("block")};
  Option<bool> approximateMath{
      *this, "approximate-math",
      llvm::cl::desc("polynomial f32 elementary functions"),
      llvm::cl::init(true)};
  Option<int64_t> gramMinDim{
      *this, "gram-min-dim",
      llvm::cl::desc("inner products over this many components or more "
                     "computed by matrix-multiply tiles (0: never)"),
      llvm::cl::init(32)};
  Option<int64_t> gramColumns{
      *this, "gram-columns",
      llvm::cl::desc("reduced indices per tile of keops.gram entries (8 "
                     "for 32 vector registers, 4 for 16)"),
      llvm::cl::init(8)};
  Option<bool> partialStates{
      *this, "partial-states",
      llvm::cl::desc("also build each reduction's partial, merge and "
                     "finalize kernels (keops-outline-kernels)"),
      llvm::cl::init(false)};
};

struct GpuPipelineOptions : public PassPipelineOptions<GpuPipelineOptions> {
  Option<std::string> chip{*this, "chip",
                           llvm::cl::desc("the NVIDIA architecture (sm_80, sm_90...)"),
                           llvm::cl::init("sm_80")};
  Option<int64_t> blockSize{*this, "block-size",
                            llvm::cl::desc("threads per block"),
                            llvm::cl::init(128)};
  Option<std::string> accumulation{
      *this, "accumulation",
      llvm::cl::desc("sums: plain, block, kahan or f64"),
      llvm::cl::init("block")};
  Option<bool> approximateMath{
      *this, "approximate-math",
      llvm::cl::desc("polynomial f32 elementary functions"),
      llvm::cl::init(true)};
  Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("CUDA toolkit holding nvvm/libdevice (empty: none)"),
      llvm::cl::init("")};
  Option<bool> partialStates{
      *this, "partial-states",
      llvm::cl::desc("also build each reduction's partial, merge and "
                     "finalize kernels (keops-outline-kernels)"),
      llvm::cl::init(false)};
  Option<int64_t> gramMinDim{
      *this, "gram-min-dim",
      llvm::cl::desc("squared distances over this many components or more "
                     "expanded into norms and an inner product, the reduced "
                     "side's norms computed once per tile row (0: never)"),
      llvm::cl::init(32)};
  Option<std::string> tensorCores{
      *this, "tensor-cores",
      llvm::cl::desc("inner products of long vectors on the tensor cores: "
                     "none (exact f32) or tf32"),
      llvm::cl::init("none")};
};

/// Target independent: keops.reduce_grad into gradient reductions, keops.grad
/// into formula ops (keops-differentiate, keops-expand-grad). Every backend
/// and the interpreter start with it.
void buildDifferentiationPipeline(OpPassManager &pm);

/// From keops reductions in functions to LLVM dialect kernels with the
/// runtime's calling convention (see keops-outline-kernels).
void buildCpuPipeline(OpPassManager &pm, const CpuPipelineOptions &options);

/// From keops reductions in functions to a gpu.binary holding the PTX of one
/// kernel per reduction (see keops-outline-kernels with gpu=true and
/// convert-keops-to-gpu).
void buildGpuPipeline(OpPassManager &pm, const GpuPipelineOptions &options);

/// The kernels of buildGpuPipeline, unchanged up to the NVVM lowering, as
/// LLVM dialect host functions that the runtime's GPU emulator runs (see
/// convert-gpu-kernels-to-host); `chip` and `toolkit` are not used.
void buildGpuEmulationPipeline(OpPassManager &pm,
                               const GpuPipelineOptions &options);

/// What keops-gpu-pipeline needs registered in the context's registry (the
/// conversions to LLVM of every dialect in a kernel, the NVVM target and the
/// translations to LLVM IR), and the NVPTX backend initialized.
void registerGpuPipelineDependencies(DialectRegistry &registry);

/// Registers `keops-cpu-pipeline`, `keops-gpu-pipeline` and
/// `keops-gpu-emulation-pipeline` for keops-opt.
void registerPipelines();

} // namespace keops
} // namespace mlir

#endif // KEOPS_TRANSFORMS_PIPELINES_H
