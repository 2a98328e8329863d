//===- Pipelines.cpp - the pass pipelines of the backends ----------------===//

#include "keops/Transforms/Pipelines.h"
#include "keops/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/Vector/Transforms/Passes.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVM.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/NVVMToLLVM/NVVMToLLVM.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVM.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "llvm/Support/TargetSelect.h"

#include <mutex>
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::keops;

/// The canonicalizer of the pipelines, without upstream's
/// RemoveDuplicateSuccessorInputUses: it compares the loop-carried values
/// of a loop pairwise, and a K-min state carries 2K per row (K = 128 took
/// 11 s in that one pattern; K = 1000 did not finish). LLVM removes the
/// duplicates it would have.
static std::unique_ptr<Pass> canonicalizer() {
  static const std::string disabled[] = {
      "(anonymous namespace)::RemoveDuplicateSuccessorInputUses"};
  return createCanonicalizerPass(GreedyRewriteConfig(), disabled);
}

void mlir::keops::buildDifferentiationPipeline(OpPassManager &pm) {
  pm.addPass(createKeopsDifferentiate());
  pm.addPass(createKeopsExpandGrad());
}

/// The host's lowering of kernels in scf/vector/memref/math/arith to the
/// LLVM dialect: the CPU backend's and the GPU emulator's.
static void buildHostLLVMLowering(OpPassManager &pm) {
  pm.addNestedPass<func::FuncOp>(vector::createLowerVectorMultiReductionPass());
  VectorTransferToSCFOptions vectorToScf;
  vectorToScf.unroll = true;
  pm.addPass(createConvertVectorToSCFPass(vectorToScf));
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  // Math first: functions without an LLVM intrinsic become libm calls,
  // scalarized with vector ops that the vector conversion then lowers.
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(canonicalizer());
}

/// What every backend starts from: the reductions differentiated, outlined
/// into kernels (gpu.funcs with `gpu`), their formulas factorized and
/// expanded; with `gramMinDim` > 0, inner products of long vectors made
/// keops.gram entries, kept for the CPU's tiles and the GPU's tensor cores
/// (`keepGram`), else expanded into dot products (the GPU's shared tile
/// computes the row norms once a tile row).
static void buildKernelPreparation(OpPassManager &pm, bool gpu,
                                   int64_t gramMinDim, bool partialStates,
                                   bool keepGram) {
  buildDifferentiationPipeline(pm);
  // Kernel k is the k-th keops.reduce of a function as written: nothing may
  // merge or drop reductions before they are outlined.
  KeopsOutlineKernelsOptions outline;
  outline.gpu = gpu;
  outline.partialStates = partialStates;
  pm.addPass(createKeopsOutlineKernels(outline));
  // Gradient formulas repeat the forward's computations.
  pm.addPass(createCSEPass());
  if (gramMinDim > 0) {
    KeopsRecognizeGramOptions gram;
    gram.minDim = gramMinDim;
    pm.addPass(createKeopsRecognizeGram(gram));
    pm.addPass(createCSEPass());
  }
  pm.addPass(createKeopsFactorize());
  KeopsExpandFormulasOptions expand;
  expand.keepGram = keepGram && gramMinDim > 0;
  pm.addPass(createKeopsExpandFormulas(expand));
}

void mlir::keops::buildCpuPipeline(OpPassManager &pm,
                                   const CpuPipelineOptions &options) {
  buildKernelPreparation(pm, /*gpu=*/false, options.gramMinDim,
                         options.partialStates, /*keepGram=*/true);
  ConvertKeopsToSCFOptions scf;
  scf.lanes = options.lanes;
  scf.blocks = options.blocks;
  scf.splits = options.splits;
  scf.accumulation = options.accumulation;
  scf.gramColumns = options.gramColumns;
  pm.addPass(createConvertKeopsToSCF(scf));
  pm.addPass(canonicalizer());
  pm.addPass(createCSEPass());
  // Feature-axis sums become element-wise additions before the fast-math
  // flags are set, so that they fuse with their products into FMAs.
  pm.addNestedPass<func::FuncOp>(vector::createLowerVectorMultiReductionPass());
  if (options.approximateMath)
    pm.addPass(createKeopsApproximateMath());
  buildHostLLVMLowering(pm);
}

