"""Gradient benchmark: forward, backward and double backward of the Gaussian
kernel sum on the CPU, in one process, against torch's dense autograd.

    .venv/bin/python benchmarks/grad_bench.py [--n 100000] [--quick]

out_i = sum_j exp(-|x_i - y_j|^2) b_j, fp32, D = 3, N = M = n. One module
holds the forward reduction, its gradient w.r.t. x (keops.reduce_grad, a
reduction over j) and the gradient of that w.r.t. x again (a Hessian-vector
product); each is one kernel, timed on its own. torch's dense autograd (which
stores M x N matrices) runs on a subset of the rows; its throughput is
compared. Then torch.autograd through LazyTensor (whose derivatives are sum
reductions of keops.grad formulas) against those fused kernels.
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import best_of, machine  # noqa: E402

from keops._capi import CompiledModule, get_num_threads, set_num_threads  # noqa: E402

D = 3

MODULE = f"""
func.func @gauss(%x: tensor<?x{D}xf32>, %y: tensor<?x{D}xf32>, %b: tensor<?x1xf32>, %o: tensor<?x1xf32>,
                 %e: tensor<?x1xf32>, %u: tensor<?x{D}xf32>)
    -> (tensor<?x1xf32>, tensor<?x{D}xf32>, tensor<?x{D}xf32>) {{
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x{D}xf32>, %y : j tensor<?x{D}xf32>, %b : j tensor<?x1xf32>)
      outs(%o : tensor<?x1xf32>) {{
  ^bb0(%xi: vector<{D}xf32>, %yj: vector<{D}xf32>, %bj: vector<1xf32>):
    %d = keops.sqdist %xi, %yj : vector<{D}xf32>
    %n = arith.negf %d : vector<1xf32>
    %k = math.exp %n : vector<1xf32>
    %f = arith.mulf %k, %bj : vector<1xf32>
    keops.yield %f : vector<1xf32>
  }} -> tensor<?x1xf32>
  %gx = keops.reduce_grad %r wrt [0], %e : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x{D}xf32>
  %hx = keops.reduce_grad %gx wrt [0], %u : tensor<?x{D}xf32>, tensor<?x{D}xf32> -> tensor<?x{D}xf32>
  return %r, %gx, %hx : tensor<?x1xf32>, tensor<?x{D}xf32>, tensor<?x{D}xf32>
}}
"""


def torch_rates(x, y, b, e, u, rows):
    """Pairs/s of torch's dense forward, backward and double backward."""
    import torch
    xt = torch.tensor(x[:rows], requires_grad=True)
    yt, bt = torch.tensor(y), torch.tensor(b)
    et, ut = torch.tensor(e[:rows]), torch.tensor(u[:rows])

    def forward():
        return (torch.exp(-((xt[:, None, :] - yt[None]) ** 2).sum(-1)) @ bt)

    def backward():
        (g,) = torch.autograd.grad(forward(), xt, et)
        return g

    def double():
        out = forward()
        (g,) = torch.autograd.grad(out, xt, et, create_graph=True)
        (h,) = torch.autograd.grad(g, xt, ut)
        return h

    pairs = rows * y.shape[0]
    with torch.no_grad():
        t_f = best_of(forward)
    t_b, t_d = best_of(backward), best_of(double)
    # backward() and double() include their forward passes.
    return pairs / t_f, pairs / t_b, pairs / t_d


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    args = parser.parse_args()
    n = 20_000 if args.quick else args.n
    print(f"machine: {machine()}")
    print(f"Gaussian kernel sum, N = M = {n}, D = {D}, float32\n")

    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, D)).astype(np.float32)
    y = rng.standard_normal((n, D)).astype(np.float32)
    b = rng.standard_normal((n, 1)).astype(np.float32)
    e = rng.standard_normal((n, 1)).astype(np.float32)
    u = rng.standard_normal((n, D)).astype(np.float32)

    module = CompiledModule(MODULE)
    forward, backward, double = module.kernels  # in the function's order
    assert backward.categories == ["i", "j", "j", "i"], backward.categories
    assert double.categories == ["i", "j", "j", "i", "i"], double.categories
    pairs = n * n
    rows = max(256, n // 100)
    dense = torch_rates(x, y, b, e, u, rows)
    for threads in (1, 2):
        set_num_threads(threads)
        t_f = best_of(lambda: forward(x, y, b))
        t_b = best_of(lambda: backward(x, y, b, e))
        t_d = best_of(lambda: double(x, y, b, e, u))
        print(f"{get_num_threads()} thread(s):")
        for name, t, ref in (("forward", t_f, dense[0]), ("backward (d/dx)", t_b, dense[1]),
                             ("double backward (Hessian-vector)", t_d, dense[2])):
            print(f"  {name:<34} {t * 1e3:9.1f} ms  {pairs / t:9.3e} pairs/s"
                  f"  x{t / t_f:4.2f} forward   torch dense x{pairs / t / ref:6.1f}")
    set_num_threads(0)

    # The same through torch.autograd and LazyTensor: its backward and
    # double backward are sum reductions of keops.grad formulas built in
    # Python (derivatives.gradient_sums), against the compiler's fused
    # keops.reduce_grad kernels above (same threads).
    import torch
    from keops.torch import LazyTensor
    xt = torch.tensor(x, requires_grad=True)
    yt, bt = torch.tensor(y), torch.tensor(b)
    et, ut = torch.tensor(e), torch.tensor(u)

    def lazy_forward():
        K = (-LazyTensor(xt[:, None, :]).sqdist(LazyTensor(yt[None, :, :]))).exp()
        return (K * LazyTensor(bt[None, :, :])).sum(dim=1)

    out = lazy_forward()
    (gx,) = torch.autograd.grad(out, xt, et, create_graph=True)
    torch.autograd.grad(gx, xt, ut, retain_graph=True)  # compiles
    l_f = best_of(lazy_forward)
    l_b = best_of(lambda: torch.autograd.grad(out, xt, et, retain_graph=True))
    l_d = best_of(lambda: torch.autograd.grad(gx, xt, ut, retain_graph=True))
    print(f"\ntorch.autograd through LazyTensor, {get_num_threads()} thread(s):")
    for name, t, fused in (("forward", l_f, t_f), ("backward (d/dx)", l_b, t_b),
                           ("double backward (Hessian-vector)", l_d, t_d)):
        print(f"  {name:<34} {t * 1e3:9.1f} ms  x{t / l_f:4.2f} forward   "
              f"x{t / fused:4.2f} the fused kernel")

    # The compiled gradient against the dense formula, on a few rows.
    rows = 64
    (gx,) = backward(x[:rows], y, b, e[:rows])
    diff = x[:rows, None, :].astype(np.float64) - y[None]
    k = np.exp(-(diff**2).sum(-1)) * b[:, 0]
    want = (-2 * diff * (k * e[:rows])[:, :, None]).sum(1)
    err = np.abs(gx - want).max() / np.abs(want).max()
    print(f"\nbackward vs dense float64 on {rows} rows: max relative error {err:.1e}")


if __name__ == "__main__":
    main()
