//===- GramTiles.cpp - keops.gram entries by matrix-multiply tiles --------===//

#include "keops/Conversion/GramTiles.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::keops;

/// Scratch memory of one reduction's tiles, on the stack of the kernel: the
/// packed rows of a Gram entry take D x rows elements (f32, 32 rows: D up to
/// 2048 within the budget); longer feature axes keep the formula's lowering.
static constexpr int64_t kScratchBudget = 256 * 1024;

/// `value` in every lane of `type`.
static Value splat(OpBuilder &b, Location loc, VectorType type, double value) {
  return arith::ConstantOp::create(
      b, loc, type,
      DenseElementsAttr::get(type, b.getFloatAttr(type.getElementType(), value)));
}

/// The step of both tile products: for each of `count` scalars s_k (read
/// by `scalar(k)`), broadcast once, acc[k * groups + u] += groups[u] s_k.
static SmallVector<Value>
rankOneUpdate(OpBuilder &b, Location loc, ArrayRef<Value> groups,
              int64_t count, llvm::function_ref<Value(int64_t)> scalar,
              ValueRange acc) {
  auto laneType = cast<VectorType>(groups[0].getType());
  SmallVector<Value> next;
  for (int64_t k = 0; k < count; ++k) {
    Value spread = vector::BroadcastOp::create(b, loc, laneType, scalar(k));
    for (auto [u, g] : llvm::enumerate(groups))
      next.push_back(vector::FMAOp::create(b, loc, g, spread,
                                           acc[k * groups.size() + u]));
  }
  return next;
}

GramTiles::GramTiles(ReduceOp op, int64_t lanes, int64_t blocks,
                     int64_t columns)
    : op(op), lanes(lanes), blocks(blocks), cols(columns) {
  if (columns <= 0)
    return;
  Type elt = op.getElementType();
  int64_t bytes = 0;
  op.getFormula().walk([&](GramOp gram) {
    auto arg = dyn_cast<BlockArgument>(gram.getRhs());
    if (!arg || op.getCategory(arg.getArgNumber()) != op.getReducedCategory())
      return;
    int64_t d = cast<VectorType>(gram.getLhs().getType()).getDimSize(0);
    int64_t need = (d + cols) * lanes * blocks * (elt.getIntOrFloatBitWidth() / 8);
    if (bytes + need > kScratchBudget)
      return;
    bytes += need;
    entries.push_back({gram, op.getIns()[arg.getArgNumber()], {}, {}});
  });
}

Value GramTiles::packedLeft(Value v) const {
  for (const Entry &e : entries)
    if (e.gram.getLhs() == v)
      return e.packed;
  return Value();
}

llvm::DenseSet<Operation *> GramTiles::tiled() {
  llvm::DenseSet<Operation *> ops;
  for (Entry &e : entries)
    ops.insert(e.gram.getOperation());
  return ops;
}

