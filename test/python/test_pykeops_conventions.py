"""pykeops' conventions that clients' numbers depend on: Rsqrt(0) = 0, and
so the derivatives of Sqrt and Norm2 at 0 are 0 (GeomLoss's p = 1 cost
|x - y| on a point cloud against itself); elsewhere the usual values."""

import numpy as np
import pytest

from keops.numpy import Genred, LazyTensor


def test_rsqrt_of_zero_is_zero():
    x = np.array([[0.0], [4.0], [0.25]])
    got = LazyTensor(x[:, None, :]).rsqrt().sum(axis=1)
    np.testing.assert_array_equal(got[:, 0], [0.0, 0.5, 2.0])
    g = Genred("Rsqrt(x)", ["x = Vi(1)"], axis=1)
    np.testing.assert_array_equal(g(x)[:, 0], [0.0, 0.5, 2.0])


torch = pytest.importorskip("torch")


def grads(formula, x):
    from keops.torch import LazyTensor as LT
    x = x.clone().requires_grad_()
    out = formula(LT(x[:, None, :]), LT(x[None, :, :])).sum(axis=1)
    (g,) = torch.autograd.grad(out.sum(), [x])
    return g


def test_norm2_and_sqrt_derivatives_at_zero():
    x = torch.tensor([[0.0, 0.0], [3.0, 4.0], [1.0, 0.0]], dtype=torch.float64)
    # sum_j |x_i - x_j|: the diagonal terms (x_i = x_j) contribute 0.
    g = grads(lambda a, b: (a - b).norm2(), x)
    d = x[:, None, :] - x[None, :, :]
    n = d.norm(dim=-1, keepdim=True)
    want = 2 * torch.where(n > 0, d / n.clamp_min(1e-300), 0.0).sum(1)
    assert torch.isfinite(g).all() and torch.allclose(g, want, rtol=1e-12)
    g = grads(lambda a, b: ((a - b) ** 2).sum(-1).sqrt(), x)
    assert torch.isfinite(g).all() and torch.allclose(g, want, rtol=1e-12)
    # Rsqrt(|x_i - x_j|^2): 0 on the diagonal, with derivative 0 there.
    g = grads(lambda a, b: ((a - b) ** 2).sum(-1).rsqrt(), x)
    want = 2 * torch.where(n > 0, -d / n.clamp_min(1e-300) ** 3, 0.0).sum(1)
    assert torch.isfinite(g).all() and torch.allclose(g, want, rtol=1e-12)
