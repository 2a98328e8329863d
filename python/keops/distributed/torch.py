"""Reductions over tensors sharded across the ranks of a torch.distributed
group: each rank holds its own rows of the reduced axis (y_j, b_j, ...) and
the same kept rows (x_i) and parameters; every rank gets the whole result.

    import torch.distributed as dist
    from keops.distributed.torch import reduce

    dist.init_process_group("gloo", ...)       # NCCL is the same code on GPUs
    out = reduce(g, x, y_shard, b_shard)       # g: a Genred or a Reduction

Forward, for every reduction kind: each rank computes the partial state of
its shard (its first reduced index: the rows of the ranks before it), the
states are all-gathered and merged in rank order, and every rank finalizes
the same result. The offsets make argmin and K-min indices those of the
whole axis.

Gradients (sum and logsumexp): the result is the same on every rank and is
differentiated as one value, not once per rank. Each rank reduces its shard
locally with the compiler's gradient reductions; the local sums are summed
across ranks (all-reduce forward, identity backward), a logsumexp is
combined through its running maximum (d out / d lse_r = exp(lse_r - out));
the gradients of the replicated inputs (kept variables, parameters) are
all-reduced in the backward pass, those of a rank's shard stay on it. So
the backward pass is again one distributed reduction per input.
"""

import torch
import torch.distributed as dist

from .states import ReductionState, reduction_of


class _SumOverRanks(torch.autograd.Function):
    """Forward: the sum over the ranks; backward: the identity (the result
    is one value, replicated)."""

    @staticmethod
    def forward(ctx, local, group):
        total = local.clone()
        dist.all_reduce(total, op=dist.ReduceOp.SUM, group=group)
        return total

    @staticmethod
    def backward(ctx, grad):
        return grad, None


class _Replicated(torch.autograd.Function):
    """Forward: the identity, for an input every rank holds; backward: the
    sum over the ranks of its gradient (each rank has its shard's part)."""

    @staticmethod
    def forward(ctx, value, group):
        ctx.group = group
        return value.view_as(value)

    @staticmethod
    def backward(ctx, grad):
        grad = grad.contiguous().clone()
        dist.all_reduce(grad, op=dist.ReduceOp.SUM, group=ctx.group)
        return grad, None


def _offset(rows, group):
    """The first reduced index of this rank's shard, and the total."""
    sizes = [torch.zeros(1, dtype=torch.int64) for _ in range(dist.get_world_size(group))]
    dist.all_gather(sizes, torch.tensor([rows], dtype=torch.int64), group=group)
    rank = dist.get_rank(group)
    return int(sum(s.item() for s in sizes[:rank])), int(sum(s.item() for s in sizes))


def reduce(reduction, *args, group=None):
    """`reduction` (a Genred, or a Reduction from a LazyTensor reduction with
    call=False) over the union of the ranks' shards of its reduced axis: the
    arguments are this rank's torch tensors (CPU or CUDA), reduced variables being
    its shard (any number of rows, possibly none), kept variables and
    parameters the same on every rank. Returns the whole result on every
    rank; differentiable for sum and logsumexp."""
    red = reduction_of(reduction)
    if len(args) != red.nargs:
        raise ValueError(f"this reduction takes {red.nargs} arguments, got {len(args)}")
    if not dist.is_available() or not dist.is_initialized():
        raise RuntimeError("torch.distributed is not initialized (init_process_group)")
    for n, a in enumerate(args):
        if not isinstance(a, torch.Tensor):
            raise TypeError(f"argument {n}: expected a torch tensor, got {type(a).__name__}")
    reduced_cat = 1 if red.axis == 1 else 0
    reduced = [n for n, (cat, _) in enumerate(red.declared) if cat == reduced_cat]
    if not reduced:
        raise ValueError("the reduction needs a variable of its reduced axis")
    rows = args[reduced[0]].shape[-2]
    first, _ = _offset(rows, group)
    wants_grad = torch.is_grad_enabled() and any(a.requires_grad for a in args)
    if wants_grad:
        if red.kind not in ("sum", "logsumexp"):
            raise ValueError(f"gradients through a distributed {red.kind} reduction are not "
                             "supported (sum and logsumexp are)")
        return _differentiable(red, args, reduced_cat, group)
    with torch.no_grad():
        state = red.partial(*args, first=first)
        gathered = []
        for array in state.arrays:
            parts = [torch.empty_like(array) for _ in range(dist.get_world_size(group))]
            dist.all_gather(parts, array.contiguous(), group=group)
            gathered.append(parts)
        states = [state._like([arrays[r] for arrays in gathered])
                  for r in range(dist.get_world_size(group))]
        merged = states[0]
        for other in states[1:]:
            merged = merged.merge(other)
        return merged.finalize()


def _differentiable(red, args, reduced_cat, group):
    args = [a if cat == reduced_cat else _Replicated.apply(a, group)
            for a, (cat, _) in zip(args, red.declared)]
    local = red(*args)
    if red.kind == "sum":
        return _SumOverRanks.apply(local, group)
    # logsumexp: out = m + log(sum_r exp(lse_r - m)), m the largest lse_r
    # (-inf for rows no rank reduced anything into: they stay -inf).
    with torch.no_grad():
        m = local.detach().clone()
        dist.all_reduce(m, op=dist.ReduceOp.MAX, group=group)
        m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))
    total = _SumOverRanks.apply(torch.exp(local - m), group)
    return m + torch.log(total)


__all__ = ["reduce", "ReductionState"]
