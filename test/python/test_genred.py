"""Genred and generic_* (keops, keops.numpy, keops.torch): formula strings,
aliases, every reduction_op, against NumPy."""

import re

import numpy as np
import pytest
from scipy import special

import keops
import keops.numpy as knp
from keops import Genred, LazyTensor, Pm, Vi, Vj
from keops.genred import FUNCTIONS, parse_alias

pytestmark = pytest.mark.usefixtures("keops_cache_dir")

M, N = 6, 8
rng = np.random.default_rng(7)
X = rng.uniform(1.0, 2.0, (M, 3))
Y = rng.uniform(0.0, 0.5, (N, 3))
B = rng.standard_normal((N, 1))
G = np.array([0.75])


def gaussian(x, y, b, g=1.0):
    return np.exp(-g * ((x[:, None] - y[None]) ** 2).sum(-1)) @ b


def test_gaussian_kernel_every_alias_form():
    want = gaussian(X, Y, B)
    forms = [
        ("Exp(-SqDist(x,y))*b", ["x = Vi(3)", "y = Vj(3)", "b = Vj(1)"]),
        ("Exp(-SqDist(x, y)) * b", ["x=Vi(0,3)", "y=Vj(1,3)", "b=Vj(2,1)"]),
        ("Exp(-SqDist(Vi(0,3),Vj(1,3)))*Vj(2,1)", []),
        ("Exp(-SqDist(Var(0,3,0),Var(1,3,1)))*Var(2,1,1)", []),
        ("Exp(-SqDist(x,y))*b", ["y = Vj(1, 3)", "b = Var(2,1,1)", "x = Vi(0,3)"]),
        ("Exp(-SqNorm2(x - y)) * b", ["x = Vi(3)", "y = Vj(3)", "b = Vj(1)"]),
        ("Exp(-Sum(Square(x - y))) * b", ["x = Vi(3)", "y = Vj(3)", "b = Vj(1)"]),
        ("Exp(Minus((x-y)|(x-y)))*b", ["x = Vi(3)", "y = Vj(3)", "b = Vj(1)"]),
    ]
    for formula, aliases in forms:
        out = Genred(formula, aliases, reduction_op="Sum", axis=1)(X, Y, B)
        assert out.shape == (M, 1) and out.dtype == np.float64
        np.testing.assert_allclose(out, want, rtol=1e-13, err_msg=formula)


def test_parameters_and_both_axes():
    g = Genred("Exp(-g * SqDist(x, y)) * b", ["x = Vi(3)", "y = Vj(3)", "b = Vj(1)", "g = Pm(1)"],
               reduction_op="Sum", axis=1)
    np.testing.assert_allclose(g(X, Y, B, G), gaussian(X, Y, B, 0.75), rtol=1e-13)
    # axis=0: over i, one row per j
    g0 = Genred("Exp(-g * SqDist(x, y)) * a", ["x = Vi(3)", "y = Vj(3)", "a = Vi(1)", "g = Pm(1)"],
                reduction_op="Sum", axis=0)
    a = rng.standard_normal((M, 1))
    out = g0(X, Y, a, G)
    assert out.shape == (N, 1)
    np.testing.assert_allclose(out, gaussian(Y, X, a, 0.75), rtol=1e-13)
    assert "keops.reduce sum over i" in g0.mlir("float64")


def _bc(a):
    return np.broadcast_to(a, (M, N, a.shape[-1]))


