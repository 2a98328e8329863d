//===- _keops.cpp - the Python extension module keops._keops -------------===//
//
// A thin pybind11 layer over the C API (include/keops-c/keops.h): compile a
// module, describe its kernels, run a kernel on raw data pointers. It holds
// no logic of its own and depends only on libkeops and pybind11, so it builds
// for another Python in seconds. The GIL is released while compiling and
// while running kernels.
//
//===----------------------------------------------------------------------===//

#include "keops-c/keops.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace py = pybind11;

namespace {

// Raised as keops._keops.KeopsError (a RuntimeError) with the C API's message.
struct KeopsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail() { throw KeopsError(keops_last_error()); }

struct Module {
  keops_module handle = nullptr;
  Module() = default;
  Module(const Module &) = delete;
  Module &operator=(const Module &) = delete;
  ~Module() {
    if (handle)
      keops_module_release(handle);
  }
};

std::shared_ptr<Module> compile(const std::string &mlir, int64_t lanes,
                                int64_t blocks, const std::string &accumulation,
                                bool approximateMath, int optLevel,
                                int device, int64_t gramMinDim,
                                bool partialStates,
                                const std::string &tensorCores) {
  keops_options options;
  keops_default_options(&options);
  options.lanes = lanes;
  options.blocks = blocks;
  options.accumulation = accumulation.c_str();
  options.approximate_math = approximateMath ? 1 : 0;
  options.opt_level = optLevel;
  options.gram_min_dim = gramMinDim;
  options.partial_states = partialStates ? 1 : 0;
  options.tensor_cores = tensorCores.c_str();
  auto module = std::make_shared<Module>();
  keops_status status;
  {
    py::gil_scoped_release release;
    status = device < 0 ? keops_compile(mlir.data(), mlir.size(), &options,
                                        &module->handle)
                        : keops_compile_gpu(mlir.data(), mlir.size(), &options,
                                            device, &module->handle);
  }
  if (status != KEOPS_OK)
    fail();
  return module;
}

// The signature of kernel `k` as a dict (names as in keops.h).
py::dict kernelInfo(const Module &m, int64_t k) {
  const char *name = keops_kernel_name(m.handle, k);
  if (!name)
    throw py::index_error("no kernel " + std::to_string(k));
  int64_t numInputs = 0, numOutputs = 0;
  int axis = 0;
  if (keops_kernel_signature(m.handle, k, &numInputs, &numOutputs, nullptr,
                             nullptr, nullptr, nullptr, nullptr) != KEOPS_OK)
    fail();
  std::vector<int> categories(numInputs), isIndex(numOutputs);
  std::vector<int64_t> dims(numInputs), widths(numOutputs);
  if (keops_kernel_signature(m.handle, k, nullptr, nullptr, &axis,
                             categories.data(), dims.data(), widths.data(),
                             isIndex.data()) != KEOPS_OK)
    fail();
  int floatBits = 0, indexBits = 0;
  if (keops_kernel_types(m.handle, k, &floatBits, &indexBits) != KEOPS_OK)
    fail();
  int64_t batchRank = 0;
  if (keops_kernel_batch(m.handle, k, &batchRank, nullptr) != KEOPS_OK)
    fail();
  std::vector<int> broadcast(numInputs * batchRank);
  if (keops_kernel_batch(m.handle, k, nullptr, broadcast.data()) != KEOPS_OK)
    fail();
  py::dict info;
  info["name"] = std::string(name);
  info["axis"] = axis; // 0: over i, 1: over j
  info["categories"] = categories; // 0 = i, 1 = j, 2 = parameter
  info["input_dims"] = dims;
  info["output_widths"] = widths;
  info["output_is_index"] = std::vector<bool>(isIndex.begin(), isIndex.end());
  info["float_bits"] = floatBits;
  info["index_bits"] = indexBits;
  info["batch_rank"] = batchRank;
  int sparse = keops_kernel_is_block_sparse(m.handle, k);
  info["block_sparse"] = sparse > 0;
  info["batched_ranges"] = sparse == 2;
  // per input: the batch axes it is broadcast along
  std::vector<std::vector<bool>> perInput;
  for (int64_t in = 0; in < numInputs; ++in)
    perInput.emplace_back(broadcast.begin() + in * batchRank,
                          broadcast.begin() + (in + 1) * batchRank);
  info["input_broadcast"] = perInput;
  // The arrays of its partial state (keops_kernel_state).
  int64_t stateCount = 0;
  int stateIndexBits = 0;
  if (keops_kernel_state(m.handle, k, &stateCount, nullptr, nullptr,
                         nullptr) != KEOPS_OK)
    fail();
  std::vector<int64_t> stateWidths(stateCount);
  std::vector<int> stateIsIndex(stateCount);
  if (keops_kernel_state(m.handle, k, nullptr, stateWidths.data(),
                         stateIsIndex.data(), &stateIndexBits) != KEOPS_OK)
    fail();
  info["state_widths"] = stateWidths;
  info["state_is_index"] =
      std::vector<bool>(stateIsIndex.begin(), stateIsIndex.end());
  info["state_index_bits"] = stateIndexBits;
  return info;
}

// Data addresses of a sequence of NumPy arrays (C-contiguous, writeable for
// outputs) or ints (addresses, e.g. torch's data_ptr()).
void addresses(const py::sequence &items, std::vector<uintptr_t> &out,
               bool outputs) {
  size_t n = items.size();
  out.resize(n);
  for (size_t k = 0; k < n; ++k) {
    py::object item = items[k];
    if (py::isinstance<py::array>(item)) {
      auto a = py::reinterpret_borrow<py::array>(item);
      if (!(a.flags() & py::array::c_style))
        throw py::value_error("array " + std::to_string(k) +
                              " is not C-contiguous");
      out[k] = reinterpret_cast<uintptr_t>(outputs ? a.mutable_data()
                                                   : a.data());
    } else {
      out[k] = item.cast<uintptr_t>();
    }
  }
}

// The keops_ranges of (six arrays or addresses, six lengths, bits[, batch
// elements]); zeros for None.
keops_ranges rangesOf(const py::object &ranges) {
  keops_ranges r{};
  if (ranges.is_none())
    return r;
  auto parts = ranges.cast<py::tuple>();
  if (parts.size() != 3 && parts.size() != 4)
    throw py::value_error(
        "ranges: (six arrays, six lengths, bits[, batch elements])");
  std::vector<uintptr_t> arrays;
  addresses(parts[0].cast<py::sequence>(), arrays, false);
  auto lengths = parts[1].cast<std::vector<int64_t>>();
  if (arrays.size() != 6 || lengths.size() != 6)
    throw py::value_error("ranges: six arrays and six lengths are needed");
  for (int a = 0; a < 6; ++a) {
    r.arrays[a] = reinterpret_cast<const void *>(arrays[a]);
    r.lengths[a] = lengths[a];
  }
  r.bits = parts[2].cast<int>();
  r.elements = parts.size() == 4 ? parts[3].cast<int64_t>() : 0;
  return r;
}

// Runs kernel `k` on host data: NumPy arrays or data addresses; `stream` is
// a CUstream address (0: the default stream).
// `batch`: the batch extents of a kernel with batch axes. `ranges`, for a
// block-sparse kernel: (six addresses or arrays, six lengths, bits).
void run(const Module &m, int64_t k, const py::sequence &inputs,
         const py::sequence &outputs, int64_t M, int64_t N, uintptr_t stream,
         const std::vector<int64_t> &batch, const py::object &ranges) {
  std::vector<uintptr_t> ins, outs;
  addresses(inputs, ins, false);
  addresses(outputs, outs, true);
  if (ins.empty())
    ins.push_back(0);
  keops_ranges r = rangesOf(ranges);
  bool ranged = !ranges.is_none();
  keops_status status;
  {
    py::gil_scoped_release release;
    auto in = reinterpret_cast<const void *const *>(ins.data());
    auto out = reinterpret_cast<void *const *>(outs.data());
    auto rank = static_cast<int64_t>(batch.size());
    status = ranged ? keops_run_ranged(m.handle, k, in, out, M, N, rank,
                                       batch.data(), &r,
                                       reinterpret_cast<void *>(stream))
                    : keops_run_batched(m.handle, k, in, out, M, N, rank,
                                        batch.data(),
                                        reinterpret_cast<void *>(stream));
  }
  if (status != KEOPS_OK)
    fail();
}

// The partial state of kernel `k` over the reduced rows given, the first of
// which has reduced index `first` (keops_run_partial).
void runPartial(const Module &m, int64_t k, const py::sequence &inputs,
                const py::sequence &states, int64_t M, int64_t N,
                int64_t first, const std::vector<int64_t> &batch,
                const py::object &ranges) {
  std::vector<uintptr_t> ins, outs;
  addresses(inputs, ins, false);
  addresses(states, outs, true);
  ins.push_back(0);
  keops_ranges r = rangesOf(ranges);
  keops_status status;
  {
    py::gil_scoped_release release;
    status = keops_run_partial(
        m.handle, k, reinterpret_cast<const void *const *>(ins.data()),
        reinterpret_cast<void *const *>(outs.data()), M, N, first,
        static_cast<int64_t>(batch.size()), batch.data(),
        ranges.is_none() ? nullptr : &r);
  }
  if (status != KEOPS_OK)
    fail();
}

// keops_merge_states (`merged` may be `first` or `second`) and, with
// `second` empty, keops_finalize_states.
void combineStates(const Module &m, int64_t k, const py::sequence &first,
                   const py::sequence &second, const py::sequence &outs,
                   int64_t rows) {
  std::vector<uintptr_t> a, b, out;
  addresses(first, a, false);
  addresses(second, b, false);
  addresses(outs, out, true);
  a.push_back(0);
  b.push_back(0);
  out.push_back(0);
  keops_status status;
  {
    py::gil_scoped_release release;
    auto in = [](std::vector<uintptr_t> &v) {
      return reinterpret_cast<const void *const *>(v.data());
    };
    auto o = reinterpret_cast<void *const *>(out.data());
    status = second.size() ? keops_merge_states(m.handle, k, in(a), in(b), o,
                                                rows)
                           : keops_finalize_states(m.handle, k, in(a), o, rows);
  }
  if (status != KEOPS_OK)
    fail();
}

// The functions of the module by name: index, numbers of arguments and
// results.
py::dict functions(const Module &m) {
  py::dict out;
  for (int64_t f = 0, n = keops_num_functions(m.handle); f < n; ++f) {
    int64_t args = 0, results = 0;
    if (keops_function_signature(m.handle, f, &args, &results) != KEOPS_OK)
      fail();
    out[py::str(keops_function_name(m.handle, f))] =
        py::make_tuple(f, args, results);
  }
  return out;
}

// (batch extents, rows, cols, bits, is_integer, one_dim) of result `r` of
// function `f` for batch extents `batch`.
py::tuple functionResult(const Module &m, int64_t f, int64_t r,
                         const std::vector<int64_t> &argRows,
                         const std::vector<int64_t> &batch) {
  int64_t rows = 0, cols = 0;
  int bits = 0, isInteger = 0, oneDim = 0;
  std::vector<int64_t> extents(batch.size());
  if (keops_function_result_batched(
          m.handle, f, r, argRows.data(), static_cast<int64_t>(batch.size()),
          batch.data(), extents.data(), &rows, &cols, &bits, &isInteger,
          &oneDim) != KEOPS_OK)
    fail();
  return py::make_tuple(py::tuple(py::cast(extents)), rows, cols, bits,
                        bool(isInteger), bool(oneDim));
}

// Runs function `f`: arguments as arrays or addresses (0 for none), their
// rows, results as arrays or addresses, the batch extents of a function
// with batch axes.
void runFunction(const Module &m, int64_t f, const py::sequence &args,
                 const std::vector<int64_t> &argRows,
                 const py::sequence &results, uintptr_t stream,
                 const std::vector<int64_t> &batch) {
  std::vector<uintptr_t> ins, outs;
  addresses(args, ins, false);
  addresses(results, outs, true);
  if (ins.size() != argRows.size())
    throw py::value_error("one row count per argument is needed");
  ins.push_back(0);
  outs.push_back(0);
  keops_status status;
  {
    py::gil_scoped_release release;
    status = keops_run_function_batched(
        m.handle, f, reinterpret_cast<const void *const *>(ins.data()),
        argRows.data(), static_cast<int64_t>(batch.size()), batch.data(),
        reinterpret_cast<void *const *>(outs.data()),
        reinterpret_cast<void *>(stream));
  }
  if (status != KEOPS_OK)
    fail();
}

} // namespace

