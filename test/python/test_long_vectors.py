"""Long feature axes: the CPU's Gram tiles (keops-recognize-gram, GramTiles)
for every reduction kind, against float64 NumPy, with sizes that are no
multiples of the tiles, over i and over j, in float32 and float64, with
right-hand sides of several widths; the tiled path against the untiled one
(gram_min_dim=0); gradients through it; the accuracy of the expanded
squared distance."""

import numpy as np
import pytest

from keops import Genred

pytestmark = pytest.mark.usefixtures("keops_cache_dir")

M, N = 37, 45  # no multiples of the 32 rows x 8 columns of a tile
rng = np.random.default_rng(11)


def data(d, e=1, dtype=np.float64):
    # Points of norm ~1, so that exp(-|x - y|^2) is neither 0 nor 1.
    x = rng.standard_normal((M, d)) / np.sqrt(d)
    y = rng.standard_normal((N, d)) / np.sqrt(d)
    b = rng.standard_normal((N, e))
    return x.astype(dtype), y.astype(dtype), b.astype(dtype)


def sqdist(x, y):
    x, y = x.astype(np.float64), y.astype(np.float64)
    return ((x[:, None] - y[None]) ** 2).sum(-1)


def tol(dtype):
    return dict(rtol=2e-4, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("d", [32, 64, 100, 128, 257])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gaussian_sum(d, dtype):
    x, y, b = data(d, 1, dtype)
    want = np.exp(-sqdist(x, y)) @ b.astype(np.float64)
    aliases = [f"x = Vi({d})", f"y = Vj({d})", "b = Vj(1)"]
    got = Genred("Exp(-SqDist(x, y)) * b", aliases, axis=1)(x, y, b)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, want, **tol(dtype))
    # The same formula without tiles.
    plain = Genred("Exp(-SqDist(x, y)) * b", aliases, axis=1, gram_min_dim=0)(x, y, b)
    np.testing.assert_allclose(got, plain, **tol(dtype))


def test_feature_axis_of_1024():
    x, y, b = data(1024, 1, np.float32)
    want = np.exp(-sqdist(x, y)) @ b.astype(np.float64)
    got = Genred("Exp(-SqDist(x, y)) * b", ["x = Vi(1024)", "y = Vj(1024)", "b = Vj(1)"],
                 axis=1)(x, y, b)
    np.testing.assert_allclose(got, want, **tol(np.float32))


@pytest.mark.parametrize("e", [1, 7, 64, 200])
def test_wide_right_hand_sides(e):
    x, y, b = data(64, e, np.float32)
    want = np.exp(-sqdist(x, y)) @ b.astype(np.float64)
    got = Genred("Exp(-SqDist(x, y)) * b", ["x = Vi(64)", "y = Vj(64)", f"b = Vj({e})"],
                 axis=1)(x, y, b)
    np.testing.assert_allclose(got, want, **tol(np.float32))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_over_i(dtype):
    # Over i the kept rows are y's: the tiles pack y and broadcast x.
    x, y, _ = data(100, 1, dtype)
    a = rng.standard_normal((M, 3)).astype(dtype)
    want = np.exp(-sqdist(x, y)).T @ a.astype(np.float64)
    got = Genred("Exp(-SqDist(x, y)) * a", ["x = Vi(100)", "y = Vj(100)", "a = Vi(3)"],
                 axis=0)(x, y, a)
    np.testing.assert_allclose(got, want, **tol(dtype))


