//===- Differentiate.cpp - keops.reduce_grad to gradient reductions ------===//
//
// The gradient of a reduction is made of reductions again, so that nothing
// of size M x N is ever formed. For `out_i = R_j F(x_i, y_j, p)` and a
// cotangent e_i (the derivation is the same for a reduction over i):
//
//   d/dx_i = sum_j (dF/dx)^T c_ij   a reduction over j   (x indexed like out)
//   d/dy_j = sum_i (dF/dy)^T c_ij   a reduction over i   (y indexed by j)
//   d/dp   = sum_i sum_j (dF/dp)^T c_ij: per-row partial sums over j, then
//            a reduction of those rows
//
// where the per-pair cotangent c_ij of the formula's value depends on the
// reduction kind (ReductionRule below): e_i for a sum, e_i exp(F - out_i)
// for logsumexp (reusing the forward result), e_i restricted to the selected
// terms for min, max and K-min (through the forward's index outputs). The
// vector-Jacobian products themselves are `keops.grad` ops in the new
// formulas; keops-expand-grad turns them into formula ops with each op's
// derivative rule. Gradients with respect to several inputs that share an
// axis are packed into the columns of one reduction (one kernel per axis);
// the results are column slices of it.
//
//===----------------------------------------------------------------------===//

#include "keops/Transforms/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <numeric>

namespace mlir::keops {
#define GEN_PASS_DEF_KEOPSDIFFERENTIATE
#include "KeopsPasses.h.inc"
} // namespace mlir::keops

using namespace mlir;
using namespace mlir::keops;

