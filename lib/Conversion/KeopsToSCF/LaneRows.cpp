//===- LaneRows.cpp - rows of memrefs as the lanes of vectors -------------===//
//
// The CPU lowering holds `lanes` rows of a rows x W memref side by side, as
// vector<W x lanes> values or W x lanes buffers (row l in lane l): reading
// them, and writing them back without the rows past the memref's end. And
// lanes that reduced indices of one row (ReducedLanes.cpp): their states
// merged into the row's.
//
//===----------------------------------------------------------------------===//

#include "keops/Conversion/Accumulators.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;
using namespace mlir::keops;

/// The zero of a float or integer element type (the padding of reads).
static Value zeroOf(OpBuilder &b, Location loc, Type elt) {
  return arith::ConstantOp::create(b, loc, b.getZeroAttr(elt));
}

Value mlir::keops::firstRowIndex(OpBuilder &b, Location loc, Value mem,
                                 Value one) {
  auto meta = memref::ExtractStridedMetadataOp::create(b, loc, mem);
  Value stride = arith::MaxSIOp::create(b, loc, meta.getStrides()[0], one);
  return arith::DivSIOp::create(b, loc, meta.getOffset(), stride);
}

Value mlir::keops::entryAlloca(OpBuilder &b, Location loc, MemRefType type) {
  OpBuilder::InsertionGuard guard(b);
  Operation *fn = b.getInsertionBlock()->getParentOp();
  while (!isa<FunctionOpInterface>(fn))
    fn = fn->getParentOp();
  b.setInsertionPointToStart(&fn->getRegion(0).front());
  return memref::AllocaOp::create(b, loc, type);
}

/// Reads rows [row, row + lanes) of a rows x D memref as vector<D x lanes>.
Value mlir::keops::readRows(OpBuilder &b, Location loc, Value mem, Value row,
                            int64_t lanes, bool inBounds) {
  auto type = cast<MemRefType>(mem.getType());
  int64_t d = type.getDimSize(1);
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Type elt = type.getElementType();
  Value pad = zeroOf(b, loc, elt);
  AffineMap transpose = AffineMap::getPermutationMap(
      ArrayRef<unsigned>{1, 0}, b.getContext());
  return vector::TransferReadOp::create(
      b, loc, VectorType::get({d, lanes}, elt), mem, ValueRange{row, c0}, pad,
      transpose, ArrayRef<bool>{true, inBounds});
}

/// Writes vector<W x lanes> into rows [row, row + lanes) of a rows x W
/// memref; rows past the end are not written.
void mlir::keops::writeRows(OpBuilder &b, Location loc, Value value, Value mem, Value row) {
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  AffineMap transpose = AffineMap::getPermutationMap(
      ArrayRef<unsigned>{1, 0}, b.getContext());
  auto type = cast<VectorType>(value.getType());
  int64_t width = type.getDimSize(0), lanes = type.getDimSize(1);
  if (width <= 16) {
    vector::TransferWriteOp::create(b, loc, value, mem, ValueRange{row, c0},
                                    transpose, ArrayRef<bool>{true, false});
    return;
  }
  // Wide rows (the D-wide gradients of long vectors): a transposed write
  // moves W x lanes elements one by one, code that grows with W x lanes
  // and takes LLVM seconds to compile. Instead, the value goes to a W x
  // lanes buffer (W stores of its lanes), and each row is read back from
  // it, a column of the buffer, in a loop over the rows.
  Value buffer = entryAlloca(
      b, loc, MemRefType::get({width, lanes}, type.getElementType()));
  for (int64_t e = 0; e < width; ++e)
    vector::StoreOp::create(
        b, loc, vector::ExtractOp::create(b, loc, value, ArrayRef<int64_t>{e}),
        buffer, ValueRange{arith::ConstantIndexOp::create(b, loc, e), c0});
  writeBufferRows(b, loc, buffer, mem, row);
}

