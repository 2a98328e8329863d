//===- CudaDriver.h - the CUDA driver API, opened at run time ---*- C++ -*-===//
//
// The few driver calls the GPU backend needs, resolved with dlopen/dlsym
// from libcuda.so.1 (or $KEOPS_CUDA_DRIVER; `emulator` selects the GPU
// emulator of CudaEmulator.h) at first use, so that nothing
// links against CUDA and a machine without a GPU runs everything else. Every
// call returns false with a message naming the driver call and the CUDA
// error. Handles are opaque pointers: device memory is a `void *` holding
// the CUdeviceptr, and a null stream means the synchronous or default path.
//
// Also here: running ptxas to turn PTX into a cubin ahead of loading it.
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_LIB_RUNTIME_CUDADRIVER_H
#define KEOPS_LIB_RUNTIME_CUDADRIVER_H

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

namespace mlir::keops::runtime::cuda {

struct DeviceInfo {
  std::string name;
  int major = 0, minor = 0; // compute capability
  int multiprocessors = 0;
  int maxThreadsPerBlock = 0;
  size_t sharedMemoryPerBlock = 0;      // without opting in
  size_t sharedMemoryPerBlockOptin = 0; // with cuFuncSetAttribute
  size_t totalMemory = 0;
};

struct Api; // the resolved entry points (CudaDriver.cpp)

class Driver {
public:
  using Module = void *;   // CUmodule
  using Function = void *; // CUfunction

  /// The process-wide driver, loaded and initialized on the first call; null
  /// with `error` set when there is no driver or no GPU (and on every later
  /// call, with the same message).
  static Driver *get(std::string &error);

  int deviceCount() const { return count; }
  /// True for the GPU emulator (KEOPS_CUDA_DRIVER=emulator), whose modules
  /// are emulation objects instead of PTX (CudaEmulator.h).
  bool isEmulator() const { return emulated; }
  bool deviceInfo(int device, DeviceInfo &info, std::string &error);
  /// Makes the primary context of `device` current on the calling thread,
  /// retaining it on first use. Everything below needs a current context.
  bool makeCurrent(int device, std::string &error);

  /// Device memory; stream-ordered (cuMemAllocAsync, cuMemFreeAsync) when
  /// `stream` is not null.
  bool alloc(size_t bytes, void *&ptr, void *stream, std::string &error);
  bool free(void *ptr, void *stream, std::string &error);
  /// Copies; asynchronous on `stream` when it is not null.
  bool copyToDevice(void *dst, const void *src, size_t bytes, void *stream,
                    std::string &error);
  bool copyToHost(void *dst, const void *src, size_t bytes, void *stream,
                  std::string &error);
  /// True when `ptr` is device (or managed) memory; false for host memory
  /// and on any error.
  bool isDevicePointer(const void *ptr);

  /// Loads a cubin, or NUL-terminated PTX that the driver compiles (its
  /// compiler log ends the error message).
  bool loadModule(const void *image, Module &module, std::string &error);
  bool unloadModule(Module module, std::string &error);
  bool getFunction(Module module, const char *name, Function &function,
                   std::string &error);
  bool launch(Function function, const unsigned grid[3],
              const unsigned block[3], unsigned sharedBytes, void *stream,
              void **params, std::string &error);
  /// Waits for `stream`, or for the whole current context when null.
  bool synchronize(void *stream, std::string &error);

private:
  Driver(const Api &api, int count, bool emulated);
  const Api &api;
  int count;
  bool emulated;
  std::atomic<bool> memoryPools{true}; // cuMemAllocAsync works
  std::mutex contextMutex;
  std::vector<void *> contexts; // retained primary contexts, by device
};

/// ptxas from $CUDA_HOME/bin, /usr/local/cuda/bin or PATH; empty if none.
std::string ptxasPath();

/// Compiles `ptx` for `arch` (e.g. "sm_90") with ptxas in a subprocess.
bool ptxToCubin(const std::string &ptx, const std::string &arch,
                std::string &cubin, std::string &error);

} // namespace mlir::keops::runtime::cuda

#endif
