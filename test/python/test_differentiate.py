"""Gradients of reductions (keops.reduce_grad, keops-differentiate).

Every gradient is checked against central finite differences of an
independent NumPy evaluation of the forward reduction, in double precision
through the reference interpreter; the compiled CPU kernels are checked
against the interpreter, f32 and f64. A second-order case (a Hessian-vector
product) is checked against finite differences of the NumPy gradient.
"""

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from keops._tools import tool_path
from keops.reference import evaluate

# The formula, for one pair: F = sin(p * <x_i, y_j>) * b_j + |x_i - y_j|^2,
# with x (i, 2), y (j, 2), b (j, 1), p (parameter, 1), and for the kinds that
# take a second value a positive weight w_ij = (b_j^2, b_j x_i^2) (3 values).
VARS = [("x", "i", 2), ("y", "j", 2), ("b", "j", 1), ("p", "p", 1)]

BODY = """
    %d = keops.dot %x, %y : vector<2x{T}>
    %dp = arith.mulf %d, %p : vector<1x{T}>
    %s = math.sin %dp : vector<1x{T}>
    %sb = arith.mulf %s, %b : vector<1x{T}>
    %q = keops.sqdist %x, %y : vector<2x{T}>
    %f = arith.addf %sb, %q : vector<1x{T}>
    %b2 = arith.mulf %b, %b : vector<1x{T}>
    %b3 = vector.broadcast %b : vector<1x{T}> to vector<2x{T}>
    %yy = arith.mulf %x, %x : vector<2x{T}>
    %by = arith.mulf %b3, %yy : vector<2x{T}>
    %w = vector.shuffle %b2, %by [0, 1, 2] : vector<1x{T}>, vector<2x{T}>
"""


def np_pairs(x, y, b, p):
    """F (M, N) and w (M, N, 3) densely."""
    f = np.sin(p[0] * (x @ y.T)) * b[:, 0][None] + ((x[:, None] - y[None]) ** 2).sum(-1)
    M, N = f.shape
    w = np.concatenate([np.broadcast_to((b**2)[None], (M, N, 1)),
                        b[None] * (x * x)[:, None]], axis=2)
    return f, w


def np_reduce(kind, axis, x, y, b, p):
    f, w = np_pairs(x, y, b, p)
    if axis == "i":  # rows of the output are j
        f, w = f.T, np.transpose(w, (1, 0, 2))
    if kind == "sum":
        return f.sum(1, keepdims=True)
    if kind == "logsumexp":
        m = f.max(1, keepdims=True)
        return m + np.log(np.exp(f - m).sum(1, keepdims=True))
    if kind == "logsumexp_w":
        m = f.max(1, keepdims=True)
        return m + np.log((np.exp(f - m)[:, :, None] * w).sum(1))
    if kind == "sumsoftmaxweight":
        e = np.exp(f - f.max(1, keepdims=True))
        return (e[:, :, None] * w).sum(1) / e.sum(1, keepdims=True)
    if kind in ("min", "min_argmin"):
        return f.min(1, keepdims=True)
    if kind in ("max", "max_argmax"):
        return f.max(1, keepdims=True)
    if kind in ("kmin", "kmin_argkmin"):
        return np.sort(f, axis=1)[:, :K]
    raise ValueError(kind)


K = 3
INDEXED = ("min_argmin", "max_argmax", "kmin_argkmin")


def width(kind):
    if kind in ("kmin", "kmin_argkmin"):
        return K
    return 3 if kind in ("logsumexp_w", "sumsoftmaxweight") else 1


