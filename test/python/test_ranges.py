"""Block-sparse reductions (pykeops' `ranges`): every reduction kind, over i
and over j, f32 and f64, against a dense NumPy reference from which the
pairs the ranges leave out are removed; rows that no block covers, blocks
without intervals, batches, threads, LazyTensor.ranges, Genred, the
transpose, torch autograd, and every error."""

import numpy as np
import pytest

import keops
from keops.numpy import Genred, LazyTensor
from keops.numpy.cluster import from_matrix

KINDS = ["sum", "min", "max", "argmin", "argmax", "min_argmin", "max_argmax", "kmin",
         "argkmin", "kmin_argkmin", "logsumexp", "sumsoftmaxweight"]
K = 3


def clusters(n, sizes):
    """[start, end) ranges of consecutive clusters of the given sizes."""
    ends = np.cumsum(sizes)
    assert ends[-1] == n
    return np.stack([ends - sizes, ends], 1).astype(np.int64)


def problem(M=37, N=45, seed=0, empty_rows=True):
    """Cluster ranges, a random block mask (with an i-cluster that keeps no
    block and, if `empty_rows`, rows in no cluster), the ranges and the
    (M, N) mask of the pairs they keep."""
    rng = np.random.default_rng(seed)
    ri = clusters(M, np.array([5, 9, 1, 12, 10]))
    rj = clusters(N, np.array([7, 3, 15, 11, 9]))
    keep = rng.random((5, 5)) < 0.45
    keep[2] = False                      # a cluster of rows reducing nothing
    keep[0, 0] = keep[3, 4] = True
    ranges = list(from_matrix(ri, rj, keep))
    if empty_rows:
        # Rows 31..36 and columns 40..44 in no block at all.
        ranges[0] = ranges[0].copy()
        ranges[0][-1, 1] = 31
        ranges[3] = ranges[3].copy()
        ranges[3][-1, 1] = 40
    mask = np.zeros((M, N), bool)
    for k, (a, b) in enumerate(ranges[0]):
        lo = ranges[1][k - 1] if k else 0
        for s in range(lo, ranges[1][k]):
            mask[a:b, ranges[2][s, 0]:ranges[2][s, 1]] = True
    mask_t = np.zeros((N, M), bool)
    for k, (a, b) in enumerate(ranges[3]):
        lo = ranges[4][k - 1] if k else 0
        for s in range(lo, ranges[4][k]):
            mask_t[a:b, ranges[5][s, 0]:ranges[5][s, 1]] = True
    return tuple(ranges), mask, mask_t


def reference(kind, F, W, mask):
    """The reduction over axis 1 of F (rows, cols, D) restricted to `mask`
    (rows, cols), in float64, with the empty reductions' values."""
    rows, _, D = F.shape
    out = []
    for r in range(rows):
        cols = np.nonzero(mask[r])[0]
        f = F[r, cols]
        if kind == "sum":
            out.append((f.sum(0),))
        elif kind in ("min", "argmin", "min_argmin", "max", "argmax", "max_argmax"):
            sign = 1 if "min" in kind else -1
            if len(cols) == 0:
                v, i = np.full(D, sign * np.inf), np.full(D, -1)
            else:
                pos = (sign * f).argmin(0)
                v, i = f[pos, range(D)], cols[pos]
            out.append({"min": (v,), "max": (v,), "argmin": (i,), "argmax": (i,)}.get(
                kind, (v, i)))
        elif kind in ("kmin", "argkmin", "kmin_argkmin"):
            order = np.argsort(f, 0, kind="stable")[:K]
            v = np.full((K, D), np.inf)
            i = np.full((K, D), -1)
            v[:len(order)] = np.take_along_axis(f, order, 0)
            i[:len(order)] = cols[order]
            out.append({"kmin": (v,), "argkmin": (i,)}.get(kind, (v, i)))
        elif kind == "logsumexp":
            out.append((np.array([np.logaddexp.reduce(f[:, 0])]) if len(cols)
                        else np.array([-np.inf]),))
        elif kind == "sumsoftmaxweight":
            w = W[r, cols]
            if len(cols) == 0:
                out.append((np.full(W.shape[-1], np.nan),))
            else:
                p = np.exp(f[:, 0] - f[:, 0].max())
                out.append(((p[:, None] * w).sum(0) / p.sum(),))
    return tuple(np.stack([o[n] for o in out]) for n in range(len(out[0])))


