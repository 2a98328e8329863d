"""The demo: a Gaussian kernel sum and a K-nearest-neighbour search on
100,000 points, compiled by keops-mlir for this CPU and run through the JIT.

NumPy, the baseline, evaluates the same dense formulas chunk by chunk on a
subset of the rows (the whole job would take minutes); the speed-up compares
throughputs in (i, j) pairs per second.
"""

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))
from common import argkmin_mlir, gaussian_sum_mlir, machine  # noqa: E402

from keops._capi import CompiledModule, get_num_threads  # noqa: E402

N, D, K = 100_000, 3, 10
SUBSET = 1000
rng = np.random.default_rng(0)
x = rng.standard_normal((N, D)).astype(np.float32)
y = rng.standard_normal((N, D)).astype(np.float32)
b = rng.standard_normal((N, 1)).astype(np.float32)
print(f"{machine()}; {get_num_threads()} threads; N = M = {N}, D = {D}, float32\n")

t = time.perf_counter()
gauss = CompiledModule(gaussian_sum_mlir(D)).kernels[0]
knn = CompiledModule(argkmin_mlir(D, K)).kernels[0]
print(f"compiled two kernels in {(time.perf_counter() - t) * 1e3:.0f} ms "
      f"(cached on disk for the next run)")

for name, kernel, args, dense in [
    ("Gaussian kernel sum", gauss, (x, y, b),
     lambda xs: np.exp(-((xs[:, None, :] - y[None]) ** 2).sum(-1)) @ b),
    (f"{K} nearest neighbours", knn, (x, y),
     lambda xs: np.argpartition(((xs[:, None, :] - y[None]) ** 2).sum(-1), K, axis=1)[:, :K]),
]:
    kernel(*[a[:64] if a.shape[0] == N and a is args[0] else a for a in args])  # warm-up
    t = time.perf_counter()
    (out,) = kernel(*args)
    ours = time.perf_counter() - t
    t = time.perf_counter()
    for s in range(0, SUBSET, 250):
        ref = dense(x[s:s + 250])
    numpy_rate = SUBSET * N / (time.perf_counter() - t)
    rate = N * N / ours
    print(f"{name:>24}: {ours:6.2f} s, {rate:.2e} pairs/s; NumPy {numpy_rate:.2e} pairs/s "
          f"-> {rate / numpy_rate:.0f}x faster")
    if name.startswith("Gaussian"):
        ref = np.exp(-((x[:SUBSET, None, :].astype(np.float64) - y[None]) ** 2).sum(-1)) @ b
        err = np.abs(out[:SUBSET] - ref).max() / np.abs(ref).max()
        print(f"{'':>24}  max relative difference to float64 NumPy: {err:.1e}")
    else:
        d2 = ((x[:SUBSET, None, :] - y[None]) ** 2).sum(-1)
        exact = np.argsort(d2, axis=1, kind="stable")[:, :K]
        print(f"{'':>24}  indices equal to NumPy's sort: {(out[:SUBSET] == exact).mean() * 100:.2f}%")
