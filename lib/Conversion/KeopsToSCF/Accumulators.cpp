//===- Accumulators.cpp - online states of the reduction kinds -----------===//

#include "keops/Conversion/Accumulators.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

#include "llvm/Support/MathExtras.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "llvm/ADT/StringSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::keops;

static bool isKKind(ReductionKind kind) { return ReduceOp::needsK(kind); }

Accumulator::Accumulator(ReductionKind kind, int64_t k, VectorType valueType,
                         VectorType weightType, Type indexType,
                         SumMode sumMode)
    : kind(kind), k(k), valueType(valueType), weightType(weightType),
      idxType(VectorType::get(valueType.getShape(), indexType)),
      sumMode(sumMode) {
  listInMemory = isKKind(kind) && k > (valueType.getRank() == 2
                                           ? kListInMemoryAbove
                                           : kGpuListInMemoryAbove);
}

/// The type of `v` for `lanes` rows side by side (unchanged for 0).
static VectorType withLanes(Value v, int64_t lanes) {
  auto type = cast<VectorType>(v.getType());
  return lanes ? VectorType::get({type.getDimSize(0), lanes},
                                 type.getElementType())
               : type;
}

/// The element type of `op`'s index outputs (or state arrays), i32 without
/// one.
static Type indexTypeOf(ReduceOp op) {
  SmallVector<OutputArray> layout = op.getOutputLayout();
  for (auto [index, out] : llvm::enumerate(op.getOuts()))
    if (layout[index].isIndex)
      return cast<ShapedType>(out.getType()).getElementType();
  return IntegerType::get(op.getContext(), 32);
}

Accumulator::Accumulator(ReduceOp op, SumMode sumMode, int64_t lanes)
    : Accumulator(
          op.getKind(), op.getK() ? int64_t(*op.getK()) : 1,
          withLanes(op.getYield().getValues()[0], lanes),
          op.getYield().getValues().size() == 2
              ? withLanes(op.getYield().getValues()[1], lanes)
              : VectorType(),
          indexTypeOf(op),
          sumMode == SumMode::F64 && op.getElementType().isF64()
              ? SumMode::Block
              : sumMode) {}

FailureOr<SumMode> mlir::keops::parseSumMode(StringRef name) {
  return llvm::StringSwitch<FailureOr<SumMode>>(name)
      .Case("plain", SumMode::Plain)
      .Case("block", SumMode::Block)
      .Case("kahan", SumMode::Kahan)
      .Case("f64", SumMode::F64)
      .Default(failure());
}

FailureOr<SumMode> mlir::keops::parseSumMode(StringRef name, Operation *op) {
  FailureOr<SumMode> mode = parseSumMode(name);
  if (failed(mode))
    op->emitError() << "unknown accumulation '" << name
                    << "'; expected plain, block, kahan or f64";
  return mode;
}

Value mlir::keops::reduceLanes(OpBuilder &b, Location loc, Value mask,
                               vector::CombiningKind kind) {
  auto type = cast<VectorType>(mask.getType());
  auto flat = VectorType::get({type.getNumElements()}, b.getI1Type());
  return vector::ReductionOp::create(
      b, loc, kind, vector::ShapeCastOp::create(b, loc, flat, mask));
}

static bool isMinKind(ReductionKind kind) {
  return kind == ReductionKind::Min || kind == ReductionKind::ArgMin ||
         kind == ReductionKind::MinArgMin || kind == ReductionKind::KMin ||
         kind == ReductionKind::ArgKMin || kind == ReductionKind::KMinArgKMin;
}

Value mlir::keops::splatVector(OpBuilder &b, Location loc, VectorType type,
                               double value) {
  auto attr = DenseElementsAttr::get(
      type, FloatAttr::get(type.getElementType(), value));
  return arith::ConstantOp::create(b, loc, type, attr);
}

Value Accumulator::splat(OpBuilder &b, Location loc, VectorType type,
                         double v) const {
  return splatVector(b, loc, type, v);
}

Value Accumulator::splatIndex(OpBuilder &b, Location loc, int64_t v) const {
  auto attr = DenseElementsAttr::get(
      idxType, IntegerAttr::get(idxType.getElementType(), v));
  return arith::ConstantOp::create(b, loc, idxType, attr);
}

