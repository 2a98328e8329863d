//===- KeopsOps.cpp - keops formula ops: result types and verifiers ------===//
//
// Result types of the formula ops are inferred from their operands; the
// inference functions are also where dimension mismatches are reported.
//
//===----------------------------------------------------------------------===//

#include "keops/Dialect/Keops.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/SmallBitVector.h"

using namespace mlir;
using namespace mlir::keops;

static VectorType formulaType(Value v) { return cast<VectorType>(v.getType()); }

static VectorType withDim(Value like, int64_t dim) {
  return VectorType::get({dim}, formulaType(like).getElementType());
}

static int64_t product(ArrayRef<int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims)
    p *= d;
  return p;
}

//===----------------------------------------------------------------------===//
// Ops with a result of dimension 1
//===----------------------------------------------------------------------===//

#define KEOPS_INFER_SCALAR(OP, OPERAND)                                        \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location>,   \
                                     OP::Adaptor adaptor,                      \
                                     SmallVectorImpl<Type> &types) {           \
    types.push_back(withDim(adaptor.OPERAND(), 1));                            \
    return success();                                                          \
  }

KEOPS_INFER_SCALAR(SumOp, getX)
KEOPS_INFER_SCALAR(MaxOp, getX)
KEOPS_INFER_SCALAR(MinOp, getX)
KEOPS_INFER_SCALAR(ArgMaxOp, getX)
KEOPS_INFER_SCALAR(ArgMinOp, getX)
KEOPS_INFER_SCALAR(SqNorm2Op, getX)
KEOPS_INFER_SCALAR(Norm2Op, getX)
KEOPS_INFER_SCALAR(DotOp, getLhs)
KEOPS_INFER_SCALAR(GramOp, getLhs)
KEOPS_INFER_SCALAR(SqDistOp, getLhs)
#undef KEOPS_INFER_SCALAR

/// A weight for a D-dimensional vector has dimension 1, D or D*D.
static LogicalResult checkWeight(std::optional<Location> loc, Value weight,
                                 Value x) {
  int64_t w = formulaDim(weight), d = formulaDim(x);
  if (d > kMaxFormulaDim)
    return emitOptionalError(loc, "weighted norms take vectors of dimension "
                                  "at most ",
                             kMaxFormulaDim);
  if (formulaType(weight).getElementType() != formulaType(x).getElementType())
    return emitOptionalError(loc, "the weight and the vector must have the "
                                  "same element type");
  if (w != 1 && w != d && w != d * d)
    return emitOptionalError(
        loc, "a weight for a vector of dimension ", d,
        " must have dimension 1 (isotropic), ", d, " (diagonal) or ", d * d,
        " (full matrix), got ", w);
  return success();
}

LogicalResult
WeightedSqNormOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                   Adaptor adaptor,
                                   SmallVectorImpl<Type> &types) {
  if (failed(checkWeight(loc, adaptor.getWeight(), adaptor.getX())))
    return failure();
  types.push_back(withDim(adaptor.getX(), 1));
  return success();
}

LogicalResult
WeightedSqDistOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                   Adaptor adaptor,
                                   SmallVectorImpl<Type> &types) {
  if (failed(checkWeight(loc, adaptor.getWeight(), adaptor.getX())))
    return failure();
  types.push_back(withDim(adaptor.getX(), 1));
  return success();
}

//===----------------------------------------------------------------------===//
// Complex ops with a result of another dimension
//===----------------------------------------------------------------------===//

/// The number of complex components of `x` (pairs of reals).
static FailureOr<int64_t> complexDim(std::optional<Location> loc,
                                     StringRef name, Value x) {
  int64_t d = formulaDim(x);
  if (d % 2 != 0)
    return emitOptionalError(loc, name, " takes (real, imaginary) pairs: a "
                                        "vector of even dimension, got ",
                             d);
  return d / 2;
}

#define KEOPS_INFER_COMPLEX(OP, NAME, DIM)                                     \
  LogicalResult OP::inferReturnTypes(MLIRContext *,                            \
                                     std::optional<Location> loc,              \
                                     OP::Adaptor adaptor,                      \
                                     SmallVectorImpl<Type> &types) {           \
    FailureOr<int64_t> d = complexDim(loc, NAME, adaptor.getX());              \
    if (failed(d))                                                             \
      return failure();                                                        \
    types.push_back(withDim(adaptor.getX(), DIM));                             \
    return success();                                                          \
  }
