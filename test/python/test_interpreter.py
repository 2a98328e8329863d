"""The reference interpreter (keops-run through keops.reference) against
independent NumPy computations.

Every expected value here is computed by NumPy / SciPy (or written out by
hand from the documented semantics), never by the interpreter itself. The
interpreter computes in double precision from inputs rounded to the module's
element type, so the references are computed in float64 from the same
(float32-rounded where the module is f32) values, with rtol 1e-12.
"""

import math
import re
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from scipy import special

import keops
from keops import reference
from keops.reference import InterpreterError

from conftest import (assert_close, cast_inputs, np_reduce, pairwise,
                      reduce_module, run_reduce)

ROOT = Path(__file__).resolve().parents[2]
RTOL = 1e-12


def sum_atol(F, axis):
    """Absolute tolerance of a sum over `axis` of the terms F: cancellation
    can make the relative error of a tiny sum large."""
    if F.size == 0:
        return 0.0
    with np.errstate(all="ignore"):
        s = np.abs(F).sum(axis=1 if axis == "j" else 0)
    s = s[np.isfinite(s)]
    return 1e-13 * (float(s.max()) if s.size else 0.0)


# --------------------------------------------------------------------------
# Headline cases
# --------------------------------------------------------------------------

GAUSS_VARS = [("x", "i", 3), ("y", "j", 3), ("b", "j", 1)]
GAUSS_BODY = [
    "%d = keops.sqdist %x, %y : vector<3x{T}>",
    "%n = arith.negf %d : vector<1x{T}>",
    "%e = math.exp %n : vector<1x{T}>",
    "%r = arith.mulf %e, %b : vector<1x{T}>",
]


@pytest.mark.parametrize("dtype", ["f16", "f32", "f64"])
def test_gaussian_kernel_sum(rng, dtype):
    M, N = 7, 11
    x, y, b = (rng.standard_normal((M, 3)), rng.standard_normal((N, 3)),
               rng.standard_normal((N, 1)))
    (out,) = run_reduce("sum", "j", GAUSS_VARS, [x, y, b], GAUSS_BODY,
                        [("%r", 1)], [1], dtype=dtype)
    x, y, b = [a.astype(np.float64) for a in cast_inputs([x, y, b], dtype)]
    d2 = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    expected = np.exp(-d2) @ b
    assert_close(out, expected, rtol=RTOL, atol=1e-14)


def test_gaussian_sum_example_module(rng):
    """examples/mlir/gaussian_sum.mlir: exp(-|x-y|^2 / (2 s^2)) b, f32."""
    module = (ROOT / "examples" / "mlir" / "gaussian_sum.mlir").read_text()
    M, N = 9, 13
    x = rng.standard_normal((M, 3)).astype(np.float32)
    y = rng.standard_normal((N, 3)).astype(np.float32)
    b = rng.standard_normal((N, 1)).astype(np.float32)
    s = np.array([0.8], np.float32)
    (out,) = reference.evaluate(module, [x, y, b, s, np.zeros((M, 1), np.float32)])
    x64, y64, b64 = x.astype(np.float64), y.astype(np.float64), b.astype(np.float64)
    s64 = float(s[0])  # the f32-rounded 0.8
    d2 = ((x64[:, None, :] - y64[None, :, :]) ** 2).sum(-1)
    expected = np.exp(d2 * (-0.5 / s64**2)) @ b64
    assert out.dtype == np.float64
    assert_close(out, expected, rtol=RTOL, atol=1e-14)


@pytest.mark.parametrize("dtype", ["f32", "f64"])
@pytest.mark.parametrize("index_type", ["i32", "i64"])
def test_knn_argkmin(rng, dtype, index_type):
    M, N, K = 7, 11, 4
    x, y = rng.standard_normal((M, 3)), rng.standard_normal((N, 3))
    (idx,) = run_reduce("argkmin", "j", [("x", "i", 3), ("y", "j", 3)], [x, y],
                        ["%d = keops.sqdist %x, %y : vector<3x{T}>"],
                        [("%d", 1)], [K], k=K, dtype=dtype,
                        index_type=index_type)
    x, y = [a.astype(np.float64) for a in cast_inputs([x, y], dtype)]
    d2 = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    assert idx.dtype == np.int64
    np.testing.assert_array_equal(idx, np.argsort(d2, axis=1, kind="stable")[:, :K])


def test_knn_argkmin_with_ties():
    """Points on a grid: many equal distances; the stable argsort order (the
    smaller index first) must come out."""
    M, N, K = 6, 12, 4
    g = np.arange(-2, 2)
    x = np.stack(np.meshgrid(g, g[:3]), -1).reshape(-1, 2)[:M].astype(float)
    y = np.stack(np.meshgrid(g[::-1], g), -1).reshape(-1, 2)[:N].astype(float)
    (idx,) = run_reduce("argkmin", "j", [("x", "i", 2), ("y", "j", 2)], [x, y],
                        ["%d = keops.sqdist %x, %y : vector<2x{T}>"],
                        [("%d", 1)], [K], k=K, dtype="f64")
    d2 = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    assert len(np.unique(d2)) < d2.size // 2  # ties do happen
    np.testing.assert_array_equal(idx, np.argsort(d2, axis=1, kind="stable")[:, :K])


@pytest.mark.parametrize("dtype", ["f32", "f64"])
def test_weighted_logsumexp(rng, dtype):
    """out_i = log sum_j exp(-|x_i - y_j|^2 + <x_i, y_j>) w_j, w_j in R^3_+."""
    M, N, E = 7, 11, 3
    x, y = rng.standard_normal((M, 3)), rng.standard_normal((N, 3))
    w = rng.uniform(0.1, 2.0, (N, E))
    body = ["%d = keops.sqdist %x, %y : vector<3x{T}>",
            "%s = keops.dot %x, %y : vector<3x{T}>",
            "%f = arith.subf %s, %d : vector<1x{T}>"]
    (out,) = run_reduce("logsumexp", "j",
                        [("x", "i", 3), ("y", "j", 3), ("w", "j", E)],
                        [x, y, w], body, [("%f", 1), ("%w", E)], [E],
                        dtype=dtype)
    x, y, w = [a.astype(np.float64) for a in cast_inputs([x, y, w], dtype)]
    f = x @ y.T - ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    expected = np.stack([special.logsumexp(f, b=w[:, e][None, :], axis=1)
                         for e in range(E)], axis=1)
    assert_close(out, expected, rtol=RTOL)


# --------------------------------------------------------------------------
# Every reduction kind, over j and over i, f32 and f64, odd and tiny sizes
# --------------------------------------------------------------------------

K = 3
D = 2
E = 3
VALUE_KINDS = ["sum", "min", "max", "argmin", "argmax", "min_argmin",
               "max_argmax", "kmin", "argkmin", "kmin_argkmin"]
ALL_KINDS = VALUE_KINDS + ["logsumexp", "logsumexp_weighted",
                           "sumsoftmaxweight"]
# (rows kept, rows reduced)
SIZES = [(7, 11), (1, 11), (7, 1), (5, 0), (0, 4)]


def kind_case(kind, axis):
    """variables, body, yields, widths, k, numpy per-pair fn, has W."""
    red = "j" if axis == "j" else "i"
    if kind in VALUE_KINDS:
        variables = [("x", "i", D), ("y", "j", D), ("p", "p", D)]
        body = ["%m = arith.mulf %x, %y : vector<2x{T}>",
                "%r = arith.addf %m, %p : vector<2x{T}>"]
        k = K if kind in ("kmin", "argkmin", "kmin_argkmin") else None
        width = D * (k or 1)
        nout = 2 if kind in ("min_argmin", "max_argmax", "kmin_argkmin") else 1
        return (variables, body, [("%r", D)], [width] * nout, k,
                lambda x, y, p: x * y + p, None)
    variables = [("x", "i", D), ("y", "j", D), ("w", red, E)]
    body = ["%f = keops.dot %x, %y : vector<2x{T}>"]
    if kind == "logsumexp":
        return (variables, body, [("%f", 1)], [1], None,
                lambda x, y, w: [x @ y], None)
    return (variables, body, [("%f", 1), ("%w", E)], [E], None,
            lambda x, y, w: [x @ y], lambda x, y, w: w)


@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: f"kept{s[0]}-red{s[1]}")
@pytest.mark.parametrize("dtype", ["f32", "f64"])
@pytest.mark.parametrize("axis", ["j", "i"])
@pytest.mark.parametrize("kind", ALL_KINDS)
def test_reduction_kind(rng, kind, axis, dtype, sizes):
    kept, red = sizes
    M, N = (kept, red) if axis == "j" else (red, kept)
    variables, body, yields, widths, k, fn, wfn = kind_case(kind, axis)
    real_kind = "logsumexp" if kind == "logsumexp_weighted" else kind
    rows = {"i": M, "j": N}
    arrays = []
    for name, cat, dim in variables:
        if name == "w":
            arrays.append(rng.uniform(0.1, 2.0, (rows[cat], dim)))
        elif cat == "p":
            arrays.append(rng.standard_normal(dim))
        else:
            arrays.append(rng.standard_normal((rows[cat], dim)))
    outs = run_reduce(real_kind, axis, variables, arrays, body, yields, widths,
                      k=k, dtype=dtype, kept_rows=kept)
    fdim = yields[0][1]
    if M * N:
        F = pairwise(fn, variables, arrays, dtype=dtype)
        W = pairwise(wfn, variables, arrays, dtype=dtype) if wfn else None
    else:
        F = np.zeros((M, N, fdim))
        W = np.zeros((M, N, E)) if wfn else None
    expected = np_reduce(real_kind, F, axis, k=k, W=W)
    assert len(outs) == len(expected)
    for o, e in zip(outs, expected):
        assert o.shape == (kept, e.shape[1])
        atol = sum_atol(F, axis) if real_kind == "sum" else 0.0
        assert_close(o, e, rtol=RTOL, atol=atol)


