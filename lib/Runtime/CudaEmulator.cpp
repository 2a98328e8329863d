//===- CudaEmulator.cpp - a CUDA device emulated on the host --------------===//
//
// One device, "keops GPU emulator", compute capability 9.0, four
// multiprocessors (so that small launches already take the 2-D scheme);
// $KEOPS_EMULATOR_DEVICES (1 to 16) devices of that kind, for tests of
// several devices in one process. The devices share one memory: a pointer
// of one is valid on the others (as with peer access on a GPU).
//
// Kernels: a module image is an object file of host functions (see
// convert-gpu-kernels-to-host), loaded into the emulator's own ORC JIT, one
// JITDylib per module. A launch runs the blocks one after the other; a block
// runs one fiber (ucontext) per thread on the calling thread. A barrier
// switches back to the scheduler, which resumes every thread once per round:
// a round ends when each thread has reached the barrier or returned. Threads
// that return while others wait at a barrier are an error (on a GPU, a hang
// or undefined behaviour), reported by the launch. Shared memory is filled
// with 0xff bytes (NaN, -1) before each block, so that reading what no
// thread wrote shows.
//
// Memory: cuMemAlloc is aligned host memory, recorded so that
// cuPointerGetAttribute tells device pointers from host ones. Streams and
// contexts exist only as names: every call completes before it returns.
//
//===----------------------------------------------------------------------===//

#include "CudaEmulator.h"
#include "CudaApi.h"

#include "keops/Conversion/EmulatedThread.h"

#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <sys/mman.h>
#include <ucontext.h>
#include <vector>

using namespace mlir::keops::runtime::cuda;
using mlir::keops::EmulatedThread;

namespace {

enum EmulatorError : CUresult {
  CUDA_ERROR_INVALID_VALUE = 1,
  CUDA_ERROR_OUT_OF_MEMORY = 2,
  CUDA_ERROR_INVALID_DEVICE = 101,
  CUDA_ERROR_INVALID_IMAGE = 200,
  CUDA_ERROR_NOT_FOUND = 500,
  CUDA_ERROR_LAUNCH_FAILED = 719,
};

constexpr char kMagic[8] = {'K', 'E', 'O', 'P', 'S', 'E', 'M', 'U'};
constexpr int kMultiprocessors = 4;
constexpr int kMaxThreads = 1024;
constexpr size_t kSharedBytes = 48 * 1024;
constexpr size_t kStackBytes = 256 * 1024;

using KernelFn = void (*)(void **params, EmulatedThread *thread);

struct Function {
  KernelFn fn;
  int64_t sharedBytes;
};

struct Module {
  llvm::orc::JITDylib *dylib;
  std::vector<std::unique_ptr<Function>> functions;
};

struct Fiber {
  ucontext_t context;
  EmulatedThread thread;
  char *stack = nullptr;
  bool done = false;
};

/// Words a thread puts in the block's exchange for a warp collective.
constexpr int kExchangeWords = 10;

/// One block being run: its fibers and the scheduler's context.
struct BlockRun {
  ucontext_t scheduler;
  std::vector<Fiber> *fibers;
  Fiber *current = nullptr;
  KernelFn fn;
  void **params;
  /// kExchangeWords per thread.
  std::vector<int32_t> exchange;
};

thread_local BlockRun *running = nullptr;

void barrier(void *arg) {
  auto *run = static_cast<BlockRun *>(arg);
  swapcontext(&run->current->context, &run->scheduler);
}

// Warp collectives: each thread publishes its words, every thread of the
// block waits (the kernels call them uniformly), reads its warp's, and
// waits again before the exchange is reused.

int32_t *exchangeOf(EmulatedThread *self, int64_t thread) {
  auto *run = static_cast<BlockRun *>(self->barrierArg);
  return run->exchange.data() + thread * kExchangeWords;
}

int32_t shuffle(EmulatedThread *self, int32_t value, int32_t offset,
                int32_t mode) {
  int64_t tid = self->threadX, lane = tid % 32, warp = tid - lane;
  *exchangeOf(self, tid) = value;
  barrier(self->barrierArg);
  // gpu::ShuffleMode: xor, down, up, idx.
  int64_t src = mode == 0   ? lane ^ offset
                : mode == 1 ? lane + offset
                : mode == 2 ? lane - offset
                            : offset;
  int32_t result = value; // out of the warp: the lane's own value
  if (src >= 0 && src < 32 && warp + src < self->blockDimX)
    result = *exchangeOf(self, warp + src);
  barrier(self->barrierArg);
  return result;
}

float tf32(int32_t bits) {
  uint32_t kept = uint32_t(bits) & 0xffffe000u; // the hardware's 19 bits
  float x;
  std::memcpy(&x, &kept, sizeof(x));
  return x;
}

void mmaTf32(EmulatedThread *self, int32_t *fragments) {
  int64_t tid = self->threadX, lane = tid % 32, warp = tid - lane;
  std::memcpy(exchangeOf(self, tid), fragments, kExchangeWords * 4);
  barrier(self->barrierArg);
  // A: 16 x 8, B: 8 x 8 (k x n), from the fragments of the warp's lanes.
  float a[16][8] = {}, b[8][8] = {};
  for (int64_t l = 0; l < 32 && warp + l < self->blockDimX; ++l) {
    const int32_t *f = exchangeOf(self, warp + l);
    int64_t g = l / 4, t = l % 4;
    a[g][t] = tf32(f[0]);
    a[g + 8][t] = tf32(f[1]);
    a[g][t + 4] = tf32(f[2]);
    a[g + 8][t + 4] = tf32(f[3]);
    b[t][g] = tf32(f[4]);
    b[t + 4][g] = tf32(f[5]);
  }
  int64_t g = lane / 4, t = lane % 4;
  for (int64_t d = 0; d < 4; ++d) {
    int64_t row = g + (d >= 2 ? 8 : 0), col = 2 * t + (d & 1);
    double sum = 0; // exact products of TF32 values, summed
    for (int64_t k = 0; k < 8; ++k)
      sum += double(a[row][k]) * double(b[k][col]);
    float c;
    std::memcpy(&c, fragments + 6 + d, sizeof(c));
    float out = c + float(sum);
    std::memcpy(fragments + 6 + d, &out, sizeof(out));
  }
  barrier(self->barrierArg);
}

void fiberMain() {
  BlockRun *run = running;
  run->fn(run->params, &run->current->thread);
  run->current->done = true; // uc_link returns to the scheduler
}

class Emulator {
public:
  static Emulator &get() {
    static Emulator *emulator = new Emulator(); // lives until exit
    return *emulator;
  }

