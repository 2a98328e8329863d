//===- WarpTile.cpp - warp tiles and their tensor-core Gram entries -------===//

#include "WarpTile.h"

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

/// `x` (f32) rounded to TF32 as cvt.rna.tf32.f32 does, as its bits (i32):
/// NaNs are kept as they are (adding half an ulp could carry into the sign).
Value roundToTf32(OpBuilder &b, Location loc, Value x) {
  Value bits = arith::BitcastOp::create(b, loc, b.getI32Type(), x);
  Value rounded = arith::AndIOp::create(
      b, loc, arith::AddIOp::create(b, loc, bits, i32Const(b, loc, 0x1000)),
      i32Const(b, loc, int32_t(0xffffe000u)));
  Value nan =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, x);
  return arith::SelectOp::create(b, loc, nan, bits, rounded);
}

/// Component `k` of the vector<D> value `v`, 0 past D (k an index value).
Value componentOr0(OpBuilder &b, Location loc, Value v, Value k, int64_t dim,
                   bool mayPass) {
  Value zero = arith::ConstantOp::create(b, loc, b.getF32Type(),
                                         b.getF32FloatAttr(0));
  if (!mayPass)
    return vector::ExtractOp::create(b, loc, v, OpFoldResult(k));
  Value inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, k,
                                       indexConst(b, loc, dim));
  Value at = arith::MinSIOp::create(b, loc, k, indexConst(b, loc, dim - 1));
  return arith::SelectOp::create(
      b, loc, inside, vector::ExtractOp::create(b, loc, v, OpFoldResult(at)),
      zero);
}

/// Element `k` of row `row` of the memref `mem` at column offset `offset`,
/// 0 past `dim` components.
Value loadOr0(OpBuilder &b, Location loc, Value mem, Value row, int64_t offset,
              Value k, int64_t dim, bool mayPass) {
  Value at = k;
  if (mayPass)
    at = arith::MinSIOp::create(b, loc, k, indexConst(b, loc, dim - 1));
  if (offset)
    at = arith::AddIOp::create(b, loc, at, indexConst(b, loc, offset));
  Value x = memref::LoadOp::create(b, loc, mem, ValueRange{row, at});
  if (!mayPass)
    return x;
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
  if (!ok || components > kMaxLeftComponents)
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
  Block &body = op.getFormula().front();
  for (Entry &entry : grams) {
    Value lhs = entry.gram.getLhs();
    // A kept variable is read from its array, 4 components a row; another
    // value is taken from its registers.
    Value mem;
    if (auto arg = dyn_cast<BlockArgument>(lhs); arg && arg.getOwner() == &body)
      mem = op.getIns()[arg.getArgNumber()];
    bool mayPass = entry.dim % 8 != 0;
    entry.left.clear();
    for (int64_t s = 0; s * 8 < entry.dim; ++s) {
      std::array<Value, 4> a;
      for (int64_t half = 0; half < 2; ++half) {
        Value k = arith::AddIOp::create(b, loc, t,
                                        indexConst(b, loc, 8 * s + 4 * half));
        for (int64_t r = 0; r < 2; ++r) {
          Value x = mem ? loadOr0(b, loc, mem, keptRows[r], 0, k, entry.dim,
                                  mayPass)
                        : componentOr0(b, loc, rowMaps[r].lookup(lhs), k,
                                       entry.dim, mayPass);
          a[2 * half + r] = roundToTf32(b, loc, x);
        }
      }
      entry.left.push_back(a);
    }
  }
}

void WarpTile::multiply(OpBuilder &b, Location loc, const SharedTile &tile,
                        Value base, MutableArrayRef<IRMapping> pairMaps) const {
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  auto result = LLVM::LLVMStructType::getLiteral(ctx, {f32, f32, f32, f32});
  Value zero = arith::ConstantOp::create(b, loc, f32, b.getF32FloatAttr(0));
  // Column g of the group: the right operands of this lane.
  Value column = arith::AddIOp::create(b, loc, base, g);
  for (const Entry &entry : grams) {
    auto [mem, offset] = tile.locate(entry.gram.getRhs());
    bool mayPass = entry.dim % 8 != 0;
    SmallVector<Value> acc(4, zero);
    for (auto [s, a] : llvm::enumerate(entry.left)) {
      SmallVector<Value> bs;
      for (int64_t half = 0; half < 2; ++half) {
        Value k = arith::AddIOp::create(
            b, loc, t, indexConst(b, loc, 8 * int64_t(s) + 4 * half));
        bs.push_back(roundToTf32(
            b, loc,
            loadOr0(b, loc, mem, column, offset, k, entry.dim, mayPass)));
      }
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
    for (int64_t k = 0; k < 4; ++k)
      pairMaps[k].map(entry.gram.getResult(),
                      vector::BroadcastOp::create(b, loc, type, acc[k]));
  }
}

SmallVector<Value> WarpTile::mergeRow(OpBuilder &b, Location loc,
                                      const Accumulator &acc,
                                      ValueRange state) const {
  SmallVector<Value> merged(state);
  for (int64_t mask : {1, 2}) {
    SmallVector<Value> other;
    for (Value v : merged)
      other.push_back(shuffleXor(b, loc, v, mask));
    // The lane with the smaller t first: its columns are not all smaller,
    // but the order is the same in the four lanes.
    Value lower = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::eq,
        arith::AndIOp::create(b, loc, t, indexConst(b, loc, mask)),
        indexConst(b, loc, 0));
    SmallVector<Value> mineFirst = acc.merge(b, loc, merged, other);
    SmallVector<Value> otherFirst = acc.merge(b, loc, other, merged);
    for (auto [k, v] : llvm::enumerate(mineFirst))
      merged[k] = arith::SelectOp::create(b, loc, lower, v, otherFirst[k]);
  }
  return merged;
}
