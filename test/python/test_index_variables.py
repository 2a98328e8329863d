"""Index variables (i32 / i64 inputs) and keops.select_index, through the
reference interpreter (keops.reference) and the CPU backend (keops._capi),
against NumPy gathers and scatters computed independently.

- gather: `sum over j of select_index(idx_i, v_j)` is v[idx[i, c], c] for
  each component c (0 where idx[i, c] is no row of v); over i, the same with
  idx a j variable and v an i variable;
- scatter: `sum over i of select_index(idx_i, w_i) at j` adds w_i[c] into row
  idx[i, c] (NumPy's add.at); over j, the same `at i`;
- sizes around the CPU tiles (32 rows per iteration for f32, 16 for f64);
  the runtime splits rows into chunks, so kept indices are checked past the
  first chunk;
- NaN and infinities in values that are not selected give exactly +0;
- the gradient through a min: forward `min_argmin over j`, then the
  derivative with respect to x_i (a sum over j of the selected terms) and
  to y_j (a sum over i `at j`), with keops.grad expanded by
  -keops-expand-grad, against the analytic derivative.
"""

import subprocess

import numpy as np
import pytest

from keops import _capi, reference
from keops._tools import tool_path
from keops.reference import InterpreterError

from conftest import compile_module

pytestmark = pytest.mark.usefixtures("keops_cache_dir")

FLOAT = {"f32": np.float32, "f64": np.float64}
INT = {"i32": np.int32, "i64": np.int64}
SIZES = [(1, 1), (1, 257), (257, 1), (7, 33), (33, 7), (100, 257), (257, 100)]
D = 3


def _size_id(s):
    return f"M{s[0]}-N{s[1]}"


def module(kind, axis, variables, body, result, width, index_out=None):
    """A function holding one keops.reduce. variables: (name, category, dim,
    element type); the body refers to variable `name` as `%name` and yields
    `result` (dimension `width`, element type {T}). index_out: the element
    type of a second, index output (min_argmin)."""
    ftype = next(t for _, _, _, t in variables if t.startswith("f"))

    def shaped(c, d, t):
        return f"tensor<{d}x{t}>" if c == "p" else f"tensor<?x{d}x{t}>"

    outs = [f"tensor<?x{width}x{ftype}>"]
    if index_out:
        outs.append(f"tensor<?x{width}x{index_out}>")
    fargs = [f"%arg_{n}: {shaped(c, d, t)}" for n, c, d, t in variables]
    fargs += [f"%out{k}: {t}" for k, t in enumerate(outs)]
    ins = ", ".join(f"%arg_{n} : {c} {shaped(c, d, t)}" for n, c, d, t in variables)
    outs_text = ", ".join(f"%out{k} : {t}" for k, t in enumerate(outs))
    bb = ", ".join(f"%{n}: vector<{d}x{t}>" for n, _, d, t in variables)
    lines = [f"func.func @f({', '.join(fargs)}) -> ({', '.join(outs)}) {{",
             f"  %res:{len(outs)} = keops.reduce {kind} over {axis} ins({ins})"
             f" outs({outs_text}) {{",
             f"  ^bb0({bb}):"]
    lines += ["    " + line.replace("{T}", ftype) for line in body]
    lines += [f"    keops.yield {result} : vector<{width}x{ftype}>",
              f"  }} -> {', '.join(outs)}",
              "  return " + ", ".join(f"%res#{k}" for k in range(len(outs)))
              + " : " + ", ".join(outs),
              "}"]
    return "\n".join(lines) + "\n"


def run_both(text, arrays, out_shapes, **options):
    """The outputs of the module through the interpreter and through the
    compiled kernel (in the kernel's own types)."""
    ref = reference.evaluate(text, list(arrays) + [np.zeros(s) for s in out_shapes])
    kernel = compile_module(text, **options).kernels[0]
    cpu = kernel(*arrays)
    return ref, cpu


def _indices(rng, shape, rows, itype):
    """Indices in [-2, rows + 2): some select nothing (negative or past the
    last row); with i64, some are row numbers plus 2^32, which must not be
    mistaken for the row itself."""
    idx = rng.integers(-2, rows + 2, shape).astype(np.int64)
    if itype == "i64":
        far = rng.random(shape) < 0.1
        idx[far] += 1 << 32
    return idx.astype(INT[itype])


