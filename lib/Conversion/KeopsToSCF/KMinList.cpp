//===- KMinList.cpp - K-min lists in memory, for large K -----------------===//
//
// The K-min kinds keep, per output row and formula component, the K best
// (value, index) pairs. In registers (Accumulators.cpp) they are a sorted
// list, and every term that enters costs a chain of K compare-and-selects:
// the code, its register pressure and the compile time grow with K. Above
// Accumulator::kListInMemoryAbove, CPU kernels keep them in memory,
// memref<K x D x lanes>, as binary heaps whose root is the worst of the K
// (the order of Accumulator::better), and in registers only the roots: the
// bar a new term must pass. The lanes whose term passes (rare once K terms
// are in, for terms in random order) are visited through the bits of the
// vector comparison; each term replaces its heap's root and sifts down,
// log2(K) steps. The outputs are the heaps sorted in place (heapsort). The
// code does not depend on K.
//
// State: [root values (vector<D x lanes>), root indices, keys
// (memref<K x D x lanes>), indices (same shape), scratch (memref<D x lanes>:
// the terms of one fold, read back lane by lane)]. The heaps hold a value as
// its order key (orderKey): an integer whose unsigned order is `better`'s,
// so that an entry ranks before another by one comparison of keys and, on
// equal keys, one of indices, where `better` takes a dozen operations (NaNs,
// empty entries): the sift-downs, latency-bound chains of such comparisons,
// run 1.2 to 1.5x faster (docs/benchmarks.md). Empty entries have the
// largest key and index -1 (unsigned: the largest), as NaN and -1 in
// registers.
//
// A GPU thread folds one row (vector<D> values): its heaps are
// memref<K x D>, thread-private (allocas at the kernel's entry, local memory
// on the device), without a scratch row; a component whose term passes its
// bar sifts it in. The 2-D scheme stores and reloads the heaps whole
// (storeState, loadState).
//
//===----------------------------------------------------------------------===//

#include "keops/Conversion/Accumulators.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

#include <cmath>

using namespace mlir;
using namespace mlir::keops;

namespace {

Value cIndex(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// Entry `s` of the heap of component `d` and lane `l` (none on the GPU).
SmallVector<Value, 3> entry(Value s, Value d, Value l) {
  SmallVector<Value, 3> at{s, d};
  if (l)
    at.push_back(l);
  return at;
}

/// Writes `v` (vector<D x lanes> or vector<D>) into `mem` at [prefix..., 0,
/// ...].
void writeVector(OpBuilder &b, Location loc, Value v, Value mem,
                 ValueRange prefix) {
  int64_t rank = cast<VectorType>(v.getType()).getRank();
  SmallVector<Value> at(prefix);
  at.append(rank, cIndex(b, loc, 0));
  vector::TransferWriteOp::create(b, loc, v, mem, at,
                                  SmallVector<bool>(rank, true));
}

/// Reads a vector of `type` from `mem` at [prefix..., 0, ...].
Value readVector(OpBuilder &b, Location loc, VectorType type, Value mem,
                 ValueRange prefix) {
  SmallVector<Value> at(prefix);
  at.append(type.getRank(), cIndex(b, loc, 0));
  Type elt = type.getElementType();
  Value pad = isa<FloatType>(elt)
                  ? Value(arith::ConstantOp::create(b, loc, b.getFloatAttr(elt, 0)))
                  : Value(arith::ConstantOp::create(b, loc,
                                                    b.getIntegerAttr(elt, 0)));
  return vector::TransferReadOp::create(b, loc, type, mem, at, pad,
                                        SmallVector<bool>(type.getRank(), true));
}

/// -1 of the (scalar) index type of `like`.
Value noIndex(OpBuilder &b, Location loc, Value like) {
  return arith::ConstantOp::create(b, loc,
                                   b.getIntegerAttr(like.getType(), -1));
}

/// A constant of the integer (or vector of integers) type `type`.
Value intConstant(OpBuilder &b, Location loc, Type type, const APInt &v) {
  if (auto vec = dyn_cast<VectorType>(type))
    return arith::ConstantOp::create(b, loc, vec,
                                     DenseElementsAttr::get(vec, v));
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, v));
}

