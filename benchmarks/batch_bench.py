"""Batch benchmark: many small Gaussian kernel sums in one batched reduction
against one large reduction with the same number of pairs, in one process.

    .venv/bin/python benchmarks/batch_bench.py [--batch 256] [--n 1000] [--quick]

fp32, D = 3. A batch of B problems of M = N = n is one keops.reduce with a
batch axis (the kernels split batch elements and rows over the thread pool
together); it is compared, in pairs/s, with one problem of M = N = n sqrt(B)
(the same number of pairs), and with a Python loop calling the unbatched
reduction once per problem, on 1 and 2 threads.
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import best_of, machine  # noqa: E402

import keops  # noqa: E402
from keops.numpy import LazyTensor  # noqa: E402


def gaussian(x, y, b):
    """sum_j exp(-|x_i - y_j|^2) b_j, batched or not by the shapes."""
    return ((-((LazyTensor(x) - LazyTensor(y)) ** 2).sum(-1)).exp() * LazyTensor(b)).sum(axis=-2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="B = 16, n = 500")
    args = parser.parse_args()
    B, n = (16, 500) if args.quick else (args.batch, args.n)
    big = int(round(n * B ** 0.5))
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((B, n, 1, 3), dtype=np.float32)
    ys = rng.standard_normal((B, 1, n, 3), dtype=np.float32)
    bs = rng.standard_normal((B, 1, n, 1), dtype=np.float32)
    xl = rng.standard_normal((big, 1, 3), dtype=np.float32)
    yl = rng.standard_normal((1, big, 3), dtype=np.float32)
    bl = rng.standard_normal((1, big, 1), dtype=np.float32)
    # The batched result against the per-problem reductions.
    got = gaussian(xs, ys, bs)
    want = np.stack([gaussian(xs[k], ys[k], bs[k]) for k in range(B)])
    err = np.abs(got - want).max() / np.abs(want).max()
    print(f"machine: {machine()}")
    print(f"batch of {B} problems of M = N = {n} vs one problem of M = N = {big}, fp32, D = 3"
          f" (max relative difference batched / one by one: {err:.1e})")
    for threads in (1, 2):
        keops.set_num_threads(threads)
        t_batch = best_of(lambda: gaussian(xs, ys, bs))
        t_loop = best_of(lambda: [gaussian(xs[k], ys[k], bs[k]) for k in range(B)])
        t_big = best_of(lambda: gaussian(xl, yl, bl))
        r_batch, r_loop, r_big = B * n * n / t_batch, B * n * n / t_loop, big * big / t_big
        print(f"  {threads} thread(s): batched {r_batch:.3e} pairs/s, one large {r_big:.3e}"
              f" pairs/s (ratio {r_batch / r_big:.2f}); Python loop {r_loop:.3e} pairs/s"
              f" (batched x{r_batch / r_loop:.1f})")
    keops.set_num_threads(0)


if __name__ == "__main__":
    main()
