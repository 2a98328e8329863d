"""ComplexLazyTensor: symbolic matrices of complex numbers (pykeops' names).

D complex numbers are a formula value of dimension 2D holding (real,
imaginary) pairs, the memory layout of complex64 / complex128 data: a complex
array enters a formula as a real view of itself (torch.view_as_real, or a
NumPy view), without a copy, and torch's autograd carries gradients back to
the complex tensor. Addition and subtraction are those of the pairs; the
products, quotients, exponentials, moduli and arguments are the keops
dialect's complex ops (keops.cmul, keops.cdiv, keops.cexp, keops.cabs,
keops.cangle, keops.conj, keops.csum), which the compiler verifies,
differentiates and lowers like every other op. A reduction of a complex
formula (sum over i or j, K @ v) returns a complex array.

Operands broadcast as in pykeops: a complex of dimension 1 against one of
dimension D, a real scalar (dimension 1) against any complex, a real vector
of dimension D against D complex numbers (component by component).
"""

import numbers

import numpy as np

from . import _arrays
from . import reductions as rd
from .lazy_tensor import LazyTensor, _is_scalar


def _pairs(values):
    out = []
    for v in values:
        if not isinstance(v, numbers.Number) or isinstance(v, bool):
            raise TypeError("a list given to ComplexLazyTensor must hold numbers")
        out += [float(v.real), float(v.imag)]
    return out


def _real_view(x):
    """Complex data as reals: an array (..., D) as (..., 2D), numbers and
    lists as lists of (real, imaginary) pairs."""
    if isinstance(x, numbers.Number):
        return _pairs([x])
    if isinstance(x, list):
        return _pairs(x)
    fw = _arrays.framework(x)
    if fw == "torch":
        torch = _arrays.torch_module()
        if not x.is_complex():
            raise TypeError("ComplexLazyTensor takes complex tensors; got "
                            f"dtype {x.dtype} (use LazyTensor for real data)")
        if x.dtype not in (torch.complex64, torch.complex128):
            raise TypeError(f"dtype {x.dtype} is not supported; keops-mlir takes "
                            "complex64 or complex128 data")
        r = torch.view_as_real(x if x.dim() else x.reshape(1))
        return r.reshape(*r.shape[:-2], 2 * r.shape[-2])
    if fw == "numpy":
        if x.dtype not in (np.complex64, np.complex128):
            raise TypeError(f"dtype {x.dtype} is not supported; keops-mlir takes "
                            "complex64 or complex128 data")
        x = np.ascontiguousarray(x.reshape(1) if x.ndim == 0 else x)
        r = x.view(np.float32 if x.dtype == np.complex64 else np.float64)
        return r
    raise TypeError("ComplexLazyTensor is built from complex NumPy arrays, torch "
                    f"tensors, numbers or lists of numbers; got {type(x).__name__}")


