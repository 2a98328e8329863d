"""The keops reduction as a JAX primitive, with the rules of JAX's
transformations.

`keops_reduce_p` takes the kernel's inputs in kernel order (i and j
variables (*B, rows, D), parameters (*B, D), all with the same number of
batch axes, 1 where broadcast) and a `Form`: the structure of the reduction
(formula, kind, axis, K, compile options), without data, dtype or batch. It
returns the kernel's raw outputs, (*B, rows, width).

- Evaluation: on the CPU, the XLA FFI custom call "keops_reduce" (_ffi.cpp)
  running the kernel compiled at lowering (once per form, dtype and batch
  pattern); where it cannot (no handler library, 32-bit JAX indices, other
  platforms), a host callback (jax.pure_callback) running the same plan.
- vmap: a mapped axis becomes one more batch axis of the reduction (one
  kernel for all elements; operands not mapped get a broadcast 1).
- jvp: the tangent is one more sum reduction, of the formula's keops.diff
  along the tangents (derivatives.tangent_formula), linear in them.
- transpose: a sum reduction linear in some inputs transposes into sum
  reductions of keops.grad (derivatives.gradient_sums), over each axis.

Every derivative is thus a reduction of a formula holding keops.diff and
keops.grad ops, which the compiler expands; derivatives of derivatives are
the same rules again, to any order (jax.hessian, jacfwd of jacrev, ...).
"""

import ctypes

import numpy as np

import jax
import jax.numpy as jnp
from jax._src import dispatch
from jax.extend.core import Primitive
from jax.interpreters import ad, batching, mlir

from .. import _arrays
from .. import formula as fm
from ..derivatives import (SELECTED_KINDS, ZERO_GRADIENT_KINDS, gradient_sums,
                           softmax_sum_formula, tangent_formula)
from .._runtime import extension, native_library
from ..reductions import batch_pattern, get_plan, split_states


class Form:
    """A reduction's structure: roots (Nodes), its inputs' variables in
    kernel order, kind, axis, K and compile options. A parameter of the
    primitive: equal and hashed by `key`. Derived forms (tangents,
    transposes, the parts of a softmax) are cached on it."""

    __slots__ = ("roots", "variables", "nodes", "kind", "axis", "k", "options", "key",
                 "_hash", "_derived")

    def __init__(self, roots, variables, kind, axis, k, options, key):
        self.roots, self.variables = tuple(roots), list(variables)
        self.nodes = fm.collect(self.roots)[0]
        self.kind, self.axis, self.k, self.options = kind, axis, k, options
        self.key = key
        self._hash = hash(key)
        self._derived = {}

    @classmethod
    def of(cls, red):
        """The form of a keops Reduction (its formula stripped of data)."""
        roots, (_, variables, key) = fm.strip(red.roots, red._collected)
        return cls(roots, variables, red.kind, red.axis, red.k, red.options,
                   (key, red.kind, red.axis, red.k, red.options))

    def __eq__(self, other):
        return isinstance(other, Form) and self.key == other.key

    def __hash__(self):
        return self._hash

    def __repr__(self):
        return f"Form({self.kind}, axis={self.axis})"

    def derived(self, tag, make):
        form = self._derived.get(tag)
        if form is None:
            form = self._derived[tag] = make()
        return form

    def sum_of(self, tag, G, variables, axis=None):
        """A sum reduction of G derived from this form (same options)."""
        axis = self.axis if axis is None else axis
        return Form((G,), variables, "sum", axis, None, self.options, (tag, self.key))

    @property
    def widths(self):
        F = self.roots[0]
        W = self.roots[1] if len(self.roots) > 1 else None
        return fm.output_widths(self.kind, F.ndim, self.k, W.ndim if W is not None else None)

    def tangent(self, has):
        """The sum form of the tangent along the inputs flagged in `has`
        (its inputs: this form's, the tangents, then L or the indices)."""
        def make():
            G, extra = tangent_formula(self.roots, self.kind, self.axis, self.k,
                                       self.variables, has)
            return self.sum_of(("jvp", has), G, self.variables + extra)
        return self.derived(("jvp", has), make)

    def with_kind(self, kind):
        return self.derived(("kind", kind), lambda: Form(
            self.roots[:1], self.variables, kind, self.axis, self.k, self.options,
            (("kind", kind), self.key)))

    def transposes(self, linear):
        """[(form, parts)]: the sum forms of the transpose of this sum
        w.r.t. the inputs at positions `linear` (their inputs: this form's,
        then the cotangent), with the positions each one's result holds."""
        def make():
            extra, sums = gradient_sums(self.roots, "sum", self.axis, None, self.variables,
                                        linear)
            return [(self.sum_of(("T", linear, axis), G, self.variables + extra, axis), parts)
                    for G, axis, parts in sums]
        return self.derived(("T", linear), make)

    def softmax_parts(self):
        """(logsumexp form, sum form) of a sumsoftmaxweight: L = logsumexp F,
        then the sum of exp(F - L) V with L one more input."""
        def make():
            F, V = self.roots
            G, L = softmax_sum_formula(F, V, self.axis)
            lse = Form((F,), self.variables, "logsumexp", self.axis, None, self.options,
                       ("softmax-lse", self.key))
            return lse, self.sum_of("softmax-sum", G, self.variables + [L])
        return self.derived("softmax", make)


