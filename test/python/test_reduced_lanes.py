"""Few kept rows: with fewer kept rows than half a tile of the row loop
(16 for f32; 8 where the pairs cost little: sums and K-lists of formulas
without elementary functions), the CPU kernels put consecutive reduced
indices in the vector lanes instead of kept rows
(KeopsToSCF/ReducedLanes.cpp), merge the lanes' states in order and fold
the last indices term by term. Every kind
against float64 NumPy with the documented conventions (ties to the
smallest index, NaN after everything for min and max, -inf terms adding
nothing), and against the row loop itself: the same rows computed in a
call with 16 more rows (which takes the row loop) give the same indices,
and values within an ulp (extrema) or the accumulation error (sums)."""

import numpy as np
import pytest
import torch

import keops
from keops import Genred

pytestmark = pytest.mark.usefixtures("keops_cache_dir")

EXTRA = 16  # rows that make a call take the row loop


def kinds():
    return [
        ("Sum", "Exp(-SqDist(x, y)) * b", None, None),
        ("Min", "SqDist(x, y)", None, None),
        ("Max", "x - y", None, None),
        ("ArgMin", "SqDist(x, y)", None, None),
        ("ArgMax", "x - y", None, None),
        ("Min_ArgMin", "SqDist(x, y)", None, None),
        ("Max_ArgMax", "-SqDist(x, y)", None, None),
        ("KMin", "SqDist(x, y)", None, 3),
        ("ArgKMin", "SqDist(x, y)", None, 10),
        ("KMin_ArgKMin", "x - y", None, 4),
        ("LogSumExp", "-SqDist(x, y)", None, None),
        ("SumSoftMaxWeight", "-SqDist(x, y)", "b", None),
    ]


def genred(op, formula, formula2, k, dtype="float32", **kw):
    return Genred(formula, ["x = Vi(3)", "y = Vj(3)", "b = Vj(2)"], reduction_op=op,
                  axis=1, opt_arg=k, formula2=formula2, dtype=dtype, **kw)


def as_tuple(r):
    return r if isinstance(r, tuple) else (r,)


def row_loop(g, x, y, b):
    """The rows of x computed in a call that takes the row loop."""
    pad = np.full((EXTRA, x.shape[1]), 0.5, x.dtype)
    return tuple(r[:len(x)] for r in as_tuple(g(np.concatenate([x, pad]), y, b)))


def same_as_row_loop(got, want, op, rtol=2e-5):
    # (The paths may round a formula's value differently by an ulp: its
    # feature sums are vectorized apart.)
    for u, v in zip(as_tuple(got), want):
        assert u.shape == v.shape and u.dtype == v.dtype
        if v.dtype.kind == "i":
            np.testing.assert_array_equal(u, v, err_msg=op)
        else:
            np.testing.assert_allclose(u, v, rtol=rtol, atol=1e-6, err_msg=op)


def order_keys(v, largest):
    """Sort keys of a min (or max): NaN last, then by value, then index."""
    n = v.shape[-1]
    idx = np.broadcast_to(np.arange(n), v.shape)
    return np.lexsort((idx, -v if largest else v, np.isnan(v)), axis=-1)


def numpy_reference(op, x, y, b, k):
    x, y, b = (a.astype(np.float64) for a in (x, y, b))
    sq = ((x[:, None] - y[None]) ** 2).sum(-1)                    # M x N
    diff = np.moveaxis(x[:, None] - y[None], -1, 1)             # M x 3 x N
    if op == "Sum":
        return (np.exp(-sq) @ b,)
    if op == "LogSumExp":
        m = (-sq).max(1, keepdims=True)
        return (m + np.log(np.exp(-sq - m).sum(1, keepdims=True)),)
    if op == "SumSoftMaxWeight":
        w = np.exp(-sq - (-sq).max(1, keepdims=True))
        return ((w @ b) / w.sum(1, keepdims=True),)
    vals = {"Min": sq, "ArgMin": sq, "Min_ArgMin": sq, "KMin": sq, "ArgKMin": sq,
            "Max": diff, "ArgMax": diff, "Max_ArgMax": -sq, "KMin_ArgKMin": diff}[op]
    largest = op.startswith(("Max", "ArgMax"))
    order = order_keys(vals, largest)
    picked = np.take_along_axis(vals, order, -1)
    if op in ("Min", "ArgMin", "Min_ArgMin", "Max_ArgMax"):
        v, i = picked[:, :1], order[:, :1]
    elif op in ("Max", "ArgMax"):
        v, i = picked[:, :, 0], order[:, :, 0]
    elif op in ("KMin", "ArgKMin"):
        v, i = picked[:, :k], order[:, :k]
    else:  # KMin_ArgKMin of x - y: M x K x 3
        v = np.swapaxes(picked[:, :, :k], 1, 2)
        i = np.swapaxes(order[:, :, :k], 1, 2)
    return {"Min": (v,), "Max": (v,), "KMin": (v,), "ArgMin": (i,), "ArgMax": (i,),
            "ArgKMin": (i,)}.get(op, (v, i))