namespace {

//===----------------------------------------------------------------------===//
// Formula helpers
//===----------------------------------------------------------------------===//

VectorType vecType(Value v) { return cast<VectorType>(v.getType()); }
int64_t dimOf(Value v) { return vecType(v).getDimSize(0); }

Value splat(OpBuilder &b, Location loc, VectorType type, double x) {
  return arith::ConstantOp::create(
      b, loc, type,
      DenseElementsAttr::get(
          type, ArrayRef<Attribute>{FloatAttr::get(type.getElementType(), x)}));
}

/// v (dimension 1) broadcast to dimension `dim`.
Value broadcastTo(OpBuilder &b, Location loc, Value v, int64_t dim) {
  if (dimOf(v) == dim)
    return v;
  return vector::BroadcastOp::create(
      b, loc, VectorType::get({dim}, vecType(v).getElementType()), v);
}

Value slice(OpBuilder &b, Location loc, Value v, int64_t offset,
            int64_t size) {
  if (offset == 0 && size == dimOf(v))
    return v;
  return vector::ExtractStridedSliceOp::create(b, loc, v, {offset}, {size},
                                               {1});
}

/// The values side by side, as one vector.
Value concat(OpBuilder &b, Location loc, ArrayRef<Value> values) {
  Value result = values.front();
  for (Value next : values.drop_front()) {
    SmallVector<int64_t> mask(dimOf(result) + dimOf(next));
    std::iota(mask.begin(), mask.end(), 0);
    result = vector::ShuffleOp::create(b, loc, result, next, mask);
  }
  return result;
}

/// The sizes of `v`'s leading `count` axes: static extents in `shape`,
/// tensor.dim ops for the dynamic ones in `dynamic`.
void leadingSizes(OpBuilder &b, Location loc, Value v, int64_t count,
                  SmallVectorImpl<int64_t> &shape,
                  SmallVectorImpl<Value> &dynamic) {
  auto type = cast<RankedTensorType>(v.getType());
  for (int64_t axis = 0; axis < count; ++axis) {
    shape.push_back(type.getDimSize(axis));
    if (type.isDynamicDim(axis))
      dynamic.push_back(tensor::DimOp::create(b, loc, v, axis));
  }
}

/// A tensor.empty with the shape of `like` but for its last extent, `last`,
/// and element type `elt`.
Value emptyLike(OpBuilder &b, Location loc, Value like, int64_t last,
                Type elt) {
  SmallVector<int64_t> shape;
  SmallVector<Value> dynamic;
  auto type = cast<RankedTensorType>(like.getType());
  leadingSizes(b, loc, like, type.getRank() - 1, shape, dynamic);
  shape.push_back(last);
  return tensor::EmptyOp::create(b, loc, shape, elt, dynamic);
}

//===----------------------------------------------------------------------===//
// Per-kind rules
//===----------------------------------------------------------------------===//

/// What a reduction kind contributes to its gradient: the forward arrays the
/// gradient formulas read (indexed like the output rows), and the cotangents
/// of the yielded values for one pair. The gradient formula of a variable v
/// is then sum_k grad(yield_k, v, cotangent_k), optionally masked.
struct ReductionRule {
  /// Arrays indexed like the forward output rows, read by the gradient
  /// formulas after the cotangent.
  SmallVector<Value> extraInputs;
  /// Builds the cotangents of the yielded values, given the block arguments
  /// of the cotangent and of the extra inputs.
  std::function<SmallVector<Value>(OpBuilder &, Location, ArrayRef<Value>
                                   /*yielded*/, Value /*cotangent*/,
                                   ArrayRef<Value> /*extras*/)>
      cotangents;
  /// Optionally restricts the gradient formula of one pair (min kinds: to
  /// the selected pairs, so that no other term can bring a NaN).
  std::function<Value(OpBuilder &, Location, Value /*gradient*/,
                      ArrayRef<Value> /*extras*/)>
      mask;
};

/// Whether the `extras` index vector selects the current pair in any
/// component: a formula value c >= 0 where it does, c < 0 elsewhere.
Value anySelected(OpBuilder &b, Location loc, Value idx, Axis axis,
                  Type elt) {
  auto type = VectorType::get({dimOf(idx)}, elt);
  Value hits = SelectIndexOp::create(b, loc, idx, splat(b, loc, type, 1.0),
                                     AxisAttr::get(b.getContext(), axis));
  // (Operands made in statements: their order in the IR does not depend on
  // the C++ compiler's order of evaluating arguments.)
  Value half = splat(b, loc, VectorType::get({1}, elt), 0.5);
  Value count = SumOp::create(b, loc, hits);
  return arith::SubFOp::create(b, loc, count, half);
}

/// A logsumexp reduction over the forward's formula, yielding its first value
/// only: the log of the softmax normalizer.
Value buildLogSumExp(OpBuilder &b, ReduceOp forward) {
  Location loc = forward.getLoc();
  Value init = emptyLike(
      b, loc, forward.getOuts()[0], 1,
      cast<RankedTensorType>(forward.getResult(0).getType()).getElementType());
  SmallVector<Category> categories;
  for (unsigned k = 0; k < forward.getIns().size(); ++k)
    categories.push_back(forward.getCategory(k));
  auto lse = ReduceOp::create(b, loc, ReductionKind::LogSumExp,
                              forward.getAxis(), forward.getIns(), categories,
                              ValueRange{init}, std::nullopt,
                              forward.getRanges());
  IRMapping map;
  Block &body = lse.getFormula().front();
  for (auto [from, to] : llvm::zip(forward.getFormula().getArguments(),
                                   body.getArguments()))
    map.map(from, to);
  OpBuilder inner = OpBuilder::atBlockEnd(&body);
  for (Operation &op : forward.getFormula().front().without_terminator())
    inner.clone(op, map);
  YieldOp::create(inner, loc,
                  ValueRange{map.lookup(forward.getYield().getValues()[0])});
  return lse.getResult(0);
}

/// `results`: the values of the forward's results (its own, or saved ones).
FailureOr<ReductionRule> ruleFor(OpBuilder &b, ReduceOp forward,
                                 ValueRange results, int64_t column,
                                 int64_t width) {
  ReductionRule rule;
  switch (forward.getKind()) {
  case ReductionKind::Sum:
    // A column slice of a sum is the sum of the sliced formula.
    rule.cotangents = [=](OpBuilder &b, Location loc, ArrayRef<Value> ys,
                          Value e, ArrayRef<Value>) -> SmallVector<Value> {
      return {slice(b, loc, ys[0], column, width), e};
    };
    return rule;

  case ReductionKind::LogSumExp:
    // out = log sum_j exp(f) [w]: d out / d f = exp(f - out) [w],
    // d out / d w = exp(f - out). The forward result is reused.
    rule.extraInputs.push_back(results[0]);
    rule.cotangents = [](OpBuilder &b, Location loc, ArrayRef<Value> ys,
                         Value e, ArrayRef<Value> ex) -> SmallVector<Value> {
      Value out = ex[0];
      Value f = broadcastTo(b, loc, ys[0], dimOf(out));
      Value s = arith::MulFOp::create(
          b, loc, e,
          math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, f, out)));
      if (ys.size() == 1)
        return {ys[0], s};
      Value cf = SumOp::create(b, loc, arith::MulFOp::create(b, loc, s, ys[1]));
      return {ys[0], cf, ys[1], s};
    };
    return rule;

