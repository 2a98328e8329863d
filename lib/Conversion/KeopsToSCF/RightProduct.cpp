//===- RightProduct.cpp - sums of s_ij v_j as tile products ---------------===//

#include "RightProduct.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace mlir;
using namespace mlir::keops;

static Value cIndex(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

RightProduct::RightProduct(ReduceOp op, const GramTiles &tiles,
                           int64_t lanes, int64_t blocks, SumMode mode,
                           int64_t gramColumns)
    : op(op), elt(op.getElementType()), lanes(lanes), blocks(blocks), cols(0) {
  if (gramColumns <= 0 || (mode != SumMode::Plain && mode != SumMode::Block) ||
      !plan(tiles))
    return;
  blockSums = mode == SumMode::Block && !softmax;
  cols = llvm::divideCeil(kMinColumns, gramColumns) * gramColumns;
  // As many accumulator rows as a Gram tile has columns: the registers
  // the target has for them.
  chunkRows = gramColumns;
  width = cast<MemRefType>(columnsMem.getType()).getDimSize(1);
}

bool RightProduct::plan(const GramTiles &tiles) {
  auto isColumn = [&](Value v) {
    auto arg = dyn_cast<BlockArgument>(v);
    return arg && op.getCategory(arg.getArgNumber()) == op.getReducedCategory();
  };
  ValueRange yielded = op.getYield().getValues();
  if (op.getKind() == ReductionKind::SumSoftmaxWeight) {
    // Attention: softmax_j(f_ij) v_j, s = exp(f - max).
    if (!isColumn(yielded[1]) ||
        cast<VectorType>(yielded[1].getType()).getDimSize(0) < 8)
      return false;
    softmax = true;
    weightValue = yielded[0];
    columnsMem = op.getIns()[cast<BlockArgument>(yielded[1]).getArgNumber()];
    return true;
  }
  if (op.getKind() != ReductionKind::Sum || yielded.size() != 1)
    return false;
  Value term = yielded[0];
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
  llvm::DenseMap<Value, unsigned> sides = op.getSides();
  for (auto [s, w] : {std::pair(product.getLhs(), product.getRhs()),
                      std::pair(product.getRhs(), product.getLhs())}) {
    auto spread = s.getDefiningOp<vector::BroadcastOp>();
    auto scalarType = spread ? dyn_cast<VectorType>(spread.getSourceType())
                             : VectorType();
    // Below 8 columns the term-by-term fold keeps its accumulators in
    // registers.
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
      Value a = keptFirst ? diff.getLhs() : diff.getRhs();
      if (!tiles.packs(a) && !isa<BlockArgument>(a))
        continue;
      rowValue = a;
      if (keptFirst)
        weightScale = -weightScale;
    }
    if (!isColumn(v)) {
      rowValue = Value();
      continue;
    }
    weightValue = spread.getSource();
    columnsMem = op.getIns()[cast<BlockArgument>(v).getArgNumber()];
    return true;
  }
  weightScale = 1.0;
  return false;
}

void RightProduct::allocate(const GramTiles &tiles) {
  op.emitRemark() << (softmax ? "softmax-weighted sums" : "sums of s_ij v_j")
                  << " (" << width
                  << " columns) by products of tiles of " << lanes * blocks
                  << " rows x " << cols << " reduced indices";
  auto func = op->getParentOfType<func::FuncOp>();
  Location loc = op.getLoc();
  OpBuilder b = OpBuilder::atBlockBegin(&func.getBody().front());
  int64_t rows = lanes * blocks;
  weights = memref::AllocaOp::create(b, loc, MemRefType::get({cols, rows}, elt));
  if (softmax)
    for (Value *v : {&maxes, &totals})
      *v = memref::AllocaOp::create(b, loc, MemRefType::get({1, rows}, elt));
  // E x rows may be large (E = 1024: 128 KiB): on the heap, once per call.
  auto wide = MemRefType::get({width, rows}, elt);
  IntegerAttr align = b.getI64IntegerAttr(64);
  SmallVector<Value> owned{memref::AllocOp::create(b, loc, wide, align)};
  sums = owned[0];
  if (rowValue) {
    // a_i's components from the tiles' packed rows when a is a Gram
    // entry's left operand (the gradients of distances: x_i), else packed
    // here from the kept variable for each block of rows.
    rowComponents = tiles.packedLeft(rowValue);
    copyRow = !rowComponents;
    if (copyRow)
      owned.push_back(rowComponents =
                          memref::AllocOp::create(b, loc, wide, align));
  }
  func.walk([&](func::ReturnOp ret) {
    OpBuilder r(ret);
    for (Value mem : owned)
      memref::DeallocOp::create(r, loc, mem);
  });
}

