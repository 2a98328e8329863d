"""The autograd hook: reductions of torch tensors as a torch.autograd.Function.

Every reduction of torch tensors runs through `run_torch`. When autograd
records (grad mode on and an input requires grad), it goes through
`KeopsReduction.apply`, whose forward is the plain forward (`Plan.run`) and
whose backward computes gradients with the compiler's differentiation.
Otherwise the Function would only add its overhead, so the same forward runs
directly.

The backward prints the forward function again with a `keops.reduce_grad`
of its result w.r.t. the inputs that need gradients (one module per plan and
set of inputs, compiled once), and runs it as a whole function through the
runtime (`keops_run_function`): keops-differentiate has made it gradient
reductions, one kernel per axis, parameter partials summed by the runtime.
Nothing dense is ever formed. That call is itself a torch Function
(`KeopsGradient`) whose backward appends `keops.reduce_grad` ops on the
gradients: second derivatives (double backward, `create_graph=True`). The
gradient of a logsumexp reads the forward result, so its second derivative
adds the chain through it (a reduce_grad w.r.t. that input, then one of the
forward reduction); min and K-min gradients read indices, which are
piecewise constant.

A sumsoftmaxweight whose gradient may be needed runs as two reductions that
torch composes: L = logsumexp F, then sum exp(F - L) V with L as one more
input (`_softmax_parts`). Its fused gradient would read a normalizer internal
to the gradient module, which a second derivative could not chain through;
split, every derivative of any order is that of a logsumexp and a sum. The
split costs one more pass over the data in the forward, and only when
autograd records.
"""

import torch

from . import _arrays
from . import formula as fm
from ._runtime import compile_mlir
from .derivatives import (SELECTED_KINDS, ZERO_GRADIENT_KINDS, softmax_sum_formula,
                          tangent_formula)


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
        extra = [t for t in ts if t is not None]
        if plan.kind == "logsumexp":
            extra.append(outs[0])
        elif plan.kind in SELECTED_KINDS:
            # The selected terms' indices: the outputs', or an arg-kind
            # reduction's (ties: the first index, as the reverse mode).
            arg = SELECTED_KINDS[plan.kind]
            if arg is None:
                extra.append(outs[1])
            else:
                from .reductions import get_plan
                aplan = get_plan(plan.roots, plan.collected, arg, plan.axis, plan.k,
                                 plan.dtype, plan.options, plan.batch, plan.ranged)
                extra += KeopsReduction.apply(aplan, ctx.M, ctx.N, ctx.batch, ctx.ranges,
                                              *inputs)
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
        plan = ctx.plan
        n = len(ctx.input_is_tensor)
        wrt = [k for k in range(n) if ctx.needs_input_grad[_FIXED + k]]
        grads = [None] * n
        cot = grad_outputs[0]
        if not wrt or cot is None:
            return (None,) * _FIXED + tuple(grads)
        if plan.kind in ZERO_GRADIENT_KINDS:
            inputs, _ = _saved_reduction(ctx)
            # Indices are piecewise constant.
            for k in wrt:
                grads[k] = torch.zeros_like(inputs[k])
            return (None,) * _FIXED + tuple(grads)
        inputs, outs = _saved_reduction(ctx)
        # The forward's outputs, for gradients that read them: no second run
        # of the forward reduction (detached: KeopsGradient's own backward
        # chains through the forward by itself).
        saved = [o.detach() for o in outs] if plan.kind in SAVED_RESULT_KINDS else []
        spec = GradientSpec(plan, tuple(wrt), ctx.M, ctx.N, ctx.raw_inputs, ctx.batch,
                            ctx.ranges, saved=bool(saved))
        results = KeopsGradient.apply(spec, cot.contiguous(), *inputs, *saved)
        for k, g in zip(wrt, results):
            # An input with fewer batch axes than the reduction (NumPy
            # aligns them on the right) gets its gradient with 1s in front.
            grads[k] = g.reshape(inputs[k].shape)
        return (None,) * _FIXED + tuple(grads)


def _saved_reduction(ctx):
    """What KeopsReduction saved: its inputs (None for float parameters,
    whose values are ctx.raw_inputs) and its outputs."""
    saved = ctx.saved_tensors
    tensors = iter(saved)
    inputs = [next(tensors) if t else None for t in ctx.input_is_tensor]
    return inputs, list(tensors)


