//===- WidenFormula.h - formulas evaluated for several rows at once -*- C++ -*-===//
//
// The CPU lowering evaluates a formula for `lanes` kept rows at once: each
// value vector<D x T> of one pair becomes a vector<D x lanes x T>, one lane
// per row. Values that depend on one side only are computed where they
// change: once per reduction, once per block of rows (widened), once per
// reduced index at their own width (broadcast to the lanes where a pair's
// op reads them).
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_LIB_CONVERSION_WIDENFORMULA_H
#define KEOPS_LIB_CONVERSION_WIDENFORMULA_H

#include "keops/Dialect/Keops.h"

#include "mlir/IR/IRMapping.h"

namespace mlir::keops {

/// vector<D x T> -> vector<D x lanes x T>; T -> vector<lanes x T>.
Type widen(Type t, int64_t lanes);

/// The indices of the pairs a widened formula is evaluated for: `reduced`,
/// the reduced index (an index), and `keptStart`, the index of the first of
/// the `lanes` kept rows (lane l is row keptStart + l). With
/// `reducedLanes`, the lanes are reduced indices of one kept row instead
/// (ReducedLanes.cpp): lane l is the pair (keptStart, reduced + l).
struct PairIndices {
  Value reduced;
  Value keptStart;
  bool reducedLanes = false;
};

/// Clones one formula op with widened types into `map`.
LogicalResult widenOp(OpBuilder &b, Operation *op, IRMapping &map,
                      int64_t lanes, const PairIndices &at);

/// Widens, into `map`, the formula ops that need evaluating only once per
/// `level` (once per reduction or once per block of rows), given the
/// variables available there (`vars`, null where not); with `wanted`, only
/// the ops it accepts.
LogicalResult
hoistFormula(OpBuilder &b, ReduceOp reduce, ArrayRef<Value> vars,
             int64_t lanes, ReduceOp::Invariance level, IRMapping &map,
             llvm::function_ref<bool(Operation *)> wanted = nullptr);

/// The formula values of one reduced index that depend on no kept variable
/// (y_j, |y_j|^2, exp(b_j)...): computed once per index at their own width,
/// and broadcast to the lanes only where a pair's op reads them.
struct ColumnValues {
  IRMapping narrow;
  llvm::DenseMap<Value, Value> wide;

  /// `v` (a formula value with a narrow value) broadcast to `lanes`.
  Value wideOf(OpBuilder &b, Location loc, Value v, int64_t lanes);
};

/// Maps, in `map`, the formula's variables of category `cat` to row `row`
/// of their memrefs in `ins` (one per input of `reduce`; null entries are
/// skipped), each at its own width (vector<D>).
void mapVariableRows(OpBuilder &b, Location loc, ReduceOp reduce, Category cat,
                     ArrayRef<Value> ins, Value row, IRMapping &map);

/// Clones one formula op at its own width (a narrow value: one row or one
/// column), its feature-axis sums reassociated into trees.
void cloneAtWidth(OpBuilder &b, Operation &op, IRMapping &narrow);

/// Clones, into `narrow`, the formula ops whose `sides` are `wanted`, at
/// their own width: the reduced side for the column values, none for the
/// values of parameters and constants they read.
void cloneNarrow(OpBuilder &b, ReduceOp reduce,
                 const llvm::DenseMap<Value, unsigned> &sides, unsigned wanted,
                 IRMapping &narrow);

/// Widens the rest of the formula for one pair, on top of the `hoisted`
/// values and of the column's values (`sides`: ReduceOp::getSides); returns
/// the yielded values (unless `withYield` is false: a second product of
/// Gram tiles computes them), then the widened values of `also`. Only the
/// ops these values need are widened.
FailureOr<SmallVector<Value>>
widenFormula(OpBuilder &b, ReduceOp reduce, ArrayRef<Value> vars,
             int64_t lanes, const PairIndices &at, const IRMapping &hoisted,
             ColumnValues &column, const llvm::DenseMap<Value, unsigned> &sides,
             ArrayRef<Value> also = {}, bool withYield = true);

} // namespace mlir::keops

#endif // KEOPS_LIB_CONVERSION_WIDENFORMULA_H
