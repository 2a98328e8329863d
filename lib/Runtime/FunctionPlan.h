//===- FunctionPlan.h - plans of whole functions ----------------*- C++ -*-===//

#ifndef KEOPS_LIB_RUNTIME_FUNCTIONPLAN_H
#define KEOPS_LIB_RUNTIME_FUNCTIONPLAN_H

#include "keops/Runtime/Runtime.h"

#include "mlir/IR/BuiltinOps.h"

namespace mlir::keops::runtime {

/// One plan per function with a body, in module order; kernels are numbered
/// like collectKernels numbers them. `module` must be differentiated.
std::vector<FunctionPlan> buildFunctionPlans(ModuleOp module);

} // namespace mlir::keops::runtime

#endif
