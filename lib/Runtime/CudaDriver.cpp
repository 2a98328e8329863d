//===- CudaDriver.cpp - the CUDA driver API, opened at run time ----------===//
//
// The driver is opened with dlopen and its entry points resolved by the
// versioned names it exports (cuMemAlloc_v2, ...), so no cuda.h is needed:
// the handful of types are declared here, handles as void * and enums as
// int (the same size and calling convention). The first Driver::get() loads
// the library, runs cuInit and counts the devices; the outcome, a driver or
// an error message, is kept for the life of the process. The library is
// never closed and retained primary contexts are never released: both would
// race with the driver's own teardown at exit.
//
//===----------------------------------------------------------------------===//

#include "CudaDriver.h"
#include "CudaApi.h"
#include "CudaEmulator.h"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <spawn.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>

extern char **environ;

using namespace mlir::keops::runtime::cuda;

/// "cuX failed with CUDA_ERROR_NAME (description)".
static std::string failure(const Api &api, CUresult result, const char *call) {
  const char *name = nullptr, *text = nullptr;
  api.cuGetErrorName(result, &name);
  api.cuGetErrorString(result, &text);
  return std::string(call) + " failed with " +
         (name ? name : "CUDA error " + std::to_string(result)) + " (" +
         (text ? text : "no description") + ")";
}

static bool check(const Api &api, CUresult result, const char *call,
                  std::string &error) {
  if (result == CUDA_SUCCESS)
    return true;
  error = "keops: " + failure(api, result, call);
  return false;
}

static CUdeviceptr devicePtr(const void *ptr) {
  return static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(ptr));
}

Driver::Driver(const Api &api, int count, bool emulated)
    : api(api), count(count), emulated(emulated), contexts(count, nullptr) {}

