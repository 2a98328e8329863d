"""KernelSolve (pykeops' solver of (alpha Id + K) a = b for a formula K):
the solution against a dense NumPy solve, several right-hand side columns,
both axes, the parameters of the formula, torch gradients (implicit, as
pykeops computes them) against a dense torch solve, and the errors."""

import numpy as np
import pytest

from keops.numpy import KernelSolve

FORMULA = "Exp(-g * SqDist(x, y)) * a"
ALIASES = ["x = Vi(3)", "y = Vj(3)", "a = Vj(2)", "g = Pm(1)"]


def kernel(x, g):
    d2 = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    return np.exp(-g * d2)


@pytest.mark.parametrize("alpha", [0.1, 2.0])
def test_against_a_dense_solve(alpha):
    rng = np.random.default_rng(0)
    x, b = rng.random((300, 3)), rng.standard_normal((300, 2))
    g = np.array([5.0])
    solver = KernelSolve(FORMULA, ALIASES, "a", axis=1)
    a = solver(x, x, b, g, alpha=alpha, eps=1e-12)
    want = np.linalg.solve(alpha * np.eye(300) + kernel(x, g[0]), b)
    np.testing.assert_allclose(a, want, rtol=1e-8, atol=1e-9)


def test_over_i():
    rng = np.random.default_rng(1)
    x, b = rng.random((200, 3)), rng.standard_normal((200, 1))
    solver = KernelSolve("Exp(-SqDist(x, y)) * a", ["x = Vi(3)", "y = Vj(3)", "a = Vi(1)"],
                         "a", axis=0)
    a = solver(x, x, b, alpha=0.5, eps=1e-12)
    want = np.linalg.solve(0.5 * np.eye(200) + kernel(x, 1.0), b)
    np.testing.assert_allclose(a, want, rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("aliases,var,axis,message", [
    (ALIASES, "b", 1, "varinvalias 'b' names none of the aliases"),
    (ALIASES, "x", 1, "the unknown 'x' must be indexed by the reduced axis"),
])
def test_errors(aliases, var, axis, message):
    with pytest.raises(ValueError, match=message):
        KernelSolve(FORMULA, aliases, var, axis=axis)


def test_negative_alpha():
    solver = KernelSolve(FORMULA, ALIASES, "a", axis=1)
    x = np.zeros((3, 3))
    with pytest.raises(ValueError, match="alpha must be non-negative"):
        solver(x, x, np.zeros((3, 2)), np.ones(1), alpha=-1.0)


torch = pytest.importorskip("torch")


def test_torch_gradients_are_the_implicit_ones():
    from keops.torch import KernelSolve as KernelSolveT
    g0 = torch.Generator().manual_seed(2)
    x = torch.rand(150, 3, generator=g0, dtype=torch.float64, requires_grad=True)
    b = torch.randn(150, 2, generator=g0, dtype=torch.float64, requires_grad=True)
    gamma = torch.tensor([4.0], dtype=torch.float64, requires_grad=True)
    solver = KernelSolveT(FORMULA, ALIASES, "a", axis=1)
    a = solver(x, x, b, gamma, alpha=0.3, eps=1e-13)
    d2 = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    want = torch.linalg.solve(0.3 * torch.eye(150, dtype=torch.float64)
                              + torch.exp(-gamma * d2), b)
    assert torch.allclose(a, want, rtol=1e-9, atol=1e-10)
    w = torch.randn(150, 2, generator=g0, dtype=torch.float64)
    got = torch.autograd.grad((a * w).sum(), [x, b, gamma])
    ref = torch.autograd.grad((want * w).sum(), [x, b, gamma])
    for u, v in zip(got, ref):
        assert torch.allclose(u, v, rtol=1e-7, atol=1e-8)
