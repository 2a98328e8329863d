"""Derivative rules (KeopsDifferentiable) checked through keops-expand-grad.

For every op with a derivative rule, a formula F using it is differentiated
with `keops.grad %r wrt %v, %ee` for each variable %v, expanded by
`keops-opt -keops-expand-grad` and evaluated by keops-run in f64. The result
(dF/dv)^T e must match central finite differences of F (evaluated by
keops-run too): (F(v + h u_c) - F(v - h u_c)) / 2h . e for every component c,
with h = 1e-6 and |grad - fd| <= 1e-5 (|fd| + 1e-3 max |fd|). Inputs are drawn
away from kinks and poles. Each keops-run call evaluates many points: row m
of the i variables is one evaluation point (sum over j of one j row), and the
finite differences stack all perturbed copies of the inputs as rows.

Piecewise-constant ops (sign, step, round, cmp, argmax, argmin, one_hot,
floor, ceil, ...) must give exactly zero.

Forward mode: the jvp rules are checked the same way through the test-only
pass -keops-test-jvp, against (F(v + h t) - F(v - h t)) / 2h for a random
tangent t.

Index variables (range ("int", lo, hi): i64 integers in [lo, hi)) feed
keops.select_index; they are not differentiated. The one j row has index 0,
so an index 0 selects and any other does not.
"""

import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from keops._tools import tool_path

H = 1e-6
RTOL = 1e-5
M = 6  # evaluation points per case


def _run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)
    assert proc.returncode == 0, f"{cmd[0]} failed:\n{proc.stderr}"
    return proc.stdout


def expand_grad(module):
    out = _run([str(tool_path("keops-opt")), "-", "-keops-expand-grad"],
               input=module)
    assert "keops.grad" not in out, out
    return out


def evaluate(module, arrays):
    with tempfile.TemporaryDirectory(prefix="keops-grad-") as tmp:
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
        return np.load(tmp / "out0.npy")


def module_text(variables, body, yielded, ydim, tail=()):
    """One `sum over j` reduction of the i variables `variables` (name, dim)
    or (name, dim, element type), plus a one-row j variable, then the i
    variables `tail`, yielding `yielded` of dimension `ydim`."""
    allv = [(v[0], v[1], v[2] if len(v) > 2 else "f64")
            for v in list(variables) + [("zz", 1)] + list(tail)]
    cats = ["i"] * len(variables) + ["j"] + ["i"] * len(tail)
    fargs = [f"%a{k}: tensor<?x{d}x{t}>" for k, (_, d, t) in enumerate(allv)]
    ins = ", ".join(f"%a{k} : {c} tensor<?x{d}x{t}>"
                    for k, ((_, d, t), c) in enumerate(zip(allv, cats)))
    bb = ", ".join(f"%{n}: vector<{d}x{t}>" for n, d, t in allv)
    lines = [f"func.func @f({', '.join(fargs)}, %out: tensor<?x{ydim}xf64>)"
             f" -> tensor<?x{ydim}xf64> {{",
             f"  %res = keops.reduce sum over j ins({ins})"
             f" outs(%out : tensor<?x{ydim}xf64>) {{",
             f"  ^bb0({bb}):"]
    lines += ["    " + line.replace("{T}", "f64") for line in body]
    lines += [f"    keops.yield {yielded} : vector<{ydim}xf64>",
              f"  }} -> tensor<?x{ydim}xf64>",
              f"  return %res : tensor<?x{ydim}xf64>", "}"]
    return "\n".join(lines) + "\n"




def is_index(rg):
    return rg[0] == "int"


def names_of(variables):
    """(name, dim[, element type]) for module_text."""
    return [(n, d, "i64") if is_index(rg) else (n, d) for n, d, rg in variables]


