//===- GpuKernelShape.h - the thread layout of GPU reduction kernels -*- C++ -*-===//
//
// Decisions about a GPU kernel's shape that the kernel (convert-keops-to-gpu)
// and its launches (lib/Runtime/GpuModule.cpp) must agree on.
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_CONVERSION_GPUKERNELSHAPE_H
#define KEOPS_CONVERSION_GPUKERNELSHAPE_H

#include "keops/Dialect/Keops.h"

namespace mlir::keops {

/// Output rows a thread of the 1-D and `_part` kernels of `op` computes
/// (register blocking over the kept axis): rows tid + r * B of its block's
/// B * R for r < R. Each row of the shared tile then serves R pairs with one
/// load, and the loop's counting is shared by R times more pairs. 2 for
/// sums and softmax-type reductions whose kept rows and state fit a few
/// registers, else 1. The same for a reduction before and after the
/// formula's expansion (it reads kinds and widths only).
int64_t gpuRowsPerThread(ReduceOp op);

} // namespace mlir::keops

#endif // KEOPS_CONVERSION_GPUKERNELSHAPE_H
