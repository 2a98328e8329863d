//===- keops-compile.cpp - ahead-of-time libraries of keops kernels ------===//
//
//   keops-compile FILE.mlir -o OUT.o  [--header OUT.h] [--prefix NAME]
//   keops-compile FILE.mlir -o OUT.so [--header OUT.h] [--prefix NAME]
//                 [--lanes L] [--blocks B] [--accumulation A]
//                 [--approximate-math=false] [--opt-level O] [--cc PATH]
//   keops-compile FILE.mlir -o OUT.ptx --chip sm_90 [--block-size B]
//                 [--tensor-cores tf32]
//
// Compiles every keops.reduce of FILE.mlir for the host CPU, as the JIT
// runtime does, and writes
//   - OUT.o: a relocatable, position-independent object holding one global
//     function per kernel, with the runtime's calling convention
//       void NAME(const void *const *inputs, void *const *outputs,
//                 int64_t M, int64_t N, int64_t begin, int64_t end);
//   - OUT.so: a shared library holding the kernels and, for each kernel, the
//     entry points NAME_run and NAME_run_threads (generated C, compiled and
//     linked here with the system C compiler);
//   - OUT.h: a C header documenting each kernel (reduction, operands, types)
//     and declaring its functions (the raw kernel only for an object file);
//   - OUT.ptx: the PTX of the GPU kernels for one architecture (the GPU
//     calling convention of keops-outline-kernels{gpu}), for ptxas or
//     cuModuleLoadData.
//
//===----------------------------------------------------------------------===//

#include "keops/Runtime/Runtime.h"

#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"

#include <set>

using namespace mlir;
using namespace mlir::keops;
using namespace mlir::keops::runtime;

namespace cl = llvm::cl;

static cl::OptionCategory category("keops-compile options");

static cl::opt<std::string> inputFile(cl::Positional, cl::Required,
                                      cl::desc("<input.mlir>"),
                                      cl::cat(category));
static cl::opt<std::string>
    outputFile("o", cl::Required, cl::value_desc("OUT.o|OUT.so|OUT.ptx"),
               cl::desc("output: a relocatable object (.o), a shared "
                        "library with the _run entry points (.so), or the "
                        "PTX of GPU kernels (.ptx, with --chip)"),
               cl::cat(category));
static cl::opt<std::string> headerFile("header", cl::value_desc("OUT.h"),
                                       cl::desc("write a C header"),
                                       cl::init(""), cl::cat(category));
static cl::opt<std::string>
    prefix("prefix", cl::value_desc("NAME"),
           cl::desc("prepended to every symbol (kernel FUNCTION_kernelK "
                    "becomes NAMEFUNCTION_kernelK)"),
           cl::init(""), cl::cat(category));
static cl::opt<int64_t> lanes("lanes",
                              cl::desc("output rows per vector, 0: native"),
                              cl::init(0), cl::cat(category));
static cl::opt<int64_t> blocks("blocks",
                               cl::desc("groups of lanes per iteration"),
                               cl::init(2), cl::cat(category));
static cl::opt<std::string>
    accumulation("accumulation", cl::desc("sums: plain, block, kahan or f64"),
                 cl::init("block"), cl::cat(category));
static cl::opt<bool>
    approximateMath("approximate-math",
                    cl::desc("polynomial f32 elementary functions"),
                    cl::init(true), cl::cat(category));
static cl::opt<int> optLevel("opt-level",
                             cl::desc("LLVM optimization level, 0 to 3"),
                             cl::init(3), cl::cat(category));
static cl::opt<std::string>
    ccOption("cc", cl::value_desc("PATH"),
             cl::desc("C compiler that links a .so (default: $KEOPS_CC, else "
                      "the C compiler keops-mlir was built with, else cc)"),
             cl::init(""), cl::cat(category));

static cl::opt<std::string> chip("chip", cl::value_desc("sm_XY"),
                                 cl::desc("NVIDIA architecture of a .ptx output"),
                                 cl::init(""), cl::cat(category));
static cl::opt<bool> partialStates(
    "partial-states",
    cl::desc("also the kernels of partial states (F_kernelK_partial, _merge, "
             "_finalize)"),
    cl::init(false), cl::cat(category));
static cl::opt<int64_t> blockSize("block-size",
                                  cl::desc("GPU threads per block (.ptx)"),
                                  cl::init(128), cl::cat(category));
