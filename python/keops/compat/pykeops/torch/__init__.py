"""keops.torch under pykeops.torch's names (see keops.compat)."""

from keops.torch import (LazyTensor, Vi, Vj, Pm, Genred, KernelSolve,  # noqa: F401
                         generic_sum, generic_logsumexp, generic_argmin, generic_argkmin)
from keops.torch import cluster  # noqa: F401

from .._missing import ComplexLazyTensor  # noqa: F401
