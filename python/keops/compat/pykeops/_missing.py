"""pykeops names that keops-mlir does not have yet: using them raises
NotImplementedError saying so."""


class ComplexLazyTensor:
    """pykeops' complex LazyTensor: not supported by keops-mlir yet."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError("ComplexLazyTensor: complex LazyTensors are not "
                                  "supported by keops-mlir yet (real ones are)")
