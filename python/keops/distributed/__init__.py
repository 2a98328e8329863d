"""Reductions split over chunks, devices and machines, merged by each
reduction's own rule.

`states`: partial states (Reduction.partial, ReductionState.merge and
finalize), the protocol every transport uses; `dask`: reductions of Dask
arrays; `torch`: reductions over shards held by the ranks of a
torch.distributed group, with autograd. The last two import their engine
on first use (import keops.distributed.dask or .torch).
"""

from .states import ReductionState, layout, merge_all

__all__ = ["ReductionState", "layout", "merge_all"]
