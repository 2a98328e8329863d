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

/// Whether `slice` keeps every row of its source: offset 0, stride 1 and a
/// row count that is the source's static extent or `tensor.dim %source, 0`.
static bool keepsAllRows(tensor::ExtractSliceOp slice) {
  if (slice.getSourceType().getRank() != 2 || !slice.hasUnitStride() ||
      slice.getStaticOffsets()[0] != 0)
    return false;
  int64_t rows = slice.getStaticSizes()[0];
  if (!ShapedType::isDynamic(rows))
    return rows == slice.getSourceType().getDimSize(0);
  auto dim = slice.getSizes()[0].getDefiningOp<tensor::DimOp>();
  std::optional<int64_t> index = dim ? dim.getConstantIndex() : std::nullopt;
  return dim && dim.getSource() == slice.getSource() && index == 0;
}

/// The reduction R and first column of a parameter's gradient as
/// keops-differentiate builds it: row 0 (a 1-D slice) of a one-row sum over
/// the rows of columns of R's output, R a sum.
static std::pair<ReduceOp, int64_t>
parameterGradientOrigin(tensor::ExtractSliceOp slice) {
  if (slice.getType().getRank() != 1 || !slice.hasUnitStride() ||
      ShapedType::isDynamic(slice.getStaticOffsets()[1]) ||
      slice.getStaticOffsets()[0] != 0)
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
  return {reduce, inner + slice.getStaticOffsets()[1]};
}

bool ReduceGradOp::isParameterGradient() {
  auto slice = getForward().getDefiningOp<tensor::ExtractSliceOp>();
  return slice && parameterGradientOrigin(slice).first;
}

std::pair<ReduceOp, int64_t> ReduceGradOp::getForwardReduce() {
  Value value = getForward();
  if (auto cast = value.getDefiningOp<tensor::CastOp>())
    value = cast.getSource();
  int64_t column = 0;
  if (auto slice = value.getDefiningOp<tensor::ExtractSliceOp>()) {
    if (slice.getType().getRank() == 1)
      return parameterGradientOrigin(slice);
    if (!keepsAllRows(slice) ||
        ShapedType::isDynamic(slice.getStaticOffsets()[1]) ||
        ShapedType::isDynamic(slice.getStaticSizes()[1]))
      return {};
    column = slice.getStaticOffsets()[1];
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
  if (getForward() != reduce.getResult(0) &&
      reduce.getKind() != ReductionKind::Sum)
    return emitOpError() << "differentiates a column slice of a '"
                         << stringifyReductionKind(reduce.getKind())
                         << "' reduction; slices are supported for sum only";

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
