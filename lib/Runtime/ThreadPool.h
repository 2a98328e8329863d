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

/// The threads a call from this host thread may use: numThreads(), or its
/// thread group's share of them (setThreadGroup).
int callThreads();

/// Runs fn(0) ... fn(chunks - 1) on up to `threads` threads of this host
/// thread's thread groups, the caller included.
void parallelFor(int64_t chunks, int threads,
                 const std::function<void(int64_t)> &fn);

} // namespace mlir::keops::runtime

#endif // KEOPS_LIB_RUNTIME_THREADPOOL_H
