"""Sums of s_ij v_j with v of width E >= 8 (a kernel matrix times several
right-hand sides, the gradients of distance kernels): the CPU adds them as
products of tiles with the sums in memory (KeopsToSCF/RightProduct.cpp),
with or without Gram tiles. Against float64 NumPy and torch, for widths
that are no multiples of the chunks of rows, sizes that are no multiples
of the tiles, both axes, every sum scheme, block-sparse ranges, split
reductions and gradients."""

import os
import subprocess
import sys

import numpy as np
import pytest

from keops import Genred

pytestmark = pytest.mark.usefixtures("keops_cache_dir")

M, N = 37, 100  # three tiles of 32 reduced indices and a partial one
rng = np.random.default_rng(5)


def data(d, e, dtype, m=M, n=N):
    x = rng.standard_normal((m, d)) / np.sqrt(d)
    y = rng.standard_normal((n, d)) / np.sqrt(d)
    b = rng.standard_normal((n, e))
    return x.astype(dtype), y.astype(dtype), b.astype(dtype)


def gaussian(x, y, b):
    x, y, b = (a.astype(np.float64) for a in (x, y, b))
    return np.exp(-((x[:, None] - y[None]) ** 2).sum(-1)) @ b


def tol(dtype):
    return dict(rtol=2e-4, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("d", [3, 16, 64])
@pytest.mark.parametrize("e", [8, 13, 100])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_times_matrix(d, e, dtype):
    x, y, b = data(d, e, dtype)
    f = Genred("Exp(-SqDist(x, y)) * b", [f"x = Vi({d})", f"y = Vj({d})", f"b = Vj({e})"],
               axis=1)
    got = f(x, y, b)
    assert got.dtype == dtype and got.shape == (M, e)
    np.testing.assert_allclose(got, gaussian(x, y, b), **tol(dtype))


@pytest.mark.parametrize("d", [3, 64])
def test_over_i(d):
    # Over i the kept rows are y's and the right-hand sides are x's rows.
    x, y, _ = data(d, 1, np.float32)
    a = rng.standard_normal((M, 12)).astype(np.float32)
    got = Genred("Exp(-SqDist(x, y)) * a", [f"x = Vi({d})", f"y = Vj({d})", "a = Vi(12)"],
                 axis=0)(x, y, a)
    np.testing.assert_allclose(got, gaussian(y, x, a), **tol(np.float32))


@pytest.mark.parametrize("scheme", ["direct_sum", "block_sum", "kahan_scheme"])
def test_sum_schemes(scheme):
    # Plain sums start the registers from the sums in memory, block sums
    # add each tile's product to them; Kahan sums fold term by term.
    x, y, b = data(16, 20, np.float32, n=300)
    got = Genred("Exp(-SqDist(x, y)) * b", ["x = Vi(16)", "y = Vj(16)", "b = Vj(20)"],
                 axis=1, sum_scheme=scheme)(x, y, b)
    np.testing.assert_allclose(got, gaussian(x, y, b), **tol(np.float32))


def test_float64_accumulation_of_float32():
    # An f64 accumulator keeps the term-by-term fold.
    x, y, b = data(16, 20, np.float32)
    got = Genred("Exp(-SqDist(x, y)) * b", ["x = Vi(16)", "y = Vj(16)", "b = Vj(20)"],
                 axis=1, dtype_acc="float64")(x, y, b)
    np.testing.assert_allclose(got, gaussian(x, y, b), **tol(np.float32))


def test_empty_and_single_rows():
    f = Genred("Exp(-SqDist(x, y)) * b", ["x = Vi(3)", "y = Vj(3)", "b = Vj(9)"], axis=1)
    x, y, b = data(3, 9, np.float32, m=1, n=1)
    np.testing.assert_allclose(f(x, y, b), gaussian(x, y, b), **tol(np.float32))
    # No reduced index: every sum is 0.
    x, _, _ = data(3, 9, np.float32, m=5)
    got = f(x, np.zeros((0, 3), np.float32), np.zeros((0, 9), np.float32))
    assert got.shape == (5, 9) and not got.any()


def test_batches_and_ranges():
    from keops.numpy import LazyTensor
    from keops.numpy.cluster import from_matrix
    xb = rng.standard_normal((2, M, 3))
    yb = rng.standard_normal((2, N, 3))
    bb = rng.standard_normal((2, N, 10))
    K = (-LazyTensor(xb[:, :, None]).sqdist(LazyTensor(yb[:, None]))).exp()
    want = np.stack([gaussian(xb[k], yb[k], bb[k]) for k in range(2)])
    np.testing.assert_allclose(K @ bb, want, rtol=1e-10)
    # Block-sparse: rows in no block get 0, the others the sums over the
    # intervals they keep.
    x, y, b = xb[0], yb[0], bb[0]
    ri = np.array([[0, 10], [10, 30], [30, M]])
    rj = np.array([[0, 40], [40, N]])
    keep = np.array([[True, False], [True, True], [False, False]])
    Kx = (-LazyTensor(x[:, None]).sqdist(LazyTensor(y[None]))).exp()
    Kx.ranges = from_matrix(ri, rj, keep)
    mask = np.zeros((M, N), bool)
    for (a, e), row in zip(ri, keep):
        for (c, f), k in zip(rj, row):
            mask[a:e, c:f] = k
    want = (np.exp(-((x[:, None] - y[None]) ** 2).sum(-1)) * mask) @ b
    np.testing.assert_allclose(Kx @ b, want, rtol=1e-10)


def test_split_reduction_of_few_rows():
    # Few rows, many reduced indices: partial sums of ranges of j (the
    # partial-state kernels write the sums in memory), merged.
    from keops._runtime import set_num_threads, get_num_threads
    threads = get_num_threads()
    set_num_threads(2)
    try:
        x, y, b = data(3, 16, np.float32, m=3, n=50000)
        f = Genred("Exp(-SqDist(x, y)) * b", ["x = Vi(3)", "y = Vj(3)", "b = Vj(16)"], axis=1)
        want = gaussian(x, y, b)
        for _ in range(3):  # the split starts from the second call
            np.testing.assert_allclose(f(x, y, b), want, rtol=2e-4, atol=1e-4)
    finally:
        set_num_threads(threads)


@pytest.mark.parametrize("d", [8, 40])
def test_gradient_wrt_x(d):
    # 2 s_ij (x_i - y_j) b_j: x_i's rows from the Gram tiles (d = 40) or
    # packed from x (d = 8).
    torch = pytest.importorskip("torch")
    from keops.torch import Genred as TorchGenred
    x, y, b = (torch.tensor(a) for a in data(d, 1, np.float64))
    x.requires_grad_(True)
    f = TorchGenred("Exp(-SqDist(x, y)) * b", [f"x = Vi({d})", f"y = Vj({d})", "b = Vj(1)"],
                    reduction_op="Sum", axis=1)
    g = torch.randn(M, 1, dtype=torch.float64)
    (got,) = torch.autograd.grad(f(x, y, b), x, g)
    xr = x.detach().clone().requires_grad_(True)
    (want,) = torch.autograd.grad(torch.exp(-torch.cdist(xr, y) ** 2) @ b, xr, g)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-9, atol=1e-12)