def data(M, N, D, dtype, seed=1):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((M, 1, D)).astype(dtype),
            rng.standard_normal((1, N, D)).astype(dtype),
            rng.standard_normal((1, N, 2)).astype(dtype))


def formula(x, y, scalar):
    X, Y = LazyTensor(x), LazyTensor(y)
    return -((X - Y) ** 2).sum(-1) if scalar else (X - Y) ** 2 * (X + 1.5)


def dense(x, y, scalar):
    x, y = x.astype(np.float64), y.astype(np.float64)
    return -((x - y) ** 2).sum(-1, keepdims=True) if scalar else (x - y) ** 2 * (x + 1.5)


def run(kind, f, axis, w=None, **kw):
    if kind in ("kmin", "argkmin", "kmin_argkmin"):
        name = {"kmin": "Kmin", "argkmin": "argKmin", "kmin_argkmin": "Kmin_argKmin"}[kind]
        return getattr(f, name)(K, axis=axis, **kw)
    if kind == "sumsoftmaxweight":
        return f.sumsoftmaxweight(w, axis=axis, **kw)
    if kind == "logsumexp":
        return f.logsumexp(axis=axis, **kw)
    return getattr(f, kind)(axis=axis, **kw)


def compare(got, want, F, rtol):
    got = got if isinstance(got, tuple) else (got,)
    assert len(got) == len(want)
    for g, r in zip(got, want):
        g = np.asarray(g).reshape(r.shape)
        if np.issubdtype(r.dtype, np.integer):
            # Indices: compared through the values they select (f32 near-ties).
            sel = lambda idx: np.where(idx >= 0, np.take_along_axis(
                F, np.maximum(idx, 0).reshape(len(idx), -1, F.shape[2]), 1).reshape(idx.shape),
                np.nan)
            np.testing.assert_array_equal(g < 0, r < 0)
            np.testing.assert_allclose(sel(g), sel(r), rtol=rtol, atol=rtol)
        else:
            np.testing.assert_allclose(g, r, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_kind_against_masked_dense(kind, axis, dtype):
    scalar = kind in ("logsumexp", "sumsoftmaxweight")
    M, N = 37, 45
    ranges, mask, mask_t = problem(M, N)
    x, y, b = data(M, N, 1 if scalar else 2, dtype)
    f = formula(x, y, scalar)
    F = dense(x, y, scalar)                      # (M, N, D)
    # sumsoftmaxweight's weights: indexed by the reduced axis.
    wv = b if axis == 1 else np.random.default_rng(3).standard_normal((M, 1, 2)).astype(dtype)
    W = np.broadcast_to(wv.astype(np.float64), (M, N, 2))
    if axis == 0:
        F, W, mask = np.swapaxes(F, 0, 1), np.swapaxes(W, 0, 1), mask_t
    got = run(kind, f, axis, LazyTensor(wv), ranges=ranges)
    compare(got, reference(kind, F, W, mask), F, 2e-5 if dtype == "float32" else 1e-12)


def test_masks_are_the_transposes_of_each_other():
    _, mask, mask_t = problem()
    # The test problem's two triples describe the same pairs, except the
    # rows (31..36) and columns (40..44) that each leaves out of its blocks.
    both = mask[:31, :40]
    np.testing.assert_array_equal(both, mask_t.T[:31, :40])
    assert not mask[31:].any() and not mask_t[40:].any()


def test_lazytensor_ranges_attribute_transpose_and_genred():
    ranges, mask, mask_t = problem()
    x, y, _ = data(37, 45, 3, "float64")
    Kf = (-((LazyTensor(x) - LazyTensor(y)) ** 2).sum(-1)).exp()
    Kd = np.exp(-((x - y) ** 2).sum(-1))
    v = np.random.default_rng(5).standard_normal((45, 2))
    Kf.ranges = ranges
    np.testing.assert_allclose(Kf @ v, (Kd * mask) @ v, rtol=1e-12)
    # Operations keep the ranges; the transpose swaps the two triples.
    np.testing.assert_allclose((2 * Kf).sum(axis=1), 2 * (Kd * mask).sum(1, keepdims=True),
                               rtol=1e-12)
    u = np.random.default_rng(6).standard_normal((37, 1))
    np.testing.assert_allclose(Kf.T @ u, (Kd * mask_t.T).T @ u, rtol=1e-12)
    g = Genred("Exp(-SqDist(X, Y)) * V", ["X = Vi(3)", "Y = Vj(3)", "V = Vj(2)"],
               reduction_op="Sum", axis=1)
    np.testing.assert_allclose(g(x[:, 0], y[0], v, ranges=ranges), (Kd * mask) @ v,
                               rtol=1e-12)
    np.testing.assert_allclose(g(x[:, 0], y[0], v), Kd @ v, rtol=1e-12)


def test_batches_share_the_ranges():
    ranges, mask, _ = problem()
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 37, 1, 2))
    y = rng.standard_normal((1, 1, 45, 2))
    X, Y = LazyTensor(x), LazyTensor(y)
    got = ((X - Y) ** 2).sum(-1).min(axis=2, ranges=ranges)
    D2 = np.where(mask, ((x - y) ** 2).sum(-1), np.inf)
    np.testing.assert_allclose(got[..., 0], D2.min(-1), rtol=1e-12)


