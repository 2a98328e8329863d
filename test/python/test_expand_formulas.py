"""keops-expand-formulas against the reference interpreter.

For every keops formula op, a reduction whose formula uses it is evaluated by
keops-run before and after `keops-opt -keops-expand-formulas`, on the same
inputs: special values (NaN, +-inf, +-0, subnormals, huge values), ties,
halves for the roundings, out-of-range one_hot positions, and random values.
Both evaluations must agree exactly (NaN equals NaN, zeros compare with their
sign): the expansions add in the interpreter's order, so even sums match bit
for bit. The only tolerance is for powi, where repeated squaring and the
interpreter's std::pow round differently.

Most cases reduce `min over j` with a single j row, so that each output row
is the formula's value for one i row, unmixed with other values.
"""

import itertools
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from keops._tools import tool_path

NAN, INF = float("nan"), float("inf")
DTYPES = {"f16": np.float16, "f32": np.float32, "f64": np.float64}

# Values every pointwise op meets.
SPECIALS = [NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, -2.5, 2.0,
            3.0, -7.25, 1e-310, -1e-310, 5e-324, 1e308, -1e308, 0.1, 12.345,
            -0.49999999999999994, 0.49999999999999994, 1e-5, 4.5e15, -1e22]
# Smaller sets for pairs and triples.
S2 = [NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -2.5, 1e-310]
S3 = [NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 2.5, -3.0]


# ---------------------------------------------------------------------------
# Running the tools
# ---------------------------------------------------------------------------

def _run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)
    assert proc.returncode == 0, f"{cmd[0]} failed:\n{proc.stderr}"
    return proc.stdout


def expand(module):
    """The module after -keops-expand-formulas; checks that only keops.reduce
    and keops.yield are left of the keops dialect."""
    out = _run([str(tool_path("keops-opt")), "-", "-keops-expand-formulas"],
               input=module)
    left = set(re.findall(r"\bkeops\.(\w+)", out)) - {"reduce", "yield"}
    assert not left, f"unexpanded keops ops {left}:\n{out}"
    return out


def evaluate(module, arrays):
    """Outputs of the first function of `module` on `arrays` (keops-run)."""
    with tempfile.TemporaryDirectory(prefix="keops-expand-") as tmp:
        tmp = Path(tmp)
        src = tmp / "module.mlir"
        src.write_text(module)
        cmd = [str(tool_path("keops-run")), str(src), "--quiet",
               "--output-dir", str(tmp)]
        for k, a in enumerate(arrays):
            path = tmp / f"arg{k}.npy"
            np.save(path, np.ascontiguousarray(a))
            cmd += ["--input", f"{k}={path}"]
        _run(cmd)
        outs = sorted(tmp.glob("out*.npy"), key=lambda p: int(p.stem[3:]))
        return [np.load(p) for p in outs]


def assert_same(before, after, rtol=0.0, what=""):
    """Bitwise-equal values (any NaN equals any NaN; +0 differs from -0),
    or within `rtol` with equal special values."""
    assert before.shape == after.shape, (before.shape, after.shape)
    if before.dtype.kind == "i":
        np.testing.assert_array_equal(after, before)
        return
    b, a = before.ravel(), after.ravel()
    nan_b, nan_a = np.isnan(b), np.isnan(a)
    bad = nan_b != nan_a
    ok = ~nan_b & ~nan_a
    if rtol == 0:
        same = (b == a) & (np.signbit(b) == np.signbit(a))
    else:
        with np.errstate(all="ignore"):
            close = np.abs(a - b) <= rtol * np.abs(b)
        same = (b == a) | (np.isfinite(b) & close)
        same &= (np.signbit(b) == np.signbit(a)) | ((b == 0) != (a == 0))
        same &= (b == 0) == (a == 0)
    bad |= ok & ~same
    if bad.any():
        idx = np.flatnonzero(bad)[:10]
        rows = [f"  flat {i}: before {b[i]!r} after {a[i]!r}" for i in idx]
        pytest.fail(f"{what}: {bad.sum()} of {b.size} values differ\n"
                    + "\n".join(rows))


# ---------------------------------------------------------------------------
# Building reductions
# ---------------------------------------------------------------------------

INDEX_KINDS = {"argmin": [True], "argmax": [True], "argkmin": [True],
               "min_argmin": [False, True], "max_argmax": [False, True],
               "kmin_argkmin": [False, True]}


