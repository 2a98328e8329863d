"""Genred: reductions of formulas written as KeOps formula strings.

    Genred("Exp(-SqDist(x, y)) * b", ["x = Vi(3)", "y = Vj(3)", "b = Vj(1)"],
           reduction_op="Sum", axis=1)(x, y, b)

A formula string is parsed with Python's own parser (`ast`: nothing is
evaluated) into LazyTensors over symbolic variables, one per alias
("x = Vi(3)", "x = Vi(0, 3)", "Vi(0, 3)", "x = Var(0, 3, 0)"; variables may
also be written in the formula as Vi(0, 3), Vj(1, 3), Pm(2, 1), Var(0, 3, 0)),
then reduced into a callable keops.reductions.Reduction.
"""

import ast
import re

import numpy as np

from . import _arrays
from . import formula as fm
from .lazy_tensor import LazyTensor
from .reductions import PYKEOPS_KINDS, Reduction, compile_options

_CATS = {"Vi": 0, "Vj": 1, "Pm": 2, "Vx": 0, "Vy": 1}
# pykeops' raw log-sum-exp reductions: (m, s) with m = max f and
# s = sum exp(f - m) (times formula2's weights for the Weight form).
_SHIFT_EXP = ("Max_SumShiftExp", "MaxSumShiftExp", "Max_SumShiftExpWeight")


def parse_alias(alias, position):
    """(name or None, category, dimension, position) of an alias string."""
    text = alias.replace(" ", "")
    m = re.fullmatch(r"(?:([A-Za-z_]\w*)=)?(Vi|Vj|Pm|Vx|Vy)\((\d+)(?:,(\d+))?\)", text)
    if m:
        name, cat, a, b = m.groups()
        pos, dim = (int(a), int(b)) if b is not None else (position, int(a))
        return name, _CATS[cat], dim, pos
    m = re.fullmatch(r"(?:([A-Za-z_]\w*)=)?Var\((\d+),(\d+),(\d+)\)", text)
    if m:
        name, pos, dim, cat = m.groups()
        if int(cat) not in (0, 1, 2):
            raise ValueError(f"alias {alias!r}: category must be 0, 1 or 2")
        return name, int(cat), int(dim), int(pos)
    raise ValueError(f"cannot parse alias {alias!r}: expected 'x = Vi(D)', 'x = Vj(D)', "
                     "'x = Pm(D)', 'x = Vi(position, D)' or 'Var(position, D, category)'")


def _lt(x):
    return x if isinstance(x, LazyTensor) else LazyTensor(x)


def _int(x, what):
    if not isinstance(x, int):
        raise ValueError(f"{what} must be an integer, got {x!r}")
    return x


def _weighted(kind):
    def f(s, x):
        s, x = _lt(s), _lt(x)
        want = {"SqNormIso": 1, "SqNormDiag": x.ndim, "SymSqNorm": x.ndim * x.ndim}[kind]
        if s.ndim != want:
            raise ValueError(f"{kind}: the weights have dimension {s.ndim}, expected {want}")
        return x.weightedsqnorm(s)
    return f


def _pow(f, n):
    if isinstance(n, int):
        return _lt(f) ** n
    raise ValueError("Pow(f, n) takes an integer exponent (use Powf for real exponents)")


