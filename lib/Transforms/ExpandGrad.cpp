//===- ExpandGrad.cpp - keops.grad and keops.diff to formula ops ---------===//
//
// `keops.grad %f wrt %v, %e` becomes (dF/dv)^T e by reverse-mode
// accumulation over the ops between %v and %f, using each op's
// KeopsDifferentiable::vjp; `keops.diff %f wrt %v, %t` becomes (dF/dv) t by
// forward-mode accumulation with each op's jvp. Both are expanded in program
// order: one that another's formula uses comes first, so derivatives of
// derivatives work, in any mix of the two modes.
//
//===----------------------------------------------------------------------===//

#include "keops/Transforms/Passes.h"

#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::keops {
#define GEN_PASS_DEF_KEOPSEXPANDGRAD
#define GEN_PASS_DEF_KEOPSTESTJVP
#include "KeopsPasses.h.inc"
} // namespace mlir::keops

using namespace mlir;
using namespace mlir::keops;

/// A zero of type `type` (vector<D x T>).
static Value zeros(OpBuilder &b, Location loc, Type type) {
  auto vt = cast<VectorType>(type);
  return arith::ConstantOp::create(
      b, loc, vt,
      DenseElementsAttr::get(
          vt, ArrayRef<Attribute>{FloatAttr::get(vt.getElementType(), 0.0)}));
}

/// x + y; scalars (which only expanded-formula ops may produce) are added
/// as vector<1 x T>.
static Value add(OpBuilder &b, Location loc, Value x, Value y) {
  if (isa<VectorType>(x.getType()))
    return arith::AddFOp::create(b, loc, x, y);
  auto vt = VectorType::get({1}, x.getType());
  Value sum = arith::AddFOp::create(
      b, loc, vector::FromElementsOp::create(b, loc, vt, x),
      vector::FromElementsOp::create(b, loc, vt, y));
  return vector::ExtractOp::create(b, loc, sum, ArrayRef<int64_t>{0});
}

/// The error of a derivative op `deriv` whose path holds `op`, which has no
/// rule (or none for this form of it).
static LogicalResult noRule(Operation *deriv, Operation *op, bool uncovered) {
  InFlightDiagnostic diag = deriv->emitOpError()
                            << "cannot differentiate through '" << op->getName()
                            << (uncovered ? "': its derivative rule does not "
                                            "cover this form of the op"
                                          : "': the op has no derivative rule "
                                            "(KeopsDifferentiable)");
  diag.attachNote(op->getLoc()) << "the op is here";
  return diag;
}

static LogicalResult expandDiff(DiffOp diff) {
  Value f = diff.getValue(), v = diff.getVariable();
  OpBuilder b(diff);
  DenseMap<Value, Value> tangent{{v, diff.getTangent()}};
  Operation *fDef = f.getDefiningOp();
  if (fDef && fDef->getBlock() == diff->getBlock()) {
    // The jvp rules insert before the diff, after fDef: not visited.
    for (Operation &op : *diff->getBlock()) {
      SmallVector<Value> ts;
      for (Value x : op.getOperands())
        ts.push_back(tangent.lookup(x));
      if (llvm::any_of(ts, [](Value t) { return t; })) {
        auto rule = dyn_cast<KeopsDifferentiable>(&op);
        if (!rule || op.getNumResults() != 1)
          return noRule(diff, &op, false);
        if (Value t = rule.jvp(b, ts))
          tangent[op.getResult(0)] = t;
      }
      if (&op == fDef)
        break;
    }
  }
  Value result = tangent.lookup(f);
  if (!result)
    result = zeros(b, diff.getLoc(), f.getType());
  diff.replaceAllUsesWith(result);
  diff.erase();
  return success();
}