void RightProduct::begin(OpBuilder &b, Location loc, ArrayRef<Value> keptIns,
                         ArrayRef<Value> rowStart) const {
  Value zeros = splatVector(b, loc, VectorType::get({lanes}, elt), 0.0);
  scf::ForOp::create(
      b, loc, cIndex(b, loc, 0), cIndex(b, loc, width), cIndex(b, loc, 1),
      ValueRange{}, [&](OpBuilder &fb, Location l, Value e, ValueRange) {
        for (int64_t u = 0; u < blocks; ++u)
          vector::StoreOp::create(fb, l, zeros, sums,
                                  ValueRange{e, cIndex(fb, l, u * lanes)});
        scf::YieldOp::create(fb, l);
      });
  if (softmax)
    for (int64_t u = 0; u < blocks; ++u) {
      SmallVector<Value, 2> at{cIndex(b, loc, 0), cIndex(b, loc, u * lanes)};
      vector::StoreOp::create(
          b, loc, splatVector(b, loc, VectorType::get({lanes}, elt), -INFINITY),
          maxes, at);
      vector::StoreOp::create(b, loc, zeros, totals, at);
    }
  if (!copyRow)
    return;
  Value mem = keptIns[cast<BlockArgument>(rowValue).getArgNumber()];
  for (int64_t u = 0; u < blocks; ++u)
    packRows(b, loc, mem, rowStart[u], lanes, rowComponents,
             cIndex(b, loc, u * lanes));
}

void RightProduct::storeWeight(OpBuilder &b, Location loc, Value c,
                               int64_t group, Value s) const {
  auto laneType = VectorType::get({lanes}, elt);
  Value lane = vector::ShapeCastOp::create(b, loc, laneType, s);
  // Scaling by -1 and 2 is exact.
  if (weightScale != 1.0)
    lane = arith::MulFOp::create(b, loc, lane,
                                 splatVector(b, loc, laneType, weightScale));
  vector::StoreOp::create(b, loc, lane, weights,
                          ValueRange{c, cIndex(b, loc, group * lanes)});
}