def module(kind, axis, wrt, dtype="f64"):
    """A function: the forward reduction and its gradient w.r.t. `wrt`.

    Arguments: x, y, b, p, the forward output(s), the cotangent; results: the
    gradients in the order of `wrt`.
    """
    t = dtype
    op = "logsumexp" if kind == "logsumexp_w" else kind
    if kind.startswith("kmin"):
        op += f" k = {K}"
    two = kind in ("logsumexp_w", "sumsoftmaxweight")
    yields = "%f, %w : vector<1x{T}>, vector<3x{T}>" if two else "%f : vector<1x{T}>"
    w = width(kind)
    ty = lambda c, d: f"tensor<{d}x{t}>" if c == "p" else f"tensor<?x{d}x{t}>"
    outs = [f"tensor<?x{w}x{t}>"] + ([f"tensor<?x{w}xi64>"] if kind in INDEXED else [])
    args = [f"%A{n}: {ty(c, d)}" for n, c, d in VARS]
    args += [f"%o{k}: {o}" for k, o in enumerate(outs)] + [f"%e: tensor<?x{w}x{t}>"]
    ins = ", ".join(f"%A{n} : {c} {ty(c, d)}" for n, c, d in VARS)
    outs_text = ", ".join(f"%o{k} : {o}" for k, o in enumerate(outs))
    grads = [ty(VARS[k][1], VARS[k][2]) for k in wrt]
    lines = [
        f"func.func @f({', '.join(args)}) -> ({', '.join(grads)}) {{",
        f"  %r:{len(outs)} = keops.reduce {op} over {axis} ins({ins}) outs({outs_text}) {{",
        f"  ^bb0(%x: vector<2x{{T}}>, %y: vector<2x{{T}}>, %b: vector<1x{{T}}>, %p: vector<1x{{T}}>):",
        BODY,
        f"    keops.yield {yields}",
        f"  }} -> {', '.join(outs)}",
        f"  %g:{len(wrt)} = keops.reduce_grad %r#0 wrt [{', '.join(map(str, wrt))}], %e"
        f" : {outs[0]}, tensor<?x{w}x{t}> -> {', '.join(grads)}",
        f"  return {', '.join(f'%g#{k}' for k in range(len(wrt)))} : {', '.join(grads)}",
        "}",
    ]
    return "\n".join(lines).replace("{T}", t)


def draw(M, N, rng):
    return [rng.normal(size=(M, 2)), rng.normal(size=(N, 2)),
            rng.uniform(0.5, 1.5, size=(N, 1)), np.array([0.8])]


def central_differences(fn, arrays, e, k, h=1e-6):
    """The gradient of <fn(*arrays), e> w.r.t. arrays[k], by central finite
    differences of step h."""
    g = np.zeros_like(arrays[k])
    for idx in np.ndindex(g.shape):
        plus = [a.copy() for a in arrays]
        minus = [a.copy() for a in arrays]
        plus[k][idx] += h
        minus[k][idx] -= h
        g[idx] = ((fn(*plus) - fn(*minus)) * e).sum() / (2 * h)
    return g


def finite_differences(kind, axis, arrays, e, k, h=1e-6):
    return central_differences(lambda *a: np_reduce(kind, axis, *a), arrays, e, k, h)


def inputs(kind, axis, arrays, e):
    M, N = arrays[0].shape[0], arrays[1].shape[0]
    rows = M if axis == "j" else N
    outs = [np.zeros((rows, width(kind)))]
    if kind in INDEXED:
        outs.append(np.zeros((rows, width(kind)), dtype=np.int64))
    return arrays + outs + [e]


SMOOTH = ["sum", "logsumexp", "logsumexp_w", "sumsoftmaxweight"]


@pytest.mark.parametrize("axis", ["j", "i"])
@pytest.mark.parametrize("kind", SMOOTH)
def test_gradient_matches_finite_differences(kind, axis):
    rng = np.random.default_rng(hash((kind, axis)) % 2**32)
    arrays = draw(5, 7, rng)
    rows = 5 if axis == "j" else 7
    e = rng.normal(size=(rows, width(kind)))
    grads = evaluate(module(kind, axis, [0, 1, 2, 3]), inputs(kind, axis, arrays, e))
    for k, g in enumerate(grads):
        want = finite_differences(kind, axis, arrays, e, k)
        assert g.shape == arrays[k].shape
        np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-7,
                                   err_msg=f"gradient w.r.t. {VARS[k][0]}")


@pytest.mark.parametrize("wrt", [[0], [1], [3], [2, 0], [3, 1, 2]])
def test_any_subset_and_order_of_inputs(wrt):
    rng = np.random.default_rng(7)
    arrays = draw(4, 6, rng)
    e = rng.normal(size=(4, 1))
    grads = evaluate(module("sum", "j", wrt), inputs("sum", "j", arrays, e))
    assert len(grads) == len(wrt)
    for g, k in zip(grads, wrt):
        np.testing.assert_allclose(g, finite_differences("sum", "j", arrays, e, k),
                                   rtol=1e-6, atol=1e-7)


