"""Sums of wide formula values (more than 32 components that are no kernel
matrix product): the CPU kernels compute them one kept row at a time with
the feature axis in chunks of lanes (KeopsToSCF/WideValues.cpp), values of
one side once into buffers, the pairs' narrow values by lanes of reduced
indices. Against float64 NumPy: every structure (differences of wide
variables, a kernel times functions of either side, parameters, constants,
a wide value that is not element-wise), both axes, both dtypes, plain and
block sums, batches, empty and NaN data, calls split over the reduced
axis, and gradients through torch."""

import numpy as np
import pytest
import torch

from keops import Genred

pytestmark = pytest.mark.usefixtures("keops_cache_dir")


def kernel(u, v):
    return np.exp(-((u[:, None] - v[None]) ** 2).sum(-1))


# (formula, aliases with E, dense terms (M, N, E) of the arrays by name)
CASES = [
    ("x - y", ["x = Vi({E})", "y = Vj({E})"],
     lambda a: a["x"][:, None] - a["y"][None]),
    ("Exp(-SqDist(u, v)) * Sin(b)", ["u = Vi(3)", "v = Vj(3)", "b = Vj({E})"],
     lambda a: kernel(a["u"], a["v"])[..., None] * np.sin(a["b"])[None]),
    ("Exp(-SqDist(u, v)) * Square(b - c)",
     ["u = Vi(3)", "v = Vj(3)", "b = Vj({E})", "c = Vi({E})"],
     lambda a: kernel(a["u"], a["v"])[..., None] * (a["b"][None] - a["c"][:, None]) ** 2),
    ("Cos(c) * Exp(-SqDist(u, v)) * b", ["u = Vi(3)", "v = Vj(3)", "b = Vj({E})",
                                         "c = Vi({E})"],
     lambda a: np.cos(a["c"])[:, None] * kernel(a["u"], a["v"])[..., None] * a["b"][None]),
    ("p * x - y + 2.5", ["x = Vi({E})", "y = Vj({E})", "p = Pm({E})"],
     lambda a: a["p"] * a["x"][:, None] - a["y"][None] + 2.5),
    ("Concat(x - y, Exp(-SqDist(u, v)))",
     ["x = Vi({E})", "y = Vj({E})", "u = Vi(3)", "v = Vj(3)"],
     lambda a: np.concatenate([a["x"][:, None] - a["y"][None],
                               kernel(a["u"], a["v"])[..., None]], -1)),
]


def arrays(aliases, E, M, N, dtype, seed=0, axis=1):
    rng = np.random.default_rng(seed)
    out, decls = {}, [a.format(E=E) for a in aliases]
    for a in decls:
        name, decl = (s.strip() for s in a.split("="))
        dim = int(decl[3:-1])
        cat = decl[:2]
        rows = {"Vi": M, "Vj": N}.get(cat)
        shape = (dim,) if cat == "Pm" else (rows, dim)
        out[name] = rng.uniform(-1, 1, shape).astype(dtype)
    return decls, out


def check(got, want, dtype):
    tol = 2e-5 if dtype == "float32" else 1e-12
    scale = max(np.abs(want).max(), 1.0)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * scale)


@pytest.mark.parametrize("E", [33, 40, 100, 513])
@pytest.mark.parametrize("case", range(len(CASES)), ids=[c[0] for c in CASES])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_wide_sums_against_numpy(case, E, dtype):
    formula, aliases, dense = CASES[case]
    decls, a = arrays(aliases, E, 37, 301, dtype)
    g = Genred(formula, decls, reduction_op="Sum", axis=1)
    got = g(*[a[d.split("=")[0].strip()] for d in decls])
    want = dense({k: v.astype("float64") for k, v in a.items()}).sum(1)
    assert got.shape == want.shape and got.dtype == np.dtype(dtype)
    check(got, want, dtype)