void RightProduct::multiply(OpBuilder &b, Location loc, Value j0,
                            Value count) const {
  auto laneType = VectorType::get({lanes}, elt);
  Value c0 = cIndex(b, loc, 0), c1 = cIndex(b, loc, 1);
  SmallVector<Value> groupCols;
  for (int64_t u = 0; u < blocks; ++u)
    groupCols.push_back(cIndex(b, loc, u * lanes));
  Value zeros = splatVector(b, loc, laneType, 0.0);
  // s (a_i - v_j): minus the sum of the (negated) weights of the tile,
  // which a_i multiplies.
  SmallVector<Value> minus;
  if (rowValue)
    for (Value sum : foldColumns(
             b, loc, count, zeros, [&](int64_t u, Value c, Value acc) {
               return arith::AddFOp::create(
                   b, loc, acc,
                   vector::LoadOp::create(b, loc, laneType, weights,
                                          ValueRange{c, groupCols[u]}));
             }))
      minus.push_back(arith::NegFOp::create(b, loc, sum));
  SmallVector<Value> scales;
  if (softmax)
    scales = rescale(b, loc, count);
  // Rows e0 + [0, rows) of every group's accumulator in registers across
  // the tile's columns: per column, one load of s per group, one broadcast
  // of v[j][e] per row and a multiply-add per row and group.
  auto chunk = [&](OpBuilder &cb, Value e0, int64_t rows) {
    SmallVector<Value> at, init;
    for (int64_t e = 0; e < rows; ++e)
      at.push_back(e ? arith::AddIOp::create(cb, loc, e0, cIndex(cb, loc, e))
                           .getResult()
                     : e0);
    for (int64_t e = 0; e < rows; ++e)
      for (int64_t u = 0; u < blocks; ++u) {
        SmallVector<Value, 2> index{at[e], groupCols[u]};
        // Block sums: the tile's terms summed from zero, then added; a
        // softmax's sums rescaled to the new maximum.
        Value start = blockSums ? zeros
                                : vector::LoadOp::create(cb, loc, laneType,
                                                         sums, index)
                                      .getResult();
        if (softmax)
          start = arith::MulFOp::create(cb, loc, start, scales[u]);
        if (rowValue)
          start = vector::FMAOp::create(
              cb, loc,
              vector::LoadOp::create(cb, loc, laneType, rowComponents, index),
              minus[u], start);
        init.push_back(start);
      }
    auto loop = scf::ForOp::create(cb, loc, c0, count, c1, init);
    {
      OpBuilder::InsertionGuard guard(cb);
      cb.setInsertionPointToStart(loop.getBody());
      Value c = loop.getInductionVar();
      Value j = arith::AddIOp::create(cb, loc, j0, c);
      SmallVector<Value> s;
      for (int64_t u = 0; u < blocks; ++u)
        s.push_back(vector::LoadOp::create(cb, loc, laneType, weights,
                                           ValueRange{c, groupCols[u]}));
      auto v = [&](int64_t e) -> Value {
        return memref::LoadOp::create(cb, loc, columnsMem,
                                      ValueRange{j, at[e]});
      };
      scf::YieldOp::create(cb, loc,
                           rankOneUpdate(cb, loc, s, rows, v,
                                         loop.getRegionIterArgs()));
    }
    for (int64_t e = 0; e < rows; ++e)
      for (int64_t u = 0; u < blocks; ++u) {
        SmallVector<Value, 2> index{at[e], groupCols[u]};
        Value sum = loop.getResult(e * blocks + u);
        if (blockSums)
          sum = arith::AddFOp::create(
              cb, loc, vector::LoadOp::create(cb, loc, laneType, sums, index),
              sum);
        vector::StoreOp::create(cb, loc, sum, sums, index);
      }
  };
  // Chunks of rows in a loop (code that does not grow with E), then the
  // last E mod chunkRows.
  int64_t full = width / chunkRows * chunkRows;
  if (full > 0)
    scf::ForOp::create(b, loc, c0, cIndex(b, loc, full),
                       cIndex(b, loc, chunkRows), ValueRange{},
                       [&](OpBuilder &fb, Location, Value e0, ValueRange) {
                         chunk(fb, e0, chunkRows);
                         scf::YieldOp::create(fb, loc);
                       });
  if (width > full)
    chunk(b, cIndex(b, loc, full), width - full);
}

SmallVector<Value> RightProduct::foldColumns(
    OpBuilder &b, Location loc, Value count, Value start,
    function_ref<Value(int64_t, Value, Value)> step) const {
  auto loop = scf::ForOp::create(b, loc, cIndex(b, loc, 0), count,
                                 cIndex(b, loc, 1),
                                 SmallVector<Value>(blocks, start));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  SmallVector<Value> next;
  for (int64_t u = 0; u < blocks; ++u)
    next.push_back(
        step(u, loop.getInductionVar(), loop.getRegionIterArgs()[u]));
  scf::YieldOp::create(b, loc, next);
  return SmallVector<Value>(loop.getResults());
}