def np_gather(v, idx):
    """out[r, c] = v[idx[r, c], c], 0 where idx[r, c] is no row of v."""
    rows = v.shape[0]
    ok = (idx >= 0) & (idx < rows)
    safe = np.where(ok, idx, 0).astype(np.int64)
    cols = np.arange(v.shape[1])[None, :]
    return np.where(ok, v.astype(np.float64)[safe, cols], 0.0)


def np_scatter(w, idx, rows):
    """out[t, c] = sum of w[r, c] over the r with idx[r, c] = t."""
    out = np.zeros((rows, w.shape[1]))
    for c in range(w.shape[1]):
        ok = (idx[:, c] >= 0) & (idx[:, c] < rows)
        np.add.at(out[:, c], idx[ok, c].astype(np.int64), w[ok, c].astype(np.float64))
    return out


# --------------------------------------------------------------------------
# Gather: sum over the reduced axis of select_index(idx, v) (reduced index)
# --------------------------------------------------------------------------

def gather_module(axis, ftype, itype):
    kept, reduced = ("i", "j") if axis == "j" else ("j", "i")
    return module("sum", axis,
                  [("v", reduced, D, ftype), ("idx", kept, D, itype)],
                  [f"%s = keops.select_index %idx, %v : vector<{D}x{itype}>,"
                   f" vector<{D}x{{T}}>"], "%s", D)


@pytest.mark.parametrize("size", SIZES, ids=_size_id)
@pytest.mark.parametrize("itype", ["i32", "i64"])
@pytest.mark.parametrize("ftype", ["f32", "f64"])
@pytest.mark.parametrize("axis", ["j", "i"])
def test_gather(axis, ftype, itype, size, rng):
    M, N = size
    kept_rows, reduced_rows = (M, N) if axis == "j" else (N, M)
    v = rng.normal(size=(reduced_rows, D)).astype(FLOAT[ftype])
    idx = _indices(rng, (kept_rows, D), reduced_rows, itype)
    expected = np_gather(v, idx)
    ref, cpu = run_both(gather_module(axis, ftype, itype), [v, idx],
                        [(kept_rows, D)])
    # One term is selected, the others are +0: exact in both.
    np.testing.assert_array_equal(ref[0], expected)
    assert cpu[0].dtype == FLOAT[ftype]
    np.testing.assert_array_equal(cpu[0].astype(np.float64), expected)
    assert not np.signbit(cpu[0][expected == 0]).any()


