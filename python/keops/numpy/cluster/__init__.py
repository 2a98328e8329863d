"""pykeops.numpy.cluster's helpers for block-sparse ranges, on NumPy arrays:

    from keops.numpy.cluster import grid_cluster, sort_clusters, cluster_ranges_centroids, from_matrix

The implementation (keops.cluster) is shared with keops.torch.cluster; on
arrays it follows pykeops.numpy's conventions (grid anchored at the origin,
int64 labels and ranges).
"""

from ...cluster import (cluster_centroids, cluster_ranges, cluster_ranges_centroids,
                        from_matrix, grid_cluster, sort_clusters, swap_axes)

__all__ = sorted(["grid_cluster", "sort_clusters", "cluster_ranges", "cluster_centroids",
                  "cluster_ranges_centroids", "from_matrix", "swap_axes"])
