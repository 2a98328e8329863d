"""Linear algebra with symbolic matrices: LazyTensor.solve, as in pykeops.

`solve(K, b, alpha)` solves (alpha Id + K) a = b by conjugate gradient, K a
symmetric positive (semi-)definite symbolic matrix of dimension 1, with
pykeops' stopping rule: |r|^2 < size(b) * eps^2. The product K a is one
compiled reduction (sum_j K_ij a_j) called once per iteration with new data.
"""

from . import _arrays
from .lazy_tensor import LazyTensor


def conjugate_gradient(linop, b, eps=1e-6, maxiter=None):
    """Solves linop(a) = b for a symmetric positive definite linop; b is a
    NumPy array or a torch tensor."""
    delta = b.numel() * eps ** 2 if _arrays.framework(b) == "torch" else b.size * eps ** 2
    r = b.clone() if _arrays.framework(b) == "torch" else b.copy()
    a = 0 * r
    nr2 = (r ** 2).sum()
    if nr2 < delta:
        return a
    p = r.clone() if _arrays.framework(b) == "torch" else r.copy()
    k = 0
    unknowns = b.numel() if _arrays.framework(b) == "torch" else b.size
    rows = unknowns // max(1, b.shape[-1]) if b.ndim else 1
    maxiter = maxiter if maxiter is not None else 10 * max(1, rows) + 100
    while True:
        Mp = linop(p)
        alp = nr2 / (p * Mp).sum()
        a += alp * p
        r -= alp * Mp
        nr2new = (r ** 2).sum()
        k += 1
        if nr2new < delta or k >= maxiter:
            break
        p = r + (nr2new / nr2) * p
        nr2 = nr2new
    return a


def solve(K, other, var=None, call=True, alpha=1e-10, eps=1e-6, **kwargs):
    """See LazyTensor.solve."""
    if K._hassym and var is None:
        raise ValueError("solve: the matrix has symbolic variables; give var= "
                         "(the unknown) or use data arrays")
    if not isinstance(other, LazyTensor):
        if getattr(other, "ndim", 0) >= 3:
            # Batched right-hand sides (B..., M, E): an i variable with batch
            # dimensions; CG then solves the block-diagonal system of all
            # batch elements at once.
            shape = tuple(other.shape)
            other = type(K)(other.reshape(*shape[:-2], shape[-2], 1, shape[-1]))
        else:
            other = type(K)(other, axis=0)
    if other._cat not in (0, 1) or other._data is None:
        raise ValueError("solve: the right-hand side must be an i or j variable holding "
                         "an array (shape (M, E))")
    axis = 1 - other._cat
    b = other._data
    if var is None:
        if K.ndim != 1 and K.ndim != other.ndim:
            raise ValueError(f"solve: K has dimension {K.ndim}; it must be 1 (a matrix)")
        var = type(K)((0, other.ndim, axis))
        expr = K * var
    else:
        if not isinstance(var, LazyTensor) or var._sym is None:
            raise ValueError("solve: var must be a symbolic variable (e.g. Vj(0, E))")
        expr = K
    red = expr._reduce("sum", axis, call=False, **kwargs)
    if alpha < 0:
        raise ValueError(f"solve: alpha must be non-negative, got {alpha}")

    def linop(a):
        return red(a) + alpha * a

    if not call:
        return lambda: conjugate_gradient(linop, b, eps)
    return conjugate_gradient(linop, b, eps)
