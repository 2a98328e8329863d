//===- KeopsDialect.cpp - keops dialect registration ---------------------===//

#include "keops/Dialect/Keops.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::keops;

#include "KeopsDialect.cpp.inc"
#include "KeopsEnums.cpp.inc"
#include "KeopsInterfaces.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "KeopsAttrs.cpp.inc"

#define GET_OP_CLASSES
#include "KeopsOps.cpp.inc"

void KeopsDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "KeopsAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "KeopsOps.cpp.inc"
      >();
  // arith, math and vector are dependent dialects, loaded before this.
  attachUpstreamDerivatives(getContext());
}

Operation *KeopsDialect::materializeConstant(OpBuilder &builder,
                                             Attribute value, Type type,
                                             Location loc) {
  if (arith::ConstantOp::isBuildableWith(value, type))
    return arith::ConstantOp::create(builder, loc, type,
                                     cast<TypedAttr>(value));
  return nullptr;
}
