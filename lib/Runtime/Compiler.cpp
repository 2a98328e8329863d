//===- Compiler.cpp - from keops MLIR to loaded host kernels -------------===//
//
//   parse -> kernel infos -> cache key
//     memory cache hit: done
//     disk cache hit (valid checksum): load the object
//     miss: keops-cpu-pipeline -> LLVM IR -> O3 -> object -> disk -> load
//
// Every kernel is loaded from an object file, so a disk hit and a fresh
// compile run exactly the same code. Objects are loaded into one process-wide
// ORC LLJIT, one JITDylib per module.
//
//===----------------------------------------------------------------------===//

#include "keops/Runtime/Runtime.h"
#include "keops/Conversion/Accumulators.h"
#include "keops/Conversion/GpuKernelShape.h"
#include "keops/Transforms/Pipelines.h"
#include "FunctionPlan.h"
#include "CudaEmulator.h"
#include "GpuModule.h"
#include "ObjectCache.h"
#include "keops/Support/SourceLimits.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <chrono>
#include <mutex>
#include <unordered_map>

using namespace mlir;
using namespace mlir::keops;
using namespace mlir::keops::runtime;

namespace {

bool verbose() {
  static bool on = [] {
    const char *v = std::getenv("KEOPS_VERBOSE");
    return v && *v && std::string(v) != "0";
  }();
  return on;
}

class StepTimer {
public:
  explicit StepTimer(const char *what) : what(what) {}
  ~StepTimer() {
    if (verbose())
      llvm::errs() << llvm::format(
          "keops: %-22s %8.2f ms\n", what,
          std::chrono::duration<double, std::milli>(
              std::chrono::steady_clock::now() - start)
              .count());
  }

private:
  const char *what;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

/// Bytes of the accumulator state of one output row of `op` (the partial
/// states of the GPU's 2-D scheme), and the number of state values.
void stateSize(ReduceOp op, StringRef accumulation, KernelInfo &info) {
  FailureOr<SumMode> mode = parseSumMode(accumulation);
  Accumulator acc(op, succeeded(mode) ? *mode : SumMode::Block);
  info.stateBytes = acc.storedStateBytes();
  info.stateCount = acc.storedStateTypes().size();
}

/// The kernels of `module`, in the order keops-outline-kernels creates them.
std::vector<KernelInfo> collectKernels(ModuleOp module,
                                       const CompileOptions &options) {
  StringRef accumulation = options.accumulation;
  std::vector<KernelInfo> infos;
  for (auto fn : module.getOps<func::FuncOp>()) {
    int64_t count = 0;
    fn.walk([&](ReduceOp op) {
      KernelInfo info;
      info.name = (fn.getSymName() + "_kernel" + llvm::Twine(count++)).str();
      info.kind = op.getKind();
      info.axis = op.getAxis();
      info.k = op.getK() ? static_cast<int64_t>(*op.getK()) : 0;
      for (auto [index, in] : llvm::enumerate(op.getIns())) {
        auto type = cast<ShapedType>(in.getType());
        info.categories.push_back(op.getCategory(index));
        info.inputDims.push_back(type.getShape().back());
        info.inputBits.push_back(type.getElementType().getIntOrFloatBitWidth());
        info.inputIsInteger.push_back(op.isIntegerInput(index));
      }
      info.batchRank = op.getBatchRank();
      info.hasRanges = op.hasRanges();
      info.batchedRanges = op.hasBatchedRanges();
      for (unsigned index = 0; index < op.getIns().size(); ++index) {
        SmallVector<bool> axes = op.getBroadcastAxes(index);
        info.inputBroadcast.emplace_back(axes.begin(), axes.end());
      }
      info.elementBits = op.getElementType().getWidth();
      SmallVector<OutputArray> layout = op.getOutputLayout();
      for (auto [index, out] : llvm::enumerate(op.getOuts())) {
        auto type = cast<ShapedType>(out.getType());
        info.outputWidths.push_back(type.getShape().back());
        bool isIndex = layout[index].isIndex;
        info.outputIsIndex.push_back(isIndex);
        if (isIndex)
          info.indexBits = info.stateIndexBits =
              type.getElementType().getIntOrFloatBitWidth();
      }
      YieldOp yield = op.getYield();
      SmallVector<OutputArray> state = ReduceOp::getStateLayout(
          op.getKind(), std::max<int64_t>(info.k, 1),
          formulaDim(yield.getValues()[0]),
          yield.getValues().size() == 2 ? formulaDim(yield.getValues()[1])
                                        : 0);
      info.stateLayout.assign(state.begin(), state.end());
      info.gpuBlockRows = gpuBlockRows(op, options.gpuBlockSize,
                                       options.tensorCores, options.gramMinDim);
      info.gpuWarpTiles = gpuUsesWarpTiles(op, options.gpuBlockSize,
                                           options.tensorCores,
                                           options.gramMinDim);
      stateSize(op, accumulation, info);
      infos.push_back(std::move(info));
    });
  }
  return infos;
}

} // namespace

struct Compiler::Impl {
  std::mutex mutex;
  DialectRegistry registry;
  std::unique_ptr<MLIRContext> context;
  std::unique_ptr<llvm::TargetMachine> targetMachine;
  std::unique_ptr<llvm::orc::LLJIT> jit;
  std::string targetKey;
  int64_t gramColumns = 8;
  std::unordered_map<std::string, std::shared_ptr<Module>> memoryCache;
  ObjectCache disk;
  int64_t dylibs = 0;
  std::string initError;