def reduction(variables, body, ydims, dtype, kind="min", axis="j", k=None,
              extra_j=True):
    """The module text of one keops.reduce and its arguments (inputs, then
    zero-filled outputs).

    variables: list of (name, category, array); arrays of i and j variables
      are rows x D, parameters D. With `extra_j`, a j variable %zz with one
      row is appended, so that `min over j` returns F(x_i) itself.
    body: formula lines, `{T}` standing for the element type.
    ydims: dimensions of the yielded values (%r, or %r and %w).
    """
    t = dtype
    variables = list(variables)
    if extra_j:
        variables.append(("zz", "j", np.zeros((1, 1))))
    with np.errstate(over="ignore"):  # 1e308 is inf in f16 and f32
        arrays = [np.ascontiguousarray(np.asarray(a, dtype=np.float64)
                                       .astype(DTYPES[t]))
                  for _, _, a in variables]
    dims = [a.shape[-1] for a in arrays]

    def shaped(c, d):
        return f"tensor<{d}x{t}>" if c == "p" else f"tensor<?x{d}x{t}>"

    kept = "i" if axis == "j" else "j"
    rows = next(a.shape[0] for (_, c, _), a in zip(variables, arrays)
                if c == kept)
    width = (ydims[-1] if len(ydims) == 2 else ydims[0]) * (k or 1)
    index = INDEX_KINDS.get(kind, [False])
    out_types = [f"tensor<?x{width}x{'i64' if i else t}>" for i in index]
    outs = [np.zeros((rows, width), dtype=np.int64 if i else DTYPES[t])
            for i in index]
    fargs = [f"%arg_{n}: {shaped(c, d)}"
             for (n, c, _), d in zip(variables, dims)]
    fargs += [f"%out{o}: {ty}" for o, ty in enumerate(out_types)]
    ins = ", ".join(f"%arg_{n} : {c} {shaped(c, d)}"
                    for (n, c, _), d in zip(variables, dims))
    outs_text = ", ".join(f"%out{o} : {ty}" for o, ty in enumerate(out_types))
    bb = ", ".join(f"%{n}: vector<{d}x{t}>" for (n, _, _), d in zip(variables, dims))
    yv = ", ".join(["%r", "%w"][: len(ydims)])
    yt = ", ".join(f"vector<{d}x{t}>" for d in ydims)
    types = ", ".join(out_types)
    kk = f" k = {k}" if k else ""
    lines = [f"func.func @f({', '.join(fargs)}) -> ({types}) {{",
             f"  %res:{len(index)} = keops.reduce {kind}{kk} over {axis}"
             f" ins({ins}) outs({outs_text}) {{",
             f"  ^bb0({bb}):"]
    lines += ["    " + line.replace("{T}", t) for line in body]
    lines += [f"    keops.yield {yv} : {yt}",
              f"  }} -> {types}",
              "  return " + ", ".join(f"%res#{o}" for o in range(len(index)))
              + f" : {types}",
              "}"]
    return "\n".join(lines) + "\n", arrays + outs


def check(variables, body, ydims, dtype="f64", rtol=0.0, **kw):
    module, arrays = reduction(variables, body, ydims, dtype, **kw)
    expanded = expand(module)
    before = evaluate(module, arrays)
    after = evaluate(expanded, arrays)
    assert len(before) == len(after)
    for b, a in zip(before, after):
        assert_same(b, a, rtol, what=f"{dtype}\n{module}")
    return before


def column(values):
    return np.asarray(values, dtype=np.float64).reshape(-1, 1)


def pairs(values):
    p = np.array(list(itertools.product(values, repeat=2)))
    return p[:, :1], p[:, 1:]


def triples(values):
    p = np.array(list(itertools.product(values, repeat=3)))
    return p[:, :1], p[:, 1:2], p[:, 2:]


def special_rows(d, rng, extra=24, scale=3.0):
    """Rows of dimension d: every special value in every position, then
    random rows."""
    rows = []
    for k, s in enumerate(SPECIALS):
        row = rng.normal(size=d) * scale
        row[k % d] = s
        rows.append(row)
    rows += list(rng.normal(size=(extra, d)) * scale)
    return np.array(rows)


