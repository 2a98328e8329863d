//===- Runtime.h - compile keops modules and run their kernels --*- C++ -*-===//
//
// The C++ API of the runtime: compile a module holding keops reductions for
// the host CPU (through a memory and disk cache), then run its kernels on
// raw row-major host arrays, with output rows split over a thread pool.
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_RUNTIME_RUNTIME_H
#define KEOPS_RUNTIME_RUNTIME_H

#include "keops/Dialect/Keops.h"

#include <array>
#include <memory>
#include <string>
#include <vector>

namespace mlir::keops::runtime {

/// What a caller needs to know to run one kernel.
struct KernelInfo {
  std::string name;
  ReductionKind kind;
  Axis axis;
  int64_t k = 0;
  std::vector<Category> categories; ///< one per input
  std::vector<int64_t> inputDims;   ///< D of each input
  std::vector<int> inputBits;       ///< element width of each input
  std::vector<bool> inputIsInteger; ///< index variables (i32, i64)
  std::vector<int64_t> outputWidths;
  std::vector<bool> outputIsIndex;
  /// Batch axes (ReduceOp::getBatchRank) and, per input, those along which
  /// it is broadcast (a static 1 in its type).
  int64_t batchRank = 0;
  std::vector<std::vector<bool>> inputBroadcast;
  /// Block-sparse: the kernel takes ranges (ReduceOp::hasRanges), one tuple
  /// per batch element with batchedRanges (ReduceOp::hasBatchedRanges).
  bool hasRanges = false;
  bool batchedRanges = false;
  int elementBits = 32;  ///< 16, 32 or 64 (floats)
  int indexBits = 64;    ///< 32 or 64 (index outputs)
  /// The accumulator state of one output row: its bytes and its number of
  /// values (the partial states of the GPU's 2-D scheme).
  int64_t stateBytes = 0;
  int64_t stateCount = 0;
  /// CPU kernels compiled with approximate math run with subnormal floats
  /// flushed to zero (lib/Runtime/FloatEnvironment.h).
  bool flushSubnormals = false;
  /// The arrays of the kernel's partial state per kept row
  /// (ReduceOp::getStateLayout): values of the float type, indices of
  /// `stateIndexBits` bits. Runnable when the module was compiled with
  /// CompileOptions::partialStates.
  std::vector<OutputArray> stateLayout;
  int stateIndexBits = 32;
  /// The bytes of `rows` rows of a state array (or of an output written
  /// from states: its indices have the state's index type).
  size_t stateArrayBytes(const OutputArray &a, int64_t rows) const {
    return size_t(rows) * a.width *
           ((a.isIndex ? stateIndexBits : elementBits) / 8);
  }
  bool partialStates = false;
  /// Output rows a block of the GPU's 1-D and _part kernels computes
  /// (mlir::keops::gpuBlockRows, for the compile options' block size).
  int64_t gpuBlockRows = 128;
  /// Whether those kernels use warp tiles (mlir::keops::gpuUsesWarpTiles).
  bool gpuWarpTiles = false;
};

/// The six ranges arrays of a block-sparse reduction, in host memory:
/// pykeops' ranges_i, slices_i, redranges_j, ranges_j, slices_j,
/// redranges_i (ReduceOp's `ranges` operands), integers of `bits` (32 or
/// 64) bits, `lengths[k]` rows each (pairs for the 2-D ones). Ranges given
/// per batch element have `elements` > 0: the elements' arrays lie end to
/// end, each of `lengths[k]` rows.
struct RangesArg {
  const void *arrays[6] = {};
  int64_t lengths[6] = {};
  int bits = 64;
  int64_t elements = 0;
};

struct CompileOptions {
  int64_t lanes = 0;
  int64_t blocks = 2;
  /// CPU: consecutive ranges of the reduced axis, reduced apart and merged
  /// (as the GPU's 2-D scheme merges blocks); 1 in normal use.
  int64_t splits = 1;
  std::string accumulation = "block";
  bool approximateMath = true;
  int optLevel = 3;
  /// CPU: inner products of at least this many components become
  /// keops.gram entries computed by tiles (keops-recognize-gram); 0: never.
  int64_t gramMinDim = 32;
  /// Prepended to the name of every function, hence of every kernel
  /// (ahead-of-time libraries: keeps the symbols of two libraries apart).
  std::string symbolPrefix;
  /// The CUDA device to compile for and run on; -1: the host CPU.
  int gpuDevice = -1;
  /// GPU kernels: threads per block (one output row each).
  int64_t gpuBlockSize = 128;
  /// GPU kernels: inner products of long vectors on the tensor cores, at
  /// this precision: "none" (exact f32 on the CUDA cores) or "tf32"
  /// (docs/gpu.md, "Tensor cores").
  std::string tensorCores = "none";
  /// Also compile each reduction's partial, merge and finalize kernels
  /// (Module::runPartial, mergeStates, finalizeStates).
  bool partialStates = false;
};

/// How to run a whole function of a module: its reductions' kernels in
/// program order, on the function's arguments and on temporaries, then its
/// results copied out. Built from the differentiated module, so that a
/// function holding `keops.reduce_grad` runs its gradient reductions.
struct FunctionPlan {
  /// An array: function argument `argument`, or a temporary the run
  /// allocates, filled with zeros, with the rows of array `rowsOf` (or
  /// `staticRows`). In a function with batch axes, each array holds its
  /// batch elements one after the other: one per combination of the axes
  /// it is not broadcast along.
  struct Array {
    int64_t argument = -1;
    int64_t rowsOf = -1;
    int64_t staticRows = 0;
    int64_t width = 0; ///< columns; the length of a 1-D array
    bool oneDim = false; ///< no rows axis (a parameter, a D-vector)
    int bits = 32;
    bool isInteger = false;
    /// Per batch axis of the function, the static extent of the array's
    /// type (1: broadcast along it) or -1 (dynamic: the batch extent).
    std::vector<int64_t> batchExtents;
    /// An argument read as ranges by block-sparse reductions: integers, no
    /// batch axes, as many rows (pairs, or counts) as its argument's rows.
    bool ranges = false;

