//===- CudaApi.h - the driver entry points the runtime calls ----*- C++ -*-===//
//
// Private to lib/Runtime: the table of CUDA driver entry points, filled by
// dlsym from libcuda.so.1 (CudaDriver.cpp) or by the GPU emulator
// (CudaEmulator.cpp). No cuda.h: handles are void *, enums int (the same
// size and calling convention).
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_LIB_RUNTIME_CUDAAPI_H
#define KEOPS_LIB_RUNTIME_CUDAAPI_H

#include <cstddef>

namespace mlir::keops::runtime::cuda {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;

// Values from cuda.h.
enum : int {
  CUDA_SUCCESS = 0,
  CUDA_ERROR_NOT_SUPPORTED = 801,
  CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1,
  CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK = 8,
  CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
  CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97,
  CU_POINTER_ATTRIBUTE_MEMORY_TYPE = 2,
  CU_MEMORYTYPE_DEVICE = 2,
  CU_MEMORYTYPE_UNIFIED = 4,
  CU_JIT_ERROR_LOG_BUFFER = 5,
  CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
  CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8,
};

// Name, version suffix of the exported symbol, parameters (all return
// CUresult).
#define KEOPS_CUDA_ENTRY_POINTS(X)                                             \
  X(cuGetErrorName, , (CUresult, const char **))                               \
  X(cuGetErrorString, , (CUresult, const char **))                             \
  X(cuInit, , (unsigned))                                                      \
  X(cuDeviceGetCount, , (int *))                                               \
  X(cuDeviceGet, , (CUdevice *, int))                                          \
  X(cuDeviceGetName, , (char *, int, CUdevice))                                \
  X(cuDeviceGetAttribute, , (int *, int, CUdevice))                            \
  X(cuDeviceTotalMem, _v2, (size_t *, CUdevice))                               \
  X(cuDevicePrimaryCtxRetain, , (void **, CUdevice))                           \
  X(cuCtxGetCurrent, , (void **))                                              \
  X(cuCtxSetCurrent, , (void *))                                               \
  X(cuCtxSynchronize, , ())                                                    \
  X(cuMemAlloc, _v2, (CUdeviceptr *, size_t))                                  \
  X(cuMemFree, _v2, (CUdeviceptr))                                             \
  X(cuMemAllocAsync, , (CUdeviceptr *, size_t, void *))                        \
  X(cuMemFreeAsync, , (CUdeviceptr, void *))                                   \
  X(cuMemcpyHtoD, _v2, (CUdeviceptr, const void *, size_t))                    \
  X(cuMemcpyDtoH, _v2, (void *, CUdeviceptr, size_t))                          \
  X(cuMemcpyHtoDAsync, _v2, (CUdeviceptr, const void *, size_t, void *))       \
  X(cuMemcpyDtoHAsync, _v2, (void *, CUdeviceptr, size_t, void *))             \
  X(cuPointerGetAttribute, , (void *, int, CUdeviceptr))                       \
  X(cuModuleLoadDataEx, , (void **, const void *, unsigned, int *, void **))   \
  X(cuModuleGetFunction, , (void **, void *, const char *))                    \
  X(cuModuleUnload, , (void *))                                                \
  X(cuFuncSetAttribute, , (void *, int, int))                                  \
  X(cuLaunchKernel, ,                                                          \
    (void *, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,       \
     unsigned, void *, void **, void **))                                      \
  X(cuStreamSynchronize, , (void *))

struct Api {
#define KEOPS_DECLARE(name, version, params) CUresult(*name) params = nullptr;
  KEOPS_CUDA_ENTRY_POINTS(KEOPS_DECLARE)
#undef KEOPS_DECLARE
};

} // namespace mlir::keops::runtime::cuda

#endif