@pytest.fixture
def rng():
    return np.random.default_rng(20240607)


ALL_DTYPES = ["f64", "f32", "f16"]


# ---------------------------------------------------------------------------
# Pointwise special functions
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("op", ["sign", "step", "relu", "xlogx", "sinxdivx"])
@pytest.mark.parametrize("d", [1, 4])
def test_unary(op, d, dtype, rng):
    x = special_rows(d, rng)
    check([("x", "i", x)], [f"%r = keops.{op} %x : vector<{d}x{{T}}>"], [d],
          dtype)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 7, 8, 13, 64, 1023, 1024,
                               1075, -1, -2, -3, -8, -13, -1075,
                               2**31, -(2**31) - 1, 2**52 + 1, -(2**53)])
def test_powi(n, dtype, rng):
    # Exact cases: x^0 (for NaN too), x^1, x^-1, and bases whose powers are
    # exact (0, -0, +-inf, NaN, +-1, +-2, +-0.5); std::pow and repeated
    # squaring agree on them, overflow and underflow included.
    exact = column([NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5,
                    -0.5, 4.0, -0.25])
    check([("x", "i", exact)], [f"%r = keops.powi %x, {n} : vector<1x{{T}}>"],
          [1], dtype)
    if abs(n) <= 64:
        # Other bases: rounding differs by a few units in the last place
        # (even for x^-1: glibc's pow is not always correctly rounded, and
        # gives 2 for 1 / 0.49999999999999994).
        x = special_rows(3, rng, scale=1.5)
        x = x[np.isfinite(x).all(1) & (np.abs(x) < 1e100).all(1)
              & (np.abs(x) > 1e-100).all(1)]
        # A few units in the last place of double, or one of the element
        # type when the double results straddle a rounding boundary of it.
        tol = max(1e-15 * abs(n), float(np.finfo(DTYPES[dtype]).eps))
        check([("x", "i", x)], [f"%r = keops.powi %x, {n} : vector<3x{{T}}>"],
              [3], dtype, rtol=0.0 if n in (0, 1) else tol)


ROUND_X = [NAN, INF, -INF, 0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5,
           0.49999999999999994, -0.49999999999999994, 0.125, -0.125, 0.375,
           1.005, 0.045, 15.0, -15.0, 25.0, -25.0, 250.0, 1234.5678, -0.001,
           0.0049, 5e-324, 2.2250738585072014e-308, 1e300, -1e300,
           1.7976931348623157e308, -1.7976931348623157e308, 4.5e15,
           9007199254740993.0, 1e22, 3.14159, -2.71828, 65504.0, 1e-3]


@pytest.mark.parametrize("decimals", [-400, -341, -340, -330, -309, -308,
                                      -300, -23, -22, -10, -4, -3, -2, -1, 0,
                                      1, 2, 3, 4, 5, 10, 15, 22, 23, 100, 292,
                                      300, 307, 308, 309, 320, 340, 341, 400])
def test_round_f64(decimals, rng):
    x = np.concatenate([column(ROUND_X), rng.normal(size=(20, 1)) * 100,
                        rng.normal(size=(20, 1)) * 1e-3])
    check([("x", "i", x)],
          [f"%r = keops.round %x, {decimals} : vector<1x{{T}}>"], [1], "f64")


@pytest.mark.parametrize("dtype,decimals", [
    (t, d) for t, ds in [("f32", range(-10, 11)), ("f16", range(-4, 5))]
    for d in ds] + [(t, d) for t in ("f32", "f16")
                    for d in (-341, 341, -400, 400, -320, -309)]
    + [("f32", d) for d in (-39, -100, -308)] + [("f16", d) for d in (-6, -39)])