@pytest.mark.parametrize("threads", [1, 2])
def test_large_blocks_over_threads(threads):
    # Blocks larger than the register tiles and the thread pool's chunks.
    keops.set_num_threads(threads)
    try:
        M, N = 3000, 2000
        ri, rj = clusters(M, np.array([700, 1300, 1000])), clusters(N, np.array([900, 1100]))
        keep = np.array([[True, False], [True, True], [False, True]])
        ranges = from_matrix(ri, rj, keep)
        x, y, _ = data(M, N, 3, "float64")
        got = ((LazyTensor(x) - LazyTensor(y)) ** 2).sum(-1).sum(axis=1, ranges=ranges)
        mask = np.repeat(np.repeat(keep, [700, 1300, 1000], 0), [900, 1100], 1)
        np.testing.assert_allclose(got[:, 0], (((x - y) ** 2).sum(-1) * mask).sum(1),
                                   rtol=1e-12)
    finally:
        keops.set_num_threads(0)


def test_unsorted_blocks_and_intervals():
    # Blocks and the intervals of a block may come in any order.
    ranges_i = np.array([[4, 6], [0, 2]])
    slices_i = np.array([2, 3])
    redranges_j = np.array([[5, 7], [0, 1], [2, 3]])
    ranges = (ranges_i, slices_i, redranges_j, ranges_i, slices_i, redranges_j)
    x, y, _ = data(6, 7, 1, "float64")
    got = (LazyTensor(x) * LazyTensor(y)).sum(axis=1, ranges=ranges)
    mask = np.zeros((6, 7), bool)
    mask[4:6, 5:7] = mask[4:6, 0:1] = mask[0:2, 2:3] = True
    np.testing.assert_allclose(got[:, 0], ((x * y)[..., 0] * mask).sum(1), rtol=1e-12)


def test_interpreter_agrees():
    from keops import reference as ref
    ranges, _, _ = problem()
    x, y, _ = data(37, 45, 2, "float64")
    red = formula(x, y, False).min_argmin(axis=1, call=False, ranges=ranges)
    got = red()
    outs = [np.zeros((37, 2)), np.zeros((37, 2), np.int64)]
    args = [np.asarray(v._data, np.float64) for v in red._collected[1]]
    want = ref.evaluate(red.mlir("float64"),
                        args + outs + [np.asarray(a, np.int64) for a in ranges])
    np.testing.assert_allclose(want[0], got[0], rtol=1e-12)
    np.testing.assert_array_equal(want[1], got[1])


