//===- FormulaEmission.cpp - a reduction's formula in a GPU kernel --------===//

#include "FormulaEmission.h"

#include "keops/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;
using namespace mlir::keops;

namespace {

/// keops.select_index for one pair: `current` (an index) compared with the
/// index vector, selecting v or +0.
Value lowerSelectIndex(OpBuilder &b, SelectIndexOp op, Value idx, Value v,
                       Value current) {
  Location loc = op.getLoc();
  auto idxType = cast<VectorType>(idx.getType());
  Value scalar = arith::IndexCastOp::create(b, loc, idxType.getElementType(),
                                            current);
  Value same = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::eq, idx,
      vector::BroadcastOp::create(b, loc, idxType, scalar));
  auto vType = cast<VectorType>(v.getType());
  Value zero = arith::ConstantOp::create(b, loc, vType, b.getZeroAttr(vType));
  return arith::SelectOp::create(b, loc, same, v, zero);
}

} // namespace

LogicalResult mlir::keops::emitFormula(
    OpBuilder &b, ReduceOp reduce, ReduceOp::Invariance level,
    const llvm::DenseMap<Operation *, ReduceOp::Invariance> &invariance,
    Value reducedIndex, Value keptIndex, IRMapping &map,
    const llvm::DenseSet<Operation *> *only) {
  for (Operation &op : reduce.getFormula().front().without_terminator()) {
    ReduceOp::Invariance at = invariance.lookup(&op);
    if (at > level || map.contains(op.getResult(0)) ||
        (only && at == ReduceOp::Invariance::Pair && !only->contains(&op)))
      continue;
    if (auto sel = dyn_cast<SelectIndexOp>(op)) {
      Value current = sel.getComparedAxis() == reduce.getAxis() ? reducedIndex
                                                                : keptIndex;
      map.map(sel.getResult(),
              lowerSelectIndex(b, sel, map.lookup(sel.getIdx()),
                               map.lookup(sel.getV()), current));
      continue;
    }
    if (isa<KeopsDialect>(op.getDialect()))
      return op.emitOpError()
             << "cannot be lowered to GPU code; expand keops formula ops "
                "(-keops-expand-formulas) and keops.grad first";
    b.clone(op, map);
  }
  return success();
}

LogicalResult mlir::keops::expandGrams(ReduceOp op) {
  bool any = false;
  op.getFormula().walk([&](GramOp) { any = true; });
  if (!any)
    return success();
  RewritePatternSet patterns(op.getContext());
  populateExpandGramPatterns(patterns);
  populateExpandFormulaPatterns(patterns);
  GreedyRewriteConfig config;
  config.enableFolding(false);
  if (failed(applyPatternsGreedily(op.getFormula(), std::move(patterns),
                                   config)))
    return op.emitOpError() << "keops.gram entries could not be expanded";
  return success();
}
