"""The autograd hook: reductions of torch tensors as a torch.autograd.Function.

Every reduction of torch tensors runs through `run_torch`. When autograd
records (grad mode on and an input requires grad), it goes through
`KeopsReduction.apply`, whose forward is the plain forward (`Plan.run`).
Otherwise the Function would only add its overhead, so the same forward runs
directly.

Every derivative of a reduction is a sum reduction of a formula holding
`keops.grad` (reverse mode) or `keops.diff` (forward mode) ops, which the
compiler expands (keops-expand-grad), and it runs through the same Function
(derivatives.gradient_sums, derivatives.tangent_formula, shared with
keops.jax). The backward of a reduction over j is one sum over j for the
variables indexed by i and the parameters (whose per-row partials are then
summed) and one sum over i for the variables indexed by j, the cotangent one
more input; a logsumexp's reads its result L, a min's or K-min's the
selected indices. As those sums are KeopsReduction calls whose inputs torch
tracks (L included), `create_graph=True` differentiates them again by the
same rule: derivatives of any order, in any mix with forward mode
(torch.func's jvp, jacfwd, hessian) and vmap. Nothing dense is ever formed.

A sumsoftmaxweight whose gradient may be needed runs as two reductions that
torch composes: L = logsumexp F, then sum exp(F - L) V with L as one more
input (`_softmax_parts`): every derivative of the two is that of a logsumexp
and a sum. The split costs one more pass over the data in the forward, and
only when autograd records.
"""

import torch

from . import formula as fm
from .derivatives import (SELECTED_KINDS, ZERO_GRADIENT_KINDS, gradient_sums,
                          softmax_sum_formula, tangent_formula)


# Arguments of KeopsReduction.forward before the inputs.
_FIXED = 5


class KeopsReduction(torch.autograd.Function):
    """forward(plan, M, N, batch, ranges, *inputs) -> raw outputs of the
    kernel, one (*batch, rows, width) tensor per output (pykeops' shapes are
    made afterwards, as views, so gradients flow through them). Written for
    torch.func too: forward apart from setup_context, and a vmap rule (a
    vmapped axis is one more batch axis of the reduction: one kernel)."""

    @staticmethod
    def forward(plan, M, N, batch, ranges, *inputs):
        inputs = [a.contiguous() if isinstance(a, torch.Tensor) else a for a in inputs]
        return tuple(plan.run("torch", inputs, M, N, batch=batch, ranges=ranges))

    @staticmethod
    def setup_context(ctx, inputs, output):
        plan, M, N, batch, ranges, *args = inputs
        ctx.plan, ctx.M, ctx.N, ctx.batch = plan, M, N, tuple(batch)
        ctx.ranges = ranges
        tensors = [a for a in args if isinstance(a, torch.Tensor)]
        ctx.input_is_tensor = [isinstance(a, torch.Tensor) for a in args]
        ctx.raw_inputs = [None if isinstance(a, torch.Tensor) else a for a in args]
        ctx.save_for_backward(*tensors, *output)
        ctx.save_for_forward(*tensors, *output)   # the jvp rule reads them too
        index_outs = [o for o, dt in zip(output, plan.out_dtypes) if dt == "int64"]
        if index_outs:
            ctx.mark_non_differentiable(*index_outs)

    @staticmethod
    def jvp(ctx, *tangents):
        """Forward mode: the tangent of the outputs is one more reduction,
        of the formula's keops.diff along the inputs' tangents."""
        plan = ctx.plan
        ts = tangents[_FIXED:]
        inputs, outs = _saved_reduction(ctx)
        inputs = [raw if a is None else a for a, raw in zip(inputs, ctx.raw_inputs)]
        has = tuple(t is not None for t in ts)
        if plan.kind in ZERO_GRADIENT_KINDS or not any(has):
            return tuple(None if dt == "int64" else torch.zeros_like(o)
                         for o, dt in zip(outs, plan.out_dtypes))
        tplan = _tangent_plan(plan, has)
        extra = [t for t in ts if t is not None] + _kind_inputs(ctx, inputs, outs)
        dout, = KeopsReduction.apply(tplan, ctx.M, ctx.N, ctx.batch, ctx.ranges, *inputs,
                                     *extra)
        return (dout,) + (None,) * (len(outs) - 1)

    @staticmethod
    def vmap(info, in_dims, plan, M, N, batch, ranges, *inputs):
        plan, args = _batched(plan, batch, inputs, in_dims[_FIXED:], info.batch_size, ranges)
        outs = KeopsReduction.apply(plan, M, N, (info.batch_size, *batch), ranges, *args)
        return outs, (0,) * len(outs)

    @staticmethod
    def backward(ctx, *grad_outputs):
        """The gradients of <cot, out> as at most two sum reductions of
        keops.grad (derivatives.gradient_sums), themselves differentiable."""
        plan = ctx.plan
        n = len(ctx.input_is_tensor)
        wrt = tuple(k for k in range(n) if ctx.needs_input_grad[_FIXED + k])
        grads = [None] * n
        cot = grad_outputs[0]
        if not wrt or cot is None:
            return (None,) * _FIXED + tuple(grads)
        inputs, outs = _saved_reduction(ctx)
        if plan.kind in ZERO_GRADIENT_KINDS:
            # Indices are piecewise constant.
            for k in wrt:
                grads[k] = torch.zeros_like(inputs[k])
            return (None,) * _FIXED + tuple(grads)
        inputs = [raw if a is None else a for a, raw in zip(inputs, ctx.raw_inputs)]
        extra = [cot] + _kind_inputs(ctx, inputs, outs)
        for gplan, parts in _gradient_plans(plan, wrt):
            out, = KeopsReduction.apply(gplan, ctx.M, ctx.N, ctx.batch, ctx.ranges, *inputs,
                                        *extra)
            offset = 0
            for k in parts:
                cat, dim = plan.variables[k]
                grads[k] = _shaped_like(out[..., offset:offset + dim], inputs[k], cat)
                offset += dim
        return (None,) * _FIXED + tuple(grads)