@pytest.mark.parametrize("axis", ["j", "i"])
def test_empty_reduction_conventions(axis):
    """Hand-written: 0 (sum), +inf / -inf (min / max), -1 (indices), +inf and
    -1 padding (kmin), -inf (logsumexp), NaN (sumsoftmaxweight)."""
    kept = 3
    M, N = (kept, 0) if axis == "j" else (0, kept)
    red = "j" if axis == "j" else "i"
    x, y = np.ones((M, 2)), np.ones((N, 2))
    w = np.ones(({"i": M, "j": N}[red], 2))
    variables = [("x", "i", 2), ("y", "j", 2), ("w", red, 2)]
    vbody = ["%r = arith.mulf %x, %y : vector<2x{T}>"]
    sbody = ["%f = keops.dot %x, %y : vector<2x{T}>"]

    def run(kind, body, yields, widths, k=None):
        return run_reduce(kind, axis, variables, [x, y, w], body, yields,
                          widths, k=k, dtype="f64", kept_rows=kept)

    inf = np.inf
    full = lambda v, c: np.full((kept, c), v)
    ifull = lambda v, c: np.full((kept, c), v, dtype=np.int64)
    assert_close(run("sum", vbody, [("%r", 2)], [2])[0], full(0.0, 2))
    assert_close(run("min", vbody, [("%r", 2)], [2])[0], full(inf, 2))
    assert_close(run("max", vbody, [("%r", 2)], [2])[0], full(-inf, 2))
    assert_close(run("argmin", vbody, [("%r", 2)], [2])[0], ifull(-1, 2))
    assert_close(run("argmax", vbody, [("%r", 2)], [2])[0], ifull(-1, 2))
    v, i = run("min_argmin", vbody, [("%r", 2)], [2, 2])
    assert_close(v, full(inf, 2)), assert_close(i, ifull(-1, 2))
    v, i = run("max_argmax", vbody, [("%r", 2)], [2, 2])
    assert_close(v, full(-inf, 2)), assert_close(i, ifull(-1, 2))
    assert_close(run("kmin", vbody, [("%r", 2)], [6], k=3)[0], full(inf, 6))
    assert_close(run("argkmin", vbody, [("%r", 2)], [6], k=3)[0], ifull(-1, 6))
    v, i = run("kmin_argkmin", vbody, [("%r", 2)], [6, 6], k=3)
    assert_close(v, full(inf, 6)), assert_close(i, ifull(-1, 6))
    assert_close(run("logsumexp", sbody, [("%f", 1)], [1])[0], full(-inf, 1))
    assert_close(run("logsumexp", sbody, [("%f", 1), ("%w", 2)], [2])[0],
                 full(-inf, 2))
    assert_close(run("sumsoftmaxweight", sbody, [("%f", 1), ("%w", 2)], [2])[0],
                 full(np.nan, 2))


def test_kmin_layout_and_padding():
    """kmin of a D=2 formula: K blocks of D, ascending per component; with
    K > N the missing places are +inf and index -1."""
    y = np.array([[5.0, -1.0], [2.0, 0.0], [7.0, -3.0]])
    x = np.zeros((1, 2))
    variables = [("x", "i", 2), ("y", "j", 2)]
    body = ["%r = arith.addf %x, %y : vector<2x{T}>"]
    v, i = run_reduce("kmin_argkmin", "j", variables, [x, y], body,
                      [("%r", 2)], [8, 8], k=4, dtype="f64")
    inf = np.inf
    assert_close(v, np.array([[2.0, -3.0, 5.0, -1.0, 7.0, 0.0, inf, inf]]))
    assert_close(i, np.array([[1, 2, 0, 0, 2, 1, -1, -1]]))


# --------------------------------------------------------------------------
# Ties, NaN, infinities
# --------------------------------------------------------------------------

def _column_reduce(kind, col, k=None, axis="j"):
    """Reduces the 1-D column `col` (the values of the reduced variable)
    with a formula that returns it as is; one kept row."""
    col = np.asarray(col, dtype=np.float64).reshape(-1, 1)
    z = np.zeros((1, 1))
    if axis == "j":
        variables, arrays = [("z", "i", 1), ("c", "j", 1)], [z, col]
    else:
        variables, arrays = [("c", "i", 1), ("z", "j", 1)], [col, z]
    body = ["%r = arith.addf %c, %z : vector<1x{T}>"]
    nout = 2 if kind in ("min_argmin", "max_argmax", "kmin_argkmin") else 1
    outs = run_reduce(kind, axis, variables, arrays, body, [("%r", 1)],
                      [k or 1] * nout, k=k, dtype="f64")
    return [o[0] for o in outs]


@pytest.mark.parametrize("axis", ["j", "i"])
def test_ties_smaller_index_wins(axis):
    col = [3, 1, 2, 1, 3, 0, 1, 0, 3]
    assert _column_reduce("argmin", col, axis=axis)[0].tolist() == [5]
    assert _column_reduce("argmax", col, axis=axis)[0].tolist() == [0]
    v, i = _column_reduce("min_argmin", col, axis=axis)
    assert v.tolist() == [0.0] and i.tolist() == [5]
    v, i = _column_reduce("max_argmax", col, axis=axis)
    assert v.tolist() == [3.0] and i.tolist() == [0]
    assert _column_reduce("argkmin", col, k=6, axis=axis)[0].tolist() == \
        [5, 7, 1, 3, 6, 2]
    v, i = _column_reduce("kmin_argkmin", col, k=9, axis=axis)
    assert v.tolist() == [0, 0, 1, 1, 1, 2, 3, 3, 3]
    assert i.tolist() == [5, 7, 1, 3, 6, 2, 0, 4, 8]
    # Same as NumPy's stable argsort.
    assert i.tolist() == np.argsort(col, kind="stable").tolist()


def test_ties_vector_formula_componentwise():
    """Component-wise arg reductions on a D=3 formula with ties."""
    y = np.array([[1, 0, 2], [0, 0, 2], [1, 5, 2], [0, 5, -1]], dtype=float)
    x = np.zeros((2, 3))
    variables = [("x", "i", 3), ("y", "j", 3)]
    body = ["%r = arith.addf %x, %y : vector<3x{T}>"]
    (amin,) = run_reduce("argmin", "j", variables, [x, y], body, [("%r", 3)],
                         [3], dtype="f64")
    (amax,) = run_reduce("argmax", "j", variables, [x, y], body, [("%r", 3)],
                         [3], dtype="f64")
    assert amin.tolist() == [[1, 0, 3]] * 2
    assert amax.tolist() == [[0, 2, 0]] * 2


NAN, INF = np.nan, np.inf
SPECIAL = [NAN, 2.0, -INF, INF, NAN, 1.0, -0.5]


@pytest.mark.parametrize("axis", ["j", "i"])
def test_nan_inf_min_kinds(axis):
    """Min kinds: -inf < numbers < +inf < NaN; NaN only when nothing else."""
    v, i = _column_reduce("min_argmin", SPECIAL, axis=axis)
    assert v.tolist() == [-INF] and i.tolist() == [2]
    assert _column_reduce("min", SPECIAL, axis=axis)[0].tolist() == [-INF]
    assert _column_reduce("argmin", SPECIAL, axis=axis)[0].tolist() == [2]
    v, i = _column_reduce("kmin_argkmin", SPECIAL, k=8, axis=axis)
    np.testing.assert_array_equal(v, [-INF, -0.5, 1.0, 2.0, INF, NAN, NAN, INF])
    assert i.tolist() == [2, 6, 5, 1, 3, 0, 4, -1]
    (kv,) = _column_reduce("kmin", SPECIAL, k=5, axis=axis)
    np.testing.assert_array_equal(kv, [-INF, -0.5, 1.0, 2.0, INF])
    (ki,) = _column_reduce("argkmin", SPECIAL, k=6, axis=axis)
    assert ki.tolist() == [2, 6, 5, 1, 3, 0]
    # Only NaN (and the only finite value last): NaN is selected last.
    v, i = _column_reduce("min_argmin", [NAN, NAN], axis=axis)
    assert np.isnan(v[0]) and i.tolist() == [0]
    v, i = _column_reduce("min_argmin", [NAN, NAN, INF], axis=axis)
    assert v.tolist() == [INF] and i.tolist() == [2]


@pytest.mark.parametrize("axis", ["j", "i"])
def test_nan_inf_max_kinds(axis):
    """Max kinds: NaN < -inf < numbers < +inf; NaN is lost first."""
    v, i = _column_reduce("max_argmax", SPECIAL, axis=axis)
    assert v.tolist() == [INF] and i.tolist() == [3]
    assert _column_reduce("max", SPECIAL, axis=axis)[0].tolist() == [INF]
    assert _column_reduce("argmax", SPECIAL, axis=axis)[0].tolist() == [3]
    v, i = _column_reduce("max_argmax", [NAN, -INF, NAN], axis=axis)
    assert v.tolist() == [-INF] and i.tolist() == [1]
    v, i = _column_reduce("max_argmax", [NAN, NAN], axis=axis)
    assert np.isnan(v[0]) and i.tolist() == [0]


