//===- ThreadPool.cpp - output rows split over threads, and Module::run --===//
//
// Persistent pools, one for calls on all thread groups (ThreadGroups.h) and
// one per group: workers sleep on a condition variable; a parallel call
// publishes a job (a function of a chunk index), and the caller and the
// workers take chunks from their group's atomic counter, then from the
// others', until none is left. Small jobs run on the caller alone.
//
//===----------------------------------------------------------------------===//

#include "keops/Runtime/Runtime.h"
#include "FloatEnvironment.h"
#include "KernelRanges.h"
#include "ThreadGroups.h"
#include "ThreadPool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

using namespace mlir::keops;
using namespace mlir::keops::runtime;

namespace {

std::atomic<int> requestedThreads{0};
// The thread group of this host thread's calls (-1: all groups).
thread_local int callerGroup = -1;

// Read once: getenv and hardware_concurrency (which reads /sys) cost a few
// microseconds per call, as much as a whole small kernel.
int defaultThreads() {
  static const int threads = [] {
    if (const char *env = std::getenv("KEOPS_NUM_THREADS")) {
      int n = std::atoi(env);
      if (n > 0)
        return n;
    }
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }();
  return threads;
}

class Pool {
public:
  /// The pool of calls on all thread groups (`group` -1) or on one.
  static Pool &get(int group) {
    static const std::vector<Pool *> pools = [] {
      size_t count = hostThreadGroups().size();
      std::vector<int> all(count);
      for (size_t g = 0; g < count; ++g)
        all[g] = static_cast<int>(g);
      std::vector<Pool *> made{new Pool(all)}; // workers live until exit
      for (int g : all)
        made.push_back(new Pool({g}));
      return made;
    }();
    return *pools[group + 1];
  }

  /// Runs fn(0) ... fn(chunks - 1) on up to `threads` threads, spread over
  /// the pool's groups: a group's threads take the chunks of its own range
  /// first, then help the other groups.
  void run(int64_t chunks, int threads,
           const std::function<void(int64_t)> &fn) {
    const std::vector<std::vector<int>> &host = hostThreadGroups();
    threads = static_cast<int>(std::min<int64_t>(threads, chunks));
    // A call on one group of several runs there, its caller included
    // (not a job of one chunk: three system calls would cost as much).
    std::optional<PinnedScope> pin;
    if (scope.size() == 1 && host.size() > 1 && chunks > 1)
      pin.emplace(host[scope[0]]);
    if (threads <= 1) {
      for (int64_t c = 0; c < chunks; ++c)
        fn(c);
      return;
    }
    size_t n = scope.size();
    std::vector<std::vector<int>> cpus;
    for (int g : scope)
      cpus.push_back(host[g]);
    std::vector<int> first = shareThreads(cpus, threads);
    std::unique_ptr<std::atomic<int64_t>[]> next(new std::atomic<int64_t>[n]);
    std::vector<int64_t> end(n);
    for (size_t l = 0; l < n; ++l) {
      next[l] = chunks * first[l] / threads;
      end[l] = chunks * first[l + 1] / threads;
    }
    auto work = [&](size_t l) {
      for (size_t s = 0; s < n; ++s) {
        size_t g = (l + s) % n;
        for (int64_t c; (c = next[g].fetch_add(1)) < end[g];)
          fn(c);
      }
    };
    // The caller is a thread of the first group that has any.
    size_t caller = 0;
    while (first[caller + 1] == first[caller])
      ++caller;
    std::vector<int> counts(n);
    for (size_t l = 0; l < n; ++l)
      counts[l] = first[l + 1] - first[l] - (l == caller);
    std::lock_guard<std::mutex> serial(callMutex); // one job at a time
    ensureWorkers(counts);
    std::atomic<int> active{threads - 1};
    {
      std::lock_guard<std::mutex> lock(mutex);
      job = [&](size_t l) {
        work(l);
        if (active.fetch_sub(1) == 1) {
          std::lock_guard<std::mutex> guard(mutex);
          done.notify_all();
        }
      };
      wanted = counts;
      ++generation;
    }
    wake.notify_all();
    work(caller);
    std::unique_lock<std::mutex> lock(mutex);
    done.wait(lock, [&] { return active.load() == 0; });
    job = nullptr;
  }

private:
  explicit Pool(std::vector<int> scope)
      : scope(std::move(scope)), workers(this->scope.size()),
        wanted(this->scope.size(), 0) {}

