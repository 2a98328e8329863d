"""Partial reductions (keops.distributed.states): every reduction kind split
over chunks of its reduced axis, the states merged in any order and
grouping, against the reduction in one call."""

import pickle

import numpy as np
import pytest

from keops import Genred
from keops.distributed import ReductionState, layout, merge_all

pytestmark = pytest.mark.usefixtures("keops_cache_dir")

rng = np.random.default_rng(11)
M, N, D = 37, 101, 3
X = rng.standard_normal((M, D))
Y = rng.standard_normal((N, D))
B = rng.standard_normal((N, 2))
# Ties: rows of Y repeated far apart, so that argmin must pick the smaller
# index across chunks.
Y[77] = Y[5]
Y[90] = Y[12]

ALIASES = ["x = Vi(3)", "y = Vj(3)", "b = Vj(2)"]
# (reduction_op, formula, formula2, K)
CASES = [
    ("Sum", "Exp(-SqDist(x, y)) * b", None, None),
    ("Min", "SqDist(x, y)", None, None),
    ("Max", "x * y", None, None),
    ("ArgMin", "SqDist(x, y)", None, None),
    ("ArgMax", "x * y", None, None),
    ("Min_ArgMin", "SqDist(x, y)", None, None),
    ("Max_ArgMax", "x - y", None, None),
    ("KMin", "SqDist(x, y)", None, 4),
    ("ArgKMin", "x - y", None, 3),
    ("KMin_ArgKMin", "SqDist(x, y)", None, 20),
    ("KMin_ArgKMin", "SqDist(x, y)", None, 40),
    ("LogSumExp", "-SqDist(x, y)", None, None),
    ("LogSumExpWeight", "-SqDist(x, y)", "Exp(b)", None),
    ("SumSoftMaxWeight", "-SqDist(x, y)", "b", None),
]
EXACT = {"Min", "Max", "ArgMin", "ArgMax", "Min_ArgMin", "Max_ArgMax", "KMin", "ArgKMin",
         "KMin_ArgKMin"}


def genred(op, formula, formula2, k, axis=1, **kwargs):
    return Genred(formula, ALIASES, reduction_op=op, axis=axis, opt_arg=k, formula2=formula2,
                  **kwargs)


def parts(result):
    return result if isinstance(result, tuple) else (result,)


def check(op, got, want, dtype="float64"):
    tol = 1e-12 if dtype == "float64" else 2e-5
    for g, w in zip(parts(got), parts(want)):
        if op in EXACT:
            np.testing.assert_array_equal(g, w)
        else:
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


def chunks(n, count, r):
    """`count` consecutive chunks of [0, n), some of them empty."""
    cuts = np.sort(np.concatenate([[0, n], r.integers(0, n + 1, count - 1)]))
    return list(zip(cuts[:-1], cuts[1:]))


@pytest.mark.parametrize("count", [2, 3, 7])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[3]}")
def test_chunks_of_j_merge_to_the_whole(case, count):
    op, formula, formula2, k = case
    g = genred(op, formula, formula2, k)
    want = g(X, Y, B)
    r = np.random.default_rng(count)
    cut = chunks(N, count, r)
    if count == 3:
        cut = [(0, 0)] + cut[:-1] + [(cut[-1][0], N)]   # an empty first chunk too
    states = [g.partial(X, Y[a:b], B[a:b], first=int(a)) for a, b in cut]
    # Any order and grouping: shuffled, merged as a tree.
    order = r.permutation(len(states))
    check(op, merge_all([states[n] for n in order]).finalize(), want)
    # One after the other, into a running state.
    state = states[-1]
    for other in states[-2::-1]:
        state = other.merge(state)
    check(op, state.finalize(), want)


@pytest.mark.parametrize("k", [1, 2, 5, 10, 16, 17])
def test_kmin_merges_with_nans_ties_and_empty_slots(k):
    """K-min states merged (a bitonic merge of the two sorted lists) give the
    one-call result exactly, with NaN values (sqrt of negatives: after the
    numbers, by index), ties across chunks, and chunks of fewer than K
    indices (empty slots)."""
    g = genred("KMin_ArgKMin", "Sqrt(x - y - 2)", None, k)
    want = g(X, Y, B)
    # About 8 % of the values are numbers: lists end with NaNs, some rows
    # have no number at all.
    assert np.isnan(want[0]).any() and np.isfinite(want[0]).any()
    r = np.random.default_rng(k)
    cut = chunks(N, 7, r) + [(N, N)]
    states = [g.partial(X, Y[a:b], B[a:b], first=int(a)) for a, b in cut]
    order = r.permutation(len(states))
    got = merge_all([states[n] for n in order]).finalize()
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_array_equal(got[0], want[0])


