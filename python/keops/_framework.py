"""The classes of keops.numpy and keops.torch: LazyTensor, Genred and the
generic_* helpers restricted to one array framework, as in pykeops."""

from . import genred as _g
from .complex_lazy_tensor import complex_class
from .kernel_solve import KernelSolve as _KernelSolve
from .lazy_tensor import LazyTensor as _LazyTensor, variables


def make(framework):
    """(LazyTensor, ComplexLazyTensor, Vi, Vj, Pm, Genred, generic_sum,
    generic_logsumexp, generic_argmin, generic_argkmin, KernelSolve) for
    "numpy" or "torch"."""
    arrays = "NumPy arrays" if framework == "numpy" else "torch tensors"

    class LazyTensor(_LazyTensor):
        __doc__ = f"A LazyTensor of {arrays} (see keops.LazyTensor)."
        __slots__ = ()
        _framework = framework

    LazyTensor.__module__ = f"keops.{framework}"
    LazyTensor.__qualname__ = "LazyTensor"
    ComplexLazyTensor = complex_class(LazyTensor)

    Vi, Vj, Pm = variables(LazyTensor)

    class Genred(_g.Genred):
        __doc__ = f"Genred on {arrays} (see keops.Genred)."
        _framework = framework

    Genred.__module__ = f"keops.{framework}"
    Genred.__qualname__ = "Genred"

    def generic(op):
        def fn(formula, output, *aliases, **kwargs):
            return _g._generic(op, formula, output, aliases, kwargs, Genred)
        fn.__name__ = {"Sum": "generic_sum", "LogSumExp": "generic_logsumexp",
                       "ArgMin": "generic_argmin", "ArgKMin": "generic_argkmin"}[op]
        fn.__doc__ = getattr(_g, fn.__name__).__doc__
        return fn

    class KernelSolve(_KernelSolve):
        __doc__ = f"KernelSolve on {arrays} (see keops.kernel_solve)."
        _framework = framework
        _genred = Genred

    KernelSolve.__module__ = f"keops.{framework}"
    KernelSolve.__qualname__ = "KernelSolve"

    return (LazyTensor, ComplexLazyTensor, Vi, Vj, Pm, Genred, generic("Sum"), generic("LogSumExp"),
            generic("ArgMin"), generic("ArgKMin"), KernelSolve)