def _saved_gradient(ctx):
    """What KeopsGradient saved: the cotangent and the inputs (None for
    float parameters)."""
    cot, *rest = ctx.saved_tensors
    rest = iter(rest)
    return cot, [next(rest) if p else None for p in ctx.present]


# Kinds whose gradient reads all the forward's outputs (keops.reduce_grad
# `saved`): the backward passes the saved ones rather than computing them
# again. (min, max, kmin save no indices: their gradient recomputes them.)
SAVED_RESULT_KINDS = ("logsumexp", "min_argmin", "max_argmax", "kmin_argkmin")


class GradientSpec:
    """The gradient of a reduction (plan) w.r.t. its inputs `wrt`, as MLIR:
    the forward function with a keops.reduce_grad appended (the compiler's
    differentiation builds the gradient reductions), and, for second order,
    keops.reduce_grad ops on those gradients w.r.t. `wrt2`."""

    def __init__(self, plan, wrt, M, N, raw_inputs, batch=(), ranges=None, saved=False):
        self.plan, self.wrt, self.M, self.N = plan, wrt, M, N
        # Whether the first-order gradient takes the forward's outputs
        # (`saved` of keops.reduce_grad, arguments after the cotangent)
        # instead of running the forward reduction again.
        self.saved = saved
        self.raw_inputs = raw_inputs  # non-tensor inputs (float parameters)
        self.batch = batch  # the batch extents (plan.batch: the pattern)
        # A block-sparse forward: its gradient reductions read the same
        # ranges (arguments after the forward's outputs).
        self.ranges = ranges
        self.T = fm.ELEMENT_TYPES[plan.dtype]
        self.width = plan.widths[0]
        self.rows = M if plan.axis == 1 else N
        # Batch prefixes of the inputs' types and of the outputs', as in the
        # forward function.
        self.prefixes, self.out_prefix = fm.batch_prefixes(plan.batch, len(plan.variables))

    def text(self, wrt2=()):
        """wrt2: for each gradient n, the positions (inputs of the gradient
        reduction: the forward's inputs, then the cotangent) to
        differentiate it w.r.t., with one more cotangent argument each."""
        plan, T, w = self.plan, self.T, self.width
        in_types = [fm.variable_type(c, d, T, p)
                    for (c, d), p in zip(plan.variables, self.prefixes)]
        cot_type = "tensor<%s?x%dx%s>" % (self.out_prefix, w, T)
        gtypes = [in_types[k] for k in self.wrt]
        extra = ["%%cot: %s" % cot_type] + ["%%c%d: %s" % (n, gtypes[n])
                                           for n, pos in enumerate(wrt2) if pos]
        saved = ""
        if self.saved and not wrt2:
            stypes = fm.output_types(plan.kind, plan.widths, T, self.out_prefix)
            extra += ["%%s%d: %s" % (n, t) for n, t in enumerate(stypes)]
            saved = " saved(%s : %s)" % (", ".join("%%s%d" % n for n in range(len(stypes))),
                                         ", ".join(stypes))
        types2 = in_types + [cot_type]

        nv = len(plan.variables)
        # The gradient of a logsumexp reads the forward result (its input
        # nv + 1): a second derivative chains through it, back into the
        # forward reduction.
        chain = plan.kind == "logsumexp"

        def epilogue(results, types):
            lines = ["%%g:%d = keops.reduce_grad %s wrt [%s], %%cot%s : %s, %s -> %s"
                     % (len(self.wrt), results[0], ", ".join(map(str, self.wrt)), saved,
                        types[0], cot_type, ", ".join(gtypes))]
            returns = [("%%g#%d" % n, t) for n, t in enumerate(gtypes)]
            if wrt2:
                returns = []
                for n, pos in enumerate(wrt2):
                    if not pos:
                        continue
                    full = list(pos) + ([nv + 1] if chain else [])
                    ht = [types2[p] if p <= nv else types[0] for p in full]
                    lines.append("%%h%d:%d = keops.reduce_grad %%g#%d wrt [%s], %%c%d : %s, %s -> %s"
                                 % (n, len(full), n, ", ".join(map(str, full)), n, gtypes[n],
                                    gtypes[n], ", ".join(ht)))
                    returns += [("%%h%d#%d" % (n, m), t) for m, t in enumerate(ht[:len(pos)])]
                    fwd = [p for p in pos if p < nv]
                    if chain and fwd:
                        kt = [in_types[p] for p in fwd]
                        lines.append("%%k%d:%d = keops.reduce_grad %s wrt [%s], %%h%d#%d : %s, %s -> %s"
                                     % (n, len(fwd), results[0], ", ".join(map(str, fwd)), n,
                                        len(pos), types[0], types[0], ", ".join(kt)))
                        returns += [("%%k%d#%d" % (n, m), t) for m, t in enumerate(kt)]
            return lines, returns

        name = "grad2" if wrt2 else "grad"
        return name, self.plan.emit(name=name, extra_args=extra, epilogue=epilogue)

    def run(self, inputs, extra, wrt2=(), saved=()):
        """Runs the gradient function on `inputs` (the forward's, tensors or
        None for float parameters) and `extra` (cotangents: that of the
        forward result, then those of the gradients w.r.t. the inputs
        `wrt[n]` for which wrt2[n] is not empty), and at first order the
        forward's outputs `saved` (with spec.saved); returns the results as
        tensors of the shapes the runtime gives (batch extents, 1 where an
        input is broadcast, then rows and columns)."""
        name, text = self.text(wrt2)
        # (Without the forward's partial states, which splits of few rows
        # add: gradient modules would take 2 to 5 times longer to compile.)
        options = {k: v for k, v in self.plan.options if k != "partial_states"}
        module = compile_mlir(text, **options)
        fn = module.functions[name]
        args, rows = [], []
        variables = self.plan.variables

        def rows_of(a, cat):
            return 1 if cat == 2 else a.shape[-2]

        keep = []   # contiguous copies, alive until the run ends
        for k, (a, (cat, dim)) in enumerate(zip(inputs, variables)):
            a = _arrays.contiguous(a) if a is not None else self.raw_inputs[k]
            keep.append(a)
            args.append(_arrays.address(a))
            rows.append(rows_of(a, cat))
        for _ in self.plan.widths:  # the forward's outputs: their rows only
            args.append(0)
            rows.append(self.rows)
        if self.ranges is not None:
            args += list(self.ranges.arrays)
            rows += self.ranges.lengths()
        cats = [1 - self.plan.axis] + [variables[self.wrt[n]][0]
                                      for n, pos in enumerate(wrt2) if pos]
        for c, cat in zip(extra, cats):
            c = _arrays.contiguous(c)
            keep.append(c)
            args.append(_arrays.address(c))
            rows.append(rows_of(c, cat))
        if self.saved and not wrt2:
            for o in saved:
                o = _arrays.contiguous(o)
                keep.append(o)
                args.append(_arrays.address(o))
                rows.append(self.rows)
        # (Torch tensors, or NumPy arrays for keops.jax.)
        like = next(a for a in inputs if a is not None)
        fw = _arrays.framework(like)
        device = _arrays.cuda_device([like])
        results = [_arrays.empty(fw, shape, self.plan.dtype, device)
                   for shape, _, _ in fn.result_shapes(rows, self.batch)]
        fn.run(args, rows, [_arrays.address(r) for r in results],
               _arrays.cuda_stream(device), self.batch)
        return results


