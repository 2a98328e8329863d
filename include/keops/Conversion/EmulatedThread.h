//===- EmulatedThread.h - the context of an emulated GPU thread -*- C++ -*-===//
//
// The contract between convert-gpu-kernels-to-host, which makes kernels
// read their coordinates, shared memory and barrier from this context, and
// the runtime's GPU emulator (lib/Runtime/CudaEmulator.cpp), which fills it
// for each thread it runs. Thirteen 64-bit words; the pass addresses them by
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
  /// Warp collectives (every thread of the block must make the same
  /// calls, as the kernels' warp tiles do). gpu.shuffle: the 32-bit word
  /// `value` of the lane that `mode` (gpu::ShuffleMode) and `offset` name.
  int32_t (*shuffle)(EmulatedThread *self, int32_t value, int32_t offset,
                     int32_t mode);
  /// nvvm.mma.sync m16n8k8 of TF32 operands, row.col: `fragments` holds the
  /// lane's a0..a3, b0, b1 (TF32 bits) and c0..c3 (f32), and receives
  /// d0..d3 in place of c0..c3.
  void (*mmaTf32)(EmulatedThread *self, int32_t *fragments);
};

static_assert(sizeof(void *) == 8 && sizeof(EmulatedThread) == 13 * 8,
              "the context is thirteen 64-bit words");

/// The word of `EmulatedThread` at byte offset `offset` (offsetof).
constexpr int64_t emulatedThreadWord(size_t offset) { return offset / 8; }

} // namespace mlir::keops

#endif
