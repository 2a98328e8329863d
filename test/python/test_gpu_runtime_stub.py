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


def _run(stub, tmp_path, scheme=None, cubin=False, verbose=False):
    """Runs SCRIPT on the stub; PTX is loaded as it is unless `cubin`."""
    env = dict(os.environ, KEOPS_CUDA_DRIVER=str(stub),
               KEOPS_CACHE_DIR=str(tmp_path / "cache"), KEOPS_CUBIN="1" if cubin else "0",
               PYTHONPATH=os.pathsep.join(
                   [str(Path(__file__).resolve().parents[2] / "python")] +
                   [p for p in [os.environ.get("PYTHONPATH")] if p]))
    env.pop("KEOPS_GPU_SCHEME", None)
    if scheme:
        env["KEOPS_GPU_SCHEME"] = scheme
    env.pop("KEOPS_VERBOSE", None)
    if verbose:
        env["KEOPS_VERBOSE"] = "1"
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    launches = [line.split() for line in proc.stderr.splitlines()
                if line.startswith("launch ")]
    if verbose:
        return proc.stdout, launches, proc.stderr
    return proc.stdout, launches


def _launch(words):
    """(kernel, grid x, grid y, block, number of params, ints)."""
    assert words[-2] == "stream"
    return (words[1], int(words[3]), int(words[4]), int(words[6]), int(words[8]),
            [int(w) for w in words[10:-2]])


def test_schemes_chosen_from_the_sizes(stub, tmp_path):
    stdout, launches = _run(stub, tmp_path)
    assert "devices 1" in stdout
    assert stdout.count("shape") == 2 and "shape (300, 1)" in stdout
    got = [_launch(w) for w in launches]
    # 300 rows of a sum are 2 blocks of 128 threads computing 2 rows each
    # (gpuRowsPerThread), fewer than two per multiprocessor of the stub (4):
    # the 2-D scheme, with 8 chunks of 128 of the 1000 columns (about 8
    # blocks per multiprocessor, chunks of whole blocks). The combine kernel
    # merges one row a thread: 3 blocks. Parameters: x, y, the output, M, N,
    # the states and the count.
    assert got[0] == ("reduction_kernel0_part", 2, 8, 128, 7, [300, 1000, 128])
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


def _ptxas():
    home = os.environ.get("CUDA_HOME")
    for path in ([Path(home) / "bin" / "ptxas"] if home else []) + \
            [Path("/usr/local/cuda/bin/ptxas")]:
        if path.is_file() and os.access(path, os.X_OK):
            return path
    return shutil.which("ptxas")


@pytest.mark.skipif(_ptxas() is None, reason="no ptxas")
def test_cubins_compiled_by_ptxas_and_cached_on_disk(stub, tmp_path):
    """With ptxas at hand, the PTX becomes a cubin for the device's
    architecture (sm_90 for the stub) before it is loaded, and the disk cache
    keeps the cubin: a second process loads it without compiling anything."""
    stdout, launches, log = _run(stub, tmp_path, cubin=True, verbose=True)
    assert stdout.count("shape") == 2
    loads = [line.split() for line in log.splitlines() if line.startswith("load ")]
    assert len(loads) == 2 and all(w[1] == "cubin" and int(w[2]) > 0 for w in loads), log
    # The kernels were found by name in the cubins.
    assert [w[1] for w in launches] == ["reduction_kernel0_part", "reduction_kernel0_combine",
                                        "reduction_kernel0"]
    assert "ptxas" in log  # its step, timed by KEOPS_VERBOSE
    cached = [f.read_bytes() for f in (tmp_path / "cache").rglob("*") if f.is_file()]
    assert len(cached) == 2 and all(b"\x7fELF" in c for c in cached)
    _, again, log = _run(stub, tmp_path, cubin=True, verbose=True)
    assert log.count("disk cache hit") == 2 and "ptxas" not in log, log
    assert [w[1] for w in again] == [w[1] for w in launches]
    assert sum(line.startswith("load cubin") for line in log.splitlines()) == 2


def test_ptxas_failure_falls_back_to_ptx(stub, tmp_path, monkeypatch):
    """A ptxas that fails (here a fake one, first through CUDA_HOME) leaves
    the PTX, which the driver compiles: the run goes on, and KEOPS_VERBOSE
    says why."""
    home = tmp_path / "cuda"
    (home / "bin").mkdir(parents=True)
    fake = home / "bin" / "ptxas"
    fake.write_text("#!/bin/sh\necho 'ptxas fatal: not this time' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CUDA_HOME", str(home))
    stdout, launches, log = _run(stub, tmp_path, cubin=True, verbose=True)
    assert stdout.count("shape") == 2 and len(launches) == 3
    assert sum(line.startswith("load ptx") for line in log.splitlines()) == 2
    assert "loading PTX instead of a cubin" in log and "not this time" in log


STREAM_SCRIPT = """
import numpy as np
from keops import Vi, Vj
from keops._runtime import compile_mlir
module = compile_mlir(Vi(0, 3).sqdist(Vj(1, 3)).mlir("sum", axis=1, dtype="float64"), device=0)
kernel = module.kernels[0]
x, y = np.random.rand(300, 3), np.random.rand(1000, 3)
out = np.empty((300, 1))
kernel.run([x.ctypes.data, y.ctypes.data], [out.ctypes.data], 300, 1000, 0x5eed)
print("ran")
"""


@pytest.mark.parametrize("pools", [True, False], ids=["memory_pools", "no_memory_pools"])
def test_launches_on_the_given_stream(stub, tmp_path, pools):
    """keops_run_on_stream: the stream given (here a made-up handle, which
    the stub only prints) orders the staging buffers, the copies and both
    kernels of the 2-D scheme; host outputs make the call wait for it. A
    device without memory pools gets its buffers from cuMemAlloc."""
    env = dict(os.environ, KEOPS_CUDA_DRIVER=str(stub), KEOPS_CUBIN="0",
               KEOPS_CACHE_DIR=str(tmp_path / "cache"),
               PYTHONPATH=os.pathsep.join(
                   [str(Path(__file__).resolve().parents[2] / "python")] +
                   [p for p in [os.environ.get("PYTHONPATH")] if p]))
    env.pop("KEOPS_GPU_SCHEME", None)
    env.pop("STUB_NO_MEMORY_POOLS", None)
    if not pools:
        env["STUB_NO_MEMORY_POOLS"] = "1"
    proc = subprocess.run([sys.executable, "-c", STREAM_SCRIPT], capture_output=True,
                          text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "ran" in proc.stdout
    lines = [line.split() for line in proc.stderr.splitlines()]
    launches = [w for w in lines if w[0] == "launch"]
    assert [w[1] for w in launches] == ["reduction_kernel0_part", "reduction_kernel0_combine"]
    assert all(w[-2:] == ["stream", "0x5eed"] for w in launches)
    allocs = [w for w in lines if w[0] == "alloc"]
    frees = [w for w in lines if w[0] == "free"]
    # x, y, the output and the partial states: stream-ordered, all freed.
    assert (len(allocs), len(frees)) == ((4, 4) if pools else (0, 0))
    assert all(w[-1] == "0x5eed" for w in allocs + frees)
    # The output comes back to host memory: the call waits for the stream,
    # after the last launch.
    syncs = [k for k, w in enumerate(lines) if w[:2] == ["synchronize", "stream"]]
    assert syncs and lines[syncs[-1]][-1] == "0x5eed"
    assert syncs[-1] > max(k for k, w in enumerate(lines) if w[0] == "launch")
