//===- FloatEnvironment.h - subnormals flushed while kernels run -*- C++ -*-===//
//
// Arithmetic on subnormal floats (|x| < 1.2e-38 in f32) takes a microcode
// assist on x86: about 100 cycles instead of 1. Kernels meet them wherever a
// formula's exponentials underflow, e.g. the gradient of a log-sum-exp at a
// small temperature (exp(F - out) ~ 1e-40 for most pairs), where they made
// kernels 6x slower. Fast-math kernels (approximate_math, the default) run
// with subnormal inputs read as zero and subnormal results flushed to zero,
// as GPU kernels compiled with fast math do; exact kernels keep IEEE
// semantics. The caller's floating-point environment is restored after.
//
//===----------------------------------------------------------------------===//

#ifndef KEOPS_LIB_RUNTIME_FLOATENVIRONMENT_H
#define KEOPS_LIB_RUNTIME_FLOATENVIRONMENT_H

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace mlir::keops::runtime {

class FlushSubnormals {
public:
  explicit FlushSubnormals(bool on) : on(on) {
    if (!on)
      return;
#if defined(__x86_64__) || defined(__i386__)
    saved = _mm_getcsr();
    _mm_setcsr(saved | kFlushToZero | kDenormalsAreZero);
#elif defined(__aarch64__)
    saved = __builtin_aarch64_get_fpcr64();
    __builtin_aarch64_set_fpcr64(saved | kFlushToZero);
#endif
  }
  ~FlushSubnormals() {
    if (!on)
      return;
#if defined(__x86_64__) || defined(__i386__)
    _mm_setcsr(saved);
#elif defined(__aarch64__)
    __builtin_aarch64_set_fpcr64(saved);
#endif
  }
  FlushSubnormals(const FlushSubnormals &) = delete;
  FlushSubnormals &operator=(const FlushSubnormals &) = delete;

private:
#if defined(__x86_64__) || defined(__i386__)
  static constexpr unsigned kFlushToZero = 0x8000;     // MXCSR.FTZ
  static constexpr unsigned kDenormalsAreZero = 0x0040; // MXCSR.DAZ
  unsigned saved = 0;
#elif defined(__aarch64__)
  static constexpr unsigned long long kFlushToZero = 1ull << 24; // FPCR.FZ
  unsigned long long saved = 0;
#endif
  bool on;
};

} // namespace mlir::keops::runtime

#endif // KEOPS_LIB_RUNTIME_FLOATENVIRONMENT_H
