"""keops-mlir under pykeops' top-level names (see keops.compat)."""

import os
import shutil
from pathlib import Path

import keops as _keops

__keops_mlir__ = True
__version__ = _keops.__version__
verbose = False


def set_verbose(flag):
    """pykeops' switch for compile messages: KEOPS_VERBOSE, which the
    runtime reads at its first compile."""
    global verbose
    verbose = bool(flag)
    os.environ["KEOPS_VERBOSE"] = "1" if verbose else "0"


def get_build_folder():
    """The compile cache (pykeops' build folder): $KEOPS_CACHE_DIR, or
    ~/.cache/keops-mlir."""
    return os.environ.get("KEOPS_CACHE_DIR") or str(Path.home() / ".cache" / "keops-mlir")


def set_build_folder(path=None):
    raise NotImplementedError("set_build_folder: keops-mlir's compile cache is "
                              "$KEOPS_CACHE_DIR, read when the runtime starts; set it "
                              "before starting Python")


def clean_pykeops(recompile_jit_binaries=True):
    """Empties the compile cache folder (its compiled objects)."""
    folder = Path(get_build_folder())
    if folder.is_dir():
        for entry in folder.iterdir():
            if entry.suffix == ".o" or ".tmp-" in entry.name:
                entry.unlink(missing_ok=True)


def _gpu_count():
    try:
        return _keops.gpu_device_count()
    except _keops.KeopsError:
        return 0


def _check(framework):
    import numpy as np
    rng = np.random.default_rng(0)
    x, y, b = rng.random((100, 3)), rng.random((80, 3)), rng.random((80, 1))
    want = np.exp(-((x[:, None] - y[None]) ** 2).sum(-1)) @ b
    if framework == "torch":
        import torch
        from keops.torch import LazyTensor
        x, y, b = (torch.tensor(a) for a in (x, y, b))
    else:
        from keops.numpy import LazyTensor
    got = (-((LazyTensor(x[:, None]) - LazyTensor(y[None])) ** 2).sum(-1)).exp() @ b
    got = got.numpy() if framework == "torch" else got
    ok = bool(np.allclose(got, want, rtol=1e-10))
    print(f"keops-mlir with {framework} bindings is {'working' if ok else 'NOT working'}!")
    return ok


def test_numpy_bindings():
    return _check("numpy")


def test_torch_bindings():
    return _check("torch")


def check_health():
    test_numpy_bindings()
    test_torch_bindings()


def _found(name):
    import importlib.util
    return importlib.util.find_spec(name) is not None


numpy_found = _found("numpy")
torch_found = _found("torch")
# pykeops.config: the backends present and the cache folder.
from . import config  # noqa: E402
pykeopsconfig = config
