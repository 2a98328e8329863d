"""Reductions of Dask arrays: chunks of kept rows map independently, chunks
of the reduced axis give partial states merged by the reduction's own rule.

    import dask.array as da
    from keops import Genred
    from keops.distributed.dask import reduce

    g = Genred("Exp(-SqDist(x, y)) * b", ["x = Vi(3)", "y = Vj(3)", "b = Vj(1)"],
               reduction_op="Sum", axis=1)
    x = da.from_array(xs, chunks=(100_000, 3))      # any row chunks
    y = da.from_array(ys, chunks=(250_000, 3))
    b = da.from_array(bs, chunks=(250_000, 1))
    out = reduce(g, x, y, b)                        # a Dask array, lazy
    out.compute()                                   # or on a distributed.Client

The graph has, for each chunk a of the kept rows and b of the reduced rows,
one task computing the partial state of rows a over rows b (first index:
the offset of chunk b), then per chunk a a tree of merges (`split_every`
states per task) and one finalization. Nothing of size M x N is formed, and
a task holds one chunk of each side. Tasks are pure functions of their
inputs, so a lost worker's tasks are recomputed by the scheduler and the
result does not change (merges are in a fixed tree order).
"""

import numpy as np

from .. import formula as fm
from .._runtime import compile_mlir
from .states import merge_all, reduction_of


def _partial(reduction, first, *args):
    return reduction.partial(*args, first=first)


def _merge(*states):
    return merge_all(states)


def _finalize(state, dtype):
    out = state.finalize()
    parts = out if isinstance(out, tuple) else (out,)
    parts = tuple(p.astype(dtype) if p.dtype.kind == "f" and p.dtype != dtype else p
                  for p in parts)
    return parts


def _output_specs(red, dtype):
    """(trailing shape, dtype) of each output of `red` per kept row."""
    fdim = red.roots[0].ndim
    wdim = red.roots[1].ndim if len(red.roots) > 1 else None
    specs = []
    for is_index in fm.KINDS[red.kind]:
        if red.kind in fm.K_KINDS:
            shape = (red.k, fdim) if fdim > 1 else (red.k,)
        elif red.kind in ("logsumexp", "sumsoftmaxweight"):
            shape = (wdim or 1,)
        else:
            shape = (fdim,)
        specs.append((shape, np.dtype("int64") if is_index else dtype))
    return specs


def reduce(reduction, *args, split_every=4):
    """The result of `reduction` (a Genred, or a Reduction from a LazyTensor
    reduction with call=False) on `args`, one per argument of the reduction:
    Dask arrays (or NumPy arrays) of shape (rows, D) for i and j variables,
    chunked along the rows in any way, (D,) for parameters. Returns a Dask
    array with the kept variables' row chunks (a tuple of two for min_argmin
    and the other two-output kinds); batch axes are not supported here."""
    import dask.array as da
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    red = reduction_of(reduction)
    if len(args) != red.nargs:
        raise ValueError(f"this reduction takes {red.nargs} arguments, got {len(args)}")
    if not isinstance(split_every, int) or split_every < 2:
        raise ValueError(f"split_every must be an integer >= 2, got {split_every!r}")
    kept_cat, reduced_cat = (0, 1) if red.axis == 1 else (1, 0)
    arrays, dtypes = [], set()
    for n, (a, (cat, dim)) in enumerate(zip(args, red.declared)):
        a = a if isinstance(a, da.Array) else da.asarray(np.asarray(a))
        want = 1 if cat == 2 else 2
        if a.ndim != want or a.shape[-1] != dim:
            shape = f"({dim},)" if cat == 2 else f"(rows, {dim})"
            raise ValueError(f"argument {n}: expected a {want}-D array of shape {shape} (no "
                             f"batch axes), got shape {a.shape}")
        if a.dtype.kind != "f":
            raise TypeError(f"argument {n}: expected floats, got {a.dtype}")
        dtypes.add(a.dtype)
        arrays.append(a.rechunk({a.ndim - 1: -1}) if cat != 2 else a.rechunk(-1))
    if len(dtypes) > 1:
        raise TypeError(f"mixed dtypes {sorted(str(d) for d in dtypes)}: convert the inputs "
                        "to one dtype")
    dtype = dtypes.pop()

    def side(cat):
        members = [n for n, (c, _) in enumerate(red.declared) if c == cat]
        if not members:
            return members, None
        rows = arrays[members[0]].shape[0]
        for n in members:
            if arrays[n].shape[0] != rows:
                raise ValueError(f"argument {n}: {arrays[n].shape[0]} rows, but argument "
                                 f"{members[0]} has {rows}")
        chunks = arrays[members[0]].chunks[0]
        for n in members[1:]:
            arrays[n] = arrays[n].rechunk({0: chunks})
        return members, chunks

    kept, kept_chunks = side(kept_cat)
    reduced, reduced_chunks = side(reduced_cat)
    if reduced_chunks is None:
        raise ValueError("the reduction needs a variable of its reduced axis")
    if kept_chunks is None:
        raise ValueError("the reduction needs a variable indexed by its output rows")
    offsets = np.concatenate([[0], np.cumsum(reduced_chunks)[:-1]]).astype(int)

    token = tokenize(red, *arrays, split_every)
    name = f"keops-{red.kind}-{token}"
    dsk = {}
    finals = []
    for a in range(len(kept_chunks)):
        states = []
        for b in range(len(reduced_chunks)):
            task_args = []
            for n, (cat, _) in enumerate(red.declared):
                arr = arrays[n]
                task_args.append((arr.name, a, 0) if cat == kept_cat else
                                 (arr.name, b, 0) if cat == reduced_cat else (arr.name, 0))
            key = (f"partial-{name}", a, b)
            dsk[key] = (_partial, red, int(offsets[b]), *task_args)
            states.append(key)
        level = 0
        while len(states) > 1:
            groups = [states[n:n + split_every] for n in range(0, len(states), split_every)]
            states = []
            for g, group in enumerate(groups):
                key = (f"merge-{name}", a, level, g)
                dsk[key] = (_merge, *group)
                states.append(key)
            level += 1
        final = (f"final-{name}", a)
        dsk[final] = (_finalize, states[0], dtype)
        finals.append(final)
    outputs = []
    for n, (shape, out_dtype) in enumerate(_output_specs(red, dtype)):
        out_name = f"{name}-out{n}"
        for a, final in enumerate(finals):
            dsk[(out_name, a) + (0,) * len(shape)] = (_pick, final, n)
        graph = HighLevelGraph.from_collections(out_name, dsk, dependencies=arrays)
        chunks = (kept_chunks,) + tuple((s,) for s in shape)
        outputs.append(da.Array(graph, out_name, chunks, dtype=out_dtype))
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


def _pick(parts, n):
    return parts[n]


def state_bytes(reduction, rows, dtype="float32"):
    """Bytes of the partial state of `rows` output rows: what a merge task
    receives from each of its inputs (the layout of the compiled kernel's
    state, keops_kernel_state)."""
    kernel = compile_mlir(reduction_of(reduction).mlir(dtype), partial_states=True).kernels[0]
    item, index = np.dtype(dtype).itemsize, kernel.state_index_bits // 8
    return int(rows) * sum(w * (index if idx else item)
                           for w, idx in zip(kernel.state_widths, kernel.state_is_index))


__all__ = ["reduce", "state_bytes"]
