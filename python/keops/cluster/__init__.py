"""Clustering helpers for block-sparse reductions, with pykeops' names.

    from keops.numpy.cluster import grid_cluster, cluster_ranges_centroids, ...
    from keops.torch.cluster import grid_cluster, cluster_ranges_centroids, ...

A block-sparse reduction groups the points into clusters stored contiguously
(`grid_cluster`, `sort_clusters`), describes each cluster by a [start, end)
range of rows (`cluster_ranges`) and a centroid (`cluster_centroids`), and
keeps only the pairs of clusters that a cluster-level boolean mask selects
(`from_matrix`), giving pykeops' 6-tuple `ranges` argument. Everything here is
O(M + N + Ci * Cj): nothing of the points' M x N size is ever built.

Each function takes NumPy arrays or torch tensors and answers in the same
framework, on the same device, with the dtypes that pykeops.numpy.cluster or
pykeops.torch.cluster return (docs/python.md lists them). Bad input raises
ValueError or TypeError naming the argument.
"""

import math

from ._backend import ops as _ops
from ._checks import (array as _array, counts as _counts, labels as _labels,
                      nonnegative as _nonnegative, points as _points, ranges as _ranges,
                      vector as _vector)

__all__ = sorted(["grid_cluster", "sort_clusters", "cluster_ranges", "cluster_centroids",
                  "cluster_ranges_centroids", "from_matrix", "swap_axes"])

_PACKED_KEY_LIMIT = 2 ** 62     # voxel grids up to this many cells use one int64 key


def grid_cluster(x, size):
    """Labels the points by the cubic cell ("voxel") of side `size` they fall in.

    x: (M, D) points, any D >= 1. size: a positive scalar or (D,) sides. Cell
    coordinates are floor(x / size) for NumPy arrays and
    floor((x - x.min(0)) / size) for torch tensors, the grids of
    pykeops.numpy and pykeops.torch (a point on a cell boundary goes to the
    upper cell). The non-empty cells are numbered 0..C-1 in lexicographic
    order of their integer coordinates (the first axis most significant):
    pykeops' order wherever its packed keys (2**10 cells per trailing axis,
    D <= 3) do not collide. Returns (M,) labels: int64 (NumPy), int32 (torch).
    """
    fn = "grid_cluster"
    o = _points(x, fn)
    M, D = x.shape
    if D == 0:
        raise ValueError(f"{fn}: x must have at least one coordinate (shape {tuple(x.shape)})")
    if _ops(size) is None and isinstance(size, (int, float)) and not isinstance(size, bool):
        sides = [float(size)]
    else:
        if _ops(size) is o:                    # divide by it as given (dtype promotion)
            size = o.convert(size, x)
        sizes = _vector(size, "size", fn, o, x)
        if sizes.shape[0] not in (1, D) or not (o.is_floating(sizes) or o.is_integer(sizes)):
            raise ValueError(f"{fn}: size must be a scalar or a ({D},) vector of cell sides, "
                             f"got {sizes.shape[0]} {o.dtype(sizes)} values")
        sides = o.to_list(sizes)
        if _ops(size) is None:                 # a list: an array of the sides
            size = sizes
    if not all(s > 0 and s != float("inf") for s in sides):
        raise ValueError(f"{fn}: cell sides must be positive and finite, got {sides}")
    if M == 0:
        return o.cast(o.zeros((0,), x), o.label_dtype)
    if not o.all_finite(x):
        raise ValueError(f"{fn}: x holds NaN or infinite coordinates")
    # One coordinate axis at a time: the temporaries are a few columns, not
    # copies of x (the helpers run on the 1e6-point clouds the reductions
    # take). Key = the cells' coordinates in mixed radix (lexicographic
    # order), while the grid has at most 2**62 cells.
    key, total = None, 1
    for d in range(D):
        side = size if not hasattr(size, "shape") or size.shape[0] == 1 else size[d:d + 1]
        cells = _cell_column(o, x[:, d:d + 1], side, fn)
        span = int(o.amax(cells)) + 1
        total *= span
        if total > _PACKED_KEY_LIMIT:
            key = None
            break
        if key is None:
            key = cells
        else:
            key *= span
            key += cells
        del cells
    if key is None:
        cells = o.to_int64(o.voxels(x, size))
        cells -= o.amin(cells, axis=0)
        return o.cast(o.unique_inverse(cells, rows=True), o.label_dtype)
    # Keys in a range not much larger than the points: ranked through a
    # table of the range instead of a sort.
    inverse = (o.dense_inverse(key, total) if total <= 4 * M + 4096
               else o.unique_inverse(key))
    return o.cast(inverse, o.label_dtype)