SELECTING = ["min", "max", "min_argmin", "max_argmax", "kmin", "kmin_argkmin"]


@pytest.mark.parametrize("axis", ["j", "i"])
@pytest.mark.parametrize("kind", SELECTING)
def test_gradient_through_the_selected_terms(kind, axis):
    # Away from ties min and K-min are smooth: their finite differences are
    # the gradients of the selected terms.
    rng = np.random.default_rng(hash((kind, axis, 1)) % 2**32)
    arrays = draw(5, 7, rng)
    rows = 5 if axis == "j" else 7
    e = rng.normal(size=(rows, width(kind)))
    grads = evaluate(module(kind, axis, [0, 1, 2, 3]), inputs(kind, axis, arrays, e))
    for k, g in enumerate(grads):
        want = finite_differences(kind, axis, arrays, e, k)
        np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-7,
                                   err_msg=f"gradient w.r.t. {VARS[k][0]}")


def test_min_gradient_ignores_nan_in_unselected_terms():
    # f = log(x - y): NaN wherever y > x, but the minimum over j of a row
    # with some y < x is finite, and so is its gradient.
    text = """
func.func @f(%x: tensor<?x1xf64>, %y: tensor<?x1xf64>, %o: tensor<?x1xf64>, %e: tensor<?x1xf64>)
    -> (tensor<?x1xf64>, tensor<?x1xf64>) {
  %r = keops.reduce min over j ins(%x : i tensor<?x1xf64>, %y : j tensor<?x1xf64>) outs(%o : tensor<?x1xf64>) {
  ^bb0(%a: vector<1xf64>, %b: vector<1xf64>):
    %d = arith.subf %a, %b : vector<1xf64>
    %l = math.log %d : vector<1xf64>
    keops.yield %l : vector<1xf64>
  } -> tensor<?x1xf64>
  %gx, %gy = keops.reduce_grad %r wrt [0, 1], %e : tensor<?x1xf64>, tensor<?x1xf64> -> tensor<?x1xf64>, tensor<?x1xf64>
  return %gx, %gy : tensor<?x1xf64>, tensor<?x1xf64>
}
"""
    x = np.array([[3.0], [5.0]])
    y = np.array([[1.0], [4.5], [9.0]])
    e = np.array([[1.0], [2.0]])
    gx, gy = evaluate(text, [x, y, np.zeros((2, 1)), e])
    # Row 0: min over {log 2, log(-1.5)=nan, log(-6)=nan}: NaN compares larger
    # than numbers, so j = 0 is selected; row 1: log(0.5) at j = 1.
    np.testing.assert_allclose(gx[:, 0], [1 / 2, 2 / 0.5])
    np.testing.assert_allclose(gy[:, 0], [-1 / 2, -2 / 0.5, 0.0])


def test_argmin_has_zero_gradient():
    rng = np.random.default_rng(3)
    arrays = draw(4, 6, rng)
    text = module("sum", "j", [0, 1]).replace("keops.reduce sum", "keops.reduce argmin")
    text = text.replace("%r:1 = ", "%r:1 = ").replace("outs(%o0 : tensor<?x1xf64>)", "outs(%o0 : tensor<?x1xi64>)")
    text = text.replace("} -> tensor<?x1xf64>\n", "} -> tensor<?x1xi64>\n")
    text = text.replace("%r#0 wrt [0, 1], %e : tensor<?x1xf64>,", "%r#0 wrt [0, 1], %e : tensor<?x1xi64>,")
    text = text.replace("%o0: tensor<?x1xf64>", "%o0: tensor<?x1xi64>")
    ins = arrays + [np.zeros((4, 1), dtype=np.int64), rng.normal(size=(4, 1))]
    gx, gy = evaluate(text, ins)
    assert gx.shape == (4, 2) and gy.shape == (6, 2)
    assert not gx.any() and not gy.any()