static cl::opt<std::string> tensorCores(
    "tensor-cores",
    cl::desc("inner products of long vectors on the tensor cores (.ptx): "
             "none (exact f32) or tf32"),
    cl::init("none"), cl::cat(category));

#ifndef KEOPS_BUILD_C_COMPILER
#define KEOPS_BUILD_C_COMPILER ""
#endif

static int fail(const llvm::Twine &message) {
  llvm::errs() << "keops-compile: error: " << message << "\n";
  return 1;
}

static bool isCIdentifier(llvm::StringRef s) {
  if (s.empty() || llvm::isDigit(s.front()))
    return false;
  return llvm::all_of(s, [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

//===----------------------------------------------------------------------===//
// Generated C
//===----------------------------------------------------------------------===//

static const char *floatName(int bits) {
  switch (bits) {
  case 16:
    return "f16 (IEEE half, 2 bytes: _Float16 or uint16_t bits)";
  case 64:
    return "f64 (double)";
  default:
    return "f32 (float)";
  }
}

static std::string rowsOf(Category c) {
  return c == Category::I ? "M" : c == Category::J ? "N" : "";
}

/// The comment describing one kernel.
static void describe(llvm::raw_ostream &os, const KernelInfo &info) {
  Category kept = info.axis == Axis::J ? Category::I : Category::J;
  os << "/* " << info.name << ": " << stringifyReductionKind(info.kind)
     << " over " << stringifyAxis(info.axis);
  if (info.k)
    os << ", K = " << info.k;
  os << "\n *   inputs (inputs[k] points to a row-major array):\n";
  for (size_t k = 0; k < info.categories.size(); ++k) {
    Category c = info.categories[k];
    os << " *     " << k << ": category " << stringifyCategory(c) << ", D = "
       << info.inputDims[k] << ", ";
    if (info.inputIsInteger[k])
      os << "int" << info.inputBits[k] << "_t (index variable)";
    else
      os << floatName(info.elementBits);
    os << ", ";
    if (c == Category::P)
      os << info.inputDims[k]
         << (info.inputDims[k] == 1 ? " value\n" : " values\n");
    else
      os << rowsOf(c) << " x " << info.inputDims[k] << "\n";
  }
  os << " *   outputs (one row per " << (kept == Category::I ? "i" : "j")
     << "):\n";
  for (size_t k = 0; k < info.outputWidths.size(); ++k) {
    os << " *     " << k << ": width " << info.outputWidths[k] << ", ";
    if (info.outputIsIndex[k])
      os << "int" << info.indexBits << "_t (indices)";
    else
      os << floatName(info.elementBits);
    os << ", " << rowsOf(kept) << " x " << info.outputWidths[k] << "\n";
  }
  if (info.batchRank > 0)
    os << " *   batch axes: " << info.batchRank
       << "; inputs[" << info.categories.size()
       << "] points to the batch extents (int64_t); every operand holds its\n"
          " *     batch elements one after the other (row-major over the axes\n"
          " *     it is not broadcast along), each laid out as above; the raw\n"
          " *     kernel's rows are those of all elements end to end\n";
  os << " */\n";
}

/// The header: documentation and declarations. `wrappers`: declare the _run
/// entry points (which only a shared library built here holds).
static std::string makeHeader(llvm::ArrayRef<KernelInfo> infos,
                              llvm::StringRef guard, llvm::StringRef source,
                              bool wrappers) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "/* Generated by keops-compile from " << source
     << ". Do not edit.\n"
        " *\n"
        " * Kernels compiled ahead of time for "
     << llvm::sys::getProcessTriple() << ", CPU " << llvm::sys::getHostCPUName()
     << "\n"
        " * (its vector extensions included): run them on that kind of CPU.\n"
        " * Options: lanes = "
     << lanes << ", blocks = " << blocks << ", accumulation = " << accumulation
     << ",\n * approximate math = " << (approximateMath ? "on" : "off")
     << ", opt level = " << optLevel << ", symbol prefix = '" << prefix
     << "'.\n"
        " *\n"
        " * Arrays are row-major and contiguous. M and N are the numbers of\n"
        " * rows of the i and j variables; a parameter (category p) is one\n"
        " * vector. Every kernel has the raw entry point\n"
        " *   void NAME(const void *const *inputs, void *const *outputs,\n"
        " *             int64_t M, int64_t N, int64_t begin, int64_t end);\n"
        " * which computes output rows [begin, end) and checks nothing: calls\n"
        " * on disjoint row ranges may run in parallel.\n";
  if (wrappers)
    os << " *\n"
          " * The shared library also holds, per kernel:\n"
          " *   int NAME_run(inputs, outputs, M, N): all output rows, on the\n"
          " *     calling thread;\n"
          " *   int NAME_run_threads(inputs, outputs, M, N, threads): the\n"
          " *     rows split over `threads` threads (pthreads).\n"
          " * They return KEOPS_AOT_OK, or a nonzero status without running\n"
          " * anything when an argument is invalid.\n";
  else
    os << " *\n"
          " * This header goes with an object file, which holds the raw\n"
          " * kernels only: call NAME(inputs, outputs, M, N, 0, rows) with\n"
          " * rows = M for a reduction over j, N for a reduction over i. (A\n"
          " * shared library made by keops-compile -o OUT.so also holds\n"
          " * checked NAME_run entry points.)\n";
  os << " */\n\n#ifndef " << guard << "\n#define " << guard
     << "\n\n#include <stdint.h>\n\n";
  if (wrappers)
    os << "#ifndef KEOPS_AOT_STATUS_DEFINED\n"
          "#define KEOPS_AOT_STATUS_DEFINED\n"
          "#define KEOPS_AOT_OK 0\n"
          "#define KEOPS_AOT_NULL_POINTER 1 /* inputs, outputs or an entry */\n"
          "#define KEOPS_AOT_BAD_SIZE 2     /* M < 0 or N < 0 */\n"
          "#define KEOPS_AOT_BAD_THREADS 3  /* threads < 1 */\n"
          "#endif\n\n";
  os << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  for (const KernelInfo &info : infos) {
    describe(os, info);
    os << "void " << info.name
       << "(const void *const *inputs, void *const *outputs,\n"
          "    int64_t M, int64_t N, int64_t begin, int64_t end);\n";
    if (wrappers)
      os << "int " << info.name
         << "_run(const void *const *inputs, void *const *outputs,\n"
            "    int64_t M, int64_t N);\n"
            "int "
         << info.name
         << "_run_threads(const void *const *inputs, void *const *outputs,\n"
            "    int64_t M, int64_t N, int threads);\n";
    os << "\n";
  }
  os << "#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << guard << " */\n";
  return text;
}

/// The C source of the _run entry points: the header, then the definitions.
static std::string makeWrappers(llvm::ArrayRef<KernelInfo> infos,
                                llvm::StringRef header) {
  std::string text;
  llvm::raw_string_ostream os(text);
  // Fast-math kernels run with subnormals flushed to zero, as in the
  // runtime (lib/Runtime/FloatEnvironment.h); the caller's state is restored.
  bool flush = !infos.empty() && infos.front().flushSubnormals;
  os << header << "\n#define KEOPS_AOT_FLUSH_SUBNORMALS " << (flush ? 1 : 0)
     << R"(
#include <pthread.h>
#include <stdlib.h>
#if KEOPS_AOT_FLUSH_SUBNORMALS && (defined(__x86_64__) || defined(__i386__))
#include <xmmintrin.h>
#define KEOPS_AOT_MXCSR 1
#endif

typedef void (*keops_aot_kernel)(const void *const *, void *const *, int64_t,
                                 int64_t, int64_t, int64_t);

typedef struct {
  keops_aot_kernel kernel;
  const void *const *inputs;
  void *const *outputs;
  int64_t M, N, begin, end;
} keops_aot_task;

static void *keops_aot_work(void *arg) {
  keops_aot_task *t = (keops_aot_task *)arg;
#ifdef KEOPS_AOT_MXCSR
  unsigned csr = _mm_getcsr();
  _mm_setcsr(csr | 0x8040u); /* FTZ | DAZ */
#endif
  if (t->begin < t->end)
    t->kernel(t->inputs, t->outputs, t->M, t->N, t->begin, t->end);
#ifdef KEOPS_AOT_MXCSR
  _mm_setcsr(csr);
#endif
  return NULL;
}

/* Rows split into `threads` ranges of whole 64-row blocks; a thread that
   cannot be created leaves its range to the calling thread. */
static int keops_aot_parallel(keops_aot_kernel kernel,
                              const void *const *inputs, void *const *outputs,
                              int64_t M, int64_t N, int64_t rows,
                              int threads) {
  int64_t blocks = (rows + 63) / 64, per, t;
  keops_aot_task *tasks;
  pthread_t *ids;
  char *started;
  if (threads < 1)
    return KEOPS_AOT_BAD_THREADS;
  if (threads > blocks)
    threads = blocks > 0 ? (int)blocks : 1;
  if (threads == 1) {
    keops_aot_task task = {kernel, inputs, outputs, M, N, 0, rows};
    keops_aot_work(&task);
    return KEOPS_AOT_OK;
  }
  tasks = (keops_aot_task *)malloc(sizeof(keops_aot_task) * threads);
  ids = (pthread_t *)malloc(sizeof(pthread_t) * threads);
  started = (char *)calloc(threads, 1);
  if (!tasks || !ids || !started) {
    free(tasks);
    free(ids);
    free(started);
    {
      keops_aot_task task = {kernel, inputs, outputs, M, N, 0, rows};
      keops_aot_work(&task);
    }
    return KEOPS_AOT_OK;
  }
  per = (blocks + threads - 1) / threads * 64;
  for (t = 0; t < threads; ++t) {
    keops_aot_task task = {kernel, inputs, outputs, M, N, t * per,
                           (t + 1) * per};
    if (task.begin > rows)
      task.begin = rows;
    if (task.end > rows)
      task.end = rows;
    tasks[t] = task;
  }
  for (t = 1; t < threads; ++t)
    started[t] = pthread_create(&ids[t], NULL, keops_aot_work, &tasks[t]) == 0;
  keops_aot_work(&tasks[0]);
  for (t = 1; t < threads; ++t) {
    if (started[t])
      pthread_join(ids[t], NULL);
    else
      keops_aot_work(&tasks[t]);
  }
  free(tasks);
  free(ids);
  free(started);
  return KEOPS_AOT_OK;
}
)";
  for (const KernelInfo &info : infos) {
    std::string rows = info.axis == Axis::J ? "M" : "N";
    size_t numIns = info.categories.size();
    if (info.batchRank > 0) {
      // The rows of all batch elements, laid end to end (the batch extents
      // are the input after the variables).
      os << "\nstatic int64_t " << info.name
         << "_rows(const void *const *inputs, int64_t M, int64_t N) {\n"
            "  const int64_t *batch = (const int64_t *)inputs["
         << numIns << "];\n  int64_t rows = " << rows << ";\n  (void)"
         << (rows == "M" ? "N" : "M") << ";\n  for (int a = 0; a < "
         << info.batchRank << "; ++a)\n    rows *= batch[a];\n"
         << "  return rows;\n}\n";
      rows = info.name + "_rows(inputs, M, N)";
    }
    os << "\nstatic int " << info.name
       << "_check(const void *const *inputs, void *const *outputs,\n"
          "    int64_t M, int64_t N) {\n"
          "  if (M < 0 || N < 0)\n"
          "    return KEOPS_AOT_BAD_SIZE;\n"
          "  if (!inputs || !outputs)\n"
          "    return KEOPS_AOT_NULL_POINTER;\n";
    for (size_t k = 0; k < numIns; ++k)
      os << "  if (!inputs[" << k << "])\n    return KEOPS_AOT_NULL_POINTER;\n";
    if (info.batchRank > 0) {
      os << "  if (!inputs[" << numIns
         << "])\n    return KEOPS_AOT_NULL_POINTER;\n";
      for (int64_t a = 0; a < info.batchRank; ++a)
        os << "  if (((const int64_t *)inputs[" << numIns << "])[" << a
           << "] < 0)\n    return KEOPS_AOT_BAD_SIZE;\n";
    }
    for (size_t k = 0; k < info.outputWidths.size(); ++k)
      os << "  if (!outputs[" << k
         << "])\n    return KEOPS_AOT_NULL_POINTER;\n";
    os << "  return KEOPS_AOT_OK;\n}\n\n"
       << "int " << info.name
       << "_run(const void *const *inputs, void *const *outputs,\n"
          "    int64_t M, int64_t N) {\n"
          "  int status = "
       << info.name
       << "_check(inputs, outputs, M, N);\n"
          "  if (status != KEOPS_AOT_OK)\n"
          "    return status;\n"
          "  if ("
       << rows << " > 0)\n    " << info.name << "(inputs, outputs, M, N, 0, "
       << rows
       << ");\n"
          "  return KEOPS_AOT_OK;\n}\n\n"
          "int "
       << info.name
       << "_run_threads(const void *const *inputs, void *const *outputs,\n"
          "    int64_t M, int64_t N, int threads) {\n"
          "  int status = "
       << info.name
       << "_check(inputs, outputs, M, N);\n"
          "  if (status != KEOPS_AOT_OK)\n"
          "    return status;\n"
          "  return keops_aot_parallel("
       << info.name << ", inputs, outputs, M, N, " << rows
       << ", threads);\n}\n";
  }
  return text;
}

/// Header guard from the header's file name: KEOPS_AOT_<NAME>_H.
static std::string guardFor(llvm::StringRef path) {
  std::string guard = "KEOPS_AOT_";
  for (char c : llvm::sys::path::filename(path))
    guard += llvm::isAlnum(c) ? llvm::toUpper(c) : '_';
  return guard;
}

//===----------------------------------------------------------------------===//
// Linking
//===----------------------------------------------------------------------===//

/// A program given by name or path; a bare name is looked up on PATH.
static std::string resolveProgram(llvm::StringRef program) {
  if (program.contains('/'))
    return program.str();
  if (auto path = llvm::sys::findProgramByName(program))
    return *path;
  return program.str(); // reported when it cannot be run
}

static std::string findCCompiler() {
  if (!ccOption.empty())
    return resolveProgram(ccOption);
  if (const char *env = std::getenv("KEOPS_CC"); env && *env)
    return resolveProgram(env);
  llvm::StringRef built = KEOPS_BUILD_C_COMPILER;
  if (!built.empty() && llvm::sys::fs::can_execute(built))
    return built.str();
  for (const char *name : {"cc", "gcc", "clang"})
    if (auto path = llvm::sys::findProgramByName(name))
      return *path;
  return "";
}

/// A temporary file removed when this goes out of scope.
struct TempFile {
  llvm::SmallString<128> path;
  ~TempFile() {
    if (!path.empty())
      llvm::sys::fs::remove(path);
  }
};

static bool writeFile(llvm::StringRef path, llvm::StringRef contents,
                      std::string &error) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (!ec) {
    os << contents;
    os.close();
    ec = os.error();
  }
  if (ec)
    error = "cannot write " + path.str() + ": " + ec.message();
  return !ec;
}

