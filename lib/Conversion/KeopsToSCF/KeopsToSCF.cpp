//===- KeopsToSCF.cpp - vectorized CPU loops for keops.reduce -------------===//
//
// A memref-form reduction becomes
//
//   for i0 in [0, rows) step lanes * blocks:          // kept rows
//     kept variables of rows i0 + [0, lanes * blocks) -> vector<D x lanes>
//     for j in [0, cols):                             // reduced index
//       reduced variables of row j, broadcast         -> vector<D x lanes>
//       per block: F(...) folded into the block's accumulator
//     per block: finalize and write the rows (masked at the edge)
//
// Output rows are the vector lanes, so accumulators never need a horizontal
// reduction, and every load of a reduced variable serves lanes * blocks
// rows. The formula is cloned with every value widened: vector<D x T>
// becomes vector<D x lanes x T>, a scalar T becomes vector<lanes x T>.
//
// Long feature axes and wide values take tiles of reduced indices instead
// of the one-j loop: Gram entries by matrix-multiply tiles (GramTiles.cpp),
// sums of s_ij v_j and softmax-weighted sums of wide v as products of
// tiles with their sums in memory (RightProduct.cpp). Other sums of wide
// values take a loop over one kept row at a time, the feature axis in the
// lanes (WideValues.cpp); calls with few kept rows, one with reduced
// indices in the lanes (ReducedLanes.cpp).
//
//===----------------------------------------------------------------------===//

#include "keops/Conversion/Accumulators.h"
#include "keops/Conversion/GramTiles.h"
#include "ReducedLanes.h"
#include "RightProduct.h"
#include "RowValues.h"
#include "WideValues.h"
#include "WidenFormula.h"
#include "keops/Conversion/KernelABI.h"
#include "keops/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::keops {
#define GEN_PASS_DEF_CONVERTKEOPSTOSCF
#include "KeopsPasses.h.inc"
} // namespace mlir::keops

using namespace mlir;
using namespace mlir::keops;