    /// The batch elements the array holds for batch extents `batch`: one
    /// per combination of the axes it is not broadcast along.
    int64_t elements(llvm::ArrayRef<int64_t> batch) const {
      int64_t n = 1;
      for (size_t axis = 0; axis < batchExtents.size(); ++axis)
        n *= batchExtents[axis] == 1 ? 1 : batch[axis];
      return n;
    }
  };
  /// A kernel launch on arrays, or (kernel = npos) a copy of columns
  /// [column, column + width of outputs[0]) of inputs[0] into outputs[0],
  /// or (kernel = npos, `unbroadcast`) the sum of inputs[0] over the batch
  /// axes outputs[0] is broadcast along.
  struct Step {
    static constexpr size_t npos = size_t(-1);
    size_t kernel;
    std::vector<int64_t> inputs, outputs;
    /// The six ranges arrays of a block-sparse reduction (else empty).
    std::vector<int64_t> ranges;
    int64_t column = 0;
    bool unbroadcast = false;
  };
  /// A result: columns [column, column + width) of an array (a 1-D result
  /// is the first row).
  struct Result {
    int64_t array;
    int64_t column = 0;
    int64_t width = 0;
    bool oneDim = false;
  };
  std::string name;
  std::vector<Array> arrays; ///< arguments first, in order
  std::vector<Step> steps;
  std::vector<Result> results;
  /// Batch axes of the function: those of its reductions (all the same).
  int64_t batchRank = 0;
  /// Set when the function holds something the plan cannot run.
  std::string unsupported;
};

class ThreadPool;
struct GpuModule;

/// A compiled module: its kernels, loaded in the process.
class Module {
public:
  ~Module();
  const std::vector<KernelInfo> &kernels() const { return infos; }
  /// The CUDA device the kernels run on, -1 for the host CPU.
  int gpuDevice() const;
  /// Runs kernel `index`: `inputs` and `outputs` point to row-major arrays in
  /// operand order; M and N are the rows of the i and j variables. Returns
  /// an error message, empty on success. On a GPU module, each array may be
  /// in host memory (copied in, and out for outputs) or in the device's
  /// memory (used in place). `stream` (a CUstream of the module's device,
  /// ignored on the CPU) orders the GPU's work after what is queued on it:
  /// the call then returns once the work is queued when every array is in
  /// the device's memory, and once it is done otherwise. With a null stream
  /// the work runs on the default stream and is done when the call returns.
  /// `batch` holds the batch extents of a kernel with batch axes (as many
  /// as KernelInfo::batchRank): each operand then holds its batch elements
  /// one after the other (one per combination of the axes it is not
  /// broadcast along), outputs one per batch element.
  /// `ranges`: those of a block-sparse kernel (KernelInfo::hasRanges),
  /// checked (a message names the first bad value) and shared by every
  /// batch element.
  std::string run(size_t index, const void *const *inputs,
                  void *const *outputs, int64_t m, int64_t n,
                  void *stream = nullptr,
                  llvm::ArrayRef<int64_t> batch = {},
                  const RangesArg *ranges = nullptr) const;

