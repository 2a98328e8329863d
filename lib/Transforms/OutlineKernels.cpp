//===- OutlineKernels.cpp - one runtime kernel per reduction -------------===//
//
// The runtime calls every kernel the same way:
//
//   void NAME(void *const *inputs, void *const *outputs,
//             int64_t M, int64_t N, int64_t begin, int64_t end);
//
// so that a thread pool can hand each thread a range [begin, end) of output
// rows and an ahead-of-time library can declare every kernel with one C
// prototype. Batch extents and the ranges of a block-sparse reduction come
// as more input pointers after the variables. The kernel wraps each pointer into a memref descriptor (built
// in the LLVM dialect and cast to the memref type, a cast that the memref to
// LLVM conversion later folds away), takes rows [begin, end) of the kept
// variables and of the outputs, and runs a memref-form copy of the reduction.
//
// With `gpu`, the kernels are gpu.func ops in `gpu.module @keops_kernels`
// taking one pointer per input and output, then M and N: a CUDA launch
// passes each as one parameter, and the whole row range is the kernel's.
// Each reduction gets the kernel of the 1-D scheme and the two of the 2-D
// scheme (convert-keops-to-gpu); the runtime picks by the sizes.
//
//===----------------------------------------------------------------------===//

#include "keops/Conversion/KernelABI.h"
#include "keops/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include "mlir/IR/IRMapping.h"

namespace mlir::keops {
#define GEN_PASS_DEF_KEOPSOUTLINEKERNELS
#include "KeopsPasses.h.inc"
} // namespace mlir::keops

using namespace mlir;
using namespace mlir::keops;

