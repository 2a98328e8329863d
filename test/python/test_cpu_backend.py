"""The CPU backend (keops-outline-kernels, convert-keops-to-scf,
keops-cpu-pipeline, the runtime and its C API through keops._capi) against
the reference interpreter.

Every case runs the same module, on the same inputs (rounded to the module's
element type first), through the compiled kernels and through the
interpreter (keops.reference.evaluate, double precision). Tile sizes of the
default options: lanes * blocks = 16 * 2 = 32 rows for f32, 8 * 2 = 16 for
f64, so the sizes below (0, 1, 7, 33, 100, 257) fill tiles partially.

Tolerances:
- f64: rtol 1e-12 on pointwise values (arith-only formulas are bitwise
  equal); sums, logsumexp and sumsoftmaxweight 1e-10 relative to the sum of
  absolute values of the terms;
- f32 sums: 1e-5 relative to the sum of absolute values of the terms;
- f32 exp / log / ... are polynomial approximations (keops-approximate-math):
  test_f32_approximate_math_accuracy measures and bounds their error;
- indices are compared exactly where the values are exact in both
  precisions (integer inputs: ties included); with real f32 inputs, an index
  may differ only where the two candidates' values are within f32 rounding.

Formulas hold upstream ops only (arith, math, vector) except in
test_formula_op_keops and test_keops_op_headline_cases, which skip
themselves if the compiler reports that keops formula ops need
-keops-expand-formulas (a CPU pipeline without that pass).

"""

import math
import os
import random
import re
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from scipy import special

import keops
from keops import _capi, reference
from keops._capi import KeopsError

from conftest import (INDEX_OUTPUTS, cast_inputs, compile_module, cpu_reduce,
                      reduce_module, run_reduce)
from test_interpreter import OP_CASES

pytestmark = pytest.mark.usefixtures("keops_cache_dir")

ROOT = Path(__file__).resolve().parents[2]
KEOPS_RUN = str(keops.tool_path("keops-run"))
NAN, INF = np.nan, np.inf
EXPAND_MESSAGE = "-keops-expand-formulas"


def _rtol(dtype):
    return 1e-12 if dtype == "f64" else 2e-6


def _sum_tol(dtype):
    return 1e-10 if dtype == "f64" else 1e-5


def compile_or_skip_keops_ops(run):
    """Runs `run()`; skips the test when the compiler reports that keops
    formula ops need the expansion pass, which is not merged yet."""
    try:
        return run()
    except KeopsError as e:
        if EXPAND_MESSAGE in str(e):
            pytest.skip("keops formula ops are not lowered by the CPU pipeline "
                        "until -keops-expand-formulas is merged: " +
                        str(e).splitlines()[0][:200])
        raise


# --------------------------------------------------------------------------
# 1. Every reduction kind, over j and over i, f32 and f64, odd sizes
# --------------------------------------------------------------------------

VALUE_KINDS = ([("sum", None), ("min", None), ("max", None), ("argmin", None),
                ("argmax", None), ("min_argmin", None), ("max_argmax", None)]
               + [(kind, k) for kind in ("kmin", "argkmin", "kmin_argkmin")
                  for k in (1, 3, 10)])
SOFTMAX_KINDS = [("logsumexp", None), ("logsumexp_weighted", None),
                 ("sumsoftmaxweight", None)]
# (M, N): empty reductions and outputs, single rows, partial tiles.
SIZES = [(0, 7), (7, 0), (1, 1), (1, 257), (257, 1), (7, 33), (33, 7),
         (100, 257), (257, 100)]
SIZE_VALUES = (0, 1, 7, 33, 100, 257)
D = 3
E = 3


def _kind_id(kk):
    kind, k = kk
    return kind if k is None else f"{kind}{k}"


def _size_id(s):
    return f"M{s[0]}-N{s[1]}"


def _nout(kind):
    return len(INDEX_OUTPUTS[kind])


# Arith only: exact on small integers in both precisions (and bitwise equal
# to the interpreter in f64 on any input). Many ties.
ARITH_VARS = [("x", "i", D), ("y", "j", D), ("p", "p", D)]
ARITH_BODY = ["%d = arith.subf %x, %y : vector<3x{T}>",
              "%m = arith.mulf %d, %d : vector<3x{T}>",
              "%r = arith.addf %m, %p : vector<3x{T}>"]


def _integer_inputs(rng, M, N):
    return [rng.integers(-6, 7, (M, D)).astype(float),
            rng.integers(-6, 7, (N, D)).astype(float),
            rng.integers(-3, 4, D).astype(float)]


def _compare_both(kind, axis, variables, arrays, body, yields, widths, k,
                  dtype, kept, **options):
    cpu = cpu_reduce(kind, axis, variables, arrays, body, yields, widths, k=k,
                     dtype=dtype, kept_rows=kept, **options)
    ref = run_reduce(kind, axis, variables, arrays, body, yields, widths, k=k,
                     dtype=dtype, kept_rows=kept)
    assert len(cpu) == len(ref)
    for c, r, w in zip(cpu, ref, widths):
        assert c.shape == r.shape == (kept, w), (c.shape, r.shape)
    return cpu, ref


@pytest.mark.parametrize("size", SIZES, ids=_size_id)
@pytest.mark.parametrize("dtype", ["f32", "f64"])
@pytest.mark.parametrize("axis", ["j", "i"])
@pytest.mark.parametrize("kk", VALUE_KINDS, ids=_kind_id)
def test_kind_exact_integer_inputs(rng, kk, axis, dtype, size):
    """D = 3 formula (x - y)^2 + p on small integers: every value is exact in
    f32 and f64, so values and indices (ties to the smaller index, kmin
    padding with +inf / -1) must be identical to the interpreter's."""
    kind, k = kk
    M, N = size
    kept = M if axis == "j" else N
    widths = [D * (k or 1)] * _nout(kind)
    cpu, ref = _compare_both(kind, axis, ARITH_VARS, _integer_inputs(rng, M, N),
                             ARITH_BODY, [("%r", D)], widths, k, dtype, kept)
    for c, r in zip(cpu, ref):
        np.testing.assert_array_equal(c, r)


@pytest.mark.parametrize("dtype", ["f32", "f64"])
@pytest.mark.parametrize("axis", ["j", "i"])
@pytest.mark.parametrize("kind", ["sum", "min_argmin", "argkmin"])
def test_kind_every_size_combination(rng, kind, axis, dtype):
    """All 36 (M, N) in {0, 1, 7, 33, 100, 257}^2, integer inputs."""
    k = 3 if kind == "argkmin" else None
    widths = [D * (k or 1)] * _nout(kind)
    for M in SIZE_VALUES:
        for N in SIZE_VALUES:
            kept = M if axis == "j" else N
            cpu, ref = _compare_both(kind, axis, ARITH_VARS,
                                     _integer_inputs(rng, M, N), ARITH_BODY,
                                     [("%r", D)], widths, k, dtype, kept)
            for c, r in zip(cpu, ref):
                np.testing.assert_array_equal(c, r, err_msg=f"M={M} N={N}")


@pytest.mark.parametrize("size", [(7, 33), (100, 257)], ids=_size_id)
@pytest.mark.parametrize("axis", ["j", "i"])
@pytest.mark.parametrize("kk", VALUE_KINDS, ids=_kind_id)
def test_kind_f64_real_inputs_bitwise(rng, kk, axis, size):
    """f64, real inputs, arith-only formula: the kernels compute exactly the
    interpreter's IEEE operations, so everything is bitwise equal."""
    kind, k = kk
    M, N = size
    kept = M if axis == "j" else N
    arrays = [rng.standard_normal((M, D)), rng.standard_normal((N, D)),
              rng.standard_normal(D)]
    widths = [D * (k or 1)] * _nout(kind)
    cpu, ref = _compare_both(kind, axis, ARITH_VARS, arrays, ARITH_BODY,
                             [("%r", D)], widths, k, "f64", kept)
    for c, r in zip(cpu, ref):
        if kind == "sum":  # the interpreter's sum is compensated
            x, y, p = arrays
            F = (x[:, None, :] - y[None, :, :]) ** 2 + p
            scale = np.abs(F).sum(axis=1 if axis == "j" else 0)
            np.testing.assert_array_less(np.abs(c - r), 1e-13 * scale + 1e-300)
        else:
            np.testing.assert_array_equal(c, r)


# K-lists in memory (K > 12, lib/Conversion/KeopsToSCF/KMinList.cpp): the
# same order, ties and padding as the lists in registers.
LIST_KS = [17, 64, 100, 1000]


@pytest.mark.parametrize("k", LIST_KS)
@pytest.mark.parametrize("axis", ["j", "i"])
@pytest.mark.parametrize("kind", ["kmin", "argkmin", "kmin_argkmin"])
def test_kmin_lists_in_memory_integer_inputs(rng, kind, axis, k):
    """Integer inputs (many ties), D = 3 components with a list each, a
    partial tile of rows, fewer reduced rows than K for K = 1000 (padding)."""
    M, N = 37, 700
    kept = M if axis == "j" else N
    widths = [D * k] * _nout(kind)
    for dtype in ("f32", "f64"):
        cpu, ref = _compare_both(kind, axis, ARITH_VARS, _integer_inputs(rng, M, N),
                                 ARITH_BODY, [("%r", D)], widths, k, dtype, kept)
        for c, r in zip(cpu, ref):
            np.testing.assert_array_equal(c, r, err_msg=dtype)


