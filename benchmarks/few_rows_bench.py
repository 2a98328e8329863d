"""Few kept rows against many reduced ones on the CPU (a few queries
against millions of points): keops-mlir spreads the reduced axis over the
threads (partial states merged, lib/Runtime/SplitReduced.cpp) against the
same kernels split by rows only (one 64-row chunk a thread: one thread
busy for up to 64 rows), and torch on the same threads, in one run. Below
16 rows (8 for the K-list) the kernels put reduced indices in the lanes
(KeopsToSCF/ReducedLanes.cpp); "row loop" is the kernel's other loop, on
one thread (the rows padded to 17 or more, which take it: a tile of 32
rows costs the same for 1 row or 32).

    .venv/bin/python benchmarks/few_rows_bench.py [--n 2000000] [--ms 1,16,64] [--threads 2]

float32, D = 3: the Gaussian kernel sum exp(-|x_i - y_j|^2) b_j and the
K = 10 nearest neighbours (argKmin).
"""

import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from common import best_of, machine  # noqa: E402

import keops  # noqa: E402
from keops import Genred, _runtime  # noqa: E402


def torch_sum(x, y, b, chunk=1 << 18):
    out = torch.zeros(x.shape[0], b.shape[1])
    for s in range(0, y.shape[0], chunk):
        out += torch.exp(-torch.cdist(x, y[s:s + chunk]) ** 2) @ b[s:s + chunk]
    return out


def torch_knn(x, y, k, chunk=1 << 18):
    best_d = torch.full((x.shape[0], 0), float("inf"))
    best_i = torch.zeros((x.shape[0], 0), dtype=torch.int64)
    for s in range(0, y.shape[0], chunk):
        d, i = torch.topk(torch.cdist(x, y[s:s + chunk]), k, dim=1, largest=False)
        d, i = torch.cat([best_d, d], 1), torch.cat([best_i, i + s], 1)
        best_d, order = torch.topk(d, k, dim=1, largest=False)
        best_i = torch.gather(i, 1, order)
    return best_i


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2_000_000)
    parser.add_argument("--ms", default="1,16,64")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    keops.set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    n = args.n
    y = rng.standard_normal((n, 3)).astype("float32")
    b = rng.standard_normal((n, 1)).astype("float32")
    print(f"# {machine()}; {args.threads} threads; float32, D = 3, N = {n}")
    print(f"{'reduction':<16} {'M':>4} {'split':>10} {'rows only':>10} {'row loop':>10} "
          f"{'torch':>10} {'rows only / split':>18} {'row loop / rows only':>21} "
          f"{'torch / split':>14}")
    cases = [("Gaussian sum", Genred("Exp(-SqDist(x, y)) * b",
                                     ["x = Vi(3)", "y = Vj(3)", "b = Vj(1)"],
                                     reduction_op="Sum", axis=1), 1, "float32"),
             ("argKmin K = 10", Genred("SqDist(x, y)", ["x = Vi(3)", "y = Vj(3)", "b = Vj(1)"],
                                       reduction_op="ArgKMin", axis=1, opt_arg=10), 10,
              "int64")]
    for name, g, width, out_type in cases:
        # The same kernel without partial states: split by rows only.
        rows_only = _runtime.compile_mlir(g.mlir()).kernels[0]
        for m in map(int, args.ms.split(",")):
            x = rng.standard_normal((m, 3)).astype("float32")
            out = np.empty((m, width), out_type)
            split = best_of(lambda: g(x, y, b))
            rows = best_of(lambda: rows_only.run([x, y, b], [out], m, n))
            padded = np.concatenate([x, np.zeros((max(0, 17 - m), 3), "float32")])
            out_padded = np.empty((len(padded), width), out_type)
            row_loop = best_of(lambda: rows_only.run([padded, y, b], [out_padded],
                                                     len(padded), n))
            tx, ty, tb = map(torch.from_numpy, (x, y, b))
            if width == 1:
                ref = best_of(lambda: torch_sum(tx, ty, tb))
                assert np.allclose(out, g(x, y, b), rtol=1e-4, atol=1e-4)
            else:
                ref = best_of(lambda: torch_knn(tx, ty, 10))
                assert (out == g(x, y, b)).mean() > 0.99
            print(f"{name:<16} {m:>4} {split * 1e3:8.2f}ms {rows * 1e3:8.2f}ms "
                  f"{row_loop * 1e3:8.2f}ms {ref * 1e3:8.2f}ms {rows / split:17.2f}x "
                  f"{row_loop / rows:20.2f}x {ref / split:13.2f}x")


if __name__ == "__main__":
    main()