def draw(variables, rng):
    arrays = []
    for _, d, rg in variables:
        if is_index(rg):
            a = rng.integers(rg[1], rg[2], (M, d)).astype(np.int64)
        elif rg[0] == "pm":
            a = rng.uniform(rg[1], rg[2], (M, d)) * rng.choice([-1, 1], (M, d))
        else:
            a = rng.uniform(rg[0], rg[1], (M, d))
        arrays.append(a)
    return arrays


def check_jvp(variables, body, rdim, zero=False, seed=1):
    """Forward mode: keops-opt -keops-test-jvp (the formula's value replaced
    by dF/dv . t, t the last block argument) against (F(v + h t) -
    F(v - h t)) / 2h, for every variable v."""
    rng = np.random.default_rng(seed)
    names = names_of(variables)
    arrays = draw(variables, rng)
    zz = np.zeros((1, 1))
    f_module = expand_grad(module_text(names, body, "%r", rdim))
    for k, (name, d, rg) in enumerate(variables):
        if is_index(rg):
            continue
        t = rng.normal(size=(M, d))
        plus = [a.copy() for a in arrays]
        minus = [a.copy() for a in arrays]
        plus[k] += H * t
        minus[k] -= H * t
        stacked = [np.concatenate([p, q]) for p, q in zip(plus, minus)]
        fv = evaluate(f_module, stacked + [zz, np.zeros((2 * M, rdim))])
        fd = (fv[:M] - fv[M:]) / (2 * H)
        text = module_text(names, body, "%r", rdim, tail=[("tt", d)])
        j_module = _run([str(tool_path("keops-opt")), "-",
                         "-keops-expand-grad",
                         f"-keops-test-jvp=variable={k}"], input=text)
        j = evaluate(j_module, arrays + [zz, t, np.zeros((M, rdim))])
        if zero:
            assert np.all(j == 0), (name, j)
            continue
        scale = np.abs(fd).max()
        bad = np.abs(j - fd) > RTOL * (np.abs(fd) + 1e-3 * scale + 1e-8)
        assert not bad.any(), (
            f"jvp d/d{name}:\n{j}\nfinite differences\n{fd}\n{j_module}")


def check_case(variables, body, rdim, wrt=None, zero=False, seed=0):
    """variables: (name, dim, (lo, hi)) drawn uniformly in [lo, hi] (or with
    random signs when lo > 0 and the range is given as ('pm', lo, hi))."""
    rng = np.random.default_rng(seed)
    names = names_of(variables)
    arrays = draw(variables, rng)
    e = rng.normal(size=(M, rdim))
    zz = np.zeros((1, 1))
    # F at perturbed points, all variables at once.
    f_module = expand_grad(module_text(names, body, "%r", rdim))
    blocks, index = [], []
    for k, (_, d, rg) in enumerate(variables):
        if is_index(rg):
            continue
        for c in range(d):
            for s in (1.0, -1.0):
                pert = [a.copy() for a in arrays]
                pert[k][:, c] += s * H
                blocks.append(pert)
                index.append((k, c, s))
    stacked = [np.concatenate([b[k] for b in blocks]) for k in range(len(arrays))]
    fvals = evaluate(f_module, stacked + [zz, np.zeros((len(index) * M, rdim))])
    fvals = fvals.reshape(len(index), M, rdim)
    fd = [np.zeros((M, d)) for _, d, _ in variables]
    for (k, c, s), fv in zip(index, fvals):
        fd[k][:, c] += s * (fv * e).sum(axis=1) / (2 * H)
    checked = 0
    for k, (name, d, rg) in enumerate(variables):
        if (wrt is not None and name not in wrt) or is_index(rg):
            continue
        gbody = list(body) + [
            f"%g = keops.grad %r wrt %{name}, %ee : vector<{rdim}xf64>,"
            f" vector<{d}xf64>"]
        g_module = expand_grad(module_text(names + [("ee", rdim)], gbody,
                                           "%g", d))
        g = evaluate(g_module, arrays + [e, zz, np.zeros((M, d))])
        if zero:
            assert np.all(g == 0), (name, g)
            continue
        scale = np.abs(fd[k]).max()
        bad = np.abs(g - fd[k]) > RTOL * (np.abs(fd[k]) + 1e-3 * scale + 1e-8)
        assert not bad.any(), (
            f"d/d{name}: grad\n{g}\nfinite differences\n{fd[k]}\n{g_module}")
        checked += 1
    return checked


