//===- keops-run.cpp - run keops reductions with the reference interpreter ===//
//
//   keops-run FILE.mlir [--entry NAME] [-M ROWS] [-N COLS] [--seed S]
//             [--input K=FILE.npy]... [--array K=ROWS]...
//             [--output-dir DIR] [--save-inputs DIR]
//
// Evaluates the function NAME (default: the first func.func) in double
// precision. Argument K comes from FILE.npy when given, else it is generated
// from the seed: uniform in [-1, 1), rounded to the argument's element type
// (integers uniform in [0, max(M, N)) for index variables), with M rows for
// i variables and N rows for j variables. Index variables take int32 or
// int64 .npy files (or integers inline). Outputs are printed and, with
// --output-dir, written as out<K>.npy.
//
//===----------------------------------------------------------------------===//

#include "keops/Interpreter/Interpreter.h"
#include "keops/Runtime/Runtime.h"
#include "keops/Support/SourceLimits.h"
#include "keops/Transforms/Pipelines.h"
#include "mlir/Pass/PassManager.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::keops;

namespace cl = llvm::cl;

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input.mlir>"),
                                      cl::init("-"));
static cl::opt<std::string> entry("entry", cl::desc("function to run"),
                                  cl::init(""));
static cl::opt<int64_t> rowsM("M", cl::desc("rows of generated i variables"),
                              cl::init(4));
static cl::opt<int64_t> colsN("N", cl::desc("rows of generated j variables"),
                              cl::init(5));
static cl::list<int64_t> batchExtents(
    "B", cl::CommaSeparated,
    cl::desc("batch extents of generated arguments (e.g. -B 2,3): the "
             "dynamic batch axes of reductions with batch axes"));
static cl::opt<uint64_t> seed("seed", cl::desc("seed of generated inputs"),
                              cl::init(0));
static cl::list<std::string> inputs("input",
                                    cl::desc("K=FILE.npy: argument K"));
static cl::list<std::string> arrays(
    "array", cl::desc("K=ROWS: argument K given inline, rows separated by "
                      "';' and values by ',' (e.g. 0=\"1,2;3,4\"); a 3-D one "
                      "as 2-D elements separated by '|'"));
static cl::opt<std::string> outputDir("output-dir",
                                      cl::desc("write outputs as .npy here"),
                                      cl::init(""));
static cl::opt<std::string> saveInputs(
    "save-inputs", cl::desc("write the arguments as arg<K>.npy here"),
    cl::init(""));
static cl::opt<bool> quiet("quiet", cl::desc("do not print the outputs"));
static cl::opt<std::string> backend(
    "backend",
    cl::desc("interp: the reference interpreter (double precision); cpu: "
             "the compiled kernels of the CPU backend; gpu: those of the GPU "
             "backend on CUDA device 0 (KEOPS_CUDA_DRIVER=emulator: on the "
             "GPU emulator)"),
    cl::init("interp"));
static cl::opt<int64_t> blockSize("block-size",
                                  cl::desc("GPU: threads per block"),
                                  cl::init(128));
static cl::opt<std::string> accumulation(
    "accumulation", cl::desc("CPU sums: plain, block, kahan or f64"),
    cl::init("block"));
static cl::opt<int64_t> lanes("lanes", cl::desc("CPU lanes (0: native)"),
                              cl::init(0));
static cl::opt<int64_t>
    splits("splits",
           cl::desc("CPU: reduce the reduced axis in this many ranges and "
                    "merge their states (checks the merge of the GPU's 2-D "
                    "scheme)"),
           cl::init(1));