class KeopsGradient(torch.autograd.Function):
    """forward(spec, cotangent, *inputs, *saved) -> the gradients w.r.t.
    spec.wrt; `saved`: the forward's outputs, with spec.saved (constants
    here: the second derivative chains through the forward reduction by
    itself). Differentiable once more (Hessian-vector products), through
    keops.reduce_grad of the gradient reductions; with a vmap rule."""

    @staticmethod
    def forward(spec, cotangent, *args):
        n = len(spec.plan.variables)
        return tuple(spec.run(args[:n], [cotangent], saved=args[n:]))

    @staticmethod
    def setup_context(ctx, inputs, output):
        spec, cotangent, *args = inputs
        args = args[:len(spec.plan.variables)]
        ctx.spec = spec
        ctx.set_materialize_grads(False)  # None, not zeros, for unused results
        ctx.save_for_backward(cotangent, *[a for a in args if a is not None])
        ctx.save_for_forward(cotangent, *[a for a in args if a is not None])
        ctx.present = [a is not None for a in args]

    @staticmethod
    def vmap(info, in_dims, spec, cotangent, *args):
        size = info.batch_size
        n = len(spec.plan.variables)
        inputs, saved, in_dims = args[:n], args[n:], in_dims[:2 + n]
        if all(d is None for d in in_dims[2:]):
            # Only the cotangent is batched (jacrev): the gradient reduction
            # has no batched input to give its results that axis, so one
            # call per cotangent.
            cots = cotangent.movedim(in_dims[1], 0)
            parts = [KeopsGradient.apply(spec, c, *inputs, *saved) for c in cots.unbind(0)]
            outs = tuple(torch.stack(p) for p in zip(*parts))
            return outs, (0,) * len(outs)
        plan, args = _batched(spec.plan, spec.batch, inputs, in_dims[2:], size, spec.ranges)
        cot = cotangent.movedim(in_dims[1], 0) if in_dims[1] is not None else \
            cotangent.expand(size, *cotangent.shape)
        batched = GradientSpec(plan, spec.wrt, spec.M, spec.N, spec.raw_inputs,
                               (size, *spec.batch), spec.ranges)
        outs = KeopsGradient.apply(batched, cot.contiguous(), *args)
        return outs, (0,) * len(outs)

    @staticmethod
    def backward(ctx, *grad_outputs):
        spec = ctx.spec
        cot, inputs = _saved_gradient(ctx)
        n = len(inputs)
        # Positions of the gradient reduction's inputs: the forward's, then
        # the cotangent (position n).
        need = [k for k in range(n) if ctx.needs_input_grad[2 + k]]
        if ctx.needs_input_grad[1]:
            need.append(n)
        grads = _second_order(spec, inputs, cot, grad_outputs, need)
        saved = len(ctx.needs_input_grad) - 2 - n
        return (None, grads[n], *grads[:n]) + (None,) * saved

    @staticmethod
    def jvp(ctx, *tangents):
        """Forward mode on a gradient g = J^T c of <c, F>: dg = J^T dc + H t,
        H the Hessian of <c, F> in the inputs, which is symmetric: H t is
        the vector-Jacobian product of the gradients w.r.t. the tangents'
        inputs, with the tangents as cotangents (KeopsHessianVector)."""
        spec = ctx.spec
        cot, inputs = _saved_gradient(ctx)
        dc, ts = tangents[1], tangents[2:2 + len(inputs)]
        outs = None
        if dc is not None:
            # (The gradient is linear in the cotangent; the forward's
            # outputs are not saved here: recomputed.)
            unsaved = GradientSpec(spec.plan, spec.wrt, spec.M, spec.N, spec.raw_inputs,
                                   spec.batch, spec.ranges)
            outs = list(KeopsGradient.apply(unsaved, dc, *inputs))
        moved = tuple(k for k, t in enumerate(ts) if t is not None)
        if moved:
            along = GradientSpec(spec.plan, moved, spec.M, spec.N, spec.raw_inputs,
                                 spec.batch, spec.ranges)
            hv = KeopsHessianVector.apply(along, spec.wrt, cot, *inputs,
                                          *[ts[k] for k in moved])
            outs = list(hv) if outs is None else [a + b for a, b in zip(outs, hv)]
        if outs is None:
            return tuple(torch.zeros_like(inputs[k]) for k in spec.wrt)
        return tuple(outs)


