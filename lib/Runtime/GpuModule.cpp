//===- GpuModule.cpp - loading PTX and launching kernels on a GPU ---------===//
//
// A kernel's operands are raw pointers, as for the CPU; each may point to
// host memory or to the device's memory (cuPointerGetAttribute tells them
// apart). Device arrays are used in place; host arrays are copied to
// temporary device buffers, and outputs copied back, so that NumPy arrays
// and torch CUDA tensors go through the same entry points. Without a
// stream, launches run on the default stream and are done when run()
// returns. With one (torch's current stream), copies, launches and the
// temporary buffers are ordered on it (stream-ordered allocation), and
// run() waits for it only when outputs must come back to host memory.
//
//===----------------------------------------------------------------------===//

#include "GpuModule.h"
#include "KernelRanges.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>

using namespace mlir::keops;
using namespace mlir::keops::runtime;

GpuModule::~GpuModule() {
  std::string ignored;
  if (module && driver->makeCurrent(device, ignored))
    driver->unloadModule(module, ignored);
}

bool GpuModule::chipOf(int device, std::string &chip, std::string &error) {
  cuda::Driver *driver = cuda::Driver::get(error);
  if (!driver)
    return false;
  if (device >= driver->deviceCount()) {
    error = "keops: no CUDA device " + std::to_string(device) + " (" +
            std::to_string(driver->deviceCount()) + " devices)";
    return false;
  }
  cuda::DeviceInfo info;
  if (!driver->deviceInfo(device, info, error))
    return false;
  chip = "sm_" + std::to_string(info.major) + std::to_string(info.minor);
  return true;
}

std::shared_ptr<Module> GpuModule::load(const std::string &ptx,
                                        std::vector<KernelInfo> infos,
                                        const CompileOptions &options,
                                        std::string &error) {
  auto gpu = std::make_shared<GpuModule>();
  gpu->driver = cuda::Driver::get(error);
  gpu->device = options.gpuDevice;
  gpu->blockSize = options.gpuBlockSize;
  if (!gpu->driver || !gpu->driver->makeCurrent(gpu->device, error) ||
      !gpu->driver->loadModule(ptx.c_str(), gpu->module, error))
    return nullptr;
  cuda::DeviceInfo device;
  if (!gpu->driver->deviceInfo(gpu->device, device, error))
    return nullptr;
  gpu->multiprocessors = std::max(device.multiprocessors, 1);
  for (const KernelInfo &info : infos) {
    Kernels k;
    if (!gpu->driver->getFunction(gpu->module, info.name.c_str(), k.oneD,
                                  error) ||
        !gpu->driver->getFunction(gpu->module, (info.name + "_part").c_str(),
                                  k.part, error) ||
        !gpu->driver->getFunction(gpu->module,
                                  (info.name + "_combine").c_str(), k.combine,
                                  error))
      return nullptr;
    if (info.partialStates)
      for (auto [suffix, function] :
           {std::pair{"_partial", &k.partial},
            {"_partial_part", &k.partialPart},
            {"_partial_combine", &k.partialCombine},
            {"_merge", &k.merge},
            {"_finalize", &k.finalize}})
        if (!gpu->driver->getFunction(gpu->module,
                                      (info.name + suffix).c_str(), *function,
                                      error))
          return nullptr;
    gpu->functions.push_back(k);
  }
  auto module = std::shared_ptr<Module>(new Module());
  module->infos = std::move(infos);
  module->gpu = std::move(gpu);
  return module;
}

std::string runtime::cudaToolkit() {
  std::vector<std::string> candidates;
  for (const char *var : {"CUDA_HOME", "CUDA_PATH"})
    if (const char *v = std::getenv(var); v && *v)
      candidates.push_back(v);
  candidates.push_back("/usr/local/cuda");
  for (const std::string &dir : candidates) {
    struct stat st;
    if (stat((dir + "/nvvm/libdevice/libdevice.10.bc").c_str(), &st) == 0)
      return dir;
  }
  return "";
}