/// Runs one reduction through its compiled kernel: converts the double
/// arrays to the kernel's types and back.
static FailureOr<std::vector<HostArray>>
runCompiled(const runtime::Module &compiled,
            const llvm::DenseMap<Operation *, size_t> &kernelOf, ReduceOp op,
            ArrayRef<HostArray> inputs, ArrayRef<int64_t> outShape) {
  // The ranges arrays follow the variables: int64 copies for the runtime
  // (per batch element: the batch axes in front).
  size_t numIns = op.getIns().size();
  size_t lead = op.hasBatchedRanges() ? size_t(op.getBatchRank()) : 0;
  std::vector<std::vector<int64_t>> rangeValues;
  runtime::RangesArg ranges;
  for (const HostArray &a : inputs.drop_front(numIns)) {
    rangeValues.emplace_back(a.data.begin(), a.data.end());
    size_t k = rangeValues.size() - 1;
    ranges.arrays[k] = rangeValues.back().data();
    ranges.lengths[k] = a.shape.size() > lead ? a.shape[lead] : 0;
    if (lead) {
      ranges.elements = 1;
      for (size_t axis = 0; axis < lead && axis < a.shape.size(); ++axis)
        ranges.elements *= a.shape[axis];
    }
  }
  inputs = inputs.take_front(numIns);
  size_t index = kernelOf.lookup(op);
  std::vector<std::vector<int64_t>> shapes;
  for (const HostArray &a : inputs)
    shapes.push_back(a.shape);
  SmallVector<int64_t> batch;
  int64_t rows[2];
  if (failed(reductionExtents(op, shapes, outShape, batch, rows)))
    return failure();
  int64_t elements = 1;
  for (int64_t extent : batch)
    elements *= extent;
  const runtime::KernelInfo &info = compiled.kernels()[index];
  Type elt = op.getElementType();
  auto toBits = [&](double v) -> uint64_t {
    llvm::APFloat f(v);
    bool lost;
    f.convert(cast<FloatType>(elt).getFloatSemantics(),
              llvm::APFloat::rmNearestTiesToEven, &lost);
    return f.bitcastToAPInt().getZExtValue();
  };
  size_t eltBytes = info.elementBits / 8, idxBytes = info.indexBits / 8;
  std::vector<std::vector<char>> inBuffers, outBuffers;
  std::vector<const void *> inPtrs;
  std::vector<void *> outPtrs;
  for (auto [k, a] : llvm::enumerate(inputs)) {
    // Index variables: integers of their width (the interpreter's checks
    // made sure they fit); float variables: the values rounded to the type.
    bool isInteger = info.inputIsInteger[k];
    size_t bytes = info.inputBits[k] / 8;
    std::vector<char> buffer(std::max<size_t>(1, a.data.size() * bytes));
    for (size_t e = 0; e < a.data.size(); ++e) {
      // (2^63 stands for INT64_MAX, see the interpreter's checks.)
      double v = a.data[e];
      uint64_t bits =
          !isInteger ? toBits(v)
          : v >= 0x1p63 ? static_cast<uint64_t>(INT64_MAX)
                        : static_cast<uint64_t>(static_cast<int64_t>(v));
      std::memcpy(buffer.data() + e * bytes, &bits, bytes);
    }
    inBuffers.push_back(std::move(buffer));
  }
  for (auto &b : inBuffers)
    inPtrs.push_back(b.data());
  int64_t keptRows = rows[static_cast<int>(op.getKeptCategory())];
  for (auto [k, width] : llvm::enumerate(info.outputWidths)) {
    std::vector<int64_t> shape(batch.begin(), batch.end());
    shape.push_back(keptRows);
    shape.push_back(width);
    if (std::string why = HostArray::sizeError(shape); !why.empty())
      return op.emitError() << "output #" << k << ": " << why;
    size_t bytes = info.outputIsIndex[k] ? idxBytes : eltBytes;
    outBuffers.emplace_back(
        std::max<size_t>(1, elements * keptRows * width * bytes));
  }
  for (auto &b : outBuffers)
    outPtrs.push_back(b.data());
  std::string error = compiled.run(index, inPtrs.data(), outPtrs.data(),
                                   std::max<int64_t>(rows[0], 0),
                                   std::max<int64_t>(rows[1], 0), nullptr,
                                   batch, op.hasRanges() ? &ranges : nullptr);
  if (!error.empty())
    return op.emitError() << error;
  std::vector<HostArray> outs;
  for (auto [k, width] : llvm::enumerate(info.outputWidths)) {
    std::vector<int64_t> shape(batch.begin(), batch.end());
    shape.push_back(keptRows);
    shape.push_back(width);
    HostArray a = HostArray::zeros(shape, info.outputIsIndex[k]);
    for (size_t e = 0; e < a.data.size(); ++e) {
      if (a.isIndex) {
        a.data[e] = idxBytes == 4
                        ? double(reinterpret_cast<int32_t *>(outBuffers[k].data())[e])
                        : double(reinterpret_cast<int64_t *>(outBuffers[k].data())[e]);
      } else {
        uint64_t bits = 0;
        std::memcpy(&bits, outBuffers[k].data() + e * eltBytes, eltBytes);
        llvm::APFloat f(cast<FloatType>(elt).getFloatSemantics(),
                        llvm::APInt(info.elementBits, bits));
        a.data[e] = f.convertToDouble();
      }
    }
    outs.push_back(std::move(a));
  }
  return outs;
}

