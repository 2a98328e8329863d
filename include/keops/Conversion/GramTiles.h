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

  /// The second product. A sum whose formula is s_ij v_j, with v a reduced
  /// variable of width E (exp(-|x_i - y_j|^2) v_j, attention-like layers),
  /// folded term by term, adds E products into E x lanes accumulators for
  /// every j: more than the registers hold from E = 16 on, so each product
  /// loads and stores its accumulator. Instead, the pairs of a tile store
  /// their s, and the tile's terms are added as a matrix product, E in
  /// chunks of 8 rows whose accumulators stay in registers across the
  /// tile's columns. The term may also be s_ij (a_i - v_j) (times 2, as
  /// gradients of distances write it), added as a_i sum_j s_ij - sum_j
  /// s_ij v_j: with the accuracy of the expanded squared distance (a
  /// cancellation when a_i is far from the origin relative to a_i - v_j).
  /// `accumulator`: the position, in a group's state, of
  /// the sum the terms go to. Returns false when the formula has not that
  /// form (or there are no tiles).
  bool planRightProduct(unsigned accumulator);
  /// The scalar s of the second product (null without one).
  Value weight() const { return rightWeight; }
  /// Whether the pairs compute s alone: the yield is the second product's.
  bool replacesYield() const { return bool(rightWeight); }
  /// Stores s for reduced index j0 + c and group `group` (a vector<1 x lanes>).
  void storeWeight(OpBuilder &b, Location loc, Value c, int64_t group,
                   Value s);
  /// Adds the terms of the reduced indices j0 + [0, count) to `state` (the
  /// states of all groups, `stateSize` values each), reading a kept value
  /// in `perRow` for the form s (a_i - v_j); returns the new states.
  SmallVector<Value> multiplyRight(OpBuilder &b, Location loc, Value j0,
                                   Value count, ValueRange state,
                                   size_t stateSize, ArrayRef<IRMapping> perRow);

private:
  /// The packed rows (D x rows) of the entry whose left operand is `v`.
  Value packedLeft(Value v) const;

  struct Entry {
    mutable GramOp gram; // an op handle: its accessors are not const
    Value columnsMem; // the right operand's reduced variable
    Value packed;     // D x rows
    Value tile;       // columns x rows
  };
  ReduceOp op;
  int64_t lanes, blocks, cols;
  SmallVector<Entry> entries;
  Value rightWeight, rightColumns, weights; // s, v's memref, columns x rows
  Value rightRow;            // a of s (a_i - v_j), null for s v_j
  double weightScale = 1.0;  // what the stored weights are of s: 1, -1, 2, -2
  unsigned accumulator = 0;
};

} // namespace mlir::keops

#endif // KEOPS_CONVERSION_GRAMTILES_H