def _saved_reduction(ctx):
    """What KeopsReduction saved: its inputs (None for float parameters,
    whose values are ctx.raw_inputs) and its outputs."""
    saved = ctx.saved_tensors
    tensors = iter(saved)
    inputs = [next(tensors) if t else None for t in ctx.input_is_tensor]
    return inputs, list(tensors)


def _kind_inputs(ctx, inputs, outs):
    """What the derivatives of the reduction read besides the inputs and
    the (co)tangents: a logsumexp's result L, or the selected terms'
    indices: the outputs', or an arg-kind reduction's (ties: the first
    index, in both modes)."""
    plan = ctx.plan
    if plan.kind == "logsumexp":
        return [outs[0]]
    if plan.kind not in SELECTED_KINDS:
        return []
    arg = SELECTED_KINDS[plan.kind]
    if arg is None:
        return [outs[1]]
    from .reductions import get_plan
    aplan = get_plan(plan.roots, plan.collected, arg, plan.axis, plan.k, plan.dtype,
                     plan.options, plan.batch, plan.ranged)
    return list(KeopsReduction.apply(aplan, ctx.M, ctx.N, ctx.batch, ctx.ranges, *inputs))


def _shaped_like(g, like, cat):
    """A gradient reduction's columns `g` (*batch, rows, dim) as the
    gradient of the input `like`: a parameter's per-row partials summed,
    and summed over the batch axes along which the input is broadcast (an
    input with fewer batch axes than the reduction gets 1s in front: NumPy
    aligns them on the right)."""
    if cat == 2:
        g = g.sum(-2)
    rank = g.dim() - (1 if cat == 2 else 2)
    own = tuple(like.shape[:like.dim() - (g.dim() - rank)])
    own = (1,) * (rank - len(own)) + own
    axes = tuple(a for a in range(rank) if own[a] == 1 and g.shape[a] != 1)
    if axes:
        g = g.sum(axes, keepdim=True)
    return g.reshape(like.shape)


# Plans derived from a plan (softmax parts, tangents, gradient sums), by
# (plan key, tag): built once.
_DERIVED = {}


def _derived(plan, tag, make):
    """make(), once per plan and tag."""
    key = (plan.key, tag)
    derived = _DERIVED.get(key)
    if derived is None:
        derived = _DERIVED[key] = make()
    return derived


def _derived_plan(plan, tag, G, variables, batch, axis=None, kind="sum", options=None):
    """A reduction (a sum by default) of the formula G over `axis` (default:
    plan's), derived from `plan` (its dtype, options unless given, and kind
    of ranges; `tag` makes its key), reading `variables` in kernel order
    with batch pattern `batch`."""
    from .reductions import Plan
    nodes, _, key = fm.collect((G,))
    return Plan((tag, plan.key), (G,), (nodes, variables, key), kind,
                plan.axis if axis is None else axis, None, plan.dtype,
                plan.options if options is None else options, batch, plan.ranged)


def _softmax_parts(plan):
    """(logsumexp plan, sum plan) of a sumsoftmaxweight plan: L = logsumexp
    F and sum exp(F - L) V over the same axis, on the same inputs (in the
    same order) plus L, indexed like the output rows."""
    def make():
        F, V = plan.roots
        variables = list(plan.collected[1])
        G, L = softmax_sum_formula(F, V, plan.axis)
        # L has the outputs' batch axes (a static 1 where every input has one).
        lse_batch = plan.batch + (fm.output_pattern(plan.batch),) if plan.batch else ()
        return (_derived_plan(plan, "softmax-lse", F, variables, plan.batch, kind="logsumexp"),
                _derived_plan(plan, "softmax-sum", G, variables + [L], lse_batch))
    return _derived(plan, "softmax", make)


