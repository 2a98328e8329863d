#!/usr/bin/env bash
# The demo: the compiler pipeline on a Gaussian kernel sum, then the reference
# interpreter evaluating it, checked against NumPy.
set -euo pipefail
cd "$(dirname "$0")/.."
example=examples/mlir/gaussian_sum.mlir
echo "== $example, as written =="
sed -n '/func.func/,$p' "$example"
echo
echo "== after keops-opt --canonicalize --cse (|x - y|^2 becomes keops.sqdist, x * 1 is gone) =="
.venv/bin/keops-opt --canonicalize --cse "$example"
echo "== the reference interpreter (double precision) against NumPy =="
.venv/bin/python examples/interpreter_demo.py
