#!/usr/bin/env bash
# The demo: the compiler pipeline on a small example, then a Gaussian kernel
# sum and a K-nearest-neighbour search on 100,000 points through the JIT,
# against NumPy.
set -euo pipefail
cd "$(dirname "$0")/.."
example=examples/mlir/gaussian_sum.mlir
echo "== $example after keops-opt --canonicalize --cse =="
echo "   (|x - y|^2 written by hand becomes keops.sqdist, x * 1 is gone)"
.venv/bin/keops-opt --canonicalize --cse "$example"
echo "== the reference interpreter (double precision) against NumPy =="
.venv/bin/python examples/interpreter_demo.py
echo
echo "== the CPU backend: 100,000 points =="
.venv/bin/python examples/cpu_demo.py
