//===- Accumulators.h - online states of the reduction kinds ----*- C++ -*-===//
//
// Each reduction kind as one small protocol that every backend instantiates:
// an initial state, the fold of one formula value (with its reduced index)
// into it, and the finalization into output values.
// States are SSA values of any vector shape: the CPU backend folds
// vector<D x lanes> values (one lane per output row), a GPU thread folds
// vector<D> values. The conventions (NaN order, ties, empty reductions,
// running maximum for logsumexp) are those of docs/architecture.md.
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_CONVERSION_ACCUMULATORS_H
#define KEOPS_CONVERSION_ACCUMULATORS_H

#include "keops/Dialect/Keops.h"

namespace mlir::keops {

/// How sums accumulate.
enum class SumMode { Plain, Block, Kahan, F64 };

/// "plain", "block", "kahan" or "f64" (the passes' `accumulation` option).
FailureOr<SumMode> parseSumMode(StringRef name);
/// parseSumMode, with an error on `op` naming the choices when it fails.
FailureOr<SumMode> parseSumMode(StringRef name, Operation *op);

/// The OR (`kind`: any lane) or AND (every lane) of an i1 vector of any
/// shape, as an i1: the condition of the accumulators' rare branches.
Value reduceLanes(OpBuilder &b, Location loc, Value mask,
                  vector::CombiningKind kind);

/// `value` in every element of `type`, a vector of floats.
Value splatVector(OpBuilder &b, Location loc, VectorType type, double value);

class Accumulator {
public:
  /// `valueType`: type of a formula value (f); `weightType`: of the second
  /// yielded value (null when there is none); `indexType`: integer element
  /// type of indices. K-lists are in memory above kListInMemoryAbove for
  /// CPU lanes (vector<D x lanes> values), kGpuListInMemoryAbove for one
  /// row (vector<D>).
  Accumulator(ReductionKind kind, int64_t k, VectorType valueType,
              VectorType weightType, Type indexType, SumMode sumMode);
  /// The accumulator of `op`: states shaped like its formula's values
  /// (vector<D>) or, with `lanes` > 0, `lanes` rows side by side
  /// (vector<D x lanes>, the CPU's layout). Indices have the type of the
  /// index outputs (i32 without one). An f64 sum asked to accumulate in f64
  /// is a block sum.
  Accumulator(ReduceOp op, SumMode sumMode, int64_t lanes = 0);

  /// The initial state.
  SmallVector<Value> init(OpBuilder &b, Location loc) const;
  /// The state after folding the value `f` (and weight `w`) of reduced index
  /// `j` into `state`: an index scalar, or a vector<lanes x index> when the
  /// lanes hold reduced indices of one row (not with K-lists in memory).
  SmallVector<Value> fold(OpBuilder &b, Location loc, ValueRange state,
                          Value f, Value w, Value j) const;
  /// The state of the reduction over the indices of `first` and then those
  /// of `second` (all larger): how states of consecutive ranges of the
  /// reduced axis combine (the GPU's 2-D scheme, the CPU's split ranges).
  SmallVector<Value> merge(OpBuilder &b, Location loc, ValueRange first,
                           ValueRange second) const;
  /// The state of one row from `state`, whose lanes reduced interleaved
  /// indices of that row (lane l: l, l + lanes, ...; ReducedLanes.cpp): a
  /// state of the accumulator for one lane (vector<D x 1>). The lanes go
  /// through memory and are merged in lane order; the K-min kinds insert
  /// each filled slot of the lanes after the first, by value then index
  /// (a loop: no merge network of 2K slots in the code). Not for K-lists
  /// in memory.
  SmallVector<Value> mergeLanes(OpBuilder &b, Location loc,
                                ValueRange state) const;
  /// This accumulator for `lanes` rows side by side (the same kind, K,
  /// sums and index type).
  Accumulator forLanes(int64_t lanes) const;
  /// For SumMode::Block: moves the partial sum into the total.
  SmallVector<Value> flushBlock(OpBuilder &b, Location loc,
                                ValueRange state) const;
  /// For SumMode::Block: the states after [lb, ub), from `start` (`groups`
  /// states side by side), reduced in chunks of `chunk` indices by
  /// `reduce` (its bounds, its states), each chunk's partial sums moved
  /// into the totals after it.
  FailureOr<SmallVector<Value>> reduceInBlocks(
      OpBuilder &b, Location loc, Value lb, Value ub, int64_t chunk,
      ValueRange start, int64_t groups,
      llvm::function_ref<FailureOr<SmallVector<Value>>(Value, Value,
                                                       ValueRange)>
          reduce) const;
  /// The output values (one per output of the kind): values of the formula's
  /// element type, indices of `indexType`, shaped like the outputs' rows.
  SmallVector<Value> finalize(OpBuilder &b, Location loc,
                              ValueRange state) const;

