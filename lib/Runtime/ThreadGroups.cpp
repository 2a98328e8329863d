//===- ThreadGroups.cpp - the host's CPUs in NUMA-sized groups -----------===//

#include "ThreadGroups.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <thread>

#ifdef __linux__
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
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

// CPU masks sized for the machine's CPUs (a fixed cpu_set_t holds 1,024,
// and the affinity calls refuse a smaller mask than the kernel's).
static int maskCpus() {
#ifdef __linux__
  static const int cpus =
      std::max<long>({1024, sysconf(_SC_NPROCESSORS_CONF) + 1});
  return cpus;
#else
  return 1024;
#endif
}

std::vector<int> mlir::keops::runtime::currentCpus() {
  std::vector<int> cpus;
#ifdef __linux__
  int count = maskCpus();
  cpu_set_t *set = CPU_ALLOC(count);
  size_t size = CPU_ALLOC_SIZE(count);
  if (set && pthread_getaffinity_np(pthread_self(), size, set) == 0)
    for (int c = 0; c < count; ++c)
      if (CPU_ISSET_S(c, size, set))
        cpus.push_back(c);
  if (set)
    CPU_FREE(set);
#endif
  return cpus;
}

static std::vector<int> allowedCpus() {
  std::vector<int> cpus = currentCpus();
  if (cpus.empty()) {
    cpus.resize(std::max(1u, std::thread::hardware_concurrency()));
    for (size_t c = 0; c < cpus.size(); ++c)
      cpus[c] = static_cast<int>(c);
  }
  return cpus;
}

static std::vector<std::vector<int>> numaNodes() {
  // (KEOPS_SYSFS_NODE_DIR: another tree of nodeN/cpulist files, for tests.)
  std::string dir = "/sys/devices/system/node";
  if (const char *env = std::getenv("KEOPS_SYSFS_NODE_DIR"))
    dir = env;
  auto read = [&](const std::string &name) -> std::optional<std::string> {
    auto file = llvm::MemoryBuffer::getFileAsStream(dir + "/" + name);
    if (!file)
      return std::nullopt;
    return (*file)->getBuffer().str();
  };
  // The nodes online (their numbers may have gaps), else those present
  // among the first numbers.
  std::vector<int> ids;
  if (std::optional<std::string> online = read("online"))
    ids = parseCpuList(*online);
  else
    for (int node = 0; node < 64; ++node)
      ids.push_back(node);
  std::vector<std::vector<int>> nodes;
  for (int node : ids)
    if (std::optional<std::string> list =
            read("node" + std::to_string(node) + "/cpulist"))
      nodes.push_back(parseCpuList(*list));
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
                            allowedCpus(), forced);
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
  if (cpus.empty())
    return;
  int count = maskCpus();
  cpu_set_t *set = CPU_ALLOC(count);
  if (!set)
    return;
  size_t size = CPU_ALLOC_SIZE(count);
  CPU_ZERO_S(size, set);
  for (int c : cpus)
    if (c >= 0 && c < count)
      CPU_SET_S(c, size, set);
  (void)pthread_setaffinity_np(pthread_self(), size, set);
  CPU_FREE(set);
#else
  (void)cpus;
#endif
}
