"""Strong scaling of keops.distributed.dask on this machine: a Gaussian kernel
sum on 1 and 2 single-threaded Dask workers (a LocalCluster of processes),
against a direct call on one thread, in one run.

    .venv/bin/python benchmarks/dask_scaling.py [--n 200000] [--workers 1 2]

Prints the time of each, the speed-up over one worker, the overhead of the
Dask path on one worker against the direct call, and the partial states'
traffic (the bytes the merges move).
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import machine, timed  # noqa: E402

# Workers inherit the environment: one keops thread each, one compile cache.
os.environ["KEOPS_NUM_THREADS"] = "1"
os.environ.setdefault("KEOPS_CACHE_DIR", tempfile.mkdtemp(prefix="keops-bench-"))

import dask.array as da  # noqa: E402
import distributed  # noqa: E402

from keops import Genred  # noqa: E402
from keops._runtime import set_num_threads  # noqa: E402
from keops.distributed.dask import reduce, state_bytes  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="M = N")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--chunks-per-worker", type=int, default=16,
                        help="row chunks of x per worker (small tasks balance the load)")
    args = parser.parse_args()
    n = args.n
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 3)).astype("float32")
    y = rng.standard_normal((n, 3)).astype("float32")
    b = rng.standard_normal((n, 1)).astype("float32")
    g = Genred("Exp(-SqDist(x, y)) * b", ["x = Vi(3)", "y = Vj(3)", "b = Vj(1)"],
               reduction_op="Sum", axis=1)
    print(f"# {machine()}; Gaussian sum, float32, M = N = {n}, single-threaded workers")

    set_num_threads(1)
    g(x[:1000], y[:1000], b[:1000])        # compiled once
    direct = min(timed(lambda: g(x, y, b)) for _ in range(args.repeat))
    want = g(x, y, b)
    print(f"direct call, 1 thread      {direct:8.3f} s  {n * n / direct:.3e} pairs/s")

    times = {}
    for workers in args.workers:
        # Rows of x in many chunks per worker, y in 2: tasks small enough for
        # the scheduler to balance them, few merges.
        xs = da.from_array(x, chunks=(-(-n // (args.chunks_per_worker * workers)), 3))
        ys = da.from_array(y, chunks=(-(-n // 2), 3))
        bs = da.from_array(b, chunks=(-(-n // 2), 1))
        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                      processes=True, dashboard_address=None,
                                      host="127.0.0.1", silence_logs=50) as cluster, \
                distributed.Client(cluster) as client:
            # Data on the workers first: the measure is the reduction's.
            xs, ys, bs = client.persist([xs, ys, bs])
            distributed.wait([xs, ys, bs])
            out = reduce(g, xs, ys, bs)
            client.compute(reduce(g, xs[:1000], ys[:1000], bs[:1000])).result()  # warm-up
            best = float("inf")
            for _ in range(args.repeat):
                t = time.perf_counter()
                got = client.compute(out).result()
                best = min(best, time.perf_counter() - t)
            err = np.abs(got - want).max() / np.abs(want).max()
            times[workers] = best
        chunks = len(xs.chunks[0]) * len(ys.chunks[0])
        traffic = chunks * state_bytes(g, xs.chunks[0][0])
        print(f"dask, {workers} worker{'s' if workers > 1 else ' '}          {best:8.3f} s  "
              f"{n * n / best:.3e} pairs/s  speed-up vs 1 worker "
              f"{times[args.workers[0]] / best:5.2f}x  (rel. error {err:.1e}, "
              f"states moved {traffic / 1e6:.1f} MB)")
    if 1 in times:
        print(f"overhead of the Dask path on 1 worker vs the direct call: "
              f"{(times[1] / direct - 1) * 100:+.1f}%")


if __name__ == "__main__":
    main()
