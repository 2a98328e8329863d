"""The reference interpreter on two classic reductions, checked against NumPy.

1. Gaussian kernel sum  out_i = sum_j exp(-|x_i - y_j|^2 / (2 s^2)) b_j
2. K nearest neighbours  argKmin_j |x_i - y_j|^2, K = 5
"""

import time
from pathlib import Path

import numpy as np

from keops import reference

HERE = Path(__file__).resolve().parent
M, N, D = 200, 300, 3
rng = np.random.default_rng(0)
x = rng.standard_normal((M, D)).astype(np.float32)
y = rng.standard_normal((N, D)).astype(np.float32)
b = rng.standard_normal((N, 1)).astype(np.float32)
s = np.array([0.8], dtype=np.float32)

# 1. Gaussian kernel sum, from the example module.
module = (HERE / "mlir" / "gaussian_sum.mlir").read_text()
t = time.perf_counter()
(out,) = reference.evaluate(module, [x, y, b, s, np.zeros((M, 1), np.float32)])
t = time.perf_counter() - t
x64, y64 = x.astype(np.float64), y.astype(np.float64)
d2 = ((x64[:, None, :] - y64[None, :, :]) ** 2).sum(-1)
dense = np.exp(-d2 / (2 * float(s[0]) ** 2)) @ b.astype(np.float64)
err = np.abs(out - dense).max() / np.abs(dense).max()
print(f"Gaussian kernel sum, M={M}, N={N}, D={D}: interpreter {t*1e3:.0f} ms, "
      f"max relative difference to NumPy {err:.1e}")
assert err < 1e-12, err

# 2. K nearest neighbours.
K = 5
knn = f"""
func.func @knn(%x: tensor<?x{D}xf32>, %y: tensor<?x{D}xf32>,
               %out: tensor<?x{K}xi64>) -> tensor<?x{K}xi64> {{
  %r = keops.reduce argkmin k = {K} over j
      ins(%x : i tensor<?x{D}xf32>, %y : j tensor<?x{D}xf32>)
      outs(%out : tensor<?x{K}xi64>) {{
  ^bb0(%xi: vector<{D}xf32>, %yj: vector<{D}xf32>):
    %d = keops.sqdist %xi, %yj : vector<{D}xf32>
    keops.yield %d : vector<1xf32>
  }} -> tensor<?x{K}xi64>
  return %r : tensor<?x{K}xi64>
}}
"""
(idx,) = reference.evaluate(knn, [x, y, np.zeros((M, K), np.int64)])
ref = np.argsort(d2, axis=1, kind="stable")[:, :K]
print(f"{K} nearest neighbours of {M} points among {N}: "
      f"{(idx == ref).mean() * 100:.1f}% of indices equal to NumPy's argsort")
assert (idx == ref).all()
print("The IR of the kNN search:")
print(knn)
