"""ComplexLazyTensor: complex formulas against NumPy / torch dense
computations, torch autograd on complex inputs against torch's own, and the
errors of what complex numbers do not define.

Every formula is reduced with a sum over j (or over i, or K @ v), so that
each complex op meets several pairs; the dense reference builds the M x N
matrix with NumPy's complex arithmetic."""

import numpy as np
import pytest

import keops.numpy as kn

torch = pytest.importorskip("torch")
import keops.torch as kt  # noqa: E402

pytestmark = pytest.mark.usefixtures("keops_cache_dir")

M, N, D = 23, 31, 3
CDTYPES = {"float32": np.complex64, "float64": np.complex128}
TOL = {"float32": 2e-4, "float64": 1e-11}


def cplx(rng, *shape, dtype="float64"):
    return (rng.normal(size=shape) + 1j * rng.normal(size=shape)).astype(CDTYPES[dtype])


@pytest.fixture
def rng():
    return np.random.default_rng(12)


def data(rng, dtype):
    real = lambda *s: rng.normal(size=s).astype(dtype)  # noqa: E731
    return dict(z=cplx(rng, M, D, dtype=dtype), w=cplx(rng, N, D, dtype=dtype),
                u=cplx(rng, N, 1, dtype=dtype), x=real(M, D), y=real(N, D),
                s=real(N, 1), p=cplx(rng, D, dtype=dtype))


def lazy(ns, d):
    """The LazyTensors of the data: i variables z, x; j variables w, u, y,
    s; the parameter p."""
    return dict(z=ns.LazyTensor(d["z"][:, None]), x=ns.LazyTensor(d["x"][:, None]),
                w=ns.LazyTensor(d["w"][None]), u=ns.LazyTensor(d["u"][None]),
                y=ns.LazyTensor(d["y"][None]), s=ns.LazyTensor(d["s"][None]),
                p=ns.LazyTensor(d["p"]))


def dense(d):
    """The same names as M x N x D (or x 1) NumPy arrays."""
    return dict(z=d["z"][:, None], x=d["x"][:, None], w=d["w"][None], u=d["u"][None],
                y=d["y"][None], s=d["s"][None], p=d["p"][None, None])


# formula(lazy or dense names, ns) -> an M x N x E complex or real value.
# The same lambda runs on LazyTensors and on NumPy arrays.
FORMULAS = {
    "add": lambda v, ns: v["z"] + v["w"],
    "sub": lambda v, ns: v["z"] - v["w"],
    "mul": lambda v, ns: v["z"] * v["w"],
    "div": lambda v, ns: v["z"] / v["w"],
    "rsub-rdiv": lambda v, ns: (1.5 - v["z"]) + 2.0 / v["w"],
    "broadcast-1": lambda v, ns: v["z"] * v["u"] + v["u"] - v["w"] / v["u"],
    "real-scalar": lambda v, ns: v["z"] * v["s"] + v["w"] / v["s"] - v["s"],
    "real-vector": lambda v, ns: v["z"] * v["y"] + v["x"] * v["w"] - v["y"] / v["z"],
    "real-vector-complex-1": lambda v, ns: v["u"] * v["x"],
    "parameter": lambda v, ns: v["z"] * v["p"] + v["p"] * v["w"],
    "numbers": lambda v, ns: (1j * v["z"] + (2 - 1j)) * v["s"] * 0.5,
    "conj": lambda v, ns: v["z"].conj() * v["w"],
    "exp": lambda v, ns: (v["z"] * v["w"] * 0.3).exp(),
    "abs": lambda v, ns: abs(v["z"] - v["w"]) * v["s"],
    "abs-method": lambda v, ns: (v["z"] - v["w"]).abs(),
    "angle": lambda v, ns: (v["z"] * v["w"]).angle(),
    "real-imag": lambda v, ns: (v["z"] * v["w"]).real - 2 * (v["z"] / v["w"]).imag,
    "real2complex": lambda v, ns: v["y"].real2complex() * v["z"],
    "imag2complex": lambda v, ns: v["x"].imag2complex() + v["w"],
    "exp1j": lambda v, ns: (v["x"] * v["y"]).exp1j() * v["u"],
    "csum": lambda v, ns: (v["z"] * v["w"]).sum(-1),
    "concat": lambda v, ns: v["z"].concat(v["u"]),
}