# (KeOps formula over s = x - y in [0.5, 2], x, y, p; NumPy reference)
FUNCTION_CASES = [
    ("Exp(s)", lambda s, x, y, p: np.exp(s)), ("Log(s)", lambda s, x, y, p: np.log(s)),
    ("Sin(s)", lambda s, x, y, p: np.sin(s)), ("Cos(s)", lambda s, x, y, p: np.cos(s)),
    ("Tan(s/IntCst(2))", lambda s, x, y, p: np.tan(s / 2)),
    ("Asin(s*0.4)", lambda s, x, y, p: np.arcsin(s * 0.4)),
    ("Acos(s*0.4)", lambda s, x, y, p: np.arccos(s * 0.4)), ("Atan(s)", lambda s, x, y, p: np.arctan(s)),
    ("Sinh(s)", lambda s, x, y, p: np.sinh(s)), ("Cosh(s)", lambda s, x, y, p: np.cosh(s)),
    ("Tanh(s)", lambda s, x, y, p: np.tanh(s)), ("Erf(s)", lambda s, x, y, p: special.erf(s)),
    ("Floor(3*s)", lambda s, x, y, p: np.floor(3 * s)), ("Ceil(3*s)", lambda s, x, y, p: np.ceil(3 * s)),
    ("Sqrt(s)", lambda s, x, y, p: np.sqrt(s)), ("Rsqrt(s)", lambda s, x, y, p: 1 / np.sqrt(s)),
    ("Abs(s-1.25)", lambda s, x, y, p: np.abs(s - 1.25)),
    ("Sign(s-1.25)", lambda s, x, y, p: np.sign(s - 1.25)),
    ("Step(s-1.25)", lambda s, x, y, p: (s >= 1.25) * 1.0),
    ("ReLU(s-1.25)", lambda s, x, y, p: np.maximum(s - 1.25, 0)),
    ("XLogX(s)", lambda s, x, y, p: s * np.log(s)),
    ("SinXDivX(s)", lambda s, x, y, p: np.sin(s) / s), ("Square(s)", lambda s, x, y, p: s * s),
    ("Inv(s)", lambda s, x, y, p: 1 / s), ("Minus(s)", lambda s, x, y, p: -s),
    ("Pow(s, 3)", lambda s, x, y, p: s ** 3), ("Pow(s, -2)", lambda s, x, y, p: s ** -2.0),
    ("Powf(s, p)", lambda s, x, y, p: s ** p), ("s**2", lambda s, x, y, p: s ** 2),
    ("Sum(s)", lambda s, x, y, p: s.sum(-1, keepdims=True)),
    ("Max(s)", lambda s, x, y, p: s.max(-1, keepdims=True)),
    ("Min(s)", lambda s, x, y, p: s.min(-1, keepdims=True)),
    ("ArgMax(s)", lambda s, x, y, p: s.argmax(-1)[..., None] * 1.0),
    ("ArgMin(s)", lambda s, x, y, p: s.argmin(-1)[..., None] * 1.0),
    ("SqNorm2(s)", lambda s, x, y, p: (s * s).sum(-1, keepdims=True)),
    ("Norm2(s)", lambda s, x, y, p: np.linalg.norm(s, axis=-1)[..., None]),
    ("Normalize(s)", lambda s, x, y, p: s / np.linalg.norm(s, axis=-1)[..., None]),
    ("Add(x, y)", lambda s, x, y, p: x + y), ("Subtract(x, y)", lambda s, x, y, p: x - y),
    ("Mult(x, y)", lambda s, x, y, p: x * y), ("Divide(x, y)", lambda s, x, y, p: x / y),
    ("Scalprod(x, y)", lambda s, x, y, p: (x * y).sum(-1, keepdims=True)),
    ("SqDist(x, y)", lambda s, x, y, p: (s * s).sum(-1, keepdims=True)),
    ("Atan2(y, x)", lambda s, x, y, p: np.arctan2(y, x)),
    ("WeightedSqNorm(p, s)", lambda s, x, y, p: (p * s * s).sum(-1, keepdims=True)),
    ("WeightedSqDist(p, x, y)", lambda s, x, y, p: (p * s * s).sum(-1, keepdims=True)),
    ("SqNormIso(Elem(p, 0), s)", lambda s, x, y, p: p[0] * (s * s).sum(-1, keepdims=True)),
    ("SqNormDiag(p, s)", lambda s, x, y, p: (p * s * s).sum(-1, keepdims=True)),
    ("SymSqNorm(TensorProd(p, p), s)", lambda s, x, y, p: ((s @ p) ** 2)[..., None]),
    ("Elem(s, 1)", lambda s, x, y, p: s[..., 1:2]), ("Extract(s, 1, 2)", lambda s, x, y, p: s[..., 1:3]),
    ("Concat(x, y)", lambda s, x, y, p: np.concatenate(np.broadcast_arrays(x, y), -1)),
    ("OneHot(Sum(s)*2-4, 6)", lambda s, x, y, p: (np.round(s.sum(-1) * 2 - 4)[..., None] == np.arange(6)) * 1.0),
    ("MatVecMult(Concat(x, y), p)", lambda s, x, y, p: np.einsum(
        "...ij,j->...i", np.concatenate(np.broadcast_arrays(x, y), -1).reshape(M, N, 2, 3), p)),
    ("VecMatMult(Extract(y, 0, 2), Concat(x, p))", lambda s, x, y, p: np.einsum(
        "...i,...ij->...j", np.broadcast_to(y[..., :2], (M, N, 2)),
        np.concatenate(np.broadcast_arrays(x, np.broadcast_to(p, x.shape)), -1)
        .reshape(M, 1, 2, 3))),
    ("TensorProd(x, Extract(y, 0, 2))", lambda s, x, y, p: np.einsum(
        "...i,...j->...ij", _bc(x), _bc(y[..., :2])).reshape(M, N, 6)),
    ("TensorDot(Concat(x, y), p, [2, 3], [3], [1], [0])", lambda s, x, y, p: np.einsum(
        "...ij,j->...i", np.concatenate(np.broadcast_arrays(x, y), -1).reshape(M, N, 2, 3), p)),
    ("Kron(Extract(x, 0, 2), y, [2], [3])", lambda s, x, y, p: np.einsum(
        "...i,...j->...ij", _bc(x[..., :2]), _bc(y)).reshape(M, N, 6)),
    ("Clamp(s, Elem(p, 0), 1.5)", lambda s, x, y, p: np.clip(s, p[0], 1.5)),
    ("ClampInt(3*s, 2, 4)", lambda s, x, y, p: np.clip(3 * s, 2, 4)),
    ("IfElse(s - 1.25, x, y)", lambda s, x, y, p: np.where(s >= 1.25, x, y)),
    ("Mod(s, 0.3, 0.1)", lambda s, x, y, p: s - 0.3 * np.floor((s - 0.1) / 0.3)),
    ("Round(s, 1)", lambda s, x, y, p: np.round(s, 1)),
    ("Equal(Round(3*s, 0), IntCst(4))", lambda s, x, y, p: (np.round(3 * s) == 4) * 1.0),
    ("NotEqual(Round(3*s, 0), IntCst(4))", lambda s, x, y, p: (np.round(3 * s) != 4) * 1.0),
    ("LessThan(s, p)", lambda s, x, y, p: (s < p) * 1.0),
    ("LessOrEqual(s, p)", lambda s, x, y, p: (s <= p) * 1.0),
    ("s < p", lambda s, x, y, p: (s < p) * 1.0), ("s >= p", lambda s, x, y, p: (s >= p) * 1.0),
    ("s > 1", lambda s, x, y, p: (s > 1) * 1.0), ("s <= 1", lambda s, x, y, p: (s <= 1) * 1.0),
    ("IntInv(4) * s", lambda s, x, y, p: s / 4), ("RatCst(3, 4) * s", lambda s, x, y, p: 0.75 * s),
    ("Zero(2) + Elem(s, 0)", lambda s, x, y, p: np.broadcast_to(s[..., :1], (M, N, 2))),
    ("+s - -x", lambda s, x, y, p: s + x),
    # symbolic derivatives
    ("Grad(SqNorm2(s), x, IntCst(1))", lambda s, x, y, p: 2 * s),
    ("Diff(SqNorm2(s), x, p)", lambda s, x, y, p: 2 * (s * p).sum(-1, keepdims=True)),
    ("GradMatrix(s * s, x)", lambda s, x, y, p: np.einsum(
        "...k,kl->...kl", 2 * s, np.eye(3)).reshape(M, N, 9)),
    ("Divergence(s * s, x)", lambda s, x, y, p: 2 * s.sum(-1, keepdims=True)),
    ("Laplacian(SqNorm2(s), x) * Elem(y, 0)", lambda s, x, y, p: 6 * y[..., :1]),
    ("TraceOperator(MatVecMult(TensorProd(p, p), x), x) + Elem(s, 0)",
     lambda s, x, y, p: (p * p).sum() + s[..., :1]),
    ("Factorize(Exp(s), x) + AutoFactorize(s)", lambda s, x, y, p: np.exp(s) + s),
]