static LogicalResult expandGrad(GradOp grad) {
  Value f = grad.getValue(), v = grad.getVariable();
  Block *block = grad->getBlock();
  // Forward: the ops of the block up to %f's definition that depend on %v.
  llvm::DenseSet<Value> depends{v};
  SmallVector<Operation *> path;
  Operation *fDef = f.getDefiningOp();
  if (fDef && fDef->getBlock() == block) {
    for (Operation &op : *block) {
      if (llvm::any_of(op.getOperands(),
                       [&](Value x) { return depends.contains(x); })) {
        depends.insert(op.result_begin(), op.result_end());
        path.push_back(&op);
      }
      if (&op == fDef)
        break;
    }
  }
  // Backward: adjoints from %f to %v.
  OpBuilder b(grad);
  DenseMap<Value, Value> adjoint;
  if (depends.contains(f))
    adjoint[f] = grad.getCotangent();
  for (Operation *op : llvm::reverse(path)) {
    SmallVector<Value> cts;
    for (Value r : op->getResults())
      cts.push_back(adjoint.lookup(r));
    if (llvm::all_of(cts, [](Value c) { return !c; }))
      continue;
    auto rule = dyn_cast<KeopsDifferentiable>(op);
    if (!rule)
      return noRule(grad, op, false);
    SmallVector<Value> ins = rule.vjp(b, cts);
    if (ins.size() != op->getNumOperands())
      return noRule(grad, op, true);
    for (auto [operand, ct] : llvm::zip(op->getOperands(), ins)) {
      if (!ct || !depends.contains(operand))
        continue;
      Value &acc = adjoint[operand];
      acc = acc ? add(b, grad.getLoc(), acc, ct) : ct;
    }
  }
  Value result = adjoint.lookup(v);
  if (!result)
    result = zeros(b, grad.getLoc(), v.getType());
  grad.replaceAllUsesWith(result);
  grad.erase();
  return success();
}

namespace {
struct KeopsExpandGradPass
    : mlir::keops::impl::KeopsExpandGradBase<KeopsExpandGradPass> {
  void runOnOperation() override {
    SmallVector<Operation *> derivatives;
    getOperation()->walk([&](Operation *op) {
      if (isa<GradOp, DiffOp>(op))
        derivatives.push_back(op);
    });
    DenseSet<Region *> regions;
    for (Operation *op : derivatives) {
      regions.insert(op->getParentRegion());
      LogicalResult done = isa<GradOp>(op) ? expandGrad(cast<GradOp>(op))
                                           : expandDiff(cast<DiffOp>(op));
      if (failed(done))
        return signalPassFailure();
    }
    // Erase what the rules computed for nothing (partials of operands that
    // need no adjoint) and the primal ops only the grads used.
    IRRewriter rewriter(&getContext());
    for (Region *r : regions)
      (void)runRegionDCE(rewriter, *r);
  }
};
} // namespace

namespace {
/// Forward mode, for testing the jvp rules (see KeopsPasses.td).
struct KeopsTestJvpPass : mlir::keops::impl::KeopsTestJvpBase<KeopsTestJvpPass> {
  using KeopsTestJvpBase::KeopsTestJvpBase;
  void runOnOperation() override {
    WalkResult walk = getOperation()->walk([&](ReduceOp reduce) {
      Block &block = reduce.getFormula().front();
      if (variable + 1 >= block.getNumArguments()) {
        reduce.emitOpError() << "has no variable " << variable
                             << " and tangent";
        return WalkResult::interrupt();
      }
      // Each yielded value becomes its keops.diff along the last argument,
      // expanded as the pipelines expand every diff.
      YieldOp yield = reduce.getYield();
      OpBuilder b(yield);
      SmallVector<DiffOp> diffs;
      for (OpOperand &y : yield->getOpOperands()) {
        auto diff = DiffOp::create(b, yield.getLoc(), y.get(),
                                   block.getArgument(variable),
                                   block.getArguments().back());
        y.set(diff);
        diffs.push_back(diff);
      }
      for (DiffOp diff : diffs)
        if (failed(expandDiff(diff)))
          return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