def as_complex_array(r):
    """A reduction's real result (..., 2E) as complex (..., E)."""
    fw = _arrays.framework(r)
    if fw == "torch":
        torch = _arrays.torch_module()
        return torch.view_as_complex(r.reshape(*r.shape[:-1], r.shape[-1] // 2, 2))
    r = np.ascontiguousarray(r)
    return r.view(np.complex64 if r.dtype == np.float32 else np.complex128)


class ComplexReduction:
    """A symbolic reduction (rd.Reduction) of a complex formula: called like
    it, returns complex arrays."""

    def __init__(self, reduction):
        self._reduction = reduction

    def __call__(self, *args, **kwargs):
        return as_complex_array(self._reduction(*args, **kwargs))

    def __getattr__(self, name):
        return getattr(self._reduction, name)


def _not_defined(name):
    def method(self, *args, **kwargs):
        raise TypeError(f"{name} is not defined for complex LazyTensors (take .real, "
                        ".imag, .abs() or .angle() first)")
    method.__name__ = name
    return method


class ComplexMixin:
    """The complex operations; complex_class() mixes them into a LazyTensor
    class."""

    __slots__ = ()
    _is_complex = True

    def __init__(self, x=None, axis=None):
        super().__init__(_real_view(x), axis)

    # -- promotion and broadcasting -------------------------------------------

    def _promote(self, x):
        """x as a LazyTensor: complex numbers and arrays as complex ones."""
        if isinstance(x, LazyTensor):
            return x
        if _arrays.is_complex(x):
            return type(self)(x)
        return self._real_cls(x)

    def _complexify(self, x):
        x = self._promote(x)
        return x if x._is_complex else x.real2complex()

    def _spread(self, d):
        """This complex of dimension 1 repeated d times."""
        return self._node("shuffle", (self,), 2 * d, ((0, 1) * d,))

    @staticmethod
    def _duplicate(x):
        """The reals of x each twice: the scales of D complex numbers."""
        mask = tuple(k for k in range(x.ndim) for _ in (0, 1))
        return x._node("shuffle", (x,), 2 * x.ndim, (mask,), cls=x._complex_cls)

    @staticmethod
    def _match(a, b, name):
        """Complex a and b broadcast to one complex dimension."""
        da, db = a.ndim // 2, b.ndim // 2
        if da == db:
            return a, b
        if da == 1:
            return a._spread(db), b
        if db == 1:
            return a, b._spread(da)
        raise ValueError(f"{name}: complex dimensions {da} and {db} do not match "
                         "(operands must have the same dimension, or dimension 1)")

    def _pairwise(self, other, op, name, reverse=False):
        a, b = self._match(self, self._complexify(other), name)
        if reverse:
            a, b = b, a
        return a._node(op, (a, b), a.ndim, cls=self._complex_cls)

    def _scaled(self, other, op, name):
        """self * x or self / x for a real x: of dimension 1 (every pair
        scaled), or D (pair k scaled by x_k)."""
        d = self.ndim // 2
        if other.ndim == 1:
            return self._node(op, (self, other), self.ndim)
        z = self
        if d == 1:
            z = self._spread(other.ndim)
        elif other.ndim != d:
            raise ValueError(f"{name}: a complex of dimension {d} and a real of dimension "
                             f"{other.ndim} (dimensions must match, or be 1)")
        return z._node(op, (z, self._duplicate(other)), z.ndim)

    # -- arithmetic -------------------------------------------------------------

    def __add__(self, other):
        return self if _is_scalar(other, 0) else self._pairwise(other, "add", "+")

    def __radd__(self, other):
        return self if _is_scalar(other, 0) else \
            self._pairwise(other, "add", "+", reverse=True)

    def __sub__(self, other):
        return self if _is_scalar(other, 0) else self._pairwise(other, "sub", "-")

    def __rsub__(self, other):
        return self._pairwise(other, "sub", "-", reverse=True)

    def __mul__(self, other):
        if _is_scalar(other, 1):
            return self
        other = self._promote(other)
        if not other._is_complex:
            return self._scaled(other, "mul", "*")
        return self._pairwise(other, "cmul", "*")

    __rmul__ = __mul__

    def __truediv__(self, other):
        if _is_scalar(other, 1):
            return self
        other = self._promote(other)
        if not other._is_complex:
            return self._scaled(other, "div", "/")
        return self._pairwise(other, "cdiv", "/")

    def __rtruediv__(self, other):
        return self._pairwise(other, "cdiv", "/", reverse=True)

    def __neg__(self):
        return self._unary("neg")

    # -- complex functions ------------------------------------------------------

    @property
    def real(self):
        """The real parts (a real LazyTensor)."""
        return self._node("shuffle", (self,), self.ndim // 2,
                          (tuple(range(0, self.ndim, 2)),), cls=self._real_cls)

    @property
    def imag(self):
        """The imaginary parts (a real LazyTensor)."""
        return self._node("shuffle", (self,), self.ndim // 2,
                          (tuple(range(1, self.ndim, 2)),), cls=self._real_cls)

    def conj(self):
        return self._unary("conj")

    def exp(self):
        return self._unary("cexp")

    def __abs__(self):
        return self._node("cabs", (self,), self.ndim // 2, cls=self._real_cls)

    abs = __abs__

    def angle(self):
        return self._node("cangle", (self,), self.ndim // 2, cls=self._real_cls)

    def sum(self, axis=-1, dim=None, **kwargs):
        """sum(-1): the sum of the complex components; sum(0) / sum(1): the
        sum reduction over i / over j (a complex array)."""
        if dim is not None:
            axis = dim
        if self._is_feature_axis(axis):
            return self._unary("csum", 2)
        return self._reduction("sum", axis, None, **kwargs)

    def concat(self, other):
        other = self._promote(other)
        if not other._is_complex:
            raise TypeError("concat: a complex LazyTensor is concatenated with complex "
                            "ones (use .real2complex() on the real one)")
        return self._node("concat", (self, other), self.ndim + other.ndim)

    def real2complex(self):
        raise ValueError("real2complex cannot be applied to a complex LazyTensor")

    def imag2complex(self):
        raise ValueError("imag2complex cannot be applied to a complex LazyTensor")

    def exp1j(self):
        raise ValueError("exp1j cannot be applied to a complex LazyTensor")

    # -- reductions ---------------------------------------------------------------

    def _reduce(self, kind, axis, k=None, weight=None, call=True, **kwargs):
        if kind != "sum":
            raise TypeError(f"the {kind} reduction of a complex LazyTensor is not "
                            "defined; complex LazyTensors reduce with sum (or K @ v)")
        if kwargs.get("out") is not None:
            raise ValueError("out= is not supported for complex results")
        res = super()._reduce(kind, axis, k, weight, call, **kwargs)
        if isinstance(res, rd.Reduction):
            return ComplexReduction(res)
        return as_complex_array(res)

    # -- what pykeops reports ----------------------------------------------------

    @property
    def dtype(self):
        return {"float32": "complex64", "float64": "complex128"}.get(self._m[1])

    @property
    def _shape(self):
        m = self._m
        return (*m[5], m[3] or 1, m[4] or 1, self.ndim // 2)

    def __repr__(self):
        return (f"KeOps ComplexLazyTensor\n    formula: {self.formula}\n"
                f"    shape: {self.shape}")

    __str__ = __repr__

    # Real-only operations.
    for _name in ("__pow__", "__rpow__", "power", "square", "sqrt", "rsqrt", "inv",
                  "__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__", "__or__",
                  "__ror__", "log", "xlogx", "sin", "cos", "tan", "asin", "acos", "atan",
                  "sinh", "cosh", "tanh", "erf", "floor", "ceil", "sinxdivx", "sinc",
                  "atan2", "sign", "step", "relu", "clamp", "ifelse", "mod", "round",
                  "sqnorm2", "norm2", "norm", "normalize", "sqdist", "weightedsqnorm",
                  "weightedsqdist", "elem", "extract", "__getitem__", "one_hot",
                  "matvecmult", "vecmatmult", "tensorprod", "keops_tensordot",
                  "keops_kron", "grad", "diff", "grad_matrix", "divergence", "laplacian",
                  "trace_operator", "min", "max", "argmin", "argmax", "min_argmin",
                  "max_argmax", "Kmin", "argKmin", "Kmin_argKmin", "logsumexp",
                  "sumsoftmaxweight", "min_argmin_reduction", "max_argmax_reduction",
                  "Kmin_reduction", "argKmin_reduction", "Kmin_argKmin_reduction",
                  "logsumexp_reduction", "sumsoftmaxweight_reduction", "solve"):
        locals()[_name] = _not_defined(_name)
    del _name
    __hash__ = LazyTensor.__hash__


def complex_class(cls):
    """The ComplexLazyTensor class of the LazyTensor class `cls` (linked both
    ways: cls(complex data) makes one)."""

    class ComplexLazyTensor(ComplexMixin, cls):
        __doc__ = (f"A complex LazyTensor ({cls.__module__}.LazyTensor of complex "
                   "data; see keops.complex_lazy_tensor).")
        __slots__ = ()

    ComplexLazyTensor.__module__ = cls.__module__
    ComplexLazyTensor.__qualname__ = "ComplexLazyTensor"
    ComplexLazyTensor._real_cls = cls
    ComplexLazyTensor._complex_cls = ComplexLazyTensor
    cls._real_cls = cls
    cls._complex_cls = ComplexLazyTensor
    return ComplexLazyTensor
