"""keops.distributed.torch: a reduction over shards of its reduced axis held
by the ranks of a gloo group of local processes (loopback), every kind and
the gradients of sum and logsumexp, against the single-process reduction
(distributed_torch_worker.py runs each rank)."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch.distributed")

pytestmark = pytest.mark.usefixtures("keops_cache_dir")

WORKER = Path(__file__).with_name("distributed_torch_worker.py")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("sizes", [[40, 61], [30, 0, 71], [10, 25, 0, 66]],
                         ids=["2 ranks", "3 ranks, one empty", "4 ranks, one empty"])
def test_ranks_hold_shards_of_the_reduced_axis(sizes, tmp_path):
    port = free_port()
    env = dict(os.environ, KEOPS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    procs = [subprocess.Popen([sys.executable, str(WORKER), str(rank), str(len(sizes)),
                               str(port), ",".join(map(str, sizes)),
                               str(tmp_path / f"rank{rank}.json")],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
             for rank in range(len(sizes))]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    for rank, (p, out) in enumerate(zip(procs, outputs)):
        assert p.returncode == 0, f"rank {rank} failed:\n{out}"
        errors = json.loads((tmp_path / f"rank{rank}.json").read_text())["errors"]
        assert not errors, f"rank {rank}: {errors}"


def test_needs_an_initialized_group():
    import torch

    from keops import Genred
    from keops.distributed.torch import reduce
    g = Genred("SqDist(x, y)", ["x = Vi(3)", "y = Vj(3)"], reduction_op="Min", axis=1)
    with pytest.raises(RuntimeError, match="torch.distributed is not initialized"):
        reduce(g, torch.zeros(2, 3), torch.zeros(4, 3))
