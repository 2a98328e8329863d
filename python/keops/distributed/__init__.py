"""Reductions split over chunks, devices and machines, merged by each
reduction's own rule.

`states`: partial states (Reduction.partial, ReductionState.merge and
finalize), the protocol every transport uses.
"""

from .states import ReductionState, layout, merge_all

__all__ = ["ReductionState", "layout", "merge_all"]