def test_nan_inf_random_against_numpy(rng):
    """Random columns with NaN and infinities sprinkled in, all min/max kinds
    against the stable-argsort reference."""
    M, N = 5, 9
    x = rng.standard_normal((M, 2))
    y = rng.standard_normal((N, 2))
    y[rng.random((N, 2)) < 0.25] = NAN
    y[rng.random((N, 2)) < 0.15] = INF
    y[rng.random((N, 2)) < 0.15] = -INF
    y[0, 0] = NAN
    variables = [("x", "i", 2), ("y", "j", 2)]
    body = ["%r = arith.addf %x, %y : vector<2x{T}>"]
    F = pairwise(lambda a, b: a + b, variables, [x, y])
    for kind, k in [("min_argmin", None), ("max_argmax", None),
                    ("kmin_argkmin", N + 2)]:
        widths = [2 * (k or 1)] * 2
        outs = run_reduce(kind, "j", variables, [x, y], body, [("%r", 2)],
                          widths, k=k, dtype="f64")
        for o, e in zip(outs, np_reduce(kind, F, "j", k=k)):
            assert_close(o, e)


def test_logsumexp_large_arguments():
    """f = 1e4 + small: no overflow, 1e4 + log(sum exp(small))."""
    small = np.array([0.0, -1.0, 0.5, -3.0, 0.25])
    col = 1e4 + small
    (out,) = _column_reduce("logsumexp", col)
    expected = 1e4 + np.log(np.exp(col - 1e4).sum())
    assert np.isfinite(out[0])
    assert_close(out, [expected], rtol=RTOL)
    assert_close(out, [special.logsumexp(col)], rtol=RTOL)
    (out,) = _column_reduce("logsumexp", -col)
    assert_close(out, [special.logsumexp(-col)], rtol=RTOL)


def _lse_weighted(col, wts, kind="logsumexp"):
    col = np.asarray(col, float).reshape(-1, 1)
    wts = np.asarray(wts, float)
    z = np.zeros((1, 1))
    body = ["%r = arith.addf %c, %z : vector<1x{T}>"]
    (out,) = run_reduce(kind, "j", [("z", "i", 1), ("c", "j", 1),
                                    ("w", "j", wts.shape[1])],
                        [z, col, wts], body, [("%r", 1), ("%w", wts.shape[1])],
                        [wts.shape[1]], dtype="f64")
    return out[0]


def test_logsumexp_weighted_large_arguments():
    col = 1e4 + np.array([0.0, -1.0, 0.5])
    w = np.array([[1.0, 2.0], [0.5, 1.0], [3.0, 0.25]])
    out = _lse_weighted(col, w)
    expected = [special.logsumexp(col, b=w[:, e]) for e in range(2)]
    assert np.isfinite(out).all()
    assert_close(out, expected, rtol=RTOL)


def test_logsumexp_minus_inf_everywhere():
    (out,) = _column_reduce("logsumexp", [-INF] * 4)
    assert out.tolist() == [-INF]
    out = _lse_weighted([-INF] * 3, np.ones((3, 2)))
    assert out.tolist() == [-INF, -INF]
    # One finite term among -inf ones: exactly that term.
    (out,) = _column_reduce("logsumexp", [-INF, 3.5, -INF])
    assert_close(out, [3.5], rtol=RTOL)
    # NaN propagates (as in SciPy); +inf gives +inf.
    (out,) = _column_reduce("logsumexp", [1.0, NAN, 2.0])
    assert np.isnan(out[0]) and np.isnan(special.logsumexp([1.0, NAN, 2.0]))
    (out,) = _column_reduce("logsumexp", [1.0, INF, 2.0])
    assert out.tolist() == [INF]


def test_sumsoftmaxweight_plus_inf():
    """With +inf terms, the mean of their v (the limit of the softmax)."""
    col = [1.0, INF, 0.0, INF, -2.0]
    v = np.array([[10.0, 1.0], [2.0, -1.0], [30.0, 5.0], [4.0, 3.0],
                  [7.0, 7.0]])
    out = _lse_weighted(col, v, kind="sumsoftmaxweight")
    assert_close(out, [3.0, 1.0], rtol=RTOL)
    # Large finite arguments: same as NumPy's stable softmax.
    col = 1e4 + np.array([0.0, -1.0, 0.5, -0.25, 0.0])
    out = _lse_weighted(col, v, kind="sumsoftmaxweight")
    p = np.exp(col - col.max())
    assert_close(out, (p / p.sum()) @ v, rtol=RTOL)
    # -inf everywhere: 0/0.
    out = _lse_weighted([-INF] * 5, v, kind="sumsoftmaxweight")
    assert np.isnan(out).all()


@pytest.mark.parametrize("col, expected", [
    ([1.0, INF, 2.0], INF),
    ([INF], INF),
    ([-INF, -1.0], -INF),
    ([1e308, 1e308], INF),
])
def test_sum_with_infinities(col, expected):
    (out,) = _column_reduce("sum", col)
    assert out.tolist() == [expected]


def test_sum_is_compensated():
    """The sum does not lose digits to the order of the terms (Neumaier)."""
    col = [1e16, 1.0, -1e16, 3.0, 1e-3]
    (out,) = _column_reduce("sum", col)
    assert sum(col) == 3.001  # the naive left-to-right sum loses the 1
    np.testing.assert_allclose(out, [math.fsum(col)], rtol=4e-16)


@pytest.mark.parametrize("axis", ["j", "i"])
def test_no_variable_of_the_kept_axis(rng, axis):
    """Only reduced variables and a parameter: the output rows come from the
    output array, and every row holds the same value."""
    c = rng.standard_normal((6, 2))
    p = rng.standard_normal(2)
    variables = [("c", axis, 2), ("p", "p", 2)]
    v, i = run_reduce("max_argmax", axis, variables, [c, p],
                      ["%r = arith.mulf %c, %p : vector<2x{T}>"],
                      [("%r", 2)], [2, 2], dtype="f64", kept_rows=3)
    assert_close(v, np.tile((c * p).max(axis=0), (3, 1)))
    assert_close(i, np.tile((c * p).argmax(axis=0), (3, 1)))


def test_function_with_two_reductions_tensor_empty_and_memrefs(rng):
    """A function chaining two reductions: the first sizes its output with
    tensor.dim / tensor.empty, the second reads it as an i variable and
    writes a memref output (the function returns nothing)."""
    module = """
func.func @chain(%x: tensor<?x2xf64>, %y: tensor<?x2xf64>, %o: memref<?x1xf64>) {
  %c0 = arith.constant 0 : index
  %m = tensor.dim %x, %c0 : tensor<?x2xf64>
  %init = tensor.empty(%m) : tensor<?x1xf64>
  %a = keops.reduce sum over j ins(%x : i tensor<?x2xf64>, %y : j tensor<?x2xf64>)
      outs(%init : tensor<?x1xf64>) {
  ^bb0(%xi: vector<2xf64>, %yj: vector<2xf64>):
    %d = keops.dot %xi, %yj : vector<2xf64>
    keops.yield %d : vector<1xf64>
  } -> tensor<?x1xf64>
  keops.reduce logsumexp over i ins(%a : i tensor<?x1xf64>, %y : j tensor<?x2xf64>)
      outs(%o : memref<?x1xf64>) {
  ^bb0(%ai: vector<1xf64>, %yj: vector<2xf64>):
    %s = keops.sum %yj : vector<2xf64>
    %f = arith.mulf %ai, %s : vector<1xf64>
    keops.yield %f : vector<1xf64>
  }
  return
}
"""
    M, N = 5, 4
    x, y = rng.standard_normal((M, 2)), rng.standard_normal((N, 2))
    (out,) = reference.evaluate(module, [x, y, np.zeros((N, 1))])
    a = (x @ y.T).sum(axis=1)  # (M,)
    f = a[:, None] * y.sum(axis=1)[None, :]  # (M, N)
    assert_close(out, special.logsumexp(f, axis=0)[:, None], rtol=RTOL)


@pytest.mark.parametrize("kind", ["logsumexp", "sumsoftmaxweight"])
def test_infinite_weight(kind):
    out = _lse_weighted([0.0, 1.0], np.array([[INF], [1.0]]), kind=kind)
    assert out.tolist() == [INF]


# --------------------------------------------------------------------------
# Every formula op: a sum over j compared to the dense NumPy sum
# --------------------------------------------------------------------------

def normal(rng, shape):
    return rng.standard_normal(shape)


def uniform(lo, hi):
    return lambda rng, shape: rng.uniform(lo, hi, shape)


def choice(*values):
    return lambda rng, shape: rng.choice(np.array(values, float), shape)


def const(*values):
    return lambda rng, shape: np.broadcast_to(np.array(values, float), shape).copy()


def round_half_away(v, decimals):
    s = 10.0 ** decimals
    t = v * s
    return np.sign(t) * np.floor(np.abs(t) + 0.5) / s


def one_hot(c, dim):
    r = np.zeros(dim)
    if np.isfinite(c[0]):
        k = np.sign(c[0]) * np.floor(abs(c[0]) + 0.5)
        if 0 <= k < dim:
            r[int(k)] = 1.0
    return r


def exact_fma(a, b, c):
    """a * b + c rounded once (exact rationals, then one rounding)."""
    return [float(Fraction(x) * Fraction(y) + Fraction(z))
            for x, y, z in zip(a, b, c)]


def wsqnorm(w, v):
    d = v.shape[0]
    if w.shape[0] == 1:
        return w[0] * (v @ v)
    if w.shape[0] == d:
        return (w * v * v).sum()
    return v @ w.reshape(d, d) @ v