@pytest.mark.parametrize("ftype", ["f32", "f64"])
@pytest.mark.parametrize("axis", ["j", "i"])
def test_unselected_nan_and_inf_give_zero(axis, ftype, rng):
    """A selection, not a product with a mask: NaN and infinities in values
    that are not selected contribute exactly +0; selected ones come through."""
    kept_rows, reduced_rows = 70, 45
    v = rng.normal(size=(reduced_rows, D))
    idx = rng.integers(-1, reduced_rows // 2, (kept_rows, D)).astype(np.int64)
    # Every row of v past the first half is never selected: fill it with
    # NaN, +inf, -inf. Selected infinities come through.
    specials = np.array([np.nan, np.inf, -np.inf])
    v[reduced_rows // 2:] = specials[rng.integers(0, 3, (reduced_rows - reduced_rows // 2, D))]
    v[3, 1] = np.inf
    idx[5, 1] = 3
    v = v.astype(FLOAT[ftype])
    expected = np_gather(v, idx)
    assert not np.isnan(expected).any() and expected[5, 1] == np.inf
    ref, cpu = run_both(gather_module(axis, ftype, "i64"), [v, idx],
                        [(kept_rows, D)])
    np.testing.assert_array_equal(ref[0], expected)
    np.testing.assert_array_equal(cpu[0].astype(np.float64), expected)
    nothing = (idx < 0)
    assert (cpu[0][nothing] == 0).all() and not np.signbit(cpu[0][nothing]).any()
    assert (ref[0][nothing] == 0).all()


def test_out_of_range_indices_select_nothing(rng):
    """Negative indices, indices past the last row and, in i64, rows plus
    2^32 or -2^63 select nothing; the extremes of i32 too."""
    N = 40
    v = rng.normal(size=(N, D))
    idx64 = np.array([[-1, N, 1 << 32],
                      [(1 << 32) + 3, -(1 << 63), (1 << 63) - 1],
                      [0, N - 1, 5]], dtype=np.int64)
    idx32 = np.array([[-1, N, 2**31 - 1], [-2**31, 3, 39]], dtype=np.int32)
    for itype, idx in (("i64", idx64), ("i32", idx32)):
        expected = np_gather(v, idx)
        ref, cpu = run_both(gather_module("j", "f64", itype), [v, idx],
                            [(idx.shape[0], D)])
        np.testing.assert_array_equal(ref[0], expected)
        np.testing.assert_array_equal(cpu[0], expected)
    assert (np_gather(v, idx64)[:2] == 0).all()


# --------------------------------------------------------------------------
# Scatter: the kept axis' index (`at` the kept axis)
# --------------------------------------------------------------------------

@pytest.mark.parametrize("size", SIZES, ids=_size_id)
@pytest.mark.parametrize("itype", ["i32", "i64"])
@pytest.mark.parametrize("ftype", ["f32", "f64"])
@pytest.mark.parametrize("axis", ["i", "j"])
def test_scatter(axis, ftype, itype, size, rng):
    M, N = size
    kept, reduced = ("i", "j") if axis == "j" else ("j", "i")
    kept_rows, reduced_rows = (M, N) if axis == "j" else (N, M)
    # Small integers: every sum is exact in both precisions.
    w = rng.integers(-8, 9, (reduced_rows, D)).astype(FLOAT[ftype])
    idx = _indices(rng, (reduced_rows, D), kept_rows, itype)
    # One kept variable gives the number of kept rows.
    anchor = np.zeros((kept_rows, 1), dtype=FLOAT[ftype])
    text = module("sum", axis,
                  [("w", reduced, D, ftype), ("idx", reduced, D, itype),
                   ("anchor", kept, 1, ftype)],
                  [f"%s = keops.select_index %idx, %w at {kept} :"
                   f" vector<{D}x{itype}>, vector<{D}x{{T}}>"], "%s", D)
    expected = np_scatter(w, idx, kept_rows)
    ref, cpu = run_both(text, [w, idx, anchor], [(kept_rows, D)])
    np.testing.assert_array_equal(ref[0], expected)
    np.testing.assert_array_equal(cpu[0].astype(np.float64), expected)


def test_scatter_rows_split_over_threads(rng):
    """Many kept rows: the runtime hands chunks [begin, end) to threads, and
    the kept index of a chunk's rows starts at begin."""
    M, N = 3000, 2000
    w = rng.normal(size=(M, 2))
    idx = rng.integers(-1, N + 1, (M, 2)).astype(np.int64)
    anchor = np.zeros((N, 1))
    text = module("sum", "i",
                  [("w", "i", 2, "f64"), ("idx", "i", 2, "i64"),
                   ("anchor", "j", 1, "f64")],
                  ["%s = keops.select_index %idx, %w at j : vector<2xi64>,"
                   " vector<2xf64>"], "%s", 2)
    kernel = compile_module(text).kernels[0]
    expected = np_scatter(w, idx, N)
    for threads in (1, 2):
        _capi.set_num_threads(threads)
        try:
            out = kernel(w, idx, anchor)[0]
        finally:
            _capi.set_num_threads(0)
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------
# The gradient through a min
# --------------------------------------------------------------------------

def _expand_grad(text):
    proc = subprocess.run([str(tool_path("keops-opt")), "-", "-keops-expand-grad"],
                          input=text, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "keops.grad" not in proc.stdout
    return proc.stdout


F_BODY = ["%d = arith.subf %x, %y : vector<3x{T}>",
          "%f = arith.mulf %d, %d : vector<3x{T}>",
          "%s = math.sin %y : vector<3x{T}>",
          "%F = arith.addf %f, %s : vector<3x{T}>"]


def np_F(x, y):
    """F[i, j, c] = (x_ic - y_jc)^2 + sin(y_jc)."""
    return (x[:, None, :] - y[None, :, :]) ** 2 + np.sin(y)[None, :, :]


@pytest.mark.parametrize("ftype", ["f32", "f64"])
@pytest.mark.parametrize("itype", ["i32", "i64"])
def test_gradient_through_min(ftype, itype, rng):
    """out_i = min_j F(x_i, y_j) (per component) with idx_i its argmin. For a
    cotangent e_i, d<e, out>/dx_i = sum_j select_index(idx_i, dF/dx^T e_i)
    (a sum over j) and d<e, out>/dy_j = sum_i select_index(idx_i, dF/dy^T
    e_i) at j (a sum over i), both against the analytic derivative at the
    argmin."""
    M, N = 45, 37
    x = rng.normal(size=(M, D)).astype(FLOAT[ftype])
    y = rng.normal(size=(N, D)).astype(FLOAT[ftype])
    e = rng.normal(size=(M, D)).astype(FLOAT[ftype])
    rtol = 1e-12 if ftype == "f64" else 2e-5

    # Forward.
    forward = module("min_argmin", "j",
                     [("x", "i", D, ftype), ("y", "j", D, ftype)],
                     F_BODY, "%F", D, index_out=itype)
    kernel = compile_module(forward).kernels[0]
    vals, idx = kernel(x, y)
    assert idx.dtype == INT[itype]
    F = np_F(x.astype(np.float64), y.astype(np.float64))
    np.testing.assert_allclose(vals, F.min(axis=1), rtol=rtol, atol=1e-6)
    # The reference argmin of the same (rounded) values, where it is clear.
    expected_idx = F.argmin(axis=1)
    gap = np.sort(F, axis=1)[:, 1] - np.sort(F, axis=1)[:, 0]
    clear = gap > 1e-4
    assert (idx[clear] == expected_idx[clear]).all()

    # Backward, with the CPU's indices (the same values select the same
    # rows below).
    X, Y, E = (a.astype(np.float64) for a in (x, y, e))
    cols = np.arange(D)[None, :]
    ysel = Y[idx.astype(np.int64), cols]
    grad_x = 2 * (X - ysel) * E
    grad_y = np.zeros((N, D))
    for c in range(D):
        np.add.at(grad_y[:, c], idx[:, c].astype(np.int64),
                  (-2 * (X[:, c] - ysel[:, c]) + np.cos(ysel[:, c])) * E[:, c])

    dx = _expand_grad(module(
        "sum", "j",
        [("x", "i", D, ftype), ("y", "j", D, ftype), ("e", "i", D, ftype),
         ("idx", "i", D, itype)],
        F_BODY + [f"%c = keops.select_index %idx, %e : vector<{D}x{itype}>,"
                  " vector<3x{T}>",
                  "%g = keops.grad %F wrt %x, %c : vector<3x{T}>, vector<3x{T}>"],
        "%g", D))
    dy = _expand_grad(module(
        "sum", "i",
        [("x", "i", D, ftype), ("y", "j", D, ftype), ("e", "i", D, ftype),
         ("idx", "i", D, itype)],
        F_BODY + [f"%c = keops.select_index %idx, %e at j :"
                  f" vector<{D}x{itype}>, vector<3x{{T}}>",
                  "%g = keops.grad %F wrt %y, %c : vector<3x{T}>, vector<3x{T}>"],
        "%g", D))
    for text, expected, rows in ((dx, grad_x, M), (dy, grad_y, N)):
        ref, cpu = run_both(text, [x, y, e, idx], [(rows, D)])
        scale = np.abs(expected).max()
        np.testing.assert_allclose(ref[0], expected, rtol=1e-12, atol=1e-12 * scale)
        np.testing.assert_allclose(cpu[0], expected, rtol=rtol, atol=rtol * scale)


# --------------------------------------------------------------------------
# Types at the boundaries: the C API, _capi.Kernel and keops.reference
# --------------------------------------------------------------------------

def test_kernel_input_dtypes():
    text = module("sum", "j",
                  [("v", "j", 2, "f32"), ("a", "i", 2, "i32"), ("b", "p", 2, "i64")],
                  ["%s = keops.select_index %a, %v : vector<2xi32>, vector<2xf32>",
                   "%t = keops.select_index %b, %s at i : vector<2xi64>, vector<2xf32>"],
                  "%t", 2)
    kernel = compile_module(text).kernels[0]
    assert kernel.input_dtypes == [np.dtype(np.float32), np.dtype(np.int32),
                                   np.dtype(np.int64)]
    assert kernel.dtype == np.float32
    v = np.arange(10, dtype=np.float32).reshape(5, 2)
    a = np.array([[0, 4], [3, 3], [9, 1]])
    # Integer arrays of another width are converted when they fit.
    for a_in, b_in in ((a.astype(np.int64), np.array([0, 2], np.int32)),
                       (a.astype(np.int32), np.array([0, 2], np.uint8))):
        out = kernel(v, a_in, b_in)[0]
        # at i: component 0 keeps row i = 0, component 1 row i = 2.
        np.testing.assert_array_equal(out, [[0, 0], [0, 0], [0, 3]])

    with pytest.raises(TypeError, match=r"input 1 of f_kernel0 is an index variable "
                                        r"\(int32\): expected an int32 or int64 array, got float64"):
        kernel(v, a.astype(np.float64), np.array([0, 2]))
    with pytest.raises(TypeError, match="index variable .int64.*got bool"):
        kernel(v, a, np.array([True, False]))
    with pytest.raises(ValueError, match="holds 4294967305, out of the range of int32"):
        kernel(v, a + (1 << 32), np.array([0, 2]))
    with pytest.raises(ValueError, match="has shape"):
        kernel(v, a[:, :1], np.array([0, 2]))


def test_reference_index_arrays(rng):
    text = gather_module("j", "f64", "i32")
    v = rng.normal(size=(4, D))
    idx = np.array([[0, 1, 2], [3, 3, -1]], dtype=np.int16)
    out = reference.evaluate(text, [v, idx, np.zeros((2, D))])[0]
    np.testing.assert_array_equal(out, np_gather(v, idx))
    with pytest.raises(InterpreterError, match=r"argument #1 holds floating-point "
                                               r"values but its element type is 'i32'"):
        reference.evaluate(text, [v, idx.astype(np.float64), np.zeros((2, D))])
    with pytest.raises(InterpreterError, match="argument #1 holds 2147483648, "
                                               "which is not an 'i32' value"):
        reference.evaluate(text, [v, idx.astype(np.int64) + 2**31, np.zeros((2, D))])


def test_generated_index_inputs(tmp_path):
    """keops-run draws index variables as integers in [0, max(M, N)), and the
    CPU backend agrees with the interpreter on them."""
    src = tmp_path / "m.mlir"
    src.write_text(gather_module("j", "f64", "i64"))
    outs = []
    for backend in ("interp", "cpu"):
        proc = subprocess.run([str(tool_path("keops-run")), str(src), "-M", "9",
                               "-N", "6", "--seed", "5", "--backend", backend,
                               "--save-inputs", str(tmp_path)],
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        outs.append(proc.stdout)
    assert outs[0] == outs[1]
    idx = np.load(tmp_path / "arg1.npy")
    assert idx.dtype == np.int64 and idx.shape == (9, D)
    assert idx.min() >= 0 and idx.max() < 9
    v = np.load(tmp_path / "arg0.npy")
    rows = [list(map(float, line.split())) for line in outs[0].splitlines()[1:]]
    np.testing.assert_array_equal(np.array(rows), np_gather(v, idx))


def test_c_api_input_types():
    """keops_kernel_input_types: element widths and integer flags per input,
    NULL arrays allowed, an error for a kernel that does not exist."""
    import ctypes
    text = module("sum", "j",
                  [("a", "i", 2, "i64"), ("v", "j", 2, "f64"), ("b", "j", 2, "i32")],
                  ["%s = keops.select_index %a, %v : vector<2xi64>, vector<2xf64>",
                   "%t = keops.select_index %b, %s at i : vector<2xi32>, vector<2xf64>"],
                  "%t", 2)
    handle = compile_module(text)._handle
    lib = _capi._load()
    bits, is_int = (ctypes.c_int * 3)(), (ctypes.c_int * 3)()
    assert lib.keops_kernel_input_types(handle, 0, bits, is_int) == 0
    assert list(bits) == [64, 64, 32] and list(is_int) == [1, 0, 1]
    assert lib.keops_kernel_input_types(handle, 0, None, None) == 0
    assert lib.keops_kernel_input_types(handle, 1, bits, is_int) != 0
    assert "keops_kernel_input_types: no such kernel" in lib.keops_last_error().decode()
    assert lib.keops_kernel_input_types(None, 0, bits, is_int) != 0
