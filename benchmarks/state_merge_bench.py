"""Partial states: bytes per output row, and the cost of merging two states
and of finalizing one (ReductionState.merge / finalize, the compiled merge
and finalize kernels), per row, on one thread.

    .venv/bin/python benchmarks/state_merge_bench.py [--rows 1000000]

What a distributed reduction moves and computes besides the reduction
itself (docs/distributed.md, capacity plan).
"""

import argparse
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import machine, timed  # noqa: E402

os.environ.setdefault("KEOPS_CACHE_DIR", tempfile.mkdtemp(prefix="keops-bench-"))

from keops import Genred  # noqa: E402
from keops._runtime import set_num_threads  # noqa: E402

CASES = [
    ("Gaussian sum", "Sum", "Exp(-SqDist(x, y)) * b", None),
    ("logsumexp", "LogSumExp", "-SqDist(x, y)", None),
    ("argKmin K = 10", "ArgKMin", "SqDist(x, y)", 10),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    set_num_threads(1)
    rng = np.random.default_rng(0)
    m = args.rows
    x = rng.standard_normal((m, 3)).astype("float32")
    y = rng.standard_normal((64, 3)).astype("float32")
    b = rng.standard_normal((64, 1)).astype("float32")
    print(f"# {machine()}; float32, D = 3, {m} rows, 1 thread")
    print(f"{'reduction':16} {'state/row':>10} {'merge/row':>10} {'finalize/row':>13}")
    for name, op, formula, k in CASES:
        g = Genred(formula, ["x = Vi(3)", "y = Vj(3)", "b = Vj(1)"], reduction_op=op,
                   axis=1, opt_arg=k)
        a = g.partial(x, y[:32], b[:32])
        c = g.partial(x, y[32:], b[32:], first=32)
        merged = a.merge(c)
        merge = min(timed(lambda: a.merge(c)) for _ in range(args.repeat))
        final = min(timed(merged.finalize) for _ in range(args.repeat))
        nbytes = sum(arr.nbytes for arr in a.arrays) / m
        print(f"{name:16} {nbytes:8.0f} B {merge * 1e9 / m:7.2f} ns {final * 1e9 / m:10.2f} ns")


if __name__ == "__main__":
    main()