keops_reduce_p = Primitive("keops_reduce")
keops_reduce_p.multiple_results = True


def reduce(form, *operands):
    """The raw outputs of the reduction `form` of `operands` (JAX arrays)."""
    return keops_reduce_p.bind(*operands, form=form)


def _layout(form, shapes):
    """(batch rank, batch extents of each operand, M, N) of operands of
    these shapes."""
    rank = None
    rows, extents = [None, None], []
    for (cat, dim), shape in zip(((v._cat, v.ndim) for v in form.variables), shapes):
        own = 1 if cat == 2 else 2
        r = len(shape) - own
        if rank is None:
            rank = r
        elif r != rank:
            raise ValueError(f"keops_reduce: operands with {rank} and {r} batch axes")
        extents.append(tuple(shape[:r]))
        if cat != 2:
            rows[cat] = shape[r] if rows[cat] is None else rows[cat]
    return rank or 0, extents, (1 if rows[0] is None else rows[0]), \
        (1 if rows[1] is None else rows[1])


def _is_float(v):
    return v._attrs != ("index",)


def _float_dtype(form, dtypes):
    return next((d for v, d in zip(form.variables, dtypes) if _is_float(v)),
                np.dtype("float32"))


def _abstract(*avals, form):
    rank, extents, M, N = _layout(form, [a.shape for a in avals])
    batch = tuple(np.broadcast_shapes(*extents)) if rank else ()
    rows = M if form.axis == 1 else N
    dtype = _float_dtype(form, [a.dtype for a in avals])
    index = jax.dtypes.canonicalize_dtype(np.int64)
    return [jax.core.ShapedArray(batch + (rows, w), index if idx else dtype)
            for w, idx in zip(form.widths, fm.KINDS[form.kind])]


def _plan(form, shapes, dtype):
    """(plan, M, N, batch extents) of a call on operands of these shapes and
    float dtype (the plan in float32 for float16)."""
    rank, extents, M, N = _layout(form, shapes)
    batch = tuple(np.broadcast_shapes(*extents)) if rank else ()
    pattern = batch_pattern(extents, batch) if rank else ()
    compute = _arrays.compute_dtype(np.dtype(dtype).name)
    options = split_states((form.key, compute), form.options, form.axis, M, N, batch, False)
    plan = get_plan(form.roots, (form.nodes, form.variables, form.key), form.kind, form.axis,
                    form.k, compute, options, pattern, False)
    return plan, M, N, batch


def _host(form, avals, *arrays):
    """Runs the reduction on host arrays (jax.pure_callback)."""
    plan, M, N, batch = _plan(form, [a.shape for a in arrays],
                              _float_dtype(form, [a.dtype for a in arrays]))
    inputs = [np.ascontiguousarray(a, np.int64 if not _is_float(v) else plan.dtype)
              for v, a in zip(form.variables, arrays)]
    outs = plan.run("numpy", inputs, M, N, batch=batch)
    return tuple(np.asarray(o, a.dtype) for o, a in zip(outs, avals))


def _callback(*operands, form):
    avals = _abstract(*[jax.typeof(a) for a in operands], form=form)
    shapes = tuple(jax.ShapeDtypeStruct(a.shape, a.dtype) for a in avals)
    return jax.pure_callback(lambda *arrays: _host(form, avals, *arrays), shapes, *operands)


def _custom_call(*operands, form):
    """The reduction as the custom call "keops_reduce" (_ffi.cpp). Its
    attributes hold the plan's MLIR, compile options and kernel index (the
    handler compiles the module on first use, through the same caches: an
    executable from JAX's persistent cache, lowered by another process,
    names its kernel by content); float16 operands are converted to the
    plan's float32 around it."""
    avals = _abstract(*[jax.typeof(a) for a in operands], form=form)
    plan, M, N, batch = _plan(form, [a.shape for a in operands],
                              _float_dtype(form, [a.dtype for a in operands]))
    ops = [a.astype(plan.dtype) if _is_float(v) else a
           for v, a in zip(form.variables, operands)]
    types = [jax.ShapeDtypeStruct(a.shape, plan.dtype if a.dtype.kind == "f" else a.dtype)
             for a in avals]
    # (The options a plan leaves out: the C API's defaults.)
    options = dict(extension().default_options(), **dict(plan.options))
    outs = jax.ffi.ffi_call("keops_reduce", types)(
        *ops, mlir=plan.mlir, kernel=np.int64(plan.kernel.index),
        accumulation=str(options["accumulation"]),
        tensor_cores=str(options["tensor_cores"] or "none"),
        lanes=np.int64(options["lanes"]), blocks=np.int64(options["blocks"]),
        approximate_math=np.int64(bool(options["approximate_math"])),
        opt_level=np.int64(options["opt_level"]),
        gram_min_dim=np.int64(options["gram_min_dim"]),
        partial_states=np.int64(bool(options["partial_states"])),
        m=np.int64(M), n=np.int64(N), rank=np.int64(len(batch)),
        batch=np.asarray(batch or (0,), np.int64))
    return [o.astype(a.dtype) for o, a in zip(outs, avals)]