  case ReductionKind::SumSoftmaxWeight: {
    // out = sum_j p_j v_j with p = softmax(f): d out = sum_j p_j (dv_j +
    // (v_j - out) df_j). p needs the normalizer, from one more reduction.
    rule.extraInputs.push_back(results[0]);
    rule.extraInputs.push_back(buildLogSumExp(b, forward));
    rule.cotangents = [](OpBuilder &b, Location loc, ArrayRef<Value> ys,
                         Value e, ArrayRef<Value> ex) -> SmallVector<Value> {
      Value out = ex[0], lse = ex[1];
      Value p =
          math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, ys[0], lse));
      Value pe = arith::MulFOp::create(b, loc, e, broadcastTo(b, loc, p, dimOf(e)));
      Value cf = SumOp::create(
          b, loc,
          arith::MulFOp::create(b, loc, pe,
                                arith::SubFOp::create(b, loc, ys[1], out)));
      return {ys[0], cf, ys[1], pe};
    };
    return rule;
  }

  case ReductionKind::MinArgMin:
  case ReductionKind::MaxArgMax:
  case ReductionKind::KMinArgKMin: {
    // Only the selected terms count: out_i = f(x_i, y_{idx_i}) component by
    // component (K blocks of components for kmin). The index output of the
    // forward reduction says which; the reduced index is compared with it.
    Axis axis = forward.getAxis();
    int64_t k = forward.getK() ? static_cast<int64_t>(*forward.getK()) : 1;
    rule.extraInputs.push_back(results[1]);
    rule.cotangents = [=](OpBuilder &b, Location loc, ArrayRef<Value> ys,
                          Value e, ArrayRef<Value> ex) -> SmallVector<Value> {
      Value selected = SelectIndexOp::create(b, loc, ex[0], e,
                                             AxisAttr::get(b.getContext(), axis));
      int64_t d = dimOf(ys[0]);
      Value cot = slice(b, loc, selected, 0, d);
      for (int64_t r = 1; r < k; ++r)
        cot = arith::AddFOp::create(b, loc, cot, slice(b, loc, selected, r * d, d));
      return {ys[0], cot};
    };
    rule.mask = [=](OpBuilder &b, Location loc, Value g,
                    ArrayRef<Value> ex) -> Value {
      Type elt = vecType(g).getElementType();
      Value c = broadcastTo(b, loc, anySelected(b, loc, ex[0], axis, elt),
                            dimOf(g));
      return IfElseOp::create(b, loc, c, g, splat(b, loc, vecType(g), 0.0));
    };
    return rule;
  }

  default:
    return failure();
  }
}

/// The variant of a min, max or kmin reduction that also writes indices,
/// replacing it: gradients go through the selected terms.
ReduceOp withIndices(ReduceOp op) {
  ReductionKind kind;
  switch (op.getKind()) {
  case ReductionKind::Min: kind = ReductionKind::MinArgMin; break;
  case ReductionKind::Max: kind = ReductionKind::MaxArgMax; break;
  case ReductionKind::KMin: kind = ReductionKind::KMinArgKMin; break;
  default: return op;
  }
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value values = op.getOuts()[0];
  auto type = cast<RankedTensorType>(values.getType());
  Value indices =
      emptyLike(b, loc, values, type.getShape().back(), b.getI64Type());
  SmallVector<Category> categories;
  for (unsigned k = 0; k < op.getIns().size(); ++k)
    categories.push_back(op.getCategory(k));
  std::optional<int64_t> k;
  if (op.getK())
    k = static_cast<int64_t>(*op.getK());
  auto replacement =
      ReduceOp::create(b, loc, kind, op.getAxis(), op.getIns(), categories,
                       ValueRange{values, indices}, k, op.getRanges());
  replacement.getFormula().takeBody(op.getFormula());
  op.getResult(0).replaceAllUsesWith(replacement.getResult(0));
  op.erase();
  return replacement;
}

