//===- GPUKernelsToHost.cpp - gpu.func kernels as host functions ----------===//
//
// The GPU emulator's half of the compiler: the kernels that
// convert-keops-to-gpu builds, unchanged, become host functions that the
// runtime's emulator (lib/Runtime/CudaEmulator.cpp) runs with one fiber per
// GPU thread. What the kernels read of the GPU (their thread's coordinates,
// the block's shared memory, barriers) comes from a per-thread context, so
// the schemes' index arithmetic, tiling, barriers and partial states run as
// they would on a device, and are checked against the interpreter on any
// machine. Only the NVVM lowering and the hardware are left out.
//
// A kernel @K(args) becomes
//
//   func.func private @K.body(args..., %ctx: !llvm.ptr)   the kernel's body
//   func.func @K(%params: !llvm.ptr, %ctx: !llvm.ptr)     the launch entry:
//       args[k] = *(T *)params[k], then @K.body(args..., %ctx)
//   llvm.mlir.global constant @K.shared_bytes : i64       its shared memory
//
//===----------------------------------------------------------------------===//

#include "keops/Conversion/EmulatedThread.h"
#include "keops/Conversion/KernelABI.h"
#include "keops/Conversion/Tf32.h"
#include "keops/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::keops {
#define GEN_PASS_DEF_CONVERTGPUKERNELSTOHOST
#include "KeopsPasses.h.inc"
} // namespace mlir::keops

using namespace mlir;
using namespace mlir::keops;

