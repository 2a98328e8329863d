"""The few array primitives the clustering helpers need, for NumPy and torch.

keops.cluster is written once against this interface; `ops(x)` picks the
implementation from the array's type. Each primitive computes what pykeops'
NumPy or torch cluster module computes with the same library calls (the
same dtypes and roundings: NumPy's bincount sums in float64, torch's in the
weights' dtype), so that results agree bit for bit where pykeops is right.
torch is never imported here: a tensor is only recognized once the caller
has imported torch (keops._arrays).
"""

import sys

import numpy as np

from .._arrays import framework


class _NumpyOps:
    name = "numpy"
    label_dtype = np.int64          # pykeops.numpy labels are `int` arrays
    count_dtype = np.float64        # Nlab = bincount(lab).astype(float)

    def is_integer(self, a):
        return a.dtype.kind in "iu"

    def is_bool(self, a):
        return a.dtype == np.bool_

    def is_floating(self, a):
        return a.dtype.kind == "f"

    def dtype(self, a):
        return a.dtype.name

    def device(self, a):
        return "cpu"

    def convert(self, a, like, dtype=None):
        """A scalar, list or array as an array of `like`'s framework."""
        return np.asarray(a, dtype=dtype)

    def to_int64(self, a):
        return a.astype(np.int64, copy=False)

    def cast(self, a, dtype):
        return a.astype(dtype, copy=False)

    def voxels(self, x, size):
        """pykeops.numpy's grid: floor(x / size), anchored at the origin
        (floored in place: one temporary of x's size)."""
        cells = np.asarray(x / size)
        return np.floor(cells, out=cells) if cells.dtype.kind == "f" else cells

    def all_finite(self, a):
        return bool(np.isfinite(a).all())

    def amin(self, a, axis=None):
        return a.min(axis=axis)

    def amax(self, a, axis=None):
        return a.max(axis=axis)

    def to_list(self, a):
        return np.asarray(a).tolist()

    def unique_inverse(self, a, rows=False):
        """Sorted unique values (rows, lexicographically) and the inverse map."""
        _, inverse = np.unique(a, axis=0 if rows else None, return_inverse=True)
        return inverse.reshape(-1)

    def dense_inverse(self, key, total):
        """unique_inverse of integers in [0, total) without a sort: the rank
        of each key among the keys present."""
        present = np.zeros(total, np.bool_)
        present[key] = True
        rank = np.cumsum(present, dtype=np.int64)
        rank -= 1
        return rank[key]

    def argsort_stable(self, a):
        return np.argsort(a, kind="stable")

    def bincount(self, lab, weights=None, minlength=0):
        return np.bincount(lab, weights=weights, minlength=minlength)

    def cumsum(self, a):
        return np.cumsum(a, dtype=np.int64)

    def pivots(self, counts):
        ends = np.cumsum(counts, dtype=np.int64)
        return np.stack((ends - counts, ends), axis=1)

    def zeros(self, shape, like):
        return np.zeros(shape, dtype=like.dtype)

    def nonzero(self, mask):
        return np.nonzero(mask)

    def ranges_out(self, r):
        """pykeops.numpy.from_matrix returns int64 copies of every array."""
        return r.astype(np.int64)

    def ignore_division_warnings(self):
        return np.errstate(divide="ignore", invalid="ignore")


class _TorchOps(_NumpyOps):
    name = "torch"

    @property
    def _t(self):
        return sys.modules["torch"]

    @property
    def label_dtype(self):
        return self._t.int32        # pykeops.torch labels are IntTensors

    @property
    def count_dtype(self):
        return self._t.float32      # Nlab = bincount(lab).float()

    def is_integer(self, a):
        t = self._t
        return not a.dtype.is_floating_point and not a.dtype.is_complex \
            and a.dtype != t.bool

    def is_bool(self, a):
        return a.dtype == self._t.bool

    def is_floating(self, a):
        return a.dtype.is_floating_point

    def dtype(self, a):
        return str(a.dtype).replace("torch.", "")

    def device(self, a):
        return str(a.device)

    def convert(self, a, like, dtype=None):
        t = self._t
        if isinstance(a, t.Tensor):
            return a.to(device=like.device, dtype=dtype or a.dtype)
        if dtype is None:
            return t.as_tensor(np.asarray(a), device=like.device)
        return t.as_tensor(a, dtype=dtype, device=like.device)

    def to_int64(self, a):
        return a.to(self._t.int64)

    def cast(self, a, dtype):
        return a.to(dtype)

    def voxels(self, x, size):
        """pykeops.torch's grid: floor((x - min x) / size), anchored at the
        smallest coordinate along each axis."""
        x = x.detach()
        return ((x - x.min(dim=0, keepdim=True).values) / size).floor_()

    def all_finite(self, a):
        return bool(self._t.isfinite(a).all())

    def amin(self, a, axis=None):
        return a.min() if axis is None else a.min(dim=axis).values

    def amax(self, a, axis=None):
        return a.max() if axis is None else a.max(dim=axis).values

    def to_list(self, a):
        return a.tolist()

    def unique_inverse(self, a, rows=False):
        _, inverse = self._t.unique(a, sorted=True, return_inverse=True,
                                    dim=0 if rows else None)
        return inverse.reshape(-1)

    def dense_inverse(self, key, total):
        t = self._t
        present = t.zeros(total, dtype=t.bool, device=key.device)
        present[key] = True
        rank = t.cumsum(present, 0, dtype=t.int64)
        rank -= 1
        return rank[key]

    def argsort_stable(self, a):
        return self._t.sort(a, stable=True).indices

    def bincount(self, lab, weights=None, minlength=0):
        if weights is not None:
            weights = weights.detach()
        return self._t.bincount(lab, weights=weights, minlength=minlength)

    def cumsum(self, a):
        return a.cumsum(0).to(self._t.int64)

    def pivots(self, counts):
        ends = counts.cumsum(0)
        return self._t.stack((ends - counts, ends), dim=1)

    def zeros(self, shape, like):
        return self._t.zeros(shape, dtype=like.dtype, device=like.device)

    def nonzero(self, mask):
        return self._t.nonzero(mask, as_tuple=True)

    def ranges_out(self, r):
        """pykeops.torch.from_matrix keeps the dtype of the ranges given."""
        return r

    def ignore_division_warnings(self):
        import contextlib
        return contextlib.nullcontext()


_OPS = {"numpy": _NumpyOps(), "torch": _TorchOps()}


def ops(a):
    """The primitives for `a`'s framework, or None if `a` is not an array."""
    fw = framework(a)
    return None if fw is None else _OPS[fw]
