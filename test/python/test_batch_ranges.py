"""Block-sparse reductions with one ranges tuple per batch element: every
reduction kind over i and over j against a dense NumPy reference masked per
element, the ways to give the tuples (a list, stacked arrays, a size-1 axis
repeated), the interpreter, torch autograd (first and second order), and
the errors."""

import numpy as np
import pytest

from keops.numpy import LazyTensor
from keops.numpy.cluster import from_matrix

from test_ranges import KINDS, clusters, compare, dense, reference, run

BATCH = (2, 3)
SIZES_I, SIZES_J = [5, 9, 1, 12, 10], [7, 3, 15, 11, 9]
M, N = sum(SIZES_I), sum(SIZES_J)


def problem(seed=0):
    """Per batch element (row-major over BATCH): its ranges (from a random
    block mask, one with an i-cluster that keeps nothing, one that keeps no
    block at all) and its (M, N) mask."""
    rng = np.random.default_rng(seed)
    ri, rj = clusters(M, np.array(SIZES_I)), clusters(N, np.array(SIZES_J))
    tuples, masks = [], []
    for e in range(int(np.prod(BATCH))):
        keep = rng.random((5, 5)) < 0.45
        keep[e % 5] = False
        if e == 4:
            keep[:] = False
        tuples.append(from_matrix(ri, rj, keep))
        masks.append(np.repeat(np.repeat(keep, SIZES_I, 0), SIZES_J, 1))
    return tuples, np.stack(masks).reshape(BATCH + (M, N))


def data(dtype, seed=1):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(BATCH + (M, 1, 2)).astype(dtype),
            rng.standard_normal((1, 3, 1, N, 2)).astype(dtype),
            rng.standard_normal(BATCH + (1, N, 2)).astype(dtype),
            rng.standard_normal((2, 1, M, 1, 2)).astype(dtype))


def stacked(tuples):
    """The per-element tuples as six arrays with the batch shape in front,
    padded by hand (empty blocks, repeated counts, unread intervals)."""
    out = []
    for k in range(6):
        parts = [t[k] for t in tuples]
        n = max(len(p) for p in parts)
        a = np.zeros((len(parts), n) + parts[0].shape[1:], np.int64)
        for e, p in enumerate(parts):
            a[e, :len(p)] = p
            if k % 3 == 1 and len(p):
                a[e, len(p):] = p[-1]
        out.append(a.reshape(BATCH + a.shape[1:]))
    return tuple(out)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_kind_against_masked_dense(kind, axis, dtype):
    tuples, mask = problem()
    x, y, wj, wi = data(dtype)
    w = wj if axis == 1 else wi
    scalar = kind in ("logsumexp", "sumsoftmaxweight")
    X, Y = LazyTensor(x), LazyTensor(y)
    F = -((X - Y) ** 2).sum(-1) if scalar else (X - Y) ** 2 * (X + 1.5)
    W = LazyTensor(w)
    got = run(kind, F, axis + 2, W if kind == "sumsoftmaxweight" else None, ranges=tuples)
    got = got if isinstance(got, tuple) else (got,)
    Fd = np.broadcast_to(dense(x, y, scalar), BATCH + (M, N, 1 if scalar else 2))
    Wd = np.broadcast_to(w.astype(np.float64), BATCH + (M, N, 2))
    rtol = 1e-4 if dtype == "float32" else 1e-10
    for b in np.ndindex(*BATCH):
        Fb, Wb, mb = Fd[b], Wd[b], mask[b]
        if axis == 0:
            Fb, Wb, mb = np.swapaxes(Fb, 0, 1), np.swapaxes(Wb, 0, 1), mb.T
        want = reference(kind, Fb, Wb, mb)
        compare(tuple(g[b] for g in got), want, Fb, rtol)


def test_stacked_arrays_and_a_repeated_axis():
    tuples, mask = problem()
    x, y, _, _ = data("float64")
    F = ((LazyTensor(x) - LazyTensor(y)) ** 2).sum(-1)
    D2 = ((x - y) ** 2).sum(-1)
    want = np.where(mask, D2, np.inf).min(-1)
    np.testing.assert_allclose(F.min(axis=3, ranges=stacked(tuples))[..., 0], want)
    # The tuples of the first row of the batch, shared along axis 0 (size 1).
    first = tuple(a[:1] for a in stacked(tuples))
    got = F.min(axis=3, ranges=first)
    want = np.where(mask[:1], D2, np.inf).min(-1)
    np.testing.assert_allclose(got[..., 0], np.broadcast_to(want, got.shape[:-1]))