  Impl() {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    registry.insert<KeopsDialect, arith::ArithDialect, math::MathDialect,
                    vector::VectorDialect, func::FuncDialect,
                    tensor::TensorDialect, memref::MemRefDialect,
                    scf::SCFDialect, cf::ControlFlowDialect,
                    LLVM::LLVMDialect, ub::UBDialect, affine::AffineDialect,
                    index::IndexDialect>();
    registerBuiltinDialectTranslation(registry);
    registerLLVMDialectTranslation(registry);
    registerGpuPipelineDependencies(registry);
    context = std::make_unique<MLIRContext>(registry,
                                            MLIRContext::Threading::DISABLED);
    context->loadAllAvailableDialects();

    auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
    if (!builder) {
      initError = llvm::toString(builder.takeError());
      return;
    }
    builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
    // Position-independent: the same objects go into shared libraries.
    builder->setRelocationModel(llvm::Reloc::PIC_);
    auto tm = builder->createTargetMachine();
    if (!tm) {
      initError = llvm::toString(tm.takeError());
      return;
    }
    targetMachine = std::move(*tm);
    targetKey = targetMachine->getTargetTriple().str() + "|" +
                targetMachine->getTargetCPU().str() + "|" +
                targetMachine->getTargetFeatureString().str();
    // A Gram tile's accumulators, columns x 2 groups of 16 lanes, and a
    // step's loads stay in the vector registers: 8 columns take 16 of the
    // 32 registers of AVX-512. With 16 registers of 8 lanes (AVX2 and
    // older), 2 columns take 8, the rows 4 and a broadcast 1; 4 columns
    // spill, 1.5x slower (docs/benchmarks.md).
    gramColumns = llvm::StringRef(targetMachine->getTargetFeatureString())
                          .contains("+avx512f")
                      ? 8
                      : 2;
    auto jitOr = llvm::orc::LLJITBuilder().create();
    if (!jitOr) {
      initError = llvm::toString(jitOr.takeError());
      return;
    }
    jit = std::move(*jitOr);
    // Kernels may call libm (f64 elementary functions).
    auto generator = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
        jit->getDataLayout().getGlobalPrefix());
    if (generator)
      jit->getMainJITDylib().addGenerator(std::move(*generator));
  }

