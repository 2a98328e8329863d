"""LazyTensor: symbolic matrices with pykeops' names and semantics.

A LazyTensor is a node of a formula DAG (see keops.formula): a variable that
wraps an array (indexed by i, by j, or a parameter), a symbolic variable
(Vi(0, 3): data given at call time), a constant, or an op applied to other
LazyTensors. It is never evaluated as a matrix: a reduction (sum, min,
argKmin, logsumexp, ...) over i or j compiles the formula into a kernel
(cached by structure and dtype) and returns a NumPy array or a torch tensor.
"""

import math
import numbers

import numpy as np

from . import _arrays
from . import formula as fm
from . import reductions as rd
from .derivatives import DerivativesMixin
from .lazy_reductions import ReductionsMixin, emit_mlir  # noqa: F401 (keops.emit_mlir)
from .tensor_algebra import TensorAlgebraMixin

# meta: framework, dtype, device, ni, nj, batch shape (NumPy-broadcast over
# the variables; () without batch dimensions)
_NONE = (None, None, None, None, None, ())
_META_NAMES = ("framework", "dtype", "device", "ni", "nj", "batch")
_CMP = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}


def _merge_meta(ma, mb):
    out = []
    for k in range(5):
        a, b = ma[k], mb[k]
        if a is None or a == b:
            out.append(b if a is None else a)
        elif b is None:
            out.append(a)
        elif k == 0:
            raise TypeError("cannot mix NumPy arrays and torch tensors in one formula")
        elif k == 1:
            raise TypeError(f"mixed dtypes: {a} and {b} in one formula; convert the "
                            "inputs to one dtype (float16, float32 or float64)")
        elif k == 2:
            raise ValueError(f"mixed devices: {a} and {b} in one formula")
        else:
            raise ValueError(f"mismatched numbers of {'ij'[k - 3]} rows: {a} and {b} "
                             f"({'M' if k == 3 else 'N'} must be the same for every "
                             f"{'ij'[k - 3]} variable)")
    out.append(rd.broadcast_batch(ma[5], mb[5]))
    return tuple(out)


# real op complex: the complex operand's methods, which promote the real one.
_COMPLEX_METHODS = {"add": ("__radd__", "__add__"), "sub": ("__rsub__", "__sub__"),
                    "mul": ("__rmul__", "__mul__"), "div": ("__rtruediv__", "__truediv__")}


def _complex_binary(real, z, op, name, reverse):
    if op not in _COMPLEX_METHODS:
        raise TypeError(f"{name} is not defined between a real and a complex LazyTensor")
    return getattr(z, _COMPLEX_METHODS[op][reverse])(real)


def _is_scalar(x, value):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and x == value