@pytest.mark.parametrize("scheme", ["direct_sum", "block_sum"])
def test_plain_and_block_sums_over_i(scheme):
    # Over i: the kept rows are the j's; 600 reduced indices cross blocks.
    formula = "Exp(-SqDist(u, v)) * Sin(b)"
    decls = ["u = Vi(3)", "v = Vj(3)", "b = Vi(48)"]
    rng = np.random.default_rng(1)
    u, v = rng.uniform(-1, 1, (600, 3)), rng.uniform(-1, 1, (23, 3))
    b = rng.uniform(-1, 1, (600, 48))
    g = Genred(formula, decls, reduction_op="Sum", axis=0, sum_scheme=scheme)
    got = g(*(t.astype("float32") for t in (u, v, b)))
    want = (kernel(u, v)[..., None] * np.sin(b)[:, None]).sum(0)
    check(got, want, "float32")


def test_batches_empty_axes_and_nan():
    g = Genred("x - y", ["x = Vi(40)", "y = Vj(40)"], reduction_op="Sum", axis=1)
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, (3, 1, 17, 40)).astype("float32")
    y = rng.uniform(-1, 1, (2, 29, 40)).astype("float32")
    got = g(x, y)
    want = (x.astype("float64")[..., :, None, :] - y[None, :, None]).sum(-2)
    assert got.shape == (3, 2, 17, 40)
    check(got, want, "float32")
    # No reduced index: zeros; none kept: an empty result.
    np.testing.assert_array_equal(g(x[0, 0], y[0, :0]), np.zeros((17, 40), "float32"))
    assert g(x[0, 0, :0], y[0]).shape == (0, 40)
    # A NaN stays in its row and component.
    xn = x[0, 0].copy()
    xn[3, 5] = np.nan
    out = g(xn, y[0])
    assert np.isnan(out[3, 5]) and np.isfinite(np.delete(out[3], 5)).all()
    assert np.isfinite(np.delete(out, 3, axis=0)).all()


def test_few_rows_split_over_the_reduced_axis():
    # 2 kept rows against many reduced ones: the runtime splits the reduced
    # axis over its threads (partial states, merged) from the second call.
    g = Genred("Exp(-SqDist(u, v)) * Sin(b)", ["u = Vi(3)", "v = Vj(3)", "b = Vj(40)"],
               reduction_op="Sum", axis=1)
    rng = np.random.default_rng(3)
    u, v = rng.uniform(-1, 1, (2, 3)), rng.uniform(-1, 1, (20000, 3))
    b = rng.uniform(-1, 1, (20000, 40))
    want = (kernel(u, v)[..., None] * np.sin(b)[None]).sum(1)
    for _ in range(3):
        check(g(*(t.astype("float32") for t in (u, v, b))), want, "float32")


def test_gradients_of_wide_sums():
    # The backward's reductions sum wide values too (over j for x, over i
    # for b).
    rng = np.random.default_rng(4)
    x = torch.tensor(rng.uniform(-1, 1, (30, 3)), requires_grad=True)
    y = torch.tensor(rng.uniform(-1, 1, (45, 3)))
    b = torch.tensor(rng.uniform(-1, 1, (45, 64)), requires_grad=True)
    w = torch.tensor(rng.uniform(-1, 1, (30, 64)))
    g = Genred("Exp(-SqDist(x, y)) * Sin(b)", ["x = Vi(3)", "y = Vj(3)", "b = Vj(64)"],
               reduction_op="Sum", axis=1)
    gx, gb = torch.autograd.grad((g(x, y, b) * w).sum(), (x, b))
    k = torch.exp(-((x[:, None] - y[None]) ** 2).sum(-1))
    dense = ((k[..., None] * torch.sin(b)[None]).sum(1) * w).sum()
    wx, wb = torch.autograd.grad(dense, (x, b))
    np.testing.assert_allclose(gx.numpy(), wx.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gb.numpy(), wb.numpy(), rtol=1e-10, atol=1e-12)
