"""Records GeomLoss's online losses computed by the real pykeops (values and
gradients with respect to x, float64) into
test/python/data/geomloss_pykeops.npz, the reference of
test/python/test_compat.py for the losses whose tensorized backend differs
at zero distance (it clamps squared distances at 1e-8) and for the
multiscale backend (block-sparse, which only pykeops runs).

    .venv/bin/python scripts/record_geomloss_reference.py
"""

from pathlib import Path

import numpy as np
import torch

import geomloss

CASES = {  # name -> SamplesLoss arguments (test_compat.REFERENCE_CASES)
    "sinkhorn_p1": dict(loss="sinkhorn", p=1, blur=0.05),
    "sinkhorn_p1_reach": dict(loss="sinkhorn", p=1, blur=0.05, reach=0.5),
    "energy": dict(loss="energy"),
    "laplacian": dict(loss="laplacian", blur=0.1),
    # Block-sparse: clusters (pykeops.torch.cluster) and ranges.
    "sinkhorn_multiscale": dict(loss="sinkhorn", p=2, blur=0.05, scaling=0.5, truncate=3,
                                cluster_scale=0.2, backend="multiscale"),
}


def clouds():
    g = torch.Generator().manual_seed(0)
    return (torch.rand(300, 3, generator=g, dtype=torch.float64),
            torch.rand(250, 3, generator=g, dtype=torch.float64))


def main():
    x0, y = clouds()
    out = {}
    for name, kw in CASES.items():
        x = x0.clone().requires_grad_()
        kw = dict(kw)
        v = geomloss.SamplesLoss(backend=kw.pop("backend", "online"), **kw)(x, y)
        (g,) = torch.autograd.grad(v, [x])
        out[name] = np.concatenate([[v.item()], g.numpy().ravel()])
    path = Path(__file__).resolve().parents[1] / "test/python/data/geomloss_pykeops.npz"
    np.savez(path, **out)
    print("wrote", path)


if __name__ == "__main__":
    main()
