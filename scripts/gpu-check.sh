#!/usr/bin/env bash
# The GPU kit: check the GPU backend on a machine that has a GPU but no LLVM.
#
#   scripts/gpu-check.sh pack [DIR]   here (LLVM/MLIR 22 installed): builds the
#       project, links a self-contained libkeops.so (MLIR and LLVM linked in
#       statically, stripped; only libc, libm, libstdc++ needed) and writes
#       DIR/keops-gpu-kit.tar.xz (DIR defaults to build/gpu-kit) with the C
#       header, the Python package, the GPU tests and benchmarks, and this
#       script.
#   gpu-check.sh run                  on the GPU machine, in the unpacked kit
#       (Python 3 with torch, pybind11, cmake; no network): builds the
#       Python module against the kit's libkeops.so, prints the devices,
#       runs the GPU tests (test_gpu.py, against the CPU backend) and the GPU
#       benchmark. Results go to stdout and to results/.
#
# docs/gpu.md explains it; `run` also works on any machine with a GPU and
# the kit.
set -euo pipefail

pack() {
  local root out kit
  root="$(cd "$(dirname "$0")/.." && pwd)"
  out="${1:-$root/build/gpu-kit}"
  kit="$out/keops-gpu-kit"
  cd "$root"
  # Static zstd for LLVM's compression support.
  if [ ! -e /usr/lib/x86_64-linux-gnu/libzstd.a ]; then
    apt-get install -y -q libzstd-dev >/dev/null
  fi
  if [ ! -f build/build.ninja ]; then
    bash scripts/setup.sh
  fi
  ninja -C build -j2 keops
  rm -rf "$kit" && mkdir -p "$kit/lib" "$kit/include" "$kit/test/python" "$kit/benchmarks" "$kit/site"
  cat > "$kit/keops.map" <<'EOF'
{ global: keops_*; local: *; };
EOF
  local llvm=/usr/lib/llvm-22/lib
  # Only the archive members that the C API reaches are linked; unused
  # sections go, identical code is folded, nothing else is exported.
  g++ -shared -o "$kit/lib/libkeops.so" \
    build/lib/CAPI/CMakeFiles/keops.dir/KeopsC.cpp.o \
    -Wl,--start-group build/lib/libKeopsRuntime.a build/lib/libKeopsTransforms.a \
    build/lib/libKeopsConversion.a build/lib/libKeopsDialect.a \
    build/lib/libKeopsSupport.a \
    "$llvm"/libMLIR*.a "$llvm"/libLLVM*.a -Wl,--end-group \
    -fuse-ld=lld -Wl,--gc-sections -Wl,--icf=all -Wl,--exclude-libs,ALL \
    -Wl,--no-undefined -Wl,--version-script="$kit/keops.map" -static-libgcc \
    -Wl,-Bstatic -lzstd -lz -Wl,-Bdynamic -lpthread -ldl -lm -s
  rm "$kit/keops.map"
  cp -r include/keops-c "$kit/include/"
  mkdir -p "$kit/python"
  (cd python && find keops \( -name '*.py' -o -name '_keops.cpp' \) -exec cp --parents {} "$kit/python" \;)
  # test/python/: conftest.py finds the package in ../../python.
  cp test/python/test_gpu.py test/python/test_gpu_tensor_cores.py \
     test/python/conftest.py "$kit/test/python/"
  cp benchmarks/gpu_bench.py "$kit/benchmarks/"
  cp scripts/gpu-check.sh "$kit/"
  # pytest and what it needs (pure Python), for a machine without it.
  local site
  site="$(.venv/bin/python -c 'import pytest, os; print(os.path.dirname(os.path.dirname(pytest.__file__)))')"
  for pkg in _pytest pytest pluggy iniconfig packaging py.py; do
    [ -e "$site/$pkg" ] && cp -r "$site/$pkg" "$kit/site/"
  done
  cat > "$kit/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.20)
project(keops_gpu_kit CXX)
find_package(Python3 REQUIRED COMPONENTS Interpreter Development.Module)
execute_process(COMMAND ${Python3_EXECUTABLE} -m pybind11 --cmakedir
                OUTPUT_VARIABLE pybind11_DIR OUTPUT_STRIP_TRAILING_WHITESPACE)
find_package(pybind11 CONFIG REQUIRED)
pybind11_add_module(_keops MODULE NO_EXTRAS python/keops/_keops.cpp)
target_include_directories(_keops PRIVATE include)
target_link_libraries(_keops PRIVATE ${CMAKE_SOURCE_DIR}/lib/libkeops.so)
set_target_properties(_keops PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CMAKE_SOURCE_DIR}/lib
                      BUILD_RPATH "$ORIGIN")
EOF
  tar -C "$out" -cJf "$out/keops-gpu-kit.tar.xz" keops-gpu-kit
  du -h "$kit/lib/libkeops.so" "$out/keops-gpu-kit.tar.xz"
}

run() {
  local kit
  kit="$(cd "$(dirname "$0")" && pwd)"
  cd "$kit"
  local py="${PYTHON:-python3}"
  mkdir -p results
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DPython3_EXECUTABLE="$(command -v "$py")" >results/cmake.log
  cmake --build build >>results/cmake.log
  export KEOPS_BUILD_DIR="$kit" PYTHONPATH="$kit/python:$kit/site${PYTHONPATH:+:$PYTHONPATH}"
  export KEOPS_CACHE_DIR="$kit/results/cache"
  "$py" - <<'EOF' 2>&1 | tee results/devices.txt || true
import numpy as np
import keops
from keops import Vi, Vj
print("keops from", keops.__file__)
x, y = np.random.rand(50, 3), np.random.rand(70, 3)
got = (-(Vi(x).sqdist(Vj(y)))).exp().sum(axis=1)
want = np.exp(-((x[:, None] - y[None]) ** 2).sum(-1)).sum(1, keepdims=True)
print("CPU backend:", "ok" if np.allclose(got, want, rtol=1e-12) else "WRONG")
import torch
print("GPU devices:", keops.gpu_device_count(), "-", torch.cuda.get_device_name(0))
EOF
  (cd test/python && "$py" -m pytest -q -rs -p no:cacheprovider test_gpu.py \
     test_gpu_tensor_cores.py) 2>&1 | tee results/tests.txt || true
  # The same tests on the GPU emulator: a failure on the device that the
  # emulator does not show is in the NVVM lowering or the hardware, not in
  # the schemes' logic.
  (cd test/python && KEOPS_CUDA_DRIVER=emulator "$py" -m pytest -q -rs -p no:cacheprovider \
     test_gpu.py) 2>&1 | tee results/tests-emulator.txt || true
  "$py" benchmarks/gpu_bench.py 2>&1 | tee results/bench.txt || true
  # One file with everything, for docs/benchmarks.md (a failed step says so
  # in its part).
  cat results/devices.txt results/tests.txt results/tests-emulator.txt \
    results/bench.txt > results/all.txt
}

case "${1:-}" in
  pack) shift; pack "$@" ;;
  run) run ;;
  *) echo "usage: $0 pack [DIR] | run" >&2; exit 2 ;;
esac
