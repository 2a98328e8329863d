//===- keops-opt.cpp - the keops compiler driver -------------------------===//
//
// mlir-opt with the keops dialect and the upstream dialects and passes that
// keops pipelines use.
//
//===----------------------------------------------------------------------===//

#include "keops/Dialect/Keops.h"
#include "keops/Transforms/Passes.h"
#include "keops/Transforms/Pipelines.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::registerTransformsPasses();
  mlir::registerConversionPasses();
  mlir::registerGPUPasses();
  mlir::keops::registerKeopsPasses();
  mlir::keops::registerPipelines();

  mlir::DialectRegistry registry;
  registry.insert<mlir::keops::KeopsDialect, mlir::arith::ArithDialect,
                  mlir::math::MathDialect, mlir::vector::VectorDialect,
                  mlir::func::FuncDialect, mlir::tensor::TensorDialect,
                  mlir::memref::MemRefDialect, mlir::scf::SCFDialect,
                  mlir::cf::ControlFlowDialect, mlir::LLVM::LLVMDialect,
                  mlir::bufferization::BufferizationDialect,
                  mlir::gpu::GPUDialect>();
  mlir::keops::registerGpuPipelineDependencies(registry);
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "keops-opt: the keops-mlir compiler driver\n", registry));
}
