"""torch.func transforms (vmap, grad, vjp, jvp, jacrev, jacfwd, hessian) of
functions that build LazyTensors and reduce them, against the same
functions on dense torch tensors: sums and logsumexps (weighted too), over i
and over j, float32 and float64, with batch dimensions; and the errors of
what has no forward-mode rule."""

import pytest

torch = pytest.importorskip("torch")
from torch.func import grad, hessian, jacfwd, jacrev, jvp, vjp, vmap  # noqa: E402

from keops.torch import LazyTensor  # noqa: E402

pytestmark = pytest.mark.usefixtures("keops_cache_dir")

M, N, D = 6, 7, 2
TOL = {torch.float32: 2e-4, torch.float64: 1e-9}


def kernel(x, y, s, lazy):
    """exp(-s |x_i - y_j|^2) (dense: an M x N x 1 tensor)."""
    if lazy:
        x, y, s = LazyTensor(x[..., :, None, :]), LazyTensor(y[..., None, :, :]), LazyTensor(s)
        return (-s * ((x - y) ** 2).sum(-1)).exp()
    return (-s * ((x[..., :, None, :] - y[..., None, :, :]) ** 2).sum(-1, keepdim=True)).exp()


def f_sum(axis):
    """A scalar of a sum reduction over `axis` (i: 0, j: 1), nonlinear after."""
    def f(x, y, b, s, lazy=True):
        K = kernel(x, y, s, lazy)
        if lazy:
            bb = LazyTensor(b[..., None, :, :] if axis == 1 else b[..., :, None, :])
            out = (K * bb).sum(axis + b.dim() - 2)
        else:
            bb = b[..., None, :, :] if axis == 1 else b[..., :, None, :]
            out = (K * bb).sum(axis + b.dim() - 2)
        return (out ** 2).sum().sqrt()
    return f


def f_lse(x, y, b, s, lazy=True):
    """A scalar of a weighted logsumexp over j."""
    if lazy:
        xi, yj = LazyTensor(x[..., :, None, :]), LazyTensor(y[..., None, :, :])
        d = -LazyTensor(s) * ((xi - yj) ** 2).sum(-1)
        out = d.logsumexp(dim=b.dim() - 1, weight=LazyTensor(b[..., None, :, :]))
    else:
        d = -s * ((x[..., :, None, :] - y[..., None, :, :]) ** 2).sum(-1, keepdim=True)
        out = torch.log((d.exp() * b[..., None, :, :]).sum(-2))
    return (out ** 2).sum()