//===----------------------------------------------------------------------===//
// The expansion of one keops.reduce_grad
//===----------------------------------------------------------------------===//

struct Differentiator {
  ReduceGradOp op;
  ReduceOp forward;
  int64_t column = 0;
  OpBuilder b;
  Location loc;
  ReductionRule rule;

  /// The cotangent of a parameter's gradient: a parameter input.
  bool paramCotangent = false;

  Differentiator(ReduceGradOp op)
      : op(op), b(op), loc(op.getLoc()) {
    std::tie(forward, column) = op.getForwardReduce();
    paramCotangent = op.isParameterGradient();
  }

  /// Number of rows of the arrays of category `cat`: a static extent or a
  /// tensor.dim of one of them (the axis after the batch axes).
  std::pair<int64_t, Value> rowsOf(Category cat) {
    int64_t axis = forward.getBatchRank();
    Value from;
    if (cat == forward.getKeptCategory()) {
      // The cotangent rather than the forward result, which may then die
      // (unless the cotangent is a parameter's: one vector for every row).
      from = paramCotangent ? forward.getResult(0) : op.getCotangent();
    } else {
      for (auto [k, in] : llvm::enumerate(forward.getIns()))
        if (forward.getCategory(k) == cat) {
          from = in;
          break;
        }
    }
    assert(from && "a reduction has variables of its reduced category");
    int64_t n = cast<RankedTensorType>(from.getType()).getDimSize(axis);
    return {n, ShapedType::isDynamic(n)
                   ? tensor::DimOp::create(b, loc, from, axis).getResult()
                   : Value()};
  }

  /// The output of a gradient reduction: the forward's batch axes, the rows
  /// of category `cat`, `width` columns.
  Value emptyRows(Category cat, int64_t width) {
    SmallVector<int64_t> shape;
    SmallVector<Value> dynamic;
    leadingSizes(b, loc, forward.getOuts()[0], forward.getBatchRank(), shape,
                 dynamic);
    auto [n, rows] = rowsOf(cat);
    shape.append({n, width});
    if (rows)
      dynamic.push_back(rows);
    Type elt = op.getCotangent().getType().getElementType();
    return tensor::EmptyOp::create(b, loc, shape, elt, dynamic);
  }

  /// A sum over `axis` whose formula yields, side by side, the gradients of
  /// the forward formula with respect to the inputs `positions`. Returns the
  /// packed result (rows x sum of their dimensions).
  Value gradientReduction(Axis axis, ArrayRef<int64_t> positions) {
    SmallVector<Value> ins(forward.getIns());
    SmallVector<Category> categories;
    for (unsigned k = 0; k < ins.size(); ++k)
      categories.push_back(forward.getCategory(k));
    Category kept = forward.getKeptCategory();
    ins.push_back(op.getCotangent());
    categories.push_back(paramCotangent ? Category::P : kept);
    for (Value extra : rule.extraInputs) {
      ins.push_back(extra);
      categories.push_back(kept);
    }
    int64_t width = 0;
    for (int64_t k : positions)
      width += dimOf(forward.getFormula().getArgument(k));
    Category rowsCategory = axis == Axis::J ? Category::I : Category::J;
    Value init = emptyRows(rowsCategory, width);
    // A block-sparse forward gives block-sparse gradients: the same six
    // ranges arrays, of which a reduction over the other axis reads the
    // other triple.
    auto reduce = ReduceOp::create(b, loc, ReductionKind::Sum, axis, ins,
                                   categories, ValueRange{init}, std::nullopt,
                                   forward.getRanges());

    Block &body = reduce.getFormula().front();
    IRMapping map;
    unsigned numVars = forward.getIns().size();
    for (unsigned k = 0; k < numVars; ++k)
      map.map(forward.getFormula().getArgument(k), body.getArgument(k));
    OpBuilder fb = OpBuilder::atBlockEnd(&body);
    for (Operation &o : forward.getFormula().front().without_terminator())
      fb.clone(o, map);
    SmallVector<Value> yielded = llvm::to_vector(llvm::map_range(
        forward.getYield().getValues(),
        [&](Value v) { return map.lookup(v); }));
    Value cotangent = body.getArgument(numVars);
    SmallVector<Value> extras(body.getArguments().drop_front(numVars + 1));
    // Pairs (value, cotangent of that value).
    SmallVector<Value> pairs = rule.cotangents(fb, loc, yielded, cotangent, extras);

    SmallVector<Value> grads;
    for (int64_t k : positions) {
      Value var = body.getArgument(k);
      Value g;
      for (unsigned p = 0; p < pairs.size(); p += 2) {
        Value term = GradOp::create(fb, loc, pairs[p], var, pairs[p + 1]);
        g = g ? arith::AddFOp::create(fb, loc, g, term).getResult() : term;
      }
      grads.push_back(g);
    }
    Value packed = concat(fb, loc, grads);
    if (rule.mask)
      packed = rule.mask(fb, loc, packed, extras);
    YieldOp::create(fb, loc, ValueRange{packed});
    return reduce.getResult(0);
  }

