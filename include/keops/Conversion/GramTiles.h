//===- GramTiles.h - keops.gram entries by matrix-multiply tiles -*- C++ -*-===//
//
// The CPU lowering evaluates a formula for `lanes` kept rows at once, one
// lane per row, and `blocks` such groups per iteration. A keops.gram entry
// <a_i, b_j> over a long feature axis, evaluated that way, would broadcast
// b_j to a D x lanes vector for every j. GramTiles computes the entries of
// a whole tile instead, rows x `columns` reduced indices, with the feature
// axis innermost: the left operands of the block's rows packed once per
// block as D x rows (row k: component k of every row), then for each k one
// load per group of lanes, one broadcast per column and rows x columns
// fused multiply-adds into accumulators that stay in registers. The formula
// then reads the entries of column j from the tile.
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_CONVERSION_GRAMTILES_H
#define KEOPS_CONVERSION_GRAMTILES_H

#include "keops/Dialect/Keops.h"

#include "mlir/IR/IRMapping.h"

namespace mlir::keops {

class GramTiles {
public:
  /// Plans the tiles of the Gram entries of `op` whose right operand is a
  /// reduced variable, within a budget of scratch memory; the others stay
  /// for the formula's own lowering. `columns`: reduced indices per tile (0:
  /// no tiles).
  GramTiles(ReduceOp op, int64_t lanes, int64_t blocks, int64_t columns);

  bool empty() const { return entries.empty(); }
  /// The Gram entries computed by tiles.
  llvm::DenseSet<Operation *> tiled();
  int64_t columns() const { return cols; }

  /// Allocates the scratch memory, at the entry of the enclosing function
  /// (the tiles of every block of rows reuse it).
  void allocate();
  /// Packs the left operands of a block of rows: `keptIns`, the memrefs of
  /// the kept variables (null for others); `rowStart`, the first row of each
  /// group of lanes; `perRow`, the formula values hoisted for each group.
  void pack(OpBuilder &b, Location loc, ArrayRef<Value> keptIns,
            ArrayRef<Value> rowStart, ArrayRef<IRMapping> perRow);
  /// Computes the entries of the packed rows with the reduced indices
  /// j0 + [0, columns); indices past `last` read row `last`.
  void compute(OpBuilder &b, Location loc, Value j0, Value last);
  /// Maps each Gram entry to its value for reduced index j0 + c and group
  /// `group` of lanes (a vector<1 x lanes>).
  void lookup(OpBuilder &b, Location loc, Value c, int64_t group,
              IRMapping &map);

  /// Whether the tiles pack `v`'s rows (it is a Gram entry's left operand).
  bool packs(Value v) const;
  /// Its packed rows (D x rows), once allocated (null if none).
  Value packedLeft(Value v) const;

private:
  struct Entry {
    mutable GramOp gram; // an op handle: its accessors are not const
    Value columnsMem; // the right operand's reduced variable
    Value packed;     // D x rows
    Value tile;       // columns x rows
  };
  ReduceOp op;
  int64_t lanes, blocks, cols;
  SmallVector<Entry> entries;
};

/// Stores component k of rows [row, row + lanes) of `mem` (rows x D; rows
/// past the end read 0) at packed[k][col + l], in a loop over k.
void packRows(OpBuilder &b, Location loc, Value mem, Value row, int64_t lanes,
              Value packed, Value col);

/// The step of the tile products (GramTiles, RightProduct): for each of
/// `count` scalars s_k (read by `scalar(k)`), broadcast once, acc[k *
/// groups + u] += groups[u] s_k; returns the new accumulators.
SmallVector<Value> rankOneUpdate(OpBuilder &b, Location loc,
                                 ArrayRef<Value> groups, int64_t count,
                                 llvm::function_ref<Value(int64_t)> scalar,
                                 ValueRange acc);

} // namespace mlir::keops

#endif // KEOPS_CONVERSION_GRAMTILES_H