  CUresult alloc(CUdeviceptr *p, size_t bytes) {
    void *mem = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
    if (!mem)
      return CUDA_ERROR_OUT_OF_MEMORY;
    std::lock_guard<std::mutex> lock(mutex);
    allocations[reinterpret_cast<uintptr_t>(mem)] = bytes;
    *p = reinterpret_cast<uintptr_t>(mem);
    return CUDA_SUCCESS;
  }

  CUresult free(CUdeviceptr p) {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = allocations.find(p);
    if (it == allocations.end())
      return CUDA_ERROR_INVALID_VALUE;
    allocations.erase(it);
    std::free(reinterpret_cast<void *>(p));
    return CUDA_SUCCESS;
  }

  bool isDevice(CUdeviceptr p) {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = allocations.upper_bound(p);
    if (it == allocations.begin())
      return false;
    --it;
    return p < it->first + std::max<size_t>(it->second, 1);
  }

  CUresult load(void **out, const void *image, std::string &log) {
    const char *bytes = static_cast<const char *>(image);
    if (std::memcmp(bytes, kMagic, sizeof(kMagic)) != 0) {
      log = "the GPU emulator loads emulation objects "
            "(keops-gpu-emulation-pipeline), not PTX or cubins";
      return CUDA_ERROR_INVALID_IMAGE;
    }
    uint64_t size;
    std::memcpy(&size, bytes + sizeof(kMagic), sizeof(size));
    llvm::StringRef object(bytes + sizeof(kMagic) + sizeof(size), size);
    std::lock_guard<std::mutex> lock(mutex);
    if (!jit && !createJit(log))
      return CUDA_ERROR_INVALID_IMAGE;
    auto &dylib = jit->getExecutionSession().createBareJITDylib(
        "keops-emulated" + std::to_string(modules++));
    dylib.addToLinkOrder(jit->getMainJITDylib());
    if (llvm::Error e = jit->addObjectFile(
            dylib, llvm::MemoryBuffer::getMemBufferCopy(object))) {
      log = llvm::toString(std::move(e));
      return CUDA_ERROR_INVALID_IMAGE;
    }
    *out = new Module{&dylib, {}};
    return CUDA_SUCCESS;
  }

  CUresult unload(void *m) {
    auto *module = static_cast<Module *>(m);
    std::lock_guard<std::mutex> lock(mutex);
    llvm::Error e = jit->getExecutionSession().removeJITDylib(*module->dylib);
    delete module;
    if (e) {
      llvm::consumeError(std::move(e));
      return CUDA_ERROR_INVALID_VALUE;
    }
    return CUDA_SUCCESS;
  }

