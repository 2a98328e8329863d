"""Coverage-guided fuzzing of Genred formula strings (atheris, libFuzzer's
engine for Python).

An input is text, one field per line:

    formula
    aliases, separated by ';'   (default: x = Vi(3); y = Vj(3); b = Vj(1); g = Pm(1))
    reduction_op                (default: Sum)
    axis                        (default: 1)
    opt_arg                     (default: none; K of the K-min reductions)
    formula2                    (default: none)

Each is built with keops.numpy.Genred and, when that succeeds, run on small
random float64 arrays through the CPU backend. Building may refuse the input
with ValueError, TypeError, NotImplementedError or KeopsError (a clear
message); anything else (another exception, a crash, a hang, an output of
the wrong shape) is a finding. Run it through scripts/fuzz.sh, which gives
it the seed corpus below and a working corpus; `--write-seeds DIR` writes
the seeds.
"""

import os
import sys
import tempfile

import atheris

# The compile cache of fuzzed formulas goes away with the run.
os.environ.setdefault("KEOPS_CACHE_DIR", tempfile.mkdtemp(prefix="keops-fuzz-cache-"))

import numpy as np
from keops import KeopsError
from keops.numpy import Genred

DEFAULT_ALIASES = "x = Vi(3); y = Vj(3); b = Vj(1); g = Pm(1)"
ROWS = {"Vi": 3, "Vj": 2}
# What a formula may be refused with.
CLEAR_ERRORS = (ValueError, TypeError, NotImplementedError, KeopsError)
# Formulas larger than this are not run (their compile time is not what
# this target looks for; keops-ir-fuzzer and the limits tests cover it).
MAX_FORMULA = 400
# Nor variables wider than this: code that grows with a formula value's
# width (states of width x lanes: TensorProd(x, 0) with x = Vi(27777)
# compiles for minutes) is the same kind of limit.
MAX_DIM = 4096

SEEDS = [
    "Exp(-g * SqDist(x, y)) * b",
    "Exp(-SqDist(x, y)) * b\nx = Vi(3); y = Vj(3); b = Vj(1)\nSum\n1",
    "SqDist(x, y)\nx = Vi(0, 3); y = Vj(1, 3)\nArgKMin\n1\n2",
    "SqDist(x, y)\n\nKMin_ArgKMin\n0\n3",
    "-SqDist(x, y)\n\nLogSumExp\n1",
    "-SqDist(x, y)\n\nLogSumExp\n1\n\nb",
    "-SqDist(x, y)\n\nSumSoftMaxWeight\n1\n\nx",
    "-SqDist(x, y)\n\nMax_SumShiftExp\n1",
    "(x | y) * b\n\nMin_ArgMin\n1",
    "Norm2(x - y) * b",
    "Sqrt(SqNorm2(x - y) + g) * b",
    "Rsqrt(1 + SqDist(x, y)) * b",
    "Pow(x - y, 3) + Square(Sin(x * y))",
    "Powf(Abs(x) + 1, g) * Log(1 + Abs(y))",
    "IfElse(x - y, Exp(x), Cos(y))",
    "Step(x - y) * ReLU(y) + Sign(x)",
    "Clamp(x, y, x + 1) * Atan2(x, y)",
    "Concat(Elem(x, 0), Extract(y, 1, 2))",
    "MatVecMult(Concat(x, Concat(x, x)), y)",
    "TensorProd(x, y)\nx = Vi(2); y = Vj(2)",
    "Grad(Exp(-SqDist(x, y)), x, b)\nx = Vi(3); y = Vj(3); b = Vi(1)",
    "Diff(Sin(x * y), x, b)\nx = Vi(1); y = Vj(1); b = Vi(1)",
    "Laplacian(Exp(-SqDist(x, y)), x)",
    "ComplexMult(x, y)\nx = Vi(2); y = Vj(2)",
    "ComplexExp1j(Elem(x, 0)) * Elem(y, 0)",
    "WeightedSqDist(g, x, y) * b",
    "SymSqNorm(Concat(x, Concat(x, x)), y)",
    "OneHot(Elem(y, 0) * 0 + 1, 3) * x",
    "Sum(x * y) + Min(x) - Max(y)",
    "Mod(x, 2, 0.5) + Round(y, 2) + Floor(x) + Ceil(y)",
    "SinXDivX(x) * XLogX(Abs(y))",
    "Normalize(x - y) | Normalize(y)",
    "TensorDot(x, y, (3,), (3,), (0,), (0,))",
    "x * 1e30 * y * 1e30",
    "IntInv(2) * x + IntCst(3) * y + RatCst(1, 3)",
]


def parse(text):
    """The Genred arguments an input stands for."""
    fields = (text.split("\n") + [""] * 6)[:6]
    formula, aliases, op, axis, opt_arg, formula2 = (f.strip() for f in fields)
    aliases = [a.strip() for a in (aliases or DEFAULT_ALIASES).split(";") if a.strip()]
    axis = int(axis) if axis in ("0", "1") else 1
    k = int(opt_arg) if opt_arg.isdigit() and len(opt_arg) < 5 else None
    return formula, aliases, op or "Sum", axis, k, formula2 or None


def arrays_for(genred):
    """One small array per declared argument."""
    rng = np.random.default_rng(0)
    out = []
    for cat, dim in genred._reduction.declared:
        shape = (dim,) if cat == 2 else (ROWS["Vi" if cat == 0 else "Vj"], dim)
        out.append(rng.uniform(-1, 1, shape))
    return out


def test_one_input(data):
    text = data.decode("utf-8", errors="replace")
    formula, aliases, op, axis, k, formula2 = parse(text)
    if len(formula) > MAX_FORMULA or "\x00" in text:
        return
    try:
        g = Genred(formula, aliases, reduction_op=op, axis=axis, opt_arg=k,
                   formula2=formula2)
        if any(dim > MAX_DIM for _, dim in g._reduction.declared):
            return
        args = arrays_for(g)
        res = g(*args, backend="CPU")
    except CLEAR_ERRORS:
        return
    # One output row per row of the kept variables (one without any).
    kept = 0 if axis == 1 else 1
    rows = ROWS["Vi" if kept == 0 else "Vj"] if any(
        cat == kept for cat, _ in g._reduction.declared) else 1
    # (rows, width), or (rows, K, D) for the K-min kinds of a vector formula.
    for out in res if isinstance(res, tuple) else (res,):
        if out.ndim not in (2, 3) or out.shape[0] != rows:
            raise AssertionError(f"{formula!r} ({op}, axis={axis}): output of "
                                 f"shape {out.shape}, expected {rows} rows")


def write_seeds(folder):
    os.makedirs(folder, exist_ok=True)
    for n, seed in enumerate(SEEDS):
        with open(os.path.join(folder, f"seed-{n:03d}"), "w") as f:
            f.write(seed)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--write-seeds":
        write_seeds(sys.argv[2])
        sys.exit(0)
    # (The editable install's import hook hides keops from
    # instrument_imports: every loaded function is instrumented instead.)
    atheris.instrument_all()
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
