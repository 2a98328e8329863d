"""A non-uniform discrete Fourier transform, written as with pykeops (only
the import changed): complex weights c_j at scattered points x_j in the unit
square, evaluated at the integer frequencies nu_k of a square grid,

    f_k = sum_j c_j exp(-2 pi i <nu_k, x_j>)

with N = 100,000 points and M = 100,000 frequencies (316 x 316): 10^10
complex terms, none of them stored. The gradient of a real loss with respect
to the complex weights comes from torch's autograd, as on dense tensors.

    .venv/bin/python examples/python/nudft.py [N]
"""

import math
import sys
import time

import torch

from keops.torch import LazyTensor  # pykeops: from pykeops.torch import LazyTensor

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
side = max(2, int(math.sqrt(N)))
M = side * side

torch.manual_seed(0)
x = torch.rand(N, 2, dtype=torch.float64)                       # points
c = torch.randn(N, dtype=torch.complex128, requires_grad=True)  # weights
grid = torch.arange(side, dtype=torch.float64) - side // 2
nu = torch.stack(torch.meshgrid(grid, grid, indexing="ij"), -1).reshape(M, 2)

nu_k = LazyTensor(nu[:, None, :])           # (M, 1, 2): indexed by k
x_j = LazyTensor(x[None, :, :])             # (1, N, 2): indexed by j
c_j = LazyTensor(c[None, :, None])          # (1, N, 1): complex, indexed by j
phase = -2 * math.pi * (nu_k | x_j)         # (M, N) symbolic real phases
start = time.perf_counter()
f = (c_j * phase.exp1j()).sum(dim=1)        # (M, 1) complex
elapsed = time.perf_counter() - start
print(f"NUDFT of {N} points at {M} frequencies: {elapsed:.2f} s "
      f"(compile included on first run), {f.dtype}, shape {tuple(f.shape)}")

# The gradient of the spectrum's energy with respect to the weights.
(grad,) = torch.autograd.grad(f.abs().pow(2).sum(), [c])

# Same results as the dense computation on a few frequencies
rows = torch.arange(0, M, max(1, M // 200))
with torch.no_grad():
    dense = torch.exp(-2j * math.pi * (nu[rows] @ x.T)) @ c
err = ((f[rows, 0] - dense).abs().max() / dense.abs().max()).item()
print(f"max relative difference to dense torch on {len(rows)} frequencies: {err:.1e}")
assert err < 1e-10
if N <= 20_000:
    cd = c.detach().clone().requires_grad_()
    full = torch.exp(-2j * math.pi * (nu @ x.T)) @ cd
    (want,) = torch.autograd.grad(full.abs().pow(2).sum(), [cd])
    gerr = ((grad - want).abs().max() / want.abs().max()).item()
    print(f"gradient: max relative difference to dense torch: {gerr:.1e}")
    assert gerr < 1e-10
