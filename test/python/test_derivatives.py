"""Symbolic derivatives of LazyTensors (grad, diff, grad_matrix, divergence,
laplacian, trace_operator, factorize) against torch.func on the dense
per-pair function, summed over j, and their errors."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch.func import hessian, jacfwd, jvp, vmap  # noqa: E402

import keops.numpy as kn  # noqa: E402

pytestmark = pytest.mark.usefixtures("keops_cache_dir")

M, N, D = 9, 13, 3


def F(x, y):
    """One pair's value, dimension D (both as torch and as LazyTensors)."""
    return (x * 1.3).sin() * (-((x - y) ** 2).sum(-1)).exp() + x * y


def pairs(fn, x, y, *extra):
    """fn(x_i, y_j, *extra_i) for every pair, summed over j."""
    inner = vmap(fn, in_dims=(None, 0) + (None,) * len(extra))
    return vmap(inner, in_dims=(0, None) + (0,) * len(extra))(x, y, *extra).sum(1)


@pytest.fixture
def data():
    rng = np.random.default_rng(3)
    return (rng.normal(size=(M, D)), rng.normal(size=(N, D)), rng.normal(size=(M, D)))


def lazy(x, y):
    return kn.Vi(x), kn.Vj(y)


def test_diff(data):
    x, y, u = data
    xi, yj = lazy(x, y)
    got = F(xi, yj).diff(xi, kn.Vi(u)).sum(1)
    X, Y, U = (torch.from_numpy(a) for a in data)
    want = pairs(lambda a, b, t: jvp(lambda v: F(v, b), (a,), (t,))[1], X, Y, U)
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-12, atol=1e-12)


def test_diff_with_respect_to_j_and_of_a_grad(data):
    """Mixed second order: the derivative along u of the gradient."""
    x, y, u = data
    xi, yj = lazy(x, y)
    e = kn.Vi(np.ones((M, D)))
    got = F(xi, yj).grad(xi, e).diff(yj, kn.Vj(y * 0.5)).sum(1)
    X, Y = torch.from_numpy(x), torch.from_numpy(y)

    def g(a, b):
        grad = lambda bb: torch.func.vjp(lambda v: F(v, bb), a)[1](torch.ones(D))[0]  # noqa: E731
        return jvp(grad, (b,), (b * 0.5,))[1]
    np.testing.assert_allclose(got, pairs(g, X, Y).numpy(), rtol=1e-12, atol=1e-12)


def test_grad_matrix(data):
    x, y, _ = data
    xi, yj = lazy(x, y)
    got = F(xi, yj).grad_matrix(xi).sum(1)
    X, Y = torch.from_numpy(x), torch.from_numpy(y)
    want = pairs(lambda a, b: jacfwd(lambda v: F(v, b))(a).reshape(-1), X, Y)
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-12, atol=1e-12)


def test_divergence_and_laplacian(data):
    x, y, _ = data
    xi, yj = lazy(x, y)
    X, Y = torch.from_numpy(x), torch.from_numpy(y)
    got = F(xi, yj).divergence(xi).sum(1)
    want = pairs(lambda a, b: torch.trace(jacfwd(lambda v: F(v, b))(a))[None], X, Y)
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-12, atol=1e-12)
    got = F(xi, yj).sum(-1).laplacian(yj).sum(1)
    want = pairs(lambda a, b: torch.trace(hessian(lambda w: F(a, w).sum())(b))[None], X, Y)
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-12, atol=1e-12)


def test_trace_operator_needs_no_data_for_the_variable(data):
    x, y, _ = data
    A = np.arange(9.0).reshape(3, 3) / 7
    v = kn.Vi(0, D)                                 # symbolic: never given data
    lin = kn.Pm(A.ravel()).matvecmult(v) * kn.Vj(y).sum(-1) + kn.Vi(x)[0] * v
    got = lin.trace_operator(v).sum(1)
    want = (np.trace(A) * y.sum(-1)).sum() + D * x[:, :1] * N
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_factorize_hints_are_identities(data):
    x, y, _ = data
    xi, yj = lazy(x, y)
    f = F(xi, yj)
    assert f.factorize(xi) is f and f.auto_factorize() is f


def test_errors(data):
    x, y, u = data
    xi, yj = lazy(x, y)
    f = F(xi, yj)
    with pytest.raises(ValueError, match="diff: differentiate with respect to a variable"):
        f.diff(xi * 2, kn.Vi(u))
    with pytest.raises(ValueError, match="diff: diffin has dimension 1 but the variable "
                                         "has dimension 3"):
        f.diff(xi, kn.Vi(u[:, :1]))
    with pytest.raises(ValueError, match="laplacian: the formula has dimension 3"):
        f.laplacian(xi)
    with pytest.raises(ValueError, match="divergence: the formula has dimension 1 and "
                                         "the variable 3"):
        f.sum(-1).divergence(xi)
    with pytest.raises(NotImplementedError, match="bspline is not supported"):
        f.bspline(xi)
