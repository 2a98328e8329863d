//===- SplitReduced.cpp - few kept rows: the reduced axis over the threads ===//
//
// The thread pool splits a CPU call by kept rows, 64 at a time: a call with
// few rows (100 queries against 10 million points) would keep one thread
// busy and the others idle. When the module has partial states, such a
// call runs instead as tasks (a chunk of rows, a block of the reduced
// axis), each writing the partial state of its rows over its block; the
// blocks' states are then merged in order and finalized, as the GPU's 2-D
// scheme and distributed runs do. Sums then add in another order than one
// thread's (within the accumulation error); the other kinds give the same
// result.
//
//===----------------------------------------------------------------------===//

#include "keops/Runtime/Runtime.h"
#include "FloatEnvironment.h"
#include "ThreadPool.h"

#include <algorithm>
#include <climits>
#include <vector>

using namespace mlir::keops;
using namespace mlir::keops::runtime;

int64_t mlir::keops::runtime::reducedAxisParts(int64_t rows, int64_t cols) {
  int64_t threads = callThreads();
  int64_t chunks = rowChunks(rows, kMinRowChunk);
  if (threads <= 1 || rows <= 0 || chunks >= threads)
    return 1;
  // About four tasks a thread, as splitRows makes, each of kMinChunkPairs
  // pairs or more.
  int64_t parts = (4 * threads + chunks - 1) / chunks;
  int64_t perTask = std::min(rows, kMinRowChunk);
  int64_t minBlock =
      std::max<int64_t>(1024, (kMinChunkPairs + perTask - 1) / perTask);
  return std::max<int64_t>(1, std::min(parts, cols / minBlock));
}

int64_t Module::reducedParts(size_t index, int64_t rows, int64_t cols) const {
  if (gpu || index >= stateFns.size() || !infos[index].partialStates)
    return 1;
  // (A state's 32-bit indices must hold every reduced index.)
  if (infos[index].stateIndexBits == 32 && cols > INT32_MAX)
    return 1;
  return reducedAxisParts(rows, cols);
}

void Module::splitReduced(size_t index, const void *const *inputs,
                          void *const *outputs, int64_t m, int64_t n,
                          int64_t rows, int64_t cols, int64_t parts) const {
  const KernelInfo &info = infos[index];
  const std::array<KernelFn, 3> &fns = stateFns[index];
  int64_t block = (cols + parts - 1) / parts;
  parts = (cols + block - 1) / block;
  Category reduced = info.axis == Axis::J ? Category::J : Category::I;

  // The state arrays of each block's rows.
  size_t count = info.stateLayout.size();
  std::vector<std::vector<char>> storage(parts * count);
  std::vector<std::vector<void *>> states(parts, std::vector<void *>(count));
  for (int64_t p = 0; p < parts; ++p)
    for (size_t k = 0; k < count; ++k) {
      storage[p * count + k].resize(
          info.stateArrayBytes(info.stateLayout[k], rows));
      states[p][k] = storage[p * count + k].data();
    }

  int64_t chunks = rowChunks(rows, kMinRowChunk);
  parallelFor(chunks * parts, callThreads(), [&](int64_t task) {
    FlushSubnormals flush(info.flushSubnormals);
    int64_t p = task % parts, chunk = task / parts;
    int64_t first = p * block, size = std::min(cols, first + block) - first;
    // The block's rows of the reduced variables, then its first index.
    std::vector<const void *> ins(info.categories.size() + 1);
    for (size_t k = 0; k < info.categories.size(); ++k) {
      const char *at = static_cast<const char *>(inputs[k]);
      if (info.categories[k] == reduced && at)
        at += first * info.inputDims[k] * (info.inputBits[k] / 8);
      ins[k] = at;
    }
    ins.back() = &first;
    int64_t begin = chunk * kMinRowChunk;
    int64_t end = chunkEnd(chunk, rows, kMinRowChunk);
    if (info.axis == Axis::J)
      fns[0](ins.data(), states[p].data(), m, size, begin, end);
    else
      fns[0](ins.data(), states[p].data(), size, n, begin, end);
  });

  // The blocks' states merged in order into the first's, then finalized,
  // as mergeStates and finalizeStates run them.
  std::vector<const void *> pair(2 * count);
  for (int64_t p = 1; p < parts; ++p) {
    std::copy(states[0].begin(), states[0].end(), pair.begin());
    std::copy(states[p].begin(), states[p].end(), pair.begin() + count);
    splitRows(info, fns[1], pair.data(), states[0].data(), rows, 0, rows, 1);
  }
  splitRows(info, fns[2], states[0].data(), outputs, rows, 0, rows, 1);
}
