"""States of partial reductions: the public form of the reduction protocol.

Every reduction kind is an initial state, a fold of one term, a merge of two
states and a finalization (docs/architecture.md). `Reduction.partial` (and
`Genred.partial`, `LazyTensor` reductions with call=False) computes the state
of a reduction over some rows of its reduced axis; states of disjoint sets of
rows merge, in any order and grouping, into the state of their union; the
state of the whole axis finalizes into the reduction's result. The compiled
kernels do all three (keops_run_partial, keops_merge_states,
keops_finalize_states), so any transport that can carry arrays (Dask,
torch.distributed, files) can split a reduction.

A state is a few plain arrays per output row (see `layout`), plus the
identity of its reduction: the MLIR text and compile options of its kernel.
Merging states of two different reductions is an error, never a silent mix.
"""

import numpy as np

from .. import _arrays
from .. import formula as fm
from .._runtime import compile_mlir

# What each array of a state holds, per reduction kind (keops.h).
_LAYOUTS = {
    "sum": ("sum",),
    "logsumexp": ("running maximum m", "sum of exp(f - m) (times the weights)"),
    "sumsoftmaxweight": ("running maximum m", "sum of exp(f - m)",
                         "sum of exp(f - m) times the values"),
}


def reduction_of(reduction):
    """The Reduction of a Genred or of a Reduction (a LazyTensor reduction
    with call=False): what the distributed modules split."""
    from ..genred import Genred
    from ..reductions import Reduction
    if isinstance(reduction, Genred):
        if reduction._shifted is not None:
            raise ValueError(f"{reduction.reduction_op} has no partial states")
        return reduction._reduction
    if isinstance(reduction, Reduction):
        return reduction
    raise TypeError("expected a keops Genred or a Reduction (a LazyTensor reduction with "
                    f"call=False), got {type(reduction).__name__}")


def layout(kind):
    """The names of the arrays of a state of reduction `kind`."""
    if kind in _LAYOUTS:
        return _LAYOUTS[kind]
    if kind in fm.K_KINDS:
        return ("K best values, sorted", "their indices (-1: none)")
    return ("selected values", "their indices (-1: none)")


class ReductionState:
    """The unfinalized state of a reduction over some rows of its reduced
    axis, for each output row (and batch element).

    `arrays`: NumPy arrays or torch tensors (on the CPU, or on the CUDA
    device of a GPU reduction) of shape (*batch, rows, width), in the order
    of `layout(kind)`. States are picklable: their
    reduction is named by its MLIR text and options, compiled again (once
    per process) where they are merged or finalized."""

    __slots__ = ("mlir", "options", "kind", "k", "fdim", "dtype", "arrays", "fw",
                 "batch", "_kernel")

    def __init__(self, plan, arrays, fw, batch=()):
        self.mlir, self.options = plan.mlir, plan.options
        self.kind, self.k, self.fdim, self.dtype = plan.kind, plan.k, plan.fdim, plan.dtype
        self.arrays, self.fw, self.batch = list(arrays), fw, tuple(batch)
        self._kernel = plan.kernel

    @property
    def rows(self):
        """The number of output rows (per batch element)."""
        return self.arrays[0].shape[-2]

    def __getstate__(self):
        arrays = [np.asarray(a) if self.fw == "numpy" else a for a in self.arrays]
        return (self.mlir, self.options, self.kind, self.k, self.fdim, self.dtype,
                arrays, self.fw, self.batch)

    def __setstate__(self, state):
        (self.mlir, self.options, self.kind, self.k, self.fdim, self.dtype,
         self.arrays, self.fw, self.batch) = state
        self._kernel = None

    def kernel(self):
        """The compiled kernel of this state's reduction."""
        if self._kernel is None:
            self._kernel = compile_mlir(self.mlir, **dict(self.options)).kernels[0]
        return self._kernel

    def moved(self, device):
        """This state for the kernels of CUDA device `device` (-1: the CPU):
        its CUDA tensors moved there (host arrays stay on the host, which
        every device's kernels read)."""
        options = dict(self.options)
        if device >= 0:
            options["device"] = int(device)
        else:
            options.pop("device", None)
        options = tuple(sorted(options.items()))
        if options == self.options:
            return self
        arrays = self.arrays
        if self.fw == "torch":
            arrays = [a.to("cpu" if device < 0 else f"cuda:{device}") if a.is_cuda else a
                      for a in arrays]
        state = self._like(arrays)
        state.options, state._kernel = options, None
        return state

    def _check(self, other):
        if not isinstance(other, ReductionState):
            raise TypeError(f"cannot merge a reduction state with {type(other).__name__}")
        if other.mlir != self.mlir or other.options != self.options:
            raise ValueError(
                f"cannot merge states of different reductions (a {self.kind} state with a "
                f"{other.kind} state{' of another formula, dtype or options' if other.kind == self.kind else ''})")
        if other.fw != self.fw:
            raise ValueError(f"cannot merge a {self.fw} state with a {other.fw} state")
        shapes = [tuple(a.shape) for a in self.arrays]
        if [tuple(a.shape) for a in other.arrays] != shapes:
            raise ValueError(f"cannot merge states of different shapes: {shapes[0][:-1]} and "
                             f"{tuple(other.arrays[0].shape)[:-1]} (batch, rows)")

    def _like(self, arrays):
        state = object.__new__(ReductionState)
        for name in ReductionState.__slots__:
            setattr(state, name, getattr(self, name))
        state.arrays = arrays
        return state

    def _count(self):
        return int(np.prod(self.arrays[0].shape[:-1], dtype=np.int64))

    def merge(self, other):
        """The state over the rows of both states (disjoint sets of rows of
        the reduced axis, in either order): exact for the min, max and K-min
        kinds, one rounding per value for the others."""
        self._check(other)
        merged = [np.empty_like(a) if self.fw == "numpy" else a.new_empty(a.shape)
                  for a in self.arrays]
        self.kernel().merge_states([_arrays.address(a) for a in _contiguous(self.arrays)],
                                   [_arrays.address(a) for a in _contiguous(other.arrays)],
                                   [_arrays.address(a) for a in merged], self._count())
        return self._like(merged)

    def finalize(self):
        """The reduction's result (as a call of the reduction returns it) from
        this state."""
        kernel = self.kernel()
        index = "int64" if kernel.index_bits == 64 else "int32"
        rows = self.rows
        device = _arrays.cuda_device(self.arrays) if self.fw == "torch" else -1
        outs = [_arrays.empty(self.fw, (*self.batch, rows, w), index if idx else self.dtype,
                              device)
                for w, idx in zip(kernel.output_widths, kernel.output_is_index)]
        kernel.finalize_states([_arrays.address(a) for a in _contiguous(self.arrays)],
                               [_arrays.address(a) for a in outs], self._count())
        if self.kind in fm.K_KINDS and self.fdim > 1:
            outs = [o.reshape(*o.shape[:-1], self.k, self.fdim) for o in outs]
        return outs[0] if len(outs) == 1 else tuple(outs)


def merge_all(states):
    """The merge of a non-empty sequence of states (a balanced tree)."""
    states = list(states)
    if not states:
        raise ValueError("merge_all needs at least one state")
    while len(states) > 1:
        states = [states[n].merge(states[n + 1]) if n + 1 < len(states) else states[n]
                  for n in range(0, len(states), 2)]
    return states[0]


def _contiguous(arrays):
    return [np.ascontiguousarray(a) if isinstance(a, np.ndarray) else a.contiguous()
            for a in arrays]
