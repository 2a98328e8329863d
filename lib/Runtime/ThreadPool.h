//===- ThreadPool.h - the runtime's CPU threads, for its other parts --*- C++ -*-===//

#ifndef KEOPS_LIB_RUNTIME_THREADPOOL_H
#define KEOPS_LIB_RUNTIME_THREADPOOL_H

#include <cstdint>
#include <functional>

namespace mlir::keops::runtime {

/// The threads a call from this host thread may use: numThreads(), or its
/// thread group's share of them (setThreadGroup).
int callThreads();

/// Runs fn(0) ... fn(chunks - 1) on up to `threads` threads of this host
/// thread's thread groups, the caller included.
void parallelFor(int64_t chunks, int threads,
                 const std::function<void(int64_t)> &fn);

} // namespace mlir::keops::runtime

#endif // KEOPS_LIB_RUNTIME_THREADPOOL_H