@pytest.mark.parametrize("case", CASES[:2] + CASES[5:6] + CASES[8:9] + CASES[11:],
                         ids=lambda c: c[0])
def test_chunks_of_i_in_a_reduction_over_i(case):
    op, formula, formula2, k = case
    aliases = ["x = Vj(3)", "y = Vi(3)", "b = Vi(2)"]
    g = Genred(formula, aliases, reduction_op=op, axis=0, opt_arg=k, formula2=formula2)
    want = g(X, Y, B)
    states = [g.partial(X, Y[a:b], B[a:b], first=int(a))
              for a, b in [(0, 40), (40, 41), (41, N)]]
    check(op, merge_all(states[::-1]).finalize(), want)


def test_float32_torch_and_the_state_layout():
    torch = pytest.importorskip("torch")
    g = genred("SumSoftMaxWeight", "-SqDist(x, y)", "b", None)
    x, y, b = (torch.tensor(a, dtype=torch.float32) for a in (X, Y, B))
    a = g.partial(x, y[:50], b[:50], first=0)
    c = g.partial(x, y[50:], b[50:], first=50)
    assert isinstance(a.arrays[0], torch.Tensor)
    assert [tuple(t.shape) for t in a.arrays] == [(M, 1), (M, 1), (M, 2)]
    assert layout("sumsoftmaxweight")[0] == "running maximum m"
    # The running maximum of the rows seen: max_j f.
    f = -((x[:, None] - y[None, :50]) ** 2).sum(-1)
    torch.testing.assert_close(a.arrays[0][:, 0], f.max(1).values)
    check("SumSoftMaxWeight", a.merge(c).finalize().numpy(), g(x, y, b).numpy(), "float32")


def test_batches():
    g = genred("ArgKMin", "SqDist(x, y)", None, 5)
    xb, yb = rng.standard_normal((2, M, D)), rng.standard_normal((2, N, D))
    bb = rng.standard_normal((2, N, 2))
    want = g(xb, yb, bb)
    a = g.partial(xb, yb[:, :60], bb[:, :60], first=0)
    c = g.partial(xb, yb[:, 60:], bb[:, 60:], first=60)
    assert a.arrays[0].shape == (2, M, 5 * 1)
    np.testing.assert_array_equal(c.merge(a).finalize(), want)


def test_empty_states_finalize_to_the_empty_reduction():
    for op, formula, formula2, k in CASES[:2] + CASES[3:4]:
        g = genred(op, formula, formula2, k)
        state = g.partial(X, Y[:0], B[:0], first=0)
        out = state.finalize()
        want = {"Sum": 0.0, "Min": np.inf, "ArgMin": -1}[op]
        assert np.all(out == want), (op, out)


def test_states_are_picklable():
    g = genred("KMin_ArgKMin", "SqDist(x, y)", None, 4)
    a = g.partial(X, Y[:50], B[:50], first=0)
    c = pickle.loads(pickle.dumps(g.partial(X, Y[50:], B[50:], first=50)))
    assert isinstance(c, ReductionState)
    check("KMin_ArgKMin", a.merge(c).finalize(), g(X, Y, B))


def test_f64_accumulation_option():
    g = genred("Sum", "Exp(-SqDist(x, y)) * b", None, None, dtype_acc="float64")
    x, y, b = (a.astype("float32") for a in (X, Y, B))
    state = g.partial(x, y[:30], b[:30]).merge(g.partial(x, y[30:], b[30:], first=30))
    np.testing.assert_allclose(state.finalize(), g(x, y, b), rtol=1e-5, atol=1e-6)


def test_states_of_another_reduction_are_rejected():
    g = genred("LogSumExp", "-SqDist(x, y)", None, None)
    h = genred("Max", "-SqDist(x, y)", None, None)
    a = g.partial(X, Y, B)
    with pytest.raises(ValueError, match="different reductions .*logsumexp state with a max"):
        a.merge(h.partial(X, Y, B))
    other = genred("LogSumExp", "-SqDist(x, y) * 2", None, None)
    with pytest.raises(ValueError, match="of another formula, dtype or options"):
        a.merge(other.partial(X, Y, B))
    with pytest.raises(ValueError, match="of another formula, dtype or options"):
        a.merge(g.partial(*(v.astype("float32") for v in (X, Y, B))))
    with pytest.raises(ValueError, match="different shapes"):
        a.merge(g.partial(X[:5], Y, B))
    with pytest.raises(TypeError, match="cannot merge a reduction state with ndarray"):
        a.merge(a.arrays[0])