def _cell_column(o, column, side, fn):
    """The integer cell coordinates (M,) of an (M, 1) column of points,
    shifted to start at 0 (the same order)."""
    cells = o.voxels(column, side)
    bounds = [float(o.amax(cells)), float(o.amin(cells))]
    if not all(math.isfinite(v) and abs(v) < _PACKED_KEY_LIMIT for v in bounds):
        raise ValueError(f"{fn}: size is too small for the extent of x "
                         "(cell coordinates overflow int64)")
    cells = o.to_int64(cells).reshape(-1)
    cells -= int(bounds[1])
    return cells


def sort_clusters(x, lab):
    """Sorts points by label, so that each cluster is contiguous.

    x: an (M, ...) array, or a tuple or list of them; lab: M integer labels
    (any shape, flattened). The sort is stable: a cluster keeps its points
    in their original order. Returns (x sorted, of the type of x; lab sorted,
    1-D, in lab's dtype).
    """
    fn = "sort_clusters"
    o = _array(lab, "lab", fn)
    flat = lab.reshape(-1)
    _labels(flat, fn, o)
    perm = o.argsort_stable(flat)
    several = isinstance(x, (tuple, list))
    arrays = list(x) if several else [x]
    for k, a in enumerate(arrays):
        what = f"x[{k}]" if several else "x"
        _array(a, what, fn, o)
        if a.ndim == 0 or a.shape[0] != flat.shape[0]:
            raise ValueError(f"{fn}: {what} has shape {tuple(a.shape)} but there are "
                             f"{flat.shape[0]} labels")
    out = [a[perm] for a in arrays]
    x_sorted = type(x)(out) if several else out[0]
    return x_sorted, flat[perm]


def cluster_ranges(lab, Nlab=None):
    """The [start, end) rows of each cluster of points sorted by label.

    lab: (M,) labels in [0, C); Nlab: optional (C,) points per cluster (then
    lab is not read and C = len(Nlab), which may exceed max(lab) + 1).
    Cluster k is rows ranges[k, 0]:ranges[k, 1] after sort_clusters; an empty
    cluster has start == end. Returns (C, 2) int64 (NumPy and torch).
    """
    fn = "cluster_ranges"
    if Nlab is None:
        o, lab = _labels(lab, fn)
        counts = o.bincount(lab, minlength=_nonnegative(lab, o, fn))
    else:
        o = _ops(Nlab) or _array(lab, "lab", fn)
        counts = _counts(Nlab, fn, o, Nlab if _ops(Nlab) else lab)
    return o.pivots(counts)


def cluster_centroids(x, lab, Nlab=None, weights=None, weights_c=None):
    """The (weighted) mean of each cluster's points.

    c[k] = sum_{lab[i] = k} w[i] x[i] / sum_{lab[i] = k} w[i], w = 1 by
    default. Nlab: (C,) points per cluster (the divisor without weights);
    weights: (M,) point weights; weights_c: (C,) their sums per cluster (the
    divisor with weights). C is len(Nlab), else len(weights_c), else
    max(lab) + 1. An empty cluster's centroid is NaN (0 / 0, as pykeops), so
    that a mask built from distances between centroids drops it. Returns
    (C, D) in x's dtype (sums in float64 for NumPy, in the weights' dtype for
    torch, as pykeops).
    """
    fn = "cluster_centroids"
    o = _points(x, fn)
    M, D = x.shape
    o, lab = _labels(lab, fn, o, M)
    needed = _nonnegative(lab, o, fn)
    if Nlab is not None:
        Nlab = _counts(Nlab, fn, o, lab)
    if weights_c is not None:
        weights_c = _vector(weights_c, "weights_c", fn, o, lab,
                            None if Nlab is None else Nlab.shape[0])
    C = Nlab.shape[0] if Nlab is not None else \
        weights_c.shape[0] if weights_c is not None else needed
    if C < needed:
        raise ValueError(f"{fn}: there are labels up to {needed - 1} but only {C} "
                         "clusters in Nlab/weights_c")
    if weights is None:
        denominator = o.bincount(lab, minlength=C) if Nlab is None else Nlab
    else:
        weights = _vector(weights, "weights", fn, o, lab, M)
        if not o.is_floating(weights):
            weights = o.cast(weights, x.dtype)
        denominator = weights_c if weights_c is not None else \
            o.bincount(lab, weights, minlength=C)
    counted = o.is_integer(denominator)        # counts: divided in the sums' dtype
    c = o.zeros((C, D), x)
    with o.ignore_division_warnings():
        for d in range(D):
            values = x[:, d] if weights is None else x[:, d] * weights
            sums = o.bincount(lab, values, minlength=C)
            c[:, d] = sums / (o.cast(denominator, sums.dtype) if counted else denominator)
    return c