namespace {

/// Clones `reduce` as a memref-form reduction on `ins` and `outs` (and
/// `ranges`) at `b`.
void cloneReduce(OpBuilder &b, ReduceOp reduce, ValueRange ins,
                 ValueRange outs, ValueRange ranges = {}, Value first = {}) {
  SmallVector<Category> categories;
  for (size_t index = 0; index < reduce.getIns().size(); ++index)
    categories.push_back(reduce.getCategory(index));
  std::optional<int64_t> k;
  if (reduce.getK())
    k = static_cast<int64_t>(*reduce.getK());
  auto copy = ReduceOp::create(b, reduce.getLoc(), reduce.getKind(),
                               reduce.getAxis(), ins, categories, outs, k,
                               ranges, reduce.getPartial() || first, first);
  Region &formula = copy.getFormula();
  formula.getBlocks().clear();
  IRMapping map;
  reduce.getFormula().cloneInto(&formula, map);
}

/// The width and element type of each array a kernel of `reduce` writes
/// per kept row: with `partial` its state's arrays (ReduceOp::getStateLayout),
/// else its kind's outputs; indices of the type of the op's own index
/// arrays (i32 without one).
SmallVector<std::pair<int64_t, Type>> outputArrays(ReduceOp reduce,
                                                   bool partial) {
  Type indexType = IntegerType::get(reduce.getContext(), 32);
  for (auto [array, out] :
       llvm::zip(reduce.getOutputLayout(), reduce.getOuts()))
    if (array.isIndex)
      indexType = cast<ShapedType>(out.getType()).getElementType();
  YieldOp yield = reduce.getYield();
  int64_t weightDim =
      yield.getValues().size() == 2 ? formulaDim(yield.getValues()[1]) : 0;
  SmallVector<std::pair<int64_t, Type>> arrays;
  for (OutputArray array : ReduceOp::getOutputLayout(
           reduce.getKind(), reduce.getK() ? int64_t(*reduce.getK()) : 1,
           formulaDim(yield.getValues()[0]), weightDim, partial))
    arrays.push_back(
        {array.width, array.isIndex ? indexType : reduce.getElementType()});
  return arrays;
}

/// The data pointer, rows and dimension of each operand of `reduce`, as
/// memrefs on `ptrs` (inputs, then the arrays `outArrays` it writes); rows
/// are M or N.
void operandMemrefs(OpBuilder &b, ReduceOp reduce,
                    ArrayRef<std::pair<int64_t, Type>> outArrays,
                    ArrayRef<Value> ptrs, Value m, Value n,
                    SmallVectorImpl<Value> &ins,
                    SmallVectorImpl<Value> &outs) {
  Location loc = reduce.getLoc();
  Value keptRows = reduce.getKeptCategory() == Category::I ? m : n;
  for (auto [index, value] : llvm::enumerate(reduce.getIns())) {
    auto type = cast<ShapedType>(value.getType());
    Category cat = reduce.getCategory(index);
    Value rows = cat == Category::P ? Value() : cat == Category::I ? m : n;
    ins.push_back(memrefOnPointer(b, loc, ptrs[index], rows,
                                  type.getShape().back(),
                                  type.getElementType()));
  }
  for (auto [index, array] : llvm::enumerate(outArrays))
    outs.push_back(memrefOnPointer(b, loc, ptrs[ins.size() + index], keptRows,
                                   array.first, array.second));
}

/// The ranges operands of a block-sparse kernel's memref-form reduction:
/// memrefs on the runtime's completed triple (`ptrs`: the blocks, their
/// cumulative counts, the intervals, int64; `blocks` and `intervals` their
/// numbers, i64), which serves as both triples of the op.
SmallVector<Value> rangeOperands(OpBuilder &b, Location loc, Value blocks,
                                 Value intervals, ArrayRef<Value> ptrs) {
  Type i64 = b.getI64Type();
  Value blockMem = memrefOnPointer(b, loc, ptrs[0], blocks, 2, i64);
  Value countMem = memrefOnPointer(b, loc, ptrs[1], Value(),
                                   ShapedType::kDynamic, i64, blocks);
  Value intervalMem = memrefOnPointer(b, loc, ptrs[2], intervals, 2, i64);
  return {blockMem, countMem, intervalMem, blockMem, countMem, intervalMem};
}

/// The ranges operands of batch element `element` (index) of a kernel that
/// takes ranges per element: its part of the runtime's tables (`ptrs`: the
/// blocks, counts and intervals of all elements, then their offsets,
/// RangeTable::offsets).
SmallVector<Value> elementRangeOperands(OpBuilder &b, Location loc,
                                        ArrayRef<Value> ptrs, Value element) {
  Type i64 = b.getI64Type();
  Type ptr = LLVM::LLVMPointerType::get(b.getContext());
  Value e = arith::IndexCastOp::create(b, loc, i64, element);
  Value two = arith::ConstantIntOp::create(b, loc, i64, 2);
  Value at = arith::MulIOp::create(b, loc, e, two);
  auto offset = [&](int64_t k) -> Value {
    Value slot = LLVM::GEPOp::create(
        b, loc, ptr, i64, ptrs[3],
        ArrayRef<LLVM::GEPArg>{Value(arith::AddIOp::create(
            b, loc, at, arith::ConstantIntOp::create(b, loc, i64, k)))});
    return LLVM::LoadOp::create(b, loc, i64, slot);
  };
  Value firstBlock = offset(0), firstInterval = offset(1);
  Value blocks = arith::SubIOp::create(b, loc, offset(2), firstBlock);
  Value intervals = arith::SubIOp::create(b, loc, offset(3), firstInterval);
  auto advance = [&](Value base, Value by) -> Value {
    return LLVM::GEPOp::create(b, loc, ptr, i64, base,
                               ArrayRef<LLVM::GEPArg>{by});
  };
  Value pairOfBlocks = arith::MulIOp::create(b, loc, firstBlock, two);
  Value pairOfIntervals = arith::MulIOp::create(b, loc, firstInterval, two);
  return rangeOperands(b, loc, blocks, intervals,
                       {advance(ptrs[0], pairOfBlocks),
                        advance(ptrs[1], firstBlock),
                        advance(ptrs[2], pairOfIntervals)});
}

/// The position of batch element `batch` of `reduce` within operand `type`
/// (ReduceOp::isBroadcastAxis), in index arithmetic: batchElementOf's rule.
Value batchElement(OpBuilder &b, Location loc, ArrayRef<Value> extents,
                   ShapedType type, Value batch) {
  Value element = arith::ConstantIndexOp::create(b, loc, 0);
  Value scale = arith::ConstantIndexOp::create(b, loc, 1);
  for (size_t a = extents.size(); a-- > 0;) {
    Value coordinate = arith::RemUIOp::create(b, loc, batch, extents[a]);
    batch = arith::DivUIOp::create(b, loc, batch, extents[a]);
    if (ReduceOp::isBroadcastAxis(type, a))
      continue;
    element = arith::AddIOp::create(
        b, loc, element, arith::MulIOp::create(b, loc, coordinate, scale));
    scale = arith::MulIOp::create(b, loc, scale, extents[a]);
  }
  return element;
}

/// The pointers of batch element `batch`: each operand's pointer advanced by
/// its element's position times the size of one element (rows x D, or D).
SmallVector<Value> batchPointers(OpBuilder &b, ReduceOp reduce,
                                 ArrayRef<std::pair<int64_t, Type>> outArrays,
                                 ArrayRef<Value> ptrs, ArrayRef<Value> extents,
                                 Value m, Value n, Value batch) {
  Location loc = reduce.getLoc();
  Type i64 = b.getI64Type();
  Type ptrType = LLVM::LLVMPointerType::get(b.getContext());
  // (The arrays written have the outputs' batch axes.)
  SmallVector<Value> operands(reduce.getIns());
  operands.append(outArrays.size(), reduce.getOuts()[0]);
  SmallVector<Value> result;
  for (auto [index, value] : llvm::enumerate(operands)) {
    auto type = cast<ShapedType>(value.getType());
    bool isInput = index < reduce.getIns().size();
    Value element = batchElement(b, loc, extents, type, batch);
    Value size = arith::ConstantIndexOp::create(
        b, loc,
        isInput ? type.getShape().back()
                : outArrays[index - reduce.getIns().size()].first);
    Type elt = isInput ? type.getElementType()
                       : outArrays[index - reduce.getIns().size()].second;
    Category rowsOf =
        isInput ? reduce.getCategory(index) : reduce.getKeptCategory();
    if (rowsOf != Category::P)
      size = arith::MulIOp::create(b, loc, size, rowsOf == Category::I ? m : n);
    Value offset = arith::IndexCastOp::create(
        b, loc, i64, arith::MulIOp::create(b, loc, element, size));
    result.push_back(LLVM::GEPOp::create(b, loc, ptrType, elt, ptrs[index],
                                         ArrayRef<LLVM::GEPArg>{offset}));
  }
  return result;
}

/// Builds the host kernel of `reduce` at the end of `module`; with
/// `partial`, the kernel of its partial reduction, which writes the states
/// and reads the first reduced index (an int64) through the last input
/// pointer.
void outline(ModuleOp module, ReduceOp reduce, StringRef name,
             bool partial = false) {
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
  SmallVector<std::pair<int64_t, Type>> outArrays =
      outputArrays(reduce, partial || reduce.getPartial());
  SmallVector<Value> ptrs;
  for (size_t index = 0; index < reduce.getIns().size(); ++index)
    ptrs.push_back(loadPointer(insPtr, index));
  for (size_t index = 0; index < outArrays.size(); ++index)
    ptrs.push_back(loadPointer(outsPtr, index));
  int64_t batchRank = reduce.getBatchRank();
  Value first;
  if (partial) {
    int64_t at = reduce.getIns().size() + (batchRank ? 1 : 0) +
                 (reduce.hasRanges() ? 4 : 0) +
                 (reduce.hasBatchedRanges() ? 1 : 0);
    first = toIndex(LLVM::LoadOp::create(b, loc, i64, loadPointer(insPtr, at)));
  }
  // A block-sparse kernel reads the runtime's checked and completed copy of
  // its axis' triple (keops/Dialect/Ranges.h), as int64, after the
  // variables (and the batch extents): {blocks, intervals}, the blocks
  // (blocks x 2), their cumulative counts (blocks), the intervals
  // (intervals x 2), and with ranges per batch element, the elements'
  // offsets into them. Its one triple serves as both of the memref form's.
  SmallVector<Value> ranges, rangeArrays;
  if (reduce.hasRanges()) {
    int64_t at = reduce.getIns().size() + (batchRank ? 1 : 0);
    Value sizes = loadPointer(insPtr, at);
    auto size = [&](int32_t k) -> Value {
      Value slot = LLVM::GEPOp::create(b, loc, ptr, i64, sizes,
                                       ArrayRef<LLVM::GEPArg>{k});
      return LLVM::LoadOp::create(b, loc, i64, slot);
    };
    // (One statement each: the IR comes out in this order.) Per batch
    // element, the sizes are the element's (elementRangeOperands).
    bool shared = !reduce.hasBatchedRanges();
    Value blocks = shared ? size(0) : Value();
    Value intervals = shared ? size(1) : Value();
    for (int64_t k = 1; k <= (shared ? 3 : 4); ++k)
      rangeArrays.push_back(loadPointer(insPtr, at + k));
    if (shared)
      ranges = rangeOperands(b, loc, blocks, intervals, rangeArrays);
  }
  // This call's rows only: rows [begin, end) of the kept variables and of
  // the outputs.
  auto reduceRows = [&](ArrayRef<Value> pointers, Value begin, Value end) {
    SmallVector<Value> ins, outs;
    operandMemrefs(b, reduce, outArrays, pointers, m, n, ins, outs);
    for (size_t index = 0; index < ins.size(); ++index)
      if (reduce.getCategory(index) == reduce.getKeptCategory())
        ins[index] = takeRows(b, loc, ins[index], begin, end);
    for (Value &mem : outs)
      mem = takeRows(b, loc, mem, begin, end);
    cloneReduce(b, reduce, ins, outs, ranges, first);
  };
  if (batchRank == 0) {
    reduceRows(ptrs, begin, end);
    func::ReturnOp::create(b, loc);
    return;
  }
  // Batched: [begin, end) are rows of the batch elements laid end to end
  // (element e holds rows [e R, (e + 1) R), R the kept rows), so that the
  // thread pool splits batch elements and rows alike. The batch extents are
  // one more input: an array of int64 after the variables.
  Value extentsPtr = loadPointer(insPtr, reduce.getIns().size());
  SmallVector<Value> extents;
  for (int64_t a = 0; a < batchRank; ++a) {
    Value slot = LLVM::GEPOp::create(b, loc, ptr, i64, extentsPtr,
                                     ArrayRef<LLVM::GEPArg>{int32_t(a)});
    extents.push_back(toIndex(LLVM::LoadOp::create(b, loc, i64, slot)));
  }
  Value mIndex = toIndex(m), nIndex = toIndex(n);
  Value keptRows = reduce.getKeptCategory() == Category::I ? mIndex : nIndex;
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value rows = arith::MaxUIOp::create(b, loc, keptRows, one);
  Value firstElement = arith::DivUIOp::create(b, loc, begin, rows);
  Value lastElement = arith::CeilDivUIOp::create(b, loc, end, rows);
  auto loop = scf::ForOp::create(b, loc, firstElement, lastElement, one);
  b.setInsertionPointToStart(loop.getBody());
  Value element = loop.getInductionVar();
  Value base = arith::MulIOp::create(b, loc, element, rows);
  Value firstRow = arith::SubIOp::create(
      b, loc, arith::MaxUIOp::create(b, loc, begin, base), base);
  Value lastRow = arith::SubIOp::create(
      b, loc,
      arith::MinUIOp::create(b, loc, end,
                             arith::AddIOp::create(b, loc, base, rows)),
      base);
  if (reduce.hasBatchedRanges())
    ranges = elementRangeOperands(b, loc, rangeArrays, element);
  reduceRows(batchPointers(b, reduce, outArrays, ptrs, extents, mIndex, nIndex,
                           element),
             firstRow, lastRow);
  b.setInsertionPointAfter(loop);
  func::ReturnOp::create(b, loc);
}

/// Builds the kernels that merge two states of `reduce`'s partial reduction
/// (NAME_merge: inputs the first state's arrays then the second's, outputs
/// the merged state's) and finalize one (NAME_finalize: inputs a state's
/// arrays, outputs the reduction's), at the end of `module`, with the
/// runtime's calling convention: M is the number of rows (batch elements
/// laid end to end), N unused, [begin, end) the rows to compute.
void outlineStateKernels(OpBuilder &b, ReduceOp reduce, StringRef name,
                         bool gpu) {
  Location loc = reduce.getLoc();
  MLIRContext *ctx = reduce.getContext();
  Type ptr = LLVM::LLVMPointerType::get(ctx);
  Type i64 = b.getI64Type();
  SmallVector<std::pair<int64_t, Type>> states = outputArrays(reduce, true);
  SmallVector<std::pair<int64_t, Type>> outputs = outputArrays(reduce, false);
  auto kind = ReductionKindAttr::get(ctx, reduce.getKind());
  for (bool merge : {true, false}) {
    std::string kernel = (name + (merge ? "_merge" : "_finalize")).str();
    size_t numIns = states.size() * (merge ? 2 : 1);
    size_t numOuts = merge ? states.size() : outputs.size();
    // The host kernel: the runtime's calling convention, rows [begin, end)
    // of M. The GPU kernel: one pointer per array, then the rows, one
    // thread per row (convert-keops-to-gpu).
    Block *entry;
    if (gpu) {
      SmallVector<Type> params(numIns + numOuts, ptr);
      params.push_back(i64);
      auto gfn = gpu::GPUFuncOp::create(b, loc, kernel,
                                        b.getFunctionType(params, {}));
      gfn->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
      gfn->setAttr("keops.scheme", b.getStringAttr("states"));
      entry = &gfn.getBody().front();
    } else {
      auto ffn = func::FuncOp::create(
          b, loc, kernel,
          b.getFunctionType({ptr, ptr, i64, i64, i64, i64}, {}));
      ffn->setAttr("keops.kernel", b.getUnitAttr());
      entry = ffn.addEntryBlock();
    }
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(entry);
    Value rows = entry->getArgument(gpu ? numIns + numOuts : 2);
    Value begin, end;
    if (!gpu) {
      begin = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                         entry->getArgument(4));
      end = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                       entry->getArgument(5));
    }
    // Array `index` of `specs`, from pointer number `at` (an entry of the
    // pointer array `list` on the host, a parameter on the GPU).
    auto arrays = [&](Value list, ArrayRef<std::pair<int64_t, Type>> specs,
                      int64_t at) {
      SmallVector<Value> mems;
      for (auto [index, spec] : llvm::enumerate(specs)) {
        Value data;
        if (gpu) {
          data = entry->getArgument(at + index);
        } else {
          Value slot = LLVM::GEPOp::create(
              b, loc, ptr, ptr, list,
              ArrayRef<LLVM::GEPArg>{int32_t(at + index)});
          data = LLVM::LoadOp::create(b, loc, ptr, slot);
        }
        Value mem = memrefOnPointer(b, loc, data, rows, spec.first, spec.second);
        mems.push_back(gpu ? mem : takeRows(b, loc, mem, begin, end));
      }
      return mems;
    };
    Value insPtr = gpu ? Value() : entry->getArgument(0);
    Value outsPtr = gpu ? Value() : entry->getArgument(1);
    int64_t outsAt = gpu ? numIns : 0;
    SmallVector<Value> first = arrays(insPtr, states, 0);
    if (merge)
      MergeStatesOp::create(b, loc, kind, reduce.getKAttr(), first,
                            arrays(insPtr, states, states.size()),
                            arrays(outsPtr, states, outsAt));
    else
      FinalizeStatesOp::create(b, loc, kind, reduce.getKAttr(), first,
                               arrays(outsPtr, outputs, outsAt));
    if (gpu)
      gpu::ReturnOp::create(b, loc);
    else
      func::ReturnOp::create(b, loc);
  }
}

