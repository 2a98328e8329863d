"""pykeops.torch.operations: KernelSolve (keops.torch's)."""

from keops.torch import KernelSolve  # noqa: F401