bool runtime::gpuDeviceCount(int &count, std::string &error) {
  count = 0;
  cuda::Driver *driver = cuda::Driver::get(error);
  if (!driver)
    return false;
  count = driver->deviceCount();
  return true;
}

int Module::gpuDevice() const { return gpu ? gpu->device : -1; }

namespace {

/// The chunk length of the 2-D scheme for `rowBlocks` blocks of rows and
/// `cols` reduced indices, or 0 for the 1-D scheme. The 2-D scheme is for
/// launches that would leave the device idle: fewer row blocks than two per
/// multiprocessor, and enough reduced indices to split. It aims at about
/// eight blocks per multiprocessor, with chunks of whole tiles.
/// KEOPS_GPU_SCHEME=1d or 2d forces a scheme (tests).
int64_t chooseChunk(int64_t rowBlocks, int64_t cols, int64_t block,
                    int multiprocessors) {
  const char *force = std::getenv("KEOPS_GPU_SCHEME");
  bool twoD = force && std::strcmp(force, "2d") == 0;
  bool oneD = force && std::strcmp(force, "1d") == 0;
  if (oneD || cols <= block ||
      (!twoD && (rowBlocks >= 2 * multiprocessors || cols < 4 * block)))
    return 0;
  int64_t wanted = (8 * int64_t(multiprocessors) + rowBlocks - 1) / rowBlocks;
  // gridDim.y is at most 65535.
  int64_t chunks = std::clamp<int64_t>(
      wanted, 2, std::min<int64_t>((cols + block - 1) / block, 65535));
  int64_t chunk = (cols + chunks - 1) / chunks;
  return (chunk + block - 1) / block * block;
}

/// The arrays a kernel writes per kept row: its state's (`states`) or its
/// outputs.
std::vector<OutputArray> writtenArrays(const KernelInfo &info, bool states) {
  if (states)
    return info.stateLayout;
  std::vector<OutputArray> arrays;
  for (size_t k = 0; k < info.outputWidths.size(); ++k)
    arrays.push_back({info.outputWidths[k], bool(info.outputIsIndex[k])});
  return arrays;
}

/// Device buffers of one launch, freed on every path out (after the work
/// queued on `stream`, when there is one).
struct Staging {
  cuda::Driver *driver;
  void *stream;
  std::vector<void *> buffers;
  ~Staging() {
    std::string ignored;
    for (void *p : buffers)
      driver->free(p, stream, ignored);
  }
};

} // namespace

