//===- CudaEmulator.h - a CUDA device emulated on the host ------*- C++ -*-===//
//
// KEOPS_CUDA_DRIVER=emulator replaces libcuda.so.1 by an in-process
// emulator of one device, so that the GPU runtime (scheme choice, staging,
// partial states, launches) and the GPU kernels themselves run on machines
// without a GPU. The compiler then builds the kernels with
// keops-gpu-emulation-pipeline (the GPU kernels up to the NVVM lowering, as
// host functions) instead of PTX; the emulator loads that object with ORC
// and runs each block with one fiber per thread, switching fibers at
// barriers. Device memory is host memory that the emulator tracks, so host
// and device pointers are told apart as on a GPU.
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_LIB_RUNTIME_CUDAEMULATOR_H
#define KEOPS_LIB_RUNTIME_CUDAEMULATOR_H

#include <string>

namespace mlir::keops::runtime::cuda {

struct Api;

/// The value of KEOPS_CUDA_DRIVER that selects the emulator.
inline constexpr const char *kEmulatorName = "emulator";

/// The emulator's driver entry points.
const Api &emulatorApi();

/// The module image the emulator loads (cuModuleLoadDataEx): a header and
/// `object`, an object file of keops-gpu-emulation-pipeline's functions.
std::string emulatorImage(const std::string &object);

} // namespace mlir::keops::runtime::cuda

#endif