/// Links the object and the wrappers into the shared library `output`.
static bool linkShared(llvm::StringRef object, llvm::StringRef wrappers,
                       llvm::StringRef output, std::string &error) {
  std::string cc = findCCompiler();
  if (cc.empty()) {
    error = "no C compiler to link " + output.str() +
            ": install cc, or pass --cc PATH (or set KEOPS_CC)";
    return false;
  }
  TempFile objectFile, sourceFile;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
          "keops-kernels", "o", objectFile.path)) {
    error = "cannot create a temporary file: " + ec.message();
    return false;
  }
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
          "keops-wrappers", "c", sourceFile.path)) {
    error = "cannot create a temporary file: " + ec.message();
    return false;
  }
  if (!writeFile(objectFile.path, object, error) ||
      !writeFile(sourceFile.path, wrappers, error))
    return false;
  std::string soname = "-Wl,-soname," + llvm::sys::path::filename(output).str();
  llvm::SmallVector<llvm::StringRef> args = {
      cc,     "-shared", "-fPIC", "-O2",        "-o", output,
      objectFile.path, sourceFile.path,   soname, "-lm",  "-pthread"};
  std::string message;
  bool failedToRun = false;
  int rc = llvm::sys::ExecuteAndWait(cc, args, std::nullopt, {}, 0, 0,
                                     &message, &failedToRun);
  if (failedToRun || rc < 0) {
    error = "cannot run the C compiler " + cc + ": " + message;
    return false;
  }
  if (rc != 0) {
    error = "linking " + output.str() + " failed: " + llvm::join(args, " ") +
            " exited with status " + std::to_string(rc);
    return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Main
//===----------------------------------------------------------------------===//

/// The .ptx output: the GPU kernels for --chip.
static int writePtx() {
  if (!llvm::StringRef(chip).starts_with("sm_"))
    return fail("a .ptx output needs --chip sm_XY (for example sm_90)");
  if (blockSize < 1 || blockSize > 1024)
    return fail("--block-size must be 1 to 1024");
  if (tensorCores != "none" && tensorCores != "tf32")
    return fail("--tensor-cores must be none or tf32");
  std::string message;
  std::unique_ptr<llvm::MemoryBuffer> input =
      openInputFile(inputFile, &message);
  if (!input)
    return fail(message);
  CompileOptions options;
  options.accumulation = accumulation;
  options.approximateMath = approximateMath;
  options.symbolPrefix = prefix;
  options.gpuBlockSize = blockSize;
  options.tensorCores = tensorCores;
  options.partialStates = partialStates;
  std::string ptx;
  std::vector<KernelInfo> infos;
  if (!Compiler::global().compileToPtx(input->getBuffer(), options, chip, ptx,
                                       infos, message))
    return fail(message);
  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputFile, &message);
  if (!output)
    return fail(message);
  output->os() << ptx;
  output->keep();
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "keops-compile: compile keops reductions into an object file or a "
      "shared library, with a C header\n");

  if (llvm::StringRef(outputFile).ends_with(".ptx"))
    return writePtx();
  if (!chip.empty())
    return fail("--chip is for a .ptx output");
  bool shared;
  if (llvm::StringRef(outputFile).ends_with(".so"))
    shared = true;
  else if (llvm::StringRef(outputFile).ends_with(".o"))
    shared = false;
  else
    return fail("the output must end in .o (object file), .so (shared "
                "library) or .ptx (GPU kernels): " + outputFile);
  if (!prefix.empty() && !isCIdentifier(prefix))
    return fail("--prefix must be a C identifier: '" + prefix + "'");
  if (lanes < 0 || lanes > 256)
    return fail("--lanes must be 0 to 256");
  if (blocks < 1 || blocks > 16)
    return fail("--blocks must be 1 to 16");
  if (accumulation != "plain" && accumulation != "block" &&
      accumulation != "kahan" && accumulation != "f64")
    return fail("--accumulation must be plain, block, kahan or f64");
  if (optLevel < 0 || optLevel > 3)
    return fail("--opt-level must be 0 to 3");

  std::string message;
  std::unique_ptr<llvm::MemoryBuffer> input =
      openInputFile(inputFile, &message);
  if (!input)
    return fail(message);

  // Open the outputs first: an unwritable path fails before compiling. They
  // are removed again unless everything succeeds.
  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputFile, &message);
  if (!output)
    return fail(message);
  std::unique_ptr<llvm::ToolOutputFile> header;
  if (!headerFile.empty()) {
    header = openOutputFile(headerFile, &message);
    if (!header)
      return fail(message);
  }

  CompileOptions options;
  options.lanes = lanes;
  options.blocks = blocks;
  options.accumulation = accumulation;
  options.approximateMath = approximateMath;
  options.optLevel = optLevel;
  options.symbolPrefix = prefix;
  options.partialStates = partialStates;
  std::string object, error;
  std::vector<KernelInfo> infos;
  std::string sourceName =
      inputFile == "-" ? std::string("<stdin>") : inputFile.getValue();
  if (!Compiler::global().compileToObject(input->getBuffer(), options, object,
                                          infos, error, sourceName)) {
    llvm::errs() << error;
    if (!error.empty() && error.back() != '\n')
      llvm::errs() << "\n";
    return fail("cannot compile " + sourceName);
  }
  std::set<std::string> names;
  for (const KernelInfo &info : infos) {
    if (info.hasRanges)
      return fail("kernel '" + info.name + "' is block-sparse (ranges): "
                  "ahead-of-time libraries do not take ranges yet; run it "
                  "through the JIT (keops_run_ranged)");
    if (!isCIdentifier(info.name))
      return fail("kernel '" + info.name +
                  "' is not a C identifier: rename its function");
    if (!names.insert(info.name).second)
      return fail("two kernels are named '" + info.name + "'");
  }

  std::string headerName = headerFile.empty()
                               ? llvm::sys::path::stem(outputFile).str() + ".h"
                               : headerFile.getValue();
  std::string guard = guardFor(headerName);
  std::string headerText = makeHeader(infos, guard,
                                      llvm::sys::path::filename(sourceName),
                                      shared);
  if (shared) {
    output->os().close();
    if (!linkShared(object, makeWrappers(infos, headerText), outputFile,
                    error))
      return fail(error);
  } else {
    output->os() << object;
    output->os().close();
  }
  if (output->os().has_error()) {
    std::error_code ec = output->os().error();
    output->os().clear_error();
    return fail("cannot write " + outputFile + ": " + ec.message());
  }
  if (header) {
    header->os() << headerText;
    header->os().close();
    if (header->os().has_error()) {
      std::error_code ec = header->os().error();
      header->os().clear_error();
      return fail("cannot write " + headerFile + ": " + ec.message());
    }
    header->keep();
  }
  output->keep();
  return 0;
}