std::string Module::runOnGpu(size_t index, const void *const *inputs,
                             void *const *outputs, int64_t m, int64_t n,
                             void *stream, llvm::ArrayRef<int64_t> batch,
                             const RangesArg *ranges,
                             const int64_t *first) const {
  const KernelInfo &info = infos[index];
  cuda::Driver &driver = *gpu->driver;
  std::string error;
  int64_t rows = info.axis == Axis::J ? m : n;
  if (rows == 0)
    return "";
  int64_t elements = 1;
  for (int64_t extent : batch)
    elements *= extent;
  // Block-sparse: the ranges, on the host, checked and completed first.
  RangeTable table;
  int64_t rangeSizes[2] = {0, 0};
  if (ranges) {
    if (std::string e = kernelRanges(info, *ranges, m, n, elements, table);
        !e.empty())
      return e;
    rangeSizes[0] = table.numBlocks();
    rangeSizes[1] = table.numIntervals();
  }
  if (!driver.makeCurrent(gpu->device, error))
    return error;
  Staging staging{&driver, stream, {}};
  // One parameter per operand (its device address), then M and N.
  std::vector<void *> addresses;
  auto onDevice = [&](const void *host, size_t bytes, bool copyIn,
                      void *&device) {
    if (driver.isDevicePointer(host)) {
      device = const_cast<void *>(host);
      return true;
    }
    if (!driver.alloc(bytes, device, stream, error))
      return false;
    staging.buffers.push_back(device);
    return !copyIn || driver.copyToDevice(device, host, bytes, stream, error);
  };
  // Batch elements: all of them for the outputs, those of the axes it is
  // not broadcast along for an input.
  for (size_t k = 0; k < info.categories.size(); ++k) {
    Category c = info.categories[k];
    int64_t r = c == Category::P ? 1 : c == Category::I ? m : n;
    for (size_t a = 0; a < batch.size(); ++a)
      if (!info.inputBroadcast[k][a])
        r *= batch[a];
    size_t bytes = size_t(r) * info.inputDims[k] * (info.inputBits[k] / 8);
    void *device;
    if (!onDevice(inputs[k], bytes, true, device))
      return error;
    addresses.push_back(device);
  }
  // The outputs, or a partial reduction's state arrays.
  std::vector<OutputArray> outArrays = writtenArrays(info, first != nullptr);
  int outIndexBits = first ? info.stateIndexBits : info.indexBits;
  std::vector<size_t> outBytes;
  for (size_t k = 0; k < outArrays.size(); ++k) {
    int bits = outArrays[k].isIndex ? outIndexBits : info.elementBits;
    outBytes.push_back(size_t(rows) * elements * outArrays[k].width *
                       (bits / 8));
    void *device;
    if (!onDevice(outputs[k], outBytes.back(), false, device))
      return error;
    addresses.push_back(device);
  }
  int64_t sizes[2] = {m, n};
  int64_t firstIndex = first ? *first : 0;
  std::vector<void *> params;
  for (void *&a : addresses)
    params.push_back(&a);
  params.push_back(&sizes[0]);
  params.push_back(&sizes[1]);
  if (first)
    params.push_back(&firstIndex);
  std::vector<int64_t> extents(batch.begin(), batch.end());
  for (int64_t &extent : extents)
    params.push_back(&extent);
  // Block-sparse: {blocks, intervals}, then the three arrays on the device
  // (and the elements' offsets into them when each has its own); blocks
  // over grid x (those of the element with most). Per block, its tiles of
  // rows and the reduced indices of its intervals decide the scheme.
  void *rangeArrays[4] = {};
  int64_t block = gpu->blockSize;
  // Rows a block of the 1-D and _part kernels computes (gpuBlockRows); the
  // combine kernel merges one row a thread.
  int64_t blockRows = info.gpuBlockRows;
  int64_t rowTiles = 0, gridBlocks = rangeSizes[0], tiles = 0, longest = 0;
  if (ranges) {
    const std::vector<int64_t> *arrays[4] = {&table.blocks, &table.counts,
                                             &table.intervals, &table.offsets};
    int count = info.batchedRanges ? 4 : 3;
    for (int a = 0; a < count; ++a)
      if (!onDevice(arrays[a]->data(),
                    std::max<size_t>(arrays[a]->size(), 1) * sizeof(int64_t),
                    !arrays[a]->empty(), rangeArrays[a]))
        return error;
    params.push_back(&rangeSizes[0]);
    params.push_back(&rangeSizes[1]);
    for (int a = 0; a < count; ++a)
      params.push_back(&rangeArrays[a]);
    if (info.batchedRanges)
      gridBlocks = 0;
    for (int64_t e = 0, tables = std::max<int64_t>(table.numElements(), 1);
         e < tables; ++e) {
      RangeTable one = table.element(e);
      if (info.batchedRanges)
        gridBlocks = std::max(gridBlocks, one.numBlocks());
      for (int64_t k = 0; k < one.numBlocks(); ++k) {
        int64_t t =
            (one.blocks[2 * k + 1] - one.blocks[2 * k] + blockRows - 1) /
            blockRows;
        rowTiles = std::max(rowTiles, t);
        tiles += t;
        int64_t length = 0;
        for (int64_t s = one.firstInterval(k); s < one.counts[k]; ++s)
          length += one.intervals[2 * s + 1] - one.intervals[2 * s];
        longest = std::max(longest, length);
      }
    }
    if (gridBlocks > 0x7fffffff)
      return "bad ranges: more than 2^31 - 1 blocks";
  }
  int64_t cols = info.axis == Axis::J ? n : m;
  int64_t rowBlocks = (rows + blockRows - 1) / blockRows;
  const GpuModule::Kernels &kernels = gpu->functions[index];
  unsigned threads[3] = {unsigned(block), 1, 1};
  // Batch elements over blockIdx.z in every scheme (gridDim.z is at most
  // 65535; the kernels loop over the others); a batch of small problems
  // fills the device through its elements, so the 2-D scheme counts them
  // as row blocks when it decides. A block-sparse reduction decides by its
  // tiles of rows and its longest block (in reduced indices).
  unsigned gridZ = unsigned(std::min<int64_t>(elements, 65535));
  int64_t chunk =
      ranges ? chooseChunk(info.batchedRanges ? tiles : tiles * gridZ, longest,
                           block, gpu->multiprocessors)
             : chooseChunk(rowBlocks * gridZ, cols, block,
                           gpu->multiprocessors);
  if (chunk == 0) {
    // Block-sparse: the tiles of the blocks' rows over y.
    unsigned grid[3] = {unsigned(ranges ? gridBlocks : rowBlocks),
                        ranges ? unsigned(std::clamp<int64_t>(rowTiles, 1,
                                                              65535))
                               : 1u,
                        gridZ};
    if (!driver.launch(first ? kernels.partial : kernels.oneD, grid, threads,
                       0, stream, params.data(), error))
      return error;
  } else {
    // The 2-D scheme: chunks of the reduced axis (of each block's
    // intervals) over blockIdx.y, their states in a temporary buffer (a
    // state per row and chunk), merged by the combine kernel. Parameters:
    // the operands, M, N, the states, the count, the extents, the ranges.
    int64_t chunks = ((ranges ? longest : cols) + chunk - 1) / chunk;
    size_t bytes = size_t(rows) * chunks * elements * info.stateBytes +
                   16 * size_t(info.stateCount);
    void *states;
    if (!driver.alloc(bytes, states, stream, error))
      return error;
    staging.buffers.push_back(states);
    // (After a partial reduction's first index.)
    size_t at = addresses.size() + (first ? 3 : 2);
    params.insert(params.begin() + at, {&states, &chunk});
    unsigned grid[3] = {unsigned(ranges ? gridBlocks : rowBlocks),
                        unsigned(chunks), gridZ};
    if (!driver.launch(first ? kernels.partialPart : kernels.part, grid,
                       threads, 0, stream, params.data(), error))
      return error;
    params[at + 1] = &chunks;
    unsigned combineGrid[3] = {unsigned((rows + block - 1) / block), 1, gridZ};
    if (!driver.launch(first ? kernels.partialCombine : kernels.combine,
                       combineGrid, threads, 0, stream, params.data(), error))
      return error;
  }
  bool toHost = false;
  for (size_t k = 0; k < outArrays.size(); ++k) {
    void *device = addresses[info.categories.size() + k];
    if (device == outputs[k])
      continue;
    toHost = true;
    if (!driver.copyToHost(outputs[k], device, outBytes[k], stream, error))
      return error;
  }
  // Without a stream, everything is done on return; with one, host outputs
  // must have arrived.
  if ((!stream || toHost) && !driver.synchronize(stream, error))
    return error;
  return "";
}

