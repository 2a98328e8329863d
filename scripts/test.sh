#!/usr/bin/env bash
# Runs every test suite against the build in build/ (run scripts/setup.sh first).
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
echo "== lit: dialect, passes, interpreter, bad input =="
/usr/lib/llvm-22/bin/lit -v build/test || status=1
echo "== pytest: Python package and interpreter against NumPy =="
.venv/bin/python -m pytest -q test/python || status=1
echo "== pytest: the GPU tests on the GPU emulator (KEOPS_CUDA_DRIVER=emulator) =="
KEOPS_CUDA_DRIVER=emulator .venv/bin/python -m pytest -q test/python/test_gpu.py \
  test/python/test_gpu_tensor_cores.py || status=1
echo "== fuzz: a minute per target (scripts/fuzz.sh; longer runs: make fuzz) =="
bash scripts/fuzz.sh 60 || status=1
exit $status