namespace {

/// Words of the per-thread context.
#define KEOPS_WORD(field) emulatedThreadWord(offsetof(EmulatedThread, field))
constexpr int64_t kThreadX = KEOPS_WORD(threadX);
constexpr int64_t kBlockX = KEOPS_WORD(blockX);
constexpr int64_t kBlockY = KEOPS_WORD(blockY);
constexpr int64_t kBlockZ = KEOPS_WORD(blockZ);
constexpr int64_t kBlockDimX = KEOPS_WORD(blockDimX);
constexpr int64_t kGridDimX = KEOPS_WORD(gridDimX);
constexpr int64_t kGridDimY = KEOPS_WORD(gridDimY);
constexpr int64_t kGridDimZ = KEOPS_WORD(gridDimZ);
constexpr int64_t kShared = KEOPS_WORD(shared);
constexpr int64_t kBarrierFn = KEOPS_WORD(barrier);
constexpr int64_t kBarrierArg = KEOPS_WORD(barrierArg);
constexpr int64_t kShuffle = KEOPS_WORD(shuffle);
constexpr int64_t kMmaTf32 = KEOPS_WORD(mmaTf32);
#undef KEOPS_WORD

/// Word `k` of the context `ctx`, of type `type` (i64 or !llvm.ptr).
Value contextWord(OpBuilder &b, Location loc, Value ctx, int64_t k,
                  Type type) {
  auto ptr = LLVM::LLVMPointerType::get(b.getContext());
  Value at = LLVM::GEPOp::create(b, loc, ptr, b.getI64Type(), ctx,
                                 ArrayRef<LLVM::GEPArg>{int32_t(k)});
  return LLVM::LoadOp::create(b, loc, type, at);
}

/// Where an index op of the gpu dialect reads its value: the context words
/// of its dimensions, or none for the dimensions the kernels never use,
/// which then have the value `unused` (y and z of threads: 0, of block
/// sizes: 1).
struct Coordinate {
  std::optional<int64_t> x, y, z;
  int64_t unused;
};

std::optional<Coordinate> coordinateOf(Operation *op) {
  if (isa<gpu::ThreadIdOp>(op))
    return Coordinate{kThreadX, std::nullopt, std::nullopt, 0};
  if (isa<gpu::BlockIdOp>(op))
    return Coordinate{kBlockX, kBlockY, kBlockZ, 0};
  if (isa<gpu::BlockDimOp>(op))
    return Coordinate{kBlockDimX, std::nullopt, std::nullopt, 1};
  if (isa<gpu::GridDimOp>(op))
    return Coordinate{kGridDimX, kGridDimY, kGridDimZ, 1};
  return std::nullopt;
}

/// The index that `where` gives in dimension `dim`, read from `ctx`.
Value readCoordinate(OpBuilder &b, Location loc, Value ctx, Coordinate where,
                     gpu::Dimension dim) {
  std::optional<int64_t> word = dim == gpu::Dimension::x   ? where.x
                                : dim == gpu::Dimension::y ? where.y
                                                           : where.z;
  if (!word)
    return arith::ConstantIndexOp::create(b, loc, where.unused);
  Value v = contextWord(b, loc, ctx, *word, b.getI64Type());
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

/// gpu.shuffle of an i32: a call of the context's shuffle function.
LogicalResult lowerShuffle(OpBuilder &b, gpu::ShuffleOp op, Value ctx) {
  Location loc = op.getLoc();
  Type i32 = b.getI32Type();
  if (op.getValue().getType() != i32)
    return op.emitOpError() << "of " << op.getValue().getType()
                            << " has no host emulation (i32 only)";
  auto ptr = LLVM::LLVMPointerType::get(b.getContext());
  Value fn = contextWord(b, loc, ctx, kShuffle, ptr);
  Value mode = LLVM::ConstantOp::create(
      b, loc, i32, b.getI32IntegerAttr(int32_t(op.getMode())));
  auto type = LLVM::LLVMFunctionType::get(i32, {ptr, i32, i32, i32});
  Value moved =
      LLVM::CallOp::create(b, loc, type,
                           ValueRange{fn, ctx, op.getValue(), op.getOffset(),
                                      mode})
          .getResult();
  Value valid = arith::ConstantOp::create(b, loc, b.getBoolAttr(true));
  op->replaceAllUsesWith(ValueRange{moved, valid});
  return success();
}

/// nvvm.mma.sync m16n8k8 of TF32 operands: the lane's fragments through
/// `slots` (ten 32-bit words) to the context's mmaTf32 function.
LogicalResult lowerMma(OpBuilder &b, NVVM::MmaOp op, Value ctx, Value slots) {
  Location loc = op.getLoc();
  NVVM::MMAShapeAttr shape = op.getShape();
  if (shape.getM() != 16 || shape.getN() != 8 || shape.getK() != 8 ||
      op.getMultiplicandAPtxType() != NVVM::MMATypes::tf32 ||
      op.getOperandA().size() != 4 || op.getOperandB().size() != 2 ||
      op.getOperandC().size() != 4)
    return op.emitOpError() << "has no host emulation (m16n8k8 TF32 only)";
  auto ptr = LLVM::LLVMPointerType::get(b.getContext());
  Type i32 = b.getI32Type(), f32 = b.getF32Type();
  auto slot = [&](int32_t k) {
    return LLVM::GEPOp::create(b, loc, ptr, i32, slots,
                               ArrayRef<LLVM::GEPArg>{k})
        .getResult();
  };
  int32_t k = 0;
  for (Value v : op.getOperands())
    LLVM::StoreOp::create(b, loc, v, slot(k++));
  Value fn = contextWord(b, loc, ctx, kMmaTf32, ptr);
  auto type = LLVM::LLVMFunctionType::get(
      LLVM::LLVMVoidType::get(b.getContext()), {ptr, ptr});
  LLVM::CallOp::create(b, loc, type, ValueRange{fn, ctx, slots});
  Value result = LLVM::UndefOp::create(b, loc, op.getRes().getType());
  for (int64_t d = 0; d < 4; ++d)
    result = LLVM::InsertValueOp::create(
        b, loc, result, LLVM::LoadOp::create(b, loc, f32, slot(6 + d)), d);
  op.getRes().replaceAllUsesWith(result);
  return success();
}

/// Replaces the gpu ops of the body by reads of the context and calls of
/// the barrier function, and the warp collectives by calls of the
/// context's.
LogicalResult lowerGpuOps(Block &entry, Value ctx) {
  OpBuilder b(ctx.getContext());
  auto ptr = LLVM::LLVMPointerType::get(ctx.getContext());
  SmallVector<Operation *> ops;
  entry.getParent()->walk([&](Operation *op) {
    if (isa<gpu::GPUDialect, NVVM::NVVMDialect>(op->getDialect()))
      ops.push_back(op);
  });
  // The fragments of the products, on the thread's stack once.
  Value slots;
  if (llvm::any_of(ops, [](Operation *op) { return isa<NVVM::MmaOp>(op); })) {
    b.setInsertionPointToStart(&entry);
    Value ten = LLVM::ConstantOp::create(b, ctx.getLoc(), b.getI64Type(),
                                         b.getI64IntegerAttr(10));
    slots = LLVM::AllocaOp::create(b, ctx.getLoc(), ptr, b.getI32Type(), ten,
                                   /*alignment=*/16);
  }
  for (Operation *op : ops) {
    b.setInsertionPoint(op);
    Location loc = op->getLoc();
    if (std::optional<Coordinate> where = coordinateOf(op)) {
      auto dim = op->getAttrOfType<gpu::DimensionAttr>("dimension");
      op->replaceAllUsesWith(ValueRange{
          readCoordinate(b, loc, ctx, *where, dim.getValue())});
    } else if (isa<gpu::BarrierOp>(op)) {
      Value fn = contextWord(b, loc, ctx, kBarrierFn, ptr);
      Value arg = contextWord(b, loc, ctx, kBarrierArg, ptr);
      auto type = LLVM::LLVMFunctionType::get(
          LLVM::LLVMVoidType::get(b.getContext()), {ptr});
      LLVM::CallOp::create(b, loc, type, ValueRange{fn, arg});
    } else if (isa<gpu::ReturnOp>(op)) {
      func::ReturnOp::create(b, loc);
    } else if (auto shuffle = dyn_cast<gpu::ShuffleOp>(op)) {
      if (failed(lowerShuffle(b, shuffle, ctx)))
        return failure();
    } else if (auto mma = dyn_cast<NVVM::MmaOp>(op)) {
      if (failed(lowerMma(b, mma, ctx, slots)))
        return failure();
    } else if (auto cvt = dyn_cast<NVVM::ConvertFloatToTF32Op>(op)) {
      if (cvt.getRnd() != NVVM::FPRoundingMode::RNA ||
          cvt.getSat() != NVVM::SaturationMode::NONE || cvt.getRelu())
        return cvt.emitOpError() << "has no host emulation (rna only)";
      Value rounded = roundToTf32(b, loc, cvt.getSrc());
      cvt.getRes().replaceAllUsesWith(
          arith::BitcastOp::create(b, loc, b.getI32Type(), rounded));
    } else {
      return op->emitOpError() << "has no host emulation";
    }
    op->erase();
  }
  return success();
}

/// Moves `kernel` into `module` as @K.body, @K and @K.shared_bytes.
LogicalResult convertKernel(gpu::GPUFuncOp kernel, ModuleOp module,
                            OpBuilder &b) {
  MLIRContext *context = module.getContext();
  Location loc = kernel.getLoc();
  auto ptr = LLVM::LLVMPointerType::get(context);
  if (kernel.getNumPrivateAttributions() != 0)
    return kernel.emitOpError() << "has private attributions, which the GPU "
                                   "emulator does not support";
  SmallVector<Type> argTypes(kernel.getArgumentTypes());
  for (Type t : argTypes)
    if (!isa<LLVM::LLVMPointerType, IntegerType, FloatType>(t))
      return kernel.emitOpError()
             << "has a parameter of type " << t
             << ", which a launch cannot pass (pointers, integers and floats only)";

  std::string name = kernel.getName().str();
  SmallVector<Type> bodyTypes(argTypes);
  bodyTypes.push_back(ptr);
  auto body = func::FuncOp::create(b, loc, name + ".body",
                                   b.getFunctionType(bodyTypes, {}));
  body.setPrivate();
  body.getBody().takeBody(kernel.getBody());
  Block &entry = body.getBody().front();
  Value ctx = entry.addArgument(ptr, loc);

  // Workgroup attributions: memrefs on the block's shared memory.
  OpBuilder inner = OpBuilder::atBlockBegin(&entry);
  Value shared = contextWord(inner, loc, ctx, kShared, ptr);
  int64_t offset = 0;
  unsigned first = argTypes.size();
  for (unsigned k = 0, e = kernel.getNumWorkgroupAttributions(); k < e; ++k) {
    BlockArgument arg = entry.getArgument(first + k);
    auto type = cast<MemRefType>(arg.getType());
    if (!type.hasStaticShape() || type.getRank() > 2 ||
        !type.getLayout().isIdentity())
      return kernel.emitOpError()
             << "has a workgroup attribution of type " << type
             << ", which the GPU emulator does not support";
    Value at = LLVM::GEPOp::create(inner, loc, ptr, inner.getI8Type(), shared,
                                   ArrayRef<LLVM::GEPArg>{int32_t(offset)});
    int64_t dim = type.getShape().back();
    Value rows;
    if (type.getRank() == 2)
      rows = LLVM::ConstantOp::create(inner, loc, inner.getI64Type(),
                                      inner.getI64IntegerAttr(type.getDimSize(0)));
    Value view = memrefOnPointer(inner, loc, at, rows, dim,
                                 type.getElementType());
    auto plain = MemRefType::get(type.getShape(), type.getElementType());
    if (view.getType() != plain)
      view = memref::CastOp::create(inner, loc, plain, view);
    arg.replaceAllUsesWith(view);
    int64_t bytes = type.getNumElements() *
                    ((type.getElementTypeBitWidth() + 7) / 8);
    offset += (bytes + 15) / 16 * 16;
  }
  entry.eraseArguments(first, kernel.getNumWorkgroupAttributions());
  if (failed(lowerGpuOps(entry, ctx)))
    return failure();

  // The launch entry: parameters unpacked from cuLaunchKernel's array.
  auto entryFn = func::FuncOp::create(b, loc, name,
                                      b.getFunctionType({ptr, ptr}, {}));
  Block *launch = entryFn.addEntryBlock();
  OpBuilder lb = OpBuilder::atBlockBegin(launch);
  SmallVector<Value> args;
  for (auto [k, t] : llvm::enumerate(argTypes)) {
    Value slot = LLVM::GEPOp::create(lb, loc, ptr, ptr, launch->getArgument(0),
                                     ArrayRef<LLVM::GEPArg>{int32_t(k)});
    Value p = LLVM::LoadOp::create(lb, loc, ptr, slot);
    args.push_back(LLVM::LoadOp::create(lb, loc, t, p));
  }
  args.push_back(launch->getArgument(1));
  func::CallOp::create(lb, loc, body, args);
  func::ReturnOp::create(lb, loc);

  LLVM::GlobalOp::create(b, loc, b.getI64Type(), /*isConstant=*/true,
                         LLVM::Linkage::External, name + ".shared_bytes",
                         b.getI64IntegerAttr(offset));
  return success();
}

struct ConvertGPUKernelsToHost
    : mlir::keops::impl::ConvertGPUKernelsToHostBase<ConvertGPUKernelsToHost> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> gpuModules(module.getOps<gpu::GPUModuleOp>());
    for (gpu::GPUModuleOp gm : gpuModules) {
      OpBuilder b(gm);
      for (auto kernel :
           llvm::make_early_inc_range(gm.getOps<gpu::GPUFuncOp>())) {
        if (!kernel.isKernel())
          continue;
        if (failed(convertKernel(kernel, module, b)))
          return signalPassFailure();
      }
      for (Operation &op : gm.getBody()->getOperations())
        if (auto fn = dyn_cast<gpu::GPUFuncOp>(op); fn && !fn.isKernel()) {
          fn.emitOpError() << "is not a kernel; the GPU emulator runs kernels "
                              "only";
          return signalPassFailure();
        }
      gm.erase();
    }
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
  }
};

} // namespace
