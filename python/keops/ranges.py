"""Block-sparse reductions: pykeops' `ranges` 6-tuples.

`ranges = (ranges_i, slices_i, redranges_j, ranges_j, slices_j,
redranges_i)`: for a reduction over j, the rows of block k are
`ranges_i[k] = [start, end)` and they are reduced over the intervals
`redranges_j[s]` of j for s in `[slices_i[k - 1], slices_i[k])`; a reduction
over i reads the last three arrays the same way. Rows in no block get the
empty reduction. `keops.torch.cluster.from_matrix` builds such tuples from a
boolean block mask.

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
    the host: what a block-sparse kernel takes."""

    __slots__ = ("arrays", "bits", "_arg")

    def __init__(self, arrays, bits):
        self.arrays, self.bits = tuple(arrays), bits
        self._arg = ([_arrays.address(a) for a in self.arrays],
                     [int(a.shape[0]) for a in self.arrays], bits)

    def kernel_arg(self):
        """(six addresses, six lengths, bits), for Kernel.run."""
        return self._arg

    def lengths(self):
        return self._arg[1]

    def swapped(self):
        """The ranges of the transposed matrix (pykeops' swap_axes)."""
        return Ranges(self.arrays[3:] + self.arrays[:3], self.bits)


def as_ranges(ranges, fw=None):
    """`ranges` (a 6-tuple of NumPy arrays or torch tensors, or a Ranges) as
    a Ranges, or None for None. Errors name the array at fault."""
    if ranges is None or isinstance(ranges, Ranges):
        return ranges
    if not isinstance(ranges, (tuple, list)) or len(ranges) != 6:
        raise ValueError("ranges must be a 6-tuple (ranges_i, slices_i, redranges_j, "
                         "ranges_j, slices_j, redranges_i), got "
                         f"{type(ranges).__name__}"
                         + (f" of length {len(ranges)}" if isinstance(ranges, (tuple, list))
                            else ""))
    out, kinds = [], set()
    for name, a in zip(NAMES, ranges):
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
        want = 1 if name.startswith("slices") else 2
        if a.ndim != want or (want == 2 and a.shape[1] != 2):
            raise ValueError(f"ranges: {name} must have shape "
                             f"{'(n,)' if want == 1 else '(n, 2)'}, got {tuple(a.shape)}")
        kinds.add(a.dtype)
        out.append(a)
    dtype = np.int64 if np.dtype(np.int64) in kinds else np.int32
    for k, name in ((0, "slices_i"), (3, "slices_j")):
        if out[k].shape[0] != out[k + 1].shape[0]:
            raise ValueError(f"ranges: {NAMES[k]} has {out[k].shape[0]} blocks but {name} has "
                             f"{out[k + 1].shape[0]} counts (one per block)")
    out = [np.ascontiguousarray(a, dtype=dtype) for a in out]
    return Ranges(out, 64 if dtype == np.int64 else 32)