  /// The types of the state values.
  SmallVector<Type> stateTypes() const;

  // Partial reductions: states as the arrays of ReduceOp::getStateLayout.
  /// The values of those arrays (shaped like the outputs' rows) for
  /// `state`, which must not keep K-lists in memory (stateAccumulator()'s
  /// writeListRows writes those).
  SmallVector<Value> exportState(OpBuilder &b, Location loc,
                                 ValueRange state) const;
  /// The state whose arrays hold rows `at` of `mems` (memref<rows x width>,
  /// one per array of the layout); with lanes, rows [at, at + lanes).
  SmallVector<Value> importState(OpBuilder &b, Location loc, ValueRange mems,
                                 Value at) const;
  /// This accumulator for the kind whose outputs are the state's arrays:
  /// min_argmin for min and argmin, kmin_argkmin for the K-min kinds, ...
  Accumulator stateAccumulator() const;

  /// How the GPU's 2-D scheme stores a state between its kernels: one row
  /// of each of these vector types per output row (the state types, or a
  /// K-list in memory's K x D values and indices).
  SmallVector<VectorType> storedStateTypes() const;
  /// Their bytes per output row.
  int64_t storedStateBytes() const;
  /// Stores `state` at row `at` of `mems` (memref<rows x width>, one per
  /// storedStateTypes entry).
  void storeState(OpBuilder &b, Location loc, ValueRange state,
                  ValueRange mems, Value at) const;
  /// The state stored at row `at` of `mems`.
  SmallVector<Value> loadState(OpBuilder &b, Location loc, ValueRange mems,
                               Value at) const;

  /// K-min kinds with K above this, folded by CPU lanes, keep their K-lists
  /// in memory, as heaps (KMinList.cpp): code whose size does not depend on
  /// K, and log2(K) steps per insertion.
  static constexpr int64_t kListInMemoryAbove = 12;
  /// The same for a GPU thread (one row, vector<D> states), whose lists in
  /// registers cost 2 K D registers: above 32 they would spill anyway.
  static constexpr int64_t kGpuListInMemoryAbove = 32;
  /// Whether the state holds K-lists in memory; its outputs are then
  /// written by writeListRows, not returned by finalize.
  bool keepsListInMemory() const { return listInMemory; }
  /// K-lists in memory: writes the outputs of rows [row, row + lanes) that
  /// lie below the outputs' row count into `outs`, then frees the lists.
  void writeListRows(OpBuilder &b, Location loc, ValueRange state,
                     ValueRange outs, Value row) const;
  /// Rows side by side in the state's vectors (0: one row, vector<D>).
  int64_t lanes() const {
    return valueType.getRank() == 2 ? valueType.getDimSize(1) : 0;
  }
  bool usesBlocks() const {
    return kind == ReductionKind::Sum && sumMode == SumMode::Block;
  }

private:
  Value splat(OpBuilder &b, Location loc, VectorType type, double v) const;
  Value splatIndex(OpBuilder &b, Location loc, int64_t v) const;
  /// Also on scalars (an element of the value and index types).
  Value better(OpBuilder &b, Location loc, Value f, Value fIdx, Value cur,
               Value curIdx, bool isMin) const;
  SmallVector<Value> foldExtremum(OpBuilder &b, Location loc, ValueRange state,
                                  Value f, Value j, bool isMin) const;
  SmallVector<Value> foldKMin(OpBuilder &b, Location loc, ValueRange state,
                              Value f, Value j) const;
  /// (f, fIdx) inserted into the sorted K-list `state` where it belongs;
  /// with `filled`, only in the elements where it holds.
  SmallVector<Value> insertKMin(OpBuilder &b, Location loc, ValueRange state,
                                Value f, Value fIdx,
                                Value filled = Value()) const;
  SmallVector<Value> mergeKMin(OpBuilder &b, Location loc, ValueRange first,
                               ValueRange second) const;
  SmallVector<Value> mergeSoftmax(OpBuilder &b, Location loc, ValueRange first,
                                  ValueRange second) const;
  SmallVector<Value> foldSoftmax(OpBuilder &b, Location loc, ValueRange state,
                                 Value f, Value w) const;
  SmallVector<Value> rescaleSoftmax(OpBuilder &b, Location loc,
                                    ValueRange state, Value f, Value w) const;