KEOPS_INFER_COMPLEX(ComplexAbsOp, "cabs", *d)
KEOPS_INFER_COMPLEX(ComplexAngleOp, "cangle", *d)
KEOPS_INFER_COMPLEX(ComplexSumOp, "csum", 2)
#undef KEOPS_INFER_COMPLEX

//===----------------------------------------------------------------------===//
// Shape-changing ops
//===----------------------------------------------------------------------===//

LogicalResult OneHotOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  if (formulaDim(adaptor.getX()) != 1)
    return emitOptionalError(loc, "one_hot encodes a scalar (dimension 1), "
                                  "got dimension ",
                             formulaDim(adaptor.getX()));
  int64_t dim = static_cast<int64_t>(adaptor.getDim());
  if (dim < 1 || dim > kMaxFormulaDim)
    return emitOptionalError(loc, "one_hot needs a dimension in [1, ",
                             kMaxFormulaDim, "], got ", dim);
  types.push_back(withDim(adaptor.getX(), dim));
  return success();
}

/// Shared by matvecmult and vecmatmult: a matrix of dimension R*C against a
/// vector of dimension R or C.
static FailureOr<int64_t> matrixProductDim(std::optional<Location> loc,
                                           StringRef name, Value matrix,
                                           Value x) {
  if (formulaType(matrix).getElementType() != formulaType(x).getElementType())
    return emitOptionalError(loc, name,
                             " needs operands of one element type");
  int64_t m = formulaDim(matrix), n = formulaDim(x);
  if (m % n != 0)
    return emitOptionalError(loc, name, ": the matrix has ", m,
                             " entries, not a multiple of the vector's "
                             "dimension ",
                             n);
  return m / n;
}

LogicalResult MatVecMultOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  FailureOr<int64_t> dim = matrixProductDim(loc, "matvecmult",
                                            adaptor.getMatrix(), adaptor.getX());
  if (failed(dim))
    return failure();
  types.push_back(withDim(adaptor.getX(), *dim));
  return success();
}

LogicalResult VecMatMultOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  FailureOr<int64_t> dim = matrixProductDim(loc, "vecmatmult",
                                            adaptor.getMatrix(), adaptor.getX());
  if (failed(dim))
    return failure();
  types.push_back(withDim(adaptor.getX(), *dim));
  return success();
}

LogicalResult TensorProdOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  if (formulaType(adaptor.getLhs()).getElementType() !=
      formulaType(adaptor.getRhs()).getElementType())
    return emitOptionalError(loc, "tensorprod needs operands of one element "
                                  "type");
  if (formulaDim(adaptor.getLhs()) > kMaxFormulaDim ||
      formulaDim(adaptor.getRhs()) > kMaxFormulaDim ||
      formulaDim(adaptor.getLhs()) * formulaDim(adaptor.getRhs()) >
          kMaxFormulaDim)
    return emitOptionalError(loc, "tensorprod: the result would have more "
                                  "than ",
                             kMaxFormulaDim, " components");
  types.push_back(withDim(adaptor.getLhs(), formulaDim(adaptor.getLhs()) *
                                                formulaDim(adaptor.getRhs())));
  return success();
}

/// Checks that `shape` has only positive extents and holds `dim` entries.
static LogicalResult checkShape(std::optional<Location> loc, StringRef side,
                                ArrayRef<int64_t> shape, int64_t dim) {
  if (shape.empty())
    return emitOptionalError(loc, "the ", side, " shape must not be empty");
  int64_t entries = 1;
  for (int64_t d : shape) {
    if (d < 1 || d > kMaxFormulaDim)
      return emitOptionalError(loc, "the ", side,
                               " shape must have extents in [1, ",
                               kMaxFormulaDim, "]");
    entries *= d;
    if (entries > kMaxFormulaDim)
      return emitOptionalError(loc, "the ", side, " shape holds more than ",
                               kMaxFormulaDim, " entries");
  }
  if (product(shape) != dim)
    return emitOptionalError(loc, "the ", side, " shape holds ",
                             product(shape), " entries but the ", side,
                             " operand has dimension ", dim);
  return success();
}