  /// Columns [offset, offset + size) of `packed`, as the gradient of an
  /// input of type `type`: every row (the one row, dropped, for a
  /// parameter), summed over the batch axes the input is broadcast along.
  Value columns(Value packed, int64_t offset, int64_t size, Type type) {
    auto packedType = cast<RankedTensorType>(packed.getType());
    auto want = cast<RankedTensorType>(type);
    int64_t rank = packedType.getRank();
    bool parameter = want.getRank() == rank - 1;
    Value s = packed;
    if (parameter || offset != 0 || size != packedType.getShape().back()) {
      SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
      SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
      SmallVector<OpFoldResult> sizes;
      offsets.back() = b.getIndexAttr(offset);
      for (int64_t axis = 0; axis + 1 < rank; ++axis)
        sizes.push_back(
            packedType.isDynamicDim(axis)
                ? OpFoldResult(
                      tensor::DimOp::create(b, loc, packed, axis).getResult())
                : OpFoldResult(b.getIndexAttr(packedType.getDimSize(axis))));
      sizes.push_back(b.getIndexAttr(size));
      SmallVector<int64_t> shape(packedType.getShape());
      shape.back() = size;
      if (parameter)
        shape.erase(shape.end() - 2);
      auto sliceType = RankedTensorType::get(shape, want.getElementType());
      s = tensor::ExtractSliceOp::create(b, loc, sliceType, packed, offsets,
                                         sizes, strides);
    }
    // The gradient of every batch element, then its sum over the axes the
    // input is broadcast along.
    SmallVector<int64_t> full(want.getShape());
    for (int64_t axis = 0; axis < forward.getBatchRank(); ++axis)
      if (want.getDimSize(axis) == 1 && packedType.getDimSize(axis) != 1)
        full[axis] = packedType.getDimSize(axis);
    auto fullType = RankedTensorType::get(full, want.getElementType());
    if (s.getType() != fullType)
      s = tensor::CastOp::create(b, loc, fullType, s);
    if (fullType != want)
      s = UnbroadcastOp::create(b, loc, want, s);
    return s;
  }

  /// Sums the rows of columns [offset, offset + width) of `partials`: a
  /// reduction over the axis that indexes them, with a single output row
  /// (per batch element).
  Value sumRows(Value partials, int64_t offset, int64_t width) {
    Category cat = forward.getKeptCategory();
    Axis axis = cat == Category::I ? Axis::I : Axis::J;
    Type elt = op.getCotangent().getType().getElementType();
    SmallVector<int64_t> shape;
    SmallVector<Value> dynamic;
    leadingSizes(b, loc, partials, forward.getBatchRank(), shape, dynamic);
    shape.append({1, width});
    Value init = tensor::EmptyOp::create(b, loc, shape, elt, dynamic);
    auto reduce = ReduceOp::create(b, loc, ReductionKind::Sum, axis,
                                   ValueRange{partials}, {cat},
                                   ValueRange{init});
    Block &body = reduce.getFormula().front();
    OpBuilder fb = OpBuilder::atBlockEnd(&body);
    YieldOp::create(fb, loc,
                    ValueRange{slice(fb, loc, body.getArgument(0), offset, width)});
    return reduce.getResult(0);
  }

