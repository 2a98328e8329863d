"""K nearest neighbours with large K: compile time and run time of argKmin
on the CPU, for K from 8 to 1000, against NumPy (argpartition then argsort
of blocks of the dense distance matrix) in the same process.

    .venv/bin/python benchmarks/kmin_bench.py [--n 20000] [--ks 8,12,13,16,32,64,128,1000]

fp32, D = 3, M = N = n. K <= 12 keeps sorted K-lists in registers, K > 12
heaps in memory (docs/architecture.md); the threshold is where the two
run equally fast. Each K compiles into a fresh cache directory, so the
compile time is a real first call.
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import argkmin_mlir, best_of, machine  # noqa: E402


def numpy_knn(x, y, k, chunk=256):
    out = np.empty((x.shape[0], k), np.int64)
    y2 = (y * y).sum(1)
    for s in range(0, x.shape[0], chunk):
        xs = x[s:s + chunk]
        d = (xs * xs).sum(1)[:, None] - 2 * xs @ y.T + y2[None, :]
        part = np.argpartition(d, k - 1, axis=1)[:, :k]
        order = np.take_along_axis(d, part, 1).argsort(1, kind="stable")
        out[s:s + chunk] = np.take_along_axis(part, order, 1)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--ks", default="8,12,13,16,32,64,128,1000")
    args = parser.parse_args()
    os.environ["KEOPS_CACHE_DIR"] = tempfile.mkdtemp(prefix="keops-kmin-bench-")
    from keops._capi import CompiledModule  # after the cache directory is set

    print(machine())
    n = args.n
    rng = np.random.default_rng(0)
    x = rng.random((n, 3), dtype=np.float32)
    y = rng.random((n, 3), dtype=np.float32)
    print(f"argKmin, D = 3, float32, M = N = {n}")
    print(f"{'K':>6} {'compile':>9} {'run':>9} {'NumPy':>9} {'vs NumPy':>9}  indices")
    for k in map(int, args.ks.split(",")):
        t = time.perf_counter()
        kernel = CompiledModule(argkmin_mlir(3, k)).kernels[0]
        compile_s = time.perf_counter() - t
        run_s = best_of(lambda: kernel(x, y), repeat=2)
        (ours,) = kernel(x, y)
        rows = slice(0, 512)   # NumPy on a subset, scaled
        np_s = best_of(lambda: numpy_knn(x[rows], y, k), repeat=1) * n / 512
        ref = numpy_knn(x[rows], y, k)
        # Equal distances may order differently in float32: compare sets of
        # the first K - 1 (the K-th may tie with the next).
        same = np.mean([len(set(a[:k - 1]) & set(b)) == k - 1
                        for a, b in zip(ours[rows], ref)])
        print(f"{k:>6} {compile_s:>8.2f}s {run_s:>8.3f}s {np_s:>8.2f}s {np_s / run_s:>8.1f}x"
              f"  {100 * same:.0f}% rows agree")


if __name__ == "__main__":
    main()
