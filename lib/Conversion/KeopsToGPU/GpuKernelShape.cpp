//===- GpuKernelShape.cpp - the thread layout of GPU reduction kernels ----===//

#include "keops/Conversion/GpuKernelShape.h"

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
