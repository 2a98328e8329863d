"""The GPU's tensor-core path (tensor_cores="tf32", docs/gpu.md): warp
tiles whose inner products of long vectors are m16n8k8 TF32 products.
Every reduction kind, over i and j, in both schemes, for feature axes that
are and are not multiples of 8 and sizes that are not multiples of the
tiles, against float64 torch, within the TF32 rounding; the path is really
taken (its results differ from the exact float32 ones by that rounding);
what it does not take (float64, gradients with wide states) runs exactly.
Runs on a GPU, or on the GPU emulator (which emulates the warp's products
and shuffles), like test_gpu.py."""

import numpy as np
import pytest

import keops
from keops import Vi, Vj

torch = pytest.importorskip("torch")

from test_gpu import DEVICE, GPU, _gpu_reason  # noqa: E402

pytestmark = [pytest.mark.skipif(_gpu_reason() is not None, reason=str(_gpu_reason())),
              pytest.mark.usefixtures("keops_cache_dir")]

TF32 = dict(GPU, tensor_cores="tf32")
K = 5

# (name, reduction of the distance LazyTensor, its float64 reference from
# the (rows, cols) distances and the (cols, E) weights; index kinds give
# the distances they pick.)
KINDS = [
    ("sum", lambda d, b, ax, **kw: ((-d).exp() * b).sum(axis=ax, **kw),
     lambda d2, b: torch.exp(-d2) @ b),
    ("min", lambda d, b, ax, **kw: d.min(axis=ax, **kw),
     lambda d2, b: d2.min(1, keepdim=True).values),
    ("max", lambda d, b, ax, **kw: d.max(axis=ax, **kw),
     lambda d2, b: d2.max(1, keepdim=True).values),
    ("argmin", lambda d, b, ax, **kw: d.argmin(axis=ax, **kw),
     lambda d2, b: d2.min(1, keepdim=True).values),
    ("argmax", lambda d, b, ax, **kw: d.argmax(axis=ax, **kw),
     lambda d2, b: d2.max(1, keepdim=True).values),
    ("min_argmin", lambda d, b, ax, **kw: d.min_argmin(axis=ax, **kw),
     lambda d2, b: d2.min(1, keepdim=True).values),
    ("Kmin", lambda d, b, ax, **kw: d.Kmin(K, axis=ax, **kw),
     lambda d2, b: torch.topk(d2, K, largest=False).values),
    ("argKmin", lambda d, b, ax, **kw: d.argKmin(K, axis=ax, **kw),
     lambda d2, b: torch.topk(d2, K, largest=False).values),
    ("logsumexp", lambda d, b, ax, **kw: (-d).logsumexp(axis=ax, **kw),
     lambda d2, b: torch.logsumexp(-d2, 1, keepdim=True)),
    ("logsumexp_weight",
     lambda d, b, ax, **kw: (-d).logsumexp(axis=ax, weight=b.exp(), **kw),
     lambda d2, b: torch.logsumexp(-d2[:, :, None] + b[None], 1)),
    ("sumsoftmaxweight", lambda d, b, ax, **kw: (-d).sumsoftmaxweight(b, axis=ax, **kw),
     lambda d2, b: torch.softmax(-d2, 1) @ b),
]
INDEX_KINDS = ("argmin", "argmax", "argKmin")

# TF32 keeps 10 bits of mantissa: the inner products of unit vectors are
# off by about 1e-3 at most, the squared distances (about 2) twice that.
TOL = 4e-3