/// The integer type of `floatType`'s width (same shape).
Type keyTypeOf(Type floatType) {
  auto vec = dyn_cast<VectorType>(floatType);
  Type elt = vec ? vec.getElementType() : floatType;
  Type key = IntegerType::get(floatType.getContext(),
                              elt.getIntOrFloatBitWidth());
  return vec ? Type(VectorType::get(vec.getShape(), key)) : key;
}

/// The order key of float values f (scalar or vector): the bits of f, the
/// sign bit flipped for positive values and every bit for negative ones, so
/// that unsigned integer order is the order of values; -0 as +0 (they tie)
/// and every NaN as the largest key (after +inf, tied among NaNs).
Value orderKey(OpBuilder &b, Location loc, Value f) {
  Type type = f.getType(), key = keyTypeOf(type);
  unsigned w = getElementTypeOrSelf(key).getIntOrFloatBitWidth();
  Value zero = isa<VectorType>(type)
                   ? splatVector(b, loc, cast<VectorType>(type), 0.0)
                   : Value(arith::ConstantOp::create(
                         b, loc, b.getFloatAttr(type, 0.0)));
  Value isZero =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, f, zero);
  Value bits = arith::BitcastOp::create(
      b, loc, key, arith::SelectOp::create(b, loc, isZero, zero, f));
  Value sign = arith::ShRSIOp::create(
      b, loc, bits, intConstant(b, loc, key, APInt(w, w - 1)));
  Value mask = arith::OrIOp::create(
      b, loc, sign, intConstant(b, loc, key, APInt::getSignMask(w)));
  Value k = arith::XOrIOp::create(b, loc, bits, mask);
  Value nan = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, f, f);
  return arith::SelectOp::create(
      b, loc, nan, intConstant(b, loc, key, APInt::getAllOnes(w)), k);
}

/// The value of order keys (a NaN for the largest), as `floatType`.
Value valueOfKey(OpBuilder &b, Location loc, Value k, Type floatType) {
  Type key = k.getType();
  unsigned w = getElementTypeOrSelf(key).getIntOrFloatBitWidth();
  // Positive values have the sign bit set: flip it back; negative ones
  // every bit.
  Value sign = arith::ShRSIOp::create(
      b, loc, k, intConstant(b, loc, key, APInt(w, w - 1)));
  Value mask = arith::OrIOp::create(
      b, loc,
      arith::XOrIOp::create(b, loc, sign,
                            intConstant(b, loc, key, APInt::getAllOnes(w))),
      intConstant(b, loc, key, APInt::getSignMask(w)));
  return arith::BitcastOp::create(b, loc, floatType,
                                  arith::XOrIOp::create(b, loc, k, mask));
}

/// The key of an empty entry (the largest).
Value emptyKey(OpBuilder &b, Location loc, Type key) {
  unsigned w = getElementTypeOrSelf(key).getIntOrFloatBitWidth();
  return intConstant(b, loc, key, APInt::getAllOnes(w));
}

/// for d in [0, D), l in [0, lanes): body(d, l); body(d, null) without
/// lanes (the GPU).
void forEachLane(OpBuilder &b, Location loc, int64_t dims, int64_t lanes,
                 function_ref<void(OpBuilder &, Value, Value)> body) {
  Value c0 = cIndex(b, loc, 0), c1 = cIndex(b, loc, 1);
  scf::ForOp::create(
      b, loc, c0, cIndex(b, loc, dims), c1, ValueRange{},
      [&](OpBuilder &ob, Location l, Value d, ValueRange) {
        if (!lanes) {
          body(ob, d, Value());
          scf::YieldOp::create(ob, l);
          return;
        }
        scf::ForOp::create(ob, l, c0, cIndex(ob, l, lanes), c1, ValueRange{},
                           [&](OpBuilder &ib, Location il, Value lane,
                               ValueRange) {
                             body(ib, d, lane);
                             scf::YieldOp::create(ib, il);
                           });
        scf::YieldOp::create(ob, l);
      });
}

} // namespace

