//===- ThreadGroups.h - the host's CPUs in NUMA-sized groups -----*- C++ -*-===//
//
// A CPU reduction spreads its output rows over thread groups, one per NUMA
// node: each group's workers are pinned to the node's CPUs and take the
// chunks of their own contiguous range of rows first, so that a node works
// on rows next to each other in memory and reads the reduced axis through
// its own caches. KEOPS_THREAD_GROUPS=G forms G groups of consecutive CPUs
// instead (L3-sized groups, or NUMA tests on a one-node machine).
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_LIB_RUNTIME_THREADGROUPS_H
#define KEOPS_LIB_RUNTIME_THREADGROUPS_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <vector>

namespace mlir::keops::runtime {

/// The CPUs of a sysfs list ("0-3,8,10-11"), sorted; empty when malformed.
std::vector<int> parseCpuList(llvm::StringRef list);

/// The groups of CPUs: the NUMA nodes' CPUs that are `allowed` (nodes left
/// without any dropped), or with `forced` > 0, the allowed CPUs in that
/// many groups of consecutive CPUs (round robin when there are fewer CPUs
/// than groups). One group of all allowed CPUs when `nodes` says nothing.
std::vector<std::vector<int>>
formThreadGroups(const std::vector<std::vector<int>> &nodes,
                 const std::vector<int> &allowed, int forced);

/// This process's groups: sysfs nodes, the affinity mask and
/// KEOPS_THREAD_GROUPS, read once.
const std::vector<std::vector<int>> &hostThreadGroups();

/// `threads` spread over groups in proportion to their CPUs: the first
/// thread of group g is number share[g], share[groups] == threads.
std::vector<int> shareThreads(const std::vector<std::vector<int>> &groups,
                              int threads);

/// Pins the calling thread to `cpus` (best effort: a refused mask, as in
/// some containers, leaves the thread where it was).
void pinToCpus(const std::vector<int> &cpus);

/// The CPUs the calling thread may run on (empty if they cannot be read).
std::vector<int> currentCpus();

/// Pins the calling thread to `cpus` for its lifetime, then gives the
/// thread back its mask (when it could be read).
class PinnedScope {
public:
  explicit PinnedScope(const std::vector<int> &cpus)
      : saved(currentCpus()) {
    pinToCpus(cpus);
  }
  ~PinnedScope() { pinToCpus(saved); }
  PinnedScope(const PinnedScope &) = delete;
  PinnedScope &operator=(const PinnedScope &) = delete;

private:
  std::vector<int> saved;
};

} // namespace mlir::keops::runtime

#endif // KEOPS_LIB_RUNTIME_THREADGROUPS_H