SmallVector<Type> Accumulator::stateTypes() const {
  switch (kind) {
  case ReductionKind::Sum:
    if (sumMode == SumMode::F64)
      return {VectorType::get(valueType.getShape(), Float64Type::get(
                                                        valueType.getContext()))};
    if (sumMode == SumMode::Plain)
      return {valueType};
    return {valueType, valueType};
  case ReductionKind::LogSumExp:
    return {valueType, weightType ? weightType : valueType};
  case ReductionKind::SumSoftmaxWeight:
    return {valueType, valueType, weightType};
  default:
    break;
  }
  if (listInMemory) {
    // The K-th best value and index, then the lists and (CPU) a scratch
    // row.
    int64_t d = valueType.getDimSize(0), lanes = listLanes();
    Type elt = valueType.getElementType();
    // (The heaps hold the values' order keys: integers of their width.)
    Type key = IntegerType::get(elt.getContext(), elt.getIntOrFloatBitWidth());
    if (!lanes)
      return {valueType, idxType, MemRefType::get({k, d}, key),
              MemRefType::get({k, d}, idxType.getElementType())};
    return {valueType, idxType,
            MemRefType::get({k, d, lanes}, key),
            MemRefType::get({k, d, lanes}, idxType.getElementType()),
            MemRefType::get({d, lanes}, elt)};
  }
  int64_t slots = isKKind(kind) ? k : 1;
  SmallVector<Type> types(slots, valueType);
  types.append(slots, idxType);
  return types;
}

SmallVector<VectorType> Accumulator::storedStateTypes() const {
  if (listInMemory) {
    int64_t entries = k * valueType.getNumElements();
    return {VectorType::get({entries}, valueType.getElementType()),
            VectorType::get({entries}, idxType.getElementType())};
  }
  SmallVector<VectorType> types;
  for (Type t : stateTypes())
    types.push_back(cast<VectorType>(t));
  return types;
}

int64_t Accumulator::storedStateBytes() const {
  int64_t bytes = 0;
  for (VectorType t : storedStateTypes())
    bytes += t.getNumElements() * (t.getElementTypeBitWidth() / 8);
  return bytes;
}

void Accumulator::storeState(OpBuilder &b, Location loc, ValueRange state,
                             ValueRange mems, Value at) const {
  if (listInMemory)
    return storeList(b, loc, state, mems, at);
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  for (auto [value, mem] : llvm::zip(state, mems))
    vector::StoreOp::create(b, loc, value, mem, ValueRange{at, c0});
}

SmallVector<Value> Accumulator::loadState(OpBuilder &b, Location loc,
                                          ValueRange mems, Value at) const {
  if (listInMemory)
    return loadList(b, loc, mems, at);
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  SmallVector<Value> state;
  for (auto [mem, t] : llvm::zip(mems, stateTypes()))
    state.push_back(vector::LoadOp::create(b, loc, cast<VectorType>(t), mem,
                                           ValueRange{at, c0}));
  return state;
}

SmallVector<Value> Accumulator::init(OpBuilder &b, Location loc) const {
  SmallVector<Value> state;
  switch (kind) {
  case ReductionKind::Sum:
    for (Type t : stateTypes())
      state.push_back(splat(b, loc, cast<VectorType>(t), 0.0));
    return state;
  case ReductionKind::LogSumExp:
  case ReductionKind::SumSoftmaxWeight: {
    SmallVector<Type> types = stateTypes();
    state.push_back(splat(b, loc, valueType, -INFINITY));
    for (Type t : ArrayRef<Type>(types).drop_front())
      state.push_back(splat(b, loc, cast<VectorType>(t), 0.0));
    return state;
  }
  default:
    break;
  }
  if (listInMemory)
    return initList(b, loc);
  // Min/max kinds: every slot empty (value NaN, index -1).
  int64_t slots = isKKind(kind) ? k : 1;
  for (int64_t s = 0; s < slots; ++s)
    state.push_back(splat(b, loc, valueType, NAN));
  for (int64_t s = 0; s < slots; ++s)
    state.push_back(splatIndex(b, loc, -1));
  return state;
}

