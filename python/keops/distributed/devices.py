"""One reduction over several GPUs of this process, or over thread groups
of its CPUs (NUMA nodes, keops.thread_groups()).

    out = g(x, y, b, device_id=[0, 1, 2, 3])      # a Genred or a Reduction
    out = reduce(g, x, y, b, device_ids=[0, 1])    # the same
    out = g(x, y, b, backend="CPU", device_id=[0, 1])   # thread groups

Large M: the kept rows are split into one block per device, each device
reduces its block over all of the reduced axis, and the blocks of the result
are concatenated. Large N: the reduced axis is split instead, each device
computes the partial state of its rows (keops.distributed.states), and the
states are merged and finalized on the first device. The devices work at
once (one host thread each; kernels run without the GIL). Results are where
a one-device call puts them: on the first device for CUDA tensors, on the
host for NumPy arrays. On the CPU, each group's share of the threads
reduces its block, pinned to the group's CPUs when the host has several.
"""

from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

import numpy as np

from .. import _arrays
from .._runtime import thread_group, thread_groups
from .states import merge_all, reduction_of


def _check_devices(device_ids, cpu):
    ids = list(device_ids)
    what = "thread group numbers (keops.thread_groups())" if cpu else "CUDA device numbers"
    if not ids or any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 0
                      for d in ids) or len(set(ids)) != len(ids):
        raise ValueError(f"device_ids must be distinct {what} (0, 1, ...), got {device_ids!r}")
    groups = len(thread_groups()) if cpu else 0
    if cpu and max(ids) >= groups:
        raise ValueError(f"no thread group {max(ids)}: this host has {groups} "
                         "(keops.thread_groups(); KEOPS_THREAD_GROUPS sets their number)")
    return [int(d) for d in ids]


def _bounds(n, parts):
    cuts = np.linspace(0, n, parts + 1).astype(np.int64)
    return list(zip(cuts[:-1].tolist(), cuts[1:].tolist()))


def _to(a, device):
    """`a` on CUDA device `device` (torch tensors; NumPy arrays stay)."""
    if isinstance(a, np.ndarray) or not getattr(a, "is_cuda", False):
        return a
    return a.to(f"cuda:{device}")


def reduce(reduction, *args, device_ids, split="auto", backend="GPU"):
    """`reduction` (a Genred, or a Reduction from a LazyTensor reduction with
    call=False) on `args` over the CUDA devices `device_ids`, or with
    backend="CPU" over those thread groups of the host: split = "rows"
    (blocks of the kept rows), "reduced" (blocks of the reduced axis, states
    merged on the first device) or "auto" (rows when there are at least as
    many kept rows as reduced ones)."""
    red = reduction_of(reduction)
    if backend in (None, "auto"):
        backend = "GPU"
    if not isinstance(backend, str) or backend.upper() not in ("CPU", "GPU"):
        raise ValueError(f"backend must be 'CPU' or 'GPU' for several devices, got {backend!r}")
    cpu = backend.upper() == "CPU"
    ids = _check_devices(device_ids, cpu)
    if split not in ("auto", "rows", "reduced"):
        raise ValueError(f"split must be 'auto', 'rows' or 'reduced', got {split!r}")
    if len(args) != red.nargs:
        raise ValueError(f"this reduction takes {red.nargs} arguments, got {len(args)}")
    kept_cat, reduced_cat = (0, 1) if red.axis == 1 else (1, 0)

    def rows_of(cat):
        for a, (c, _) in zip(args, red.declared):
            if c == cat:
                if len(a.shape) != 2:
                    raise ValueError("several devices: arguments without batch axes, got "
                                     f"shape {tuple(a.shape)}")
                return a.shape[0]
        raise ValueError("the reduction needs variables of both axes")

    m, n = rows_of(kept_cat), rows_of(reduced_cat)
    if split == "auto":
        split = "rows" if m >= n else "reduced"
    cat = kept_cat if split == "rows" else reduced_cat
    parts = _bounds(m if split == "rows" else n, len(ids))

    def sliced(lo, hi, device):
        blocks = [a[lo:hi] if c == cat else a for a, (c, _) in zip(args, red.declared)]
        return blocks if cpu else [_to(a, device) for a in blocks]

    def work(task):
        device, (lo, hi) = task
        on = dict(backend="CPU") if cpu else dict(backend="GPU", device_id=device)
        with thread_group(device) if cpu else nullcontext():
            if split == "rows":
                return red(*sliced(lo, hi, device), **on)
            return red.partial(*sliced(lo, hi, device), first=lo, **on)

    with ThreadPoolExecutor(len(ids)) as pool:
        results = list(pool.map(work, zip(ids, parts)))
    first = -1 if cpu else ids[0]
    if split == "reduced":
        with thread_group(ids[0]) if cpu else nullcontext():
            return merge_all([s.moved(first) for s in results]).finalize()
    pieces = [r if isinstance(r, tuple) else (r,) for r in results]
    joined = []
    for k in range(len(pieces[0])):
        blocks = [_to(p[k], first) for p in pieces]
        if isinstance(blocks[0], np.ndarray):
            joined.append(np.concatenate(blocks, axis=0))
        else:
            joined.append(_arrays.torch_module().cat(blocks, dim=0))
    return joined[0] if len(joined) == 1 else tuple(joined)


__all__ = ["reduce"]
