//===- StateOps.cpp - loops for keops.merge_states and finalize_states ----===//
//
// The states of partial reductions are arrays (ReduceOp::getStateLayout);
// merging two and finalizing one are row-by-row maps over them, which the
// Accumulator of the reduction's kind does on rows side by side in vector
// lanes (one row at a time where its K-lists are in memory): import the
// rows' states, merge or finalize, export. Rows are independent, so a
// kernel's caller splits them over threads as it splits a reduction's.
// Sums merge in plain arithmetic: two partial sums, one addition.
//
//===----------------------------------------------------------------------===//

#include "keops/Conversion/Accumulators.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::keops;

namespace {

/// The accumulator of states `states` of reduction `kind`: `lanes` rows
/// side by side (vector<D x lanes>), or one row for lanes = 0.
Accumulator rowAccumulator(Operation *op, ReductionKind kind,
                           std::optional<uint64_t> k, ValueRange states,
                           int64_t lanes) {
  int64_t kk = k ? int64_t(*k) : 1;
  auto dims = *MergeStatesOp::stateDims(op, kind, kk, states);
  SmallVector<OutputArray> layout =
      ReduceOp::getStateLayout(kind, kk, dims.first, dims.second);
  Type valueElt, indexElt = IntegerType::get(op->getContext(), 32);
  for (auto [array, state] : llvm::zip(layout, states)) {
    Type elt = cast<MemRefType>(state.getType()).getElementType();
    (array.isIndex ? indexElt : valueElt) = elt;
  }
  auto shape = [&](int64_t width) {
    return lanes ? VectorType::get({width, lanes}, valueElt)
                 : VectorType::get({width}, valueElt);
  };
  VectorType weight = dims.second ? shape(dims.second) : VectorType();
  return Accumulator(kind, kk, shape(dims.first), weight, indexElt,
                     SumMode::Plain);
}

/// The accumulator of `op`'s states: one row (a GPU thread's, with
/// `gpuThreads`), or rows side by side in `lanes` vector lanes (0: as many
/// as 512 bits hold) unless its K-lists would be in memory, where one row at
/// a time.
Accumulator accumulatorFor(Operation *op, ReductionKind kind,
                           std::optional<uint64_t> k, ValueRange states,
                           int64_t lanes, bool gpuThreads) {
  if (gpuThreads)
    return rowAccumulator(op, kind, k, states, 0);
  Type elt;
  for (Value state : states)
    if (auto t = cast<MemRefType>(state.getType()).getElementType();
        isa<FloatType>(t))
      elt = t;
  Accumulator acc = rowAccumulator(
      op, kind, k, states,
      lanes > 0 ? lanes : 512 / elt.getIntOrFloatBitWidth());
  return acc.keepsListInMemory() ? rowAccumulator(op, kind, k, states, 0) : acc;
}

/// Stores `values` (vector<width>, or vector<width x lanes> for rows
/// [at, at + lanes)) at row `at` of `mems`.
void storeRows(OpBuilder &b, Location loc, ValueRange values, ValueRange mems,
               Value at) {
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  for (auto [value, mem] : llvm::zip(values, mems)) {
    if (cast<VectorType>(value.getType()).getRank() == 2)
      writeRows(b, loc, value, mem, at);
    else
      vector::StoreOp::create(b, loc, value, mem, ValueRange{at, c0});
  }
}

/// A loop over the rows of `rowsOf`, `step` at a time, whose body
/// `body(b, row)` builds (step 0, on a GPU: the row of this thread, if
/// there is one); then `op` is erased.
void replaceByRowLoop(Operation *op, Value rowsOf, int64_t step,
                      function_ref<void(OpBuilder &, Location, Value)> body) {
  OpBuilder b(op);
  Location loc = op->getLoc();
  if (step == 0) {
    // (One statement each: the IR comes out in this order.)
    Value blockId = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
    Value blockDim = gpu::BlockDimOp::create(b, loc, gpu::Dimension::x);
    Value start = arith::MulIOp::create(b, loc, blockId, blockDim);
    Value thread = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
    Value row = arith::AddIOp::create(b, loc, start, thread);
    Value rows = memref::DimOp::create(b, loc, rowsOf, 0);
    auto inside = scf::IfOp::create(
        b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, row,
                                      rows),
        /*withElseRegion=*/false);
    b.setInsertionPoint(inside.thenBlock()->getTerminator());
    body(b, loc, row);
    op->erase();
    return;
  }
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value by = arith::ConstantIndexOp::create(b, loc, step);
  Value rows = memref::DimOp::create(b, loc, rowsOf, 0);
  // (The body is built once the loop is in the function: K-lists in memory
  // put their buffers at the function's entry.)
  auto loop = scf::ForOp::create(b, loc, c0, rows, by);
  b.setInsertionPoint(loop.getBody()->getTerminator());
  body(b, loc, loop.getInductionVar());
  op->erase();
}

} // namespace

LogicalResult mlir::keops::lowerStateOps(Operation *root, int64_t lanes,
                                         bool gpuThreads) {
  SmallVector<Operation *> ops;
  root->walk([&](Operation *op) {
    if (isa<MergeStatesOp, FinalizeStatesOp>(op))
      ops.push_back(op);
  });
  for (Operation *op : ops) {
    // A GPU thread's row: only inside a kernel.
    if (gpuThreads && !op->getParentOfType<gpu::GPUFuncOp>())
      return op->emitOpError()
             << "is not in the body of a gpu.func kernel (run "
                "-keops-outline-kernels=\"gpu=true partial-states=true\" "
                "first)";
    if (auto merge = dyn_cast<MergeStatesOp>(op)) {
      Accumulator acc = accumulatorFor(op, merge.getKind(), merge.getK(),
                                       merge.getFirst(), lanes, gpuThreads);
      SmallVector<Value> outs(merge.getOuts());
      SmallVector<Value> first(merge.getFirst()), second(merge.getSecond());
      replaceByRowLoop(op, outs[0],
                       gpuThreads ? 0 : std::max<int64_t>(acc.lanes(), 1),
                       [&](OpBuilder &b, Location loc, Value r) {
        SmallVector<Value> merged =
            acc.merge(b, loc, acc.importState(b, loc, first, r),
                      acc.importState(b, loc, second, r));
        if (acc.keepsListInMemory())
          return acc.stateAccumulator().writeListRows(b, loc, merged, outs, r);
        storeRows(b, loc, acc.exportState(b, loc, merged), outs, r);
      });
      continue;
    }
    auto finalize = cast<FinalizeStatesOp>(op);
    Accumulator acc = accumulatorFor(op, finalize.getKind(), finalize.getK(),
                                     finalize.getIns(), lanes, gpuThreads);
    SmallVector<Value> outs(finalize.getOuts()), ins(finalize.getIns());
    replaceByRowLoop(op, outs[0],
                     gpuThreads ? 0 : std::max<int64_t>(acc.lanes(), 1),
                     [&](OpBuilder &b, Location loc, Value r) {
      SmallVector<Value> state = acc.importState(b, loc, ins, r);
      if (acc.keepsListInMemory())
        return acc.writeListRows(b, loc, state, outs, r);
      storeRows(b, loc, acc.finalize(b, loc, state), outs, r);
    });
  }
  return success();
}