/// Whether (f, fIdx) comes before (cur, curIdx) in the order of a min (or
/// max): -inf < numbers < +inf < NaN for min (NaN last for max too), ties
/// to the smaller index, and anything before an empty slot (index -1).
/// Without `fIdx`, f is known to have the largest index so far.
Value Accumulator::better(OpBuilder &b, Location loc, Value f, Value fIdx,
                          Value cur, Value curIdx, bool isMin) const {
  using P = arith::CmpFPredicate;
  Value strict = arith::CmpFOp::create(b, loc, isMin ? P::OLT : P::OGT, f, cur);
  Value curNan = arith::CmpFOp::create(b, loc, P::UNO, cur, cur);
  Value fNum = arith::CmpFOp::create(b, loc, P::ORD, f, f);
  Value none =
      isa<VectorType>(curIdx.getType())
          ? splatIndex(b, loc, -1)
          : Value(arith::ConstantOp::create(
                b, loc, b.getIntegerAttr(curIdx.getType(), -1)));
  Value empty = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, curIdx,
                                      none);
  Value r = arith::OrIOp::create(
      b, loc, strict,
      arith::AndIOp::create(b, loc, curNan,
                            arith::OrIOp::create(b, loc, fNum, empty)));
  if (fIdx) {
    // Equal values (or two NaNs) are ordered by index.
    Value eq = arith::CmpFOp::create(b, loc, P::OEQ, f, cur);
    Value bothNan = arith::AndIOp::create(
        b, loc, curNan, arith::CmpFOp::create(b, loc, P::UNO, f, f));
    Value smaller = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                          fIdx, curIdx);
    Value tie = arith::AndIOp::create(
        b, loc, arith::OrIOp::create(b, loc, eq, bothNan), smaller);
    r = arith::OrIOp::create(b, loc, r, tie);
  }
  return r;
}

/// The reduced index as a vector of indices: `j` an index, the same in
/// every lane, or a vector<lanes x index>, one per lane (ReducedLanes).
static Value indexVector(OpBuilder &b, Location loc, Value j,
                         VectorType idxType) {
  Type elt = idxType.getElementType();
  if (auto lanes = dyn_cast<VectorType>(j.getType()))
    elt = VectorType::get(lanes.getShape(), elt);
  Value cast = arith::IndexCastOp::create(b, loc, elt, j);
  return vector::BroadcastOp::create(b, loc, idxType, cast);
}

SmallVector<Value> Accumulator::foldExtremum(OpBuilder &b, Location loc,
                                             ValueRange state, Value f,
                                             Value j, bool isMin) const {
  Value jv = indexVector(b, loc, j, idxType);
  Value take = better(b, loc, f, Value(), state[0], state[1], isMin);
  return {arith::SelectOp::create(b, loc, take, f, state[0]),
          arith::SelectOp::create(b, loc, take, jv, state[1])};
}

SmallVector<Value> Accumulator::insertKMin(OpBuilder &b, Location loc,
                                           ValueRange state, Value f,
                                           Value fIdx, Value filled) const {
  SmallVector<Value> vals(state.take_front(k)), idxs(state.drop_front(k));
  Value cv = f, ci = fIdx;
  for (int64_t s = 0; s < k; ++s) {
    Value take = better(b, loc, cv, ci, vals[s], idxs[s], /*isMin=*/true);
    if (filled)
      take = arith::AndIOp::create(b, loc, take, filled);
    Value nv = arith::SelectOp::create(b, loc, take, cv, vals[s]);
    Value ni = arith::SelectOp::create(b, loc, take, ci, idxs[s]);
    cv = arith::SelectOp::create(b, loc, take, vals[s], cv);
    ci = arith::SelectOp::create(b, loc, take, idxs[s], ci);
    vals[s] = nv;
    idxs[s] = ni;
  }
  vals.append(idxs);
  return vals;
}

SmallVector<Value> Accumulator::foldKMin(OpBuilder &b, Location loc,
                                         ValueRange state, Value f,
                                         Value j) const {
  Value jv = indexVector(b, loc, j, idxType);
  // Most values do not enter the K best: a value at least the last slot's
  // (both numbers) does not. Anything else (smaller, a NaN on either side:
  // an empty slot, a NaN value) takes the insertion, whose comparisons
  // (better) decide; one comparison a pair on the common path.
  Value maybe = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ULT, f,
                                      state[k - 1]);
  Value any = reduceLanes(b, loc, maybe, vector::CombiningKind::OR);
  auto ifOp = scf::IfOp::create(b, loc, TypeRange(ValueRange(state)), any,
                                /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    scf::YieldOp::create(b, loc, insertKMin(b, loc, state, f, jv));
    b.setInsertionPointToStart(ifOp.elseBlock());
    scf::YieldOp::create(b, loc, state);
  }
  return SmallVector<Value>(ifOp.getResults());
}

