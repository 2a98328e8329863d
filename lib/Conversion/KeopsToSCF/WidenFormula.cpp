//===- WidenFormula.cpp - formulas evaluated for several rows at once -----===//

#include "WidenFormula.h"

#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::keops;

Type mlir::keops::widen(Type t, int64_t lanes) {
  if (auto vt = dyn_cast<VectorType>(t))
    return VectorType::get({vt.getDimSize(0), lanes}, vt.getElementType());
  return VectorType::get({lanes}, t);
}

/// The neutral start of a vector.reduction without accumulator.
static FailureOr<double> neutralOf(vector::CombiningKind kind) {
  using K = vector::CombiningKind;
  switch (kind) {
  case K::ADD: return -0.0; // x + -0 is x for every x, -0 included.
  case K::MUL: return 1.0;
  case K::MAXIMUMF: return -INFINITY;
  case K::MINIMUMF: return INFINITY;
  case K::MAXNUMF:
  case K::MINNUMF: return NAN;
  default: return failure();
  }
}

/// keops.select_index on widened values: the compared index as a
/// vector<D x lanes x iN> (the same index in every lane, or consecutive
/// ones: the kept rows', or the reduced indices of ReducedLanes), compared
/// with the widened indices, selecting v or +0.
static Value lowerSelectIndex(OpBuilder &b, SelectIndexOp op, Value idx, Value v,
                       const PairIndices &at, int64_t lanes) {
  Location loc = op.getLoc();
  auto idxType = cast<VectorType>(idx.getType());
  Type intType = idxType.getElementType();
  auto reduce = cast<ReduceOp>(op->getParentOp());
  bool reducedAxis = op.getComparedAxis() == reduce.getAxis();
  Value start = reducedAxis ? at.reduced : at.keptStart;
  Value current;
  if (reducedAxis != at.reducedLanes) {
    Value scalar = arith::IndexCastOp::create(b, loc, intType, start);
    current = vector::BroadcastOp::create(b, loc, idxType, scalar);
  } else {
    auto laneType = VectorType::get({lanes}, intType);
    SmallVector<Attribute> steps;
    for (int64_t l = 0; l < lanes; ++l)
      steps.push_back(IntegerAttr::get(intType, l));
    Value iota = arith::ConstantOp::create(
        b, loc, laneType, DenseElementsAttr::get(laneType, steps));
    Value first = vector::BroadcastOp::create(
        b, loc, laneType, arith::IndexCastOp::create(b, loc, intType, start));
    Value indices = arith::AddIOp::create(b, loc, first, iota);
    current = vector::BroadcastOp::create(b, loc, idxType, indices);
  }
  Value same = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, idx,
                                     current);
  auto vType = cast<VectorType>(v.getType());
  Value zero = arith::ConstantOp::create(
      b, loc, vType,
      DenseElementsAttr::get(vType, FloatAttr::get(vType.getElementType(), 0.0)));
  return arith::SelectOp::create(b, loc, same, v, zero);
}

