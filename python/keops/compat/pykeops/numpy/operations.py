"""pykeops.numpy.operations: KernelSolve (keops.numpy's)."""

from keops.numpy import KernelSolve  # noqa: F401
