//===- ReduceGradOp.cpp - keops.reduce_grad: verifier ---------------------===//
//
// The op only names what to differentiate; keops-differentiate
// (lib/Transforms/Differentiate.cpp) builds the gradient reductions.
//
//===----------------------------------------------------------------------===//

#include "keops/Dialect/Keops.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/SmallSet.h"

using namespace mlir;
using namespace mlir::keops;

/// Whether `slice` keeps every row (and every batch element) of its
/// source: offsets 0, strides 1 and, on every axis but the last, the
/// source's static extent or `tensor.dim` of the source on that axis.
static bool keepsAllRows(tensor::ExtractSliceOp slice) {
  int64_t rank = slice.getSourceType().getRank();
  if (rank < 2 || !slice.hasUnitStride())
    return false;
  for (int64_t axis = 0; axis + 1 < rank; ++axis) {
    if (slice.getStaticOffsets()[axis] != 0)
      return false;
    int64_t size = slice.getStaticSizes()[axis];
    if (!ShapedType::isDynamic(size)) {
      if (size != slice.getSourceType().getDimSize(axis))
        return false;
      continue;
    }
    Value dynamic = slice.getDynamicSize(axis);
    auto dim = dynamic.getDefiningOp<tensor::DimOp>();
    if (!dim || dim.getSource() != slice.getSource() ||
        dim.getConstantIndex() != axis)
      return false;
  }
  return true;
}

/// The reduction R and first column of a parameter's gradient as
/// keops-differentiate builds it: row 0 (a 1-D slice) of a one-row sum over
/// the rows of columns of R's output, R a sum.
static std::pair<ReduceOp, int64_t>
parameterGradientOrigin(tensor::ExtractSliceOp slice) {
  int64_t rank = slice.getSourceType().getRank();
  if (slice.getType().getRank() != rank - 1 || !keepsAllRows(slice) ||
      ShapedType::isDynamic(slice.getStaticOffsets()[rank - 1]))
    return {};
  auto rows = slice.getSource().getDefiningOp<ReduceOp>();
  if (!rows || rows.getKind() != ReductionKind::Sum ||
      rows.getIns().size() != 1 || rows.getResults().size() != 1 ||
      rows.getFormula().getArgument(0) == Value())
    return {};
  // Its formula: yield arg0, or yield a slice of arg0.
  Block &body = rows.getFormula().front();
  Value yielded = rows.getYield().getValues()[0];
  int64_t inner = 0;
  if (auto part = yielded.getDefiningOp<vector::ExtractStridedSliceOp>()) {
    if (part.getSource() != body.getArgument(0))
      return {};
    inner = cast<IntegerAttr>(part.getOffsets()[0]).getInt();
  } else if (yielded != body.getArgument(0)) {
    return {};
  }
  if (std::distance(body.begin(), body.end()) > 2)
    return {};
  auto partials = dyn_cast<OpResult>(rows.getIns()[0]);
  auto reduce = partials ? dyn_cast<ReduceOp>(partials.getOwner()) : ReduceOp();
  if (!reduce || partials.getResultNumber() != 0 ||
      reduce.getKind() != ReductionKind::Sum ||
      rows.getCategory(0) != reduce.getKeptCategory())
    return {};
  return {reduce, inner + slice.getStaticOffsets()[rank - 1]};
}

/// The value a gradient differentiates, seen through the sum over broadcast
/// batch axes and the cast that keops-differentiate puts after a gradient:
/// the cotangent of a broadcast input is read broadcast by the gradient
/// reductions, as the input was by the forward one.
static Value throughUnbroadcast(Value value) {
  if (auto sum = value.getDefiningOp<UnbroadcastOp>())
    value = sum.getInput();
  if (auto cast = value.getDefiningOp<tensor::CastOp>())
    value = cast.getSource();
  return value;
}

bool ReduceGradOp::isParameterGradient() {
  auto slice =
      throughUnbroadcast(getForward()).getDefiningOp<tensor::ExtractSliceOp>();
  return slice && parameterGradientOrigin(slice).first;
}

