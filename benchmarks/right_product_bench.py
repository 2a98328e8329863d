"""Sums of s_ij v_j (a kernel matrix times E right-hand sides, the gradient
of a Gaussian sum wrt x, whose second product has E = D columns, and
attention, softmax_j(<q_i, k_j>) v_j) on the CPU: keops-mlir's first call
(compile) and run time against torch's chunked dense evaluation, in one
process.

    .venv/bin/python benchmarks/right_product_bench.py [--quick] [--threads 1]

Gaussian kernel exp(-|x_i - y_j|^2) @ V, float32, V of width E; torch
evaluates cdist, exp and mm by chunks of 2,048 rows on the same threads.
Each formula is compiled into a fresh cache: "compile" is the first call's
time less a run's. Ratios above 1: keops-mlir faster.
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import best_of, machine  # noqa: E402

os.environ.setdefault("KEOPS_CACHE_DIR", tempfile.mkdtemp(prefix="keops-bench-"))

from keops import Genred  # noqa: E402
from keops._runtime import set_num_threads  # noqa: E402


def chunked(fn, x, width, chunk=2048):
    """fn of blocks of 2,048 rows of x, each (rows, width), stacked."""
    out = x.new_empty(x.shape[0], width)
    for s in range(0, x.shape[0], chunk):
        out[s:s + chunk] = fn(x[s:s + chunk])
    return out


def torch_gaussian(x, y, b):
    import torch
    return chunked(lambda xs: torch.exp(-torch.cdist(xs, y) ** 2) @ b, x, b.shape[1])


def torch_attention(q, k, v):
    return chunked(lambda qs: (qs @ k.T).softmax(1) @ v, q, v.shape[1])


def first_call_and_run(small, call):
    """The first call of `small` less a later one's (the compile time), and
    the best run of `call`."""
    t0 = time.perf_counter()
    small()
    first = time.perf_counter() - t0
    return max(first - best_of(small, repeat=3), 0.0), best_of(call, repeat=3)


def products(torch, rng, sizes, make, dense, scale):
    """For each (D, E, N): keops-mlir's `make(D, E)` of NumPy arrays (N, D),
    (N, D), (N, E) (the first two divided by scale(D)) against `dense` of
    the same torch tensors, checked on 256 rows against dense in float64."""
    print(f"  {'D':>5} {'E':>4} {'N=M':>6}  {'keops-mlir':>10} {'torch':>9} {'x torch':>8}"
          f"  {'GFLOP/s':>7}  compile")
    for d, e, n in sizes:
        f = make(d, e)
        x = (rng.standard_normal((n, d)) / scale(d)).astype(np.float32)
        y = (rng.standard_normal((n, d)) / scale(d)).astype(np.float32)
        b = rng.standard_normal((n, e)).astype(np.float32)
        compile_s, t_ours = first_call_and_run(lambda: f(x[:8], y[:8], b[:8]),
                                               lambda: f(x, y, b))
        X, Y, B = map(torch.from_numpy, (x, y, b))
        t_torch = best_of(lambda: dense(X, Y, B), repeat=2)
        ref = dense(X[:256].double(), Y.double(), B.double()).numpy()
        err = np.abs(f(x[:256], y, b) - ref).max() / np.abs(ref).max()
        assert err < 1e-3, f"D={d}, E={e}: relative error {err:.1e}"
        flops = 2.0 * n * n * (d + e)
        print(f"  {d:>5} {e:>4} {n:>6}  {t_ours:9.3f}s {t_torch:8.3f}s {t_torch / t_ours:8.2f}"
              f"  {flops / t_ours / 1e9:7.1f}  {compile_s:.2f} s")


def gaussian(d, e):
    return Genred("Exp(-SqDist(x, y)) * b", [f"x = Vi({d})", f"y = Vj({d})", f"b = Vj({e})"],
                  axis=1)


def attention(d, e):
    return Genred("(q|k)", [f"q = Vi({d})", f"k = Vj({d})", f"v = Vj({e})"],
                  reduction_op="SumSoftMaxWeight", axis=1, formula2="v")


def gradient(torch, sizes):
    from keops.torch import Genred as TorchGenred
    print(f"  {'D':>5} {'N=M':>6}  {'keops-mlir':>10} {'torch':>9} {'x torch':>8}  compile")
    for d, n in sizes:
        f = TorchGenred("Exp(-SqDist(x, y)) * b", [f"x = Vi({d})", f"y = Vj({d})", "b = Vj(1)"],
                        reduction_op="Sum", axis=1)
        x = torch.randn(n, d) / d ** 0.5
        y = torch.randn(n, d) / d ** 0.5
        b = torch.randn(n, 1)

        def ours(rows=n):
            xg = x[:rows].clone().requires_grad_()
            (g,) = torch.autograd.grad(f(xg, y[:rows], b[:rows]).sum(), xg)
            return g

        def dense():
            xg = x.clone().requires_grad_()
            for s in range(0, n, 2048):
                (torch.exp(-torch.cdist(xg[s:s + 2048], y) ** 2) @ b).sum().backward()
            return xg.grad

        compile_s, t_ours = first_call_and_run(lambda: ours(8), ours)
        t_dense = best_of(dense, repeat=2)
        err = ((ours() - dense()).abs().max() / dense().abs().max()).item()
        assert err < 1e-3, f"D={d}: relative error {err:.1e}"
        print(f"  {d:>5} {n:>6}  {t_ours:9.3f}s {t_dense:8.3f}s {t_dense / t_ours:8.2f}"
              f"  {compile_s:.2f} s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke test")
    parser.add_argument("--threads", type=int, nargs="+", default=[1])
    args = parser.parse_args()
    import torch
    rng = np.random.default_rng(0)
    if args.quick:
        fwd = [(3, 16, 2000), (64, 64, 2000)]
        grad = [(64, 1000), (256, 500)]
        attn = [(64, 64, 2000)]
    else:
        fwd = [(3, 16, 10000), (3, 64, 10000), (3, 256, 5000), (64, 16, 10000),
               (64, 64, 10000), (256, 64, 10000), (256, 256, 5000), (1024, 64, 4000)]
        grad = [(64, 10000), (256, 5000), (1024, 2000)]
        attn = [(16, 16, 10000), (64, 64, 10000), (64, 256, 5000), (128, 128, 5000)]
    print(f"{machine()}; float32\n")
    for threads in args.threads:
        set_num_threads(threads)
        torch.set_num_threads(threads)
        plural = "s" if threads > 1 else ""
        print(f"Gaussian kernel times E right-hand sides, {threads} thread{plural}")
        products(torch, rng, fwd, gaussian, torch_gaussian, lambda d: d ** 0.5)
        print(f"\nGradient of the Gaussian sum wrt x (forward and backward), "
              f"{threads} thread{plural}")
        gradient(torch, grad)
        print(f"\nAttention softmax_j(<q_i, k_j>) v_j, {threads} thread{plural}")
        products(torch, rng, attn, attention, torch_attention, lambda d: d ** 0.25)
        print()


if __name__ == "__main__":
    main()
