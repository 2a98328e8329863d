"""CPU benchmark: keops-mlir against NumPy, pykeops and faiss, in one process.

    .venv/bin/python benchmarks/cpu_bench.py [--n 100000] [--quick]

fp32, D = 3, N = M = n. Prints times, throughputs (pairs/s) and ratios.
Baselines that would take minutes at full size (NumPy dense, pykeops' scalar
CPU loop) run on a subset of the rows; their throughput is what is compared.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import argkmin_mlir, best_of, gaussian_sum_mlir, logsumexp_mlir, machine  # noqa: E402

from keops._capi import CompiledModule, set_num_threads  # noqa: E402

D = 3


def numpy_gaussian(x, y, b, chunk=256):
    out = np.empty((x.shape[0], 1), np.float32)
    for s in range(0, x.shape[0], chunk):
        xs = x[s:s + chunk]
        d2 = ((xs[:, None, :] - y[None, :, :]) ** 2).sum(-1)
        out[s:s + chunk] = np.exp(-d2) @ b
    return out


def report(name, seconds, pairs, ref_rate=None):
    rate = pairs / seconds
    line = f"  {name:<44} {seconds * 1e3:10.1f} ms  {rate:9.3e} pairs/s"
    if ref_rate:
        line += f"  (keops-mlir x{ref_rate / rate:.1f})"
    print(line)
    return rate


def compile_times(tmp):
    """Times in fresh processes, after the runtime has initialized (with an
    unrelated module): a never-seen formula (cold), then the same formula
    again from another process (disk cache hit); and the initialization."""
    code = (
        "import sys, time; sys.path.insert(0, %r)\n"
        "t = time.perf_counter()\n"
        "from common import gaussian_sum_mlir, argkmin_mlir\n"
        "from keops._capi import CompiledModule\n"
        "CompiledModule(argkmin_mlir(2, 1))\n"
        "init = time.perf_counter() - t\n"
        "src = gaussian_sum_mlir(%d).replace('%%v = arith.mulf', '%%w = arith.mulf %%e, %%e : vector<1xf32>\\n    %%v = arith.mulf')\n"
        "t = time.perf_counter(); CompiledModule(src); print(time.perf_counter() - t, init)\n"
    ) % (os.path.dirname(os.path.abspath(__file__)), D + 4)
    env = dict(os.environ, KEOPS_CACHE_DIR=tmp)
    cold, init = map(float, subprocess.check_output([sys.executable, "-c", code], env=env).split())
    warm, _ = map(float, subprocess.check_output([sys.executable, "-c", code], env=env).split())
    return cold, warm, init


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    args = parser.parse_args()
    n = 20_000 if args.quick else args.n
    subset = max(256, n // 50)
    print(f"machine: {machine()}")
    print(f"N = M = {n}, D = {D}, float32; baselines on {subset} rows where marked\n")

    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, D)).astype(np.float32)
    y = rng.standard_normal((n, D)).astype(np.float32)
    b = rng.standard_normal((n, 1)).astype(np.float32)
    g = rng.standard_normal((n, 1)).astype(np.float32)
    eps = np.array([0.1], np.float32)

    gauss = CompiledModule(gaussian_sum_mlir(D)).kernels[0]
    knn = CompiledModule(argkmin_mlir(D, 10)).kernels[0]
    lse = CompiledModule(logsumexp_mlir(D)).kernels[0]
    pairs = float(n) * n

    print("Gaussian kernel sum  sum_j exp(-|x_i - y_j|^2) b_j")
    rates = {}
    for threads in (1, 2):
        set_num_threads(threads)
        t = best_of(lambda: gauss(x, y, b), repeat=2 if n >= 50_000 else 3)
        rates[threads] = report(f"keops-mlir, {threads} thread{'s' if threads > 1 else ''}", t, pairs)
    set_num_threads(0)
    (out,) = gauss(x, y, b)
    ref = numpy_gaussian(x[:subset].astype(np.float64), y.astype(np.float64), b.astype(np.float64))
    err = np.abs(out[:subset] - ref).max() / np.abs(ref).max()
    t = best_of(lambda: numpy_gaussian(x[:subset], y, b), repeat=1)
    report(f"NumPy dense, chunks of 256 rows ({subset} rows)", t, float(subset) * n, rates[1])
    try:
        import torch
        from pykeops.numpy import LazyTensor  # noqa: F401
        import pykeops.numpy as pk
        xi = pk.LazyTensor(x[:subset, None, :])
        yj = pk.LazyTensor(y[None, :, :])
        bj = b
        K = (-((xi - yj) ** 2).sum(-1)).exp()
        t0 = time.perf_counter()
        (K @ bj)  # first call compiles
        first = time.perf_counter() - t0
        t = best_of(lambda: K @ bj, repeat=1)
        report(f"pykeops {__import__('pykeops').__version__} CPU, all cores ({subset} rows)",
               t, float(subset) * n, rates[2])
        print(f"  (pykeops first call, with its compilation: {first:.1f} s)")
    except Exception as e:  # pykeops missing or its CPU compiler failing
        print(f"  pykeops: not measured ({type(e).__name__}: {str(e)[:80]})")
    print(f"  max relative difference to float64 NumPy on {subset} rows: {err:.1e}\n")

    print("K-nearest neighbours, argKmin K = 10 of |x_i - y_j|^2")
    for threads in (1, 2):
        set_num_threads(threads)
        t = best_of(lambda: knn(x, y), repeat=1)
        report(f"keops-mlir, {threads} thread{'s' if threads > 1 else ''}", t, pairs)
    set_num_threads(0)
    (idx,) = knn(x, y)
    try:
        import faiss
        for threads in (1, 2):
            faiss.omp_set_num_threads(threads)
            index = faiss.IndexFlatL2(D)
            index.add(y)
            t = best_of(lambda: index.search(x, 10), repeat=1)
            report(f"faiss IndexFlatL2, {threads} thread{'s' if threads > 1 else ''}", t, pairs)
        _, fidx = index.search(x, 10)
        same = (fidx == idx).mean()
        # Disagreements must be ties (equal distances up to f32 rounding).
        rows = np.nonzero((fidx != idx).any(1))[0][:200]
        d_ours = ((x[rows, None, :] - y[idx[rows]]) ** 2).sum(-1)
        d_faiss = ((x[rows, None, :] - y[fidx[rows]]) ** 2).sum(-1)
        tie_ok = np.allclose(np.sort(d_ours, 1), np.sort(d_faiss, 1), rtol=1e-4, atol=1e-6)
        print(f"  indices identical to faiss: {same * 100:.3f}%; the others are ties: {tie_ok}\n")
    except ImportError:
        print("  faiss: not installed\n")

    print("log-sum-exp  log sum_j exp(g_j - |x_i - y_j|^2 / eps)")
    set_num_threads(1)
    t_lse = best_of(lambda: lse(x, y, g, eps), repeat=1)
    report("keops-mlir, 1 thread", t_lse, pairs)
    print(f"  ratio to the Gaussian sum (1 thread): {t_lse / (pairs / rates[1]):.2f}\n")
    set_num_threads(0)

    with tempfile.TemporaryDirectory() as tmp:
        cold, warm, init = compile_times(tmp)
    print("Compilation of a new formula (fresh processes)")
    print(f"  cold (parse, lower, LLVM O3, codegen, load): {cold * 1e3:.1f} ms")
    print(f"  disk cache hit from another process:         {warm * 1e3:.1f} ms")
    print(f"  (once per process: loading libkeops and the first, unrelated compile or hit: {init * 1e3:.0f} ms)")


if __name__ == "__main__":
    main()