V3 = (-2.0, 2.0)
POS = (0.3, 2.5)
UNIT = (-0.8, 0.8)

# name: (variables, body producing %r, dimension of %r)
CASES = {
    # --- keops ops --------------------------------------------------------
    "relu": ([("x", 3, V3)], ["%r = keops.relu %x : vector<3x{T}>"], 3),
    "xlogx": ([("x", 3, POS)], ["%r = keops.xlogx %x : vector<3x{T}>"], 3),
    "sinxdivx": ([("x", 3, ("pm", 0.3, 3.0))],
                 ["%r = keops.sinxdivx %x : vector<3x{T}>"], 3),
    "powi3": ([("x", 3, V3)], ["%r = keops.powi %x, 3 : vector<3x{T}>"], 3),
    "powi-2": ([("x", 3, ("pm", 0.5, 2.0))],
               ["%r = keops.powi %x, -2 : vector<3x{T}>"], 3),
    "powi0": ([("x", 3, V3)], ["%r = keops.powi %x, 0 : vector<3x{T}>"], 3),
    "clamp": ([("x", 3, V3), ("lo", 3, (-1.0, 0.0)), ("hi", 3, (0.0, 1.0))],
              ["%r = keops.clamp %x, %lo, %hi : vector<3x{T}>"], 3),
    "ifelse": ([("c", 3, ("pm", 0.1, 1.0)), ("a", 3, V3), ("b", 3, V3)],
               ["%r = keops.ifelse %c, %a, %b : vector<3x{T}>"], 3),
    "mod": ([("x", 3, (-3.0, 3.0)), ("n", 3, (1.0, 2.0)),
             ("d", 3, (-0.5, 0.5))],
            ["%r = keops.mod %x, %n, %d : vector<3x{T}>"], 3),
    "sum": ([("x", 3, V3)], ["%r = keops.sum %x : vector<3x{T}>"], 1),
    "max": ([("x", 4, V3)], ["%r = keops.max %x : vector<4x{T}>"], 1),
    "min": ([("x", 4, V3)], ["%r = keops.min %x : vector<4x{T}>"], 1),
    "sqnorm2": ([("x", 3, V3)], ["%r = keops.sqnorm2 %x : vector<3x{T}>"], 1),
    "norm2": ([("x", 3, V3)], ["%r = keops.norm2 %x : vector<3x{T}>"], 1),
    "normalize": ([("x", 3, V3)],
                  ["%r = keops.normalize %x : vector<3x{T}>"], 3),
    "dot": ([("x", 3, V3), ("y", 3, V3)],
            ["%r = keops.dot %x, %y : vector<3x{T}>"], 1),
    "sqdist": ([("x", 3, V3), ("y", 3, V3)],
               ["%r = keops.sqdist %x, %y : vector<3x{T}>"], 1),
    "weightedsqnorm-iso": ([("w", 1, POS), ("x", 3, V3)],
                           ["%r = keops.weightedsqnorm %w, %x : vector<1x{T}>,"
                            " vector<3x{T}>"], 1),
    "weightedsqnorm-diag": ([("w", 3, POS), ("x", 3, V3)],
                            ["%r = keops.weightedsqnorm %w, %x : vector<3x{T}>,"
                             " vector<3x{T}>"], 1),
    "weightedsqnorm-full": ([("w", 9, V3), ("x", 3, V3)],
                            ["%r = keops.weightedsqnorm %w, %x : vector<9x{T}>,"
                             " vector<3x{T}>"], 1),
    "weightedsqdist-iso": ([("w", 1, POS), ("x", 2, V3), ("y", 2, V3)],
                           ["%r = keops.weightedsqdist %w, %x, %y :"
                            " vector<1x{T}>, vector<2x{T}>"], 1),
    "weightedsqdist-diag": ([("w", 2, POS), ("x", 2, V3), ("y", 2, V3)],
                            ["%r = keops.weightedsqdist %w, %x, %y :"
                             " vector<2x{T}>, vector<2x{T}>"], 1),
    "weightedsqdist-full": ([("w", 4, V3), ("x", 2, V3), ("y", 2, V3)],
                            ["%r = keops.weightedsqdist %w, %x, %y :"
                             " vector<4x{T}>, vector<2x{T}>"], 1),
    "matvecmult": ([("a", 6, V3), ("x", 3, V3)],
                   ["%r = keops.matvecmult %a, %x : vector<6x{T}>,"
                    " vector<3x{T}>"], 2),
    "vecmatmult": ([("x", 2, V3), ("a", 6, V3)],
                   ["%r = keops.vecmatmult %x, %a : vector<2x{T}>,"
                    " vector<6x{T}>"], 3),
    "tensorprod": ([("a", 2, V3), ("b", 3, V3)],
                   ["%r = keops.tensorprod %a, %b : vector<2x{T}>,"
                    " vector<3x{T}>"], 6),
    "tensordot-matmul": ([("a", 6, V3), ("b", 6, V3)],
                         ["%r = keops.tensordot %a, %b shapes [2, 3], [3, 2]"
                          " contract [1], [0] : vector<6x{T}>, vector<6x{T}>"],
                         4),
    "tensordot-full": ([("a", 6, V3), ("b", 6, V3)],
                       ["%r = keops.tensordot %a, %b shapes [2, 3], [3, 2]"
                        " contract [0, 1], [1, 0] : vector<6x{T}>,"
                        " vector<6x{T}>"], 1),
    "tensordot-permuted": ([("a", 12, V3), ("b", 6, V3)],
                           ["%r = keops.tensordot %a, %b shapes [2, 3, 2],"
                            " [3, 2] contract [2, 1], [1, 0] : vector<12x{T}>,"
                            " vector<6x{T}>"], 2),
    "tensordot-outer": ([("a", 6, V3), ("b", 4, V3)],
                        ["%r = keops.tensordot %a, %b shapes [3, 2], [2, 2]"
                         " contract [1], [1] : vector<6x{T}>, vector<4x{T}>"],
                        6),
    "kron": ([("a", 4, V3), ("b", 3, V3)],
             ["%r = keops.kron %a, %b shapes [2, 2], [1, 3] : vector<4x{T}>,"
              " vector<3x{T}>"], 12),
    # --- upstream ops -----------------------------------------------------
    "addf": ([("x", 3, V3), ("y", 3, V3)],
             ["%r = arith.addf %x, %y : vector<3x{T}>"], 3),
    "subf": ([("x", 3, V3), ("y", 3, V3)],
             ["%r = arith.subf %x, %y : vector<3x{T}>"], 3),
    "mulf": ([("x", 3, V3), ("y", 3, V3)],
             ["%r = arith.mulf %x, %y : vector<3x{T}>"], 3),
    "divf": ([("x", 3, V3), ("y", 3, ("pm", 0.5, 2.0))],
             ["%r = arith.divf %x, %y : vector<3x{T}>"], 3),
    "negf": ([("x", 3, V3)], ["%r = arith.negf %x : vector<3x{T}>"], 3),
    "maximumf": ([("x", 3, V3), ("y", 3, V3)],
                 ["%r = arith.maximumf %x, %y : vector<3x{T}>"], 3),
    "minimumf": ([("x", 3, V3), ("y", 3, V3)],
                 ["%r = arith.minimumf %x, %y : vector<3x{T}>"], 3),
    "constant": ([("x", 3, V3)],
                 ["%c = arith.constant dense<[1.5, -2.0, 0.25]> : vector<3x{T}>",
                  "%r = arith.mulf %x, %c : vector<3x{T}>"], 3),
    "select-cmpf": ([("x", 3, ("pm", 0.1, 2.0)), ("a", 3, V3), ("b", 3, V3)],
                    ["%z = arith.constant dense<0.0> : vector<3x{T}>",
                     "%m = arith.cmpf ogt, %x, %z : vector<3x{T}>",
                     "%r = arith.select %m, %a, %b : vector<3xi1>,"
                     " vector<3x{T}>"], 3),
    "logic-uitofp": ([("x", 3, ("pm", 0.1, 2.0)), ("y", 3, ("pm", 0.1, 2.0))],
                     ["%z = arith.constant dense<0.0> : vector<3x{T}>",
                      "%m1 = arith.cmpf ogt, %x, %z : vector<3x{T}>",
                      "%m2 = arith.cmpf ogt, %y, %z : vector<3x{T}>",
                      "%m3 = arith.andi %m1, %m2 : vector<3xi1>",
                      "%m4 = arith.ori %m3, %m1 : vector<3xi1>",
                      "%m5 = arith.xori %m4, %m2 : vector<3xi1>",
                      "%u = arith.uitofp %m5 : vector<3xi1> to vector<3x{T}>",
                      "%r = arith.mulf %u, %x : vector<3x{T}>"], 3),
    "exp": ([("x", 3, V3)], ["%r = math.exp %x : vector<3x{T}>"], 3),
    "log": ([("x", 3, POS)], ["%r = math.log %x : vector<3x{T}>"], 3),
    "sin": ([("x", 3, V3)], ["%r = math.sin %x : vector<3x{T}>"], 3),
    "cos": ([("x", 3, V3)], ["%r = math.cos %x : vector<3x{T}>"], 3),
    "tan": ([("x", 3, (-1.2, 1.2))], ["%r = math.tan %x : vector<3x{T}>"], 3),
    "asin": ([("x", 3, UNIT)], ["%r = math.asin %x : vector<3x{T}>"], 3),
    "acos": ([("x", 3, UNIT)], ["%r = math.acos %x : vector<3x{T}>"], 3),
    "atan": ([("x", 3, V3)], ["%r = math.atan %x : vector<3x{T}>"], 3),
    "atan2": ([("y", 3, V3), ("x", 3, ("pm", 0.3, 2.0))],
              ["%r = math.atan2 %y, %x : vector<3x{T}>"], 3),
    "sinh": ([("x", 3, V3)], ["%r = math.sinh %x : vector<3x{T}>"], 3),
    "cosh": ([("x", 3, V3)], ["%r = math.cosh %x : vector<3x{T}>"], 3),
    "tanh": ([("x", 3, V3)], ["%r = math.tanh %x : vector<3x{T}>"], 3),
    "sqrt": ([("x", 3, POS)], ["%r = math.sqrt %x : vector<3x{T}>"], 3),
    "rsqrt": ([("x", 3, POS)], ["%r = math.rsqrt %x : vector<3x{T}>"], 3),
    "absf": ([("x", 3, ("pm", 0.1, 2.0))],
             ["%r = math.absf %x : vector<3x{T}>"], 3),
    "powf": ([("x", 3, POS), ("p", 3, (-1.5, 2.5))],
             ["%r = math.powf %x, %p : vector<3x{T}>"], 3),
    "erf": ([("x", 3, V3)], ["%r = math.erf %x : vector<3x{T}>"], 3),
    "fma": ([("a", 3, V3), ("b", 3, V3), ("c", 3, V3)],
            ["%r = math.fma %a, %b, %c : vector<3x{T}>"], 3),
    "vector-fma": ([("a", 3, V3), ("b", 3, V3), ("c", 3, V3)],
                   ["%r = vector.fma %a, %b, %c : vector<3x{T}>"], 3),
    "copysign": ([("a", 3, ("pm", 0.1, 2.0)), ("b", 3, ("pm", 0.1, 2.0))],
                 ["%r = math.copysign %a, %b : vector<3x{T}>"], 3),
    "broadcast": ([("x", 1, V3), ("y", 3, V3)],
                  ["%bx = vector.broadcast %x : vector<1x{T}> to vector<3x{T}>",
                   "%r = arith.mulf %bx, %y : vector<3x{T}>"], 3),
    "extract_strided_slice": ([("x", 5, V3)],
                              ["%r = vector.extract_strided_slice %x"
                               " {offsets = [1], sizes = [3], strides = [1]} :"
                               " vector<5x{T}> to vector<3x{T}>"], 3),
    "shuffle": ([("x", 3, V3), ("y", 2, V3)],
                ["%r = vector.shuffle %x, %y [4, 0, 0, 2, 3, 0] :"
                 " vector<3x{T}>, vector<2x{T}>"], 6),
    "reduction-add": ([("x", 3, V3)],
                      ["%s = vector.reduction <add>, %x : vector<3x{T}> into {T}",
                       "%r = vector.broadcast %s : {T} to vector<1x{T}>"], 1),
    "reduction-add-acc": ([("x", 3, V3), ("y", 1, V3)],
                          ["%a = vector.extract %y[0] : {T} from vector<1x{T}>",
                           "%s = vector.reduction <add>, %x, %a : vector<3x{T}>"
                           " into {T}",
                           "%r = vector.broadcast %s : {T} to vector<1x{T}>"], 1),
    "reduction-mul": ([("x", 3, ("pm", 0.5, 2.0))],
                      ["%s = vector.reduction <mul>, %x : vector<3x{T}> into {T}",
                       "%r = vector.broadcast %s : {T} to vector<1x{T}>"], 1),
    "reduction-max": ([("x", 3, V3)],
                      ["%s = vector.reduction <maximumf>, %x : vector<3x{T}>"
                       " into {T}",
                       "%r = vector.broadcast %s : {T} to vector<1x{T}>"], 1),
    "extract-from_elements": ([("x", 3, V3)],
                              ["%a = vector.extract %x[2] : {T} from vector<3x{T}>",
                               "%b = vector.extract %x[0] : {T} from vector<3x{T}>",
                               "%r = vector.from_elements %b, %a, %a :"
                               " vector<3x{T}>"], 3),
    "scalar-fma-select": ([("x", 2, V3), ("y", 2, ("pm", 0.1, 2.0))],
                          ["%a = vector.extract %x[0] : {T} from vector<2x{T}>",
                           "%b = vector.extract %x[1] : {T} from vector<2x{T}>",
                           "%c = vector.extract %y[0] : {T} from vector<2x{T}>",
                           "%d = math.fma %a, %b, %c : {T}",
                           "%s = math.copysign %d, %c : {T}",
                           "%z = vector.extract %y[1] : {T} from vector<2x{T}>",
                           "%m = arith.cmpf olt, %c, %z : {T}",
                           "%t = arith.select %m, %s, %a : {T}",
                           "%r = vector.from_elements %t, %d : vector<2x{T}>"],
                          2),
    "insert": ([("x", 3, V3), ("y", 1, V3)],
               ["%a = vector.extract %y[0] : {T} from vector<1x{T}>",
                "%r = vector.insert %a, %x [1] : {T} into vector<3x{T}>"], 3),
    # --- compositions -----------------------------------------------------
    "gaussian": ([("x", 3, V3), ("y", 3, V3), ("b", 2, V3)],
                 ["%d = keops.sqdist %x, %y : vector<3x{T}>",
                  "%n = arith.negf %d : vector<1x{T}>",
                  "%k = math.exp %n : vector<1x{T}>",
                  "%kb = vector.broadcast %k : vector<1x{T}> to vector<2x{T}>",
                  "%r = arith.mulf %kb, %b : vector<2x{T}>"], 2),
    "reuse": ([("x", 3, V3), ("y", 3, V3)],
              ["%s = arith.mulf %x, %x : vector<3x{T}>",
               "%t = math.sin %s : vector<3x{T}>",
               "%u = arith.mulf %t, %s : vector<3x{T}>",
               "%v = arith.addf %u, %x : vector<3x{T}>",
               "%r = keops.dot %v, %y : vector<3x{T}>"], 1),
    # Second order: the formula holds a grad (a Hessian-vector product).
    "second-order": ([("x", 3, V3), ("y", 3, V3), ("u", 1, V3)],
                     ["%d = keops.sqdist %x, %y : vector<3x{T}>",
                      "%n = arith.negf %d : vector<1x{T}>",
                      "%k = math.exp %n : vector<1x{T}>",
                      "%q = math.sin %x : vector<3x{T}>",
                      "%s = keops.dot %q, %y : vector<3x{T}>",
                      "%f = arith.mulf %k, %s : vector<1x{T}>",
                      "%g1 = keops.grad %f wrt %x, %u : vector<1x{T}>,"
                      " vector<3x{T}>",
                      "%r = arith.mulf %g1, %g1 : vector<3x{T}>"], 3),
}

