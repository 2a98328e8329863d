#!/usr/bin/env bash
# make test-asan: every target built with AddressSanitizer and
# UndefinedBehaviorSanitizer (build-sanitize/, scripts/sanitize-build.sh),
# then the tests that exercise them: lit on the sanitized tools, and the
# Python tests of the runtime on the sanitized libkeops and keops._keops
# (the sanitizers' runtime preloaded into the uninstrumented Python). Any
# report fails the run. The last result is recorded in docs/testing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
source scripts/sanitize-build.sh
cmake --build build-sanitize

# A report stops the process (UBSan too); huge requests fail like malloc
# does, for the tests of allocation errors. LLVM's headers poison the unused
# part of an allocator's slab in instrumented code (ours), which Debian's
# uninstrumented libMLIR then writes: user poisoning is ignored.
COMMON=halt_on_error=1:allocator_may_return_null=1:allow_user_poisoning=0
export ASAN_OPTIONS=$COMMON:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
status=0
echo "== lit: the sanitized tools =="
/usr/lib/llvm-22/bin/lit -v build-sanitize/test || status=1

# Python and torch are not instrumented: their own leaks are not ours.
export ASAN_OPTIONS=$COMMON:detect_leaks=0
export LD_PRELOAD=$(clang++-22 -print-file-name=libclang_rt.asan-x86_64.so)
export KEOPS_BUILD_DIR=$PWD/build-sanitize
RUNTIME_TESTS=(test/python/test_binding.py test/python/test_cpu_backend.py
               test/python/test_interpreter.py test/python/test_batch.py
               test/python/test_ranges.py test/python/test_batch_ranges.py
               test/python/test_index_variables.py test/python/test_float16.py
               test/python/test_gpu_runtime_stub.py)
echo "== pytest: the runtime's tests on the sanitized libkeops =="
.venv/bin/python -m pytest -q -p no:cacheprovider "${RUNTIME_TESTS[@]}" || status=1
echo "== pytest: the GPU tests on the emulator, sanitized =="
KEOPS_CUDA_DRIVER=emulator .venv/bin/python -m pytest -q -p no:cacheprovider \
  test/python/test_gpu.py test/python/test_gpu_emulator.py || status=1
echo "[test-asan] $([[ $status == 0 ]] && echo passed || echo FAILED)"
exit $status
