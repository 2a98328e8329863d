//===- FormulaEmission.h - a reduction's formula in a GPU kernel -*- C++ -*-===//
//
// The formula ops of a keops.reduce emitted into a GPU kernel at one level
// of invariance (once per kernel, per row, per pair), shared by the 1-D
// scheme's threads and the warp tiles.
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_CONVERSION_KEOPSTOGPU_FORMULAEMISSION_H
#define KEOPS_CONVERSION_KEOPSTOGPU_FORMULAEMISSION_H

#include "keops/Dialect/Keops.h"

#include "mlir/IR/IRMapping.h"

namespace mlir::keops {

/// Emits, into `map`, the formula ops of `reduce` up to invariance `level`
/// that are not there yet (of `only` alone at the pair level, when given).
/// `reducedIndex`/`keptIndex`: the pair's indices, for keops.select_index
/// (null below the pair level).
LogicalResult
emitFormula(OpBuilder &b, ReduceOp reduce, ReduceOp::Invariance level,
            const llvm::DenseMap<Operation *, ReduceOp::Invariance> &invariance,
            Value reducedIndex, Value keptIndex, IRMapping &map,
            const llvm::DenseSet<Operation *> *only = nullptr);

/// Expands the keops.gram entries of `op` as dot products (those that no
/// tensor core computes).
LogicalResult expandGrams(ReduceOp op);

} // namespace mlir::keops

#endif // KEOPS_CONVERSION_KEOPSTOGPU_FORMULAEMISSION_H
