"""keops.numpy.cluster / keops.torch.cluster (block-sparse helpers) against
loop-based NumPy references written here, and against pykeops' own cluster
functions where pykeops is installed."""

import numpy as np
import pytest

import keops.numpy.cluster as kc

FWS = ["numpy", "torch"]
DTYPES = [np.float32, np.float64]


def fw_of(name):
    """(to-framework converter, label dtype name) for a framework name."""
    if name == "numpy":
        return np.asarray, "int64"
    torch = pytest.importorskip("torch")
    return (lambda a: torch.from_numpy(np.ascontiguousarray(a))), "int32"


def npy(a):
    return a if isinstance(a, np.ndarray) else a.cpu().numpy()


def dtype_name(a):
    return a.dtype.name if isinstance(a, np.ndarray) else str(a.dtype).replace("torch.", "")


# ---------------------------------------------------------------- references
def ref_grid(x, size, fw):
    """Cells floor((x - anchor) / size), anchor 0 (NumPy) or min x (torch),
    numbered in sorted order of their integer coordinate tuples."""
    anchor = x.min(axis=0, keepdims=True) if fw == "torch" else np.zeros((1, 1), x.dtype)
    cells = [tuple(int(v) for v in row) for row in np.floor((x - anchor) / size)]
    number = {c: k for k, c in enumerate(sorted(set(cells)))}
    return np.array([number[c] for c in cells], dtype=np.int64)


def ref_ranges(counts):
    out, start = [], 0
    for n in counts:
        out.append([start, start + n])
        start += n
    return np.array(out, dtype=np.int64).reshape(-1, 2)


def ref_centroids(x, lab, C, w=None):
    w = np.ones(len(x)) if w is None else w.astype(np.float64)
    c = np.full((C, x.shape[1]), np.nan)
    for k in range(C):
        sel = lab == k
        if sel.any():
            c[k] = (w[sel, None] * x[sel]).sum(0) / w[sel].sum()
    return c


def ref_from_matrix(ri, rj, keep):
    red_j = [rj[l] for k in range(len(ri)) for l in range(len(rj)) if keep[k, l]]
    red_i = [ri[k] for l in range(len(rj)) for k in range(len(ri)) if keep[k, l]]
    sl_i = np.cumsum([keep[k].sum() for k in range(len(ri))]).astype(np.int64)
    sl_j = np.cumsum([keep[:, l].sum() for l in range(len(rj))]).astype(np.int64)
    return (ri, sl_i, np.array(red_j, np.int64).reshape(-1, 2),
            rj, sl_j, np.array(red_i, np.int64).reshape(-1, 2))


def points(D, dtype, M=300, seed=0):
    return np.random.default_rng(seed).normal(size=(M, D)).astype(dtype)


