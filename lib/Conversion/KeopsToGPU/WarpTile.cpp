//===- WarpTile.cpp - warp tiles and their tensor-core Gram entries -------===//

#include "WarpTile.h"

#include "keops/Conversion/Tf32.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::keops;

namespace {

Value indexConst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value i32Const(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantOp::create(b, loc, b.getI32Type(),
                                   b.getI32IntegerAttr(int32_t(v)));
}

/// The TF32 bits (i32) of `x` (f32): cvt.rna.tf32.f32 (one instruction;
/// the GPU emulator rounds as roundToTf32 does), or the bits of `x` when
/// it is rounded already.
Value tf32Bits(OpBuilder &b, Location loc, Value x, bool rounded = false) {
  if (rounded)
    return arith::BitcastOp::create(b, loc, b.getI32Type(), x);
  return NVVM::ConvertFloatToTF32Op::create(b, loc, b.getI32Type(), x,
                                            NVVM::FPRoundingMode::RNA,
                                            NVVM::SaturationMode::NONE,
                                            /*relu=*/false);
}

/// Component `base + 4 t` of the vector<D> value `v`, 0 past D: the lane's
/// among four static ones (no dynamic index into registers).
Value componentOfLane(OpBuilder &b, Location loc, Value v, Value t,
                      int64_t base, int64_t dim) {
  Value result = arith::ConstantOp::create(b, loc, b.getF32Type(),
                                           b.getF32FloatAttr(0));
  for (int64_t lane = 0; lane < 4; ++lane) {
    int64_t k = base + 4 * lane;
    if (k >= dim)
      continue;
    Value x = vector::ExtractOp::create(b, loc, v, k);
    Value here = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, t,
                                       indexConst(b, loc, lane));
    result = arith::SelectOp::create(b, loc, here, x, result);
  }
  return result;
}

/// Element `k` of row `row` of the memref `mem`, 0 past `dim` (read at
/// dim - 1) when k `mayPass` it.
Value loadOr0(OpBuilder &b, Location loc, Value mem, Value row, Value k,
              int64_t dim, bool mayPass) {
  if (!mayPass)
    return memref::LoadOp::create(b, loc, mem, ValueRange{row, k});
  Value at = arith::MinSIOp::create(b, loc, k, indexConst(b, loc, dim - 1));
  Value x = memref::LoadOp::create(b, loc, mem, ValueRange{row, at});
  Value inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, k,
                                       indexConst(b, loc, dim));
  Value zero = arith::ConstantOp::create(b, loc, b.getF32Type(),
                                         b.getF32FloatAttr(0));
  return arith::SelectOp::create(b, loc, inside, x, zero);
}

/// `v` of lane `lane ^ mask` (an i32, f32, i64, f64 or i1 vector of any
/// shape), element by element in 32-bit words.
Value shuffleXor(OpBuilder &b, Location loc, Value v, int64_t mask) {
  auto type = cast<VectorType>(v.getType());
  Type elt = type.getElementType();
  unsigned bits = elt.getIntOrFloatBitWidth();
  Type i32 = b.getI32Type(), i64 = b.getI64Type();
  Value offset = i32Const(b, loc, mask), width = i32Const(b, loc, 32);
  auto shuffle = [&](Value word) {
    return gpu::ShuffleOp::create(b, loc, word, offset, width,
                                  gpu::ShuffleMode::XOR)
        .getShuffleResult();
  };
  Value flat = vector::ShapeCastOp::create(
      b, loc, VectorType::get({type.getNumElements()}, elt), v);
  Value result = flat;
  for (int64_t k = 0; k < type.getNumElements(); ++k) {
    Value x = vector::ExtractOp::create(b, loc, flat, k);
    Value y;
    if (bits == 1) {
      Value word = arith::ExtUIOp::create(b, loc, i32, x);
      y = arith::TruncIOp::create(b, loc, elt, shuffle(word));
    } else if (bits == 32) {
      Value word = isa<IntegerType>(elt)
                       ? x
                       : arith::BitcastOp::create(b, loc, i32, x).getResult();
      Value moved = shuffle(word);
      y = isa<IntegerType>(elt)
              ? moved
              : arith::BitcastOp::create(b, loc, elt, moved).getResult();
    } else {
      assert(bits == 64 && "states hold 1-, 32- and 64-bit elements");
      Value whole = isa<IntegerType>(elt)
                        ? x
                        : arith::BitcastOp::create(b, loc, i64, x).getResult();
      Value c32 = arith::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(32));
      Value lo = shuffle(arith::TruncIOp::create(b, loc, i32, whole));
      Value hi = shuffle(arith::TruncIOp::create(
          b, loc, i32, arith::ShRUIOp::create(b, loc, whole, c32)));
      Value joined = arith::OrIOp::create(
          b, loc, arith::ExtUIOp::create(b, loc, i64, lo),
          arith::ShLIOp::create(b, loc,
                                arith::ExtUIOp::create(b, loc, i64, hi), c32));
      y = isa<IntegerType>(elt)
              ? joined
              : arith::BitcastOp::create(b, loc, elt, joined).getResult();
    }
    result = vector::InsertOp::create(b, loc, y, result, k);
  }
  return vector::ShapeCastOp::create(b, loc, type, result);
}

} // namespace