SmallVector<Value> Accumulator::rescaleSoftmax(OpBuilder &b, Location loc,
                                               ValueRange state, Value f,
                                               Value w) const {
  using P = arith::CmpFPredicate;
  // One exponential per term: e = exp(-|f - m|) rescales either the new
  // term (f <= m) or the running sums (f > m).
  Value m = state[0];
  Value gt = arith::CmpFOp::create(b, loc, P::OGT, f, m);
  Value eq = arith::CmpFOp::create(b, loc, P::OEQ, f, m);
  Value negInf = arith::CmpFOp::create(b, loc, P::OEQ, f,
                                       splat(b, loc, valueType, -INFINITY));
  Value d = arith::SubFOp::create(b, loc, f, m);
  Value e = math::ExpOp::create(
      b, loc, arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, d)));
  Value one = splat(b, loc, valueType, 1.0);
  e = arith::SelectOp::create(b, loc, eq, one, e);
  // A -inf term adds nothing (exp(-inf - (-inf)) would be NaN).
  Value c = arith::SelectOp::create(b, loc, negInf,
                                    splat(b, loc, valueType, 0.0), e);
  SmallVector<Value> next{arith::SelectOp::create(b, loc, gt, f, m)};

  auto unweighted = [&](Value s) -> Value {
    Value up = arith::AddFOp::create(b, loc,
                                     arith::MulFOp::create(b, loc, s, e), one);
    Value same = arith::AddFOp::create(b, loc, s, c);
    return arith::SelectOp::create(b, loc, gt, up, same);
  };
  auto weighted = [&](Value s, Value v) -> Value {
    auto wt = cast<VectorType>(v.getType());
    auto wmask = VectorType::get(wt.getShape(), b.getI1Type());
    Value ew = vector::BroadcastOp::create(b, loc, wt, e);
    Value cw = vector::BroadcastOp::create(b, loc, wt, c);
    Value gw = vector::BroadcastOp::create(b, loc, wmask, gt);
    Value up = arith::AddFOp::create(b, loc,
                                     arith::MulFOp::create(b, loc, s, ew), v);
    Value same = arith::AddFOp::create(b, loc, s,
                                       arith::MulFOp::create(b, loc, cw, v));
    return arith::SelectOp::create(b, loc, gw, up, same);
  };
  if (kind == ReductionKind::LogSumExp) {
    next.push_back(w ? weighted(state[1], w) : unweighted(state[1]));
  } else {
    next.push_back(unweighted(state[1]));
    next.push_back(weighted(state[2], w));
  }
  return next;
}