static FailureOr<HostArray> parseInlineArray(StringRef text, int64_t rank,
                                             std::string &error);

/// Parses "1,2;3,4|5,6;7,8" for an argument of rank 3: the 2-D elements of
/// its first axis separated by '|', all of one shape.
static FailureOr<HostArray> parseInlineArray3(StringRef text,
                                              std::string &error) {
  SmallVector<StringRef> parts;
  text.split(parts, '|', -1, /*KeepEmpty=*/true);
  HostArray array;
  for (StringRef part : parts) {
    FailureOr<HostArray> element = parseInlineArray(part, 2, error);
    if (failed(element))
      return failure();
    if (!array.shape.empty() && array.shape[1] != element->shape[0]) {
      error = "elements of different shapes in '" + text.str() + "'";
      return failure();
    }
    array.shape = {0, element->shape[0], element->shape[1]};
    llvm::append_range(array.data, element->data);
  }
  array.shape[0] = int64_t(parts.size());
  return array;
}

/// Parses an inline array "1,2;3,4" for an argument of rank `rank` (1 to
/// 3: parseInlineArray3).
static FailureOr<HostArray> parseInlineArray(StringRef text, int64_t rank,
                                             std::string &error) {
  if (rank == 3)
    return parseInlineArray3(text, error);
  HostArray array;
  SmallVector<StringRef> rows;
  text.split(rows, ';', -1, /*KeepEmpty=*/false);
  int64_t cols = -1;
  for (StringRef row : rows) {
    SmallVector<StringRef> items;
    row.split(items, ',', -1, /*KeepEmpty=*/false);
    if (cols >= 0 && static_cast<int64_t>(items.size()) != cols) {
      error = "rows of different lengths in '" + text.str() + "'";
      return failure();
    }
    cols = items.size();
    for (StringRef item : items) {
      item = item.trim();
      double v;
      if (item == "nan" || item == "inf" || item == "-inf")
        v = item == "nan" ? NAN : item == "inf" ? INFINITY : -INFINITY;
      else if (item.getAsDouble(v)) {
        error = "'" + item.str() + "' is not a number";
        return failure();
      }
      array.data.push_back(v);
    }
  }
  if (rank == 1) {
    array.shape = {static_cast<int64_t>(array.data.size())};
  } else if (rank == 2) {
    array.shape = {static_cast<int64_t>(rows.size()), std::max<int64_t>(cols, 0)};
  } else {
    error = "--array only gives 1-D, 2-D and 3-D arguments";
    return failure();
  }
  return array;
}

static void printArray(llvm::raw_ostream &os, const HostArray &a) {
  int64_t cols = a.shape.empty() ? 1 : a.shape.back();
  for (int64_t n = 0; n < a.numElements(); ++n) {
    if (a.isIndex)
      os << static_cast<int64_t>(a.data[n]);
    else
      os << llvm::format("%.17g", a.data[n]);
    os << ((n + 1) % cols == 0 ? "\n" : " ");
  }
}

