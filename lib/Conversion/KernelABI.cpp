//===- KernelABI.cpp - memrefs on the raw pointers of kernels -------------===//

#include "keops/Conversion/KernelABI.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

Value mlir::keops::memrefOnPointer(OpBuilder &b, Location loc, Value ptr,
                                   Value rows, int64_t dim, Type elt,
                                   Value count) {
  MLIRContext *ctx = b.getContext();
  Type i64 = b.getI64Type();
  unsigned rank = rows ? 2 : 1;
  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  auto arrayType = LLVM::LLVMArrayType::get(i64, rank);
  auto descType = LLVM::LLVMStructType::getLiteral(
      ctx, {ptrType, ptrType, i64, arrayType, arrayType});
  auto cst = [&](int64_t v) {
    return LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(v));
  };
  Value desc = LLVM::PoisonOp::create(b, loc, descType);
  desc = LLVM::InsertValueOp::create(b, loc, desc, ptr, ArrayRef<int64_t>{0});
  desc = LLVM::InsertValueOp::create(b, loc, desc, ptr, ArrayRef<int64_t>{1});
  desc = LLVM::InsertValueOp::create(b, loc, desc, cst(0), ArrayRef<int64_t>{2});
  if (rows) {
    desc = LLVM::InsertValueOp::create(b, loc, desc, rows, ArrayRef<int64_t>{3, 0});
    desc = LLVM::InsertValueOp::create(b, loc, desc, cst(dim), ArrayRef<int64_t>{3, 1});
    desc = LLVM::InsertValueOp::create(b, loc, desc, cst(dim), ArrayRef<int64_t>{4, 0});
    desc = LLVM::InsertValueOp::create(b, loc, desc, cst(1), ArrayRef<int64_t>{4, 1});
  } else {
    Value size = ShapedType::isDynamic(dim) ? count : Value(cst(dim));
    desc = LLVM::InsertValueOp::create(b, loc, desc, size, ArrayRef<int64_t>{3, 0});
    desc = LLVM::InsertValueOp::create(b, loc, desc, cst(1), ArrayRef<int64_t>{4, 0});
  }
  auto type = rows ? MemRefType::get({ShapedType::kDynamic, dim}, elt)
                   : MemRefType::get({dim}, elt);
  return UnrealizedConversionCastOp::create(b, loc, type, desc).getResult(0);
}


Value mlir::keops::takeRows(OpBuilder &b, Location loc, Value mem, Value begin,
                            Value end) {
  int64_t dim = cast<MemRefType>(mem.getType()).getDimSize(1);
  Value count = arith::SubIOp::create(b, loc, end, begin);
  SmallVector<OpFoldResult> offsets{begin, b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes{count, b.getIndexAttr(dim)};
  SmallVector<OpFoldResult> strides{b.getIndexAttr(1), b.getIndexAttr(1)};
  return memref::SubViewOp::create(b, loc, mem, offsets, sizes, strides);
}
