"""torch.autograd through keops reductions (each derivative a sum reduction
of keops.grad ops) against torch's own autograd of the dense computation,
first to fourth order, float32 and float64, and torch.autograd.gradcheck.
"""

import pytest

torch = pytest.importorskip("torch")

from keops import LazyTensor  # noqa: E402

M, N, D = 23, 37, 3


def data(dtype, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(M, D, generator=g, dtype=dtype, requires_grad=True)
    y = torch.randn(N, D, generator=g, dtype=dtype, requires_grad=True)
    b = torch.randn(N, 2, generator=g, dtype=dtype, requires_grad=True)
    s = torch.tensor([0.7], dtype=dtype, requires_grad=True)
    return x, y, b, s


def lazy(x, y, b, s):
    return (LazyTensor(x[:, None, :]), LazyTensor(y[None, :, :]),
            LazyTensor(b[None, :, :]), LazyTensor(s))


def dense_f(x, y, s):
    return -s * ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)


# (name, keops reduction, dense reduction): both map (x, y, b, s) to one
# differentiable tensor.
CASES = [
    ("sum_j", lambda X, Y, B, S: ((-S * X.sqdist(Y)).exp() * B).sum(dim=1),
     lambda x, y, b, s: dense_f(x, y, s).exp() @ b),
    ("sum_i", lambda X, Y, B, S: ((-S * X.sqdist(Y)).exp() * B).sum(dim=0),
     lambda x, y, b, s: dense_f(x, y, s).exp().T[:, :, None].mul(b[:, None, :]).sum(1)),
    ("logsumexp", lambda X, Y, B, S: (-S * X.sqdist(Y)).logsumexp(dim=1),
     lambda x, y, b, s: torch.logsumexp(dense_f(x, y, s), 1, keepdim=True)),
    ("logsumexp_weight", lambda X, Y, B, S: (-S * X.sqdist(Y)).logsumexp(dim=1, weight=B.exp()),
     lambda x, y, b, s: torch.logsumexp(dense_f(x, y, s)[:, :, None] + b[None], 1)),
    ("sumsoftmaxweight", lambda X, Y, B, S: (-S * X.sqdist(Y)).sumsoftmaxweight(B, dim=1),
     lambda x, y, b, s: torch.softmax(dense_f(x, y, s), 1) @ b),
    ("sumsoftmaxweight_i", lambda X, Y, B, S: (-S * X.sqdist(Y)).sumsoftmaxweight(X.sin(), dim=0),
     lambda x, y, b, s: torch.softmax(dense_f(x, y, s), 0).T @ x.sin()),
    ("min", lambda X, Y, B, S: (X.sqdist(Y) * S).min(dim=1),
     lambda x, y, b, s: (-dense_f(x, y, s)).min(1, keepdim=True)[0]),
    ("max_i", lambda X, Y, B, S: (X - Y).sin().max(dim=0),
     lambda x, y, b, s: torch.sin(x[:, None] - y[None]).max(0)[0]),
    ("min_argmin", lambda X, Y, B, S: (X.sqdist(Y) * S).min_argmin(dim=1)[0],
     lambda x, y, b, s: (-dense_f(x, y, s)).min(1, keepdim=True)[0]),
    ("Kmin", lambda X, Y, B, S: (X.sqdist(Y) * S).Kmin(K=4, dim=1),
     lambda x, y, b, s: torch.sort(-dense_f(x, y, s), 1)[0][:, :4]),
    ("Kmin_argKmin_i", lambda X, Y, B, S: (X.sqdist(Y) * S).Kmin_argKmin(K=3, dim=0)[0],
     lambda x, y, b, s: torch.sort(-dense_f(x, y, s), 0)[0][:3].T),
]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("name,keops_fn,dense_fn", CASES, ids=[c[0] for c in CASES])
def test_first_order_matches_dense_autograd(name, keops_fn, dense_fn, dtype):
    x, y, b, s = data(dtype)
    out = keops_fn(*lazy(x, y, b, s))
    ref = dense_fn(x, y, b, s)
    assert out.shape == ref.shape
    # A fixed cotangent: the global generator's state depends on the tests run before.
    e = torch.randn(ref.shape, generator=torch.Generator().manual_seed(1), dtype=dtype)
    wrt = [x, y, b, s]
    got = torch.autograd.grad(out, wrt, e, allow_unused=True)
    want = torch.autograd.grad(ref, wrt, e, allow_unused=True)
    tol = 1e-10 if dtype == torch.float64 else 2e-4
    for g, w, n in zip(got, want, "xybs"):
        if w is None:
            assert g is None or not g.any(), n
            continue
        assert g is not None and g.shape == w.shape and g.dtype == dtype, n
        scale = w.abs().max().clamp_min(1e-30)
        assert (g - w).abs().max() / scale < tol, (n, float((g - w).abs().max() / scale))


