//===- GpuKernelShape.h - the thread layout of GPU reduction kernels -*- C++ -*-===//
//
// Decisions about a GPU kernel's shape that the kernel (convert-keops-to-gpu)
// and its launches (lib/Runtime/GpuModule.cpp) must agree on. They read
// kinds, element types and widths only, which are the same for a reduction
// before and after its formula is recognized, factorized and expanded: the
// runtime decides on the reduction as written, the pass on the kernel.
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
/// registers, else 1.
int64_t gpuRowsPerThread(ReduceOp op);

/// Whether the 1-D and `_part` kernels of `op` use warp tiles: each warp
/// computes 16 rows against 8 reduced indices at a time, the layout of the
/// tensor cores' m16n8k8 products. A thread holds rows g and g + 8 of its
/// warp's 16 (g = lane / 4) and folds the indices 2t, 2t + 1 of each group
/// of 8 (t = lane % 4); the four threads of a row merge their states at the
/// end. Asked for by `tensorCores` ("tf32"), for f32 reductions without
/// ranges, with a kept and a reduced variable of at least `gramMinDim`
/// (> 0) components, states in registers of at most 32 values a row (with
/// the left operands' fragments of kept rows up to 128 components, 112
/// registers), and blocks of whole warps.
bool gpuUsesWarpTiles(ReduceOp op, int64_t blockSize, StringRef tensorCores,
                      int64_t gramMinDim);
/// Why gpuUsesWarpTiles refuses tensor cores that `tensorCores` asks for
/// (empty when it accepts them, or when they are not asked for).
std::string whyNoWarpTiles(ReduceOp op, int64_t blockSize,
                           StringRef tensorCores, int64_t gramMinDim);

/// Output rows a block of `blockSize` threads of the 1-D and `_part`
/// kernels computes: B / 2 with warp tiles, else B times the rows a thread
/// computes.
int64_t gpuBlockRows(ReduceOp op, int64_t blockSize, StringRef tensorCores,
                     int64_t gramMinDim);

/// The tensor-core precisions `tensorCores` may name: "none" and "tf32".
bool isTensorCoreMode(StringRef tensorCores);

} // namespace mlir::keops

#endif // KEOPS_CONVERSION_GPUKERNELSHAPE_H