def data(m, n, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed + 100 * m + n)
    x = rng.standard_normal((m, 3)).astype(dtype)
    y = rng.standard_normal((n, 3)).astype(dtype)
    b = rng.standard_normal((n, 2)).astype(dtype)
    return x, y, b


@pytest.fixture
def one_thread():
    # The split over threads (partial states) is tested apart below.
    keops.set_num_threads(1)
    yield
    keops.set_num_threads(0)


@pytest.mark.parametrize("op,formula,formula2,k", kinds())
@pytest.mark.parametrize("m", [1, 5, 7, 15])
@pytest.mark.parametrize("n", [1, 7, 16, 17, 45, 1000])
def test_every_kind(one_thread, op, formula, formula2, k, m, n):
    if k and k > n:
        pytest.skip("K larger than the reduced axis")
    x, y, b = data(m, n)
    g = genred(op, formula, formula2, k)
    got = g(x, y, b)
    for u, v in zip(as_tuple(got), numpy_reference(op, x, y, b, k)):
        if u.dtype.kind == "i":
            np.testing.assert_array_equal(u, v, err_msg=op)
        else:
            np.testing.assert_allclose(u, v, rtol=2e-5, atol=2e-6, err_msg=op)
    same_as_row_loop(got, row_loop(g, x, y, b), op)


@pytest.mark.parametrize("op", ["ArgMin", "Min_ArgMin", "ArgKMin", "KMin_ArgKMin",
                                "Max_ArgMax"])
def test_ties_across_lanes_go_to_the_smallest_index(one_thread, op):
    # Equal values in the same lane (3, 19, 35: 16 apart), in other lanes
    # (2, 5) and in the last indices (40 > 32, folded term by term).
    x, y, b = data(4, 41)
    for j in (19, 35, 5, 40):
        y[j] = y[3]
    y[2] = y[3]
    x[0] = y[3]
    x[1] = y[40]
    formula = "-SqDist(x, y)" if op == "Max_ArgMax" else "SqDist(x, y)"
    g = genred(op, formula, None, 4 if "K" in op else None)
    got = as_tuple(g(x, y, b))
    idx = got[-1]
    want = [2, 3, 5, 19] if "K" in op else [2]
    assert list(idx[0, :len(want)]) == want and list(idx[1, :len(want)]) == want
    same_as_row_loop(got, row_loop(g, x, y, b), op)


@pytest.mark.parametrize("op,formula,formula2,k", kinds())
def test_nan_and_infinite_terms(one_thread, op, formula, formula2, k):
    # NaN coordinates in some lanes, infinite ones in others: the same
    # conventions as the row loop.
    x, y, b = data(3, 50)
    y[[1, 17, 33]] = np.nan
    y[[4, 20]] = np.inf
    y[45:] = -np.inf
    x[2] = np.nan
    g = genred(op, formula, formula2, k)
    got = g(x, y, b)
    want = row_loop(g, x, y, b)
    for u, v in zip(as_tuple(got), want):
        np.testing.assert_array_equal(np.isnan(u), np.isnan(v), err_msg=op)
        np.testing.assert_allclose(u, v, rtol=2e-5, atol=1e-6, err_msg=op)


@pytest.mark.parametrize("scheme", ["direct_sum", "block_sum", "kahan_scheme"])
@pytest.mark.parametrize("n", [5, 5000])
def test_sum_schemes(one_thread, scheme, n):
    # 5000 indices: a block sum's partial sums of 256 terms a lane, flushed.
    x, y, b = data(3, n)
    g = genred("Sum", "Exp(-SqDist(x, y)) * b", None, None, sum_scheme=scheme)
    got = g(x, y, b)
    np.testing.assert_allclose(got, numpy_reference("Sum", x, y, b, None)[0], rtol=2e-5,
                               atol=2e-6)
    same_as_row_loop(got, row_loop(g, x, y, b), "Sum")


def test_float64_and_float64_accumulation(one_thread):
    x, y, b = data(2, 333, np.float64)
    g = genred("Sum", "Exp(-SqDist(x, y)) * b", None, None, dtype="float64")
    np.testing.assert_allclose(g(x, y, b), numpy_reference("Sum", x, y, b, None)[0],
                               rtol=1e-12, atol=1e-14)
    x, y, b = data(2, 333)
    g = genred("Sum", "Exp(-SqDist(x, y)) * b", None, None, dtype_acc="float64")
    np.testing.assert_allclose(g(x, y, b), numpy_reference("Sum", x, y, b, None)[0],
                               rtol=1e-6, atol=1e-7)


