//===- SharedTile.cpp - the reduced rows a block of threads shares --------===//

#include "SharedTile.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::keops;

Value mlir::keops::loadRow(OpBuilder &b, Location loc, Value mem, Value row) {
  auto type = cast<MemRefType>(mem.getType());
  Type elt = type.getElementType();
  auto vt = VectorType::get({type.getShape().back()}, elt);
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  SmallVector<Value> index =
      type.getRank() == 1 ? SmallVector<Value>{c0} : SmallVector<Value>{row, c0};
  // Without an alignment, wide vectors are read byte by byte.
  return vector::LoadOp::create(b, loc, vt, mem, index, /*nontemporal=*/false,
                                llvm::Align(elt.getIntOrFloatBitWidth() / 8));
}

FailureOr<SharedTile> SharedTile::create(ReduceOp op, gpu::GPUFuncOp fn,
                                         int64_t blockSize,
                                         int64_t sharedBytes) {
  SharedTile tile;
  tile.op = op;
  // Rows per element type, in operand order.
  SmallVector<std::pair<Type, int64_t>> lengths;
  for (auto [index, in] : llvm::enumerate(op.getIns())) {
    if (op.getCategory(index) != op.getReducedCategory())
      continue;
    auto type = cast<MemRefType>(in.getType());
    Type elt = type.getElementType();
    auto *it = llvm::find_if(lengths, [&](auto &l) { return l.first == elt; });
    if (it == lengths.end()) {
      lengths.push_back({elt, 0});
      tile.arrays.push_back({});
      it = lengths.end() - 1;
    }
    Array &array = tile.arrays[it - lengths.begin()];
    array.vars.push_back({unsigned(index), it->second});
    it->second += type.getDimSize(1);
  }
  // Reduced-side values that an op of the other sides (or the yield) reads,
  // in a row of their element type, and the ops that compute them.
  Block &body = op.getFormula().front();
  llvm::DenseMap<Value, unsigned> sides = op.getSides();
  llvm::SetVector<Value> derived;
  for (Operation &o : body) {
    bool reducedOnly = o.getNumResults() &&
                       sides.lookup(o.getResult(0)) == ReduceOp::ReducedSide;
    if (reducedOnly)
      continue;
    for (Value v : o.getOperands()) {
      auto vt = dyn_cast<VectorType>(v.getType());
      if (isa<BlockArgument>(v) || !vt || vt.getRank() != 1 ||
          sides.lookup(v) != ReduceOp::ReducedSide)
        continue;
      auto *it = llvm::find_if(
          lengths, [&](auto &l) { return l.first == vt.getElementType(); });
      if (it == lengths.end())
        continue;
      if (derived.insert(v))
        tile.arrays[it - lengths.begin()].derived.push_back(
            {v, std::exchange(it->second, it->second + vt.getDimSize(0))});
    }
  }
  // Their cones, in formula order (operands before users).
  llvm::SetVector<Operation *> cone;
  SmallVector<Value> work(derived.begin(), derived.end());
  while (!work.empty()) {
    Operation *def = work.pop_back_val().getDefiningOp();
    if (def && cone.insert(def))
      llvm::append_range(work, def->getOperands());
  }
  for (Operation &o : body)
    if (cone.contains(&o))
      tile.copyOps.push_back(&o);

  SmallVector<int64_t> rowLengths;
  for (auto [elt, used] : lengths) {
    int64_t perWord = std::max<int64_t>(1, 128 / elt.getIntOrFloatBitWidth());
    int64_t words = (used + perWord - 1) / perWord;
    tile.arrays[rowLengths.size()].loaded = words * perWord;
    words += words % 2 == 0 ? 1 : 0; // an odd number of 16-byte words
    rowLengths.push_back(words * perWord);
    tile.bytes += words * 16;
  }
  tile.rows = tile.bytes ? std::min(blockSize, sharedBytes / tile.bytes)
                         : blockSize;
  if (tile.rows < 1)
    return op.emitOpError()
           << "has reduced variables of " << tile.bytes
           << " bytes per row in shared memory, more than the " << sharedBytes
           << " bytes a block of threads has";
  MLIRContext *ctx = op.getContext();
  auto addressSpace = gpu::AddressSpaceAttr::get(
      ctx, gpu::GPUDialect::getWorkgroupAddressSpace());
  for (auto [k, length] : llvm::enumerate(lengths)) {
    tile.arrays[k].mem = fn.addWorkgroupAttribution(
        MemRefType::get({tile.rows, rowLengths[k]}, length.first,
                        MemRefLayoutAttrInterface(), addressSpace),
        op.getLoc());
    // 16-byte aligned rows, for 16-byte loads and stores.
    fn.setWorkgroupAttributionAttr(fn.getNumWorkgroupAttributions() - 1,
                                   LLVM::LLVMDialect::getAlignAttrName(),
                                   IntegerAttr::get(IntegerType::get(ctx, 64),
                                                    16));
  }
  return tile;
}

void SharedTile::store(OpBuilder &b, Location loc, Value src, Value at,
                       const IRMapping &outer) const {
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  // The row's variables, and the derived values computed from them (and
  // from parameters, already in `outer`).
  Block &body = op.getFormula().front();
  IRMapping map = outer;
  for (const Array &array : arrays)
    for (auto [index, offset] : array.vars)
      map.map(body.getArgument(index), loadRow(b, loc, op.getIns()[index], src));
  for (Operation *o : copyOps)
    if (!map.contains(o->getResult(0)))
      b.clone(*o, map);
  for (const Array &array : arrays) {
    auto type = cast<MemRefType>(array.mem.getType());
    auto rowType = VectorType::get({type.getDimSize(1)}, type.getElementType());
    // The row, its padding zero, stored in 16-byte words.
    Value row = arith::ConstantOp::create(b, loc, rowType,
                                          b.getZeroAttr(rowType));
    for (auto [index, offset] : array.vars)
      row = vector::InsertStridedSliceOp::create(
          b, loc, map.lookup(body.getArgument(index)), row,
          ArrayRef<int64_t>{offset}, ArrayRef<int64_t>{1});
    for (auto [value, offset] : array.derived)
      row = vector::InsertStridedSliceOp::create(
          b, loc, map.lookup(value), row, ArrayRef<int64_t>{offset},
          ArrayRef<int64_t>{1});
    vector::StoreOp::create(b, loc, row, array.mem, ValueRange{at, c0},
                            /*nontemporal=*/false, llvm::Align(16));
  }
}

void SharedTile::load(OpBuilder &b, Location loc, Value at,
                      IRMapping &map) const {
  Block &body = op.getFormula().front();
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  for (const Array &array : arrays) {
    auto type = cast<MemRefType>(array.mem.getType());
    Value row = vector::LoadOp::create(
        b, loc, VectorType::get({array.loaded}, type.getElementType()),
        array.mem, ValueRange{at, c0}, /*nontemporal=*/false, llvm::Align(16));
    auto slice = [&](Value v, int64_t offset) {
      int64_t dim = cast<VectorType>(v.getType()).getDimSize(0);
      map.map(v, vector::ExtractStridedSliceOp::create(
                     b, loc, row, ArrayRef<int64_t>{offset},
                     ArrayRef<int64_t>{dim}, ArrayRef<int64_t>{1}));
    };
    for (auto [index, offset] : array.vars)
      slice(body.getArgument(index), offset);
    for (auto [value, offset] : array.derived)
      slice(value, offset);
  }
}
