"""keops.jax against JAX's own dense evaluation, in one process: the
Gaussian kernel sum exp(-|x_i - y_j|^2) b_j, its gradient w.r.t. x and a
Hessian-vector product (forward over reverse mode), jitted, on the CPU,
with the same threads; and the overhead of a jitted call (an XLA custom
call) against a direct NumPy call of the same reduction.

    .venv/bin/python benchmarks/jax_bench.py [--ns 1000,10000,50000] [--d 3]

float32, M = N = n. JAX's dense version forms the n x n kernel matrix in
blocks of 2,048 rows (jax.lax.map over row blocks, so its memory stays
bounded), as a JAX user would write it without keops.
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import best_of, machine  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

import keops  # noqa: E402
import keops.jax as kj  # noqa: E402

BLOCK = 2048


def dense_sum(x, y, b):
    m = x.shape[0]
    pad = -m % BLOCK
    xs = jnp.pad(x, ((0, pad), (0, 0))).reshape(-1, BLOCK, x.shape[1])

    def block(xb):
        d = (xb ** 2).sum(1)[:, None] + (y ** 2).sum(1)[None] - 2 * xb @ y.T
        return jnp.exp(-d) @ b

    return jax.lax.map(block, xs).reshape(-1, b.shape[1])[:m]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ns", default="1000,10000,50000")
    parser.add_argument("--d", type=int, default=3)
    args = parser.parse_args()
    print(f"# {machine()}; {keops.get_num_threads()} threads (keops), JAX "
          f"{jax.__version__} on {jax.devices()[0].platform}; float32, D = {args.d}")
    g = kj.Genred("Exp(-SqDist(x, y)) * b", [f"x = Vi({args.d})", f"y = Vj({args.d})", "b = Vj(1)"],
                  reduction_op="Sum", axis=1)
    g_np = keops.Genred("Exp(-SqDist(x, y)) * b",
                        [f"x = Vi({args.d})", f"y = Vj({args.d})", "b = Vj(1)"],
                        reduction_op="Sum", axis=1)
    ours, theirs = jax.jit(g), jax.jit(dense_sum)
    ours_grad = jax.jit(jax.grad(lambda x, y, b: g(x, y, b).sum()))
    theirs_grad = jax.jit(jax.grad(lambda x, y, b: dense_sum(x, y, b).sum()))

    def hvp(f):
        grad = jax.grad(lambda x, y, b: f(x, y, b).sum())
        return jax.jit(lambda x, y, b, v: jax.jvp(lambda x: grad(x, y, b), (x,), (v,))[1])

    ours_hvp, theirs_hvp = hvp(g), hvp(dense_sum)
    print(f"{'n':>7} {'keops.jax':>10} {'jax dense':>10} {'ratio':>7} {'grad keops':>11} "
          f"{'grad dense':>11} {'ratio':>7} {'hvp keops':>10} {'hvp dense':>10} {'ratio':>7} "
          f"{'numpy direct':>13} {'call overhead':>14}")
    rng = np.random.default_rng(0)
    for n in map(int, args.ns.split(",")):
        x, y = (rng.standard_normal((n, args.d)).astype("float32") for _ in range(2))
        b = rng.standard_normal((n, 1)).astype("float32")
        jx, jy, jb = map(jnp.asarray, (x, y, b))
        t_ours = best_of(lambda: ours(jx, jy, jb).block_until_ready())
        t_dense = best_of(lambda: theirs(jx, jy, jb).block_until_ready())
        err = float(jnp.abs(ours(jx, jy, jb) - theirs(jx, jy, jb)).max()
                    / jnp.abs(theirs(jx, jy, jb)).max())
        assert err < 1e-3, err
        t_g = best_of(lambda: ours_grad(jx, jy, jb).block_until_ready())
        t_gd = best_of(lambda: theirs_grad(jx, jy, jb).block_until_ready())
        v = jnp.asarray(rng.standard_normal((n, args.d)).astype("float32"))
        h_ours, h_dense = ours_hvp(jx, jy, jb, v), theirs_hvp(jx, jy, jb, v)
        err = float(jnp.abs(h_ours - h_dense).max() / jnp.abs(h_dense).max())
        assert err < 1e-3, err
        t_h = best_of(lambda: ours_hvp(jx, jy, jb, v).block_until_ready())
        t_hd = best_of(lambda: theirs_hvp(jx, jy, jb, v).block_until_ready())
        t_np = best_of(lambda: g_np(x, y, b))
        print(f"{n:>7} {t_ours * 1e3:8.2f}ms {t_dense * 1e3:8.2f}ms {t_dense / t_ours:6.1f}x "
              f"{t_g * 1e3:9.2f}ms {t_gd * 1e3:9.2f}ms {t_gd / t_g:6.1f}x "
              f"{t_h * 1e3:8.2f}ms {t_hd * 1e3:8.2f}ms {t_hd / t_h:6.1f}x "
              f"{t_np * 1e3:11.2f}ms {(t_ours - t_np) * 1e6:11.0f} us")


if __name__ == "__main__":
    main()
