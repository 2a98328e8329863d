//===- Ranges.cpp - block-sparse ranges: verifier and tables --------------===//
//
// The static checks of keops.reduce's six ranges operands, and the one
// routine that checks their values and completes them into the table that
// the interpreter and the kernels read (keops/Dialect/Ranges.h).
//
//===----------------------------------------------------------------------===//

#include "keops/Dialect/Keops.h"
#include "keops/Dialect/Ranges.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <numeric>

using namespace mlir;
using namespace mlir::keops;

const char *mlir::keops::rangeArrayName(unsigned index) {
  static const char *const names[] = {"ranges_i", "slices_i", "redranges_j",
                                      "ranges_j", "slices_j", "redranges_i"};
  return names[index];
}

/// The six ranges arrays: i32 or i64 (one type for all), 2-D (count x 2)
/// for the blocks and intervals, 1-D for the cumulative counts, a block
/// array with as many blocks as its counts array, tensors with tensor
/// outputs and memrefs with memref outputs. Either all six are shared by the
/// batch elements, or all six have the reduction's batch axes in front (one
/// tuple per element; no broadcasting: the frontends expand a tuple shared
/// along some axes, ranges are small).
LogicalResult ReduceOp::verifyRanges() {
  if (!hasRanges())
    return success();
  if (getRanges().size() != 6)
    return emitOpError() << "takes 6 ranges arrays (ranges_i, slices_i, "
                            "redranges_j, ranges_j, slices_j, redranges_i), "
                            "got "
                         << getRanges().size();
  bool tensors = isa<TensorType>(getOuts()[0].getType());
  int64_t batchRank = getBatchRank();
  auto outType = cast<ShapedType>(getOuts()[0].getType());
  auto slicesType = dyn_cast<ShapedType>(getRanges()[1].getType());
  int64_t lead = batchRank && slicesType && slicesType.hasRank() &&
                         slicesType.getRank() == batchRank + 1
                     ? batchRank
                     : 0;
  Type elt;
  for (auto [index, value] : llvm::enumerate(getRanges())) {
    auto type = cast<ShapedType>(value.getType());
    const char *name = rangeArrayName(index);
    bool slices = index % 3 == 1;
    int64_t rank = (slices ? 1 : 2) + lead;
    if (isa<TensorType>(type) != tensors)
      return emitOpError() << "ranges array " << name << " must be a "
                           << (tensors ? "tensor" : "memref")
                           << " like the outputs, got " << type;
    if (!type.hasRank() || type.getRank() != rank ||
        (!slices && type.getDimSize(rank - 1) != 2))
      return emitOpError()
             << "ranges array " << name << " must be "
             << (lead ? "the batch axes then " : "")
             << (slices ? "1-D (one count per block)"
                        : "2-D (count x 2: [begin, end) pairs)")
             << (lead ? " like slices_i" : "") << ", got " << type;
    for (int64_t a = 0; a < lead; ++a) {
      int64_t want = outType.getDimSize(a), got = type.getDimSize(a);
      if (!ShapedType::isDynamic(want) && !ShapedType::isDynamic(got) &&
          want != got)
        return emitOpError() << "ranges array " << name << " has " << got
                             << " elements on batch axis " << a
                             << " but the reduction has " << want
                             << " (ranges per batch element are not "
                                "broadcast)";
    }
    if (!type.getElementType().isSignlessInteger(32) &&
        !type.getElementType().isSignlessInteger(64))
      return emitOpError() << "ranges array " << name
                           << " must hold i32 or i64 integers, got " << type;
    if (elt && type.getElementType() != elt)
      return emitOpError() << "ranges arrays hold one integer type; " << name
                           << " holds " << type.getElementType() << " but "
                           << rangeArrayName(0) << " holds " << elt;
    elt = type.getElementType();
  }
  for (int first : {0, 3}) {
    int64_t blocks =
        cast<ShapedType>(getRanges()[first].getType()).getDimSize(lead);
    int64_t counts =
        cast<ShapedType>(getRanges()[first + 1].getType()).getDimSize(lead);
    if (!ShapedType::isDynamic(blocks) && !ShapedType::isDynamic(counts) &&
        blocks != counts)
      return emitOpError() << rangeArrayName(first) << " has " << blocks
                           << " blocks but " << rangeArrayName(first + 1)
                           << " has " << counts << " counts; one count per "
                           << "block";
  }
  return success();
}

/// "name[k] = [a, b)".
static std::string interval(const char *name, int64_t k, int64_t a,
                            int64_t b) {
  return std::string(name) + "[" + std::to_string(k) + "] = [" +
         std::to_string(a) + ", " + std::to_string(b) + ")";
}

