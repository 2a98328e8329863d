"""float16 data: NumPy arrays and torch tensors of float16 are reduced in
float32 (converted on the way in, results converted back), so a float16
result is the float32 result on the same data, rounded once; index outputs
stay int64. Sums over many terms keep float32's accuracy, which float16
arithmetic would not."""

import numpy as np
import pytest

from keops import Vi, Vj
from keops.numpy import Genred

torch = pytest.importorskip("torch")

M, N, D = 70, 90, 3

KINDS = {
    "sum": lambda F, ax, **kw: F.sum(axis=ax, **kw),
    "min": lambda F, ax, **kw: F.min(axis=ax, **kw),
    "argmin": lambda F, ax, **kw: F.argmin(axis=ax, **kw),
    "Kmin_argKmin": lambda F, ax, **kw: F.Kmin_argKmin(3, axis=ax, **kw),
    "logsumexp": lambda F, ax, **kw: F.sum(-1).logsumexp(axis=ax, **kw),
    "sumsoftmaxweight": lambda F, ax, **kw: F.sum(-1).sumsoftmaxweight(F, axis=ax, **kw),
}


def _formula(x, y):
    return (-(Vi(x) - Vj(y)) ** 2).exp() * Vj(y)


def _data(fw):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(M, D)).astype(np.float16)
    y = rng.normal(size=(N, D)).astype(np.float16)
    return (x, y) if fw == "numpy" else (torch.tensor(x), torch.tensor(y))


def _as(a, dtype, fw):
    if fw == "numpy":
        return a.astype(dtype) if a.dtype.kind == "f" else a
    return a.to(getattr(torch, dtype)) if a.is_floating_point() else a


def _parts(r):
    return r if isinstance(r, tuple) else (r,)


@pytest.mark.parametrize("fw", ["numpy", "torch"])
@pytest.mark.parametrize("axis", [0, 1], ids=["over_i", "over_j"])
@pytest.mark.parametrize("name", list(KINDS))
def test_reduced_in_float32_and_rounded_once(name, axis, fw):
    x, y = _data(fw)
    got = _parts(KINDS[name](_formula(x, y), axis))
    want = _parts(KINDS[name](_formula(_as(x, "float32", fw), _as(y, "float32", fw)), axis))
    for g, w in zip(got, want):
        is_index = str(w.dtype).endswith("int64")
        assert str(g.dtype).endswith("int64" if is_index else "float16")
        w16 = w if is_index else _as(w, "float16", fw)
        g, w16 = np.asarray(g), np.asarray(w16)
        np.testing.assert_array_equal(g, w16)


def test_long_sums_keep_float32_accuracy():
    """10,000 terms of 1: float16 arithmetic would stop at 2048."""
    x = np.zeros((4, 1), np.float16)
    y = np.zeros((10_000, 1), np.float16)
    out = (Vi(x) - Vj(y) + 1).sum(axis=1)
    assert out.dtype == np.float16
    np.testing.assert_array_equal(out, np.full((4, 1), 10_000, np.float16))


def test_gradients_in_float16():
    x, y = _data("torch")
    xs = x.clone().requires_grad_()
    x32 = x.float().requires_grad_()
    s = _formula(xs, y).sum(axis=1)
    s32 = _formula(x32, y.float()).sum(axis=1)
    e = torch.randn(M, D)
    g, = torch.autograd.grad(s, xs, e.half())
    g32, = torch.autograd.grad(s32, x32, e.half().float())
    assert g.dtype == torch.float16 and s.dtype == torch.float16
    torch.testing.assert_close(g, g32.half(), rtol=0, atol=0)


def test_out_and_genred():
    x, y = _data("numpy")
    out = np.empty((M, D), np.float16)
    assert _formula(x, y).sum(axis=1, out=out) is out
    want = _formula(x.astype(np.float32), y.astype(np.float32)).sum(axis=1)
    np.testing.assert_array_equal(out, want.astype(np.float16))
    with pytest.raises(ValueError, match="out must be a numpy array of shape .* float16"):
        _formula(x, y).sum(axis=1, out=np.empty((M, D), np.float32))
    gauss = Genred("Exp(-SqDist(X, Y))", ["X = Vi(3)", "Y = Vj(3)"], axis=1)
    got = gauss(x, y)
    assert got.dtype == np.float16
    np.testing.assert_array_equal(got, gauss(x.astype(np.float32),
                                             y.astype(np.float32)).astype(np.float16))


def test_mixed_with_float32_is_an_error():
    x, y = _data("numpy")
    with pytest.raises(TypeError, match="mixed dtypes: float16 and float32"):
        (Vi(x) - Vj(y.astype(np.float32))).sum(axis=1)