  void ensureWorkers(const std::vector<int> &counts) {
    // (Under callMutex: no job runs, the generation stays.)
    uint64_t now;
    {
      std::lock_guard<std::mutex> lock(mutex);
      now = generation;
    }
    bool pinned = hostThreadGroups().size() > 1;
    for (size_t l = 0; l < counts.size(); ++l)
      while (static_cast<int>(workers[l].size()) < counts[l]) {
        int id = workers[l].size();
        workers[l].emplace_back([this, l, id, now, pinned] {
          if (pinned)
            pinToCpus(hostThreadGroups()[scope[l]]);
          loop(l, id, now);
        });
        workers[l].back().detach();
      }
  }

  void loop(size_t l, int id, uint64_t seen) {
    for (;;) {
      std::function<void(size_t)> mine;
      {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] { return generation != seen; });
        seen = generation;
        if (id >= wanted[l])
          continue;
        mine = job;
      }
      mine(l);
    }
  }

  const std::vector<int> scope; ///< the host's groups this pool spans
  std::mutex callMutex, mutex;
  std::condition_variable wake, done;
  std::function<void(size_t)> job;
  std::vector<std::vector<std::thread>> workers; ///< per group of the scope
  std::vector<int> wanted;                       ///< per group of the scope
  uint64_t generation = 0;
};

} // namespace

int mlir::keops::runtime::numThreads() {
  int n = requestedThreads.load();
  return n > 0 ? n : defaultThreads();
}

void mlir::keops::runtime::setNumThreads(int threads) {
  requestedThreads.store(threads > 0 ? threads : 0);
}

std::vector<std::vector<int>> mlir::keops::runtime::threadGroupCpus() {
  return hostThreadGroups();
}

std::string mlir::keops::runtime::setThreadGroup(int group) {
  int count = static_cast<int>(hostThreadGroups().size());
  if (group < -1 || group >= count)
    return "no thread group " + std::to_string(group) + " (this host has " +
           std::to_string(count) + ": 0 to " + std::to_string(count - 1) +
           ", or -1 for all)";
  callerGroup = group;
  return "";
}

int mlir::keops::runtime::threadGroup() { return callerGroup; }

int mlir::keops::runtime::callThreads() {
  // (A call on one thread group takes that group's share of the threads.)
  int threads = numThreads();
  if (callerGroup < 0)
    return threads;
  std::vector<int> first = shareThreads(hostThreadGroups(), threads);
  return std::max(1, first[callerGroup + 1] - first[callerGroup]);
}

void mlir::keops::runtime::parallelFor(
    int64_t chunks, int threads, const std::function<void(int64_t)> &fn) {
  Pool::get(callerGroup).run(chunks, threads, fn);
}

Module::~Module() = default;

std::string Module::run(size_t index, const void *const *inputs,
                        void *const *outputs, int64_t m, int64_t n,
                        void *stream, llvm::ArrayRef<int64_t> batch,
                        const RangesArg *ranges) const {
  return launch(index, inputs, outputs, m, n, stream, batch, ranges, nullptr);
}