int64_t Accumulator::listLanes() const {
  return valueType.getRank() == 2 ? valueType.getDimSize(1) : 0;
}

SmallVector<Value> Accumulator::allocList(OpBuilder &b, Location loc) const {
  SmallVector<Type> types = stateTypes();
  SmallVector<Value> lists;
  if (listLanes()) {
    for (Type t : ArrayRef<Type>(types).drop_front(2))
      lists.push_back(memref::AllocOp::create(b, loc, cast<MemRefType>(t)));
    return lists;
  }
  // A GPU thread's heaps: allocas at the kernel's entry, so that a list
  // made in a loop (block-sparse tiles of rows, chunks merged) reuses them.
  Operation *fn = b.getInsertionBlock()->getParentOp();
  while (!isa<FunctionOpInterface>(fn))
    fn = fn->getParentOp();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&fn->getRegion(0).front());
  for (Type t : ArrayRef<Type>(types).drop_front(2))
    lists.push_back(memref::AllocaOp::create(b, loc, cast<MemRefType>(t)));
  return lists;
}

SmallVector<Value> Accumulator::initList(OpBuilder &b, Location loc) const {
  SmallVector<Value> state{splat(b, loc, valueType, NAN),
                           splatIndex(b, loc, -1)};
  llvm::append_range(state, allocList(b, loc));
  Value c0 = cIndex(b, loc, 0), c1 = cIndex(b, loc, 1);
  Value empty = emptyKey(b, loc, keyTypeOf(valueType));
  scf::ForOp::create(b, loc, c0, cIndex(b, loc, k), c1, ValueRange{},
                     [&](OpBuilder &fb, Location l, Value s, ValueRange) {
                       writeVector(fb, l, empty, state[2], s);
                       writeVector(fb, l, state[1], state[3], s);
                       scf::YieldOp::create(fb, l);
                     });
  return state;
}

SmallVector<Value> Accumulator::reloadBar(OpBuilder &b, Location loc,
                                          ValueRange state) const {
  Value root = cIndex(b, loc, 0);
  Value keys = readVector(b, loc, cast<VectorType>(keyTypeOf(valueType)),
                          state[2], root);
  return {valueOfKey(b, loc, keys, valueType),
          readVector(b, loc, idxType, state[3], root)};
}

/// for s in [0, K), d in [0, D): body(s, d, column s * D + d). (GPU lists.)
static void forEachEntry(OpBuilder &b, Location loc, int64_t k, int64_t dims,
                         function_ref<void(OpBuilder &, Value, Value, Value)> body) {
  Value c1 = cIndex(b, loc, 1), cDims = cIndex(b, loc, dims);
  scf::ForOp::create(
      b, loc, cIndex(b, loc, 0), cIndex(b, loc, k), c1, ValueRange{},
      [&](OpBuilder &sb, Location sl, Value s, ValueRange) {
        forEachLane(sb, sl, dims, 0, [&](OpBuilder &db, Value d, Value) {
          Value col = arith::AddIOp::create(
              db, sl, arith::MulIOp::create(db, sl, s, cDims), d);
          body(db, s, d, col);
        });
        scf::YieldOp::create(sb, sl);
      });
}

