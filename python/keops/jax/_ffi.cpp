//===- _ffi.cpp - keops reductions as an XLA FFI custom call -------------===//
//
// The handler of keops.jax's custom call "keops_reduce" on the CPU: XLA
// passes the operands' and results' buffers; the attributes hold the
// reduction's MLIR module, its compile options and the kernel's index, and
// the sizes. The module is compiled on the handler's first call (through
// the runtime's memory and disk caches: the Python side compiled the same
// text when it lowered the call) and kept for the process, so that an
// executable from JAX's persistent compilation cache, lowered by another
// process, runs too: the call names its kernel by content, not by address.
// It depends on libkeops and on the header-only XLA FFI API that jaxlib
// ships (jax.ffi.include_dir()).
//
//===----------------------------------------------------------------------===//

#include "keops-c/keops.h"

#include "xla/ffi/api/ffi.h"

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ffi = xla::ffi;

namespace {

/// A module compiled by the handler, and the text and options it was
/// compiled from.
struct Compiled {
  std::string key;
  keops_module module;
};

/// The module of `mlir` under these options, compiled on first use; null,
/// with `error` set, if it does not compile.
keops_module moduleFor(std::string_view mlir, std::string_view accumulation,
                       std::string_view tensorCores, const int64_t (&ints)[6],
                       std::string &error) {
  std::string options;
  options.append(accumulation).push_back('\0');
  options.append(tensorCores).push_back('\0');
  options.append(reinterpret_cast<const char *>(ints), sizeof ints);
  size_t hash = std::hash<std::string_view>()(mlir) ^
                (std::hash<std::string>()(options) * 0x9e3779b97f4a7c15ull);
  static std::mutex mutex;
  static std::unordered_multimap<size_t, Compiled> modules;
  std::lock_guard<std::mutex> lock(mutex);
  auto range = modules.equal_range(hash);
  for (auto it = range.first; it != range.second; ++it) {
    const std::string &key = it->second.key;
    if (key.size() == mlir.size() + options.size() &&
        std::string_view(key).substr(0, mlir.size()) == mlir &&
        std::string_view(key).substr(mlir.size()) == options)
      return it->second.module;
  }
  std::string acc(accumulation), cores(tensorCores); // NUL-terminated
  keops_options o;
  keops_default_options(&o);
  o.lanes = ints[0];
  o.blocks = ints[1];
  o.accumulation = acc.c_str();
  o.approximate_math = int(ints[2]);
  o.opt_level = int(ints[3]);
  o.gram_min_dim = ints[4];
  o.partial_states = int(ints[5]);
  o.tensor_cores = cores.c_str();
  keops_module module = nullptr;
  if (keops_compile(mlir.data(), mlir.size(), &o, &module) != KEOPS_OK) {
    error = keops_last_error();
    return nullptr;
  }
  modules.emplace(hash, Compiled{std::string(mlir) + options, module});
  return module;
}

ffi::Error runReduction(ffi::RemainingArgs args, ffi::RemainingRets rets,
                        std::string_view mlir, int64_t kernel,
                        std::string_view accumulation,
                        std::string_view tensorCores, int64_t lanes,
                        int64_t blocks, int64_t approximateMath,
                        int64_t optLevel, int64_t gramMinDim,
                        int64_t partialStates, int64_t m, int64_t n,
                        int64_t rank, ffi::Span<const int64_t> batch) {
  if (rank < 0 || static_cast<size_t>(rank) > batch.size())
    return ffi::Error::InvalidArgument("keops_reduce: bad batch rank");
  std::string error;
  const int64_t ints[6] = {lanes,    blocks,     approximateMath,
                           optLevel, gramMinDim, partialStates};
  keops_module module =
      moduleFor(mlir, accumulation, tensorCores, ints, error);
  if (!module)
    return ffi::Error::Internal("keops_reduce: " + error);
  if (kernel < 0 || kernel >= keops_num_kernels(module))
    return ffi::Error::InvalidArgument("keops_reduce: no kernel " +
                                       std::to_string(kernel));
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
  if (keops_run_batched(module, kernel, inputs.data(), outputs.data(), m, n,
                        rank, batch.begin(), nullptr) != KEOPS_OK)
    return ffi::Error::Internal(keops_last_error());
  return ffi::Error::Success();
}

} // namespace

XLA_FFI_DEFINE_HANDLER_SYMBOL(KeopsReduce, runReduction,
                              ffi::Ffi::Bind()
                                  .RemainingArgs()
                                  .RemainingRets()
                                  .Attr<std::string_view>("mlir")
                                  .Attr<int64_t>("kernel")
                                  .Attr<std::string_view>("accumulation")
                                  .Attr<std::string_view>("tensor_cores")
                                  .Attr<int64_t>("lanes")
                                  .Attr<int64_t>("blocks")
                                  .Attr<int64_t>("approximate_math")
                                  .Attr<int64_t>("opt_level")
                                  .Attr<int64_t>("gram_min_dim")
                                  .Attr<int64_t>("partial_states")
                                  .Attr<int64_t>("m")
                                  .Attr<int64_t>("n")
                                  .Attr<int64_t>("rank")
                                  .Attr<ffi::Span<const int64_t>>("batch"));