def _second_order(spec, inputs, cot, grad_outputs, need):
    """sum_n (dg_n / dx_p)^T v_n for the gradients g_n of `spec` (at the
    cotangent `cot`), vectors v_n = grad_outputs[n] (None: zero), and the
    positions p in `need` (the forward's inputs, then the cotangent at
    position len(inputs)): one list entry per position, None where zero."""
    n = len(inputs)
    wrt2 = [tuple(need) if g is not None else () for g in grad_outputs]
    grads = [None] * (n + 1)
    if need and any(wrt2):
        extra = [cot] + [g for g in grad_outputs if g is not None]
        results = iter(spec.run(inputs, extra, wrt2))
        chain = spec.plan.kind == "logsumexp"
        for pos in wrt2:
            # The gradient's own terms, then (logsumexp) the chain through
            # the forward result for the forward's inputs.
            for p in list(pos) + ([p for p in pos if p < n] if chain else []):
                like = inputs[p] if p < n else cot
                r = next(results).reshape(like.shape)
                grads[p] = r if grads[p] is None else grads[p] + r
    return grads


class KeopsHessianVector(torch.autograd.Function):
    """forward(spec, need, cotangent, *inputs, *vectors) -> for each
    position p in `need`, sum_n (dg_n / dx_p)^T v_n over the gradients g_n
    of spec (one vector per spec.wrt). The forward-mode rule of
    KeopsGradient; not differentiable again (third derivatives)."""

    @staticmethod
    def forward(spec, need, cotangent, *args):
        n = len(spec.plan.variables)
        inputs, vectors = list(args[:n]), list(args[n:])
        grads = _second_order(spec, inputs, cotangent, vectors, list(need))
        return tuple(grads[p] if grads[p] is not None else torch.zeros_like(inputs[p])
                     for p in need)

    @staticmethod
    def setup_context(ctx, inputs, output):
        pass

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("third derivatives of reductions are not supported")

    @staticmethod
    def vmap(info, in_dims, spec, need, cotangent, *args):
        # One call per batch element: the vectors have their inputs'
        # batch pattern, which a batched vector and a shared input cannot
        # share in one kernel.
        def element(a, d, b):
            return a.select(d, b) if d is not None else a
        parts = [KeopsHessianVector.apply(spec, need, element(cotangent, in_dims[2], b),
                                          *[element(a, d, b) for a, d in zip(args, in_dims[3:])])
                 for b in range(info.batch_size)]
        outs = tuple(torch.stack(p) for p in zip(*parts))
        return outs, (0,) * len(outs)