namespace {

/// One row of a reduced (or parameter) variable, broadcast to all lanes.
Value broadcastRow(OpBuilder &b, Location loc, Value mem, ValueRange index,
                   int64_t dim, int64_t lanes) {
  Type elt = cast<MemRefType>(mem.getType()).getElementType();
  Value row = vector::LoadOp::create(b, loc, VectorType::get({dim}, elt), mem,
                                     index);
  Value column = vector::ShapeCastOp::create(
      b, loc, VectorType::get({dim, 1}, elt), row);
  return vector::BroadcastOp::create(b, loc, VectorType::get({dim, lanes}, elt),
                                     column);
}

/// A loop over [lb, ub) carrying `state`, its body left empty for the
/// caller's ops and yield (without state too: the second product's sums
/// are in memory).
scf::ForOp stateLoop(OpBuilder &b, Location loc, Value lb, Value ub,
                     Value step, ValueRange state) {
  auto loop = scf::ForOp::create(b, loc, lb, ub, step, state);
  if (state.empty())
    loop.getBody()->getTerminator()->erase();
  return loop;
}

/// Loads element `index` of an integer memref as an index.
Value loadIndex(OpBuilder &b, Location loc, Value mem, ValueRange index) {
  Value v = memref::LoadOp::create(b, loc, mem, index);
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

/// The kept variables' memrefs of `op`, one per input (null for the
/// others).
SmallVector<Value> keptInputs(ReduceOp op) {
  SmallVector<Value> kept(op.getIns().size());
  for (auto [index, in] : llvm::enumerate(op.getIns()))
    if (op.getCategory(index) == op.getKeptCategory())
      kept[index] = in;
  return kept;
}

/// Replaces the memref-form reduction `op` by loops.
LogicalResult lowerReduce(ReduceOp op, int64_t lanes, int64_t blocks,
                          int64_t splits, int64_t gramColumns, int64_t fewRows,
                          int64_t wideAbove, SumMode mode) {
  Location loc = op.getLoc();
  OpBuilder b(op);
  Type elt = op.getElementType();
  int64_t L = lanes > 0 ? lanes
                        : std::max<int64_t>(1, 512 / elt.getIntOrFloatBitWidth());
  int64_t U = std::max<int64_t>(1, blocks);
  Accumulator acc(op, mode, L);

  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value cols;
  for (auto [index, in] : llvm::enumerate(op.getIns()))
    if (!cols && op.getCategory(index) == op.getReducedCategory())
      cols = memref::DimOp::create(b, loc, in, 0);

  // Parameters: loaded once.
  SmallVector<Value> vars(op.getIns().size());
  for (auto [index, in] : llvm::enumerate(op.getIns()))
    if (op.getCategory(index) == Category::P)
      vars[index] = broadcastRow(b, loc, in, ValueRange{c0},
                                 cast<MemRefType>(in.getType()).getDimSize(0), L);

  bool needsKeptIndex = false;
  op.getFormula().walk([&](SelectIndexOp sel) {
    needsKeptIndex |= sel.getComparedAxis() != op.getAxis();
  });

  // Formula ops of parameters and constants only: once per reduction,
  // widened, and at their width for the column values that read them.
  IRMapping perReduction, narrowPerReduction;
  if (failed(hoistFormula(b, op, vars, L, ReduceOp::Invariance::Reduction,
                          perReduction)))
    return failure();
  llvm::DenseMap<Value, unsigned> sides = op.getSides();
  Block &body = op.getFormula().front();
  for (auto [index, in] : llvm::enumerate(op.getIns()))
    if (op.getCategory(index) == Category::P)
      narrowPerReduction.map(
          body.getArgument(index),
          vector::LoadOp::create(b, loc, cast<VectorType>(
                                             body.getArgument(index).getType()),
                                 in, ValueRange{c0}));
  cloneNarrow(b, op, sides, ReduceOp::NoSide, narrowPerReduction);

  GramTiles tiles(op, L, U, gramColumns);
  if (!tiles.empty())
    tiles.allocate();
  // The second product keeps the sums in its memory: the loops then carry
  // no state, and the pairs compute its weight s alone.
  RightProduct right(op, tiles, L, U, mode, gramColumns);
  if (right)
    right.allocate(tiles);
  // Sums of wide values: one kept row at a time, by chunks (WideValues.h).
  WideValues wideSums(op, L, mode, wideAbove, !tiles.empty() || bool(right));
  if (wideSums && splits <= 1) {
    if (failed(wideSums.emit(b, loc, keptInputs(op),
                             SmallVector<Value>(op.getOuts()), cols,
                             narrowPerReduction)))
      return failure();
    op.erase();
    return success();
  }
  SmallVector<Value> pairOutputs(op.getYield().getValues());
  if (right)
    pairOutputs.assign({right.weight()});
  RowValues rowValues(op, sides, tiles.tiled(), L, U, pairOutputs);
  rowValues.allocate();

  // The states of a whole row tile, from the initial ones `init` (one set
  // per block of lanes): the dense reduction, or its intervals.
  using ReduceAll = std::function<FailureOr<SmallVector<Value>>(
      std::function<FailureOr<SmallVector<Value>>(Value, Value, ValueRange)>,
      ValueRange)>;

  // The loops over the rows of `keptIns` (the kept variables, others null)
  // and `outs`, which may be views of rows of op's operands.
  auto emitRows = [&](ArrayRef<Value> keptIns, ArrayRef<Value> outs,
                      const ReduceAll &reduceAll) -> LogicalResult {
    Value rows = memref::DimOp::create(b, loc, outs[0], 0);
    // The index of the first kept row of these memrefs: 0, or the row
    // offset of output #0 when it is a view of rows of a larger array (the
    // kernels of keops-outline-kernels, the blocks of a block-sparse
    // reduction), so that keops.select_index compares with the rows'
    // indices in the whole array.
    Value keptBase = c0;
    if (needsKeptIndex)
      keptBase = firstRowIndex(b, loc, outs[0], c1);
    Value step = arith::ConstantIndexOp::create(b, loc, L * U);
    auto outer = scf::ForOp::create(b, loc, c0, rows, step);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(outer.getBody());
    Value i0 = outer.getInductionVar();

    // Kept variables, one set per block.
    SmallVector<Value> rowStart, keptStart;
    SmallVector<SmallVector<Value>> blockVars(U, vars);
    for (int64_t u = 0; u < U; ++u) {
      rowStart.push_back(arith::AddIOp::create(
          b, loc, i0, arith::ConstantIndexOp::create(b, loc, u * L)));
      keptStart.push_back(
          needsKeptIndex ? arith::AddIOp::create(b, loc, keptBase, rowStart[u])
                         : rowStart[u]);
      for (auto [index, in] : llvm::enumerate(keptIns))
        if (in && rowValues.needsWide(body.getArgument(index)))
          blockVars[u][index] = readRows(b, loc, in, rowStart[u], L);
    }

    // Formula ops that do not depend on the reduced variables: once per
    // block of rows, outside the loop over the reduced index; the feature
    // sums of the kept side row by row, the others widened.
    SmallVector<IRMapping> perRow(U, perReduction);
    rowValues.compute(b, loc, keptIns, i0, rows, narrowPerReduction, perRow);
    for (int64_t u = 0; u < U; ++u)
      if (failed(hoistFormula(
              b, op, blockVars[u], L, ReduceOp::Invariance::Row, perRow[u],
              [&](Operation *o) {
                return rowValues.needsWide(o->getResult(0));
              })))
        return failure();
    if (!tiles.empty())
      tiles.pack(b, loc, keptIns, rowStart, perRow);

    SmallVector<Value> init;
    if (right)
      right.begin(b, loc, keptIns, rowStart);
    else
      for (int64_t u = 0; u < U; ++u)
        llvm::append_range(init, acc.init(b, loc));
    size_t stateSize = init.size() / U;

    // The loop over the reduced indices [lb, ub): fold every block's
    // formula value. With Gram tiles, index j is column j - tileStart of
    // the current tile; with the second product, column j - weightStart
    // of its tile.
    auto buildPairs = [&](OpBuilder &ib, Location l, Value lb, Value ub,
                          Value tileStart, Value weightStart,
                          ValueRange state) -> FailureOr<SmallVector<Value>> {
      auto inner = stateLoop(ib, l, lb, ub, c1, state);
      OpBuilder::InsertionGuard guard(ib);
      ib.setInsertionPointToStart(inner.getBody());
      Value j = inner.getInductionVar();
      // The reduced index the formula and the accumulator see: that of the
      // whole axis when a partial reduction reads a range of it.
      Value jAxis =
          op.getFirst() ? arith::AddIOp::create(ib, l, j, op.getFirst()) : j;
      ColumnValues column;
      column.narrow = narrowPerReduction;
      mapVariableRows(ib, l, op, op.getReducedCategory(),
                      SmallVector<Value>(op.getIns()), j, column.narrow);
      cloneNarrow(ib, op, sides, ReduceOp::ReducedSide, column.narrow);
      Value tileColumn =
          tileStart ? arith::SubIOp::create(ib, l, j, tileStart) : Value();
      Value weightColumn =
          weightStart ? arith::SubIOp::create(ib, l, j, weightStart) : Value();
      SmallVector<Value> next;
      for (int64_t u = 0; u < U; ++u) {
        IRMapping hoisted = perRow[u];
        if (tileStart)
          tiles.lookup(ib, l, tileColumn, u, hoisted);
        PairIndices at{jAxis, keptStart[u]};
        SmallVector<Value> also;
        if (weightStart)
          also.push_back(right.weight());
        FailureOr<SmallVector<Value>> f =
            widenFormula(ib, op, blockVars[u], L, at, hoisted, column, sides,
                         also, /*withYield=*/also.empty());
        if (failed(f))
          return failure();
        ValueRange s = inner.getRegionIterArgs().slice(u * stateSize, stateSize);
        if (!also.empty()) {
          // The tile's second product adds the terms (RightProduct).
          right.storeWeight(ib, l, weightColumn, u, f->back());
          continue;
        }
        llvm::append_range(next,
                           acc.fold(ib, l, s, (*f)[0],
                                    f->size() == 2 ? (*f)[1] : Value(), jAxis));
      }
      scf::YieldOp::create(ib, l, next);
      return SmallVector<Value>(inner.getResults());
    };
    // Tiles of columns: the Gram entries of a tile, then its pairs.
    auto gramTile = [&](OpBuilder &ib, Location l, Value j0, Value end,
                        Value ub, Value weightStart,
                        ValueRange state) -> FailureOr<SmallVector<Value>> {
      tiles.compute(ib, l, j0, arith::SubIOp::create(ib, l, ub, c1));
      return buildPairs(ib, l, j0, end, j0, weightStart, state);
    };
    auto buildInner = [&](OpBuilder &ib, Location l, Value lb, Value ub,
                          ValueRange state) -> FailureOr<SmallVector<Value>> {
      if (tiles.empty() && !right)
        return buildPairs(ib, l, lb, ub, Value(), Value(), state);
      int64_t columns = right ? right.columns() : tiles.columns();
      Value width = arith::ConstantIndexOp::create(ib, l, columns);
      auto each = stateLoop(ib, l, lb, ub, width, state);
      OpBuilder::InsertionGuard guard(ib);
      ib.setInsertionPointToStart(each.getBody());
      Value j0 = each.getInductionVar();
      Value end = arith::MinSIOp::create(
          ib, l, arith::AddIOp::create(ib, l, j0, width), ub);
      Value weightStart = right ? j0 : Value();
      FailureOr<SmallVector<Value>> folded;
      if (tiles.empty()) {
        folded = buildPairs(ib, l, j0, end, Value(), weightStart,
                            each.getRegionIterArgs());
      } else if (columns == tiles.columns()) {
        folded = gramTile(ib, l, j0, end, ub, weightStart,
                          each.getRegionIterArgs());
      } else {
        // The second product's tile: several Gram tiles.
        Value step = arith::ConstantIndexOp::create(ib, l, tiles.columns());
        auto sub = stateLoop(ib, l, j0, end, step, each.getRegionIterArgs());
        OpBuilder::InsertionGuard subGuard(ib);
        ib.setInsertionPointToStart(sub.getBody());
        Value s0 = sub.getInductionVar();
        FailureOr<SmallVector<Value>> part = gramTile(
            ib, l, s0,
            arith::MinSIOp::create(ib, l, arith::AddIOp::create(ib, l, s0, step),
                                   end),
            ub, weightStart, sub.getRegionIterArgs());
        if (failed(part))
          return failure();
        scf::YieldOp::create(ib, l, *part);
        folded = SmallVector<Value>(sub.getResults());
      }
      if (failed(folded))
        return failure();
      if (right)
        right.multiply(ib, l, j0, arith::SubIOp::create(ib, l, end, j0));
      scf::YieldOp::create(ib, l, *folded);
      return SmallVector<Value>(each.getResults());
    };

    // The states after the reduced range [lb, ub), from `start`.
    auto reduceRange = [&](Value lb, Value ub,
                           ValueRange start) -> FailureOr<SmallVector<Value>> {
      // (The second product's blocks are its tiles.)
      if (!acc.usesBlocks() || right)
        return buildInner(b, loc, lb, ub, start);
      // Partial sums over 256 columns, added to the totals after each chunk.
      return acc.reduceInBlocks(
          b, loc, lb, ub, 256, start, U,
          [&](Value from, Value to, ValueRange states) {
            return buildInner(b, loc, from, to, states);
          });
    };

    FailureOr<SmallVector<Value>> state = reduceAll(reduceRange, init);
    if (failed(state))
      return failure();
    if (right) {
      right.write(b, loc, outs, i0, op.getPartial());
      return success();
    }
    for (int64_t u = 0; u < U; ++u) {
      ArrayRef<Value> final =
          ArrayRef<Value>(*state).slice(u * stateSize, stateSize);
      // A partial reduction writes its states instead (exportState).
      bool partial = op.getPartial();
      if (acc.keepsListInMemory()) {
        (partial ? acc.stateAccumulator() : acc)
            .writeListRows(b, loc, final, outs, rowStart[u]);
        continue;
      }
      SmallVector<Value> values = partial ? acc.exportState(b, loc, final)
                                          : acc.finalize(b, loc, final);
      for (auto [value, mem] : llvm::zip(values, outs))
        writeRows(b, loc, value, mem, rowStart[u]);
    }
    return success();
  };

  SmallVector<Value> keptIns = keptInputs(op);

  if (!op.hasRanges()) {
    // `splits` consecutive ranges reduced apart, their states merged in
    // order: what the GPU's 2-D scheme does across blocks.
    auto dense = [&](auto reduceRange,
                     ValueRange init) -> FailureOr<SmallVector<Value>> {
      int64_t parts = std::max<int64_t>(splits, 1);
      size_t stateSize = init.size() / U;
      FailureOr<SmallVector<Value>> state;
      for (int64_t s = 0; s < parts; ++s) {
        auto bound = [&](int64_t t) -> Value {
          Value scaled = arith::MulIOp::create(
              b, loc, cols, arith::ConstantIndexOp::create(b, loc, t));
          return arith::DivSIOp::create(
              b, loc, scaled, arith::ConstantIndexOp::create(b, loc, parts));
        };
        // Lists in memory are not values: each range gets its own.
        SmallVector<Value> start(init);
        if (s > 0 && acc.keepsListInMemory()) {
          start.clear();
          for (int64_t u = 0; u < U; ++u)
            llvm::append_range(start, acc.init(b, loc));
        }
        FailureOr<SmallVector<Value>> range =
            parts > 1 ? reduceRange(bound(s), bound(s + 1), start)
                      : reduceRange(c0, cols, start);
        if (failed(range))
          return failure();
        // (States in memory, the second product's, go on from the
        // previous range's.)
        if (s == 0 || init.empty()) {
          state = std::move(range);
          continue;
        }
        SmallVector<Value> merged;
        for (int64_t u = 0; u < U; ++u)
          llvm::append_range(
              merged, acc.merge(b, loc,
                                ArrayRef<Value>(*state).slice(u * stateSize,
                                                              stateSize),
                                ArrayRef<Value>(*range).slice(u * stateSize,
                                                              stateSize)));
        state = std::move(merged);
      }
      return state;
    };
    // Few kept rows: the lanes on the reduced axis instead (ReducedLanes.h).
    ReducedLanes few(op, L, mode, !tiles.empty() || bool(right));
    int64_t below = fewRows < 0 ? few.rowsBelow(L * U) : fewRows;
    if (few && below > 0) {
      Value rows = memref::DimOp::create(b, loc, op.getOuts()[0], 0);
      Value isFew = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::slt, rows,
          arith::ConstantIndexOp::create(b, loc, below));
      auto choice = scf::IfOp::create(b, loc, isFew, /*withElseRegion=*/true);
      b.setInsertionPointToStart(choice.thenBlock());
      if (failed(few.emit(b, loc, keptIns, SmallVector<Value>(op.getOuts()),
                          cols, narrowPerReduction)))
        return failure();
      b.setInsertionPointToStart(choice.elseBlock());
    }
    if (failed(emitRows(keptIns, SmallVector<Value>(op.getOuts()), dense)))
      return failure();
    op.erase();
    return success();
  }

  // Block-sparse: every row first gets the empty reduction (rows in no
  // block keep it); then each block of rows, as views, folds the intervals
  // of the reduced index it reads, one after the other into the same
  // states. Blocks are in absolute row numbers; these memrefs may be views
  // of rows of larger arrays (the kernels'), from the output's offset.
  auto none = [&](auto, ValueRange init) -> FailureOr<SmallVector<Value>> {
    return SmallVector<Value>(init);
  };
  if (failed(emitRows(keptIns, SmallVector<Value>(op.getOuts()), none)))
    return failure();
  ValueRange triple = op.getAxisRanges();
  Value blockRanges = triple[0], counts = triple[1], intervals = triple[2];
  Value rows = memref::DimOp::create(b, loc, op.getOuts()[0], 0);
  Value base = firstRowIndex(b, loc, op.getOuts()[0], c1);
  Value numBlocks = memref::DimOp::create(b, loc, blockRanges, 0);
  auto loop = scf::ForOp::create(b, loc, c0, numBlocks, c1);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value k = loop.getInductionVar();
  // The block's rows within these memrefs: clamped to [0, rows).
  auto local = [&](Value bound) -> Value {
    Value r = arith::SubIOp::create(b, loc, loadIndex(b, loc, blockRanges,
                                                      ValueRange{k, bound}),
                                    base);
    return arith::MinSIOp::create(b, loc,
                                  arith::MaxSIOp::create(b, loc, r, c0), rows);
  };
  Value first = local(c0), last = local(c1);
  Value previous = arith::SubIOp::create(b, loc, k, c1);
  Value from = scf::IfOp::create(
                   b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                                 k, c0),
                   [&](OpBuilder &tb, Location l) {
                     scf::YieldOp::create(tb, l, ValueRange{c0});
                   },
                   [&](OpBuilder &eb, Location l) {
                     scf::YieldOp::create(
                         eb, l, loadIndex(eb, l, counts, ValueRange{previous}));
                   })
                   .getResult(0);
  Value to = loadIndex(b, loc, counts, ValueRange{k});
  auto nonEmpty = scf::IfOp::create(
      b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, first,
                                    last),
      /*withElseRegion=*/false);
  b.setInsertionPointToStart(&nonEmpty.getThenRegion().front());
  SmallVector<Value> views(keptIns), outs;
  for (Value &in : views)
    if (in)
      in = takeRows(b, loc, in, first, last);
  for (Value out : op.getOuts())
    outs.push_back(takeRows(b, loc, out, first, last));
  auto sparse = [&](auto reduceRange,
                    ValueRange init) -> FailureOr<SmallVector<Value>> {
    auto each = stateLoop(b, loc, from, to, c1, init);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(each.getBody());
    Value s = each.getInductionVar();
    // (Loads made in statements: their order in the IR does not depend on
    // the C++ compiler's order of evaluating arguments.)
    Value end = loadIndex(b, loc, intervals, ValueRange{s, c1});
    Value begin = loadIndex(b, loc, intervals, ValueRange{s, c0});
    FailureOr<SmallVector<Value>> state =
        reduceRange(begin, end, each.getRegionIterArgs());
    if (failed(state))
      return failure();
    scf::YieldOp::create(b, loc, *state);
    return SmallVector<Value>(each.getResults());
  };
  if (failed(emitRows(views, outs, sparse)))
    return failure();
  op.erase();
  return success();
}

