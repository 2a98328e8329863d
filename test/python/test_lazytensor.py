"""LazyTensor (keops.LazyTensor, keops.numpy, keops.torch): construction,
every formula op against a dense NumPy reference, operators, properties,
the emitted MLIR, transposition, K @ v, scipy's LinearOperator and solve.

Ops are checked in groups: each group is one formula, the concatenation of
its ops' values, so that one kernel per group and dtype covers a dozen ops
(a new kernel costs ~150 ms to compile). A failure names the op.
"""

import math

import numpy as np
import pytest
import scipy.sparse.linalg as spla
from scipy import special

import keops
import keops.numpy
from keops import LazyTensor, Pm, Vi, Vj

pytestmark = pytest.mark.usefixtures("keops_cache_dir")

M, N, D = 6, 7, 3
RTOL = {"float32": 2e-5, "float64": 1e-12}


def _inputs(dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(1.0, 2.0, (M, D)).astype(dtype)
    y = rng.uniform(0.0, 0.5, (N, D)).astype(dtype)
    p = rng.uniform(0.5, 1.5, D).astype(dtype)
    return x, y, p


def _dense(x, y, p):
    """float64 views broadcasting as (M, N, D)."""
    return (x.astype(np.float64)[:, None, :], y.astype(np.float64)[None, :, :],
            p.astype(np.float64))


def _bc(a):
    return np.broadcast_to(a, (M, N, a.shape[-1]))


# (name, LazyTensor builder (x_i, y_j, p), NumPy builder (X, Y, P) -> (M, N, d))
# s = x - y lies in [0.5, 2].
POINTWISE = [
    ("exp", lambda x, y, p: (x - y).exp(), lambda X, Y, P: np.exp(X - Y)),
    ("log", lambda x, y, p: (x - y).log(), lambda X, Y, P: np.log(X - Y)),
    ("sqrt", lambda x, y, p: (x - y).sqrt(), lambda X, Y, P: np.sqrt(X - Y)),
    ("rsqrt", lambda x, y, p: (x - y).rsqrt(), lambda X, Y, P: 1 / np.sqrt(X - Y)),
    ("sin", lambda x, y, p: (x - y).sin(), lambda X, Y, P: np.sin(X - Y)),
    ("cos", lambda x, y, p: (x - y).cos(), lambda X, Y, P: np.cos(X - Y)),
    ("tan", lambda x, y, p: ((x - y) * 0.5).tan(), lambda X, Y, P: np.tan((X - Y) * 0.5)),
    ("asin", lambda x, y, p: ((x - y) * 0.4).asin(), lambda X, Y, P: np.arcsin((X - Y) * 0.4)),
    ("acos", lambda x, y, p: ((x - y) * 0.4).acos(), lambda X, Y, P: np.arccos((X - Y) * 0.4)),
    ("atan", lambda x, y, p: (x - y).atan(), lambda X, Y, P: np.arctan(X - Y)),
    ("sinh", lambda x, y, p: (x - y).sinh(), lambda X, Y, P: np.sinh(X - Y)),
    ("cosh", lambda x, y, p: (x - y).cosh(), lambda X, Y, P: np.cosh(X - Y)),
    ("tanh", lambda x, y, p: (x - y).tanh(), lambda X, Y, P: np.tanh(X - Y)),
    ("erf", lambda x, y, p: (x - y).erf(), lambda X, Y, P: special.erf(X - Y)),
    ("atan2", lambda x, y, p: y.atan2(x - 1.5), lambda X, Y, P: np.arctan2(Y, X - 1.5)),
    ("xlogx", lambda x, y, p: (x - y).xlogx(), lambda X, Y, P: (X - Y) * np.log(X - Y)),
    ("sinxdivx", lambda x, y, p: (x - y - 1).sinxdivx(),
     lambda X, Y, P: np.sinc((X - Y - 1) / np.pi)),
    ("sinc", lambda x, y, p: (x - y).sinc(), lambda X, Y, P: np.sinc(X - Y)),
    ("square", lambda x, y, p: (x - y).square(), lambda X, Y, P: (X - Y) ** 2),
    ("pow2", lambda x, y, p: (x - y) ** 2, lambda X, Y, P: (X - Y) ** 2),
    ("pow3", lambda x, y, p: (x - y) ** 3, lambda X, Y, P: (X - Y) ** 3),
    ("pow-2", lambda x, y, p: (x - y) ** -2, lambda X, Y, P: (X - Y) ** -2.0),
    ("pow0.5", lambda x, y, p: (x - y) ** 0.5, lambda X, Y, P: np.sqrt(X - Y)),
    ("pow-0.5", lambda x, y, p: (x - y) ** -0.5, lambda X, Y, P: 1 / np.sqrt(X - Y)),
    ("powf_float", lambda x, y, p: (x - y) ** 1.5, lambda X, Y, P: (X - Y) ** 1.5),
    ("powf_lazy", lambda x, y, p: (x - y) ** p, lambda X, Y, P: (X - Y) ** P),
    ("powf_scalar_lazy", lambda x, y, p: (x - y) ** p[0], lambda X, Y, P: (X - Y) ** P[0]),
    ("power", lambda x, y, p: (x - y).power(3), lambda X, Y, P: (X - Y) ** 3),
    ("rpow", lambda x, y, p: 2.0 ** (x - y), lambda X, Y, P: 2.0 ** (X - Y)),
    ("inv", lambda x, y, p: 1 / (x - y), lambda X, Y, P: 1 / (X - Y)),
    ("inv_method", lambda x, y, p: (x - y).inv(), lambda X, Y, P: 1 / (X - Y)),
    ("neg", lambda x, y, p: -(x - y), lambda X, Y, P: -(X - Y)),
    ("abs", lambda x, y, p: abs(x - y - 1.25), lambda X, Y, P: np.abs(X - Y - 1.25)),
    ("abs_method", lambda x, y, p: (x - y - 1.25).abs(), lambda X, Y, P: np.abs(X - Y - 1.25)),
    ("sign", lambda x, y, p: (x - y - 1.25).sign(), lambda X, Y, P: np.sign(X - Y - 1.25)),
    ("step", lambda x, y, p: (x - y - 1.25).step(), lambda X, Y, P: (X - Y >= 1.25) * 1.0),
    ("relu", lambda x, y, p: (x - y - 1.25).relu(), lambda X, Y, P: np.maximum(X - Y - 1.25, 0)),
    ("floor", lambda x, y, p: (3 * (x - y)).floor(), lambda X, Y, P: np.floor(3 * (X - Y))),
    ("ceil", lambda x, y, p: (3 * (x - y)).ceil(), lambda X, Y, P: np.ceil(3 * (X - Y))),
    ("round0", lambda x, y, p: (3 * (x - y)).round(), lambda X, Y, P: np.round(3 * (X - Y))),
    ("round2", lambda x, y, p: (x - y).round(2), lambda X, Y, P: np.round(X - Y, 2)),
    ("clamp_float", lambda x, y, p: (x - y).clamp(0.8, 1.5), lambda X, Y, P: np.clip(X - Y, 0.8, 1.5)),
    ("clamp_int", lambda x, y, p: (3 * (x - y)).clamp(2, 4), lambda X, Y, P: np.clip(3 * (X - Y), 2, 4)),
    ("clamp_lazy", lambda x, y, p: x.clamp(y + 1, p + 0.75),
     lambda X, Y, P: np.minimum(np.maximum(X, Y + 1), P + 0.75)),
    ("ifelse", lambda x, y, p: (x - y - 1.25).ifelse(x, y),
     lambda X, Y, P: np.where(X - Y - 1.25 >= 0, X, Y)),
    ("ifelse_scalars", lambda x, y, p: (x - y - 1.25).ifelse(1.0, -2),
     lambda X, Y, P: np.where(X - Y - 1.25 >= 0, 1.0, -2.0)),
    ("mod", lambda x, y, p: (x - y).mod(0.3), lambda X, Y, P: np.mod(X - Y, 0.3)),
    ("mod_offset", lambda x, y, p: (x - y).mod(0.3, 0.1),
     lambda X, Y, P: X - Y - 0.3 * np.floor((X - Y - 0.1) / 0.3)),
    ("lt", lambda x, y, p: x - y < 1.25, lambda X, Y, P: (X - Y < 1.25) * 1.0),
    ("le", lambda x, y, p: x - y <= 1.25, lambda X, Y, P: (X - Y <= 1.25) * 1.0),
    ("gt", lambda x, y, p: x - y > 1.25, lambda X, Y, P: (X - Y > 1.25) * 1.0),
    ("ge", lambda x, y, p: x - y >= 1.25, lambda X, Y, P: (X - Y >= 1.25) * 1.0),
    ("eq", lambda x, y, p: (3 * (x - y)).round() == 4, lambda X, Y, P: (np.round(3 * (X - Y)) == 4) * 1.0),
    ("ne", lambda x, y, p: (3 * (x - y)).round() != 4, lambda X, Y, P: (np.round(3 * (X - Y)) != 4) * 1.0),
    ("rlt", lambda x, y, p: 1.25 < x - y, lambda X, Y, P: (1.25 < X - Y) * 1.0),
    ("add", lambda x, y, p: x + y, lambda X, Y, P: X + Y),
    ("add_int", lambda x, y, p: x + 2, lambda X, Y, P: _bc(X + 2)),
    ("radd_float", lambda x, y, p: 0.5 + y, lambda X, Y, P: _bc(0.5 + Y)),
    ("sub_param", lambda x, y, p: x - p, lambda X, Y, P: _bc(X - P)),
    ("rsub", lambda x, y, p: 3 - x, lambda X, Y, P: _bc(3 - X)),
    ("mul", lambda x, y, p: x * y, lambda X, Y, P: X * Y),
    ("rmul_int", lambda x, y, p: 3 * y, lambda X, Y, P: _bc(3 * Y)),
    ("div", lambda x, y, p: y / x, lambda X, Y, P: Y / X),
    ("rdiv", lambda x, y, p: 2.5 / x, lambda X, Y, P: _bc(2.5 / X)),
    ("bcast_mul", lambda x, y, p: x * (y.sum(-1)), lambda X, Y, P: X * Y.sum(-1, keepdims=True)),
    ("bcast_add", lambda x, y, p: x.sum(-1) + y, lambda X, Y, P: X.sum(-1, keepdims=True) + Y),
    ("bcast_sub", lambda x, y, p: x[0] - y, lambda X, Y, P: X[..., :1] - Y),
    ("bcast_div", lambda x, y, p: y / x[2], lambda X, Y, P: Y / X[..., 2:3]),
    ("numpy_scalar", lambda x, y, p: x * np.float64(0.25), lambda X, Y, P: _bc(X * 0.25)),
    ("list_param", lambda x, y, p: x * [1.0, 2.0, 3.0], lambda X, Y, P: _bc(X * [1.0, 2.0, 3.0])),
]

SHAPES = [
    ("grad", lambda x, y, p: (x - y).sqnorm2().grad(x, p[0]), lambda X, Y, P: 2 * (X - Y) * P[0]),
    ("diff", lambda x, y, p: (x - y).sqnorm2().diff(x, p),
     lambda X, Y, P: 2 * ((X - Y) * P).sum(-1, keepdims=True)),
    ("sqnorm2", lambda x, y, p: (x - y).sqnorm2(), lambda X, Y, P: ((X - Y) ** 2).sum(-1, keepdims=True)),
    ("norm2", lambda x, y, p: (x - y).norm2(), lambda X, Y, P: np.linalg.norm(X - Y, axis=-1)[..., None]),
    ("norm", lambda x, y, p: (x - y).norm(-1), lambda X, Y, P: np.linalg.norm(X - Y, axis=-1)[..., None]),
    ("normalize", lambda x, y, p: (x - y).normalize(),
     lambda X, Y, P: (X - Y) / np.linalg.norm(X - Y, axis=-1, keepdims=True)),
    ("sqdist", lambda x, y, p: x.sqdist(y), lambda X, Y, P: ((X - Y) ** 2).sum(-1, keepdims=True)),
    ("sqdist_bcast", lambda x, y, p: x.sqdist(y[0]), lambda X, Y, P: ((X - Y[..., :1]) ** 2).sum(-1, keepdims=True)),
    ("scalar_product", lambda x, y, p: (x | y), lambda X, Y, P: (X * Y).sum(-1, keepdims=True)),
    ("sum", lambda x, y, p: (x * y).sum(-1), lambda X, Y, P: (X * Y).sum(-1, keepdims=True)),
    ("sum_axis2", lambda x, y, p: (x * y).sum(axis=2), lambda X, Y, P: (X * Y).sum(-1, keepdims=True)),
    ("max", lambda x, y, p: (x - y).max(-1), lambda X, Y, P: (X - Y).max(-1, keepdims=True)),
    ("min", lambda x, y, p: (x - y).min(dim=-1), lambda X, Y, P: (X - Y).min(-1, keepdims=True)),
    ("argmax", lambda x, y, p: (x - y).argmax(-1), lambda X, Y, P: (X - Y).argmax(-1)[..., None] * 1.0),
    ("argmin", lambda x, y, p: (x - y).argmin(), lambda X, Y, P: (X - Y).argmin(-1)[..., None] * 1.0),
    ("elem", lambda x, y, p: (x - y).elem(1), lambda X, Y, P: (X - Y)[..., 1:2]),
    ("getitem", lambda x, y, p: (x - y)[2], lambda X, Y, P: (X - Y)[..., 2:3]),
    ("getitem_neg", lambda x, y, p: (x - y)[-1], lambda X, Y, P: (X - Y)[..., 2:3]),
    ("getitem_tuple", lambda x, y, p: (x - y)[:, :, 0], lambda X, Y, P: (X - Y)[..., 0:1]),
    ("slice", lambda x, y, p: (x - y)[1:3], lambda X, Y, P: (X - Y)[..., 1:3]),
    ("slice_open", lambda x, y, p: (x - y)[:2], lambda X, Y, P: (X - Y)[..., :2]),
    ("extract", lambda x, y, p: (x - y).extract(1, 2), lambda X, Y, P: (X - Y)[..., 1:3]),
    ("concat", lambda x, y, p: x.concat(y), lambda X, Y, P: np.concatenate([_bc(X), _bc(Y)], -1)),
    ("concatenate", lambda x, y, p: LazyTensor.concatenate((x[0], y, p[1])),
     lambda X, Y, P: np.concatenate([_bc(X[..., :1]), _bc(Y), _bc(P[None, None, 1:2])], -1)),
    ("cat", lambda x, y, p: LazyTensor.cat((y[0], x), -1),
     lambda X, Y, P: np.concatenate([_bc(Y[..., :1]), _bc(X)], -1)),
    ("one_hot", lambda x, y, p: (2 * (x - y).sum(-1) - 4).one_hot(6),
     lambda X, Y, P: _one_hot(2 * (X - Y).sum(-1) - 4, 6)),
    ("matvecmult", lambda x, y, p: x.concat(y).matvecmult(p),
     lambda X, Y, P: np.einsum("mnij,j->mni", np.concatenate([_bc(X), _bc(Y)], -1)
                               .reshape(M, N, 2, 3), P)),
    ("vecmatmult", lambda x, y, p: y[:2].vecmatmult(x.concat(p)),
     lambda X, Y, P: np.einsum("mni,mnij->mnj", _bc(Y[..., :2]),
                               np.concatenate([_bc(X), _bc(P[None, None])], -1).reshape(M, N, 2, 3))),
    ("tensorprod", lambda x, y, p: x.tensorprod(y[:2]),
     lambda X, Y, P: np.einsum("mni,mnj->mnij", _bc(X), _bc(Y[..., :2])).reshape(M, N, 6)),
    ("tensordot", lambda x, y, p: x.concat(y).keops_tensordot(p, [2, 3], [3], [1], [0]),
     lambda X, Y, P: np.einsum("mnij,j->mni", np.concatenate([_bc(X), _bc(Y)], -1)
                               .reshape(M, N, 2, 3), P)),
    ("tensordot_outer_perm", lambda x, y, p: x[:2].keops_tensordot(y, [2], [3], [], [], [1, 0]),
     lambda X, Y, P: np.einsum("mni,mnj->mnji", _bc(X[..., :2]), _bc(Y)).reshape(M, N, 6)),
    ("kron", lambda x, y, p: x[:2].keops_kron(y, [2], [3]),
     lambda X, Y, P: np.einsum("mni,mnj->mnij", _bc(X[..., :2]), _bc(Y)).reshape(M, N, 6)),
    ("weightedsqnorm_iso", lambda x, y, p: (x - y).weightedsqnorm(p[0]),
     lambda X, Y, P: P[0] * ((X - Y) ** 2).sum(-1, keepdims=True)),
    ("weightedsqnorm_diag", lambda x, y, p: (x - y).weightedsqnorm(p),
     lambda X, Y, P: (P * (X - Y) ** 2).sum(-1, keepdims=True)),
    ("weightedsqnorm_full", lambda x, y, p: (x - y).weightedsqnorm(p.tensorprod(p)),
     lambda X, Y, P: (((X - Y) @ P) ** 2)[..., None]),
    ("weightedsqdist", lambda x, y, p: x.weightedsqdist(y, p),
     lambda X, Y, P: (P * (X - Y) ** 2).sum(-1, keepdims=True)),
    ("weightedsqdist_float", lambda x, y, p: x.weightedsqdist(y, 2.0),
     lambda X, Y, P: 2 * ((X - Y) ** 2).sum(-1, keepdims=True)),
]


def _one_hot(v, d):
    r = np.round(v)
    return (r[..., None] == np.arange(d)) * 1.0


def _groups(cases, size):
    return [cases[k:k + size] for k in range(0, len(cases), size)]


GROUPS = [("pointwise", n, g) for n, g in enumerate(_groups(POINTWISE, 12))] + \
         [("shapes", n, g) for n, g in enumerate(_groups(SHAPES, 12))]


def _check_group(group, dtype, axis, lazy_cls=LazyTensor, framework="numpy"):
    x, y, p = _inputs(dtype)
    if framework == "torch":
        import torch
        xl, yl, pl = (lazy_cls(torch.from_numpy(x)[:, None, :]),
                      lazy_cls(torch.from_numpy(y)[None, :, :]), lazy_cls(torch.from_numpy(p)))
    else:
        xl, yl, pl = lazy_cls(x[:, None, :]), lazy_cls(y[None, :, :]), lazy_cls(p)
    X, Y, P = _dense(x, y, p)
    parts = [(name, lt(xl, yl, pl), ref(X, Y, P)) for name, lt, ref in group]
    for name, lt, ref in parts:
        assert lt.ndim == ref.shape[-1], (name, lt.ndim, ref.shape)
    formula = LazyTensor.concatenate(tuple(lt for _, lt, _ in parts))
    out = formula.sum(axis=axis)
    if framework == "torch":
        import torch
        assert isinstance(out, torch.Tensor)
        out = out.numpy()
    assert out.dtype == dtype
    assert out.shape == ((M if axis == 1 else N), formula.ndim)
    start = 0
    for name, lt, ref in parts:
        got = out[:, start:start + lt.ndim]
        start += lt.ndim
        want = ref.sum(axis=axis)
        scale = np.abs(ref).sum(axis=axis)
        np.testing.assert_allclose(got, want, rtol=RTOL[dtype], atol=RTOL[dtype] * scale.max(),
                                   err_msg=f"op {name} ({dtype}, sum over {'ij'[axis]})")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind, n, group", GROUPS, ids=[f"{k}{n}" for k, n, _ in GROUPS])
def test_ops_against_numpy(kind, n, group, dtype):
    _check_group(group, dtype, axis=1)


@pytest.mark.parametrize("kind, n, group", GROUPS[:1] + GROUPS[-1:],
                         ids=[f"{k}{n}" for k, n, _ in GROUPS[:1] + GROUPS[-1:]])
def test_ops_reduced_over_i(kind, n, group):
    _check_group(group, "float64", axis=0)


def test_ops_through_keops_torch():
    torch = pytest.importorskip("torch")
    import keops.torch
    _check_group(SHAPES[:10], "float32", axis=1, lazy_cls=keops.torch.LazyTensor,
                 framework="torch")


def test_every_formula_op_is_covered():
    """Each op that the emitter knows has a case above (the complex ones in
    test_complex.py)."""
    from keops import formula as fm
    x, y, p = _inputs("float64")
    seen = set()
    for _, lt, _ in POINTWISE + SHAPES:
        nodes, _, _ = fm.collect((lt(Vi(x), Vj(y), Pm(p)),))
        seen |= {n._op for n in nodes}
    real_ops = set(fm.OPS) - COMPLEX_OPS - INTERNAL_OPS
    assert real_ops | {"var"} == seen, real_ops ^ (seen - {"var"})


COMPLEX_OPS = {"cmul", "cdiv", "conj", "cexp", "cabs", "cangle", "csum", "shuffle",
               "real2complex", "imag2complex", "as_complex"}
# Ops no LazyTensor method builds: select_index is the forward-mode rule of
# the min and K-min kinds (test_torch_func.py covers it).
INTERNAL_OPS = {"select_index"}


# --------------------------------------------------------------------------
# Construction and properties
# --------------------------------------------------------------------------

def test_categories_from_shapes():
    x = np.zeros((5, 1, 3))
    y = np.zeros((1, 4, 3))
    assert LazyTensor(x).axis == 0 and LazyTensor(x).ndim == 3
    assert LazyTensor(y).axis == 1
    assert LazyTensor(np.zeros((1, 1, 2))).axis == 2
    assert LazyTensor(np.zeros(2)).axis == 2
    assert LazyTensor(np.float64(1.0)).axis == 2
    assert LazyTensor(np.zeros(())).ndim == 1
    assert LazyTensor(np.zeros((5, 3)), axis=0).axis == 0
    assert LazyTensor(np.zeros((5, 3)), axis=1).axis == 1
    assert Vi(np.zeros((5, 3))).axis == 0
    assert Vj(np.zeros((4, 3))).axis == 1
    assert Pm(np.zeros(3)).axis == 2
    assert Pm(2.0).axis == 2 and Pm(2.0).ndim == 1
    assert Vi(0, 3).axis == 0 and Vj(1, 2).ndim == 2 and Pm(2, 1).axis == 2
    assert LazyTensor((0, 3, 1)).axis == 1
    assert LazyTensor([1.0, 2.0]).ndim == 2
    K = LazyTensor(x) - LazyTensor(y)
    assert K.shape == (5, 4, 3) and K.ni == 5 and K.nj == 4 and K.dim() == 3
    assert K.sqnorm2().shape == (5, 4)
    assert K.dtype == "float64"
    assert LazyTensor(x.astype(np.float32)).dtype == "float32"
    assert "sub" in repr(K) and "(5, 4, 3)" in repr(K)


def test_scalars_are_constants_or_parameters():
    """As in pykeops: ints are compile-time constants, floats parameters (so
    that a new value does not compile a new kernel)."""
    x = np.linspace(0, 1, 12).reshape(4, 3)
    xi = Vi(x)
    assert "arith.constant dense<2.0>" in (xi * 2).mlir()
    text = (xi * 0.25).mlir()
    assert "arith.constant" not in text and "p tensor<1xf64>" in text
    from keops import reductions as rd
    before = len(rd._PLANS)
    outs = [(xi * s).sum(axis=1) for s in (0.25, 0.5, 0.75)]
    assert len(rd._PLANS) <= before + 1
    for s, o in zip((0.25, 0.5, 0.75), outs):
        np.testing.assert_allclose(o, x * s, rtol=1e-15)


def test_identities_of_pykeops_operators():
    xi = Vi(np.ones((2, 3)))
    assert xi + 0 is xi and 0 + xi is xi and xi - 0 is xi and xi * 1 is xi
    assert 1 * xi is xi and xi / 1 is xi
    assert (xi * -1)._op == "neg" and (0 - xi)._op == "neg" and (1 / xi)._op == "inv"
    assert (xi ** 2)._op == "square" and (xi ** 0.5)._op == "sqrt"


def test_numpy_and_torch_operands_are_converted():
    x = np.ones((3, 1, 2))
    y = np.full((1, 4, 2), 2.0)
    out = (Vi(x[:, 0]) * y).sum(axis=1)       # array operand: category from its shape
    np.testing.assert_array_equal(out, np.full((3, 2), 8.0))
    out = (y * Vi(x[:, 0])).sum(axis=1)       # reflected, NumPy defers to LazyTensor
    np.testing.assert_array_equal(out, np.full((3, 2), 8.0))


def test_results_keep_dtype_and_framework():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((5, 2))
    for dt in (np.float32, np.float64):
        out = (Vi(x.astype(dt)) - Vj(x.astype(dt))).sqnorm2().sum(axis=1)
        assert isinstance(out, np.ndarray) and out.dtype == dt and out.shape == (5, 1)
        xt = torch.from_numpy(x.astype(dt))
        outt = (LazyTensor(xt[:, None]) - LazyTensor(xt[None])).sqnorm2().sum(dim=1)
        assert isinstance(outt, torch.Tensor) and outt.dtype == xt.dtype
        assert outt.device == xt.device and outt.shape == (5, 1)
        np.testing.assert_allclose(outt.numpy(), out)
        idx = (LazyTensor(xt[:, None]) - LazyTensor(xt[None])).sqnorm2().argmin(dim=1)
        assert idx.dtype == torch.int64
        np.testing.assert_array_equal(idx.numpy()[:, 0], np.arange(5))


def test_non_contiguous_inputs_are_copied():
    base = np.arange(24.0).reshape(4, 6)
    x = base[:, ::2]                      # (4, 3), not contiguous
    assert not x.flags.c_contiguous
    out = (Vi(x) * Vj(np.ones((1, 3)))).sum(axis=1)
    np.testing.assert_array_equal(out, x)
    xf = np.asfortranarray(np.arange(12.0).reshape(4, 3))
    np.testing.assert_array_equal(Vi(xf).sum(axis=1), xf)


def test_in_place_changes_of_contiguous_inputs_are_seen():
    """A LazyTensor refers to its (contiguous) array, as in pykeops: K-means
    updates its centroids in place between reductions."""
    c = np.zeros((3, 2))
    cj = LazyTensor(c[None, :, :])
    xi = LazyTensor(np.ones((4, 1, 2)))
    assert ((xi - cj) ** 2).sum(-1).sum(axis=1)[0, 0] == 6.0
    c += 1.0
    assert ((xi - cj) ** 2).sum(-1).sum(axis=1)[0, 0] == 0.0


def test_shared_subformula_is_computed_once():
    xi, yj = Vi(np.ones((2, 3))), Vj(np.ones((3, 3)))
    d = (xi - yj).sqnorm2()
    text = (d.exp() + d).mlir()
    assert text.count("arith.subf") == 1 and text.count("keops.sqnorm2") == 1


def test_same_array_in_two_categories():
    """Vi(x) - Vj(x): the same array is two variables."""
    x = np.arange(6.0).reshape(3, 2)
    out = (Vi(x) - Vj(x)).sqnorm2().sum(axis=1)
    np.testing.assert_allclose(out[:, 0], ((x[:, None] - x[None]) ** 2).sum((1, 2)))


def test_formula_without_variable_of_the_reduced_axis():
    """As pykeops: that axis has size 1."""
    x = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(Vi(x).sum(axis=1), x)
    np.testing.assert_array_equal(Vj(x).sum(axis=0), x)
    np.testing.assert_array_equal(Vj(x).sum(axis=1), x.sum(0, keepdims=True))


# --------------------------------------------------------------------------
# The MLIR
# --------------------------------------------------------------------------

def test_mlir_of_the_gaussian_kernel():
    x = np.zeros((4, 3), np.float32)
    K = (-Vi(x).sqdist(Vj(x))).exp() * Vj(np.zeros((4, 1), np.float32))
    text = K.mlir()
    assert text == keops.emit_mlir(K, "sum", axis=1)
    assert "func.func @reduction(%a0: tensor<?x3xf32>, %a1: tensor<?x3xf32>, " \
           "%a2: tensor<?x1xf32>, %o0: tensor<?x1xf32>)" in text
    assert "keops.reduce sum over j ins(%a0 : i tensor<?x3xf32>, %a1 : j tensor<?x3xf32>, " \
           "%a2 : j tensor<?x1xf32>)" in text
    for line in ["keops.sqdist %v0, %v1 : vector<3xf32>", "arith.negf", "math.exp",
                 "arith.mulf", "keops.yield"]:
        assert line in text
    assert "over i" in K.mlir(axis=0)
    assert "f64" in K.mlir(dtype="float64")
    assert "keops.reduce argkmin k = 5 over j" in K.mlir("ArgKMin", K=5)
    assert "tensor<?x5xi64>" in K.mlir("argkmin", K=5)
    assert "keops.reduce min_argmin over j" in K.mlir("Min_ArgMin")
    w = Vj(np.zeros((4, 2), np.float32))
    assert "keops.yield %t4, %v3 : vector<1xf32>, vector<2xf32>" in \
        K.mlir("logsumexp", weight=w)
    # The text is what the reduction compiles.
    from keops import reductions as rd
    K.sum(axis=1)
    assert any(p.mlir == text for p in rd._PLANS.values())


def test_mlir_parses_with_keops_opt(tmp_path):
    import subprocess
    x = np.zeros((4, 3))
    K = (Vi(x) - Vj(x)).sqnorm2().clamp(0.1, 2).one_hot(3).concat(Vj(x)[0] / 3.0)
    path = tmp_path / "k.mlir"
    path.write_text(K.mlir("sum", axis=0))
    proc = subprocess.run([str(keops.tool_path("keops-opt")), str(path)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_float_literals():
    from keops.formula import float_literal
    assert float_literal(1e-10, "f32") == "1.0e-10"
    assert float_literal(2.5, "f64") == "2.5"
    assert float_literal(float("inf"), "f32") == "0x7F800000"
    assert float_literal(float("-inf"), "f64") == "0xFFF0000000000000"
    assert float_literal(float("nan"), "f32") == "0x7FC00000"


# --------------------------------------------------------------------------
# Linear algebra
# --------------------------------------------------------------------------

def _gaussian(x, y, sigma=1.0, lazy_cls=LazyTensor):
    x_i = lazy_cls(x[:, None, :])
    y_j = lazy_cls(y[None, :, :])
    D_ij = ((x_i - y_j) ** 2).sum(-1)
    return (-D_ij / (2 * sigma ** 2)).exp()


def test_matmul_transpose_matvec():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((8, 2)), rng.standard_normal((5, 2))
    K = _gaussian(x, y)
    Kd = np.exp(-((x[:, None] - y[None]) ** 2).sum(-1) / 2)
    v, w = rng.standard_normal(5), rng.standard_normal((8, 3))
    np.testing.assert_allclose(K @ v, Kd @ v, rtol=1e-13)
    assert (K @ v).shape == (8,)
    np.testing.assert_allclose(K @ v[:, None], Kd @ v[:, None], rtol=1e-13)
    np.testing.assert_allclose(K.T @ w, Kd.T @ w, rtol=1e-13)
    np.testing.assert_allclose(K.t() @ w, Kd.T @ w, rtol=1e-13)
    assert K.T.shape == (5, 8) and K.T.T is K
    np.testing.assert_allclose(K.matvec(v), Kd @ v, rtol=1e-13)
    np.testing.assert_allclose(K.rmatvec(w[:, 0]), Kd.T @ w[:, 0], rtol=1e-13)
    np.testing.assert_allclose(K.T.sum(axis=1), Kd.T.sum(1, keepdims=True), rtol=1e-13)


def test_matmul_torch():
    torch = pytest.importorskip("torch")
    from keops.torch import LazyTensor as TLazyTensor
    x = torch.randn(1000, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)[:50]
    y = x[:20] + 0.5
    K = _gaussian(x, y, lazy_cls=TLazyTensor)
    v = torch.rand(20, 2, dtype=torch.float64)
    Kd = torch.exp(-((x[:, None] - y[None]) ** 2).sum(-1) / 2)
    torch.testing.assert_close(K @ v, Kd @ v)
    torch.testing.assert_close(K.t() @ torch.ones(50, dtype=torch.float64),
                               Kd.t() @ torch.ones(50, dtype=torch.float64))


def test_scipy_linear_operator_cg_and_eigsh():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((60, 2))
    K = _gaussian(x, x, sigma=0.5)
    Kd = np.exp(-((x[:, None] - x[None]) ** 2).sum(-1) / (2 * 0.25))
    A = spla.aslinearoperator(K)
    assert A.shape == (60, 60) and A.dtype == np.float64
    b = rng.standard_normal(60)
    reg = spla.aslinearoperator(np.eye(60)) * 0.5 + A
    sol, info = spla.cg(reg, b, rtol=1e-12, atol=0)
    assert info == 0
    np.testing.assert_allclose(sol, np.linalg.solve(Kd + 0.5 * np.eye(60), b), rtol=1e-8)
    vals = spla.eigsh(A, k=4, which="LM", return_eigenvectors=False)
    np.testing.assert_allclose(np.sort(vals), np.linalg.eigvalsh(Kd)[-4:], rtol=1e-9)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_solve_against_numpy(dtype):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((40, 2)).astype(dtype)
    b = rng.standard_normal((40, 3)).astype(dtype)
    K = _gaussian(x, x, sigma=0.7)
    alpha = 0.5
    xd = x.astype(np.float64)
    Kd = np.exp(-((xd[:, None] - xd[None]) ** 2).sum(-1) / (2 * 0.49))
    want = np.linalg.solve(Kd + alpha * np.eye(40), b.astype(np.float64))
    a = K.solve(b, alpha=alpha, eps=1e-10 if dtype == "float64" else 1e-5)
    assert a.shape == (40, 3) and a.dtype == dtype
    np.testing.assert_allclose(a, want, rtol=1e-8 if dtype == "float64" else 2e-3,
                               atol=1e-8 if dtype == "float64" else 2e-3)
    # b given as an i variable, as pykeops users write it
    a2 = K.solve(LazyTensor(b[:, None, :]), alpha=alpha, eps=1e-10 if dtype == "float64" else 1e-5)
    np.testing.assert_allclose(a2, a, rtol=1e-6)


def test_solve_torch():
    torch = pytest.importorskip("torch")
    from keops.torch import LazyTensor as TLazyTensor
    g = torch.Generator().manual_seed(1)
    x = torch.randn(30, 2, generator=g, dtype=torch.float64)
    b = torch.randn(30, 1, generator=g, dtype=torch.float64)
    K = _gaussian(x, x, lazy_cls=TLazyTensor)
    a = K.solve(b, alpha=1.0, eps=1e-12)
    Kd = torch.exp(-((x[:, None] - x[None]) ** 2).sum(-1) / 2)
    torch.testing.assert_close(a, torch.linalg.solve(Kd + torch.eye(30, dtype=torch.float64), b))


def test_keops_numpy_lazytensor_is_the_same_api():
    x = np.random.default_rng(6).standard_normal((5, 3))
    a = keops.numpy.LazyTensor(x[:, None, :])
    b = keops.numpy.Vj(x)
    assert isinstance(a - b, keops.numpy.LazyTensor)
    np.testing.assert_allclose((a - b).sqnorm2().sum(axis=1),
                               (Vi(x) - Vj(x)).sqnorm2().sum(axis=1))


def test_plans_do_not_keep_arrays_alive():
    import gc
    import weakref
    x = np.arange(12.0).reshape(4, 3)
    ref = weakref.ref(x)
    (Vi(x) * Vj(np.ones((2, 3))) + 0.5).sum(axis=1)
    del x
    gc.collect()
    assert ref() is None

