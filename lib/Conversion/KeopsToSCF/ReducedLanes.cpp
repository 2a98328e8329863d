//===- ReducedLanes.cpp - few kept rows: the lanes on the reduced axis ----===//
//
// See ReducedLanes.h.
//
//===----------------------------------------------------------------------===//

#include "ReducedLanes.h"
#include "WidenFormula.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::keops;

ReducedLanes::ReducedLanes(ReduceOp op, int64_t lanes, SumMode mode,
                           bool rowLoopTiles)
    : op(op), lanes(lanes), acc(op, mode, lanes), one(acc.forLanes(1)),
      sides(op.getSides()) {
  int64_t width = 0, values = 0;
  for (auto [index, in] : llvm::enumerate(op.getIns()))
    if (op.getCategory(index) == op.getReducedCategory())
      width += cast<MemRefType>(in.getType()).getDimSize(1);
  for (Value v : op.getYield().getValues())
    values += cast<VectorType>(v.getType()).getNumElements();
  applies = lanes > 1 && !op.hasRanges() && !acc.keepsListInMemory() &&
            !rowLoopTiles && width <= kMaxWidth && values <= kMaxWidth;
}

int64_t ReducedLanes::rowsBelow(int64_t rowTile) const {
  ReduceOp reduce = op;
  bool elementary = false;
  reduce.getFormula().walk([&](Operation *o) {
    elementary |= isa<math::MathDialect>(o->getDialect()) &&
                  !isa<math::AbsFOp, math::FmaOp, math::CopySignOp>(o);
  });
  ReductionKind kind = reduce.getKind();
  bool cheapFold = kind == ReductionKind::Sum || ReduceOp::needsK(kind);
  return !elementary && cheapFold ? rowTile / 4 : rowTile / 2;
}

/// Rows [row, row + lanes) of a rows x D memref, all in bounds, as
/// vector<D x lanes>. Contiguous rows (any offset) are read as one vector of
/// lanes x D elements and split into its components by shuffles (loads of
/// whole vectors, not of rows); others by a transposed read.
static Value readLanes(OpBuilder &b, Location loc, Value mem, Value row,
                       int64_t lanes) {
  auto type = cast<MemRefType>(mem.getType());
  int64_t d = type.getDimSize(1);
  Type elt = type.getElementType();
  if (lanes == 1) // (a row, a column)
    return vector::ShapeCastOp::create(
        b, loc, VectorType::get({d, 1}, elt),
        vector::LoadOp::create(b, loc, VectorType::get({d}, elt), mem,
                               ValueRange{row, arith::ConstantIndexOp::create(
                                                   b, loc, 0)}));
  if (d == 1 || !type.areTrailingDimsContiguous(2))
    return readRows(b, loc, mem, row, lanes, /*inBounds=*/true);
  Value flat = memref::CollapseShapeOp::create(
      b, loc, mem, ArrayRef<ReassociationIndices>{{0, 1}});
  Value at = arith::MulIOp::create(b, loc, row,
                                   arith::ConstantIndexOp::create(b, loc, d));
  Value all = vector::LoadOp::create(
      b, loc, VectorType::get({lanes * d}, elt), flat, ValueRange{at});
  auto rowsType = VectorType::get({d, lanes}, elt);
  Value result =
      arith::ConstantOp::create(b, loc, rowsType, b.getZeroAttr(rowsType));
  for (int64_t c = 0; c < d; ++c) {
    SmallVector<int64_t> mask(lanes);
    for (int64_t l = 0; l < lanes; ++l)
      mask[l] = l * d + c;
    result = vector::InsertOp::create(
        b, loc, vector::ShuffleOp::create(b, loc, all, all, mask), result,
        ArrayRef<int64_t>{c});
  }
  return result;
}