_SOFTMAX_PARTS = {}


def _softmax_parts(plan):
    """(logsumexp plan, sum plan) of a sumsoftmaxweight plan: L = logsumexp
    F and sum exp(F - L) V over the same axis, on the same inputs (in the
    same order) plus L, indexed like the output rows."""
    parts = _SOFTMAX_PARTS.get(plan.key)
    if parts is None:
        from .reductions import Plan
        F, V = plan.roots
        variables = list(plan.collected[1])
        G, L = softmax_sum_formula(F, V, plan.axis)
        (nodes, _, key), plans = fm.collect((F,)), []
        plans.append(Plan(("softmax-lse", plan.key), (F,), (nodes, variables, key),
                          "logsumexp", plan.axis, None, plan.dtype, plan.options,
                          plan.batch, plan.ranged))
        nodes, _, key = fm.collect((G,))
        # L has the outputs' batch axes (a static 1 where every input has one).
        lse_batch = plan.batch + (fm.output_pattern(plan.batch),) if plan.batch else ()
        plans.append(Plan(("softmax-sum", plan.key), (G,), (nodes, variables + [L], key),
                          "sum", plan.axis, None, plan.dtype, plan.options, lse_batch,
                          plan.ranged))
        parts = _SOFTMAX_PARTS[plan.key] = tuple(plans)
    return parts


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


_TANGENT_PLANS = {}


def _tangent_plan(plan, has):
    """The reduction whose result is the tangent of `plan`'s, for tangents
    of the inputs flagged in `has` (new variables after the inputs, shaped
    like them): sum of sum_k diff(F, v_k, t_k) for a sum; for a logsumexp L
    (weights W), sum of exp(F - L) (W dF + dW), L one more input indexed
    like the output rows."""
    key = (plan.key, has)
    tplan = _TANGENT_PLANS.get(key)
    if tplan is not None:
        return tplan
    from .reductions import Plan
    variables = list(plan.collected[1])
    G, extra = tangent_formula(plan.roots, plan.kind, plan.axis, plan.k, variables, has)
    batch = plan.batch + tuple(plan.batch[k] for k, h in enumerate(has) if h) \
        if plan.batch else ()
    if plan.batch and plan.kind != "sum":
        # The indices or L: indexed like the output rows, with their axes.
        batch += (fm.output_pattern(plan.batch),)
    nodes, _, key2 = fm.collect((G,))
    tplan = _TANGENT_PLANS[key] = Plan(("jvp", plan.key, has), (G,),
                                       (nodes, variables + extra, key2), "sum", plan.axis,
                                       None, plan.dtype, plan.options, batch, plan.ranged)
    return tplan


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