# Index variables: keops.select_index is linear in its value (the one j row
# has index 0: components of %k equal to 0 select).
IDX = ("int", 0, 2)
CASES.update({
    "select_index": ([("k", 3, IDX), ("x", 3, V3)],
                     ["%r = keops.select_index %k, %x : vector<3xi64>,"
                      " vector<3x{T}>"], 3),
    "select_index-product": ([("k", 3, IDX), ("x", 3, V3), ("y", 3, V3)],
                             ["%p = arith.mulf %x, %y : vector<3x{T}>",
                              "%s = keops.select_index %k, %p : vector<3xi64>,"
                              " vector<3x{T}>",
                              "%r = arith.mulf %s, %x : vector<3x{T}>"], 3),
    "select_index-exp": ([("x", 2, V3), ("k", 2, IDX)],
                         ["%e = math.exp %x : vector<2x{T}>",
                          "%r = keops.select_index %k, %e : vector<2xi64>,"
                          " vector<2x{T}>"], 2),
})

# keops.diff (forward mode) inside the formula: its value is checked by the
# derivatives of the formula with respect to the tangent %u (linear), and it
# is differentiated again in both modes.
CASES.update({
    "diff": ([("x", 3, V3), ("y", 3, V3), ("u", 3, V3)],
             ["%d = keops.sqdist %x, %y : vector<3x{T}>",
              "%n = arith.negf %d : vector<1x{T}>",
              "%k = math.exp %n : vector<1x{T}>",
              "%q = math.sin %x : vector<3x{T}>",
              "%s = keops.dot %q, %y : vector<3x{T}>",
              "%f = arith.mulf %k, %s : vector<1x{T}>",
              "%r = keops.diff %f wrt %x, %u : vector<1x{T}>, vector<3x{T}>"], 1),
    "diff-of-grad": ([("x", 2, V3), ("y", 2, V3), ("u", 2, V3), ("e", 1, V3)],
                     ["%d = keops.sqdist %x, %y : vector<2x{T}>",
                      "%n = arith.negf %d : vector<1x{T}>",
                      "%k = math.exp %n : vector<1x{T}>",
                      "%g1 = keops.grad %k wrt %x, %e : vector<1x{T}>, vector<2x{T}>",
                      "%h = keops.diff %g1 wrt %y, %u : vector<2x{T}>, vector<2x{T}>",
                      "%r = arith.mulf %h, %x : vector<2x{T}>"], 2),
})

