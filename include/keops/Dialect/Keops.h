//===- Keops.h - the keops dialect ------------------------------*- C++ -*-===//
//
// Dialect, enums and ops of the keops dialect. Definitions are in
// dialect/*.td; this header only pulls in the generated declarations.
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_DIALECT_KEOPS_H
#define KEOPS_DIALECT_KEOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "KeopsDialect.h.inc"
#include "KeopsInterfaces.h.inc"
#include "KeopsEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "KeopsAttrs.h.inc"

namespace mlir::keops {
/// One array a reduction writes per kept row (an output, or part of a
/// partial reduction's state): `width` columns of values of the formula's
/// type, or of indices.
struct OutputArray {
  int64_t width;
  bool isIndex;
};
} // namespace mlir::keops

#define GET_OP_CLASSES
#include "KeopsOps.h.inc"

namespace mlir::keops {

/// Whether `op` may appear in the formula region of a keops.reduce: a keops
/// formula op, or one of the upstream arith / math / vector ops whose
/// semantics a formula reuses (the list is in ReduceOp.cpp and
/// docs/architecture.md).
bool isFormulaOp(Operation *op);

/// Whether `op` is one of the further upstream ops that keops-expand-formulas
/// produces (comparisons, selects, masks, fma, scalar views of vectors).
/// Such formulas may also hold scalars T and i1 masks.
bool isExpandedFormulaOp(Operation *op);

/// Attaches KeopsDifferentiable external models to the upstream arith, math
/// and vector ops that formulas may hold (UpstreamDerivatives.cpp). Called by
/// the keops dialect's initialize().
void attachUpstreamDerivatives(MLIRContext *ctx);

/// The largest vector dimension of a formula value. Formulas act on small
/// vectors; the bound keeps every dimension computation far from overflow.
constexpr int64_t kMaxFormulaDim = 1 << 16;

/// The dimension D of a formula value of type vector<D x T>.
inline int64_t formulaDim(Value v) {
  return llvm::cast<VectorType>(v.getType()).getDimSize(0);
}

/// The batch element of an operand that batch element `b` of a reduction
/// reads: `b` is a row-major position among `extents` (the reduction's batch
/// shape), and the operand, broadcast along the axes where `broadcast` is
/// set, holds one element per combination of its other axes. Every backend
/// and the interpreter address batches through this one rule.
inline int64_t batchElementOf(llvm::ArrayRef<int64_t> extents,
                              llvm::ArrayRef<bool> broadcast, int64_t b) {
  int64_t element = 0, scale = 1;
  for (size_t a = extents.size(); a-- > 0;) {
    int64_t coordinate = b % extents[a];
    b /= extents[a];
    if (!broadcast[a]) {
      element += coordinate * scale;
      scale *= extents[a];
    }
  }
  return element;
}

} // namespace mlir::keops

#endif // KEOPS_DIALECT_KEOPS_H