BAD = [
    ("overlapping blocks", lambda r: (np.array([[0, 5], [3, 8]]), np.array([1, 2]), r[2]) + r[3:],
     ValueError, r"ranges_i\[0\] = \[0, 5\) and ranges_i\[1\] = \[3, 8\) overlap"),
    ("overlapping intervals", lambda r: (r[0][:1], np.array([2]), np.array([[0, 5], [4, 6]]))
     + r[3:], ValueError, r"redranges_j\[0\] = \[0, 5\) and redranges_j\[1\] = \[4, 6\) "
     r"overlap, in block 0 of ranges_i"),
    ("rows out of bounds", lambda r: (np.array([[30, 40]]), np.array([0]), r[2]) + r[3:],
     ValueError, r"ranges_i\[0\] = \[30, 40\) is not a range of rows within \[0, M = 37\]"),
    ("columns out of bounds", lambda r: (r[0], r[1], r[2] + 100) + r[3:], ValueError,
     r"redranges_j\[0\] = \[1\d\d, 1\d\d\) is not a range within \[0, N = 45\]"),
    ("negative", lambda r: (np.array([[-1, 2]]), np.array([0]), r[2]) + r[3:], ValueError,
     r"ranges_i\[0\] = \[-1, 2\)"),
    ("counts", lambda r: (r[0], r[1] + 1000, r[2]) + r[3:], ValueError,
     r"slices_i\[0\] = 10\d\d is not a count within"),
    ("float dtype", lambda r: (r[0].astype(float),) + r[1:], ValueError,
     r"ranges: ranges_i must hold int32 or int64 integers, got float64"),
    ("shape", lambda r: (r[0][:, :1],) + r[1:], ValueError,
     r"ranges: ranges_i must have shape \(n, 2\), got \(\d+, 1\)"),
    ("length", lambda r: r[:5], ValueError, "ranges must be a 6-tuple"),
    ("not arrays", lambda r: (list(r[0]),) + r[1:], TypeError,
     "ranges: ranges_i must be a NumPy array or a torch tensor, got list"),
    ("counts per block", lambda r: (r[0], r[1][:-1]) + r[2:], ValueError,
     r"ranges: ranges_i has 5 blocks but slices_i has 4 counts"),
]


@pytest.mark.parametrize("name,change,exc,message", BAD, ids=[b[0] for b in BAD])
def test_bad_ranges(name, change, exc, message):
    ranges, _, _ = problem()
    x, y, _ = data(37, 45, 2, "float64")
    with pytest.raises(exc, match=message):
        formula(x, y, False).sum(axis=1, ranges=change(tuple(ranges)))


torch = pytest.importorskip("torch")


KEEP = np.array([[1, 0, 1, 1, 0], [0, 1, 1, 0, 1], [0, 0, 0, 0, 0], [1, 1, 0, 0, 1],
                 [0, 0, 1, 1, 1]], bool)
SIZES_I, SIZES_J = [5, 9, 1, 12, 10], [7, 3, 15, 11, 9]


