"""keops.jax: reductions of JAX arrays, under jax.jit, jax.grad and jax.vmap.

    import jax
    import keops.jax as kj

    g = kj.Genred("Exp(-SqDist(x, y)) * b", ["x = Vi(3)", "y = Vj(3)", "b = Vj(1)"],
                  reduction_op="Sum", axis=1)
    out = jax.jit(g)(x, y, b)                       # (M, 1)
    dx = jax.grad(lambda x: g(x, y, b).sum())(x)    # gradient reductions

    from keops import Vi, Vj
    f = kj.reduction((-((Vi(0, 3) - Vj(1, 3)) ** 2).sum(-1)).logsumexp(dim=1, call=False))

A reduction is one JAX primitive (keops_reduce_p, see _primitive.py): it
runs on the CPU backend, as an XLA custom call (no Python per call), or
through a host callback (arrays on a GPU are copied to the host and back). jax.vmap
makes batch axes of the reduction (one kernel for all elements); jax.jvp
makes a reduction of the formula's keops.diff, and reverse mode transposes
it into reductions of keops.grad, which the compiler expands: every
transformation of JAX composes with every other, to any order (jax.grad,
jacfwd, jacrev, hessian, vmap of any of them). Index outputs have zero
derivatives.
Arguments: (rows, D) arrays for i and j variables, (D,) for parameters,
all of one float dtype (float16 is reduced in float32); batch axes through
jax.vmap.
"""

import jax.numpy as jnp
import numpy as np

from ..formula import K_KINDS
from ..genred import Genred as _Genred
from ..reductions import Reduction, _data_of
from ._primitive import Form, keops_reduce_p, reduce

_FLOATS = ("float16", "float32", "float64")


def _check(red, names, args):
    """The float dtype of `args`, after checking their shapes against the
    reduction's variables (ValueError/TypeError as keops.Genred)."""
    if len(args) != red.nargs:
        raise ValueError(f"this reduction takes {red.nargs} arguments "
                         f"({', '.join(names)}), got {len(args)}")
    rows, dtype = [None, None], None
    for name, a, (cat, dim) in zip(names, args, red.declared):
        shape = tuple(a.shape)
        if cat == 2:
            if shape != (dim,) and not (shape == () and dim == 1):
                raise ValueError(f"{name}: expected shape ({dim},), got {shape} (batch "
                                 "axes: jax.vmap)")
        else:
            if len(shape) != 2 or shape[1] != dim:
                raise ValueError(f"{name}: expected shape ({'MN'[cat]}, {dim}), got "
                                 f"{shape} (batch axes: jax.vmap)")
            if rows[cat] is not None and shape[0] != rows[cat]:
                raise ValueError(f"{name}: {shape[0]} rows, but other "
                                 f"{'ij'[cat]} variables have {'MN'[cat]} = {rows[cat]}")
            rows[cat] = shape[0]
        name_of = np.dtype(a.dtype).name
        if name_of not in _FLOATS:
            raise TypeError(f"{name}: expected float16, float32 or float64 data, got "
                            f"{name_of}")
        if dtype is not None and name_of != dtype:
            raise TypeError(f"{name}: dtype {name_of} differs from {dtype} (mixed "
                            "dtypes: convert the inputs to one dtype)")
        dtype = name_of
    return dtype


class _Function:
    """A reduction as a function of JAX arrays."""

    def __init__(self, red):
        if not isinstance(red, Reduction):
            raise TypeError("expected a keops Reduction (a LazyTensor reduction with "
                            f"call=False), got {type(red).__name__}")
        if red._meta[5]:
            raise ValueError("keops.jax: reductions without batch axes (use jax.vmap)")
        self._red = red
        self._names = [red._describe(n) for n in range(red.nargs)]
        self._form = Form.of(red)

    def __call__(self, *args):
        red = self._red
        args = [jnp.asarray(a) for a in args]
        dtype = _check(red, self._names, args)
        # The kernel's inputs: the arguments (parameters of shape () as
        # (1,)), and constants for the variables that hold their data.
        operands = []
        for how, src in red._sources:
            if how == "arg":
                a = args[src]
                operands.append(a.reshape(1) if a.ndim == 0 else a)
            else:
                data = _data_of(src, dtype, "numpy")
                operands.append(jnp.asarray(data, dtype).reshape(
                    (-1,) if src._cat == 2 else (-1, src.ndim)))
        outs = reduce(self._form, *operands)
        if red.kind in K_KINDS and outs[0].shape[-1] > red.k:
            # pykeops' shapes: (rows, K, D) for D > 1 (as Plan.finish).
            outs = tuple(o.reshape(o.shape[0], red.k, -1) for o in outs)
        return outs[0] if len(outs) == 1 else tuple(outs)


def reduction(red):
    """A LazyTensor reduction with call=False (on symbolic variables
    Vi(index, dim), Vj(...), Pm(...)) as a function of JAX arrays."""
    return _Function(red)


class Genred(_Function):
    """keops.Genred on JAX arrays: the same formula, aliases and options
    (reduction_op, axis, opt_arg, formula2, sum_scheme, dtype_acc,
    use_fast_math, gram_min_dim...)."""

    def __init__(self, formula, aliases, reduction_op="Sum", axis=0, opt_arg=None,
                 formula2=None, **options):
        g = _Genred(formula, aliases, reduction_op=reduction_op, axis=axis, opt_arg=opt_arg,
                    formula2=formula2, **options)
        if g._shifted is not None:
            raise ValueError(f"keops.jax: {reduction_op}'s raw (max, sum) output is not "
                             "supported; use reduction_op='LogSumExp' on the log-domain "
                             "formula")
        super().__init__(g._reduction)


__all__ = ["Genred", "reduction", "keops_reduce_p"]