def test_backward_accumulates_into_leaves():
    x, y, b, s = data(torch.float64)
    X, Y, B, S = lazy(x, y, b, s)
    ((-S * X.sqdist(Y)).exp() * B).sum(dim=1).sum().backward()
    gx = x.grad.clone()
    x.grad = None
    (dense_f(x, y, s).exp() @ b).sum().backward()
    torch.testing.assert_close(gx, x.grad)


def test_gradcheck():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(5, 2, generator=g, dtype=torch.float64, requires_grad=True)
    y = torch.randn(6, 2, generator=g, dtype=torch.float64, requires_grad=True)
    b = torch.randn(6, 1, generator=g, dtype=torch.float64, requires_grad=True)

    def f(x, y, b):
        X, Y, B = LazyTensor(x[:, None, :]), LazyTensor(y[None, :, :]), LazyTensor(b[None, :, :])
        return ((X - Y).sin().sum(-1) * B).logsumexp(dim=1)

    assert torch.autograd.gradcheck(f, (x, y, b))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_double_backward_matches_dense(dtype):
    x, y, b, s = data(dtype, seed=1)
    # Seeded: the gradient wrt s is one sum of terms of both signs, whose
    # float32 error relative to it depends on the cotangents drawn.
    g = torch.Generator().manual_seed(2)
    e = torch.randn(M, 2, generator=g, dtype=dtype)
    gx, = torch.autograd.grad(lazy_sum(x, y, b, s), x, e, create_graph=True)
    gxr, = torch.autograd.grad(dense_f(x, y, s).exp() @ b, x, e, create_graph=True)
    u = torch.randn(gx.shape, generator=g, dtype=dtype)
    got = torch.autograd.grad(gx, (x, y, b, s), u)
    want = torch.autograd.grad(gxr, (x, y, b, s), u)
    tol = 1e-10 if dtype == torch.float64 else 2e-4
    for g, w in zip(got, want):
        assert (g - w).abs().max() / w.abs().max() < tol


def lazy_sum(x, y, b, s):
    X, Y, B, S = lazy(x, y, b, s)
    return ((-S * X.sqdist(Y)).exp() * B).sum(dim=1)


def test_laplacian_by_double_backward():
    # sum_i trace of the Hessian of sum_j exp(-|x_i - y_j|^2) w.r.t. x_i,
    # from D Hessian-vector products.
    x, y, b, s = data(torch.float64, seed=2)
    ones = torch.ones(M, 2, dtype=torch.float64)
    gx, = torch.autograd.grad(lazy_sum(x, y, b, s), x, ones, create_graph=True)
    gxr, = torch.autograd.grad(dense_f(x, y, s).exp() @ b, x, ones, create_graph=True)
    for d in range(D):
        u = torch.zeros_like(gx)
        u[:, d] = 1
        h, = torch.autograd.grad(gx, x, u, retain_graph=True)
        hr, = torch.autograd.grad(gxr, x, u, retain_graph=True)
        torch.testing.assert_close(h, hr)


def test_argmin_has_zero_gradient():
    x, y, b, s = data(torch.float64)
    X, Y, B, S = lazy(x, y, b, s)
    out = (X.sqdist(Y) * S).min_argmin(dim=1)
    assert not out[1].requires_grad  # indices
    g = torch.autograd.grad(out[0].sum() + 0 * x.sum(), x)[0]
    assert g.shape == x.shape


SECOND_ORDER = [c for c in CASES if c[0] in ("sum_i", "logsumexp", "logsumexp_weight",
                                             "sumsoftmaxweight", "sumsoftmaxweight_i", "min",
                                             "Kmin", "max_i")]