def test_lazytensor_attribute_and_transpose():
    tuples, mask = problem()
    x, y, _, _ = data("float64")
    K = ((LazyTensor(x) - LazyTensor(y)) ** 2).sum(-1)
    K.ranges = tuples
    D2 = ((x - y) ** 2).sum(-1) * mask
    np.testing.assert_allclose(K.sum(axis=3)[..., 0], D2.sum(-1), rtol=1e-12)
    # K.T swaps each element's triples: the same block mask, transposed.
    np.testing.assert_allclose(K.T.sum(axis=2)[..., 0], D2.sum(-1), rtol=1e-12)
    np.testing.assert_allclose(K.T.sum(axis=3)[..., 0], D2.sum(-2), rtol=1e-12)


def test_interpreter_agrees():
    from keops import reference as ref
    tuples, _ = problem()
    x, y, _, _ = data("float64")
    F = ((LazyTensor(x) - LazyTensor(y)) ** 2 * (LazyTensor(x) + 1.5))
    red = F.min_argmin(axis=3, call=False, ranges=tuples)
    got = red()
    outs = [np.zeros(BATCH + (M, 2)), np.zeros(BATCH + (M, 2), np.int64)]
    # The constant 1.5 is a parameter with the batch axes (size 1 each).
    args = [np.asarray(v._data, np.float64) for v in red._collected[1]]
    args = [a.reshape((1,) * len(BATCH) + a.shape) if a.ndim == 1 else a for a in args]
    want = ref.evaluate(red.mlir("float64"), args + outs + list(stacked(tuples)))
    np.testing.assert_allclose(want[0], got[0], rtol=1e-12)
    np.testing.assert_array_equal(want[1], got[1])


def bad_element(tuples):
    tuples = list(tuples)
    r = list(tuples[3])
    r[0] = r[0].copy()
    r[0][0, 1] = 100
    tuples[3] = tuple(r)
    return tuples


BAD = [
    ("too few tuples", lambda t: t[:5], r"ranges: 5 ranges tuples for 6 batch elements"),
    ("wrong batch extent", lambda t: tuple(a[:, :2] for a in stacked(t)),
     r"ranges: ranges_i has 2 elements on batch axis 1 but the reduction has 3"),
    ("wrong batch rank", lambda t: tuple(a[0] if a.ndim > 3 or k % 3 == 1 else a
                                         for k, a in enumerate(stacked(t))),
     r"ranges: slices_i has shape \(3, \d+\): shared ranges are 1-D"),
    ("a bad element", bad_element,
     r"batch element 3: ranges_i\[0\] = \[0, 100\) is not a range of rows within "
     r"\[0, M = 37\]"),
    ("a bad tuple", lambda t: t[:2] + [t[2][:5]] + t[3:],
     r"ranges of batch element 2 must be a 6-tuple"),
]


@pytest.mark.parametrize("name,change,message", BAD, ids=[b[0] for b in BAD])
def test_bad_ranges(name, change, message):
    tuples, _ = problem()
    x, y, _, _ = data("float64")
    F = ((LazyTensor(x) - LazyTensor(y)) ** 2).sum(-1)
    with pytest.raises(ValueError, match=message):
        F.sum(axis=3, ranges=change(list(tuples)))


def test_a_list_needs_batch_dimensions():
    tuples, _ = problem()
    x = np.zeros((M, 1, 2))
    y = np.zeros((1, N, 2))
    with pytest.raises(ValueError, match="needs a reduction with batch dimensions"):
        ((LazyTensor(x) - LazyTensor(y)) ** 2).sum(-1).sum(axis=1, ranges=tuples[:1])


torch = pytest.importorskip("torch")


def torch_problem(seed):
    """problem()'s ranges as tensors, its mask, a generator and the points
    x (batch, M, 1, 2), y (1, 3, 1, N, 2) that require gradients."""
    tuples, mask = problem()
    ranges = [tuple(torch.tensor(a) for a in t) for t in tuples]
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(BATCH + (M, 1, 2), generator=g, dtype=torch.float64, requires_grad=True)
    y = torch.randn((1, 3, 1, N, 2), generator=g, dtype=torch.float64, requires_grad=True)
    return ranges, torch.tensor(mask), g, x, y


@pytest.mark.parametrize("kind,axis", [("sum", 0), ("sum", 1), ("logsumexp", 0),
                                       ("logsumexp", 1), ("min", 0), ("min", 1),
                                       ("sumsoftmaxweight", 1)])
