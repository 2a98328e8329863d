"""Batch dimensions: LazyTensors of shapes (B..., M, 1, D), (B..., 1, N, D)
and (B..., 1, 1, D), broadcast as NumPy broadcasts, reduced by one batched
keops.reduce (batch axes in the IR, the CPU kernels splitting batch elements
and rows over the thread pool), against dense NumPy references."""

import numpy as np
import pytest

import keops
from keops.numpy import LazyTensor

KINDS = ["sum", "min", "max", "argmin", "argmax", "min_argmin", "max_argmax", "kmin",
         "argkmin", "kmin_argkmin", "logsumexp", "sumsoftmaxweight"]
K = 3

# (batch shape of x, of y, of b, of p): broadcasting in every position, 1 to
# 3 batch axes, ranks that differ (NumPy aligns them on the right).
LAYOUTS = {
    "one": ((4,), (4,), (4,), (4,)),
    "x-shared": ((1,), (3,), (3,), (3,)),
    "y-shared": ((3,), (1,), (1,), (3,)),
    "two-axes": ((2, 1), (1, 3), (2, 3), (1, 1)),
    "three-axes": ((2, 1, 3), (1, 2, 1), (2, 2, 3), (1, 2, 3)),
    "ranks": ((3,), (2, 3), (1,), ()),
}


def data(layout, M, N, D, dtype, seed=0):
    rng = np.random.default_rng(seed)
    bx, by, bb, bp = LAYOUTS[layout] if isinstance(layout, str) else layout
    x = rng.standard_normal((*bx, M, 1, D)).astype(dtype)
    y = rng.standard_normal((*by, 1, N, D)).astype(dtype)
    b = rng.standard_normal((*bb, 1, N, D)).astype(dtype)
    p = (0.5 + rng.random((*bp, 1, 1, D))).astype(dtype)
    return x, y, b, p


def lazy(x, y, b, p, scalar):
    """The formula and, for logsumexp / sumsoftmaxweight, the weight."""
    X, Y, Bw, P = LazyTensor(x), LazyTensor(y), LazyTensor(b), LazyTensor(p)
    if scalar:
        return -(((X - Y) ** 2) * P).sum(-1), Bw
    return ((X - Y) ** 2) * P + Bw, None


def dense(x, y, b, p, scalar):
    x, y, b, p = (a.astype(np.float64) for a in (x, y, b, p))
    if scalar:
        return -(((x - y) ** 2) * p).sum(-1, keepdims=True), np.broadcast_to(
            b, np.broadcast_shapes(x.shape, y.shape, b.shape))
    return ((x - y) ** 2) * p + b, None


def reference(kind, F, W, axis):
    """The reduction of the dense (*B, M, N, D) values F over axis (0: i,
    1: j), in pykeops' output shapes."""
    ax = -3 if axis == 0 else -2
    if kind == "sum":
        return F.sum(ax)
    if kind in ("min", "max"):
        return getattr(F, kind)(ax)
    if kind in ("argmin", "argmax"):
        return getattr(F, kind)(ax)
    if kind in ("min_argmin", "max_argmax"):
        base = kind[:3]
        return getattr(F, base)(ax), getattr(F, "arg" + base)(ax)
    if kind in ("kmin", "argkmin", "kmin_argkmin"):
        order = np.argsort(F, axis=ax, kind="stable")
        idx = np.moveaxis(np.take(order, range(K), axis=ax), ax, -2)
        vals = np.moveaxis(np.take(np.sort(F, axis=ax), range(K), axis=ax), ax, -2)
        if F.shape[-1] == 1:
            idx, vals = idx[..., 0], vals[..., 0]
        return {"kmin": vals, "argkmin": idx, "kmin_argkmin": (vals, idx)}[kind]
    if kind == "logsumexp":
        m = F.max(ax, keepdims=True)
        return (m + np.log(np.exp(F - m).sum(ax, keepdims=True))).squeeze(ax)
    if kind == "sumsoftmaxweight":
        e = np.exp(F - F.max(ax, keepdims=True))
        return (e * W).sum(ax) / e.sum(ax)
    raise AssertionError(kind)


