"""The checks of test_thread_groups.py, in a process whose thread groups
the test set (KEOPS_THREAD_GROUPS, or KEOPS_SYSFS_NODE_DIR for a fake NUMA
tree; the runtime reads them once). Argument: the expected groups as JSON.
Prints {"errors": [...]} as JSON."""

import contextlib
import json
import os
import sys
import threading
import traceback

import numpy as np
import torch

import keops
from keops import Genred
from keops.distributed.devices import reduce

from split_cases import ALIASES, CASES, data, differs

# Enough rows for several chunks of 64 per thread, in every group.
M, N = 2100, 517
X, Y, B = data(M, N, seed=5)
errors = []


try:
    expected = json.loads(sys.argv[1])
    if keops.thread_groups() != expected:
        errors.append(f"groups {keops.thread_groups()}, expected {expected}")
    groups = len(expected)
    for op, formula, formula2, k in CASES:
        g = Genred(formula, ALIASES, reduction_op=op, axis=1, opt_arg=k, formula2=formula2)
        keops.set_num_threads(1)
        want = g(X, Y, B, backend="CPU")
        # All groups at once, with more threads than CPUs so that every
        # group has some and steals from the others: each row is reduced
        # by one thread, as on one, so the result is the same to the bit.
        keops.set_num_threads(groups + 3)
        if differs(g(X, Y, B, backend="CPU"), want, exact=True):
            errors.append(f"{op} on all {groups} groups: differs")
        ids = list(range(groups))[::-1]
        for split in ("rows", "reduced"):
            got = reduce(g, X, Y, B, device_ids=ids, split=split, backend="CPU")
            # (Blocks of rows that are not whole register blocks put rows
            # in other lanes, whose last bits may differ.)
            if differs(got, want, exact=False):
                errors.append(f"{op} over groups {ids} by {split}: differs")
        with keops.thread_group(groups - 1):
            if differs(g(X, Y, B, backend="CPU"), want, exact=True):
                errors.append(f"{op} on group {groups - 1}: differs")
    # The call syntax, torch tensors, and a reduction over i.
    g = Genred("SqDist(x, y)", ["x = Vj(3)", "y = Vi(3)"], reduction_op="ArgMin", axis=0)
    tx, ty = torch.tensor(X), torch.tensor(Y)
    if not torch.equal(g(tx, ty, backend="CPU", device_id=list(range(groups))),
                       g(tx, ty, backend="CPU")):
        errors.append("over i with device_id=[...] on the CPU: differs")
    # A call on one group pins its caller there for the call only.
    mask = os.sched_getaffinity(0)
    with keops.thread_group(0):
        g(tx, ty, backend="CPU")
    if os.sched_getaffinity(0) != mask:
        errors.append(f"the caller's CPUs changed: {os.sched_getaffinity(0)} != {mask}")
    # The group is the calling thread's: another thread's calls use all.
    seen = []
    with keops.thread_group(groups - 1):
        t = threading.Thread(
            target=lambda: seen.append(keops._runtime.extension().get_thread_group()))
        t.start()
        t.join()
        seen.append(keops._runtime.extension().get_thread_group())
    if seen != [-1, groups - 1] or keops._runtime.extension().get_thread_group() != -1:
        errors.append(f"thread groups of threads: {seen}")
    # Host threads calling at once, each on all groups or on one, rows
    # split or (few rows, long reduced axis, partial states) the reduced
    # axis: every result as one thread computes it, and no call waits
    # forever.
    keops.set_num_threads(1)
    h = Genred("SqDist(x, y)", ["x = Vi(3)", "y = Vj(3)"], reduction_op="Min_ArgMin", axis=1)
    long_y = np.concatenate([Y] * 20)
    alone = {"rows": h(X, Y), "reduced": h(X[:20], long_y)}
    keops.set_num_threads(groups + 3)
    h(X[:20], long_y)    # (the second call of a short reduction splits)

    def caller(seed):
        r = np.random.default_rng(seed)
        for _ in range(40):
            group, m = int(r.integers(-1, groups)), int(r.integers(1, M))
            what = "rows" if r.integers(2) else "reduced"
            with keops.thread_group(group) if group >= 0 else contextlib.nullcontext():
                got = h(X[:m], Y) if what == "rows" else h(X[:20], long_y)
            want = alone[what] if what == "reduced" else tuple(a[:m] for a in alone[what])
            if differs(got, want, exact=True):
                errors.append(f"concurrent call on group {group}, {what}, m = {m}: differs")
    callers = [threading.Thread(target=caller, args=(seed,)) for seed in range(4)]
    for t in callers:
        t.start()
    for t in callers:
        t.join(300)
    if any(t.is_alive() for t in callers):
        errors.append("concurrent calls did not finish")
    for bad, message in (([0, 0], "distinct thread group numbers"),
                         ([groups], f"no thread group {groups}")):
        try:
            g(tx, ty, backend="CPU", device_id=bad)
            errors.append(f"device_id={bad} accepted")
        except ValueError as e:
            if message not in str(e):
                errors.append(f"device_id={bad}: {e}")
    try:
        with keops.thread_group(groups):
            errors.append(f"thread_group({groups}) accepted")
    except keops.KeopsError as e:
        if f"no thread group {groups} (this host has {groups}" not in str(e):
            errors.append(f"thread_group({groups}): {e}")
except Exception:
    errors.append(traceback.format_exc())
print(json.dumps({"errors": errors}))
