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

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::keops {

/// One axis' ranges, completed and checked.
struct RangeTable {
  /// Per block, 4 values: first row, end row, first interval, end interval.
  /// The blocks partition the kept rows [0, rows) in increasing order; rows
  /// that no block of the input covered form blocks with no interval.
  std::vector<int64_t> blocks;
  /// Per interval, [begin, end) of the reduced index; non-empty, sorted
  /// within each block, disjoint.
  std::vector<int64_t> intervals;

  int64_t numBlocks() const { return int64_t(blocks.size()) / 4; }
};

/// Builds the table of one axis from pykeops' triple: `ranges` (nb x 2, the
/// blocks of kept rows), `slices` (nb cumulative counts: block k reads
/// intervals [slices[k - 1], slices[k]) of `redranges`, slices[-1] = 0),
/// `redranges` (x 2, intervals of the reduced index), for `rows` kept rows
/// and `cols` reduced ones. `names` are the three arrays' names and `rowsName`
/// and `colsName` the sizes' (for messages: "ranges_i", ..., "M", "N").
/// Returns an error message naming the first violation (a bound out of
/// [0, rows] or [0, cols], begin > end, decreasing counts, overlapping
/// blocks or intervals of one block), empty on success.
std::string buildRangeTable(llvm::ArrayRef<int64_t> ranges,
                            llvm::ArrayRef<int64_t> slices,
                            llvm::ArrayRef<int64_t> redranges, int64_t rows,
                            int64_t cols, const char *const names[3],
                            const char *rowsName, const char *colsName,
                            RangeTable &table);

} // namespace mlir::keops

#endif // KEOPS_DIALECT_RANGES_H
