"""K-means clustering, written as with pykeops (only the import changed).

    .venv/bin/python examples/python/kmeans.py [N]
"""

import sys
import time

import torch

from keops.torch import LazyTensor  # pykeops: from pykeops.torch import LazyTensor


def KMeans(x, K=10, Niter=10, verbose=True):
    """Implements Lloyd's algorithm for the Euclidean metric."""
    start = time.perf_counter()
    N, D = x.shape  # Number of samples, dimension of the ambient space

    c = x[:K, :].clone()  # Simplistic initialization for the centroids

    x_i = LazyTensor(x.view(N, 1, D))  # (N, 1, D) samples
    c_j = LazyTensor(c.view(1, K, D))  # (1, K, D) centroids

    # K-means loop:
    # - x  is the (N, D) point cloud,
    # - cl is the (N,) vector of class labels
    # - c  is the (K, D) cloud of cluster centroids
    for i in range(Niter):
        # E step: assign points to the closest cluster -------------------------
        D_ij = ((x_i - c_j) ** 2).sum(-1)  # (N, K) symbolic squared distances
        cl = D_ij.argmin(dim=1).long().view(-1)  # Points -> Nearest cluster

        # M step: update the centroids to the normalized cluster average: ------
        # Compute the sum of points per cluster:
        c.zero_()
        c.scatter_add_(0, cl[:, None].repeat(1, D), x)

        # Divide by the number of points per cluster:
        Ncl = torch.bincount(cl, minlength=K).type_as(c).view(K, 1)
        c /= Ncl  # in-place division to compute the average

    if verbose:
        elapsed = time.perf_counter() - start
        print(f"K-means for the Euclidean metric with {N:,} points in dimension {D:,}, K = {K:,}:")
        print(f"Timing for {Niter} iterations: {elapsed:.5f}s = {Niter} x {elapsed / Niter:.5f}s\n")

    return cl, c


def dense_kmeans(x, K=10, Niter=10):
    """The same iterations with a dense distance matrix (the reference)."""
    N, D = x.shape
    c = x[:K, :].clone()
    for i in range(Niter):
        cl = ((x[:, None, :] - c[None, :, :]) ** 2).sum(-1).argmin(dim=1)
        c.zero_()
        c.scatter_add_(0, cl[:, None].repeat(1, D), x)
        c /= torch.bincount(cl, minlength=K).type_as(c).view(K, 1)
    return cl, c


if __name__ == "__main__":
    N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    D, K = 2, 50
    torch.manual_seed(0)
    x = 0.7 * torch.randn(N, D) + 0.3
    cl, c = KMeans(x, K)
    if N <= 20_000:
        cl_ref, c_ref = dense_kmeans(x, K)
        agreement = (cl == cl_ref).float().mean().item()
        print(f"labels equal to the dense computation's: {agreement * 100:.2f}%")
        assert agreement > 0.99 and torch.allclose(c, c_ref, atol=1e-4)