SmallVector<Value> Accumulator::foldSoftmax(OpBuilder &b, Location loc,
                                            ValueRange state, Value f,
                                            Value w) const {
  using P = arith::CmpFPredicate;
  // The running maximum changes rarely: in a random order of terms, the
  // n-th is a new maximum with probability 1/n. While every lane's term is
  // at most its maximum, f - m <= 0, the sums only add exp(f - m); the
  // general update, which rescales, runs in the other branch. (f - m is NaN
  // for f = m = +-inf and for a NaN term: those take the general update.)
  Value m = state[0];
  Value d = arith::SubFOp::create(b, loc, f, m);
  Value below = arith::CmpFOp::create(b, loc, P::OLE, d,
                                      splat(b, loc, valueType, 0.0));
  Value all = reduceLanes(b, loc, below, vector::CombiningKind::AND);
  auto ifOp = scf::IfOp::create(b, loc, TypeRange(ValueRange(state)), all,
                                /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  // d <= 0 here: the CPU's approximation can skip its overflow path.
  auto exp = math::ExpOp::create(b, loc, d);
  exp->setAttr("keops.nonpositive", b.getUnitAttr());
  Value e = exp;
  auto weighted = [&](Value s, Value v) -> Value {
    Value ew = vector::BroadcastOp::create(b, loc, v.getType(), e);
    return arith::AddFOp::create(b, loc, s,
                                 arith::MulFOp::create(b, loc, ew, v));
  };
  SmallVector<Value> next{m};
  if (kind == ReductionKind::LogSumExp) {
    next.push_back(w ? weighted(state[1], w)
                     : arith::AddFOp::create(b, loc, state[1], e).getResult());
  } else {
    next.push_back(arith::AddFOp::create(b, loc, state[1], e));
    next.push_back(weighted(state[2], w));
  }
  scf::YieldOp::create(b, loc, next);
  b.setInsertionPointToStart(ifOp.elseBlock());
  scf::YieldOp::create(b, loc, rescaleSoftmax(b, loc, state, f, w));
  return SmallVector<Value>(ifOp.getResults());
}

SmallVector<Value> Accumulator::fold(OpBuilder &b, Location loc,
                                     ValueRange state, Value f, Value w,
                                     Value j) const {
  switch (kind) {
  case ReductionKind::Sum:
    switch (sumMode) {
    case SumMode::Plain:
      return {arith::AddFOp::create(b, loc, state[0], f)};
    case SumMode::Block:
      return {state[0], arith::AddFOp::create(b, loc, state[1], f)};
    case SumMode::Kahan: {
      Value y = arith::SubFOp::create(b, loc, f, state[1]);
      Value t = arith::AddFOp::create(b, loc, state[0], y);
      Value c = arith::SubFOp::create(
          b, loc, arith::SubFOp::create(b, loc, t, state[0]), y);
      // Once the sum is infinite (or NaN) there is nothing to compensate:
      // inf - inf would turn it into NaN.
      Value finite = arith::CmpFOp::create(
          b, loc, arith::CmpFPredicate::OLT, math::AbsFOp::create(b, loc, t),
          splat(b, loc, valueType, INFINITY));
      c = arith::SelectOp::create(b, loc, finite, c,
                                  splat(b, loc, valueType, 0.0));
      return {t, c};
    }
    case SumMode::F64: {
      Value wide = arith::ExtFOp::create(b, loc, state[0].getType(), f);
      return {arith::AddFOp::create(b, loc, state[0], wide)};
    }
    }
    break;
  case ReductionKind::LogSumExp:
  case ReductionKind::SumSoftmaxWeight:
    return foldSoftmax(b, loc, state, f, w);
  case ReductionKind::KMin:
  case ReductionKind::ArgKMin:
  case ReductionKind::KMinArgKMin:
    if (listInMemory)
      return foldList(b, loc, state, f, j);
    return foldKMin(b, loc, state, f, j);
  default:
    break;
  }
  return foldExtremum(b, loc, state, f, j, isMinKind(kind));
}

SmallVector<Value> Accumulator::mergeSoftmax(OpBuilder &b, Location loc,
                                             ValueRange first,
                                             ValueRange second) const {
  // Both sums rescaled to the larger running maximum; an empty state
  // (maximum -inf) weighs 0, not exp(-inf - -inf) = NaN.
  Value m = arith::MaximumFOp::create(b, loc, first[0], second[0]);
  Value zero = splat(b, loc, valueType, 0.0);
  auto scale = [&](Value mi) -> Value {
    Value empty = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, mi,
                                        splat(b, loc, valueType, -INFINITY));
    Value e = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, mi, m));
    return arith::SelectOp::create(b, loc, empty, zero, e);
  };
  Value ea = scale(first[0]), eb = scale(second[0]);
  auto combine = [&](Value sa, Value sb) -> Value {
    auto type = cast<VectorType>(sa.getType());
    Value wa = ea, wb = eb;
    if (type != valueType) {
      wa = vector::BroadcastOp::create(b, loc, type, ea);
      wb = vector::BroadcastOp::create(b, loc, type, eb);
    }
    return arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, sa, wa),
                                 arith::MulFOp::create(b, loc, sb, wb));
  };
  SmallVector<Value> merged{m};
  for (size_t n = 1; n < first.size(); ++n)
    merged.push_back(combine(first[n], second[n]));
  return merged;
}