  // K-lists in memory (KMinList.cpp).
  /// Lanes of a CPU state, 0 for a GPU thread's.
  int64_t listLanes() const;
  SmallVector<Value> allocList(OpBuilder &b, Location loc) const;
  void freeList(OpBuilder &b, Location loc, ValueRange state) const;
  SmallVector<Value> initList(OpBuilder &b, Location loc) const;
  void foldLanes(OpBuilder &b, Location loc, ValueRange state, Value passes,
                 Value jIdx, Value d, Value size) const;
  void storeList(OpBuilder &b, Location loc, ValueRange state, ValueRange mems,
                 Value at) const;
  /// `sorted`: the stored lists are sorted, best first (a state's arrays),
  /// not heaps.
  SmallVector<Value> loadList(OpBuilder &b, Location loc, ValueRange mems,
                              Value at, bool sorted = false) const;
  SmallVector<Value> foldList(OpBuilder &b, Location loc, ValueRange state,
                              Value f, Value j) const;
  SmallVector<Value> mergeList(OpBuilder &b, Location loc, ValueRange first,
                               ValueRange second) const;
  void siftDown(OpBuilder &b, Location loc, ValueRange state, Value f,
                Value fIdx, Value d, Value l, Value size) const;
  Value ranksBefore(OpBuilder &b, Location loc, Value a, Value ai, Value c,
                    Value ci) const;
  SmallVector<Value> reloadBar(OpBuilder &b, Location loc,
                               ValueRange state) const;

  ReductionKind kind;
  int64_t k;
  VectorType valueType, weightType, idxType;
  SumMode sumMode;
  bool listInMemory = false;
};

// Rows of memrefs as lanes (LaneRows.cpp).

/// Reads rows [row, row + lanes) of a rows x W memref as vector<W x lanes>
/// (one row per lane; lanes past the end read 0, unless `inBounds` says
/// that there are none: reads without a test per lane).
Value readRows(OpBuilder &b, Location loc, Value mem, Value row,
               int64_t lanes, bool inBounds = false);
/// Writes vector<W x lanes> into rows [row, row + lanes) of a rows x W
/// memref; rows past the end are not written.
void writeRows(OpBuilder &b, Location loc, Value value, Value mem, Value row);
/// Writes a W x lanes buffer (lane l: a row of W values) into rows [row,
/// row + lanes) of a rows x W memref, in loops; rows past the end are not
/// written.
void writeBufferRows(OpBuilder &b, Location loc, Value buffer, Value mem,
                     Value row);

/// The index of the first row of `mem` (rows x W) in the array it views:
/// its offset over its row stride (`one`: the index constant 1).
Value firstRowIndex(OpBuilder &b, Location loc, Value mem, Value one);

/// A buffer of `type` at the entry of the function around `b`'s insertion
/// point: one per function, not one per loop iteration.
Value entryAlloca(OpBuilder &b, Location loc, MemRefType type);

/// Replaces every keops.merge_states and keops.finalize_states under `root`
/// by a loop over their rows, `lanes` rows at a time (0: as many as fill
/// 512 bits), each row's states imported, merged or finalized and exported
/// by the Accumulator of their kind (StateOps.cpp). With `gpuThreads`, one
/// row per GPU thread (global x index) instead of the loop.
LogicalResult lowerStateOps(Operation *root, int64_t lanes,
                            bool gpuThreads = false);

} // namespace mlir::keops

#endif // KEOPS_CONVERSION_ACCUMULATORS_H