FailureOr<SmallVector<Value>>
ReducedLanes::foldPairs(OpBuilder &b, Location loc, const Accumulator &into,
                        ValueRange state, Value j0, int64_t width,
                        Value keptRow, const IRMapping &narrowRow) {
  Block &body = op.getFormula().front();
  Value jAxis = op.getFirst() ? arith::AddIOp::create(b, loc, j0, op.getFirst())
                              : j0;
  PairIndices at{jAxis, keptRow, /*reducedLanes=*/true};
  IRMapping map;
  for (auto [index, in] : llvm::enumerate(op.getIns()))
    if (op.getCategory(index) == op.getReducedCategory())
      map.map(body.getArgument(index), readLanes(b, loc, in, j0, width));
  // The values of the reduced side alone vary with the lanes: widened
  // here, on top of the narrow values they read (parameters, constants).
  ColumnValues column;
  column.narrow = narrowRow;
  for (Operation &o : body.without_terminator()) {
    if (!o.getNumResults() ||
        sides.lookup(o.getResult(0)) != ReduceOp::ReducedSide)
      continue;
    for (Value x : o.getOperands())
      if (!map.contains(x))
        map.map(x, column.wideOf(b, loc, x, width));
    if (failed(widenOp(b, &o, map, width, at)))
      return failure();
  }
  FailureOr<SmallVector<Value>> f =
      widenFormula(b, op, {}, width, at, map, column, sides);
  if (failed(f))
    return failure();
  Value j = jAxis;
  if (width > 1) {
    auto laneType = VectorType::get({width}, b.getIndexType());
    SmallVector<int64_t> steps(width);
    for (int64_t l = 0; l < width; ++l)
      steps[l] = l;
    j = arith::AddIOp::create(
        b, loc, vector::BroadcastOp::create(b, loc, laneType, jAxis),
        arith::ConstantOp::create(b, loc, laneType,
                                  b.getIndexVectorAttr(steps)));
  }
  return into.fold(b, loc, state, (*f)[0], f->size() == 2 ? (*f)[1] : Value(),
                   j);
}

LogicalResult ReducedLanes::emit(OpBuilder &b, Location loc,
                                 ArrayRef<Value> keptIns, ArrayRef<Value> outs,
                                 Value cols,
                                 const IRMapping &narrowPerReduction) {
  Block &body = op.getFormula().front();
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value width = arith::ConstantIndexOp::create(b, loc, lanes);
  Value rows = memref::DimOp::create(b, loc, outs[0], 0);
  // Indices past the last multiple of the lanes go term by term.
  Value full = arith::SubIOp::create(b, loc, cols,
                                     arith::RemSIOp::create(b, loc, cols, width));
  // The rows' indices in the whole array when the outputs are a view of
  // some of its rows (as the row loop reads them).
  bool needsKeptIndex = false;
  op.getFormula().walk([&](SelectIndexOp sel) {
    needsKeptIndex |= sel.getComparedAxis() != op.getAxis();
  });
  Value keptBase = c0;
  if (needsKeptIndex)
    keptBase = firstRowIndex(b, loc, outs[0], c1);

  auto loop = scf::ForOp::create(b, loc, c0, rows, c1);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value i = loop.getInductionVar();
  Value keptRow = arith::AddIOp::create(b, loc, keptBase, i);
  IRMapping narrow = narrowPerReduction;
  mapVariableRows(b, loc, op, op.getKeptCategory(), keptIns, i, narrow);
  cloneNarrow(b, op, sides, ReduceOp::KeptSide, narrow);

  // The lanes' reductions over [lb, ub), a multiple of the lanes long.
  auto lanesOver = [&](Value lb, Value ub,
                       ValueRange start) -> FailureOr<SmallVector<Value>> {
    auto each = scf::ForOp::create(b, loc, lb, ub, width, start);
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPointToStart(each.getBody());
    FailureOr<SmallVector<Value>> next =
        foldPairs(b, loc, acc, each.getRegionIterArgs(), each.getInductionVar(),
                  lanes, keptRow, narrow);
    if (failed(next))
      return failure();
    scf::YieldOp::create(b, loc, *next);
    return SmallVector<Value>(each.getResults());
  };
  // Block sums: partial sums of 256 terms a lane, added to the totals.
  FailureOr<SmallVector<Value>> state =
      acc.usesBlocks() ? acc.reduceInBlocks(b, loc, c0, full, 256 * lanes,
                                            acc.init(b, loc), 1, lanesOver)
                       : lanesOver(c0, full, acc.init(b, loc));
  if (failed(state))
    return failure();

  // The lanes' states merged in lane order, then the last indices term by
  // term (larger indices).
  SmallVector<Value> merged = acc.mergeLanes(b, loc, *state);
  auto tail = scf::ForOp::create(b, loc, full, cols, c1, merged);
  {
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPointToStart(tail.getBody());
    FailureOr<SmallVector<Value>> next =
        foldPairs(b, loc, one, tail.getRegionIterArgs(), tail.getInductionVar(),
                  1, keptRow, narrow);
    if (failed(next))
      return failure();
    scf::YieldOp::create(b, loc, *next);
  }

  // A partial reduction writes its states instead (exportState).
  SmallVector<Value> values = op.getPartial()
                                  ? one.exportState(b, loc, tail.getResults())
                                  : one.finalize(b, loc, tail.getResults());
  for (auto [value, mem] : llvm::zip(values, outs))
    writeRows(b, loc, value, mem, i);
  return success();
}
