"""pykeops.torch.utils: the dense torch kernels of pykeops' examples."""

import torch


def squared_distances(x, y):
    """|x_i - y_j|^2, (M, N)."""
    return (x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2.0 * (x @ y.T)


def torch_kernel(x, y, s, kernel):
    """k(x_i, y_j) for "gaussian", "laplacian", "cauchy" or
    "inverse_multiquadric"."""
    r2 = squared_distances(x, y)
    u = r2 / (s * s)
    if kernel == "gaussian":
        return torch.exp(-u)
    if kernel == "laplacian":
        return torch.exp(-torch.sqrt(r2) / s)
    if kernel == "cauchy":
        return 1.0 / (1.0 + u)
    if kernel == "inverse_multiquadric":
        return torch.rsqrt(1.0 + u)
    raise ValueError(f"unknown kernel {kernel!r}")
