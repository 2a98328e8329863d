//===- KernelRanges.cpp - the ranges a block-sparse kernel reads ---------===//
//
// pykeops' arrays of one axis, checked and completed by buildRangeTable
// (keops/Dialect/Ranges.h), in the layout the CPU and GPU kernels of
// keops-outline-kernels read.
//
//===----------------------------------------------------------------------===//

#include "KernelRanges.h"

#include <algorithm>

using namespace mlir::keops;
using namespace mlir::keops::runtime;

std::string mlir::keops::runtime::kernelRanges(const KernelInfo &info,
                                               const RangesArg &r, int64_t m,
                                               int64_t n, int64_t elements,
                                               RangeTable &table) {
  if (r.bits != 32 && r.bits != 64)
    return "bad ranges: ranges must be 32- or 64-bit integers, got " +
           std::to_string(r.bits) + " bits";
  if (info.batchedRanges != (r.elements > 0))
    return "bad ranges: kernel " + info.name +
           (info.batchedRanges
                ? " takes one ranges tuple per batch element, got a shared one"
                : " takes ranges shared by its batch elements, got one tuple "
                  "per element");
  if (info.batchedRanges && r.elements != elements)
    return "bad ranges: " + std::to_string(r.elements) +
           " ranges tuples for " + std::to_string(elements) +
           " batch elements";
  int64_t tables = info.batchedRanges ? elements : 1;
  unsigned first = firstRangeArray(info.axis);
  std::vector<int64_t> values[3];
  for (unsigned a = 0; a < 3; ++a) {
    const void *array = r.arrays[first + a];
    int64_t rows = r.lengths[first + a];
    if (rows < 0)
      return std::string("bad ranges: ranges array ") +
             rangeArrayName(first + a) + " has a negative length";
    if (rows > (int64_t(1) << 40) / std::max<int64_t>(tables, 1))
      return std::string("bad ranges: ranges array ") +
             rangeArrayName(first + a) + " is too long";
    int64_t count = (a == 1 ? 1 : 2) * rows * tables;
    if (count && !array)
      return std::string("bad ranges: ranges array ") +
             rangeArrayName(first + a) + " is a null pointer";
    values[a].resize(count);
    for (int64_t k = 0; k < count; ++k)
      values[a][k] = r.bits == 32 ? static_cast<const int32_t *>(array)[k]
                                  : static_cast<const int64_t *>(array)[k];
  }
  std::string error =
      info.batchedRanges
          ? buildRangeTables(info.axis, values[0], values[1], values[2],
                             elements, m, n, table)
          : buildRangeTable(info.axis, values[0], values[1], values[2], m, n,
                            table);
  return error.empty() ? error : "bad ranges: " + error;
}