X3, Y3 = ("x", "i", 3, normal), ("y", "j", 3, normal)
SUB = "%s = arith.subf %x, %y : vector<3x{T}>"
MUL = "%s = arith.mulf %x, %y : vector<3x{T}>"


def unary(op_line, fn, x=normal, y=normal, pre=SUB, ydim=3):
    """`op_line` applied to %s (x - y, or x * y with pre=MUL)."""
    f = (lambda x, y: fn(x - y)) if pre == SUB else (lambda x, y: fn(x * y))
    return ([("x", "i", 3, x), ("y", "j", 3, y)], [pre, op_line], ydim, f)


CMP = {"lt": np.less, "le": np.less_equal, "gt": np.greater,
       "ge": np.greater_equal, "eq": np.equal, "ne": np.not_equal}
INTS = choice(-1.0, 0.0, 1.0)

OP_CASES = {
    # keops pointwise
    "sign": unary("%r = keops.sign %s : vector<3x{T}>", np.sign, INTS, INTS),
    "step": unary("%r = keops.step %s : vector<3x{T}>",
                  lambda s: (s >= 0).astype(float), INTS, INTS),
    "relu": unary("%r = keops.relu %s : vector<3x{T}>", lambda s: np.maximum(s, 0)),
    "xlogx": unary("%r = keops.xlogx %s : vector<3x{T}>",
                   lambda s: np.where(s == 0, 0.0, s * np.log(np.where(s == 0, 1, s))),
                   choice(0.0, 0.5, 1.0, 2.5, 3.0), uniform(0.0, 2.0), pre=MUL),
    "sinxdivx": unary("%r = keops.sinxdivx %s : vector<3x{T}>",
                      lambda s: np.where(s == 0, 1.0, np.sin(s) / np.where(s == 0, 1, s)),
                      choice(-1.0, 0.0, 0.5, 2.0), choice(-1.0, 0.0, 0.5)),
    "powi3": unary("%r = keops.powi %s, 3 : vector<3x{T}>", lambda s: s**3),
    "powi1": unary("%r = keops.powi %s, 1 : vector<3x{T}>", lambda s: s),
    "powi0": unary("%r = keops.powi %s, 0 : vector<3x{T}>", lambda s: s**0,
                   INTS, INTS),
    "powi-2": unary("%r = keops.powi %s, -2 : vector<3x{T}>", lambda s: s**-2.0,
                    uniform(0.5, 2.0), uniform(-2.0, -0.5)),
    "powi-3": unary("%r = keops.powi %s, -3 : vector<3x{T}>", lambda s: s**-3.0,
                    uniform(0.5, 2.0), uniform(-2.0, -0.5), pre=MUL),
    "round2": unary("%r = keops.round %s, 2 : vector<3x{T}>",
                    lambda s: round_half_away(s, 2), uniform(-5, 5), uniform(-5, 5), pre=MUL),
    "round0": unary("%r = keops.round %s, 0 : vector<3x{T}>",
                    lambda s: round_half_away(s, 0), uniform(-5, 5), uniform(-5, 5), pre=MUL),
    "round-1": unary("%r = keops.round %s, -1 : vector<3x{T}>",
                     lambda s: round_half_away(s, -1), uniform(-30, 30), uniform(-9, 9), pre=MUL),
    "clamp": ([("x", "i", 3, normal), ("y", "j", 3, uniform(-1, 0)),
               ("p", "p", 3, uniform(0, 1))],
              ["%r = keops.clamp %x, %y, %p : vector<3x{T}>"], 3,
              lambda x, y, p: np.minimum(np.maximum(x, y), p)),
    "ifelse": ([("x", "i", 3, INTS), ("y", "j", 3, INTS), ("p", "p", 3, normal)],
               [SUB, "%a = arith.mulf %x, %p : vector<3x{T}>",
                "%r = keops.ifelse %s, %a, %y : vector<3x{T}>"], 3,
               lambda x, y, p: np.where(x - y >= 0, x * p, y)),
    "mod": ([("x", "i", 3, uniform(-10, 10)), ("y", "j", 3, uniform(-1, 1)),
             ("p", "p", 3, uniform(0.5, 3))],
            ["%r = keops.mod %x, %p, %y : vector<3x{T}>"], 3,
            lambda x, d, n: x - n * np.floor((x - d) / n)),
    **{f"cmp_{p}": ([("x", "i", 3, INTS), ("y", "j", 3, INTS)],
                    [f"%r = keops.cmp {p}, %x, %y : vector<3x{{T}}>"], 3,
                    (lambda fn: lambda x, y: fn(x, y).astype(float))(fn))
       for p, fn in CMP.items()},
    # reductions over the components and norms
    "sum": unary("%r = keops.sum %s : vector<3x{T}>", np.sum, ydim=1),
    "max": unary("%r = keops.max %s : vector<3x{T}>", np.max, ydim=1),
    "min": unary("%r = keops.min %s : vector<3x{T}>", np.min, ydim=1),
    "argmax": unary("%r = keops.argmax %s : vector<3x{T}>", np.argmax, INTS,
                    INTS, ydim=1),
    "argmin": unary("%r = keops.argmin %s : vector<3x{T}>", np.argmin, INTS,
                    INTS, ydim=1),
    "sqnorm2": unary("%r = keops.sqnorm2 %s : vector<3x{T}>", lambda s: s @ s, ydim=1),
    "norm2": unary("%r = keops.norm2 %s : vector<3x{T}>", np.linalg.norm, ydim=1),
    "normalize": unary("%r = keops.normalize %s : vector<3x{T}>",
                       lambda s: s / np.linalg.norm(s)),
    "dot": ([X3, Y3], ["%r = keops.dot %x, %y : vector<3x{T}>"], 1,
            lambda x, y: x @ y),
    "sqdist": ([X3, Y3], ["%r = keops.sqdist %x, %y : vector<3x{T}>"], 1,
               lambda x, y: ((x - y) ** 2).sum()),
    **{f"weightedsqnorm_{n}": (
        [X3, Y3, ("w", "p", wd, sampler)],
        [SUB, f"%r = keops.weightedsqnorm %w, %s : vector<{wd}x{{T}}>, vector<3x{{T}}>"],
        1, lambda x, y, w: wsqnorm(w, x - y))
       for n, wd, sampler in [("iso", 1, uniform(0.5, 2)), ("diag", 3, uniform(0.5, 2)),
                              ("full", 9, normal)]},
    **{f"weightedsqdist_{n}": (
        [X3, Y3, ("w", "p", wd, sampler)],
        [f"%r = keops.weightedsqdist %w, %x, %y : vector<{wd}x{{T}}>, vector<3x{{T}}>"],
        1, lambda x, y, w: wsqnorm(w, x - y))
       for n, wd, sampler in [("iso", 1, uniform(0.5, 2)), ("diag", 3, uniform(0.5, 2)),
                              ("full", 9, normal)]},
    # shape-changing ops
    "one_hot": ([("x", "i", 1, choice(0, 1, 2, 3, -1)), ("y", "j", 1, choice(0, 1, 2, 3))],
                ["%s = arith.addf %x, %y : vector<1x{T}>",
                 "%r = keops.one_hot %s, 5 : vector<1x{T}>"], 5,
                lambda x, y: one_hot(x + y, 5)),
    "matvecmult": ([("a", "i", 6, normal), ("v", "j", 3, normal)],
                   ["%r = keops.matvecmult %a, %v : vector<6x{T}>, vector<3x{T}>"], 2,
                   lambda a, v: a.reshape(2, 3) @ v),
    "vecmatmult": ([("a", "i", 6, normal), ("v", "j", 2, normal)],
                   ["%r = keops.vecmatmult %v, %a : vector<2x{T}>, vector<6x{T}>"], 3,
                   lambda a, v: v @ a.reshape(2, 3)),
    "tensorprod": ([("a", "i", 2, normal), ("b", "j", 3, normal)],
                   ["%r = keops.tensorprod %a, %b : vector<2x{T}>, vector<3x{T}>"], 6,
                   lambda a, b: np.outer(a, b).ravel()),
    "tensordot_2axes": (
        [("a", "i", 24, normal), ("b", "j", 60, normal)],
        ["%r = keops.tensordot %a, %b shapes [2, 3, 4], [4, 3, 5] contract [2, 1], [0, 1]"
         " : vector<24x{T}>, vector<60x{T}>"], 10,
        lambda a, b: np.tensordot(a.reshape(2, 3, 4), b.reshape(4, 3, 5),
                                  axes=([2, 1], [0, 1])).ravel()),
    "tensordot_middle": (
        [("a", "i", 24, normal), ("b", "j", 6, normal)],
        ["%r = keops.tensordot %a, %b shapes [2, 3, 4], [2, 3] contract [1], [1]"
         " : vector<24x{T}>, vector<6x{T}>"], 16,
        lambda a, b: np.tensordot(a.reshape(2, 3, 4), b.reshape(2, 3),
                                  axes=([1], [1])).ravel()),
    "tensordot_none": (
        [("a", "i", 6, normal), ("b", "j", 3, normal)],
        ["%r = keops.tensordot %a, %b shapes [2, 3], [3] contract [], []"
         " : vector<6x{T}>, vector<3x{T}>"], 18,
        lambda a, b: np.tensordot(a.reshape(2, 3), b, axes=0).ravel()),
    "tensordot_full": (
        [("a", "i", 6, normal), ("b", "j", 6, normal)],
        ["%r = keops.tensordot %a, %b shapes [2, 3], [3, 2] contract [1, 0], [0, 1]"
         " : vector<6x{T}>, vector<6x{T}>"], 1,
        lambda a, b: np.tensordot(a.reshape(2, 3), b.reshape(3, 2),
                                  axes=([1, 0], [0, 1])).ravel()),
    "kron_rank1": ([("a", "i", 2, normal), ("b", "j", 3, normal)],
                   ["%r = keops.kron %a, %b shapes [2], [3] : vector<2x{T}>, vector<3x{T}>"],
                   6, lambda a, b: np.kron(a, b)),
    "kron_rank2": ([("a", "i", 6, normal), ("b", "j", 6, normal)],
                   ["%r = keops.kron %a, %b shapes [2, 3], [3, 2] : vector<6x{T}>, vector<6x{T}>"],
                   36, lambda a, b: np.kron(a.reshape(2, 3), b.reshape(3, 2)).ravel()),
    "kron_rank3": ([("a", "i", 4, normal), ("b", "j", 6, normal)],
                   ["%r = keops.kron %a, %b shapes [2, 1, 2], [1, 3, 2]"
                    " : vector<4x{T}>, vector<6x{T}>"],
                   24, lambda a, b: np.kron(a.reshape(2, 1, 2), b.reshape(1, 3, 2)).ravel()),
    # upstream arith
    "arith.addf": ([X3, Y3], ["%r = arith.addf %x, %y : vector<3x{T}>"], 3,
                   lambda x, y: x + y),
    "arith.subf": ([X3, Y3], ["%r = arith.subf %x, %y : vector<3x{T}>"], 3,
                   lambda x, y: x - y),
    "arith.mulf": ([X3, Y3], ["%r = arith.mulf %x, %y : vector<3x{T}>"], 3,
                   lambda x, y: x * y),
    "arith.divf": ([X3, ("y", "j", 3, uniform(0.5, 2))],
                   ["%r = arith.divf %x, %y : vector<3x{T}>"], 3, lambda x, y: x / y),
    "arith.negf": unary("%r = arith.negf %s : vector<3x{T}>", np.negative),
    "arith.maximumf": ([X3, Y3], ["%r = arith.maximumf %x, %y : vector<3x{T}>"], 3,
                       np.maximum),
    "arith.minimumf": ([X3, Y3], ["%r = arith.minimumf %x, %y : vector<3x{T}>"], 3,
                       np.minimum),
    "arith.constant": ([X3, Y3],
                       ["%c = arith.constant dense<[1.5, -2.0, 0.25]> : vector<3x{T}>",
                        "%k = arith.constant dense<0.5> : vector<3x{T}>",
                        "%m = arith.mulf %x, %c : vector<3x{T}>",
                        "%n = arith.mulf %y, %k : vector<3x{T}>",
                        "%r = arith.addf %m, %n : vector<3x{T}>"], 3,
                       lambda x, y: x * np.array([1.5, -2.0, 0.25]) + 0.5 * y),
    # upstream math
    "math.exp": unary("%r = math.exp %s : vector<3x{T}>", np.exp),
    "math.log": unary("%r = math.log %s : vector<3x{T}>", np.log,
                      uniform(0.1, 3), uniform(0.1, 3), pre=MUL),
    "math.sin": unary("%r = math.sin %s : vector<3x{T}>", np.sin),
    "math.cos": unary("%r = math.cos %s : vector<3x{T}>", np.cos),
    "math.tan": unary("%r = math.tan %s : vector<3x{T}>", np.tan,
                      uniform(-0.6, 0.6), uniform(-0.6, 0.6)),
    "math.asin": unary("%r = math.asin %s : vector<3x{T}>", np.arcsin,
                       uniform(-1, 1), uniform(-1, 1), pre=MUL),
    "math.acos": unary("%r = math.acos %s : vector<3x{T}>", np.arccos,
                       uniform(-1, 1), uniform(-1, 1), pre=MUL),
    "math.atan": unary("%r = math.atan %s : vector<3x{T}>", np.arctan),
    "math.atan2": ([X3, Y3], ["%r = math.atan2 %x, %y : vector<3x{T}>"], 3,
                   np.arctan2),
    "math.sinh": unary("%r = math.sinh %s : vector<3x{T}>", np.sinh),
    "math.cosh": unary("%r = math.cosh %s : vector<3x{T}>", np.cosh),
    "math.tanh": unary("%r = math.tanh %s : vector<3x{T}>", np.tanh),
    "math.sqrt": unary("%r = math.sqrt %s : vector<3x{T}>", np.sqrt,
                       uniform(0, 3), uniform(0, 3), pre=MUL),
    "math.rsqrt": unary("%r = math.rsqrt %s : vector<3x{T}>", lambda s: 1 / np.sqrt(s),
                        uniform(0.1, 3), uniform(0.1, 3), pre=MUL),
    "math.absf": unary("%r = math.absf %s : vector<3x{T}>", np.abs),
    "math.floor": unary("%r = math.floor %s : vector<3x{T}>", np.floor,
                        uniform(-3, 3), uniform(-3, 3), pre=MUL),
    "math.ceil": unary("%r = math.ceil %s : vector<3x{T}>", np.ceil,
                       uniform(-3, 3), uniform(-3, 3), pre=MUL),
    "math.powf": ([("x", "i", 3, uniform(0.1, 3)), Y3],
                  ["%r = math.powf %x, %y : vector<3x{T}>"], 3, np.power),
    "math.erf": unary("%r = math.erf %s : vector<3x{T}>", special.erf),
    # upstream vector
    "vector.broadcast": ([X3, ("c", "j", 1, normal)],
                         ["%b = vector.broadcast %c : vector<1x{T}> to vector<3x{T}>",
                          "%r = arith.mulf %x, %b : vector<3x{T}>"], 3,
                         lambda x, c: x * c[0]),
    "vector.extract_strided_slice": (
        [("x", "i", 5, normal), ("y", "j", 5, normal)],
        ["%s = arith.subf %x, %y : vector<5x{T}>",
         "%r = vector.extract_strided_slice %s {offsets = [1], sizes = [3], strides = [1]}"
         " : vector<5x{T}> to vector<3x{T}>"], 3,
        lambda x, y: (x - y)[1:4]),
    "vector.shuffle": (
        [X3, ("y", "j", 2, normal)],
        ["%r = vector.shuffle %x, %y [4, 0, 2, 3, 0] : vector<3x{T}>, vector<2x{T}>"], 5,
        lambda x, y: np.concatenate([x, y])[[4, 0, 2, 3, 0]]),
    # upstream ops that formula expansion produces (isExpandedFormulaOp)
    "arith.cmpf+uitofp": ([("x", "i", 3, INTS), ("y", "j", 3, INTS)],
                          ["%m = arith.cmpf olt, %x, %y : vector<3x{T}>",
                           "%r = arith.uitofp %m : vector<3xi1> to vector<3x{T}>"], 3,
                          lambda x, y: (x < y).astype(float)),
    "arith.select": ([("x", "i", 3, INTS), ("y", "j", 3, normal)],
                     ["%m = arith.cmpf oge, %x, %y : vector<3x{T}>",
                      "%r = arith.select %m, %x, %y : vector<3xi1>, vector<3x{T}>"], 3,
                     lambda x, y: np.where(x >= y, x, y)),
    "arith.select_scalar_condition": (
        [X3, Y3],
        ["%a = vector.extract %x[0] : {T} from vector<3x{T}>",
         "%b = vector.extract %y[1] : {T} from vector<3x{T}>",
         "%c = arith.cmpf ult, %a, %b : {T}",
         "%r = arith.select %c, %x, %y : vector<3x{T}>"], 3,
        lambda x, y: x if x[0] < y[1] else y),
    **{f"arith.{op}": (
        [X3, Y3, ("p", "p", 3, normal)],
        ["%m1 = arith.cmpf ogt, %x, %y : vector<3x{T}>",
         "%m2 = arith.cmpf ogt, %x, %p : vector<3x{T}>",
         f"%a = arith.{op} %m1, %m2 : vector<3xi1>",
         "%r = arith.uitofp %a : vector<3xi1> to vector<3x{T}>"], 3,
        (lambda fn: lambda x, y, p: fn(x > y, x > p).astype(float))(fn))
       for op, fn in [("andi", np.logical_and), ("ori", np.logical_or),
                      ("xori", np.logical_xor)]},
    "math.fma": ([X3, Y3, ("p", "p", 3, normal)],
                 ["%r = math.fma %x, %y, %p : vector<3x{T}>"], 3,
                 lambda x, y, p: exact_fma(x, y, p)),
    "vector.fma": ([X3, Y3, ("p", "p", 3, normal)],
                   ["%r = vector.fma %x, %y, %p : vector<3x{T}>"], 3,
                   lambda x, y, p: exact_fma(x, y, p)),
    "math.copysign": ([X3, Y3], ["%r = math.copysign %x, %y : vector<3x{T}>"], 3,
                      np.copysign),
    "math.round": unary("%r = math.round %s : vector<3x{T}>",
                        lambda s: round_half_away(s, 0), uniform(-5, 5),
                        uniform(-5, 5), pre=MUL),
    "math.trunc": unary("%r = math.trunc %s : vector<3x{T}>", np.trunc,
                        uniform(-5, 5), uniform(-5, 5), pre=MUL),
    **{f"vector.reduction_{kind}": (
        [X3, Y3],
        [SUB, f"%a = vector.reduction <{kind}>, %s : vector<3x{{T}}> into {{T}}",
         "%r = vector.from_elements %a : vector<1x{T}>"], 1,
        (lambda fn: lambda x, y: fn(x - y))(fn))
       for kind, fn in [("add", np.sum), ("mul", np.prod), ("maximumf", np.max),
                        ("minimumf", np.min)]},
    "vector.reduction_add_acc": (
        [X3, Y3, ("p", "p", 2, normal)],
        [SUB, "%c = vector.extract %p[1] : {T} from vector<2x{T}>",
         "%a = vector.reduction <add>, %s, %c : vector<3x{T}> into {T}",
         "%r = vector.from_elements %a : vector<1x{T}>"], 1,
        lambda x, y, p: (x - y).sum() + p[1]),
    "vector.extract+from_elements": (
        [X3, Y3],
        ["%a = vector.extract %x[2] : {T} from vector<3x{T}>",
         "%b = vector.extract %y[0] : {T} from vector<3x{T}>",
         "%r = vector.from_elements %a, %b, %a, %b : vector<4x{T}>"], 4,
        lambda x, y: [x[2], y[0], x[2], y[0]]),
    "vector.insert": (
        [X3, Y3],
        ["%a = vector.extract %y[1] : {T} from vector<3x{T}>",
         "%r = vector.insert %a, %x [2] : {T} into vector<3x{T}>"], 3,
        lambda x, y: [x[0], x[1], y[1]]),
    "vector.broadcast_scalar": (
        [X3, Y3],
        ["%a = vector.extract %y[1] : {T} from vector<3x{T}>",
         "%b = vector.broadcast %a : {T} to vector<3x{T}>",
         "%r = arith.mulf %x, %b : vector<3x{T}>"], 3,
        lambda x, y: x * y[1]),
}