def _chunks(cases, n):
    return [cases[k:k + n] for k in range(0, len(cases), n)]


@pytest.mark.parametrize("chunk", _chunks(FUNCTION_CASES, 20), ids=lambda c: c[0][0])
def test_formula_functions_against_numpy(chunk):
    """Each function of the formula language, in chunks concatenated into
    one formula (one kernel per chunk)."""
    p = np.array([0.75, 1.25, 1.0])
    x3, y3 = X[:, None, :], Y[None, :, :]
    s3 = x3 - y3
    refs = [np.broadcast_to(fn(s3, x3, y3, p), (M, N, np.shape(fn(s3, x3, y3, p))[-1]))
            for _, fn in chunk]
    # s stands for (x - y)
    texts = [re.sub(r"\bs\b", "(x - y)", text) for text, _ in chunk]
    formula = texts[0]
    for text in texts[1:]:
        formula = f"Concat({formula}, {text})"
    g = Genred(formula, ["x = Vi(3)", "y = Vj(3)", "p = Pm(3)"], reduction_op="Sum", axis=1)
    out = g(X, Y, p)
    start = 0
    for (text, _), ref in zip(chunk, refs):
        d = ref.shape[-1]
        np.testing.assert_allclose(out[:, start:start + d], ref.sum(1), rtol=1e-12, atol=1e-12,
                                   err_msg=text)
        start += d
    assert start == out.shape[1]


