"""keops.jax: reductions of JAX arrays against dense jax.numpy, eagerly and
under jax.jit, their gradients (jax.grad, through the compiler's gradient
reductions) against jax.grad of the dense evaluation, jax.vmap, dtypes and
the errors of bad calls."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.scipy.special import logsumexp

import keops.jax as kj
from keops import Vi, Vj

jax.config.update("jax_enable_x64", True)
pytestmark = pytest.mark.usefixtures("keops_cache_dir")

ALIASES = ["x = Vi(3)", "y = Vj(3)", "b = Vj(2)"]


def data(dtype="float64", m=37, n=53, seed=0):
    rng = np.random.default_rng(seed)
    return (jnp.asarray(rng.standard_normal((m, 3)), dtype),
            jnp.asarray(rng.standard_normal((n, 3)), dtype),
            jnp.asarray(rng.standard_normal((n, 2)), dtype))


def sqdist(x, y):
    return ((x[:, None] - y[None]) ** 2).sum(-1)


# (reduction_op, formula, formula2, K, dense reference of the first output)
CASES = [
    ("Sum", "Exp(-SqDist(x, y)) * b", None, None,
     lambda x, y, b: jnp.exp(-sqdist(x, y)) @ b),
    ("Min_ArgMin", "SqDist(x, y)", None, None,
     lambda x, y, b: sqdist(x, y).min(1, keepdims=True)),
    ("Max", "-SqDist(x, y) + 0.5", None, None,
     lambda x, y, b: (-sqdist(x, y) + 0.5).max(1, keepdims=True)),
    ("KMin_ArgKMin", "SqDist(x, y)", None, 4,
     lambda x, y, b: jnp.sort(sqdist(x, y), axis=1)[:, :4]),
    ("LogSumExp", "-SqDist(x, y)", None, None,
     lambda x, y, b: logsumexp(-sqdist(x, y), axis=1, keepdims=True)),
    ("SumSoftMaxWeight", "-SqDist(x, y)", "b", None,
     lambda x, y, b: jax.nn.softmax(-sqdist(x, y), axis=1) @ b),
]


def first(out):
    return out[0] if isinstance(out, tuple) else out


@pytest.mark.parametrize("op,formula,formula2,k,dense", CASES, ids=[c[0] for c in CASES])
def test_values_eager_and_jitted(op, formula, formula2, k, dense):
    x, y, b = data()
    g = kj.Genred(formula, ALIASES, reduction_op=op, axis=1, opt_arg=k, formula2=formula2)
    want = dense(x, y, b)
    np.testing.assert_allclose(first(g(x, y, b)), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(first(jax.jit(g)(x, y, b)), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("op,formula,formula2,k,dense", CASES, ids=[c[0] for c in CASES])
def test_gradients_against_dense(op, formula, formula2, k, dense):
    x, y, b = data()
    g = kj.Genred(formula, ALIASES, reduction_op=op, axis=1, opt_arg=k, formula2=formula2)
    w = jnp.asarray(np.random.default_rng(1).standard_normal(dense(x, y, b).shape))

    def loss(f):
        return lambda x, y, b: (first(f(x, y, b)) * w).sum()

    got = jax.grad(loss(g), argnums=(0, 1, 2))(x, y, b)
    want = jax.grad(loss(dense), argnums=(0, 1, 2))(x, y, b)
    for u, v in zip(got, want):
        np.testing.assert_allclose(u, v, rtol=1e-10, atol=1e-10)
    # Under jit, one input only.
    np.testing.assert_allclose(jax.jit(jax.grad(loss(g)))(x, y, b), want[0],
                               rtol=1e-10, atol=1e-10)


def test_indices_and_their_zero_gradients():
    x, y, _ = data()
    m = kj.Genred("SqDist(x, y)", ["x = Vi(3)", "y = Vj(3)"], reduction_op="Min_ArgMin",
                  axis=1)
    values, indices = m(x, y)
    assert indices.shape == (37, 1) and indices.dtype == jnp.int64
    np.testing.assert_array_equal(indices[:, 0], jnp.argmin(sqdist(x, y), axis=1))
    a = kj.Genred("SqDist(x, y)", ["x = Vi(3)", "y = Vj(3)"], reduction_op="ArgKMin", axis=1,
                  opt_arg=5)
    np.testing.assert_array_equal(a(x, y), jnp.argsort(sqdist(x, y), axis=1)[:, :5])
    grad = jax.grad(lambda x: a(x, y).astype(x.dtype).sum())(x)
    np.testing.assert_array_equal(grad, jnp.zeros_like(x))


def test_reduction_over_i_and_lazytensor_reductions():
    x, y, b = data()
    # Over i: one output row per y_j, b_i weights.
    g = kj.Genred("Exp(-SqDist(x, y)) * b", ["x = Vi(3)", "y = Vj(3)", "b = Vi(2)"],
                  reduction_op="Sum", axis=0)
    bi = b[:37]
    np.testing.assert_allclose(g(x, y, bi), jnp.exp(-sqdist(x, y)).T @ bi, rtol=1e-12)
    np.testing.assert_allclose(jax.grad(lambda x: g(x, y, bi).sum())(x),
                               jax.grad(lambda x: (jnp.exp(-sqdist(x, y)).T @ bi).sum())(x),
                               rtol=1e-10, atol=1e-12)
    f = kj.reduction((-((Vi(0, 3) - Vj(1, 3)) ** 2).sum(-1)).logsumexp(dim=1, call=False))
    lse = lambda x, y: logsumexp(-sqdist(x, y), axis=1, keepdims=True)  # noqa: E731
    np.testing.assert_allclose(f(x, y), lse(x, y), rtol=1e-12)
    np.testing.assert_allclose(jax.grad(lambda y: f(x, y).sum())(y),
                               jax.grad(lambda y: lse(x, y).sum())(y), rtol=1e-10, atol=1e-12)
    # K-min of vectors: pykeops' (M, K, D) shape.
    k = kj.Genred("x - y", ["x = Vi(3)", "y = Vj(3)"], reduction_op="KMin", axis=1, opt_arg=2)
    assert k(x, y).shape == (37, 2, 3)


def test_vmap_and_vmap_of_grad():
    x, y, b = data()
    g = kj.Genred("Exp(-SqDist(x, y)) * b", ALIASES, reduction_op="Sum", axis=1)
    xs = jnp.stack([x, 0.5 * x, -x])
    dense = lambda x: jnp.exp(-sqdist(x, y)) @ b  # noqa: E731
    np.testing.assert_allclose(jax.vmap(lambda x: g(x, y, b))(xs),
                               jnp.stack([dense(v) for v in xs]), rtol=1e-12)
    got = jax.vmap(jax.grad(lambda x: g(x, y, b).sum()))(xs)
    want = jnp.stack([jax.grad(lambda x: dense(x).sum())(v) for v in xs])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    # Per element, the gradient w.r.t. an argument that is not mapped.
    got = jax.vmap(jax.grad(lambda x, y: g(x, y, b).sum(), argnums=1), in_axes=(0, None))(xs, y)
    want = jnp.stack([jax.grad(lambda y: (jnp.exp(-sqdist(v, y)) @ b).sum())(y) for v in xs])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    # Two levels of vmap, of a logsumexp (whose gradient reads its output).
    f = kj.Genred("-SqDist(x, y)", ["x = Vi(3)", "y = Vj(3)"], reduction_op="LogSumExp",
                  axis=1)
    ys = jnp.stack([y, y + 1.0])
    lse = lambda x, y: logsumexp(-sqdist(x, y), axis=1, keepdims=True)  # noqa: E731
    got = jax.vmap(jax.vmap(f, in_axes=(None, 0)), in_axes=(0, None))(xs, ys)
    want = jnp.stack([jnp.stack([lse(v, w) for w in ys]) for v in xs])
    assert got.shape == (3, 2, 37, 1)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    got = jax.vmap(jax.grad(lambda x, y: f(x, y).sum()), in_axes=(0, 0))(xs[:2], ys)
    want = jnp.stack([jax.grad(lambda v: lse(v, w).sum())(v) for v, w in zip(xs[:2], ys)])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype,rtol", [("float32", 1e-5), ("float16", 2e-2)])
def test_float32_and_float16(dtype, rtol):
    x, y, b = data(dtype)
    g = kj.Genred("Exp(-SqDist(x, y)) * b", ALIASES, reduction_op="Sum", axis=1)
    out = g(x, y, b)
    assert out.dtype == jnp.dtype(dtype)
    want = jnp.exp(-sqdist(*[a.astype("float64") for a in (x, y)])) @ b.astype("float64")
    np.testing.assert_allclose(out.astype("float64"), want, rtol=rtol, atol=rtol)
    grad = jax.grad(lambda x: g(x, y, b).astype("float32").sum())(x)
    assert grad.dtype == jnp.dtype(dtype) and bool(jnp.isfinite(grad).all())


def test_bad_calls():
    x, y, b = data()
    g = kj.Genred("Exp(-SqDist(x, y)) * b", ALIASES, reduction_op="Sum", axis=1)
    with pytest.raises(ValueError, match=r"'x' \(Vi\(3\)\): expected shape \(M, 3\), got \(37, 2\)"):
        g(x[:, :2], y, b)
    with pytest.raises(ValueError, match=r"'b' \(Vj\(2\)\): 50 rows, but other j variables "
                                         r"have N = 53"):
        g(x, y, b[:50])
    with pytest.raises(ValueError, match="takes 3 arguments"):
        g(x, y)
    with pytest.raises(TypeError, match="dtype float32 differs from float64"):
        g(x, y, b.astype("float32"))
    with pytest.raises(TypeError, match="expected float16, float32 or float64 data, got int64"):
        g(x.astype("int64"), y, b)
    with pytest.raises(ValueError, match="batch axes: jax.vmap"):
        g(x[None], y, b)
    with pytest.raises(TypeError, match="expected a keops Reduction"):
        kj.reduction(g)


def test_empty_axes_and_nan():
    g = kj.Genred("Exp(-SqDist(x, y)) * b", ALIASES, reduction_op="Sum", axis=1)
    x, y, b = data()
    assert g(x[:0], y, b).shape == (0, 2)
    np.testing.assert_array_equal(g(x, y[:0], b[:0]), jnp.zeros((37, 2)))
    np.testing.assert_array_equal(jax.grad(lambda x: g(x, y[:0], b[:0]).sum())(x),
                                  jnp.zeros_like(x))
    m = kj.Genred("SqDist(x, y)", ["x = Vi(3)", "y = Vj(3)"], reduction_op="Min_ArgMin",
                  axis=1)
    values, indices = m(x, y[:0])
    assert bool(jnp.isinf(values).all()) and bool((indices == -1).all())
    out = g(x.at[0, 1].set(jnp.nan), y, b)
    assert bool(jnp.isnan(out[0]).all()) and bool(jnp.isfinite(out[1:]).all())


def test_jacrev_and_a_scalar_parameter_under_vmap():
    x, y, b = data(m=6, n=9)
    g = kj.Genred("Exp(-SqDist(x, y)) * b", ALIASES, reduction_op="Sum", axis=1)
    dense = lambda x: jnp.exp(-sqdist(x, y)) @ b  # noqa: E731
    # jacrev maps the cotangent only.
    np.testing.assert_allclose(jax.jacrev(lambda x: g(x, y, b))(x), jax.jacrev(dense)(x),
                               rtol=1e-10, atol=1e-12)
    # A parameter of shape (), mapped by vmap and differentiated.
    h = kj.Genred("Exp(-s * SqDist(x, y)) * b", ALIASES + ["s = Pm(1)"], reduction_op="Sum",
                  axis=1)
    hd = lambda s: jnp.exp(-s * sqdist(x, y)) @ b  # noqa: E731
    scales = jnp.asarray([0.5, 1.0, 2.0])
    np.testing.assert_allclose(jax.vmap(lambda s: h(x, y, b, s))(scales),
                               jnp.stack([hd(s) for s in scales]), rtol=1e-12)
    got = jax.vmap(jax.grad(lambda s: h(x, y, b, s).sum()))(scales)
    want = jnp.stack([jax.grad(lambda s: hd(s).sum())(s) for s in scales])
    assert got.shape == (3,)
    np.testing.assert_allclose(got, want, rtol=1e-10)


@pytest.mark.parametrize("op,formula,formula2,k,dense", CASES, ids=[c[0] for c in CASES])
def test_forward_mode_against_dense(op, formula, formula2, k, dense):
    x, y, b = data(m=11, n=13)
    g = kj.Genred(formula, ALIASES, reduction_op=op, axis=1, opt_arg=k, formula2=formula2)
    rng = np.random.default_rng(2)
    tangents = tuple(jnp.asarray(rng.standard_normal(a.shape)) for a in (x, y, b))
    f = lambda *a: first(g(*a))  # noqa: E731
    for jitted in (False, True):
        run = jax.jit(jax.jvp, static_argnums=0) if jitted else jax.jvp
        value, tangent = run(f, (x, y, b), tangents)
        want_value, want = jax.jvp(dense, (x, y, b), tangents)
        np.testing.assert_allclose(value, want_value, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(tangent, want, rtol=1e-10, atol=1e-10)
    # jacfwd and jacrev agree with the dense Jacobians, w.r.t. y.
    for jac in (jax.jacfwd, jax.jacrev):
        np.testing.assert_allclose(jac(f, argnums=1)(x, y, b),
                                   jax.jacfwd(dense, argnums=1)(x, y, b),
                                   rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("op,formula,formula2,k,dense", CASES, ids=[c[0] for c in CASES])
def test_hessians_against_dense(op, formula, formula2, k, dense):
    x, y, b = data(m=5, n=7)
    g = kj.Genred(formula, ALIASES, reduction_op=op, axis=1, opt_arg=k, formula2=formula2)
    w = jnp.asarray(np.random.default_rng(1).standard_normal(dense(x, y, b).shape))

    def loss(f):
        return lambda x, y, b: (first(f(x, y, b)) * w).sum()

    got = jax.hessian(loss(g), argnums=(0, 1))(x, y, b)
    want = jax.hessian(loss(dense), argnums=(0, 1))(x, y, b)
    for u, v in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
        np.testing.assert_allclose(u, v, rtol=1e-9, atol=1e-9)


def test_derivatives_of_any_order_in_a_parameter():
    x, y, b = data(m=6, n=9)
    h = kj.Genred("Exp(-s * SqDist(x, y)) * b", ALIASES + ["s = Pm(1)"], reduction_op="Sum",
                  axis=1)
    hd = lambda s: (jnp.exp(-s * sqdist(x, y)) @ b).sum()  # noqa: E731
    f = lambda s: h(x, y, b, s).sum()  # noqa: E731
    s = jnp.asarray(0.7)
    for n in range(1, 5):
        f, hd = jax.grad(f), jax.grad(hd)
        np.testing.assert_allclose(f(s), hd(s), rtol=1e-9, err_msg=f"derivative {n}")
    # Third order in x, in mixed modes.
    g = kj.Genred("Exp(-SqDist(x, y)) * b", ALIASES, reduction_op="Sum", axis=1)
    dense = lambda x: (jnp.exp(-sqdist(x, y)) @ b).sum()  # noqa: E731
    third = jax.jacfwd(jax.hessian(lambda x: g(x, y, b).sum()))(x[:2])
    want = jax.jacfwd(jax.hessian(lambda x: dense(x)))(x[:2])
    assert third.shape == (2, 3, 2, 3, 2, 3)
    np.testing.assert_allclose(third, want, rtol=1e-9, atol=1e-9)


def test_vmap_of_forward_mode_and_of_hessian_vector_products():
    x, y, b = data(m=8, n=10)
    g = kj.Genred("-SqDist(x, y)", ["x = Vi(3)", "y = Vj(3)"], reduction_op="LogSumExp",
                  axis=1)
    lse = lambda x, y: logsumexp(-sqdist(x, y), axis=1, keepdims=True)  # noqa: E731
    ts = jnp.asarray(np.random.default_rng(3).standard_normal((4,) + x.shape))
    got = jax.vmap(lambda t: jax.jvp(lambda x: g(x, y), (x,), (t,))[1])(ts)
    want = jax.vmap(lambda t: jax.jvp(lambda x: lse(x, y), (x,), (t,))[1])(ts)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)

    def hvp(f):
        return lambda t: jax.jvp(jax.grad(lambda y: f(x, y).sum()), (y,), (t,))[1]

    vs = jnp.asarray(np.random.default_rng(4).standard_normal((3,) + y.shape))
    np.testing.assert_allclose(jax.jit(jax.vmap(hvp(g)))(vs), jax.vmap(hvp(lse))(vs),
                               rtol=1e-9, atol=1e-10)


def test_k_min_of_vectors_forward_and_reverse():
    x, y, _ = data(m=9, n=12)
    k = kj.Genred("x - y", ["x = Vi(3)", "y = Vj(3)"], reduction_op="KMin", axis=1, opt_arg=2)

    def dense(x, y):
        d = x[:, None] - y[None]                     # (M, N, 3): sorted per component
        return jnp.sort(d, axis=1)[:, :2]            # (M, 2, 3)

    t = jnp.asarray(np.random.default_rng(5).standard_normal(y.shape))
    np.testing.assert_allclose(jax.jvp(lambda y: k(x, y), (y,), (t,))[1],
                               jax.jvp(lambda y: dense(x, y), (y,), (t,))[1], rtol=1e-12)
    np.testing.assert_allclose(jax.grad(lambda x, y: (k(x, y) ** 2).sum(), argnums=1)(x, y),
                               jax.grad(lambda x, y: (dense(x, y) ** 2).sum(), argnums=1)(x, y),
                               rtol=1e-10, atol=1e-12)


def test_custom_call_and_callback_agree(monkeypatch):
    from keops._runtime import native_library
    from keops.jax import _primitive
    # Built with the project (jaxlib's FFI headers are in the .venv).
    assert native_library("_keops_jax_ffi.so") is not None
    x, y, b = data()
    g = kj.Genred("Exp(-SqDist(x, y)) * b", ALIASES, reduction_op="Sum", axis=1)
    m = kj.Genred("SqDist(x, y)", ["x = Vi(3)", "y = Vj(3)"], reduction_op="Min_ArgMin",
                  axis=1)

    def run():
        f = jax.jit(lambda x, y, b: (g(x, y, b), *m(x, y),
                                     jax.grad(lambda x: g(x, y, b).sum())(x)))
        return f.lower(x, y, b).as_text(), f(x, y, b)

    text, direct = run()
    assert "custom_call @keops_reduce(" in text and "callback" not in text
    monkeypatch.setattr(_primitive, "USE_CUSTOM_CALL", False)
    text, called = run()
    assert "keops_reduce" not in text
    for u, v in zip(direct, called):
        np.testing.assert_array_equal(u, v)
    # Under vmap (batch axes), in float16.
    xs = jnp.stack([x, 2 * x]).astype("float16")
    yh, bh = y.astype("float16"), b.astype("float16")
    monkeypatch.setattr(_primitive, "USE_CUSTOM_CALL", True)
    direct = jax.jit(jax.vmap(lambda x: g(x, yh, bh)))(xs)
    monkeypatch.setattr(_primitive, "USE_CUSTOM_CALL", False)
    called = jax.jit(jax.vmap(lambda x: g(x, yh, bh)))(xs)
    assert direct.dtype == jnp.float16 and direct.shape == (2, 37, 2)
    np.testing.assert_array_equal(direct, called)


def test_32_bit_indices_without_x64():
    x, y, _ = data("float32")
    m = kj.Genred("SqDist(x, y)", ["x = Vi(3)", "y = Vj(3)"], reduction_op="Min_ArgMin",
                  axis=1)
    with jax.enable_x64(False):
        values, indices = jax.jit(m)(x, y)
        assert indices.dtype == jnp.int32
        want = jnp.argmin(sqdist(x, y), axis=1)
        np.testing.assert_array_equal(indices[:, 0], want)
        grad = jax.jit(jax.grad(lambda x: m(x, y)[0].sum()))(x)
        dense = jax.grad(lambda x: sqdist(x, y).min(1).sum())(x)
        np.testing.assert_allclose(grad, dense, rtol=1e-5, atol=1e-5)


def test_custom_call_from_the_persistent_compilation_cache(tmp_path):
    """An executable that JAX's persistent cache kept, lowered by another
    process, runs: the custom call names its kernel by content (MLIR and
    options), which the handler compiles on first use."""
    import os
    import subprocess
    import sys
    import textwrap
    code = textwrap.dedent("""
        import sys
        import jax, jax.numpy as jnp, numpy as np
        jax.config.update("jax_enable_x64", True)
        jax.config.update("jax_compilation_cache_dir", sys.argv[1])
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
        import keops.jax as kj
        g = kj.Genred("Exp(-SqDist(x, y)) * b", ["x = Vi(3)", "y = Vj(3)", "b = Vj(2)"],
                      reduction_op="Sum", axis=1)
        rng = np.random.default_rng(0)
        x, y, b = (jnp.asarray(rng.standard_normal(s)) for s in ((5, 3), (7, 3), (7, 2)))
        f = jax.jit(lambda x, y, b: g(x, y, b) * 2)
        assert "keops_reduce" in f.lower(x, y, b).as_text()
        want = 2 * jnp.exp(-((x[:, None] - y[None]) ** 2).sum(-1)) @ b
        assert float(jnp.abs(f(x, y, b) - want).max()) < 1e-12
    """)
    cache = tmp_path / "jax-cache"
    env = dict(os.environ, KEOPS_CACHE_DIR=str(tmp_path / "keops-cache"))
    for run in range(2):
        proc = subprocess.run([sys.executable, "-c", code, str(cache)], env=env,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert any(cache.iterdir()), "JAX's persistent cache stayed empty"


def test_errors_of_the_primitive_and_of_the_custom_call():
    from keops.jax import _primitive
    x, y, b = data()
    g = kj.Genred("Exp(-SqDist(x, y)) * b", ALIASES, reduction_op="Sum", axis=1)
    form = g._form
    with pytest.raises(ValueError, match="keops_reduce: operands with 0 and 1 batch axes"):
        _primitive.reduce(form, x, y[None], b)
    # Only sums are linear: transposing another kind is refused.
    m = kj.Genred("SqDist(x, y)", ["x = Vi(3)", "y = Vj(3)"], reduction_op="Min", axis=1)
    with pytest.raises(NotImplementedError, match="keops_reduce: the min reduction is not "
                                                  "linear"):
        jax.linear_transpose(lambda x: m(x, y), x)(jnp.ones((37, 1)))
    # The handler's own checks, on attributes no lowering writes.
    assert _primitive._custom_call_ready()
    plan = _primitive._plan(form, [x.shape, y.shape, b.shape], x.dtype)[0]
    attrs = dict(mlir=plan.mlir, kernel=np.int64(0), accumulation="block",
                 tensor_cores="none", lanes=np.int64(0), blocks=np.int64(2),
                 approximate_math=np.int64(1), opt_level=np.int64(3),
                 gram_min_dim=np.int64(32), partial_states=np.int64(0), m=np.int64(37),
                 n=np.int64(53), rank=np.int64(0), batch=np.asarray([0], np.int64))
    call = jax.ffi.ffi_call("keops_reduce", jax.ShapeDtypeStruct((37, 2), x.dtype))
    np.testing.assert_allclose(call(x, y, b, **attrs),
                               jnp.exp(-sqdist(x, y)) @ b, rtol=1e-12)
    with pytest.raises(Exception, match="keops_reduce: no kernel 5"):
        call(x, y, b, **dict(attrs, kernel=np.int64(5)))
    with pytest.raises(Exception, match="keops_reduce: bad batch rank"):
        call(x, y, b, **dict(attrs, rank=np.int64(2)))
    with pytest.raises(Exception, match="keops_reduce: .*expected"):
        call(x, y, b, **dict(attrs, mlir="func.func @f("))