# Complex ops: vectors of (real, imaginary) pairs; derivatives are those of
# the map on the pairs of reals. The second-order case differentiates the
# rules themselves.
CASES.update({
    "cmul": ([("a", 4, V3), ("b", 4, V3)],
             ["%r = keops.cmul %a, %b : vector<4x{T}>"], 4),
    "cdiv": ([("a", 4, V3), ("b", 4, ("pm", 0.5, 2.0))],
             ["%r = keops.cdiv %a, %b : vector<4x{T}>"], 4),
    "conj": ([("a", 4, V3)], ["%r = keops.conj %a : vector<4x{T}>"], 4),
    "cexp": ([("a", 4, V3)], ["%r = keops.cexp %a : vector<4x{T}>"], 4),
    "cabs": ([("a", 4, ("pm", 0.3, 2.0))],
             ["%r = keops.cabs %a : vector<4x{T}>"], 2),
    "cangle": ([("a", 4, ("pm", 0.3, 2.0))],
               ["%r = keops.cangle %a : vector<4x{T}>"], 2),
    "csum": ([("a", 6, V3)], ["%r = keops.csum %a : vector<6x{T}>"], 2),
    "complex-second-order": (
        [("a", 4, ("pm", 0.3, 2.0)), ("b", 4, V3), ("u", 1, V3)],
        ["%p = keops.cmul %a, %b : vector<4x{T}>",
         "%e = keops.cexp %p : vector<4x{T}>",
         "%q = keops.cdiv %e, %a : vector<4x{T}>",
         "%m = keops.cabs %q : vector<4x{T}>",
         "%t = keops.cangle %q : vector<4x{T}>",
         "%s = arith.addf %m, %t : vector<2x{T}>",
         "%v = keops.sum %s : vector<2x{T}>",
         "%g1 = keops.grad %v wrt %a, %u : vector<1x{T}>, vector<4x{T}>",
         "%c = keops.conj %g1 : vector<4x{T}>",
         "%r = keops.csum %c : vector<4x{T}>"], 2),
})