/// Builds the GPU kernels of `reduce` in `kernels`: gpu.funcs taking one
/// pointer per input and output, then M and N; the kernels of the 2-D
/// scheme also take the partial states (a pointer) and a count (the chunk
/// length for `_part`, the number of chunks for `_combine`). Each is marked
/// with its scheme (keops.scheme: "1d", "part", "combine").
void outlineGpu(gpu::GPUModuleOp kernels, ReduceOp reduce, StringRef name,
                bool partialStates) {
  Location loc = reduce.getLoc();
  OpBuilder b = OpBuilder::atBlockEnd(kernels.getBody());
  Type ptr = LLVM::LLVMPointerType::get(b.getContext());
  Type i64 = b.getI64Type();
  int64_t batchRank = reduce.getBatchRank();
  bool ranged = reduce.hasRanges();
  // The kernels of the partial reduction (its three schemes, named
  // NAME_partial, NAME_partial_part, NAME_partial_combine) write the state's
  // arrays and take the first reduced index after M and N.
  SmallVector<std::pair<StringRef, bool>> kernelsToBuild{
      {"1d", false}, {"part", false}, {"combine", false}};
  if (partialStates)
    kernelsToBuild.append({{"1d", true}, {"part", true}, {"combine", true}});
  for (auto [scheme, partial] : kernelsToBuild) {
    SmallVector<std::pair<int64_t, Type>> outArrays =
        outputArrays(reduce, partial || reduce.getPartial());
    size_t count = reduce.getIns().size() + outArrays.size();
    unsigned extra = (partial ? 1 : 0) + (scheme != "1d" ? 2 : 0);
    // Batch elements go over z in every scheme.
    SmallVector<Type> params(count, ptr);
    params.append(2, i64);
    if (partial)
      params.push_back(i64);
    if (scheme != "1d")
      params.append({ptr, i64});
    params.append(batchRank, i64);
    // Block-sparse: the runtime's completed ranges (the CPU kernels'), as
    // {blocks, intervals} and three device pointers (four with ranges per
    // batch element: their offsets).
    if (ranged)
      params.append({i64, i64, ptr, ptr, ptr});
    if (reduce.hasBatchedRanges())
      params.push_back(ptr);
    std::string kernel = name.str();
    if (partial)
      kernel += "_partial";
    if (scheme != "1d")
      kernel += "_" + scheme.str();
    auto fn = gpu::GPUFuncOp::create(b, loc, kernel,
                                     b.getFunctionType(params, {}));
    fn->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
    fn->setAttr("keops.scheme", b.getStringAttr(scheme));
    Block *entry = &fn.getBody().front();
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(entry);
    SmallVector<Value> ptrs(entry->getArguments().take_front(count));
    Value m = entry->getArgument(count), n = entry->getArgument(count + 1);
    SmallVector<Value> ranges;
    unsigned rangesAt = count + 2 + extra + batchRank;
    if (ranged && !reduce.hasBatchedRanges())
      ranges = rangeOperands(b, loc, entry->getArgument(rangesAt),
                             entry->getArgument(rangesAt + 1),
                             {entry->getArgument(rangesAt + 2),
                              entry->getArgument(rangesAt + 3),
                              entry->getArgument(rangesAt + 4)});
    if (batchRank > 0) {
      // Element e of the batch (row-major over the extents, which follow M
      // and N, and the 2-D scheme's states and count) is reduced by the
      // blocks with blockIdx.z = e mod gridDim.z.
      auto toIndex = [&](Value v) -> Value {
        return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
      };
      SmallVector<Value> extents;
      unsigned firstExtent = count + 2 + extra;
      Value total = arith::ConstantIndexOp::create(b, loc, 1);
      for (int64_t a = 0; a < batchRank; ++a) {
        extents.push_back(toIndex(entry->getArgument(firstExtent + a)));
        total = arith::MulIOp::create(b, loc, total, extents.back());
      }
      auto loop = scf::ForOp::create(
          b, loc, gpu::BlockIdOp::create(b, loc, gpu::Dimension::z), total,
          gpu::GridDimOp::create(b, loc, gpu::Dimension::z));
      b.setInsertionPointToStart(loop.getBody());
      ptrs = batchPointers(b, reduce, outArrays, ptrs, extents, toIndex(m),
                           toIndex(n), loop.getInductionVar());
      if (reduce.hasBatchedRanges())
        ranges = elementRangeOperands(
            b, loc,
            SmallVector<Value>(entry->getArguments().slice(rangesAt + 2, 4)),
            loop.getInductionVar());
    }
    SmallVector<Value> ins, outs;
    operandMemrefs(b, reduce, outArrays, ptrs, m, n, ins, outs);
    Value first;
    if (partial)
      first = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                         entry->getArgument(count + 2));
    cloneReduce(b, reduce, ins, outs, ranges, first);
    b.setInsertionPointToEnd(entry);
    gpu::ReturnOp::create(b, loc);
  }
  if (partialStates)
    outlineStateKernels(b, reduce, name, /*gpu=*/true);
}

