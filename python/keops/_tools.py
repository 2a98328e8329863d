"""Locating and launching the compiled tools (keops-opt, keops-run)."""

import os
import sys
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _candidates(name):
    build = os.environ.get("KEOPS_BUILD_DIR")
    if build:
        yield Path(build) / "bin" / name
    # A wheel install carries the tools in the package.
    yield _PACKAGE / "bin" / name
    # An editable install runs them from the CMake build directory.
    yield _PACKAGE.parent.parent / "build" / "bin" / name


def tool_path(name):
    """The path of the compiled tool `name`; raises FileNotFoundError."""
    for path in _candidates(name):
        if path.is_file() and os.access(path, os.X_OK):
            return path
    raise FileNotFoundError(
        f"{name} not found (looked in: "
        + ", ".join(str(p.parent) for p in _candidates(name))
        + "); build the project with `make setup`"
    )


def _exec(name):
    path = str(tool_path(name))
    os.execv(path, [path] + sys.argv[1:])


def keops_opt():
    _exec("keops-opt")


def keops_run():
    _exec("keops-run")


def keops_compile():
    _exec("keops-compile")