std::string mlir::keops::buildRangeTable(Axis axis,
                                         llvm::ArrayRef<int64_t> ranges,
                                         llvm::ArrayRef<int64_t> slices,
                                         llvm::ArrayRef<int64_t> redranges,
                                         int64_t m, int64_t n,
                                         RangeTable &table) {
  unsigned first = firstRangeArray(axis);
  const char *names[3] = {rangeArrayName(first), rangeArrayName(first + 1),
                          rangeArrayName(first + 2)};
  bool overJ = axis == Axis::J;
  int64_t rows = overJ ? m : n, cols = overJ ? n : m;
  const char *rowsName = overJ ? "M" : "N", *colsName = overJ ? "N" : "M";
  table = RangeTable();
  int64_t nb = int64_t(slices.size()), nr = int64_t(redranges.size()) / 2;
  if (int64_t(ranges.size()) != 2 * nb)
    return std::string(names[0]) + " has " + std::to_string(ranges.size() / 2) +
           " blocks but " + names[1] + " has " + std::to_string(nb) +
           " counts; one count per block";
  for (int64_t k = 0; k < nb; ++k) {
    int64_t a = ranges[2 * k], b = ranges[2 * k + 1];
    if (a < 0 || a > b || b > rows)
      return interval(names[0], k, a, b) + " is not a range of rows within [0, " +
             rowsName + " = " + std::to_string(rows) + "]";
    int64_t first = k ? slices[k - 1] : 0;
    if (slices[k] < first || slices[k] > nr)
      return std::string(names[1]) + "[" + std::to_string(k) + "] = " +
             std::to_string(slices[k]) + " is not a count within [" +
             std::to_string(first) + ", " + std::to_string(nr) +
             "] (counts are cumulative, at most the number of intervals of " +
             names[2] + ")";
  }
  for (int64_t s = 0; s < nr; ++s) {
    int64_t a = redranges[2 * s], b = redranges[2 * s + 1];
    if (a < 0 || a > b || b > cols)
      return interval(names[2], s, a, b) + " is not a range within [0, " +
             colsName + " = " + std::to_string(cols) + "]";
  }
  // Blocks in order of their rows; two that share a row are refused.
  std::vector<int64_t> order;
  for (int64_t k = 0; k < nb; ++k)
    if (ranges[2 * k] < ranges[2 * k + 1])
      order.push_back(k);
  std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) {
    return ranges[2 * x] < ranges[2 * y];
  });
  int64_t row = 0;
  std::vector<int64_t> own;
  auto gap = [&](int64_t end) {
    if (row < end) {
      table.blocks.insert(table.blocks.end(), {row, end});
      table.counts.push_back(table.numIntervals());
    }
  };
  for (size_t n = 0; n < order.size(); ++n) {
    int64_t k = order[n], a = ranges[2 * k], b = ranges[2 * k + 1];
    if (n && a < row) {
      int64_t p = order[n - 1];
      return interval(names[0], p, ranges[2 * p], ranges[2 * p + 1]) +
             " and " + interval(names[0], k, a, b) +
             " overlap: each row may be in one block only";
    }
    gap(a);
    // This block's intervals, sorted; overlapping ones are refused.
    own.clear();
    for (int64_t s = k ? slices[k - 1] : 0; s < slices[k]; ++s)
      if (redranges[2 * s] < redranges[2 * s + 1])
        own.push_back(s);
    std::stable_sort(own.begin(), own.end(), [&](int64_t x, int64_t y) {
      return redranges[2 * x] < redranges[2 * y];
    });
    for (size_t o = 0; o < own.size(); ++o) {
      int64_t s = own[o];
      if (o && redranges[2 * s] < redranges[2 * own[o - 1] + 1]) {
        int64_t t = own[o - 1];
        return interval(names[2], t, redranges[2 * t], redranges[2 * t + 1]) +
               " and " +
               interval(names[2], s, redranges[2 * s], redranges[2 * s + 1]) +
               " overlap, in block " + std::to_string(k) + " of " + names[0] +
               ": each pair may be reduced once only";
      }
      table.intervals.push_back(redranges[2 * s]);
      table.intervals.push_back(redranges[2 * s + 1]);
    }
    table.blocks.insert(table.blocks.end(), {a, b});
    table.counts.push_back(table.numIntervals());
    row = b;
  }
  gap(rows);
  return "";
}

RangeTable RangeTable::element(int64_t e) const {
  if (offsets.empty())
    return *this;
  RangeTable t;
  int64_t b0 = offsets[2 * e], b1 = offsets[2 * e + 2];
  int64_t i0 = offsets[2 * e + 1], i1 = offsets[2 * e + 3];
  t.blocks.assign(blocks.begin() + 2 * b0, blocks.begin() + 2 * b1);
  t.counts.assign(counts.begin() + b0, counts.begin() + b1);
  t.intervals.assign(intervals.begin() + 2 * i0, intervals.begin() + 2 * i1);
  return t;
}

std::string mlir::keops::buildRangeTables(Axis axis,
                                          llvm::ArrayRef<int64_t> ranges,
                                          llvm::ArrayRef<int64_t> slices,
                                          llvm::ArrayRef<int64_t> redranges,
                                          int64_t elements, int64_t m,
                                          int64_t n, RangeTable &table) {
  table = RangeTable();
  table.offsets = {0, 0};
  if (elements <= 0)
    return elements < 0 ? "a negative number of batch elements" : "";
  size_t r = ranges.size() / elements, s = slices.size() / elements,
         d = redranges.size() / elements;
  RangeTable one;
  for (int64_t e = 0; e < elements; ++e) {
    std::string error = buildRangeTable(
        axis, ranges.slice(e * r, r), slices.slice(e * s, s),
        redranges.slice(e * d, d), m, n, one);
    if (!error.empty())
      return "batch element " + std::to_string(e) + ": " + error;
    llvm::append_range(table.blocks, one.blocks);
    llvm::append_range(table.counts, one.counts);
    llvm::append_range(table.intervals, one.intervals);
    table.offsets.push_back(table.numBlocks());
    table.offsets.push_back(table.numIntervals());
  }
  return "";
}