bool GramTiles::planRightProduct(unsigned acc) {
  if (entries.empty() || op.getKind() != ReductionKind::Sum ||
      op.getYield().getValues().size() != 1)
    return false;
  Value term = op.getYield().getValues()[0];
  // t + t or t c (c a constant), as differentiation writes 2 t: the
  // weights are scaled.
  if (auto twice = term.getDefiningOp<arith::AddFOp>();
      twice && twice.getLhs() == twice.getRhs()) {
    term = twice.getLhs();
    weightScale = 2.0;
  } else if (auto scaled = term.getDefiningOp<arith::MulFOp>()) {
    for (auto [t, c] : {std::pair(scaled.getLhs(), scaled.getRhs()),
                        std::pair(scaled.getRhs(), scaled.getLhs())}) {
      auto constant = c.getDefiningOp<arith::ConstantOp>();
      auto splat = constant ? dyn_cast<SplatElementsAttr>(constant.getValue())
                            : SplatElementsAttr();
      if (splat && t.getDefiningOp<arith::MulFOp>()) {
        term = t;
        weightScale = splat.getSplatValue<APFloat>().convertToDouble();
        break;
      }
    }
  }
  auto product = term.getDefiningOp<arith::MulFOp>();
  if (!product)
    return false;
  auto isColumn = [&](Value v) {
    auto arg = dyn_cast<BlockArgument>(v);
    return arg && op.getCategory(arg.getArgNumber()) == op.getReducedCategory();
  };
  llvm::DenseMap<Value, unsigned> sides = op.getSides();
  for (auto [s, w] : {std::pair(product.getLhs(), product.getRhs()),
                      std::pair(product.getRhs(), product.getLhs())}) {
    auto spread = s.getDefiningOp<vector::BroadcastOp>();
    auto scalarType = spread ? dyn_cast<VectorType>(spread.getSourceType())
                             : VectorType();
    if (!spread || !scalarType || scalarType.getDimSize(0) != 1 ||
        cast<VectorType>(w.getType()).getDimSize(0) < 8)
      continue;
    // s v_j, or s (a_i - v_j) = a_i s - s v_j (a of the kept side), as the
    // gradients of distance-based kernels write: the second product of the
    // weights -s, plus a_i times their sum.
    Value v = w;
    if (auto diff = w.getDefiningOp<arith::SubFOp>()) {
      bool keptFirst = isColumn(diff.getRhs()) &&
                       sides.lookup(diff.getLhs()) == ReduceOp::KeptSide;
      bool keptSecond = isColumn(diff.getLhs()) &&
                        sides.lookup(diff.getRhs()) == ReduceOp::KeptSide;
      if (!keptFirst && !keptSecond)
        continue;
      v = keptFirst ? diff.getRhs() : diff.getLhs();
      rightRow = keptFirst ? diff.getLhs() : diff.getRhs();
      if (keptFirst)
        weightScale = -weightScale;
    }
    if (!isColumn(v)) {
      rightRow = Value();
      continue;
    }
    rightWeight = spread.getSource();
    rightColumns = op.getIns()[cast<BlockArgument>(v).getArgNumber()];
    accumulator = acc;
    return true;
  }
  weightScale = 1.0;
  return false;
}

void GramTiles::allocate() {
  op.emitRemark() << entries.size() << " keops.gram entr"
                  << (entries.size() == 1 ? "y" : "ies") << " by tiles of "
                  << lanes * blocks << " rows x " << cols << " columns";
  auto func = op->getParentOfType<func::FuncOp>();
  OpBuilder b = OpBuilder::atBlockBegin(&func.getBody().front());
  Type elt = op.getElementType();
  for (Entry &e : entries) {
    int64_t d = cast<VectorType>(e.gram.getLhs().getType()).getDimSize(0);
    e.packed = memref::AllocaOp::create(
        b, op.getLoc(), MemRefType::get({d, lanes * blocks}, elt));
    e.tile = memref::AllocaOp::create(
        b, op.getLoc(), MemRefType::get({cols, lanes * blocks}, elt));
  }
  if (rightWeight)
    weights = memref::AllocaOp::create(
        b, op.getLoc(), MemRefType::get({cols, lanes * blocks}, elt));
}

void GramTiles::pack(OpBuilder &b, Location loc, ArrayRef<Value> keptIns,
                     ArrayRef<Value> rowStart, ArrayRef<IRMapping> perRow) {
  Type elt = op.getElementType();
  auto laneType = VectorType::get({lanes}, elt);
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(elt, 0.0));
  for (Entry &e : entries) {
    auto arg = dyn_cast<BlockArgument>(e.gram.getLhs());
    Value mem = arg ? keptIns[arg.getArgNumber()] : Value();
    int64_t d = cast<VectorType>(e.gram.getLhs().getType()).getDimSize(0);
    for (int64_t u = 0; u < blocks; ++u) {
      Value col = arith::ConstantIndexOp::create(b, loc, u * lanes);
      if (!mem) {
        // A value computed for the block's rows: already D x lanes.
        vector::TransferWriteOp::create(
            b, loc, perRow[u].lookup(e.gram.getLhs()), e.packed,
            ValueRange{c0, col}, ArrayRef<bool>{true, true});
        continue;
      }
      // A kept variable: component k of the group's rows, for each k (rows
      // past the end read as 0), in a loop rather than one D x lanes value
      // that long feature axes would make slow to compile.
      AffineMap column = AffineMap::get(
          2, 0, {b.getAffineDimExpr(0)}, b.getContext());
      auto loop = scf::ForOp::create(
          b, loc, c0, arith::ConstantIndexOp::create(b, loc, d), c1);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value k = loop.getInductionVar();
      Value v = vector::TransferReadOp::create(
          b, loc, laneType, mem, ValueRange{rowStart[u], k}, zero, column,
          ArrayRef<bool>{false});
      vector::StoreOp::create(b, loc, v, e.packed, ValueRange{k, col});
    }
  }
}