void Accumulator::storeList(OpBuilder &b, Location loc, ValueRange state,
                            ValueRange mems, Value at) const {
  // The heaps as they are: entry (s, d) at column s * D + d.
  // (Keys as the bits of the values' type.)
  Type elt = valueType.getElementType();
  forEachEntry(b, loc, k, valueType.getDimSize(0),
               [&](OpBuilder &eb, Value s, Value d, Value col) {
                 for (int n = 0; n < 2; ++n) {
                   Value v = memref::LoadOp::create(eb, loc, state[2 + n],
                                                    entry(s, d, Value()));
                   if (n == 0)
                     v = arith::BitcastOp::create(eb, loc, elt, v);
                   memref::StoreOp::create(eb, loc, v, mems[n],
                                           ValueRange{at, col});
                 }
               });
}

SmallVector<Value> Accumulator::loadList(OpBuilder &b, Location loc,
                                         ValueRange mems, Value at,
                                         bool sorted) const {
  // A list sorted best first, reversed, is a heap whose root is the worst.
  SmallVector<Value> lists = allocList(b, loc);
  forEachEntry(b, loc, k, valueType.getDimSize(0),
               [&](OpBuilder &eb, Value s, Value d, Value col) {
                 Value slot =
                     sorted ? arith::SubIOp::create(eb, loc,
                                                    cIndex(eb, loc, k - 1), s)
                                  .getResult()
                            : s;
                 Value v = memref::LoadOp::create(eb, loc, mems[0],
                                                  ValueRange{at, col});
                 Value i = memref::LoadOp::create(eb, loc, mems[1],
                                                  ValueRange{at, col});
                 Type key = keyTypeOf(v.getType());
                 if (sorted) {
                   // Values, +inf where empty (index -1).
                   Value none =
                       arith::CmpIOp::create(eb, loc, arith::CmpIPredicate::eq,
                                             i, noIndex(eb, loc, i));
                   v = arith::SelectOp::create(eb, loc, none,
                                               emptyKey(eb, loc, key),
                                               orderKey(eb, loc, v));
                 } else {
                   v = arith::BitcastOp::create(eb, loc, key, v);
                 }
                 memref::StoreOp::create(eb, loc, v, lists[0],
                                         entry(slot, d, Value()));
                 memref::StoreOp::create(eb, loc, i, lists[1],
                                         entry(slot, d, Value()));
               });
  SmallVector<Value> state{Value(), Value()};
  llvm::append_range(state, lists);
  SmallVector<Value> bar = reloadBar(b, loc, state);
  state[0] = bar[0];
  state[1] = bar[1];
  return state;
}

/// Whether entry (a, ai) ranks before (c, ci) in a heap, a and c order
/// keys: the order of `better` between filled entries, and empty ones
/// (largest key, index -1) last, never before another.
Value Accumulator::ranksBefore(OpBuilder &b, Location loc, Value a, Value ai,
                               Value c, Value ci) const {
  using P = arith::CmpIPredicate;
  return arith::OrIOp::create(
      b, loc, arith::CmpIOp::create(b, loc, P::ult, a, c),
      arith::AndIOp::create(b, loc, arith::CmpIOp::create(b, loc, P::eq, a, c),
                            arith::CmpIOp::create(b, loc, P::ult, ai, ci)));
}