@pytest.mark.parametrize("name,keops_fn,dense_fn", SECOND_ORDER, ids=[c[0] for c in SECOND_ORDER])
def test_double_backward_of_every_kind(name, keops_fn, dense_fn):
    x, y, b, s = data(torch.float64, seed=4)
    out, ref = keops_fn(*lazy(x, y, b, s)), dense_fn(x, y, b, s)
    e = torch.randn_like(ref)
    g = torch.autograd.grad(out, (x, y), e, create_graph=True)
    gr = torch.autograd.grad(ref, (x, y), e, create_graph=True)
    u = [torch.randn_like(t) for t in g]
    got = torch.autograd.grad(g, (x, y, b), u, allow_unused=True)
    want = torch.autograd.grad(gr, (x, y, b), u, allow_unused=True)
    for a, w in zip(got, want):
        if w is None:
            assert a is None or not a.any()
            continue
        assert (a - w).abs().max() / w.abs().max().clamp_min(1e-30) < 1e-9


THIRD_ORDER = [c for c in CASES if c[0] in ("sum_j", "sum_i", "logsumexp", "logsumexp_weight",
                                            "sumsoftmaxweight", "min_argmin", "Kmin")]


@pytest.mark.parametrize("name,keops_fn,dense_fn", THIRD_ORDER, ids=[c[0] for c in THIRD_ORDER])
def test_third_and_fourth_order_match_dense(name, keops_fn, dense_fn):
    # Each backward is a sum reduction of keops.grad ops that torch tracks:
    # create_graph differentiates it again, w.r.t. i, j and parameter inputs.
    x, y, b, s = data(torch.float64, seed=5)
    inputs = (x, y, b, s)
    out, ref = keops_fn(*lazy(*inputs)), dense_fn(*inputs)
    e = torch.randn_like(ref)
    got, want = [out], [ref]
    for order in range(3):
        u = [torch.randn_like(t) if order else e for t in got]
        got = [g for g in torch.autograd.grad(got, inputs, u, create_graph=True,
                                               allow_unused=True) if g is not None]
        want = [w for w in torch.autograd.grad(want, inputs, u, create_graph=True,
                                                allow_unused=True) if w is not None]
        assert len(got) == len(want)
        for a, w in zip(got, want):
            scale = w.abs().max().clamp_min(1e-12)
            assert (a - w).abs().max() / scale < 1e-9, (order + 2, a, w)


def test_gradient_plans_leave_out_partial_states():
    # A forward split over the threads (partial states, as few kept rows
    # get them) differentiates through gradient kernels compiled without
    # them (2 to 5 times faster to compile); the gradients are the same.
    from keops import _autograd
    x, y, b, s = data(torch.float64, seed=6)
    X, Y, B, S = lazy(x, y, b, s)
    K = (-S * X.sqdist(Y)).exp() * B
    want = torch.autograd.grad(K.sum(dim=1).sum(), (x, y))
    before = set(_autograd._DERIVED)
    got = torch.autograd.grad(K.sum(dim=1, partial_states=True).sum(), (x, y))
    new = [k for k in _autograd._DERIVED if k not in before and k[1][0] == "vjp"]
    assert new and all(("partial_states", True) in k[0][5] for k in new)
    for key in new:
        for gplan, _ in _autograd._DERIVED[key]:
            assert not dict(gplan.options).get("partial_states")
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-12, atol=1e-12)


def test_sumsoftmaxweight_split_matches_the_fused_forward():
    # When autograd records, sumsoftmaxweight runs as logsumexp + sum; its
    # value is that of the fused reduction (run without grad).
    x, y, b, s = data(torch.float64, seed=5)
    X, Y, B, S = lazy(x, y, b, s)
    out = (-S * X.sqdist(Y)).sumsoftmaxweight(B, dim=1)
    assert out.requires_grad
    with torch.no_grad():
        fused = (-S * X.sqdist(Y)).sumsoftmaxweight(B, dim=1)
    assert fused.grad_fn is None
    torch.testing.assert_close(out.detach(), fused, rtol=1e-12, atol=1e-12)


