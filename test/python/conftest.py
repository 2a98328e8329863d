"""Helpers for the tests of the reference interpreter against NumPy.

`reduce_module` writes the MLIR text of a function holding one keops.reduce,
`run_reduce` builds it and evaluates it with `keops.reference.evaluate`, and
`pairwise` / `np_reduce` compute the same reduction densely with NumPy,
independently of the interpreter.
"""

import importlib.util
import math
import os
import sys
from pathlib import Path

import numpy as np
import pytest

# The tests exercise this checkout's package. A virtual environment may hold
# an editable install of another checkout, whose import hook would shadow
# python/ even when it is first on PYTHONPATH: drop such hooks for `keops`,
# and tell the subprocesses that tests start to skip them too
# (scikit-build-core's hooks honour SKBUILD_EDITABLE_SKIP) and to look in
# python/.
_PYTHON_DIR = Path(__file__).resolve().parents[2] / "python"
if str(_PYTHON_DIR) not in sys.path:
    sys.path.insert(0, str(_PYTHON_DIR))
if "keops" not in sys.modules:
    for _finder in list(sys.meta_path):
        _find = getattr(_finder, "find_spec", None)
        if _find is None or type(_finder).__module__.startswith("_frozen"):
            continue
        try:
            _spec = _find("keops", None)
        except Exception:
            continue
        if _spec is not None and _spec.origin and \
                not Path(_spec.origin).resolve().is_relative_to(_PYTHON_DIR):
            sys.meta_path.remove(_finder)
            if getattr(_finder, "path", None):
                os.environ["SKBUILD_EDITABLE_SKIP"] = os.pathsep.join(
                    filter(None, [os.environ.get("SKBUILD_EDITABLE_SKIP"), _finder.path]))
            os.environ["PYTHONPATH"] = os.pathsep.join(
                filter(None, [str(_PYTHON_DIR), os.environ.get("PYTHONPATH")]))
    assert Path(importlib.util.find_spec("keops").origin).resolve() \
        .is_relative_to(_PYTHON_DIR), "keops does not come from this checkout"

from keops import reference  # noqa: E402

VALUE_DTYPES = {"f16": np.float16, "f32": np.float32, "f64": np.float64}

# Which outputs of a reduction kind hold indices (from the table of
# keops.reduce's description).
INDEX_OUTPUTS = {
    "sum": (False,),
    "min": (False,),
    "max": (False,),
    "argmin": (True,),
    "argmax": (True,),
    "min_argmin": (False, True),
    "max_argmax": (False, True),
    "kmin": (False,),
    "argkmin": (True,),
    "kmin_argkmin": (False, True),
    "logsumexp": (False,),
    "sumsoftmaxweight": (False,),
}


def _shaped(cat, dim, t):
    return f"tensor<{dim}x{t}>" if cat == "p" else f"tensor<?x{dim}x{t}>"