# ---------------------------------------------------------------- grid_cluster
@pytest.mark.parametrize("fw", FWS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("D", [1, 2, 3, 4])
@pytest.mark.parametrize("vector", [False, True])
def test_grid_cluster(fw, dtype, D, vector):
    conv, label_dtype = fw_of(fw)
    x = points(D, dtype)
    size = np.linspace(0.3, 0.6, D) if vector else 0.4
    lab = kc.grid_cluster(conv(x), conv(size) if vector else size)
    assert dtype_name(lab) == label_dtype and lab.shape == (len(x),)
    np.testing.assert_array_equal(npy(lab), ref_grid(x, size, fw))


@pytest.mark.parametrize("fw", FWS)
@pytest.mark.parametrize("size", [0.25, 0.1])
def test_grid_cluster_points_on_boundaries(fw, size):
    conv, _ = fw_of(fw)
    x = (np.arange(-8, 9)[:, None] * size * np.ones((1, 2))).astype(np.float32)
    lab = npy(kc.grid_cluster(conv(x), size))
    np.testing.assert_array_equal(lab, ref_grid(x, size, fw))
    if size == 0.25:    # exact multiples: one cell per point, each in its upper cell
        np.testing.assert_array_equal(lab, np.arange(len(x)))


@pytest.mark.parametrize("fw", FWS)
def test_grid_cluster_degenerate(fw):
    conv, label_dtype = fw_of(fw)
    one = kc.grid_cluster(conv(np.full((5, 3), 2.5)), 1.0)
    np.testing.assert_array_equal(npy(one), np.zeros(5))
    empty = kc.grid_cluster(conv(np.zeros((0, 2))), 1.0)
    assert empty.shape == (0,) and dtype_name(empty) == label_dtype
    # spans beyond pykeops' packed 10-bit keys, and beyond one int64 key
    for scale in (3000.0, 1e7):
        x = points(3, np.float64, 50, seed=1) * scale
        np.testing.assert_array_equal(npy(kc.grid_cluster(conv(x), 1.0)), ref_grid(x, 1.0, fw))


# ---------------------------------------------------------------- sorting, ranges
@pytest.mark.parametrize("fw", FWS)
def test_sort_clusters_is_stable(fw):
    conv, _ = fw_of(fw)
    lab = np.random.default_rng(2).integers(0, 5, 40).astype(np.int32)
    x, v = points(2, np.float32, 40), np.arange(40.0)
    perm = np.argsort(lab, kind="stable")
    for xs, container in ((conv(x), None), ((conv(x), conv(v)), tuple), ([conv(x)], list)):
        out, lab_s = kc.sort_clusters(xs, conv(lab[:, None]))
        assert dtype_name(lab_s) == "int32" and lab_s.shape == (40,)
        np.testing.assert_array_equal(npy(lab_s), lab[perm])
        if container is None:
            np.testing.assert_array_equal(npy(out), x[perm])
        else:
            assert type(out) is container
            np.testing.assert_array_equal(npy(out[0]), x[perm])
    np.testing.assert_array_equal(npy(kc.sort_clusters((conv(x), conv(v)), conv(lab))[0][1]),
                                  v[perm])


@pytest.mark.parametrize("fw", FWS)
def test_cluster_ranges(fw):
    conv, _ = fw_of(fw)
    lab = np.array([0, 0, 2, 2, 2, 5])             # clusters 1, 3, 4 are empty
    r = kc.cluster_ranges(conv(lab))
    assert dtype_name(r) == "int64"
    np.testing.assert_array_equal(npy(r), ref_ranges([2, 0, 3, 0, 0, 1]))
    for Nlab in ([2, 0, 3, 0, 0, 1, 0, 0], np.array([2.0, 0, 3, 0, 0, 1, 0, 0])):
        r = npy(kc.cluster_ranges(conv(lab), Nlab=conv(np.asarray(Nlab))))
        np.testing.assert_array_equal(r, ref_ranges([2, 0, 3, 0, 0, 1, 0, 0]))
    assert kc.cluster_ranges(conv(np.zeros(0, np.int64))).shape == (0, 2)


# ---------------------------------------------------------------- centroids
@pytest.mark.parametrize("fw", FWS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("D", [1, 2, 3])
def test_centroids(fw, dtype, D):
    conv, _ = fw_of(fw)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12)
    x = points(D, dtype, 200)
    lab = npy(kc.grid_cluster(x, 0.5)).copy()
    lab[lab == 1] = 0                              # cluster 1 is empty: NaN centroid
    C = lab.max() + 1
    w = np.random.default_rng(3).random(200).astype(dtype)
    c = kc.cluster_centroids(conv(x), conv(lab))
    assert dtype_name(c) == np.dtype(dtype).name and c.shape == (C, D)
    np.testing.assert_allclose(npy(c), ref_centroids(x, lab, C), **tol)
    c = kc.cluster_centroids(conv(x), conv(lab), weights=conv(w))
    np.testing.assert_allclose(npy(c), ref_centroids(x, lab, C, w), **tol)
    c = kc.cluster_centroids(conv(x), conv(lab), Nlab=conv(np.bincount(lab, minlength=C + 2)))
    assert c.shape == (C + 2, D) and np.isnan(npy(c)[C:]).all()
    ranges, c, wc = kc.cluster_ranges_centroids(conv(x), conv(lab))
    np.testing.assert_array_equal(npy(ranges), ref_ranges(np.bincount(lab)))
    np.testing.assert_allclose(npy(c), ref_centroids(x, lab, C), **tol)
    assert dtype_name(wc) == ("float64" if fw == "numpy" else "float32")
    np.testing.assert_array_equal(npy(wc), np.bincount(lab))
    w[:50] = 0
    w_in = conv(w.copy())
    _, c, wc = kc.cluster_ranges_centroids(conv(x), conv(lab), weights=w_in, min_weight=1e-3)
    np.testing.assert_array_equal(npy(w_in), w)    # the caller's weights are not changed
    clamped = np.maximum(w, dtype(1e-3))
    np.testing.assert_allclose(npy(c), ref_centroids(x, lab, C, clamped), **tol)
    np.testing.assert_allclose(npy(wc), np.bincount(lab, clamped), **tol)


# ---------------------------------------------------------------- from_matrix
def block_sparse_sum(ranges, K, b, axis):
    """sum over j (axis 1) or i (axis 0) of K * b, scheduled by a 6-tuple."""
    rx, sl, red = ranges[:3] if axis == 1 else ranges[3:]
    K = K if axis == 1 else K.T
    out = np.zeros(K.shape[0])
    for k in range(len(rx)):
        for s in range((0 if k == 0 else sl[k - 1]), sl[k]):
            for i in range(rx[k][0], rx[k][1]):
                out[i] += (K[i, red[s][0]:red[s][1]] * b[red[s][0]:red[s][1]]).sum()
    return out


@pytest.mark.parametrize("fw", FWS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_from_matrix(fw, seed):
    conv, _ = fw_of(fw)
    rng = np.random.default_rng(seed)
    x, y = points(2, np.float64, 60, seed), points(2, np.float64, 80, seed + 10)
    (x, lx), (y, ly) = (kc.sort_clusters(p, kc.grid_cluster(p, 0.7)) for p in (x, y))
    ri, ci, _ = kc.cluster_ranges_centroids(x, lx)
    rj, cj, _ = kc.cluster_ranges_centroids(y, ly)
    keep = ((ci[:, None] - cj[None]) ** 2).sum(-1) < rng.uniform(0.5, 4)
    riT, rjT = (conv(r.astype(np.int32)) for r in (ri, rj))
    got = kc.from_matrix(riT, rjT, conv(keep))
    for g, r, int32 in zip(got, ref_from_matrix(ri, rj, keep), [1, 0, 1, 1, 0, 1]):
        assert dtype_name(g) == ("int32" if fw == "torch" and int32 else "int64")
        np.testing.assert_array_equal(npy(g), r)
    # the 6-tuple reduces each point over the kept clusters, and only them
    mask = keep[lx][:, ly]
    K = np.exp(-((x[:, None] - y[None]) ** 2).sum(-1))
    ranges = tuple(npy(a) for a in got)
    bj, bi = rng.normal(size=len(y)), rng.normal(size=len(x))
    np.testing.assert_allclose(block_sparse_sum(ranges, K, bj, 1), (K * mask) @ bj)
    np.testing.assert_allclose(block_sparse_sum(ranges, K, bi, 0), (K * mask).T @ bi)
    swapped = kc.swap_axes(got)
    assert all(a is b for a, b in zip(swapped, got[3:] + got[:3]))
    assert kc.swap_axes(None) is None


@pytest.mark.parametrize("fw", FWS)
def test_from_matrix_degenerate(fw):
    conv, _ = fw_of(fw)
    ri, rj = np.array([[0, 2], [2, 5]]), np.array([[0, 1], [1, 3], [3, 6]])
    for keep in (np.zeros((2, 3), bool), np.ones((2, 3), bool), np.eye(2, 3, dtype=np.uint8)):
        got = kc.from_matrix(conv(ri), conv(rj), conv(keep))
        for g, r in zip(got, ref_from_matrix(ri, rj, keep.astype(bool))):
            np.testing.assert_array_equal(npy(g), r)
    got = kc.from_matrix(conv(np.zeros((0, 2), np.int64)), conv(rj), conv(np.zeros((0, 3), bool)))
    assert [tuple(g.shape) for g in got] == [(0, 2), (0,), (0, 2), (3, 2), (3,), (0, 2)]


# ---------------------------------------------------------------- errors
x2 = np.zeros((4, 2))
lab4 = np.array([0, 1, 1, 0])
ERRORS = [
    (lambda: kc.grid_cluster(np.zeros(4), 1.0), ValueError, "2-D"),
    (lambda: kc.grid_cluster(x2.astype(int), 1.0), TypeError, "floating-point"),
    (lambda: kc.grid_cluster(x2, 0.0), ValueError, "positive"),
    (lambda: kc.grid_cluster(x2, [1.0, 1.0, 1.0]), ValueError, r"\(2,\) vector"),
    (lambda: kc.grid_cluster(x2 + np.nan, 1.0), ValueError, "NaN"),
    (lambda: kc.grid_cluster([[0.0]], 1.0), TypeError, "x must be a NumPy array"),
    (lambda: kc.sort_clusters(x2, lab4.astype(float)), TypeError, "integer labels"),
    (lambda: kc.sort_clusters(x2[:3], lab4), ValueError, "3, 2.*4 labels"),
    (lambda: kc.cluster_ranges(np.array([0, -1])), ValueError, ">= 0"),
    (lambda: kc.cluster_ranges(lab4[:, None]), ValueError, "1-D"),
    (lambda: kc.cluster_ranges(lab4, Nlab=np.array([1.5, 2.5])), TypeError, "Nlab"),
    (lambda: kc.cluster_centroids(x2, lab4[:3]), ValueError, "3 labels for 4 points"),
    (lambda: kc.cluster_centroids(x2, lab4, Nlab=np.array([4])), ValueError, "labels up to 1"),
    (lambda: kc.cluster_centroids(x2, lab4, weights=np.ones(3)), ValueError, "weights has 3"),
    (lambda: kc.from_matrix(np.zeros((2, 2), int), np.zeros((3, 2), int), np.ones((3, 2), bool)),
     ValueError, r"keep must be a \(2, 3\) mask"),
    (lambda: kc.from_matrix(np.zeros((2, 3), int), np.zeros((3, 2), int), np.ones((2, 3), bool)),
     ValueError, r"ranges_i must be a \(C, 2\)"),
    (lambda: kc.from_matrix(np.zeros((2, 2)), np.zeros((3, 2), int), np.ones((2, 3), bool)),
     TypeError, "integer indices"),
    (lambda: kc.from_matrix(np.zeros((2, 2), int), np.zeros((3, 2), int), np.ones((2, 3))),
     TypeError, "boolean mask"),
    (lambda: kc.swap_axes((1, 2)), ValueError, "6-tuple"),
]


@pytest.mark.parametrize("call,error,match", ERRORS)
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_mixed_frameworks():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="lab is a torch tensor but the other arguments are NumPy arrays"):
        kc.cluster_centroids(x2, torch.from_numpy(lab4))


# ---------------------------------------------------------------- pykeops
@pytest.mark.parametrize("fw", FWS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("D", [1, 2, 3])
def test_against_pykeops(fw, dtype, D):
    pytest.importorskip("pykeops")
    conv, _ = fw_of(fw)
    if fw == "numpy":
        import pykeops.numpy.cluster as pk
    else:
        import pykeops.torch.cluster as pk
    import keops.torch.cluster as kt
    ours = kc if fw == "numpy" else kt
    rng = np.random.default_rng(D)
    x, w = conv(points(D, dtype, 400, D)), conv(rng.random(400).astype(dtype))
    for size in (0.35, conv(np.linspace(0.2, 0.5, D))):
        lab = ours.grid_cluster(x, size)
        ref = pk.grid_cluster(x, size)
        assert lab.dtype == ref.dtype and (npy(lab) == npy(ref)).all()
        for args in ((x, lab), (x, lab, w)):
            for a, b in zip(ours.cluster_ranges_centroids(*args), pk.cluster_ranges_centroids(*args)):
                assert a.dtype == b.dtype and a.shape == b.shape
                np.testing.assert_array_equal(npy(a), npy(b))
        (xs, ls), (xr, lr) = ours.sort_clusters(x, lab), pk.sort_clusters(x, lab)
        np.testing.assert_array_equal(npy(ls), npy(lr))   # pykeops' sort is not stable:
        for k in range(int(ls.max()) + 1):                # compare each cluster as a set
            sel = npy(ls) == k
            np.testing.assert_array_equal(np.sort(npy(xs)[sel], 0), np.sort(npy(xr)[sel], 0))
        r = ours.cluster_ranges(ls)
        keep = conv(rng.random((len(r), len(r))) < 0.3)
        for a, b in zip(ours.from_matrix(r, r, keep), pk.from_matrix(r, r, keep)):
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(npy(a), npy(b))
