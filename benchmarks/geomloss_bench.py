"""GeomLoss's Sinkhorn divergence (online backend, p = 2, blur = 0.05,
float32, forward + backward) run unmodified on keops-mlir through the
pykeops drop-in, against the same code on pykeops' CPU backend and on
GeomLoss's tensorized torch backend (where the N x M matrices fit).

    .venv/bin/python benchmarks/geomloss_bench.py [--n 20000] [--repeat 3]
        [--quick] [--no-pykeops] [--tensorized-max 10000]

Each backend runs in its own process (the drop-in and the real pykeops
cannot share one); every process warms up (compiles) first, then reports
the median of --repeat timed calls. Prints the times and the ratios.
"""

import argparse
import os
import sys
import textwrap

sys.path.insert(0, os.path.dirname(__file__))
from common import machine, run_child  # noqa: E402

CHILD = textwrap.dedent("""
    import json, statistics, sys, time
    backend, n, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if backend == "keops-mlir":
        import keops.compat
        keops.compat.as_pykeops()
    import torch, geomloss
    g = torch.Generator().manual_seed(0)
    x0 = torch.rand(n, 3, generator=g)
    y = torch.rand(n, 3, generator=g) + 0.2
    loss = geomloss.SamplesLoss("sinkhorn", p=2, blur=0.05,
                                backend="tensorized" if backend == "tensorized" else "online")

    def step():
        x = x0.clone().requires_grad_()
        value = loss(x, y)
        (grad,) = torch.autograd.grad(value, [x])
        return value.item(), grad

    value, grad = step()                # warm-up: compiles
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    print(json.dumps({"time": statistics.median(times), "value": value,
                      "grad_norm": grad.norm().item()}))
""")


def run(backend, n, repeat):
    return run_child(CHILD, backend, n, repeat)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="n = 5000, 1 repeat")
    parser.add_argument("--no-pykeops", action="store_true")
    parser.add_argument("--tensorized-max", type=int, default=10_000,
                        help="largest n for the tensorized backend (N x M matrices)")
    args = parser.parse_args()
    n, repeat = (5000, 1) if args.quick else (args.n, args.repeat)
    print(machine())
    print(f"GeomLoss Sinkhorn, p = 2, blur = 0.05, float32, N = M = {n}, forward + backward")
    backends = ["keops-mlir"] + ([] if args.no_pykeops else ["pykeops"])
    if n <= args.tensorized_max:
        backends.append("tensorized")
    results = {}
    for backend in backends:
        result, error = run(backend, n, repeat)
        if result is None:
            print(f"  {backend:>11}: failed ({error})")
            continue
        results[backend] = result
        print(f"  {backend:>11}: {result['time']:8.3f} s   value {result['value']:.6e}   "
              f"|grad| {result['grad_norm']:.6e}")
    ours = results.get("keops-mlir")
    for other in backends[1:]:
        if ours and other in results:
            print(f"  keops-mlir is {results[other]['time'] / ours['time']:.1f}x faster "
                  f"than {other}")


if __name__ == "__main__":
    main()