def as_dense(v):
    """The dense versions of what the formulas call as LazyTensor methods."""
    class A(np.ndarray):
        def conj(self):
            return np.conj(np.asarray(self)).view(A)

        def exp(self):
            return np.exp(np.asarray(self)).view(A)

        def abs(self):
            return np.abs(np.asarray(self)).view(A)

        def angle(self):
            return np.angle(np.asarray(self)).view(A)

        @property
        def real(self):
            return np.asarray(self).real.view(A)

        @property
        def imag(self):
            return np.asarray(self).imag.view(A)

        def real2complex(self):
            return (np.asarray(self) + 0j).view(A)

        def imag2complex(self):
            return (1j * np.asarray(self)).view(A)

        def exp1j(self):
            return np.exp(1j * np.asarray(self)).view(A)

        def sum(self, axis):
            return np.asarray(self).sum(axis, keepdims=True).view(A)

        def concat(self, other):
            a, b = np.asarray(self), np.asarray(other)
            rows = np.broadcast_shapes(a.shape[:-1], b.shape[:-1])
            return np.concatenate([np.broadcast_to(a, rows + a.shape[-1:]),
                                   np.broadcast_to(b, rows + b.shape[-1:])], -1).view(A)
    return {k: np.asarray(a).view(A) for k, a in v.items()}


def reference(name, d):
    with np.errstate(all="ignore"):
        f = np.asarray(FORMULAS[name](as_dense(dense(d)), None))
    return np.broadcast_to(f, (M, N, f.shape[-1]))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_formula_numpy(name, dtype, rng):
    d = data(rng, dtype)
    f = FORMULAS[name](lazy(kn, d), kn)
    ref = reference(name, d)
    for axis in (1, 0):
        got = f.sum(axis)
        want = ref.sum(axis)
        assert got.dtype == (want.dtype if np.iscomplexobj(ref) else dtype)
        scale = np.abs(want).max()
        np.testing.assert_allclose(got, want, rtol=TOL[dtype], atol=TOL[dtype] * scale)


@pytest.mark.parametrize("name", ["mul", "div", "real-vector", "exp", "exp1j", "angle"])
def test_formula_torch(name, rng):
    d = data(rng, "float64")
    f = FORMULAS[name](lazy(kt, {k: torch.from_numpy(v) for k, v in d.items()}), kt)
    got = f.sum(1)
    assert isinstance(got, torch.Tensor)
    np.testing.assert_allclose(got.numpy(), reference(name, d).sum(1), rtol=1e-11,
                               atol=1e-11)


def test_shapes_and_classes(rng):
    d = data(rng, "float32")
    v = lazy(kn, d)
    assert isinstance(v["z"], kn.ComplexLazyTensor) and isinstance(v["z"], kn.LazyTensor)
    assert v["z"].dtype == "complex64" and v["x"].dtype == "float32"
    assert v["z"].shape == (M, 1, D) and (v["z"] * v["w"]).shape == (M, N, D)
    assert (v["z"] * v["u"]).shape == (M, N, D) and v["u"].shape == (1, N)
    for real in (abs(v["z"]), v["z"].real, v["z"].imag, v["z"].angle()):
        assert type(real) is kn.LazyTensor and real.shape == (M, 1, D)
    assert isinstance(v["x"] * v["z"], kn.ComplexLazyTensor)
    assert isinstance(kn.LazyTensor(1 + 2j), kn.ComplexLazyTensor)
    assert isinstance(kn.Vj(d["w"]), kn.ComplexLazyTensor)
    assert kn.ComplexLazyTensor(d["z"], axis=0).shape == (M, 1, D)


