"""keops.jax: reductions of JAX arrays, under jax.jit, jax.grad and jax.vmap.

    import jax
    import keops.jax as kj

    g = kj.Genred("Exp(-SqDist(x, y)) * b", ["x = Vi(3)", "y = Vj(3)", "b = Vj(1)"],
                  reduction_op="Sum", axis=1)
    out = jax.jit(g)(x, y, b)                       # (M, 1)
    dx = jax.grad(lambda x: g(x, y, b).sum())(x)    # gradient reductions

    from keops import Vi, Vj
    f = kj.reduction((-((Vi(0, 3) - Vj(1, 3)) ** 2).sum(-1)).logsumexp(dim=1, call=False))

A reduction runs on the CPU backend through jax.pure_callback: XLA hands
it the arrays in host memory (arrays on a GPU are copied to the host and
back). Its derivative is a jax.custom_vjp whose backward pass runs the
compiler's gradient reductions (keops-differentiate, as for torch) for the
inputs that are differentiated only; index outputs have zero gradients.
jax.vmap makes batch axes of the reduction: one kernel for all elements.
Derivatives are of first order (reverse mode): differentiating a gradient
again raises.
Arguments: (rows, D) arrays for i and j variables, (D,) for parameters,
all of one float dtype (float16 is reduced in float32); batch axes through
jax.vmap.
"""

import functools

import jax
import numpy as np

from .. import _arrays
from .._autograd import GradientSpec, SAVED_RESULT_KINDS, ZERO_GRADIENT_KINDS
from ..formula import K_KINDS
from ..genred import Genred as _Genred
from ..reductions import Reduction

_FLOATS = ("float16", "float32", "float64")


class _Spec:
    """A Reduction and its calls on JAX arrays: a static argument of the
    custom_vjp (hashed by identity)."""

    def __init__(self, red):
        self.red = red
        self.names = [red._describe(n) for n in range(red.nargs)]
        self._outputs = {}

    def check(self, args):
        """The float dtype of `args`, after checking their shapes against
        the reduction's variables (ValueError/TypeError as keops.Genred)."""
        red = self.red
        if len(args) != red.nargs:
            raise ValueError(f"this reduction takes {red.nargs} arguments "
                             f"({', '.join(self.names)}), got {len(args)}")
        rows, dtype = [None, None], None
        for name, a, (cat, dim) in zip(self.names, args, red.declared):
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

    def raw_outputs(self, dtype):
        """(width, numpy dtype) of each raw output of the reduction on
        `dtype` data: from a run on one-row arrays, once per dtype."""
        if dtype not in self._outputs:
            args = [np.zeros((dim,) if cat == 2 else (1, dim), dtype)
                    for cat, dim in self.red.declared]
            self._outputs[dtype] = tuple((o.shape[-1], o.dtype)
                                         for o in _host_run(self, args))
        return self._outputs[dtype]

    def shapes(self, args):
        """The raw outputs of a call on `args`, as jax.ShapeDtypeStruct."""
        dtype = self.check(args)
        red = self.red
        kept = 1 - red.axis
        rows = next((a.shape[0] for a, (c, _) in zip(args, red.declared) if c == kept), 1)
        return tuple(jax.ShapeDtypeStruct((rows, w), jax.dtypes.canonicalize_dtype(t))
                     for w, t in self.raw_outputs(dtype))


def _batched(arrays, ndims, own=(), batch=None):
    """Host arrays with the leading axes of jax.vmap in front of their
    traced `ndims` (vmap_method="expand_dims": 1 where an argument is not
    mapped): the reduction's batch axes, one kernel for all elements. An
    argument that is not mapped stays broadcast (axes of 1), unless it is
    in `own`: arguments whose gradient each element needs for itself get
    their own copy along `batch` (default: the arguments' batch)."""
    lead = [a.shape[:a.ndim - d] for a, d in zip(arrays, ndims)]
    if batch is None:
        batch = np.broadcast_shapes(*lead) if any(lead) else ()
    out = []
    for k, (a, d) in enumerate(zip(arrays, ndims)):
        if d == 0:  # a scalar parameter: (1,) under its batch axes
            a = a.reshape(a.shape + (1,))
        if k in own:
            a = np.broadcast_to(a, batch + a.shape[len(a.shape) - max(d, 1):])
        out.append(np.ascontiguousarray(a))
    return out