def test_torch_autograd(kind, axis):
    # The gradients are block-sparse reductions with each element's ranges
    # (transposed for the other axis' variables).
    from keops.torch import LazyTensor as LT
    ranges, mask, g, x, y = torch_problem(3)
    v = torch.randn(BATCH + (1, N, 2), generator=g, dtype=torch.float64, requires_grad=True)
    d2 = ((x - y) ** 2).sum(-1)

    def masked(F, fill):
        return torch.where(mask, F, torch.full_like(F, fill))

    F = -((LT(x) - LT(y)) ** 2).sum(-1)
    if kind == "sum":
        got = (F.exp() * LT(v)).sum(axis=axis + 2, ranges=ranges)
        P = masked(torch.exp(-d2), 0.0)
        want = P @ v[..., 0, :, :] if axis == 1 else (P.unsqueeze(-1) * v).sum(-3)
    elif kind == "logsumexp":
        got = F.logsumexp(axis=axis + 2, ranges=ranges)
        want = masked(-d2, -np.inf).logsumexp(axis + 2).unsqueeze(-1)
    elif kind == "min":
        got = (-F).min(axis=axis + 2, ranges=ranges)
        want = masked(d2, np.inf).amin(axis + 2).unsqueeze(-1)
    else:
        # Over j (the weights are j variables); rows with no pair are left
        # out (a finite fill keeps the reference's gradients free of NaN).
        got = F.sumsoftmaxweight(LT(v), axis=3, ranges=ranges)
        some = mask.any(-1, keepdim=True)
        S = torch.where(mask, -d2, torch.where(some, -np.inf, 0.0)).softmax(-1)
        want = S @ v[..., 0, :, :]
    live = torch.isfinite(want) if kind != "sumsoftmaxweight" else some.expand(want.shape)
    assert torch.allclose(got[live], want[live], rtol=1e-10, atol=1e-12)
    weights = torch.randn(want.shape, generator=g, dtype=torch.float64)
    gs = torch.autograd.grad((torch.where(live, got, 0) * weights).sum(), [x, y, v],
                             allow_unused=True)
    ws = torch.autograd.grad((torch.where(live, want, 0) * weights).sum(), [x, y, v],
                             allow_unused=True)
    for a, b in zip(gs, ws):
        if b is None:
            assert a is None or torch.all(a == 0)
        else:
            assert torch.allclose(a, b, rtol=1e-9, atol=1e-11)


def test_torch_second_order():
    from keops.torch import LazyTensor as LT
    ranges, mask, _, x, y = torch_problem(4)
    got = (-((LT(x) - LT(y)) ** 2).sum(-1)).exp().sum(axis=3, ranges=ranges)
    want = (torch.exp(-((x - y) ** 2).sum(-1)) * mask).sum(-1, keepdim=True)
    gx, = torch.autograd.grad(got.sum(), [x], create_graph=True)
    wx, = torch.autograd.grad(want.sum(), [x], create_graph=True)
    assert torch.allclose(gx, wx, rtol=1e-10, atol=1e-12)
    hy, = torch.autograd.grad((gx ** 2).sum(), [y])
    wy, = torch.autograd.grad((wx ** 2).sum(), [y])
    assert torch.allclose(hy, wy, rtol=1e-9, atol=1e-11)


def test_empty_batch():
    tuples, _ = problem()
    x = np.zeros((0, 3, M, 1, 2))
    y = np.zeros((1, 3, 1, N, 2))
    F = ((LazyTensor(x) - LazyTensor(y)) ** 2).sum(-1)
    assert F.sum(axis=3, ranges=[]).shape == (0, 3, M, 1)
    empty = tuple(np.zeros((0, 3) + a.shape, a.dtype) for a in tuples[0])
    assert F.min(axis=3, ranges=empty).shape == (0, 3, M, 1)


def test_genred_with_a_tuple_per_element():
    from keops.numpy import Genred
    tuples, mask = problem()
    x, y, wj, _ = data("float64")
    g = Genred("SqDist(X, Y) * V", ["X = Vi(2)", "Y = Vj(2)", "V = Vj(2)"],
               reduction_op="Sum", axis=1)
    xs = np.ascontiguousarray(x[:, :, :, 0])                   # (2, 3, M, 2)
    ys = np.ascontiguousarray(np.broadcast_to(y[:, :, 0], BATCH + (N, 2)))
    vs = np.ascontiguousarray(wj[:, :, 0])
    got = g(xs, ys, vs, ranges=tuples)
    D2 = ((xs[..., :, None, :] - ys[..., None, :, :]) ** 2).sum(-1) * mask
    np.testing.assert_allclose(got, D2 @ vs, rtol=1e-12)
