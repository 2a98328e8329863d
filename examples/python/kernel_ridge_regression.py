"""Kernel ridge regression (kernel interpolation) with LazyTensor.solve,
written as with pykeops (only the import changed): solve (alpha Id + K_xx) a = b
by conjugate gradient, K_xx never stored.

    .venv/bin/python examples/python/kernel_ridge_regression.py [N]
"""

import sys
import time

import torch

from keops.torch import LazyTensor  # pykeops: from pykeops.torch import LazyTensor

N = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000
D = 1
torch.manual_seed(0)
x = torch.rand(N, D, dtype=torch.float64)
b = x + 0.5 * (6 * x).sin() + 0.1 * (20 * x).sin() + 0.05 * torch.randn(N, 1, dtype=torch.float64)


def gaussian_kernel(x, y, sigma=0.1):
    x_i = LazyTensor(x[:, None, :])  # (M, 1, D)
    y_j = LazyTensor(y[None, :, :])  # (1, N, D)
    D_ij = ((x_i - y_j) ** 2).sum(-1)  # (M, N) symbolic squared distances
    return (-D_ij / (2 * sigma**2)).exp()  # (M, N) symbolic Gaussian kernel matrix


alpha = 1.0  # ridge regularization
start = time.perf_counter()
K_xx = gaussian_kernel(x, x)
a = K_xx.solve(b, alpha=alpha)
elapsed = time.perf_counter() - start
print(f"kernel ridge regression on {N} points: {elapsed * 1e3:.1f} ms")

# Predictions on a grid
t = torch.linspace(0, 1, 101, dtype=torch.float64)[:, None]
prediction = gaussian_kernel(t, x) @ a
print(f"prediction at t = 0.5: {prediction[50].item():.3f}")

# (alpha Id + K) a = b holds
residual = ((alpha * a + K_xx @ a - b).norm() / b.norm()).item()
print(f"relative residual: {residual:.1e}")
assert residual < 1e-5
if N <= 2000:  # against a dense solve
    K = torch.exp(-((x - x.T) ** 2) / (2 * 0.1**2))
    dense = torch.linalg.solve(K + alpha * torch.eye(N, dtype=torch.float64), b)
    assert torch.allclose(a, dense, rtol=1e-4, atol=1e-6)