def test_matmul(rng):
    d = data(rng, "float64")
    x, y = d["x"], d["y"]
    kd = np.exp(-((x[:, None] - y[None]) ** 2).sum(-1)) * np.exp(1j * (x[:, None, 0] * y[None, :, 0]))
    for ns in (kn, kt):
        conv = (lambda a: torch.from_numpy(a)) if ns is kt else (lambda a: a)
        xi, yj = ns.Vi(conv(x)), ns.Vj(conv(y))
        K = (-((xi - yj) ** 2).sum(-1)).exp() * (xi[0] * yj[0]).exp1j()
        for v in (d["w"], d["w"][:, 0], d["y"]):
            got = K @ conv(v)
            got = got.numpy() if ns is kt else got
            np.testing.assert_allclose(got, kd @ v, rtol=1e-11, atol=1e-11)
        # A real kernel against complex vectors.
        Kr = (-((xi - yj) ** 2).sum(-1)).exp()
        got = Kr @ conv(d["w"])
        got = got.numpy() if ns is kt else got
        np.testing.assert_allclose(got, np.abs(kd) @ d["w"], rtol=1e-11, atol=1e-11)


def test_batch(rng):
    B = 2
    z = cplx(rng, B, M, 1, D)
    w = cplx(rng, B, 1, N, D)
    got = (kn.LazyTensor(z) * kn.LazyTensor(w)).sum(2)   # over j, after 1 batch axis
    np.testing.assert_allclose(got, (z * w).sum(2), rtol=1e-11)


def test_symbolic_reduction(rng):
    d = data(rng, "float64")
    w = kn.LazyTensor(d["w"][None])
    red = (kn.Vi(0, D) * w).sum(1)    # a real symbolic variable, complex data
    got = red(d["x"])
    np.testing.assert_allclose(got, (d["x"][:, None] * d["w"][None]).sum(1), rtol=1e-11)


# ---------------------------------------------------------------------------
# torch autograd: gradients of a real loss with respect to complex and real
# inputs, as torch computes them on the dense complex matrices.
# ---------------------------------------------------------------------------

def _loss_inputs(rng, dtype):
    d = data(rng, "float64")
    t = {k: torch.tensor(v, dtype=getattr(torch, dtype) if np.isrealobj(v) else
                         (torch.complex64 if dtype == "float32" else torch.complex128),
                         requires_grad=True) for k, v in d.items()}
    return t


GRAD_FORMULAS = ["mul", "div", "exp", "abs", "angle", "real-imag", "real-vector", "exp1j",
                 "conj", "broadcast-1", "csum", "parameter"]


def _dense_torch(name, t):
    v = dict(z=t["z"][:, None], x=t["x"][:, None], w=t["w"][None], u=t["u"][None],
             y=t["y"][None], s=t["s"][None], p=t["p"][None, None])
    ops = {
        "conj": lambda a: torch.conj(a), "exp": torch.exp, "abs": torch.abs,
        "angle": torch.angle, "real2complex": lambda a: a + 0j,
        "imag2complex": lambda a: 1j * a, "exp1j": lambda a: torch.exp(1j * a),
        "sum": lambda a, axis: a.sum(axis, keepdim=True),
    }

    class W:
        def __init__(self, a):
            self.a = a

        def _w(self, r):
            return W(r)

        def __add__(self, o): return W(self.a + _u(o))
        def __radd__(self, o): return W(_u(o) + self.a)
        def __sub__(self, o): return W(self.a - _u(o))
        def __rsub__(self, o): return W(_u(o) - self.a)
        def __mul__(self, o): return W(self.a * _u(o))
        def __rmul__(self, o): return W(_u(o) * self.a)
        def __truediv__(self, o): return W(self.a / _u(o))
        def __rtruediv__(self, o): return W(_u(o) / self.a)
        def __abs__(self): return W(torch.abs(self.a))
        def conj(self): return W(torch.conj(self.a))
        def exp(self): return W(torch.exp(self.a))
        def abs(self): return W(torch.abs(self.a))
        def angle(self): return W(torch.angle(self.a))
        def exp1j(self): return W(ops["exp1j"](self.a))
        def sum(self, axis): return W(ops["sum"](self.a, axis))

        @property
        def real(self): return W(self.a.real)

        @property
        def imag(self): return W(self.a.imag)

    def _u(o):
        return o.a if isinstance(o, W) else o

    return FORMULAS[name]({k: W(a) for k, a in v.items()}, None).a


