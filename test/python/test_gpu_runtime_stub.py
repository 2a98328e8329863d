"""The GPU runtime up to the launch, on machines without a GPU: a stub CUDA
driver (stub_cuda.c, loaded through KEOPS_CUDA_DRIVER) whose memory is host
memory and whose launches run nothing but print the kernel, the grid and the
integer parameters. In a subprocess, since the driver is opened once per
process. This checks, without a GPU: the PTX generated in process for the
device's architecture, its kernels found by name, the scheme chosen from the
sizes (and forced by KEOPS_GPU_SCHEME), the grids, and the parameters passed
(M, N, the chunk length, the number of chunks). The results are not checked
here: nothing runs them (test_gpu.py does, on a GPU)."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CC = shutil.which("cc") or shutil.which("gcc")
pytestmark = pytest.mark.skipif(CC is None, reason="no C compiler")

SCRIPT = """
import numpy as np, keops
from keops import Vi, Vj
print("devices", keops.gpu_device_count())
x, y = np.random.rand(300, 3), np.random.rand(1000, 3)
out = (Vi(x) - Vj(y)).sqnorm2().sum(axis=1, backend="GPU")
print("shape", out.shape)
x = np.random.rand(5000, 3)
out = (Vi(x) - Vj(y)).sqnorm2().argKmin(4, axis=0, backend="GPU")
print("shape", out.shape)
"""


@pytest.fixture(scope="module")
def stub(tmp_path_factory):
    out = tmp_path_factory.mktemp("stub") / "libcuda-stub.so"
    subprocess.run([CC, "-shared", "-fPIC", "-O1", "-o", str(out),
                    str(Path(__file__).with_name("stub_cuda.c"))], check=True)
    return out


def _run(stub, tmp_path, scheme=None):
    env = dict(os.environ, KEOPS_CUDA_DRIVER=str(stub),
               KEOPS_CACHE_DIR=str(tmp_path / "cache"),
               PYTHONPATH=os.pathsep.join(
                   [str(Path(__file__).resolve().parents[2] / "python")] +
                   [p for p in [os.environ.get("PYTHONPATH")] if p]))
    env.pop("KEOPS_GPU_SCHEME", None)
    if scheme:
        env["KEOPS_GPU_SCHEME"] = scheme
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    launches = [line.split() for line in proc.stderr.splitlines()
                if line.startswith("launch ")]
    return proc.stdout, launches


def _launch(words):
    """(kernel, grid x, grid y, block, number of params, ints)."""
    return (words[1], int(words[3]), int(words[4]), int(words[6]), int(words[8]),
            [int(w) for w in words[10:]])


def test_schemes_chosen_from_the_sizes(stub, tmp_path):
    stdout, launches = _run(stub, tmp_path)
    assert "devices 1" in stdout
    assert stdout.count("shape") == 2 and "shape (300, 1)" in stdout
    got = [_launch(w) for w in launches]
    # 300 rows are 3 blocks of 128 threads, fewer than two per multiprocessor
    # of the stub (4): the 2-D scheme, with 8 chunks of 128 of the 1000
    # columns (about 8 blocks per multiprocessor, chunks of whole blocks).
    # Parameters: x, y, the output, M, N, the states and the count.
    assert got[0] == ("reduction_kernel0_part", 3, 8, 128, 7, [300, 1000, 128])
    assert got[1] == ("reduction_kernel0_combine", 3, 1, 128, 7, [300, 1000, 8])
    # argKmin over i of 5000 rows of x for 1000 rows of y: 8 blocks of rows,
    # as many as two per multiprocessor: the 1-D scheme. Parameters: x, y,
    # the index output, M, N.
    assert got[2] == ("reduction_kernel0", 8, 1, 128, 5, [5000, 1000])
    assert len(got) == 3


@pytest.mark.parametrize("scheme", ["1d", "2d"])
def test_forced_scheme(stub, tmp_path, scheme):
    _, launches = _run(stub, tmp_path, scheme)
    names = [w[1] for w in launches]
    if scheme == "1d":
        assert names == ["reduction_kernel0", "reduction_kernel0"]
    else:
        assert names == ["reduction_kernel0_part", "reduction_kernel0_combine"] * 2
        part = _launch(launches[2])
        # 5000 columns (over i), 1000 kept rows: 8 row blocks, so 4 chunks
        # for 32 blocks in all, of whole blocks: 1280 columns each.
        assert part[:3] == ("reduction_kernel0_part", 8, 4) and part[5][-1] == 1280