@pytest.mark.parametrize("d", [32, 128])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_selections(d, dtype):
    # min, argmin and K-min of the squared distance: the nearest neighbours.
    x, y, _ = data(d, 1, dtype)
    d2 = sqdist(x, y)
    aliases = [f"x = Vi({d})", f"y = Vj({d})"]
    order = np.argsort(d2, axis=1)
    got = Genred("SqDist(x, y)", aliases, reduction_op="Min", axis=1)(x, y)
    np.testing.assert_allclose(got[:, 0], d2.min(1), **tol(dtype))
    idx = Genred("SqDist(x, y)", aliases, reduction_op="ArgMin", axis=1)(x, y)
    np.testing.assert_array_equal(idx[:, 0], order[:, 0])
    kidx = Genred("SqDist(x, y)", aliases, reduction_op="ArgKMin", axis=1, opt_arg=5)(x, y)
    np.testing.assert_array_equal(kidx, order[:, :5])
    kval = Genred("SqDist(x, y)", aliases, reduction_op="KMin", axis=1, opt_arg=5)(x, y)
    np.testing.assert_allclose(kval, np.sort(d2, 1)[:, :5], **tol(dtype))
    # max and argmax of the inner product.
    dots = x.astype(np.float64) @ y.astype(np.float64).T
    got = Genred("(x | y)", aliases, reduction_op="Max_ArgMax", axis=1)(x, y)
    np.testing.assert_allclose(got[0][:, 0], dots.max(1), **tol(dtype))
    np.testing.assert_array_equal(got[1][:, 0], dots.argmax(1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logsumexp_and_softmax(dtype):
    x, y, b = data(64, 7, dtype)
    f = -sqdist(x, y) * 4
    aliases = ["x = Vi(64)", "y = Vj(64)", "b = Vj(7)"]
    got = Genred("-SqDist(x, y) * IntCst(4)", aliases[:2], reduction_op="LogSumExp",
                 axis=1)(x, y)
    m = f.max(1, keepdims=True)
    want = m + np.log(np.exp(f - m).sum(1, keepdims=True))
    np.testing.assert_allclose(got, want, **tol(dtype))
    got = Genred("-SqDist(x, y) * IntCst(4)", aliases, reduction_op="SumSoftMaxWeight",
                 formula2="b", axis=1)(x, y, b)
    w = np.exp(f - m)
    want = (w @ b.astype(np.float64)) / w.sum(1, keepdims=True)
    np.testing.assert_allclose(got, want, **tol(dtype))


def test_weighted_and_lazy_forms():
    # A diagonal weight of parameters; ((x - y) ** 2).sum(-1) and
    # (x * y).sum(-1) as LazyTensor writes them.
    from keops.numpy import LazyTensor
    x, y, b = data(48, 1, np.float64)
    w = rng.uniform(0.5, 2.0, 48)
    want = np.exp(-(((x[:, None] - y[None]) ** 2) * w).sum(-1)) @ b
    got = Genred("Exp(-WeightedSqDist(w, x, y)) * b",
                 ["x = Vi(48)", "y = Vj(48)", "w = Pm(48)", "b = Vj(1)"], axis=1)(x, y, w, b)
    np.testing.assert_allclose(got, want, rtol=1e-10)
    xi, yj = LazyTensor(x[:, None]), LazyTensor(y[None])
    got = (-((xi - yj) ** 2).sum(-1)).exp() @ b
    np.testing.assert_allclose(got, np.exp(-sqdist(x, y)) @ b, rtol=1e-10)
    got = ((xi * yj).sum(-1)).exp() @ b
    np.testing.assert_allclose(got, np.exp(x @ y.T) @ b, rtol=1e-10)


def test_gradients_through_the_tiles():
    torch = pytest.importorskip("torch")
    from keops.torch import LazyTensor
    x, y, b = (torch.tensor(a, requires_grad=True) for a in data(64, 3, np.float64))
    out = (-((LazyTensor(x[:, None]) - LazyTensor(y[None])) ** 2).sum(-1)).exp() @ b
    (out ** 2).sum().backward()
    xr, yr, br = (t.detach().clone().requires_grad_() for t in (x, y, b))
    ref = torch.exp(-((xr[:, None] - yr[None]) ** 2).sum(-1)) @ br
    (ref ** 2).sum().backward()
    for got, want in ((x.grad, xr.grad), (y.grad, yr.grad), (b.grad, br.grad)):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-9, atol=1e-12)


def test_expanded_distance_accuracy():
    # |x - y|^2 as |x|^2 + |y|^2 - 2 <x, y>: for x close to y relative to
    # their norms, the error is of order D eps (|x|^2 + |y|^2), not
    # relative to |x - y|^2 (docs/architecture.md); never negative.
    d = 128
    x = (rng.standard_normal((M, d)) + 10).astype(np.float32)
    y = np.concatenate([x[:5] + 1e-3 * rng.standard_normal((5, d)), x[5:10]]).astype(np.float32)
    want = sqdist(x, y)
    aliases = [f"x = Vi({d})", f"y = Vj({d})"]
    got = Genred("SqDist(x, y)", aliases, reduction_op="Min", axis=1)(x, y)[:, 0]
    norms = (x.astype(np.float64) ** 2).sum(1) + (y.astype(np.float64) ** 2).sum(1).max()
    eps = np.finfo(np.float32).eps
    assert (got >= 0).all()
    assert (np.abs(got - want.min(1)) <= 2 * d * eps * norms).all()
    precise = Genred("SqDist(x, y)", aliases, reduction_op="Min", axis=1,
                     gram_min_dim=0)(x, y)[:, 0]
    np.testing.assert_allclose(precise, want.min(1), rtol=1e-4, atol=1e-6)


def test_bad_gram_min_dim():
    with pytest.raises(ValueError, match="gram_min_dim must be an integer >= 0"):
        Genred("SqDist(x, y)", ["x = Vi(3)", "y = Vj(3)"], axis=1, gram_min_dim=-1)


def test_batches_and_ranges():
    # Batch axes and block-sparse ranges read the tiles like dense rows.
    from keops.numpy import LazyTensor
    from keops.numpy.cluster import from_matrix
    d = 40
    xb = rng.standard_normal((2, M, d)) / np.sqrt(d)
    yb = rng.standard_normal((2, N, d)) / np.sqrt(d)
    bb = rng.standard_normal((2, N, 16))  # a second product (E >= 8)
    K = (-LazyTensor(xb[:, :, None]).sqdist(LazyTensor(yb[:, None]))).exp()
    got = K @ bb
    want = np.stack([np.exp(-sqdist(xb[k], yb[k])) @ bb[k] for k in range(2)])
    np.testing.assert_allclose(got, want, rtol=1e-10)
    x, y, b = xb[0], yb[0], bb[0]
    ri = np.array([[0, 10], [10, 30], [30, M]])
    rj = np.array([[0, 20], [20, N]])
    keep = np.array([[True, False], [True, True], [False, True]])
    ranges = from_matrix(ri, rj, keep)
    Kx = (-LazyTensor(x[:, None]).sqdist(LazyTensor(y[None]))).exp()
    mask = np.zeros((M, N), bool)
    for (a, e), row in zip(ri, keep):
        for (c, f), k in zip(rj, row):
            mask[a:e, c:f] = k
    Kx.ranges = ranges
    got = Kx @ b
    np.testing.assert_allclose(got, (np.exp(-sqdist(x, y)) * mask) @ b, rtol=1e-10)


def test_tensor_cores_option_leaves_the_cpu_exact():
    """tensor_cores="tf32" is for the GPU: the CPU computes the same exact
    result with it; a precision it does not know is refused."""
    rng = np.random.default_rng(12)
    x = rng.standard_normal((40, 64)).astype(np.float32)
    y = rng.standard_normal((50, 64)).astype(np.float32)
    b = rng.standard_normal((50, 1)).astype(np.float32)
    aliases = ["x = Vi(64)", "y = Vj(64)", "b = Vj(1)"]
    exact = Genred("Exp(-SqDist(x, y) / 64) * b", aliases, axis=1)(x, y, b)
    tf32 = Genred("Exp(-SqDist(x, y) / 64) * b", aliases, axis=1,
                  tensor_cores="tf32")(x, y, b, backend="CPU")
    np.testing.assert_array_equal(tf32, exact)
    with pytest.raises(ValueError, match="tensor_cores='bf8'"):
        Genred("SqDist(x, y)", aliases[:2], axis=1, tensor_cores="bf8")
