"""keops.numpy under pykeops.numpy's names (see keops.compat)."""

from keops.numpy import (LazyTensor, Vi, Vj, Pm, Genred, KernelSolve,  # noqa: F401
                         generic_sum, generic_logsumexp, generic_argmin, generic_argkmin)
from keops.numpy import cluster  # noqa: F401

from .._missing import ComplexLazyTensor  # noqa: F401
