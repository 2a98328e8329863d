//===- ThreadGroups.cpp - the host's CPUs in NUMA-sized groups -----------===//

#include "ThreadGroups.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>

#ifdef __linux__
#include <pthread.h>
#include <sched.h>
#endif

using namespace mlir::keops::runtime;

std::vector<int> mlir::keops::runtime::parseCpuList(llvm::StringRef list) {
  std::set<int> cpus;
  list = list.trim();
  if (list.empty())
    return {};
  llvm::SmallVector<llvm::StringRef> items;
  list.split(items, ',');
  for (llvm::StringRef item : items) {
    auto [lo, hi] = item.trim().split('-');
    unsigned first, last;
    if (lo.getAsInteger(10, first))
      return {};
    last = first;
    if (!hi.empty() && hi.getAsInteger(10, last))
      return {};
    // (A bound on the list's size: no machine has a million CPUs.)
    if (last < first || last >= (1u << 20))
      return {};
    for (unsigned c = first; c <= last; ++c)
      cpus.insert(static_cast<int>(c));
  }
  return {cpus.begin(), cpus.end()};
}

std::vector<std::vector<int>>
mlir::keops::runtime::formThreadGroups(
    const std::vector<std::vector<int>> &nodes, const std::vector<int> &allowed,
    int forced) {
  std::vector<std::vector<int>> groups;
  if (allowed.empty())
    return {{}};
  if (forced > 0) {
    int n = static_cast<int>(allowed.size());
    groups.resize(forced);
    if (forced <= n) {
      for (int g = 0; g < forced; ++g)
        groups[g].assign(allowed.begin() + int64_t(n) * g / forced,
                         allowed.begin() + int64_t(n) * (g + 1) / forced);
    } else {
      for (int g = 0; g < forced; ++g)
        groups[g] = {allowed[g % n]};
    }
    return groups;
  }
  std::set<int> mask(allowed.begin(), allowed.end()), placed;
  for (const std::vector<int> &node : nodes) {
    std::vector<int> cpus;
    for (int c : node)
      if (mask.count(c) && placed.insert(c).second)
        cpus.push_back(c);
    if (!cpus.empty())
      groups.push_back(std::move(cpus));
  }
  // CPUs no node lists (or no nodes at all) make one more group.
  std::vector<int> rest;
  for (int c : allowed)
    if (!placed.count(c))
      rest.push_back(c);
  if (!rest.empty())
    groups.push_back(std::move(rest));
  return groups;
}

std::vector<int> mlir::keops::runtime::currentCpus() {
#ifdef __linux__
  cpu_set_t set;
  if (pthread_getaffinity_np(pthread_self(), sizeof(set), &set) == 0) {
    std::vector<int> cpus;
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set))
        cpus.push_back(c);
    if (!cpus.empty())
      return cpus;
  }
#endif
  std::vector<int> cpus(std::max(1u, std::thread::hardware_concurrency()));
  for (size_t c = 0; c < cpus.size(); ++c)
    cpus[c] = static_cast<int>(c);
  return cpus;
}

static std::vector<std::vector<int>> numaNodes() {
  // (KEOPS_SYSFS_NODE_DIR: another tree of nodeN/cpulist files, for tests.)
  std::string dir = "/sys/devices/system/node";
  if (const char *env = std::getenv("KEOPS_SYSFS_NODE_DIR"))
    dir = env;
  std::vector<std::vector<int>> nodes;
  // Node numbers may have gaps (offline nodes); a few misses in a row end
  // the scan.
  for (int node = 0, misses = 0; misses < 8; ++node) {
    auto file = llvm::MemoryBuffer::getFileAsStream(
        dir + "/node" + std::to_string(node) + "/cpulist");
    if (!file) {
      ++misses;
      continue;
    }
    misses = 0;
    nodes.push_back(parseCpuList((*file)->getBuffer()));
  }
  return nodes;
}

const std::vector<std::vector<int>> &
mlir::keops::runtime::hostThreadGroups() {
  static const std::vector<std::vector<int>> groups = [] {
    int forced = 0;
    if (const char *env = std::getenv("KEOPS_THREAD_GROUPS"))
      forced = std::clamp(std::atoi(env), 0, 1024);
    return formThreadGroups(forced ? std::vector<std::vector<int>>{}
                                   : numaNodes(),
                            currentCpus(), forced);
  }();
  return groups;
}

std::vector<int>
mlir::keops::runtime::shareThreads(const std::vector<std::vector<int>> &groups,
                                   int threads) {
  int64_t total = 0;
  for (const std::vector<int> &g : groups)
    total += std::max<int64_t>(g.size(), 1);
  std::vector<int> first(groups.size() + 1, 0);
  int64_t before = 0;
  for (size_t g = 0; g < groups.size(); ++g) {
    before += std::max<int64_t>(groups[g].size(), 1);
    first[g + 1] = static_cast<int>(int64_t(threads) * before / total);
  }
  return first;
}

void mlir::keops::runtime::pinToCpus(const std::vector<int> &cpus) {
#ifdef __linux__
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus)
    if (c >= 0 && c < CPU_SETSIZE)
      CPU_SET(c, &set);
  (void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
#else
  (void)cpus;
#endif
}
