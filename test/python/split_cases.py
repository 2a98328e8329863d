"""The reductions that the split tests run (several devices, thread
groups): every kind, on data with a tie across any split of the reduced
axis."""

import numpy as np

ALIASES = ["x = Vi(3)", "y = Vj(3)", "b = Vj(2)"]
# (reduction_op, formula, formula2, K)
CASES = [
    ("Sum", "Exp(-SqDist(x, y)) * b", None, None),
    ("Min_ArgMin", "SqDist(x, y)", None, None),
    ("ArgMax", "x - y", None, None),
    ("KMin_ArgKMin", "SqDist(x, y)", None, 4),
    ("ArgKMin", "SqDist(x, y)", None, 40),
    ("LogSumExp", "-SqDist(x, y)", None, None),
    ("SumSoftMaxWeight", "-SqDist(x, y)", "b", None),
]


def data(m, n, seed):
    """float32 x (m, 3), y (n, 3), b (n, 2), with y[n - 7] = y[3]: a tie
    across blocks, which the smaller index wins."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((m, 3)).astype("float32")
    y = rng.standard_normal((n, 3)).astype("float32")
    b = rng.standard_normal((n, 2)).astype("float32")
    y[n - 7] = y[3]
    return x, y, b


def parts(r):
    """A reduction's result as a tuple of its outputs."""
    return r if isinstance(r, tuple) else (r,)


def differs(got, want, exact=False):
    """Whether two results differ: in shape, in any index, or in values
    (to the bit when `exact`, else beyond 1e-5)."""
    for u, v in zip(parts(got), parts(want)):
        if u.shape != v.shape:
            return True
        if exact or v.dtype.kind == "i":
            if not np.array_equal(u, v):
                return True
        elif not np.allclose(u, v, rtol=1e-5, atol=1e-5):
            return True
    return False