/// Puts (f, fIdx), f an order key, at the root of the heap of component d
/// and lane l, made of its first `size` entries, and sifts it down: while
/// its worse child ranks after it, that child moves up.
void Accumulator::siftDown(OpBuilder &b, Location loc, ValueRange state,
                           Value f, Value fIdx, Value d, Value l,
                           Value size) const {
  // (l is null on the GPU: heaps memref<K x D>.)
  Value vals = state[2], idxs = state[3];
  Value c0 = cIndex(b, loc, 0), c1 = cIndex(b, loc, 1), c2 = cIndex(b, loc, 2);
  Type index = b.getIndexType();
  auto loop = scf::WhileOp::create(
      b, loc, TypeRange{index, index}, ValueRange{c0, c0},
      [&](OpBuilder &wb, Location wl, ValueRange args) {
        Value p = args[0];
        Value first = arith::AddIOp::create(
            wb, wl, arith::MulIOp::create(wb, wl, p, c2), c1);
        Value second = arith::AddIOp::create(wb, wl, first, c1);
        Value inside = arith::CmpIOp::create(wb, wl, arith::CmpIPredicate::slt,
                                             first, size);
        // Clamped, so that the loads stay in the heap; a missing second
        // child is the first one again.
        Value last = arith::MaxSIOp::create(
            wb, wl, arith::SubIOp::create(wb, wl, size, c1), c0);
        Value a = arith::MinSIOp::create(wb, wl, first, last);
        Value c = arith::SelectOp::create(
            wb, wl,
            arith::CmpIOp::create(wb, wl, arith::CmpIPredicate::slt, second, size),
            second, a);
        auto load = [&](Value mem, Value at) -> Value {
          return memref::LoadOp::create(wb, wl, mem, entry(at, d, l));
        };
        Value va = load(vals, a), ia = load(idxs, a);
        Value vc = load(vals, c), ic = load(idxs, c);
        Value aFirst = ranksBefore(wb, wl, va, ia, vc, ic);
        Value worse = arith::SelectOp::create(wb, wl, aFirst, c, a);
        Value vw = arith::SelectOp::create(wb, wl, aFirst, vc, va);
        Value iw = arith::SelectOp::create(wb, wl, aFirst, ic, ia);
        Value go = arith::AndIOp::create(
            wb, wl, inside, ranksBefore(wb, wl, f, fIdx, vw, iw));
        scf::ConditionOp::create(wb, wl, go, ValueRange{p, worse});
      },
      [&](OpBuilder &wb, Location wl, ValueRange args) {
        Value p = args[0], child = args[1];
        for (Value mem : {vals, idxs})
          memref::StoreOp::create(
              wb, wl, memref::LoadOp::create(wb, wl, mem, entry(child, d, l)),
              mem, entry(p, d, l));
        scf::YieldOp::create(wb, wl, ValueRange{child, child});
      });
  Value at = loop.getResult(0);
  memref::StoreOp::create(b, loc, f, vals, entry(at, d, l));
  memref::StoreOp::create(b, loc, fIdx, idxs, entry(at, d, l));
}

/// The lanes of component `d` whose term passes (`passes`: their i1
/// vector), visited through the bits of the test; their terms are read back
/// from the scratch row, which holds the fold's terms.
void Accumulator::foldLanes(OpBuilder &b, Location loc, ValueRange state,
                            Value passes, Value jIdx, Value d,
                            Value size) const {
  int64_t lanes = listLanes();
  Value scratch = state[4];
  Type bitsType = b.getIntegerType(lanes);
  Value zero = arith::ConstantOp::create(b, loc, b.getIntegerAttr(bitsType, 0));
  Value one = arith::ConstantOp::create(b, loc, b.getIntegerAttr(bitsType, 1));
  Value bits = vector::ExtractOp::create(
      b, loc,
      vector::BitCastOp::create(b, loc, VectorType::get({1}, bitsType), passes),
      ArrayRef<int64_t>{0});
  scf::WhileOp::create(
      b, loc, TypeRange{bitsType}, ValueRange{bits},
      [&](OpBuilder &wb, Location wl, ValueRange args) {
        Value more = arith::CmpIOp::create(wb, wl, arith::CmpIPredicate::ne,
                                           args[0], zero);
        scf::ConditionOp::create(wb, wl, more, args);
      },
      [&](OpBuilder &wb, Location wl, ValueRange args) {
        Value m = args[0];
        Value l = arith::IndexCastUIOp::create(
            wb, wl, wb.getIndexType(),
            math::CountTrailingZerosOp::create(wb, wl, m));
        Value v = memref::LoadOp::create(wb, wl, scratch, ValueRange{d, l});
        siftDown(wb, wl, state, orderKey(wb, wl, v), jIdx, d, l, size);
        // The lowest set bit cleared.
        Value rest = arith::AndIOp::create(
            wb, wl, m, arith::SubIOp::create(wb, wl, m, one));
        scf::YieldOp::create(wb, wl, ValueRange{rest});
      });
}