def data(dtype, batch=(), seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(*batch, M, D, generator=g, dtype=dtype)
    y = torch.randn(*batch, N, D, generator=g, dtype=dtype)
    bsum = torch.randn(*batch, N, 2, generator=g, dtype=dtype)
    bpos = torch.rand(*batch, N, 2, generator=g, dtype=dtype) + 0.5
    s = torch.tensor([0.7], dtype=dtype)
    return x, y, bsum, bpos, s


CASES = [("sum-over-j", f_sum(1)), ("sum-over-i", f_sum(0)), ("logsumexp", f_lse)]


def args_of(name, x, y, bsum, bpos, s):
    if name == "sum-over-i":   # b indexed by i
        return x, y, bsum[..., :M, :] if bsum.shape[-2] >= M else bsum, s
    return x, y, bpos if name == "logsumexp" else bsum, s


def close(a, b, dtype):
    for u, v in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
        torch.testing.assert_close(u, v, rtol=TOL[dtype], atol=TOL[dtype])


def _both(fn):
    return (lambda *a: fn(*a, lazy=True)), (lambda *a: fn(*a, lazy=False))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
def test_grad_vjp_jacrev(name, fn, dtype):
    args = args_of(name, *data(dtype))
    lazy, dense = _both(fn)
    close(grad(lazy, (0, 1, 2))(*args), grad(dense, (0, 1, 2))(*args), dtype)
    close(vjp(lazy, *args)[1](torch.ones((), dtype=dtype)),
          vjp(dense, *args)[1](torch.ones((), dtype=dtype)), dtype)
    close(jacrev(lazy, (0, 1))(*args), jacrev(dense, (0, 1))(*args), dtype)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
def test_jvp_jacfwd(name, fn, dtype):
    args = args_of(name, *data(dtype))
    g = torch.Generator().manual_seed(9)
    tangents = tuple(torch.randn(a.shape, generator=g, dtype=dtype) for a in args)
    lazy, dense = _both(fn)
    close(jvp(lazy, args, tangents), jvp(dense, args, tangents), dtype)
    close(jacfwd(lazy, (0, 2))(*args), jacfwd(dense, (0, 2))(*args), dtype)


@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
def test_hessian(name, fn):
    args = args_of(name, *data(torch.float64))
    lazy, dense = _both(fn)
    for argnums in (0, 1, (0, 2)):
        close(hessian(lazy, argnums)(*args), hessian(dense, argnums)(*args), torch.float64)


@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
def test_vmap_is_a_batch_dimension(name, fn):
    """vmap over a batch of inputs, some shared (in_dims None), and over the
    second axis: the same as the dense function's vmap, and one reduction
    with a batch axis (the plan's batch pattern grows by one axis)."""
    B = 3
    x, y, bsum, bpos, s = data(torch.float64, batch=(B,))
    args = args_of(name, x, y, bsum, bpos, s)
    lazy, dense = _both(fn)
    dims = (0, None, 0, None)
    shared = tuple(a if d is not None else a[0] for a, d in zip(args, dims))
    close(vmap(lazy, dims)(*shared), vmap(dense, dims)(*shared), torch.float64)
    moved = (args[0].movedim(0, 1),) + args[1:]
    close(vmap(lazy, (1, 0, 0, None))(*moved), vmap(dense, (1, 0, 0, None))(*moved),
          torch.float64)
    # vmap of a gradient (per-example gradients) and of a Hessian.
    close(vmap(grad(lazy), dims)(*shared), vmap(grad(dense), dims)(*shared), torch.float64)


def test_with_batch_dimensions_in_the_lazytensors():
    """Transforms of functions whose LazyTensors already have batch axes."""
    x, y, bsum, _, s = data(torch.float64, batch=(2,))
    lazy, dense = _both(f_sum(1))
    close(grad(lazy, (0, 1))(x, y, bsum, s), grad(dense, (0, 1))(x, y, bsum, s), torch.float64)
    close(hessian(lazy)(x, y, bsum, s), hessian(dense)(x, y, bsum, s), torch.float64)
    close(vmap(lazy)(x, y, bsum, s.expand(2, 1)), vmap(dense)(x, y, bsum, s.expand(2, 1)),
          torch.float64)


@pytest.mark.parametrize("kind", ["min", "max", "min_argmin", "max_argmax", "Kmin",
                                  "Kmin_argKmin"])
@pytest.mark.parametrize("dim", [0, 1])
def test_selected_terms_in_forward_mode(kind, dim):
    """min, max and K-min: the tangent of a selected value is the formula's
    tangent at the selected index (a sum reduction of keops.select_index),
    as torch's own on the dense matrix; second order too."""
    x, y, _, _, _ = data(torch.float64, seed=4)

    def f(x, lazy=True):
        if lazy:
            d = (LazyTensor(x[:, None, :]) - LazyTensor(y[None, :, :])).sqnorm2() \
                * LazyTensor(x[:, None, :1]).exp()
            red = getattr(d, kind)
            out = red(3, dim=dim) if kind.startswith("Kmin") else red(dim)
            return out[0] if isinstance(out, tuple) else out
        d = ((x[:, None, :] - y[None]) ** 2).sum(-1) * x[:, None, 0].exp()
        d = d if dim == 1 else d.T
        if kind.startswith("Kmin"):
            return d.sort(1).values[:, :3]
        return (d.min(1) if kind.startswith("min") else d.max(1)).values[:, None]

    t = torch.randn_like(x)
    dense = lambda x: f(x, False)  # noqa: E731
    a, b = jvp(f, (x,), (t,))[1], jvp(dense, (x,), (t,))[1]
    close(a.reshape(b.shape), b, torch.float64)
    close(jacfwd(f)(x).reshape(-1), jacfwd(dense)(x).reshape(-1), torch.float64)
    close(hessian(lambda x: f(x).sum())(x), hessian(lambda x: dense(x).sum())(x),
          torch.float64)


@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
def test_third_derivatives(name, fn):
    # Hessians of gradients: derivatives of derivatives are reductions again.
    x, y, b, s = args_of(name, *data(torch.float64))
    lazy, dense = _both(fn)
    want = jacrev(hessian(dense))(x, y, b, s)
    close(jacrev(hessian(lazy))(x, y, b, s), want, torch.float64)
    close(jacfwd(jacrev(jacrev(lazy)))(x, y, b, s), want, torch.float64)
    close(jacrev(hessian(lazy, 1), 2)(x, y, b, s), jacrev(hessian(dense, 1), 2)(x, y, b, s),
          torch.float64)