CHILD = """
import numpy as np, torch
from keops.torch import Genred
x = torch.randn(20, {d}, dtype=torch.float64, requires_grad=True)
y, b = torch.randn(30, {d}, dtype=torch.float64), torch.randn(30, {e}, dtype=torch.float64)
f = Genred("Exp(-SqDist(x, y)) * b", ["x = Vi({d})", "y = Vj({d})", "b = Vj({e})"],
           reduction_op="Sum", axis=1)
torch.autograd.grad(f(x, y, b).sum(), x)
"""


ATTENTION = """
import numpy as np
from keops import Genred
q, k, v = np.ones((20, 64), "f"), np.ones((30, 64), "f"), np.ones((30, 32), "f")
Genred("(q|k)", ["q = Vi(64)", "k = Vj(64)", "v = Vj(32)"], reduction_op="SumSoftMaxWeight",
       axis=1, formula2="v")(q, k, v)
"""


@pytest.mark.parametrize("child, said", [
    (CHILD.format(d=3, e=12), "sums of s_ij v_j (12 columns)"),
    (CHILD.format(d=40, e=1), "sums of s_ij v_j (40 columns)"),
    (ATTENTION, "softmax-weighted sums (32 columns)")])
def test_the_compiler_says_it(tmp_path, child, said):
    """KEOPS_VERBOSE names the second product: of the forward's E columns,
    of the gradient's D, of an attention's values."""
    pytest.importorskip("torch")
    env = dict(os.environ, KEOPS_CACHE_DIR=str(tmp_path), KEOPS_VERBOSE="1")
    proc = subprocess.run([sys.executable, "-c", child], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"{said} by products of tiles of" in proc.stderr


def softmax_reference(f, v):
    f, v = f.astype(np.float64), v.astype(np.float64)
    w = np.exp(f - f.max(1, keepdims=True))
    return (w @ v) / w.sum(1, keepdims=True)


def attention(d, e, **options):
    return Genred("(q|k)", [f"q = Vi({d})", f"k = Vj({d})", f"v = Vj({e})"],
                  reduction_op="SumSoftMaxWeight", axis=1, formula2="v", **options)


@pytest.mark.parametrize("d", [3, 64])
@pytest.mark.parametrize("e", [8, 13, 100])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_attention(d, e, dtype):
    # softmax_j(<q_i, k_j>) v_j: the running maximum moves from tile to
    # tile (scores of spread 3), the sums rescaled each time.
    q, k, v = data(d, e, dtype, n=300)
    q *= 3
    got = attention(d, e)(q, k, v)
    assert got.dtype == dtype and got.shape == (M, e)
    f = q.astype(np.float64) @ k.astype(np.float64).T
    np.testing.assert_allclose(got, softmax_reference(f, v), **tol(dtype))


def test_attention_over_i():
    q, k, _ = data(64, 1, np.float32)
    v = rng.standard_normal((M, 24)).astype(np.float32)
    got = Genred("(q|k)", ["q = Vi(64)", "k = Vj(64)", "v = Vi(24)"],
                 reduction_op="SumSoftMaxWeight", axis=0, formula2="v")(q, k, v)
    f = k.astype(np.float64) @ q.astype(np.float64).T
    np.testing.assert_allclose(got, softmax_reference(f, v), **tol(np.float32))


def test_attention_special_values():
    # Terms a_i + g_j with infinities and NaN: the tile products follow the
    # term-by-term accumulator's conventions (the Kahan scheme keeps it):
    # +inf terms share the weight, -inf terms weigh nothing (a row of only
    # -inf: 0 / 0 = NaN), a NaN term makes its row NaN; no reduced index:
    # NaN.
    f = Genred("a + g", ["a = Vi(1)", "g = Vj(1)", "v = Vj(9)"],
               reduction_op="SumSoftMaxWeight", axis=1, formula2="v")
    term_by_term = Genred("a + g", ["a = Vi(1)", "g = Vj(1)", "v = Vj(9)"],
                          reduction_op="SumSoftMaxWeight", axis=1, formula2="v",
                          sum_scheme="kahan_scheme")
    a = rng.standard_normal((40, 1)).astype(np.float32)
    a[3], a[4], a[5] = np.inf, -np.inf, np.nan
    g = rng.standard_normal((100, 1)).astype(np.float32)
    g[10], g[70] = np.inf, -np.inf
    v = rng.standard_normal((100, 9)).astype(np.float32)
    got, want = f(a, g, v), term_by_term(a, g, v)
    np.testing.assert_allclose(got, want, rtol=1e-5, equal_nan=True)
    # A finite row takes v of its one +inf term; rows 3 and 4 have a term
    # inf - inf = NaN, row 5 only NaN terms.
    np.testing.assert_allclose(got[0], v[10], rtol=1e-6)
    assert np.isnan(got[3]).all() and np.isnan(got[4]).all() and np.isnan(got[5]).all()
    # Without the -inf term, row 3's terms are all +inf: the mean of v.
    g[70] = 0
    got, want = f(a, g, v), term_by_term(a, g, v)
    np.testing.assert_allclose(got, want, rtol=1e-5, equal_nan=True)
    np.testing.assert_allclose(got[3], v.mean(0), rtol=1e-5)
    # Every term -inf (0 / 0), and no term at all.
    got = f(a, np.full((100, 1), -np.inf, np.float32), v)
    assert np.isnan(got).all()
    got = f(a, np.zeros((0, 1), np.float32), np.zeros((0, 9), np.float32))
    assert got.shape == (40, 9) and np.isnan(got).all()


def test_attention_ranges_and_split():
    from keops.numpy import LazyTensor
    from keops.numpy.cluster import from_matrix
    from keops._runtime import set_num_threads, get_num_threads
    q, k, v = data(16, 10, np.float64)
    S = LazyTensor(q[:, None]) | LazyTensor(k[None])
    ri = np.array([[0, 10], [10, 30], [30, M]])
    rj = np.array([[0, 40], [40, N]])
    keep = np.array([[True, False], [True, True], [False, True]])
    S.ranges = from_matrix(ri, rj, keep)
    got = S.sumsoftmaxweight(LazyTensor(v[None]), axis=1)
    f = q @ k.T
    for (a0, a1), row in zip(ri, keep):
        for (c0, c1), kept in zip(rj, row):
            if not kept:
                f[a0:a1, c0:c1] = -np.inf
    np.testing.assert_allclose(got, softmax_reference(f, v), rtol=1e-10)
    # Few rows: partial states (maximum, weights' sum, sums) of ranges of
    # j on two threads, merged.
    threads = get_num_threads()
    set_num_threads(2)
    try:
        q, k, v = data(16, 10, np.float32, m=3, n=50000)
        g = attention(16, 10)
        want = softmax_reference(q.astype(np.float64) @ k.astype(np.float64).T, v)
        for _ in range(3):
            np.testing.assert_allclose(g(q, k, v), want, rtol=2e-4, atol=1e-5)
    finally:
        set_num_threads(threads)
