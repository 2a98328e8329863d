"""The GPU backend on a CUDA device: every reduction kind, f32 and f64, over
i and over j, with sizes that are not multiples of the block size, against
the CPU backend on the same data (itself checked against the interpreter
and NumPy); torch CUDA tensors stay on the device; host NumPy arrays with
backend="GPU"; gradients through torch autograd on CUDA tensors.

Where there is no GPU, the same tests run on the GPU emulator
(KEOPS_CUDA_DRIVER=emulator, scripts/test.sh does so): the kernels of both
schemes, compiled from the same GPU IR up to the NVVM lowering, run on the
host with one fiber per GPU thread, and the runtime's staging, scheme
choice and partial states are those of a device. Torch tensors then stay on
the CPU and the reductions are asked for with backend="GPU".

Skipped, with the reason, where there is no CUDA driver, no GPU or no
torch with CUDA, and no emulator. Without a GPU, test_lazytensor_errors.py
checks that the GPU backend says so."""

import os

import numpy as np
import pytest

import keops
from keops import LazyTensor, Vi, Vj

torch = pytest.importorskip("torch")

EMULATED = os.environ.get("KEOPS_CUDA_DRIVER") == "emulator"


def _gpu_reason():
    try:
        count = keops.gpu_device_count()
    except keops.KeopsError as e:
        return str(e)
    if count == 0:
        return "no CUDA device"
    if not EMULATED and not torch.cuda.is_available():
        return "torch has no CUDA"
    return None


pytestmark = [pytest.mark.skipif(_gpu_reason() is not None, reason=str(_gpu_reason())),
              pytest.mark.usefixtures("keops_cache_dir")]

# On a GPU: CUDA tensors (the backend follows the data). On the emulator:
# CPU tensors, and backend="GPU" on every reduction.
DEVICE = "cpu" if EMULATED else "cuda"
GPU = {"backend": "GPU"} if EMULATED else {}


def _on_gpu(t):
    return t.to(DEVICE)

# Not multiples of 128 (the block size), and more than one block and tile.
M, N, D, K = 300, 517, 3, 4

KINDS = [
    ("sum", lambda F, ax, **kw: F.sum(axis=ax, **kw)),
    ("min", lambda F, ax, **kw: F.min(axis=ax, **kw)),
    ("max", lambda F, ax, **kw: F.max(axis=ax, **kw)),
    ("argmin", lambda F, ax, **kw: F.argmin(axis=ax, **kw)),
    ("argmax", lambda F, ax, **kw: F.argmax(axis=ax, **kw)),
    ("min_argmin", lambda F, ax, **kw: F.min_argmin(axis=ax, **kw)),
    ("max_argmax", lambda F, ax, **kw: F.max_argmax(axis=ax, **kw)),
    ("Kmin", lambda F, ax, **kw: F.Kmin(K, axis=ax, **kw)),
    ("argKmin", lambda F, ax, **kw: F.argKmin(K, axis=ax, **kw)),
    ("Kmin_argKmin", lambda F, ax, **kw: F.Kmin_argKmin(K, axis=ax, **kw)),
    ("logsumexp", lambda F, ax, **kw: F.sum(-1).logsumexp(axis=ax, **kw)),
    ("logsumexp_weight",
     lambda F, ax, **kw: F.sum(-1).logsumexp(axis=ax, weight=F.exp(), **kw)),
    ("sumsoftmaxweight", lambda F, ax, **kw: F.sum(-1).sumsoftmaxweight(F, axis=ax, **kw)),
]


