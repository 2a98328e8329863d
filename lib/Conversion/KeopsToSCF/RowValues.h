//===- RowValues.h - kept-side values computed row by row --------*- C++ -*-===//
//
// Values of one kept row that reduce a long feature axis (|x_i|^2, <w, x_i>)
// are computed, widened, from D x lanes vectors: code that grows with D
// (its compile time too) and reads the rows with strided loads. RowValues
// computes them row by row instead, at their width (one contiguous load of
// the row, a tree sum), stores them in a small buffer and reads them as
// lanes. It also says which kept-side values the widened formula still
// needs, so that nothing else of the kept side is widened.
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_LIB_CONVERSION_ROWVALUES_H
#define KEOPS_LIB_CONVERSION_ROWVALUES_H

#include "keops/Dialect/Keops.h"

#include "mlir/IR/IRMapping.h"

namespace mlir::keops {

class RowValues {
public:
  /// `packed`: the Gram entries whose left operands GramTiles reads from
  /// the kept variables' memory; `pairOutputs`: what the pairs compute
  /// (the yielded values, or the weight of a second product).
  RowValues(ReduceOp op, const llvm::DenseMap<Value, unsigned> &sides,
            const llvm::DenseSet<Operation *> &packed, int64_t lanes,
            int64_t blocks, ArrayRef<Value> pairOutputs);

  /// Whether the widened lowering needs kept-side value `v` (a block
  /// argument or an op's result) as a D x lanes vector.
  bool needsWide(Value v) const { return wide.contains(v); }

  /// Allocates the buffers at the entry of the enclosing function.
  void allocate();
  /// Computes the values of rows [i0, i0 + lanes * blocks) of `keptIns`
  /// (rows past `rows` read the last row), on top of the parameters' and
  /// constants' narrow values, and maps them, read as lanes, in `perRow`
  /// (one mapping per group of lanes).
  void compute(OpBuilder &b, Location loc, ArrayRef<Value> keptIns, Value i0,
               Value rows, const IRMapping &narrowPerReduction,
               MutableArrayRef<IRMapping> perRow);

private:
  ReduceOp op;
  int64_t lanes, blocks;
  SmallVector<Value> values;        // the row values, in formula order
  SmallVector<Value> buffers;       // one memref<lanes * blocks x T> each
  SmallVector<Operation *> cone;    // the kept-side ops they need
  llvm::DenseSet<Value> reads;      // the kept variables these ops read
  llvm::DenseSet<Value> wide;
};

} // namespace mlir::keops

#endif // KEOPS_LIB_CONVERSION_ROWVALUES_H