SmallVector<Value> Accumulator::foldList(OpBuilder &b, Location loc,
                                         ValueRange state, Value f,
                                         Value j) const {
  // Most terms do not pass the bar: one vector test; the lanes whose term
  // passes are then visited through the bits of the test, one heap each.
  Value enters = better(b, loc, f, Value(), state[0], state[1], /*isMin=*/true);
  int64_t dims = valueType.getDimSize(0), lanes = listLanes();
  Value any = reduceLanes(b, loc, enters, vector::CombiningKind::OR);
  auto ifOp = scf::IfOp::create(b, loc, TypeRange{valueType, idxType}, any,
                                /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    Value jIdx = arith::IndexCastOp::create(b, loc, idxType.getElementType(), j);
    Value size = cIndex(b, loc, k);
    if (lanes) // The terms, read back lane by lane (foldLanes).
      writeVector(b, loc, f, state[4], ValueRange{});
    for (int64_t dim = 0; dim < dims; ++dim) {
      Value d = cIndex(b, loc, dim);
      Value row = vector::ExtractOp::create(b, loc, enters, ArrayRef<int64_t>{dim});
      if (!lanes) {
        // A GPU thread: component d's term, if it passes.
        auto passes = scf::IfOp::create(b, loc, row, /*withElseRegion=*/false);
        OpBuilder tb = passes.getThenBodyBuilder();
        Value v = vector::ExtractOp::create(tb, loc, f, ArrayRef<int64_t>{dim});
        siftDown(tb, loc, state, orderKey(tb, loc, v), jIdx, d, Value(), size);
        continue;
      }
      foldLanes(b, loc, state, row, jIdx, d, size);
    }
    scf::YieldOp::create(b, loc, reloadBar(b, loc, state));
    b.setInsertionPointToStart(ifOp.elseBlock());
    scf::YieldOp::create(b, loc, ValueRange{state[0], state[1]});
  }
  SmallVector<Value> next(ifOp.getResults());
  next.append(state.begin() + 2, state.end());
  return next;
}

SmallVector<Value> Accumulator::mergeList(OpBuilder &b, Location loc,
                                          ValueRange first,
                                          ValueRange second) const {
  // Every filled entry of the second heaps that beats the first heaps' root
  // replaces it (ties by index: the second range's indices are not known to
  // be the larger ones here); the second heaps are freed.
  Value c0 = cIndex(b, loc, 0), c1 = cIndex(b, loc, 1);
  Value size = cIndex(b, loc, k);
  scf::ForOp::create(
      b, loc, c0, cIndex(b, loc, k), c1, ValueRange{},
      [&](OpBuilder &sb, Location sl, Value s, ValueRange) {
        forEachLane(sb, sl, valueType.getDimSize(0), listLanes(),
                    [&](OpBuilder &lb, Value d, Value l) {
                      Value v = memref::LoadOp::create(lb, sl, second[2],
                                                       entry(s, d, l));
                      Value i = memref::LoadOp::create(lb, sl, second[3],
                                                       entry(s, d, l));
                      Value bar = memref::LoadOp::create(
                          lb, sl, first[2], entry(c0, d, l));
                      Value barIdx = memref::LoadOp::create(
                          lb, sl, first[3], entry(c0, d, l));
                      Value passes = ranksBefore(lb, sl, v, i, bar, barIdx);
                      auto inner = scf::IfOp::create(lb, sl, passes,
                                                     /*withElseRegion=*/false);
                      OpBuilder tb = inner.getThenBodyBuilder();
                      siftDown(tb, sl, first, v, i, d, l, size);
                    });
        scf::YieldOp::create(sb, sl);
      });
  freeList(b, loc, second);
  SmallVector<Value> merged = reloadBar(b, loc, first);
  merged.append(first.begin() + 2, first.end());
  return merged;
}

