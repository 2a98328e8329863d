//===- Passes.h - passes of keops-mlir --------------------------*- C++ -*-===//

#ifndef KEOPS_TRANSFORMS_PASSES_H
#define KEOPS_TRANSFORMS_PASSES_H

#include "keops/Dialect/Keops.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir::keops {

#define GEN_PASS_DECL
#include "KeopsPasses.h.inc"

/// Adds the expansion of every keops formula op to `patterns`.
void populateExpandFormulaPatterns(RewritePatternSet &patterns);
/// Adds the expansion of keops.gram as keops.dot (what keep-gram leaves).
void populateExpandGramPatterns(RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "KeopsPasses.h.inc"

} // namespace mlir::keops

#endif // KEOPS_TRANSFORMS_PASSES_H