WarpTile::WarpTile(OpBuilder &b, Location loc, Value tid) {
  warp = arith::DivUIOp::create(b, loc, tid, indexConst(b, loc, 32));
  Value lane = arith::RemUIOp::create(b, loc, tid, indexConst(b, loc, 32));
  g = arith::DivUIOp::create(b, loc, lane, indexConst(b, loc, 4));
  t = arith::RemUIOp::create(b, loc, lane, indexConst(b, loc, 4));
}

Value WarpTile::row(OpBuilder &b, Location loc, Value first, int64_t r) const {
  Value base = arith::AddIOp::create(
      b, loc, first,
      arith::MulIOp::create(b, loc, warp, indexConst(b, loc, 16)));
  return arith::AddIOp::create(
      b, loc, base,
      arith::AddIOp::create(b, loc, g, indexConst(b, loc, 8 * r)));
}

Value WarpTile::column(OpBuilder &b, Location loc, Value base,
                       int64_t e) const {
  Value twoT = arith::MulIOp::create(b, loc, t, indexConst(b, loc, 2));
  return arith::AddIOp::create(
      b, loc, base, arith::AddIOp::create(b, loc, twoT, indexConst(b, loc, e)));
}

Value WarpTile::leadsRow(OpBuilder &b, Location loc) const {
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, t,
                               indexConst(b, loc, 0));
}

bool WarpTile::plan(ReduceOp reduce) {
  op = reduce;
  grams.clear();
  llvm::DenseMap<Value, unsigned> sides = op.getSides();
  int64_t components = 0;
  bool ok = true;
  op.getFormula().walk([&](GramOp gram) {
    auto type = cast<VectorType>(gram.getLhs().getType());
    // The right operand is in the shared tile when it depends on the
    // reduced side (a reduced variable, or a value the copy computes).
    if (!type.getElementType().isF32() ||
        sides.lookup(gram.getRhs()) != ReduceOp::ReducedSide ||
        (sides.lookup(gram.getLhs()) & ReduceOp::ReducedSide))
      ok = false;
    components += type.getDimSize(0);
    grams.push_back({gram, type.getDimSize(0), {}});
  });
  Block &body = op.getFormula().front();
  for (Entry &entry : grams)
    if (auto arg = dyn_cast<BlockArgument>(entry.gram.getLhs());
        arg && arg.getOwner() == &body)
      entry.leftMem = op.getIns()[arg.getArgNumber()];
  leftInMemory = components > kMaxLeftComponents;
  if (leftInMemory &&
      llvm::any_of(grams, [](const Entry &e) { return !e.leftMem; }))
    ok = false;
  if (!ok)
    grams.clear();
  return !grams.empty();
}

llvm::DenseSet<Operation *> WarpTile::pairOps(const SharedTile &tile) const {
  llvm::DenseSet<Value> given;
  for (Value v : tile.values())
    given.insert(v);
  for (const Entry &entry : grams)
    given.insert(entry.gram.getResult());
  llvm::DenseSet<Operation *> ops;
  SmallVector<Value> work(op.getYield().getValues());
  while (!work.empty()) {
    Value v = work.pop_back_val();
    Operation *def = v.getDefiningOp();
    if (given.contains(v) || !def || !ops.insert(def).second)
      continue;
    llvm::append_range(work, def->getOperands());
  }
  return ops;
}

llvm::DenseSet<Value>
WarpTile::roundInTile(const llvm::DenseSet<Value> &tileValuesRead) {
  llvm::DenseSet<Value> rounded;
  for (Entry &entry : grams) {
    entry.roundedInTile = !tileValuesRead.contains(entry.gram.getRhs());
    if (entry.roundedInTile)
      rounded.insert(entry.gram.getRhs());
  }
  return rounded;
}