ZERO_CASES = {
    "sign": ([("x", 3, ("pm", 0.1, 2.0))], ["%r = keops.sign %x : vector<3x{T}>"], 3),
    "step": ([("x", 3, ("pm", 0.1, 2.0))], ["%r = keops.step %x : vector<3x{T}>"], 3),
    "round": ([("x", 3, V3)], ["%r = keops.round %x, 0 : vector<3x{T}>"], 3),
    "cmp": ([("x", 3, V3), ("y", 3, V3)],
            ["%r = keops.cmp lt, %x, %y : vector<3x{T}>"], 3),
    "argmax": ([("x", 3, V3)], ["%r = keops.argmax %x : vector<3x{T}>"], 1),
    "argmin": ([("x", 3, V3)], ["%r = keops.argmin %x : vector<3x{T}>"], 1),
    "one_hot": ([("x", 1, (0.1, 2.4))],
                ["%r = keops.one_hot %x, 3 : vector<1x{T}>"], 3),
    "floor": ([("x", 3, V3)], ["%r = math.floor %x : vector<3x{T}>"], 3),
    "ceil": ([("x", 3, V3)], ["%r = math.ceil %x : vector<3x{T}>"], 3),
    "math-round": ([("x", 3, V3)], ["%r = math.round %x : vector<3x{T}>"], 3),
    "trunc": ([("x", 3, V3)], ["%r = math.trunc %x : vector<3x{T}>"], 3),
    "independent": ([("x", 3, V3), ("y", 3, V3)],
                    ["%r = math.exp %y : vector<3x{T}>"], 3),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_vjp_matches_finite_differences(name):
    variables, body, rdim = CASES[name]
    assert check_case(variables, body, rdim) >= 1


@pytest.mark.parametrize("name", sorted(ZERO_CASES))
def test_zero_derivative(name):
    variables, body, rdim = ZERO_CASES[name]
    check_case(variables, body, rdim, wrt=["x"], zero=True)


@pytest.mark.parametrize("name", sorted(CASES))
def test_jvp_matches_finite_differences(name):
    variables, body, rdim = CASES[name]
    check_jvp(variables, body, rdim)


@pytest.mark.parametrize("name", sorted(ZERO_CASES))
def test_zero_jvp(name):
    variables, body, rdim = ZERO_CASES[name]
    # Finite differences of a piecewise-constant op are 0 away from jumps.
    check_jvp(variables, body, rdim)
