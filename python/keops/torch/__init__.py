"""keops-mlir on torch tensors, with pykeops.torch's names:

    from keops.torch import LazyTensor, Vi, Vj, Pm, Genred

Results are torch tensors, on the device of the inputs (CUDA tensors run on
the GPU backend). Reductions run through a torch.autograd.Function
(keops._autograd) whose gradients are the compiler's gradient reductions.
"""

import torch as _torch  # noqa: F401  (torch tensors are recognized once imported)

from .._framework import make as _make

(LazyTensor, ComplexLazyTensor, Vi, Vj, Pm, Genred, generic_sum, generic_logsumexp, generic_argmin,
 generic_argkmin, KernelSolve) = _make("torch")

__all__ = ["LazyTensor", "ComplexLazyTensor", "Vi", "Vj", "Pm", "Genred", "generic_sum", "generic_logsumexp",
           "generic_argmin", "generic_argkmin", "KernelSolve"]
