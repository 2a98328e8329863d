"""Indexing, concatenation and tensor algebra on the vector axis of
LazyTensors (pykeops' elem, extract, [], concat, one_hot, matvecmult,
vecmatmult, tensorprod, keops_tensordot, keops_kron): a mixin of
keops.LazyTensor. Each builds one formula node."""

import math
import numbers


class TensorAlgebraMixin:
    __slots__ = ()

    def elem(self, i):
        if not isinstance(i, numbers.Integral) or isinstance(i, bool):
            raise ValueError(f"elem takes an integer index, got {i!r}")
        if not 0 <= i < self.ndim:
            raise ValueError(f"index {i} is out of bounds [0, {self.ndim})")
        return self._unary("slice", 1, (int(i), 1))

    def extract(self, i, d):
        if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in (i, d)):
            raise ValueError("extract takes integer start and length")
        if not 0 <= i < self.ndim:
            raise ValueError(f"start index {i} is out of bounds [0, {self.ndim})")
        if d < 1 or i + d > self.ndim:
            raise ValueError(f"slice [{i}, {i + d}) is out of bounds [0, {self.ndim})")
        return self._unary("slice", int(d), (int(i), int(d)))

    def __getitem__(self, key):
        if isinstance(key, tuple):
            if len(key) == 3 and key[:2] == (slice(None), slice(None)):
                key = key[2]
            else:
                raise ValueError("LazyTensors support indexing along their last dimension only "
                                 "(x[k], x[a:b], x[:, :, k])")
        if isinstance(key, slice):
            if key.step not in (None, 1):
                raise ValueError("LazyTensor slices take no step")
            start, stop, _ = key.indices(self.ndim)
            if stop <= start:
                raise ValueError(f"empty slice {key} of a vector of dimension {self.ndim}")
            return self.extract(start, stop - start)
        if isinstance(key, numbers.Integral) and not isinstance(key, bool):
            if -self.ndim <= key < 0:
                key += self.ndim
            return self.elem(key)
        raise ValueError("LazyTensors are indexed by integers and slices")

    def concat(self, other):
        other = self._lt(other)
        return self._node("concat", (self, other), self.ndim + other.ndim)

    @staticmethod
    def concatenate(tensors, axis=-1):
        if not isinstance(tensors, (tuple, list)) or not tensors:
            raise ValueError("concatenate takes a non-empty tuple of LazyTensors")
        if axis not in (-1, 2):
            raise ValueError("LazyTensors are concatenated along their last dimension only")
        res = tensors[0]
        for t in tensors[1:]:
            res = res.concat(t)
        return res

    @staticmethod
    def cat(tensors, dim):
        return TensorAlgebraMixin.concatenate(tensors, dim)

    def one_hot(self, D):
        if not isinstance(D, numbers.Integral) or isinstance(D, bool) or D < 1:
            raise ValueError(f"one_hot takes a positive integer dimension, got {D!r}")
        if self.ndim != 1:
            raise ValueError(f"one_hot encodes a scalar; this formula has dimension {self.ndim}")
        return self._unary("one_hot", int(D), (int(D),))

    def matvecmult(self, other):
        """self (a row-major R x C matrix, dimension R*C) times other (dimension C)."""
        other = self._lt(other)
        if self.ndim % other.ndim:
            raise ValueError(f"matvecmult: a matrix of dimension {self.ndim} cannot multiply "
                             f"a vector of dimension {other.ndim}")
        return self._node("matvecmult", (self, other), self.ndim // other.ndim)

    def vecmatmult(self, other):
        """self (dimension R) times other (a row-major R x C matrix)."""
        other = self._lt(other)
        if other.ndim % self.ndim:
            raise ValueError(f"vecmatmult: a vector of dimension {self.ndim} cannot multiply "
                             f"a matrix of dimension {other.ndim}")
        return self._node("vecmatmult", (self, other), other.ndim // self.ndim)

    def tensorprod(self, other):
        other = self._lt(other)
        return self._node("tensorprod", (self, other), self.ndim * other.ndim)

    def keops_tensordot(self, other, dimfa, dimfb, contfa, contfb, *args):
        """Contraction of self (a tensor of shape dimfa) and other (dimfb)
        over the axes contfa of self and contfb of other; an optional
        permutation (keopscore's convention: free axis k goes to position
        perm[k]) reorders the result."""
        other = self._lt(other)
        ints = lambda v: [v] if isinstance(v, numbers.Integral) else [int(a) for a in v]
        sa, sb, ca, cb = ints(dimfa), ints(dimfb), ints(contfa), ints(contfb)
        perm = ints(args[0]) if args else None
        if math.prod(sa) != self.ndim or math.prod(sb) != other.ndim:
            raise ValueError(f"keops_tensordot: shapes {sa} and {sb} do not match the "
                             f"dimensions {self.ndim} and {other.ndim}")
        if len(ca) != len(cb) or any(not 0 <= a < len(sa) for a in ca) or \
                any(not 0 <= b < len(sb) for b in cb) or \
                [sa[a] for a in ca] != [sb[b] for b in cb] or \
                len(set(ca)) != len(ca) or len(set(cb)) != len(cb):
            raise ValueError(f"keops_tensordot: cannot contract axes {ca} of {sa} with axes "
                             f"{cb} of {sb}")
        free = [s for k, s in enumerate(sa) if k not in ca] + \
               [s for k, s in enumerate(sb) if k not in cb]
        if perm is not None and sorted(perm) != list(range(len(free))):
            raise ValueError(f"keops_tensordot: {perm} is not a permutation of the "
                             f"{len(free)} free axes")
        attrs = (tuple(sa), tuple(sb), tuple(ca), tuple(cb), tuple(perm) if perm else None)
        return self._node("tensordot", (self, other), math.prod(free), attrs)

    def keops_kron(self, other, dimfself, dimfother):
        other = self._lt(other)
        sa, sb = [int(v) for v in dimfself], [int(v) for v in dimfother]
        if len(sa) != len(sb) or math.prod(sa) != self.ndim or math.prod(sb) != other.ndim:
            raise ValueError(f"keops_kron: shapes {sa} and {sb} (of equal rank) must match "
                             f"the dimensions {self.ndim} and {other.ndim}")
        return self._node("kron", (self, other), self.ndim * other.ndim, (tuple(sa), tuple(sb)))
