"""Block-sparse reductions: pykeops' `ranges` 6-tuples.

`ranges = (ranges_i, slices_i, redranges_j, ranges_j, slices_j,
redranges_i)`: for a reduction over j, the rows of block k are
`ranges_i[k] = [start, end)` and they are reduced over the intervals
`redranges_j[s]` of j for s in `[slices_i[k - 1], slices_i[k])`; a reduction
over i reads the last three arrays the same way. Rows in no block get the
empty reduction. `keops.torch.cluster.from_matrix` builds such tuples from a
boolean block mask. A reduction with batch dimensions shares one tuple
among its batch elements, or takes one per element: arrays with the batch
shape in front, or a list of tuples (padded here into such arrays).

This module checks their types, dtypes and shapes (a `TypeError` for what is
no array, a `ValueError` otherwise, naming the array) and hands them to the runtime, which checks their values
(bounds, cumulative counts, overlaps: a `ValueError` naming the first bad
value) and completes them for the kernels. The reduction itself is the
compiler's: `keops.reduce ... ranges(...)`.
"""

import numpy as np

from . import _arrays

NAMES = ("ranges_i", "slices_i", "redranges_j", "ranges_j", "slices_j", "redranges_i")


class Ranges:
    """Six C-contiguous integer arrays of one dtype (int32 or int64), on
    the host: what a block-sparse kernel takes. Shared by the batch
    elements (`batch` = ()), or one tuple per element: the arrays then have
    the batch shape in front."""

    __slots__ = ("arrays", "bits", "batch", "_arg")

    def __init__(self, arrays, bits, batch=()):
        self.arrays, self.bits, self.batch = tuple(arrays), bits, tuple(batch)
        elements = int(np.prod(self.batch, dtype=np.int64)) if self.batch else 0
        self._arg = ([_arrays.address(a) for a in self.arrays],
                     [int(a.shape[len(self.batch)]) for a in self.arrays], bits, elements)

    @property
    def per_element(self):
        return bool(self.batch)

    def kernel_arg(self):
        """(six addresses, six lengths, bits, batch elements), for
        Kernel.run (0 elements: shared)."""
        return self._arg

    def lengths(self):
        """The rows of each array (per batch element)."""
        return self._arg[1]

    def swapped(self):
        """The ranges of the transposed matrix (pykeops' swap_axes)."""
        return Ranges(self.arrays[3:] + self.arrays[:3], self.bits, self.batch)


def ranged_kind(ranges):
    """What a plan's kernel takes for `ranges` (a Ranges or None): False,
    "shared" or "per_element" (formula.reduction_mlir's `ranges`)."""
    if ranges is None:
        return False
    return "per_element" if ranges.per_element else "shared"


def swap_ranges(ranges):
    """The ranges of the transposed matrix, in the form given: a 6-tuple,
    a sequence of per-element 6-tuples or a Ranges (None for None)."""
    if ranges is None:
        return None
    if isinstance(ranges, Ranges):
        return ranges.swapped()
    if _per_element_list(ranges):
        return [swap_ranges(r) for r in ranges]
    return tuple(ranges[3:]) + tuple(ranges[:3])


def _per_element_list(ranges):
    return (isinstance(ranges, (tuple, list)) and len(ranges) > 0
            and all(isinstance(r, (tuple, list)) for r in ranges))


def _host_array(name, a):
    afw = _arrays.framework(a)
    if afw is None:
        raise TypeError(f"ranges: {name} must be a NumPy array or a torch tensor, got "
                        f"{type(a).__name__}")
    if afw == "torch":
        # The runtime checks and completes ranges on the host (they are
        # small: a few numbers per block), also for the GPU backend.
        a = a.detach().cpu().numpy()
    if a.dtype not in (np.int32, np.int64):
        raise ValueError(f"ranges: {name} must hold int32 or int64 integers, got {a.dtype}")
    return a


def _check_tuple(ranges, where=""):
    if not isinstance(ranges, (tuple, list)) or len(ranges) != 6:
        raise ValueError(f"ranges{where} must be a 6-tuple (ranges_i, slices_i, redranges_j, "
                         "ranges_j, slices_j, redranges_i), got "
                         f"{type(ranges).__name__}"
                         + (f" of length {len(ranges)}" if isinstance(ranges, (tuple, list))
                            else ""))
    return [_host_array(name, a) for name, a in zip(NAMES, ranges)]


