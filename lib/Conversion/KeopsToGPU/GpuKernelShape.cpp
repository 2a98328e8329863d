//===- GpuKernelShape.cpp - the thread layout of GPU reduction kernels ----===//

#include "keops/Conversion/GpuKernelShape.h"

#include "keops/Conversion/Accumulators.h"

using namespace mlir;
using namespace mlir::keops;

int64_t mlir::keops::gpuRowsPerThread(ReduceOp op) {
  switch (op.getKind()) {
  case ReductionKind::Sum:
  case ReductionKind::LogSumExp:
  case ReductionKind::SumSoftmaxWeight:
    break;
  default:
    return 1; // K-lists, index states: registers go to the state
  }
  if (op.hasRanges())
    return 1; // a block's rows are its ranges' tiles
  // Registers a row holds: its kept variables and its state (the formula's
  // width, twice for a block or softmax state).
  int64_t perRow = 0;
  for (auto [index, in] : llvm::enumerate(op.getIns()))
    if (op.getCategory(index) == op.getKeptCategory())
      perRow += cast<ShapedType>(in.getType()).getShape().back();
  for (Value v : op.getYield().getValues())
    perRow += 2 * cast<VectorType>(v.getType()).getNumElements();
  return perRow <= 12 ? 2 : 1;
}

bool mlir::keops::isTensorCoreMode(StringRef tensorCores) {
  return tensorCores == "none" || tensorCores == "tf32";
}

bool mlir::keops::gpuUsesWarpTiles(ReduceOp op, int64_t blockSize,
                                   StringRef tensorCores, int64_t gramMinDim) {
  return tensorCores == "tf32" &&
         whyNoWarpTiles(op, blockSize, tensorCores, gramMinDim).empty();
}

std::string mlir::keops::whyNoWarpTiles(ReduceOp op, int64_t blockSize,
                                        StringRef tensorCores,
                                        int64_t gramMinDim) {
  if (tensorCores != "tf32")
    return "";
  if (gramMinDim <= 0)
    return "gram_min_dim is 0";
  if (blockSize % 32 != 0)
    return "the block size is not a multiple of 32";
  if (op.hasRanges())
    return "block-sparse reductions take their rows by ranges";
  if (!op.getElementType().isF32())
    return "the data are not float32";
  // An inner product of long kept and reduced vectors is possible.
  int64_t kept = 0, reduced = 0;
  for (auto [index, in] : llvm::enumerate(op.getIns())) {
    int64_t dim = cast<ShapedType>(in.getType()).getShape().back();
    if (op.getCategory(index) == op.getKeptCategory())
      kept = std::max(kept, dim);
    else if (op.getCategory(index) == op.getReducedCategory())
      reduced = std::max(reduced, dim);
  }
  if (std::min(kept, reduced) < gramMinDim)
    return "no kept and reduced variables of " + std::to_string(gramMinDim) +
           " components or more";
  // Two rows' states in registers (counted with block sums, whatever the
  // accumulation: the decision must not depend on it).
  Accumulator acc(op, SumMode::Block);
  if (acc.keepsListInMemory() || acc.storedStateBytes() > 32 * 4)
    return "the state takes more than 32 registers a row";
  // The left operands' fragments (D / 2 registers, up to D = 128; longer
  // ones are read from memory) and two rows' states stay in registers
  // through the loop: more than 112 spill (argKmin K = 10 with 64-bit
  // indices at D = 128 does, with 32-bit ones not).
  int64_t held = (kept <= 128 ? kept / 2 : 0) + 2 * acc.storedStateBytes() / 4;
  if (held > 112)
    return "the left operands and two rows' states take " +
           std::to_string(held) + " registers, more than 112";
  return "";
}

int64_t mlir::keops::gpuBlockRows(ReduceOp op, int64_t blockSize,
                                  StringRef tensorCores, int64_t gramMinDim) {
  if (gpuUsesWarpTiles(op, blockSize, tensorCores, gramMinDim))
    return blockSize / 2;
  return blockSize * gpuRowsPerThread(op);
}