LogicalResult TensorDotOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  ArrayRef<int64_t> ls = adaptor.getLhsShape(), rs = adaptor.getRhsShape();
  ArrayRef<int64_t> lc = adaptor.getLhsContract(),
                    rc = adaptor.getRhsContract();
  if (formulaType(adaptor.getLhs()).getElementType() !=
      formulaType(adaptor.getRhs()).getElementType())
    return emitOptionalError(loc, "tensordot needs operands of one element "
                                  "type");
  if (failed(checkShape(loc, "lhs", ls, formulaDim(adaptor.getLhs()))) ||
      failed(checkShape(loc, "rhs", rs, formulaDim(adaptor.getRhs()))))
    return failure();
  if (lc.size() != rc.size())
    return emitOptionalError(loc, "tensordot contracts ", lc.size(),
                             " lhs axes with ", rc.size(), " rhs axes");
  llvm::SmallBitVector lused(ls.size()), rused(rs.size());
  for (auto [a, b] : llvm::zip(lc, rc)) {
    if (a < 0 || a >= static_cast<int64_t>(ls.size()) || b < 0 ||
        b >= static_cast<int64_t>(rs.size()))
      return emitOptionalError(loc, "tensordot contraction axis out of range");
    if (lused.test(a) || rused.test(b))
      return emitOptionalError(loc, "tensordot contracts an axis twice");
    if (ls[a] != rs[b])
      return emitOptionalError(loc, "tensordot contracts lhs axis ", a,
                               " of extent ", ls[a], " with rhs axis ", b,
                               " of extent ", rs[b]);
    lused.set(a);
    rused.set(b);
  }
  int64_t dim = 1;
  for (auto [axis, extent] : llvm::enumerate(ls))
    if (!lused.test(axis))
      dim *= extent;
  for (auto [axis, extent] : llvm::enumerate(rs))
    if (!rused.test(axis))
      dim *= extent;
  if (dim > kMaxFormulaDim)
    return emitOptionalError(loc, "tensordot: the result would have more "
                                  "than ",
                             kMaxFormulaDim, " components");
  types.push_back(withDim(adaptor.getLhs(), dim));
  return success();
}

LogicalResult KronOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  ArrayRef<int64_t> ls = adaptor.getLhsShape(), rs = adaptor.getRhsShape();
  if (formulaType(adaptor.getLhs()).getElementType() !=
      formulaType(adaptor.getRhs()).getElementType())
    return emitOptionalError(loc, "kron needs operands of one element type");
  if (failed(checkShape(loc, "lhs", ls, formulaDim(adaptor.getLhs()))) ||
      failed(checkShape(loc, "rhs", rs, formulaDim(adaptor.getRhs()))))
    return failure();
  if (ls.size() != rs.size())
    return emitOptionalError(loc, "kron needs tensors of equal rank, got ",
                             ls.size(), " and ", rs.size());
  if (formulaDim(adaptor.getLhs()) * formulaDim(adaptor.getRhs()) >
      kMaxFormulaDim)
    return emitOptionalError(loc, "kron: the result would have more than ",
                             kMaxFormulaDim, " components");
  types.push_back(withDim(adaptor.getLhs(), formulaDim(adaptor.getLhs()) *
                                                formulaDim(adaptor.getRhs())));
  return success();
}

//===----------------------------------------------------------------------===//
// Gradient
//===----------------------------------------------------------------------===//

LogicalResult GradOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  types.push_back(adaptor.getVariable().getType());
  return success();
}

/// Shared by grad and diff: `variable` is a float variable of the
/// enclosing reduction, of the element type of `value`.
static LogicalResult verifyDerivative(Operation *op, Value value,
                                      Value variable) {
  auto arg = dyn_cast<BlockArgument>(variable);
  if (!arg || !isa_and_nonnull<ReduceOp>(arg.getOwner()->getParentOp()))
    return op->emitOpError()
           << "differentiates with respect to a value that is not a "
              "variable: the second operand must be a block argument of the "
              "enclosing keops.reduce";
  if (formulaType(value).getElementType() !=
      formulaType(variable).getElementType())
    return op->emitOpError()
           << "needs a variable of the formula's element type";
  return success();
}

LogicalResult GradOp::verify() {
  return verifyDerivative(*this, getValue(), getVariable());
}

LogicalResult DiffOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  types.push_back(adaptor.getValue().getType());
  return success();
}

LogicalResult DiffOp::verify() {
  return verifyDerivative(*this, getValue(), getVariable());
}

//===----------------------------------------------------------------------===//
// Index variables
//===----------------------------------------------------------------------===//

Axis SelectIndexOp::getComparedAxis() {
  if (std::optional<Axis> axis = getAxis())
    return *axis;
  return cast<ReduceOp>((*this)->getParentOp()).getAxis();
}

LogicalResult SelectIndexOp::verify() {
  int64_t d = formulaDim(getIdx()), dv = formulaDim(getV());
  if (d != dv)
    return emitOpError() << "selects with " << d << " indices the "
                         << dv << " components of a vector; both must have "
                            "the same dimension";
  return success();
}
