"""pykeops.numpy.utils: the dense NumPy kernels that pykeops' test suite
(and some user code) compares with. x, y are (M, D) and (N, D) arrays; s the
kernel's scale."""

import numpy as np


def squared_distances(x, y):
    """|x_i - y_j|^2, (M, N), by the expansion |x|^2 + |y|^2 - 2 <x, y>."""
    return (x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2.0 * (x @ y.T)


def differences(x, y):
    """x_i - y_j with the coordinate first: (D, M, N)."""
    return x.T[:, :, None] - y.T[:, None, :]


def _kernel_of(name, r2, s):
    u = r2 / (s * s)
    return {"gaussian": lambda: np.exp(-u),
            "laplacian": lambda: np.exp(-np.sqrt(r2) / s),
            "cauchy": lambda: 1.0 / (1.0 + u),
            "inverse_multiquadric": lambda: 1.0 / np.sqrt(1.0 + u)}[name]()


def np_kernel(x, y, s, kernel):
    """k(x_i, y_j) for kernel "gaussian", "laplacian", "cauchy" or
    "inverse_multiquadric"."""
    return _kernel_of(kernel, squared_distances(x, y), s)


def log_np_kernel(x, y, s, kernel):
    """log k(x_i, y_j)."""
    r2 = squared_distances(x, y)
    u = r2 / (s * s)
    return {"gaussian": lambda: -u, "laplacian": lambda: -np.sqrt(r2) / s,
            "cauchy": lambda: -np.log1p(u),
            "inverse_multiquadric": lambda: -0.5 * np.log1p(u)}[kernel]()


def grad_np_kernel(x, y, s, kernel):
    """The derivative of k with respect to |x_i - y_j|^2."""
    r2 = squared_distances(x, y)
    u = r2 / (s * s)
    if kernel == "gaussian":
        return -np.exp(-u) / (s * s)
    if kernel == "laplacian":
        r = np.sqrt(u)
        return -np.exp(-r) / (2 * s * s * r)
    if kernel == "cauchy":
        return -1.0 / (s * (1.0 + u)) ** 2
    if kernel == "inverse_multiquadric":
        return -0.5 / (s * s * (1.0 + u) ** 1.5)
    raise ValueError(f"unknown kernel {kernel!r}")


def np_kernel_sphere(nalpha, nbeta, s, kernel):
    """Kernels on unit vectors: "binet", "linear", "gaussian_unoriented",
    "gaussian_oriented"."""
    p = nalpha @ nbeta.T
    return {"binet": lambda: p * p, "linear": lambda: p,
            "gaussian_unoriented": lambda: np.exp(2.0 * (p * p - 1.0) / (s * s)),
            "gaussian_oriented": lambda: np.exp(2.0 * (p - 1.0) / (s * s))}[kernel]()


def chain_rules(q, ax, by, Aa, p):
    """sum_j q_i . (2 (x_i - y_j)_k A_ij) p_j for each coordinate k: the
    gradient with respect to x of a Gaussian kernel product, (M, D)."""
    res = np.zeros(ax.shape, dtype=np.float32)
    for k in range(ax.shape[1]):
        d = ax[:, k][:, None] - by[:, k][None, :]
        res[:, k] = (q * ((2 * d * Aa) @ p)).sum(1)
    return res


def log_sum_exp(mat, axis=0):
    """log sum exp(mat) along `axis`, shifted by the maximum."""
    m = mat.max(axis=axis)
    return m + np.log(np.exp(mat - np.expand_dims(m, axis)).sum(axis=axis))
