"""The GPU benchmark: keops-mlir's GPU backend against dense torch on the
same device, in one process.

- The Gaussian kernel sum sum_j exp(-|x_i - y_j|^2) b_j, fp32, D = 3, at
  N = M = 1e4, 1e5, 1e6: seconds and pairs per second; torch's dense
  version where it fits in memory (else "OOM").
- logsumexp_j -|x_i - y_j|^2 at the same sizes, as a ratio to the sum.
- argKmin, K = 10, of 1e4 queries against 1e6 points: queries per second.
- the gradient of the Gaussian sum with respect to x (torch autograd), at
  N = M = 1e5: seconds and pairs per second.
- pykeops on the same device and the same sums, where it can compile there
  (it needs the CUDA toolkit's headers; else the line says why not).
- long vectors, D = 64, 128, 256 at N = M = 1e5: the Gaussian sum exact
  (CUDA cores) and with tensor_cores="tf32", against torch's dense TF32
  evaluation (cdist through matmul, exp, matmul) where it fits.

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


def gaussian_data(n, dev, g):
    """x_i, y_j (D = 3) and b_j of the Gaussian sum, uniform in [0, 1)."""
    return (torch.rand(n, 3, device=dev, generator=g), torch.rand(n, 3, device=dev, generator=g),
            torch.rand(n, 1, device=dev, generator=g))


def gaussian_sum(x, y, b):
    return ((-Vi(x).sqdist(Vj(y))).exp() * Vj(b)).sum(axis=1)


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
    ours = {}  # N = M -> (seconds of the Gaussian sum, its data, repetitions)
    for n in sizes:
        x, y, b = gaussian_data(n, dev, g)
        reps = 3 if n >= 10 ** 6 else 10
        t_sum = best_time(lambda: gaussian_sum(x, y, b), reps)
        ours[n] = (t_sum, (x, y, b), reps)
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
    n = 10 ** 5
    x, y, b = gaussian_data(n, dev, g)
    x.requires_grad_()

    def grad():
        return torch.autograd.grad(gaussian_sum(x, y, b).sum(), x)[0]
    t = best_time(grad, 5)
    print(f"gradient wrt x, N = M = {n}: {t:.4f} s (forward and backward), "
          f"{n * n / t:.2e} pairs/s")
    pykeops_sums(dev, g, ours)
    q, n, k = 10 ** 4, 10 ** 6, 10
    x = torch.rand(q, 3, device=dev, generator=g)
    y = torch.rand(n, 3, device=dev, generator=g)
    t = best_time(lambda: Vi(x).sqdist(Vj(y)).argKmin(k, axis=1), 3)
    print(f"argKmin K={k}, {q} queries x {n} points: {t:.4f} s, {q / t:.3g} queries/s")
    long_vectors(dev, g)


def long_vectors(dev, g, n=10 ** 5):
    """The Gaussian sum of unit-scale D-vectors, exact and on the tensor
    cores, against dense torch with TF32 matmuls."""
    print(f"long vectors, N = M = {n}: Gaussian sum, seconds (pairs/s)")
    print(f"{'D':>5} {'exact f32':>18} {'tf32 mma':>18} {'tf32/exact':>10} {'torch tf32':>11}")
    torch.backends.cuda.matmul.allow_tf32 = True
    for d in (64, 128, 256):
        x = torch.randn(n, d, device=dev, generator=g) / d ** 0.5
        y = torch.randn(n, d, device=dev, generator=g) / d ** 0.5
        b = torch.randn(n, 1, device=dev, generator=g)
        t_exact = best_time(lambda: gaussian_sum(x, y, b), 3)
        t_tc = best_time(lambda: ((-Vi(x).sqdist(Vj(y))).exp() * Vj(b))
                         .sum(axis=1, tensor_cores="tf32"), 3)
        try:
            t_dense = best_time(lambda: torch.cat(
                [torch.exp(-torch.cdist(x[k:k + 8192], y) ** 2) @ b
                 for k in range(0, n, 8192)]), 3)
            dense = f"{t_dense:9.4f} s"
        except torch.OutOfMemoryError:
            dense = "OOM"
        torch.cuda.empty_cache()
        print(f"{d:>5} {t_exact:8.4f} s ({n * n / t_exact:7.1e}) {t_tc:8.4f} s "
              f"({n * n / t_tc:7.1e}) {t_exact / t_tc:9.2f}x {dense:>11}")


def pykeops_sums(dev, g, ours):
    """The Gaussian sums of `ours` through pykeops on the same data and
    device, if it can compile there."""
    try:
        from pykeops.torch import LazyTensor
        z = torch.rand(10, 3, device=dev, generator=g)
        LazyTensor(z[:, None, :]).sqdist(LazyTensor(z[None, :, :])).sum(dim=1)
    except Exception as e:  # a missing toolkit, no nvrtc: say so and go on
        print(f"pykeops: not run on this device ({type(e).__name__}: {str(e)[:120]})")
        return
    for n, (t_ours, (x, y, b), reps) in ours.items():
        t_pk = best_time(lambda: ((-LazyTensor(x[:, None, :]).sqdist(LazyTensor(y[None, :, :])))
                                  .exp() * LazyTensor(b[None, :, :])).sum(dim=1), reps)
        print(f"pykeops Gaussian sum N = M = {n}: {t_pk:.4f} s; keops-mlir {t_ours:.4f} s, "
              f"{t_pk / t_ours:.2f}x faster")


if __name__ == "__main__":
    main()