HVP = """
func.func @f(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %b: tensor<?x1xf64>, %o: tensor<?x1xf64>,
             %e: tensor<?x1xf64>, %u: tensor<?x3xf64>) -> (tensor<?x3xf64>, tensor<?x3xf64>, tensor<?x1xf64>) {
  %r = keops.reduce sum over j
      ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %b : j tensor<?x1xf64>)
      outs(%o : tensor<?x1xf64>) {
  ^bb0(%xi: vector<3xf64>, %yj: vector<3xf64>, %bj: vector<1xf64>):
    %d = keops.sqdist %xi, %yj : vector<3xf64>
    %n = arith.negf %d : vector<1xf64>
    %k = math.exp %n : vector<1xf64>
    %f = arith.mulf %k, %bj : vector<1xf64>
    keops.yield %f : vector<1xf64>
  } -> tensor<?x1xf64>
  %gx = keops.reduce_grad %r wrt [0], %e : tensor<?x1xf64>, tensor<?x1xf64> -> tensor<?x3xf64>
  %hx, %hy, %he = keops.reduce_grad %gx wrt [0, 1, 3], %u
      : tensor<?x3xf64>, tensor<?x3xf64> -> tensor<?x3xf64>, tensor<?x3xf64>, tensor<?x1xf64>
  return %hx, %hy, %he : tensor<?x3xf64>, tensor<?x3xf64>, tensor<?x1xf64>
}
"""


def test_second_order_matches_finite_differences_of_the_gradient():
    rng = np.random.default_rng(11)
    M, N = 4, 5
    x, y = rng.normal(size=(M, 3)), rng.normal(size=(N, 3))
    b, e, u = rng.normal(size=(N, 1)), rng.normal(size=(M, 1)), rng.normal(size=(M, 3))

    def grad_x(x, y, e):
        diff = x[:, None] - y[None]
        k = np.exp(-(diff**2).sum(-1)) * b[:, 0][None]
        return (-2 * diff * (k * e)[:, :, None]).sum(1)

    hx, hy, he = evaluate(HVP, [x, y, b, np.zeros((M, 1)), e, u])
    for got, k in ((hx, 0), (hy, 1), (he, 2)):
        want = central_differences(grad_x, [x, y, e], u, k)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def run_cpu(text, arrays, dtype):
    """keops-run with the compiled CPU kernels; returns the outputs."""
    with tempfile.TemporaryDirectory(prefix="keops-grad-") as tmp:
        tmp = Path(tmp)
        (tmp / "m.mlir").write_text(text)
        cmd = [str(tool_path("keops-run")), str(tmp / "m.mlir"), "--quiet",
               "--backend=cpu", "--output-dir", str(tmp)]
        for k, a in enumerate(arrays):
            a = a.astype(dtype) if a.dtype.kind == "f" else a
            np.save(tmp / f"a{k}.npy", a)
            cmd += ["--input", f"{k}={tmp / f'a{k}.npy'}"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        outs = sorted(tmp.glob("out*.npy"), key=lambda p: int(p.stem[3:]))
        return [np.load(p) for p in outs]


@pytest.mark.parametrize("dtype", ["f32", "f64"])
@pytest.mark.parametrize("kind,axis", [("sum", "j"), ("sum", "i"), ("logsumexp_w", "j"),
                                       ("sumsoftmaxweight", "i"), ("min", "j"),
                                       ("max_argmax", "i"), ("kmin", "j"), ("kmin_argkmin", "i")])
def test_cpu_kernels_match_the_interpreter(kind, axis, dtype):
    rng = np.random.default_rng(5)
    M, N = 37, 70  # not multiples of the vector widths
    arrays = draw(M, N, rng)
    e = rng.normal(size=(M if axis == "j" else N, width(kind)))
    ins = inputs(kind, axis, arrays, e)
    ref = evaluate(module(kind, axis, [0, 1, 2, 3], dtype), ins)
    got = run_cpu(module(kind, axis, [0, 1, 2, 3], dtype), ins,
                  np.float32 if dtype == "f32" else np.float64)
    tol = 2e-4 if dtype == "f32" else 1e-10
    for g, r in zip(got, ref):
        assert g.shape == r.shape
        np.testing.assert_allclose(g, r, rtol=tol, atol=tol * np.abs(r).max())


@pytest.mark.parametrize("kind,axis", [("sum", "j"), ("sumsoftmaxweight", "i"), ("kmin", "j")])
def test_whole_gradient_functions_through_the_runtime(kind, axis):
    # keops_run_function: the runtime runs the forward, the gradient
    # reductions and the parameter sums in order, and returns the slices.
    from keops._capi import CompiledModule
    rng = np.random.default_rng(9)
    arrays = draw(33, 50, rng)
    e = rng.normal(size=(33 if axis == "j" else 50, width(kind)))
    ins = inputs(kind, axis, arrays, e)
    ref = evaluate(module(kind, axis, [0, 1, 2, 3]), ins)
    fn = CompiledModule(module(kind, axis, [0, 1, 2, 3])).functions["f"]
    got = fn(*ins[:4], ins[4].shape[0], ins[5])
    for g, r in zip(got, ref):
        assert g.shape == r.shape and g.dtype == np.float64
        np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-12)