F32_OPS = ["sign", "xlogx", "powi-2", "round2", "mod", "cmp_le", "normalize",
           "weightedsqdist_full", "one_hot", "tensordot_2axes", "kron_rank2",
           "arith.constant", "math.exp", "math.log", "math.asin", "math.powf",
           "math.erf", "vector.shuffle"]


def _op_params():
    for dtype, names in [("f64", list(OP_CASES)), ("f32", F32_OPS)]:
        for n in names:
            yield pytest.param(n, dtype, id=f"{n}-{dtype}")


@pytest.mark.parametrize("name, dtype", list(_op_params()))
def test_formula_op(rng, name, dtype):
    spec, body, ydim, fn = OP_CASES[name]
    M, N = 4, 5
    variables = [(n, c, d) for n, c, d, _ in spec]
    rows = {"i": M, "j": N}
    arrays = [s(rng, d if c == "p" else (rows[c], d)) for n, c, d, s in spec]
    (out,) = run_reduce("sum", "j", variables, arrays, body, [("%r", ydim)],
                        [ydim], dtype=dtype)
    F = pairwise(fn, variables, arrays, dtype=dtype)
    assert F.shape == (M, N, ydim)
    (expected,) = np_reduce("sum", F, "j")
    assert np.isfinite(expected).all()
    assert_close(out, expected, rtol=RTOL, atol=sum_atol(F, "j"))