llvm::DenseSet<Value> WarpTile::tileValuesRead(const SharedTile &tile) const {
  llvm::DenseSet<Operation *> ops = pairOps(tile);
  llvm::DenseSet<Value> read;
  for (Value v : tile.values()) {
    bool used = llvm::is_contained(op.getYield().getValues(), v);
    for (Operation *user : v.getUsers())
      used |= ops.contains(user);
    if (used)
      read.insert(v);
  }
  return read;
}

void WarpTile::loadLeft(OpBuilder &b, Location loc, ArrayRef<Value> keptRows,
                        ArrayRef<IRMapping> rowMaps) {
  leftRows.assign(keptRows.begin(), keptRows.end());
  if (leftInMemory)
    return;
  for (Entry &entry : grams) {
    Value lhs = entry.gram.getLhs();
    // A kept variable is read from its array, by the steps' pairs as the
    // left operands in memory are; another value is taken from its
    // registers.
    entry.left.clear();
    int64_t steps = 2 * ((entry.dim + 15) / 16);
    if (Value mem = entry.leftMem) {
      for (int64_t u = 0; u < steps / 2; ++u) {
        SmallVector<Value> bits = leftFromMemory(b, loc, mem, u, entry.dim);
        entry.left.push_back({bits[0], bits[1], bits[2], bits[3]});
        entry.left.push_back({bits[4], bits[5], bits[6], bits[7]});
      }
      continue;
    }
    // Steps 2u and 2u + 1 take components 16 u + 4 t + [0, 4) (the order
    // of the feature axis is the products' to choose): slots t and t + 4
    // of step 2u + h hold components 16 u + 4 t + 2 h and that + 1.
    for (int64_t s = 0; s < steps; ++s) {
      int64_t first = 16 * (s / 2) + 2 * (s % 2);
      std::array<Value, 4> a;
      for (int64_t half = 0; half < 2; ++half)
        for (int64_t r = 0; r < 2; ++r)
          a[2 * half + r] = tf32Bits(
              b, loc,
              componentOfLane(b, loc, rowMaps[r].lookup(lhs), t, first + half,
                              entry.dim));
      entry.left.push_back(a);
    }
  }
}