def reduce_module(kind, axis, variables, body, yields, widths, k=None,
                  dtype="f32", index_type="i64", name="f"):
    """The MLIR text of `func.func @name` with one keops.reduce.

    variables: list of (name, category, dim); the block argument of variable
      `name` is `%name`, so the formula refers to it as `%name`.
    body: formula lines; `{T}` stands for the element type.
    yields: list of (value, dim), e.g. [("%r", 1)].
    widths: the width of each output; index outputs (from the kind) get
      `index_type`, the others the element type.
    The function takes the variables in order, then the outputs.
    """
    t = dtype
    out_types = [
        f"tensor<?x{w}x{index_type if is_index else t}>"
        for w, is_index in zip(widths, INDEX_OUTPUTS[kind])
    ]
    assert len(out_types) == len(widths), "wrong number of output widths"
    fargs = [f"%arg_{n}: {_shaped(c, d, t)}" for n, c, d in variables]
    fargs += [f"%out{o}: {ty}" for o, ty in enumerate(out_types)]
    ins = ", ".join(f"%arg_{n} : {c} {_shaped(c, d, t)}" for n, c, d in variables)
    outs = ", ".join(f"%out{o} : {ty}" for o, ty in enumerate(out_types))
    bbargs = ", ".join(f"%{n}: vector<{d}x{t}>" for n, c, d in variables)
    kk = f" k = {k}" if k is not None else ""
    lines = [
        f"func.func @{name}({', '.join(fargs)}) -> ({', '.join(out_types)}) {{",
        f"  %res:{len(widths)} = keops.reduce {kind}{kk} over {axis}"
        f" ins({ins}) outs({outs}) {{",
        f"  ^bb0({bbargs}):",
    ]
    lines += ["    " + line.replace("{T}", t) for line in body]
    yv = ", ".join(v for v, _ in yields)
    yt = ", ".join(f"vector<{d}x{t}>" for _, d in yields)
    lines.append(f"    keops.yield {yv} : {yt}")
    lines.append(f"  }} -> {', '.join(out_types)}")
    rets = ", ".join(f"%res#{o}" for o in range(len(widths)))
    lines.append(f"  return {rets} : {', '.join(out_types)}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def cast_inputs(arrays, dtype):
    """The arrays in the element type of the module (as the interpreter will
    round them), so that NumPy sees the same values."""
    return [np.ascontiguousarray(np.asarray(a, dtype=VALUE_DTYPES[dtype]))
            for a in arrays]


def _rows(variables, arrays, cat):
    for (_, c, _), a in zip(variables, arrays):
        if c == cat:
            return np.asarray(a).shape[0]
    return None


def run_reduce(kind, axis, variables, arrays, body, yields, widths, k=None,
               dtype="f32", index_type="i64", kept_rows=None):
    """Builds the module and evaluates it on `arrays` (one per variable, cast
    to `dtype` first). Returns the list of outputs (float64 / int64)."""
    arrays = cast_inputs(arrays, dtype)
    kept = "i" if axis == "j" else "j"
    rows = kept_rows if kept_rows is not None else _rows(variables, arrays, kept)
    assert rows is not None, "give kept_rows: no variable of the kept axis"
    module = reduce_module(kind, axis, variables, body, yields, widths, k=k,
                           dtype=dtype, index_type=index_type)
    outs = []
    for w, is_index in zip(widths, INDEX_OUTPUTS[kind]):
        dt = {"i32": np.int32, "i64": np.int64}[index_type] if is_index \
            else VALUE_DTYPES[dtype]
        outs.append(np.zeros((rows, w), dtype=dt))
    return reference.evaluate(module, arrays + outs)


def pairwise(fn, variables, arrays, dtype=None, M=None, N=None):
    """F[i, j] = fn(*values of the variables for the pair (i, j)), in float64,
    as an (M, N, D) array. With `dtype`, the inputs are first rounded to it."""
    if dtype is not None:
        arrays = cast_inputs(arrays, dtype)
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    if M is None:
        M = _rows(variables, arrays, "i")
    if N is None:
        N = _rows(variables, arrays, "j")
    assert M is not None and N is not None
    out = None
    for i in range(M):
        for j in range(N):
            vals = []
            for (_, c, _), a in zip(variables, arrays):
                vals.append(a[i] if c == "i" else a[j] if c == "j" else a)
            with np.errstate(all="ignore"):
                v = np.atleast_1d(np.asarray(fn(*vals), dtype=np.float64))
            if out is None:
                out = np.empty((M, N, v.shape[0]))
            out[i, j] = v
    if out is None:  # M or N is 0: the caller builds the empty F itself.
        raise ValueError("pairwise needs M, N > 0")
    return out


def _exact_sum(col):
    """The correctly rounded sum (math.fsum); IEEE float sums where fsum
    cannot (infinities, overflow)."""
    try:
        return math.fsum(col)
    except (OverflowError, ValueError):
        with np.errstate(all="ignore"):
            return float(np.sum(col))


def _order(col, is_min):
    """Stable order of a 1-D column: NumPy's argsort puts NaN last, which is
    the documented order for both min kinds (NaN largest) and max kinds (NaN
    smallest, i.e. last when sorting by decreasing value)."""
    return np.argsort(col if is_min else -col, kind="stable")


def np_reduce(kind, F, axis, k=None, W=None):
    """Dense NumPy reference of a reduction kind.

    F: (M, N, D) formula values; W: (M, N, E) second yielded values (weights
    of logsumexp, v of sumsoftmaxweight). Returns the list of outputs.
    """
    if axis == "i":
        F = np.swapaxes(F, 0, 1)
        if W is not None:
            W = np.swapaxes(W, 0, 1)
    R, C, D = F.shape
    if kind == "sum":
        return [np.array([[_exact_sum(F[r, :, d]) for d in range(D)]
                          for r in range(R)]).reshape(R, D)]
    if kind in ("min", "max", "argmin", "argmax", "min_argmin", "max_argmax",
                "kmin", "argkmin", "kmin_argkmin"):
        is_min = kind in ("min", "argmin", "min_argmin", "kmin", "argkmin",
                          "kmin_argkmin")
        kk = k if kind in ("kmin", "argkmin", "kmin_argkmin") else 1
        vals = np.full((R, kk, D), np.inf if is_min else -np.inf)
        idx = np.full((R, kk, D), -1, dtype=np.int64)
        for r in range(R):
            for d in range(D):
                o = _order(F[r, :, d], is_min)[:kk]
                vals[r, :len(o), d] = F[r, o, d]
                idx[r, :len(o), d] = o
        vals = vals.reshape(R, kk * D)
        idx = idx.reshape(R, kk * D)
        return {"min": [vals], "max": [vals], "kmin": [vals],
                "argmin": [idx], "argmax": [idx], "argkmin": [idx],
                "min_argmin": [vals, idx], "max_argmax": [vals, idx],
                "kmin_argkmin": [vals, idx]}[kind]
    if kind == "logsumexp":
        from scipy.special import logsumexp
        f = F[:, :, 0]
        if W is None:
            return [np.array([logsumexp(f[r]) if C else -np.inf
                              for r in range(R)]).reshape(R, 1)]
        E = W.shape[2]
        return [np.array([[logsumexp(f[r], b=W[r, :, e]) if C else -np.inf
                           for e in range(E)] for r in range(R)]).reshape(R, E)]
    if kind == "sumsoftmaxweight":
        f = F[:, :, 0]
        E = W.shape[2]
        out = np.full((R, E), np.nan)
        for r in range(R):
            if C == 0:
                continue
            p = np.exp(f[r] - f[r].max())
            out[r] = (p[:, None] * W[r]).sum(0) / p.sum()
        return [out]
    raise ValueError(kind)


def assert_close(actual, expected, rtol=1e-12, atol=0.0):
    """Values: allclose with NaN == NaN and equal infinities; indices: equal."""
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    if expected.dtype.kind == "i":
        assert actual.dtype == np.int64, actual.dtype
        np.testing.assert_array_equal(actual, expected)
    else:
        assert actual.dtype == np.float64, actual.dtype
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol,
                                   equal_nan=True)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# --------------------------------------------------------------------------