def cluster_ranges_centroids(x, lab, weights=None, min_weight=1e-9):
    """Ranges, centroids and total weight of each cluster, in one call.

    x: (M, D) points; lab: (M,) labels in [0, C), C = max(lab) + 1;
    weights: optional (M,) weights, raised to `min_weight` where smaller (so
    that no cluster has a zero total weight). Returns (ranges (C, 2) int64,
    centroids (C, D) as cluster_centroids, weights_c (C,)): weights_c is the
    number of points (float64 for NumPy, float32 for torch, as pykeops) or
    the sum of the clamped weights (NumPy: float64; torch: the weights'
    bincount dtype).
    """
    fn = "cluster_ranges_centroids"
    o = _points(x, fn)
    o, lab = _labels(lab, fn, o, x.shape[0])
    counts = o.bincount(lab, minlength=_nonnegative(lab, o, fn))
    ranges = o.pivots(counts)
    if weights is None:
        return ranges, cluster_centroids(x, lab, counts), o.cast(counts, o.count_dtype)
    weights = _vector(weights, "weights", fn, o, lab, x.shape[0])
    if not o.is_floating(weights):
        weights = o.cast(weights, x.dtype)
    weights = weights * 1                      # a copy: the caller's is not changed
    weights[weights <= min_weight] = min_weight
    weights_c = o.bincount(lab, weights, minlength=counts.shape[0])
    return ranges, cluster_centroids(x, lab, counts, weights, weights_c), weights_c


def from_matrix(ranges_i, ranges_j, keep):
    """pykeops' 6-tuple `ranges` from cluster ranges and a cluster-level mask.

    ranges_i: (Ci, 2) and ranges_j: (Cj, 2) [start, end) rows of the i and j
    clusters; keep: (Ci, Cj) boolean (or 0/1 integer) mask, keep[k, l] saying
    whether i-cluster k interacts with j-cluster l. Returns
    (ranges_i, slices_i, redranges_j, ranges_j, slices_j, redranges_i):
    slices_i (Ci,) int64 = cumulated row counts of keep, so that i-cluster k
    reduces over the j-ranges redranges_j[slices_i[k-1]:slices_i[k]]
    (slices_i[-1] read as 0), those of the l with keep[k, l] in increasing l;
    slices_j, redranges_i likewise from the columns of keep. NumPy: every
    array int64; torch: ranges_i and ranges_j as given, redranges in their
    dtype, slices int64 (pykeops' conventions).
    """
    fn = "from_matrix"
    o = _ranges(ranges_i, "ranges_i", fn)
    _ranges(ranges_j, "ranges_j", fn, o)
    _array(keep, "keep", fn, o)
    shape = (ranges_i.shape[0], ranges_j.shape[0])
    if tuple(keep.shape) != shape:
        raise ValueError(f"{fn}: keep must be a {shape} mask (clusters of i x clusters "
                         f"of j), got shape {tuple(keep.shape)}")
    if not o.is_bool(keep):
        if not o.is_integer(keep):
            raise TypeError(f"{fn}: keep must be a boolean mask, not {o.dtype(keep)}")
        keep = keep != 0
    devices = {o.device(ranges_i), o.device(ranges_j), o.device(keep)}
    if len(devices) > 1:
        raise ValueError(f"{fn}: ranges_i, ranges_j and keep are on different devices "
                         f"({', '.join(sorted(devices))})")
    _, cols = o.nonzero(keep)                  # row-major: for each k, its l's
    _, rows = o.nonzero(keep.T)                # column-major: for each l, its k's
    slices_i = o.cumsum(keep.sum(1))
    slices_j = o.cumsum(keep.sum(0))
    out = o.ranges_out
    return (out(ranges_i), slices_i, out(ranges_j[cols]),
            out(ranges_j), slices_j, out(ranges_i[rows]))


def swap_axes(ranges):
    """The 6-tuple with the roles of i and j exchanged (None stays None): the
    ranges of a reduction over the other axis, as LazyTensor.T needs."""
    if ranges is None:
        return None
    if not isinstance(ranges, (tuple, list)) or len(ranges) != 6:
        raise ValueError("swap_axes: ranges must be None or the 6-tuple (ranges_i, "
                         "slices_i, redranges_j, ranges_j, slices_j, redranges_i)")
    return (*ranges[3:6], *ranges[0:3])
