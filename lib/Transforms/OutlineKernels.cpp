//===- OutlineKernels.cpp - one runtime kernel per reduction -------------===//
//
// The runtime calls every kernel the same way:
//
//   void NAME(void *const *inputs, void *const *outputs,
//             int64_t M, int64_t N, int64_t begin, int64_t end);
//
// so that a thread pool can hand each thread a range [begin, end) of output
// rows and an ahead-of-time library can declare every kernel with one C
// prototype. The kernel wraps each pointer into a memref descriptor (built
// in the LLVM dialect and cast to the memref type, a cast that the memref to
// LLVM conversion later folds away), takes rows [begin, end) of the kept
// variables and of the outputs, and runs a memref-form copy of the reduction.
//
//===----------------------------------------------------------------------===//

#include "keops/Transforms/Passes.h"

#include "mlir/IR/IRMapping.h"

namespace mlir::keops {
#define GEN_PASS_DEF_KEOPSOUTLINEKERNELS
#include "KeopsPasses.h.inc"
} // namespace mlir::keops

using namespace mlir;
using namespace mlir::keops;

namespace {

/// A memref<rows x D x T> (or memref<D x T> when `rows` is null) on the data
/// at `ptr`, row-major.
Value memrefOnPointer(OpBuilder &b, Location loc, Value ptr, Value rows,
                      int64_t dim, Type elt) {
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
    desc = LLVM::InsertValueOp::create(b, loc, desc, cst(dim), ArrayRef<int64_t>{3, 0});
    desc = LLVM::InsertValueOp::create(b, loc, desc, cst(1), ArrayRef<int64_t>{4, 0});
  }
  auto type = rows ? MemRefType::get({ShapedType::kDynamic, dim}, elt)
                   : MemRefType::get({dim}, elt);
  return UnrealizedConversionCastOp::create(b, loc, type, desc).getResult(0);
}

/// Rows [begin, end) of a rows x D memref.
Value takeRows(OpBuilder &b, Location loc, Value mem, Value begin, Value end) {
  int64_t dim = cast<MemRefType>(mem.getType()).getDimSize(1);
  Value count = arith::SubIOp::create(b, loc, end, begin);
  SmallVector<OpFoldResult> offsets{begin, b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes{count, b.getIndexAttr(dim)};
  SmallVector<OpFoldResult> strides{b.getIndexAttr(1), b.getIndexAttr(1)};
  return memref::SubViewOp::create(b, loc, mem, offsets, sizes, strides);
}

/// Builds the kernel of `reduce` at the end of `module`.
void outline(ModuleOp module, ReduceOp reduce, StringRef name) {
  Location loc = reduce.getLoc();
  MLIRContext *ctx = module.getContext();
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Type ptr = LLVM::LLVMPointerType::get(ctx);
  Type i64 = b.getI64Type();
  auto fnType = b.getFunctionType({ptr, ptr, i64, i64, i64, i64}, {});
  auto fn = func::FuncOp::create(b, loc, name, fnType);
  fn->setAttr("keops.kernel", b.getUnitAttr());
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  Value insPtr = entry->getArgument(0), outsPtr = entry->getArgument(1);
  Value m = entry->getArgument(2), n = entry->getArgument(3);
  auto toIndex = [&](Value v) {
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), v).getResult();
  };
  Value begin = toIndex(entry->getArgument(4));
  Value end = toIndex(entry->getArgument(5));

  auto loadPointer = [&](Value array, int64_t index) -> Value {
    Value slot = LLVM::GEPOp::create(b, loc, ptr, ptr, array,
                                     ArrayRef<LLVM::GEPArg>{int32_t(index)});
    return LLVM::LoadOp::create(b, loc, ptr, slot);
  };
  Category kept = reduce.getKeptCategory();
  Value keptRows = kept == Category::I ? m : n;

  SmallVector<Value> ins, outs;
  SmallVector<Category> categories;
  for (auto [index, value] : llvm::enumerate(reduce.getIns())) {
    auto type = cast<ShapedType>(value.getType());
    Category cat = reduce.getCategory(index);
    categories.push_back(cat);
    Value data = loadPointer(insPtr, index);
    Value rows = cat == Category::P ? Value() : cat == Category::I ? m : n;
    Value mem = memrefOnPointer(b, loc, data, rows, type.getShape().back(),
                                type.getElementType());
    if (cat == kept)
      mem = takeRows(b, loc, mem, begin, end);
    ins.push_back(mem);
  }
  for (auto [index, value] : llvm::enumerate(reduce.getOuts())) {
    auto type = cast<ShapedType>(value.getType());
    Value data = loadPointer(outsPtr, index);
    Value mem = memrefOnPointer(b, loc, data, keptRows, type.getDimSize(1),
                                type.getElementType());
    outs.push_back(takeRows(b, loc, mem, begin, end));
  }
  std::optional<int64_t> k;
  if (reduce.getK())
    k = static_cast<int64_t>(*reduce.getK());
  auto copy = ReduceOp::create(b, loc, reduce.getKind(), reduce.getAxis(), ins,
                               categories, outs, k);
  Region &formula = copy.getFormula();
  formula.getBlocks().clear();
  IRMapping map;
  reduce.getFormula().cloneInto(&formula, map);
  func::ReturnOp::create(b, loc);
}

struct KeopsOutlineKernels
    : mlir::keops::impl::KeopsOutlineKernelsBase<KeopsOutlineKernels> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> sources;
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (fn->hasAttr("keops.kernel"))
        continue;
      SmallVector<ReduceOp> reduces;
      fn.walk([&](ReduceOp op) { reduces.push_back(op); });
      if (reduces.empty())
        continue;
      sources.push_back(fn);
      for (auto [k, op] : llvm::enumerate(reduces))
        outline(module, op, (fn.getSymName() + "_kernel" + Twine(k)).str());
    }
    for (func::FuncOp fn : sources)
      fn.erase();
  }
};

} // namespace