  /// Partial reductions (modules compiled with partialStates): the state of
  /// kernel `index` over the reduced rows given (N of them for a reduction
  /// over j), whose first has reduced index `first`, written into `states`
  /// (KernelInfo::stateLayout's arrays, one row per kept row and batch
  /// element). Otherwise as run().
  std::string runPartial(size_t index, const void *const *inputs,
                         void *const *states, int64_t m, int64_t n,
                         int64_t first, llvm::ArrayRef<int64_t> batch = {},
                         const RangesArg *ranges = nullptr) const;
  /// Merges, row by row, two states of kernel `index` over disjoint sets of
  /// reduced indices (`rows` rows: kept rows times batch elements) into
  /// `merged` (which may be `first` or `second`).
  std::string mergeStates(size_t index, const void *const *first,
                          const void *const *second, void *const *merged,
                          int64_t rows) const;
  /// The outputs of kernel `index` (as run() writes them) from its states.
  std::string finalizeStates(size_t index, const void *const *states,
                             void *const *outputs, int64_t rows) const;

  const std::vector<FunctionPlan> &functions() const { return plans; }
  /// Shape of result `result` of function `function` for arguments with
  /// `argRows` rows each (ignored for 1-D arguments) and batch extents
  /// `batch` (as many as the function's batch axes): `extents` gets the
  /// result's batch extents (1 where it is broadcast), `rows` its rows (1 for
  /// a 1-D result), `cols` its columns.
  std::string resultShape(size_t function, size_t result,
                          const int64_t *argRows, llvm::ArrayRef<int64_t> batch,
                          std::vector<int64_t> &extents, int64_t &rows,
                          int64_t &cols) const;
  /// Runs function `function`: `args` point to its arguments (those only
  /// used for their number of rows may be null), `argRows` gives their rows,
  /// `results` point to arrays of the shapes resultShape() gives. `batch`:
  /// the batch extents of a function with batch axes (each array then holds
  /// its batch elements one after the other, as for run()). Returns an
  /// error message, empty on success.
  /// `stream` as for run(); functions with arrays in device memory wait for
  /// it and are done when the call returns.
  std::string runFunction(size_t function, const void *const *args,
                          const int64_t *argRows, void *const *results,
                          void *stream = nullptr,
                          llvm::ArrayRef<int64_t> batch = {}) const;

private:
  friend class Compiler;
  friend struct GpuModule;
  std::vector<FunctionPlan> plans;
  using KernelFn = void (*)(const void *const *, void *const *, int64_t,
                            int64_t, int64_t, int64_t);
  std::vector<KernelInfo> infos;
  std::vector<KernelFn> kernelFns;
  /// Per kernel with partial states: its partial, merge and finalize
  /// kernels.
  std::vector<std::array<KernelFn, 3>> stateFns;
  /// Runs `fn` over `rows` kept rows (of all batch elements) split over
  /// the thread pool, `cols` reduced indices each (to size the chunks).
  void splitRows(const KernelInfo &info, KernelFn fn,
                 const void *const *inputs, void *const *outputs, int64_t m,
                 int64_t n, int64_t rows, int64_t cols) const;
  /// run()'s checks and launch, for the kernel or (`first` not null) its
  /// partial reduction.
  std::string launch(size_t index, const void *const *inputs,
                     void *const *outputs, int64_t m, int64_t n, void *stream,
                     llvm::ArrayRef<int64_t> batch, const RangesArg *ranges,
                     const int64_t *first) const;
  /// The blocks of the reduced axis that a CPU call of kernel `index`
  /// splits over the threads (1: none; SplitReduced.cpp).
  int64_t reducedParts(size_t index, int64_t rows, int64_t cols) const;
  /// Runs kernel `index` as `parts` partial reductions over blocks of the
  /// reduced axis, their states merged and finalized into `outputs`.
  void splitReduced(size_t index, const void *const *inputs,
                    void *const *outputs, int64_t m, int64_t n, int64_t rows,
                    int64_t cols, int64_t parts) const;
  /// An error unless kernel `index` has partial-state kernels.
  std::string checkStateKernel(size_t index) const;
  std::shared_ptr<void> owner; ///< keeps the JIT'd code alive
  std::shared_ptr<GpuModule> gpu; ///< set for GPU modules (GpuModule.cpp)
  /// run() on a GPU module; with `first`, the partial reduction's kernel.
  std::string runOnGpu(size_t index, const void *const *inputs,
                       void *const *outputs, int64_t m, int64_t n,
                       void *stream, llvm::ArrayRef<int64_t> batch,
                       const RangesArg *ranges,
                       const int64_t *first = nullptr) const;
  /// mergeStates (`merge`) or finalizeStates on a GPU module.
  std::string combineStatesOnGpu(size_t index, bool merge,
                                 const void *const *ins, void *const *outs,
                                 int64_t rows) const;
  std::string runFunctionThroughHost(size_t function, const void *const *args,
                                     const int64_t *argRows,
                                     void *const *results, void *stream,
                                     llvm::ArrayRef<int64_t> batch) const;
};

/// Compiles modules; one per process is enough (see Compiler::global()).
class Compiler {
public:
  /// Compiles the MLIR text `source`. On failure returns null and sets
  /// `error` to the diagnostics (with locations).
  std::shared_ptr<Module> compile(llvm::StringRef source,
                                  const CompileOptions &options,
                                  std::string &error);
  /// Compiles to a relocatable object file (for ahead-of-time libraries):
  /// position-independent code for the host CPU, one global symbol per
  /// kernel. `sourceName` names the source in diagnostics.
  bool compileToObject(llvm::StringRef source, const CompileOptions &options,
                       std::string &object, std::vector<KernelInfo> &infos,
                       std::string &error,
                       llvm::StringRef sourceName = "<keops module>");
  /// Compiles to PTX for `chip` (sm_80, sm_90...): one kernel per reduction,
  /// named as for the CPU, with the GPU calling convention of
  /// keops-outline-kernels{gpu}.
  bool compileToPtx(llvm::StringRef source, const CompileOptions &options,
                    llvm::StringRef chip, std::string &ptx,
                    std::vector<KernelInfo> &infos, std::string &error);
  static Compiler &global();
  ~Compiler();

private:
  Compiler();
  struct Impl;
  std::unique_ptr<Impl> impl;
};

/// The number of CUDA devices; false with `error` when there is no CUDA
/// driver or no GPU.
bool gpuDeviceCount(int &count, std::string &error);

/// Number of threads kernels use: KEOPS_NUM_THREADS, else all cores.
int numThreads();
void setNumThreads(int threads);

/// The blocks of its reduced axis (`cols` indices) over which a CPU call
/// of `rows` kept rows spreads when its module has partial states (1: the
/// rows alone keep the threads busy, or the work is too small to share).
int64_t reducedAxisParts(int64_t rows, int64_t cols);

/// The host's thread groups, the CPUs of each: one group per NUMA node
/// (KEOPS_THREAD_GROUPS=G: G groups of consecutive CPUs). A call spreads
/// its rows over the groups, each group's threads pinned to its CPUs when
/// there are several.
std::vector<std::vector<int>> threadGroupCpus();
/// Calls from this host thread run on thread group `group` alone (its
/// share of the threads, on its CPUs), or on all with -1 (the default);
/// an error for a group the host does not have.
std::string setThreadGroup(int group);
int threadGroup();

} // namespace mlir::keops::runtime

#endif // KEOPS_RUNTIME_RUNTIME_H
