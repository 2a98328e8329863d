"""The GPU benchmark: keops-mlir's GPU backend against dense torch on the
same device, in one process.

- The Gaussian kernel sum sum_j exp(-|x_i - y_j|^2) b_j, fp32, D = 3, at
  N = M = 1e4, 1e5, 1e6: seconds and pairs per second; torch's dense
  version where it fits in memory (else "OOM").
- logsumexp_j -|x_i - y_j|^2 at the same sizes, as a ratio to the sum.
- argKmin, K = 10, of 1e4 queries against 1e6 points: queries per second.

Prints the device and the date; run on a machine with a CUDA GPU:
    python benchmarks/gpu_bench.py [--sizes 1e4,1e5]
"""

import argparse
import datetime
import time

import torch

import keops
from keops import Vi, Vj


def best_time(fn, reps):
    fn()  # compiles (once per process and disk cache), warms up
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t)
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1e4,1e5,1e6")
    args = parser.parse_args()
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    if not torch.cuda.is_available():
        raise SystemExit("gpu_bench.py: no CUDA device visible to torch; nothing to measure")
    dev = torch.device("cuda")
    print(f"device: {torch.cuda.get_device_name(0)}; keops GPU devices: "
          f"{keops.gpu_device_count()}; {datetime.date.today()}")
    g = torch.Generator(device=dev).manual_seed(0)
    print(f"{'N = M':>8} {'keops sum':>11} {'pairs/s':>9} {'torch dense':>12} {'ratio':>7} "
          f"{'logsumexp':>10} {'lse/sum':>8}")
    for n in sizes:
        x = torch.rand(n, 3, device=dev, generator=g)
        y = torch.rand(n, 3, device=dev, generator=g)
        b = torch.rand(n, 1, device=dev, generator=g)
        reps = 3 if n >= 10 ** 6 else 10
        t_sum = best_time(lambda: ((-Vi(x).sqdist(Vj(y))).exp() * Vj(b)).sum(axis=1), reps)
        t_lse = best_time(lambda: (-Vi(x).sqdist(Vj(y))).logsumexp(axis=1), reps)
        try:
            t_dense = best_time(lambda: torch.exp(-torch.cdist(x, y) ** 2) @ b, reps)
            dense = f"{t_dense:10.4f} s"
            ratio = f"{t_dense / t_sum:6.1f}x"
        except torch.OutOfMemoryError:
            dense, ratio = "OOM", "-"
        torch.cuda.empty_cache()
        print(f"{n:>8} {t_sum:9.4f} s {n * n / t_sum:9.2e} {dense:>12} {ratio:>7} "
              f"{t_lse:8.4f} s {t_lse / t_sum:7.2f}x")
    q, n, k = 10 ** 4, 10 ** 6, 10
    x = torch.rand(q, 3, device=dev, generator=g)
    y = torch.rand(n, 3, device=dev, generator=g)
    t = best_time(lambda: Vi(x).sqdist(Vj(y)).argKmin(k, axis=1), 3)
    print(f"argKmin K={k}, {q} queries x {n} points: {t:.4f} s, {q / t:.3g} queries/s")


if __name__ == "__main__":
    main()