def _on_host(form):
    """Whether the form's plans run on the CPU backend (not device=N)."""
    return dict(form.options).get("device", -1) == -1


# Whether lowerings use the custom call when they can (tests turn it off to
# check the callbacks).
USE_CUSTOM_CALL = True
_registered = None


def _custom_call_ready():
    """Registers the custom call's handler with XLA on first use: whether
    the library _keops_jax_ffi.so was built (jaxlib's FFI headers found)."""
    global _registered
    if _registered is None:
        path = native_library("_keops_jax_ffi.so")
        if path is not None:
            handler = ctypes.cdll.LoadLibrary(str(path)).KeopsReduce
            jax.ffi.register_ffi_target("keops_reduce", jax.ffi.pycapsule(handler),
                                        platform="cpu")
        _registered = path is not None
    return _registered


def _lowering(ctx, *operands, form):
    # The kernels read and write 64-bit indices: with JAX's 32-bit default
    # integers, the callback converts them.
    index = np.dtype(np.int64)
    wide = all(a.dtype == index for a in list(ctx.avals_in) + list(ctx.avals_out)
               if a.dtype.kind in "iu")
    use = USE_CUSTOM_CALL and wide and _on_host(form) and _custom_call_ready()
    return mlir.lower_fun(_custom_call if use else _callback, multiple_results=True)(
        ctx, *operands, form=form)


def _zero_like(x):
    return ad.Zero(jax.typeof(x).to_tangent_aval())


def _jvp(primals, tangents, *, form):
    kind = form.kind
    has = tuple(type(t) is not ad.Zero and _is_float(v)
                for t, v in zip(tangents, form.variables))
    if kind == "sumsoftmaxweight" and any(has):
        # As a logsumexp L and a sum reading L: each has its rule.
        lse, part = form.softmax_parts()
        (L,), (dL,) = _jvp(primals, tangents, form=lse)
        return _jvp(list(primals) + [L], list(tangents) + [dL], form=part)
    outs = reduce(form, *primals)
    zeros = [_zero_like(o) for o in outs]
    if kind in ZERO_GRADIENT_KINDS or not any(has):
        return outs, zeros
    extra = [t for t, h in zip(tangents, has) if h]
    if kind == "logsumexp":
        extra.append(outs[0])
    elif kind in SELECTED_KINDS:
        arg = SELECTED_KINDS[kind]
        extra.append(outs[1] if arg is None else reduce(form.with_kind(arg), *primals)[0])
    dout, = reduce(form.tangent(has), *primals, *extra)
    return outs, [dout] + zeros[1:]


def _transpose(cts, *operands, form):
    ct = cts[0]
    if form.kind != "sum":
        raise NotImplementedError(f"keops_reduce: the {form.kind} reduction is not linear")
    linear = tuple(n for n, a in enumerate(operands) if ad.is_undefined_primal(a))
    grads = [None] * len(operands)
    if type(ct) is ad.Zero or not linear:
        return grads
    # The gradient formulas do not depend on the inputs the sum is linear
    # in: zeros stand for them.
    values = [jnp.zeros(a.aval.shape, a.aval.dtype) if ad.is_undefined_primal(a) else a
              for a in operands]
    for tform, parts in form.transposes(linear):
        out, = reduce(tform, *values, ct)
        rank = out.ndim - 2
        offset = 0
        for n in parts:
            var, aval = form.variables[n], operands[n].aval
            g = out[..., offset:offset + var.ndim]
            offset += var.ndim
            if var._cat == 2:
                g = g.sum(-2)
            # Summed over the batch axes along which the input is broadcast.
            axes = tuple(a for a in range(rank) if aval.shape[a] == 1 and g.shape[a] != 1)
            if axes:
                g = g.sum(axes, keepdims=True)
            grads[n] = g.astype(aval.dtype)
    return grads


def _batch(operands, dims, *, form):
    moved = [jnp.moveaxis(a, d, 0) if d is not None else a[None]
             for a, d in zip(operands, dims)]
    outs = reduce(form, *moved)
    return outs, [0] * len(outs)


keops_reduce_p.def_impl(lambda *args, form: dispatch.apply_primitive(
    keops_reduce_p, *args, form=form))
keops_reduce_p.def_abstract_eval(_abstract)
# Elsewhere than on the CPU (arrays on a GPU): the callback, on host copies.
mlir.register_lowering(keops_reduce_p, mlir.lower_fun(_callback, multiple_results=True))
mlir.register_lowering(keops_reduce_p, _lowering, platform="cpu")
ad.primitive_jvps[keops_reduce_p] = _jvp
ad.primitive_transposes[keops_reduce_p] = _transpose
batching.primitive_batchers[keops_reduce_p] = _batch