def test_every_function_is_covered():
    """(The complex functions are in test_complex.py.)"""
    from test_complex import GENRED
    texts = " ".join(t for t, _ in FUNCTION_CASES) + " ".join(GENRED)
    for name in FUNCTIONS:
        assert name + "(" in texts, name


def test_every_reduction_op():
    x = rng.integers(-3, 4, (M, 2)).astype(float)
    y = rng.integers(-3, 4, (N, 2)).astype(float)
    aliases = ["x = Vi(2)", "y = Vj(2)"]
    F = x[:, None] * y[None]
    for op, axis, want in [
        ("Sum", 1, F.sum(1)), ("Min", 1, F.min(1)), ("Max", 0, F.max(0)),
        ("ArgMin", 1, F.argmin(1)), ("ArgMax", 0, F.argmax(0)),
    ]:
        out = Genred("x * y", aliases, reduction_op=op, axis=axis)(x, y)
        np.testing.assert_array_equal(out, want, err_msg=op)
        assert out.dtype == (np.int64 if op.startswith("Arg") else np.float64)
    v, i = Genred("x * y", aliases, reduction_op="Min_ArgMin", axis=1)(x, y)
    np.testing.assert_array_equal(v, F.min(1)), np.testing.assert_array_equal(i, F.argmin(1))
    v, i = Genred("x * y", aliases, reduction_op="Max_ArgMax", axis=1)(x, y)
    np.testing.assert_array_equal(v, F.max(1)), np.testing.assert_array_equal(i, F.argmax(1))
    f = F.sum(-1)
    order = np.argsort(f, axis=1, kind="stable")[:, :3]
    out = Genred("x | y", aliases, reduction_op="KMin", axis=1, opt_arg=3)(x, y)
    np.testing.assert_array_equal(out, np.take_along_axis(f, order, 1))
    out = Genred("x | y", aliases, reduction_op="ArgKMin", axis=1, opt_arg=3)(x, y)
    np.testing.assert_array_equal(out, order)
    v, i = Genred("x | y", aliases, reduction_op="KMin_ArgKMin", axis=1, opt_arg=3)(x, y)
    np.testing.assert_array_equal(i, order)
    out = Genred("x * y", aliases, reduction_op="KMin", axis=1, opt_arg=2)(x, y)
    assert out.shape == (M, 2, 2)
    xr, yr = rng.standard_normal((M, 2)), rng.standard_normal((N, 2))
    w = rng.uniform(0.5, 1.5, (N, 3))
    fr = xr @ yr.T
    lse = Genred("x | y", aliases, reduction_op="LogSumExp", axis=1)(xr, yr)
    np.testing.assert_allclose(lse[:, 0], special.logsumexp(fr, 1), rtol=1e-13)
    lsew = Genred("x | y", aliases + ["w = Vj(3)"], reduction_op="LogSumExp", axis=1,
                  formula2="w")(xr, yr, w)
    np.testing.assert_allclose(lsew, np.stack([special.logsumexp(fr, 1, b=w[:, e]) for e in range(3)], 1),
                               rtol=1e-13)
    lsew2 = Genred("x | y", aliases + ["w = Vj(3)"], reduction_op="LogSumExpWeight", axis=1,
                   formula2="w")(xr, yr, w)
    np.testing.assert_array_equal(lsew2, lsew)
    pr = np.exp(fr - fr.max(1, keepdims=True))
    ssw = Genred("x | y", aliases + ["w = Vj(3)"], reduction_op="SumSoftMaxWeight", axis=1,
                 formula2="w")(xr, yr, w)
    np.testing.assert_allclose(ssw, pr @ w / pr.sum(1, keepdims=True), rtol=1e-13)


