//===- Ranges.h - block-sparse ranges of keops.reduce -----------*- C++ -*-===//
//
// The ranges of a block-sparse reduction (ReduceOp's `ranges` operands) in
// the one form every consumer uses: a partition of the kept rows into
// blocks, each with its intervals of the reduced index. The interpreter and
// the runtime build it with buildRangeTable from pykeops' arrays, which it
// checks; kernels receive it as it is.
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_DIALECT_RANGES_H
#define KEOPS_DIALECT_RANGES_H

#include "keops/Dialect/Keops.h"
#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::keops {

/// One axis' ranges, checked and completed, in pykeops' layout (the one the
/// kernels read): the blocks partition the kept rows [0, rows) in
/// increasing order (rows that no input block covered form blocks with no
/// interval); each block's intervals are non-empty, sorted and disjoint.
struct RangeTable {
  /// Per block, its rows [begin, end).
  std::vector<int64_t> blocks;
  /// Per block, the end of its intervals: block k has intervals
  /// [counts[k - 1], counts[k]) (counts[-1] = 0).
  std::vector<int64_t> counts;
  /// Per interval, [begin, end) of the reduced index.
  std::vector<int64_t> intervals;
  /// Ranges given per batch element (buildRangeTables): the elements' tables
  /// laid end to end, each with its own cumulative counts (from 0), and
  /// here, per element e and then once more, {first block, first interval}:
  /// element e has blocks [offsets[2e], offsets[2e + 2]) and intervals
  /// [offsets[2e + 1], offsets[2e + 3]). Empty for shared ranges.
  std::vector<int64_t> offsets;

  int64_t numBlocks() const { return int64_t(counts.size()); }
  int64_t numIntervals() const { return int64_t(intervals.size()) / 2; }
  int64_t firstInterval(int64_t k) const { return k ? counts[k - 1] : 0; }
  /// The number of per-element tables (0 for shared ranges).
  int64_t numElements() const {
    return offsets.empty() ? 0 : int64_t(offsets.size()) / 2 - 1;
  }
  /// The table of batch element `e` (the whole table for shared ranges).
  RangeTable element(int64_t e) const;
};

/// pykeops' name of ranges array `index` (0 to 5: ranges_i, slices_i,
/// redranges_j, ranges_j, slices_j, redranges_i).
const char *rangeArrayName(unsigned index);

/// The first of the three ranges arrays a reduction over `axis` reads: 0
/// over j, 3 over i.
inline unsigned firstRangeArray(Axis axis) { return axis == Axis::J ? 0 : 3; }

/// Builds the table of a reduction over `axis` (m and n rows of i and j
/// variables) from the triple it reads: `ranges` (nb x 2, the blocks of kept
/// rows), `slices` (nb cumulative counts: block k reads intervals
/// [slices[k - 1], slices[k]) of `redranges`, slices[-1] = 0), `redranges`
/// (x 2, intervals of the reduced index). Returns an error message naming
/// the first violation (a bound out of [0, M] or [0, N], begin > end,
/// decreasing counts, overlapping blocks or intervals of one block), empty
/// on success.
std::string buildRangeTable(Axis axis, llvm::ArrayRef<int64_t> ranges,
                            llvm::ArrayRef<int64_t> slices,
                            llvm::ArrayRef<int64_t> redranges, int64_t m,
                            int64_t n, RangeTable &table);

/// Per-batch ranges: the tables of `elements` batch elements, whose triples
/// lie end to end in `ranges`, `slices` and `redranges` (each element's
/// arrays the same length), laid end to end in `table` with its `offsets`.
/// Errors are buildRangeTable's, prefixed with the batch element.
std::string buildRangeTables(Axis axis, llvm::ArrayRef<int64_t> ranges,
                             llvm::ArrayRef<int64_t> slices,
                             llvm::ArrayRef<int64_t> redranges,
                             int64_t elements, int64_t m, int64_t n,
                             RangeTable &table);

} // namespace mlir::keops

#endif // KEOPS_DIALECT_RANGES_H
