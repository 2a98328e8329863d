//===- StateOps.cpp - keops.merge_states, keops.finalize_states -----------===//
//
// The states of partial reductions (keops.reduce partial) as arrays: their
// layout per reduction kind is ReduceOp::getStateLayout; these verifiers
// check the arrays of the two ops that combine and finalize them against it.
//
//===----------------------------------------------------------------------===//

#include "keops/Dialect/Keops.h"

using namespace mlir;
using namespace mlir::keops;

namespace {

int64_t widthOf(Value v) {
  auto type = cast<MemRefType>(v.getType());
  return type.getRank() == 2 ? type.getDimSize(1) : ShapedType::kDynamic;
}

/// Checks that `arrays` (named `what`) are rows x width memrefs with one
/// row count and the widths and element kinds of `layout`: values of one
/// float type, indices of i32 or i64. Sets `valueType` and `indexType` to
/// those seen, or checks them when already set.
LogicalResult checkArrays(Operation *op, StringRef what, ValueRange arrays,
                          ArrayRef<OutputArray> layout, Type &valueType,
                          Type &indexType) {
  if (arrays.size() != layout.size())
    return op->emitOpError() << "needs " << layout.size() << " " << what
                             << " arrays for reduction '"
                             << stringifyReductionKind(
                                    op->getAttrOfType<ReductionKindAttr>(
                                          "kind")
                                        .getValue())
                             << "', got " << arrays.size();
  for (auto [index, array] : llvm::enumerate(arrays)) {
    auto type = cast<MemRefType>(array.getType());
    if (type.getRank() != 2)
      return op->emitOpError() << what << " array #" << index
                               << " must be a rows x width memref, got "
                               << type;
    if (type.getDimSize(1) != layout[index].width)
      return op->emitOpError() << what << " array #" << index << " must have "
                               << layout[index].width << " columns, got "
                               << type;
    Type elt = type.getElementType();
    Type &want = layout[index].isIndex ? indexType : valueType;
    bool ok = layout[index].isIndex
                  ? elt.isSignlessInteger(32) || elt.isSignlessInteger(64)
                  : elt.isF16() || elt.isF32() || elt.isF64();
    if (!ok || (want && elt != want))
      return op->emitOpError()
             << what << " array #" << index << " must hold "
             << (want ? "the same " : "")
             << (layout[index].isIndex ? "indices (i32 or i64)"
                                       : "values (f16, f32 or f64)")
             << (want ? " as the other arrays" : "") << ", got " << elt;
    want = elt;
    if (index > 0 && type.getDimSize(0) != cast<MemRefType>(
                                               arrays[0].getType())
                                               .getDimSize(0))
      return op->emitOpError() << what << " arrays must have one row count";
  }
  return success();
}

LogicalResult checkK(Operation *op, ReductionKind kind,
                     std::optional<uint64_t> k) {
  if (ReduceOp::needsK(kind) != k.has_value())
    return op->emitOpError() << "reduction '" << stringifyReductionKind(kind)
                             << (k ? "' takes no k" : "' needs the attribute k");
  if (k && (*k < 1 || *k > uint64_t(kMaxFormulaDim)))
    return op->emitOpError() << "needs k in [1, " << kMaxFormulaDim << "]";
  return success();
}

/// The verifier shared by both ops: `states` against the state layout of
/// the dimensions their widths give; the layout in `layout`.
LogicalResult verifyStates(Operation *op, ReductionKind kind,
                           std::optional<uint64_t> k, ValueRange states,
                           Type &valueType, Type &indexType,
                           std::pair<int64_t, int64_t> &dims) {
  if (failed(checkK(op, kind, k)))
    return failure();
  int64_t kk = k ? int64_t(*k) : 1;
  FailureOr<std::pair<int64_t, int64_t>> d =
      MergeStatesOp::stateDims(op, kind, kk, states);
  if (failed(d))
    return failure();
  dims = *d;
  return checkArrays(op, "state",
                     states,
                     ReduceOp::getStateLayout(kind, kk, d->first, d->second),
                     valueType, indexType);
}

} // namespace

FailureOr<std::pair<int64_t, int64_t>>
MergeStatesOp::stateDims(Operation *op, ReductionKind kind, int64_t k,
                         ValueRange states) {
  size_t want = ReduceOp::getStateLayout(kind, k, 1, 1).size();
  if (states.size() != want)
    return op->emitOpError() << "needs " << want
                             << " state arrays for reduction '"
                             << stringifyReductionKind(kind) << "', got "
                             << states.size();
  for (Value state : states)
    if (ShapedType::isDynamic(widthOf(state)))
      return op->emitOpError() << "needs state arrays of static widths (rows "
                                  "x width), got "
                               << state.getType();
  switch (kind) {
  case ReductionKind::Sum:
    return std::make_pair(widthOf(states[0]), int64_t(0));
  case ReductionKind::LogSumExp:
    return std::make_pair(int64_t(1), widthOf(states[1]));
  case ReductionKind::SumSoftmaxWeight:
    return std::make_pair(int64_t(1), widthOf(states[2]));
  default:
    break;
  }
  int64_t width = widthOf(states[0]);
  if (width % k != 0)
    return op->emitOpError() << "needs state arrays of K x D columns (K = "
                             << k << "), got " << width;
  return std::make_pair(width / k, int64_t(0));
}

FailureOr<std::pair<int64_t, int64_t>>
FinalizeStatesOp::stateDims(Operation *op, ReductionKind kind, int64_t k,
                            ValueRange states) {
  return MergeStatesOp::stateDims(op, kind, k, states);
}

LogicalResult MergeStatesOp::verify() {
  Type valueType, indexType;
  std::pair<int64_t, int64_t> dims;
  if (failed(verifyStates(*this, getKind(), getK(), getFirst(), valueType,
                          indexType, dims)))
    return failure();
  SmallVector<OutputArray> layout = ReduceOp::getStateLayout(
      getKind(), getK() ? int64_t(*getK()) : 1, dims.first, dims.second);
  if (failed(checkArrays(*this, "second state", getSecond(), layout,
                         valueType, indexType)) ||
      failed(checkArrays(*this, "merged state", getOuts(), layout, valueType,
                         indexType)))
    return failure();
  return success();
}

LogicalResult FinalizeStatesOp::verify() {
  Type valueType, indexType;
  std::pair<int64_t, int64_t> dims;
  if (failed(verifyStates(*this, getKind(), getK(), getIns(), valueType,
                          indexType, dims)))
    return failure();
  return checkArrays(*this, "output", getOuts(),
                     ReduceOp::getOutputLayout(getKind(),
                                               getK() ? int64_t(*getK()) : 1,
                                               dims.first, dims.second,
                                               /*partial=*/false),
                     valueType, indexType);
}