def test_generic_helpers():
    s = keops.generic_sum("Exp(-SqDist(x,y))*b", "a = Vi(1)", "x = Vi(3)", "y = Vj(3)", "b = Vj(1)")
    np.testing.assert_allclose(s(X, Y, B), gaussian(X, Y, B), rtol=1e-13)
    d2 = ((X[:, None] - Y[None]) ** 2).sum(-1)
    knn = keops.generic_argkmin("SqDist(x, y)", "a = Vi(3)", "x = Vi(3)", "y = Vj(3)")
    np.testing.assert_array_equal(knn(X, Y), np.argsort(d2, 1, kind="stable")[:, :3])
    am = keops.generic_argmin("SqDist(x, y)", "a = Vj(1)", "x = Vi(3)", "y = Vj(3)")
    np.testing.assert_array_equal(am(X, Y)[:, 0], d2.argmin(0))
    lse = keops.generic_logsumexp("-SqDist(x, y)", "a = Vi(1)", "x = Vi(3)", "y = Vj(3)")
    np.testing.assert_allclose(lse(X, Y)[:, 0], special.logsumexp(-d2, 1), rtol=1e-13)
    knn_np = knp.generic_argkmin("SqDist(x, y)", "a = Vi(2)", "x = Vi(3)", "y = Vj(3)")
    assert isinstance(knn_np, knp.Genred)
    np.testing.assert_array_equal(knn_np(X, Y), np.argsort(d2, 1, kind="stable")[:, :2])


def test_float32_and_float_constants():
    g = Genred("Exp(-2.5 * SqDist(x, y)) * b", ["x = Vi(3)", "y = Vj(3)", "b = Vj(1)"], axis=1)
    out = g(X.astype(np.float32), Y.astype(np.float32), B.astype(np.float32))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, gaussian(X, Y, B, 2.5), rtol=2e-5, atol=2e-6)
    assert "arith.constant dense<2.5>" in g.mlir()


def test_torch_genred_and_generic():
    torch = pytest.importorskip("torch")
    import keops.torch as kt
    x, y, b = (torch.from_numpy(a) for a in (X, Y, B))
    g = kt.Genred("Exp(-SqDist(x,y))*b", ["x = Vi(3)", "y = Vj(3)", "b = Vj(1)"],
                  reduction_op="Sum", axis=1)
    out = g(x, y, b)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
    np.testing.assert_allclose(out.numpy(), gaussian(X, Y, B), rtol=1e-13)
    idx = kt.generic_argkmin("SqDist(x, y)", "a = Vi(3)", "x = Vi(3)", "y = Vj(3)")(x, y)
    assert idx.dtype == torch.int64 and idx.shape == (M, 3)
    assert isinstance(keops.Genred("x", ["x = Vi(1)"], axis=1)(x[:, :1]), torch.Tensor)


