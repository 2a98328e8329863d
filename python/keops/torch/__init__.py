"""keops-mlir on torch tensors, with pykeops.torch's names:

    from keops.torch import LazyTensor, Vi, Vj, Pm, Genred

Results are torch tensors (CPU only: there is no GPU backend yet). Reductions
run through a torch.autograd.Function (keops._autograd); gradients are not
available yet.
"""

import torch as _torch  # noqa: F401  (torch tensors are recognized once imported)

from .._framework import make as _make

(LazyTensor, Vi, Vj, Pm, Genred, generic_sum, generic_logsumexp, generic_argmin,
 generic_argkmin) = _make("torch")

__all__ = ["LazyTensor", "Vi", "Vj", "Pm", "Genred", "generic_sum", "generic_logsumexp",
           "generic_argmin", "generic_argkmin"]