def test_genred_gradient():
    from keops.torch import Genred
    x, y, b, s = data(torch.float64)
    k = Genred("Exp(-SqDist(x,y))*b", ["x = Vi(3)", "y = Vj(3)", "b = Vj(2)"],
               reduction_op="Sum", axis=1)
    out = k(x, y, b)
    ref = torch.exp(-((x[:, None] - y[None]) ** 2).sum(-1)) @ b
    e = torch.randn_like(ref)
    got = torch.autograd.grad(out, (x, y, b), e)
    want = torch.autograd.grad(ref, (x, y, b), e)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w)


def test_symbolic_grad_method():
    # pykeops' F.grad(v, gradin): the formula-level gradient (keops.grad),
    # here the gradient of the Gaussian kernel sum w.r.t. x as a reduction.
    import numpy as np
    from keops import Vi, Vj
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(8, 3))
    b, e = rng.normal(size=(8, 1)), rng.normal(size=(6, 1))
    X, Y, B, E = Vi(x), Vj(y), Vj(b), Vi(e)
    g = ((-X.sqdist(Y)).exp() * B).grad(X, E).sum(dim=1)
    d = x[:, None] - y[None]
    k = np.exp(-(d ** 2).sum(-1)) * b[:, 0]
    np.testing.assert_allclose(g, (-2 * d * (k * e)[:, :, None]).sum(1), rtol=1e-12)
    with pytest.raises(ValueError, match="with respect to a variable"):
        (X * Y).grad(X + 1, E)
    with pytest.raises(ValueError, match="gradin has dimension 3 but the formula has dimension 1"):
        X.sqdist(Y).grad(X, X)


def test_autograd_through_a_symbolic_grad():
    # torch differentiates a reduction whose formula holds keops.grad: the
    # compiler differentiates the expanded gradient again.
    x, y, b, s = data(torch.float64, seed=5)
    e = torch.randn(M, 1, dtype=torch.float64)
    X, Y = LazyTensor(x[:, None, :]), LazyTensor(y[None, :, :])
    g = (-X.sqdist(Y)).exp().grad(X, LazyTensor(e[:, None, :])).sum(dim=1)
    u = torch.randn_like(g)
    got = torch.autograd.grad(g, (x, y), u)

    def dense(x, y):
        d = x[:, None] - y[None]
        return (-2 * d * (torch.exp(-(d ** 2).sum(-1)) * e)[:, :, None]).sum(1)

    want = torch.autograd.grad(dense(x, y), (x, y), u)
    for a, w in zip(got, want):
        torch.testing.assert_close(a, w)


def test_double_backward_through_a_parameter_gradient():
    # d/d(x, y, b) of <d out/d s, c>: the parameter's gradient is a sum of
    # per-row partials, differentiated again with its cotangent as a
    # parameter input.
    x, y, b, s = data(torch.float64, seed=6)
    e = torch.randn(M, 2, dtype=torch.float64)
    gs, = torch.autograd.grad(lazy_sum(x, y, b, s), s, e, create_graph=True)
    gsr, = torch.autograd.grad(dense_f(x, y, s).exp() @ b, s, e, create_graph=True)
    torch.testing.assert_close(gs, gsr)
    got = torch.autograd.grad(gs, (x, y, b, s), torch.tensor([1.3], dtype=torch.float64))
    want = torch.autograd.grad(gsr, (x, y, b, s), torch.tensor([1.3], dtype=torch.float64))
    for a, w in zip(got, want):
        torch.testing.assert_close(a, w)


def test_empty_tensors_have_no_address():
    """torch's empty tensors have data_ptr() 0: the runtime takes a null
    pointer for an array without elements, forward and backward."""
    x = torch.randn(5, D, dtype=torch.float64, requires_grad=True)
    y = torch.zeros(0, D, dtype=torch.float64, requires_grad=True)
    assert y.data_ptr() == 0
    xi, yj = LazyTensor(x[:, None, :]), LazyTensor(y[None, :, :])
    s = ((xi - yj) ** 2).sum(axis=1)
    assert torch.equal(s, torch.zeros(5, D, dtype=torch.float64))
    assert torch.isinf(((xi - yj) ** 2).min(axis=1)).all()
    gx, gy = torch.autograd.grad(s.sum(), (x, y))
    assert torch.equal(gx, torch.zeros_like(x)) and gy.shape == (0, D)
    # No kept rows: an empty result, itself without an address.
    assert ((xi - yj) ** 2).sum(axis=0).shape == (0, D)
