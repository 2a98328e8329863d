//===- WideValues.h - sums of wide formula values, chunk by chunk -*- C++ -*-===//
//
// The row loop (KeopsToSCF.cpp) holds a formula value of dimension E for
// lanes x blocks rows at once: E x lanes values of state, and E x lanes
// element moves to read and write rows as lanes. Beyond a few tens of
// components that code grows until LLVM takes seconds to minutes to compile
// it (23 s for the sum of x_i - y_j at E = 512) and spills most of it. A sum
// of wide values takes this loop instead, one kept row at a time with the
// feature axis in the lanes:
//
//   outputs = 0
//   for j0 in [0, cols) step block:                   // reduced rows in cache
//     wide values of column j alone, for the block  -> buffers of E
//     for i in [0, rows):                             // one kept row
//       values of row i alone, narrow (its width)     -> vector<D>
//       wide values of row i alone                    -> a buffer of E
//       the pairs' narrow values that wide ones read, lanes of reduced
//       indices at a time (k_ij = exp(-|x_i - y_j|^2)) -> buffers
//       for c in [0, E) step C:                       // chunks of features
//         for j in [j0, min(j0 + block, cols)):       // sums in registers
//           the wide values' chunk c (reading the buffers) -> vector<C>
//           sums += F's chunk c
//         row i of the outputs, chunk c (+)= sums
//
// (When some narrow value of the pairs cannot be computed by lanes, each
// pair computes its narrow values once and adds its chunks to sums in
// memory: the loop over the columns outside the one over chunks.)
//
// A wide value has the formula's dimension E and comes from element-wise
// ops (arith, math), broadcasts of narrow values, splat constants and
// variables of dimension E: its chunk c needs chunk c of its operands only,
// so the code does not grow with E. A formula with another kind of wide
// value (a shuffle, a slice, a feature-axis sum of a computed wide value) is
// computed whole for each pair: one chunk of E.
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_LIB_CONVERSION_WIDEVALUES_H
#define KEOPS_LIB_CONVERSION_WIDEVALUES_H

#include "keops/Conversion/Accumulators.h"

#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::keops {

class WideValues {
public:
  /// Plans `op`'s loop for sums of formula values wider than `above`
  /// (`lanes`: the vector width of the row loop, the chunks'); `rowLoopTiles`:
  /// whether the row loop has tiles of reduced indices (Gram tiles, a second
  /// product), which keep it.
  WideValues(ReduceOp op, int64_t lanes, SumMode mode, int64_t above,
             bool rowLoopTiles);

  /// Whether `op` takes this loop: a dense sum (no ranges) in plain or block
  /// accumulation of values wider than `above`, with no keops.select_index
  /// or keops.gram (which need the row loop's indices and tiles).
  explicit operator bool() const { return applies; }

  /// Whether the wide values are computed chunk by chunk (else whole).
  bool chunked() const { return chunk < width; }

  /// Whether the loop over chunks is outside the loop over a block's
  /// columns, the chunk's sums in registers: when the pairs' wide values
  /// read no narrow value of the pair that is not in a buffer.
  bool chunksOutside() const { return chunked() && laneFed; }

  /// The loops over the rows of `keptIns` (the kept variables, others null)
  /// and `outs`, on top of the narrow values of the parameters and
  /// constants (`narrowPerReduction`); `cols`: the reduced indices.
  LogicalResult emit(OpBuilder &b, Location loc, ArrayRef<Value> keptIns,
                     ArrayRef<Value> outs, Value cols,
                     const IRMapping &narrowPerReduction);

private:
  /// Classifies the formula's values; false if some wide value cannot be
  /// computed by chunks.
  bool classify();

  /// Emits `fn(c, w)` for the chunks [c, c + w) of [0, width): a loop over
  /// the full chunks, then the last one.
  void forChunks(OpBuilder &b, Location loc,
                 llvm::function_ref<void(Value, int64_t)> fn) const;

  /// Values held in buffers: (memory, row or null for a buffer of one row).
  using Buffers = llvm::DenseMap<Value, std::pair<Value, Value>>;

  /// The chunk [c, c + w) of the wide values `wanted`, cloning into `map`
  /// the wide ops they need. Variables are read at row `keptRow`,
  /// `reducedRow` (parameters at 0); values in `buffers` from there; other
  /// operands (broadcast sources) are the narrow values of `narrow`.
  SmallVector<Value> chunkOf(OpBuilder &b, Location loc, ArrayRef<Value> wanted,
                             Value c, int64_t w, ArrayRef<Value> ins,
                             Value keptRow, Value reducedRow,
                             const IRMapping &narrow,
                             const Buffers &buffers) const;

  /// Computes the lane values of reduced indices [j, j + lanes) with row
  /// `keptRow` (its narrow values: `narrow`) into rows [at, at + lanes) of
  /// `buffers` (those past the block's last are not written).
  void fillLanes(OpBuilder &b, Location loc, Value j, Value at, Value keptRow,
                 ArrayRef<Value> ins, const IRMapping &narrow,
                 ArrayRef<Value> buffers) const;

  ReduceOp op;
  SumMode mode;
  int64_t width = 0, chunk = 0;
  llvm::DenseMap<Value, unsigned> sides;
  /// The wide values computed by chunks (op results and variables).
  llvm::DenseSet<Value> wide;
  /// Wide op results of the kept side or of none that the pairs read:
  /// computed once per row (and block of columns) into buffers.
  SmallVector<Value> perRow;
  /// Those of the reduced side: once per column of a block, into buffers
  /// of block x width.
  SmallVector<Value> perColumn;
  /// Narrow values of the pair (or of the reduced side) that wide values
  /// read, computed from narrow values only: `lanes` reduced indices at a
  /// time, for a row and a block, into buffers of block x their width.
  SmallVector<Value> laneValues;
  /// Whether every narrow value of the pairs that wide ones read is a lane
  /// value (or there is none).
  bool laneFed = false;
  int64_t lanes = 0;
  bool applies = false;
};

} // namespace mlir::keops

#endif // KEOPS_LIB_CONVERSION_WIDEVALUES_H
