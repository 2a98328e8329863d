"""keops-mlir: a compiler and runtime for symbolic matrices and kernel reductions.

    from keops import LazyTensor, Vi, Vj, Pm      # NumPy arrays or torch tensors
    from keops.numpy import LazyTensor, Genred    # as pykeops.numpy
    from keops.torch import LazyTensor, Genred    # as pykeops.torch

A formula of LazyTensors is emitted as the keops MLIR dialect
(`LazyTensor.mlir()`, `emit_mlir`), compiled by the C++ compiler through
the C API (extension module keops._keops) and run on the CPU. The package also
locates the compiled tools and offers the reference interpreter.
"""

from ._tools import tool_path
from . import reference
from .lazy_tensor import LazyTensor, Vi, Vj, Pm, emit_mlir
from .complex_lazy_tensor import complex_class as _complex_class
from .genred import Genred, generic_sum, generic_logsumexp, generic_argmin, generic_argkmin
from ._runtime import (KeopsError, set_num_threads, get_num_threads, gpu_device_count,
                       thread_groups, thread_group)

ComplexLazyTensor = _complex_class(LazyTensor)

__version__ = "0.1.0"
__all__ = ["tool_path", "reference", "__version__", "LazyTensor", "ComplexLazyTensor", "Vi", "Vj", "Pm",
           "emit_mlir", "Genred", "generic_sum", "generic_logsumexp", "generic_argmin",
           "generic_argkmin", "KeopsError", "set_num_threads", "get_num_threads",
           "gpu_device_count", "thread_groups", "thread_group"]
