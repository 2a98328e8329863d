"""A Gaussian kernel sum, written as with pykeops (only the import changed).

    a_i = sum_j exp(-|x_i - y_j|^2 / (2 s^2)) b_j

    .venv/bin/python examples/python/gaussian_kernel_sum.py [N]
"""

import sys
import time

import torch

from keops.torch import LazyTensor  # pykeops: from pykeops.torch import LazyTensor

M = N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
D, sigma = 3, 0.5

torch.manual_seed(0)
x = torch.randn(M, D)
y = torch.randn(N, D)
b = torch.randn(N, 1)

x_i = LazyTensor(x[:, None, :])  # (M, 1, D): indexed by i
y_j = LazyTensor(y[None, :, :])  # (1, N, D): indexed by j
D_ij = ((x_i - y_j) ** 2).sum(-1)  # (M, N) symbolic squared distances
K_ij = (-D_ij / (2 * sigma**2)).exp()  # (M, N) symbolic Gaussian kernel matrix

start = time.perf_counter()
a_i = K_ij @ b  # (M, 1): sum over j, never storing the M x N matrix
elapsed = time.perf_counter() - start
print(f"Gaussian kernel sum, M = N = {N}: {elapsed * 1e3:.1f} ms (compile included on first run)")

# Same result as the dense computation on a few rows
rows = min(M, 200)
dense = torch.exp(-((x[:rows, None, :] - y[None, :, :]) ** 2).sum(-1) / (2 * sigma**2)) @ b
err = ((a_i[:rows] - dense).abs().max() / dense.abs().max()).item()
print(f"max relative difference to dense torch on {rows} rows: {err:.1e}")
assert err < 1e-4
