//===- KeopsC.cpp - the C API over the C++ runtime -----------------------===//

#include "keops-c/keops.h"
#include "keops/Runtime/Runtime.h"

#include <string>

using namespace mlir::keops;
using namespace mlir::keops::runtime;

struct keops_module_s {
  std::shared_ptr<Module> module;
};

static thread_local std::string lastError;

static keops_status fail(std::string message) {
  lastError = std::move(message);
  return KEOPS_ERROR;
}

extern "C" {

void keops_default_options(keops_options *options) {
  if (!options)
    return;
  CompileOptions d;
  options->lanes = d.lanes;
  options->blocks = d.blocks;
  options->accumulation = "block";
  options->approximate_math = d.approximateMath;
  options->opt_level = d.optLevel;
  options->gram_min_dim = d.gramMinDim;
  options->partial_states = d.partialStates;
  options->tensor_cores = "none";
}

static keops_status compileFor(const char *mlir, size_t length,
                               const keops_options *options, int device,
                               keops_module *out) {
  if (!mlir || !out)
    return fail("keops_compile: null argument");
  *out = nullptr;
  CompileOptions opts;
  opts.gpuDevice = device;
  if (options) {
    opts.lanes = options->lanes;
    opts.blocks = options->blocks;
    if (options->accumulation)
      opts.accumulation = options->accumulation;
    opts.approximateMath = options->approximate_math != 0;
    opts.optLevel = options->opt_level;
    opts.gramMinDim = options->gram_min_dim;
    opts.partialStates = options->partial_states != 0;
    if (options->tensor_cores)
      opts.tensorCores = options->tensor_cores;
    if (opts.tensorCores != "none" && opts.tensorCores != "tf32")
      return fail("keops_compile: tensor_cores must be \"none\" or \"tf32\", "
                  "not \"" + opts.tensorCores + "\"");
    if (opts.gramMinDim < 0)
      return fail("keops_compile: gram_min_dim must be 0 (never) or more");
    if (opts.optLevel < 0 || opts.optLevel > 3)
      return fail("keops_compile: opt_level must be 0 to 3");
    if (opts.lanes < 0 || opts.lanes > 256 || opts.blocks < 1 ||
        opts.blocks > 16)
      return fail("keops_compile: lanes must be 0 to 256 and blocks 1 to 16");
  }
  std::string error;
  std::shared_ptr<Module> module = Compiler::global().compile(
      llvm::StringRef(mlir, length), opts, error);
  if (!module)
    return fail(error);
  *out = new keops_module_s{std::move(module)};
  return KEOPS_OK;
}

keops_status keops_compile(const char *mlir, size_t length,
                           const keops_options *options, keops_module *out) {
  return compileFor(mlir, length, options, -1, out);
}

keops_status keops_compile_gpu(const char *mlir, size_t length,
                               const keops_options *options, int device,
                               keops_module *out) {
  if (device < 0)
    return fail("keops_compile_gpu: the device number must be >= 0");
  return compileFor(mlir, length, options, device, out);
}

keops_status keops_gpu_device_count(int *count) {
  if (!count)
    return fail("keops_gpu_device_count: null argument");
  *count = 0;
  std::string error;
  if (!gpuDeviceCount(*count, error))
    return fail(error);
  return KEOPS_OK;
}

int keops_module_device(keops_module module) {
  return module ? module->module->gpuDevice() : -1;
}

void keops_module_release(keops_module module) { delete module; }

int64_t keops_num_kernels(keops_module module) {
  return module ? static_cast<int64_t>(module->module->kernels().size()) : 0;
}

const char *keops_kernel_name(keops_module module, int64_t kernel) {
  if (!module || kernel < 0 || kernel >= keops_num_kernels(module))
    return nullptr;
  return module->module->kernels()[kernel].name.c_str();
}

keops_status keops_kernel_signature(keops_module module, int64_t kernel,
                                    int64_t *num_inputs, int64_t *num_outputs,
                                    int *axis, int *categories,
                                    int64_t *input_dims,
                                    int64_t *output_widths,
                                    int *output_is_index) {
  if (!module || kernel < 0 || kernel >= keops_num_kernels(module))
    return fail("keops_kernel_signature: no such kernel");
  const KernelInfo &info = module->module->kernels()[kernel];
  if (num_inputs)
    *num_inputs = info.categories.size();
  if (num_outputs)
    *num_outputs = info.outputWidths.size();
  if (axis)
    *axis = info.axis == Axis::J ? 1 : 0;
  for (size_t k = 0; k < info.categories.size(); ++k) {
    if (categories)
      categories[k] = static_cast<int>(info.categories[k]);
    if (input_dims)
      input_dims[k] = info.inputDims[k];
  }
  for (size_t k = 0; k < info.outputWidths.size(); ++k) {
    if (output_widths)
      output_widths[k] = info.outputWidths[k];
    if (output_is_index)
      output_is_index[k] = info.outputIsIndex[k];
  }
  return KEOPS_OK;
}

keops_status keops_kernel_types(keops_module module, int64_t kernel,
                                int *float_bits, int *index_bits) {
  if (!module || kernel < 0 || kernel >= keops_num_kernels(module))
    return fail("keops_kernel_types: no such kernel");
  const KernelInfo &info = module->module->kernels()[kernel];
  if (float_bits)
    *float_bits = info.elementBits;
  if (index_bits)
    *index_bits = info.indexBits;
  return KEOPS_OK;
}

keops_status keops_kernel_input_types(keops_module module, int64_t kernel,
                                      int *element_bits, int *is_integer) {
  if (!module || kernel < 0 || kernel >= keops_num_kernels(module))
    return fail("keops_kernel_input_types: no such kernel");
  const KernelInfo &info = module->module->kernels()[kernel];
  for (size_t k = 0; k < info.inputBits.size(); ++k) {
    if (element_bits)
      element_bits[k] = info.inputBits[k];
    if (is_integer)
      is_integer[k] = info.inputIsInteger[k] ? 1 : 0;
  }
  return KEOPS_OK;
}

keops_status keops_run(keops_module module, int64_t kernel,
                       const void *const *inputs, void *const *outputs,
                       int64_t M, int64_t N) {
  return keops_run_on_stream(module, kernel, inputs, outputs, M, N, nullptr);
}

static runtime::RangesArg rangesArg(const keops_ranges *ranges) {
  runtime::RangesArg arg;
  if (ranges) {
    std::copy(ranges->arrays, ranges->arrays + 6, arg.arrays);
    std::copy(ranges->lengths, ranges->lengths + 6, arg.lengths);
    arg.bits = ranges->bits;
    arg.elements = ranges->elements;
  }
  return arg;
}

/// keops_run* on one kernel; `name` prefixes the messages.
static keops_status runKernel(const char *name, keops_module module,
                              int64_t kernel, const void *const *inputs,
                              void *const *outputs, int64_t M, int64_t N,
                              llvm::ArrayRef<int64_t> batch, void *stream,
                              const keops_ranges *ranges = nullptr) {
  if (!module)
    return fail(std::string(name) + ": null module");
  if (kernel < 0)
    return fail(std::string(name) + ": negative kernel index");
  runtime::RangesArg arg = rangesArg(ranges);
  std::string error =
      module->module->run(static_cast<size_t>(kernel), inputs, outputs, M, N,
                          stream, batch, ranges ? &arg : nullptr);
  if (!error.empty())
    return fail(std::string(name) + ": " + error);
  return KEOPS_OK;
}

keops_status keops_run_on_stream(keops_module module, int64_t kernel,
                                 const void *const *inputs,
                                 void *const *outputs, int64_t M, int64_t N,
                                 void *stream) {
  return runKernel("keops_run", module, kernel, inputs, outputs, M, N, {},
                   stream);
}

keops_status keops_kernel_batch(keops_module module, int64_t kernel,
                                int64_t *rank, int *broadcast) {
  if (!module)
    return fail("keops_kernel_batch: null module");
  const auto &kernels = module->module->kernels();
  if (kernel < 0 || size_t(kernel) >= kernels.size())
    return fail("keops_kernel_batch: no kernel " + std::to_string(kernel));
  const runtime::KernelInfo &info = kernels[kernel];
  if (rank)
    *rank = info.batchRank;
  if (broadcast)
    for (size_t k = 0; k < info.inputBroadcast.size(); ++k)
      for (int64_t a = 0; a < info.batchRank; ++a)
        broadcast[k * info.batchRank + a] = info.inputBroadcast[k][a];
  return KEOPS_OK;
}

keops_status keops_run_batched(keops_module module, int64_t kernel,
                               const void *const *inputs,
                               void *const *outputs, int64_t M, int64_t N,
                               int64_t rank, const int64_t *batch,
                               void *stream) {
  if (rank < 0 || (rank > 0 && !batch))
    return fail("keops_run_batched: rank < 0, or null batch extents");
  return runKernel("keops_run_batched", module, kernel, inputs, outputs, M, N,
                   llvm::ArrayRef<int64_t>(batch, static_cast<size_t>(rank)),
                   stream);
}

keops_status keops_run_ranged(keops_module module, int64_t kernel,
                              const void *const *inputs, void *const *outputs,
                              int64_t M, int64_t N, int64_t rank,
                              const int64_t *batch,
                              const keops_ranges *ranges, void *stream) {
  if (rank < 0 || (rank > 0 && !batch))
    return fail("keops_run_ranged: rank < 0, or null batch extents");
  if (!ranges)
    return fail("keops_run_ranged: null ranges");
  return runKernel("keops_run_ranged", module, kernel, inputs, outputs, M, N,
                   llvm::ArrayRef<int64_t>(batch, static_cast<size_t>(rank)),
                   stream, ranges);
}

keops_status keops_kernel_state(keops_module module, int64_t kernel,
                                int64_t *count, int64_t *widths,
                                int *is_index, int *index_bits) {
  if (!module || kernel < 0 || kernel >= keops_num_kernels(module))
    return fail("keops_kernel_state: no such kernel");
  const KernelInfo &info = module->module->kernels()[kernel];
  if (count)
    *count = info.stateLayout.size();
  for (size_t k = 0; k < info.stateLayout.size(); ++k) {
    if (widths)
      widths[k] = info.stateLayout[k].width;
    if (is_index)
      is_index[k] = info.stateLayout[k].isIndex;
  }
  if (index_bits)
    *index_bits = info.stateIndexBits;
  return KEOPS_OK;
}

/// The result of a state call: its error prefixed by `name`.
static keops_status stateResult(const char *name, std::string error) {
  if (!error.empty())
    return fail(std::string(name) + ": " + error);
  return KEOPS_OK;
}

keops_status keops_run_partial(keops_module module, int64_t kernel,
                               const void *const *inputs, void *const *states,
                               int64_t M, int64_t N, int64_t first,
                               int64_t rank, const int64_t *batch,
                               const keops_ranges *ranges) {
  if (!module || kernel < 0)
    return fail("keops_run_partial: null module or negative kernel index");
  if (rank < 0 || (rank > 0 && !batch))
    return fail("keops_run_partial: rank < 0, or null batch extents");
  runtime::RangesArg arg = rangesArg(ranges);
  return stateResult(
      "keops_run_partial",
      module->module->runPartial(
          size_t(kernel), inputs, states, M, N, first,
          llvm::ArrayRef<int64_t>(batch, static_cast<size_t>(rank)),
          ranges ? &arg : nullptr));
}

keops_status keops_merge_states(keops_module module, int64_t kernel,
                                const void *const *first,
                                const void *const *second,
                                void *const *merged, int64_t rows) {
  if (!module || kernel < 0)
    return fail("keops_merge_states: null module or negative kernel index");
  return stateResult("keops_merge_states",
                     module->module->mergeStates(size_t(kernel), first, second,
                                                 merged, rows));
}

keops_status keops_finalize_states(keops_module module, int64_t kernel,
                                   const void *const *states,
                                   void *const *outputs, int64_t rows) {
  if (!module || kernel < 0)
    return fail("keops_finalize_states: null module or negative kernel index");
  return stateResult("keops_finalize_states",
                     module->module->finalizeStates(size_t(kernel), states,
                                                    outputs, rows));
}

int keops_kernel_is_block_sparse(keops_module module, int64_t kernel) {
  if (!module || kernel < 0 ||
      size_t(kernel) >= module->module->kernels().size())
    return -1;
  const runtime::KernelInfo &info = module->module->kernels()[kernel];
  return info.batchedRanges ? 2 : info.hasRanges ? 1 : 0;
}

int64_t keops_num_functions(keops_module module) {
  return module ? module->module->functions().size() : 0;
}

const char *keops_function_name(keops_module module, int64_t function) {
  if (!module || function < 0 ||
      size_t(function) >= module->module->functions().size())
    return nullptr;
  return module->module->functions()[function].name.c_str();
}

static const FunctionPlan *planOf(keops_module module, int64_t function,
                                  const char *caller) {
  if (!module) {
    fail(std::string(caller) + ": null module");
    return nullptr;
  }
  if (function < 0 || size_t(function) >= module->module->functions().size()) {
    fail(std::string(caller) + ": function index " + std::to_string(function) +
         " out of range (" +
         std::to_string(module->module->functions().size()) + " functions)");
    return nullptr;
  }
  return &module->module->functions()[function];
}

keops_status keops_function_signature(keops_module module, int64_t function,
                                      int64_t *num_args,
                                      int64_t *num_results) {
  const FunctionPlan *plan =
      planOf(module, function, "keops_function_signature");
  if (!plan)
    return KEOPS_ERROR;
  int64_t args = 0;
  for (const FunctionPlan::Array &a : plan->arrays)
    args += a.argument >= 0;
  if (num_args)
    *num_args = args;
  if (num_results)
    *num_results = plan->results.size();
  return KEOPS_OK;
}

int64_t keops_function_batch_rank(keops_module module, int64_t function) {
  const FunctionPlan *plan =
      planOf(module, function, "keops_function_batch_rank");
  return plan ? plan->batchRank : -1;
}

/// The shape of a result, for keops_function_result(_batched).
static keops_status functionResult(keops_module module, int64_t function,
                                   int64_t result, const int64_t *arg_rows,
                                   llvm::ArrayRef<int64_t> batch,
                                   int64_t *extents, int64_t *rows,
                                   int64_t *cols, int *bits, int *is_integer,
                                   int *one_dim, const char *caller) {
  const FunctionPlan *plan = planOf(module, function, caller);
  if (!plan)
    return KEOPS_ERROR;
  if (!arg_rows)
    return fail(std::string(caller) + ": null arg_rows");
  if (result < 0)
    return fail(std::string(caller) + ": negative result index");
  int64_t r = 0, c = 0;
  std::vector<int64_t> shape;
  std::string error = module->module->resultShape(function, result, arg_rows,
                                                  batch, shape, r, c);
  if (!error.empty())
    return fail(std::string(caller) + ": " + error);
  const FunctionPlan::Result &res = plan->results[result];
  const FunctionPlan::Array &array = plan->arrays[res.array];
  if (extents)
    std::copy(shape.begin(), shape.end(), extents);
  if (rows)
    *rows = r;
  if (cols)
    *cols = c;
  if (bits)
    *bits = array.bits;
  if (is_integer)
    *is_integer = array.isInteger;
  if (one_dim)
    *one_dim = res.oneDim;
  return KEOPS_OK;
}

keops_status keops_function_result(keops_module module, int64_t function,
                                   int64_t result, const int64_t *arg_rows,
                                   int64_t *rows, int64_t *cols, int *bits,
                                   int *is_integer, int *one_dim) {
  return functionResult(module, function, result, arg_rows, {}, nullptr, rows,
                        cols, bits, is_integer, one_dim,
                        "keops_function_result");
}

keops_status keops_function_result_batched(
    keops_module module, int64_t function, int64_t result,
    const int64_t *arg_rows, int64_t rank, const int64_t *batch,
    int64_t *extents, int64_t *rows, int64_t *cols, int *bits,
    int *is_integer, int *one_dim) {
  if (rank < 0 || (rank > 0 && !batch))
    return fail("keops_function_result_batched: a batch of " +
                std::to_string(rank) + " extents needs a non-null array");
  return functionResult(module, function, result, arg_rows,
                        llvm::ArrayRef<int64_t>(batch, rank), extents, rows,
                        cols, bits, is_integer, one_dim,
                        "keops_function_result_batched");
}

keops_status keops_run_function(keops_module module, int64_t function,
                                const void *const *args,
                                const int64_t *arg_rows,
                                void *const *results) {
  return keops_run_function_batched(module, function, args, arg_rows, 0,
                                    nullptr, results, nullptr);
}

keops_status keops_run_function_on_stream(keops_module module,
                                          int64_t function,
                                          const void *const *args,
                                          const int64_t *arg_rows,
                                          void *const *results, void *stream) {
  return keops_run_function_batched(module, function, args, arg_rows, 0,
                                    nullptr, results, stream);
}

keops_status keops_run_function_batched(keops_module module, int64_t function,
                                        const void *const *args,
                                        const int64_t *arg_rows, int64_t rank,
                                        const int64_t *batch,
                                        void *const *results, void *stream) {
  if (!planOf(module, function, "keops_run_function"))
    return KEOPS_ERROR;
  if (!args || !arg_rows || !results)
    return fail("keops_run_function: null array of arguments, rows or results");
  if (rank < 0 || (rank > 0 && !batch))
    return fail("keops_run_function: a batch of " + std::to_string(rank) +
                " extents needs a non-null array");
  std::string error = module->module->runFunction(
      function, args, arg_rows, results, stream,
      llvm::ArrayRef<int64_t>(batch, rank));
  if (!error.empty())
    return fail("keops_run_function: " + error);
  return KEOPS_OK;
}

void keops_set_num_threads(int threads) { setNumThreads(threads); }
int keops_get_num_threads(void) { return numThreads(); }

int64_t keops_reduced_axis_parts(int64_t rows, int64_t cols) {
  return reducedAxisParts(rows, cols);
}

int keops_thread_group_count(void) {
  return static_cast<int>(threadGroupCpus().size());
}

int keops_thread_group_cpus(int group, int *cpus, int capacity) {
  std::vector<std::vector<int>> groups = threadGroupCpus();
  if (group < 0 || group >= static_cast<int>(groups.size())) {
    fail("keops_thread_group_cpus: no thread group " + std::to_string(group));
    return -1;
  }
  const std::vector<int> &mine = groups[group];
  for (int c = 0; cpus && c < capacity && c < static_cast<int>(mine.size());
       ++c)
    cpus[c] = mine[c];
  return static_cast<int>(mine.size());
}

keops_status keops_set_thread_group(int group) {
  if (std::string error = setThreadGroup(group); !error.empty())
    return fail("keops_set_thread_group: " + error);
  return KEOPS_OK;
}

int keops_get_thread_group(void) { return threadGroup(); }

const char *keops_last_error(void) { return lastError.c_str(); }

} // extern "C"