def test_every_formula_op_is_covered():
    """Each op the verifier accepts in a formula (ReduceOp.cpp) and each keops
    formula op has a test case above."""
    text = "\n".join(line for _, body, _, _ in OP_CASES.values() for line in body)
    keops_ops = ["sign", "step", "relu", "xlogx", "sinxdivx", "powi", "round",
                 "clamp", "ifelse", "mod", "cmp", "sum", "max", "min",
                 "argmax", "argmin", "sqnorm2", "norm2", "normalize", "dot",
                 "sqdist", "weightedsqnorm", "weightedsqdist", "one_hot",
                 "matvecmult", "vecmatmult", "tensorprod", "tensordot", "kron"]
    upstream = ["arith.constant", "arith.addf", "arith.subf", "arith.mulf",
                "arith.divf", "arith.negf", "arith.maximumf", "arith.minimumf",
                "math.exp", "math.log", "math.sin", "math.cos", "math.tan",
                "math.asin", "math.acos", "math.atan", "math.atan2",
                "math.sinh", "math.cosh", "math.tanh", "math.sqrt",
                "math.rsqrt", "math.absf", "math.floor", "math.ceil",
                "math.powf", "math.erf", "vector.broadcast",
                "vector.extract_strided_slice", "vector.shuffle",
                # what formula expansion produces (isExpandedFormulaOp)
                "arith.cmpf", "arith.select", "arith.uitofp", "arith.andi",
                "arith.ori", "arith.xori", "math.fma", "math.copysign",
                "math.round", "math.trunc", "vector.reduction",
                "vector.extract", "vector.from_elements", "vector.insert",
                "vector.fma"]
    src = (ROOT / "lib" / "Dialect" / "Keops" / "ReduceOp.cpp").read_text()
    section = src[src.index("isFormulaOp"):src.index("// Builder")]
    allowed = set()
    for dialect, cls in re.findall(r"\b(arith|math|vector)::(\w+)Op\b", section):
        name = re.sub(r"(?<!^)(?=[A-Z][a-z])", "_", cls).lower() \
            if dialect == "vector" else cls.lower()
        allowed.add(f"{dialect}.{name}")
    assert allowed == set(upstream)
    for op in upstream:
        assert f" = {op} " in text, op
    for op in keops_ops:
        assert f" = keops.{op} " in text, op


# --------------------------------------------------------------------------
# Special values of the pointwise ops, one formula value per row
# --------------------------------------------------------------------------

def map_rows(body, ydim, ivars, pvars=(), dtype="f64"):
    """F(row) for each row of the i variables: a min over j with a single j
    (a min of one value is that value, NaN and signed zeros included)."""
    ivars = [(n, np.asarray(a, float).reshape(len(a), -1)) for n, a in ivars]
    pvars = [(n, np.atleast_1d(np.asarray(a, float))) for n, a in pvars]
    variables = [(n, "i", a.shape[1]) for n, a in ivars]
    variables += [("dummy", "j", 1)] + [(n, "p", a.shape[0]) for n, a in pvars]
    arrays = [a for _, a in ivars] + [np.zeros((1, 1))] + [a for _, a in pvars]
    (out,) = run_reduce("min", "j", variables, arrays, body, [("%r", ydim)],
                        [ydim], dtype=dtype)
    return out


def assert_same(actual, expected):
    """Equal values, NaN where NaN, and the same sign of zero."""
    actual, expected = np.asarray(actual, float), np.asarray(expected, float)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    np.testing.assert_array_equal(actual, expected)
    np.testing.assert_array_equal(np.signbit(actual[actual == 0]),
                                  np.signbit(expected[expected == 0]))


def test_pointwise_special_values():
    def one(op, xs, extra=""):
        return map_rows([f"%r = keops.{op} %x{extra} : vector<1x{{T}}>"], 1,
                        [("x", xs)])[:, 0]

    xs = [-2.0, -0.0, 0.0, 3.0, NAN, INF, -INF]
    np.testing.assert_array_equal(one("sign", xs), [-1, 0, 0, 1, NAN, 1, -1])
    np.testing.assert_array_equal(one("step", xs), [0, 1, 1, 1, NAN, 1, 0])
    np.testing.assert_array_equal(one("relu", xs), [0, 0, 0, 3, NAN, INF, 0])
    np.testing.assert_allclose(
        one("xlogx", [0.0, 1.0, 2.0, 0.5, -1.0, INF]),
        [0.0, 0.0, 2 * np.log(2), 0.5 * np.log(0.5), NAN, INF], rtol=RTOL)
    np.testing.assert_allclose(
        one("sinxdivx", [0.0, -0.0, 1e-8, 2.0, -3.0]),
        [1.0, 1.0, np.sin(1e-8) / 1e-8, np.sin(2) / 2, np.sin(-3) / -3], rtol=RTOL)


def test_powi_special_values():
    def powi(n, xs):
        return map_rows([f"%r = keops.powi %x, {n} : vector<1x{{T}}>"], 1,
                        [("x", xs)])[:, 0]

    # x^0 = 1 for every x, NaN and infinities included (IEEE pown).
    assert_same(powi(0, [NAN, 0.0, -0.0, INF, -INF, -2.0, 5.0]), [1.0] * 7)
    assert_same(powi(2, [-3.0, 0.5, NAN]), [9.0, 0.25, NAN])
    assert_same(powi(5, [-2.0, 1.5]), [-32.0, 1.5**5])
    assert_same(powi(1, [-0.0, 7.5]), [-0.0, 7.5])


def test_powi_negative_exponent_special_values():
    def powi(n, xs):
        return map_rows([f"%r = keops.powi %x, {n} : vector<1x{{T}}>"], 1,
                        [("x", xs)])[:, 0]

    # 1 / x^-n (the exponent attribute is an I64Attr whose getter returns
    # uint64_t: it must be read back as signed).
    assert_same(powi(-1, [0.0, -0.0, 2.0, -4.0, INF]), [INF, -INF, 0.5, -0.25, 0.0])
    assert_same(powi(-3, [2.0, -2.0, 0.5]), [0.125, -0.125, 8.0])


def test_round_special_values():
    def rnd(d, xs):
        return map_rows([f"%r = keops.round %x, {d} : vector<1x{{T}}>"], 1,
                        [("x", xs)])[:, 0]

    # Halves away from 0.
    assert_same(rnd(0, [2.5, -2.5, 0.5, -0.5, 1.49, 3.0]), [3, -3, 1, -1, 1, 3])
    assert_same(rnd(2, [INF, -INF, NAN]), [INF, -INF, NAN])
    np.testing.assert_allclose(rnd(2, [0.125, -0.125, 1.23456, 0.375, 7.0]),
                               [0.13, -0.13, 1.23, 0.38, 7.0], rtol=RTOL)


