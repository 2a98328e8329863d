//===- EmulatedThread.h - the context of an emulated GPU thread -*- C++ -*-===//
//
// The contract between convert-gpu-kernels-to-host, which makes kernels
// read their coordinates, shared memory and barrier from this context, and
// the runtime's GPU emulator (lib/Runtime/CudaEmulator.cpp), which fills it
// for each thread it runs. Eleven 64-bit words; the pass addresses them by
// their offsets here.
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_CONVERSION_EMULATEDTHREAD_H
#define KEOPS_CONVERSION_EMULATEDTHREAD_H

#include <cstddef>
#include <cstdint>

namespace mlir::keops {

struct EmulatedThread {
  int64_t threadX, blockX, blockY, blockDimX, gridDimX, gridDimY;
  void *shared;             ///< the block's shared memory
  void (*barrier)(void *);  ///< called with barrierArg at gpu.barrier
  void *barrierArg;
  int64_t blockZ, gridDimZ; ///< the batch of block-sparse kernels
};

static_assert(sizeof(void *) == 8 && sizeof(EmulatedThread) == 11 * 8,
              "the context is eleven 64-bit words");

/// The word of `EmulatedThread` at byte offset `offset` (offsetof).
constexpr int64_t emulatedThreadWord(size_t offset) { return offset / 8; }

} // namespace mlir::keops

#endif