PYBIND11_MODULE(_keops, m) {
  m.doc() = "keops-mlir C API: compile keops modules and run their kernels";
  py::register_exception<KeopsError>(m, "KeopsError", PyExc_RuntimeError);

  py::class_<Module, std::shared_ptr<Module>>(m, "Module")
      .def_property_readonly(
          "num_kernels",
          [](const Module &self) { return keops_num_kernels(self.handle); })
      .def("kernel_info", &kernelInfo, py::arg("kernel"))
      .def("run", &run, py::arg("kernel"), py::arg("inputs"),
           py::arg("outputs"), py::arg("M"), py::arg("N"),
           py::arg("stream") = 0, py::arg("batch") = std::vector<int64_t>{},
           py::arg("ranges") = py::none(),
           "Runs a kernel on NumPy arrays or data addresses, on a CUstream "
           "(an address, 0: the default one) for GPU modules, with the batch "
           "extents of a kernel with batch axes and the ranges (six arrays, "
           "six lengths, bits) of a block-sparse one (GIL released).")
      .def("run_partial", &runPartial, py::arg("kernel"), py::arg("inputs"),
           py::arg("states"), py::arg("M"), py::arg("N"), py::arg("first"),
           py::arg("batch") = std::vector<int64_t>{},
           py::arg("ranges") = py::none(),
           "The partial state of a kernel over the reduced rows given, the "
           "first of which has reduced index `first` (modules compiled with "
           "partial_states; GIL released).")
      .def("merge_states", &combineStates, py::arg("kernel"), py::arg("first"),
           py::arg("second"), py::arg("merged"), py::arg("rows"),
           "Merges two states of a kernel row by row (GIL released).")
      .def(
          "finalize_states",
          [](const Module &self, int64_t k, const py::sequence &states,
             const py::sequence &outputs, int64_t rows) {
            combineStates(self, k, states, py::list(), outputs, rows);
          },
          py::arg("kernel"), py::arg("states"), py::arg("outputs"),
          py::arg("rows"),
          "The outputs of a kernel from its states (GIL released).")
      .def("functions", &functions,
           "{name: (index, number of arguments, number of results)}")
      .def("function_result", &functionResult, py::arg("function"),
           py::arg("result"), py::arg("arg_rows"),
           py::arg("batch") = std::vector<int64_t>{})
      .def("run_function", &runFunction, py::arg("function"), py::arg("args"),
           py::arg("arg_rows"), py::arg("results"), py::arg("stream") = 0,
           py::arg("batch") = std::vector<int64_t>{},
           "Runs a whole function (its gradient reductions included), with "
           "the batch extents of a function with batch axes.");

  // The defaults are the C API's (one place: keops_default_options).
  keops_options defaults;
  keops_default_options(&defaults);
  m.def("compile", &compile, py::arg("mlir"), py::arg("lanes") = defaults.lanes,
        py::arg("blocks") = defaults.blocks,
        py::arg("accumulation") = std::string(defaults.accumulation),
        py::arg("approximate_math") = defaults.approximate_math != 0,
        py::arg("opt_level") = defaults.opt_level, py::arg("device") = -1,
        py::arg("gram_min_dim") = defaults.gram_min_dim,
        py::arg("partial_states") = defaults.partial_states != 0,
        py::arg("tensor_cores") = std::string(defaults.tensor_cores),
        "Compiles MLIR text for the host CPU (device -1) or for a CUDA "
        "device, through the caches (GIL released).");
  m.def(
      "default_options",
      [defaults] {
        py::dict d;
        d["lanes"] = defaults.lanes;
        d["blocks"] = defaults.blocks;
        d["accumulation"] = std::string(defaults.accumulation);
        d["approximate_math"] = defaults.approximate_math != 0;
        d["opt_level"] = defaults.opt_level;
        d["gram_min_dim"] = defaults.gram_min_dim;
        d["partial_states"] = defaults.partial_states != 0;
        d["tensor_cores"] = std::string(defaults.tensor_cores);
        return d;
      },
      "The compile options' defaults (keops_default_options).");
  m.def(
      "gpu_device_count",
      [] {
        int count = 0;
        if (keops_gpu_device_count(&count) != KEOPS_OK)
          fail();
        return count;
      },
      "The number of CUDA devices; raises KeopsError without a CUDA driver "
      "or a GPU.");
  m.def("set_num_threads", &keops_set_num_threads, py::arg("threads"));
  m.def("get_num_threads", &keops_get_num_threads);
  m.def("reduced_axis_parts", &keops_reduced_axis_parts, py::arg("rows"),
        py::arg("cols"),
        "The blocks of the reduced axis a CPU call splits over the threads "
        "(when compiled with partial states).");
  m.def(
      "thread_groups",
      [] {
        std::vector<std::vector<int>> groups(keops_thread_group_count());
        for (size_t g = 0; g < groups.size(); ++g) {
          groups[g].resize(keops_thread_group_cpus(g, nullptr, 0));
          keops_thread_group_cpus(g, groups[g].data(), groups[g].size());
        }
        return groups;
      },
      "The CPUs of each of the host's thread groups (NUMA nodes).");
  m.def(
      "set_thread_group",
      [](int group) {
        if (keops_set_thread_group(group) != KEOPS_OK)
          fail();
      },
      py::arg("group"),
      "Calls from this thread run on thread group `group` (-1: all).");
  m.def("get_thread_group", &keops_get_thread_group);
}
