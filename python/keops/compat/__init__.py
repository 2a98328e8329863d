"""Run unmodified code written for pykeops on keops-mlir.

Libraries built on pykeops (GeomLoss, GPyTorch, ...) import `pykeops` and
cannot be edited by their users. One opt-in step makes those imports load
keops-mlir instead, also when the real pykeops is installed:

    import keops.compat
    keops.compat.as_pykeops()          # before the client imports pykeops
    import geomloss                    # its `import pykeops` is keops-mlir

    python -m keops.compat script.py [args]     # the same for a script
    python -m keops.compat -m module [args]     # or a module (pytest, ...)

`pykeops`, `pykeops.torch`, `pykeops.numpy` and their `cluster` modules are
then keops-mlir's, with pykeops' names (keops/compat/pykeops). A pykeops
submodule that keops-mlir does not have raises an ImportError naming it;
names it does not support raise NotImplementedError saying what is missing
(docs/python.md lists them), never a wrong answer.
"""

import importlib
import importlib.abc
import importlib.machinery
import sys

__all__ = ["as_pykeops", "is_active"]

# pykeops' module names -> the keops-mlir modules that stand for them.
MODULES = {
    "pykeops": "keops.compat.pykeops",
    "pykeops.torch": "keops.compat.pykeops.torch",
    "pykeops.numpy": "keops.compat.pykeops.numpy",
    "pykeops.torch.cluster": "keops.torch.cluster",
    "pykeops.numpy.cluster": "keops.numpy.cluster",
    "pykeops.config": "keops.compat.pykeops.config",
    "pykeops.numpy.utils": "keops.compat.pykeops.numpy.utils",
    "pykeops.torch.utils": "keops.compat.pykeops.torch.utils",
    "pykeops.numpy.operations": "keops.compat.pykeops.numpy.operations",
    "pykeops.torch.operations": "keops.compat.pykeops.torch.operations",
}


class _Missing(importlib.abc.MetaPathFinder):
    """Any other pykeops submodule: a clear ImportError. pykeops' own test
    files (`pykeops.test.*`, no API) are found in the installed pykeops, so
    that its test suite runs against the drop-in."""

    def find_spec(self, name, path=None, target=None):
        if name == "pykeops.test":
            real = importlib.machinery.PathFinder.find_spec("pykeops")
            if real is not None and real.submodule_search_locations:
                return importlib.machinery.PathFinder.find_spec(
                    name, list(real.submodule_search_locations))
        if name.startswith("pykeops.test."):
            return None     # found in pykeops.test's path by the usual finders
        if name.startswith("pykeops.") and name not in MODULES:
            raise ImportError(f"keops-mlir's pykeops drop-in has no module {name!r} "
                              f"(it provides {', '.join(sorted(MODULES))})", name=name)
        return None


def is_active():
    """Whether `pykeops` is keops-mlir's in this process."""
    module = sys.modules.get("pykeops")
    return module is not None and getattr(module, "__keops_mlir__", False)


def as_pykeops():
    """Makes `import pykeops` (and its torch, numpy and cluster modules)
    load keops-mlir in this process. Call it before anything imports
    pykeops; if the real pykeops is already imported, a RuntimeError says
    so (modules holding it would keep using it)."""
    if is_active():
        return
    real = sorted(n for n in sys.modules if n == "pykeops" or n.startswith("pykeops."))
    if real:
        raise RuntimeError("the real pykeops is already imported (" + ", ".join(real[:3])
                           + "): call keops.compat.as_pykeops() before anything imports "
                             "pykeops, or run the program with python -m keops.compat")
    for name, target in MODULES.items():
        sys.modules[name] = importlib.import_module(target)
    if not any(isinstance(f, _Missing) for f in sys.meta_path):
        sys.meta_path.insert(0, _Missing())
