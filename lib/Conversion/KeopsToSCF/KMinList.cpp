//===- KMinList.cpp - K-min lists in memory, for large K -----------------===//
//
// The K-min kinds keep, per output row and formula component, the sorted
// list of the K best (value, index) pairs. In registers (Accumulators.cpp)
// every term that enters costs a chain of K compare-and-selects, and the
// code, its register pressure and the compile time grow with K. Above
// Accumulator::kListInMemoryAbove, CPU kernels keep the lists in memory,
// memref<K x D x lanes>, and in registers only each list's last entry: the
// K-th best, the bar a new term must pass. A term that passes (rare once K
// terms are in, for terms in random order) is inserted by a scalar loop
// that shifts the worse entries down. The code no longer depends on K.
//
// State: [bar values (vector<D x lanes>), bar indices, values
// (memref<K x D x lanes>), indices (same shape), scratch (memref<D x lanes>:
// the terms of one fold, read back lane by lane)]. Empty entries have
// index -1 (and value NaN), as in registers; the order is that of
// Accumulator::better.
//
//===----------------------------------------------------------------------===//

#include "keops/Conversion/Accumulators.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <cmath>

using namespace mlir;
using namespace mlir::keops;

namespace {

Value cIndex(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// Writes vector<D x lanes> `v` into `mem` at [prefix..., 0, 0].
void writeVector(OpBuilder &b, Location loc, Value v, Value mem,
                 ValueRange prefix) {
  SmallVector<Value> at(prefix);
  at.append(2, cIndex(b, loc, 0));
  vector::TransferWriteOp::create(b, loc, v, mem, at,
                                  ArrayRef<bool>{true, true});
}

/// Reads vector<D x lanes> from `mem` at [prefix..., 0, 0].
Value readVector(OpBuilder &b, Location loc, VectorType type, Value mem,
                 ValueRange prefix) {
  SmallVector<Value> at(prefix);
  at.append(2, cIndex(b, loc, 0));
  Type elt = type.getElementType();
  Value pad = isa<FloatType>(elt)
                  ? Value(arith::ConstantOp::create(b, loc, b.getFloatAttr(elt, 0)))
                  : Value(arith::ConstantOp::create(b, loc,
                                                    b.getIntegerAttr(elt, 0)));
  return vector::TransferReadOp::create(b, loc, type, mem, at, pad,
                                        ArrayRef<bool>{true, true});
}

/// for d in [0, D), l in [0, lanes): body(d, l).
void forEachLane(OpBuilder &b, Location loc, int64_t dims, int64_t lanes,
                 function_ref<void(OpBuilder &, Value, Value)> body) {
  Value c0 = cIndex(b, loc, 0), c1 = cIndex(b, loc, 1);
  scf::ForOp::create(
      b, loc, c0, cIndex(b, loc, dims), c1, ValueRange{},
      [&](OpBuilder &ob, Location l, Value d, ValueRange) {
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

SmallVector<Value> Accumulator::initList(OpBuilder &b, Location loc) const {
  SmallVector<Type> types = stateTypes();
  SmallVector<Value> state{splat(b, loc, valueType, NAN),
                           splatIndex(b, loc, -1)};
  for (Type t : ArrayRef<Type>(types).drop_front(2))
    state.push_back(memref::AllocOp::create(b, loc, cast<MemRefType>(t)));
  Value c0 = cIndex(b, loc, 0), c1 = cIndex(b, loc, 1);
  scf::ForOp::create(b, loc, c0, cIndex(b, loc, k), c1, ValueRange{},
                     [&](OpBuilder &fb, Location l, Value s, ValueRange) {
                       writeVector(fb, l, state[0], state[2], s);
                       writeVector(fb, l, state[1], state[3], s);
                       scf::YieldOp::create(fb, l);
                     });
  return state;
}

SmallVector<Value> Accumulator::reloadBar(OpBuilder &b, Location loc,
                                          ValueRange state) const {
  Value last = cIndex(b, loc, k - 1);
  return {readVector(b, loc, valueType, state[2], last),
          readVector(b, loc, idxType, state[3], last)};
}

/// Inserts (f, fIdx), scalars known to beat the list's last entry, into
/// the list of component d and lane l: worse entries shift down one slot.
void Accumulator::insertIntoList(OpBuilder &b, Location loc, ValueRange state,
                                 Value f, Value fIdx, Value d, Value l) const {
  Value vals = state[2], idxs = state[3];
  Value c0 = cIndex(b, loc, 0), c1 = cIndex(b, loc, 1);
  auto loop = scf::WhileOp::create(
      b, loc, TypeRange{b.getIndexType()}, ValueRange{cIndex(b, loc, k - 1)},
      [&](OpBuilder &wb, Location wl, ValueRange args) {
        // Does (f, fIdx) beat the entry above slot p (p > 0)?
        Value p = args[0];
        Value above = arith::MaxSIOp::create(
            wb, wl, arith::SubIOp::create(wb, wl, p, c1), c0);
        Value v = memref::LoadOp::create(wb, wl, vals, ValueRange{above, d, l});
        Value i = memref::LoadOp::create(wb, wl, idxs, ValueRange{above, d, l});
        Value go = arith::AndIOp::create(
            wb, wl,
            arith::CmpIOp::create(wb, wl, arith::CmpIPredicate::sgt, p, c0),
            better(wb, wl, f, fIdx, v, i, /*isMin=*/true));
        scf::ConditionOp::create(wb, wl, go, ValueRange{p});
      },
      [&](OpBuilder &wb, Location wl, ValueRange args) {
        Value p = args[0];
        Value above = arith::SubIOp::create(wb, wl, p, c1);
        for (Value mem : {vals, idxs})
          memref::StoreOp::create(
              wb, wl,
              memref::LoadOp::create(wb, wl, mem, ValueRange{above, d, l}),
              mem, ValueRange{p, d, l});
        scf::YieldOp::create(wb, wl, ValueRange{above});
      });
  Value at = loop.getResult(0);
  memref::StoreOp::create(b, loc, f, vals, ValueRange{at, d, l});
  memref::StoreOp::create(b, loc, fIdx, idxs, ValueRange{at, d, l});
}

SmallVector<Value> Accumulator::foldList(OpBuilder &b, Location loc,
                                         ValueRange state, Value f,
                                         Value j) const {
  // Most terms do not pass the bar: one vector test, and the rare lanes
  // that pass are inserted one by one.
  Value enters = better(b, loc, f, Value(), state[0], state[1], /*isMin=*/true);
  auto flat = VectorType::get({valueType.getNumElements()}, b.getI1Type());
  Value any = vector::ReductionOp::create(
      b, loc, vector::CombiningKind::OR,
      vector::ShapeCastOp::create(b, loc, flat, enters));
  auto ifOp = scf::IfOp::create(b, loc, TypeRange{valueType, idxType}, any,
                                /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    Value scratch = state[4];
    writeVector(b, loc, f, scratch, ValueRange{});
    Value jIdx = arith::IndexCastOp::create(b, loc, idxType.getElementType(), j);
    Value last = cIndex(b, loc, k - 1);
    forEachLane(b, loc, valueType.getDimSize(0), valueType.getDimSize(1),
                [&](OpBuilder &lb, Value d, Value l) {
                  Location ll = loc;
                  Value v = memref::LoadOp::create(lb, ll, scratch,
                                                   ValueRange{d, l});
                  Value bar = memref::LoadOp::create(lb, ll, state[2],
                                                     ValueRange{last, d, l});
                  Value barIdx = memref::LoadOp::create(
                      lb, ll, state[3], ValueRange{last, d, l});
                  Value passes = better(lb, ll, v, Value(), bar, barIdx,
                                        /*isMin=*/true);
                  auto inner = scf::IfOp::create(lb, ll, passes,
                                                 /*withElseRegion=*/false);
                  OpBuilder tb = inner.getThenBodyBuilder();
                  insertIntoList(tb, ll, state, v, jIdx, d, l);
                });
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
  // Every entry of the second lists that beats the first lists' last is
  // inserted (ties by index: the second range's indices are not known to
  // be the larger ones here); the second lists are freed.
  Value c0 = cIndex(b, loc, 0), c1 = cIndex(b, loc, 1);
  Value last = cIndex(b, loc, k - 1);
  scf::ForOp::create(
      b, loc, c0, cIndex(b, loc, k), c1, ValueRange{},
      [&](OpBuilder &sb, Location sl, Value s, ValueRange) {
        forEachLane(sb, sl, valueType.getDimSize(0), valueType.getDimSize(1),
                    [&](OpBuilder &lb, Value d, Value l) {
                      Value v = memref::LoadOp::create(lb, sl, second[2],
                                                       ValueRange{s, d, l});
                      Value i = memref::LoadOp::create(lb, sl, second[3],
                                                       ValueRange{s, d, l});
                      Value bar = memref::LoadOp::create(
                          lb, sl, first[2], ValueRange{last, d, l});
                      Value barIdx = memref::LoadOp::create(
                          lb, sl, first[3], ValueRange{last, d, l});
                      Value filled = arith::CmpIOp::create(
                          lb, sl, arith::CmpIPredicate::ne, i,
                          arith::ConstantOp::create(
                              lb, sl, lb.getIntegerAttr(i.getType(), -1)));
                      Value passes = arith::AndIOp::create(
                          lb, sl, filled,
                          better(lb, sl, v, i, bar, barIdx, /*isMin=*/true));
                      auto inner = scf::IfOp::create(lb, sl, passes,
                                                     /*withElseRegion=*/false);
                      OpBuilder tb = inner.getThenBodyBuilder();
                      insertIntoList(tb, sl, first, v, i, d, l);
                    });
        scf::YieldOp::create(sb, sl);
      });
  for (Value mem : second.drop_front(2))
    memref::DeallocOp::create(b, loc, mem);
  SmallVector<Value> merged = reloadBar(b, loc, first);
  merged.append(first.begin() + 2, first.end());
  return merged;
}

void Accumulator::writeListRows(OpBuilder &b, Location loc, ValueRange state,
                                ValueRange outs, Value row) const {
  // Output row row + l, column s * D + d: entry s of the list (d, l); an
  // empty entry is +inf with index -1.
  int64_t dims = valueType.getDimSize(0), lanes = valueType.getDimSize(1);
  Value c1 = cIndex(b, loc, 1);
  Value rows = memref::DimOp::create(b, loc, outs[0], 0);
  Value inf = arith::ConstantOp::create(
      b, loc, b.getFloatAttr(valueType.getElementType(), INFINITY));
  Value none = arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(idxType.getElementType(), -1));
  bool values = kind != ReductionKind::ArgKMin;
  bool indices = kind != ReductionKind::KMin;
  forEachLane(b, loc, dims, lanes, [&](OpBuilder &lb, Value d, Value l) {
    Value r = arith::AddIOp::create(lb, loc, row, l);
    auto inside = scf::IfOp::create(
        lb, loc, arith::CmpIOp::create(lb, loc, arith::CmpIPredicate::slt, r, rows),
        /*withElseRegion=*/false);
    OpBuilder ib = inside.getThenBodyBuilder();
    scf::ForOp::create(
        ib, loc, cIndex(ib, loc, 0), cIndex(ib, loc, k), c1, ValueRange{},
        [&](OpBuilder &sb, Location sl, Value s, ValueRange) {
          Value col = arith::AddIOp::create(
              sb, sl, arith::MulIOp::create(sb, sl, s, cIndex(sb, sl, dims)), d);
          Value i = memref::LoadOp::create(sb, sl, state[3], ValueRange{s, d, l});
          unsigned out = 0;
          if (values) {
            Value v = memref::LoadOp::create(sb, sl, state[2], ValueRange{s, d, l});
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
  for (Value mem : state.drop_front(2))
    memref::DeallocOp::create(b, loc, mem);
}
