"""keops.torch under pykeops.torch's names (see keops.compat)."""

from keops.torch import (LazyTensor, ComplexLazyTensor, Vi, Vj, Pm, Genred, KernelSolve,  # noqa: F401
                         generic_sum, generic_logsumexp, generic_argmin, generic_argkmin)
from keops.torch import cluster  # noqa: F401
