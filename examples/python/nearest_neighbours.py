"""K-nearest-neighbour classification, written as with pykeops (only the
import changed).

    .venv/bin/python examples/python/nearest_neighbours.py [N]
"""

import sys
import time

import numpy as np

from keops.numpy import LazyTensor  # pykeops: from pykeops.numpy import LazyTensor

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
D, K = 2, 10

rng = np.random.default_rng(0)
x_train = rng.uniform(-1, 1, (N, D)).astype("float32")
y_train = (np.sin(4 * x_train[:, 0]) + 0.5 * x_train[:, 1] > 0).astype("float32")  # two classes
x_test = rng.uniform(-1, 1, (N // 10 + 1, D)).astype("float32")

start = time.perf_counter()
X_i = LazyTensor(x_test[:, None, :])  # (M, 1, D) test points
X_j = LazyTensor(x_train[None, :, :])  # (1, N, D) training points
D_ij = ((X_i - X_j) ** 2).sum(-1)  # (M, N) symbolic squared distances
ind_knn = D_ij.argKmin(K, dim=1)  # (M, K) indices of the K nearest neighbours
lab_knn = y_train[ind_knn]  # (M, K) their labels
y_knn = lab_knn.mean(1) > 0.5  # majority vote
elapsed = time.perf_counter() - start
print(f"{K}-NN classification of {len(x_test)} points among {N}: {elapsed * 1e3:.1f} ms")

truth = np.sin(4 * x_test[:, 0]) + 0.5 * x_test[:, 1] > 0
print(f"accuracy: {(y_knn == truth).mean() * 100:.1f}%")

# Same neighbours as a brute-force sort on a few rows
rows = min(len(x_test), 100)
d2 = ((x_test[:rows, None, :].astype(np.float64) - x_train[None]) ** 2).sum(-1)
exact = np.sort(d2, axis=1)[:, :K]
found = np.take_along_axis(d2, ind_knn[:rows], axis=1)
assert np.allclose(found, exact, rtol=1e-5, atol=1e-7)