void GramTiles::compute(OpBuilder &b, Location loc, Value j0, Value last) {
  Type elt = op.getElementType();
  auto laneType = VectorType::get({lanes}, elt);
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  SmallVector<Value> columnRows, groupCols;
  for (int64_t c = 0; c < cols; ++c)
    columnRows.push_back(arith::MinSIOp::create(
        b, loc,
        arith::AddIOp::create(b, loc, j0,
                              arith::ConstantIndexOp::create(b, loc, c)),
        last));
  for (int64_t u = 0; u < blocks; ++u)
    groupCols.push_back(arith::ConstantIndexOp::create(b, loc, u * lanes));
  Value zeros = splat(b, loc, laneType, 0.0);
  for (Entry &e : entries) {
    int64_t d = cast<VectorType>(e.gram.getLhs().getType()).getDimSize(0);
    SmallVector<Value> init(cols * blocks, zeros);
    auto loop = scf::ForOp::create(
        b, loc, c0, arith::ConstantIndexOp::create(b, loc, d), c1, init);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value k = loop.getInductionVar();
      SmallVector<Value> rows;
      for (int64_t u = 0; u < blocks; ++u)
        rows.push_back(vector::LoadOp::create(b, loc, laneType, e.packed,
                                              ValueRange{k, groupCols[u]}));
      auto y = [&](int64_t c) -> Value {
        return memref::LoadOp::create(b, loc, e.columnsMem,
                                      ValueRange{columnRows[c], k});
      };
      scf::YieldOp::create(b, loc,
                           rankOneUpdate(b, loc, rows, cols, y,
                                         loop.getRegionIterArgs()));
    }
    for (int64_t c = 0; c < cols; ++c)
      for (int64_t u = 0; u < blocks; ++u)
        vector::StoreOp::create(
            b, loc, loop.getResult(c * blocks + u), e.tile,
            ValueRange{arith::ConstantIndexOp::create(b, loc, c), groupCols[u]});
  }
}

void GramTiles::lookup(OpBuilder &b, Location loc, Value c, int64_t group,
                       IRMapping &map) {
  Type elt = op.getElementType();
  Value col = arith::ConstantIndexOp::create(b, loc, group * lanes);
  for (Entry &e : entries) {
    Value v = vector::LoadOp::create(b, loc, VectorType::get({lanes}, elt),
                                     e.tile, ValueRange{c, col});
    map.map(e.gram.getResult(),
            vector::ShapeCastOp::create(
                b, loc, VectorType::get({1, lanes}, elt), v));
  }
}

void GramTiles::storeWeight(OpBuilder &b, Location loc, Value c, int64_t group,
                            Value s) {
  Type elt = op.getElementType();
  auto laneType = VectorType::get({lanes}, elt);
  Value lane = vector::ShapeCastOp::create(b, loc, laneType, s);
  // Scaling by -1 and 2 is exact.
  if (weightScale != 1.0)
    lane = arith::MulFOp::create(b, loc, lane,
                                 splat(b, loc, laneType, weightScale));
  vector::StoreOp::create(
      b, loc, lane, weights,
      ValueRange{c, arith::ConstantIndexOp::create(b, loc, group * lanes)});
}