# KeOps formula functions -> LazyTensor builders (arguments: LazyTensors,
# ints, floats or lists of ints).
FUNCTIONS = {
    "Exp": lambda f: _lt(f).exp(), "Log": lambda f: _lt(f).log(),
    "Sin": lambda f: _lt(f).sin(), "Cos": lambda f: _lt(f).cos(),
    "Tan": lambda f: _lt(f).tan(), "Asin": lambda f: _lt(f).asin(),
    "Acos": lambda f: _lt(f).acos(), "Atan": lambda f: _lt(f).atan(),
    "Sinh": lambda f: _lt(f).sinh(), "Cosh": lambda f: _lt(f).cosh(),
    "Tanh": lambda f: _lt(f).tanh(), "Erf": lambda f: _lt(f).erf(),
    "Floor": lambda f: _lt(f).floor(), "Ceil": lambda f: _lt(f).ceil(),
    "Sqrt": lambda f: _lt(f).sqrt(), "Rsqrt": lambda f: _lt(f).rsqrt(),
    "Abs": lambda f: abs(_lt(f)), "Sign": lambda f: _lt(f).sign(),
    "Step": lambda f: _lt(f).step(), "ReLU": lambda f: _lt(f).relu(),
    "XLogX": lambda f: _lt(f).xlogx(), "SinXDivX": lambda f: _lt(f).sinxdivx(),
    "Square": lambda f: _lt(f).square(), "Inv": lambda f: _lt(f).inv(),
    "Minus": lambda f: -_lt(f),
    "Sum": lambda f: _lt(f).sum(-1), "Max": lambda f: _lt(f).max(-1),
    "Min": lambda f: _lt(f).min(-1), "ArgMax": lambda f: _lt(f).argmax(-1),
    "ArgMin": lambda f: _lt(f).argmin(-1), "SqNorm2": lambda f: _lt(f).sqnorm2(),
    "Norm2": lambda f: _lt(f).norm2(), "Normalize": lambda f: _lt(f).normalize(),
    "Pow": _pow, "Powf": lambda f, g: _lt(f) ** _lt(g),
    "Add": lambda f, g: _lt(f) + g, "Subtract": lambda f, g: _lt(f) - g,
    "Mult": lambda f, g: _lt(f) * g, "Divide": lambda f, g: _lt(f) / g,
    "Scalprod": lambda f, g: _lt(f) | g, "SqDist": lambda f, g: _lt(f).sqdist(g),
    "Atan2": lambda f, g: _lt(f).atan2(g),
    "WeightedSqNorm": lambda s, x: _lt(x).weightedsqnorm(s),
    "WeightedSqDist": lambda s, x, y: _lt(x).weightedsqdist(y, s),
    "SqNormIso": _weighted("SqNormIso"), "SqNormDiag": _weighted("SqNormDiag"),
    "SymSqNorm": _weighted("SymSqNorm"),
    "Elem": lambda f, m: _lt(f).elem(_int(m, "Elem's index")),
    "Extract": lambda f, s, d: _lt(f).extract(_int(s, "Extract's start"),
                                              _int(d, "Extract's length")),
    "Concat": lambda f, g: _lt(f).concat(g),
    "OneHot": lambda f, d: _lt(f).one_hot(_int(d, "OneHot's dimension")),
    "MatVecMult": lambda a, v: _lt(a).matvecmult(v),
    "VecMatMult": lambda v, a: _lt(v).vecmatmult(a),
    "TensorProd": lambda a, b: _lt(a).tensorprod(b),
    "TensorDot": lambda a, b, *args: _lt(a).keops_tensordot(b, *args),
    "Kron": lambda a, b, sa, sb: _lt(a).keops_kron(b, sa, sb),
    "Clamp": lambda x, a, b: _lt(x).clamp(a, b),
    "ClampInt": lambda x, a, b: _lt(x).clamp(_int(a, "ClampInt's bound"),
                                             _int(b, "ClampInt's bound")),
    "IfElse": lambda f, a, b: _lt(f).ifelse(a, b),
    "Mod": lambda x, n, d: _lt(x).mod(n, d),
    "Round": lambda x, d: _lt(x).round(_int(d, "Round's decimals")),
    "Equal": lambda f, g: _lt(f) == g, "NotEqual": lambda f, g: _lt(f) != g,
    "LessThan": lambda f, g: _lt(f) < g, "LessOrEqual": lambda f, g: _lt(f) <= g,
    "IntCst": lambda n: LazyTensor(_int(n, "IntCst's value")),
    "IntInv": lambda n: 1 / LazyTensor(_int(n, "IntInv's value")),
    "RatCst": lambda p, q: LazyTensor(_int(p, "RatCst")) / LazyTensor(_int(q, "RatCst")),
    "Zero": lambda d: _zero(_int(d, "Zero's dimension")),
    # symbolic derivatives (keops.grad, keops.diff)
    "Grad": lambda f, v, e: _lt(f).grad(v, e),
    "Diff": lambda f, v, u: _lt(f).diff(v, u),
    "GradMatrix": lambda f, v: _lt(f).grad_matrix(v),
    "Divergence": lambda f, v: _lt(f).divergence(v),
    "Laplacian": lambda f, v: _lt(f).laplacian(v),
    "TraceOperator": lambda f, v: _lt(f).trace_operator(v),
    "Factorize": lambda f, g: _lt(f).factorize(g),
    "AutoFactorize": lambda f: _lt(f).auto_factorize(),
}