def test_run_function_errors():
    from keops._capi import CompiledModule, KeopsError
    mod = CompiledModule(module("sum", "j", [0]))
    fn = mod.functions["f"]
    with pytest.raises(ValueError, match="takes 6 arguments"):
        fn(1, 2)
    # An int stands for an array of that many rows that has no data.
    with pytest.raises(KeopsError, match="argument #0 is read by a reduction but is a null pointer"):
        fn(3, np.zeros((4, 2)), np.zeros((4, 1)), np.zeros(1), 3, np.zeros((3, 1)))
    # Rows that disagree: x and the cotangent e, both of the i rows, would
    # be read past the end of the shorter.
    with pytest.raises(KeopsError, match="argument #5 has 3 rows, but the other i variables "
                                         "of its reduction have 2"):
        fn(np.zeros((2, 2)), np.zeros((4, 2)), np.zeros((4, 1)), np.zeros(1), 3, np.zeros((3, 1)))
    # None is an empty array, of 0 rows.
    with pytest.raises(KeopsError, match="argument #5 has 3 rows, but the other i variables "
                                         "of its reduction have 0"):
        fn(None, np.zeros((4, 2)), np.zeros((4, 1)), np.zeros(1), 3, np.zeros((3, 1)))


PARAM2 = """
func.func @f(%x: tensor<?x3xf64>, %y: tensor<?x3xf64>, %s: tensor<1xf64>, %o: tensor<?x1xf64>,
             %e: tensor<?x1xf64>, %c: tensor<1xf64>)
    -> (tensor<?x3xf64>, tensor<?x3xf64>, tensor<1xf64>, tensor<?x1xf64>) {
  %r = keops.reduce sum over j ins(%x : i tensor<?x3xf64>, %y : j tensor<?x3xf64>, %s : p tensor<1xf64>)
      outs(%o : tensor<?x1xf64>) {
  ^bb0(%a: vector<3xf64>, %b: vector<3xf64>, %sp: vector<1xf64>):
    %d = keops.sqdist %a, %b : vector<3xf64>
    %m = arith.mulf %d, %sp : vector<1xf64>
    %n = arith.negf %m : vector<1xf64>
    %k = math.exp %n : vector<1xf64>
    keops.yield %k : vector<1xf64>
  } -> tensor<?x1xf64>
  %gx, %gs = keops.reduce_grad %r wrt [0, 2], %e
      : tensor<?x1xf64>, tensor<?x1xf64> -> tensor<?x3xf64>, tensor<1xf64>
  %h:4 = keops.reduce_grad %gs wrt [0, 1, 2, 3], %c
      : tensor<1xf64>, tensor<1xf64> -> tensor<?x3xf64>, tensor<?x3xf64>, tensor<1xf64>, tensor<?x1xf64>
  return %h#0, %h#1, %h#2, %h#3 : tensor<?x3xf64>, tensor<?x3xf64>, tensor<1xf64>, tensor<?x1xf64>
}
"""


def test_second_order_through_a_parameter_gradient():
    rng = np.random.default_rng(12)
    M, N = 4, 5
    x, y = rng.normal(size=(M, 3)), rng.normal(size=(N, 3))
    s, e, c = np.array([0.6]), rng.normal(size=(M, 1)), np.array([1.3])

    def grad_s(x, y, s, e):
        d = ((x[:, None] - y[None]) ** 2).sum(-1)
        return np.array([(-d * np.exp(-d * s[0]) * e).sum()])

    outs = evaluate(PARAM2, [x, y, s, np.zeros((M, 1)), e, c])
    args = [x, y, s, e]
    for k, got in enumerate(outs):
        want = central_differences(grad_s, args, c, k)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
