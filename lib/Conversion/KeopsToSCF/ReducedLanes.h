//===- ReducedLanes.h - few kept rows: the lanes on the reduced axis -*- C++ -*-===//
//
// The CPU lowering puts kept rows in the vector lanes, `lanes` x `blocks`
// rows per iteration (KeopsToSCF.cpp): a call with one kept row (one query
// against millions of points, the gradient with respect to a few centres)
// computes every pair for a full tile of rows, 32 on AVX2 for f32, and
// keeps one. Calls with fewer rows than that take this loop instead:
//
//   for i in [0, rows):                               // one kept row
//     kept variables of row i, their values narrow    -> vector<D>
//     for j0 in [0, cols - cols % lanes) step lanes:  // reduced indices
//       reduced variables of rows j0 + [0, lanes)     -> vector<D x lanes>
//       F(...) folded into the lanes' states          // lane l: j0 + l, ...
//     the lanes' states merged, in lane order, into one (Accumulator::merge)
//     for j in the last cols % lanes: F folded term by term (one lane)
//     finalize and write row i
//
// Each lane reduces indices l, l + lanes, l + 2 lanes... in order, and
// the merge breaks ties by index, so every kind gives the result of the
// row loop (sums in another order, within the accumulation error). The
// reduced variables are read as the kept ones are in the row loop (rows
// side by side); values of the kept side alone are computed once per row.
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_LIB_CONVERSION_REDUCEDLANES_H
#define KEOPS_LIB_CONVERSION_REDUCEDLANES_H

#include "keops/Conversion/Accumulators.h"

#include "mlir/IR/IRMapping.h"

namespace mlir::keops {

class ReducedLanes {
public:
  /// Reduced variables wider than this in all (floats a reduced index)
  /// keep the row loop: their reads as lanes cost more than the pairs
  /// gain, and the long feature axes have Gram tiles there. So do formula
  /// values wider than this: their states (width x lanes, merged lane by
  /// lane) would add as much code as the row loop's.
  static constexpr int64_t kMaxWidth = 32;

  /// Plans `op`'s loop with `lanes` reduced indices a vector, accumulated
  /// in `mode`; `rowLoopTiles`: whether the row loop has tiles of reduced
  /// indices (Gram tiles, a second product), which this loop does not
  /// build.
  ReducedLanes(ReduceOp op, int64_t lanes, SumMode mode, bool rowLoopTiles);

  /// Whether `op` can take this loop: dense (no ranges), states in
  /// registers (K-lists in memory fold lane by lane already), narrow
  /// reduced variables and values, no tiles in the row loop.
  explicit operator bool() const { return applies; }

  /// Below how many kept rows this loop is faster than the row loop of
  /// `rowTile` rows an iteration (lanes x blocks): half of it, or a
  /// quarter when the pairs cost little next to the reads of reduced rows
  /// as lanes (shuffles): no elementary function, and a sum or K-list fold
  /// (benchmarks/few_rows_bench.py; docs/benchmarks.md).
  int64_t rowsBelow(int64_t rowTile) const;

  /// The loop over the rows of `keptIns` (the kept variables, others null)
  /// and `outs`, on top of the narrow values of the parameters and
  /// constants (`narrowPerReduction`); `cols`: the reduced indices.
  LogicalResult emit(OpBuilder &b, Location loc, ArrayRef<Value> keptIns,
                     ArrayRef<Value> outs, Value cols,
                     const IRMapping &narrowPerReduction);

private:
  /// The formula's values for the pairs (keptRow, j0 + [0, width)),
  /// folded into `state` by `into`: `width` is `lanes`, or 1 for the last
  /// indices; `narrowRow`: the row's narrow values.
  FailureOr<SmallVector<Value>> foldPairs(OpBuilder &b, Location loc,
                                          const Accumulator &into,
                                          ValueRange state, Value j0,
                                          int64_t width, Value keptRow,
                                          const IRMapping &narrowRow);

  ReduceOp op;
  int64_t lanes;
  Accumulator acc, one; // the lanes' states; one state
  llvm::DenseMap<Value, unsigned> sides;
  bool applies = false;
};

} // namespace mlir::keops

#endif // KEOPS_LIB_CONVERSION_REDUCEDLANES_H