def _c(f):
    """f, a vector of (real, imaginary) pairs in a formula string, as a
    complex LazyTensor."""
    f = _lt(f)
    if f._is_complex:
        return f
    if f.ndim % 2:
        raise ValueError(f"complex operations take vectors of (real, imaginary) pairs: "
                         f"an even dimension, got {f.ndim}")
    return f._node("as_complex", (f,), f.ndim, cls=f._complex_cls)


# pykeops' complex operations, on vectors of (real, imaginary) pairs.
FUNCTIONS.update({
    "ComplexAdd": lambda f, g: _c(f) + _c(g),
    "ComplexSubtract": lambda f, g: _c(f) - _c(g),
    "ComplexMult": lambda f, g: _c(f) * _c(g),
    "ComplexDivide": lambda f, g: _c(f) / _c(g),
    "ComplexRealScal": lambda f, g: (_c(g) * _lt(f)) if _lt(f).ndim == 1 else _c(f) * _lt(g),
    "ComplexReal": lambda f: _c(f).real, "ComplexImag": lambda f: _c(f).imag,
    "ComplexAbs": lambda f: abs(_c(f)), "ComplexAngle": lambda f: _c(f).angle(),
    "ComplexSquareAbs": lambda f: _c(f).real.square() + _c(f).imag.square(),
    "Conj": lambda f: _c(f).conj(), "ComplexExp": lambda f: _c(f).exp(),
    "ComplexExp1j": lambda f: _lt(f).exp1j(),
    "Real2Complex": lambda f: _lt(f).real2complex(),
    "Imag2Complex": lambda f: _lt(f).imag2complex(),
    "ComplexSum": lambda f: _c(f).sum(-1),
    "ComplexSumT": lambda f, d: _complex_sum_t(f, _int(d, "ComplexSumT's dimension")),
})


