"""The Python package: import, tool lookup, console scripts."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import keops

VENV_BIN = Path(sys.prefix) / "bin"


def test_import():
    assert keops.__version__ == "0.1.0"
    assert callable(keops.tool_path)
    assert callable(keops.reference.evaluate)
    assert issubclass(keops.reference.InterpreterError, ValueError)


@pytest.mark.parametrize("tool", ["keops-opt", "keops-run"])
def test_tool_path_finds_tools(tool):
    path = keops.tool_path(tool)
    assert isinstance(path, Path)
    assert path.name == tool
    assert path.is_file() and os.access(path, os.X_OK)


def test_tool_path_missing_tool():
    with pytest.raises(FileNotFoundError, match="keops-nonexistent not found"):
        keops.tool_path("keops-nonexistent")


def test_tool_path_honours_keops_build_dir(tmp_path, monkeypatch):
    (tmp_path / "bin").mkdir()
    fake = tmp_path / "bin" / "keops-run"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("KEOPS_BUILD_DIR", str(tmp_path))
    assert keops.tool_path("keops-run") == fake


@pytest.mark.parametrize("tool", ["keops-opt", "keops-run"])
def test_console_script_help(tool):
    script = VENV_BIN / tool
    assert script.is_file(), f"{script} is not installed"
    proc = subprocess.run([str(script), "--help"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert f"OVERVIEW: {tool}" in proc.stdout


def test_keops_run_console_script_runs_a_module(tmp_path):
    """The console script forwards its arguments to the compiled tool."""
    module = tmp_path / "m.mlir"
    module.write_text(
        "func.func @f(%x: tensor<?x1xf64>, %y: tensor<?x1xf64>,"
        " %o: tensor<?x1xf64>) -> tensor<?x1xf64> {\n"
        "  %r = keops.reduce sum over j ins(%x : i tensor<?x1xf64>,"
        " %y : j tensor<?x1xf64>) outs(%o : tensor<?x1xf64>) {\n"
        "  ^bb0(%a: vector<1xf64>, %b: vector<1xf64>):\n"
        "    %s = arith.mulf %a, %b : vector<1xf64>\n"
        "    keops.yield %s : vector<1xf64>\n"
        "  } -> tensor<?x1xf64>\n"
        "  return %r : tensor<?x1xf64>\n"
        "}\n")
    import numpy as np
    np.save(tmp_path / "x.npy", np.array([[1.0], [2.0]]))
    np.save(tmp_path / "y.npy", np.array([[3.0], [4.0], [5.0]]))
    np.save(tmp_path / "o.npy", np.zeros((2, 1)))
    proc = subprocess.run(
        [str(VENV_BIN / "keops-run"), str(module), "--quiet",
         "--output-dir", str(tmp_path),
         "--input", f"0={tmp_path / 'x.npy'}", "--input", f"1={tmp_path / 'y.npy'}",
         "--input", f"2={tmp_path / 'o.npy'}"],
        capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = np.load(tmp_path / "out0.npy")
    np.testing.assert_array_equal(out, [[12.0], [24.0]])


def test_public_names():
    for name in ["LazyTensor", "Vi", "Vj", "Pm", "Genred", "generic_sum", "generic_logsumexp",
                 "generic_argmin", "generic_argkmin", "emit_mlir", "KeopsError"]:
        assert hasattr(keops, name), name
    import importlib
    knp = importlib.import_module("keops.numpy")
    kt = importlib.import_module("keops.torch")
    for mod in (knp, kt):
        for name in ["LazyTensor", "Vi", "Vj", "Pm", "Genred", "generic_sum",
                     "generic_logsumexp", "generic_argmin", "generic_argkmin"]:
            assert hasattr(mod, name), (mod.__name__, name)
    assert issubclass(knp.LazyTensor, keops.LazyTensor)
    assert kt.LazyTensor.__module__ == "keops.torch"


def test_import_is_light():
    """`import keops` imports neither torch nor the compiler (libkeops, MLIR
    and LLVM load at the first compilation)."""
    pydir = str(Path(keops.__file__).parents[1])
    code = ("import sys; sys.meta_path[:] = [f for f in sys.meta_path "
            "if not type(f).__module__.startswith('_editable')]; "
            f"sys.path.insert(0, {pydir!r}); import keops; "
            f"assert keops.__file__.startswith({pydir!r}), keops.__file__; "
            "print('torch' in sys.modules, 'keops._keops' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "False"]