LogicalResult mlir::keops::widenOp(OpBuilder &b, Operation *op, IRMapping &map,
                      int64_t lanes, const PairIndices &at) {
  Location loc = op->getLoc();
  auto mapped = [&](Value v) { return map.lookup(v); };
  auto result = [&](Value wide) {
    map.map(op->getResult(0), wide);
    return success();
  };
  Type wideType =
      op->getNumResults() ? widen(op->getResult(0).getType(), lanes) : Type();

  if (auto c = dyn_cast<arith::ConstantOp>(op)) {
    auto type = cast<ShapedType>(wideType);
    if (auto dense = dyn_cast<DenseElementsAttr>(c.getValue())) {
      if (dense.isSplat())
        return result(arith::ConstantOp::create(
            b, loc, type,
            DenseElementsAttr::get(type, dense.getSplatValue<Attribute>())));
      SmallVector<Attribute> values;
      for (Attribute a : dense.getValues<Attribute>())
        values.append(lanes, a);
      return result(arith::ConstantOp::create(
          b, loc, type, DenseElementsAttr::get(type, values)));
    }
    return result(arith::ConstantOp::create(
        b, loc, type, DenseElementsAttr::get(type, c.getValue())));
  }
  if (auto red = dyn_cast<vector::ReductionOp>(op)) {
    Value acc = red.getAcc() ? mapped(red.getAcc()) : Value();
    if (!acc) {
      FailureOr<double> neutral = neutralOf(red.getKind());
      if (failed(neutral))
        return op->emitOpError() << "has a combining kind that the CPU "
                                    "lowering does not handle";
      auto type = cast<VectorType>(wideType);
      acc = arith::ConstantOp::create(
          b, loc, type,
          DenseElementsAttr::get(
              type, FloatAttr::get(type.getElementType(), *neutral)));
    }
    return result(vector::MultiDimReductionOp::create(
        b, loc, mapped(red.getVector()), acc, ArrayRef<bool>{true, false},
        red.getKind()));
  }
  if (auto ext = dyn_cast<vector::ExtractOp>(op)) {
    if (!ext.getDynamicPosition().empty())
      return op->emitOpError() << "needs a static position";
    return result(vector::ExtractOp::create(b, loc, mapped(ext.getSource()),
                                            ext.getStaticPosition()));
  }
  if (auto ins = dyn_cast<vector::InsertOp>(op)) {
    if (!ins.getDynamicPosition().empty())
      return op->emitOpError() << "needs a static position";
    return result(vector::InsertOp::create(b, loc, mapped(ins.getValueToStore()),
                                           mapped(ins.getDest()),
                                           ins.getStaticPosition()));
  }
  if (auto from = dyn_cast<vector::FromElementsOp>(op)) {
    auto type = cast<VectorType>(wideType);
    Value acc = arith::ConstantOp::create(b, loc, type, b.getZeroAttr(type));
    for (auto [k, e] : llvm::enumerate(from.getElements()))
      acc = vector::InsertOp::create(b, loc, mapped(e), acc,
                                     ArrayRef<int64_t>{int64_t(k)});
    return result(acc);
  }
  if (auto sel = dyn_cast<SelectIndexOp>(op))
    return result(lowerSelectIndex(b, sel, mapped(sel.getIdx()),
                                   mapped(sel.getV()), at, lanes));
  if (auto gram = dyn_cast<GramOp>(op)) {
    // An entry left out of the tiles (GramTiles): the dot product of the
    // widened operands.
    Value product = arith::MulFOp::create(b, loc, mapped(gram.getLhs()),
                                          mapped(gram.getRhs()));
    auto laneType = VectorType::get({lanes}, gram.getType().getElementType());
    Value zero = arith::ConstantOp::create(b, loc, laneType,
                                           b.getZeroAttr(laneType));
    Value sum = vector::MultiDimReductionOp::create(
        b, loc, product, zero, ArrayRef<bool>{true, false},
        vector::CombiningKind::ADD);
    return result(vector::ShapeCastOp::create(b, loc, wideType, sum));
  }
  if (auto bc = dyn_cast<vector::BroadcastOp>(op))
    return result(vector::BroadcastOp::create(b, loc, wideType,
                                              mapped(bc.getSource())));
  if (auto slice = dyn_cast<vector::ExtractStridedSliceOp>(op)) {
    auto first = [](ArrayAttr a) {
      return SmallVector<int64_t>{cast<IntegerAttr>(a[0]).getInt()};
    };
    return result(vector::ExtractStridedSliceOp::create(
        b, loc, mapped(slice.getSource()), first(slice.getOffsets()),
        first(slice.getSizes()), first(slice.getStrides())));
  }
  if (auto shuffle = dyn_cast<vector::ShuffleOp>(op))
    return result(vector::ShuffleOp::create(b, loc, mapped(shuffle.getV1()),
                                            mapped(shuffle.getV2()),
                                            shuffle.getMask()));
  if (auto sel = dyn_cast<arith::SelectOp>(op)) {
    Value cond = mapped(sel.getCondition());
    if (!isa<VectorType>(sel.getCondition().getType()) &&
        isa<VectorType>(sel.getType())) {
      auto wt = cast<VectorType>(wideType);
      cond = vector::BroadcastOp::create(
          b, loc, VectorType::get(wt.getShape(), b.getI1Type()), cond);
    }
    return result(arith::SelectOp::create(b, loc, cond,
                                          mapped(sel.getTrueValue()),
                                          mapped(sel.getFalseValue())));
  }
  // Pointwise arith, math and vector.fma ops: the same op on wider vectors.
  if (isa<arith::ArithDialect, math::MathDialect>(op->getDialect()) ||
      isa<vector::FMAOp>(op)) {
    Operation *clone = b.clone(*op, map);
    for (OpResult r : clone->getResults())
      r.setType(widen(r.getType(), lanes));
    return success();
  }
  return op->emitOpError()
         << "cannot be lowered to CPU loops; expand keops formula ops "
            "(-keops-expand-formulas) and keops.grad first";
}