/// Up to the kernels of the chosen scheme in a gpu.module, before any
/// lowering to NVVM: what the GPU and its emulator both run.
static void buildGpuKernelPipeline(OpPassManager &pm,
                                   const GpuPipelineOptions &options) {
  buildKernelPreparation(pm, /*gpu=*/true, options.gramMinDim,
                         options.partialStates,
                         /*keepGram=*/options.tensorCores != "none");
  ConvertKeopsToGPUOptions gpu;
  gpu.blockSize = options.blockSize;
  gpu.accumulation = options.accumulation;
  gpu.tensorCores = options.tensorCores;
  gpu.gramMinDim = options.gramMinDim;
  pm.addPass(createConvertKeopsToGPU(gpu));
  pm.addPass(canonicalizer());
  pm.addPass(createCSEPass());
  if (options.approximateMath) {
    KeopsApproximateMathOptions approximate;
    approximate.gpu = true;
    pm.addPass(createKeopsApproximateMath(approximate));
  }
}

void mlir::keops::buildGpuPipeline(OpPassManager &pm,
                                   const GpuPipelineOptions &options) {
  buildGpuKernelPipeline(pm, options);
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.optLevel = 3;
  pm.addPass(createGpuNVVMAttachTarget(target));
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  if (options.approximateMath) {
    KeopsApproximateMathOptions device;
    device.nvvm = true;
    kernels.addPass(createKeopsApproximateMath(device));
  }
  kernels.addPass(createLowerAffinePass());
  kernels.addPass(createSCFToControlFlowPass());
  // Also lowers the arith, math (libdevice calls), memref and vector ops.
  kernels.addPass(createConvertGpuOpsToNVVMOps());
  // What the conversion interface of the vector dialect leaves: broadcasts
  // need the pass's own lowering patterns. Run after the memrefs of shared
  // memory have become LLVM pointers of address space 3.
  kernels.addPass(createConvertVectorToLLVMPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());
  kernels.addPass(canonicalizer());
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = "isa";
  binary.toolkitPath = options.toolkit;
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

void mlir::keops::buildGpuEmulationPipeline(
    OpPassManager &pm, const GpuPipelineOptions &options) {
  buildGpuKernelPipeline(pm, options);
  pm.addPass(createConvertGPUKernelsToHost());
  buildHostLLVMLowering(pm);
}

void mlir::keops::registerGpuPipelineDependencies(DialectRegistry &registry) {
  registry.insert<gpu::GPUDialect, NVVM::NVVMDialect, LLVM::LLVMDialect>();
  arith::registerConvertArithToLLVMInterface(registry);
  cf::registerConvertControlFlowToLLVMInterface(registry);
  registerConvertFuncToLLVMInterface(registry);
  index::registerConvertIndexToLLVMInterface(registry);
  registerConvertMemRefToLLVMInterface(registry);
  ub::registerConvertUBToLLVMInterface(registry);
  vector::registerConvertVectorToLLVMInterface(registry);
  registerConvertNVVMToLLVMInterface(registry);
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerGPUDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
  static std::once_flag nvptx;
  std::call_once(nvptx, [] {
    LLVMInitializeNVPTXTarget();
    LLVMInitializeNVPTXTargetInfo();
    LLVMInitializeNVPTXTargetMC();
    LLVMInitializeNVPTXAsmPrinter();
  });
}

void mlir::keops::registerPipelines() {
  PassPipelineRegistration<CpuPipelineOptions>(
      "keops-cpu-pipeline",
      "Lowers keops reductions to LLVM dialect kernels for the host CPU",
      buildCpuPipeline);
  PassPipelineRegistration<GpuPipelineOptions>(
      "keops-gpu-pipeline",
      "Lowers keops reductions to PTX kernels for NVIDIA GPUs (a gpu.binary)",
      buildGpuPipeline);
  PassPipelineRegistration<GpuPipelineOptions>(
      "keops-gpu-emulation-pipeline",
      "Lowers keops reductions to GPU kernels, then to LLVM dialect host "
      "functions for the GPU emulator",
      buildGpuEmulationPipeline);
}
