"""Every reduction of LazyTensor against a dense NumPy reference (conftest's
np_reduce): f32 and f64, over i and over j, NumPy and torch, with pykeops'
output shapes and index dtypes (int64)."""

import numpy as np
import pytest
from scipy import special

from keops import LazyTensor, Pm, Vi, Vj

from conftest import np_reduce

pytestmark = pytest.mark.usefixtures("keops_cache_dir")

M, N, D, E, K = 7, 9, 2, 3, 3


def _data(dtype, seed=0):
    """Small integers: every value of x * y + p is exact in f32 and f64, and
    ties happen (the smaller index wins, as in a stable argsort)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-4, 5, (M, D)).astype(dtype)
    y = rng.integers(-4, 5, (N, D)).astype(dtype)
    p = rng.integers(-2, 3, D).astype(dtype)
    return x, y, p


def _formula(x, y, p, cls=LazyTensor, to=lambda a: a):
    return cls(to(x)[:, None, :]) * cls(to(y)[None, :, :]) + cls(to(p))


def _dense(x, y, p):
    return x.astype(np.float64)[:, None, :] * y.astype(np.float64)[None, :, :] + p


VALUE_KINDS = [
    ("sum", lambda F, ax: F.sum(axis=ax), "sum", None),
    ("sum_reduction", lambda F, ax: F.sum_reduction(axis=ax), "sum", None),
    ("min", lambda F, ax: F.min(axis=ax), "min", None),
    ("max", lambda F, ax: F.max(dim=ax), "max", None),
    ("argmin", lambda F, ax: F.argmin(axis=ax), "argmin", None),
    ("argmax", lambda F, ax: F.argmax(ax), "argmax", None),
    ("min_argmin", lambda F, ax: F.min_argmin(axis=ax), "min_argmin", None),
    ("max_argmax", lambda F, ax: F.max_argmax(dim=ax), "max_argmax", None),
    ("Kmin", lambda F, ax: F.Kmin(K, axis=ax), "kmin", K),
    ("argKmin", lambda F, ax: F.argKmin(K, dim=ax), "argkmin", K),
    ("Kmin_argKmin", lambda F, ax: F.Kmin_argKmin(K, axis=ax), "kmin_argkmin", K),
]


def _expected_shape(kind, rows, d):
    if kind in ("kmin", "argkmin", "kmin_argkmin"):
        return (rows, K, d) if d > 1 else (rows, K)
    return (rows, d)


def _compare(out, kind, F, ax, k, dtype, numpy_out=True):
    rows = F.shape[1 - ax] if ax == 0 else F.shape[0]
    expected = np_reduce(kind, F, "ij"[ax], k=k)
    outs = out if isinstance(out, tuple) else (out,)
    assert len(outs) == len(expected)
    for o, e in zip(outs, expected):
        o = np.asarray(o)
        assert o.shape == _expected_shape(kind, rows, F.shape[2]), (kind, o.shape)
        if e.dtype.kind == "i":
            assert o.dtype == np.int64
        else:
            assert o.dtype == dtype
        np.testing.assert_array_equal(o.reshape(rows, -1), e, err_msg=kind)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("name, call, kind, k", VALUE_KINDS, ids=[v[0] for v in VALUE_KINDS])
def test_value_reductions(name, call, kind, k, axis, dtype):
    x, y, p = _data(dtype)
    out = call(_formula(x, y, p), axis)
    _compare(out, kind, _dense(x, y, p), axis, k, dtype)


@pytest.mark.parametrize("axis", [0, 1])
def test_k_reductions_of_a_scalar_formula(axis):
    """D = 1: pykeops squeezes the last axis, (rows, K)."""
    x, y, p = _data("float64", seed=1)
    F = _formula(x, y, p).sum(-1)
    Fd = _dense(x, y, p).sum(-1, keepdims=True)
    _compare(F.Kmin(K, axis=axis), "kmin", Fd, axis, K, "float64")
    _compare(F.argKmin(K, axis=axis), "argkmin", Fd, axis, K, "float64")
    _compare(F.Kmin_argKmin(K, axis=axis), "kmin_argkmin", Fd, axis, K, "float64")


def test_kmin_with_k_larger_than_the_axis():
    x, y, p = _data("float64")
    out = _formula(x, y, p).sum(-1).argKmin(N + 2, axis=1)
    assert out.shape == (M, N + 2)
    assert (out[:, N:] == -1).all()


def _softmax_case(dtype, seed=2):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((M, D)).astype(dtype)
    y = rng.standard_normal((N, D)).astype(dtype)
    wi = rng.uniform(0.1, 2.0, (M, E)).astype(dtype)
    wj = rng.uniform(0.1, 2.0, (N, E)).astype(dtype)
    return x, y, wi, wj


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("axis", [0, 1])
def test_logsumexp_and_softmax(axis, dtype):
    x, y, wi, wj = _softmax_case(dtype)
    f = (Vi(x) | Vj(y)) * 2.0
    w = Vj(wj) if axis == 1 else Vi(wi)
    fd = 2.0 * x.astype(np.float64) @ y.astype(np.float64).T
    if axis == 0:
        fd = fd.T
    wd = (wj if axis == 1 else wi).astype(np.float64)
    rtol = 1e-12 if dtype == "float64" else 2e-5
    out = f.logsumexp(axis=axis)
    assert out.shape == (fd.shape[0], 1) and out.dtype == dtype
    np.testing.assert_allclose(out[:, 0], special.logsumexp(fd, axis=1), rtol=rtol)
    out = f.logsumexp(dim=axis, weight=w)
    assert out.shape == (fd.shape[0], E)
    want = np.stack([special.logsumexp(fd, axis=1, b=wd[None, :, e]) for e in range(E)], 1)
    np.testing.assert_allclose(out, want, rtol=rtol)
    out = f.sumsoftmaxweight(w, axis=axis)
    assert out.shape == (fd.shape[0], E)
    pr = np.exp(fd - fd.max(1, keepdims=True))
    np.testing.assert_allclose(out, (pr @ wd) / pr.sum(1, keepdims=True), rtol=rtol)
    np.testing.assert_allclose(f.logsumexp_reduction(axis=axis), f.logsumexp(axis=axis))
    np.testing.assert_allclose(f.sumsoftmaxweight_reduction(weight=w, axis=axis),
                               f.sumsoftmaxweight(w, axis=axis))


def test_every_reduction_through_torch():
    """The same kernels (plans are shared with NumPy), torch results."""
    torch = pytest.importorskip("torch")
    from keops.torch import LazyTensor as TLazyTensor
    x, y, p = _data("float32")
    F = _formula(x, y, p, cls=TLazyTensor, to=torch.from_numpy)
    Fd = _dense(x, y, p)
    for name, call, kind, k in VALUE_KINDS:
        out = call(F, 1)
        outs = out if isinstance(out, tuple) else (out,)
        for o in outs:
            assert isinstance(o, torch.Tensor) and o.device.type == "cpu"
            assert o.dtype in (torch.float32, torch.int64)
        _compare(tuple(o.numpy() for o in outs) if len(outs) > 1 else outs[0].numpy(),
                 kind, Fd, 1, k, "float32")
    xs, ys, wi, wj = _softmax_case("float32")
    f = TLazyTensor(torch.from_numpy(xs)[:, None]) | TLazyTensor(torch.from_numpy(ys)[None])
    w = TLazyTensor(torch.from_numpy(wj)[None])
    fd = xs.astype(np.float64) @ ys.astype(np.float64).T
    np.testing.assert_allclose(f.logsumexp(dim=1).numpy()[:, 0],
                               special.logsumexp(fd, axis=1), rtol=2e-5)
    pr = np.exp(fd - fd.max(1, keepdims=True))
    np.testing.assert_allclose(f.sumsoftmaxweight(w, dim=1).numpy(),
                               (pr @ wj) / pr.sum(1, keepdims=True), rtol=2e-5)


def test_options_map_to_accumulation_modes():
    """sum_scheme / dtype_acc / use_double_acc choose the accumulator; each
    option is a different kernel with the same result here."""
    from keops import reductions as rd
    x, y, p = _data("float32")
    F = _formula(x, y, p)
    want = F.sum(axis=1)
    for kwargs in ({"sum_scheme": "direct_sum"}, {"sum_scheme": "kahan_scheme"},
                   {"sum_scheme": "block_sum"}, {"dtype_acc": "float64"},
                   {"use_double_acc": True}, {"use_fast_math": False},
                   {"backend": "CPU", "enable_chunks": False}):
        np.testing.assert_array_equal(F.sum(axis=1, **kwargs), want)
    assert rd.compile_options(sum_scheme="kahan_scheme") == (("accumulation", "kahan"),)
    assert rd.compile_options(use_double_acc=True) == (("accumulation", "f64"),)
    assert rd.compile_options(use_fast_math=False) == (("approximate_math", False),)


def test_out_argument():
    x, y, p = _data("float64")
    F = _formula(x, y, p)
    out = np.empty((M, D))
    res = F.sum(axis=1, out=out)
    assert res is out
    np.testing.assert_array_equal(out, _dense(x, y, p).sum(1))
    with pytest.raises(ValueError, match=r"out must be a numpy array of shape \(7, 2\)"):
        F.sum(axis=1, out=np.empty((M, 3)))


def test_matmul_takes_the_reduction_options():
    """K.__matmul__(v, **options), as pykeops' test suite calls it: the same
    options as every reduction, out= included (also for v of shape (N,))."""
    x, y, p = _data("float64")
    K = (-(Vi(x) - Vj(y)).sqnorm2()).exp()
    v, v1 = np.linspace(0, 1, 2 * len(y)).reshape(-1, 2), np.linspace(1, 2, len(y))
    kd = np.exp(-((x[:, None] - y[None]) ** 2).sum(-1))
    for kwargs in ({"sum_scheme": "kahan_scheme"}, {"backend": "CPU", "device_id": -1},
                   {"enable_chunks": False, "dtype_acc": "float64"}):
        np.testing.assert_allclose(K.__matmul__(v, **kwargs), kd @ v, rtol=1e-12)
    out, out1 = np.empty((len(x), 2)), np.empty(len(x))
    assert K.__matmul__(v, out=out) is out and K.__matmul__(v1, out=out1) is out1
    np.testing.assert_allclose(out, kd @ v, rtol=1e-12)
    np.testing.assert_allclose(out1, kd @ v1, rtol=1e-12)
    with pytest.raises(ValueError, match="sum_scheme"):
        K.__matmul__(v, sum_scheme="no_such_scheme")


def test_call_false_returns_a_callable():
    x, y, p = _data("float64")
    F = _formula(x, y, p)
    red = F.sum(axis=1, call=False)
    np.testing.assert_array_equal(red(), _dense(x, y, p).sum(1))
    assert "keops.reduce sum over j" in red.mlir()


def test_symbolic_variables():
    """LazyTensors over Vi(0, D) / Vj(1, D) reduce into a callable that takes
    the data, as in pykeops; data LazyTensors may be mixed in."""
    x, y, p = _data("float64")
    F = Vi(0, D) * Vj(1, D) + LazyTensor(p)
    red = F.sum(axis=1)
    assert callable(red)
    np.testing.assert_array_equal(red(x, y), _dense(x, y, p).sum(1))
    with pytest.raises(TypeError, match="dtype float32 differs from float64"):
        red(x.astype(np.float32), y.astype(np.float32))   # p is float64 data
    red = (Vi(0, D) * Vj(1, D) + Pm(2, D)).sum(axis=0)      # symbolic only: any dtype
    for dt in (np.float32, np.float64):
        out = red(x.astype(dt), y.astype(dt), p.astype(dt))
        assert out.dtype == dt
        np.testing.assert_array_equal(out, _dense(x, y, p).sum(0))
    idx = (Vi(0, D) - Vj(1, D)).sqnorm2().argKmin(2, dim=1)
    d2 = ((x[:, None] - y[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(idx(x, y), np.argsort(d2, 1, kind="stable")[:, :2])
