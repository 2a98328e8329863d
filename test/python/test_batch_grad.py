"""Gradients of reductions with batch dimensions: torch autograd (first and
second order) through batched keops.reduce ops, against torch's own autograd
on the dense (B..., M, N, D) computation. Inputs broadcast along a batch axis
get the sum of the gradients of the batch elements that read them
(keops.unbroadcast in the gradient module)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from keops.torch import LazyTensor  # noqa: E402
from test_batch import LAYOUTS, K, data  # noqa: E402

DIFFERENTIABLE = ["sum", "min", "max", "min_argmin", "max_argmax", "kmin", "kmin_argkmin",
                  "logsumexp", "sumsoftmaxweight"]


def tensors(layout, M, N, D, dtype="float64", seed=0, scalar=False):
    x, y, b, p = data(layout, M, N, D, dtype, seed)
    if scalar:  # the weights of sumsoftmaxweight: 3 columns
        b = np.random.default_rng(seed + 1).standard_normal(b.shape[:-1] + (3,)).astype(dtype)
    return [torch.tensor(a, requires_grad=True) for a in (x, y, b, p)]


def formula(x, y, b, p, scalar, lazy):
    """The formula (and weight): LazyTensors, or the dense torch values."""
    if lazy:
        x, y, b, p = (LazyTensor(t) for t in (x, y, b, p))
    if scalar:
        return -(((x - y) ** 2) * p).sum(-1, **({} if lazy else {"keepdim": True})), b
    return ((x - y) ** 2) * p + b, None


def keops_reduce(kind, f, w, axis):
    ax = -3 if axis == 0 else -2
    if kind == "sumsoftmaxweight":
        return f.sumsoftmaxweight(w, axis=ax)
    if kind == "logsumexp":
        return f.logsumexp(axis=ax)
    if kind in ("kmin", "kmin_argkmin"):
        r = getattr(f, {"kmin": "Kmin", "kmin_argkmin": "Kmin_argKmin"}[kind])(K, axis=ax)
    else:
        r = getattr(f, kind)(axis=ax)
    return r[0] if isinstance(r, tuple) else r


def dense_reduce(kind, F, W, axis):
    ax = -3 if axis == 0 else -2
    if kind == "sum":
        return F.sum(ax)
    if kind in ("min", "min_argmin"):
        return F.min(ax).values
    if kind in ("max", "max_argmax"):
        return F.max(ax).values
    if kind in ("kmin", "kmin_argkmin"):
        return torch.topk(F, K, dim=ax, largest=False).values.movedim(ax, -2)
    if kind == "logsumexp":
        return torch.logsumexp(F, ax)
    if kind == "sumsoftmaxweight":
        W = W.expand(*F.shape[:-1], W.shape[-1])
        return (torch.softmax(F, ax) * W).sum(ax)
    raise AssertionError(kind)


def grads(kind, layout, axis, lazy, create_graph=False, seed=0):
    scalar = kind in ("logsumexp", "sumsoftmaxweight")
    ts = tensors(layout, 6, 7, 1 if scalar else 2, seed=seed, scalar=scalar)
    r = (keops_reduce if lazy else dense_reduce)(kind, *formula(*ts, scalar, lazy), axis)
    cot = torch.tensor(np.random.default_rng(9).standard_normal(tuple(r.shape)))
    return r, torch.autograd.grad(r, ts, cot, create_graph=create_graph, allow_unused=True), ts


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("kind", DIFFERENTIABLE)
@pytest.mark.parametrize("axis", [0, 1])
def test_first_order(kind, layout, axis):
    r, got, ts = grads(kind, layout, axis, True)
    want_r, want, _ = grads(kind, layout, axis, False)
    np.testing.assert_allclose(r.detach(), want_r.detach(), rtol=1e-10, atol=1e-12)
    for g, w, t in zip(got, want, ts):
        if w is None:   # an input the formula does not read
            assert g is None
            continue
        assert g.shape == t.shape
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("kind", ["argmin", "argKmin"])
def test_index_kinds_are_not_differentiable(kind):
    # Indices are piecewise constant: no gradient flows through them, and a
    # formula using them beside a differentiable reduction still works.
    x, y = tensors("two-axes", 5, 6, 2)[:2]
    D2 = ((LazyTensor(x) - LazyTensor(y)) ** 2).sum(-1)
    idx = getattr(D2, kind)(*((K,) if kind == "argKmin" else ()), axis=-2)
    assert idx.dtype == torch.int64 and not idx.requires_grad
    assert idx.shape == (2, 3, 5, K if kind == "argKmin" else 1)
    gx, = torch.autograd.grad(D2.min(axis=-2).sum(), [x])
    dense = ((x - y) ** 2).sum(-1)
    want, = torch.autograd.grad(dense.min(-1).values.sum(), [x])
    np.testing.assert_allclose(gx, want, rtol=1e-12)


@pytest.mark.parametrize("layout", ["one", "x-shared", "two-axes", "ranks"])
@pytest.mark.parametrize("kind", ["sum", "logsumexp", "min"])
@pytest.mark.parametrize("axis", [0, 1])
def test_second_order(kind, layout, axis):
    # Hessian-vector products: the gradients of <g, h> w.r.t. every input.
    def hvp(lazy):
        _, g, ts = grads(kind, layout, axis, lazy, create_graph=True)
        h = [torch.tensor(np.random.default_rng(n).standard_normal(tuple(t.shape)))
             for n, t in enumerate(ts)]
        used = [(gi, hi) for gi, hi in zip(g, h) if gi is not None and gi.requires_grad]
        total = sum((gi * hi).sum() for gi, hi in used)
        return torch.autograd.grad(total, ts, allow_unused=True)
    for got, want in zip(hvp(True), hvp(False)):
        if want is None:
            assert got is None or not got.abs().max() > 0
            continue
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-9)


def test_float32_and_float16():
    for dtype, rtol in (("float32", 1e-4), ("float16", 3e-2)):
        x, y, b, p = (torch.tensor(a, requires_grad=True)
                      for a in data("x-shared", 8, 9, 3, dtype))
        X, Y, P = LazyTensor(x), LazyTensor(y), LazyTensor(p)
        r = (-(((X - Y) ** 2) * P).sum(-1)).exp().sum(axis=-2)
        gx, gy, gp = torch.autograd.grad(r.sum(), [x, y, p])
        assert gx.dtype == getattr(torch, dtype) and gx.shape == x.shape
        x64, y64, p64 = (t.detach().double().requires_grad_() for t in (x, y, p))
        d = (-(((x64 - y64) ** 2) * p64).sum(-1)).exp().sum(-1)
        want = torch.autograd.grad(d.sum(), [x64, y64, p64])
        for g, w in zip((gx, gy, gp), want):
            np.testing.assert_allclose(g.double(), w, rtol=rtol, atol=rtol * w.abs().max())


def test_empty_batch():
    x = torch.zeros(0, 4, 1, 2, dtype=torch.float64, requires_grad=True)
    y = torch.randn(1, 1, 5, 2, dtype=torch.float64, requires_grad=True)
    r = ((LazyTensor(x) - LazyTensor(y)) ** 2).sum(-1).sum(axis=2)
    gx, gy = torch.autograd.grad(r.sum(), [x, y])
    assert gx.shape == x.shape and gy.shape == y.shape
    assert not gy.abs().max() > 0


def test_matmul_and_genred_gradients():
    from keops.torch import Genred
    rng = np.random.default_rng(3)
    x = torch.tensor(rng.standard_normal((2, 5, 3)), requires_grad=True)
    y = torch.tensor(rng.standard_normal((2, 6, 3)), requires_grad=True)
    v = torch.tensor(rng.standard_normal((2, 6, 4)), requires_grad=True)
    K = (-((LazyTensor(x[:, :, None, :]) - LazyTensor(y[:, None, :, :])) ** 2).sum(-1)).exp()
    g = Genred("Exp(-SqDist(X, Y)) * V", ["X = Vi(3)", "Y = Vj(3)", "V = Vj(4)"],
               reduction_op="Sum", axis=1)
    for r in (K @ v, g(x, y, v)):
        got = torch.autograd.grad((r ** 2).sum(), [x, y, v])
        dense_k = (-((x[:, :, None, :] - y[:, None, :, :]) ** 2).sum(-1)).exp()
        want = torch.autograd.grad(((dense_k @ v) ** 2).sum(), [x, y, v])
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


GRADIENT_MODULE = """
func.func @grad(%x: tensor<?x?x?x3xf64>, %y: tensor<?x1x?x3xf64>, %s: tensor<1x?x1xf64>,
                %o: tensor<?x?x?x1xf64>, %e: tensor<?x?x?x1xf64>)
    -> (tensor<?x?x?x3xf64>, tensor<?x1x?x3xf64>, tensor<1x?x1xf64>) {
  %r = keops.reduce logsumexp over j
      ins(%x : i tensor<?x?x?x3xf64>, %y : j tensor<?x1x?x3xf64>, %s : p tensor<1x?x1xf64>)
      outs(%o : tensor<?x?x?x1xf64>) {
  ^bb0(%a: vector<3xf64>, %b: vector<3xf64>, %c: vector<1xf64>):
    %d = keops.sqdist %a, %b : vector<3xf64>
    %f = arith.mulf %d, %c : vector<1xf64>
    keops.yield %f : vector<1xf64>
  } -> tensor<?x?x?x1xf64>
  %g:3 = keops.reduce_grad %r wrt [0, 1, 2], %e : tensor<?x?x?x1xf64>, tensor<?x?x?x1xf64>
      -> tensor<?x?x?x3xf64>, tensor<?x1x?x3xf64>, tensor<1x?x1xf64>
  return %g#0, %g#1, %g#2 : tensor<?x?x?x3xf64>, tensor<?x1x?x3xf64>, tensor<1x?x1xf64>
}
"""


def _gradient_inputs():
    rng = np.random.default_rng(7)
    B0, B1, M, N = 2, 3, 4, 5
    x = rng.standard_normal((B0, B1, M, 3))
    y = rng.standard_normal((B0, 1, N, 3))
    s = -rng.random((1, B1, 1))
    e = rng.standard_normal((B0, B1, M, 1))
    o = np.zeros((B0, B1, M, 1))
    return x, y, s, o, e


def test_interpreter_and_runtime_run_the_gradient_module():
    # The interpreter (tensor slices, keops.unbroadcast) and the runtime's
    # function plan on the same gradient module, against torch.
    from keops import reference
    from keops._runtime import compile_mlir
    x, y, s, o, e = _gradient_inputs()
    ts = [torch.tensor(a, requires_grad=True) for a in (x, y, s)]
    F = ((ts[0][:, :, :, None, :] - ts[1][:, :, None, :, :]) ** 2).sum(-1) * ts[2][..., None]
    want = torch.autograd.grad(torch.logsumexp(F, -1)[..., None], ts, torch.tensor(e))
    interp = reference.evaluate(GRADIENT_MODULE, [x, y, s, o, e])
    fn = compile_mlir(GRADIENT_MODULE).functions["grad"]
    rows = [4, 5, 1, 4, 4]
    shapes = [shape for shape, _, _ in fn.result_shapes(rows, (2, 3))]
    assert shapes == [(2, 3, 4, 3), (2, 1, 5, 3), (1, 3, 1)]
    results = [np.zeros(sh) for sh in shapes]
    fn.run([x, y, s, 0, e], rows, results, batch=(2, 3))
    for w, a, b in zip(want, interp, results):
        np.testing.assert_allclose(a, w.numpy(), rtol=1e-12)
        np.testing.assert_allclose(b, w.numpy(), rtol=1e-12)


def test_runtime_checks_the_function_batch():
    from keops._runtime import KeopsError, compile_mlir
    x, y, s, o, e = _gradient_inputs()
    fn = compile_mlir(GRADIENT_MODULE).functions["grad"]
    rows = [4, 5, 1, 4, 4]
    with pytest.raises(KeopsError, match="function 'grad' has 2 batch axes, got 1 batch extents"):
        fn.result_shapes(rows, (2,))
    with pytest.raises(KeopsError, match="batch extent -1 on axis 1 is negative"):
        fn.run([x, y, s, 0, e], rows, [np.zeros(1)] * 3, batch=(2, -1))
    # A static extent of an argument's type that the batch contradicts.
    text = GRADIENT_MODULE.replace("tensor<1x?x1xf64>", "tensor<1x3x1xf64>")
    fn = compile_mlir(text).functions["grad"]
    with pytest.raises(KeopsError, match="argument #2 has 3 elements on batch axis 1, but "
                                         "the batch has 4"):
        fn.result_shapes(rows, (2, 4))


def test_c_api_function_batch_arguments():
    import ctypes
    from keops import _capi
    lib = _capi._load()
    vp, i64 = ctypes.c_void_p, ctypes.c_int64
    i64p = ctypes.POINTER(i64)
    lib.keops_run_function_batched.argtypes = [vp, i64, ctypes.POINTER(vp), i64p, i64, i64p,
                                               ctypes.POINTER(vp), vp]
    lib.keops_run_function_batched.restype = ctypes.c_int
    lib.keops_function_batch_rank.argtypes = [vp, i64]
    lib.keops_function_batch_rank.restype = i64
    module = _capi.CompiledModule(GRADIENT_MODULE)
    handle = module._handle
    assert lib.keops_function_batch_rank(handle, 0) == 2
    assert lib.keops_function_batch_rank(handle, 5) == -1
    ptrs = (vp * 6)()
    rows = (i64 * 5)(4, 5, 1, 4, 4)
    assert lib.keops_run_function_batched(handle, 0, ptrs, rows, 2, None, ptrs, None) == 1
    assert lib.keops_last_error() == (b"keops_run_function: a batch of 2 extents needs a "
                                      b"non-null array")
