"""KernelSolve: pykeops' solver of (alpha Id + K) a = b for a formula K.

    K_inv = KernelSolve("Exp(-SqDist(x, y)) * a", ["x = Vi(3)", "y = Vj(3)",
                        "a = Vj(2)"], "a", axis=1)
    a = K_inv(x, x, b, alpha=0.1)

`varinvalias` names the unknown: a variable indexed by the reduced axis,
whose argument position takes the right-hand side b. The product K a is the
Genred sum of the formula, compiled once; the conjugate gradient of
keops.linalg solves all columns of b jointly with pykeops' stopping rule.
With torch, the solution is differentiated implicitly: for an output
gradient g, b gets abar = (alpha Id + K)^-1 g and every other input the
gradient of -<abar, K a>, as pykeops does, not through the iterations.
"""

from . import _arrays
from .genred import parse_alias
from .linalg import conjugate_gradient


class KernelSolve:
    """KernelSolve(formula, aliases, varinvalias, axis=0, ...) (see the
    module); the call takes the arguments of the aliases, b in place of the
    unknown, and alpha, eps."""

    _framework = None
    _genred = None      # the framework's Genred class

    def __init__(self, formula, aliases, varinvalias, axis=0, dtype=None, opt_arg=None,
                 cuda_type=None, dtype_acc="auto", use_double_acc=False, sum_scheme="auto",
                 enable_chunks=True, rec_multVar_highdim=None, use_fast_math=True):
        if isinstance(aliases, str):
            aliases = [aliases]
        found = None
        for n, alias in enumerate(aliases):
            name, cat, dim, pos = parse_alias(alias, n)
            if name == varinvalias:
                found = (cat, dim, pos)
        if found is None:
            raise ValueError(f"KernelSolve: varinvalias {varinvalias!r} names none of the "
                             f"aliases {list(aliases)}")
        cat, dim, pos = found
        if cat != axis:
            raise ValueError(f"KernelSolve: the unknown {varinvalias!r} must be indexed by "
                             f"the reduced axis ({'Vj' if axis == 1 else 'Vi'} for "
                             f"axis={axis}), got {'Vi Vj Pm'.split()[cat]}")
        self.formula, self.aliases, self.varinvalias, self.axis = formula, aliases, varinvalias, axis
        self._position, self._dim = pos, dim
        self._red = self._genred(formula, aliases, reduction_op="Sum", axis=axis,
                                 dtype_acc=dtype_acc, use_double_acc=use_double_acc,
                                 sum_scheme=sum_scheme, use_fast_math=use_fast_math)

    def _product(self, args, kwargs):
        """a -> K a, the other arguments fixed."""
        pos = self._position

        def product(a):
            full = list(args)
            full[pos] = a
            return self._red(*full, **kwargs)
        return product

    def __call__(self, *args, backend="auto", device_id=-1, alpha=1e-10, eps=1e-6,
                 ranges=None):
        if alpha < 0:
            raise ValueError(f"KernelSolve: alpha must be non-negative, got {alpha}")
        if len(args) <= self._position:
            raise ValueError(f"KernelSolve: the right-hand side is argument "
                             f"{self._position} ({self.varinvalias!r}); got {len(args)} "
                             "arguments")
        kwargs = {}
        if backend != "auto" or device_id != -1 or ranges is not None:
            kwargs = dict(backend=backend, device_id=device_id, ranges=ranges)
        b = args[self._position]
        if _arrays.framework(b) == "torch":
            import torch
            if torch.is_grad_enabled() and any(
                    isinstance(a, torch.Tensor) and a.requires_grad for a in args):
                return _solve_autograd(self, args, kwargs, alpha, eps)
        product = self._product(args, kwargs)
        return conjugate_gradient(lambda a: product(a) + alpha * a, b, eps)


def _solve_autograd(solver, args, kwargs, alpha, eps):
    import torch

    class Solve(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *inputs):
            with torch.no_grad():
                product = solver._product(inputs, kwargs)
                a = conjugate_gradient(lambda v: product(v) + alpha * v,
                                       inputs[solver._position], eps)
            ctx.save_for_backward(a, *inputs)
            return a

        @staticmethod
        def backward(ctx, grad):
            a, *inputs = ctx.saved_tensors
            with torch.no_grad():
                product = solver._product(inputs, kwargs)
                abar = conjugate_gradient(lambda v: product(v) + alpha * v,
                                          grad.contiguous(), eps)
            grads = [None] * len(inputs)
            pos = solver._position
            grads[pos] = abar
            others = [k for k, t in enumerate(inputs)
                      if k != pos and ctx.needs_input_grad[k]]
            if others:
                with torch.enable_grad():
                    leaves = [t.detach().requires_grad_() if k in others else t.detach()
                              for k, t in enumerate(inputs)]
                    leaves[pos] = a.detach()
                    Ka = solver._product(leaves, kwargs)(a.detach())
                    found = torch.autograd.grad(-(abar * Ka).sum(),
                                                [leaves[k] for k in others],
                                                allow_unused=True)
                for k, g in zip(others, found):
                    grads[k] = g
            return tuple(grads)

    return Solve.apply(*args)