LogicalResult mlir::keops::hoistFormula(OpBuilder &b, ReduceOp reduce,
                                       ArrayRef<Value> vars, int64_t lanes,
                                       ReduceOp::Invariance level,
                                       IRMapping &map,
                                       llvm::function_ref<bool(Operation *)> wanted) {
  Block &body = reduce.getFormula().front();
  for (auto [arg, v] : llvm::zip(body.getArguments(), vars))
    if (v)
      map.map(arg, v);
  auto invariance = reduce.getInvariance();
  for (Operation &op : body.without_terminator())
    if (invariance.lookup(&op) <= level && !map.contains(op.getResult(0)) &&
        (!wanted || wanted(&op)) &&
        failed(widenOp(b, &op, map, lanes, PairIndices{})))
      return failure();
  return success();
}

Value ColumnValues::wideOf(OpBuilder &b, Location loc, Value v,
                           int64_t lanes) {
  Value &w = wide[v];
  if (w)
    return w;
  Value n = narrow.lookup(v);
  auto type = dyn_cast<VectorType>(n.getType());
  if (!type)
    return w = vector::BroadcastOp::create(b, loc, widen(n.getType(), lanes),
                                           n);
  Value column = vector::ShapeCastOp::create(
      b, loc, VectorType::get({type.getDimSize(0), 1}, type.getElementType()),
      n);
  return w = vector::BroadcastOp::create(b, loc, widen(type, lanes), column);
}

void mlir::keops::mapVariableRows(OpBuilder &b, Location loc, ReduceOp reduce,
                                  Category cat, ArrayRef<Value> ins, Value row,
                                  IRMapping &map) {
  Block &body = reduce.getFormula().front();
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  for (auto [index, in] : llvm::enumerate(ins))
    if (in && reduce.getCategory(index) == cat)
      map.map(body.getArgument(index),
              vector::LoadOp::create(
                  b, loc, cast<VectorType>(body.getArgument(index).getType()),
                  in, ValueRange{row, c0}));
}

// Narrow values are those of one row or column of a long feature axis, so
// their feature-axis sums may be reassociated: summed as a tree rather than in the interpreter's order,
/// they are no latency chain of D additions for every reduced index, and
/// their rounding error grows as log D instead of D.
void mlir::keops::cloneAtWidth(OpBuilder &b, Operation &op,
                               IRMapping &narrow) {
  Operation *clone = b.clone(op, narrow);
  if (auto sum = dyn_cast<vector::ReductionOp>(clone);
      sum && sum.getKind() == vector::CombiningKind::ADD)
    sum.setFastmathAttr(arith::FastMathFlagsAttr::get(
        b.getContext(), sum.getFastmath() | arith::FastMathFlags::reassoc));
}

void mlir::keops::cloneNarrow(OpBuilder &b, ReduceOp reduce,
                              const llvm::DenseMap<Value, unsigned> &sides,
                              unsigned wanted, IRMapping &narrow) {
  for (Operation &op : reduce.getFormula().front().without_terminator())
    if (op.getNumResults() && sides.lookup(op.getResult(0)) == wanted &&
        !narrow.contains(op.getResult(0)))
      cloneAtWidth(b, op, narrow);
}

FailureOr<SmallVector<Value>>
mlir::keops::widenFormula(OpBuilder &b, ReduceOp reduce, ArrayRef<Value> vars,
                          int64_t lanes, const PairIndices &at,
                          const IRMapping &hoisted, ColumnValues &column,
                          const llvm::DenseMap<Value, unsigned> &sides,
                          ArrayRef<Value> also, bool withYield) {
  Block &body = reduce.getFormula().front();
  SmallVector<Value> wanted;
  if (withYield)
    llvm::append_range(wanted, reduce.getYield().getValues());
  llvm::append_range(wanted, also);
  // The ops the wanted values need.
  llvm::DenseSet<Operation *> needed;
  for (SmallVector<Value> work(wanted); !work.empty();) {
    Operation *def = work.pop_back_val().getDefiningOp();
    if (def && needed.insert(def).second)
      llvm::append_range(work, def->getOperands());
  }
  IRMapping map = hoisted;
  for (auto [arg, v] : llvm::zip(body.getArguments(), vars))
    if (v)
      map.map(arg, v);
  auto get = [&](Value v) {
    if (!map.contains(v) && column.narrow.contains(v))
      map.map(v, column.wideOf(b, v.getLoc(), v, lanes));
  };
  for (Operation &op : body.without_terminator()) {
    // Ops of one side only are the hoisted and column values (or feed only
    // the row values).
    if (map.contains(op.getResult(0)) || !needed.contains(&op) ||
        sides.lookup(op.getResult(0)) !=
            (ReduceOp::KeptSide | ReduceOp::ReducedSide))
      continue;
    for (Value x : op.getOperands())
      get(x);
    if (failed(widenOp(b, &op, map, lanes, at)))
      return failure();
  }
  SmallVector<Value> out;
  for (Value v : wanted) {
    get(v);
    out.push_back(map.lookup(v));
  }
  return out;
}