void mlir::keops::writeBufferRows(OpBuilder &b, Location loc, Value buffer,
                                  Value mem, Value row) {
  auto type = cast<MemRefType>(buffer.getType());
  int64_t width = type.getDimSize(0), lanes = type.getDimSize(1);
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value rows = arith::MinSIOp::create(
      b, loc, arith::ConstantIndexOp::create(b, loc, lanes),
      arith::SubIOp::create(b, loc, memref::DimOp::create(b, loc, mem, 0),
                            row));
  scf::ForOp::create(
      b, loc, c0, rows, c1, ValueRange{},
      [&](OpBuilder &rb, Location l, Value lane, ValueRange) {
        Value r = arith::AddIOp::create(rb, l, row, lane);
        scf::ForOp::create(
            rb, l, c0, arith::ConstantIndexOp::create(rb, l, width), c1,
            ValueRange{}, [&](OpBuilder &eb, Location el, Value e, ValueRange) {
              memref::StoreOp::create(
                  eb, el,
                  memref::LoadOp::create(eb, el, buffer, ValueRange{e, lane}),
                  mem, ValueRange{r, e});
              scf::YieldOp::create(eb, el);
            });
        scf::YieldOp::create(rb, l);
      });
}

SmallVector<Value> Accumulator::mergeLanes(OpBuilder &b, Location loc,
                                           ValueRange state) const {
  assert(!listInMemory && "K-lists in memory are merged by their heaps");
  int64_t n = lanes();
  Accumulator one = forLanes(1);
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value width = arith::ConstantIndexOp::create(b, loc, n);
  // Each state value in a buffer; a K-list's slots in one, slot-major.
  int64_t slots = ReduceOp::needsK(kind) ? k : 1;
  SmallVector<Value> buffers;
  for (size_t v = 0; v < state.size(); v += slots) {
    auto type = cast<VectorType>(state[v].getType());
    SmallVector<int64_t> shape{type.getShape()};
    if (slots > 1)
      shape.insert(shape.begin(), slots);
    buffers.push_back(entryAlloca(
        b, loc, MemRefType::get(shape, type.getElementType())));
    for (int64_t s = 0; s < slots; ++s) {
      SmallVector<Value> at(shape.size(), c0);
      if (slots > 1)
        at[0] = arith::ConstantIndexOp::create(b, loc, s);
      vector::TransferWriteOp::create(b, loc, state[v + s], buffers.back(), at,
                                      SmallVector<bool>(2, true));
    }
  }
  // Slot `s` of the state array `v` in lane `l`, as vector<D x 1>.
  auto read = [&](size_t v, Value s, Value l) -> Value {
    auto type = cast<VectorType>(state[v * slots].getType());
    Type elt = type.getElementType();
    SmallVector<Value> at{c0, l};
    if (slots > 1)
      at.insert(at.begin(), s);
    return vector::TransferReadOp::create(
        b, loc, VectorType::get({type.getDimSize(0), 1}, elt), buffers[v], at,
        arith::ConstantOp::create(b, loc, b.getZeroAttr(elt)),
        ArrayRef<bool>{true, true});
  };
  SmallVector<Value> first;
  for (size_t v = 0; v < buffers.size(); ++v)
    for (int64_t s = 0; s < slots; ++s)
      first.push_back(read(v, arith::ConstantIndexOp::create(b, loc, s), c0));
  auto lanesLoop = scf::ForOp::create(b, loc, c1, width, c1, first);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(lanesLoop.getBody());
  Value l = lanesLoop.getInductionVar();
  if (slots == 1) {
    SmallVector<Value> other;
    for (size_t v = 0; v < buffers.size(); ++v)
      other.push_back(read(v, c0, l));
    scf::YieldOp::create(b, loc,
                         one.merge(b, loc, lanesLoop.getRegionIterArgs(), other));
  } else {
    auto slotLoop =
        scf::ForOp::create(b, loc, c0, arith::ConstantIndexOp::create(b, loc, k),
                           c1, lanesLoop.getRegionIterArgs());
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPointToStart(slotLoop.getBody());
    Value s = slotLoop.getInductionVar();
    Value index = read(1, s, l);
    Value filled = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                         index, one.splatIndex(b, loc, -1));
    scf::YieldOp::create(b, loc,
                         one.insertKMin(b, loc, slotLoop.getRegionIterArgs(),
                                        read(0, s, l), index, filled));
    b.setInsertionPointAfter(slotLoop);
    scf::YieldOp::create(b, loc, slotLoop.getResults());
  }
  return SmallVector<Value>(lanesLoop.getResults());
}