def test_bad_partial_calls():
    g = genred("Sum", "x * y", None, None)
    with pytest.raises(ValueError, match="first must be an integer >= 0, got -1"):
        g.partial(X, Y, B, first=-1)
    raw = Genred("SqDist(x, y)", ALIASES, reduction_op="Max_SumShiftExp", axis=1)
    with pytest.raises(ValueError, match="has no partial states"):
        raw.partial(X, Y, B)
    with pytest.raises(ValueError, match="takes 3 arguments"):
        g.partial(X, Y)


def test_runtime_errors_of_state_kernels():
    from keops._runtime import KeopsError, compile_mlir
    g = genred("ArgMin", "SqDist(x, y)", None, None)
    mlir = g.mlir("float64")
    kernel = compile_mlir(mlir).kernels[0]
    state = np.zeros((M, 1)), np.zeros((M, 1), dtype=np.int64)
    with pytest.raises(KeopsError, match="has no partial-state kernels: compile the module "
                                         "with partial states"):
        kernel.merge_states(list(state), list(state), list(state), M)
    kernel = compile_mlir(mlir, partial_states=True).kernels[0]
    assert kernel.state_widths == [1, 1] and kernel.state_is_index == [False, True]
    with pytest.raises(KeopsError, match="keops_merge_states: state array #1 is a null pointer"):
        kernel.merge_states([state[0].ctypes.data, 0], list(state), list(state), M)
    with pytest.raises(KeopsError, match="keops_run_partial: the first reduced index must be "
                                         ">= 0, got -3"):
        kernel.run_partial([X, Y, B], list(state), M, N, -3)
    with pytest.raises(KeopsError, match="keops_finalize_states: the number of rows must be "
                                         ">= 0"):
        kernel.finalize_states(list(state), [np.zeros((M, 1), dtype=np.int64)], -1)


def test_block_sparse_ranges_index_the_rows_given():
    g = genred("Min_ArgMin", "SqDist(x, y)", None, None)
    i32 = lambda a: np.array(a, dtype=np.int32)  # noqa: E731
    # Rows [0, 20) of x read y[0:50), rows [20, 37) read y[30:101).
    ranges = (i32([[0, 20], [20, M]]), i32([1, 2]), i32([[0, 50], [30, N]]),
              i32([[0, 50], [30, N]]), i32([1, 2]), i32([[0, 20], [20, M]]))
    want = g(X, Y, B, ranges=ranges)
    whole = g.partial(X, Y, B, ranges=ranges).finalize()
    for got, w in zip(whole, want):
        np.testing.assert_array_equal(got, w)
    # The same pairs in two calls on y[:60] and y[60:], their intervals in
    # the rows each call is given.
    first = (i32([[0, 20], [20, M]]), i32([1, 2]), i32([[0, 50], [30, 60]]),
             i32([[0, 60]]), i32([2]), i32([[0, 20], [20, M]]))
    second = (i32([[0, 20], [20, M]]), i32([1, 2]), i32([[0, 0], [0, N - 60]]),
              i32([[0, N - 60]]), i32([2]), i32([[0, 20], [20, M]]))
    merged = g.partial(X, Y[:60], B[:60], ranges=first).merge(
        g.partial(X, Y[60:], B[60:], first=60, ranges=second)).finalize()
    for got, w in zip(merged, want):
        np.testing.assert_array_equal(got, w)


def test_indices_past_the_state_integers_are_refused():
    g = genred("Min", "SqDist(x, y)", None, None)      # no index output: int32 indices
    state = g.partial(X, Y[:10], B[:10], first=2**31 - 10)
    assert state.arrays[1].dtype == np.int32 and state.arrays[1].min() >= 2**31 - 10
    from keops._runtime import KeopsError
    with pytest.raises(KeopsError, match=r"do not fit the state's 32-bit indices"):
        g.partial(X, Y[:10], B[:10], first=2**31 - 9)
    h = genred("ArgMin", "SqDist(x, y)", None, None)   # int64 indices
    assert h.partial(X, Y[:10], B[:10], first=2**40).finalize().min() >= 2**40