std::string Module::launch(size_t index, const void *const *inputs,
                           void *const *outputs, int64_t m, int64_t n,
                           void *stream, llvm::ArrayRef<int64_t> batch,
                           const RangesArg *ranges,
                           const int64_t *first) const {
  if (index >= infos.size())
    return "kernel index " + std::to_string(index) + " out of range (" +
           std::to_string(infos.size()) + " kernels)";
  const KernelInfo &info = infos[index];
  size_t numOutputs =
      first ? info.stateLayout.size() : info.outputWidths.size();
  if (m < 0 || n < 0)
    return "M and N must be >= 0";
  if (!inputs || !outputs)
    return "null array of inputs or outputs";
  if (static_cast<int64_t>(batch.size()) != info.batchRank)
    return "kernel " + info.name + " has " + std::to_string(info.batchRank) +
           " batch axes, got " + std::to_string(batch.size()) +
           " batch extents";
  // Batch elements, laid end to end: the kernel takes rows of all of them.
  int64_t elements = 1;
  for (int64_t extent : batch) {
    if (extent < 0)
      return "batch extents must be >= 0";
    if (extent > 0 && elements > (int64_t(1) << 40) / extent)
      return "too many batch elements";
    elements *= extent;
  }
  if (elements == 0)
    return "";
  // An empty array may have no address (torch's empty tensors do not).
  for (size_t k = 0; k < info.categories.size(); ++k) {
    Category c = info.categories[k];
    bool empty = (c == Category::I && m == 0) || (c == Category::J && n == 0);
    if (!inputs[k] && !empty)
      return "input #" + std::to_string(k) + " is a null pointer";
  }
  bool noRows = (info.axis == Axis::J ? m : n) == 0;
  for (size_t k = 0; k < numOutputs; ++k)
    if (!outputs[k] && !noRows)
      return (first ? "state array #" : "output #") + std::to_string(k) +
             " is a null pointer";
  if (info.hasRanges != (ranges != nullptr))
    return "kernel " + info.name +
           (info.hasRanges ? " is block-sparse: it needs its ranges"
                           : " is not block-sparse: it takes no ranges");
  if (gpu)
    return runOnGpu(index, inputs, outputs, m, n, stream, batch, ranges,
                    first);
  KernelFn fn = first ? stateFns[index][0] : kernelFns[index];
  int64_t rows = info.axis == Axis::J ? m : n;
  int64_t cols = info.axis == Axis::J ? n : m;
  if (rows == 0)
    return "";
  if (rows > (int64_t(1) << 62) / elements)
    return "too many rows in all batch elements";
  rows *= elements;
  // Few kept rows and many reduced ones: blocks of the reduced axis over
  // the threads, their states merged (SplitReduced.cpp).
  if (!first && batch.empty() && !ranges)
    if (int64_t parts = reducedParts(index, rows, cols); parts > 1) {
      splitReduced(index, inputs, outputs, m, n, rows, cols, parts);
      return "";
    }
  // A batched kernel reads its batch extents as one more input, a
  // block-sparse one its checked ranges (four more, and the elements'
  // offsets into them when each has its own).
  std::vector<const void *> extra;
  RangeTable table;
  int64_t sizes[2] = {0, 0};
  if (ranges) {
    if (std::string error =
            kernelRanges(info, *ranges, m, n, elements, table);
        !error.empty())
      return error;
    sizes[0] = table.numBlocks();
    sizes[1] = table.numIntervals();
  }
  // (A partial reduction's first reduced index comes last.)
  if (!batch.empty() || ranges || first) {
    extra.assign(inputs, inputs + info.categories.size());
    if (!batch.empty())
      extra.push_back(batch.data());
    if (ranges)
      extra.insert(extra.end(), {sizes, table.blocks.data(),
                                 table.counts.data(), table.intervals.data()});
    if (info.batchedRanges)
      extra.push_back(table.offsets.data());
    if (first)
      extra.push_back(first);
    inputs = extra.data();
  }
  splitRows(info, fn, inputs, outputs, m, n, rows, cols);
  return "";
}

