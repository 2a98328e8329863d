"""pykeops.config: what users query from it (the backends present, the
cache folder), answered by keops-mlir."""

cpp_available = True


def __getattr__(name):
    from . import _gpu_count, get_build_folder
    if name in ("gpu_available", "use_cuda"):
        return _gpu_count() > 0
    if name == "build_folder":
        return get_build_folder()
    raise AttributeError(f"keops-mlir's pykeops.config has no attribute {name!r}")