def _complex_sum_t(f, d):
    """The adjoint of ComplexSum: one complex number repeated d / 2 times."""
    f = _c(f)
    if f.ndim != 2 or d % 2 or d < 2:
        raise ValueError(f"ComplexSumT(f, d) takes one complex number f and an even d, got "
                         f"dimensions {f.ndim} and {d}")
    return f._spread(d // 2)


def _zero(d):
    z = LazyTensor(0)
    z.ndim = d
    return z


class FormulaParser:
    """Parses KeOps formula strings over a set of named symbolic variables."""

    def __init__(self, names, variables):
        self.names = names              # alias name -> position
        self.variables = variables      # position -> LazyTensor (symbolic)

    def variable(self, pos, dim, cat):
        v = self.variables.get(pos)
        if v is None:
            v = self.variables[pos] = LazyTensor((pos, dim, cat))
        elif (v._cat, v.ndim) != (cat, dim):
            raise ValueError(f"variable {pos} is declared as {'Vi Vj Pm'.split()[v._cat]}"
                             f"({v.ndim}) and used as {'Vi Vj Pm'.split()[cat]}({dim})")
        return v

    def parse(self, text):
        self.text = text
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as e:
            raise ValueError(f"cannot parse formula {text!r}: {e.msg}") from None
        try:
            result = self.visit(tree.body)
        except ValueError as e:
            if str(e).startswith("formula "):
                raise
            raise self.error(str(e)) from None
        if not isinstance(result, LazyTensor):
            result = LazyTensor(result)
        return result

    def error(self, message):
        return ValueError(f"formula {self.text!r}: {message}")

    def visit(self, node):
        if isinstance(node, ast.BinOp):
            a, b = self.visit(node.left), self.visit(node.right)
            op = type(node.op)
            if op is ast.Pow:
                return _lt(a) ** b
            if not isinstance(a, LazyTensor) and not isinstance(b, LazyTensor):
                a = LazyTensor(a)
            ops = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b,
                   ast.Div: lambda: a / b, ast.BitOr: lambda: _lt(a) | b}
            if op not in ops:
                raise self.error(f"unsupported operator {type(node.op).__name__}")
            return ops[op]()
        if isinstance(node, ast.UnaryOp):
            v = self.visit(node.operand)
            if isinstance(node.op, ast.USub):
                return -v if isinstance(v, LazyTensor) else -v
            if isinstance(node.op, ast.UAdd):
                return v
            raise self.error(f"unsupported operator {type(node.op).__name__}")
        if isinstance(node, ast.Compare):
            if len(node.ops) != 1:
                raise self.error("chained comparisons are not supported")
            a, b = _lt(self.visit(node.left)), self.visit(node.comparators[0])
            ops = {ast.Lt: a.__lt__, ast.Gt: a.__gt__, ast.LtE: a.__le__, ast.GtE: a.__ge__}
            if type(node.ops[0]) not in ops:
                raise self.error(f"unsupported comparison {type(node.ops[0]).__name__} "
                                 "(use Equal / NotEqual)")
            return ops[type(node.ops[0])](b)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise self.error(f"unsupported constant {node.value!r}")
            if isinstance(node.value, float):
                # A number written in a formula is a compile-time constant.
                c = LazyTensor(0)
                c._attrs = (float(node.value),)
                return c
            return node.value
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self.visit(e) for e in node.elts]
        if isinstance(node, ast.Name):
            if node.id in self.names:
                return self.variables[self.names[node.id]]
            raise self.error(f"unknown variable {node.id!r} (aliases: "
                             f"{', '.join(self.names) or 'none'})")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.keywords:
                raise self.error("unsupported call syntax")
            name = node.func.id
            args = [self.visit(a) for a in node.args]
            if name in ("Var", "Vi", "Vj", "Pm", "Vx", "Vy"):
                if not all(isinstance(a, int) for a in args) or \
                        len(args) != (3 if name == "Var" else 2):
                    raise self.error(f"{name} takes integer arguments: "
                                     + ("Var(position, dim, category)" if name == "Var"
                                        else f"{name}(position, dim)"))
                pos, dim, cat = args if name == "Var" else (*args, _CATS[name])
                if cat not in (0, 1, 2) or dim < 1:
                    raise self.error(f"invalid variable {name}{tuple(args)}")
                return self.variable(pos, dim, cat)
            fn = FUNCTIONS.get(name)
            if fn is None:
                raise self.error(f"unknown operation {name!r}")
            try:
                return fn(*args)
            except TypeError as e:
                if "positional argument" in str(e):
                    raise self.error(f"wrong number of arguments for {name}") from None
                raise
        raise self.error(f"unsupported syntax {type(node).__name__}")