std::string Module::combineStatesOnGpu(size_t index, bool merge,
                                       const void *const *ins,
                                       void *const *outs, int64_t rows) const {
  // One thread per row: the first state's arrays (and the second's), then
  // the merged state's (the outputs), then the rows.
  const KernelInfo &info = infos[index];
  cuda::Driver &driver = *gpu->driver;
  std::string error;
  if (!driver.makeCurrent(gpu->device, error))
    return error;
  Staging staging{&driver, nullptr, {}};
  std::vector<void *> addresses;
  std::vector<size_t> sizes;
  auto onDevice = [&](const void *p, size_t bytes, bool copyIn) {
    if (driver.isDevicePointer(p)) {
      addresses.push_back(const_cast<void *>(p));
      return true;
    }
    void *device;
    if (!driver.alloc(bytes, device, nullptr, error))
      return false;
    staging.buffers.push_back(device);
    addresses.push_back(device);
    return !copyIn || driver.copyToDevice(device, p, bytes, nullptr, error);
  };
  size_t count = info.stateLayout.size();
  for (size_t k = 0; k < count * (merge ? 2 : 1); ++k) {
    const OutputArray &a = info.stateLayout[k % count];
    if (!onDevice(ins[k], info.stateArrayBytes(a, rows), true))
      return error;
  }
  size_t firstOut = addresses.size();
  std::vector<OutputArray> outArrays = writtenArrays(info, merge);
  for (size_t k = 0; k < outArrays.size(); ++k) {
    sizes.push_back(info.stateArrayBytes(outArrays[k], rows));
    if (!onDevice(outs[k], sizes.back(), false))
      return error;
  }
  std::vector<void *> params;
  for (void *&a : addresses)
    params.push_back(&a);
  params.push_back(&rows);
  int64_t block = gpu->blockSize;
  unsigned grid[3] = {unsigned((rows + block - 1) / block), 1, 1};
  unsigned threads[3] = {unsigned(block), 1, 1};
  const GpuModule::Kernels &kernels = gpu->functions[index];
  if (!driver.launch(merge ? kernels.merge : kernels.finalize, grid, threads,
                     0, nullptr, params.data(), error))
    return error;
  for (size_t k = 0; k < outArrays.size(); ++k)
    if (addresses[firstOut + k] != outs[k] &&
        !driver.copyToHost(outs[k], addresses[firstOut + k], sizes[k], nullptr,
                           error))
      return error;
  if (!driver.synchronize(nullptr, error))
    return error;
  return "";
}

