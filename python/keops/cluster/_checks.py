"""Argument checks of keops.cluster: each names the function and the argument,
and raises TypeError (wrong kind or dtype) or ValueError (wrong shape or
value) before anything is computed."""

from ._backend import ops as _ops


def array(a, what, fn, o=None):
    """`a`'s primitives, checking it is an array (of `o`'s framework, if given)."""
    oa = _ops(a)
    if oa is None:
        raise TypeError(f"{fn}: {what} must be a NumPy array or a torch tensor, "
                        f"not {type(a).__name__}")
    if o is not None and oa is not o:
        kind = {"numpy": "a NumPy array", "torch": "a torch tensor"}
        raise TypeError(f"{fn}: {what} is {kind[oa.name]} but the other arguments are "
                        f"{kind[o.name][2:]}s")
    return oa


def points(x, fn):
    o = array(x, "x", fn)
    if x.ndim != 2:
        raise ValueError(f"{fn}: x must be a 2-D (M, D) array of points, "
                         f"got shape {tuple(x.shape)}")
    if not o.is_floating(x):
        raise TypeError(f"{fn}: x must hold floating-point coordinates, not {o.dtype(x)}")
    return o


def labels(lab, fn, o=None, M=None):
    """`lab` as int64 (what bincount and indexing take), checked."""
    o = array(lab, "lab", fn, o)
    if not o.is_integer(lab):
        raise TypeError(f"{fn}: lab must hold integer labels, not {o.dtype(lab)}")
    if lab.ndim != 1:
        raise ValueError(f"{fn}: lab must be a 1-D (M,) array of labels, "
                         f"got shape {tuple(lab.shape)}")
    if M is not None and lab.shape[0] != M:
        raise ValueError(f"{fn}: lab has {lab.shape[0]} labels for {M} points")
    return o, o.to_int64(lab)


def nonnegative(lab, o, fn):
    """The number of labels max(lab) + 1 (0 if empty), refusing negative ones."""
    if lab.shape[0] == 0:
        return 0
    if int(o.amin(lab)) < 0:
        raise ValueError(f"{fn}: labels must be >= 0 (got {int(o.amin(lab))})")
    return int(o.amax(lab)) + 1


def vector(v, what, fn, o, like, length=None, dtype=None):
    """`v` (array or list) as a 1-D array of `like`'s framework and device."""
    if _ops(v) is None:
        v = o.convert(v, like, dtype)
    else:
        array(v, what, fn, o)
        if o.device(v) != o.device(like):
            raise ValueError(f"{fn}: {what} is on {o.device(v)} but the other "
                             f"arguments are on {o.device(like)}")
    v = v.reshape(-1)
    if length is not None and v.shape[0] != length:
        raise ValueError(f"{fn}: {what} has {v.shape[0]} entries, expected {length}")
    return v


def counts(Nlab, fn, o, like):
    """Nlab (number of points per cluster, integer or integral floats) as int64."""
    Nlab = vector(Nlab, "Nlab", fn, o, like)
    if not o.is_integer(Nlab):
        if not o.is_floating(Nlab) or not o.all_finite(Nlab) \
                or bool((Nlab != Nlab.round()).any()):
            raise TypeError(f"{fn}: Nlab must hold whole-number counts "
                            f"(got {o.dtype(Nlab)} values)")
    Nlab = o.to_int64(Nlab)
    if Nlab.shape[0] and int(o.amin(Nlab)) < 0:
        raise ValueError(f"{fn}: Nlab must hold counts >= 0")
    return Nlab


def ranges(r, what, fn, o=None):
    o = array(r, what, fn, o)
    if not o.is_integer(r):
        raise TypeError(f"{fn}: {what} must hold integer indices, not {o.dtype(r)}")
    if r.ndim != 2 or r.shape[1] != 2:
        raise ValueError(f"{fn}: {what} must be a (C, 2) array of [start, end) rows, "
                         f"got shape {tuple(r.shape)}")
    return o