class Genred:
    """A generic reduction of a formula string (pykeops' Genred).

    Genred(formula, aliases, reduction_op="Sum", axis=0, opt_arg=None,
    formula2=None, ...): axis=0 reduces over i (one output row per j),
    axis=1 over j; opt_arg is K of the K-min reductions; formula2 the
    weights of "LogSumExp" ("LogSumExpWeight") or the values of
    "SumSoftMaxWeight". The call takes one array per alias, in order of
    position: (M, D) for Vi, (N, D) for Vj, (D,) for Pm."""

    _framework = None

    def __init__(self, formula, aliases, reduction_op="Sum", axis=0, dtype=None,
                 opt_arg=None, formula2=None, cuda_type=None, dtype_acc="auto",
                 use_double_acc=False, sum_scheme="auto", enable_chunks=True,
                 rec_multVar_highdim=False, use_fast_math=True, gram_min_dim=None,
                 tensor_cores=None):
        raw = reduction_op in _SHIFT_EXP
        if raw:    # the two reductions of pykeops' raw log-sum-exp state
            reduction_op_given, reduction_op = reduction_op, "Max"
            if (formula2 is not None) != (reduction_op_given == "Max_SumShiftExpWeight"):
                raise ValueError(f"{reduction_op_given} takes the weights as formula2"
                                 if formula2 is None else
                                 f"{reduction_op_given} takes no formula2 (use "
                                 "Max_SumShiftExpWeight)")
            weights, formula2 = formula2, None
        if reduction_op not in PYKEOPS_KINDS:
            raise ValueError(f"unknown reduction {reduction_op!r} (one of "
                             f"{', '.join(sorted(set(PYKEOPS_KINDS) | set(_SHIFT_EXP)))})")
        if axis not in (0, 1):
            raise ValueError(f"axis={axis!r}: Genred reduces over axis 0 (i) or 1 (j)")
        kind = PYKEOPS_KINDS[reduction_op]
        if isinstance(aliases, str):
            aliases = [aliases]
        names, variables, declared, labels = {}, {}, {}, {}
        for n, alias in enumerate(aliases):
            name, cat, dim, pos = parse_alias(alias, n)
            if pos in declared:
                raise ValueError(f"alias {alias!r}: position {pos} is already taken")
            declared[pos] = (cat, dim)
            variables[pos] = LazyTensor((pos, dim, cat))
            if name:
                if name in names:
                    raise ValueError(f"alias {alias!r}: the name {name!r} is already used")
                names[name] = pos
            labels[pos] = f"argument {pos}" + (f" {name!r}" if name else "")
        parser = FormulaParser(names, variables)
        f = parser.parse(formula)
        roots = [f]
        if formula2 is not None:
            if kind not in ("logsumexp", "sumsoftmaxweight"):
                raise ValueError(f"formula2 is only for LogSumExp and SumSoftMaxWeight, "
                                 f"not {reduction_op}")
            roots.append(parser.parse(formula2))
        elif kind == "sumsoftmaxweight" or reduction_op == "LogSumExpWeight":
            raise ValueError(f"{reduction_op} needs the weights as formula2")
        if kind in fm.K_KINDS and opt_arg is None:
            raise ValueError(f"{reduction_op} needs K as opt_arg")
        for pos, v in variables.items():
            declared.setdefault(pos, (v._cat, v.ndim))
            labels.setdefault(pos, f"argument {pos}")
        self.formula, self.formula2, self.aliases = formula, formula2, list(aliases)
        self.reduction_op, self.axis, self.opt_arg = reduction_op, axis, opt_arg
        options = compile_options(sum_scheme=sum_scheme, dtype_acc=dtype_acc,
                                  use_double_acc=use_double_acc, use_fast_math=use_fast_math,
                                  gram_min_dim=gram_min_dim, tensor_cores=tensor_cores)
        nargs = max(declared) + 1 if declared else 0
        names = [labels.get(n, f"argument {n}") for n in range(nargs)]
        self._reduction = Reduction(
            tuple(roots), kind, axis, opt_arg if kind in fm.K_KINDS else None, options,
            declared=declared, names=names, framework=self._framework)
        self._shifted = None
        if raw:
            # s = sum exp(f - m) g, with m = max f an extra variable indexed
            # like the output rows (position nargs).
            self.reduction_op, self.formula2 = reduction_op_given, weights
            m = LazyTensor((nargs, 1, 1 - axis))
            s = (f - m).exp()
            if weights is not None:
                s = s * parser.parse(weights)
            shifted = dict(declared)
            shifted[nargs] = (1 - axis, 1)
            self._shifted = Reduction((s,), "sum", axis, None, options, declared=shifted,
                                      names=names + ["the row maxima"],
                                      framework=self._framework)

    def mlir(self, dtype="float32"):
        """The keops-dialect module compiled for `dtype`."""
        return self._reduction.mlir(dtype)

    def __call__(self, *args, backend="auto", device_id=-1, ranges=None, out=None):
        kwargs = {}
        if backend != "auto" or device_id != -1 or ranges is not None:
            kwargs = dict(backend=backend, device_id=device_id, ranges=ranges)
        if out is not None:
            if self._shifted is not None:
                raise ValueError(f"out= is not supported for {self.reduction_op}")
            kwargs["out"] = out
        res = self._reduction(*args, **kwargs)
        if self._shifted is None:
            return res
        # pykeops' raw state (m, s): m = max_j f, s = sum_j exp(f - m) g.
        if _arrays.framework(res) == "torch":
            torch = _arrays.torch_module()
            return torch.cat([res, self._shifted(*args, res, **kwargs)], -1)
        return np.concatenate([res, self._shifted(*args, res, **kwargs)], -1)


    def partial(self, *args, first=0, backend="auto", device_id=-1, ranges=None):
        """The state of this reduction over the reduced rows given, the first
        of which has index `first` in the whole reduced axis
        (keops.distributed.ReductionState: merge the states of all the rows,
        then finalize)."""
        if self._shifted is not None:
            raise ValueError(f"{self.reduction_op} has no partial states (use LogSumExp "
                             "or its reduction kinds)")
        kwargs = {}
        if backend != "auto" or device_id != -1:
            kwargs = dict(backend=backend, device_id=device_id)
        return self._reduction.partial(*args, first=first, ranges=ranges, **kwargs)