def run(kind, f, w, axis):
    # pykeops counts the axis on the whole shape (B..., M, N, D): -3 is i,
    # -2 is j whatever the number of batch dimensions.
    axis = -3 if axis == 0 else -2
    if kind in ("kmin", "argkmin", "kmin_argkmin"):
        return getattr(f, {"kmin": "Kmin", "argkmin": "argKmin",
                           "kmin_argkmin": "Kmin_argKmin"}[kind])(K, axis=axis)
    if kind == "sumsoftmaxweight":
        return f.sumsoftmaxweight(w, axis=axis)
    if kind == "logsumexp":
        return f.logsumexp(axis=axis)
    return getattr(f, kind)(axis=axis)


def check(kind, got, want, F, axis, rtol):
    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    assert len(got) == len(want)
    for g, r in zip(got, want):
        assert g.shape == r.shape, (g.shape, r.shape)
        if np.issubdtype(r.dtype, np.integer):
            # Indices: compared through the values they select (f32 near-ties).
            assert g.dtype == np.int64
            Fm = np.moveaxis(F, -3 if axis == 0 else -2, -2)   # (*B, rows, reduced, D)

            def sel(idx):
                if kind in ("argkmin", "kmin_argkmin"):
                    idx = idx if F.shape[-1] > 1 else idx[..., None]
                else:
                    idx = idx[..., None, :]
                return np.take_along_axis(Fm, idx, -2)
            np.testing.assert_allclose(sel(g), sel(r), rtol=rtol, atol=rtol)
        else:
            np.testing.assert_allclose(g, r, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_kind_and_layout(kind, layout, axis, dtype):
    scalar = kind in ("logsumexp", "sumsoftmaxweight")
    x, y, b, p = data(layout, 9, 11, 1 if scalar else 2, dtype)
    if scalar:
        b = np.random.default_rng(1).standard_normal(b.shape[:-1] + (3,)).astype(dtype)
    f, w = lazy(x, y, b, p, scalar)
    F, W = dense(x, y, b, p, scalar)
    if axis == 0 and W is not None:
        W = np.broadcast_to(W, F.shape[:-1] + (W.shape[-1],))
    got = run(kind, f, w, axis)
    check(kind, got, reference(kind, F, W, axis), F, axis,
          1e-4 if dtype == "float32" else 1e-10)


@pytest.mark.parametrize("threads", [1, 2])
def test_many_small_problems_over_threads(threads):
    # 300 problems of 7 rows: the pool's chunks (64 rows) cross batch
    # elements, which the kernel splits.
    keops.set_num_threads(threads)
    try:
        x, y, b, p = data(((300,), (300,), (1,), ()), 7, 400, 3, "float64")
        f, _ = lazy(x, y, b, p, False)
        F, _ = dense(x, y, b, p, False)
        np.testing.assert_allclose(f.sum(axis=2), F.sum(-2), rtol=1e-12)
        np.testing.assert_allclose(f.sum(axis=1), F.sum(-3), rtol=1e-12)
    finally:
        keops.set_num_threads(0)


@pytest.mark.parametrize("shape", [(0,), (1,), (2, 0), (1, 1)])
def test_empty_and_unit_batches(shape):
    x, y, b, p = data((shape, shape, shape, shape), 5, 6, 2, "float64")
    f, _ = lazy(x, y, b, p, False)
    F, _ = dense(x, y, b, p, False)
    got = f.min(axis=len(shape) + 1)
    assert got.shape == (*shape, 5, 2)
    np.testing.assert_allclose(got, F.min(-2) if F.size else F.sum(-2), rtol=1e-12)


def test_shapes_and_matmul():
    x, y, b, p = data("two-axes", 8, 10, 3, "float64")
    K = (-((LazyTensor(x) - LazyTensor(y)) ** 2).sum(-1)).exp()
    assert K.shape == (2, 3, 8, 10) and K.nbatchdims == 2 and K.batchdims == (2, 3)
    v = np.random.default_rng(2).standard_normal((2, 3, 10, 4))
    dense_k = np.exp(-((x - y) ** 2).sum(-1))
    np.testing.assert_allclose(K @ v, dense_k @ v, rtol=1e-12)


def test_batches_that_do_not_broadcast():
    x, y, _, _ = data(((2,), (3,), (), ()), 4, 5, 3, "float32")
    with pytest.raises(ValueError, match=r"batch dimensions \(2,\) and \(3,\) do not broadcast"):
        LazyTensor(x) - LazyTensor(y)


def test_bad_batched_shape():
    with pytest.raises(ValueError, match="after any batch dimensions"):
        LazyTensor(np.zeros((2, 4, 5, 3)))


def test_mlir_holds_the_batch_axes():
    x, y, b, p = data("x-shared", 4, 5, 3, "float32")
    f, _ = lazy(x, y, b, p, False)
    text = f.sum(axis=2, call=False).mlir()
    assert "i tensor<1x?x3xf32>" in text and "j tensor<?x?x3xf32>" in text
    assert "outs(%o0 : tensor<?x?x3xf32>)" in text


torch = pytest.importorskip("torch")


@pytest.mark.parametrize("kind", ["sum", "argkmin", "logsumexp", "sumsoftmaxweight"])
def test_torch_forward(kind):
    from keops.torch import LazyTensor as LT
    scalar = kind in ("logsumexp", "sumsoftmaxweight")
    x, y, b, p = data("two-axes", 9, 11, 1 if scalar else 2, "float64")
    F, W = dense(x, y, b, p, scalar)
    ts = [torch.tensor(a, requires_grad=True) for a in (x, y, b, p)]
    X, Y, Bw, P = (LT(t) for t in ts)
    f = -(((X - Y) ** 2) * P).sum(-1) if scalar else ((X - Y) ** 2) * P + Bw
    got = run(kind, f, Bw, 1)
    want = reference(kind, F, W, 1)
    got_np = got.detach().numpy()
    check(kind, got_np, want, F, 1, 1e-10)


def test_pykeops_axes_with_batch_dimensions():
    # pykeops counts reduction axes on the whole shape (B..., M, N, D).
    x, y, b, p = data("two-axes", 5, 6, 2, "float64")
    f, _ = lazy(x, y, b, p, False)
    F, _ = dense(x, y, b, p, False)
    np.testing.assert_allclose(f.sum(axis=3), F.sum(-2), rtol=1e-12)
    np.testing.assert_allclose(f.sum(dim=2), F.sum(-3), rtol=1e-12)
    np.testing.assert_allclose(f.sum_reduction(dim=-2), F.sum(-2), rtol=1e-12)
    assert f.sum(4).shape == (2, 3, 5, 6)      # the vector axis: a LazyTensor
    with pytest.raises(ValueError, match=r"axis=1: a reduction is over axis 2 \(over i\) or 3 "
                                         r"\(over j\) \(after 2 batch dimensions\)"):
        f.logsumexp(axis=1)


def test_genred_with_batched_arguments():
    from keops.numpy import Genred
    x, y, b, p = data("two-axes", 6, 7, 2, "float64")
    g = Genred("Exp(-SqDist(X, Y)) * B", ["X = Vi(2)", "Y = Vj(2)", "B = Vj(2)"],
               reduction_op="Sum", axis=1)
    got = g(x[..., 0, :], y[..., 0, :, :], b[..., 0, :, :])
    dense_k = np.exp(-((x - y) ** 2).sum(-1, keepdims=True)) * b
    np.testing.assert_allclose(got, dense_k.sum(-2), rtol=1e-12)
    # Batched parameters: (B..., D).
    g2 = Genred("SqDist(X, Y) * P", ["X = Vi(2)", "Y = Vj(2)", "P = Pm(1)"],
                reduction_op="Min", axis=1)
    q = np.array([1.0, 2.0, 3.0])[:, None]
    xx, yy = x[0, 0, :, 0, :], y[0, :, 0, :, :]            # (6, 2), (3, 7, 2)
    got = g2(xx, yy, q)
    want = (((xx[None, :, None, :] - yy[:, None, :, :]) ** 2).sum(-1) * q[:, :, None]).min(-1)
    np.testing.assert_allclose(got[..., 0], want, rtol=1e-12)


def test_transpose_and_solve_with_batches():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 5, 1, 3))
    y = rng.standard_normal((2, 1, 7, 3))
    K = (-((LazyTensor(x) - LazyTensor(y)) ** 2).sum(-1)).exp()
    dense_k = np.exp(-((x - y) ** 2).sum(-1))
    v = rng.standard_normal((2, 5, 2))
    assert K.T.shape == (2, 7, 5)
    np.testing.assert_allclose(K.T @ v, np.swapaxes(dense_k, -1, -2) @ v, rtol=1e-12)
    # (alpha Id + K) a = b for 3 independent Gaussian kernel matrices.
    p = rng.standard_normal((3, 40, 1, 2))
    Kp = (-((LazyTensor(p) - LazyTensor(np.swapaxes(p, -2, -3))) ** 2).sum(-1)).exp()
    b = rng.standard_normal((3, 40, 1))
    a = Kp.solve(b, alpha=0.1, eps=1e-10)
    dense_p = np.exp(-((p - np.swapaxes(p, -2, -3)) ** 2).sum(-1)) + 0.1 * np.eye(40)
    np.testing.assert_allclose(a, np.linalg.solve(dense_p, b), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("kind", ["sum", "min_argmin", "argkmin", "logsumexp",
                                  "sumsoftmaxweight"])
@pytest.mark.parametrize("axis", [0, 1])
def test_interpreter_agrees(kind, axis):
    # The reference interpreter (keops-run) on the module the frontend
    # emits, against the CPU kernels (checked against NumPy above).
    from keops import reference
    scalar = kind in ("logsumexp", "sumsoftmaxweight")
    x, y, b, p = data("two-axes", 5, 6, 1 if scalar else 2, "float64")
    f, w = lazy(x, y, b, p, scalar)
    axis = -3 if axis == 0 else -2
    red = {"argkmin": lambda: f.argKmin(K, axis=axis, call=False),
           "sumsoftmaxweight": lambda: f.sumsoftmaxweight(w, axis=axis, call=False),
           "logsumexp": lambda: f.logsumexp(axis=axis, call=False)}.get(
        kind, lambda: getattr(f, kind)(axis=axis, call=False))()
    compiled = red()
    compiled = compiled if isinstance(compiled, tuple) else (compiled,)
    args = [v._data for v in red._collected[1]]
    # Raw outputs: (B1, B2, rows, width), K kinds' (K, D) flattened.
    outs = [np.zeros((*c.shape[:3], int(np.prod(c.shape[3:]))), c.dtype) for c in compiled]
    got = reference.evaluate(red.mlir("float64"), args + outs)
    for g, c in zip(got, compiled):
        np.testing.assert_allclose(g.reshape(c.shape), c, rtol=1e-10, atol=1e-12)


def test_runtime_checks_the_batch_extents():
    # The runtime below the C API: the kernel's signature and the extents.
    from keops._runtime import KeopsError, compile_mlir
    x, y, b, p = data("x-shared", 4, 5, 3, "float32")
    f, _ = lazy(x, y, b, p, False)
    kernel = compile_mlir(f.sum(axis=2, call=False).mlir()).kernels[0]
    assert kernel.batch_rank == 1
    assert kernel.input_broadcast == [[True], [False], [False], [False]]
    args = [v._data for v in f.sum(axis=2, call=False)._collected[1]]
    out = np.zeros((3, 4, 3), np.float32)
    with pytest.raises(KeopsError, match="has 1 batch axes, got 0 batch extents"):
        kernel.run(args, [out], 4, 5)
    with pytest.raises(KeopsError, match="batch extents must be >= 0"):
        kernel.run(args, [out], 4, 5, batch=[-1])
    kernel.run(args, [out], 4, 5, batch=[3])
    np.testing.assert_allclose(out, dense(x, y, b, p, False)[0].sum(-2), rtol=1e-5)


def test_c_api_batch_arguments():
    # keops_run_batched's own checks, through the C library itself.
    import ctypes
    from keops import _capi
    lib = _capi._load()
    vp, i64 = ctypes.c_void_p, ctypes.c_int64
    lib.keops_run_batched.argtypes = [vp, i64, ctypes.POINTER(vp), ctypes.POINTER(vp), i64,
                                      i64, i64, ctypes.POINTER(i64), vp]
    lib.keops_run_batched.restype = ctypes.c_int
    assert lib.keops_run_batched(None, 0, None, None, 1, 1, 0, None, None) == 1
    assert lib.keops_last_error() == b"keops_run_batched: null module"
    assert lib.keops_run_batched(None, 0, None, None, 1, 1, 1, None, None) == 1
    assert lib.keops_last_error() == b"keops_run_batched: rank < 0, or null batch extents"
    assert lib.keops_run_batched(None, 0, None, None, 1, 1, -1, None, None) == 1
    assert b"rank < 0" in lib.keops_last_error()