def test_kmin_lists_in_memory_real_inputs_and_splits(rng, tmp_path):
    """Real inputs in f64 (bitwise equal to the interpreter), and keops-run
    --splits=3: ranges of the reduced axis reduced apart, their lists
    merged (Accumulator::merge, as the GPU's 2-D scheme does)."""
    M, N, k = 45, 1500, 100
    arrays = [rng.standard_normal((M, D)), rng.standard_normal((N, D)),
              rng.standard_normal(D)]
    widths = [D * k] * 2
    cpu, ref = _compare_both("kmin_argkmin", "j", ARITH_VARS, arrays, ARITH_BODY,
                             [("%r", D)], widths, k, "f64", M)
    np.testing.assert_array_equal(cpu[1], ref[1])
    np.testing.assert_array_equal(cpu[0], ref[0])
    src = tmp_path / "kmin.mlir"
    src.write_text(reduce_module("kmin_argkmin", "j", ARITH_VARS, ARITH_BODY,
                                 [("%r", D)], widths, k=k, dtype="f64"))
    outs = {}
    for backend in ("cpu", "interp"):
        d = tmp_path / backend
        d.mkdir()
        proc = subprocess.run(
            [KEOPS_RUN, str(src), "--entry", "f", f"--backend={backend}", "--splits=3",
             "-M", "37", "-N", "700", "--seed", "5", "--quiet", "--output-dir", str(d)],
            capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        outs[backend] = [np.load(p) for p in sorted(d.glob("out*.npy"))]
    assert len(outs["cpu"]) == 2
    for c, r in zip(outs["cpu"], outs["interp"]):
        np.testing.assert_array_equal(c, r)


@pytest.mark.parametrize("dtype, axis", [(d, a) for d in ("f32", "f64") for a in "ji"])
def test_kmin_lists_in_memory_special_values(dtype, axis):
    """NaN, infinities, ties, empty reductions and padding, K = 40."""
    kw = dict(axis=axis, dtype=dtype)
    k = 40
    pad = [INF] * (k - 8), [-1] * (k - 8)
    _both("kmin_argkmin", SPECIAL,
          [[-INF, -0.5, 1.0, 2.0, INF, NAN, NAN, INF] + pad[0],
           [2, 6, 5, 1, 3, 0, 4, -1] + pad[1]], k=k, **kw)
    _both("kmin_argkmin", [], [[INF] * k, [-1] * k], k=k, **kw)
    ties = [3, 1, 2, 1, 3, 0, 1, 0, 3] * 6
    order = sorted(range(len(ties)), key=lambda n: (ties[n], n))
    _both("argkmin", ties, [order[:k]], k=k, **kw)
    # The heaps' order keys: -0 and +0 tie (by index), as do NaNs, and
    # negative values order before positive ones by magnitude.
    signed = [0.0, -0.0, NAN, -2.5, 0.0, -0.0, -NAN, 2.0**-100, -2.0**-100, -INF, 3.0] * 3
    order = sorted(range(len(signed)), key=lambda n: (
        (1, 0.0) if np.isnan(signed[n]) else (0, signed[n]), n))
    want = [signed[n] for n in order] + [INF] * (k - len(signed))
    _both("kmin_argkmin", signed, [want, order + [-1] * (k - len(signed))], k=k, **kw)


# A formula with exp (approximated in f32) and real inputs.
def _exp_case(axis):
    red = "j" if axis == "j" else "i"
    variables = [("x", "i", D), ("y", "j", D), ("b", red, D)]
    body = ["%d = arith.subf %x, %y : vector<3x{T}>",
            "%m = arith.mulf %d, %d : vector<3x{T}>",
            "%n = arith.negf %m : vector<3x{T}>",
            "%e = math.exp %n : vector<3x{T}>",
            "%r = arith.mulf %e, %b : vector<3x{T}>"]
    return variables, body


def _exp_F(arrays, dtype, axis):
    """The formula values (kept rows, reduced rows, D) in float64."""
    x, y, b = [a.astype(np.float64) for a in cast_inputs(arrays, dtype)]
    F = np.exp(-(x[:, None, :] - y[None, :, :]) ** 2)
    F = F * (b[None, :, :] if axis == "j" else b[:, None, :])
    return F if axis == "j" else np.swapaxes(F, 0, 1)


# Softmax kinds: f = <x, y> (vector.reduction, then a broadcast), weights or
# values of dimension E on the reduced axis.
def _softmax_case(kind, axis):
    red = "j" if axis == "j" else "i"
    variables = [("x", "i", D), ("y", "j", D), ("w", red, E)]
    body = ["%m = arith.mulf %x, %y : vector<3x{T}>",
            "%s = vector.reduction <add>, %m : vector<3x{T}> into {T}",
            "%f = vector.broadcast %s : {T} to vector<1x{T}>"]
    if kind == "logsumexp":
        return "logsumexp", variables, body, [("%f", 1)], [1]
    real = "logsumexp" if kind == "logsumexp_weighted" else kind
    return real, variables, body, [("%f", 1), ("%w", E)], [E]


def _check_equivalent_indices(c_idx, r_idx, F, rtol):
    """Where f32 indices differ, the formula values at both indices must be
    equal up to f32 rounding (a tie created by rounding)."""
    rows, cols = np.nonzero(c_idx != r_idx)
    for r, c in zip(rows, cols):
        d = c % F.shape[2]
        a, b = c_idx[r, c], r_idx[r, c]
        assert a >= 0 and b >= 0, (r, c, a, b)
        va, vb = F[r, a, d], F[r, b, d]
        assert abs(va - vb) <= rtol * max(abs(va), abs(vb)), \
            f"row {r} col {c}: index {a} (F={va}) vs {b} (F={vb})"


MEASURED = {}


@pytest.mark.parametrize("size", SIZES, ids=_size_id)
@pytest.mark.parametrize("dtype", ["f32", "f64"])
@pytest.mark.parametrize("axis", ["j", "i"])
@pytest.mark.parametrize("kk", [("sum", None), ("min_argmin", None),
                                ("max_argmax", None), ("kmin_argkmin", 3),
                                ("kmin_argkmin", 10)], ids=_kind_id)
def test_kind_real_inputs_exp_formula(rng, kk, axis, dtype, size):
    kind, k = kk
    M, N = size
    kept = M if axis == "j" else N
    variables, body = _exp_case(axis)
    red_rows = N if axis == "j" else M
    # |x - y| <= 2: exp(-d^2) amplifies the rounding of d^2 at most 8 times.
    arrays = [rng.uniform(-1, 1, (M, D)), rng.uniform(-1, 1, (N, D)),
              rng.uniform(-1, 1, (red_rows, D))]
    widths = [D * (k or 1)] * _nout(kind)
    cpu, ref = _compare_both(kind, axis, variables, arrays, body, [("%r", D)],
                             widths, k, dtype, kept)
    F = _exp_F(arrays, dtype, axis)
    if kind == "sum":
        scale = np.abs(F).sum(axis=1)
        np.testing.assert_array_less(np.abs(cpu[0] - ref[0]),
                                     _sum_tol(dtype) * scale + 1e-30)
        return
    rtol = _rtol(dtype)
    np.testing.assert_allclose(cpu[0], ref[0], rtol=rtol, atol=0)
    if dtype == "f64":
        np.testing.assert_array_equal(cpu[1], ref[1])
    else:
        _check_equivalent_indices(cpu[1], ref[1], F, rtol)


def _softmax_inputs(rng, kind, M, N, axis):
    red_rows = N if axis == "j" else M
    w = (rng.uniform(0.1, 2.0, (red_rows, E)) if kind != "sumsoftmaxweight"
         else rng.standard_normal((red_rows, E)))
    return [rng.standard_normal((M, D)), rng.standard_normal((N, D)), w]


@pytest.mark.parametrize("size", SIZES, ids=_size_id)
@pytest.mark.parametrize("dtype", ["f32", "f64"])
@pytest.mark.parametrize("axis", ["j", "i"])
@pytest.mark.parametrize("kk", SOFTMAX_KINDS, ids=_kind_id)
def test_kind_softmax(rng, kk, axis, dtype, size):
    """logsumexp (unweighted, weighted with a vector weight) and
    sumsoftmaxweight. Errors of logsumexp are absolute (a relative error of
    the sum of exponentials); those of sumsoftmaxweight relative to max |v|."""
    kind, _ = kk
    M, N = size
    kept = M if axis == "j" else N
    real, variables, body, yields, widths = _softmax_case(kind, axis)
    arrays = _softmax_inputs(rng, kind, M, N, axis)
    (c,), (r,) = _compare_both(real, axis, variables, arrays, body, yields,
                               widths, None, dtype, kept)
    red_rows = N if axis == "j" else M
    if red_rows == 0:  # empty: -inf (logsumexp), NaN (sumsoftmaxweight)
        np.testing.assert_array_equal(c, r)
        assert (np.isnan(r) if real == "sumsoftmaxweight" else r == -INF).all()
        return
    tol = _sum_tol(dtype) if dtype == "f64" else 4e-6
    if real == "logsumexp":
        err = np.abs(c - r) / np.maximum(1.0, np.abs(r))
    else:
        err = np.abs(c - r) / np.abs(arrays[2]).max()
    key = (real, dtype)
    MEASURED[key] = max(MEASURED.get(key, 0.0), float(err.max(initial=0)))
    assert err.max(initial=0) <= tol, (err.max(), tol)


@pytest.mark.parametrize("axis", ["j", "i"])
@pytest.mark.parametrize("index_type", ["i32", "i64"])
def test_index_types_and_no_kept_variable(rng, axis, index_type):
    """i32 / i64 index outputs; a reduction whose kept axis has no variable
    (the rows come from M or N)."""
    c = rng.integers(-5, 6, (45, 2)).astype(float)
    p = rng.integers(-2, 3, 2).astype(float)
    variables = [("c", axis, 2), ("p", "p", 2)]
    body = ["%r = arith.mulf %c, %p : vector<2x{T}>"]
    kept = 35
    for kind, k in [("max_argmax", None), ("kmin_argkmin", 4)]:
        widths = [2 * (k or 1)] * 2
        raw = cpu_reduce(kind, axis, variables, [c, p], body, [("%r", 2)],
                         widths, k=k, dtype="f32", index_type=index_type,
                         kept_rows=kept, raw=True)
        assert raw[1].dtype == {"i32": np.int32, "i64": np.int64}[index_type]
        ref = run_reduce(kind, axis, variables, [c, p], body, [("%r", 2)],
                         widths, k=k, dtype="f32", index_type=index_type,
                         kept_rows=kept)
        for a, b in zip(raw, ref):
            np.testing.assert_array_equal(a.astype(b.dtype), b)
        assert (ref[1] == ref[1][0]).all()  # every row the same


@pytest.mark.parametrize("lanes, blocks, approx", [
    (1, 1, True), (4, 1, True), (4, 3, True), (8, 2, False), (0, 5, False)])
def test_lanes_blocks_and_libm_options(rng, lanes, blocks, approx):
    """Other tile shapes (lanes x blocks rows) and libm instead of the
    polynomial approximations: the same results as the interpreter."""
    M, N = 45, 29
    for kind, k in [("sum", None), ("min_argmin", None), ("kmin_argkmin", 3)]:
        widths = [D * (k or 1)] * _nout(kind)
        for dtype in ("f32", "f64"):
            opts = dict(lanes=lanes, blocks=blocks, approximate_math=approx)
            arrays = _integer_inputs(rng, M, N)
            cpu = cpu_reduce(kind, "j", ARITH_VARS, arrays, ARITH_BODY,
                             [("%r", D)], widths, k=k, dtype=dtype, **opts)
            ref = run_reduce(kind, "j", ARITH_VARS, arrays, ARITH_BODY,
                             [("%r", D)], widths, k=k, dtype=dtype)
            for c, r in zip(cpu, ref):
                np.testing.assert_array_equal(c, r)
    variables, body = _exp_case("i")
    arrays = [rng.uniform(-1, 1, (M, D)), rng.uniform(-1, 1, (N, D)),
              rng.uniform(-1, 1, (M, D))]
    (c,) = cpu_reduce("sum", "i", variables, arrays, body, [("%r", D)], [D],
                      dtype="f32", lanes=lanes, blocks=blocks,
                      approximate_math=approx)
    (r,) = run_reduce("sum", "i", variables, arrays, body, [("%r", D)], [D],
                      dtype="f32")
    scale = np.abs(_exp_F(arrays, "f32", "i")).sum(axis=1)
    np.testing.assert_array_less(np.abs(c - r), 1e-5 * scale)


def test_module_with_several_kernels(rng):
    """Two functions, one with two reductions: one kernel per keops.reduce,
    named FUNCTION_kernelK, in order, each with its own signature."""
    f = reduce_module("argmax", "j", ARITH_VARS, ARITH_BODY, [("%r", D)], [D],
                      dtype="f64", name="first")
    g = textwrap.dedent("""
        func.func @second(%x: tensor<?x2xf32>, %y: tensor<?x2xf32>, %o: tensor<?x1xf32>, %o2: tensor<?x2xf32>) -> (tensor<?x1xf32>, tensor<?x2xf32>) {
          %a = keops.reduce sum over j ins(%x : i tensor<?x2xf32>, %y : j tensor<?x2xf32>) outs(%o : tensor<?x1xf32>) {
          ^bb0(%xi: vector<2xf32>, %yj: vector<2xf32>):
            %m = arith.mulf %xi, %yj : vector<2xf32>
            %s = vector.reduction <add>, %m : vector<2xf32> into f32
            %r = vector.broadcast %s : f32 to vector<1xf32>
            keops.yield %r : vector<1xf32>
          } -> tensor<?x1xf32>
          %b = keops.reduce max over i ins(%y : j tensor<?x2xf32>, %x : i tensor<?x2xf32>) outs(%o2 : tensor<?x2xf32>) {
          ^bb0(%yj: vector<2xf32>, %xi: vector<2xf32>):
            %m = arith.subf %xi, %yj : vector<2xf32>
            keops.yield %m : vector<2xf32>
          } -> tensor<?x2xf32>
          return %a, %b : tensor<?x1xf32>, tensor<?x2xf32>
        }
    """)
    module = compile_module(f + g)
    names = [k.name for k in module.kernels]
    assert names == ["first_kernel0", "second_kernel0", "second_kernel1"]
    k0, k1, k2 = module.kernels
    assert (k0.axis, k0.categories, k0.dtype, k0.output_is_index) == \
        ("j", ["i", "j", "p"], np.float64, [True])
    assert (k1.axis, k1.input_dims, k1.output_widths) == ("j", [2, 2], [1])
    assert (k2.axis, k2.categories, k2.dtype) == ("i", ["j", "i"], np.float32)
    x = rng.integers(-4, 5, (35, 2)).astype(np.float32)
    y = rng.integers(-4, 5, (19, 2)).astype(np.float32)
    (a,) = k1(x, y)
    (b,) = k2(y, x)
    np.testing.assert_array_equal(a[:, 0], (x @ y.T).sum(1))
    np.testing.assert_array_equal(b, (x[:, None, :] - y[None, :, :]).max(0))


def test_keops_run_cpu_chained_reductions(tmp_path, rng):
    """keops-run --backend=cpu on a function whose second reduction reads the
    first one's output (tensor.empty / tensor.dim glue, a memref output)."""
    module = textwrap.dedent("""
        func.func @chain(%x: tensor<?x2xf64>, %y: tensor<?x2xf64>, %o: memref<?x1xf64>) {
          %c0 = arith.constant 0 : index
          %m = tensor.dim %x, %c0 : tensor<?x2xf64>
          %init = tensor.empty(%m) : tensor<?x1xf64>
          %a = keops.reduce sum over j ins(%x : i tensor<?x2xf64>, %y : j tensor<?x2xf64>)
              outs(%init : tensor<?x1xf64>) {
          ^bb0(%xi: vector<2xf64>, %yj: vector<2xf64>):
            %p = arith.mulf %xi, %yj : vector<2xf64>
            %s = vector.reduction <add>, %p : vector<2xf64> into f64
            %d = vector.broadcast %s : f64 to vector<1xf64>
            keops.yield %d : vector<1xf64>
          } -> tensor<?x1xf64>
          keops.reduce logsumexp over i ins(%a : i tensor<?x1xf64>, %y : j tensor<?x2xf64>)
              outs(%o : memref<?x1xf64>) {
          ^bb0(%ai: vector<1xf64>, %yj: vector<2xf64>):
            %s = vector.extract_strided_slice %yj {offsets = [1], sizes = [1], strides = [1]} : vector<2xf64> to vector<1xf64>
            %f = arith.mulf %ai, %s : vector<1xf64>
            keops.yield %f : vector<1xf64>
          }
          return
        }
    """)
    outs = {}
    for backend in ("cpu", "interp"):
        d = tmp_path / backend
        d.mkdir()
        proc = _keops_run(tmp_path, module, f"--backend={backend}", "-M", "37",
                          "-N", "21", "--seed", "3", "--quiet",
                          "--output-dir", str(d))
        assert proc.returncode == 0, proc.stderr
        (outs[backend],) = [np.load(p) for p in sorted(d.glob("out*.npy"))]
    assert outs["cpu"].shape == (21, 1)
    np.testing.assert_allclose(outs["cpu"], outs["interp"], rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------
# 2. Special values: NaN, infinities, empty reductions
# --------------------------------------------------------------------------

KEPT = 35  # more than one f32 tile, and a partial one


def _column(kind, col, k=None, axis="j", dtype="f32", w=None, backend="cpu"):
    """Reduces the column `col` (values of the reduced variable; the formula
    is c + 0) for KEPT identical output rows; returns the first row of each
    output, after checking that every row is the same."""
    col = np.asarray(col, dtype=np.float64).reshape(-1, 1)
    z = np.zeros((KEPT, 1))
    if axis == "j":
        variables, arrays = [("z", "i", 1), ("c", "j", 1)], [z, col]
    else:
        variables, arrays = [("c", "i", 1), ("z", "j", 1)], [col, z]
    yields = [("%r", 1)]
    widths = [k or 1] * _nout(kind)
    if w is not None:
        w = np.asarray(w, dtype=np.float64)
        variables.append(("w", axis, w.shape[1]))
        arrays.append(w)
        yields.append(("%w", w.shape[1]))
        widths = [w.shape[1]]
    body = ["%r = arith.addf %c, %z : vector<1x{T}>"]
    run = cpu_reduce if backend == "cpu" else run_reduce
    outs = run(kind, axis, variables, arrays, body, yields, widths, k=k,
               dtype=dtype, kept_rows=KEPT)
    for o in outs:
        np.testing.assert_array_equal(o, np.broadcast_to(o[0], o.shape))
    return [o[0] for o in outs]


def _both(kind, col, expected, k=None, axis="j", dtype="f32", w=None,
          rtol=0.0):
    """CPU == interpreter == the hand-written expectation (NaN == NaN)."""
    cpu = _column(kind, col, k, axis, dtype, w)
    ref = _column(kind, col, k, axis, dtype, w, backend="interp")
    for c, r, e in zip(cpu, ref, expected):
        e = np.asarray(e, dtype=r.dtype)
        if r.dtype.kind == "i" or rtol == 0:
            np.testing.assert_array_equal(c, r)
            np.testing.assert_array_equal(r, e)
        else:
            np.testing.assert_allclose(c, r, rtol=rtol)
            np.testing.assert_allclose(r, e, rtol=rtol)


SPECIAL = [NAN, 2.0, -INF, INF, NAN, 1.0, -0.5]
DT_AXES = [(d, a) for d in ("f32", "f64") for a in ("j", "i")]


@pytest.mark.parametrize("dtype, axis", DT_AXES)
def test_nan_inf_min_kinds(dtype, axis):
    """-inf < numbers < +inf < NaN; NaN only when nothing else is left."""
    kw = dict(axis=axis, dtype=dtype)
    _both("min_argmin", SPECIAL, [[-INF], [2]], **kw)
    _both("min", SPECIAL, [[-INF]], **kw)
    _both("argmin", SPECIAL, [[2]], **kw)
    _both("kmin_argkmin", SPECIAL,
          [[-INF, -0.5, 1.0, 2.0, INF, NAN, NAN, INF],
           [2, 6, 5, 1, 3, 0, 4, -1]], k=8, **kw)
    _both("kmin", SPECIAL, [[-INF, -0.5, 1.0, 2.0, INF]], k=5, **kw)
    _both("argkmin", SPECIAL, [[2, 6, 5, 1, 3, 0]], k=6, **kw)
    _both("min_argmin", [NAN, NAN], [[NAN], [0]], **kw)
    _both("min_argmin", [NAN, NAN, INF], [[INF], [2]], **kw)
    _both("min_argmin", [INF, INF, NAN], [[INF], [0]], **kw)
    _both("kmin_argkmin", [NAN, INF, NAN], [[INF, NAN, NAN, INF],
                                            [1, 0, 2, -1]], k=4, **kw)
    # Ties (signed zeros compare equal): the smaller index.
    _both("min_argmin", [1.0, 0.0, -0.0, 0.0], [[0.0], [1]], **kw)
    _both("argkmin", [3, 1, 2, 1, 3, 0, 1, 0, 3], [[5, 7, 1, 3, 6, 2]], k=6,
          **kw)


@pytest.mark.parametrize("dtype, axis", DT_AXES)
def test_nan_inf_max_kinds(dtype, axis):
    """NaN < -inf < numbers < +inf."""
    kw = dict(axis=axis, dtype=dtype)
    _both("max_argmax", SPECIAL, [[INF], [3]], **kw)
    _both("max", SPECIAL, [[INF]], **kw)
    _both("argmax", SPECIAL, [[3]], **kw)
    _both("max_argmax", [NAN, -INF, NAN], [[-INF], [1]], **kw)
    _both("max_argmax", [NAN, NAN], [[NAN], [0]], **kw)
    _both("argmax", [3, 1, 2, 1, 3, 0, 1, 0, 3], [[0]], **kw)


@pytest.mark.parametrize("dtype, axis", DT_AXES)
def test_empty_reductions(dtype, axis):
    """N = 0 (over j) or M = 0 (over i): 0, +inf / -inf, index -1, kmin
    padded with +inf / -1, logsumexp -inf, sumsoftmaxweight NaN."""
    kw = dict(axis=axis, dtype=dtype)
    _both("sum", [], [[0.0]], **kw)
    _both("min_argmin", [], [[INF], [-1]], **kw)
    _both("max_argmax", [], [[-INF], [-1]], **kw)
    _both("argmin", [], [[-1]], **kw)
    _both("kmin_argkmin", [], [[INF] * 3, [-1] * 3], k=3, **kw)
    _both("logsumexp", [], [[-INF]], **kw)
    _both("logsumexp", [], [[-INF, -INF]], w=np.zeros((0, 2)), **kw)
    _both("sumsoftmaxweight", [], [[NAN, NAN]], w=np.zeros((0, 2)), **kw)
    # Fewer values than K: padding after them.
    _both("kmin_argkmin", [2.0, -1.0], [[-1.0, 2.0, INF, INF], [1, 0, -1, -1]],
          k=4, **kw)


def test_logsumexp_exponential_of_nonpositive_arguments():
    """The log-sum-exp fold's exp(f - max) (f32, an approximation for
    arguments <= 0): with weights (0, 1) on the terms (0, d), the result is
    log(exp(d)) = d, so its error is that of exp(d). Within 2 ulp of exp
    from -87 to 0; below, exactly 0 (log: -inf)."""
    ds = np.concatenate([-np.geomspace(1e-6, 87.0, 400), [-0.0]])
    worst = 0.0
    for d in ds:
        d32 = float(np.float32(d))
        (out,) = _column("logsumexp", [0.0, d32], w=np.array([[0.0], [1.0]]))
        # |log(e (1 + eps)) - log(e)| = |eps|: in units of f32's epsilon.
        worst = max(worst, abs(out[0] - d32) / np.finfo(np.float32).eps)
    assert worst <= 2.0, worst
    (out,) = _column("logsumexp", [0.0, -88.5], w=np.array([[0.0], [1.0]]))
    assert out[0] == -INF
    (out,) = _column("logsumexp", [0.0, -INF], w=np.array([[1.0], [1.0]]))
    assert out[0] == 0.0


@pytest.mark.parametrize("dtype, axis", DT_AXES)
def test_logsumexp_special_values(dtype, axis):
    kw = dict(axis=axis, dtype=dtype)
    rtol = _rtol(dtype)
    # Arguments of 1e4: no overflow (1e4 + small is exact enough in f32).
    col = 1e4 + np.array([0.0, -1.0, 0.5, -3.0, 0.25])
    col32 = cast_inputs([col], dtype)[0].astype(float)
    _both("logsumexp", col, [[special.logsumexp(col32)]], rtol=rtol, **kw)
    _both("logsumexp", -col, [[special.logsumexp(-col32)]], rtol=rtol, **kw)
    w = np.array([[1.0, 2.0], [0.5, 1.0], [3.0, 0.25], [1.0, 1.0], [2.0, 0.5]])
    _both("logsumexp", col, [[special.logsumexp(col32, b=w[:, e])
                              for e in range(2)]], w=w, rtol=rtol, **kw)
    # All -inf: -inf (no NaN from -inf - -inf).
    _both("logsumexp", [-INF] * 4, [[-INF]], **kw)
    _both("logsumexp", [-INF] * 3, [[-INF, -INF]], w=np.ones((3, 2)), **kw)
    _both("logsumexp", [-INF, 3.5, -INF], [[3.5]], **kw)
    # NaN propagates; +inf gives +inf.
    _both("logsumexp", [1.0, NAN, 2.0], [[NAN]], **kw)
    _both("logsumexp", [1.0, INF, 2.0], [[INF]], **kw)
    _both("logsumexp", [INF, NAN], [[NAN]], **kw)
    _both("logsumexp", [NAN, INF], [[NAN]], **kw)
    _both("logsumexp", [-INF, NAN], [[NAN]], **kw)
    _both("logsumexp", [INF, INF], [[INF]], **kw)


@pytest.mark.parametrize("dtype, axis", DT_AXES)
def test_sumsoftmaxweight_special_values(dtype, axis):
    kw = dict(axis=axis, dtype=dtype)
    v = np.array([[10.0, 1.0], [2.0, -1.0], [30.0, 5.0], [4.0, 3.0],
                  [7.0, 7.0]])
    # +inf terms: the mean of their v.
    _both("sumsoftmaxweight", [1.0, INF, 0.0, INF, -2.0], [[3.0, 1.0]], w=v,
          **kw)
    _both("sumsoftmaxweight", [INF, 1.0, 2.0, 3.0, 4.0], [[10.0, 1.0]], w=v,
          **kw)
    col = 1e4 + np.array([0.0, -1.0, 0.5, -0.25, 0.0])
    col32 = cast_inputs([col], dtype)[0].astype(float)
    p = np.exp(col32 - col32.max())
    _both("sumsoftmaxweight", col, [(p / p.sum()) @ v], w=v,
          rtol=_rtol(dtype) * 10, **kw)
    _both("sumsoftmaxweight", [-INF] * 5, [[NAN, NAN]], w=v, **kw)
    # An infinite weight.
    _both("sumsoftmaxweight", [0.0, 1.0], [[INF]], w=[[INF], [1.0]], **kw)
    _both("logsumexp", [0.0, 1.0], [[INF]], w=[[INF], [1.0]], **kw)


SUM_SPECIAL = [
    ("inf", [1.0, INF, 2.0], INF),
    ("inf-alone", [INF], INF),
    ("minus-inf", [-INF, -1.0], -INF),
    ("inf-after-300", [1.0] * 300 + [INF], INF),
    ("nan", [1.0, NAN, 2.0], NAN),
    ("inf-minus-inf", [INF, -INF], NAN),
    ("inf-and-nan", [INF, 1.0, NAN], NAN),
]


def _sum_special_params():
    for acc in ("plain", "block", "kahan", "f64"):
        for name, col, expected in SUM_SPECIAL:
            marks = []
            yield pytest.param(acc, col, expected, id=f"{acc}-{name}",
                               marks=marks)


@pytest.mark.parametrize("dtype, axis", DT_AXES)
@pytest.mark.parametrize("acc, col, expected", list(_sum_special_params()))
def test_sum_special_values(acc, col, expected, dtype, axis):
    """inf -> inf, NaN -> NaN, inf - inf -> NaN, in every accumulation mode
    (the interpreter agrees)."""
    col = np.asarray(col).reshape(-1, 1)
    z = np.zeros((KEPT, 1))
    if axis == "j":
        variables, arrays = [("z", "i", 1), ("c", "j", 1)], [z, col]
    else:
        variables, arrays = [("c", "i", 1), ("z", "j", 1)], [col, z]
    body = ["%r = arith.addf %c, %z : vector<1x{T}>"]
    (out,) = cpu_reduce("sum", axis, variables, arrays, body, [("%r", 1)], [1],
                        dtype=dtype, kept_rows=KEPT, accumulation=acc)
    (ref,) = run_reduce("sum", axis, variables, arrays, body, [("%r", 1)], [1],
                        dtype=dtype, kept_rows=KEPT)
    np.testing.assert_array_equal(ref, np.full((KEPT, 1), expected))
    np.testing.assert_array_equal(out, np.full((KEPT, 1), expected))


@pytest.mark.parametrize("acc", [
    "plain", "block", "f64", "kahan"])
def test_f32_sum_overflow_gives_inf(acc):
    """3e38 + 3e38 overflows f32: +inf (the interpreter, in double, gives
    6e38; an f32 kernel cannot)."""
    (out,) = cpu_reduce("sum", "j", [("z", "i", 1), ("c", "j", 1)],
                        [np.zeros((KEPT, 1)), np.array([[3e38], [3e38]])],
                        ["%r = arith.addf %c, %z : vector<1x{T}>"], [("%r", 1)],
                        [1], dtype="f32", kept_rows=KEPT, accumulation=acc)
    np.testing.assert_array_equal(out, np.full((KEPT, 1), INF))


def test_nan_inf_random_against_interpreter(rng):
    """NaN and infinities sprinkled in the inputs, D = 2, min/max kinds,
    sizes past a tile. x holds integers and y quarters, so that x + y is
    exact in f32 too: values and indices equal to the interpreter's."""
    for dtype in ("f32", "f64"):
        for axis in ("j", "i"):
            M, N = 37, 41
            x = rng.integers(-3, 4, (M, 2)).astype(float)
            y = rng.integers(-20, 21, (N, 2)).astype(float) / 4
            for a in (x, y):
                a[rng.random(a.shape) < 0.2] = NAN
                a[rng.random(a.shape) < 0.1] = INF
                a[rng.random(a.shape) < 0.1] = -INF
            variables = [("x", "i", 2), ("y", "j", 2)]
            body = ["%r = arith.addf %x, %y : vector<2x{T}>"]
            kept = M if axis == "j" else N
            for kind, k in [("min_argmin", None), ("max_argmax", None),
                            ("kmin_argkmin", 5), ("kmin", 12),
                            ("argkmin", 3)]:
                widths = [2 * (k or 1)] * _nout(kind)
                cpu, ref = _compare_both(kind, axis, variables, [x, y], body,
                                         [("%r", 2)], widths, k, dtype, kept)
                for c, r in zip(cpu, ref):
                    np.testing.assert_array_equal(c, r, err_msg=f"{kind} {axis} {dtype}")


# --------------------------------------------------------------------------
# 3. Accumulation modes of f32 sums
# --------------------------------------------------------------------------

LONG_N = 100_000
_LONG_REF = {}


def _long_sum(col, axis, accumulation, rows):
    """(cpu, interpreter) sums of `col` (f32) for `rows` kept rows."""
    z = np.zeros((rows, 1))
    col = np.asarray(col).reshape(-1, 1)
    if axis == "j":
        variables, arrays = [("z", "i", 1), ("c", "j", 1)], [z, col]
    else:
        variables, arrays = [("c", "i", 1), ("z", "j", 1)], [col, z]
    body = ["%r = arith.addf %c, %z : vector<1x{T}>"]
    (cpu,) = cpu_reduce("sum", axis, variables, arrays, body, [("%r", 1)], [1],
                        dtype="f32", kept_rows=rows, accumulation=accumulation)
    key = (col.tobytes(), axis, rows)
    if key not in _LONG_REF:
        (_LONG_REF[key],) = run_reduce("sum", axis, variables, arrays, body,
                                       [("%r", 1)], [1], dtype="f32",
                                       kept_rows=rows)
    ref = _LONG_REF[key]
    assert (cpu == cpu[0, 0]).all() and (ref == ref[0, 0]).all()
    return float(cpu[0, 0]), float(ref[0, 0])


def _long_columns():
    rng = np.random.default_rng(2024)
    return {
        "mixed": rng.standard_normal(LONG_N) * 10.0 ** rng.uniform(-4, 4, LONG_N),
        "positive": rng.uniform(0, 1, LONG_N) * 10.0 ** rng.uniform(-3, 3, LONG_N),
        "adversarial": np.concatenate([[1.0], np.full(LONG_N - 1, 1e-8)]),
    }


# Error bounds relative to sum |c|, u = 2^-24: plain (n - 1) u; block: 256 u
# within a chunk plus n / 256 u over the chunks; kahan and f64: a few u.
ACC_BOUND = {"plain": LONG_N * 2.0**-24, "block": (256 + LONG_N / 256 + 2) * 2.0**-24,
             "kahan": 4 * 2.0**-24, "f64": 2 * 2.0**-24}


# 3 kept rows take the loop with reduced indices in the lanes (each lane a
# sum of every 16th term), 40 the row loop (one sum of all terms a row).
@pytest.mark.parametrize("rows", [3, 40])
@pytest.mark.parametrize("axis", ["j", "i"])
@pytest.mark.parametrize("name", ["mixed", "positive", "adversarial"])
def test_accumulation_modes_long_sum(name, axis, rows):
    col = cast_inputs([_long_columns()[name]], "f32")[0].astype(float)
    exact = math.fsum(col)
    scale = float(np.abs(col).sum())
    errors = {}
    for acc in ("plain", "block", "kahan", "f64"):
        cpu, ref = _long_sum(col, axis, acc, rows)
        assert ref == exact  # the interpreter's sum is exact here
        errors[acc] = abs(cpu - ref) / scale
        assert errors[acc] <= ACC_BOUND[acc], (acc, errors[acc])
    print(f"\n{name} over {axis}, error / sum|c|: " +
          ", ".join(f"{k} {v:.3g}" for k, v in errors.items()))
    assert errors["block"] <= errors["plain"]
    if name == "adversarial" and rows == 3:
        # 1 + 99999 * 1e-8: only the first lane's sum holds the 1 and loses
        # its small terms (1/16 of them).
        assert 4e-5 < errors["plain"] < 1e-4
    if name == "adversarial" and rows == 40:
        # 1 + 99999 * 1e-8: plain loses every small term (error 1e-3).
        assert errors["plain"] > 5e-4
        assert errors["kahan"] * 10 <= errors["plain"]
        assert errors["f64"] * 10 <= errors["plain"]
        # Kahan and f64 are correctly rounded here (one f32 rounding).
        assert errors["kahan"] <= 2.0**-24 and errors["f64"] <= 2.0**-24


def test_accumulation_f64_mode_on_f64_is_default_sum(rng):
    """accumulation='f64' on an f64 module is the block sum (nothing wider)."""
    M, N = 33, 1000
    arrays = [rng.standard_normal((M, D)), rng.standard_normal((N, D)),
              rng.standard_normal(D)]
    a = cpu_reduce("sum", "j", ARITH_VARS, arrays, ARITH_BODY, [("%r", D)], [D],
                   dtype="f64", accumulation="f64")
    b = cpu_reduce("sum", "j", ARITH_VARS, arrays, ARITH_BODY, [("%r", D)], [D],
                   dtype="f64", accumulation="block")
    np.testing.assert_array_equal(a[0], b[0])


def test_unknown_accumulation_is_an_error():
    module = reduce_module("sum", "j", ARITH_VARS, ARITH_BODY, [("%r", D)], [D])
    with pytest.raises(KeopsError, match="unknown accumulation 'pairwise'"):
        _capi.CompiledModule(module, accumulation="pairwise")


# --------------------------------------------------------------------------
# Formula ops, one by one (the op table of test_interpreter.py)
# --------------------------------------------------------------------------

UPSTREAM_OPS = [n for n in OP_CASES if n.split(".")[0] in ("arith", "math", "vector")]
KEOPS_OPS = [n for n in OP_CASES if n not in UPSTREAM_OPS]


def _op_params(names):
    for name in names:
        for dtype in ("f32", "f64"):
            marks = []
            yield pytest.param(name, dtype, id=f"{name}-{dtype}", marks=marks)


def _run_op_case(rng, name, dtype, axis="j"):
    spec, body, ydim, _ = OP_CASES[name]
    M, N = 37, 19
    variables = [(n, c, d) for n, c, d, _ in spec]
    rows = {"i": M, "j": N}
    arrays = [s(rng, d if c == "p" else (rows[c], d)) for n, c, d, s in spec]
    kept = M if axis == "j" else N
    cpu = cpu_reduce("sum", axis, variables, arrays, body, [("%r", ydim)],
                     [ydim], dtype=dtype, kept_rows=kept)
    ref = run_reduce("sum", axis, variables, arrays, body, [("%r", ydim)],
                     [ydim], dtype=dtype, kept_rows=kept)
    # The scale of the terms: the same sum of |F|.
    abs_body = body + [f"%absr = math.absf %r : vector<{ydim}x{{T}}>"]
    (scale,) = run_reduce("sum", axis, variables, arrays, abs_body,
                          [("%absr", ydim)], [ydim], dtype=dtype, kept_rows=kept)
    assert np.isfinite(ref[0]).all()
    # f32: 1e-5 of sum |F|, and the approximated functions' own error.
    tol = _sum_tol(dtype) if dtype == "f64" else 1e-5
    np.testing.assert_array_less(np.abs(cpu[0] - ref[0]), tol * scale + 1e-30)


@pytest.mark.parametrize("name, dtype", list(_op_params(UPSTREAM_OPS)))
def test_formula_op_upstream(rng, name, dtype):
    # Over j or over i, alternately down the list.
    _run_op_case(rng, name, dtype, axis="ji"[UPSTREAM_OPS.index(name) % 2])


@pytest.mark.parametrize("name, dtype", list(_op_params(KEOPS_OPS)))
def test_formula_op_keops(rng, name, dtype):
    """keops formula ops: run once -keops-expand-formulas is in the CPU
    pipeline; skipped until then."""
    compile_or_skip_keops_ops(lambda: _run_op_case(rng, name, dtype))


def test_erf_f32_approximated_compiles():
    module = reduce_module("sum", "j", [("x", "i", 1), ("y", "j", 1)],
                           ["%r = math.erf %x : vector<1x{T}>"], [("%r", 1)],
                           [1], dtype="f32")
    # With approximations (the default), erf is a polynomial and compiles.
    (out,) = compile_module(module).kernels[0](np.array([[0.5]]), np.ones((2, 1)))
    assert abs(out[0, 0] - 2 * special.erf(0.5)) < 1e-6


def test_erf_f32_libm_compiles():
    module = reduce_module("sum", "j", [("x", "i", 1), ("y", "j", 1)],
                           ["%r = math.erf %x : vector<1x{T}>"], [("%r", 1)],
                           [1], dtype="f32")
    compile_module(module, approximate_math=False)


@pytest.mark.parametrize("dtype", ["f32", "f64"])
def test_subnormals_flushed_with_approximate_math(dtype):
    """Fast-math kernels (the default) read subnormal floats as 0 and flush
    subnormal results: arithmetic on them costs a microcode assist (~100
    cycles) on x86. Exact kernels keep IEEE semantics. Either way the
    caller's floating-point environment is restored."""
    tiny = {"f32": 1e-39, "f64": 1e-310}[dtype]
    module = reduce_module("sum", "j", [("x", "i", 1), ("y", "j", 1)],
                           ["%r = arith.mulf %x, %y : vector<1x{T}>"], [("%r", 1)],
                           [1], dtype=dtype)
    x, y = np.full((70, 1), tiny), np.ones((300, 1))
    (fast,) = compile_module(module).kernels[0](x, y)
    np.testing.assert_array_equal(fast, 0.0)
    (exact,) = compile_module(module, approximate_math=False).kernels[0](x, y)
    ft = np.float32 if dtype == "f32" else np.float64
    # (sums of subnormals have fewer significant bits)
    np.testing.assert_allclose(exact, 300 * float(ft(tiny)), rtol=1e-4)
    # This thread computes subnormals again (FTZ and DAZ were restored).
    assert ft(tiny) * ft(3) > 0


KEOPS_HEADLINE = {
    "gaussian_sum": ("sum", [("x", "i", 3), ("y", "j", 3), ("b", "j", 1)],
                     ["%d = keops.sqdist %x, %y : vector<3x{T}>",
                      "%n = arith.negf %d : vector<1x{T}>",
                      "%e = math.exp %n : vector<1x{T}>",
                      "%r = arith.mulf %e, %b : vector<1x{T}>"], 1, None),
    "knn_argkmin": ("argkmin", [("x", "i", 3), ("y", "j", 3)],
                    ["%r = keops.sqdist %x, %y : vector<3x{T}>"], 4, 4),
    "lse_dot": ("logsumexp", [("x", "i", 3), ("y", "j", 3)],
                ["%r = keops.dot %x, %y : vector<3x{T}>"], 1, None),
}


@pytest.mark.parametrize("dtype", ["f32", "f64"])
@pytest.mark.parametrize("name", list(KEOPS_HEADLINE))
def test_keops_op_headline_cases(rng, name, dtype):
    kind, variables, body, width, k = KEOPS_HEADLINE[name]
    M, N = 100, 257
    arrays = [rng.standard_normal((M if c == "i" else N, d)) for _, c, d in variables]
    ydim = 1

    def run():
        return cpu_reduce(kind, "j", variables, arrays, body, [("%r", ydim)],
                          [width], k=k, dtype=dtype)

    (cpu,) = compile_or_skip_keops_ops(run)
    (ref,) = run_reduce(kind, "j", variables, arrays, body, [("%r", ydim)],
                        [width], k=k, dtype=dtype)
    if kind == "argkmin":
        np.testing.assert_array_equal(cpu, ref)
    else:
        np.testing.assert_allclose(cpu, ref, rtol=_sum_tol(dtype) * 10,
                                   atol=_sum_tol(dtype) * N)


# --------------------------------------------------------------------------
# f32 approximations of elementary functions
# --------------------------------------------------------------------------

# Measured on 20000 points (x86-64, AVX-512), max error in f32 ulps of the
# exact value (or absolute where stated), with approximate_math (the
# default) and with libm (approximate_math=False):
#   exp  [-80, 80]        0.96 ulp       libm 0.50
#   log  [1e-30, 1e30]    0.69 ulp       libm 0.60
#   tanh [-10, 10]        3.9 ulp        libm 1.9
#   atan [-100, 100]      39 ulp (4e-6 relative)   libm 0.72
#   asin [-1, 1]          6.9 ulp        libm 0.82
#   acos [-1, 1]          1.05 ulp       libm 0.84
#   erf  [-4, 4]          4.2 ulp        libm: does not compile (bug)
#   sin, cos: absolute 1.6e-7 on [-pi, pi], 6e-6 on [-100, 100] (the range
#     reduction subtracts k * pi/2 in f32: the error grows with |x|; relative
#     error is unbounded near the zeros)   libm 0.56 ulp
#   sqrt 0.5, rsqrt 1.4, tan 0.8, sinh 1.5, cosh 1.0 ulp (not approximated)
APPROX = {
    # name: (numpy, lo, hi, log-spaced, bound in ulps, abs bound or None)
    "exp": (np.exp, -80, 80, False, 2, None),
    "log": (np.log, 1e-30, 1e30, True, 2, None),
    "tanh": (np.tanh, -10, 10, False, 8, None),
    "atan": (np.arctan, -100, 100, False, 64, None),
    "asin": (np.arcsin, -1, 1, False, 12, None),
    "acos": (np.arccos, -1, 1, False, 4, None),
    "erf": (special.erf, -4, 4, False, 8, None),
    "sin": (np.sin, -math.pi, math.pi, False, None, 3e-7),
    "cos": (np.cos, -math.pi, math.pi, False, None, 3e-7),
    "sin_wide": (np.sin, -100, 100, False, None, 1.2e-5),
    "cos_wide": (np.cos, -100, 100, False, None, 1.2e-5),
    "sqrt": (np.sqrt, 1e-20, 1e20, True, 1, None),
    "rsqrt": (lambda v: 1 / np.sqrt(v), 1e-6, 1e6, True, 3, None),
}


@pytest.mark.parametrize("name", list(APPROX))
def test_f32_approximate_math_accuracy(name):
    fn, lo, hi, logspace, ulps, abs_bound = APPROX[name]
    rng = np.random.default_rng(11)
    x = (np.exp(rng.uniform(np.log(lo), np.log(hi), 20000)) if logspace
         else rng.uniform(lo, hi, 20000))
    x = x.astype(np.float32).astype(np.float64).reshape(-1, 1)
    op = name.split("_")[0]
    # min over a single j: out_i = F(x_i) exactly as the kernel computes it.
    (out,) = cpu_reduce("min", "j", [("x", "i", 1), ("z", "j", 1)],
                        [x, np.zeros((1, 1))],
                        [f"%r = math.{op} %x : vector<1x{{T}}>"], [("%r", 1)],
                        [1], dtype="f32")
    exact = fn(x[:, 0])
    err = np.abs(out[:, 0] - exact)
    if ulps is not None:
        ulp = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
        worst = float((err / ulp).max())
        print(f"\nf32 {name}: max error {worst:.3g} ulp")
        assert worst <= ulps
    else:
        worst = float(err.max())
        print(f"\nf32 {name}: max absolute error {worst:.3g}")
        assert worst <= abs_bound


def test_f64_math_is_not_approximated(rng):
    """f64 exp / log / sin go to libm: within 1 ulp of NumPy."""
    x = rng.uniform(0.01, 50, (257, 1))
    body = ["%a = math.exp %x : vector<1x{T}>",
            "%b = math.log %x : vector<1x{T}>",
            "%c = math.sin %x : vector<1x{T}>",
            "%ab = vector.shuffle %a, %b [0, 1] : vector<1x{T}>, vector<1x{T}>",
            "%r = vector.shuffle %ab, %c [0, 1, 2] : vector<2x{T}>, vector<1x{T}>"]
    (out,) = cpu_reduce("min", "j", [("x", "i", 1), ("z", "j", 1)],
                        [x, np.zeros((1, 1))], body, [("%r", 3)], [3],
                        dtype="f64")
    expected = np.stack([np.exp(x[:, 0]), np.log(x[:, 0]), np.sin(x[:, 0])], 1)
    np.testing.assert_allclose(out, expected, rtol=3e-16, atol=1e-300)


# --------------------------------------------------------------------------
# 4. Random formulas over the upstream ops
# --------------------------------------------------------------------------

class FormulaGenerator:
    """Random formulas over the upstream formula ops, with inputs kept in
    the safe domains (log of |a| + 0.5, asin of 0.875 tanh(a), a divisor
    |b| + 0.5, exp of min(a, 2), ...), and a rough bound on magnitudes so
    that products stay below 1e3. No discontinuous op (floor, ceil) and no
    erf."""

    VARIABLES = [("x", "i", 3), ("y", "j", 3), ("z", "i", 1), ("u", "j", 2),
                 ("p", "p", 2)]
    MAX_BOUND = 1e3

    def __init__(self, rng):
        self.rng = rng
        self.lines = []
        self.count = 0
        self.ops = set()

    def _name(self):
        self.count += 1
        return f"%v{self.count}"

    @staticmethod
    def _t(dim):
        return f"vector<{dim}x{{T}}>"

    def _emit(self, op, rest):
        name = self._name()
        self.lines.append(f"{name} = {op} {rest}")
        self.ops.add(op)
        return name

    def _const(self, dim, values):
        vals = ", ".join(f"{v:.6e}" for v in values)
        text = f"dense<[{vals}]>" if len(values) > 1 else f"dense<{values[0]:.6e}>"
        return self._emit("arith.constant", f"{text} : {self._t(dim)}")

    def leaf(self, dim):
        r = self.rng
        options = [("const", None, None)]
        for n, _, d in self.VARIABLES:
            if d == dim:
                options += [("var", n, d)] * 3
            elif d > dim:
                options.append(("slice", n, d))
            elif d == 1:
                options.append(("bcast", n, d))
        kind, n, d = r.choice(options)
        if kind == "var":
            return f"%{n}", 1.5
        if kind == "slice":
            off = r.randrange(0, d - dim + 1)
            return self._emit(
                "vector.extract_strided_slice",
                f"%{n} {{offsets = [{off}], sizes = [{dim}], strides = [1]}} : "
                f"{self._t(d)} to {self._t(dim)}"), 1.5
        if kind == "bcast":
            return self._emit("vector.broadcast",
                              f"%{n} : {self._t(1)} to {self._t(dim)}"), 1.5
        return self._const(dim, [round(r.uniform(-2, 2), 3) for _ in range(dim)]), 2.0

    def _positive(self, a, dim, shift):
        m = self._emit("math.absf", f"{a} : {self._t(dim)}")
        c = self._const(dim, [shift])
        return self._emit("arith.addf", f"{m}, {c} : {self._t(dim)}")

    def unary(self, dim, depth):
        a, ba = self.expr(dim, depth - 1)
        t = self._t(dim)
        op = self.rng.choice(["negf", "absf", "sin", "cos", "tanh", "atan", "exp",
                              "log", "sqrt", "rsqrt", "asin", "acos", "tan",
                              "sinh", "cosh"])
        if op == "negf":
            return self._emit("arith.negf", f"{a} : {t}"), ba
        if op == "absf":
            return self._emit("math.absf", f"{a} : {t}"), ba
        if op in ("sin", "cos", "tanh", "atan"):
            return self._emit(f"math.{op}", f"{a} : {t}"), 1.6
        if op == "exp":
            c = self._const(dim, [2.0])
            m = self._emit("arith.minimumf", f"{a}, {c} : {t}")
            return self._emit("math.exp", f"{m} : {t}"), 7.4
        if op in ("log", "sqrt", "rsqrt"):
            s = self._positive(a, dim, {"log": 0.5, "sqrt": 0.25, "rsqrt": 0.5}[op])
            bound = {"log": max(1.0, math.log(ba + 0.5)),
                     "sqrt": math.sqrt(ba + 0.25), "rsqrt": 1.5}[op]
            return self._emit(f"math.{op}", f"{s} : {t}"), bound
        # asin, acos, tan, sinh, cosh of a scaled tanh(a).
        h = self._emit("math.tanh", f"{a} : {t}")
        c = self._const(dim, [{"asin": 0.875, "acos": 0.875, "tan": 1.0,
                               "sinh": 2.0, "cosh": 2.0}[op]])
        s = self._emit("arith.mulf", f"{h}, {c} : {t}")
        return self._emit(f"math.{op}", f"{s} : {t}"), 3.8

    def binary(self, dim, depth):
        a, ba = self.expr(dim, depth - 1)
        b, bb = self.expr(dim, depth - 1)
        t = self._t(dim)
        op = self.rng.choice(["addf", "subf", "mulf", "mulf", "divf", "maximumf",
                              "minimumf", "atan2", "powf"])
        if op == "mulf" and ba * bb > self.MAX_BOUND:
            op = "addf"
        if op in ("addf", "subf"):
            return self._emit(f"arith.{op}", f"{a}, {b} : {t}"), ba + bb
        if op == "mulf":
            return self._emit("arith.mulf", f"{a}, {b} : {t}"), ba * bb
        if op in ("maximumf", "minimumf"):
            return self._emit(f"arith.{op}", f"{a}, {b} : {t}"), max(ba, bb)
        s = self._positive(b, dim, 0.5)
        if op == "divf":
            return self._emit("arith.divf", f"{a}, {s} : {t}"), 2 * ba
        if op == "atan2":  # second operand > 0: continuous
            return self._emit("math.atan2", f"{a}, {s} : {t}"), 1.6
        # powf(|b| + 0.5, 2 tanh(a))
        h = self._emit("math.tanh", f"{a} : {t}")
        c = self._const(dim, [2.0])
        e = self._emit("arith.mulf", f"{h}, {c} : {t}")
        return self._emit("math.powf", f"{s}, {e} : {t}"), max(4.0, (bb + 0.5) ** 2)

    def expr(self, dim, depth):
        r = self.rng
        if depth <= 0 or r.random() < 0.15:
            return self.leaf(dim)
        what = r.choice(["unary"] * 5 + ["binary"] * 6 +
                        ["reduction", "shuffle", "slice", "bcast"])
        if what == "unary":
            return self.unary(dim, depth)
        if what == "binary":
            return self.binary(dim, depth)
        t = self._t(dim)
        if what == "reduction":
            d = r.randint(2, 4)
            a, ba = self.expr(d, depth - 1)
            kind = r.choice(["add", "mul", "maximumf", "minimumf"])
            if kind == "mul" and ba ** d > self.MAX_BOUND:
                kind = "add"
            s = self._emit("vector.reduction",
                           f"<{kind}>, {a} : {self._t(d)} into {{T}}")
            bound = {"add": d * ba, "mul": ba ** d}.get(kind, ba)
            return self._emit("vector.broadcast", f"{s} : {{T}} to {t}"), bound
        if what == "shuffle":
            d1, d2 = r.randint(1, 3), r.randint(1, 3)
            a, ba = self.expr(d1, depth - 1)
            b, bb = self.expr(d2, depth - 1)
            mask = ", ".join(str(r.randrange(d1 + d2)) for _ in range(dim))
            return self._emit("vector.shuffle",
                              f"{a}, {b} [{mask}] : {self._t(d1)}, {self._t(d2)}"), \
                max(ba, bb)
        if what == "slice":
            d = dim + r.randint(1, 2)
            a, ba = self.expr(d, depth - 1)
            off = r.randrange(0, d - dim + 1)
            return self._emit(
                "vector.extract_strided_slice",
                f"{a} {{offsets = [{off}], sizes = [{dim}], strides = [1]}} : "
                f"{self._t(d)} to {t}"), ba
        a, ba = self.expr(1, depth - 1)
        if dim == 1:
            return a, ba
        return self._emit("vector.broadcast", f"{a} : {self._t(1)} to {t}"), ba


def random_formula(seed):
    """(body lines, result value, its dimension, ops used): a formula that
    depends on an i variable and a j variable and holds at least 6 ops."""
    rng = random.Random(seed)
    while True:
        g = FormulaGenerator(rng)
        dim = rng.randint(1, 4)
        root, _ = g.expr(dim, rng.randint(3, 5))
        text = "\n".join(g.lines)
        if (len(g.lines) >= 6 and re.search(r"%[xz]\b", text)
                and re.search(r"%[yu]\b", text)):
            return g.lines, root, dim, g.ops


RANDOM_SEEDS = list(range(36))


def test_random_formulas_cover_the_upstream_ops():
    used = set()
    for seed in RANDOM_SEEDS:
        used |= random_formula(seed)[3]
    expected = {"arith.addf", "arith.subf", "arith.mulf", "arith.divf",
                "arith.negf", "arith.maximumf", "arith.minimumf",
                "arith.constant", "math.exp", "math.log", "math.sin",
                "math.cos", "math.sqrt", "math.rsqrt", "math.absf",
                "math.tanh", "math.atan", "math.atan2", "math.asin",
                "math.acos", "math.tan", "math.sinh", "math.cosh",
                "math.powf", "vector.broadcast",
                "vector.extract_strided_slice", "vector.shuffle",
                "vector.reduction"}
    assert expected <= used, expected - used


@pytest.mark.parametrize("dtype", ["f32", "f64"])
@pytest.mark.parametrize("seed", RANDOM_SEEDS)
def test_random_formula(seed, dtype):
    """Sum of a random formula over j (even seeds) or i (odd seeds), CPU
    against the interpreter; the error is measured against sum_j (|F| + 1)
    (the terms' own scale, and 1 for terms that cancel): 1e-10 in f64,
    2e-5 in f32."""
    lines, root, dim, _ = random_formula(seed)
    axis = "j" if seed % 2 == 0 else "i"
    variables = FormulaGenerator.VARIABLES
    M, N = 37, 45
    rng = np.random.default_rng(seed)
    rows = {"i": M, "j": N}
    arrays = [rng.uniform(-1.5, 1.5, d if c == "p" else (rows[c], d))
              for _, c, d in variables]
    kept = M if axis == "j" else N
    cpu = cpu_reduce("sum", axis, variables, arrays, lines, [(root, dim)],
                     [dim], dtype=dtype)
    ref = run_reduce("sum", axis, variables, arrays, lines, [(root, dim)],
                     [dim], dtype=dtype)
    abs_lines = lines + [f"%absr = math.absf {root} : vector<{dim}x{{T}}>"]
    (scale,) = run_reduce("sum", axis, variables, arrays, abs_lines,
                          [("%absr", dim)], [dim], dtype=dtype)
    scale = scale + (N if axis == "j" else M)
    assert cpu[0].shape == ref[0].shape == (kept, dim)
    assert np.isfinite(ref[0]).all(), "the generator left its safe domain"
    err = float((np.abs(cpu[0] - ref[0]) / scale).max())
    MEASURED[("random", dtype)] = max(MEASURED.get(("random", dtype), 0.0), err)
    tol = 1e-10 if dtype == "f64" else 2e-5
    assert err <= tol, (err, "\n".join(lines))


# --------------------------------------------------------------------------
# 5. Threads
# --------------------------------------------------------------------------

@pytest.fixture
def restore_threads():
    yield
    _capi.set_num_threads(0)


THREAD_KINDS = [("sum", None), ("min_argmin", None), ("argmin", None),
                ("kmin_argkmin", 3), ("logsumexp", None)]


@pytest.mark.parametrize("axis", ["j", "i"])
@pytest.mark.parametrize("kk", THREAD_KINDS, ids=_kind_id)
def test_threads_same_results(rng, restore_threads, kk, axis):
    """1, 2 and 3 threads (rows split into chunks of 64 and more; here
    2000 x 300 pairs, past the 2^16 pairs below which one thread works):
    bitwise identical outputs, and equal to the interpreter."""
    kind, k = kk
    M, N = (2000, 300) if axis == "j" else (300, 2000)
    kept = 2000
    if kind == "logsumexp":
        real, variables, body, yields, widths = _softmax_case(kind, axis)
        arrays = _softmax_inputs(rng, kind, M, N, axis)
    else:
        real, variables, body = kind, *_exp_case(axis)
        arrays = [rng.uniform(-1, 1, (M, D)), rng.uniform(-1, 1, (N, D)),
                  rng.uniform(-1, 1, (N if axis == "j" else M, D))]
        yields, widths = [("%r", D)], [D * (k or 1)] * _nout(kind)
    results = []
    for threads in (1, 2, 3):
        _capi.set_num_threads(threads)
        assert _capi.get_num_threads() == threads
        results.append(cpu_reduce(real, axis, variables, arrays, body, yields,
                                  widths, k=k, dtype="f32", raw=True))
    for other in results[1:]:
        for a, b in zip(results[0], other):
            assert a.tobytes() == b.tobytes()
    ref = run_reduce(real, axis, variables, arrays, body, yields, widths, k=k,
                     dtype="f32")
    c = results[0][0].astype(np.float64)
    if kind == "argmin":
        F = _exp_F(arrays, "f32", axis)
        _check_equivalent_indices(results[0][0].astype(np.int64), ref[0], F, 2e-6)
    elif kind == "sum":
        F = _exp_F(arrays, "f32", axis)
        np.testing.assert_array_less(np.abs(c - ref[0]), 1e-5 * np.abs(F).sum(1))
    else:
        np.testing.assert_allclose(c, ref[0], rtol=4e-6, atol=4e-6)


def test_concurrent_calls_from_python_threads(rng, restore_threads):
    """Kernels called from several Python threads at once (ctypes releases
    the GIL; the pool serializes parallel jobs), while another thread
    compiles: every result equal to the one computed alone."""
    import threading
    _capi.set_num_threads(2)
    variables, body = _exp_case("j")
    module = reduce_module("min_argmin", "j", variables, body, [("%r", D)],
                           [D, D])
    kernel = compile_module(module).kernels[0]
    cases = [[rng.uniform(-1, 1, (700, D)), rng.uniform(-1, 1, (300, D)),
              rng.uniform(-1, 1, (300, D))] for _ in range(4)]
    alone = [kernel(*c) for c in cases]
    results, errors = {}, []

    def work(n):
        try:
            for _ in range(5):
                out = kernel(*cases[n])
                for a, b in zip(out, alone[n]):
                    assert a.tobytes() == b.tobytes()
            results[n] = True
        except Exception as e:  # reported below
            errors.append(e)

    def compile_other():
        try:
            m = reduce_module("sum", "j", ARITH_VARS, ARITH_BODY, [("%r", D)],
                              [D], name="other_threaded")
            _capi.CompiledModule(m)
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    threads.append(threading.Thread(target=compile_other))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    assert len(results) == 4


def test_num_threads_from_environment():
    code = "from keops import _capi; print(_capi.get_num_threads())"
    env = dict(os.environ, KEOPS_NUM_THREADS="3")
    out = subprocess.run([sys.executable, "-c", code], env=env, text=True,
                         capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "3"


# --------------------------------------------------------------------------
# 6. The disk cache, across processes
# --------------------------------------------------------------------------

CHILD = textwrap.dedent("""
    import sys
    import numpy as np
    from keops import _capi
    module = open(sys.argv[1]).read()
    times = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    for _ in range(times):
        kernel = _capi.CompiledModule(module).kernels[0]
    rng = np.random.default_rng(7)
    x, y, b = rng.standard_normal((37, 3)), rng.standard_normal((41, 3)), rng.standard_normal((41, 1))
    (out,) = kernel(x, y, b)
    np.save(sys.argv[2], out)
""")


def _cache_module(tag, absolute=False):
    """A sum over j whose text (a constant) is unique to `tag`; with
    absolute=True, the sum of the absolute values of its terms."""
    c = 0.5 + (sum(map(ord, tag)) % 1000) / 4096
    extra = ["%a = math.absf %r : vector<1x{T}>"] if absolute else []
    return reduce_module(
        "sum", "j", [("x", "i", 3), ("y", "j", 3), ("b", "j", 1)],
        [f"%c = arith.constant dense<{c:.6e}> : vector<3x{{T}}>",
         "%d = arith.subf %x, %y : vector<3x{T}>",
         "%m = arith.mulf %d, %c : vector<3x{T}>",
         "%s = vector.reduction <add>, %m : vector<3x{T}> into {T}",
         "%f = vector.broadcast %s : {T} to vector<1x{T}>",
         "%n = arith.negf %f : vector<1x{T}>",
         "%e = math.exp %n : vector<1x{T}>",
         "%r = arith.mulf %e, %b : vector<1x{T}>"] + extra,
        [("%a" if absolute else "%r", 1)], [1])


def _expected_cache_output(tag):
    """The interpreter's output for CHILD's inputs, and sum_j |F|."""
    rng = np.random.default_rng(7)
    x, y, b = (rng.standard_normal((37, 3)), rng.standard_normal((41, 3)),
               rng.standard_normal((41, 1)))
    args = cast_inputs([x, y, b], "f32") + [np.zeros((37, 1), np.float32)]
    (out,) = reference.evaluate(_cache_module(tag), args)
    (scale,) = reference.evaluate(_cache_module(tag, absolute=True), args)
    return out, scale


def _child(tmp_path, cache_dir, module, name, times=1, wait=True):
    """Runs CHILD in a new process (in tmp_path, KEOPS_VERBOSE=1); returns
    (stderr, output), or (Popen, output path) with wait=False."""
    src = tmp_path / "module.mlir"
    script = tmp_path / "child.py"
    # Rewritten only when they change, and atomically: children started
    # earlier may be reading them (a child that read a truncated script
    # ran nothing and exited 0).
    for path, text in ((src, module), (script, CHILD)):
        if not path.exists() or path.read_text() != text:
            tmp = path.with_suffix(".new")
            tmp.write_text(text)
            os.replace(tmp, path)
    out = tmp_path / f"{name}.npy"
    env = dict(os.environ, KEOPS_CACHE_DIR=str(cache_dir), KEOPS_VERBOSE="1")
    cmd = [sys.executable, str(script), str(src), str(out), str(times)]
    if not wait:
        return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                cwd=tmp_path), out
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stderr, np.load(out)


def _check_output(out, expected):
    ref, scale = expected
    assert out.dtype == np.float32 and out.shape == ref.shape
    np.testing.assert_array_less(np.abs(out - ref), 1e-5 * scale)


def _objects(cache_dir):
    return sorted(p.name for p in Path(cache_dir).iterdir() if p.suffix == ".o")


def test_cache_second_process_hits_disk(tmp_path):
    """(a) and (e): a cold compile (lowering, code generation, a new .o in
    the cache) then, in another process, a disk cache hit with no lowering;
    in one process, a second compile of the same text hits memory."""
    cache = tmp_path / "cache"
    module = _cache_module("second-process")
    expected = _expected_cache_output("second-process")
    err1, out1 = _child(tmp_path, cache, module, "first", times=2)
    assert "disk cache hit" not in err1
    assert "MLIR lowering" in err1 and "code generation" in err1, err1
    assert "memory cache hit" in err1, err1
    assert len(_objects(cache)) == 1
    _check_output(out1, expected)
    err2, out2 = _child(tmp_path, cache, module, "second")
    assert "disk cache hit" in err2, err2
    assert "MLIR lowering" not in err2 and "warning" not in err2, err2
    np.testing.assert_array_equal(out1, out2)
    assert len(_objects(cache)) == 1


def test_cache_options_are_part_of_the_key(tmp_path):
    """The same text with other options is another object."""
    cache = tmp_path / "cache"
    module = _cache_module("options")
    code = textwrap.dedent("""
        import sys
        from keops import _capi
        m = open(sys.argv[1]).read()
        _capi.CompiledModule(m)
        _capi.CompiledModule(m, accumulation="kahan")
        _capi.CompiledModule(m, lanes=4)
    """)
    (tmp_path / "m.mlir").write_text(module)
    env = dict(os.environ, KEOPS_CACHE_DIR=str(cache))
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "m.mlir")],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert len(_objects(cache)) == 3


