//===- Pipelines.cpp - the pass pipelines of the backends ----------------===//

#include "keops/Transforms/Pipelines.h"
#include "keops/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/Vector/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::keops;

void mlir::keops::buildDifferentiationPipeline(OpPassManager &pm) {
  pm.addPass(createKeopsDifferentiate());
  pm.addPass(createKeopsExpandGrad());
}

void mlir::keops::buildCpuPipeline(OpPassManager &pm,
                                   const CpuPipelineOptions &options) {
  buildDifferentiationPipeline(pm);
  // Kernel k is the k-th keops.reduce of a function as written: nothing may
  // merge or drop reductions before they are outlined.
  pm.addPass(createKeopsOutlineKernels());
  // Gradient formulas repeat the forward's computations.
  pm.addPass(createCSEPass());
  pm.addPass(createKeopsFactorize());
  pm.addPass(createKeopsExpandFormulas());
  ConvertKeopsToSCFOptions scf;
  scf.lanes = options.lanes;
  scf.blocks = options.blocks;
  scf.accumulation = options.accumulation;
  pm.addPass(createConvertKeopsToSCF(scf));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (options.approximateMath)
    pm.addPass(createKeopsApproximateMath());
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
  pm.addPass(createCanonicalizerPass());
}

void mlir::keops::registerPipelines() {
  PassPipelineRegistration<CpuPipelineOptions>(
      "keops-cpu-pipeline",
      "Lowers keops reductions to LLVM dialect kernels for the host CPU",
      buildCpuPipeline);
}