  OwningOpRef<ModuleOp> parse(llvm::StringRef source, std::string &error,
                              llvm::StringRef sourceName = "<keops module>") {
    llvm::SourceMgr sourceMgr;
    sourceMgr.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBufferCopy(source, sourceName),
        llvm::SMLoc());
    llvm::raw_string_ostream os(error);
    if (!checkSourceNesting(sourceMgr, sourceMgr.getMainFileID(), os))
      return nullptr;
    SourceMgrDiagnosticHandler handler(sourceMgr, context.get(), os);
    return parseSourceFile<ModuleOp>(sourceMgr, context.get());
  }

  /// Applies CompileOptions::symbolPrefix: renames every function.
  bool addPrefix(ModuleOp module, const CompileOptions &options,
                 std::string &error) {
    if (options.symbolPrefix.empty())
      return true;
    SymbolTable table(module);
    for (auto fn : llvm::to_vector(module.getOps<func::FuncOp>())) {
      auto name = StringAttr::get(context.get(),
                                  options.symbolPrefix + fn.getSymName().str());
      if (failed(table.rename(fn, name))) {
        error = "cannot rename @" + fn.getSymName().str() + " to @" +
                name.str() + " (symbol prefix)";
        return false;
      }
    }
    return true;
  }

  /// The binary holding the compiler (size and modification time), so that
  /// a rebuilt compiler never reads objects of an older one from the disk
  /// cache.
  static const std::string &buildId() {
    static const std::string id = [] {
      Dl_info info;
      struct stat st;
      if (!dladdr(reinterpret_cast<void *>(&Compiler::global), &info) ||
          !info.dli_fname || stat(info.dli_fname, &st) != 0)
        return std::string("build unknown");
      return "build " + std::to_string(st.st_size) + "-" +
             std::to_string(static_cast<long long>(st.st_mtime));
    }();
    return id;
  }

  /// The full cache key: everything the object depends on, as text (the
  /// disk cache names a file by its hash and keeps the text in it).
  std::string cacheKey(ModuleOp module, const CompileOptions &options) {
    std::string text;
    llvm::raw_string_ostream os(text);
    module->print(os, OpPrintingFlags().printGenericOpForm().elideLargeElementsAttrs(1 << 30));
    os << "|" << targetKey << "|lanes=" << options.lanes
       << "|blocks=" << options.blocks << "|splits=" << options.splits
       << "|acc=" << options.accumulation
       << "|approx=" << options.approximateMath << "|O" << options.optLevel
       << "|gram=" << options.gramMinDim
       << "|partial=" << options.partialStates
       << "|gpu=" << options.gpuDevice << "," << options.gpuBlockSize << ","
       << options.tensorCores
       << "|keops-mlir 0.1.0|" << buildId() << "|LLVM " << LLVM_VERSION_STRING;
    return text;
  }

  /// Diagnostics of the passes and of the translation go to `os` as the
  /// parser prints them: FILE:LINE:COL: error: message.
  static auto diagnosticsTo(llvm::raw_ostream &os) {
    return [&os](Diagnostic &d) -> LogicalResult {
      // Remarks say what the compiler chose (KEOPS_VERBOSE shows them); they
      // are no part of an error message.
      if (d.getSeverity() == DiagnosticSeverity::Remark) {
        if (verbose())
          llvm::errs() << "keops: " << d << "\n";
        return success();
      }
      if (auto loc = d.getLocation()->findInstanceOf<FileLineColLoc>())
        os << loc.getFilename().getValue() << ":" << loc.getLine() << ":"
           << loc.getColumn();
      else
        os << d.getLocation();
      switch (d.getSeverity()) {
      case DiagnosticSeverity::Error:
        os << ": error: ";
        break;
      case DiagnosticSeverity::Warning:
        os << ": warning: ";
        break;
      case DiagnosticSeverity::Remark:
        os << ": remark: ";
        break;
      case DiagnosticSeverity::Note:
        os << ": note: ";
        break;
      }
      os << d << "\n";
      return success();
    };
  }

  /// keops.reduce_grad into reductions, first: kernels are those of the
  /// differentiated module.
  bool differentiate(ModuleOp module, std::string &error) {
    llvm::raw_string_ostream os(error);
    StepTimer t("differentiation");
    ScopedDiagnosticHandler handler(context.get(), diagnosticsTo(os));
    PassManager pm(context.get());
    buildDifferentiationPipeline(pm);
    if (succeeded(pm.run(module)))
      return true;
    if (error.empty())
      os << "differentiation failed";
    return false;
  }

  /// keops-cpu-pipeline to an object file; with `gpuEmulation`,
  /// keops-gpu-emulation-pipeline instead (the GPU kernels as host code).
  bool lower(ModuleOp module, const CompileOptions &options, std::string &object,
             std::string &error, bool gpuEmulation = false) {
    llvm::raw_string_ostream os(error);
    auto capture = diagnosticsTo(os);
    {
      StepTimer t("MLIR lowering");
      ScopedDiagnosticHandler handler(context.get(), capture);
      PassManager pm(context.get());
      if (std::getenv("KEOPS_DUMP_IR"))
        pm.enableIRPrinting();
      if (gpuEmulation) {
        GpuPipelineOptions pipeline;
        pipeline.blockSize = options.gpuBlockSize;
        pipeline.partialStates = options.partialStates;
        pipeline.accumulation = options.accumulation;
        pipeline.approximateMath = options.approximateMath;
        pipeline.gramMinDim = options.gramMinDim;
        pipeline.tensorCores = options.tensorCores;
        buildGpuEmulationPipeline(pm, pipeline);
      } else {
        CpuPipelineOptions pipeline;
        pipeline.lanes = options.lanes;
        pipeline.blocks = options.blocks;
        pipeline.splits = options.splits;
        pipeline.accumulation = options.accumulation;
        pipeline.approximateMath = options.approximateMath;
        pipeline.gramMinDim = options.gramMinDim;
        pipeline.gramColumns = gramColumns;
        pipeline.partialStates = options.partialStates;
        buildCpuPipeline(pm, pipeline);
      }
      if (failed(pm.run(module))) {
        if (error.empty())
          os << "lowering failed";
        return false;
      }
    }
    llvm::LLVMContext llvmContext;
    std::unique_ptr<llvm::Module> llvmModule;
    {
      StepTimer t("translation to LLVM IR");
      ScopedDiagnosticHandler handler(context.get(), capture);
      llvmModule = translateModuleToLLVMIR(module, llvmContext);
      if (!llvmModule) {
        os << "translation to LLVM IR failed";
        return false;
      }
      llvmModule->setDataLayout(targetMachine->createDataLayout());
      llvmModule->setTargetTriple(targetMachine->getTargetTriple());
    }
    {
      StepTimer t("LLVM optimization");
      auto transformer =
          makeOptimizingTransformer(options.optLevel, 0, targetMachine.get());
      if (llvm::Error e = transformer(llvmModule.get())) {
        os << "LLVM optimization failed: " << llvm::toString(std::move(e));
        return false;
      }
    }
    {
      StepTimer t("code generation");
      llvm::SmallVector<char, 0> buffer;
      llvm::raw_svector_ostream objectStream(buffer);
      llvm::legacy::PassManager codegen;
      if (targetMachine->addPassesToEmitFile(codegen, objectStream, nullptr,
                                             llvm::CodeGenFileType::ObjectFile)) {
        os << "the target cannot emit object files";
        return false;
      }
      codegen.run(*llvmModule);
      object.assign(buffer.begin(), buffer.end());
    }
    return true;
  }

  /// Parsed, renamed, differentiated, with its kernels' signatures in
  /// `infos`: what every compilation starts from.
  OwningOpRef<ModuleOp> prepare(llvm::StringRef source,
                                const CompileOptions &options,
                                std::vector<KernelInfo> &infos,
                                std::string &error,
                                llvm::StringRef sourceName = "<keops module>") {
    OwningOpRef<ModuleOp> module;
    {
      StepTimer t("parsing");
      module = parse(source, error, sourceName);
    }
    if (!module || !addPrefix(*module, options, error) ||
        !differentiate(*module, error))
      return nullptr;
    infos = collectKernels(*module, options);
    for (KernelInfo &info : infos) {
      info.flushSubnormals = options.approximateMath && options.gpuDevice < 0;
      info.partialStates = options.partialStates;
    }
    if (infos.empty()) {
      error = "the module holds no keops.reduce";
      return nullptr;
    }
    return module;
  }

  /// keops-gpu-pipeline, then the PTX of the gpu.binary it leaves.
  bool lowerToPtx(ModuleOp module, const CompileOptions &options,
                  llvm::StringRef chip, std::string &ptx, std::string &error) {
    llvm::raw_string_ostream os(error);
    StepTimer t("GPU lowering to PTX");
    ScopedDiagnosticHandler handler(context.get(), diagnosticsTo(os));
    PassManager pm(context.get());
    if (std::getenv("KEOPS_DUMP_IR"))
      pm.enableIRPrinting();
    GpuPipelineOptions pipeline;
    pipeline.chip = chip.str();
    pipeline.blockSize = options.gpuBlockSize;
    pipeline.partialStates = options.partialStates;
    pipeline.accumulation = options.accumulation;
    pipeline.approximateMath = options.approximateMath;
    pipeline.toolkit = cudaToolkit();
    pipeline.gramMinDim = options.gramMinDim;
    pipeline.tensorCores = options.tensorCores;
    buildGpuPipeline(pm, pipeline);
    if (failed(pm.run(module))) {
      if (error.empty())
        os << "lowering to PTX failed";
      return false;
    }
    for (auto binary : module.getOps<gpu::BinaryOp>())
      for (Attribute attr : binary.getObjects())
        if (auto object = dyn_cast<gpu::ObjectAttr>(attr))
          ptx = object.getObject().getValue().str();
    if (ptx.empty()) {
      os << "the GPU pipeline produced no PTX";
      return false;
    }
    if (llvm::StringRef(ptx).contains(".extern .func") &&
        llvm::StringRef(ptx).contains("__nv_")) {
      os << "the kernels call libdevice functions, but no CUDA toolkit "
            "holding nvvm/libdevice/libdevice.10.bc was found (set "
            "CUDA_HOME)";
      return false;
    }
    return true;
  }

  std::shared_ptr<Module> load(const std::string &object,
                               std::vector<KernelInfo> infos,
                               std::string &error) {
    StepTimer t("loading");
    auto &jd = jit->getExecutionSession().createBareJITDylib(
        "keops" + std::to_string(dylibs++));
    jd.addToLinkOrder(jit->getMainJITDylib());
    if (llvm::Error e = jit->addObjectFile(
            jd, llvm::MemoryBuffer::getMemBufferCopy(object))) {
      error = "cannot load the compiled kernels: " + llvm::toString(std::move(e));
      return nullptr;
    }
    auto module = std::shared_ptr<Module>(new Module());
    for (const KernelInfo &info : infos) {
      auto address = jit->lookup(jd, info.name);
      if (!address) {
        error = "kernel " + info.name + " not found: " +
                llvm::toString(address.takeError());
        return nullptr;
      }
      module->kernelFns.push_back(address->toPtr<Module::KernelFn>());
      if (!info.partialStates)
        continue;
      std::array<Module::KernelFn, 3> fns;
      const char *suffixes[] = {"_partial", "_merge", "_finalize"};
      for (auto [k, suffix] : llvm::enumerate(suffixes)) {
        auto state = jit->lookup(jd, info.name + suffix);
        if (!state) {
          error = "kernel " + info.name + suffix + " not found: " +
                  llvm::toString(state.takeError());
          return nullptr;
        }
        fns[k] = state->template toPtr<Module::KernelFn>();
      }
      module->stateFns.resize(module->kernelFns.size());
      module->stateFns.back() = fns;
    }
    module->infos = std::move(infos);
    return module;
  }
};