  CUresult function(void **out, void *m, const char *name) {
    auto *module = static_cast<Module *>(m);
    std::lock_guard<std::mutex> lock(mutex);
    auto fn = jit->lookup(*module->dylib, name);
    auto shared = jit->lookup(*module->dylib, std::string(name) + ".shared_bytes");
    if (!fn || !shared) {
      llvm::consumeError(fn.takeError());
      llvm::consumeError(shared.takeError());
      return CUDA_ERROR_NOT_FOUND;
    }
    module->functions.push_back(std::make_unique<Function>(
        Function{fn->toPtr<KernelFn>(), *shared->toPtr<int64_t *>()}));
    *out = module->functions.back().get();
    return CUDA_SUCCESS;
  }

  /// Runs every block of the grid; `error` says why a launch failed.
  CUresult launch(Function &f, const unsigned grid[3], const unsigned block[3],
                  void **params, std::string &error) {
    if (block[1] != 1 || block[2] != 1 || block[0] == 0 ||
        block[0] > kMaxThreads || grid[0] == 0 || grid[1] == 0 ||
        grid[2] == 0 || size_t(f.sharedBytes) > kSharedBytes) {
      error = "the GPU emulator runs grids of x * y * z blocks of 1 to 1024 "
              "threads in x, with at most 48 KiB of shared memory";
      return CUDA_ERROR_INVALID_VALUE;
    }
    std::lock_guard<std::mutex> lock(launchMutex);
    std::vector<Fiber> fibers(block[0]);
    if (stacks.size() < fibers.size()) {
      for (size_t k = stacks.size(); k < fibers.size(); ++k) {
        void *s = mmap(nullptr, kStackBytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (s == MAP_FAILED)
          return CUDA_ERROR_OUT_OF_MEMORY;
        stacks.push_back(static_cast<char *>(s));
      }
    }
    std::vector<char> shared(std::max<int64_t>(f.sharedBytes, 16));
    BlockRun run;
    run.fibers = &fibers;
    run.exchange.assign(size_t(block[0]) * kExchangeWords, 0);
    run.fn = f.fn;
    run.params = params;
    BlockRun *outer = running;
    running = &run;
    CUresult result = CUDA_SUCCESS;
    for (unsigned bz = 0; bz < grid[2] && result == CUDA_SUCCESS; ++bz)
    for (unsigned by = 0; by < grid[1] && result == CUDA_SUCCESS; ++by)
      for (unsigned bx = 0; bx < grid[0] && result == CUDA_SUCCESS; ++bx) {
        std::memset(shared.data(), 0xff, shared.size());
        for (unsigned t = 0; t < block[0]; ++t) {
          Fiber &fiber = fibers[t];
          fiber.done = false;
          fiber.thread.threadX = t;
          fiber.thread.blockX = bx;
          fiber.thread.blockY = by;
          fiber.thread.blockZ = bz;
          fiber.thread.blockDimX = block[0];
          fiber.thread.gridDimX = grid[0];
          fiber.thread.gridDimY = grid[1];
          fiber.thread.gridDimZ = grid[2];
          fiber.thread.shared = shared.data();
          fiber.thread.barrier = &barrier;
          fiber.thread.barrierArg = &run;
          fiber.thread.shuffle = &shuffle;
          fiber.thread.mmaTf32 = &mmaTf32;
          getcontext(&fiber.context);
          fiber.context.uc_stack.ss_sp = stacks[t];
          fiber.context.uc_stack.ss_size = kStackBytes;
          fiber.context.uc_link = &run.scheduler;
          makecontext(&fiber.context, fiberMain, 0);
        }
        result = runBlock(run, bx, by, error);
      }
    running = outer;
    return result;
  }

private:
  Emulator() {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  }

  bool createJit(std::string &log) {
    auto created = llvm::orc::LLJITBuilder().create();
    if (!created) {
      log = llvm::toString(created.takeError());
      return false;
    }
    jit = std::move(*created);
    auto generator =
        llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
            jit->getDataLayout().getGlobalPrefix());
    if (!generator) {
      log = llvm::toString(generator.takeError());
      return false;
    }
    jit->getMainJITDylib().addGenerator(std::move(*generator));
    return true;
  }