# The CPU backend (keops._capi): the same modules, compiled
# --------------------------------------------------------------------------

@pytest.fixture(scope="session")
def keops_cache_dir(tmp_path_factory):
    """KEOPS_CACHE_DIR for the whole session: a fresh directory, so that no
    test depends on (or fills) ~/.cache/keops-mlir. The runtime reads the
    variable once, at its first compilation: request this fixture before
    compiling anything (test_cpu_backend.py uses it for every test)."""
    path = tmp_path_factory.mktemp("keops-cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("KEOPS_CACHE_DIR", str(path))
    yield path
    mp.undo()


_COMPILED = {}


def compile_module(module, **options):
    """keops._capi.CompiledModule(module, **options), once per (text,
    options) in this process."""
    from keops import _capi
    key = (module, tuple(sorted(options.items())))
    if key not in _COMPILED:
        _COMPILED[key] = _capi.CompiledModule(module, **options)
    return _COMPILED[key]


def cpu_reduce(kind, axis, variables, arrays, body, yields, widths, k=None,
               dtype="f32", index_type="i64", kept_rows=None, raw=False,
               **options):
    """Like `run_reduce`, through the compiled kernel of the CPU backend
    (compile options such as accumulation= go to CompiledModule). Returns
    the outputs as float64 / int64 arrays (in the kernel's own types with
    raw=True)."""
    arrays = cast_inputs(arrays, dtype)
    module = reduce_module(kind, axis, variables, body, yields, widths, k=k,
                           dtype=dtype, index_type=index_type)
    kernel = compile_module(module, **options).kernels[0]
    M, N = _rows(variables, arrays, "i"), _rows(variables, arrays, "j")
    if kept_rows is not None:
        if axis == "j":
            M = kept_rows
        else:
            N = kept_rows
    outs = kernel(*arrays, M=M, N=N)
    if raw:
        return outs
    return [o.astype(np.int64 if o.dtype.kind == "i" else np.float64)
            for o in outs]
