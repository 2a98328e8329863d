"""The GPU kernels of every reduction kind against the reference
interpreter, on the GPU emulator (KEOPS_CUDA_DRIVER=emulator, in
subprocesses): the 52 reductions of test/Conversion/Inputs/every-kind.mlir
(every kind, f32 and f64, over i and over j) through `keops-run
--backend=gpu`, with blocks of 32 threads so that 37 rows are two blocks
and 101 reduced indices four tiles, each one a remainder of the unrolled
loop, and both schemes forced. test_gpu.py checks the same backend from
Python against the CPU backend, on a GPU or on the emulator."""

import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

import keops

KEOPS_RUN = str(keops.tool_path("keops-run"))
EVERY_KIND = Path(__file__).resolve().parents[1] / "Conversion" / "Inputs" / "every-kind.mlir"
ENTRIES = re.findall(r"func\.func @(\w+)\(", EVERY_KIND.read_text())


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One disk cache for all the runs: keops-run compiles the whole module
    (156 kernels, seconds) once, then every run loads it."""
    return tmp_path_factory.mktemp("gpu-emulator-cache")


def _run(tmp_path, cache, entry, backend, scheme=None):
    out = tmp_path / f"{entry}-{backend}-{scheme}"
    out.mkdir()
    env = dict(os.environ, KEOPS_CUDA_DRIVER="emulator", KEOPS_CACHE_DIR=str(cache))
    env.pop("KEOPS_GPU_SCHEME", None)
    if scheme:
        env["KEOPS_GPU_SCHEME"] = scheme
    proc = subprocess.run([KEOPS_RUN, str(EVERY_KIND), "--entry", entry,
                           f"--backend={backend}", "--block-size=32", "-M", "37",
                           "-N", "101", "--seed", "3", "--quiet", "--output-dir", str(out)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, (entry, proc.stderr)
    return [np.load(p) for p in sorted(out.glob("out*.npy"))]


def test_every_kind_entries():
    assert len(ENTRIES) == 52


@pytest.mark.parametrize("entry", ENTRIES)
def test_every_kind_against_the_interpreter(tmp_path, cache, entry):
    want = _run(tmp_path, cache, entry, "interp")
    f32 = "_f32_" in entry
    for scheme in ("1d", "2d"):
        got = _run(tmp_path, cache, entry, "gpu", scheme)
        assert len(got) == len(want) > 0
        for g, w in zip(got, want):
            assert g.shape == w.shape, (entry, scheme)
            if w.dtype.kind == "i":
                # f32 rounding can swap near-equal values.
                if f32:
                    assert (g == w).mean() > 0.95, (entry, scheme)
                else:
                    np.testing.assert_array_equal(g, w, err_msg=f"{entry} {scheme}")
            else:
                np.testing.assert_allclose(g, w, rtol=2e-5 if f32 else 1e-12,
                                           atol=1e-5 if f32 else 1e-12,
                                           err_msg=f"{entry} {scheme}")
