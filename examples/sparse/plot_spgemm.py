"""
======================================================
Sparse times sparse: spgemm against scipy, and a mask
======================================================

:func:`sparseopt.sparse.spgemm` computes ``A @ B`` for two sparse matrices, row by row,
on all cores. This example times it against scipy's single-threaded product on a few
generated matrices (the benchmark, ``python -m sparseopt bench sparse --case spgemm``,
adds real matrices, python-graphblas and MKL), then counts the triangles of a random
graph with the *masked* product, which only forms the products the mask keeps.
"""

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import scipy.sparse as sp

from sparseopt.datasets import laplacian_2d, make_random_csr
from sparseopt.sparse import spgemm


def best_of(f, repeat=3):
    f()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def poisson3d(n):
    T = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(n, n))
    eye = sp.eye_array(n)
    return (sp.kron(sp.kron(T, eye), eye) + sp.kron(sp.kron(eye, T), eye)
            + sp.kron(sp.kron(eye, eye), T)).tocsr()


matrices = {
    "2-D Poisson 400^2": laplacian_2d(400),
    "3-D Poisson 30^3": poisson3d(30),
    "random 30k^2, 10/row": make_random_csr(30_000, 30_000, 10, random_state=0),
}
speedups = {}
for name, A in matrices.items():
    t_scipy = best_of(lambda A=A: A @ A)
    t1 = best_of(lambda A=A: spgemm(A, A, threads=1))
    t2 = best_of(lambda A=A: spgemm(A, A, threads=2))
    C = spgemm(A, A)
    ref = A @ A
    err = abs(C - ref).max() / abs(ref).max()
    speedups[name] = (t_scipy / t1, t_scipy / t2)
    print(f"{name:22s} scipy {1e3 * t_scipy:6.1f} ms   1 thread {t_scipy / t1:4.2f}x   "
          f"2 threads {t_scipy / t2:4.2f}x   max rel. diff {err:.1e}")

fig, ax = plt.subplots(figsize=(7, 3.5))
x = np.arange(len(speedups))
ax.bar(x - 0.2, [s[0] for s in speedups.values()], 0.4, label="spgemm, 1 thread")
ax.bar(x + 0.2, [s[1] for s in speedups.values()], 0.4, label="spgemm, 2 threads")
ax.axhline(1.0, color="k", lw=0.8)
ax.set_xticks(x, list(speedups), fontsize=8)
ax.set_ylabel("speed-up over scipy A @ A")
ax.legend()
fig.tight_layout()
plt.show()

# %%
# Counting triangles with a masked product
# ----------------------------------------
# With ``L`` the strictly lower triangle of a graph's adjacency matrix, every triangle
# ``i > j > k`` is one product ``L[i, j] * L[j, k]`` that lands on an edge ``L[i, k]``:
# the count is the sum of ``L @ L`` restricted to the pattern of ``L``. The mask keeps
# only those entries, so the products outside it are never formed, where scipy forms the
# whole ``L @ L`` first.
rng = np.random.default_rng(0)
n = 20_000
edges = rng.integers(0, n, size=(200_000, 2))
G = sp.coo_array((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n)).tocsr()
G = ((G + G.T) > 0).astype(float)
G.setdiag(0)
G.eliminate_zeros()
L = sp.tril(G, k=-1, format="csr")

t_mask = best_of(lambda: spgemm(L, L, mask=L).sum())
t_scipy = best_of(lambda: (L @ L).multiply(L).sum())
print(f"triangles: {int(spgemm(L, L, mask=L).sum())} (scipy: {int((L @ L).multiply(L).sum())})")
print(f"masked spgemm {1e3 * t_mask:.1f} ms, scipy (L @ L) * L {1e3 * t_scipy:.1f} ms")
