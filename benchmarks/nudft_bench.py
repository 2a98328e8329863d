"""The complex non-uniform DFT of examples/python/nudft.py,

    f_k = sum_j c_j exp(-2 pi i <nu_k, x_j>),   N points, M = N frequencies (2-D),

on keops-mlir (a ComplexLazyTensor reduction, torch tensors) against NumPy's
dense evaluation (the complex matrix built by blocks of rows and multiplied
by c; the time of all rows is measured on --dense-rows rows and scaled when
N is larger), and against pykeops' CPU backend (in a child process, since
the drop-in and the real pykeops cannot share one) where installed.

    .venv/bin/python benchmarks/nudft_bench.py [--n 100000] [--dtype float32]
        [--repeat 3] [--dense-rows 4000] [--no-pykeops]

Every backend runs warm (compiled) and reports its best time; the results
are compared with a float64 dense evaluation on a subset of frequencies.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import textwrap
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import best_of, machine  # noqa: E402

CHILD = textwrap.dedent("""
    import json, math, sys, time
    import numpy as np, torch
    from pykeops.torch import LazyTensor
    n, dtype, repeat = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    d = np.load(sys.argv[4])
    ct = torch.complex64 if dtype == "float32" else torch.complex128
    nu = torch.from_numpy(d["nu"]); x = torch.from_numpy(d["x"])
    c = torch.from_numpy(d["c"]).to(ct)
    def run():
        phase = -2 * math.pi * (LazyTensor(nu[:, None, :]) | LazyTensor(x[None, :, :]))
        return (LazyTensor(c[None, :, None]) * (phase * 1j).exp()).sum(dim=1)
    f = run()
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter(); run(); best = min(best, time.perf_counter() - t)
    np.save(sys.argv[5], f.numpy())
    print(json.dumps({"time": best}))
""")


def problem(n, dtype, seed=0):
    rng = np.random.default_rng(seed)
    side = int(math.isqrt(n))
    grid = np.arange(side, dtype=np.float64) - side // 2
    nu = np.stack(np.meshgrid(grid, grid, indexing="ij"), -1).reshape(-1, 2)
    x = rng.random((n, 2))
    c = rng.normal(size=n) + 1j * rng.normal(size=n)
    return nu.astype(dtype), x.astype(dtype), c.astype(np.complex64 if dtype == "float32"
                                                       else np.complex128)


def dense_numpy(nu, x, c, rows=None, block=512):
    """NumPy's dense evaluation of the first `rows` frequencies, by blocks."""
    rows = len(nu) if rows is None else rows
    out = np.empty(rows, dtype=c.dtype)
    for s in range(0, rows, block):
        e = nu[s:min(rows, s + block)] @ x.T
        out[s:s + len(e)] = np.exp((-2j * np.pi) * e.astype(c.dtype)) @ c
    return out


def keops_mlir(nu, x, c):
    import torch
    from keops.torch import LazyTensor
    nu_t, x_t, c_t = (torch.from_numpy(a) for a in (nu, x, c))

    def run():
        phase = -2 * math.pi * (LazyTensor(nu_t[:, None, :]) | LazyTensor(x_t[None, :, :]))
        return (LazyTensor(c_t[None, :, None]) * phase.exp1j()).sum(dim=1)
    return run


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dense-rows", type=int, default=4000)
    ap.add_argument("--no-pykeops", action="store_true")
    args = ap.parse_args()
    nu, x, c = problem(args.n, args.dtype)
    m, n = len(nu), len(x)
    print(f"# NUDFT, {n} points x {m} frequencies (2-D), {args.dtype}; {machine()}")

    check = np.arange(0, m, max(1, m // 100))
    ref = dense_numpy(nu.astype(np.float64)[check], x.astype(np.float64),
                      c.astype(np.complex128))
    tol = 1e-3 if args.dtype == "float32" else 1e-9

    def error(f):
        return float(np.abs(f[check] - ref).max() / np.abs(ref).max())

    run = keops_mlir(nu, x, c)
    t0 = time.perf_counter()
    f = run()
    first = time.perf_counter() - t0
    t_keops = best_of(run, args.repeat)
    err = error(f.numpy()[:, 0])
    print(f"keops-mlir   {t_keops:8.3f} s  (first call {first:.2f} s)  "
          f"{m * n / t_keops / 1e9:.2f} G pairs/s  rel. error {err:.1e}")
    assert err < tol, err

    rows = min(m, args.dense_rows)
    t = best_of(lambda: dense_numpy(nu, x, c, rows), 1)
    t_dense = t * m / rows
    scaled = f" (measured on {rows} rows)" if rows < m else ""
    print(f"NumPy dense  {t_dense:8.3f} s{scaled}  ratio {t_dense / t_keops:.1f}x")

    if not args.no_pykeops:
        try:
            import importlib.util
            have = importlib.util.find_spec("pykeops") is not None
        except ImportError:
            have = False
        if have:
            import tempfile
            with tempfile.TemporaryDirectory() as tmp:
                data = os.path.join(tmp, "data.npz")
                out = os.path.join(tmp, "out.npy")
                np.savez(data, nu=nu, x=x, c=c)
                proc = subprocess.run([sys.executable, "-c", CHILD, str(n), args.dtype,
                                       str(args.repeat), data, out],
                                      capture_output=True, text=True)
                if proc.returncode == 0:
                    t_pk = json.loads(proc.stdout.strip().splitlines()[-1])["time"]
                    err = error(np.load(out)[:, 0])
                    print(f"pykeops CPU  {t_pk:8.3f} s  rel. error {err:.1e}  "
                          f"ratio {t_pk / t_keops:.1f}x")
                else:
                    print("pykeops CPU  failed:", (proc.stderr.strip().splitlines() or ["?"])[-1])


if __name__ == "__main__":
    main()