class LazyTensor(TensorAlgebraMixin, DerivativesMixin, ReductionsMixin):
    """Symbolic wrapper of NumPy arrays and torch tensors (pykeops' LazyTensor).

    LazyTensor(x) with x of shape (M, 1, D) is indexed by i, (1, N, D) by j,
    (1, 1, D), (D,) or a scalar is a parameter; LazyTensor(x, axis=0 / 1) for
    a 2D array (M, D) / (N, D); LazyTensor((index, dim, cat)) a symbolic
    variable; a Python int a constant, a float a parameter. Non-contiguous
    arrays are copied (later in-place changes to them are not seen)."""

    __slots__ = ("_op", "_args", "_attrs", "ndim", "_cat", "_data", "_sym", "_m",
                 "_hassym", "_cache", "ranges", "__weakref__")
    _framework = None        # keops.numpy / keops.torch subclasses fix it
    _complex_cls = None      # the ComplexLazyTensor of the class (keops.complex)
    _real_cls = None         # and the real class (complex_class links both)
    _is_complex = False
    __array_ufunc__ = None   # NumPy defers to our reflected operators
    __array_priority__ = 1000
    __hash__ = object.__hash__

    # -- construction -------------------------------------------------------

    def __new__(cls, x=None, axis=None):
        # Complex data make a ComplexLazyTensor, as in pykeops.
        if cls._complex_cls is not None and _arrays.is_complex(x):
            cls = cls._complex_cls
        return object.__new__(cls)

    def __init__(self, x=None, axis=None):
        # pykeops' block-sparse ranges (a 6-tuple), used by the reductions
        # of this LazyTensor and of those built from it.
        self.ranges = None
        self._args = ()
        self._attrs = ()
        self._sym = None
        self._hassym = False
        self._cache = None
        self._cat = None
        self._data = None
        self._m = _NONE
        fw = _arrays.framework(x)
        if fw is not None:
            self._init_array(x, axis, fw)
        elif isinstance(x, tuple):
            if len(x) != 3 or not all(isinstance(v, int) for v in x):
                raise ValueError("LazyTensor(tuple) takes a triplet of integers "
                                 "(index, dim, cat)")
            if axis is not None:
                raise ValueError("axis must not be given with LazyTensor((index, dim, cat))")
            index, dim, cat = x
            if cat not in (0, 1, 2) or not 1 <= dim <= fm.MAX_DIM or \
                    not 0 <= index < fm.MAX_DIM:
                raise ValueError(f"invalid symbolic variable {x}: index in [0, {fm.MAX_DIM}), "
                                 f"dim in [1, {fm.MAX_DIM}], cat 0 (i), 1 (j) or 2 "
                                 "(parameter)")
            self._op, self.ndim, self._cat, self._sym, self._hassym = "var", dim, cat, index, True
        elif isinstance(x, bool):
            raise TypeError("LazyTensor of a bool is not supported")
        elif isinstance(x, numbers.Integral):
            if axis not in (None, 2):
                raise ValueError("an integer constant takes no axis")
            self._op, self.ndim, self._attrs = "const", 1, (float(int(x)),)
        elif isinstance(x, (numbers.Real, list)):
            if axis not in (None, 2):
                raise ValueError("numbers and lists of numbers are parameters: axis must "
                                 "be None or 2")
            values = x if isinstance(x, list) else [x]
            if not values or not all(isinstance(v, numbers.Real) and not isinstance(v, bool)
                                     for v in values):
                raise TypeError("a list given to LazyTensor must hold numbers")
            self._op, self.ndim, self._cat = "var", len(values), 2
            self._data = tuple(float(v) for v in values)
        else:
            raise TypeError("LazyTensor is built from NumPy arrays, torch tensors, numbers, "
                            f"lists of numbers or (index, dim, cat) triplets; got {type(x).__name__}")

    def _init_array(self, x, axis, fw):
        cls_fw = type(self)._framework
        if cls_fw is not None and fw != cls_fw:
            raise TypeError(f"{type(self).__module__}.LazyTensor takes "
                            f"{'NumPy arrays' if cls_fw == 'numpy' else 'torch tensors'}; "
                            f"got a {'torch tensor' if fw == 'torch' else 'NumPy array'}")
        shape = tuple(x.shape)
        dtype = _arrays.dtype_name(x, fw)
        if dtype not in _arrays.DTYPES:
            _arrays.check_dtype(x, fw, f"LazyTensor of shape {shape}")
        if fw == "torch":
            _arrays.check_torch_layout(x, f"LazyTensor of shape {shape}")
        nd = len(shape)
        batch = ()
        if nd > 3:
            # (B1, ..., Bk, M, 1, D), (B1, ..., Bk, 1, N, D), (B1, ..., Bk, 1, 1, D)
            if axis is not None:
                raise ValueError(f"LazyTensor of shape {shape}: axis must not be given with "
                                 "batch dimensions, the shape says the category")
            batch, shape = shape[:-3], shape[-3:]
            nd = 3
        if nd == 3:
            if axis is not None:
                raise ValueError(f"LazyTensor of shape {shape}: axis must not be given with a "
                                 "3D array, its shape says the category")
            if shape[0] == 1:
                cat = 2 if shape[1] == 1 else 1
            elif shape[1] == 1:
                cat = 0
            else:
                raise ValueError(f"LazyTensor of shape {batch + shape}: the last three axes "
                                 "must be (M, 1, D) (an i variable), (1, N, D) (a j variable) "
                                 "or (1, 1, D) (a parameter), after any batch dimensions")
            rows = shape[1] if cat == 1 else shape[0]
        elif nd == 2:
            if axis == 0 or axis == 1:
                cat, rows = axis, shape[0]
            elif axis == 2 and shape[0] == 1:
                cat, rows = 2, 1
            else:
                raise ValueError(f"LazyTensor of shape {shape}: a 2D array needs axis=0 (i "
                                 "variable, shape (M, D)) or axis=1 (j variable, shape (N, D)); "
                                 f"got axis={axis!r}")
        elif nd < 2:
            if axis not in (None, 2):
                raise ValueError(f"LazyTensor of shape {shape}: a 0D or 1D array is a "
                                 f"parameter; axis must be None or 2, got {axis!r}")
            cat, rows = 2, 1
        dim = shape[-1] if shape else 1
        if dim < 1:
            raise ValueError(f"LazyTensor of shape {shape}: the vector dimension D must be "
                             "at least 1")
        self._op, self.ndim, self._cat = "var", dim, cat
        # Batched data keep their batch axes: (B..., rows, D), (B..., D).
        self._data = _arrays.as_vector(x, fw, dim, batch) if cat == 2 else \
            _arrays.as_rows(x, fw, rows, dim, batch)
        self._m = (fw, dtype, "cpu" if fw == "numpy" else str(x.device),
                   rows if cat == 0 else None, rows if cat == 1 else None, batch)

    def _node(self, op, args, ndim, attrs=(), cls=None):
        """A new op node of self's class (or `cls`) over `args` (LazyTensors)."""
        if not 1 <= ndim <= fm.MAX_DIM:
            raise ValueError(f"{op}: a result of dimension {ndim} (formula values have "
                             f"1 to {fm.MAX_DIM} components)")
        n = object.__new__(cls or type(self))
        n._op, n._args, n._attrs, n.ndim = op, args, attrs, ndim
        n._cat = n._data = n._sym = n._cache = None
        m = args[0]._m
        hassym = args[0]._hassym
        ranges = args[0].ranges
        for a in args[1:]:
            if ranges is None:
                ranges = a.ranges
            ma = a._m
            if ma is not m and ma != m:
                if ma is _NONE:
                    pass
                elif m is _NONE:
                    m = ma
                else:
                    m = _merge_meta(m, ma)
            hassym = hassym or a._hassym
        n._m = m
        n._hassym = hassym
        n.ranges = ranges
        return n

    def _join_meta(self, other):
        return _merge_meta(self._m, other._m)

    def _lt(self, x):
        """x as a LazyTensor of self's class (numbers, lists, arrays)."""
        if isinstance(x, LazyTensor):
            return x
        try:
            return type(self)(x)
        except TypeError as e:
            raise TypeError(f"cannot combine a LazyTensor with {type(x).__name__}: {e}") from None

    @staticmethod
    def _check_dims(name, dims, rule="sameor1"):
        if rule == "same":
            if len(set(dims)) > 1:
                raise ValueError(f"{name} expects operands of the same dimension, got "
                                 f"{' and '.join(map(str, dims))}")
        elif len(set(dims) - {1}) > 1:
            raise ValueError(f"{name}: dimensions {', '.join(map(str, dims))} do not match "
                             "(operands must have the same dimension, or dimension 1)")

    def _unary(self, op, ndim=None, attrs=()):
        return self._node(op, (self,), self.ndim if ndim is None else ndim, attrs)

    def _binary(self, other, op, name, rule="sameor1", ndim=None, attrs=(), reverse=False):
        if not isinstance(other, LazyTensor):
            other = self._lt(other)
        if other._is_complex and not self._is_complex:
            return _complex_binary(self, other, op, name, reverse)
        if rule and self.ndim != other.ndim and (rule == "same" or (
                self.ndim != 1 and other.ndim != 1)):
            self._check_dims(name, (self.ndim, other.ndim), rule)
        args = (other, self) if reverse else (self, other)
        return self._node(op, args, max(self.ndim, other.ndim) if ndim is None else ndim, attrs)

    def _ternary(self, b, c, op, name):
        b, c = self._lt(b), self._lt(c)
        self._check_dims(name, (self.ndim, b.ndim, c.ndim))
        return self._node(op, (self, b, c), max(self.ndim, b.ndim, c.ndim))

    # -- properties ---------------------------------------------------------

    @property
    def ni(self):
        return self._m[3]

    @property
    def nj(self):
        return self._m[4]

    @property
    def axis(self):
        """The category of a variable: 0 (i), 1 (j), 2 (parameter)."""
        return self._cat

    @property
    def dtype(self):
        """The dtype name ("float16", "float32" or "float64"), None if not
        known yet."""
        return self._m[1]

    @property
    def _shape(self):
        m = self._m
        return (*m[5], m[3] or 1, m[4] or 1, self.ndim)

    @property
    def shape(self):
        s = self._shape
        return s[:-1] if s[-1] == 1 else s

    def dim(self):
        return 3 + len(self._m[5])

    @property
    def nbatchdims(self):
        return len(self._m[5])

    @property
    def batchdims(self):
        return self._m[5] or None

    def __repr__(self):
        return f"KeOps LazyTensor\n    formula: {self.formula}\n    shape: {self.shape}"

    __str__ = __repr__

    @property
    def formula(self):
        """A readable form of the formula (not a KeOps formula string)."""
        names = {}
        nodes, variables, _ = fm.collect((self,))
        for n, v in enumerate(variables):
            label = f"Var({v._sym},{v.ndim},{v._cat})" if v._sym is not None else \
                f"{'Vi Vj Pm'.split()[v._cat]}{n}"
            names[id(v)] = label
        for node in nodes:
            if node._op == "var":
                continue
            args = [names[id(a)] for a in node._args] + [repr(a) for a in node._attrs]
            names[id(node)] = f"{node._op}({', '.join(args)})"
        return names[id(self)]

    # -- arithmetic ---------------------------------------------------------

    def __add__(self, other):
        if _is_scalar(other, 0):
            return self
        return self._binary(other, "add", "+")

    def __radd__(self, other):
        if _is_scalar(other, 0):
            return self
        return self._binary(other, "add", "+", reverse=True)

    def __sub__(self, other):
        if _is_scalar(other, 0):
            return self
        return self._binary(other, "sub", "-")

    def __rsub__(self, other):
        if _is_scalar(other, 0):
            return -self
        return self._binary(other, "sub", "-", reverse=True)

    def __mul__(self, other):
        if _is_scalar(other, 1):
            return self
        if _is_scalar(other, -1):
            return -self
        return self._binary(other, "mul", "*")

    def __rmul__(self, other):
        if _is_scalar(other, 1):
            return self
        if _is_scalar(other, -1):
            return -self
        return self._binary(other, "mul", "*", reverse=True)

    def __truediv__(self, other):
        if _is_scalar(other, 1):
            return self
        return self._binary(other, "div", "/")

    def __rtruediv__(self, other):
        if _is_scalar(other, 1):
            return self._unary("inv")
        return self._binary(other, "div", "/", reverse=True)

    def __neg__(self):
        return self._unary("neg")

    def __abs__(self):
        return self._unary("abs")

    def abs(self):
        return self._unary("abs")

    def __or__(self, other):
        """(x | y): the scalar product of two vectors of the same dimension."""
        return self._binary(other, "dot", "| (scalar product)", rule="same", ndim=1)

    def __ror__(self, other):
        return self._binary(other, "dot", "| (scalar product)", rule="same", ndim=1,
                            reverse=True)

    def __pow__(self, other):
        if isinstance(other, numbers.Integral) and not isinstance(other, bool):
            return self._unary("square") if other == 2 else self._unary("powi", attrs=(int(other),))
        if isinstance(other, (float, np.floating)):
            if other == 0.5:
                return self._unary("sqrt")
            if other == -0.5:
                return self._unary("rsqrt")
        other = self._lt(other)
        if other.ndim not in (1, self.ndim):
            raise ValueError(f"** : the exponent has dimension {other.ndim}; it must be 1 "
                             f"or the dimension of the base ({self.ndim})")
        return self._node("powf", (self, other), self.ndim)

    def __rpow__(self, other):
        base = self._lt(other)
        self._check_dims("**", (base.ndim, self.ndim))
        return self._node("powf", (base, self), max(base.ndim, self.ndim))

    def power(self, other):
        return self ** other

    def square(self):
        return self._unary("square")

    def sqrt(self):
        return self._unary("sqrt")

    def rsqrt(self):
        return self._unary("rsqrt")

    def inv(self):
        return self._unary("inv")

    # -- comparisons (1 where true, 0 elsewhere) ----------------------------

    def _cmp(self, other, pred):
        return self._binary(other, "cmp", _CMP[pred], attrs=(pred,))

    def __lt__(self, other):
        return self._cmp(other, "lt")

    def __le__(self, other):
        return self._cmp(other, "le")

    def __gt__(self, other):
        return self._cmp(other, "gt")

    def __ge__(self, other):
        return self._cmp(other, "ge")

    def __eq__(self, other):
        return self._cmp(other, "eq")

    def __ne__(self, other):
        return self._cmp(other, "ne")

    # -- elementary functions -----------------------------------------------

    def exp(self):
        return self._unary("exp")

    def log(self):
        return self._unary("log")

    def xlogx(self):
        return self._unary("xlogx")

    def sin(self):
        return self._unary("sin")

    def cos(self):
        return self._unary("cos")

    def tan(self):
        return self._unary("tan")

    def asin(self):
        return self._unary("asin")

    def acos(self):
        return self._unary("acos")

    def atan(self):
        return self._unary("atan")

    def sinh(self):
        return self._unary("sinh")

    def cosh(self):
        return self._unary("cosh")

    def tanh(self):
        return self._unary("tanh")

    def erf(self):
        return self._unary("erf")

    def floor(self):
        return self._unary("floor")

    def ceil(self):
        return self._unary("ceil")

    def sinxdivx(self):
        return self._unary("sinxdivx")

    def sinc(self):
        """sin(pi x) / (pi x)."""
        return (math.pi * self).sinxdivx()

    def atan2(self, other):
        """y.atan2(x): atan2(y, x), component by component."""
        return self._binary(other, "atan2", "atan2")

    def sign(self):
        return self._unary("sign")

    def step(self):
        return self._unary("step")

    def relu(self):
        return self._unary("relu")

    def clamp(self, a, b):
        """min(max(x, a), b)."""
        return self._ternary(a, b, "clamp", "clamp")

    def ifelse(self, a, b):
        """a where x >= 0, b elsewhere."""
        return self._ternary(a, b, "ifelse", "ifelse")

    def mod(self, modulus, offset=0):
        """x - modulus * floor((x - offset) / modulus)."""
        return self._ternary(modulus, offset, "mod", "mod")

    def round(self, d=0):
        """Rounding to d decimals (halves away from zero)."""
        if not isinstance(d, numbers.Integral) or isinstance(d, bool):
            raise ValueError(f"round takes an integer number of decimals, got {d!r}")
        return self._unary("round", attrs=(int(d),))

    # -- norms and distances ------------------------------------------------

    def sqnorm2(self):
        return self._unary("sqnorm2", 1)

    def norm2(self):
        return self._unary("norm2", 1)

    def norm(self, dim):
        if dim not in (-1, 2):
            raise ValueError("norm: only the norm over the last dimension (dim=-1) is supported")
        return self.norm2()

    def normalize(self):
        return self._unary("normalize")

    def sqdist(self, other):
        return self._binary(other, "sqdist", "sqdist", ndim=1)

    def weightedsqnorm(self, other):
        """x.weightedsqnorm(s): s of dimension 1 (isotropic), D (diagonal) or
        D*D (a full symmetric matrix)."""
        s = self._lt(other)
        d = self.ndim
        if s.ndim not in (1, d, d * d):
            raise ValueError(f"weightedsqnorm: the weights have dimension {s.ndim}; it must "
                             f"be 1, D = {d} or D*D = {d * d}")
        return self._node("wsqnorm", (s, self), 1)

    def weightedsqdist(self, g, s):
        """x.weightedsqdist(y, s) = (x - y).weightedsqnorm(s)."""
        g, s = self._lt(g), self._lt(s)
        self._check_dims("weightedsqdist", (self.ndim, g.ndim))
        d = max(self.ndim, g.ndim)
        if s.ndim not in (1, d, d * d):
            raise ValueError(f"weightedsqdist: the weights have dimension {s.ndim}; it must "
                             f"be 1, D = {d} or D*D = {d * d}")
        return self._node("wsqdist", (s, self, g), 1)

    # pykeops operations that keops-mlir does not have (yet)
    def _missing(name):
        def method(self, *args, **kwargs):
            raise NotImplementedError(f"LazyTensor.{name} is not supported by keops-mlir yet")
        method.__name__ = name
        return method

    for _name in ("difference_matrix", "bspline", "softdtw_sqdist"):
        locals()[_name] = _missing(_name)
    del _name, _missing

    # -- complex values (keops.complex) -------------------------------------

    def real2complex(self):
        """The complex LazyTensor x + 0i."""
        return self._node("real2complex", (self,), 2 * self.ndim, cls=self._complex_cls)

    def imag2complex(self):
        """The complex LazyTensor 0 + xi."""
        return self._node("imag2complex", (self,), 2 * self.ndim, cls=self._complex_cls)

    def exp1j(self):
        """The complex LazyTensor exp(i x) = cos x + i sin x."""
        d = self.ndim
        mask = tuple(k + p * d for k in range(d) for p in (0, 1))
        return self._node("shuffle", (self.cos(), self.sin()), 2 * d, (mask,),
                          cls=self._complex_cls)


def variables(cls):
    """(Vi, Vj, Pm) making LazyTensors of class `cls` (keops.LazyTensor, or
    the keops.numpy / keops.torch ones)."""
    def Vi(x_or_ind, dim=None):
        """An i variable: Vi(x) for an array (M, D), Vi(index, dim) symbolic."""
        return cls(x_or_ind, axis=0) if dim is None else cls((x_or_ind, dim, 0))

    def Vj(x_or_ind, dim=None):
        """A j variable: Vj(y) for an array (N, D), Vj(index, dim) symbolic."""
        return cls(x_or_ind, axis=1) if dim is None else cls((x_or_ind, dim, 1))

    def Pm(x_or_ind, dim=None):
        """A parameter: Pm(p) for an array (D,) or a number, Pm(index, dim)
        symbolic."""
        return cls(x_or_ind, axis=2) if dim is None else cls((x_or_ind, dim, 2))

    for fn in (Vi, Vj, Pm):
        fn.__module__, fn.__qualname__ = cls.__module__, fn.__name__
    return Vi, Vj, Pm


Vi, Vj, Pm = variables(LazyTensor)
