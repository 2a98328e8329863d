//===- ExpandGrad.cpp - keops.grad to formula ops (reverse mode) ---------===//
//
// `keops.grad %f wrt %v, %e` becomes (dF/dv)^T e by reverse-mode
// accumulation over the ops between %v and %f, using each op's
// KeopsDifferentiable::vjp. Grads are expanded in program order: a grad that
// another grad's formula uses comes first, so second derivatives work.
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
    if (!rule) {
      InFlightDiagnostic diag = grad.emitOpError()
                                << "cannot differentiate through '"
                                << op->getName()
                                << "': the op has no derivative rule "
                                   "(KeopsDifferentiable)";
      diag.attachNote(op->getLoc()) << "the op is here";
      return diag;
    }
    SmallVector<Value> ins = rule.vjp(b, cts);
    if (ins.size() != op->getNumOperands()) {
      InFlightDiagnostic diag = grad.emitOpError()
                                << "cannot differentiate through '"
                                << op->getName()
                                << "': its derivative rule does not cover "
                                   "this form of the op";
      diag.attachNote(op->getLoc()) << "the op is here";
      return diag;
    }
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
    SmallVector<GradOp> grads;
    getOperation()->walk([&](GradOp g) { grads.push_back(g); });
    DenseSet<Region *> regions;
    for (GradOp g : grads) {
      regions.insert(g->getParentRegion());
      if (failed(expandGrad(g)))
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
      DenseMap<Value, Value> tangent;
      tangent[block.getArgument(variable)] = block.getArguments().back();
      YieldOp yield = reduce.getYield();
      OpBuilder b(yield);
      SmallVector<Operation *> primal;
      for (Operation &op : block.without_terminator())
        primal.push_back(&op);
      for (Operation *opp : primal) {
        Operation &op = *opp;
        SmallVector<Value> ts;
        for (Value x : op.getOperands())
          ts.push_back(tangent.lookup(x));
        if (llvm::all_of(ts, [](Value t) { return !t; }))
          continue;
        auto rule = dyn_cast<KeopsDifferentiable>(&op);
        if (!rule) {
          op.emitOpError() << "has no derivative rule (KeopsDifferentiable)";
          return WalkResult::interrupt();
        }
        if (Value t = rule.jvp(b, ts))
          tangent[op.getResult(0)] = t;
      }
      for (OpOperand &y : yield->getOpOperands()) {
        Value t = tangent.lookup(y.get());
        y.set(t ? t : zeros(b, yield.getLoc(), y.get().getType()));
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