std::pair<ReduceOp, int64_t> ReduceGradOp::getForwardReduce() {
  Value value = throughUnbroadcast(getForward());
  int64_t column = 0;
  if (auto slice = value.getDefiningOp<tensor::ExtractSliceOp>()) {
    int64_t last = slice.getSourceType().getRank() - 1;
    if (slice.getType().getRank() == last)
      return parameterGradientOrigin(slice);
    if (!keepsAllRows(slice) ||
        ShapedType::isDynamic(slice.getStaticOffsets()[last]) ||
        ShapedType::isDynamic(slice.getStaticSizes()[last]))
      return {};
    column = slice.getStaticOffsets()[last];
    value = slice.getSource();
  }
  auto result = dyn_cast<OpResult>(value);
  auto reduce = result ? dyn_cast<ReduceOp>(result.getOwner()) : ReduceOp();
  if (!reduce || result.getResultNumber() != 0)
    return {};
  return {reduce, column};
}

LogicalResult ReduceGradOp::verify() {
  // The gradient of a gradient: checked once keops-differentiate has made
  // the inner one a reduction.
  if (getForward().getDefiningOp<ReduceGradOp>())
    return success();
  auto [reduce, column] = getForwardReduce();
  if (!reduce)
    return emitOpError()
           << "differentiates a value that is not the first result of a "
              "keops.reduce (or a slice of whole rows and fixed columns of "
              "one)";
  if (reduce.getPartial())
    return emitOpError() << "differentiates a partial reduction, whose "
                            "results are states; differentiate the whole "
                            "reduction";
  if (getForward() != reduce.getResult(0) &&
      reduce.getKind() != ReductionKind::Sum)
    return emitOpError() << "differentiates a column slice of a '"
                         << stringifyReductionKind(reduce.getKind())
                         << "' reduction; slices are supported for sum only";

  if (!getSaved().empty()) {
    if (getForward() != reduce.getResult(0))
      return emitOpError() << "has saved forward results, but differentiates "
                              "a slice of a reduction's result";
    if (getSaved().size() != reduce.getNumResults())
      return emitOpError() << "has " << getSaved().size()
                           << " saved forward results, but the reduction has "
                           << reduce.getNumResults();
    for (auto [k, saved, result] :
         llvm::enumerate(getSaved(), reduce.getResults()))
      if (saved.getType() != result.getType())
        return emitOpError() << "saved forward result #" << k << " has type "
                             << saved.getType() << ", the reduction's is "
                             << result.getType();
  }

  Type floatType =
      getElementTypeOrSelf(reduce.getYield().getValues()[0].getType());
  auto forwardType = cast<RankedTensorType>(getForward().getType());
  auto cotangentType = cast<RankedTensorType>(getCotangent().getType());
  if (cotangentType.getShape() != forwardType.getShape() ||
      cotangentType.getElementType() != floatType)
    return emitOpError() << "needs a cotangent of type "
                         << RankedTensorType::get(forwardType.getShape(),
                                                  floatType)
                         << " (the shape of the differentiated value, the "
                            "reduction's element type), got "
                         << cotangentType;

  ArrayRef<int64_t> wrt = getWrt();
  if (wrt.empty())
    return emitOpError() << "needs at least one input to differentiate with "
                            "respect to";
  if (wrt.size() != getGradients().size())
    return emitOpError() << "differentiates with respect to " << wrt.size()
                         << " inputs but has " << getGradients().size()
                         << " results";
  llvm::SmallSet<int64_t, 8> seen;
  int64_t numIns = reduce.getIns().size();
  for (auto [k, position] : llvm::enumerate(wrt)) {
    if (position < 0 || position >= numIns)
      return emitOpError() << "differentiates with respect to input #"
                           << position << ", but the reduction has "
                           << numIns << " inputs";
    if (!seen.insert(position).second)
      return emitOpError() << "lists input #" << position << " twice";
    Type inputType = reduce.getIns()[position].getType();
    if (getElementTypeOrSelf(inputType) != floatType)
      return emitOpError() << "cannot differentiate with respect to input #"
                           << position << " of type " << inputType
                           << ": only inputs of the element type "
                           << floatType << " have gradients";
    if (getGradients()[k].getType() != inputType)
      return emitOpError() << "result #" << k << " must have the type of input #"
                           << position << ", " << inputType << ", got "
                           << getGradients()[k].getType();
  }
  return success();
}
