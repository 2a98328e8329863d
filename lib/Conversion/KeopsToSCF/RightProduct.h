//===- RightProduct.h - sums of s_ij v_j as tile products --------*- C++ -*-===//
//
// The second product. A sum whose formula is s_ij v_j, with v a reduced
// variable of width E (exp(-|x_i - y_j|^2) v_j, attention-like layers, a
// kernel matrix times several right-hand sides), folded term by term, adds
// E products into E x lanes accumulators for every j: more than the
// registers hold from E = 16 on, and one SSA value whose extracts and
// inserts grow the code (and its compile time) with E x lanes. Instead:
//
// - the accumulators live in memory, E x rows (row e: component e of every
//   kept row of the block), for the whole reduction of a block of rows;
// - the pairs of a tile of reduced indices store their s, and the tile's
//   terms are added as a matrix product, E in chunks of rows (as many as
//   a Gram tile has columns: what the target's registers hold) whose
//   accumulators stay in registers across the tile's columns (loaded and
//   stored once per tile and chunk, in a loop over the chunks: the code
//   does not grow with E);
// - block sums (the default accumulation) add each tile's product, summed
//   from zero in registers, to the memory: blocks of one tile of terms.
//
// A softmax-weighted sum of v_j (attention: softmax_j(<q_i, k_j>) v_j) is
// one too: per tile, the running maximum M of the terms f_ij is updated
// once, the sums so far rescaled by exp(M_old - M), and the weights are
// exp(f_ij - M) (flash attention's order of work, on the CPU).
//
// The term may also be s_ij (a_i - v_j) (times 2, as gradients of distances
// write it), added as a_i sum_j s_ij - sum_j s_ij v_j: with the accuracy of
// the expanded squared distance (a cancellation when a_i is far from the
// origin relative to a_i - v_j).
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_LIB_CONVERSION_RIGHTPRODUCT_H
#define KEOPS_LIB_CONVERSION_RIGHTPRODUCT_H

#include "keops/Conversion/Accumulators.h"
#include "keops/Conversion/GramTiles.h"

namespace mlir::keops {

class RightProduct {
public:
  /// Reduced indices per tile of the product: enough columns that loading
  /// and storing the accumulators costs little next to the FMAs.
  static constexpr int64_t kMinColumns = 32;

  /// Plans the second product of `op` (a sum, in `mode`, of `lanes` x
  /// `blocks` rows at a time) when its formula has that form; tiles of a
  /// multiple of `gramColumns` reduced indices (0: no tiles, no product),
  /// those of `tiles` inside.
  RightProduct(ReduceOp op, const GramTiles &tiles, int64_t lanes,
               int64_t blocks, SumMode mode, int64_t gramColumns);

  explicit operator bool() const { return bool(weightValue); }
  /// The scalar s the pairs compute instead of the yielded value.
  Value weight() const { return weightValue; }
  /// Reduced indices per tile.
  int64_t columns() const { return cols; }

  /// Allocates the weights' tile and the accumulators at the entry of the
  /// enclosing function (the accumulators on the heap, freed at its
  /// returns), after `tiles` allocated theirs.
  void allocate(const GramTiles &tiles);
  /// Starts the reduction of a block of rows (the groups of lanes from
  /// `rowStart`): zero accumulators, and the rows of a of s (a_i - v_j)
  /// from `keptIns` (the kept variables' memrefs) when the Gram tiles do
  /// not pack them.
  void begin(OpBuilder &b, Location loc, ArrayRef<Value> keptIns,
             ArrayRef<Value> rowStart) const;
  /// Stores s (a vector<1 x lanes>) for reduced index j0 + c, group `group`.
  void storeWeight(OpBuilder &b, Location loc, Value c, int64_t group,
                   Value s) const;
  /// Adds the terms of reduced indices j0 + [0, count) to the accumulators.
  void multiply(OpBuilder &b, Location loc, Value j0, Value count) const;
  /// Writes the outputs (`partial`: the state's arrays) of rows [row, row +
  /// lanes x blocks) of `outs` that lie below their row count.
  void write(OpBuilder &b, Location loc, ValueRange outs, Value row,
             bool partial) const;

private:
  /// Whether the formula is s v_j or s (a_i - v_j) (times a constant),
  /// a a kept variable or packed by `tiles`; or a softmax-weighted sum of
  /// v_j.
  bool plan(const GramTiles &tiles);
  /// Softmax: the new running maxima of the tile's terms (in the weights'
  /// tile), their weights in their place, the weights' sums updated;
  /// returns the factors of the sums so far, one per group of lanes.
  SmallVector<Value> rescale(OpBuilder &b, Location loc, Value count) const;
  /// A loop over the tile's columns c in [0, count) folding, for each group
  /// of lanes u, acc_u = step(u, c, acc_u) from `start`; the final values.
  SmallVector<Value>
  foldColumns(OpBuilder &b, Location loc, Value count, Value start,
              function_ref<Value(int64_t, Value, Value)> step) const;

  ReduceOp op;
  Type elt;
  int64_t lanes, blocks, cols, width = 0, chunkRows = 0;
  bool blockSums = false;
  bool softmax = false;       // sumsoftmaxweight: attention
  Value weightValue;          // s
  Value columnsMem;           // v's memref, rows x E
  Value rowValue;             // a of s (a_i - v_j), null for s v_j
  double weightScale = 1.0;   // what the stored weights are of s: 1, -1, 2, -2
  Value weights;              // columns x rows
  Value sums;                 // E x rows, the accumulators
  Value maxes, totals;        // softmax: 1 x rows, the maxima and weights' sums
  Value rowComponents;        // E x rows: a's components (packed or copied)
  bool copyRow = false;       // whether begin() copies a into rowComponents
};

} // namespace mlir::keops

#endif // KEOPS_LIB_CONVERSION_RIGHTPRODUCT_H