def test_cache_concurrent_processes(tmp_path):
    """(b) Four processes compiling the same new module at once into a fresh
    directory: all succeed, identical results, one valid object, no
    temporary left."""
    cache = tmp_path / "cache"
    module = _cache_module("concurrent")
    expected = _expected_cache_output("concurrent")
    procs = [_child(tmp_path, cache, module, f"p{n}", wait=False) for n in range(4)]
    outs = []
    for proc, out in procs:
        _, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr[-3000:]
        assert "warning" not in stderr, stderr
        outs.append(np.load(out))
    for other in outs[1:]:
        np.testing.assert_array_equal(outs[0], other)
    _check_output(outs[0], expected)
    assert len(_objects(cache)) == 1
    assert not [p for p in cache.iterdir() if ".tmp" in p.name]
    err, out = _child(tmp_path, cache, module, "after")
    assert "disk cache hit" in err and "warning" not in err, err
    np.testing.assert_array_equal(out, outs[0])


def _garbage(data):
    return b"this is not an object file\n" * 10


def _flip_middle(data):
    b = bytearray(data)
    b[len(b) // 2] ^= 0xFF
    return bytes(b)


def _flip_magic(data):
    b = bytearray(data)
    b[0] ^= 0x01
    return bytes(b)


def _truncate(data):
    return data[: len(data) // 3]


def _empty(data):
    return b""


@pytest.mark.parametrize("corrupt", [_garbage, _flip_middle, _flip_magic,
                                     _truncate, _empty],
                         ids=lambda f: f.__name__.strip("_"))
def test_cache_corrupt_file(tmp_path, corrupt):
    """(c) A damaged cache file: a warning naming it corrupt, a recompile,
    correct results; the file is replaced by a valid one."""
    cache = tmp_path / "cache"
    module = _cache_module("corrupt")
    expected = _expected_cache_output("corrupt")
    _, good = _child(tmp_path, cache, module, "first")
    (obj,) = _objects(cache)
    path = cache / obj
    path.write_bytes(corrupt(path.read_bytes()))
    err, out = _child(tmp_path, cache, module, "second")
    assert "corrupt" in err and obj in err, err
    assert "disk cache hit" not in err
    np.testing.assert_array_equal(out, good)
    _check_output(out, expected)
    err, out = _child(tmp_path, cache, module, "third")
    assert "disk cache hit" in err and "corrupt" not in err, err
    np.testing.assert_array_equal(out, good)


def _entry(data):
    """(key, object) of a cache file: magic line, key length line, key,
    SHA-256 of key and object, object."""
    magic, rest = data.split(b"\n", 1)
    assert magic == b"KEOPS-MLIR OBJECT 2"
    length, rest = rest.split(b"\n", 1)
    key = rest[:int(length)]
    return key, rest[int(length) + 32:]


def _make_entry(key, obj):
    import hashlib
    return (b"KEOPS-MLIR OBJECT 2\n" + str(len(key)).encode() + b"\n" + key
            + hashlib.sha256(key + obj).digest() + obj)


def _swap_in_other(path, other):
    """Another module's valid, correctly checksummed entry under this name
    (a copy under the wrong name, a hash collision)."""
    path.write_bytes(other.read_bytes())


def _forge_checksum(path, other):
    """Garbage with a checksum that matches it."""
    key, _ = _entry(path.read_bytes())
    path.write_bytes(_make_entry(key, b"\x7fELF garbage " * 100))


def _other_version(path, other):
    """The same module compiled by another version of the compiler (a valid
    entry whose key differs there)."""
    key, obj = _entry(path.read_bytes())
    assert b"|keops-mlir 0.1.0|" in key
    path.write_bytes(_make_entry(key.replace(b"|keops-mlir 0.1.0|", b"|keops-mlir 0.0.9|"),
                                 obj))


@pytest.mark.parametrize("damage,message", [
    (_swap_in_other, "compiled for another module, options or compiler version"),
    (_forge_checksum, "cannot load cache file"),
    (_other_version, "compiled for another module, options or compiler version")],
    ids=["swapped", "forged-checksum", "other-version"])
def test_cache_entry_of_another_key(tmp_path, damage, message):
    """(e) An entry that passes its checksum but is not this module's (or
    does not load): one warning, the right numbers, and the file replaced
    so that the next process hits it."""
    cache = tmp_path / "cache"
    module, other = _cache_module("mine"), _cache_module("other")
    expected = _expected_cache_output("mine")
    _child(tmp_path, cache, other, "other")
    (other_obj,) = _objects(cache)
    _, good = _child(tmp_path, cache, module, "first")
    (obj,) = [o for o in _objects(cache) if o != other_obj]
    damage(cache / obj, cache / other_obj)
    err, out = _child(tmp_path, cache, module, "second")
    assert message in err and obj in err, err
    assert err.count("warning") == 1, err
    np.testing.assert_array_equal(out, good)
    _check_output(out, expected)
    err, out = _child(tmp_path, cache, module, "third")
    assert "disk cache hit" in err and "warning" not in err, err
    np.testing.assert_array_equal(out, good)


def _chmod_is_effective(directory):
    probe = directory / "probe"
    try:
        probe.write_text("x")
    except OSError:
        return True
    probe.unlink()
    return False


@pytest.mark.parametrize("how", ["chmod-0500", "under-a-file"])
def test_cache_unwritable_directory(tmp_path, how):
    """(d) An unwritable cache: a warning, results correct, nothing cached.
    As root, chmod does not stop writes: the cache path is then put under a
    regular file, so that creating the directory fails."""
    module = _cache_module("unwritable")
    expected = _expected_cache_output("unwritable")
    if how == "chmod-0500":
        cache = tmp_path / "ro"
        cache.mkdir()
        cache.chmod(0o500)
        try:
            if not _chmod_is_effective(cache):
                pytest.skip("chmod 0500 does not stop writes here (root); "
                            "see the under-a-file case")
            err, out = _child(tmp_path, cache, module, "ro")
        finally:
            cache.chmod(0o700)
    else:
        blocker = tmp_path / "a-file"
        blocker.write_text("not a directory")
        cache = blocker / "cache"
        err, out = _child(tmp_path, cache, module, "ro")
    assert "warning: cannot write the compile cache" in err, err
    assert err.count("cannot write the compile cache") == 1
    _check_output(out, expected)
    if how == "chmod-0500":
        assert list(cache.iterdir()) == []
    else:
        assert blocker.read_text() == "not a directory"


def test_cache_disabled(tmp_path):
    """KEOPS_CACHE_DIR=off: nothing written, no warning, correct results."""
    module = _cache_module("disabled")
    expected = _expected_cache_output("disabled")
    before = set(tmp_path.iterdir())
    for value in ("off", "0", "off"):
        err, out = _child(tmp_path, value, module, "out")
        assert "warning" not in err and "disk cache hit" not in err, err
        assert "MLIR lowering" in err, err
        _check_output(out, expected)
    created = {p.name for p in set(tmp_path.iterdir()) - before}
    assert created == {"module.mlir", "child.py", "out.npy"}, created


def test_in_process_cold_then_warm(rng):
    """(e) in this process: a formula never compiled before, then the same
    text again (memory cache): both run and agree with the interpreter."""
    tag = f"in-process-{os.getpid()}"
    module = _cache_module(tag)
    x, y, b = (rng.standard_normal((37, 3)), rng.standard_normal((41, 3)),
               rng.standard_normal((41, 1)))
    (cold,) = _capi.CompiledModule(module).kernels[0](x, y, b)
    (warm,) = _capi.CompiledModule(module).kernels[0](x, y, b)
    np.testing.assert_array_equal(cold, warm)
    args = cast_inputs([x, y, b], "f32") + [np.zeros((37, 1), np.float32)]
    (ref,) = reference.evaluate(module, args)
    (scale,) = reference.evaluate(_cache_module(tag, absolute=True), args)
    np.testing.assert_array_less(np.abs(cold - ref), 1e-5 * scale)


# --------------------------------------------------------------------------
# keops-run --backend=cpu
# --------------------------------------------------------------------------

def _keops_run(tmp_path, module, *args, name="m"):
    src = tmp_path / f"{name}.mlir"
    src.write_text(module)
    return subprocess.run([KEOPS_RUN, str(src), *args], capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("dtype", ["f32", "f64"])
def test_keops_run_cpu_backend_matches_interp(tmp_path, dtype):
    """Generated inputs (--seed, -M, -N): the two backends agree."""
    module = reduce_module("kmin_argkmin", "j", ARITH_VARS, ARITH_BODY,
                           [("%r", D)], [2 * D, 2 * D], k=2, dtype=dtype)
    module += reduce_module("sum", "i", *_exp_case("i"), [("%r", D)], [D],
                            dtype=dtype, name="g")
    outs = {}
    for backend in ("cpu", "interp"):
        for entry in ("f", "g"):
            d = tmp_path / f"{backend}-{entry}"
            d.mkdir()
            proc = _keops_run(tmp_path, module, f"--backend={backend}",
                              "--entry", entry, "-M", "45", "-N", "33",
                              "--seed", "5", "--quiet", "--output-dir", str(d))
            assert proc.returncode == 0, proc.stderr
            outs[backend, entry] = [np.load(p) for p in sorted(d.glob("out*.npy"))]
    for c, r in zip(outs["cpu", "f"], outs["interp", "f"]):
        if r.dtype.kind == "i" and dtype == "f64":
            np.testing.assert_array_equal(c, r)
        elif r.dtype.kind == "i":
            # Random inputs: indices equal unless f32 rounding ties.
            assert (c == r).mean() > 0.95
        else:
            np.testing.assert_allclose(c, r, rtol=_rtol(dtype))
    (c,), (r,) = outs["cpu", "g"], outs["interp", "g"]
    assert c.shape == r.shape == (33, D)
    np.testing.assert_allclose(c, r, rtol=0, atol=_sum_tol(dtype) * 45)


def test_keops_run_cpu_backend_inline_arrays(tmp_path):
    module = reduce_module("min_argmin", "j", [("x", "i", 1), ("y", "j", 1)],
                           ["%r = arith.addf %x, %y : vector<1x{T}>"],
                           [("%r", 1)], [1, 1], dtype="f32")
    proc = _keops_run(tmp_path, module, "--backend=cpu",
                      "--array", "0=0;10", "--array", "1=nan;3;-inf;inf;3")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["output", "0:", "shape", "(2,", "1)",
                                   "-inf", "-inf", "output", "1:", "shape",
                                   "(2,", "1)", "indices", "2", "2"]


# --------------------------------------------------------------------------
# 7. Errors
# --------------------------------------------------------------------------

def test_malformed_module_error_has_location():
    module = reduce_module("sum", "j", ARITH_VARS, ARITH_BODY, [("%r", D)], [D])
    bad = module.replace("arith.mulf %d, %d", "arith.mulf %d %d")
    with pytest.raises(KeopsError) as info:
        _capi.CompiledModule(bad)
    message = str(info.value)
    assert re.search(r"^<keops module>:5:23: error: expected ','", message), message
    with pytest.raises(KeopsError, match=r":1:1: error"):
        _capi.CompiledModule("}")
    with pytest.raises(KeopsError, match=r":\d+:\d+: error"):
        _capi.CompiledModule("\x00\xff binary garbage")


@pytest.mark.parametrize("deep", [
    "func.func @f() -> " + "(" * 20000 + "f32" + ")" * 20000,
    "func.func @f() attributes {a = " + "[" * 10000 + "1" + "]" * 10000 + "} { return }",
    "module {" * 5000 + "}" * 5000], ids=["parens", "array", "modules"])
def test_deep_nesting_is_an_error(deep):
    """Nesting that would overflow the parser's stack is refused at the
    first bracket past the limit, in this process (no crash)."""
    with pytest.raises(KeopsError, match=r"<keops module>:1:\d+: error: brackets nested "
                                         r"more than 512 levels deep"):
        _capi.CompiledModule(deep)


def test_verifier_error_has_location():
    module = reduce_module("sum", "j", ARITH_VARS, ARITH_BODY, [("%r", D)], [D])
    bad = module.replace("%r = arith.addf %m, %p : vector<3xf32>",
                         "%r = arith.addi %m, %p : vector<3xf32>")
    assert bad != module
    with pytest.raises(KeopsError, match=r":\d+:\d+: error"):
        _capi.CompiledModule(bad)


def test_module_without_reduce():
    module = "func.func @f(%a: f32) -> f32 {\n  return %a : f32\n}\n"
    with pytest.raises(KeopsError, match="holds no keops.reduce"):
        _capi.CompiledModule(module)
    with pytest.raises(KeopsError, match="holds no keops.reduce"):
        _capi.CompiledModule("")


GRAD_BODY = ["%d = keops.sqdist %x, %y : vector<3x{T}>",
             "%e = arith.constant dense<1.0> : vector<1x{T}>",
             "%g = keops.grad %d wrt %x, %e : vector<1x{T}>, vector<3x{T}>"]


def test_unlowerable_op_error_has_location():
    """An op the CPU lowering cannot handle (an unexpanded keops.grad): a
    KeopsError naming the op, with its line:col."""
    module = reduce_module("sum", "j", [("x", "i", 3), ("y", "j", 3)],
                           GRAD_BODY, [("%g", 3)], [3])
    try:
        _capi.CompiledModule(module)
    except KeopsError as e:
        assert "'keops.grad' op cannot be lowered to CPU loops" in str(e), str(e)
        assert re.search(r"<keops module>\"?:6:\d+", str(e)), str(e)
    else:
        pytest.skip("keops.grad compiles: a differentiation pass is merged")


@pytest.fixture
def two_kernel_module():
    m = reduce_module("sum", "j", [("x", "i", 3), ("y", "j", 3), ("p", "p", 2)],
                      ["%r = arith.mulf %x, %y : vector<3x{T}>"], [("%r", 3)], [3])
    return compile_module(m).kernels[0]


def test_wrong_input_shapes(two_kernel_module):
    k = two_kernel_module
    x, y, p = np.ones((7, 3)), np.ones((5, 3)), np.ones(2)
    k(x, y, p)
    with pytest.raises(ValueError, match=r"input 1 \(j variable of dimension 3\) has shape \(5, 2\)"):
        k(x, np.ones((5, 2)), p)
    with pytest.raises(ValueError, match=r"input 0 \(i variable of dimension 3\) has shape \(7,\)"):
        k(np.ones(7), y, p)
    with pytest.raises(ValueError, match=r"input 2 \(p variable of dimension 2\) has shape \(3,\)"):
        k(x, y, np.ones(3))
    with pytest.raises(ValueError, match=r"input 0 has 7 rows, expected M = 6"):
        k(x, y, p, M=6)
    with pytest.raises(ValueError, match="takes 3 inputs, got 2"):
        k(x, y)



def test_wrong_output_arrays_are_refused(two_kernel_module):
    k = two_kernel_module
    x, y, p = np.ones((7, 3)), np.ones((5, 3)), np.ones(2)
    with pytest.raises(ValueError):
        k(x, y, p, outputs=[np.zeros((7, 3), np.float64)])


def test_given_output_arrays_are_filled(two_kernel_module):
    k = two_kernel_module
    x, y, p = np.ones((7, 3)), np.full((5, 3), 2.0), np.ones(2)
    out = np.full((7, 3), np.nan, np.float32)
    (r,) = k(x, y, p, outputs=[out])
    assert r is out
    np.testing.assert_array_equal(out, np.full((7, 3), 10.0))


def test_negative_sizes_are_refused():
    """keops_run with M < 0 (or N < 0) gives an error message, through the
    C API directly (the binding computes M from the arrays)."""
    import ctypes
    m = reduce_module("sum", "j", [("x", "i", 1), ("y", "j", 1)],
                      ["%r = arith.addf %x, %y : vector<1x{T}>"], [("%r", 1)], [1])
    module = compile_module(m)
    lib = _capi._load()
    x, y, out = (np.ones((4, 1), np.float32), np.ones((3, 1), np.float32),
                 np.zeros((4, 1), np.float32))
    vp = ctypes.c_void_p
    ins = (vp * 2)(x.ctypes.data, y.ctypes.data)
    outs = (vp * 1)(out.ctypes.data)
    for M, N in [(-1, 3), (4, -5)]:
        assert lib.keops_run(module._handle, 0, ins, outs, M, N) != 0
        assert "M and N must be >= 0" in lib.keops_last_error().decode()
    assert (out == 0).all()
    assert lib.keops_run(module._handle, 0, ins, outs, 4, 3) == 0
    np.testing.assert_array_equal(out, np.full((4, 1), 6.0))
    assert lib.keops_run(module._handle, 7, ins, outs, 4, 3) != 0
    assert "out of range" in lib.keops_last_error().decode()


def test_keops_run_negative_M(tmp_path):
    module = reduce_module("sum", "j", ARITH_VARS, ARITH_BODY, [("%r", D)], [D])
    for backend in ("cpu", "interp"):
        proc = _keops_run(tmp_path, module, f"--backend={backend}", "-M", "-1")
        assert proc.returncode == 1
        assert "-M and -N must be >= 0" in proc.stderr, proc.stderr


def test_keops_run_cpu_compile_error(tmp_path):
    """keops-run --backend=cpu reports a compilation failure with its
    reason, no crash."""
    module = reduce_module("sum", "j", [("x", "i", 3), ("y", "j", 3)],
                           GRAD_BODY, [("%g", 3)], [3])
    proc = _keops_run(tmp_path, module, "--backend=cpu", "-M", "3", "-N", "4")
    if proc.returncode == 0:
        pytest.skip("keops.grad compiles: a differentiation pass is merged")
    assert proc.returncode == 1
    assert "compilation failed" in proc.stderr, proc.stderr
    assert "keops.grad" in proc.stderr, proc.stderr
    assert "Stack dump" not in proc.stderr


def test_report_measured_errors():
    """Prints the largest errors measured by the tests above (run with -s)."""
    for key, value in sorted(MEASURED.items()):
        print(f"\nmeasured max error {key}: {value:.3g}")


def _every_kind_entries():
    text = (Path(__file__).resolve().parents[1] / "Conversion" / "Inputs" /
            "every-kind.mlir").read_text()
    return re.findall(r"func\.func @(\w+)\(", text)


@pytest.mark.parametrize("n", [101, 2], ids=["N101", "N2"])
def test_split_ranges_merge_like_the_interpreter(tmp_path, n):
    """keops-run --splits=3: the reduced axis reduced in 3 consecutive
    ranges whose states are merged (Accumulator::merge, which the GPU's 2-D
    scheme uses across blocks), for every kind, f32 and f64, over i and j.
    With N = 2 a range is empty. Same results as the interpreter."""
    src = Path(__file__).resolve().parents[1] / "Conversion" / "Inputs" / "every-kind.mlir"
    entries = _every_kind_entries()
    assert len(entries) == 52
    for entry in entries:
        outs = {}
        for backend in ("cpu", "interp"):
            d = tmp_path / f"{entry}-{backend}-{n}"
            d.mkdir()
            proc = subprocess.run(
                [KEOPS_RUN, str(src), "--entry", entry, f"--backend={backend}",
                 "--splits=3", "-M", "37", "-N", str(n), "--seed", "3", "--quiet",
                 "--output-dir", str(d)], capture_output=True, text=True, timeout=300)
            assert proc.returncode == 0, (entry, proc.stderr)
            outs[backend] = [np.load(p) for p in sorted(d.glob("out*.npy"))]
        assert len(outs["cpu"]) == len(outs["interp"]) > 0
        f32 = "_f32_" in entry
        for c, r in zip(outs["cpu"], outs["interp"]):
            assert c.shape == r.shape, entry
            if r.dtype.kind == "i":
                if f32:
                    assert (c == r).mean() > 0.95, entry
                else:
                    np.testing.assert_array_equal(c, r, err_msg=entry)
            else:
                np.testing.assert_allclose(c, r, rtol=2e-5 if f32 else 1e-12,
                                           atol=1e-5 if f32 else 1e-12, err_msg=entry)