def _check_shape(name, a, lead, where="ranges: "):
    """Array `name` is (n,) counts or (n, 2) pairs after `lead` batch axes."""
    counts = name.startswith("slices")
    if a.ndim != lead + (1 if counts else 2) or (not counts and a.shape[-1] != 2):
        shape = "(n,)" if counts else "(n, 2)"
        raise ValueError(f"{where}{name} must have shape "
                         f"{('(*batch, ' + shape[1:]) if lead else shape}, "
                         f"got {tuple(a.shape)}")


def _stack(tuples):
    """One 6-tuple of arrays with a leading axis from per-element 6-tuples
    of 1-D / 2-D arrays, padded: empty blocks [0, 0) (their counts repeat
    the last one) and unread intervals [0, 0)."""
    out = []
    for k, name in enumerate(NAMES):
        parts = [t[k] for t in tuples]
        for e, a in enumerate(parts):
            _check_shape(name, a, 0, f"ranges of batch element {e}: ")
        n = max(a.shape[0] for a in parts)
        stacked = np.zeros((len(parts), n) + parts[0].shape[1:], np.int64)
        for e, a in enumerate(parts):
            stacked[e, :a.shape[0]] = a
            if a.ndim == 1 and a.shape[0]:
                stacked[e, a.shape[0]:] = a[-1]
        out.append(stacked)
    return out


def as_ranges(ranges, fw=None, batch=()):
    """`ranges` as a Ranges for a reduction with batch extents `batch`, or
    None for None. Accepted: a 6-tuple of NumPy arrays or torch tensors
    shared by every batch element (ranges (n, 2), slices (n,)); the same
    with the batch shape in front of each array (one tuple per element; a
    size-1 axis is repeated); a sequence of 6-tuples, one per batch element
    in row-major order; or a Ranges. Errors name the array at fault."""
    if ranges is None or isinstance(ranges, Ranges):
        return ranges
    batch = tuple(int(b) for b in batch)
    elements = int(np.prod(batch, dtype=np.int64)) if batch else 1
    if isinstance(ranges, (tuple, list)) and len(ranges) == 0 and batch and elements == 0:
        # No batch element: no tuple.
        return _finish([np.zeros(batch + ((0,) if k % 3 == 1 else (0, 2)), np.int64)
                        for k in range(6)], batch)
    if _per_element_list(ranges):
        if not batch:
            raise ValueError("ranges: a sequence of ranges tuples (one per batch element) "
                             "needs a reduction with batch dimensions")
        if len(ranges) != elements:
            raise ValueError(f"ranges: {len(ranges)} ranges tuples for {elements} batch "
                             f"elements (batch shape {batch})")
        tuples = [_check_tuple(r, f" of batch element {e}") for e, r in enumerate(ranges)]
        out = [a.reshape(batch + a.shape[1:]) for a in _stack(tuples)]
        return _finish(out, batch)
    out = _check_tuple(ranges)
    lead = out[1].ndim - 1
    if lead == 0:
        per = ()
    elif lead != len(batch):
        raise ValueError(f"ranges: slices_i has shape {tuple(out[1].shape)}: shared ranges "
                         "are 1-D (n,) slices and (n, 2) ranges; per batch element, they have "
                         f"the {len(batch)} batch dimensions {batch} in front")
    else:
        per = batch
    for name, a in zip(NAMES, out):
        _check_shape(name, a, lead)
        for axis, (got, size) in enumerate(zip(a.shape[:lead], per)):
            if got not in (1, size):
                raise ValueError(f"ranges: {name} has {got} elements on batch axis {axis} "
                                 f"but the reduction has {size}")
    if per:
        out = [np.broadcast_to(a, per + a.shape[lead:]) for a in out]
    return _finish(out, per)


def _finish(out, batch):
    lead = len(batch)
    kinds = {a.dtype for a in out}
    dtype = np.int64 if np.dtype(np.int64) in kinds else np.int32
    for k, name in ((0, "slices_i"), (3, "slices_j")):
        if out[k].shape[lead] != out[k + 1].shape[lead]:
            raise ValueError(f"ranges: {NAMES[k]} has {out[k].shape[lead]} blocks but {name} "
                             f"has {out[k + 1].shape[lead]} counts (one per block)")
    out = [np.ascontiguousarray(a, dtype=dtype) for a in out]
    return Ranges(out, 64 if dtype == np.int64 else 32, batch)