Driver *Driver::get(std::string &error) {
  struct Loaded {
    Driver *driver = nullptr;
    std::string error;
  };
  // A function-local static is initialized once even when threads race to
  // the first call; the others wait for it.
  static const Loaded loaded = []() -> Loaded {
    const char *env = std::getenv("KEOPS_CUDA_DRIVER");
    std::string path = env && *env ? env : "libcuda.so.1";
    if (path == kEmulatorName) {
      const Api &emulator = emulatorApi();
      int count = 1;
      emulator.cuDeviceGetCount(&count);
      return {new Driver(emulator, count, /*emulated=*/true), ""};
    }
    void *lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib)
      return {nullptr, "keops: no CUDA driver: " + path +
                           " could not be loaded (" + dlerror() + ")"};
    static Api api;
    std::string missing;
#define KEOPS_RESOLVE(name, version, params)                                   \
  if (!(api.name = reinterpret_cast<decltype(api.name)>(                       \
            dlsym(lib, #name #version))))                                      \
    missing += std::string(missing.empty() ? "" : ", ") + #name #version;
    KEOPS_CUDA_ENTRY_POINTS(KEOPS_RESOLVE)
#undef KEOPS_RESOLVE
    if (!missing.empty())
      return {nullptr, "keops: no CUDA driver: " + path +
                           " is too old, it lacks " + missing};
    if (CUresult r = api.cuInit(0))
      return {nullptr, "keops: no GPU: " + failure(api, r, "cuInit")};
    int count = 0;
    if (CUresult r = api.cuDeviceGetCount(&count))
      return {nullptr, "keops: no GPU: " + failure(api, r, "cuDeviceGetCount")};
    if (count <= 0)
      return {nullptr, "keops: no GPU: the CUDA driver reports no device"};
    return {new Driver(api, count, /*emulated=*/false), ""};
  }();
  if (!loaded.driver)
    error = loaded.error;
  return loaded.driver;
}

bool Driver::deviceInfo(int device, DeviceInfo &info, std::string &error) {
  CUdevice dev;
  char name[256] = "";
  if (!check(api, api.cuDeviceGet(&dev, device), "cuDeviceGet", error) ||
      !check(api, api.cuDeviceGetName(name, sizeof(name), dev),
             "cuDeviceGetName", error) ||
      !check(api, api.cuDeviceTotalMem(&info.totalMemory, dev),
             "cuDeviceTotalMem", error))
    return false;
  info.name = name;
  int shared = 0, sharedOptin = 0;
  std::pair<int *, int> attributes[] = {
      {&info.major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR},
      {&info.minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR},
      {&info.multiprocessors, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT},
      {&info.maxThreadsPerBlock, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK},
      {&shared, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK},
      {&sharedOptin, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN}};
  for (auto [value, attribute] : attributes)
    if (!check(api, api.cuDeviceGetAttribute(value, attribute, dev),
               "cuDeviceGetAttribute", error))
      return false;
  info.sharedMemoryPerBlock = shared;
  info.sharedMemoryPerBlockOptin = sharedOptin;
  return true;
}

bool Driver::makeCurrent(int device, std::string &error) {
  if (device < 0 || device >= count) {
    error = "keops: no CUDA device " + std::to_string(device);
    return false;
  }
  void *context;
  {
    std::lock_guard<std::mutex> lock(contextMutex); // one retain per device
    if (!contexts[device]) {
      CUdevice dev;
      if (!check(api, api.cuDeviceGet(&dev, device), "cuDeviceGet", error) ||
          !check(api, api.cuDevicePrimaryCtxRetain(&contexts[device], dev),
                 "cuDevicePrimaryCtxRetain", error))
        return false;
    }
    context = contexts[device];
  }
  void *current = nullptr;
  if (api.cuCtxGetCurrent(&current) == CUDA_SUCCESS && current == context)
    return true;
  return check(api, api.cuCtxSetCurrent(context), "cuCtxSetCurrent", error);
}

bool Driver::alloc(size_t bytes, void *&ptr, void *stream,
                   std::string &error) {
  CUdeviceptr dptr = 0; // null for 0 bytes, which the driver rejects
  bool ok = true;
  if (bytes != 0 && stream && memoryPools) {
    CUresult r = api.cuMemAllocAsync(&dptr, bytes, stream);
    // Devices without memory pools (some virtualized ones) take the
    // synchronous path from then on; the first answer decides, before any
    // stream-ordered buffer exists.
    if (r == CUDA_ERROR_NOT_SUPPORTED)
      memoryPools = false;
    else
      ok = check(api, r, "cuMemAllocAsync", error);
  }
  if (bytes != 0 && !(stream && memoryPools))
    ok = check(api, api.cuMemAlloc(&dptr, bytes), "cuMemAlloc", error);
  ptr = reinterpret_cast<void *>(static_cast<uintptr_t>(dptr));
  return ok;
}

bool Driver::free(void *ptr, void *stream, std::string &error) {
  if (!ptr)
    return true;
  return stream && memoryPools
             ? check(api, api.cuMemFreeAsync(devicePtr(ptr), stream),
                     "cuMemFreeAsync", error)
             : check(api, api.cuMemFree(devicePtr(ptr)), "cuMemFree", error);
}

bool Driver::copyToDevice(void *dst, const void *src, size_t bytes,
                          void *stream, std::string &error) {
  CUdeviceptr to = devicePtr(dst);
  return bytes == 0 ||
         check(api,
               stream ? api.cuMemcpyHtoDAsync(to, src, bytes, stream)
                      : api.cuMemcpyHtoD(to, src, bytes),
               stream ? "cuMemcpyHtoDAsync" : "cuMemcpyHtoD", error);
}

bool Driver::copyToHost(void *dst, const void *src, size_t bytes, void *stream,
                        std::string &error) {
  CUdeviceptr from = devicePtr(src);
  return bytes == 0 ||
         check(api,
               stream ? api.cuMemcpyDtoHAsync(dst, from, bytes, stream)
                      : api.cuMemcpyDtoH(dst, from, bytes),
               stream ? "cuMemcpyDtoHAsync" : "cuMemcpyDtoH", error);
}

bool Driver::isDevicePointer(const void *ptr) {
  // Plain host memory is CUDA_ERROR_INVALID_VALUE: an answer, not a failure.
  // Driver API errors are not sticky, so there is nothing to clear.
  unsigned type = 0;
  return ptr &&
         api.cuPointerGetAttribute(&type, CU_POINTER_ATTRIBUTE_MEMORY_TYPE,
                                   devicePtr(ptr)) == CUDA_SUCCESS &&
         (type == CU_MEMORYTYPE_DEVICE || type == CU_MEMORYTYPE_UNIFIED);
}

bool Driver::loadModule(const void *image, Module &module, std::string &error) {
  std::string log(16384, '\0');
  int options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {log.data(), reinterpret_cast<void *>(log.size())};
  module = nullptr;
  if (check(api, api.cuModuleLoadDataEx(&module, image, 2, options, values),
            "cuModuleLoadDataEx", error))
    return true;
  log.resize(std::strlen(log.c_str()));
  if (!log.empty())
    error += ":\n" + log;
  return false;
}

bool Driver::unloadModule(Module module, std::string &error) {
  return check(api, api.cuModuleUnload(module), "cuModuleUnload", error);
}

bool Driver::getFunction(Module module, const char *name, Function &function,
                         std::string &error) {
  if (check(api, api.cuModuleGetFunction(&function, module, name),
            "cuModuleGetFunction", error))
    return true;
  error += " for kernel '" + std::string(name) + "'";
  return false;
}

bool Driver::launch(Function function, const unsigned grid[3],
                    const unsigned block[3], unsigned sharedBytes,
                    void *stream, void **params, std::string &error) {
  // Above 48 KiB, dynamic shared memory must be opted into per function.
  if (sharedBytes > 48 * 1024 &&
      !check(api,
             api.cuFuncSetAttribute(
                 function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                 static_cast<int>(sharedBytes)),
             "cuFuncSetAttribute", error))
    return false;
  return check(api,
               api.cuLaunchKernel(function, grid[0], grid[1], grid[2],
                                  block[0], block[1], block[2], sharedBytes,
                                  stream, params, nullptr),
               "cuLaunchKernel", error);
}

bool Driver::synchronize(void *stream, std::string &error) {
  return check(api,
               stream ? api.cuStreamSynchronize(stream)
                      : api.cuCtxSynchronize(),
               stream ? "cuStreamSynchronize" : "cuCtxSynchronize", error);
}

//===----------------------------------------------------------------------===//
// ptxas
//===----------------------------------------------------------------------===//

static bool isExecutable(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         access(path.c_str(), X_OK) == 0;
}

std::string mlir::keops::runtime::cuda::ptxasPath() {
  const char *home = std::getenv("CUDA_HOME");
  if (home && *home && isExecutable(std::string(home) + "/bin/ptxas"))
    return std::string(home) + "/bin/ptxas";
  if (isExecutable("/usr/local/cuda/bin/ptxas"))
    return "/usr/local/cuda/bin/ptxas";
  std::istringstream path(std::getenv("PATH") ? std::getenv("PATH") : "");
  for (std::string dir; std::getline(path, dir, ':');)
    if (isExecutable((dir.empty() ? "." : dir) + "/ptxas"))
      return (dir.empty() ? "." : dir) + "/ptxas";
  return "";
}

static std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// Runs ptxas on `in`, its stdout and stderr going to `log`.
static bool runPtxas(const std::string &ptxas, const std::string &arch,
                     const std::string &in, const std::string &out,
                     const std::string &log, std::string &error) {
  std::string archFlag = "-arch=" + arch;
  char *argv[] = {const_cast<char *>(ptxas.c_str()), archFlag.data(),
                  const_cast<char *>("-o"), const_cast<char *>(out.c_str()),
                  const_cast<char *>(in.c_str()), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid;
  int rc = posix_spawn(&pid, ptxas.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    error = "keops: cannot run " + ptxas + ": " + std::strerror(rc);
    return false;
  }
  int status = 0;
  pid_t waited;
  while ((waited = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
  }
  if (waited == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return true;
  std::string how =
      waited != pid       ? std::string("waitpid: ") + std::strerror(errno)
      : WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                          : "signal " + std::to_string(WTERMSIG(status));
  std::string text = readFile(log);
  text.erase(text.find_last_not_of(" \n") + 1); // npos + 1 == 0: all blank
  error = "keops: ptxas " + archFlag + " failed (" + how + "):\n" + text;
  return false;
}

bool mlir::keops::runtime::cuda::ptxToCubin(const std::string &ptx,
                                            const std::string &arch,
                                            std::string &cubin,
                                            std::string &error) {
  std::string ptxas = ptxasPath();
  if (ptxas.empty()) {
    error = "keops: ptxas not found in $CUDA_HOME/bin, /usr/local/cuda/bin "
            "or PATH";
    return false;
  }
  std::error_code ec;
  std::filesystem::path tmp = std::filesystem::temp_directory_path(ec);
  if (ec)
    tmp = "/tmp";
  std::string dir = (tmp / "keops-ptxas-XXXXXX").string();
  if (!mkdtemp(dir.data())) {
    error = "keops: cannot create " + dir + ": " + std::strerror(errno);
    return false;
  }
  std::string in = dir + "/kernel.ptx", out = dir + "/kernel.cubin";
  std::ofstream file(in, std::ios::binary);
  file << ptx;
  file.close();
  bool ok = !file.fail();
  if (!ok)
    error = "keops: cannot write " + in;
  else if ((ok = runPtxas(ptxas, arch, in, out, dir + "/ptxas.log", error)))
    cubin = readFile(out);
  std::filesystem::remove_all(dir, ec);
  return ok;
}
