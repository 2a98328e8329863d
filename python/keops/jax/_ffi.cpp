//===- _ffi.cpp - keops reductions as an XLA FFI custom call -------------===//
//
// The handler of keops.jax's custom call "keops_reduce" on the CPU: XLA
// passes the operands' and results' buffers, the attributes name a kernel
// compiled when the call was lowered (its module handle and index, kept
// alive by the package's plan cache) and the sizes, and the handler runs it
// through the C API. No Python runs per call. It depends on libkeops and on
// the header-only XLA FFI API that jaxlib ships (jax.ffi.include_dir()).
//
//===----------------------------------------------------------------------===//

#include "keops-c/keops.h"

#include "xla/ffi/api/ffi.h"

#include <cstdint>
#include <vector>

namespace ffi = xla::ffi;

static ffi::Error runReduction(ffi::RemainingArgs args, ffi::RemainingRets rets,
                               int64_t module, int64_t kernel, int64_t m,
                               int64_t n, int64_t rank,
                               ffi::Span<const int64_t> batch) {
  if (rank < 0 || static_cast<size_t>(rank) > batch.size())
    return ffi::Error::InvalidArgument("keops_reduce: bad batch rank");
  std::vector<const void *> inputs(args.size());
  for (size_t k = 0; k < args.size(); ++k) {
    ffi::ErrorOr<ffi::AnyBuffer> buffer = args.get<ffi::AnyBuffer>(k);
    if (buffer.has_error())
      return buffer.error();
    inputs[k] = buffer->untyped_data();
  }
  std::vector<void *> outputs(rets.size());
  for (size_t k = 0; k < rets.size(); ++k) {
    ffi::ErrorOr<ffi::Result<ffi::AnyBuffer>> buffer =
        rets.get<ffi::AnyBuffer>(k);
    if (buffer.has_error())
      return buffer.error();
    outputs[k] = (*buffer)->untyped_data();
  }
  if (keops_run_batched(reinterpret_cast<keops_module>(module), kernel,
                        inputs.data(), outputs.data(), m, n, rank,
                        batch.begin(), nullptr) != KEOPS_OK)
    return ffi::Error::Internal(keops_last_error());
  return ffi::Error::Success();
}

XLA_FFI_DEFINE_HANDLER_SYMBOL(KeopsReduce, runReduction,
                              ffi::Ffi::Bind()
                                  .RemainingArgs()
                                  .RemainingRets()
                                  .Attr<int64_t>("module")
                                  .Attr<int64_t>("kernel")
                                  .Attr<int64_t>("m")
                                  .Attr<int64_t>("n")
                                  .Attr<int64_t>("rank")
                                  .Attr<ffi::Span<const int64_t>>("batch"));