def _host_plan(spec, arrays):
    """The plan of a call on host arrays (already through _batched), its
    inputs (in the plan's dtype: float16 is reduced in float32), sizes and
    batch extents, and the data's dtype."""
    dtype, plan, fw, inputs, M, N, _, batch, _ = spec.red._bind(arrays, {"backend": "CPU"})
    if plan.dtype != dtype:
        inputs = [_arrays.cast(a, plan.dtype, fw) for a in inputs]
    return plan, inputs, M, N, batch, dtype


def _host_run(spec, arrays):
    """The raw outputs of the reduction on host arrays (through _batched),
    on the CPU."""
    plan, inputs, M, N, batch, dtype = _host_plan(spec, arrays)
    outs = plan.run("numpy", inputs, M, N, batch=batch)
    return [o.astype(dtype) if o.dtype.kind == "f" else o for o in outs]


def _forward(spec, args):
    shapes = spec.shapes(args)
    ndims = [a.ndim for a in args]

    def host(*arrays):
        outs = _host_run(spec, _batched(arrays, ndims))
        return tuple(np.asarray(o, s.dtype) for o, s in zip(outs, shapes))

    return jax.pure_callback(host, shapes, *args, vmap_method="expand_dims")


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _reduce(spec, *args):
    return _forward(spec, args)


def _reduce_fwd(spec, *args):
    values = tuple(a.value for a in args)
    outs = _forward(spec, values)
    return outs, (values, outs, tuple(a.perturbed for a in args))


def _reduce_bwd(spec, res, cotangents):
    values, outs, perturbed = res
    cot = cotangents[0]
    # The plan's inputs of the arguments differentiated (an argument the
    # formula does not read has none, and a zero gradient).
    position = {src: p for p, (how, src) in enumerate(spec.red._sources) if how == "arg"}
    wrt = tuple(k for k, p in enumerate(perturbed) if p and k in position)
    grads = [None] * len(values)
    if (not wrt or isinstance(cot, jax.custom_derivatives.SymbolicZero)
            or spec.red.kind in ZERO_GRADIENT_KINDS):
        return tuple(grads)
    saved = spec.red.kind in SAVED_RESULT_KINDS
    shapes = tuple(jax.ShapeDtypeStruct(values[k].shape, values[k].dtype) for k in wrt)
    # The forward's outputs go to the backward only for the kinds whose
    # gradient reads them.
    kept_outs = outs if saved else ()
    ndims = [v.ndim for v in values] + [2] * (1 + len(kept_outs))

    def host(*arrays):
        n = len(values)
        # The batch of all operands: under jax.jacrev (vmap of the
        # backward) only the cotangent may be mapped.
        lead = [a.shape[:a.ndim - d] for a, d in zip(arrays, ndims)]
        batch = np.broadcast_shapes(*lead) if any(lead) else ()
        plan, inputs, M, N, batch, _ = _host_plan(
            spec, _batched(arrays[:n], ndims[:n], own=wrt, batch=batch))
        gradient = GradientSpec(plan, tuple(position[k] for k in wrt), M, N,
                                [None] * len(inputs), batch, saved=saved)
        # The cotangent and the forward's outputs, over the whole batch, as
        # the kernels wrote them (64-bit indices).
        rows = [np.broadcast_to(a, batch + a.shape[-2:]) for a in arrays[n:]]
        cot = np.ascontiguousarray(rows[0], plan.dtype)
        kept = [np.ascontiguousarray(o, plan.dtype if o.dtype.kind == "f" else np.int64)
                for o in rows[1:]] if saved else ()
        results = gradient.run(inputs, [cot], saved=kept)
        return tuple(np.asarray(g, values[k].dtype).reshape(batch + values[k].shape)
                     for k, g in zip(wrt, results))

    results = jax.pure_callback(host, shapes, *values, cot, *kept_outs,
                                vmap_method="expand_dims")
    for k, g in zip(wrt, results):
        grads[k] = g
    return tuple(grads)


_reduce.defvjp(_reduce_fwd, _reduce_bwd, symbolic_zeros=True)


class _Function:
    """A reduction as a function of JAX arrays."""

    def __init__(self, red):
        if not isinstance(red, Reduction):
            raise TypeError("expected a keops Reduction (a LazyTensor reduction with "
                            f"call=False), got {type(red).__name__}")
        if red._meta[5]:
            raise ValueError("keops.jax: reductions without batch axes (use jax.vmap)")
        self._spec = _Spec(red)

    def __call__(self, *args):
        red = self._spec.red
        outs = _reduce(self._spec, *args)
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


__all__ = ["Genred", "reduction"]