  /// Zeros of the type of input `k`.
  Value zerosLike(int64_t k) {
    Value in = forward.getIns()[k];
    auto type = cast<RankedTensorType>(in.getType());
    SmallVector<Value> dyn;
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.isDynamicDim(d))
        dyn.push_back(tensor::DimOp::create(b, loc, in, d));
    Value zero = arith::ConstantOp::create(
        b, loc, type.getElementType(),
        FloatAttr::get(type.getElementType(), 0.0));
    return tensor::SplatOp::create(b, loc, zero, type, dyn);
  }

  LogicalResult run() {
    // A reduce_grad of a reduce_grad is verified once the inner one is
    // expanded, which program order guarantees by now.
    if (failed(op.verify()))
      return failure();
    ReductionKind kind = forward.getKind();
    if (kind == ReductionKind::ArgMin || kind == ReductionKind::ArgMax ||
        kind == ReductionKind::ArgKMin) {
      // Indices are piecewise constant: a zero gradient, and no kernel.
      for (auto [result, k] : llvm::zip(op.getGradients(), op.getWrt()))
        result.replaceAllUsesWith(zerosLike(k));
      op.erase();
      return success();
    }
    ReduceOp withIdx = withIndices(forward);
    // Saved results stand for the forward's own, unless the forward had to
    // be replaced by a variant with indices (which the saved ones lack).
    ValueRange results = withIdx == forward && !op.getSaved().empty()
                             ? ValueRange(op.getSaved())
                             : ValueRange(withIdx.getResults());
    forward = withIdx;
    FailureOr<ReductionRule> r = ruleFor(
        b, forward, results, column,
        cast<RankedTensorType>(op.getForward().getType()).getShape().back());
    if (failed(r))
      return op.emitOpError() << "has no gradient rule for reduction '"
                              << stringifyReductionKind(forward.getKind())
                              << "'";
    rule = std::move(*r);

    Category kept = forward.getKeptCategory();
    SmallVector<int64_t> keptVars, reducedVars, params;
    for (int64_t k : op.getWrt()) {
      Category c = forward.getCategory(k);
      (c == Category::P ? params : c == kept ? keptVars : reducedVars)
          .push_back(k);
    }
    auto dimOfInput = [&](int64_t k) {
      return cast<VectorType>(forward.getFormula().getArgument(k).getType())
          .getDimSize(0);
    };
    DenseMap<int64_t, Value> gradients;
    if (!keptVars.empty() || !params.empty()) {
      SmallVector<int64_t> packed(keptVars);
      packed.append(params);
      Value result = gradientReduction(forward.getAxis(), packed);
      int64_t offset = 0;
      for (int64_t k : keptVars) {
        gradients[k] = columns(result, offset, dimOfInput(k),
                               forward.getIns()[k].getType());
        offset += dimOfInput(k);
      }
      if (!params.empty()) {
        int64_t width = 0;
        for (int64_t k : params)
          width += dimOfInput(k);
        Value total = sumRows(result, offset, width);
        int64_t at = 0;
        for (int64_t k : params) {
          gradients[k] = columns(total, at, dimOfInput(k),
                                 forward.getIns()[k].getType());
          at += dimOfInput(k);
        }
      }
    }
    if (!reducedVars.empty()) {
      Axis other = forward.getAxis() == Axis::J ? Axis::I : Axis::J;
      Value result = gradientReduction(other, reducedVars);
      int64_t offset = 0;
      for (int64_t k : reducedVars) {
        gradients[k] = columns(result, offset, dimOfInput(k),
                               forward.getIns()[k].getType());
        offset += dimOfInput(k);
      }
    }
    for (auto [result, k] : llvm::zip(op.getGradients(), op.getWrt()))
      result.replaceAllUsesWith(gradients.lookup(k));
    op.erase();
    return success();
  }
};

struct KeopsDifferentiatePass
    : mlir::keops::impl::KeopsDifferentiateBase<KeopsDifferentiatePass> {
  void runOnOperation() override {
    // Program order: a reduce_grad of a gradient sees it expanded first.
    SmallVector<ReduceGradOp> grads;
    getOperation()->walk([&](ReduceGradOp g) { grads.push_back(g); });
    for (ReduceGradOp g : grads)
      if (failed(Differentiator(g).run()))
        return signalPassFailure();
  }
};

} // namespace
