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

std::pair<ReduceOp, int64_t> ReduceGradOp::getForwardReduce() {
  Value value = getForward();
  if (auto cast = value.getDefiningOp<tensor::CastOp>())
    value = cast.getSource();
  int64_t column = 0;
  if (auto slice = value.getDefiningOp<tensor::ExtractSliceOp>()) {
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
