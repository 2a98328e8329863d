"""keops.numpy under pykeops.numpy's names (see keops.compat)."""

from keops.numpy import (LazyTensor, ComplexLazyTensor, Vi, Vj, Pm, Genred, KernelSolve,  # noqa: F401
                         generic_sum, generic_logsumexp, generic_argmin, generic_argkmin)
from keops.numpy import cluster  # noqa: F401