@pytest.mark.parametrize("kind", ["sum", "logsumexp", "min", "kmin", "sumsoftmaxweight"])
@pytest.mark.parametrize("axis", [0, 1])
def test_torch_autograd(kind, axis):
    # Gradients of block-sparse reductions are block-sparse reductions with
    # the same ranges (over the other axis: the other triple, which
    # from_matrix makes the transpose of the first).
    from keops.torch import LazyTensor as LT
    from keops.torch.cluster import from_matrix as from_matrix_t
    ranges = from_matrix_t(torch.tensor(clusters(37, np.array(SIZES_I))).int(),
                           torch.tensor(clusters(45, np.array(SIZES_J))).int(),
                           torch.tensor(KEEP))
    mask = torch.tensor(np.repeat(np.repeat(KEEP, SIZES_I, 0), SIZES_J, 1))
    g = torch.Generator().manual_seed(2)
    x = torch.randn(37, 1, 2, generator=g, dtype=torch.float64, requires_grad=True)
    y = torch.randn(1, 45, 2, generator=g, dtype=torch.float64, requires_grad=True)
    v = torch.randn(1, 45, 2, generator=g, dtype=torch.float64, requires_grad=True)
    u = torch.randn(37, 1, 2, generator=g, dtype=torch.float64, requires_grad=True)
    X, Y = LT(x), LT(y)
    F = -((X - Y) ** 2).sum(-1)
    Fd = -((x - y) ** 2).sum(-1)                       # (M, N)
    if axis == 0:
        Fd, mask = Fd.T, mask.T                          # (N, M): reduced over dim 1
    w, wd = (LT(v), v[0]) if axis == 1 else (LT(u), u[:, 0])
    if kind == "sum":
        got = (F.exp() * w).sum(axis=axis, ranges=ranges)
        want = (Fd.exp() * mask) @ wd
    elif kind == "logsumexp":
        got = F.logsumexp(axis=axis, ranges=ranges)
        want = torch.logsumexp(Fd.masked_fill(~mask, -np.inf), 1)[:, None]
    elif kind == "min":
        got = F.min(axis=axis, ranges=ranges)
        want = Fd.masked_fill(~mask, np.inf).min(1).values[:, None]
    elif kind == "kmin":
        got = F.Kmin(2, axis=axis, ranges=ranges)
        want = torch.topk(Fd.masked_fill(~mask, np.inf), 2, dim=1, largest=False).values
    else:
        got = F.sumsoftmaxweight(w, axis=axis, ranges=ranges)
        # (Rows with no pair are left out: torch's softmax of -inf only
        # gives NaN gradients.)
        live = mask.any(1)[:, None]
        want = torch.softmax(Fd.masked_fill(~mask, -np.inf).where(live, 0.0), 1) @ wd
    # Rows that reduce nothing (the empty cluster) have no gradient to check.
    live = mask.any(1)
    assert got.shape == want.shape
    torch.testing.assert_close(got[live], want[live])
    e = torch.randn(want.shape, generator=g, dtype=torch.float64) * live[:, None]
    inputs = [x, y, u if axis == 0 else v]
    got_g = torch.autograd.grad(got, inputs, e, allow_unused=True)
    want_g = torch.autograd.grad(want[live], inputs, e[live], allow_unused=True)
    for a, b in zip(got_g, want_g):
        if b is None:
            assert a is None or not a.abs().max() > 0
        else:
            torch.testing.assert_close(a, b)


def test_torch_second_order():
    # A Hessian-vector product through a block-sparse reduction.
    from keops.torch import LazyTensor as LT
    from keops.torch.cluster import from_matrix as from_matrix_t
    ranges = from_matrix_t(torch.tensor(clusters(37, np.array(SIZES_I))),
                           torch.tensor(clusters(45, np.array(SIZES_J))), torch.tensor(KEEP))
    mask = torch.tensor(np.repeat(np.repeat(KEEP, SIZES_I, 0), SIZES_J, 1))
    g = torch.Generator().manual_seed(8)
    x = torch.randn(37, 1, 2, generator=g, dtype=torch.float64, requires_grad=True)
    y = torch.randn(1, 45, 2, generator=g, dtype=torch.float64, requires_grad=True)
    h = torch.randn(37, 1, 2, generator=g, dtype=torch.float64)

    def hvp(out):
        gx, = torch.autograd.grad(out.sum(), [x], create_graph=True)
        return torch.autograd.grad((gx * h).sum(), [x, y])
    got = hvp((-((LT(x) - LT(y)) ** 2).sum(-1)).exp().sum(axis=1, ranges=ranges))
    want = hvp(((-((x - y) ** 2).sum(-1)).exp() * mask).sum(1))
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b)