def test_round_negative_decimals():
    def rnd(d, xs):
        return map_rows([f"%r = keops.round %x, {d} : vector<1x{{T}}>"], 1,
                        [("x", xs)])[:, 0]

    # To tens, hundreds (decimals is an I64Attr read back as signed).
    np.testing.assert_allclose(rnd(-1, [25.0, -25.0, 14.0, 123.4, 4.9]),
                               [30.0, -30.0, 10.0, 120.0, 0.0], rtol=RTOL, atol=1e-300)
    np.testing.assert_allclose(rnd(-2, [250.0, 149.0, -150.0]),
                               [300.0, 100.0, -200.0], rtol=RTOL)


def test_clamp_ifelse_mod_special_values():
    r = map_rows(["%r = keops.clamp %x, %lo, %hi : vector<1x{T}>"], 1,
                 [("x", [-5.0, 0.5, 5.0, -1.0, 1.0, -INF, INF])],
                 [("lo", -1.0), ("hi", 1.0)])[:, 0]
    assert_same(r, [-1.0, 0.5, 1.0, -1.0, 1.0, -1.0, 1.0])
    # c >= 0 selects a; -0 >= 0; a NaN condition selects b.
    r = map_rows(["%r = keops.ifelse %x, %a, %b : vector<1x{T}>"], 1,
                 [("x", [-1.0, 0.0, -0.0, 2.0, NAN, -INF, INF])],
                 [("a", 10.0), ("b", 20.0)])[:, 0]
    assert_same(r, [20, 10, 10, 10, 20, 20, 10])
    # The representative of x in [d, d + n).
    r = map_rows(["%r = keops.mod %x, %n, %d : vector<1x{T}>"], 1,
                 [("x", [7.0, -7.0, 3.0, 2.5, 0.0])], [("n", 3.0), ("d", 0.0)])[:, 0]
    assert_same(r, [1.0, 2.0, 0.0, 2.5, 0.0])
    r = map_rows(["%r = keops.mod %x, %n, %d : vector<1x{T}>"], 1,
                 [("x", [7.0, -7.0, 3.0, 2.5, 1.5])], [("n", 3.0), ("d", -1.5)])[:, 0]
    np.testing.assert_allclose(r, [1.0, -1.0, 0.0, -0.5, -1.5], rtol=RTOL)


@pytest.mark.parametrize("pred", list(CMP))
def test_cmp_predicates_with_nan(pred):
    a = [1.0, 2.0, 3.0, NAN, 1.0, -0.0, INF, NAN]
    b = [2.0, 2.0, 2.0, 1.0, NAN, 0.0, INF, NAN]
    r = map_rows([f"%r = keops.cmp {pred}, %a, %b : vector<1x{{T}}>"], 1,
                 [("a", a), ("b", b)])[:, 0]
    with np.errstate(invalid="ignore"):
        expected = CMP[pred](np.array(a), np.array(b)).astype(float)
    # Documented: every predicate but ne is false on NaN; ne is true.
    assert expected[3] == expected[4] == expected[7] == (pred == "ne")
    assert_same(r, expected)


CMPF = {
    "false": lambda a, b: np.zeros_like(a, bool),
    "true": lambda a, b: np.ones_like(a, bool),
    "oeq": np.equal, "ogt": np.greater, "oge": np.greater_equal,
    "olt": np.less, "ole": np.less_equal,
    "one": lambda a, b: ~np.isnan(a) & ~np.isnan(b) & (a != b),
    "ord": lambda a, b: ~np.isnan(a) & ~np.isnan(b),
    "ueq": lambda a, b: np.isnan(a) | np.isnan(b) | (a == b),
    "ugt": lambda a, b: ~(a <= b), "uge": lambda a, b: ~(a < b),
    "ult": lambda a, b: ~(a >= b), "ule": lambda a, b: ~(a > b),
    "une": np.not_equal,
    "uno": lambda a, b: np.isnan(a) | np.isnan(b),
}


@pytest.mark.parametrize("pred", list(CMPF))
def test_arith_cmpf_predicates_with_nan(pred):
    """arith.cmpf (ordered / unordered predicates), through arith.uitofp."""
    a = [1.0, 2.0, 3.0, NAN, 1.0, -0.0, INF, NAN]
    b = [2.0, 2.0, 2.0, 1.0, NAN, 0.0, INF, NAN]
    r = map_rows([f"%m = arith.cmpf {pred}, %a, %b : vector<1x{{T}}>",
                  "%r = arith.uitofp %m : vector<1xi1> to vector<1x{T}>"], 1,
                 [("a", a), ("b", b)])[:, 0]
    with np.errstate(invalid="ignore"):
        expected = CMPF[pred](np.array(a), np.array(b)).astype(float)
    assert_same(r, expected)


def test_component_reductions_with_ties_and_nan():
    rows = [[1.0, 3.0, 3.0], [2.0, 1.0, 1.0], [1.0, NAN, 5.0], [NAN, NAN, 0.0],
            [0.0, 0.0, 0.0], [-INF, 0.0, INF], [4.0, NAN, -1.0]]
    def red(op):
        return map_rows([f"%r = keops.{op} %x : vector<3x{{T}}>"], 1,
                        [("x", rows)])[:, 0]
    assert_same(red("max"), [3, 2, NAN, NAN, 0, INF, NAN])
    assert_same(red("min"), [1, 1, NAN, NAN, 0, -INF, NAN])
    # The first position wins ties; a NaN component wins over every number.
    assert_same(red("argmax"), [1, 0, 1, 0, 0, 2, 1])
    assert_same(red("argmin"), [0, 1, 1, 0, 0, 0, 1])
    assert_same(red("sum"), [7, 4, NAN, NAN, 0, NAN, NAN])


def test_norms_special_values():
    r = map_rows(["%r = keops.normalize %x : vector<2x{T}>"], 2,
                 [("x", [[0.0, 0.0], [3.0, -4.0]])])
    assert np.isnan(r[0]).all()
    assert_close(r[1], [0.6, -0.8], rtol=RTOL)
    # Not folded to 0 for equal operands: inf - inf is NaN.
    r = map_rows(["%r = keops.sqdist %a, %b : vector<2x{T}>"], 1,
                 [("a", [[INF, 0.0], [1.0, 2.0]]), ("b", [[INF, 0.0], [1.0, 2.0]])])
    assert np.isnan(r[0, 0]) and r[1, 0] == 0.0
    r = map_rows(["%r = keops.norm2 %x : vector<2x{T}>"], 1,
                 [("x", [[3.0, 4.0], [-INF, 1.0]])])[:, 0]
    assert_same(r, [5.0, INF])


def test_one_hot_special_values():
    xs = [0.0, 1.2, 2.7, -1.0, 4.0, NAN, -0.4, 3.0, 3.4, -INF, INF]
    r = map_rows(["%r = keops.one_hot %x, 4 : vector<1x{T}>"], 4, [("x", xs)])
    expected = np.array([one_hot([v], 4) for v in xs])
    assert expected[[3, 4, 5, 9, 10]].sum() == 0  # out of range, NaN: all 0
    assert_same(r, expected)


def test_maximumf_minimumf_ieee():
    """IEEE maximum / minimum: NaN propagates and -0 < +0."""
    a = [-0.0, 0.0, NAN, 1.0, -INF, 2.0]
    b = [0.0, -0.0, 1.0, NAN, 3.0, -5.0]
    mx = map_rows(["%r = arith.maximumf %a, %b : vector<1x{T}>"], 1,
                  [("a", a), ("b", b)])[:, 0]
    mn = map_rows(["%r = arith.minimumf %a, %b : vector<1x{T}>"], 1,
                  [("a", a), ("b", b)])[:, 0]
    assert_same(mx, [0.0, 0.0, NAN, NAN, 3.0, 2.0])
    assert_same(mn, [-0.0, -0.0, NAN, NAN, -INF, -5.0])


def test_f32_constant_is_rounded_to_f32():
    """arith.constant dense<0.1> : vector<1xf32> is the float32 0.1."""
    body = ["%c = arith.constant dense<0.1> : vector<1x{T}>",
            "%r = arith.addf %x, %c : vector<1x{T}>"]
    x = [0.0, 1.0]
    r32 = map_rows(body, 1, [("x", x)], dtype="f32")[:, 0]
    r64 = map_rows(body, 1, [("x", x)], dtype="f64")[:, 0]
    assert r32[0] == float(np.float32(0.1)) != 0.1
    assert r32[1] == 1.0 + float(np.float32(0.1))
    assert r64.tolist() == [0.1, 1.1]


def test_inputs_rounded_to_element_type():
    """float64 arrays given to an f32 function are rounded to float32; the
    computation itself stays in double (no rounding of the result)."""
    module = reduce_module("sum", "j", [("x", "i", 1), ("y", "j", 1)],
                           ["%r = arith.mulf %x, %y : vector<1x{T}>"],
                           [("%r", 1)], [1], dtype="f32")
    x = np.array([[0.1], [1 / 3]])
    y = np.array([[0.7], [1e-3]])
    (out,) = reference.evaluate(module, [x, y, np.zeros((2, 1))])
    x32, y32 = x.astype(np.float32).astype(float), y.astype(np.float32).astype(float)
    expected = x32 * y32.sum()
    assert_close(out, x32 * y32[0] + x32 * y32[1], rtol=RTOL)
    assert_close(out, expected, rtol=RTOL)
    # Not rounded to float32 after the product:
    assert not np.array_equal(out, expected.astype(np.float32).astype(float))