Compiler::Compiler() : impl(std::make_unique<Impl>()) {}
Compiler::~Compiler() = default;

Compiler &Compiler::global() {
  static Compiler *compiler = new Compiler(); // lives until exit
  return *compiler;
}

/// With ptxas at hand (and KEOPS_CUBIN not 0), `ptx` becomes the cubin for
/// `chip`, which the disk cache then keeps: later processes load it without
/// the driver compiling the PTX again. A ptxas failure keeps the PTX, which
/// the driver compiles itself (its error, if any, is then reported).
static void compileCubin(const std::string &chip, std::string &ptx) {
  const char *env = std::getenv("KEOPS_CUBIN");
  if ((env && std::string(env) == "0") || cuda::ptxasPath().empty())
    return;
  StepTimer t("ptxas");
  std::string cubin, error;
  if (cuda::ptxToCubin(ptx, chip, cubin, error))
    ptx = std::move(cubin);
  else if (verbose())
    llvm::errs() << "keops: loading PTX instead of a cubin: " << error << "\n";
}

/// `options` for `chip` (sm_XY, or empty for the CPU): TF32 products
/// need an sm_80 or later; before, the request is dropped (exact f32).
static CompileOptions forChip(const CompileOptions &options,
                              llvm::StringRef chip) {
  CompileOptions result = options;
  unsigned version = 0;
  if (result.tensorCores != "none" && chip.consume_front("sm_") &&
      !chip.take_while(llvm::isDigit).getAsInteger(10, version) &&
      version < 80) {
    if (verbose())
      llvm::errs() << "keops: no tensor cores: TF32 products need sm_80 or "
                      "later, the device is sm_"
                   << version << "\n";
    result.tensorCores = "none";
  }
  return result;
}