/// The K best of two sorted K-lists by a bitonic merge: the first list,
/// empty slots and the second list reversed form a bitonic sequence of 2P
/// entries (P, a power of two, at least K); a half-cleaner at distance P
/// leaves the P best in the lower half, bitonic again, which P/2, ..., 1
/// sort. Exchanges whose outputs no kept slot depends on, and those with a
/// padding entry (which never moves before a real one), are not emitted:
/// for K = 10, 31 exchanges where K insertions take 100 steps. The order is
/// `better`'s with indices (ties to the smaller index), empty slots
/// (index -1) last.
SmallVector<Value> Accumulator::mergeKMin(OpBuilder &b, Location loc,
                                          ValueRange first,
                                          ValueRange second) const {
  int64_t p = int64_t(llvm::PowerOf2Ceil(k));
  struct Entry {
    Value value, index;
  };
  std::vector<std::optional<Entry>> seq(2 * p);
  for (int64_t s = 0; s < k; ++s) {
    seq[s] = Entry{first[s], first[k + s]};
    seq[2 * p - 1 - s] = Entry{second[s], second[k + s]};
  }
  Value none = splatIndex(b, loc, -1);
  // Puts the better of positions lo < hi at lo.
  auto exchange = [&](int64_t lo, int64_t hi) {
    if (!seq[hi])
      return;
    if (!seq[lo]) {
      std::swap(seq[lo], seq[hi]);
      return;
    }
    Entry x = *seq[lo], y = *seq[hi];
    // Emptiness by index: the value of an empty slot of a merged (imported)
    // state need not be NaN, which `better` alone would rely on.
    Value yFilled =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, y.index, none);
    Value xEmpty =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x.index, none);
    Value yFirst = arith::AndIOp::create(
        b, loc, yFilled,
        arith::OrIOp::create(
            b, loc, xEmpty,
            better(b, loc, y.value, y.index, x.value, x.index, true)));
    auto pick = [&](Value a, Value c) {
      return arith::SelectOp::create(b, loc, yFirst, a, c).getResult();
    };
    seq[lo] = Entry{pick(y.value, x.value), pick(y.index, x.index)};
    seq[hi] = Entry{pick(x.value, y.value), pick(x.index, y.index)};
  };
  for (int64_t i = 0; i < p; ++i)
    exchange(i, i + p);
  // After distance d, entries move only within aligned blocks of d: an
  // exchange matters when its lower entry's block starts before slot K.
  for (int64_t d = p / 2; d >= 1; d /= 2)
    for (int64_t i = 0; i < p; ++i)
      if ((i & d) == 0 && i - i % d < k)
        exchange(i, i + d);
  SmallVector<Value> vals, idxs;
  for (int64_t s = 0; s < k; ++s) {
    vals.push_back(seq[s]->value);
    idxs.push_back(seq[s]->index);
  }
  vals.append(idxs);
  return vals;
}

SmallVector<Value> Accumulator::merge(OpBuilder &b, Location loc,
                                      ValueRange first,
                                      ValueRange second) const {
  switch (kind) {
  case ReductionKind::Sum:
    switch (sumMode) {
    case SumMode::Plain:
    case SumMode::F64:
      return {arith::AddFOp::create(b, loc, first[0], second[0])};
    case SumMode::Block: {
      Value a = arith::AddFOp::create(b, loc, first[0], first[1]);
      Value c = arith::AddFOp::create(b, loc, second[0], second[1]);
      return {arith::AddFOp::create(b, loc, a, c),
              splat(b, loc, valueType, 0.0)};
    }
    case SumMode::Kahan:
      // The second sum, compensated, is one more term of the first.
      return fold(b, loc, first,
                  arith::SubFOp::create(b, loc, second[0], second[1]), Value(),
                  Value());
    }
    break;
  case ReductionKind::LogSumExp:
  case ReductionKind::SumSoftmaxWeight:
    return mergeSoftmax(b, loc, first, second);
  case ReductionKind::KMin:
  case ReductionKind::ArgKMin:
  case ReductionKind::KMinArgKMin: {
    if (listInMemory)
      return mergeList(b, loc, first, second);
    return mergeKMin(b, loc, first, second);
  }
  default:
    break;
  }
  // One slot: the second range's pick wins if better, ties to the smaller
  // index (the ranges may come in any order: partial states); an empty
  // slot (index -1) never wins over a filled one.
  Value filled = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                       second[1], splatIndex(b, loc, -1));
  Value take = arith::AndIOp::create(
      b, loc, filled,
      better(b, loc, second[0], second[1], first[0], first[1],
             isMinKind(kind)));
  return {arith::SelectOp::create(b, loc, take, second[0], first[0]),
          arith::SelectOp::create(b, loc, take, second[1], first[1])};
}

