"""Long feature axes on the CPU: Gram tiles against the untiled lowering,
chunked dense torch and faiss, in one process.

    .venv/bin/python benchmarks/long_vector_bench.py [--quick] [--threads 1 2]

Gaussian kernel sum exp(-|x_i - y_j|^2) b_j, float32, for several D (E = 1
and E = 64 right-hand sides), and argKmin K = 10 at D = 128 (kNN on
embeddings). Torch evaluates cdist + exp + mm in chunks of 2,048 rows on the
same threads. Prints times, pairs/s and ratios (> 1: keops-mlir faster).
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import best_of, machine  # noqa: E402

# A fresh compile cache: the first call's time includes the compilation.
os.environ.setdefault("KEOPS_CACHE_DIR", tempfile.mkdtemp(prefix="keops-bench-"))

from keops import Genred  # noqa: E402
from keops._runtime import set_num_threads  # noqa: E402


def gaussian(d, e, **options):
    return Genred("Exp(-SqDist(x, y)) * b", [f"x = Vi({d})", f"y = Vj({d})", f"b = Vj({e})"],
                  axis=1, **options)


def torch_gaussian(torch, x, y, b, chunk=2048):
    out = torch.empty(x.shape[0], b.shape[1])
    for s in range(0, x.shape[0], chunk):
        out[s:s + chunk] = torch.exp(-torch.cdist(x[s:s + chunk], y) ** 2) @ b
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke test")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--only", choices=["sum", "grad", "knn"], nargs="+",
                        default=["sum", "grad", "knn"], help="sections to run")
    args = parser.parse_args()
    import torch
    sizes = ([(64, 4000), (256, 2000)] if args.quick else
             [(3, 20000), (64, 20000), (128, 20000), (256, 20000), (512, 10000), (1024, 10000)])
    print(f"{machine()}; float32\n")
    rng = np.random.default_rng(0)
    for threads in args.threads if "sum" in args.only else []:
        set_num_threads(threads)
        torch.set_num_threads(threads)
        print(f"Gaussian kernel sum, {threads} thread{'s' if threads > 1 else ''}")
        print(f"  {'D':>5} {'E':>3} {'N=M':>6}  {'tiles':>10} {'untiled':>10} {'torch':>10}"
              f"  {'pairs/s':>9}  {'x untiled':>9} {'x torch':>8}  compile (first call)")
        for d, n in sizes:
            for e in (1, 64):
                x = (rng.standard_normal((n, d)) / np.sqrt(d)).astype(np.float32)
                y = (rng.standard_normal((n, d)) / np.sqrt(d)).astype(np.float32)
                b = rng.standard_normal((n, e)).astype(np.float32)
                tiled, untiled = gaussian(d, e), gaussian(d, e, gram_min_dim=0)
                t0 = time.perf_counter()
                got = tiled(x, y, b)
                first = time.perf_counter() - t0
                t_tiled = best_of(lambda: tiled(x, y, b), repeat=2)
                compile_s = max(first - t_tiled, 0.0)
                # The untiled kernel is slow at large D: timed on fewer rows.
                rows = n if d <= 64 else max(n // 8, 512)
                t_untiled = best_of(lambda: untiled(x[:rows], y, b), repeat=1) * n / rows
                X, Y, B = map(torch.from_numpy, (x, y, b))
                t_torch = best_of(lambda: torch_gaussian(torch, X, Y, B), repeat=1)
                ref = torch_gaussian(torch, X[:256].double(), Y.double(), B.double()).numpy()
                err = np.abs(got[:256] - ref).max() / np.abs(ref).max()
                assert err < 1e-3, f"D={d}: relative error {err:.1e}"
                print(f"  {d:>5} {e:>3} {n:>6}  {t_tiled:9.3f}s {t_untiled:9.3f}s {t_torch:9.3f}s"
                      f"  {n * n / t_tiled:9.2e}  {t_untiled / t_tiled:9.2f} {t_torch / t_tiled:8.2f}"
                      f"  {compile_s:.2f} s")
        print()

    if "grad" in args.only:
        gradients(torch, args)
    if "knn" in args.only:
        knn(rng, args)


def gradients(torch, args):
    print("Gradient of the Gaussian sum wrt x (forward and backward), torch autograd")
    from keops.torch import LazyTensor
    for threads in args.threads:
        set_num_threads(threads)
        torch.set_num_threads(threads)
        for d, n in ([(64, 2000), (256, 2000)] if args.quick else [(64, 10000), (256, 10000)]):
            x = torch.randn(n, d) / d ** 0.5
            y = torch.randn(n, d) / d ** 0.5
            b = torch.randn(n, 1)

            def ours():
                xg = x.clone().requires_grad_()
                k = (-((LazyTensor(xg[:, None]) - LazyTensor(y[None])) ** 2).sum(-1)).exp()
                (k @ b).sum().backward()
                return xg.grad

            def dense():
                xg = x.clone().requires_grad_()
                for s in range(0, n, 2048):
                    (torch.exp(-torch.cdist(xg[s:s + 2048], y) ** 2) @ b).sum().backward()
                return xg.grad

            t_ours, t_dense = best_of(ours, repeat=2), best_of(dense, repeat=2)
            err = ((ours() - dense()).abs().max() / dense().abs().max()).item()
            print(f"  {threads} thread{'s' if threads > 1 else ''}, D = {d}, N = M = {n}: "
                  f"keops-mlir {t_ours:.3f} s, torch {t_dense:.3f} s (x{t_dense / t_ours:.2f}); "
                  f"difference {err:.1e}")
    print()


def knn(rng, args):
    print("argKmin K = 10, D = 128 (kNN on embeddings)")
    n = 4000 if args.quick else 20000
    x = rng.standard_normal((n, 128)).astype(np.float32)
    y = rng.standard_normal((n, 128)).astype(np.float32)
    knn = Genred("SqDist(x, y)", ["x = Vi(128)", "y = Vj(128)"], reduction_op="ArgKMin",
                 axis=1, opt_arg=10)
    idx = knn(x, y)
    try:
        import faiss
    except ImportError:
        faiss = None
    for threads in args.threads:
        set_num_threads(threads)
        t = best_of(lambda: knn(x, y), repeat=1)
        line = f"  {threads} thread{'s' if threads > 1 else ''}: keops-mlir {t:.3f} s"
        if faiss is not None:
            faiss.omp_set_num_threads(threads)
            index = faiss.IndexFlatL2(128)
            index.add(y)
            tf = best_of(lambda: index.search(x, 10), repeat=1)
            _, fidx = index.search(x, 10)
            line += f", faiss IndexFlatL2 {tf:.3f} s (x{tf / t:.2f}); same neighbours: " \
                    f"{(np.sort(fidx, 1) == np.sort(idx, 1)).mean() * 100:.2f}%"
        print(line)


if __name__ == "__main__":
    main()
