"""The Python examples (examples/python/*.py) run, on small sizes, in this
process (each checks its own results against a dense computation)."""

import runpy
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.usefixtures("keops_cache_dir")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "python"
SIZES = {"gaussian_kernel_sum.py": 500, "block_sparse_gaussian.py": 20000, "nearest_neighbours.py": 2000,
         "kernel_ridge_regression.py": 300, "kmeans.py": 2000, "nudft.py": 4000,
         "jax_kde_modes.py": 2000}


def test_every_example_is_listed():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(SIZES)


@pytest.mark.parametrize("name", sorted(SIZES))
def test_example(name, monkeypatch, capsys):
    pytest.importorskip("torch")
    monkeypatch.setattr(sys, "argv", [name, str(SIZES[name])])
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    out = capsys.readouterr().out
    assert out.strip(), "the example printed nothing"


def test_examples_use_only_the_keops_import():
    """Written as pykeops users write them: the import line is the change
    (JAX examples: keops.jax, which pykeops has no counterpart of)."""
    for path in EXAMPLES.glob("*.py"):
        text = path.read_text()
        if path.name.startswith("jax_"):
            assert "import keops.jax as kj" in text and "keops._" not in text, path.name
            continue
        assert "pykeops: from pykeops." in text, path.name
        assert "import keops\n" not in text and "keops._" not in text, path.name
