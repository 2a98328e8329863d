"""One rank of test_distributed_torch.py: every reduction kind and the
gradients of sum and logsumexp through keops.distributed.torch.reduce on
this rank's shard, against the whole reduction computed here in one
process. Writes {"errors": [...]} as JSON to the file given last.

    python distributed_torch_worker.py RANK WORLD PORT SIZES OUT
"""

import json
import sys
import traceback

import numpy as np
import torch
import torch.distributed as dist

from keops import Genred
from keops.distributed.torch import reduce

rank, world, port = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
sizes = [int(s) for s in sys.argv[4].split(",")]
out_path = sys.argv[5]
dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                        world_size=world)

rng = np.random.default_rng(5)
M, N = 29, sum(sizes)
X = torch.tensor(rng.standard_normal((M, 3)))
Y = torch.tensor(rng.standard_normal((N, 3)))
B = torch.tensor(rng.standard_normal((N, 2)))
Y[N - 3] = Y[2]          # a tie across shards: the smaller index wins
lo = sum(sizes[:rank])
hi = lo + sizes[rank]
ALIASES = ["x = Vi(3)", "y = Vj(3)", "b = Vj(2)"]
CASES = [
    ("Sum", "Exp(-SqDist(x, y)) * b", None, None),
    ("Min", "SqDist(x, y)", None, None),
    ("ArgMin", "SqDist(x, y)", None, None),
    ("Max_ArgMax", "x - y", None, None),
    ("KMin_ArgKMin", "SqDist(x, y)", None, 4),
    ("ArgKMin", "SqDist(x, y)", None, 20),
    ("LogSumExp", "-SqDist(x, y)", None, None),
    ("LogSumExpWeight", "-SqDist(x, y)", "Exp(b)", None),
    ("SumSoftMaxWeight", "-SqDist(x, y)", "b", None),
]
errors = []


def parts(r):
    return r if isinstance(r, tuple) else (r,)


def compare(what, got, want, exact):
    for g, w in zip(parts(got), parts(want)):
        if exact:
            if not torch.equal(g, w):
                errors.append(f"{what}: differs")
        elif not torch.allclose(g, w, rtol=1e-10, atol=1e-12):
            errors.append(f"{what}: max error {(g - w).abs().max().item():.3e}")


try:
    for op, formula, formula2, k in CASES:
        g = Genred(formula, ALIASES, reduction_op=op, axis=1, opt_arg=k, formula2=formula2)
        got = reduce(g, X, Y[lo:hi], B[lo:hi])
        compare(op, got, g(X, Y, B), "Sum" not in op and "LogSumExp" not in op)
    # Gradients of one replicated loss, against the whole reduction's.
    for op, formula, formula2, k in [CASES[0], CASES[6], CASES[7]]:
        g = Genred(formula, ALIASES, reduction_op=op, axis=1, opt_arg=k, formula2=formula2)
        w = torch.tensor(rng.standard_normal((M, 2)))
        x, y, b = (t.clone().requires_grad_() for t in (X, Y[lo:hi], B[lo:hi]))
        out = reduce(g, x, y, b)
        (out * w[:, :out.shape[1]]).sum().backward()
        xf, yf, bf = (t.clone().requires_grad_() for t in (X, Y, B))
        out = g(xf, yf, bf)
        (out * w[:, :out.shape[1]]).sum().backward()
        compare(f"{op} grad x", x.grad, xf.grad, False)
        compare(f"{op} grad y", y.grad, yf.grad[lo:hi], False)
        if op != "LogSumExp":
            compare(f"{op} grad b", b.grad, bf.grad[lo:hi], False)
    # Gradients through min are not distributed: a clear error.
    g = Genred("SqDist(x, y)", ALIASES, reduction_op="Min", axis=1)
    try:
        reduce(g, X.clone().requires_grad_(), Y[lo:hi], B[lo:hi])
        errors.append("min with gradients: no error")
    except ValueError as e:
        if "gradients through a distributed min reduction are not supported" not in str(e):
            errors.append(f"min with gradients: {e}")
except Exception:
    errors.append(traceback.format_exc())
finally:
    with open(out_path, "w") as f:
        json.dump({"errors": errors}, f)
    dist.destroy_process_group()
