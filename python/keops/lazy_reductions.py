"""The reductions of LazyTensors (sum, min, argKmin, logsumexp, ... over i
or j, with pykeops' axis conventions), their MLIR, and the linear algebra of
symbolic matrices (K @ v, K.T, solve): a mixin of keops.LazyTensor. A
reduction of a formula with data runs at once (keops.reductions.reduce);
one with symbolic variables is a keops.reductions.Reduction, called later."""

import numpy as np

from . import _arrays
from . import formula as fm
from . import reductions as rd
from .ranges import swap_ranges


class ReductionsMixin:
    __slots__ = ()

    # -- reductions -----------------------------------------------------------

    def _is_feature_axis(self, axis):
        """Whether `axis` is the vector axis: -1, or the last of the shape
        (2, after any batch dimensions)."""
        return axis == -1 or (axis == self.nbatchdims + 2 and not isinstance(axis, bool))

    def _reduction(self, kind, axis, dim, k=None, weight=None, call=True, **kwargs):
        """A reduction over pykeops' `axis` (or `dim`): counted on the whole
        shape (B..., M, N, D), so nbatchdims (or -3) reduces over i and
        nbatchdims + 1 (or -2) over j."""
        if axis is None:
            axis = dim
        b = self.nbatchdims
        if axis is None:
            name = {"kmin": "Kmin", "argkmin": "argKmin", "kmin_argkmin": "Kmin_argKmin"}.get(kind, kind)
            raise ValueError(f"{name} needs axis= (or dim=): {b} reduces over i, {b + 1} over j")
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) \
                or axis not in (b, b + 1, -3, -2):
            batch = f" (after {b} batch dimensions)" if b else ""
            raise ValueError(f"axis={axis!r}: a reduction is over axis {b} (over i) or {b + 1} "
                             f"(over j){batch}" +
                             (f"; axis -1 (or {b + 2}) is the vector dimension"
                              if kind in ("sum", "min", "max", "argmin", "argmax") else ""))
        return self._reduce(kind, 0 if axis in (b, -3) else 1, k, weight, call, **kwargs)

    def _reduce(self, kind, axis, k=None, weight=None, call=True, **kwargs):
        """The reduction over i (axis 0) or j (axis 1)."""
        roots = (self,) if weight is None else (self, self._lt(weight))
        options, out, ranges = rd.split_options(kwargs)
        if ranges is None:
            ranges = self.ranges if self.ranges is not None else roots[-1].ranges
        if call and not (self._hassym or roots[-1]._hassym):
            return rd.reduce(roots, kind, axis, k, options, out, ranges)
        return rd.Reduction(roots, kind, axis, k, options, framework=self._framework, out=out,
                            ranges=ranges)

    def sum(self, axis=-1, dim=None, **kwargs):
        """sum(-1): the sum of the vector's components; sum(0) / sum(1): the
        sum reduction over i / over j."""
        if dim is not None:
            axis = dim
        if self._is_feature_axis(axis):
            return self._unary("sum", 1)
        return self._reduction("sum", axis, None, **kwargs)

    def sum_reduction(self, axis=None, dim=None, **kwargs):
        return self._reduction("sum", axis, dim, **kwargs)

    def min(self, axis=-1, dim=None, **kwargs):
        if dim is not None:
            axis = dim
        if self._is_feature_axis(axis):
            return self._unary("min", 1)
        return self._reduction("min", axis, None, **kwargs)

    def min_reduction(self, axis=None, dim=None, **kwargs):
        return self._reduction("min", axis, dim, **kwargs)

    def max(self, axis=-1, dim=None, **kwargs):
        if dim is not None:
            axis = dim
        if self._is_feature_axis(axis):
            return self._unary("max", 1)
        return self._reduction("max", axis, None, **kwargs)

    def max_reduction(self, axis=None, dim=None, **kwargs):
        return self._reduction("max", axis, dim, **kwargs)

    def argmin(self, axis=-1, dim=None, **kwargs):
        if dim is not None:
            axis = dim
        if self._is_feature_axis(axis):
            return self._unary("argmin", 1)
        return self._reduction("argmin", axis, None, **kwargs)

    def argmin_reduction(self, axis=None, dim=None, **kwargs):
        return self._reduction("argmin", axis, dim, **kwargs)

    def argmax(self, axis=-1, dim=None, **kwargs):
        if dim is not None:
            axis = dim
        if self._is_feature_axis(axis):
            return self._unary("argmax", 1)
        return self._reduction("argmax", axis, None, **kwargs)

    def argmax_reduction(self, axis=None, dim=None, **kwargs):
        return self._reduction("argmax", axis, dim, **kwargs)

    def min_argmin(self, axis=None, dim=None, **kwargs):
        return self._reduction("min_argmin", axis, dim, **kwargs)

    min_argmin_reduction = min_argmin

    def max_argmax(self, axis=None, dim=None, **kwargs):
        return self._reduction("max_argmax", axis, dim, **kwargs)

    max_argmax_reduction = max_argmax

    def Kmin(self, K, axis=None, dim=None, **kwargs):
        return self._reduction("kmin", axis, dim, k=K, **kwargs)

    Kmin_reduction = Kmin

    def argKmin(self, K, axis=None, dim=None, **kwargs):
        return self._reduction("argkmin", axis, dim, k=K, **kwargs)

    argKmin_reduction = argKmin

    def Kmin_argKmin(self, K, axis=None, dim=None, **kwargs):
        return self._reduction("kmin_argkmin", axis, dim, k=K, **kwargs)

    Kmin_argKmin_reduction = Kmin_argKmin

    def logsumexp(self, axis=None, dim=None, weight=None, **kwargs):
        """log sum exp(F) over i or j; with weight=W (or other=W, the
        keyword pykeops' reduction takes), log sum exp(F) W."""
        if weight is None:
            weight = kwargs.pop("other", None)
        return self._reduction("logsumexp", axis, dim, weight=weight, **kwargs)

    logsumexp_reduction = logsumexp

    def sumsoftmaxweight(self, weight, axis=None, dim=None, **kwargs):
        """sum softmax(F) W over i or j."""
        return self._reduction("sumsoftmaxweight", axis, dim, weight=weight, **kwargs)

    sumsoftmaxweight_reduction = sumsoftmaxweight

    # -- the MLIR of a reduction ----------------------------------------------

    def mlir(self, reduction="sum", axis=1, K=None, weight=None, dtype=None):
        """The keops-dialect module that `self.<reduction>(axis=axis, ...)`
        compiles: `func.func @reduction` holding one keops.reduce. reduction
        is a keops.reduce kind ("sum", "argkmin", "logsumexp", ...) or a
        pykeops name ("Sum", "ArgKMin", ...); dtype defaults to the data's."""
        return emit_mlir(self, reduction, axis=axis, K=K, weight=weight, dtype=dtype)

    # -- linear algebra -------------------------------------------------------

    def __matmul__(self, v, **kwargs):
        """K @ v: sum_j K_ij v_j for a NumPy array or torch tensor v of shape
        (N,) or (N, E) (K of dimension 1, real or complex; v real or
        complex). `K.__matmul__(v, **options)` takes the options of every
        reduction (backend=, sum_scheme=, out=, ...), as in pykeops."""
        if self._shape[-1] != 1:
            raise ValueError(f"K @ v needs a LazyTensor K of dimension 1; K.shape = {self.shape}")
        fw = _arrays.framework(v)
        if fw is None:
            raise TypeError(f"K @ v takes a NumPy array or a torch tensor, got {type(v).__name__}")
        if v.ndim < 1:
            raise ValueError(f"K @ v takes v of shape (N,), (N, E) or (B..., N, E), got "
                             f"{tuple(v.shape)}")
        # A LazyTensor of v's kind (its class makes complex data complex).
        make = self._real_cls or type(self)
        if v.ndim <= 2:
            n = v.shape[0]
            vj = make(v.reshape(1, n, -1))
        else:   # batched: (B..., N, E)
            vj = make(v.reshape(*v.shape[:-2], 1, *v.shape[-2:]))
        out = kwargs.get("out")
        if out is not None and v.ndim == 1:   # the result's (M,) view
            kwargs["out"] = out.reshape(*out.shape, 1)
        res = (self * vj)._reduce("sum", 1, **kwargs)
        if out is not None:
            return out
        return res.reshape(*res.shape[:-2], -1) if v.ndim == 1 else res

    def t(self):
        """The transposed symbolic matrix: i and j variables swapped."""
        cache = self._cache
        if cache is not None and "T" in cache:
            return cache["T"]
        nodes, _, _ = fm.collect((self,))
        mapped = {}
        for node in nodes:
            n = object.__new__(type(node))
            for slot in ("_op", "_attrs", "ndim", "_cat", "_data", "_sym", "_hassym"):
                setattr(n, slot, getattr(node, slot))
            n._cache = None
            # The transposed ranges: the two triples swapped (swap_axes).
            r = node.ranges
            n.ranges = swap_ranges(r)
            n._args = tuple(mapped[id(a)] for a in node._args)
            if node._cat in (0, 1):
                n._cat = 1 - node._cat
            m = node._m
            n._m = (m[0], m[1], m[2], m[4], m[3], m[5])
            mapped[id(node)] = n
        res = mapped[id(self)]
        res._cache = {"T": self}
        if self._cache is None:
            self._cache = {}
        self._cache["T"] = res
        return res

    @property
    def T(self):
        return self.t()

    def matvec(self, v):
        """K @ v (for scipy.sparse.linalg.aslinearoperator)."""
        return self @ v

    def rmatvec(self, v):
        """K.T @ v (for scipy.sparse.linalg.aslinearoperator)."""
        return self.T @ v

    def solve(self, other, var=None, call=True, alpha=1e-10, eps=1e-6, **kwargs):
        """The solution a of (alpha Id + K) a = b, K = self a symmetric
        positive symbolic matrix (not checked), by conjugate gradient, as
        pykeops: b is an i (or j) variable (an array (M, E) is taken as an i
        variable); the sum runs over the other index."""
        from .linalg import solve
        return solve(self, other, var=var, call=call, alpha=alpha, eps=eps, **kwargs)


def emit_mlir(formula, reduction="sum", axis=1, K=None, weight=None, dtype=None):
    """The keops-dialect module of a reduction of a LazyTensor (see
    LazyTensor.mlir)."""
    kind = rd.PYKEOPS_KINDS.get(reduction, reduction)
    if kind not in fm.KINDS:
        raise ValueError(f"unknown reduction {reduction!r}")
    if axis not in (0, 1):
        raise ValueError(f"axis={axis!r}: a reduction is over axis 0 (over i) or 1 (over j)")
    roots = (formula,) if weight is None else (formula, formula._lt(weight))
    red = rd.Reduction(roots, kind, axis, K)
    return red.mlir(dtype)