def _batched(plan, batch, inputs, dims, size, ranges):
    """The plan and inputs of `plan` with one more batch axis in front, of
    extent `size`: inputs batched at dims[n] (vmap's in_dims) are moved
    there, the others get a broadcast 1 (and any batch axes they lack)."""
    if ranges is not None and plan.ranged == "per_element":
        raise NotImplementedError("vmap of a block-sparse reduction with ranges per batch "
                                  "element is not supported")
    from .reductions import get_plan
    rank = len(batch)
    old = plan.batch or ((),) * len(inputs)
    pattern, args = [], []
    for a, d, (cat, _), flags in zip(inputs, dims, plan.variables, old):
        flags = tuple(flags) if flags else (True,) * rank
        if not isinstance(a, torch.Tensor):       # a float parameter
            args.append(a)
            pattern.append((True,) + flags)
            continue
        if d is not None:
            a = a.movedim(d, 0)
        own = a.shape[1:] if d is not None else a.shape
        pad = (1,) * (rank - (len(own) - (1 if cat == 2 else 2)))
        # (contiguous: the vmapped axis may have been anywhere in memory)
        args.append(a.reshape((size if d is not None else 1,) + pad + tuple(own)).contiguous())
        pattern.append((d is None,) + flags)
    new = get_plan(plan.roots, plan.collected, plan.kind, plan.axis, plan.k, plan.dtype,
                   plan.options, tuple(pattern), plan.ranged)
    return new, args


def _tangent_plan(plan, has):
    """The reduction whose result is the tangent of `plan`'s, for tangents
    of the inputs flagged in `has` (new variables after the inputs, shaped
    like them): sum of sum_k diff(F, v_k, t_k) for a sum; for a logsumexp L
    (weights W), sum of exp(F - L) (W dF + dW), L one more input indexed
    like the output rows."""
    def make():
        variables = list(plan.collected[1])
        G, extra = tangent_formula(plan.roots, plan.kind, plan.axis, plan.k, variables, has)
        batch = plan.batch + tuple(plan.batch[k] for k, h in enumerate(has) if h) \
            if plan.batch else ()
        if plan.batch and plan.kind != "sum":
            # The indices or L: indexed like the output rows, with their axes.
            batch += (fm.output_pattern(plan.batch),)
        return _derived_plan(plan, ("jvp", has), G, variables + extra, batch)
    return _derived(plan, ("jvp", has), make)


def _gradient_plans(plan, wrt):
    """[(sum plan, positions)]: the reverse mode of `plan` w.r.t. its
    inputs at positions `wrt` (derivatives.gradient_sums), each sum reading
    the plan's inputs, the cotangent, then L or the indices (indexed like
    the output rows), and giving the gradients of `positions` side by side."""
    def make():
        variables = list(plan.collected[1])
        extra, sums = gradient_sums(plan.roots, plan.kind, plan.axis, plan.k, variables, wrt)
        # The extra inputs: indexed like the output rows, with their batch axes.
        batch = plan.batch + (fm.output_pattern(plan.batch),) * len(extra) \
            if plan.batch else ()
        # Without the forward's partial states, which splits of few rows add:
        # gradient kernels would take 2 to 5 times longer to compile.
        options = tuple(o for o in plan.options if o[0] != "partial_states")
        return tuple((_derived_plan(plan, ("vjp", wrt, axis), G, variables + extra, batch,
                                    axis, options=options), parts)
                     for G, axis, parts in sums)
    return _derived(plan, ("vjp", wrt), make)


def _functorch(inputs):
    """Whether some input is a torch.func transform's tensor (vmap's
    batched tensors, grad's tracked ones): only the Function can take it."""
    wrapped = torch._C._functorch.is_functorch_wrapped_tensor
    return any(isinstance(a, torch.Tensor) and wrapped(a) for a in inputs)


def run_torch(plan, inputs, M, N, out=None, batch=(), ranges=None):
    if out is None and (torch.is_grad_enabled() and any(
            isinstance(a, torch.Tensor) and a.requires_grad for a in inputs)
            or _functorch(inputs)):
        if plan.kind == "sumsoftmaxweight":
            lse_plan, sum_plan = _softmax_parts(plan)
            lse, = KeopsReduction.apply(lse_plan, M, N, batch, ranges, *inputs)
            outs = KeopsReduction.apply(sum_plan, M, N, batch, ranges, *inputs, lse)
            return plan.finish(list(outs))
        outs = KeopsReduction.apply(plan, M, N, batch, ranges, *inputs)
        return plan.finish(list(outs))
    return plan.finish(plan.run("torch", inputs, M, N, out, batch, ranges))