def test_round_narrow(dtype, decimals, rng):
    # The interpreter computes in double, the constants of the expanded
    # formula are rounded to the element type: 10^|decimals| must be exact in
    # it (up to 10^10 in f32, 10^4 in f16), or, for negative decimals, so
    # large that every finite value of the type rounds to a signed zero (from
    # 10^39 in f32, 10^6 in f16), or beyond double.
    x = np.concatenate([column(ROUND_X), rng.normal(size=(20, 1)) * 100])
    check([("x", "i", x)],
          [f"%r = keops.round %x, {decimals} : vector<1x{{T}}>"], [1], dtype)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_clamp(dtype):
    x, lo, hi = triples(S3)
    check([("x", "i", x), ("lo", "i", lo), ("hi", "i", hi)],
          ["%r = keops.clamp %x, %lo, %hi : vector<1x{T}>"], [1], dtype)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_ifelse(dtype):
    c, a, b = triples(S3)
    check([("c", "i", c), ("a", "i", a), ("b", "i", b)],
          ["%r = keops.ifelse %c, %a, %b : vector<1x{T}>"], [1], dtype)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_mod(dtype, rng):
    x, n, d = triples(S3 + [0.75])
    check([("x", "i", x), ("n", "i", n), ("d", "i", d)],
          ["%r = keops.mod %x, %n, %d : vector<1x{T}>"], [1], dtype)
    x, n, d = (rng.normal(size=(50, 3)) * 10 for _ in range(3))
    check([("x", "i", x), ("n", "i", n), ("d", "i", d)],
          ["%r = keops.mod %x, %n, %d : vector<3x{T}>"], [3], dtype)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("pred", ["lt", "le", "gt", "ge", "eq", "ne"])