SmallVector<Value> Accumulator::flushBlock(OpBuilder &b, Location loc,
                                           ValueRange state) const {
  return {arith::AddFOp::create(b, loc, state[0], state[1]),
          splat(b, loc, valueType, 0.0)};
}

FailureOr<SmallVector<Value>> Accumulator::reduceInBlocks(
    OpBuilder &b, Location loc, Value lb, Value ub, int64_t chunk,
    ValueRange start, int64_t groups,
    llvm::function_ref<FailureOr<SmallVector<Value>>(Value, Value, ValueRange)>
        reduce) const {
  Value width = arith::ConstantIndexOp::create(b, loc, chunk);
  auto chunks = scf::ForOp::create(b, loc, lb, ub, width, start);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(chunks.getBody());
  Value from = chunks.getInductionVar();
  Value to = arith::MinSIOp::create(
      b, loc, arith::AddIOp::create(b, loc, from, width), ub);
  FailureOr<SmallVector<Value>> partial =
      reduce(from, to, chunks.getRegionIterArgs());
  if (failed(partial))
    return failure();
  size_t size = partial->size() / groups;
  SmallVector<Value> flushed;
  for (int64_t g = 0; g < groups; ++g)
    llvm::append_range(
        flushed,
        flushBlock(b, loc, ArrayRef<Value>(*partial).slice(g * size, size)));
  scf::YieldOp::create(b, loc, flushed);
  return SmallVector<Value>(chunks.getResults());
}

SmallVector<Value> Accumulator::finalize(OpBuilder &b, Location loc,
                                         ValueRange state) const {
  switch (kind) {
  case ReductionKind::Sum:
    switch (sumMode) {
    case SumMode::Plain:
      return {state[0]};
    case SumMode::Block:
      return {arith::AddFOp::create(b, loc, state[0], state[1])};
    case SumMode::Kahan:
      return {arith::SubFOp::create(b, loc, state[0], state[1])};
    case SumMode::F64:
      return {arith::TruncFOp::create(b, loc, valueType, state[0])};
    }
    break;
  case ReductionKind::LogSumExp: {
    auto st = cast<VectorType>(state[1].getType());
    Value m = vector::BroadcastOp::create(b, loc, st, state[0]);
    return {arith::AddFOp::create(b, loc, m,
                                  math::LogOp::create(b, loc, state[1]))};
  }
  case ReductionKind::SumSoftmaxWeight: {
    Value s = vector::BroadcastOp::create(b, loc, weightType, state[1]);
    return {arith::DivFOp::create(b, loc, state[2], s)};
  }
  default:
    break;
  }
  assert(!listInMemory && "K-lists in memory are written by writeListRows");
  // Min/max kinds: empty slots hold +inf (-inf for max) and index -1.
  int64_t slots = isKKind(kind) ? k : 1;
  double emptyValue = isMinKind(kind) ? INFINITY : -INFINITY;
  SmallVector<Value> vals, idxs;
  for (int64_t s = 0; s < slots; ++s) {
    Value empty = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                        state[slots + s],
                                        splatIndex(b, loc, -1));
    vals.push_back(arith::SelectOp::create(
        b, loc, empty, splat(b, loc, valueType, emptyValue), state[s]));
    idxs.push_back(state[slots + s]);
  }
  auto concat = [&](ArrayRef<Value> parts, VectorType partType) -> Value {
    if (parts.size() == 1)
      return parts[0];
    SmallVector<int64_t> shape(partType.getShape());
    shape[0] *= parts.size();
    auto type = VectorType::get(shape, partType.getElementType());
    Value acc = arith::ConstantOp::create(b, loc, type, b.getZeroAttr(type));
    SmallVector<int64_t> strides(shape.size(), 1);
    for (auto [s, part] : llvm::enumerate(parts)) {
      SmallVector<int64_t> offsets(shape.size(), 0);
      offsets[0] = s * partType.getDimSize(0);
      acc = vector::InsertStridedSliceOp::create(b, loc, part, acc, offsets,
                                                 strides);
    }
    return acc;
  };
  Value values = concat(vals, valueType);
  Value indices = concat(idxs, idxType);
  switch (kind) {
  case ReductionKind::Min:
  case ReductionKind::Max:
  case ReductionKind::KMin:
    return {values};
  case ReductionKind::ArgMin:
  case ReductionKind::ArgMax:
  case ReductionKind::ArgKMin:
    return {indices};
  default:
    return {values, indices};
  }
}

