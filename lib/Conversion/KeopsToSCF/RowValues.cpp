//===- RowValues.cpp - kept-side values computed row by row ---------------===//

#include "RowValues.h"
#include "WidenFormula.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::keops;

/// A scalar value made by a feature-axis sum: sum(...) broadcast to
/// vector<1 x T>, as keops-expand-formulas writes norms and inner products.
static bool isFeatureSum(Value v) {
  auto bc = v.getDefiningOp<vector::BroadcastOp>();
  auto type = dyn_cast<VectorType>(v.getType());
  return bc && type && type.getDimSize(0) == 1 &&
         isa<FloatType>(type.getElementType()) &&
         bc.getSource().getDefiningOp<vector::ReductionOp>();
}

RowValues::RowValues(ReduceOp op, const llvm::DenseMap<Value, unsigned> &sides,
                     const llvm::DenseSet<Operation *> &packed, int64_t lanes,
                     int64_t blocks, ArrayRef<Value> pairOutputs)
    : op(op), lanes(lanes), blocks(blocks) {
  Block &body = op.getFormula().front();
  auto kept = [&](Value v) { return sides.lookup(v) == ReduceOp::KeptSide; };
  // Backwards from the uses that need lanes: the yielded values and the
  // operands of the pairs' ops; a row value needs none of its operands.
  for (Value v : pairOutputs)
    wide.insert(v);
  llvm::DenseSet<Value> rowValues;
  SmallVector<Operation *> ops;
  for (Operation &o : body.without_terminator())
    ops.push_back(&o);
  for (Operation *o : llvm::reverse(ops)) {
    Value result = o->getResult(0);
    unsigned side = sides.lookup(result);
    if (packed.contains(o)) {
      if (!isa<BlockArgument>(o->getOperand(0)))
        wide.insert(o->getOperand(0));
      continue;
    }
    if (side & ReduceOp::ReducedSide) {
      // A pair op the pairs compute (widenFormula widens those only).
      if ((side & ReduceOp::KeptSide) && wide.contains(result))
        for (Value x : o->getOperands())
          wide.insert(x);
      continue;
    }
    if (!wide.contains(result))
      continue;
    if (kept(result) && isFeatureSum(result)) {
      rowValues.insert(result);
      continue;
    }
    for (Value x : o->getOperands())
      wide.insert(x);
  }
  // The ops the row values need, in formula order.
  llvm::DenseSet<Value> needed(rowValues.begin(), rowValues.end());
  for (Operation *o : llvm::reverse(ops)) {
    if (!needed.contains(o->getResult(0)) || !kept(o->getResult(0)))
      continue;
    cone.push_back(o);
    for (Value x : o->getOperands())
      needed.insert(x);
  }
  std::reverse(cone.begin(), cone.end());
  for (Operation *o : cone)
    for (Value x : o->getOperands())
      if (isa<BlockArgument>(x))
        reads.insert(x);
  for (Operation *o : cone)
    if (rowValues.contains(o->getResult(0)))
      values.push_back(o->getResult(0));
}

void RowValues::allocate() {
  if (values.empty())
    return;
  auto func = op->getParentOfType<func::FuncOp>();
  OpBuilder b = OpBuilder::atBlockBegin(&func.getBody().front());
  auto type = MemRefType::get({lanes * blocks}, op.getElementType());
  for (size_t k = 0; k < values.size(); ++k)
    buffers.push_back(memref::AllocaOp::create(b, op.getLoc(), type));
}

void RowValues::compute(OpBuilder &b, Location loc, ArrayRef<Value> keptIns,
                        Value i0, Value rows,
                        const IRMapping &narrowPerReduction,
                        MutableArrayRef<IRMapping> perRow) {
  if (values.empty())
    return;
  Block &body = op.getFormula().front();
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value count = arith::ConstantIndexOp::create(b, loc, lanes * blocks);
  Value last = arith::SubIOp::create(b, loc, rows, c1);
  {
    auto loop = scf::ForOp::create(b, loc, c0, count, c1);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value r = loop.getInductionVar();
    Value row = arith::MinSIOp::create(
        b, loc, arith::AddIOp::create(b, loc, i0, r), last);
    IRMapping narrow = narrowPerReduction;
    for (auto [index, in] : llvm::enumerate(keptIns))
      if (in && reads.contains(body.getArgument(index)))
        narrow.map(body.getArgument(index),
                   vector::LoadOp::create(
                       b, loc,
                       cast<VectorType>(body.getArgument(index).getType()), in,
                       ValueRange{row, c0}));
    for (Operation *o : cone)
      cloneAtWidth(b, *o, narrow);
    for (auto [v, buffer] : llvm::zip(values, buffers))
      vector::StoreOp::create(b, loc, narrow.lookup(v), buffer, ValueRange{r});
  }
  Type elt = op.getElementType();
  for (int64_t u = 0; u < blocks; ++u) {
    Value at = arith::ConstantIndexOp::create(b, loc, u * lanes);
    for (auto [v, buffer] : llvm::zip(values, buffers)) {
      Value lane = vector::LoadOp::create(
          b, loc, VectorType::get({lanes}, elt), buffer, ValueRange{at});
      perRow[u].map(v, vector::ShapeCastOp::create(
                           b, loc, VectorType::get({1, lanes}, elt), lane));
    }
  }
}
