"""A coarse-to-fine Gaussian kernel sum with block-sparse ranges, written as
with pykeops (only the imports changed).

    a_i = sum_j exp(-|x_i - y_j|^2 / (2 s^2)) b_j

The points are grouped into cubic cells; the pairs of cells too far apart to
hold a pair of points closer than a cut-off (6 standard deviations, where
the kernel is below 2e-8) are left out, and the reduction only visits the
kept blocks of pairs (about 8 % of them). Prints the time
of the dense and of the block-sparse reduction, the fraction of pairs kept
and the error the truncation makes.

    .venv/bin/python examples/python/block_sparse_gaussian.py [N]   # default 1e6
"""

import resource
import sys
import time

import torch

from keops.torch import LazyTensor  # pykeops: from pykeops.torch import LazyTensor
from keops.torch.cluster import (  # pykeops: from pykeops.torch.cluster import ...
    cluster_ranges_centroids, from_matrix, grid_cluster, sort_clusters)

def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


M = N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
D, sigma = 3, 0.02
voxel = 0.1                             # cell side: 1,000 cells in the unit cube
cutoff = 6 * sigma                      # pairs farther apart are dropped: exp(-18)


def gaussian(x, y):
    x_i = LazyTensor(x[:, None, :])      # (M, 1, D): indexed by i
    y_j = LazyTensor(y[None, :, :])      # (1, N, D): indexed by j
    return (-((x_i - y_j) ** 2).sum(-1) / (2 * sigma ** 2)).exp()


# Compile both kernels first (not timed), on 8 points: the memory of the
# runtime and its compiler is then in place.
small = gaussian(torch.rand(8, D), torch.rand(8, D))
small @ torch.rand(8, 1)
small.ranges = (torch.tensor([[0, 8]]), torch.tensor([1]), torch.tensor([[0, 8]])) * 2
small @ torch.rand(8, 1)
runtime_mib = peak_mib()

torch.manual_seed(0)
x = torch.rand(M, D)                    # points in the unit cube
y = torch.rand(N, D)
b = torch.randn(N, 1)
inputs_mib = (x.nbytes + y.nbytes + b.nbytes) / 2 ** 20

# 1. Cluster the points, sort them by cell, one [start, end) range per cell.
x_labels, y_labels = grid_cluster(x, voxel), grid_cluster(y, voxel)
x_ranges, x_centroids, _ = cluster_ranges_centroids(x, x_labels)
y_ranges, y_centroids, _ = cluster_ranges_centroids(y, y_labels)
x, x_labels = sort_clusters(x, x_labels)
(y, b), y_labels = sort_clusters((y, b), y_labels)

# 2. Keep the pairs of cells that hold pairs of points closer than the
# cut-off: cells a, b at integer offsets d are at least
# voxel * |max(|d| - 1, 0)| apart. The only 2-D array is cells x cells.
x_cells = torch.floor(x_centroids / voxel)
y_cells = torch.floor(y_centroids / voxel)
gap = ((x_cells[:, None, :] - y_cells[None, :, :]).abs() - 1).clamp(min=0) * voxel
keep = (gap ** 2).sum(-1) < (cutoff + 1e-3) ** 2      # (1e-3: the grids' origins differ)
ranges = from_matrix(x_ranges, y_ranges, keep)
sizes_x = (x_ranges[:, 1] - x_ranges[:, 0]).double()
sizes_y = (y_ranges[:, 1] - y_ranges[:, 0]).double()
kept = (sizes_x @ keep.double() @ sizes_y).item() / (M * N)

# 3. The same symbolic matrix, reduced densely and block-sparsely.
K_ij = gaussian(x, y)


K_ij.ranges = ranges
start = time.perf_counter()
a_sparse = K_ij @ b
t_sparse = time.perf_counter() - start
print(f"block-sparse Gaussian kernel sum, M = N = {N}: {t_sparse * 1e3:.1f} ms "
      f"({kept * 100:.1f} % of the pairs, {keep.sum().item()} of {keep.numel()} blocks)")

K_ij.ranges = None
start = time.perf_counter()
a_dense = K_ij @ b
t_dense = time.perf_counter() - start
print(f"dense Gaussian kernel sum: {t_dense * 1e3:.1f} ms, "
      f"speed-up of the block-sparse one: {t_dense / t_sparse:.1f}x")

print(f"peak memory: {peak_mib():.0f} MiB; the runtime and its compiler "
      f"{runtime_mib:.0f} MiB, the inputs {inputs_mib:.0f} MiB")
err = ((a_sparse - a_dense).abs().max() / a_dense.abs().max()).item()
print(f"max difference to the dense sum (relative to its largest value): {err:.1e}")
assert err < 1e-5
