//===- KernelRanges.h - the ranges a block-sparse kernel reads --*- C++ -*-===//

#ifndef KEOPS_LIB_RUNTIME_KERNELRANGES_H
#define KEOPS_LIB_RUNTIME_KERNELRANGES_H

#include "keops/Runtime/Runtime.h"

#include <string>
#include <vector>

namespace mlir::keops::runtime {

/// The completed ranges of a block-sparse kernel's axis, as its kernels
/// read them (OutlineKernels.cpp): {blocks, intervals}, the blocks' row
/// ranges (a partition of the rows), their cumulative interval counts, the
/// intervals.
struct KernelRanges {
  int64_t sizes[2] = {0, 0};
  std::vector<int64_t> blocks, counts, intervals;
};

/// Reads the triple of `info`'s axis from `ranges` (host memory), checks it
/// for M = m and N = n and completes it into `out`. Returns an error
/// starting with "bad ranges: ", empty on success.
std::string kernelRanges(const KernelInfo &info, const RangesArg &ranges,
                         int64_t m, int64_t n, KernelRanges &out);

} // namespace mlir::keops::runtime

#endif // KEOPS_LIB_RUNTIME_KERNELRANGES_H