void Accumulator::writeListRows(OpBuilder &b, Location loc, ValueRange state,
                                ValueRange outs, Value row) const {
  // Output row row + l, column s * D + d: entry s of the sorted heap (d, l);
  // an empty entry is +inf with index -1.
  int64_t dims = valueType.getDimSize(0), lanes = listLanes();
  Value c1 = cIndex(b, loc, 1);
  Value rows = memref::DimOp::create(b, loc, outs[0], 0);
  Value inf = arith::ConstantOp::create(
      b, loc, b.getFloatAttr(valueType.getElementType(), INFINITY));
  Value none = arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(idxType.getElementType(), -1));
  bool values = kind != ReductionKind::ArgKMin;
  bool indices = kind != ReductionKind::KMin;
  forEachLane(b, loc, dims, lanes, [&](OpBuilder &lb, Value d, Value l) {
    Value r = l ? arith::AddIOp::create(lb, loc, row, l).getResult() : row;
    auto inside = scf::IfOp::create(
        lb, loc, arith::CmpIOp::create(lb, loc, arith::CmpIPredicate::slt, r, rows),
        /*withElseRegion=*/false);
    OpBuilder ib = inside.getThenBodyBuilder();
    // Heapsort: the root (the worst) swaps with the heap's last entry, which
    // sifts down the heap left; the entries end sorted, best first.
    scf::ForOp::create(
        ib, loc, c1, cIndex(ib, loc, k), c1, ValueRange{},
        [&](OpBuilder &hb, Location hl, Value n, ValueRange) {
          Value end = arith::SubIOp::create(hb, hl, cIndex(hb, hl, k), n);
          Value c0 = cIndex(hb, hl, 0);
          Value v = memref::LoadOp::create(hb, hl, state[2], entry(end, d, l));
          Value i = memref::LoadOp::create(hb, hl, state[3], entry(end, d, l));
          for (Value mem : {state[2], state[3]})
            memref::StoreOp::create(
                hb, hl, memref::LoadOp::create(hb, hl, mem, entry(c0, d, l)),
                mem, entry(end, d, l));
          siftDown(hb, hl, state, v, i, d, l, end);
          scf::YieldOp::create(hb, hl);
        });
    scf::ForOp::create(
        ib, loc, cIndex(ib, loc, 0), cIndex(ib, loc, k), c1, ValueRange{},
        [&](OpBuilder &sb, Location sl, Value s, ValueRange) {
          Value col = arith::AddIOp::create(
              sb, sl, arith::MulIOp::create(sb, sl, s, cIndex(sb, sl, dims)), d);
          Value i = memref::LoadOp::create(sb, sl, state[3], entry(s, d, l));
          unsigned out = 0;
          if (values) {
            Value v = valueOfKey(
                sb, sl, memref::LoadOp::create(sb, sl, state[2], entry(s, d, l)),
                valueType.getElementType());
            Value empty = arith::CmpIOp::create(sb, sl, arith::CmpIPredicate::eq,
                                                i, none);
            v = arith::SelectOp::create(sb, sl, empty, inf, v);
            memref::StoreOp::create(sb, sl, v, outs[out++], ValueRange{r, col});
          }
          if (indices)
            memref::StoreOp::create(sb, sl, i, outs[out], ValueRange{r, col});
          scf::YieldOp::create(sb, sl);
        });
  });
  freeList(b, loc, state);
}

void Accumulator::freeList(OpBuilder &b, Location loc, ValueRange state) const {
  // (A GPU thread's allocas need no freeing.)
  if (listLanes())
    for (Value mem : state.drop_front(2))
      memref::DeallocOp::create(b, loc, mem);
}