def _data(dtype, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(M, D, generator=g, dtype=dtype)
    y = torch.randn(N, D, generator=g, dtype=dtype)
    return x, y


def _formula(x, y):
    return (-(Vi(x) - Vj(y)) ** 2).exp() * Vj(y).sin() + Vi(x)


def _dense(x, y):
    """The formula of _formula as an (M, N, D) float64 tensor."""
    x, y = x.double()[:, None, :], y.double()[None, :, :]
    return torch.exp(-(x - y) ** 2) * torch.sin(y) + x


def _assert_same(gpu, cpu, dtype, dense=None, axis=1):
    """Values within the dtype's tolerance; indices equal, or, where the
    formula has near-ties (`dense`, reduced along `axis`), indices whose
    values are equal within that tolerance: the GPU's exp is not the CPU
    backend's, and the last bits decide between near-equal values."""
    gpu = gpu if isinstance(gpu, tuple) else (gpu,)
    cpu = cpu if isinstance(cpu, tuple) else (cpu,)
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    for g, c in zip(gpu, cpu):
        assert g.device.type == DEVICE
        assert g.shape == c.shape and g.dtype == c.dtype
        g = g.cpu()
        if c.dtype != torch.int64:
            torch.testing.assert_close(g, c, rtol=tol, atol=tol)
        elif not torch.equal(g, c):
            assert dense is not None, "indices differ"
            values = dense if axis == 1 else dense.transpose(0, 1)
            rows, d = values.shape[0], values.shape[2]
            pick = lambda idx: torch.gather(values, 1, idx.reshape(rows, -1, d))
            torch.testing.assert_close(pick(g), pick(c), rtol=tol, atol=tol)


@pytest.mark.parametrize("scheme", ["1d", "2d"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("axis", [0, 1], ids=["over_i", "over_j"])
@pytest.mark.parametrize("name,reduce", KINDS, ids=[k[0] for k in KINDS])
def test_every_kind_against_the_cpu_backend(name, reduce, axis, dtype, scheme, monkeypatch):
    """Both schemes, forced (KEOPS_GPU_SCHEME): the 2-D one splits the
    reduced axis into chunks of whole blocks, merged by the combine kernel."""
    monkeypatch.setenv("KEOPS_GPU_SCHEME", scheme)
    x, y = _data(dtype)
    cpu = reduce(_formula(x, y), axis)
    gpu = reduce(_formula(_on_gpu(x), _on_gpu(y)), axis, **GPU)
    _assert_same(gpu, cpu, dtype, _dense(x, y), axis)


def test_gaussian_sum_against_dense_torch():
    x, y = _data(torch.float64, seed=1)
    b = torch.randn(N, 2, dtype=torch.float64)
    xc, yc, bc = _on_gpu(x), _on_gpu(y), _on_gpu(b)
    out = ((-(Vi(xc).sqdist(Vj(yc)))).exp() * Vj(bc)).sum(axis=1, **GPU)
    ref = torch.exp(-torch.cdist(xc, yc) ** 2) @ bc
    torch.testing.assert_close(out, ref)


@pytest.mark.parametrize("scheme", ["1d", "2d"])
@pytest.mark.parametrize("d", [32, 64, 100, 257])
def test_long_vectors_against_float64_torch(d, scheme, monkeypatch):
    """D >= 32: squared distances become norms and an inner product, the
    reduced side's norm computed once per row of the shared tile
    (docs/gpu.md); float32 results against float64 torch, over j and over
    i, for a sum with a wide right-hand side, logsumexp, argKmin (by the
    distances it picks) and the gradient."""
    monkeypatch.setenv("KEOPS_GPU_SCHEME", scheme)
    g = torch.Generator().manual_seed(d)
    x = torch.randn(150, d, generator=g) / d ** 0.5
    y = torch.randn(301, d, generator=g) / d ** 0.5
    b = torch.randn(301, 7, generator=g)
    xc, yc, bc = _on_gpu(x), _on_gpu(y), _on_gpu(b)
    d2 = torch.cdist(x.double(), y.double()) ** 2
    close = lambda got, want: torch.testing.assert_close(
        got.cpu().double(), want, rtol=2e-4, atol=2e-4)
    close(((-Vi(xc).sqdist(Vj(yc))).exp() * Vj(bc)).sum(axis=1, **GPU),
          torch.exp(-d2) @ b.double())
    close((-Vi(xc).sqdist(Vj(yc))).exp().sum(axis=0, **GPU),
          torch.exp(-d2).sum(0)[:, None])
    close((-Vi(xc).sqdist(Vj(yc))).logsumexp(axis=1, **GPU),
          torch.logsumexp(-d2, 1, keepdim=True))
    idx = Vi(xc).sqdist(Vj(yc)).argKmin(5, axis=1, **GPU).cpu()
    close(torch.gather(d2, 1, idx), torch.topk(d2, 5, largest=False).values)
    xg = xc.clone().requires_grad_()
    s = ((-Vi(xg).sqdist(Vj(yc))).exp() * Vj(bc)).sum(axis=1, **GPU)
    got = torch.autograd.grad(s.sum(), xg)[0]
    xd = x.double().requires_grad_()
    want = torch.autograd.grad(
        (torch.exp(-torch.cdist(xd, y.double()) ** 2) @ b.double()).sum(), xd)[0]
    close(got, want)


@pytest.mark.parametrize("axis", [0, 1])
def test_reduced_side_values_computed_in_the_copy(axis):
    """exp(g_j p) and |y_j|^2 depend on the reduced side and a parameter
    only: the GPU computes them once per tile row (docs/gpu.md)."""
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(M, D, generator=gen, dtype=torch.float64)
    y = torch.randn(N, D, generator=gen, dtype=torch.float64)
    gv = torch.randn(N, 1, generator=gen, dtype=torch.float64)
    p = torch.tensor([0.7], dtype=torch.float64)
    if axis == 0:
        x, y, gv = y, x, torch.randn(M, 1, generator=gen, dtype=torch.float64)

    def f(x, y, gv, p, **kw):
        xi, yj = (Vi(x), Vj(y)) if axis == 1 else (Vj(x), Vi(y))
        gj = Vj(gv) if axis == 1 else Vi(gv)
        F = (gj * LazyTensor(p)).exp() * ((xi | yj) + (yj ** 2).sum())
        return F.sum(axis=axis, **kw)
    want = f(x, y, gv, p)
    got = f(_on_gpu(x), _on_gpu(y), _on_gpu(gv), _on_gpu(p), **GPU)
    torch.testing.assert_close(got.cpu(), want)


@pytest.mark.parametrize("rows", [1, 127, 128, 129])
def test_sizes_around_the_block_size(rows):
    x = torch.randn(rows, D, dtype=torch.float64)
    y = torch.randn(rows + 3, D, dtype=torch.float64)
    cpu = _formula(x, y).sum(axis=1)
    gpu = _formula(_on_gpu(x), _on_gpu(y)).sum(axis=1, **GPU)
    _assert_same(gpu, cpu, torch.float64)


@pytest.mark.parametrize("name", ["sum", "Kmin_argKmin", "logsumexp", "sumsoftmaxweight"])
def test_few_rows_many_columns(name):
    """3 rows against 100,000 columns: the 2-D scheme, chosen by the sizes."""
    reduce = dict(KINDS)[name]
    g = torch.Generator().manual_seed(4)
    x = torch.randn(3, D, generator=g, dtype=torch.float64)
    y = torch.randn(100_000, D, generator=g, dtype=torch.float64)
    _assert_same(reduce(_formula(_on_gpu(x), _on_gpu(y)), 1, **GPU),
                 reduce(_formula(x, y), 1), torch.float64, _dense(x, y))


def test_empty_reduced_axis():
    x = torch.randn(5, D, dtype=torch.float32, device=DEVICE)
    y = torch.randn(0, D, dtype=torch.float32, device=DEVICE)
    out = (Vi(x) - Vj(y)).sum(axis=1, **GPU)
    assert out.shape == (5, D) and not out.any()
    m = (Vi(x) - Vj(y)).min(axis=1, **GPU)
    assert torch.isinf(m).all()


def _dense_kmin(F, k):
    """The K smallest of each row of F (M, N, C) and their indices, per
    component, ties to the smaller index, padded with (inf, -1) past N: the
    outputs' layout, column s * C + c."""
    M, N, C = F.shape
    order = np.argsort(F, axis=1, kind="stable")[:, :k]
    vals = np.take_along_axis(F, order, axis=1)
    pad = k - order.shape[1]
    order = np.concatenate([order, np.full((M, pad, C), -1)], axis=1)
    vals = np.concatenate([vals, np.full((M, pad, C), np.inf)], axis=1)
    return vals.reshape(M, k * C), order.reshape(M, k * C)


@pytest.mark.parametrize("scheme", ["1d", "2d"])
@pytest.mark.parametrize("k", [1, 10, 64, 100, 1000])
def test_kmin_k_against_a_dense_sort(k, scheme, monkeypatch):
    """K-min of integer data (many ties) against a stable sort of the dense
    matrix, values and indices: K-lists in registers (K <= 32) and in a
    thread's memory, one component and three (a list each), more than the
    N = 517 reduced rows for K = 1000 (padding), both GPU schemes."""
    monkeypatch.setenv("KEOPS_GPU_SCHEME", scheme)
    g = torch.Generator().manual_seed(k)
    x = torch.randint(-4, 5, (M, D), generator=g).double()
    y = torch.randint(-4, 5, (N, D), generator=g).double()
    diff = (x[:, None, :] - y[None, :, :]).numpy()
    for F, dense in [(((Vi(_on_gpu(x)) - Vj(_on_gpu(y))) ** 2).sum(-1),
                      (diff ** 2).sum(-1, keepdims=True)),
                     ((Vi(_on_gpu(x)) - Vj(_on_gpu(y))).abs(), np.abs(diff))]:
        gv, gi = F.Kmin_argKmin(k, axis=1, **GPU)
        rv, ri = _dense_kmin(dense, k)
        # (M, K) for one component, (M, K, C) for more.
        np.testing.assert_array_equal(gi.cpu().numpy().reshape(M, -1), ri)
        np.testing.assert_array_equal(gv.cpu().numpy().reshape(M, -1), rv)
        gi = F.argKmin(k, axis=1, **GPU)
        np.testing.assert_array_equal(gi.cpu().numpy().reshape(M, -1), ri)


def test_kmin_lists_beyond_a_threads_memory_are_refused_clearly():
    x = _on_gpu(torch.randn(M, D))
    with pytest.raises(keops.KeopsError, match="120000 bytes.*more than 65536 bytes "
                                               "is not supported there"):
        (Vi(x) - Vj(x)).sum(-1).argKmin(10000, axis=1, **GPU)


def test_numpy_arrays_with_backend_gpu():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(M, D)), rng.normal(size=(N, D))
    F = (-(Vi(x) - Vj(y)) ** 2).exp()
    np.testing.assert_allclose(F.sum(axis=1, backend="GPU"), F.sum(axis=1), rtol=1e-12)
    np.testing.assert_array_equal(F.argKmin(K, axis=0, backend="GPU"), F.argKmin(K, axis=0))


@pytest.mark.parametrize("name", ["sum", "logsumexp", "min", "sumsoftmaxweight"])
def test_autograd_on_cuda(name):
    x, y = _data(torch.float64, seed=2)
    reduce = dict(KINDS)[name]
    xs, ys = x.clone().requires_grad_(), y.clone().requires_grad_()
    xg, yg = _on_gpu(x).requires_grad_(), _on_gpu(y).requires_grad_()
    cpu, gpu = reduce(_formula(xs, ys), 1), reduce(_formula(xg, yg), 1, **GPU)
    e = torch.randn_like(cpu)
    want = torch.autograd.grad(cpu, (xs, ys), e)
    got = torch.autograd.grad(gpu, (xg, yg), _on_gpu(e))
    for g, w in zip(got, want):
        assert g.device.type == DEVICE
        torch.testing.assert_close(g.cpu(), w)


@pytest.mark.parametrize("scheme", ["1d", "2d"])
def test_complex_against_cpu(scheme, monkeypatch):
    """Complex formulas (every complex op of the dialect) and their torch
    gradients on complex tensors, both schemes."""
    monkeypatch.setenv("KEOPS_GPU_SCHEME", scheme)
    g = torch.Generator().manual_seed(5)
    x = torch.randn(M, D, generator=g, dtype=torch.float64)
    z = torch.randn(M, D, generator=g, dtype=torch.complex128)
    w = torch.randn(N, D, generator=g, dtype=torch.complex128)
    outs, grads = [], []
    for dev, kw in (("cpu", {}), (DEVICE, GPU)):
        zd, wd = z.to(dev).requires_grad_(), w.to(dev).requires_grad_()
        zi, wj = LazyTensor(zd[:, None]), LazyTensor(wd[None])
        F = (zi * wj / (wj.conj() + 2)).exp() * (Vi(x.to(dev)) * abs(wj) + wj.angle()).exp1j()
        out = F.sum(axis=1, **kw)
        assert out.dtype == torch.complex128 and out.device.type == dev
        grads.append([t.cpu() for t in torch.autograd.grad(out.abs().sum(), (zd, wd))])
        outs.append(out.detach().cpu())
    torch.testing.assert_close(outs[1], outs[0])
    for a, b in zip(grads[1], grads[0]):
        torch.testing.assert_close(a, b)


def test_double_backward_on_cuda():
    x, y = _data(torch.float64, seed=3)
    grads = []
    for dev, kw in (("cpu", {}), (DEVICE, GPU)):
        xd = x.to(dev).requires_grad_()
        out = (-(Vi(xd) - Vj(y.to(dev))) ** 2).exp().sum(axis=1, **kw)
        g, = torch.autograd.grad(out.sum(), xd, create_graph=True)
        h, = torch.autograd.grad((g ** 2).sum(), xd)
        grads.append(h.cpu())
    torch.testing.assert_close(grads[1], grads[0])


@pytest.mark.skipif(EMULATED, reason="torch CUDA streams need a GPU")
def test_on_torch_current_stream():
    """Work on a side stream: the reduction runs after the kernels that
    produce its inputs there, and its result is what the next op on that
    stream reads, without synchronizing in between."""
    side = torch.cuda.Stream()
    with torch.cuda.stream(side):
        x = torch.randn(20_000, D, device="cuda", dtype=torch.float64).cumsum(0) * 1e-3
        y = torch.randn(30_000, D, device="cuda", dtype=torch.float64).cumsum(0) * 1e-3
        out = _formula(x, y).sum(axis=1) * 2
    side.synchronize()
    want = _formula(x.cpu(), y.cpu()).sum(axis=1) * 2
    torch.testing.assert_close(out.cpu(), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("scheme", ["1d", "2d"])
def test_wide_reduced_variables_in_smaller_tiles(scheme, monkeypatch):
    """y of 100 float64 values per row: 128 rows would not fit in 48 KiB of
    shared memory (with b, 816 bytes a row), so a tile is 60 rows, copied by
    the first 60 threads of the block, and tiles and blocks do not line up."""
    monkeypatch.setenv("KEOPS_GPU_SCHEME", scheme)
    g = torch.Generator().manual_seed(5)
    x = torch.randn(150, 100, generator=g, dtype=torch.float64)
    y = torch.randn(700, 100, generator=g, dtype=torch.float64)
    b = torch.randn(700, 2, generator=g, dtype=torch.float64)

    def kernel(x, y, b, **kw):
        K = (-Vi(x).sqdist(Vj(y)) / 100).exp() * Vj(b)
        return K.sum(axis=1, **kw), Vi(x).sqdist(Vj(y)).argKmin(3, axis=1, **kw)

    got = kernel(_on_gpu(x), _on_gpu(y), _on_gpu(b), **GPU)
    want = kernel(x, y, b)
    _assert_same(got, want, torch.float64)


def test_float16_data():
    """float16 tensors are reduced in float32 on the GPU too; results are
    float16, on the data's device."""
    x, y = _data(torch.float32, seed=6)
    x16, y16 = x.half(), y.half()
    got = _formula(_on_gpu(x16), _on_gpu(y16)).sum(axis=1, **GPU)
    want = _formula(x16.float(), y16.float()).sum(axis=1)
    assert got.dtype == torch.float16 and got.device.type == DEVICE
    torch.testing.assert_close(got.cpu().float(), want.half().float(), rtol=1e-3, atol=1e-3)


def test_device_past_the_last_is_an_error():
    n = keops.gpu_device_count()
    x = np.random.default_rng(0).normal(size=(10, D))
    with pytest.raises(keops.KeopsError, match=f"no CUDA device {n} \\({n} devices\\)"):
        (Vi(x) - Vj(x)).sum(axis=1, backend="GPU", device_id=n)


# Batch dimensions: batch elements over blockIdx.z in both schemes,
# broadcast variables read from their one element.
@pytest.mark.parametrize("kind,reduce", KINDS, ids=[k for k, _ in KINDS])
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("scheme", ["1d", "2d"])
def test_batched_kinds_against_cpu(kind, reduce, axis, dtype, scheme, monkeypatch):
    monkeypatch.setenv("KEOPS_GPU_SCHEME", scheme)
    from keops.torch import LazyTensor as LT
    g = torch.Generator().manual_seed(3)
    x = torch.randn(2, 1, 130, 1, D, generator=g, dtype=dtype)   # shared over axis 1
    y = torch.randn(1, 3, 1, 300, D, generator=g, dtype=dtype)   # shared over axis 0
    p = torch.rand(2, 3, 1, 1, 1, generator=g, dtype=dtype) + 0.5

    def formula(x, y, p):
        X, Y = LT(x), LT(y)
        return (-(X - Y) ** 2 * LT(p)).exp() * Y.sin() + X

    # pykeops' axes after the 2 batch dimensions.
    cpu = reduce(formula(x, y, p), axis + 2)
    gpu = reduce(formula(_on_gpu(x), _on_gpu(y), _on_gpu(p)), axis + 2, **GPU)
    gpu = gpu if isinstance(gpu, tuple) else (gpu,)
    cpu = cpu if isinstance(cpu, tuple) else (cpu,)
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    for gv, cv in zip(gpu, cpu):
        assert gv.device.type == DEVICE and gv.shape == cv.shape and gv.dtype == cv.dtype
        assert gv.shape[:2] == (2, 3)
        if cv.dtype != torch.int64:
            torch.testing.assert_close(gv.cpu(), cv, rtol=tol, atol=tol)
        else:
            # Indices: at most a near-tie apart (the GPU's exp differs).
            assert (gv.cpu() != cv).double().mean() < 0.01


def test_batched_gradients_against_cpu():
    # The gradient reductions of a batched reduction, then the sums over
    # the broadcast axes, with the kernels on the GPU.
    from keops.torch import LazyTensor as LT
    g = torch.Generator().manual_seed(5)
    x = torch.randn(2, 1, 130, 1, D, generator=g, dtype=torch.float64)
    y = torch.randn(1, 3, 1, 70, D, generator=g, dtype=torch.float64)
    p = torch.rand(2, 3, 1, 1, 1, generator=g, dtype=torch.float64) + 0.5
    grads = []
    for dev, kw in (("cpu", {}), (DEVICE, GPU)):
        ts = [t.to(dev).requires_grad_() for t in (x, y, p)]
        X, Y, P = (LT(t) for t in ts)
        out = (-((X - Y) ** 2).sum(-1) * P).logsumexp(axis=3, **kw)
        gs = torch.autograd.grad((out ** 2).sum(), ts)
        assert all(gr.shape == t.shape and gr.device.type == dev for gr, t in zip(gs, ts))
        grads.append([gr.cpu() for gr in gs])
    for gg, gc in zip(*grads):
        torch.testing.assert_close(gg, gc, rtol=1e-10, atol=1e-12)


# Block-sparse ranges: blocks of rows over blockIdx.x, their row tiles over
# y (1-D) or the chunks of their intervals over y (2-D), each block reading
# its intervals; against the CPU backend.
@pytest.mark.parametrize("kind,reduce", KINDS, ids=[k for k, _ in KINDS])
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("scheme", ["1d", "2d"])
def test_ranges_against_cpu(kind, reduce, axis, scheme, monkeypatch):
    monkeypatch.setenv("KEOPS_GPU_SCHEME", scheme)
    from keops.torch import LazyTensor as LT
    from keops.torch.cluster import from_matrix
    g = torch.Generator().manual_seed(4)
    x = torch.randn(2, 300, 1, D, generator=g, dtype=torch.float64)   # batch of 2
    y = torch.randn(1, 1, 517, D, generator=g, dtype=torch.float64)
    ri = torch.tensor([[0, 5], [5, 140], [140, 141], [141, 300]])      # 135 rows > a block
    rj = torch.tensor([[0, 200], [200, 260], [260, 517]])
    keep = torch.tensor([[1, 0, 1], [0, 1, 1], [0, 0, 0], [1, 1, 0]], dtype=torch.bool)
    ranges = from_matrix(ri, rj, keep)

    def formula(x, y):
        return (-(LT(x) - LT(y)) ** 2).exp() * LT(y).sin()

    cpu = reduce(formula(x, y), axis + 1, ranges=ranges)
    gpu = reduce(formula(_on_gpu(x), _on_gpu(y)), axis + 1, ranges=ranges, **GPU)
    gpu = gpu if isinstance(gpu, tuple) else (gpu,)
    cpu = cpu if isinstance(cpu, tuple) else (cpu,)
    for gv, cv in zip(gpu, cpu):
        assert gv.device.type == DEVICE and gv.shape == cv.shape and gv.dtype == cv.dtype
        if cv.dtype == torch.int64:
            assert (gv.cpu() != cv).double().mean() < 0.01
        else:
            torch.testing.assert_close(gv.cpu(), cv, rtol=1e-12, atol=1e-12, equal_nan=True)


def test_ranges_gradient_against_cpu():
    from keops.torch import LazyTensor as LT
    from keops.torch.cluster import from_matrix
    g = torch.Generator().manual_seed(6)
    x = torch.randn(300, 1, D, generator=g, dtype=torch.float64)
    y = torch.randn(1, 517, D, generator=g, dtype=torch.float64)
    ranges = from_matrix(torch.tensor([[0, 150], [150, 300]]),
                         torch.tensor([[0, 300], [300, 517]]),
                         torch.tensor([[1, 0], [1, 1]], dtype=torch.bool))
    grads = []
    for dev, kw in (("cpu", {}), (DEVICE, GPU)):
        xs, ys = x.to(dev).requires_grad_(), y.to(dev).requires_grad_()
        out = (-((LT(xs) - LT(ys)) ** 2).sum(-1)).logsumexp(axis=1, ranges=ranges, **kw)
        grads.append([t.cpu() for t in torch.autograd.grad((out ** 2).sum(), [xs, ys])])
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


# One ranges tuple per batch element: the grid has the blocks of the element
# with most, each element reads its own (a list of tuples, padded by the
# frontend); forward and gradient against the CPU backend.
@pytest.mark.parametrize("kind,reduce", KINDS[:4], ids=[k for k, _ in KINDS[:4]])
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("scheme", ["1d", "2d"])
def test_ranges_per_batch_element_against_cpu(kind, reduce, axis, scheme, monkeypatch):
    monkeypatch.setenv("KEOPS_GPU_SCHEME", scheme)
    from keops.torch import LazyTensor as LT
    from keops.torch.cluster import from_matrix
    g = torch.Generator().manual_seed(8)
    x = torch.randn(3, 300, 1, D, generator=g, dtype=torch.float64)
    y = torch.randn(3, 1, 517, D, generator=g, dtype=torch.float64)
    ranges = [from_matrix(torch.tensor(ri), torch.tensor(rj), torch.tensor(keep))
              for ri, rj, keep in (
                  ([[0, 5], [5, 140], [140, 300]], [[0, 200], [200, 517]],
                   [[1, 0], [0, 1], [1, 1]]),
                  ([[0, 300]], [[0, 17], [17, 517]], [[0, 1]]),
                  ([[0, 150], [150, 160], [160, 290], [290, 300]], [[0, 517]],
                   [[1], [0], [1], [0]]))]

    def formula(x, y):
        return (-(LT(x) - LT(y)) ** 2).exp() * LT(y).sin()

    cpu = reduce(formula(x, y), axis + 1, ranges=ranges)
    gpu = reduce(formula(_on_gpu(x), _on_gpu(y)), axis + 1, ranges=ranges, **GPU)
    for gv, cv in zip(gpu if isinstance(gpu, tuple) else (gpu,),
                      cpu if isinstance(cpu, tuple) else (cpu,)):
        assert gv.device.type == DEVICE and gv.shape == cv.shape
        if cv.dtype == torch.int64:
            assert (gv.cpu() != cv).double().mean() < 0.01
        else:
            torch.testing.assert_close(gv.cpu(), cv, rtol=1e-12, atol=1e-12, equal_nan=True)
    if kind == "sum":
        grads = []
        for dev, kw in (("cpu", {}), (DEVICE, GPU)):
            xs, ys = x.to(dev).requires_grad_(), y.to(dev).requires_grad_()
            out = reduce(formula(xs, ys), axis + 1, ranges=ranges, **kw)
            grads.append([t.cpu() for t in torch.autograd.grad((out ** 2).sum(), [xs, ys])])
        for a, b in zip(*grads):
            torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["sum", "Kmin_argKmin", "logsumexp"])
def test_ranges_few_rows_long_intervals(name):
    """3 rows reading 60,000 columns in 3 intervals: the 2-D scheme, chosen
    by the sizes (chunks of the block's intervals laid end to end, a chunk
    border inside an interval)."""
    from keops.torch import LazyTensor as LT
    reduce = dict(KINDS)[name]
    g = torch.Generator().manual_seed(5)
    x = torch.randn(3, 1, D, generator=g, dtype=torch.float64)
    y = torch.randn(1, 100_000, D, generator=g, dtype=torch.float64)
    i64 = dict(dtype=torch.int64)
    ranges = (torch.tensor([[0, 3]], **i64), torch.tensor([3], **i64),
              torch.tensor([[90_000, 100_000], [0, 20_000], [50_000, 80_000]], **i64),
              torch.tensor([[0, 20_000], [50_000, 80_000], [90_000, 100_000]], **i64),
              torch.tensor([1, 2, 3], **i64), torch.tensor([[0, 3]] * 3, **i64))

    def formula(x, y):
        return (-(LT(x) - LT(y)) ** 2).exp() * LT(y).sin()

    cpu = reduce(formula(x, y), 1, ranges=ranges)
    gpu = reduce(formula(_on_gpu(x), _on_gpu(y)), 1, ranges=ranges, **GPU)
    for gv, cv in zip(gpu if isinstance(gpu, tuple) else (gpu,),
                      cpu if isinstance(cpu, tuple) else (cpu,)):
        torch.testing.assert_close(gv.cpu(), cv, rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("scheme", ["1d", "2d"])
@pytest.mark.parametrize("op,k", [("Sum", None), ("ArgMin", None), ("KMin_ArgKMin", 4),
                                  ("ArgKMin", 40), ("LogSumExp", None),
                                  ("SumSoftMaxWeight", None)])
def test_partial_states_on_the_gpu(op, k, scheme, monkeypatch):
    """Partial states computed (by either scheme: the 2-D one merges its
    chunks' states and exports the result), merged and finalized by the GPU
    kernels (keops.distributed), against the CPU backend's whole
    reduction."""
    monkeypatch.setenv("KEOPS_GPU_SCHEME", scheme)
    from keops import Genred
    from keops.distributed import merge_all
    formula = "-SqDist(x, y)" if op in ("LogSumExp", "SumSoftMaxWeight") else \
        "Exp(-SqDist(x, y)) * b" if op == "Sum" else "SqDist(x, y)"
    g = Genred(formula, ["x = Vi(3)", "y = Vj(3)", "b = Vj(2)"], reduction_op=op, axis=1,
               opt_arg=k, formula2="b" if op == "SumSoftMaxWeight" else None)
    rng = np.random.default_rng(4)
    x, y, b = (torch.tensor(rng.standard_normal(s), dtype=torch.float32)
               for s in ((M, 3), (N, 3), (N, 2)))
    want = g(x, y, b, backend="CPU")
    cuts = [0, 100, 100, 333, N]
    states = [g.partial(_on_gpu(x), _on_gpu(y[a:c]), _on_gpu(b[a:c]), first=a, **GPU)
              for a, c in zip(cuts[:-1], cuts[1:])]
    assert states[0].arrays[0].device.type == DEVICE
    got = merge_all(states[::-1]).finalize()
    for u, v in zip(got if isinstance(got, tuple) else (got,),
                    want if isinstance(want, tuple) else (want,)):
        if not v.is_floating_point():     # indices: the same
            assert torch.equal(u.cpu(), v)
        else:
            torch.testing.assert_close(u.cpu(), v, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("scheme", ["1d", "2d"])
def test_kmin_heaps_special_values(scheme, monkeypatch):
    """K = 40 (heaps in a thread's memory, stored whole by the 2-D scheme):
    the heaps' order keys keep the CPU's order of NaNs, signed zeros,
    infinities and ties by index, and its padding of short lists."""
    monkeypatch.setenv("KEOPS_GPU_SCHEME", scheme)
    from keops.torch import LazyTensor as LT
    nan, inf = float("nan"), float("inf")
    row = [0.0, -0.0, nan, -2.5, 0.0, -0.0, -nan, 2.0**-100, -(2.0**-100), -inf, inf, 3.0]
    y = torch.tensor(row * 4 + [1.0] * 500, dtype=torch.float32)[:, None]
    x = torch.zeros(5, 1, dtype=torch.float32)
    for n in (len(y), 20):   # 20 reduced rows: fewer than K, padded
        def formula(x, y):   # y_j (x_i + 1): exactly y_j, -0 kept
            return LT(y[None, :n, :]) * (LT(x[:, None, :]) + 1)
        cpu = formula(x, y).Kmin_argKmin(40, dim=1)
        gpu = formula(_on_gpu(x), _on_gpu(y)).Kmin_argKmin(40, dim=1, **GPU)
        assert torch.equal(gpu[1].cpu(), cpu[1])
        torch.testing.assert_close(gpu[0].cpu(), cpu[0], rtol=0, atol=0, equal_nan=True)