std::shared_ptr<Module> Compiler::compile(llvm::StringRef source,
                                          const CompileOptions &requested,
                                          std::string &error) {
  std::lock_guard<std::mutex> lock(impl->mutex);
  StepTimer total("compile (total)");
  if (!impl->initError.empty()) {
    error = "the host target is not available: " + impl->initError;
    return nullptr;
  }
  std::string chip;
  if (requested.gpuDevice >= 0 &&
      !GpuModule::chipOf(requested.gpuDevice, chip, error))
    return nullptr;
  const CompileOptions options = forChip(requested, chip);
  std::vector<KernelInfo> infos;
  OwningOpRef<ModuleOp> module =
      impl->prepare(source, options, infos, error);
  if (!module)
    return nullptr;
  // Before the lowering, which replaces the functions by their kernels.
  std::vector<FunctionPlan> plans = buildFunctionPlans(*module);
  // The GPU emulator runs host code of the GPU kernels, not PTX.
  bool emulated = false;
  if (!chip.empty()) {
    cuda::Driver *driver = cuda::Driver::get(error);
    emulated = driver && driver->isEmulator();
    if (emulated)
      chip += "-emulated";
  }
  std::string key = impl->cacheKey(*module, options) + "|chip=" + chip;
  // (The file name's prefix, for the log only.)
  auto name = [&] { return ObjectCache::nameOf(key).substr(0, 16); };
  auto hit = impl->memoryCache.find(key);
  if (hit != impl->memoryCache.end()) {
    if (verbose())
      llvm::errs() << "keops: memory cache hit " << name() << "\n";
    return hit->second;
  }
  auto compileNow = [&](std::string &object) {
    if (chip.empty() || emulated) {
      if (!impl->lower(*module, options, object, error, emulated))
        return false;
      if (emulated)
        object = cuda::emulatorImage(object);
    } else if (!impl->lowerToPtx(*module, options, chip, object, error)) {
      return false;
    } else {
      compileCubin(chip, object);
    }
    impl->disk.write(key, object);
    return true;
  };
  auto load = [&](const std::string &object, std::vector<KernelInfo> kernels,
                  std::string &why) {
    return chip.empty()
               ? impl->load(object, std::move(kernels), why)
               : GpuModule::load(object, std::move(kernels), options, why);
  };
  std::string object; // an object file, or PTX
  std::shared_ptr<Module> loaded;
  if (impl->disk.read(key, object)) {
    if (verbose())
      llvm::errs() << "keops: disk cache hit " << name() << "\n";
    // A file that passed its checks but does not load (its checksum forged
    // over garbage) is replaced by a fresh compile.
    std::string why;
    loaded = load(object, infos, why);
    if (!loaded)
      impl->disk.reportUnloadable(key, why);
  }
  if (!loaded) {
    if (!compileNow(object))
      return nullptr;
    loaded = load(object, std::move(infos), error);
  }
  if (loaded) {
    loaded->plans = std::move(plans);
    impl->memoryCache[key] = loaded;
  }
  return loaded;
}

bool Compiler::compileToObject(llvm::StringRef source,
                               const CompileOptions &options,
                               std::string &object,
                               std::vector<KernelInfo> &infos,
                               std::string &error,
                               llvm::StringRef sourceName) {
  std::lock_guard<std::mutex> lock(impl->mutex);
  if (!impl->initError.empty()) {
    error = "the host target is not available: " + impl->initError;
    return false;
  }
  OwningOpRef<ModuleOp> module =
      impl->prepare(source, options, infos, error, sourceName);
  return module && impl->lower(*module, options, object, error);
}

bool Compiler::compileToPtx(llvm::StringRef source,
                            const CompileOptions &requested,
                            llvm::StringRef chip, std::string &ptx,
                            std::vector<KernelInfo> &infos,
                            std::string &error) {
  std::lock_guard<std::mutex> lock(impl->mutex);
  const CompileOptions options = forChip(requested, chip);
  OwningOpRef<ModuleOp> module =
      impl->prepare(source, options, infos, error);
  return module && impl->lowerToPtx(*module, options, chip, ptx, error);
}
