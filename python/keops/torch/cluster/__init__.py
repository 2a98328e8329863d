"""pykeops.torch.cluster's helpers for block-sparse ranges, on torch tensors:

    from keops.torch.cluster import grid_cluster, sort_clusters, cluster_ranges_centroids, from_matrix

The implementation (keops.cluster) is shared with keops.numpy.cluster; on
tensors it follows pykeops.torch's conventions (grid anchored at the
points' minimum, int32 labels) and keeps the tensors' device.
"""

import torch as _torch  # noqa: F401  (tensors are recognized once torch is imported)

from ...cluster import (cluster_centroids, cluster_ranges, cluster_ranges_centroids,
                        from_matrix, grid_cluster, sort_clusters, swap_axes)

__all__ = sorted(["grid_cluster", "sort_clusters", "cluster_ranges", "cluster_centroids",
                  "cluster_ranges_centroids", "from_matrix", "swap_axes"])