  /// Rounds of the block's fibers until all have returned.
  CUresult runBlock(BlockRun &run, unsigned bx, unsigned by,
                    std::string &error) {
    std::vector<Fiber> &fibers = *run.fibers;
    for (;;) {
      size_t done = 0;
      for (Fiber &fiber : fibers) {
        if (fiber.done) {
          ++done;
          continue;
        }
        run.current = &fiber;
        swapcontext(&run.scheduler, &fiber.context);
        done += fiber.done;
      }
      if (done == fibers.size())
        return CUDA_SUCCESS;
      if (done != 0) {
        error = "threads of block (" + std::to_string(bx) + ", " +
                std::to_string(by) + ") diverged at a barrier: " +
                std::to_string(done) + " of " + std::to_string(fibers.size()) +
                " returned while the others wait";
        return CUDA_ERROR_LAUNCH_FAILED;
      }
    }
  }

  std::mutex mutex; // allocations, the JIT and modules
  std::map<uintptr_t, size_t> allocations;
  std::unique_ptr<llvm::orc::LLJIT> jit;
  int modules = 0;
  std::mutex launchMutex;
  std::vector<char *> stacks;
};

thread_local std::string lastLaunchError;

/// The emulated devices' primary contexts (their handles).
constexpr int kMaxDevices = 16;
int contexts[kMaxDevices];
thread_local void *currentContext = &contexts[0];

int deviceCount() {
  static const int count = [] {
    const char *v = std::getenv("KEOPS_EMULATOR_DEVICES");
    int n = v ? std::atoi(v) : 1;
    return n < 1 ? 1 : n > kMaxDevices ? kMaxDevices : n;
  }();
  return count;
}

// The driver's entry points, by their names (without version suffixes).
namespace entry {

CUresult cuGetErrorName(CUresult r, const char **s) {
  switch (r) {
  case CUDA_SUCCESS: *s = "CUDA_SUCCESS"; break;
  case CUDA_ERROR_INVALID_VALUE: *s = "CUDA_ERROR_INVALID_VALUE"; break;
  case CUDA_ERROR_OUT_OF_MEMORY: *s = "CUDA_ERROR_OUT_OF_MEMORY"; break;
  case CUDA_ERROR_INVALID_DEVICE: *s = "CUDA_ERROR_INVALID_DEVICE"; break;
  case CUDA_ERROR_INVALID_IMAGE: *s = "CUDA_ERROR_INVALID_IMAGE"; break;
  case CUDA_ERROR_NOT_FOUND: *s = "CUDA_ERROR_NOT_FOUND"; break;
  case CUDA_ERROR_LAUNCH_FAILED: *s = "CUDA_ERROR_LAUNCH_FAILED"; break;
  default: *s = nullptr; return CUDA_ERROR_INVALID_VALUE;
  }
  return CUDA_SUCCESS;
}

CUresult cuGetErrorString(CUresult r, const char **s) {
  static thread_local std::string text;
  switch (r) {
  case CUDA_ERROR_LAUNCH_FAILED:
    text = "emulated launch failed: " + lastLaunchError;
    *s = text.c_str();
    return CUDA_SUCCESS;
  case CUDA_ERROR_INVALID_VALUE:
    *s = lastLaunchError.empty() ? "invalid argument" : lastLaunchError.c_str();
    return CUDA_SUCCESS;
  default:
    return cuGetErrorName(r, s);
  }
}

CUresult cuInit(unsigned) { return CUDA_SUCCESS; }
CUresult cuDeviceGetCount(int *n) {
  *n = deviceCount();
  return CUDA_SUCCESS;
}
CUresult cuDeviceGet(CUdevice *d, int ordinal) {
  *d = ordinal;
  return ordinal >= 0 && ordinal < deviceCount() ? CUresult(CUDA_SUCCESS)
                                                 : CUDA_ERROR_INVALID_DEVICE;
}
CUresult cuDeviceGetName(char *name, int length, CUdevice) {
  std::snprintf(name, length, "keops GPU emulator");
  return CUDA_SUCCESS;
}
CUresult cuDeviceGetAttribute(int *v, int attribute, CUdevice) {
  switch (attribute) {
  case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *v = 9; break;
  case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *v = 0; break;
  case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: *v = kMultiprocessors; break;
  case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *v = kMaxThreads; break;
  case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK:
  case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN:
    *v = int(kSharedBytes);
    break;
  default: *v = 0;
  }
  return CUDA_SUCCESS;
}
CUresult cuDeviceTotalMem(size_t *bytes, CUdevice) {
  *bytes = size_t(1) << 32;
  return CUDA_SUCCESS;
}
CUresult cuDevicePrimaryCtxRetain(void **c, CUdevice d) {
  if (d < 0 || d >= deviceCount())
    return CUDA_ERROR_INVALID_DEVICE;
  *c = &contexts[d];
  return CUDA_SUCCESS;
}
CUresult cuCtxGetCurrent(void **c) {
  *c = currentContext;
  return CUDA_SUCCESS;
}
CUresult cuCtxSetCurrent(void *c) {
  currentContext = c;
  return CUDA_SUCCESS;
}
CUresult cuCtxSynchronize() { return CUDA_SUCCESS; }
CUresult cuMemAlloc(CUdeviceptr *p, size_t bytes) {
  return Emulator::get().alloc(p, bytes);
}
CUresult cuMemFree(CUdeviceptr p) { return Emulator::get().free(p); }
CUresult cuMemAllocAsync(CUdeviceptr *p, size_t bytes, void *) {
  return cuMemAlloc(p, bytes);
}
CUresult cuMemFreeAsync(CUdeviceptr p, void *) { return cuMemFree(p); }
CUresult cuMemcpyHtoD(CUdeviceptr d, const void *s, size_t n) {
  std::memcpy(reinterpret_cast<void *>(d), s, n);
  return CUDA_SUCCESS;
}
CUresult cuMemcpyDtoH(void *d, CUdeviceptr s, size_t n) {
  std::memcpy(d, reinterpret_cast<const void *>(s), n);
  return CUDA_SUCCESS;
}
CUresult cuMemcpyHtoDAsync(CUdeviceptr d, const void *s, size_t n, void *) {
  return cuMemcpyHtoD(d, s, n);
}
CUresult cuMemcpyDtoHAsync(void *d, CUdeviceptr s, size_t n, void *) {
  return cuMemcpyDtoH(d, s, n);
}
CUresult cuPointerGetAttribute(void *value, int attribute, CUdeviceptr p) {
  if (attribute != CU_POINTER_ATTRIBUTE_MEMORY_TYPE ||
      !Emulator::get().isDevice(p))
    return CUDA_ERROR_INVALID_VALUE; // host memory, as the driver says
  *static_cast<unsigned *>(value) = CU_MEMORYTYPE_DEVICE;
  return CUDA_SUCCESS;
}
CUresult cuModuleLoadDataEx(void **m, const void *image, unsigned n,
                          int *options, void **values) {
  std::string log;
  CUresult r = Emulator::get().load(m, image, log);
  char *buffer = nullptr;
  size_t size = 0;
  for (unsigned k = 0; k < n; ++k) {
    if (options[k] == CU_JIT_ERROR_LOG_BUFFER)
      buffer = static_cast<char *>(values[k]);
    if (options[k] == CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES)
      size = reinterpret_cast<uintptr_t>(values[k]);
  }
  if (r != CUDA_SUCCESS && buffer && size)
    std::snprintf(buffer, size, "%s", log.c_str());
  return r;
}
CUresult cuModuleGetFunction(void **f, void *m, const char *name) {
  return Emulator::get().function(f, m, name);
}
CUresult cuModuleUnload(void *m) { return Emulator::get().unload(m); }
CUresult cuFuncSetAttribute(void *, int, int) { return CUDA_SUCCESS; }
CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz,
                      unsigned bx, unsigned by, unsigned bz, unsigned shared,
                      void *, void **params, void **) {
  const unsigned grid[3] = {gx, gy, gz}, block[3] = {bx, by, bz};
  lastLaunchError.clear();
  if (shared != 0) {
    lastLaunchError = "the GPU emulator has no dynamic shared memory";
    return CUDA_ERROR_INVALID_VALUE;
  }
  return Emulator::get().launch(*static_cast<Function *>(f), grid, block,
                                params, lastLaunchError);
}
CUresult cuStreamSynchronize(void *) { return CUDA_SUCCESS; }

} // namespace entry

} // namespace

const Api &mlir::keops::runtime::cuda::emulatorApi() {
  static const Api api = [] {
    // Every entry point of the list, so that none is left null.
    Api a;
#define KEOPS_EMULATE(name, version, params) a.name = entry::name;
    KEOPS_CUDA_ENTRY_POINTS(KEOPS_EMULATE)
#undef KEOPS_EMULATE
    return a;
  }();
  return api;
}

std::string mlir::keops::runtime::cuda::emulatorImage(const std::string &object) {
  std::string image(kMagic, sizeof(kMagic));
  uint64_t size = object.size();
  image.append(reinterpret_cast<const char *>(&size), sizeof(size));
  image += object;
  return image;
}
