"""Modes of a kernel density estimate, in JAX: mean-shift steps, then
Newton's method, on keops.jax reductions.

The log-density at a point z is a log-sum-exp over the N data points; the
mean-shift step is a softmax-weighted mean of them. Newton's method takes
the gradient and the Hessian of the log-density with jax.grad and
jax.hessian (forward over reverse mode): each derivative is one more
reduction, of keops.grad and keops.diff formulas expanded by the compiler,
and jax.vmap makes one batched kernel of all starting points. Nothing of
size N x points is ever formed.

    .venv/bin/python examples/python/jax_kde_modes.py [N]
"""

import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

import keops.jax as kj  # (pykeops has no JAX interface: keops.jax is ours)

jax.config.update("jax_enable_x64", True)

N = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
SIGMA = 0.5
rng = np.random.default_rng(0)
centres = np.array([[-2.0, 0.0], [2.0, 1.0], [0.0, -2.5]])
y = jnp.asarray(centres[rng.integers(0, len(centres), N)]
                + 0.6 * rng.standard_normal((N, 2)))
gamma = jnp.asarray([1.0 / (2 * SIGMA ** 2)])

aliases = ["z = Vi(2)", "y = Vj(2)", "g = Pm(1)"]
log_density = kj.Genred("-g * SqDist(z, y)", aliases, reduction_op="LogSumExp", axis=1)
weighted_mean = kj.Genred("-g * SqDist(z, y)", aliases, reduction_op="SumSoftMaxWeight",
                          formula2="y", axis=1)


def f(z):
    """The log-density (up to a constant) at one point z, shape (2,)."""
    return log_density(z[None], y, gamma)[0, 0]


mean_shift = jax.jit(lambda z: weighted_mean(z, y, gamma))
newton = jax.jit(jax.vmap(lambda z: z - jnp.linalg.solve(jax.hessian(f)(z),
                                                         jax.grad(f)(z))))
gradients = jax.jit(jax.vmap(jax.grad(f)))
hessians = jax.jit(jax.vmap(jax.hessian(f)))

start = time.perf_counter()
z = jnp.asarray(rng.uniform(-4, 4, (32, 2)))
for _ in range(30):
    z = mean_shift(z)
for _ in range(4):
    z = newton(z)
elapsed = time.perf_counter() - start

# Every point is a local maximum: zero gradient, negative definite Hessian.
grad_norm = float(jnp.abs(gradients(z)).max())
eigen = jnp.linalg.eigvalsh(hessians(z))
assert grad_norm < 1e-8, grad_norm
assert bool((eigen < 0).all()), eigen
# The Hessian against JAX's dense evaluation at one point (on a subsample
# of the data when N is large, for the dense side's memory).
sub = y[:20000]


def dense(z):
    return jax.scipy.special.logsumexp(-gamma[0] * ((z - sub) ** 2).sum(-1))


def on_sub(z):
    return log_density(z[None], sub, gamma)[0, 0]


np.testing.assert_allclose(jax.hessian(on_sub)(z[0]), jax.hessian(dense)(z[0]),
                           rtol=1e-9, atol=1e-12)

modes = np.unique(np.round(np.asarray(z), 6), axis=0)
print(f"N = {N}: {len(modes)} modes from 32 starting points in {elapsed:.2f} s "
      f"(30 mean-shift steps, 4 Newton steps; max |gradient| {grad_norm:.1e}):")
for m in modes:
    print(f"  ({m[0]: .4f}, {m[1]: .4f})  log-density {float(f(jnp.asarray(m))): .4f}")