std::string Module::runFunctionThroughHost(size_t function,
                                           const void *const *args,
                                           const int64_t *argRows,
                                           void *const *results,
                                           void *stream,
                                           llvm::ArrayRef<int64_t> batch) const {
  // The plan's copies of columns read and write host memory: device
  // arguments are brought to the host, once what `stream` has queued (their
  // producers) is done, and results sent back.
  cuda::Driver &driver = *gpu->driver;
  const FunctionPlan &plan = plans[function];
  std::vector<std::vector<char>> hostArgs(plan.arrays.size());
  std::vector<const void *> argPtrs;
  std::string error;
  if (!driver.makeCurrent(gpu->device, error) ||
      (stream && !driver.synchronize(stream, error)))
    return error;
  // The plan's first arrays are the arguments, in order.
  for (const FunctionPlan::Array &a : plan.arrays) {
    if (a.argument < 0)
      break;
    const void *p = args[a.argument];
    argPtrs.push_back(p);
    if (!p || !driver.isDevicePointer(p))
      continue;
    size_t bytes = size_t(a.elements(batch)) *
                   (a.oneDim && !a.ranges ? 1 : argRows[a.argument]) *
                   a.width *
                   (a.bits / 8);
    std::vector<char> &copy = hostArgs[a.argument];
    copy.resize(bytes);
    if (!driver.copyToHost(copy.data(), p, bytes, nullptr, error))
      return error;
    argPtrs.back() = copy.data();
  }
  std::vector<std::vector<char>> hostResults(plan.results.size());
  std::vector<void *> resultPtrs;
  for (size_t k = 0; k < plan.results.size(); ++k) {
    int64_t rows, cols;
    std::vector<int64_t> extents;
    std::string e = resultShape(function, k, argRows, batch, extents, rows,
                                cols);
    if (!e.empty())
      return e;
    size_t elements = 1;
    for (int64_t extent : extents)
      elements *= extent;
    hostResults[k].resize(elements * rows * cols *
                          (plan.arrays[plan.results[k].array].bits / 8));
    resultPtrs.push_back(driver.isDevicePointer(results[k])
                             ? hostResults[k].data()
                             : results[k]);
  }
  std::string e = runFunction(function, argPtrs.data(), argRows,
                              resultPtrs.data(), nullptr, batch);
  if (!e.empty())
    return e;
  for (size_t k = 0; k < plan.results.size(); ++k)
    if (resultPtrs[k] != results[k] &&
        !driver.copyToDevice(results[k], resultPtrs[k], hostResults[k].size(),
                             nullptr, error))
      return error;
  return "";
}
