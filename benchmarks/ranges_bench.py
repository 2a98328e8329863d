"""Block-sparse benchmark: a Gaussian kernel sum restricted by ranges to 10 %
of its blocks of pairs, against the same reduction without ranges, in one
process.

    .venv/bin/python benchmarks/ranges_bench.py [--n 1000000] [--keep 0.1]
        [--threads 2] [--quick]

fp32, D = 3, M = N = n points in the unit cube, clustered in cells of side
0.1 (1,000 clusters) by keops.numpy.cluster; a random mask keeps the given
fraction of the cluster pairs (from_matrix). Reports both times for each
thread count of --threads (the dense reduction at n = 1e6 takes minutes),
the speed-up and the fraction of pairs actually kept (the ideal speed-up is
its inverse).
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import machine  # noqa: E402

import keops  # noqa: E402
from keops.numpy import LazyTensor  # noqa: E402
from keops.numpy.cluster import (cluster_ranges_centroids, from_matrix,  # noqa: E402
                                 grid_cluster, sort_clusters)


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--keep", type=float, default=0.1)
    parser.add_argument("--threads", default="2", help="thread counts, e.g. 1,2")
    parser.add_argument("--quick", action="store_true", help="n = 100,000")
    args = parser.parse_args()
    n = 100_000 if args.quick else args.n
    rng = np.random.default_rng(0)
    x = rng.random((n, 3), dtype=np.float32)
    y = rng.random((n, 3), dtype=np.float32)
    b = rng.standard_normal((n, 1)).astype(np.float32)
    xl, yl = grid_cluster(x, 0.1), grid_cluster(y, 0.1)
    xr, _, _ = cluster_ranges_centroids(x, xl)
    yr, _, _ = cluster_ranges_centroids(y, yl)
    x, _ = sort_clusters(x, xl)
    (y, b), _ = sort_clusters((y, b), yl)
    keep = rng.random((len(xr), len(yr))) < args.keep
    ranges = from_matrix(xr, yr, keep)
    kept = float((xr[:, 1] - xr[:, 0]) @ keep @ (yr[:, 1] - yr[:, 0])) / n ** 2

    K = (-((LazyTensor(x[:, None, :]) - LazyTensor(y[None, :, :])) ** 2).sum(-1) * 50).exp()
    small = (-((LazyTensor(x[:8, None, :]) - LazyTensor(y[None, :8, :])) ** 2).sum(-1)
             * 50).exp()
    one = (np.array([[0, 8]]), np.array([1]), np.array([[0, 8]])) * 2
    small.sum(axis=1), small.sum(axis=1, ranges=one)        # compile (not timed)
    print(f"# {machine()}")
    print(f"# Gaussian kernel sum, fp32, D = 3, M = N = {n:,}, {len(xr)} x {len(yr)} "
          f"clusters, {keep.mean() * 100:.1f} % of the blocks kept "
          f"({kept * 100:.2f} % of the pairs)")
    print("| threads | dense | ranges | speed-up | ideal (1 / pairs kept) |")
    print("| --- | --- | --- | --- | --- |")
    for threads in (int(t) for t in args.threads.split(",")):
        keops.set_num_threads(threads)
        # The best of 3 block-sparse runs; one dense run (minutes at 1e6).
        t_sparse, a_sparse = min((timed(lambda: (K * LazyTensor(b[None])).sum(
            axis=1, ranges=ranges)) for _ in range(3)), key=lambda r: r[0])
        t_dense, a_dense = timed(lambda: (K * LazyTensor(b[None])).sum(axis=1))
        print(f"| {threads} | {t_dense:.2f} s | {t_sparse:.3f} s | "
              f"{t_dense / t_sparse:.1f}x | {1 / kept:.1f}x |", flush=True)
    keops.set_num_threads(0)
    # The dense sum restricted to the kept blocks, on a few rows, as a check.
    rows = np.arange(0, n, max(1, n // 200))
    mask = np.repeat(np.repeat(keep, xr[:, 1] - xr[:, 0], 0), yr[:, 1] - yr[:, 0], 1)[rows] \
        if n <= 200_000 else None
    if mask is not None:
        d = np.exp(-((x[rows, None, :] - y[None, :, :]) ** 2).sum(-1) * 50)
        want = (d * mask) @ b
        print(f"# max difference to NumPy on {len(rows)} rows: "
              f"{np.abs(a_sparse[rows] - want).max() / np.abs(want).max():.1e}")


if __name__ == "__main__":
    main()
