//===- keops-ir-fuzzer.cpp - libFuzzer target for keops IR ----------------===//
//
// Feeds arbitrary text through what the tools do with a module: the nesting
// check, MLIR's parser and the keops verifiers, the differentiation passes,
// the reference interpreter on generated arguments, and the CPU and GPU
// (emulation) lowerings. Any of them may reject the input with a diagnostic;
// none may crash, hang or trip a sanitizer. Built with -DKEOPS_FUZZ=ON and
// clang (scripts/fuzz.sh); the seed corpus is the IR of test/ and examples/.
//
//===----------------------------------------------------------------------===//

#include "keops/Interpreter/Interpreter.h"
#include "keops/Support/SourceLimits.h"
#include "keops/Transforms/Pipelines.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdint>

using namespace mlir;
using namespace mlir::keops;

// Work per input stays small, so that a slow input is a real finding: the
// interpreter runs on a few rows, and lowerings see modest formulas only
// (the tools' own limits, tested apart, bound the rest).
static constexpr int64_t kMaxGeneratedElements = 1 << 14;
static constexpr int64_t kMaxLoweredDim = 256;
static constexpr int64_t kMaxLoweredOps = 2000;

static const DialectRegistry &registry() {
  static DialectRegistry *r = [] {
    auto *r = new DialectRegistry;
    r->insert<KeopsDialect, arith::ArithDialect, math::MathDialect,
              vector::VectorDialect, func::FuncDialect, tensor::TensorDialect>();
    registerGpuPipelineDependencies(*r);
    return r;
  }();
  return *r;
}

/// The elements of `fn`'s generated arguments, dynamic extents counted as
/// 3 (they are 3, 2 or 2 rows), saturating.
static int64_t generatedElements(func::FuncOp fn) {
  int64_t total = 0;
  for (Type t : fn.getArgumentTypes()) {
    auto shaped = dyn_cast<ShapedType>(t);
    if (!shaped || !shaped.hasRank())
      continue;
    int64_t n = 1;
    for (int64_t d : shaped.getShape())
      n = d > kMaxGeneratedElements ? kMaxGeneratedElements + 1
                                    : std::min<int64_t>(
                                          n * (ShapedType::isDynamic(d) ? 3 : d),
                                          kMaxGeneratedElements + 1);
    total = std::min<int64_t>(total + n, kMaxGeneratedElements + 1);
  }
  return total;
}

/// Runs the reductions of every function on small generated arguments.
static void interpret(ModuleOp module) {
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (fn.isExternal() || generatedElements(fn) > kMaxGeneratedElements)
      continue;
    std::vector<HostArray> args;
    SmallVector<bool> given(fn.getNumArguments(), false);
    if (succeeded(generateArguments(fn, args, given, /*m=*/3, /*n=*/2,
                                    /*batchExtents=*/{2}, /*seed=*/1)))
      (void)interpretFunction(fn, args);
  }
}

/// Whether the lowerings should see `module`: formulas of modest size.
static bool modestFormulas(ModuleOp module) {
  int64_t ops = 0;
  WalkResult walk = module.walk([&](Operation *op) {
    if (++ops > kMaxLoweredOps)
      return WalkResult::interrupt();
    for (Type t : op->getResultTypes())
      if (auto shaped = dyn_cast<ShapedType>(t))
        if (shaped.hasRank() && shaped.getRank() &&
            shaped.getShape().back() > kMaxLoweredDim)
          return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return !walk.wasInterrupted();
}

template <typename Build>
static void lower(ModuleOp module, Build build) {
  OwningOpRef<ModuleOp> copy = module.clone();
  PassManager pm(module.getContext());
  build(pm);
  (void)pm.run(*copy);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(text),
                               llvm::SMLoc());
  if (!checkSourceNesting(sourceMgr, sourceMgr.getMainFileID(),
                          llvm::nulls()))
    return 0;
  // A fresh context per input: nothing carries over between inputs, so a
  // crash reproduces from its input alone.
  MLIRContext context(registry(), MLIRContext::Threading::DISABLED);
  ScopedDiagnosticHandler quiet(&context,
                                [](Diagnostic &) { return success(); });
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 0;
  {
    PassManager pm(&context);
    buildDifferentiationPipeline(pm);
    if (failed(pm.run(*module)))
      return 0;
  }
  interpret(*module);
  if (!modestFormulas(*module))
    return 0;
  lower(*module, [](PassManager &pm) {
    CpuPipelineOptions options;
    buildCpuPipeline(pm, options);
  });
  lower(*module, [](PassManager &pm) {
    GpuPipelineOptions options;
    buildGpuEmulationPipeline(pm, options);
  });
  return 0;
}
