"""The pykeops drop-in (keops.compat): pykeops' modules and names, the
launcher, its errors, and real clients run unmodified through it: GeomLoss
(online backend) against its tensorized backend and against values recorded
with the real pykeops, GPyTorch's KeOps kernels against its dense ones. Each
case runs in a fresh process: the drop-in replaces `pykeops` process-wide,
and other tests compare with the real one."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


def run(code, *args, module=None, check=True):
    cmd = [sys.executable]
    if module:
        cmd += ["-m", module]
    cmd += ["-c", textwrap.dedent(code)] if module is None else list(args)
    proc = subprocess.run(cmd if module else cmd + list(args), capture_output=True,
                          text=True, timeout=900)
    if check:
        assert proc.returncode == 0, proc.stderr[-4000:]
    return proc


def test_modules_and_names():
    out = run("""
        import keops.compat
        keops.compat.as_pykeops()
        import pykeops, pykeops.torch, pykeops.numpy
        from pykeops.torch.cluster import grid_cluster, from_matrix
        from pykeops.numpy.cluster import sort_clusters
        import keops.torch, keops.numpy
        assert keops.compat.is_active()
        assert pykeops.torch.LazyTensor is keops.torch.LazyTensor
        assert pykeops.numpy.Genred is keops.numpy.Genred
        assert pykeops.torch.KernelSolve is keops.torch.KernelSolve
        assert pykeops.torch.cluster is keops.torch.cluster
        for name in ["Vi", "Vj", "Pm", "generic_sum", "generic_logsumexp", "generic_argmin",
                     "generic_argkmin"]:
            assert getattr(pykeops.torch, name) is getattr(keops.torch, name)
        pykeops.set_verbose(False)
        print(pykeops.__version__, pykeops.get_build_folder())
        assert pykeops.test_torch_bindings() and pykeops.test_numpy_bindings()
        try:
            import pykeops.common
        except ImportError as e:
            print("ImportError:", e)
        assert pykeops.torch.ComplexLazyTensor is keops.torch.ComplexLazyTensor
        assert pykeops.numpy.ComplexLazyTensor is keops.numpy.ComplexLazyTensor
    """).stdout
    assert "keops-mlir with torch bindings is working!" in out
    assert "keops-mlir with numpy bindings is working!" in out
    assert "ImportError: keops-mlir's pykeops drop-in has no module 'pykeops.common'" in out


def test_real_pykeops_imported_first():
    pytest.importorskip("pykeops")
    proc = run("""
        import pykeops
        import keops.compat
        keops.compat.as_pykeops()
    """, check=False)
    assert proc.returncode != 0
    assert "the real pykeops is already imported (pykeops" in proc.stderr


def test_launcher(tmp_path):
    script = tmp_path / "client.py"
    script.write_text(textwrap.dedent("""
        import sys
        import pykeops.torch
        import torch
        x = torch.rand(5, 1, 2, dtype=torch.float64)
        K = (pykeops.torch.LazyTensor(x) - pykeops.torch.LazyTensor(x.transpose(0, 1)))
        print(type(K).__module__, sys.argv[1:], K.sqnorm2().sum(1).shape)
    """))
    proc = subprocess.run([sys.executable, "-m", "keops.compat", str(script), "a", "b"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "keops.torch ['a', 'b'] torch.Size([5, 1])"
    usage = subprocess.run([sys.executable, "-m", "keops.compat"], capture_output=True,
                           text=True, timeout=300)
    assert usage.returncode == 2 and "python -m keops.compat script.py" in usage.stdout


GEOMLOSS = """
    import sys, json
    import keops.compat
    keops.compat.as_pykeops()
    import numpy as np, torch, geomloss
    g = torch.Generator().manual_seed(0)
    x0 = torch.rand(300, 3, generator=g, dtype=torch.float64)
    y = torch.rand(250, 3, generator=g, dtype=torch.float64)
    kw = json.loads(sys.argv[1])
    out = []
    for backend in kw.pop("backends"):
        x = x0.clone().requires_grad_()
        v = geomloss.SamplesLoss(backend=backend, **kw)(x, y)
        (gx,) = torch.autograd.grad(v, [x])
        out.append(np.concatenate([[v.item()], gx.numpy().ravel()]))
    np.save(sys.argv[2], np.stack(out))
