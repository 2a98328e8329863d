//===- KernelRanges.cpp - the ranges a block-sparse kernel reads ---------===//
//
// pykeops' arrays of one axis, checked and completed by buildRangeTable
// (keops/Dialect/Ranges.h), in the layout the CPU and GPU kernels of
// keops-outline-kernels read.
//
//===----------------------------------------------------------------------===//

#include "KernelRanges.h"

#include "keops/Dialect/Ranges.h"

using namespace mlir::keops;
using namespace mlir::keops::runtime;

std::string mlir::keops::runtime::kernelRanges(const KernelInfo &info, const RangesArg &r,
                                int64_t m, int64_t n, KernelRanges &out) {
  static const char *const names[2][3] = {
      {"ranges_i", "slices_i", "redranges_j"},
      {"ranges_j", "slices_j", "redranges_i"}};
  int first = info.axis == Axis::J ? 0 : 3;
  if (r.bits != 32 && r.bits != 64)
    return "bad ranges: ranges must be 32- or 64-bit integers, got " +
           std::to_string(r.bits) + " bits";
  std::vector<int64_t> values[3];
  for (int a = 0; a < 3; ++a) {
    int64_t rows = r.lengths[first + a];
    int64_t count = (a == 1 ? 1 : 2) * rows;
    if (rows < 0)
      return std::string("bad ranges: ranges array ") + names[first / 3][a] +
             " has a negative length";
    if (count && !r.arrays[first + a])
      return std::string("bad ranges: ranges array ") + names[first / 3][a] +
             " is a null pointer";
    values[a].resize(count);
    for (int64_t k = 0; k < count; ++k)
      values[a][k] =
          r.bits == 32
              ? int64_t(static_cast<const int32_t *>(r.arrays[first + a])[k])
              : static_cast<const int64_t *>(r.arrays[first + a])[k];
  }
  bool overJ = info.axis == Axis::J;
  RangeTable table;
  std::string error = buildRangeTable(
      values[0], values[1], values[2], overJ ? m : n, overJ ? n : m,
      names[first / 3], overJ ? "M" : "N", overJ ? "N" : "M", table);
  if (!error.empty())
    return "bad ranges: " + error;
  out.sizes[0] = table.numBlocks();
  out.sizes[1] = int64_t(table.intervals.size()) / 2;
  for (int64_t k = 0; k < table.numBlocks(); ++k) {
    out.blocks.push_back(table.blocks[4 * k]);
    out.blocks.push_back(table.blocks[4 * k + 1]);
    out.counts.push_back(table.blocks[4 * k + 3]);
  }
  out.intervals = std::move(table.intervals);
  return "";
}

