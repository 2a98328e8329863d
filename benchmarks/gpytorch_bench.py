"""One training step of an exact Gaussian process with GPyTorch's KeOps RBF
kernel (float32, GPyTorch's default fast computations: conjugate gradients
and Lanczos, each iteration a kernel matrix product; no preconditioner, see
CHILD), run unmodified on
keops-mlir through the pykeops drop-in and on pykeops' CPU backend.

    .venv/bin/python benchmarks/gpytorch_bench.py [--n 20000] [--repeat 2]
        [--no-pykeops]

Each backend runs in its own process (the drop-in and the real pykeops
cannot share one), takes one warm-up step (compiles), then reports the
median of --repeat timed steps (forward: the marginal log-likelihood,
backward: its gradient). The loss values are printed side by side: both
runs start from the same model and data; CG and Lanczos use random probe
vectors from one seed, so the values agree to the solver's tolerance.
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
    import torch, gpytorch
    from gpytorch.kernels import keops as gk
    g = torch.Generator().manual_seed(0)
    X = torch.rand(n, 3, generator=g)
    Y = torch.sin(6 * X[:, 0]) + 0.1 * torch.randn(n, generator=g)

    class GP(gpytorch.models.ExactGP):
        def __init__(self, likelihood):
            super().__init__(X, Y, likelihood)
            self.mean = gpytorch.means.ConstantMean()
            self.cov = gpytorch.kernels.ScaleKernel(gk.RBFKernel())

        def forward(self, x):
            return gpytorch.distributions.MultivariateNormal(self.mean(x), self.cov(x))

    likelihood = gpytorch.likelihoods.GaussianLikelihood()
    model = GP(likelihood)
    mll = gpytorch.mlls.ExactMarginalLogLikelihood(likelihood, model)
    model.train()

    def step():
        torch.manual_seed(1)     # the same probe vectors for both backends
        model.zero_grad()
        loss = -mll(model(X), Y)
        loss.backward()
        return loss.item()

    # No preconditioner: its pivoted Cholesky asks the KeOps kernel for a
    # dense diagonal, which GPyTorch 1.15's KeOps kernels cannot give (on
    # pykeops too).
    with gpytorch.settings.max_cholesky_size(0), \
            gpytorch.settings.max_preconditioner_size(0):
        value = step()           # warm-up: compiles
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            step()
            times.append(time.perf_counter() - t)
    print(json.dumps({"time": statistics.median(times), "loss": value}))
""")


def run(backend, n, repeat):
    return run_child(CHILD, backend, n, repeat)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-pykeops", action="store_true")
    args = parser.parse_args()
    print(machine())
    print(f"GPyTorch exact GP, KeOps RBF kernel, float32, N = {args.n}, one training step")
    results = {}
    for backend in ["keops-mlir"] + ([] if args.no_pykeops else ["pykeops"]):
        result, error = run(backend, args.n, args.repeat)
        if result is None:
            print(f"  {backend:>10}: failed ({error})")
            continue
        results[backend] = result
        print(f"  {backend:>10}: {result['time']:8.3f} s   loss {result['loss']:.6f}")
    if len(results) == 2:
        print(f"  keops-mlir is {results['pykeops']['time'] / results['keops-mlir']['time']:.1f}x "
              "faster than pykeops")


if __name__ == "__main__":
    main()