def test_cmp(pred, dtype):
    a, b = pairs(S2)
    check([("a", "i", a), ("b", "i", b)],
          [f"%r = keops.cmp {pred}, %a, %b : vector<1x{{T}}>"], [1], dtype)
    # Wider vectors, the same pairs four at a time.
    a4, b4 = a[: len(a) // 4 * 4].reshape(-1, 4), b[: len(b) // 4 * 4].reshape(-1, 4)
    check([("a", "i", a4), ("b", "i", b4)],
          [f"%r = keops.cmp {pred}, %a, %b : vector<4x{{T}}>"], [4], dtype)


# ---------------------------------------------------------------------------
# Reductions over the components
# ---------------------------------------------------------------------------

def all_vectors(values, d):
    return np.array(list(itertools.product(values, repeat=d)))


EXTREME_VALUES = [NAN, -INF, -1.0, -0.0, 0.0, 1.0, INF]


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("op", ["max", "min", "argmax", "argmin", "sum"])
@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_over_components(op, d, dtype, rng):
    # Every vector over the special values: NaN anywhere, ties, -0 before +0
    # and after, infinities.
    values = EXTREME_VALUES if d <= 3 else [NAN, -0.0, 0.0, 1.0, -1.0]
    x = all_vectors(values, d)
    body = [f"%r = keops.{op} %x : vector<{d}x{{T}}>"]
    check([("x", "i", x)], body, [1], dtype)
    # Random values with ties.
    x = np.round(rng.normal(size=(60, d)) * 2)
    check([("x", "i", x)], body, [1], dtype)


@pytest.mark.parametrize("dtype", ["f64", "f32"])
@pytest.mark.parametrize("op", ["max", "min", "argmax", "argmin", "sum"])
def test_over_components_long(op, dtype, rng):
    d = 37
    x = np.round(rng.normal(size=(40, d)) * 3)
    x[0, 5] = NAN
    x[1, 36] = NAN
    x[2, :] = -0.0
    x[3, :] = 0.0
    x[3, 7] = -0.0
    x[4, 20] = INF
    x[5, 20] = -INF
    x[6, 0] = NAN
    check([("x", "i", x)], [f"%r = keops.{op} %x : vector<{d}x{{T}}>"], [1],
          dtype)


# ---------------------------------------------------------------------------
# Norms and distances
# ---------------------------------------------------------------------------

SUM_VALUES = [NAN, INF, -INF, -0.0, 0.0, 1.0, -2.5, 1e308, 1e-310]


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("op", ["sqnorm2", "norm2", "normalize"])
def test_norms(op, dtype, rng):
    for x in [all_vectors(SUM_VALUES, 2), special_rows(5, rng),
              rng.normal(size=(40, 7)) * 1e3]:
        d = x.shape[1]
        rdim = d if op == "normalize" else 1
        check([("x", "i", x)], [f"%r = keops.{op} %x : vector<{d}x{{T}}>"],
              [rdim], dtype)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("op", ["dot", "sqdist"])
def test_binary_norms(op, dtype, rng):
    v = all_vectors(SUM_VALUES, 2)
    a = np.repeat(v, len(v), axis=0)
    b = np.tile(v, (len(v), 1))
    cases = [(a, b), (special_rows(5, rng), special_rows(5, rng)[::-1]),
             (rng.normal(size=(40, 7)), rng.normal(size=(40, 7)))]
    for a, b in cases:
        d = a.shape[1]
        check([("a", "i", a), ("b", "i", b)],
              [f"%r = keops.{op} %a, %b : vector<{d}x{{T}}>"], [1], dtype)


def weight_cases(rng, d):
    x = np.concatenate([special_rows(d, rng), rng.normal(size=(10, d))])
    x[-1] = -0.0
    x[-2] = 0.0
    n = len(x)
    out = []
    for dw in sorted({1, d, d * d}):
        w = rng.normal(size=(n, dw))
        w[::7] = -0.0
        w[3::11, 0] = NAN
        w[5::13, -1] = INF
        out.append((w, x))
    return out


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("d", [1, 2, 3])
def test_weightedsqnorm(d, dtype, rng):
    for w, x in weight_cases(rng, d):
        dw = w.shape[1]
        check([("w", "i", w), ("x", "i", x)],
              [f"%r = keops.weightedsqnorm %w, %x : vector<{dw}x{{T}}>, "
               f"vector<{d}x{{T}}>"], [1], dtype)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("d", [1, 3])
def test_weightedsqdist(d, dtype, rng):
    for w, x in weight_cases(rng, d):
        dw = w.shape[1]
        y = np.roll(x, 3, axis=0)
        check([("w", "i", w), ("x", "i", x), ("y", "i", y)],
              [f"%r = keops.weightedsqdist %w, %x, %y : vector<{dw}x{{T}}>, "
               f"vector<{d}x{{T}}>"], [1], dtype)
    # Weights as a parameter, the points as i and j variables, summed.
    w = np.abs(rng.normal(size=d * d))
    x, y = rng.normal(size=(6, d)), rng.normal(size=(5, d))
    check([("w", "p", w), ("x", "i", x), ("y", "j", y)],
          [f"%r = keops.weightedsqdist %w, %x, %y : vector<{d * d}x{{T}}>, "
           f"vector<{d}x{{T}}>"], [1], dtype, kind="sum", extra_j=False,
          rtol=1e-12)


# ---------------------------------------------------------------------------
# Shape-changing ops
# ---------------------------------------------------------------------------

ONE_HOT_X = [NAN, INF, -INF, 0.0, -0.0, -0.5, -0.49999999999999994, 0.4,
             0.5, 0.5000000000000001, 1.0, 1.49, 1.5, 2.5, 3.5, 4.0, 4.49,
             4.5, 5.0, 6.5, -1.0, -1.5, 1e-310, 1e300, -1e300, 4.5e15]


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("dim", [1, 2, 5, 7])
def test_one_hot(dim, dtype):
    check([("x", "i", column(ONE_HOT_X))],
          [f"%r = keops.one_hot %x, {dim} : vector<1x{{T}}>"], [dim], dtype)


def test_one_hot_f16_beyond_integers():
    # f16 holds the integers only up to 2048 and then the even ones: the
    # positions 2049, 2051, ... cannot be hit and must not match 2048, 2050.
    x = column([2046.0, 2047.0, 2048.0, 2050.0, 2052.0, 2098.0, 2100.0])
    out = check([("x", "i", x)],
                ["%r = keops.one_hot %x, 2100 : vector<1x{T}>"], [2100], "f16")
    assert (out[0].sum(axis=1) == [1, 1, 1, 1, 1, 1, 0]).all()


def special_matrix(rng, rows, d):
    m = rng.normal(size=(rows, d))
    m[0] = -0.0
    m[1, 0] = NAN
    m[2, -1] = INF
    m[3, :] = 0.0
    return m


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("r,c", [(3, 2), (1, 4), (4, 1), (2, 3), (1, 1)])
def test_matvecmult(r, c, dtype, rng):
    a = special_matrix(rng, 12, r * c)
    x = special_matrix(rng, 12, c)[::-1]
    x[5] = -0.0
    a[5] = np.abs(a[5])  # products -0: the sum is +0, from 0 + -0
    check([("a", "i", a), ("x", "i", x)],
          [f"%r = keops.matvecmult %a, %x : vector<{r * c}x{{T}}>, "
           f"vector<{c}x{{T}}>"], [r], dtype)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("r,c", [(3, 2), (1, 4), (4, 1), (2, 3), (1, 1)])
def test_vecmatmult(r, c, dtype, rng):
    a = special_matrix(rng, 12, r * c)
    x = special_matrix(rng, 12, r)[::-1]
    x[5] = -0.0
    a[5] = np.abs(a[5])
    check([("x", "i", x), ("a", "i", a)],
          [f"%r = keops.vecmatmult %x, %a : vector<{r}x{{T}}>, "
           f"vector<{r * c}x{{T}}>"], [c], dtype)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("m,n", [(2, 3), (1, 1), (3, 1), (1, 4), (4, 4)])
def test_tensorprod(m, n, dtype, rng):
    a = special_matrix(rng, 12, m)
    b = special_matrix(rng, 12, n)[::-1]
    check([("a", "i", a), ("b", "i", b)],
          [f"%r = keops.tensorprod %a, %b : vector<{m}x{{T}}>, "
           f"vector<{n}x{{T}}>"], [m * n], dtype)


def _prod(shape):
    return int(np.prod(shape)) if shape else 1


TENSORDOT_CASES = [
    # lhs shape, rhs shape, lhs contract, rhs contract
    ([2, 3], [3, 4], [1], [0]),
    ([2, 3], [3, 2], [], []),
    ([2, 3, 2], [2, 3], [1, 0], [1, 0]),
    ([4], [4], [0], [0]),
    ([2, 2, 2], [2, 2], [2, 0], [0, 1]),
    ([3, 2], [2, 3], [0, 1], [1, 0]),
    ([1, 3], [3, 1], [1], [0]),
    ([2, 3], [2], [0], [0]),
]


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("case", range(len(TENSORDOT_CASES)))
def test_tensordot(case, dtype, rng):
    ls, rs, lc, rc = TENSORDOT_CASES[case]
    dl, dr = _prod(ls), _prod(rs)
    free = [ls[k] for k in range(len(ls)) if k not in lc] + \
           [rs[k] for k in range(len(rs)) if k not in rc]
    a = special_matrix(rng, 12, dl)
    b = special_matrix(rng, 12, dr)[::-1]
    a[6] = np.abs(a[6])
    b[6] = -0.0

    def arr(v):
        return "[" + ", ".join(str(x) for x in v) + "]"
    check([("a", "i", a), ("b", "i", b)],
          [f"%r = keops.tensordot %a, %b shapes {arr(ls)}, {arr(rs)} "
           f"contract {arr(lc)}, {arr(rc)} : vector<{dl}x{{T}}>, "
           f"vector<{dr}x{{T}}>"], [_prod(free)], dtype)


KRON_CASES = [([2, 3], [2, 2]), ([3], [2]), ([1, 2], [2, 1]),
              ([2, 1, 2], [1, 2, 2]), ([1], [1]), ([2, 2], [1, 3])]


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("case", range(len(KRON_CASES)))
def test_kron(case, dtype, rng):
    ls, rs = KRON_CASES[case]
    dl, dr = _prod(ls), _prod(rs)
    a = special_matrix(rng, 12, dl)
    b = special_matrix(rng, 12, dr)[::-1]

    def arr(v):
        return "[" + ", ".join(str(x) for x in v) + "]"
    check([("a", "i", a), ("b", "i", b)],
          [f"%r = keops.kron %a, %b shapes {arr(ls)}, {arr(rs)} : "
           f"vector<{dl}x{{T}}>, vector<{dr}x{{T}}>"], [dl * dr], dtype)


# ---------------------------------------------------------------------------
# Complex numbers: (real, imaginary) pairs
# ---------------------------------------------------------------------------

def complex_rows(rng, d):
    """Rows of d complex numbers (2d reals): every pair of S2 values in the
    first pair, random pairs elsewhere."""
    special = np.array(list(itertools.product(S2, repeat=2)))
    rows = rng.normal(size=(len(special) + 8, 2 * d)) * 2
    rows[:len(special), :2] = special
    return rows


# In f64 the expansion performs the interpreter's operations in its order:
# equal bit for bit. (In f32 and f16 the interpreter rounds once per op, the
# expansion once per step.)
@pytest.mark.parametrize("d", [1, 3])
@pytest.mark.parametrize("op", ["cmul", "cdiv"])
def test_complex_binary(op, d, rng):
    a = complex_rows(rng, d)
    b = complex_rows(rng, d)[::-1]
    check([("a", "i", a), ("b", "i", b)],
          [f"%r = keops.{op} %a, %b : vector<{2 * d}x{{T}}>"], [2 * d], "f64")


@pytest.mark.parametrize("d", [1, 3])
@pytest.mark.parametrize("op,rdim", [("conj", 2), ("cexp", 2), ("cabs", 1),
                                     ("cangle", 1), ("csum", None)])
def test_complex_unary(op, rdim, d, rng):
    a = complex_rows(rng, d)
    out = check([("a", "i", a)], [f"%r = keops.{op} %a : vector<{2 * d}x{{T}}>"],
                [2 if rdim is None else rdim * d], "f64")[0]
    z = np.ascontiguousarray(a).view(np.complex128)  # keeps signed zeros
    with np.errstate(all="ignore"):
        ref = {"conj": np.conj(z), "cexp": None, "cabs": np.abs(z),
               "cangle": np.angle(z), "csum": z.sum(axis=1, keepdims=True)}[op]
    if ref is None:
        return
    finite = np.isfinite(a).all(axis=1) & (np.abs(a) < 1e300).all(axis=1)
    got = out[finite]
    if np.iscomplexobj(ref):
        got = np.ascontiguousarray(got).view(np.complex128)
    np.testing.assert_allclose(got, ref[finite], rtol=1e-12, atol=1e-300)


# ---------------------------------------------------------------------------
# Whole formulas and every reduction kind
# ---------------------------------------------------------------------------

# A formula using every op, with scalar results combined.
COMPOSITE = """
%s1 = keops.sign %x : vector<3x{T}>
%s2 = keops.step %y : vector<3x{T}>
%s3 = keops.relu %x : vector<3x{T}>
%s4 = keops.xlogx %s3 : vector<3x{T}>
%s5 = keops.sinxdivx %y : vector<3x{T}>
%s6 = keops.powi %x, 3 : vector<3x{T}>
%s7 = keops.round %y, 1 : vector<3x{T}>
%s8 = keops.clamp %x, %s1, %s2 : vector<3x{T}>
%s9 = keops.ifelse %x, %s5, %s6 : vector<3x{T}>
%s10 = keops.mod %x, %s7, %y : vector<3x{T}>
%s11 = keops.cmp le, %s10, %s9 : vector<3x{T}>
%a1 = arith.addf %s4, %s8 : vector<3x{T}>
%a2 = arith.addf %a1, %s11 : vector<3x{T}>
%t1 = keops.sum %a2 : vector<3x{T}>
%t2 = keops.max %x : vector<3x{T}>
%t3 = keops.argmin %y : vector<3x{T}>
%t4 = keops.norm2 %x : vector<3x{T}>
%t5 = keops.dot %x, %y : vector<3x{T}>
%t6 = keops.sqdist %x, %y : vector<3x{T}>
%t7 = keops.weightedsqdist %p, %x, %y : vector<9x{T}>, vector<3x{T}>
%n = keops.normalize %y : vector<3x{T}>
%m = keops.matvecmult %p, %n : vector<9x{T}>, vector<3x{T}>
%v = keops.vecmatmult %m, %p : vector<3x{T}>, vector<9x{T}>
%t8 = keops.min %v : vector<3x{T}>
%t9 = keops.argmax %v : vector<3x{T}>
%tp = keops.tensorprod %t1, %t2 : vector<1x{T}>, vector<1x{T}>
%oh = keops.one_hot %t3, 3 : vector<1x{T}>
%k = keops.kron %oh, %x shapes [3], [3] : vector<3x{T}>, vector<3x{T}>
%td = keops.tensordot %k, %p shapes [3, 3], [3, 3] contract [1], [0] : vector<9x{T}>, vector<9x{T}>
%t10 = keops.sqnorm2 %td : vector<9x{T}>
%t11 = keops.weightedsqnorm %t4, %s5 : vector<1x{T}>, vector<3x{T}>
%u1 = arith.addf %tp, %t3 : vector<1x{T}>
%u2 = arith.subf %u1, %t4 : vector<1x{T}>
%u3 = arith.addf %u2, %t5 : vector<1x{T}>
%u4 = arith.mulf %u3, %t6 : vector<1x{T}>
%u5 = arith.addf %u4, %t7 : vector<1x{T}>
%u6 = arith.addf %u5, %t8 : vector<1x{T}>
%u7 = arith.addf %u6, %t9 : vector<1x{T}>
%u8 = arith.addf %u7, %t10 : vector<1x{T}>
%u9 = arith.addf %u8, %t11 : vector<1x{T}>
%neg = arith.negf %u9 : vector<1x{T}>
%r = math.tanh %neg : vector<1x{T}>
""".strip().splitlines()


@pytest.mark.parametrize("dtype", ["f64", "f32"])
@pytest.mark.parametrize("kind,axis", [
    ("sum", "j"), ("sum", "i"), ("min", "j"), ("max", "i"), ("argmin", "j"),
    ("argmax", "i"), ("min_argmin", "j"), ("max_argmax", "j"),
    ("kmin", "j"), ("argkmin", "i"), ("kmin_argkmin", "j"),
    ("logsumexp", "j"), ("logsumexp", "i")])
def test_composite(kind, axis, dtype, rng):
    x = rng.normal(size=(7, 3))
    y = rng.normal(size=(6, 3))
    x[0, 1] = -0.0
    y[1, 2] = 0.0
    if kind not in ("sum", "logsumexp"):  # NaN would make every row NaN
        y[2, 0] = NAN
    p = rng.normal(size=9)
    k = 3 if kind.startswith(("kmin", "argkmin")) else None
    before = check([("x", "i", x), ("y", "j", y), ("p", "p", p)], COMPOSITE,
                   [1], dtype, kind=kind, axis=axis, k=k, extra_j=False)
    # The interpreter sums over the reduced axis with a compensated sum, and
    # every formula value matches: all outputs are exact.
    assert len(before) == len(INDEX_KINDS.get(kind, [False]))
    assert np.isfinite(before[0]).any()


def test_sumsoftmaxweight_with_expanded_weights(rng):
    x, y = rng.normal(size=(5, 2)), rng.normal(size=(8, 2))
    body = ["%d = keops.sqdist %x, %y : vector<2x{T}>",
            "%r = arith.negf %d : vector<1x{T}>",
            "%w = keops.tensorprod %x, %y : vector<2x{T}>, vector<2x{T}>"]
    module, arrays = reduction([("x", "i", x), ("y", "j", y)], body, [1, 4],
                               "f64", kind="sumsoftmaxweight", extra_j=False)
    expanded = expand(module)
    for b, a in zip(evaluate(module, arrays), evaluate(expanded, arrays)):
        assert_same(b, a, 0.0, what=module)


def test_expanded_ops_are_upstream_only(rng):
    """The expanded composite formula holds only the ops of isFormulaOp and
    isExpandedFormulaOp (the verifier of keops.reduce checks it too when
    keops-run parses the module)."""
    module, _ = reduction(
        [("x", "i", rng.normal(size=(2, 3))), ("y", "j", rng.normal(size=(2, 3))),
         ("p", "p", rng.normal(size=9))], COMPOSITE, [1], "f64", kind="sum",
        extra_j=False)
    expanded = expand(module)
    body = expanded.split("^bb0", 1)[1].split("keops.yield", 1)[0]
    ops = set(re.findall(r"=\s+([a-z_]+\.[a-z_]+)", body))
    allowed = {
        "arith.constant", "arith.addf", "arith.subf", "arith.mulf",
        "arith.divf", "arith.negf", "arith.maximumf", "arith.minimumf",
        "arith.cmpf", "arith.select", "arith.uitofp", "arith.andi",
        "arith.ori", "arith.xori", "math.exp", "math.log", "math.sin",
        "math.cos", "math.tan", "math.asin", "math.acos", "math.atan",
        "math.atan2", "math.sinh", "math.cosh", "math.tanh", "math.sqrt",
        "math.rsqrt", "math.absf", "math.floor", "math.ceil", "math.powf",
        "math.erf", "math.fma", "math.copysign", "math.round", "math.trunc",
        "vector.broadcast", "vector.extract_strided_slice", "vector.shuffle",
        "vector.reduction", "vector.extract", "vector.from_elements",
        "vector.insert", "vector.fma"}
    assert ops and ops <= allowed, ops - allowed