std::string Module::runPartial(size_t index, const void *const *inputs,
                               void *const *states, int64_t m, int64_t n,
                               int64_t first, llvm::ArrayRef<int64_t> batch,
                               const RangesArg *ranges) const {
  if (std::string error = checkStateKernel(index); !error.empty())
    return error;
  if (first < 0)
    return "the first reduced index must be >= 0, got " +
           std::to_string(first);
  // Indices past the state's integers would wrap: refuse them.
  const KernelInfo &info = infos[index];
  int64_t reduced = info.axis == Axis::J ? n : m;
  int64_t limit = info.stateIndexBits == 32 ? INT32_MAX : INT64_MAX;
  if (reduced > 0 && first > limit - (reduced - 1))
    return "reduced indices up to first + " + std::to_string(reduced - 1) +
           " (first = " + std::to_string(first) + ") do not fit the state's " +
           std::to_string(info.stateIndexBits) + "-bit indices";
  return launch(index, inputs, states, m, n, nullptr, batch, ranges, &first);
}

std::string Module::mergeStates(size_t index, const void *const *first,
                                const void *const *second,
                                void *const *merged, int64_t rows) const {
  if (std::string error = checkStateKernel(index); !error.empty())
    return error;
  const KernelInfo &info = infos[index];
  size_t count = info.stateLayout.size();
  if (rows < 0)
    return "the number of rows must be >= 0";
  if (rows == 0)
    return "";
  if (!first || !second || !merged)
    return "null array of states";
  std::vector<const void *> ins(first, first + count);
  ins.insert(ins.end(), second, second + count);
  for (size_t k = 0; k < count; ++k)
    if (!ins[k] || !ins[count + k] || !merged[k])
      return "state array #" + std::to_string(k) + " is a null pointer";
  if (gpu)
    return combineStatesOnGpu(index, true, ins.data(), merged, rows);
  splitRows(info, stateFns[index][1], ins.data(), merged, rows, 0, rows, 1);
  return "";
}

std::string Module::finalizeStates(size_t index, const void *const *states,
                                   void *const *outputs, int64_t rows) const {
  if (std::string error = checkStateKernel(index); !error.empty())
    return error;
  const KernelInfo &info = infos[index];
  if (rows < 0)
    return "the number of rows must be >= 0";
  if (rows == 0)
    return "";
  if (!states || !outputs)
    return "null array of states or outputs";
  for (size_t k = 0; k < info.stateLayout.size(); ++k)
    if (!states[k])
      return "state array #" + std::to_string(k) + " is a null pointer";
  for (size_t k = 0; k < info.outputWidths.size(); ++k)
    if (!outputs[k])
      return "output #" + std::to_string(k) + " is a null pointer";
  if (gpu)
    return combineStatesOnGpu(index, false, states, outputs, rows);
  splitRows(info, stateFns[index][2], states, outputs, rows, 0, rows, 1);
  return "";
}

std::string Module::checkStateKernel(size_t index) const {
  if (index >= infos.size())
    return "kernel index " + std::to_string(index) + " out of range (" +
           std::to_string(infos.size()) + " kernels)";
  if (!infos[index].partialStates ||
      (!gpu && index >= stateFns.size()))
    return "kernel " + infos[index].name +
           " has no partial-state kernels: compile the module with partial "
           "states (keops_options.partial_states = 1)";
  return "";
}

void Module::splitRows(const KernelInfo &info, KernelFn fn,
                       const void *const *inputs, void *const *outputs,
                       int64_t m, int64_t n, int64_t rows,
                       int64_t cols) const {
  // Chunks of whole register blocks, about 4 per thread, and enough work per
  // chunk (pairs) to pay for waking a thread.
  int threads = callThreads();
  int64_t work = rows * std::max<int64_t>(cols, 1);
  if (work < kMinChunkPairs)
    threads = 1;
  int64_t chunk = (rows + int64_t(threads) * 4 - 1) / (int64_t(threads) * 4);
  chunk = std::max(kMinRowChunk,
                   (chunk + kMinRowChunk - 1) / kMinRowChunk * kMinRowChunk);
  parallelFor(rowChunks(rows, chunk), threads, [&](int64_t c) {
    FlushSubnormals flush(info.flushSubnormals);
    int64_t begin = c * chunk, end = chunkEnd(c, rows, chunk);
    fn(inputs, outputs, m, n, begin, end);
  });
}
