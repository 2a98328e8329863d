//===- SharedTile.cpp - the reduced rows a block of threads shares --------===//

#include "SharedTile.h"

#include "keops/Conversion/Tf32.h"

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
                                         int64_t sharedBytes,
                                         int64_t rowMultiple) {
  SharedTile tile;
  tile.op = op;
  // The array of an element type (created in operand order); while the rows
  // are laid out, `loaded` counts the values placed so far.
  auto arrayOf = [&](Type elt) -> Array * {
    auto *it = llvm::find_if(tile.arrays,
                             [&](Array &a) { return a.elementType == elt; });
    return it == tile.arrays.end() ? nullptr : &*it;
  };
  auto place = [](Array &array, int64_t dim) {
    return std::exchange(array.loaded, array.loaded + dim);
  };
  for (auto [index, in] : llvm::enumerate(op.getIns())) {
    if (op.getCategory(index) != op.getReducedCategory())
      continue;
    auto type = cast<MemRefType>(in.getType());
    Array *array = arrayOf(type.getElementType());
    if (!array) {
      tile.arrays.push_back({type.getElementType()});
      array = &tile.arrays.back();
    }
    array->vars.push_back({unsigned(index), place(*array, type.getDimSize(1))});
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
      Array *array = arrayOf(vt.getElementType());
      if (array && derived.insert(v))
        array->derived.push_back({v, place(*array, vt.getDimSize(0))});
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

  // Rows of whole 16-byte words, an odd number of them.
  SmallVector<int64_t> rowLengths;
  int64_t bytes = 0;
  for (Array &array : tile.arrays) {
    int64_t perWord =
        std::max<int64_t>(1, 128 / array.elementType.getIntOrFloatBitWidth());
    int64_t words = (array.loaded + perWord - 1) / perWord;
    array.loaded = words * perWord;
    words += words % 2 == 0 ? 1 : 0;
    rowLengths.push_back(words * perWord);
    bytes += words * 16;
  }
  tile.rows = bytes ? std::min(blockSize, sharedBytes / bytes) : blockSize;
  tile.rows -= tile.rows % rowMultiple;
  if (tile.rows < 1)
    return op.emitOpError()
           << "has reduced variables of " << bytes
           << " bytes per row in shared memory, more than the " << sharedBytes
           << " bytes a block of threads has";
  MLIRContext *ctx = op.getContext();
  auto addressSpace = gpu::AddressSpaceAttr::get(
      ctx, gpu::GPUDialect::getWorkgroupAddressSpace());
  for (auto [array, length] : llvm::zip(tile.arrays, rowLengths)) {
    array.mem = fn.addWorkgroupAttribution(
        MemRefType::get({tile.rows, length}, array.elementType,
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
    auto stored = [&](Value v) {
      Value x = map.lookup(v);
      return tf32.contains(v) ? mlir::keops::roundToTf32(b, loc, x) : x;
    };
    for (auto [index, offset] : array.vars)
      row = vector::InsertStridedSliceOp::create(
          b, loc, stored(body.getArgument(index)), row,
          ArrayRef<int64_t>{offset}, ArrayRef<int64_t>{1});
    for (auto [value, offset] : array.derived)
      row = vector::InsertStridedSliceOp::create(
          b, loc, stored(value), row, ArrayRef<int64_t>{offset},
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

void SharedTile::load(OpBuilder &b, Location loc, Value at, IRMapping &map,
                      const llvm::DenseSet<Value> &only) const {
  for (Value v : values()) {
    if (!only.contains(v))
      continue;
    auto [mem, offset] = locate(v);
    auto type = cast<VectorType>(v.getType());
    int64_t bytes = type.getElementTypeBitWidth() / 8;
    Value column = arith::ConstantIndexOp::create(b, loc, offset);
    map.map(v, vector::LoadOp::create(
                   b, loc, type, mem, ValueRange{at, column},
                   /*nontemporal=*/false,
                   llvm::Align(offset * bytes % 16 == 0 ? 16 : bytes)));
  }
}

SmallVector<Value> SharedTile::values() const {
  Block &body = op.getFormula().front();
  SmallVector<Value> all;
  for (const Array &array : arrays) {
    for (auto [index, offset] : array.vars)
      all.push_back(body.getArgument(index));
    for (auto [value, offset] : array.derived)
      all.push_back(value);
  }
  return all;
}

std::pair<Value, int64_t> SharedTile::locate(Value v) const {
  Block &body = op.getFormula().front();
  for (const Array &array : arrays) {
    for (auto [index, offset] : array.vars)
      if (body.getArgument(index) == v)
        return {array.mem, offset};
    for (auto [value, offset] : array.derived)
      if (value == v)
        return {array.mem, offset};
  }
  return {Value(), 0};
}
