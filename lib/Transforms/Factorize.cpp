//===- Factorize.cpp - formula ops grouped by how often they must run ----===//
//
// A formula is written for one pair (i, j), but its ops that depend only on
// parameters and constants have one value per reduction, and those that also
// depend on the variables indexed like the output rows (x_i in a reduction
// over j) one value per row. The pass orders each formula in three groups:
// per reduction, per row, per pair (ReduceOp::getInvariance), keeping the
// order within a group, so the IR shows what a backend evaluates outside its
// loop over the reduced index; the CPU lowering evaluates the first group
// once and the second once per block of rows. Gradient formulas profit most:
// cotangents, forward results and their combinations are per-row values.
//
//===----------------------------------------------------------------------===//

#include "keops/Transforms/Passes.h"

namespace mlir::keops {
#define GEN_PASS_DEF_KEOPSFACTORIZE
#include "KeopsPasses.h.inc"
} // namespace mlir::keops

using namespace mlir;
using namespace mlir::keops;

namespace {
struct KeopsFactorizePass
    : mlir::keops::impl::KeopsFactorizeBase<KeopsFactorizePass> {
  void runOnOperation() override {
    getOperation()->walk([](ReduceOp reduce) {
      auto invariance = reduce.getInvariance();
      Block &body = reduce.getFormula().front();
      SmallVector<Operation *> order;
      for (auto level : {ReduceOp::Invariance::Reduction,
                         ReduceOp::Invariance::Row, ReduceOp::Invariance::Pair})
        for (Operation &op : body.without_terminator())
          if (invariance.lookup(&op) == level)
            order.push_back(&op);
      // Operands of an op are in its group or an earlier one, and keep
      // their order within it: moving the ops in this order keeps every
      // definition before its uses.
      Operation *terminator = body.getTerminator();
      for (Operation *op : order)
        op->moveBefore(terminator);
    });
  }
};
} // namespace
