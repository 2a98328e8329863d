"""The checks of test_distributed_devices.py, in a process whose CUDA driver
is the emulator with several devices (KEOPS_CUDA_DRIVER=emulator,
KEOPS_EMULATOR_DEVICES set by the test): every reduction kind split over
2, 3 and 7 emulated devices, by kept rows and by the reduced axis, against the
CPU backend. Prints {"errors": [...]} as JSON."""

import json
import traceback

import torch

from keops import Genred
from keops.distributed.devices import reduce

from split_cases import ALIASES, CASES, data, differs

M, N = 130, 257
X, Y, B = data(M, N, seed=8)
errors = []


try:
    for op, formula, formula2, k in CASES:
        g = Genred(formula, ALIASES, reduction_op=op, axis=1, opt_arg=k, formula2=formula2)
        want = g(X, Y, B, backend="CPU")
        for ids in ([0, 1], [2, 0, 1], [6, 0, 1, 2, 3, 4, 5]):
            for split in ("rows", "reduced"):
                got = reduce(g, X, Y, B, device_ids=ids, split=split)
                if differs(got, want):
                    errors.append(f"{op} on {ids} by {split}: differs")
    # The call syntax, torch tensors, and a reduction over i.
    g = Genred("SqDist(x, y)", ["x = Vj(3)", "y = Vi(3)"], reduction_op="ArgMin", axis=0)
    got = g(torch.tensor(X), torch.tensor(Y), device_id=[1, 2])
    if not torch.equal(got, g(torch.tensor(X), torch.tensor(Y), backend="CPU")):
        errors.append("over i with device_id=[1, 2]: differs")
    for bad, message in (([0, 0], "distinct CUDA device numbers"),
                         ([], "distinct CUDA device numbers"),
                         ([0, 7], "no CUDA device 7")):
        try:
            reduce(g, X, Y, device_ids=bad)
            errors.append(f"device_ids={bad}: no error")
        except Exception as e:  # noqa: BLE001 (the message is what is checked)
            if message not in str(e):
                errors.append(f"device_ids={bad}: {e}")
except Exception:
    errors.append(traceback.format_exc())
print(json.dumps({"errors": errors}))
