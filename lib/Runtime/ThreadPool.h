//===- ThreadPool.h - CPU threads for the runtime's parts ---*- C++ -*-===//

#ifndef KEOPS_LIB_RUNTIME_THREADPOOL_H
#define KEOPS_LIB_RUNTIME_THREADPOOL_H

#include <cstdint>
#include <functional>

namespace mlir::keops::runtime {

/// Kept rows of the smallest chunk of a call (whole register blocks).
constexpr int64_t kMinRowChunk = 64;
/// Pairs a chunk computes at least for a thread to be woken for it.
constexpr int64_t kMinChunkPairs = int64_t(1) << 16;
/// Rows of a call's last chunk at least (unless the call has fewer): the
/// kernels take another loop for fewer rows (ReducedLanes), whose last
/// bits may differ from the row loop's, and a row's result would then
/// depend on how the call's rows were split.
constexpr int64_t kMinTailRows = 32;

/// The chunks of `chunk` rows (a multiple of kMinRowChunk) that `rows`
/// rows make: the last one takes the rows left when they are fewer than
/// kMinTailRows.
inline int64_t rowChunks(int64_t rows, int64_t chunk) {
  int64_t chunks = (rows + chunk - 1) / chunk;
  if (chunks > 1 && rows - (chunks - 1) * chunk < kMinTailRows)
    --chunks;
  return chunks;
}
/// The end of chunk `c` of rowChunks(rows, chunk).
inline int64_t chunkEnd(int64_t c, int64_t rows, int64_t chunk) {
  return c == rowChunks(rows, chunk) - 1 ? rows : (c + 1) * chunk;
}

/// The threads a call from this host thread may use: numThreads(), or its
/// thread group's share of them (setThreadGroup).
int callThreads();

/// Runs fn(0) ... fn(chunks - 1) on up to `threads` threads of this host
/// thread's thread groups, the caller included.
void parallelFor(int64_t chunks, int threads,
                 const std::function<void(int64_t)> &fn);

} // namespace mlir::keops::runtime

#endif // KEOPS_LIB_RUNTIME_THREADPOOL_H