struct ConvertKeopsToSCF
    : mlir::keops::impl::ConvertKeopsToSCFBase<ConvertKeopsToSCF> {
  using ConvertKeopsToSCFBase::ConvertKeopsToSCFBase;

  void runOnOperation() override {
    FailureOr<SumMode> mode = parseSumMode(accumulation, getOperation());
    if (failed(mode))
      return signalPassFailure();
    // Bounds that keep the generated code (lanes x blocks rows per
    // iteration, splits ranges) and its compile time reasonable: beyond
    // them, gigabytes of IR for no speed.
    for (auto [name, value, low, limit] :
         {std::tuple<const char *, int64_t, int64_t, int64_t>{"lanes", lanes,
                                                              0, 256},
          {"blocks", blocks, 0, 16},
          {"splits", splits, 0, 1024},
          {"few-rows", fewRows, -1, 1024},
          {"wide-above", wideAbove, 0, 1 << 16}})
      if (value < low || value > limit) {
        getOperation()->emitError() << name << " " << value << " is not in ["
                                    << low << ", " << limit << "]";
        return signalPassFailure();
      }
    if (failed(lowerStateOps(getOperation(), lanes)))
      return signalPassFailure();
    // Each reduction is rewritten on its own: no greedy fixpoint needed.
    SmallVector<ReduceOp> reduces;
    getOperation()->walk([&](ReduceOp op) { reduces.push_back(op); });
    for (ReduceOp op : reduces) {
      if (!op.getResults().empty()) {
        op.emitOpError() << "has tensor operands; the CPU lowering takes "
                            "memref-form reductions (run "
                            "-keops-outline-kernels first)";
        return signalPassFailure();
      }
      if (failed(lowerReduce(op, lanes, blocks, splits, gramColumns, fewRows,
                              wideAbove, *mode)))
        return signalPassFailure();
    }
  }
};

} // namespace