static LogicalResult run(ModuleOp module) {
  func::FuncOp fn;
  module.walk([&](func::FuncOp f) {
    if (!fn && (entry.empty() || f.getSymName() == entry))
      fn = f;
  });
  if (!fn)
    return module.emitError() << (entry.empty() ? "no function to run"
                                                : "no function named '" +
                                                      entry + "'");
  if (rowsM < 0 || colsN < 0)
    return module.emitError() << "-M and -N must be >= 0";

  std::vector<HostArray> args(fn.getNumArguments());
  SmallVector<bool> given(fn.getNumArguments(), false);
  for (const std::string &spec : inputs) {
    StringRef text(spec);
    auto [indexText, path] = text.split('=');
    unsigned index;
    if (path.empty() || indexText.getAsInteger(10, index) ||
        index >= fn.getNumArguments())
      return fn.emitError() << "bad --input '" << spec
                            << "': expected K=FILE.npy with K < "
                            << fn.getNumArguments();
    std::string error;
    FailureOr<HostArray> array = keops::readNpy(path, error);
    if (failed(array))
      return fn.emitError() << error;
    args[index] = std::move(*array);
    given[index] = true;
  }
  for (const std::string &spec : arrays) {
    auto [indexText, rowsText] = StringRef(spec).split('=');
    unsigned index;
    if (indexText.getAsInteger(10, index) || index >= fn.getNumArguments())
      return fn.emitError() << "bad --array '" << spec
                            << "': expected K=ROWS with K < "
                            << fn.getNumArguments();
    auto type = dyn_cast<ShapedType>(fn.getArgument(index).getType());
    if (!type || !type.hasRank())
      return fn.emitError() << "bad --array '" << spec << "': argument #"
                            << index << " is not an array";
    std::string error;
    FailureOr<HostArray> array =
        parseInlineArray(rowsText, type.getRank(), error);
    if (failed(array))
      return fn.emitError() << "bad --array '" << spec << "': " << error;
    array->isIndex = isa<IntegerType>(type.getElementType());
    args[index] = std::move(*array);
    given[index] = true;
  }
  SmallVector<int64_t> batch(batchExtents.begin(), batchExtents.end());
  if (failed(keops::generateArguments(fn, args, given, rowsM, colsN, batch,
                                      seed)))
    return failure();
  if (!saveInputs.empty()) {
    for (auto [index, array] : llvm::enumerate(args)) {
      std::string error;
      SmallString<128> path(saveInputs);
      llvm::sys::path::append(path, "arg" + Twine(index) + ".npy");
      if (failed(keops::writeNpy(path, array, error)))
        return fn.emitError() << error;
    }
  }

  ReduceEvaluator evaluator;
  std::shared_ptr<runtime::Module> compiled;
  llvm::DenseMap<Operation *, size_t> kernelOf;
  if (backend == "cpu" || backend == "gpu") {
    std::string text, error;
    llvm::raw_string_ostream os(text);
    module->print(os);
    runtime::CompileOptions options;
    options.accumulation = accumulation;
    options.lanes = lanes;
    options.splits = splits;
    if (backend == "gpu") {
      options.gpuDevice = 0;
      options.gpuBlockSize = blockSize;
    }
    compiled = runtime::Compiler::global().compile(text, options, error);
    if (!compiled)
      return module.emitError() << "compilation failed:\n" << error;
    // Kernels are numbered like keops-outline-kernels numbers them.
    size_t index = 0;
    for (auto f : module.getOps<func::FuncOp>())
      f.walk([&](ReduceOp op) { kernelOf[op] = index++; });
    evaluator = [&](ReduceOp op, ArrayRef<HostArray> ins,
                    ArrayRef<int64_t> outShape) {
      return runCompiled(*compiled, kernelOf, op, ins, outShape);
    };
  } else if (backend != "interp") {
    return module.emitError() << "unknown backend '" << backend
                              << "'; expected interp, cpu or gpu";
  }
  FailureOr<std::vector<HostArray>> outputs =
      keops::interpretFunction(fn, args, evaluator);
  if (failed(outputs))
    return failure();
  for (auto [index, out] : llvm::enumerate(*outputs)) {
    if (!quiet) {
      llvm::outs() << "output " << index << ": shape (";
      for (size_t k = 0; k < out.shape.size(); ++k)
        llvm::outs() << (k ? ", " : "") << out.shape[k];
      llvm::outs() << ")" << (out.isIndex ? " indices" : "") << "\n";
      printArray(llvm::outs(), out);
    }
    if (!outputDir.empty()) {
      std::string error;
      SmallString<128> path(outputDir);
      llvm::sys::path::append(path, "out" + Twine(index) + ".npy");
      if (failed(keops::writeNpy(path, out, error)))
        return fn.emitError() << error;
    }
  }
  return success();
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(
      argc, argv, "keops-run: the keops reference interpreter (double precision)\n");

  DialectRegistry registry;
  registry.insert<KeopsDialect, arith::ArithDialect, math::MathDialect,
                  vector::VectorDialect, func::FuncDialect,
                  tensor::TensorDialect>();
  MLIRContext context(registry);
  context.allowUnregisteredDialects(false);
  context.printOpOnDiagnostic(false);

  std::string error;
  auto file = openInputFile(inputFile, &error);
  if (!file) {
    llvm::errs() << "keops-run: " << error << "\n";
    return 1;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  if (!keops::checkSourceNesting(sourceMgr, sourceMgr.getMainFileID(),
                                 llvm::errs()))
    return 1;
  SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;
  // Gradients are defined by the differentiation passes; run them first.
  PassManager pm(&context);
  buildDifferentiationPipeline(pm);
  if (failed(pm.run(*module)))
    return 1;
  return failed(run(*module)) ? 1 : 0;
}