SmallVector<Value> GramTiles::multiplyRight(OpBuilder &b, Location loc,
                                            Value j0, Value count,
                                            ValueRange state, size_t stateSize,
                                            ArrayRef<IRMapping> perRow) {
  Type elt = op.getElementType();
  auto laneType = VectorType::get({lanes}, elt);
  int64_t width = cast<MemRefType>(rightColumns.getType()).getDimSize(1);
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  SmallVector<Value> next(state);
  SmallVector<Value> groupCols;
  for (int64_t u = 0; u < blocks; ++u)
    groupCols.push_back(arith::ConstantIndexOp::create(b, loc, u * lanes));
  // s (a_i - v_j): the sum of the (negated) weights of the tile, then
  // a_i times it goes to the accumulators first.
  if (rightRow) {
    auto loop = scf::ForOp::create(
        b, loc, c0, count, c1,
        SmallVector<Value>(blocks, splat(b, loc, laneType, 0.0)));
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      SmallVector<Value> sums;
      for (int64_t u = 0; u < blocks; ++u)
        sums.push_back(arith::AddFOp::create(
            b, loc, loop.getRegionIterArgs()[u],
            vector::LoadOp::create(b, loc, laneType, weights,
                                   ValueRange{loop.getInductionVar(),
                                              groupCols[u]})));
      scf::YieldOp::create(b, loc, sums);
    }
    // a_i's components from the tiles' packed rows when a is a Gram
    // entry's left operand (the gradients of distances: x_i), else from
    // its D x lanes value.
    Value packed = packedLeft(rightRow);
    for (int64_t u = 0; u < blocks; ++u) {
      Value &acc = next[u * stateSize + accumulator];
      Value minus = arith::NegFOp::create(b, loc, loop.getResult(u));
      Value row = packed ? Value() : perRow[u].lookup(rightRow);
      for (int64_t e = 0; e < width; ++e) {
        Value component =
            packed ? vector::LoadOp::create(
                         b, loc, laneType, packed,
                         ValueRange{arith::ConstantIndexOp::create(b, loc, e),
                                    groupCols[u]})
                         .getResult()
                   : vector::ExtractOp::create(b, loc, row,
                                               ArrayRef<int64_t>{e})
                         .getResult();
        acc = vector::InsertOp::create(
            b, loc,
            vector::FMAOp::create(
                b, loc, component, minus,
                vector::ExtractOp::create(b, loc, acc, ArrayRef<int64_t>{e})),
            acc, ArrayRef<int64_t>{e});
      }
    }
  }
  // Rows e0 + [0, 8) of every group's accumulator in registers, for all the
  // tile's columns: per column, one load of s per group, one broadcast of
  // v[j][e] per row and a multiply-add per row and group.
  constexpr int64_t chunk = 8;
  for (int64_t e0 = 0; e0 < width; e0 += chunk) {
    int64_t rows = std::min(chunk, width - e0);
    SmallVector<Value> init;
    for (int64_t e = e0; e < e0 + rows; ++e)
      for (int64_t u = 0; u < blocks; ++u)
        init.push_back(vector::ExtractOp::create(
            b, loc, next[u * stateSize + accumulator], ArrayRef<int64_t>{e}));
    auto loop = scf::ForOp::create(b, loc, c0, count, c1, init);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value c = loop.getInductionVar();
      Value j = arith::AddIOp::create(b, loc, j0, c);
      SmallVector<Value> s;
      for (int64_t u = 0; u < blocks; ++u)
        s.push_back(vector::LoadOp::create(b, loc, laneType, weights,
                                           ValueRange{c, groupCols[u]}));
      auto v = [&](int64_t e) -> Value {
        return memref::LoadOp::create(
            b, loc, rightColumns,
            ValueRange{j, arith::ConstantIndexOp::create(b, loc, e0 + e)});
      };
      scf::YieldOp::create(b, loc,
                           rankOneUpdate(b, loc, s, rows, v,
                                         loop.getRegionIterArgs()));
    }
    for (int64_t e = 0; e < rows; ++e)
      for (int64_t u = 0; u < blocks; ++u) {
        Value &acc = next[u * stateSize + accumulator];
        acc = vector::InsertOp::create(b, loc, loop.getResult(e * blocks + u),
                                       acc, ArrayRef<int64_t>{e0 + e});
      }
  }
  return next;
}
