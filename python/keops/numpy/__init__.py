"""keops-mlir on NumPy arrays, with pykeops.numpy's names:

    from keops.numpy import LazyTensor, Vi, Vj, Pm, Genred
"""

from .._framework import make as _make

(LazyTensor, ComplexLazyTensor, Vi, Vj, Pm, Genred, generic_sum, generic_logsumexp, generic_argmin,
 generic_argkmin, KernelSolve) = _make("numpy")

__all__ = ["LazyTensor", "ComplexLazyTensor", "Vi", "Vj", "Pm", "Genred", "generic_sum", "generic_logsumexp",
           "generic_argmin", "generic_argkmin", "KernelSolve"]
