"""Sums of wide formula values on the CPU: formulas whose value has E > 32
components that are no kernel-matrix product (x_i - y_j, a kernel times a
function of y_j, a kernel times a difference of wide vectors), against
torch's dense evaluation by blocks of rows, in one process. Prints the
first call (compile time, with an empty cache) and the best run time.

    .venv/bin/python benchmarks/wide_values_bench.py [--es 48,128,512] [--m 2000] [--n 2000]

float32; torch forms an (m_block, n, E) tensor per block of 64 rows.
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import best_of, machine  # noqa: E402

os.environ.setdefault("KEOPS_CACHE_DIR", tempfile.mkdtemp(prefix="keops-wide-"))

import torch  # noqa: E402

import keops  # noqa: E402

BLOCK = 64

CASES = [
    # (name, formula, aliases (E substituted), torch term of (x, y, b, c) per block)
    ("x_i - y_j", "x - y", ["x = Vi({E})", "y = Vj({E})"],
     lambda x, y, b, c: x[:, None] - y[None]),
    ("k_ij sin(b_j)", "Exp(-SqDist(x, y)) * Sin(b)",
     ["x = Vi(3)", "y = Vj(3)", "b = Vj({E})"],
     lambda x, y, b, c: torch.exp(-torch.cdist(x, y) ** 2)[..., None] * torch.sin(b)[None]),
    ("k_ij (b_j - c_i)^2", "Exp(-SqDist(x, y)) * Square(b - c)",
     ["x = Vi(3)", "y = Vj(3)", "b = Vj({E})", "c = Vi({E})"],
     lambda x, y, b, c: torch.exp(-torch.cdist(x, y) ** 2)[..., None]
     * (b[None] - c[:, None]) ** 2),
]


def dense(term, x, y, b, c):
    out = []
    for s in range(0, x.shape[0], BLOCK):
        xs = x[s:s + BLOCK]
        cs = c[s:s + BLOCK] if c is not None else None
        out.append(term(xs, y, b, cs).sum(1))
    return torch.cat(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--es", default="48,128,512")
    parser.add_argument("--m", type=int, default=2000)
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    torch.set_num_threads(keops.get_num_threads())
    print(f"# {machine()}; {keops.get_num_threads()} threads; float32, M = {args.m}, "
          f"N = {args.n}")
    print(f"{'formula':>20} {'E':>5} {'first call':>11} {'keops':>10} {'torch':>10} "
          f"{'torch / keops':>14}")
    rng = np.random.default_rng(0)
    for name, formula, aliases, term in CASES:
        for E in map(int, args.es.split(",")):
            al = [a.format(E=E) for a in aliases]
            data = {}
            for a in al:
                var, decl = (s.strip() for s in a.split("="))
                rows = args.m if decl.startswith("Vi") else args.n
                dim = int(decl[3:-1])
                data[var] = rng.standard_normal((rows, dim)).astype("float32")
            g = keops.Genred(formula, al, reduction_op="Sum", axis=1)
            arrays = [data[a.split("=")[0].strip()] for a in al]
            start = time.perf_counter()
            ours = g(*arrays)
            first = time.perf_counter() - start
            t = {k: torch.from_numpy(v) for k, v in data.items()}
            want = dense(term, t["x"], t["y"], t.get("b", t["y"]), t.get("c"))
            err = float(np.abs(ours - want.numpy()).max() / np.abs(want.numpy()).max())
            assert err < 1e-4, (name, E, err)
            t_ours = best_of(lambda: g(*arrays))
            t_torch = best_of(lambda: dense(term, t["x"], t["y"], t.get("b", t["y"]),
                                            t.get("c")))
            print(f"{name:>20} {E:5d} {first:10.2f}s {t_ours * 1e3:8.1f}ms "
                  f"{t_torch * 1e3:8.1f}ms {t_torch / t_ours:13.1f}x", flush=True)


if __name__ == "__main__":
    main()