def test_parse_alias():
    assert parse_alias("x = Vi(3)", 4) == ("x", 0, 3, 4)
    assert parse_alias("y=Vj(1,2)", 0) == ("y", 1, 2, 1)
    assert parse_alias("Pm(2, 5)", 0) == (None, 2, 5, 2)
    assert parse_alias("b = Var(3, 4, 1)", 0) == ("b", 1, 4, 3)
    assert parse_alias("u = Vx(3)", 1) == ("u", 0, 3, 1)


def test_lazytensor_and_genred_share_kernels():
    """The same formula built either way is the same module."""
    g = Genred("Exp(-SqDist(x, y)) * b", ["x = Vi(3)", "y = Vj(3)", "b = Vj(1)"], axis=1)
    lt = (-Vi(0, 3).sqdist(Vj(1, 3))).exp() * Vj(2, 1)
    assert g.mlir("float64") == lt.mlir(dtype="float64")


@pytest.mark.parametrize("op", ["Max_SumShiftExp", "MaxSumShiftExp", "Max_SumShiftExpWeight"])
@pytest.mark.parametrize("axis", [0, 1])
def test_raw_log_sum_exp_state(op, axis):
    """pykeops' raw reductions: (m, s) with m = max f and s = sum exp(f - m)
    (times formula2), over i or over j: a is indexed like the output rows,
    b and w by the reduced axis."""
    rng = np.random.default_rng(5)
    a, b, w = rng.normal(size=(6, 3)), rng.normal(size=(9, 3)), rng.normal(size=(9, 2))
    kept, reduced = ("Vi", "Vj") if axis == 1 else ("Vj", "Vi")
    weighted = op.endswith("Weight")
    aliases = [f"a = {kept}(3)", f"b = {reduced}(3)"] + ([f"w = {reduced}(2)"] if weighted else [])
    g = Genred("-SqDist(a, b) * 3", aliases, reduction_op=op, axis=axis,
               formula2="w" if weighted else None)
    got = g(a, b, w) if weighted else g(a, b)
    f = -3 * ((a[:, None] - b[None]) ** 2).sum(-1)
    m = f.max(1, keepdims=True)
    e = np.exp(f - m)
    s = (e[..., None] * w[None]).sum(1) if weighted else e.sum(1, keepdims=True)
    np.testing.assert_allclose(got, np.concatenate([m, s], -1), rtol=1e-12)


def test_raw_log_sum_exp_errors():
    with pytest.raises(ValueError, match="Max_SumShiftExpWeight takes the weights as formula2"):
        Genred("x", ["x = Vi(1)"], reduction_op="Max_SumShiftExpWeight", axis=1)
    with pytest.raises(ValueError, match="Max_SumShiftExp takes no formula2"):
        Genred("x", ["x = Vi(1)"], reduction_op="Max_SumShiftExp", axis=1, formula2="x")
    g = Genred("x", ["x = Vi(1)", "y = Vj(1)"], reduction_op="Max_SumShiftExp", axis=1)
    with pytest.raises(ValueError, match="out= is not supported for Max_SumShiftExp"):
        g(np.ones((2, 1)), np.ones((3, 1)), out=np.zeros((2, 2)))


@pytest.mark.parametrize("formula, aliases, message", [
    # Found by genred_fuzzer.py: a huge alias dimension overflowed while the
    # formula was built.
    ("ComplexMult(x, y)", ["x = Vi(4888888888888888888888888888888)", "y = Vj(2)"],
     r"invalid symbolic variable .* dim in \[1, 65536\]"),
    ("x", ["x = Vi(65537)"], r"dim in \[1, 65536\]"),
    ("x", ["x = Vi(70000, 3)"], r"index in \[0, 65536\)"),
    ("Vi(1, 100000) * x", ["x = Vi(1)"], r"dim in \[1, 65536\]"),
    ("OneHot(x, 100000)", ["x = Vi(1)"], r"one_hot: a result of dimension 100000"),
    ("Concat(x, x)", ["x = Vi(40000)"], r"a result of dimension 80000"),
])
def test_sizes_past_the_limits_are_clear_errors(formula, aliases, message):
    with pytest.raises(ValueError, match=message):
        Genred(formula, aliases, axis=1)
