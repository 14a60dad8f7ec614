"""
=========================================
Multi-threaded CSR x dense products
=========================================

:func:`sparseopt.sparse.csr_matmat_dense` computes ``A @ X`` for a sparse ``A`` and a
dense block ``X``. This example checks it against scipy, then times both for a growing
number of columns in ``X``, on one and on two threads.
"""

# %%
# The same product as scipy
# -------------------------
import time

import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_limits

from sparseopt.datasets import make_random_csr
from sparseopt.sparse import csr_matmat_dense
from sparseopt.utils import openmp_info

A = make_random_csr(100_000, 100_000, 10, random_state=0)
rng = np.random.default_rng(0)
X = rng.standard_normal((A.shape[1], 16))

Y = csr_matmat_dense(A, X)
print("max |Y - A @ X| =", np.abs(Y - A @ X).max())
print("bit-identical on 1 and 2 threads:",
      np.array_equal(csr_matmat_dense(A, X, n_threads=1), csr_matmat_dense(A, X, n_threads=2)))
print(openmp_info())

# %%
# Timings
# -------
# Median of five interleaved repeats; scipy's product is single-threaded.


def median_time(fn, repeat=5):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


widths = [1, 4, 16, 32, 64]
results = {"scipy": [], "sparseopt, 1 thread": [], "sparseopt, 2 threads": []}
for n in widths:
    Xn = rng.standard_normal((A.shape[1], n))
    with threadpool_limits(1):
        results["scipy"].append(median_time(lambda Xn=Xn: A @ Xn))
    results["sparseopt, 1 thread"].append(
        median_time(lambda Xn=Xn: csr_matmat_dense(A, Xn, n_threads=1)))
    results["sparseopt, 2 threads"].append(
        median_time(lambda Xn=Xn: csr_matmat_dense(A, Xn, n_threads=2)))

for label, times in results.items():
    print(f"{label:22s}", " ".join(f"{1e3 * t:7.2f}" for t in times), "ms")

fig, ax = plt.subplots(figsize=(6, 4))
for label, times in results.items():
    ax.loglog(widths, np.array(times) * 1e3, "o-", label=label)
ax.set_xlabel("columns of X")
ax.set_ylabel("time (ms, median of 5)")
ax.set_title("A: 100k x 100k, 10 nonzeros per row")
ax.legend()
fig.tight_layout()
plt.show()
