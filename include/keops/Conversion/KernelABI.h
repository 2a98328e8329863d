//===- KernelABI.h - memrefs on the raw pointers of kernels -----*- C++ -*-===//
//
// Kernels take raw pointers (the runtime's calling conventions, CPU and
// GPU); their bodies view the data as memrefs built on them.
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_CONVERSION_KERNELABI_H
#define KEOPS_CONVERSION_KERNELABI_H

#include "mlir/IR/Builders.h"

namespace mlir::keops {

/// A memref<rows x dim x elt> (or memref<dim x elt> when `rows` is null;
/// memref<? x elt> of `count` (an i64) elements when `dim` is dynamic) on
/// the row-major data at `ptr` (an !llvm.ptr); `rows` is an i64. Built as an
/// LLVM descriptor cast to the memref type, a cast that the conversion of
/// memrefs to LLVM folds away.
Value memrefOnPointer(OpBuilder &b, Location loc, Value ptr, Value rows,
                      int64_t dim, Type elt, Value count = {});

/// Rows [begin, end) of a rows x D memref, as a view (memref.subview): the
/// rows of a kernel's call, or of a block of a block-sparse reduction.
Value takeRows(OpBuilder &b, Location loc, Value mem, Value begin, Value end);

} // namespace mlir::keops

#endif // KEOPS_CONVERSION_KERNELABI_H