@pytest.mark.parametrize("name", GRAD_FORMULAS)
def test_autograd(name, rng):
    t = _loss_inputs(rng, "float64")
    f = FORMULAS[name](lazy(kt, t), kt)
    got = f.sum(1)
    ref = _dense_torch(name, t)
    ref = ref.expand(M, N, ref.shape[-1]).sum(1)
    weights = torch.tensor(rng.normal(size=tuple(ref.shape)), dtype=torch.float64)

    def loss(r):   # real, and not holomorphic in r
        return (weights * (r.abs() ** 2 if r.is_complex() else r)).sum()

    inputs = [v for v in t.values()]
    g_got = torch.autograd.grad(loss(got), inputs, allow_unused=True)
    g_ref = torch.autograd.grad(loss(ref), inputs, allow_unused=True)
    for k, a, b in zip(t, g_got, g_ref):
        if b is None:
            assert a is None or float(a.abs().max()) == 0, k
            continue
        assert a is not None, k
        assert a.dtype == b.dtype, k
        np.testing.assert_allclose(a.resolve_conj().numpy(), b.resolve_conj().numpy(),
                                   rtol=1e-9, atol=1e-9, err_msg=k)


def test_second_order_torch(rng):
    """A gradient of a gradient through complex ops (the compiler's rules
    differentiated again)."""
    t = _loss_inputs(rng, "float64")
    v = lazy(kt, t)
    got = (v["z"] * (v["x"] * v["y"]).exp1j()).sum(1)
    x, y, z = t["x"], t["y"], t["z"]
    ref = (z[:, None] * torch.exp(1j * x[:, None] * y[None])).sum(1)
    gx = torch.autograd.grad(got.abs().pow(2).sum(), x, create_graph=True)[0]
    rx = torch.autograd.grad(ref.abs().pow(2).sum(), x, create_graph=True)[0]
    np.testing.assert_allclose(gx.detach().numpy(), rx.detach().numpy(), rtol=1e-9, atol=1e-9)
    hy = torch.autograd.grad(gx.sum(), y)[0]
    ry = torch.autograd.grad(rx.sum(), y)[0]
    np.testing.assert_allclose(hy.numpy(), ry.numpy(), rtol=1e-8, atol=1e-8)


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

def test_errors(rng):
    d = data(rng, "float64")
    v = lazy(kn, d)
    z, w = v["z"], v["w"]
    with pytest.raises(TypeError, match="min reduction of a complex LazyTensor is not defined"):
        (z * w).min_reduction(axis=1)
    with pytest.raises(TypeError, match="argKmin is not defined for complex LazyTensors"):
        (z * w).argKmin(3, axis=1)
    with pytest.raises(TypeError, match="min is not defined for complex LazyTensors"):
        (z * w).min(1)
    with pytest.raises(TypeError, match="logsumexp_reduction is not defined for complex"):
        (z * w).logsumexp_reduction(axis=1)
    with pytest.raises(TypeError, match="sqrt is not defined for complex LazyTensors"):
        z.sqrt()
    with pytest.raises(TypeError, match="__lt__ is not defined for complex"):
        z < w
    with pytest.raises(ValueError, match="complex dimensions 3 and 2 do not match"):
        z * kn.LazyTensor(cplx(rng, N, 2)[None])
    with pytest.raises(ValueError, match="a complex of dimension 3 and a real of dimension 2"):
        z * kn.LazyTensor(d["y"][None, :, :2])
    with pytest.raises(ValueError, match="exp1j cannot be applied to a complex"):
        z.exp1j()
    with pytest.raises(TypeError, match="complex64 or complex128"):
        kn.ComplexLazyTensor(np.zeros((3, 1, 2), dtype=np.clongdouble))
    with pytest.raises(TypeError, match="ComplexLazyTensor takes complex tensors"):
        kt.ComplexLazyTensor(torch.zeros(3, 1, 2))
    with pytest.raises(ValueError, match="out= is not supported for complex"):
        (z * w).sum(1, out=np.zeros((M, 2 * D)))


def test_mlir_shows_complex_ops(rng):
    d = data(rng, "float64")
    v = lazy(kn, d)
    text = (abs(v["z"] / v["w"]) + (v["z"] * v["w"]).exp().conj().angle()).mlir("sum", 1)
    for op in ("keops.cdiv", "keops.cabs", "keops.cmul", "keops.cexp", "keops.conj",
               "keops.cangle"):
        assert op in text, op


# ---------------------------------------------------------------------------
# Formula strings (Genred): pykeops' complex operations on real vectors of
# (real, imaginary) pairs, which the results are too.
# ---------------------------------------------------------------------------