def _points(d, rows, cols, width, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(rows, d, generator=g) / d ** 0.5
    y = torch.randn(cols, d, generator=g) / d ** 0.5
    b = torch.randn(cols, width, generator=g)
    return x, y, b


def _run(kind, x, y, b, axis, **options):
    """The reduction over j (axis 1) of the rows of x against those of y,
    or over i (axis 0) of those of y against those of x: the kept side is
    x either way."""
    reduce = dict((k[0], k[1]) for k in KINDS)[kind]
    xc, yc, bc = (t.to(DEVICE) for t in (x, y, b))
    if axis == 1:
        return reduce(Vi(xc).sqdist(Vj(yc)), Vj(bc), 1, **options)
    return reduce(Vj(xc).sqdist(Vi(yc)), Vi(bc), 0, **options)


def _check(kind, got, x, y, b):
    d2 = torch.cdist(x.double(), y.double()) ** 2
    want = dict((k[0], k[2]) for k in KINDS)[kind](d2, b.double())
    if isinstance(got, tuple):  # min_argmin: the values, then their indices
        got, idx = got
        torch.testing.assert_close(torch.gather(d2, 1, idx.cpu()), want,
                                   rtol=TOL, atol=TOL)
    if kind in INDEX_KINDS:
        got = torch.gather(d2, 1, got.cpu())
    torch.testing.assert_close(got.cpu().double(), want, rtol=TOL, atol=TOL)


@pytest.mark.parametrize("scheme", ["1d", "2d"])
@pytest.mark.parametrize("axis", [0, 1], ids=["over_i", "over_j"])
@pytest.mark.parametrize("d", [32, 100, 128])
@pytest.mark.parametrize("kind", [k[0] for k in KINDS])
def test_every_kind_on_the_tensor_cores(kind, d, axis, scheme, monkeypatch):
    monkeypatch.setenv("KEOPS_GPU_SCHEME", scheme)
    x, y, b = _points(d, 150, 301, 7, seed=d)
    _check(kind, _run(kind, x, y, b, axis, **TF32), x, y, b)


@pytest.mark.parametrize("width", [1, 7, 16])
@pytest.mark.parametrize("rows,cols", [(1, 9), (17, 8), (64, 1000), (129, 263)])
def test_sizes_and_right_hand_sides(rows, cols, width):
    """Fewer rows than a warp tile, columns in one partial group of 8, and
    right-hand sides up to the widest that stays on the tensor cores."""
    x, y, b = _points(64, rows, cols, width, seed=rows + cols)
    _check("sum", _run("sum", x, y, b, 1, **TF32), x, y, b)


def test_the_tensor_cores_round_to_tf32():
    """The same sum exactly in float32 and with TF32 products: both near
    float64, but the TF32 one off by its rounding, 1000 times the float32
    one's error: the products did run on (emulated) tensor cores."""
    x, y, b = _points(64, 200, 300, 1, seed=3)
    d2 = torch.cdist(x.double(), y.double()) ** 2
    want = torch.exp(-d2) @ b.double()
    exact = _run("sum", x, y, b, 1, **GPU).cpu().double()
    tf32 = _run("sum", x, y, b, 1, **TF32).cpu().double()
    assert (exact - want).abs().max() < 1e-5
    assert 1e-5 < (tf32 - want).abs().max() < TOL


def test_what_stays_exact():
    """float64 data, and gradients whose states are D wide, do not take the
    tensor cores: their results are exact."""
    x, y, b = _points(64, 100, 200, 1, seed=4)
    xd, yd, bd = x.double(), y.double(), b.double()
    d2 = torch.cdist(xd, yd) ** 2
    got = _run("sum", xd, yd, bd, 1, **TF32).cpu()
    torch.testing.assert_close(got, torch.exp(-d2) @ bd, rtol=1e-12, atol=1e-12)
    xg = x.to(DEVICE).requires_grad_()
    s = ((-Vi(xg).sqdist(Vj(y.to(DEVICE)))).exp() * Vj(b.to(DEVICE))).sum(axis=1, **TF32)
    grad = torch.autograd.grad(s.sum(), xg)[0].cpu().double()
    xr = xd.clone().requires_grad_()
    want = torch.autograd.grad((torch.exp(-torch.cdist(xr, yd) ** 2) @ bd).sum(), xr)[0]
    torch.testing.assert_close(grad, want, rtol=TOL, atol=TOL)


def test_nan_and_infinity_pass_through():
    """A NaN or infinite component reaches the result as it does in float32:
    the TF32 rounding keeps them."""
    x, y, b = _points(32, 40, 50, 1, seed=5)
    x[3, 7] = float("nan")
    x[5, 0] = float("inf")
    got = _run("min", x, y, b, 1, **TF32).cpu()
    assert torch.isnan(got[3]).all()
    assert torch.isinf(got[5]).all() or torch.isnan(got[5]).all()
    keep = [r for r in range(40) if r not in (3, 5)]
    _check("min", got[keep], x[keep], y, b)


def test_bad_tensor_cores_option():
    x, y, b = _points(32, 4, 4, 1, seed=6)
    with pytest.raises(ValueError, match="tensor_cores='fp16'"):
        _run("sum", x, y, b, 1, backend="GPU", tensor_cores="fp16")


def test_numpy_genred_on_the_tensor_cores():
    from keops.numpy import Genred
    x, y, b = (t.numpy() for t in _points(96, 70, 90, 3, seed=7))
    f = Genred("Exp(-SqDist(x, y)) * b", ["x = Vi(96)", "y = Vj(96)", "b = Vj(3)"],
               axis=1, tensor_cores="tf32")
    got = f(x, y, b, backend="GPU")
    d2 = ((x[:, None, :].astype(np.float64) - y[None]) ** 2).sum(-1)
    np.testing.assert_allclose(got, np.exp(-d2) @ b, rtol=TOL, atol=TOL)


@pytest.mark.parametrize("d", [40, 72])
def test_feature_axes_between_multiples_of_16(d):
    """Components are taken 16 at a time; 40 and 72 leave half a step."""
    x, y, b = _points(d, 45, 77, 2, seed=d)
    _check("sum", _run("sum", x, y, b, 1, **TF32), x, y, b)
    _check("argKmin", _run("argKmin", x, y, b, 1, **TF32), x, y, b)


def test_computed_left_operands():
    """A diagonal weighted distance: the Gram entry's left operand w * x_i
    is computed in registers, its fragments taken from them."""
    x, y, b = _points(48, 60, 90, 1, seed=8)
    w = torch.rand(48, generator=torch.Generator().manual_seed(9)) + 0.5
    xc, yc, wc = x.to(DEVICE), y.to(DEVICE), w.to(DEVICE)
    got = Vi(xc).weightedsqdist(Vj(yc), keops.Pm(wc)).min(axis=1, **TF32).cpu()
    want = ((x.double()[:, None] - y.double()[None]) ** 2 * w.double()).sum(-1)
    torch.testing.assert_close(got.double(), want.min(1, keepdim=True).values,
                               rtol=TOL, atol=TOL)


def test_batches_on_the_tensor_cores():
    """A batch axis (x broadcast along it): each element's warp tiles."""
    g = torch.Generator().manual_seed(10)
    x = torch.randn(1, 70, 64, generator=g) / 8
    y = torch.randn(3, 90, 64, generator=g) / 8
    b = torch.randn(3, 90, 2, generator=g)
    xi = keops.LazyTensor(x.to(DEVICE)[:, :, None, :])
    yj = keops.LazyTensor(y.to(DEVICE)[:, None, :, :])
    bj = keops.LazyTensor(b.to(DEVICE)[:, None, :, :])
    got = ((-xi.sqdist(yj)).exp() * bj).sum(axis=2, **TF32).cpu()
    d2 = ((x.double()[:, :, None] - y.double()[:, None]) ** 2).sum(-1)
    torch.testing.assert_close(got.double(), torch.exp(-d2) @ b.double(), rtol=TOL, atol=TOL)


@pytest.mark.parametrize("op,k", [("Sum", None), ("ArgKMin", 4), ("LogSumExp", None)])
def test_partial_states_on_the_tensor_cores(op, k):
    """Partial states of ranges of j (their first index offsets the warp
    tiles' columns), merged and finalized: the whole reduction."""
    from keops import Genred
    from keops.distributed import merge_all
    formula = "-SqDist(x, y)" if op == "LogSumExp" else \
        "Exp(-SqDist(x, y)) * b" if op == "Sum" else "SqDist(x, y)"
    g = Genred(formula, ["x = Vi(64)", "y = Vj(64)", "b = Vj(2)"], reduction_op=op, axis=1,
               opt_arg=k, tensor_cores="tf32")
    x, y, b = _points(64, 130, 311, 2, seed=11)
    cuts = [0, 100, 100, 250, 311]
    states = [g.partial(x.to(DEVICE), y[a:c].to(DEVICE), b[a:c].to(DEVICE), first=a, **GPU)
              for a, c in zip(cuts[:-1], cuts[1:])]
    got = merge_all(states[::-1]).finalize()
    d2 = torch.cdist(x.double(), y.double()) ** 2
    if op == "Sum":
        want = torch.exp(-d2) @ b.double()
    elif op == "LogSumExp":
        want = torch.logsumexp(-d2, 1, keepdim=True)
    else:
        want = torch.topk(d2, k, largest=False).values
        got = torch.gather(d2, 1, got.cpu())
    torch.testing.assert_close(got.cpu().double(), want, rtol=TOL, atol=TOL)


@pytest.mark.parametrize("kind", ["sum", "argKmin", "logsumexp", "sumsoftmaxweight"])
@pytest.mark.parametrize("d", [200, 256])
def test_left_operands_read_from_memory(kind, d):
    """Beyond 128 components the left operands' fragments are read from
    x's array for each group instead of held in registers."""
    x, y, b = _points(d, 70, 90, 3, seed=d + 1)
    _check(kind, _run(kind, x, y, b, 1, **TF32), x, y, b)
