"""The autograd hook: reductions of torch tensors as a torch.autograd.Function.

Every reduction of torch tensors runs through `run_torch`. When autograd
records (grad mode on and an input requires grad), it goes through
`KeopsReduction.apply`, whose forward is the plain forward (`Plan.run`) and
whose backward is where gradients will be computed. Otherwise the Function
would only add its overhead, so the same forward runs directly.

Integrating differentiation fills in `KeopsReduction.backward` only. What it
receives (saved in ctx): the `Plan` (`plan.mlir`: the forward module, one
`func.func @reduction` holding the `keops.reduce` in tensor form, built by
`keops.formula.reduction_mlir`, which can also append ops to that function,
e.g. a `keops.reduce_grad` on its results; `plan.variables`: (category,
dimension) of each kernel input; `plan.kind`, `plan.axis`, `plan.k`,
`plan.dtype`, `plan.options`), the sizes M and N, the inputs in kernel order
and the raw outputs (ctx.saved_tensors). Compiled gradient modules can be
run with `keops._runtime.compile_mlir(text).kernels[k].run(inputs, outputs,
M, N)`.
"""

import torch


class KeopsReduction(torch.autograd.Function):
    """forward(ctx, plan, M, N, *inputs) -> raw outputs of the kernel, one
    (rows, width) tensor per output (pykeops' shapes are made afterwards, as
    views, so gradients flow through them)."""

    @staticmethod
    def forward(ctx, plan, M, N, *inputs):
        outs = plan.run("torch", inputs, M, N)
        ctx.plan, ctx.M, ctx.N = plan, M, N
        tensors = [a for a in inputs if isinstance(a, torch.Tensor)]
        ctx.input_is_tensor = [isinstance(a, torch.Tensor) for a in inputs]
        ctx.save_for_backward(*tensors, *outs)
        index_outs = [o for o, dt in zip(outs, plan.out_dtypes) if dt == "int64"]
        if index_outs:
            ctx.mark_non_differentiable(*index_outs)
        return tuple(outs)

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "gradients: not yet (keops-mlir cannot differentiate reductions yet)")


def run_torch(plan, inputs, M, N, out=None):
    if out is None and torch.is_grad_enabled() and any(
            isinstance(a, torch.Tensor) and a.requires_grad for a in inputs):
        outs = KeopsReduction.apply(plan, M, N, *inputs)
        return plan.finish(list(outs))
    return plan.finish(plan.run("torch", inputs, M, N, out))
