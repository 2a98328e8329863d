"""Few kept rows, many reduced ones: the CPU runtime spreads the reduced
axis over its threads (lib/Runtime/SplitReduced.cpp), the Python frontend
compiling such calls with partial states. Every kind against the same call
on one thread (which does not split): the same indices and min/max values,
sums within the accumulation error, and the smallest index on ties across
blocks."""

import numpy as np
import pytest
import torch

import keops
from keops import Genred
from keops import reductions
from keops._runtime import extension

pytestmark = pytest.mark.usefixtures("keops_cache_dir")

N = 300_000
CASES = [
    ("Sum", "Exp(-SqDist(x, y)) * b", None, None),
    ("Min_ArgMin", "SqDist(x, y)", None, None),
    ("Max", "-SqDist(x, y)", None, None),
    ("ArgMax", "x - y", None, None),
    ("KMin_ArgKMin", "SqDist(x, y)", None, 5),
    ("LogSumExp", "-SqDist(x, y)", None, None),
    ("SumSoftMaxWeight", "-SqDist(x, y)", "b", None),
]


@pytest.fixture
def threads():
    keops.set_num_threads(4)
    yield 4
    keops.set_num_threads(0)


def test_the_split_rule(threads):
    parts = extension().reduced_axis_parts
    # 4 threads: one chunk of rows (up to 64) leaves three idle.
    assert parts(10, N) == 16          # 4 tasks a thread
    assert parts(100, N) == 8          # 2 chunks of rows, 8 blocks each
    assert parts(256, N) == 1          # 4 chunks of rows: no split
    assert parts(10, 5000) == 1        # too little work a block
    assert parts(0, N) == 1
    keops.set_num_threads(1)
    assert parts(10, N) == 1


def both(call):
    keops.set_num_threads(4)
    call()            # (the first call of a short reduction does not split)
    split = call()
    keops.set_num_threads(1)
    one = call()
    keops.set_num_threads(4)
    return split, one


def check(split, one, op):
    for u, v in zip(split if isinstance(split, tuple) else (split,),
                    one if isinstance(one, tuple) else (one,)):
        assert u.shape == v.shape and u.dtype == v.dtype
        if v.dtype.kind == "i" or op.startswith(("Min", "Max", "KMin", "ArgMax")):
            np.testing.assert_array_equal(u, v, err_msg=op)
        else:
            np.testing.assert_allclose(u, v, rtol=2e-4, atol=1e-5, err_msg=op)


@pytest.mark.parametrize("op,formula,formula2,k", CASES)
@pytest.mark.parametrize("m", [1, 10, 70])
def test_every_kind_few_rows_over_j(threads, op, formula, formula2, k, m):
    rng = np.random.default_rng(m)
    x = rng.standard_normal((m, 3)).astype("float32")
    y = rng.standard_normal((N, 3)).astype("float32")
    b = rng.standard_normal((N, 2)).astype("float32")
    # Ties across blocks: y_3 again at 250,000, and x_0 on it.
    y[250_000] = y[3]
    x[0] = y[3]
    g = Genred(formula, ["x = Vi(3)", "y = Vj(3)", "b = Vj(2)"], reduction_op=op, axis=1,
               opt_arg=k, formula2=formula2)
    split, one = both(lambda: g(x, y, b))
    check(split, one, op)
    if op == "Min_ArgMin":
        assert split[1][0, 0] == 3
    if op == "KMin_ArgKMin":
        assert list(split[1][0, :2]) == [3, 250_000]
    # The second call compiled a plan with partial states (and split).
    assert any(key[0] == g._reduction._collected[2] and dict(key[5]).get("partial_states")
               for key in reductions._PLANS)


def test_few_rows_over_i_and_float64_and_torch(threads):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((N, 2))
    y = rng.standard_normal((20, 2))
    g = Genred("SqDist(x, y)", ["x = Vi(2)", "y = Vj(2)"], reduction_op="ArgMin", axis=0)
    split, one = both(lambda: g(x, y))
    np.testing.assert_array_equal(split, one)
    nearest = np.argmin(((y[:, None, :] - x[None, :, :]) ** 2).sum(-1), axis=1)
    np.testing.assert_array_equal(split[:, 0], nearest)
    # LazyTensor syntax, torch tensors.
    tx, ty = torch.tensor(x[:5]), torch.tensor(x)
    lse = lambda: (-((keops.Vi(tx) - keops.Vj(ty)) ** 2).sum(-1)).logsumexp(dim=1)  # noqa: E731
    split, one = both(lse)
    want = torch.logsumexp(-((tx[:, None] - ty[None]) ** 2).sum(-1), dim=1, keepdim=True)
    torch.testing.assert_close(split, want, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(one, want, rtol=1e-10, atol=1e-10)


def test_gradient_through_a_split_sum(threads):
    rng = np.random.default_rng(4)
    x = torch.tensor(rng.standard_normal((10, 3)), requires_grad=True)
    y = torch.tensor(rng.standard_normal((N, 3)))
    s = (-((keops.Vi(x) - keops.Vj(y)) ** 2).sum(-1)).exp().sum(dim=1)
    grad, = torch.autograd.grad(s.sum(), x)
    xr = x.detach().requires_grad_()
    sr = torch.exp(-((xr[:, None] - y[None]) ** 2).sum(-1)).sum(1)
    want, = torch.autograd.grad(sr.sum(), xr)
    torch.testing.assert_close(s[:, 0], sr, rtol=1e-12, atol=1e-10)
    torch.testing.assert_close(grad, want, rtol=1e-12, atol=1e-10)


def test_first_call_of_a_short_reduction_does_not_split(threads):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((3, 2)).astype("float32")
    y = rng.standard_normal((200_000, 2)).astype("float32")
    g = Genred("SqDist(x, y) * 1.25", ["x = Vi(2)", "y = Vj(2)"], reduction_op="Min", axis=1)
    states = lambda: sum(dict(key[5]).get("partial_states", False)  # noqa: E731
                         for key in reductions._PLANS)
    before = states()
    first = g(x, y)
    assert states() == before            # compiled without partial states
    second = g(x, y)
    assert states() == before + 1        # the second call: split
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(first[:, 0], ((x[:, None] - y[None]) ** 2).sum(-1).min(1) * 1.25,
                               rtol=1e-5)