struct KeopsOutlineKernels
    : mlir::keops::impl::KeopsOutlineKernelsBase<KeopsOutlineKernels> {
  using KeopsOutlineKernelsBase::KeopsOutlineKernelsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    gpu::GPUModuleOp kernels;
    if (gpu) {
      OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
      kernels = gpu::GPUModuleOp::create(b, module.getLoc(), "keops_kernels");
      module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                      b.getUnitAttr());
    }
    SmallVector<func::FuncOp> sources;
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (fn->hasAttr("keops.kernel"))
        continue;
      SmallVector<ReduceOp> reduces;
      WalkResult walk = fn.walk([&](ReduceOp op) {
        if (op.getFirst()) {
          op.emitOpError() << "reads its first reduced index from the "
                              "function; a kernel's comes from the runtime "
                              "(outline the reduction, partial-states=true)";
          return WalkResult::interrupt();
        }
        reduces.push_back(op);
        return WalkResult::advance();
      });
      if (walk.wasInterrupted())
        return signalPassFailure();
      if (reduces.empty())
        continue;
      sources.push_back(fn);
      for (auto [k, op] : llvm::enumerate(reduces)) {
        std::string name = (fn.getSymName() + "_kernel" + Twine(k)).str();
        if (gpu) {
          outlineGpu(kernels, op, name, partialStates);
          continue;
        }
        outline(module, op, name);
        if (partialStates) {
          outline(module, op, name + "_partial", /*partial=*/true);
          OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
          outlineStateKernels(b, op, name, /*gpu=*/false);
        }
      }
    }
    for (func::FuncOp fn : sources)
      fn.erase();
  }
};

} // namespace
