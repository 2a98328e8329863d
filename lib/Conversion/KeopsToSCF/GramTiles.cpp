//===- GramTiles.cpp - keops.gram entries by matrix-multiply tiles --------===//

#include "keops/Conversion/GramTiles.h"

#include "keops/Conversion/Accumulators.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::keops;

/// Scratch memory of one reduction's tiles, on the stack of the kernel: the
/// packed rows of a Gram entry take D x rows elements (f32, 32 rows: D up to
/// 2048 within the budget); longer feature axes keep the formula's lowering.
static constexpr int64_t kScratchBudget = 256 * 1024;

SmallVector<Value>
mlir::keops::rankOneUpdate(OpBuilder &b, Location loc, ArrayRef<Value> groups,
                           int64_t count,
                           llvm::function_ref<Value(int64_t)> scalar,
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

bool GramTiles::packs(Value v) const {
  return llvm::any_of(entries,
                      [&](const Entry &e) { return e.gram.getLhs() == v; });
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
}

void GramTiles::pack(OpBuilder &b, Location loc, ArrayRef<Value> keptIns,
                     ArrayRef<Value> rowStart, ArrayRef<IRMapping> perRow) {
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
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
      packRows(b, loc, mem, rowStart[u], lanes, e.packed, col);
    }
  }
}

void mlir::keops::packRows(OpBuilder &b, Location loc, Value mem, Value row,
                           int64_t lanes, Value packed, Value col) {
  // Component k of the rows, for each k (rows past the end read as 0), in
  // a loop rather than one D x lanes value that long feature axes would
  // make slow to compile.
  auto type = cast<MemRefType>(mem.getType());
  Type elt = type.getElementType();
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(elt, 0.0));
  AffineMap column =
      AffineMap::get(2, 0, {b.getAffineDimExpr(0)}, b.getContext());
  auto loop = scf::ForOp::create(
      b, loc, c0, arith::ConstantIndexOp::create(b, loc, type.getDimSize(1)),
      c1);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value k = loop.getInductionVar();
  Value v = vector::TransferReadOp::create(
      b, loc, VectorType::get({lanes}, elt), mem, ValueRange{row, k}, zero,
      column, ArrayRef<bool>{false});
  vector::StoreOp::create(b, loc, v, packed, ValueRange{k, col});
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
  Value zeros = splatVector(b, loc, laneType, 0.0);
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