def _output_spec(output):
    name, cat, dim, _ = parse_alias(output, 0)
    if cat == 2:
        raise ValueError(f"output {output!r}: the output is indexed by i (Vi) or j (Vj)")
    return 1 - cat, dim


def _generic(reduction_op, formula, output, aliases, kwargs, cls):
    axis, dim = _output_spec(output)
    if reduction_op == "ArgKMin":
        kwargs.setdefault("opt_arg", dim)
    red = cls(formula, list(aliases), reduction_op=reduction_op, axis=axis, **kwargs)
    fdim = red._reduction.roots[0].ndim
    want = {"Sum": fdim, "LogSumExp": 1, "ArgMin": fdim, "ArgKMin": dim}[reduction_op]
    if dim != want:
        raise ValueError(f"output {output!r}: the formula gives {want} values per row")
    return red


def generic_sum(formula, output, *aliases, **kwargs):
    """Genred with a "Sum" reduction; output "a = Vi(D)" (over j) or "Vj(D)"."""
    return _generic("Sum", formula, output, aliases, kwargs, Genred)


def generic_logsumexp(formula, output, *aliases, **kwargs):
    """Genred with a "LogSumExp" reduction; output "a = Vi(1)" or "Vj(1)"."""
    return _generic("LogSumExp", formula, output, aliases, kwargs, Genred)


def generic_argmin(formula, output, *aliases, **kwargs):
    """Genred with an "ArgMin" reduction."""
    return _generic("ArgMin", formula, output, aliases, kwargs, Genred)


def generic_argkmin(formula, output, *aliases, **kwargs):
    """Genred with an "ArgKMin" reduction; output "a = Vi(K)" gives K."""
    return _generic("ArgKMin", formula, output, aliases, kwargs, Genred)