void WarpTile::multiply(OpBuilder &b, Location loc, const SharedTile &tile,
                        Value base, MutableArrayRef<IRMapping> pairMaps) const {
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  auto result = LLVM::LLVMStructType::getLiteral(ctx, {f32, f32, f32, f32});
  auto quad = VectorType::get({4}, f32);
  Value zero = arith::ConstantOp::create(b, loc, f32, b.getF32FloatAttr(0));
  // Column g of the group: the right operands of this lane.
  Value column = arith::AddIOp::create(b, loc, base, g);
  Value fourT = arith::MulIOp::create(b, loc, t, indexConst(b, loc, 4));
  for (const Entry &entry : grams) {
    auto [mem, offset] = tile.locate(entry.gram.getRhs());
    // Two chains of products, the even steps' and the odd ones', added at
    // the end: each product waits for the previous one of its chain only.
    SmallVector<Value> chains[2] = {SmallVector<Value>(4, zero),
                                    SmallVector<Value>(4, zero)};
    SmallVector<Value> right, left;
    int64_t steps = 2 * ((entry.dim + 15) / 16);
    for (int64_t s = 0; s < steps; ++s) {
      if (leftInMemory && s % 2 == 0)
        left = leftFromMemory(b, loc, entry.leftMem, s / 2, entry.dim);
      std::array<Value, 4> a =
          leftInMemory ? std::array<Value, 4>{left[4 * (s % 2)],
                                              left[4 * (s % 2) + 1],
                                              left[4 * (s % 2) + 2],
                                              left[4 * (s % 2) + 3]}
                       : entry.left[s];
      if (s % 2 == 0) {
        // Components 16 u + 4 t + [0, 4) with one 16-byte load: a word of
        // the row when it starts before D (rows are whole words), else
        // word 0 of the row, and zeros past D.
        int64_t u16 = 8 * s;
        Value k = arith::AddIOp::create(b, loc, fourT, indexConst(b, loc, u16));
        bool tail = u16 + 16 > entry.dim;
        Value at = k;
        Value inside;
        if (tail) {
          inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, k,
                                         indexConst(b, loc, entry.dim));
          at = arith::SelectOp::create(b, loc, inside, k, indexConst(b, loc, 0));
        }
        at = arith::AddIOp::create(b, loc, at, indexConst(b, loc, offset));
        Value x = vector::LoadOp::create(
            b, loc, quad, mem, ValueRange{column, at}, /*nontemporal=*/false,
            llvm::Align(offset % 4 == 0 ? 16 : 4));
        if (tail) {
          // Element e is component k + e: kept below D.
          Value iota = arith::ConstantOp::create(
              b, loc, VectorType::get({4}, b.getIndexType()),
              DenseElementsAttr::get(VectorType::get({4}, b.getIndexType()),
                                     ArrayRef<int64_t>{0, 1, 2, 3}));
          Value components = arith::AddIOp::create(
              b, loc, vector::BroadcastOp::create(
                          b, loc, VectorType::get({4}, b.getIndexType()), k),
              iota);
          Value keep = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::slt, components,
              arith::ConstantOp::create(
                  b, loc, VectorType::get({4}, b.getIndexType()),
                  DenseElementsAttr::get(
                      VectorType::get({4}, b.getIndexType()),
                      b.getIndexAttr(entry.dim))));
          x = arith::SelectOp::create(
              b, loc, keep, x,
              arith::ConstantOp::create(b, loc, quad, b.getZeroAttr(quad)));
        }
        right.clear();
        for (int64_t e = 0; e < 4; ++e)
          right.push_back(tf32Bits(b, loc, vector::ExtractOp::create(b, loc, x, e),
                                   entry.roundedInTile));
      }
      ValueRange bs = ValueRange(right).slice(2 * (s % 2), 2);
      SmallVector<Value> &acc = chains[s % 2];
      auto mma = NVVM::MmaOp::create(
          b, loc, result, ValueRange(a), bs, acc, ArrayRef<int64_t>{16, 8, 8},
          std::nullopt, std::nullopt,
          std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::tf32,
                                        NVVM::MMATypes::tf32},
          std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                         NVVM::MMALayout::col});
      for (int64_t k = 0; k < 4; ++k)
        acc[k] = LLVM::ExtractValueOp::create(b, loc, mma.getRes(), k);
    }
    // d0, d1: row g, columns 2t and 2t + 1; d2, d3: row g + 8.
    auto type = cast<VectorType>(entry.gram.getResult().getType());
    for (int64_t k = 0; k < 4; ++k) {
      Value d = arith::AddFOp::create(b, loc, chains[0][k], chains[1][k]);
      pairMaps[k].map(entry.gram.getResult(),
                      vector::BroadcastOp::create(b, loc, type, d));
    }
  }
}

SmallVector<Value> WarpTile::leftFromMemory(OpBuilder &b, Location loc,
                                            Value mem, int64_t u,
                                            int64_t dim) const {
  // Components 16 u + 4 t + [0, 4) of both rows, for steps 2u and 2u + 1:
  // a0..a3 of step 2u (slots t and t + 4 of rows g and g + 8), then those
  // of step 2u + 1.
  bool tail = 16 * u + 16 > dim;
  Value fourT = arith::MulIOp::create(b, loc, t, indexConst(b, loc, 4));
  SmallVector<Value> bits(8);
  for (int64_t c = 0; c < 4; ++c) {
    Value k = arith::AddIOp::create(b, loc, fourT, indexConst(b, loc, 16 * u + c));
    for (int64_t r = 0; r < 2; ++r) {
      Value x = loadOr0(b, loc, mem, leftRows[r], k, dim, tail);
      // Component 4t + c is slot t + 4 (c % 2) of step 2u + c / 2.
      bits[4 * (c / 2) + 2 * (c % 2) + r] = tf32Bits(b, loc, x);
    }
  }
  return bits;
}

SmallVector<Value> WarpTile::mergeRow(OpBuilder &b, Location loc,
                                      const Accumulator &acc,
                                      ValueRange state) const {
  // Each lane merges its state first: lane 0, which writes the row, ends
  // with merge(merge(0, 1), merge(2, 3)). (The other lanes' results are
  // not used.)
  SmallVector<Value> merged(state);
  for (int64_t mask : {1, 2}) {
    SmallVector<Value> other;
    for (Value v : merged)
      other.push_back(shuffleXor(b, loc, v, mask));
    merged = acc.merge(b, loc, merged, other);
  }
  return merged;
}
