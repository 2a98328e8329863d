//===- StateOps.cpp - loops for keops.merge_states and finalize_states ----===//
//
// The states of partial reductions are arrays (ReduceOp::getStateLayout);
// merging two and finalizing one are row-by-row maps over them, which the
// Accumulator of the reduction's kind does one row at a time: import the
// row's state, merge or finalize, export. Rows are independent, so a
// kernel's caller splits them over threads as it splits a reduction's.
// Sums merge in plain arithmetic: two partial sums, one addition.
//
//===----------------------------------------------------------------------===//

#include "keops/Conversion/Accumulators.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::keops;

namespace {

/// The accumulator of states `states` of reduction `kind` (one row).
Accumulator rowAccumulator(Operation *op, ReductionKind kind,
                           std::optional<uint64_t> k, ValueRange states) {
  int64_t kk = k ? int64_t(*k) : 1;
  auto dims = *MergeStatesOp::stateDims(op, kind, kk, states);
  SmallVector<OutputArray> layout =
      ReduceOp::getStateLayout(kind, kk, dims.first, dims.second);
  Type valueElt, indexElt = IntegerType::get(op->getContext(), 32);
  for (auto [array, state] : llvm::zip(layout, states)) {
    Type elt = cast<MemRefType>(state.getType()).getElementType();
    (array.isIndex ? indexElt : valueElt) = elt;
  }
  VectorType weight = dims.second
                          ? VectorType::get({dims.second}, valueElt)
                          : VectorType();
  return Accumulator(kind, kk, VectorType::get({dims.first}, valueElt),
                     weight, indexElt, SumMode::Plain);
}

/// Stores `values` (vector<width>) at row `at` of `mems`.
void storeRow(OpBuilder &b, Location loc, ValueRange values, ValueRange mems,
              Value at) {
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  for (auto [value, mem] : llvm::zip(values, mems))
    vector::StoreOp::create(b, loc, value, mem, ValueRange{at, c0});
}

/// A loop over the rows of `rowsOf` whose body `body(b, row)` builds; then
/// `op` is erased.
void replaceByRowLoop(Operation *op, Value rowsOf,
                      function_ref<void(OpBuilder &, Location, Value)> body) {
  OpBuilder b(op);
  Location loc = op->getLoc();
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value rows = memref::DimOp::create(b, loc, rowsOf, 0);
  // (The body is built once the loop is in the function: K-lists in memory
  // put their buffers at the function's entry.)
  auto loop = scf::ForOp::create(b, loc, c0, rows, c1);
  b.setInsertionPoint(loop.getBody()->getTerminator());
  body(b, loc, loop.getInductionVar());
  op->erase();
}

} // namespace

LogicalResult mlir::keops::lowerStateOps(Operation *root) {
  SmallVector<Operation *> ops;
  root->walk([&](Operation *op) {
    if (isa<MergeStatesOp, FinalizeStatesOp>(op))
      ops.push_back(op);
  });
  for (Operation *op : ops) {
    if (auto merge = dyn_cast<MergeStatesOp>(op)) {
      Accumulator acc =
          rowAccumulator(op, merge.getKind(), merge.getK(), merge.getFirst());
      SmallVector<Value> outs(merge.getOuts());
      SmallVector<Value> first(merge.getFirst()), second(merge.getSecond());
      replaceByRowLoop(op, outs[0], [&](OpBuilder &b, Location loc, Value r) {
        SmallVector<Value> merged =
            acc.merge(b, loc, acc.importState(b, loc, first, r),
                      acc.importState(b, loc, second, r));
        if (acc.keepsListInMemory())
          return acc.stateAccumulator().writeListRows(b, loc, merged, outs, r);
        storeRow(b, loc, acc.exportState(b, loc, merged), outs, r);
      });
      continue;
    }
    auto finalize = cast<FinalizeStatesOp>(op);
    Accumulator acc = rowAccumulator(op, finalize.getKind(), finalize.getK(),
                                     finalize.getIns());
    SmallVector<Value> outs(finalize.getOuts()), ins(finalize.getIns());
    replaceByRowLoop(op, outs[0], [&](OpBuilder &b, Location loc, Value r) {
      SmallVector<Value> state = acc.importState(b, loc, ins, r);
      if (acc.keepsListInMemory())
        return acc.writeListRows(b, loc, state, outs, r);
      SmallVector<Value> values = acc.finalize(b, loc, state);
      storeRow(b, loc, values, outs, r);
    });
  }
  return success();
}
