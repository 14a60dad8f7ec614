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
# Each value is the median of five repeats; the three contenders take turns within each
# repeat, so that a slow moment of the machine hits all of them alike. scipy's product
# is single-threaded (``threadpool_limits(1)`` keeps BLAS out of it as well).


def scipy_matmat(X):
    with threadpool_limits(1):
        return A @ X


contenders = {
    "scipy": scipy_matmat,
    "sparseopt, 1 thread": lambda X: csr_matmat_dense(A, X, n_threads=1),
    "sparseopt, 2 threads": lambda X: csr_matmat_dense(A, X, n_threads=2),
}


def median_times(X, repeat=5):
    times = {label: [] for label in contenders}
    for _ in range(repeat):
        for label, fn in contenders.items():
            t0 = time.perf_counter()
            fn(X)
            times[label].append(time.perf_counter() - t0)
    return {label: float(np.median(t)) for label, t in times.items()}


widths = [1, 4, 16, 32, 64]
results = {label: [] for label in contenders}
for n in widths:
    medians = median_times(rng.standard_normal((A.shape[1], n)))
    for label, t in medians.items():
        results[label].append(t)

for label, times in results.items():
    print(f"{label:22s}", " ".join(f"{1e3 * t:7.2f}" for t in times), "ms")

fig, ax = plt.subplots(figsize=(6, 4))
for label, times in results.items():
    ax.loglog(widths, np.array(times) * 1e3, "o-", label=label)
ax.set_xticks(widths, [str(n) for n in widths])
ax.set_xlabel("columns of X")
ax.set_ylabel("time (ms, median of 5)")
ax.set_title("A: 100k x 100k, 10 nonzeros per row")
ax.legend()
fig.tight_layout()
plt.show()

# %%
# The numbers above were measured while this page was built, on the machine that built
# it, so they move from build to build. Both products are bound by memory latency (rows
# of ``X`` are gathered at random), so a second thread helps only as far as the memory
# system keeps up. ``python -m sparseopt bench sparse`` runs the full-size comparison
# (200k x 200k) against scipy, with more repeats.
