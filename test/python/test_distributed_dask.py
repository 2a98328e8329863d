"""keops.distributed.dask: reductions of Dask arrays chunked along both
axes, on the threaded scheduler and on a distributed.LocalCluster (loopback
only), including a worker killed in the middle of a reduction."""

import os
import signal
import time

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

from keops import Genred, Vi, Vj  # noqa: E402
from keops.distributed.dask import reduce, state_bytes  # noqa: E402

pytestmark = pytest.mark.usefixtures("keops_cache_dir")

rng = np.random.default_rng(3)
M, N = 230, 310
X = rng.standard_normal((M, 3))
Y = rng.standard_normal((N, 3))
B = rng.standard_normal((N, 2))
ALIASES = ["x = Vi(3)", "y = Vj(3)", "b = Vj(2)"]
CASES = [
    ("Sum", "Exp(-SqDist(x, y)) * b", None, None),
    ("Min_ArgMin", "SqDist(x, y)", None, None),
    ("ArgMax", "x - y", None, None),
    ("KMin_ArgKMin", "SqDist(x, y)", None, 5),
    ("ArgKMin", "x - y", None, 2),
    ("LogSumExp", "-SqDist(x, y)", None, None),
    ("SumSoftMaxWeight", "-SqDist(x, y)", "b", None),
]


def uneven(n, count):
    cuts = np.linspace(0, n, count + 1).astype(int)
    sizes = np.diff(cuts)
    if count > 1:
        sizes[0], sizes[-1] = sizes[0] + sizes[-1] // 2, sizes[-1] - sizes[-1] // 2
    return tuple(int(s) for s in sizes)


def parts(r):
    return r if isinstance(r, tuple) else (r,)


def check(op, got, want):
    for g, w in zip(parts(got), parts(want)):
        if "Sum" in op or "LogSumExp" in op:
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)
        else:
            np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("ci,cj", [(2, 3), (3, 7), (7, 2), (1, 1)])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0])
def test_chunked_along_both_axes(case, ci, cj):
    op, formula, formula2, k = case
    g = Genred(formula, ALIASES, reduction_op=op, axis=1, opt_arg=k, formula2=formula2)
    x = da.from_array(X, chunks=(uneven(M, ci), 3))
    y = da.from_array(Y, chunks=(uneven(N, cj), 3))
    b = da.from_array(B, chunks=(uneven(N, max(cj - 1, 1)), 2))   # other chunks: aligned
    result = reduce(g, x, y, b, split_every=2)
    assert parts(result)[0].chunks[0] == x.chunks[0]
    with dask.config.set(scheduler="threads"):
        got = dask.compute(*parts(result))
    check(op, tuple(got), g(X, Y, B))


def test_reduction_over_i_and_lazytensor_reductions():
    r = (Vi(0, 3) - Vj(1, 3)).sqnorm2().argKmin(4, dim=0, call=False)   # over i
    x = da.from_array(X, chunks=(50, 3))
    y = da.from_array(Y, chunks=(100, 3))
    with dask.config.set(scheduler="threads"):
        got = reduce(r, x, y).compute()
    np.testing.assert_array_equal(got, r(X, Y))


def test_bad_arguments():
    g = Genred("SqDist(x, y)", ALIASES[:2], reduction_op="Min", axis=1)
    x, y = da.from_array(X, chunks=50), da.from_array(Y, chunks=50)
    with pytest.raises(ValueError, match="takes 2 arguments, got 1"):
        reduce(g, x)
    with pytest.raises(ValueError, match=r"argument 1: expected a 2-D array of shape \(rows, "
                                         r"3\) \(no batch axes\), got shape \(2, 310, 3\)"):
        reduce(g, x, da.stack([y, y]))
    with pytest.raises(TypeError, match="mixed dtypes"):
        reduce(g, x, y.astype("float32"))
    with pytest.raises(ValueError, match="split_every must be an integer >= 2"):
        reduce(g, x, y, split_every=1)
    with pytest.raises(TypeError, match="expected a keops Genred or a Reduction"):
        reduce(lambda a, b: a, x, y)


def test_state_bytes():
    g = Genred("SqDist(x, y)", ALIASES[:2], reduction_op="ArgKMin", axis=1, opt_arg=10)
    assert state_bytes(g, 1000) == 1000 * 10 * (4 + 8)
    g = Genred("-SqDist(x, y)", ALIASES, reduction_op="SumSoftMaxWeight", axis=1,
               formula2="b")
    assert state_bytes(g, 1000, "float64") == 1000 * 4 * 8
    # A min has no index output: its state keeps int32 indices (for ties).
    g = Genred("SqDist(x, y)", ALIASES[:2], reduction_op="Min", axis=1)
    assert state_bytes(g, 1000) == 1000 * (4 + 4)


def _slow(block):
    time.sleep(0.15)
    return block


@pytest.fixture
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, host="127.0.0.1",
                                  silence_logs=50) as c, distributed.Client(c) as client:
        yield client


def test_local_cluster_and_a_killed_worker(cluster):
    client = cluster
    g = Genred("Exp(-SqDist(x, y)) * b", ALIASES, reduction_op="Sum", axis=1)
    x = da.from_array(X, chunks=(60, 3))
    # The reduced side arrives slowly (one block every 0.15 s per worker), so
    # the reduction is still running when a worker dies.
    y = da.from_array(Y, chunks=(30, 3)).map_blocks(_slow)
    b = da.from_array(B, chunks=(30, 2))
    result = reduce(g, x, y, b)
    with dask.config.set(scheduler="threads"):
        want = result.compute()
    np.testing.assert_allclose(want, g(X, Y, B), rtol=1e-12, atol=1e-12)

    future = client.compute(result)
    pids = client.run(os.getpid)

    def holders():
        """The workers holding a partial state already computed."""
        return {w for key, workers in client.who_has().items()
                if "partial-keops" in str(key) for w in workers}

    deadline = time.time() + 60
    while not holders() and time.time() < deadline:
        time.sleep(0.01)
    victim = sorted(holders())[0]
    assert not future.done(), "the reduction ended before a worker could be killed"
    os.kill(pids[victim], signal.SIGKILL)
    got = future.result(timeout=120)
    # The same tree of merges: the same sums, bit for bit.
    np.testing.assert_array_equal(got, want)
    # The worker is gone (its nanny started another one, at another address).
    assert victim not in client.scheduler_info()["workers"]


def test_parameters_and_float32():
    g = Genred("Exp(-s * SqDist(x, y)) * b", ["x = Vi(3)", "y = Vj(3)", "b = Vj(2)", "s = Pm(1)"],
               reduction_op="Sum", axis=1)
    x, y, b = (a.astype("float32") for a in (X, Y, B))
    s = np.array([0.5], dtype="float32")
    out = reduce(g, da.from_array(x, chunks=(70, 3)), da.from_array(y, chunks=(100, 3)),
                 da.from_array(b, chunks=(100, 2)), s)
    assert out.dtype == np.float32
    with dask.config.set(scheduler="threads"):
        np.testing.assert_allclose(out.compute(), g(x, y, b, s), rtol=2e-5, atol=2e-6)
