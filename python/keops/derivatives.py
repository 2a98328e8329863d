"""Symbolic derivatives of formulas (pykeops' LazyTensor.grad, diff,
grad_matrix, divergence, laplacian, trace_operator).

Each is built from two ops of the dialect, which the compiler expands with
every op's derivative rules (keops-expand-grad): `keops.grad %f wrt %v, %e`,
the vector-Jacobian product (dF/dv)^T e, and `keops.diff %f wrt %v, %t`, the
Jacobian-vector product (dF/dv) t. The others combine them with constant
basis vectors: no derivative is taken in Python.
"""


def _check_variable(name, v):
    from .lazy_tensor import LazyTensor
    if not isinstance(v, LazyTensor) or v._op != "var":
        raise ValueError(f"{name}: differentiate with respect to a variable (a LazyTensor "
                         "made from an array, Vi, Vj or Pm), not a formula")


def _basis(like, dim, k):
    """The constant vector e_k of dimension dim."""
    e = type(like)(0)
    e._attrs = (tuple(1.0 if n == k else 0.0 for n in range(dim)),)
    e.ndim = dim
    return e


def _trace(columns):
    """sum_k columns[k]_k: the trace of the matrix of the columns."""
    res = columns[0] if len(columns) == 1 else columns[0].elem(0)
    for k in range(1, len(columns)):
        res = res + columns[k].elem(k)
    return res


class DerivativesMixin:
    __slots__ = ()

    def grad(self, other, gradin):
        """(dF/dv)^T gradin for the variable v = `other` and gradin of this
        formula's dimension: a LazyTensor of v's dimension (keops.grad)."""
        _check_variable("grad", other)
        gradin = self._lt(gradin)
        if gradin.ndim != self.ndim:
            raise ValueError(f"grad: gradin has dimension {gradin.ndim} but the formula has "
                             f"dimension {self.ndim}")
        return self._node("grad", (self, other, gradin), other.ndim)

    def diff(self, other, diffin):
        """(dF/dv) diffin, the derivative in the direction diffin (of v's
        dimension) of the variable v = `other`: a LazyTensor of this
        formula's dimension (keops.diff, forward mode)."""
        _check_variable("diff", other)
        diffin = self._lt(diffin)
        if diffin.ndim != other.ndim:
            raise ValueError(f"diff: diffin has dimension {diffin.ndim} but the variable has "
                             f"dimension {other.ndim}")
        return self._node("diff", (self, other, diffin), self.ndim)

    def grad_matrix(self, other):
        """The Jacobian of F with respect to v, transposed and flattened:
        grad(v, e_k) for each basis vector e_k of F's dimension,
        concatenated (dimension dim(F) * dim(v))."""
        _check_variable("grad_matrix", other)
        d = self.ndim
        rows = [self.grad(other, _basis(self, d, k)) for k in range(d)]
        res = rows[0]
        for r in rows[1:]:
            res = res.concat(r)
        return res

    def divergence(self, other):
        """sum_k dF_k / dv_k, for F and v of one dimension."""
        _check_variable("divergence", other)
        if self.ndim != other.ndim:
            raise ValueError(f"divergence: the formula has dimension {self.ndim} and the "
                             f"variable {other.ndim}; they must be equal")
        d = self.ndim
        return _trace([self.diff(other, _basis(self, d, k)) for k in range(d)])

    def laplacian(self, other):
        """sum_k d^2 F / dv_k^2, for F of dimension 1."""
        _check_variable("laplacian", other)
        if self.ndim != 1:
            raise ValueError(f"laplacian: the formula has dimension {self.ndim}; it must "
                             "be 1")
        return self.grad(other, _basis(self, 1, 0)).divergence(other)

    def trace_operator(self, other):
        """The trace of the linear map v -> F(v) (F linear in v, of v's
        dimension): sum_k F(e_k)_k. v disappears from the formula: a symbolic
        v needs no data."""
        _check_variable("trace_operator", other)
        if self.ndim != other.ndim:
            raise ValueError(f"trace_operator: the formula has dimension {self.ndim} and "
                             f"the variable {other.ndim}; they must be equal")
        d = self.ndim
        return _trace([_substitute(self, other, _basis(self, d, k)) for k in range(d)])

    def factorize(self, other):
        """pykeops' factorization hint: the compiler factorizes by itself
        (keops-factorize), so the formula is returned as it is."""
        self._lt(other)
        return self

    def auto_factorize(self):
        """pykeops' factorization hint: the formula as it is (see factorize)."""
        return self


def _substitute(root, var, value):
    """root with the variable `var` replaced by `value` (a new DAG sharing
    the nodes that do not depend on var)."""
    from . import formula as fm
    nodes, _, _ = fm.collect((root,))
    mapped = {id(var): value}
    for node in nodes:
        if id(node) in mapped or not any(id(a) in mapped for a in node._args):
            continue
        if node._op in ("grad", "diff") and node._args[1] is var:
            raise ValueError("trace_operator: the formula differentiates with respect to "
                             "the variable it is linear in")
        args = tuple(mapped.get(id(a), a) for a in node._args)
        mapped[id(node)] = args[0]._node(node._op, args, node.ndim, node._attrs,
                                         cls=type(node))
    return mapped.get(id(root), root)
