//===- GpuModule.h - kernels loaded on a CUDA device ------------*- C++ -*-===//
//
// The GPU side of runtime::Module: the PTX of a module loaded on one device
// through the CUDA driver, one CUfunction per kernel, and how a kernel is
// launched (ceil(rows / block size) blocks, one thread per output row).
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_LIB_RUNTIME_GPUMODULE_H
#define KEOPS_LIB_RUNTIME_GPUMODULE_H

#include "CudaDriver.h"
#include "keops/Runtime/Runtime.h"

namespace mlir::keops::runtime {

struct GpuModule {
  cuda::Driver *driver = nullptr;
  int device = -1;
  int64_t blockSize = 128;
  cuda::Driver::Module module = nullptr;
  int multiprocessors = 1;
  /// Per kernel: the 1-D scheme's kernel and the 2-D scheme's two; with
  /// partial states, the same three of the partial reduction and the
  /// states' merge and finalization.
  struct Kernels {
    cuda::Driver::Function oneD = nullptr, part = nullptr, combine = nullptr;
    cuda::Driver::Function partial = nullptr, partialPart = nullptr,
                           partialCombine = nullptr, merge = nullptr,
                           finalize = nullptr;
  };
  std::vector<Kernels> functions;

  ~GpuModule();

  /// The architecture of `device` as a PTX target ("sm_90"); false with
  /// `error` when there is no driver, no GPU or no such device.
  static bool chipOf(int device, std::string &chip, std::string &error);

  /// A Module running `ptx` on options.gpuDevice.
  static std::shared_ptr<Module> load(const std::string &ptx,
                                      std::vector<KernelInfo> infos,
                                      const CompileOptions &options,
                                      std::string &error);
};

/// The CUDA toolkit whose libdevice the GPU pipeline links: $CUDA_HOME,
/// $CUDA_PATH or /usr/local/cuda, the first that holds
/// nvvm/libdevice/libdevice.10.bc; empty if none.
std::string cudaToolkit();

} // namespace mlir::keops::runtime

#endif
