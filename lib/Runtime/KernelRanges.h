//===- KernelRanges.h - the ranges a block-sparse kernel reads --*- C++ -*-===//

#ifndef KEOPS_LIB_RUNTIME_KERNELRANGES_H
#define KEOPS_LIB_RUNTIME_KERNELRANGES_H

#include "keops/Dialect/Ranges.h"
#include "keops/Runtime/Runtime.h"

#include <string>

namespace mlir::keops::runtime {

/// Reads the triple of `info`'s axis from `ranges` (host memory), checks it
/// for M = m and N = n (and `elements` batch elements, when the kernel takes
/// ranges per element) and completes it into `table`, the layout the
/// kernels of keops-outline-kernels read. Returns an error starting with
/// "bad ranges: ", empty on success.
std::string kernelRanges(const KernelInfo &info, const RangesArg &ranges,
                         int64_t m, int64_t n, int64_t elements,
                         RangeTable &table);

} // namespace mlir::keops::runtime

#endif // KEOPS_LIB_RUNTIME_KERNELRANGES_H