Accumulator Accumulator::forLanes(int64_t lanes) const {
  auto shaped = [&](VectorType t) {
    return t ? VectorType::get({t.getDimSize(0), lanes}, t.getElementType())
             : t;
  };
  Accumulator a = *this;
  a.valueType = shaped(valueType);
  a.weightType = shaped(weightType);
  a.idxType = shaped(idxType);
  return a;
}

Accumulator Accumulator::stateAccumulator() const {
  Accumulator a = *this;
  switch (kind) {
  case ReductionKind::Min:
  case ReductionKind::ArgMin:
    a.kind = ReductionKind::MinArgMin;
    break;
  case ReductionKind::Max:
  case ReductionKind::ArgMax:
    a.kind = ReductionKind::MaxArgMax;
    break;
  case ReductionKind::KMin:
  case ReductionKind::ArgKMin:
    a.kind = ReductionKind::KMinArgKMin;
    break;
  default:
    break;
  }
  return a;
}

SmallVector<Value> Accumulator::exportState(OpBuilder &b, Location loc,
                                            ValueRange state) const {
  switch (kind) {
  case ReductionKind::Sum:
    return finalize(b, loc, state);
  case ReductionKind::LogSumExp:
  case ReductionKind::SumSoftmaxWeight:
    return SmallVector<Value>(state);
  default:
    // The selected values (+-inf where empty) and their indices.
    return stateAccumulator().finalize(b, loc, state);
  }
}

SmallVector<Value> Accumulator::importState(OpBuilder &b, Location loc,
                                            ValueRange mems, Value at) const {
  if (listInMemory)
    return loadList(b, loc, mems, at, /*sorted=*/true);
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  int64_t lanes = valueType.getRank() == 2 ? valueType.getDimSize(1) : 0;
  SmallVector<Value> arrays;
  for (Value mem : mems) {
    auto type = cast<MemRefType>(mem.getType());
    arrays.push_back(
        lanes ? readRows(b, loc, mem, at, lanes)
              : vector::LoadOp::create(
                    b, loc,
                    VectorType::get({type.getDimSize(1)}, type.getElementType()),
                    mem, ValueRange{at, c0}));
  }
  switch (kind) {
  case ReductionKind::Sum:
    switch (sumMode) {
    case SumMode::Plain:
      return arrays;
    case SumMode::Block:
    case SumMode::Kahan:
      return {arrays[0], splat(b, loc, valueType, 0.0)};
    case SumMode::F64:
      return {arith::ExtFOp::create(
          b, loc, cast<VectorType>(stateTypes()[0]), arrays[0])};
    }
    break;
  case ReductionKind::LogSumExp:
  case ReductionKind::SumSoftmaxWeight:
    return arrays;
  default:
    break;
  }
  // Slot s of the K-lists: components [s D, (s + 1) D) of both arrays.
  int64_t slots = isKKind(kind) ? k : 1, dims = valueType.getDimSize(0);
  SmallVector<Value> values, indices;
  for (int64_t s = 0; s < slots; ++s)
    for (auto [array, into] : {std::pair{arrays[0], &values},
                               std::pair{arrays[1], &indices}}) {
      if (slots == 1) {
        into->push_back(array);
        continue;
      }
      SmallVector<int64_t> offsets{s * dims}, sizes{dims}, strides{1};
      if (lanes) {
        offsets.push_back(0);
        sizes.push_back(lanes);
        strides.push_back(1);
      }
      into->push_back(vector::ExtractStridedSliceOp::create(
          b, loc, array, offsets, sizes, strides));
    }
  llvm::append_range(values, indices);
  return values;
}
