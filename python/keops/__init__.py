"""keops-mlir: a compiler and runtime for symbolic matrices and kernel reductions.

The compiler itself is C++ (the keops MLIR dialect and its tools); this package
locates the tools and offers the reference interpreter to Python code.
"""

from ._tools import tool_path
from . import reference

__version__ = "0.1.0"
__all__ = ["tool_path", "reference", "__version__"]