def test_reduction_over_i_with_parameters_and_two_outputs(rng):
    """A fuller module: reduction over i, a parameter, D=3, min_argmin."""
    M, N = 9, 4
    x, y, p = rng.standard_normal((M, 3)), rng.standard_normal((N, 3)), rng.standard_normal(3)
    variables = [("x", "i", 3), ("y", "j", 3), ("p", "p", 3)]
    body = ["%s = arith.subf %x, %y : vector<3x{T}>",
            "%r = arith.mulf %s, %p : vector<3x{T}>"]
    v, i = run_reduce("min_argmin", "i", variables, [x, y, p], body,
                      [("%r", 3)], [3, 3], dtype="f64")
    vals = (x[:, None, :] - y[None, :, :]) * p  # (M, N, 3)
    assert_close(i, np.argmin(vals, axis=0))
    assert_close(v, np.min(vals, axis=0), rtol=RTOL)


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------

def test_grad_is_differentiated_before_interpretation(rng):
    # keops-run runs keops-expand-grad first: sum_j d|x_i - y_j|^2/dx_i.
    body = ["%d = keops.sqdist %x, %y : vector<3x{T}>",
            "%e = arith.constant dense<1.0> : vector<1x{T}>",
            "%g = keops.grad %d wrt %x, %e : vector<1x{T}>, vector<3x{T}>"]
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    (out,) = run_reduce("sum", "j", [("x", "i", 3), ("y", "j", 3)], [x, y],
                        body, [("%g", 3)], [3], dtype="f64")
    np.testing.assert_allclose(out, 2 * (x[:, None] - y[None]).sum(1), rtol=1e-12)


def test_rows_mismatch_between_i_variables(rng):
    with pytest.raises(InterpreterError,
                       match=r"input #1 has 5 rows but an earlier i variable has 7"):
        run_reduce("sum", "j", [("x", "i", 3), ("z", "i", 3), ("y", "j", 3)],
                   [np.ones((7, 3)), np.ones((5, 3)), np.ones((4, 3))],
                   ["%r = arith.addf %x, %z : vector<3x{T}>"], [("%r", 3)], [3],
                   kept_rows=7)


def test_rows_mismatch_between_j_variables():
    with pytest.raises(InterpreterError,
                       match=r"input #2 has 3 rows but an earlier j variable has 4"):
        run_reduce("sum", "j", [("x", "i", 3), ("y", "j", 3), ("b", "j", 1)],
                   [np.ones((7, 3)), np.ones((4, 3)), np.ones((3, 1))],
                   ["%r = keops.dot %x, %y : vector<3x{T}>"], [("%r", 1)], [1])


def test_wrong_vector_dimension():
    module = reduce_module("sum", "j", [("x", "i", 3), ("y", "j", 3)],
                           ["%r = keops.dot %x, %y : vector<3x{T}>"],
                           [("%r", 1)], [1], dtype="f32")
    with pytest.raises(InterpreterError,
                       match=r"argument #0 has shape \(7, 2\), which does not fit"):
        reference.evaluate(module, [np.ones((7, 2), np.float32),
                                    np.ones((4, 3), np.float32),
                                    np.zeros((7, 1), np.float32)])
    with pytest.raises(InterpreterError, match=r"argument #1 has shape \(4,\)"):
        reference.evaluate(module, [np.ones((7, 3), np.float32),
                                    np.ones(4, np.float32),
                                    np.zeros((7, 1), np.float32)])


def test_wrong_parameter_length():
    module = reduce_module("sum", "j", [("x", "i", 3), ("y", "j", 3), ("p", "p", 3)],
                           ["%r = keops.dot %x, %p : vector<3x{T}>"],
                           [("%r", 1)], [1], dtype="f64")
    with pytest.raises(InterpreterError, match=r"argument #2 has shape \(2,\)"):
        reference.evaluate(module, [np.ones((7, 3)), np.ones((4, 3)), np.ones(2),
                                    np.zeros((7, 1))])


def test_output_rows_mismatch():
    module = reduce_module("sum", "j", [("x", "i", 3), ("y", "j", 3)],
                           ["%r = keops.dot %x, %y : vector<3x{T}>"],
                           [("%r", 1)], [1], dtype="f64")
    with pytest.raises(InterpreterError,
                       match="the outputs have 6 rows but the variables have 7"):
        reference.evaluate(module, [np.ones((7, 3)), np.ones((4, 3)), np.zeros((6, 1))])


def test_bool_argument_refused_by_python():
    module = reduce_module("sum", "j", [("x", "i", 1), ("y", "j", 1)],
                           ["%r = arith.addf %x, %y : vector<1x{T}>"],
                           [("%r", 1)], [1], dtype="f64")
    with pytest.raises(TypeError, match="bool"):
        reference.evaluate(module, [np.ones((2, 1), bool), np.ones((2, 1)),
                                    np.zeros((2, 1))])


KEOPS_RUN = str(keops.tool_path("keops-run"))
NPY_MODULE = reduce_module("sum", "j", [("x", "i", 4), ("y", "j", 4)],
                           ["%r = keops.sqdist %x, %y : vector<4x{T}>"],
                           [("%r", 1)], [1], dtype="f64")


def _npy_header(text, version=1):
    pad = (64 - (10 + len(text) + 1) % 64) % 64
    h = (text + " " * pad + "\n").encode()
    return b"\x93NUMPY" + bytes([version, 0]) + len(h).to_bytes(2, "little") + h


def _run_with_input(tmp_path, contents):
    """keops-run on NPY_MODULE with argument 1 read from a file holding
    `contents` (bytes) and valid arguments 0 and 2."""
    (tmp_path / "m.mlir").write_text(NPY_MODULE)
    np.save(tmp_path / "x.npy", np.ones((3, 4)))
    np.save(tmp_path / "o.npy", np.zeros((3, 1)))
    (tmp_path / "bad.npy").write_bytes(contents)
    return subprocess.run(
        [KEOPS_RUN, str(tmp_path / "m.mlir"), "--quiet",
         "--input", f"0={tmp_path / 'x.npy'}", "--input", f"1={tmp_path / 'bad.npy'}",
         "--input", f"2={tmp_path / 'o.npy'}"],
        capture_output=True, text=True, timeout=60)


def _check_refused(proc, message):
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-2000:])
    assert "Stack dump" not in proc.stderr
    assert message in proc.stderr, proc.stderr[-2000:]


def test_valid_npy_through_keops_run(tmp_path):
    """The same command line works with a well-formed file (so the failures
    below are about the file)."""
    buf = tmp_path / "ok"
    np.save(buf, np.zeros((5, 4)))
    proc = _run_with_input(tmp_path, (tmp_path / "ok.npy").read_bytes())
    assert proc.returncode == 0, proc.stderr


BAD_NPY = {
    "garbage": (b"this is not a numpy file \x00\x01\x02\xff" * 3,
                "not a .npy file (bad magic string)"),
    "empty": (b"", "not a .npy file"),
    "truncated_header": (_npy_header("{'descr': '<f8', 'fortran_order': False, "
                                     "'shape': (5, 4), }")[:30],
                         "truncated header"),
    "truncated_data": (_npy_header("{'descr': '<f8', 'fortran_order': False, "
                                   "'shape': (5, 4), }") + b"\x00" * 100,
                       "data bytes"),
    "bad_version": (b"\x93NUMPY\x09\x00" + b"\x00" * 40,
                    "unsupported .npy format version 9"),
    "malformed_header": (_npy_header("{'descr' '<f8' fortran_order shape}"),
                         "malformed header"),
    "complex_dtype": (_npy_header("{'descr': '<c16', 'fortran_order': False, "
                                  "'shape': (5, 4), }") + b"\x00" * 320,
                      "unsupported dtype '<c16'"),
    "big_endian": (_npy_header("{'descr': '>f8', 'fortran_order': False, "
                               "'shape': (5, 4), }") + b"\x00" * 160,
                   "unsupported dtype '>f8'"),
    "negative_shape": (_npy_header("{'descr': '<f8', 'fortran_order': False, "
                                   "'shape': (-5, 4), }"),
                       "malformed shape"),
}


@pytest.mark.parametrize("case", list(BAD_NPY))
def test_malformed_npy_refused(tmp_path, case):
    contents, message = BAD_NPY[case]
    _check_refused(_run_with_input(tmp_path, contents), message)


def test_npy_shape_overflow_refused(tmp_path):
    contents = _npy_header("{'descr': '<f8', 'fortran_order': False, "
                           "'shape': (4611686018427387904, 4), }")
    proc = _run_with_input(tmp_path, contents)
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-500:])
    assert "Stack dump" not in proc.stderr


def test_fortran_ordered_npy_refused(tmp_path):
    a = np.asfortranarray(np.arange(20.0).reshape(5, 4))
    np.save(tmp_path / "f.npy", a)
    with open(tmp_path / "f.npy", "rb") as fh:
        assert b"'fortran_order': True" in fh.read(128)
    proc = _run_with_input(tmp_path, (tmp_path / "f.npy").read_bytes())
    _check_refused(proc, "Fortran-ordered arrays are not supported")


def test_missing_npy_file(tmp_path):
    (tmp_path / "m.mlir").write_text(NPY_MODULE)
    proc = subprocess.run([KEOPS_RUN, str(tmp_path / "m.mlir"), "--quiet",
                           "--input", f"1={tmp_path / 'nope.npy'}"],
                          capture_output=True, text=True, timeout=60)
    _check_refused(proc, "cannot open")
