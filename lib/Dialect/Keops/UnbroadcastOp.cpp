//===- UnbroadcastOp.cpp - keops.unbroadcast: verifier --------------------===//
//
// The sum over broadcast axes that the gradients of batched reductions end
// with (lib/Transforms/Differentiate.cpp); the runtime's function plans and
// the interpreter run it.
//
//===----------------------------------------------------------------------===//

#include "keops/Dialect/Keops.h"

using namespace mlir;
using namespace mlir::keops;

bool UnbroadcastOp::isSummedAxis(int64_t axis) {
  return getType().getDimSize(axis) == 1 &&
         getInput().getType().getDimSize(axis) != 1;
}

LogicalResult UnbroadcastOp::verify() {
  auto in = getInput().getType();
  auto out = getType();
  if (in.getElementType() != out.getElementType() ||
      !isa<FloatType>(in.getElementType()))
    return emitOpError() << "needs a result with the operand's floating-point "
                            "element type, got "
                         << in << " -> " << out;
  if (in.getRank() != out.getRank())
    return emitOpError() << "needs a result of the operand's rank "
                         << in.getRank() << ", got " << out.getRank();
  for (int64_t axis = 0; axis < in.getRank(); ++axis) {
    int64_t from = in.getDimSize(axis), to = out.getDimSize(axis);
    if (to == 1 || to == from)
      continue;
    return emitOpError() << "axis " << axis << " of the result must be the "
                         << "operand's extent or a static 1 (summed over), "
                         << "got " << out << " for " << in;
  }
  return success();
}