SmallVector<Value> RightProduct::rescale(OpBuilder &b, Location loc,
                                         Value count) const {
  using P = arith::CmpFPredicate;
  auto laneType = VectorType::get({lanes}, elt);
  Value c0 = cIndex(b, loc, 0);
  Value zero = splatVector(b, loc, laneType, 0.0);
  Value one = splatVector(b, loc, laneType, 1.0);
  Value negInf = splatVector(b, loc, laneType, -INFINITY);
  // exp(d) of d <= 0 (or -inf): the approximation without its overflow path.
  auto expNonPositive = [&](OpBuilder &eb, Value d) -> Value {
    auto exp = math::ExpOp::create(eb, loc, d);
    exp->setAttr("keops.nonpositive", eb.getUnitAttr());
    return exp;
  };
  SmallVector<Value> cols;
  for (int64_t u = 0; u < blocks; ++u)
    cols.push_back(cIndex(b, loc, u * lanes));
  // The tile's maximum (NaN terms ignored: they make the sums NaN below),
  // and the new running maximum M.
  SmallVector<Value> tileMax = foldColumns(
      b, loc, count, negInf, [&](int64_t u, Value c, Value acc) {
        return arith::MaxNumFOp::create(
            b, loc, acc,
            vector::LoadOp::create(b, loc, laneType, weights,
                                   ValueRange{c, cols[u]}));
      });
  SmallVector<Value> maxNow, scales;
  for (int64_t u = 0; u < blocks; ++u) {
    SmallVector<Value, 2> at{c0, cols[u]};
    Value m = vector::LoadOp::create(b, loc, laneType, maxes, at);
    Value top = arith::MaxNumFOp::create(b, loc, m, tileMax[u]);
    vector::StoreOp::create(b, loc, top, maxes, at);
    maxNow.push_back(top);
    // The sums so far times exp(m - M) (1 where m = M, +inf included).
    // (Ops made in statements: their order does not depend on the C++
    // compiler's order of evaluating arguments.)
    Value same = arith::CmpFOp::create(b, loc, P::OEQ, m, top);
    Value e = expNonPositive(b, arith::SubFOp::create(b, loc, m, top));
    scales.push_back(arith::SelectOp::create(b, loc, same, one, e));
  }
  // The weights exp(f - M) in place of the terms f: 1 for f = M (+inf
  // included), 0 for f = -inf, NaN for NaN; and their sum.
  SmallVector<Value> tileSum = foldColumns(
      b, loc, count, zero, [&](int64_t u, Value c, Value acc) {
        SmallVector<Value, 2> at{c, cols[u]};
        Value f = vector::LoadOp::create(b, loc, laneType, weights, at);
        Value d = arith::SubFOp::create(b, loc, f, maxNow[u]);
        Value below = arith::CmpFOp::create(b, loc, P::OLE, d, zero);
        Value w = arith::SelectOp::create(
            b, loc, below,
            expNonPositive(b, arith::SelectOp::create(b, loc, below, d, zero)),
            d);
        w = arith::SelectOp::create(
            b, loc, arith::CmpFOp::create(b, loc, P::OEQ, f, maxNow[u]), one, w);
        w = arith::SelectOp::create(
            b, loc, arith::CmpFOp::create(b, loc, P::OEQ, f, negInf), zero, w);
        vector::StoreOp::create(b, loc, w, weights, at);
        return arith::AddFOp::create(b, loc, acc, w).getResult();
      });
  for (int64_t u = 0; u < blocks; ++u) {
    SmallVector<Value, 2> at{c0, cols[u]};
    Value total = vector::LoadOp::create(b, loc, laneType, totals, at);
    vector::StoreOp::create(
        b, loc,
        arith::AddFOp::create(b, loc,
                              arith::MulFOp::create(b, loc, total, scales[u]),
                              tileSum[u]),
        totals, at);
  }
  return scales;
}

void RightProduct::write(OpBuilder &b, Location loc, ValueRange outs,
                         Value row, bool partial) const {
  if (softmax && partial) {
    // The state's arrays: maximum, sum of the weights, weighted sums.
    writeBufferRows(b, loc, maxes, outs[0], row);
    writeBufferRows(b, loc, totals, outs[1], row);
    writeBufferRows(b, loc, sums, outs[2], row);
    return;
  }
  if (softmax) {
    // The weighted sums divided by the weights' sum (0 / 0 = NaN for an
    // empty reduction, as the accumulator's).
    auto laneType = VectorType::get({lanes}, elt);
    Value c0 = cIndex(b, loc, 0);
    SmallVector<Value> total;
    for (int64_t u = 0; u < blocks; ++u)
      total.push_back(vector::LoadOp::create(
          b, loc, laneType, totals, ValueRange{c0, cIndex(b, loc, u * lanes)}));
    scf::ForOp::create(
        b, loc, c0, cIndex(b, loc, width), cIndex(b, loc, 1), ValueRange{},
        [&](OpBuilder &fb, Location l, Value e, ValueRange) {
          for (int64_t u = 0; u < blocks; ++u) {
            SmallVector<Value, 2> at{e, cIndex(fb, l, u * lanes)};
            vector::StoreOp::create(
                fb, l,
                arith::DivFOp::create(
                    fb, l, vector::LoadOp::create(fb, l, laneType, sums, at),
                    total[u]),
                sums, at);
          }
          scf::YieldOp::create(fb, l);
        });
  }
  // (A sum's partial state is its sum.)
  writeBufferRows(b, loc, sums, outs.back(), row);
}