GENRED = {
    "ComplexMult(z, w)": lambda z, w, s: z * w,
    "ComplexAdd(z, w)": lambda z, w, s: z + w,
    "ComplexSubtract(z, w)": lambda z, w, s: z - w,
    "ComplexDivide(z, w)": lambda z, w, s: z / w,
    "ComplexRealScal(s, w)": lambda z, w, s: s * w,
    "ComplexReal(ComplexMult(z, w))": lambda z, w, s: (z * w).real,
    "ComplexImag(ComplexMult(z, w))": lambda z, w, s: (z * w).imag,
    "ComplexAbs(ComplexSubtract(z, w))": lambda z, w, s: np.abs(z - w),
    "ComplexSquareAbs(ComplexSubtract(z, w))": lambda z, w, s: np.abs(z - w) ** 2,
    "ComplexAngle(ComplexMult(z, w))": lambda z, w, s: np.angle(z * w),
    "ComplexMult(Conj(z), w)": lambda z, w, s: np.conj(z) * w,
    "ComplexExp(ComplexMult(z, w))": lambda z, w, s: np.exp(z * w),
    "ComplexMult(ComplexExp1j(s), w)": lambda z, w, s: np.exp(1j * s) * w,
    "ComplexAdd(Real2Complex(s), Imag2Complex(s))": lambda z, w, s: s + 1j * s,
    "ComplexSum(ComplexMult(z, w))": lambda z, w, s: (z * w).sum(-1, keepdims=True),
    "ComplexSumT(ComplexSum(w), 6)": lambda z, w, s: np.repeat(w.sum(-1, keepdims=True), 3, -1),
}


@pytest.mark.parametrize("text", sorted(GENRED))
def test_genred_complex(text, rng):
    z, w = cplx(rng, M, D), cplx(rng, N, D)
    s = rng.normal(size=(N, 1))
    routine = kn.Genred(text, ["z = Vi(6)", "w = Vj(6)", "s = Vj(1)"], reduction_op="Sum",
                        axis=1)
    got = routine(z.view(np.float64), w.view(np.float64), s)
    want = GENRED[text](z[:, None], w[None], s[None])
    want = np.broadcast_to(want, (M, N, want.shape[-1])).sum(1)
    if np.iscomplexobj(want):
        assert got.shape == (M, 2 * want.shape[-1])
        got = got.view(np.complex128)
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-11)


def test_genred_complex_errors():
    with pytest.raises(ValueError, match="an even dimension, got 3"):
        kn.Genred("ComplexMult(x, x)", ["x = Vi(3)"], axis=1)
    with pytest.raises(ValueError, match="ComplexSumT.f, d. takes one complex number"):
        kn.Genred("ComplexSumT(x, 6)", ["x = Vi(4)"], axis=1)


def test_real_lazytensor_times_complex_number(rng):
    """pykeops' NUDFT test writes -2 pi 1j * p * f with real LazyTensors p, f."""
    x = cplx(rng, 1, N, 1)
    p, f = rng.random((1, N, 1)), rng.random((M, 1, 1))
    X = kn.LazyTensor(x) * (-2 * np.pi * 1j * kn.LazyTensor(p) * kn.LazyTensor(f)).exp()
    np.testing.assert_allclose(X.sum(dim=1), (x * np.exp(-2j * np.pi * p * f)).sum(1),
                               rtol=1e-11)
    with pytest.raises(TypeError, match="atan2 is not defined between a real and a complex"):
        kn.LazyTensor(p).atan2(kn.LazyTensor(x))


def test_every_complex_op_is_covered(rng):
    """Each complex op of the emitter appears in a case above."""
    from keops import formula as fm
    from test_lazytensor import COMPLEX_OPS
    d = data(rng, "float64")
    seen = set()
    for f in FORMULAS.values():
        seen |= {n._op for n in fm.collect((f(lazy(kn, d), kn),))[0]}
    for text in GENRED:
        routine = kn.Genred(text, ["z = Vi(6)", "w = Vj(6)", "s = Vj(1)"], axis=1)
        seen |= {n._op for n in fm.collect(routine._reduction.roots)[0]}
    assert COMPLEX_OPS <= seen, COMPLEX_OPS - seen
