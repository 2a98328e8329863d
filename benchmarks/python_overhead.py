"""The cost of the Python frontend.

    .venv/bin/python benchmarks/python_overhead.py [--n 100000] [--quick]

1. Overhead of one call on tiny inputs (M = N = 10), after warm-up: the
   kernel launch through the C API alone, then Genred, a LazyTensor
   reduction of a formula built once, a formula built and reduced at every
   call (NumPy and torch), K @ v. Median of many calls, in microseconds.
2. The Gaussian kernel sum at N = M = n through LazyTensor against the same
   compiled kernel called through the C API (ctypes, keops._capi): the
   frontend must not cost more than a few percent. Best of --repeat runs,
   alternated.
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import machine  # noqa: E402

import keops  # noqa: E402
from keops import Genred, LazyTensor  # noqa: E402
from keops import _capi, reductions  # noqa: E402


def per_call(fn, calls=2000, rounds=7):
    """Median over `rounds` of the mean time of `calls` calls, in us."""
    fn()
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - t) / calls)
    return statistics.median(times) * 1e6


def overhead():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((10, 3)).astype(np.float32)
    y = rng.standard_normal((10, 3)).astype(np.float32)
    b = rng.standard_normal((10, 1)).astype(np.float32)

    def build(lt, x, y, b):
        x_i, y_j, b_j = lt(x[:, None, :]), lt(y[None, :, :]), lt(b[None, :, :])
        return (-((x_i - y_j) ** 2).sum(-1)).exp() * b_j

    K = build(LazyTensor, x, y, b)
    K.sum(axis=1)
    plan = next(p for p in reductions._PLANS.values() if p.kind == "sum")
    out = np.empty((10, 1), np.float32)
    raw = plan.kernel.module._handle.run
    rows = [("C API (keops._keops) kernel launch", lambda: raw(0, [x, y, b], [out], 10, 10))]
    g = Genred("Exp(-Sum(Square(x - y))) * b", ["x = Vi(3)", "y = Vj(3)", "b = Vj(1)"], axis=1)
    rows.append(("Genred call", lambda: g(x, y, b)))
    rows.append(("LazyTensor: reduce a built formula", lambda: K.sum(axis=1)))
    rows.append(("LazyTensor: build + reduce", lambda: build(LazyTensor, x, y, b).sum(axis=1)))
    Kv = (-((LazyTensor(x[:, None, :]) - LazyTensor(y[None, :, :])) ** 2).sum(-1)).exp()
    rows.append(("LazyTensor: K @ v", lambda: Kv @ b))
    try:
        import torch
        from keops.torch import LazyTensor as TorchLazyTensor
        xt, yt, bt = (torch.from_numpy(a) for a in (x, y, b))
        Kt = build(TorchLazyTensor, xt, yt, bt)
        rows.append(("torch LazyTensor: reduce a built formula", lambda: Kt.sum(dim=1)))
        rows.append(("torch LazyTensor: build + reduce",
                     lambda: build(TorchLazyTensor, xt, yt, bt).sum(dim=1)))
        xg = xt.clone().requires_grad_()
        Kg = build(TorchLazyTensor, xg, yt, bt)
        rows.append(("torch, requires_grad (autograd.Function)", lambda: Kg.sum(dim=1)))
    except ImportError:
        pass
    print("1. One call on M = N = 10 (float32, D = 3), after warm-up")
    base = None
    for name, fn in rows:
        us = per_call(fn)
        base = us if base is None else base
        extra = "" if us is base else f"   (frontend: {us - base:5.1f} us)"
        print(f"   {name:<44} {us:7.1f} us{extra}")


def gaussian(n, repeat):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, 3)).astype(np.float32)
    y = rng.standard_normal((n, 3)).astype(np.float32)
    b = rng.standard_normal((n, 1)).astype(np.float32)
    x_i, y_j = LazyTensor(x[:, None, :]), LazyTensor(y[None, :, :])
    K = (-((x_i - y_j) ** 2).sum(-1)).exp()
    lazy = lambda: K @ b  # noqa: E731
    small = (-((LazyTensor(x[:64, None, :]) - y_j) ** 2).sum(-1)).exp() @ b  # compiles
    assert small.shape == (64, 1)
    plan = next(p for p in reductions._PLANS.values()
                if p.kind == "sum" and len(p.variables) == 3 and p.variables[0] == (0, 3))
    kernel = _capi.CompiledModule(plan.mlir).kernels[0]   # the same kernel (cache hit)
    capi = lambda: kernel(x, y, b)  # noqa: E731
    np.testing.assert_allclose(lazy(), capi()[0], rtol=1e-6)
    print(f"\n2. Gaussian kernel sum, N = M = {n}, D = 3, float32 (best of {repeat})")
    for threads in (1, 0):
        keops.set_num_threads(threads)
        times = {"LazyTensor (K @ b)": [], "C API (ctypes, same kernel)": []}
        for _ in range(repeat):
            for name, fn in (("LazyTensor (K @ b)", lazy), ("C API (ctypes, same kernel)", capi)):
                t = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t)
        print(f"   {keops.get_num_threads()} thread(s):")
        best = {k: min(v) for k, v in times.items()}
        for name, t in best.items():
            print(f"   {name:<44} {t * 1e3:9.1f} ms  {n * n / t:.3e} pairs/s")
        ratio = best["LazyTensor (K @ b)"] / best["C API (ctypes, same kernel)"]
        print(f"   LazyTensor / C API: {ratio:.3f} ({(ratio - 1) * 100:+.1f}%)")
    keops.set_num_threads(0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="n = 10000, for a smoke test")
    args = parser.parse_args()
    print(f"machine: {machine()}; Python {sys.version.split()[0]}; "
          f"{time.strftime('%Y-%m-%d')}\n")
    overhead()
    gaussian(10_000 if args.quick else args.n, args.repeat)


if __name__ == "__main__":
    main()