"""


def geomloss_run(tmp_path, kw):
    import json
    import numpy as np
    pytest.importorskip("geomloss")
    path = tmp_path / "out.npy"
    run(GEOMLOSS, json.dumps(kw), str(path))
    return np.load(path)


@pytest.mark.parametrize("kw", [
    dict(loss="sinkhorn", p=2, blur=0.05),
    dict(loss="sinkhorn", p=2, blur=0.05, reach=0.5),
    dict(loss="sinkhorn", p=2, blur=0.05, debias=False),
    dict(loss="gaussian", blur=0.1),
], ids=["sinkhorn", "sinkhorn-reach", "sinkhorn-no-debias", "gaussian"])
def test_geomloss_against_tensorized(tmp_path, kw):
    import numpy as np
    online, dense = geomloss_run(tmp_path, dict(kw, backends=["online", "tensorized"]))
    np.testing.assert_allclose(online[0], dense[0], rtol=1e-8)
    np.testing.assert_allclose(online[1:], dense[1:], rtol=1e-6,
                               atol=1e-6 * np.abs(dense[1:]).max())


@pytest.mark.parametrize("name", ["sinkhorn_p1", "sinkhorn_p1_reach", "energy", "laplacian",
                                  "sinkhorn_multiscale"])
def test_geomloss_against_pykeops(tmp_path, name):
    """Costs |x - y| at x = y: pykeops' Norm2 gradient there is 0 (its
    Rsqrt(0) = 0), the drop-in's too; GeomLoss's tensorized backend clamps
    instead. The multiscale backend (clusters and block-sparse ranges) has no
    dense equivalent. So the reference was recorded with pykeops
    (scripts/record_geomloss_reference.py)."""
    import numpy as np
    sys.path.insert(0, str(Path(__file__).parents[2] / "scripts"))
    from record_geomloss_reference import CASES
    want = np.load(DATA / "geomloss_pykeops.npz")[name]
    kw = dict(CASES[name])
    (got,) = geomloss_run(tmp_path, dict(kw, backends=[kw.pop("backend", "online")]))
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got[0], want[0], rtol=1e-10)
    np.testing.assert_allclose(got[1:], want[1:], rtol=1e-8, atol=1e-10 * np.abs(want[1:]).max())


GPYTORCH = """
    import keops.compat
    keops.compat.as_pykeops()
    import torch, gpytorch
    from gpytorch.kernels import keops as gk
    torch.manual_seed(0)
    X = torch.rand(2, 150, 2, dtype=torch.float64)           # a batch of 2 GPs
    Y = torch.sin(6 * X[..., 0]) + 0.1 * torch.randn(2, 150, dtype=torch.float64)

    class GP(gpytorch.models.ExactGP):
        def __init__(self, kernel, likelihood):
            super().__init__(X, Y, likelihood)
            self.mean = gpytorch.means.ConstantMean(batch_shape=torch.Size([2]))
            self.cov = gpytorch.kernels.ScaleKernel(kernel, batch_shape=torch.Size([2]))

        def forward(self, x):
            return gpytorch.distributions.MultivariateNormal(self.mean(x), self.cov(x))

    B = dict(batch_shape=torch.Size([2]))
    for name, a, b in [
            ("rbf", gk.RBFKernel(**B), gpytorch.kernels.RBFKernel(**B)),
            ("matern0.5", gk.MaternKernel(nu=0.5, **B), gpytorch.kernels.MaternKernel(nu=0.5, **B)),
            ("matern1.5", gk.MaternKernel(nu=1.5, **B), gpytorch.kernels.MaternKernel(nu=1.5, **B)),
            ("matern2.5", gk.MaternKernel(nu=2.5, **B), gpytorch.kernels.MaternKernel(nu=2.5, **B)),
            ("periodic", gk.PeriodicKernel(**B), gpytorch.kernels.PeriodicKernel(**B))]:
        results = []
        # KeOps for every size (max_cholesky_size 0), the dense kernel never;
        # Cholesky solves on both, so that the two are deterministic.
        for kernel, size in ((a, 0), (b, 10 ** 9)):
            likelihood = gpytorch.likelihoods.GaussianLikelihood(**B).double()
            model = GP(kernel, likelihood).double()
            mll = gpytorch.mlls.ExactMarginalLogLikelihood(likelihood, model)
            optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
            with gpytorch.settings.max_cholesky_size(size), \\
                    gpytorch.settings.fast_computations(False, False, False):
                for step in range(3):       # a few training steps
                    optimizer.zero_grad()
                    loss = -mll(model(X), Y).sum()
                    loss.backward()
                    optimizer.step()
                loss = -mll(model(X), Y).sum()
                grads = torch.autograd.grad(loss, list(model.parameters()))
            results.append((loss, torch.cat([g.reshape(-1) for g in grads])))
        (la, ga), (lb, gb) = results
        assert torch.allclose(la, lb, rtol=1e-9), (name, la, lb)
        assert torch.allclose(ga, gb, rtol=1e-6, atol=1e-8), (name, (ga - gb).abs().max())
        print(name, "ok")
"""


def test_gpytorch_keops_kernels():
    pytest.importorskip("gpytorch")
    out = run(GPYTORCH).stdout
    for name in ["rbf", "matern0.5", "matern1.5", "matern2.5", "periodic"]:
        assert f"{name} ok" in out


def test_pykeops_own_test_suite(tmp_path, keops_cache_dir):
    """pykeops' own test suite (pykeops/test in the installed wheel, read
    there, not copied), unmodified, through the drop-in: everything passes
    but what needs a GPU, which skips as it does on pykeops without one."""
    import importlib.util
    spec = importlib.util.find_spec("pykeops")
    if spec is None:
        pytest.skip("pykeops is not installed")
    suite = Path(spec.submodule_search_locations[0]) / "test"
    proc = subprocess.run([sys.executable, "-m", "keops.compat", "-m", "pytest", "-q", "-rs",
                           "-p", "no:cacheprovider", str(suite)],
                          capture_output=True, text=True, timeout=1800, cwd=tmp_path)
    tail = proc.stdout[-3000:]
    assert proc.returncode == 0, tail + proc.stderr[-2000:]
    import re
    passed = int(re.search(r"(\d+) passed", tail).group(1))
    assert passed >= 72 and " failed" not in tail and "error" not in tail.lower(), tail
    skips = re.findall(r"SKIPPED \[\d+\] (\S+): (.*)", tail)
    assert all(reason == "Requires a GPU" for _, reason in skips), skips