def test_parameters_and_row_values(one_thread):
    # A parameter, values of the kept row alone (|x_i|^2, computed once a
    # row) and of the reduced side alone (exp(b_j), widened).
    x, y, b = data(3, 77)
    p = np.array([0.7, -0.2], np.float32)
    g = Genred("Exp(-p0 * SqNorm2(x) - SqDist(x, y)) * Exp(b) * p",
               ["x = Vi(3)", "y = Vj(3)", "b = Vj(2)", "p = Pm(2)", "p0 = Pm(1)"],
               axis=1)
    got = g(x, y, b, p, np.array([0.3], np.float32))
    x64, y64, b64 = (a.astype(np.float64) for a in (x, y, b))
    sq = ((x64[:, None] - y64[None]) ** 2).sum(-1)
    want = np.exp(-0.3 * (x64 ** 2).sum(1)[:, None] - sq) @ (np.exp(b64) * p)
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6)


def test_reduction_over_i(one_thread):
    # Over i, the kept rows are y's: 3 of them against 1000 rows of x.
    x, y, _ = data(1000, 3)
    got = Genred("SqDist(x, y)", ["x = Vi(3)", "y = Vj(3)"], reduction_op="ArgKMin",
                 axis=0, opt_arg=5)(x, y)
    sq = ((x.astype(np.float64)[:, None] - y[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(got, np.argsort(sq.T, axis=1, kind="stable")[:, :5])


def test_split_over_threads():
    # Few rows, many reduced indices: tasks over blocks of the reduced axis
    # write partial states (from the lanes' merged states), merged in order.
    x, y, b = data(3, 300_000)
    y[250_000] = y[7]
    x[0] = y[7]
    keops.set_num_threads(2)
    try:
        for op, formula, formula2, k in kinds():
            g = genred(op, formula, formula2, k)
            g(x, y, b)                     # compiles; the second call splits
            split = g(x, y, b)
            keops.set_num_threads(1)
            one = g(x, y, b)
            keops.set_num_threads(2)
            same_as_row_loop(split, as_tuple(one), op, rtol=1e-4)
            if op == "Min_ArgMin":
                assert split[1][0, 0] == 7
    finally:
        keops.set_num_threads(0)


@pytest.mark.parametrize("kept", ["x", "y"])
def test_gradient_through_min(one_thread, kept):
    # The gradient selects the argmin's term: with lanes of reduced indices,
    # the index compared is the lane's (kept = x: 3 rows against 60) or the
    # kept row's (kept = y: the gradient wrt y reduces over i, 3 rows of y).
    rng = np.random.default_rng(9)
    m, n = (3, 60) if kept == "x" else (60, 3)
    x = torch.tensor(rng.standard_normal((m, 3)), requires_grad=True)
    y = torch.tensor(rng.standard_normal((n, 3)), requires_grad=True)
    e = torch.tensor(rng.standard_normal((m, 1)))
    d = ((keops.Vi(x) - keops.Vj(y)) ** 2).sum(-1)
    gx, gy = torch.autograd.grad((d.min(dim=1) * e).sum(), (x, y))
    dense = ((x[:, None] - y[None]) ** 2).sum(-1).min(dim=1).values[:, None]
    wx, wy = torch.autograd.grad((dense * e).sum(), (x, y))
    torch.testing.assert_close(gx, wx, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(gy, wy, rtol=1e-12, atol=1e-12)


def test_empty_reduced_axis(one_thread):
    x, _, _ = data(3, 1)
    y = np.zeros((0, 3), np.float32)
    b = np.zeros((0, 2), np.float32)
    for op, formula, formula2, k in [("Sum", "Exp(-SqDist(x, y)) * b", None, None),
                                     ("LogSumExp", "-SqDist(x, y)", None, None)]:
        g = genred(op, formula, formula2, k)
        got = g(x, y, b)
        want = np.zeros((3, 2)) if op == "Sum" else np.full((3, 1), -np.inf)
        np.testing.assert_array_equal(got, want)


def test_batches_of_few_rows(one_thread):
    # Each batch's reduced rows are a view at an offset of one array: read
    # as whole vectors like a whole array's.
    from keops.numpy import LazyTensor
    rng = np.random.default_rng(11)
    x = rng.standard_normal((3, 2, 1, 3)).astype(np.float32)
    y = rng.standard_normal((3, 1, 1001, 3)).astype(np.float32)
    d = ((LazyTensor(x) - LazyTensor(y)) ** 2).sum(-1)
    dense = ((x.astype(np.float64) - y) ** 2).sum(-1)
    np.testing.assert_allclose((-d).exp().sum(axis=2), np.exp(-dense).sum(2)[..., None],
                               rtol=2e-5)
    np.testing.assert_array_equal(d.argmin(axis=2)[..., 0], dense.argmin(2))
