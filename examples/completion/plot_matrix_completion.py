"""
==============================================================
How many entries does low-rank completion need?
==============================================================

A rank-:math:`k` ``n x n`` matrix has :math:`k(2n - k)` degrees of freedom, far fewer
than its :math:`n^2` entries, so it can be recovered from a small sample of them. The
theory of alternating minimization (Jain, Netrapalli and Sanghavi 2013; Gu, Song, Yin and
Zhang 2024) asks for :math:`|\\Omega| = O(n k \\log n)` uniformly sampled entries, with
constants and powers of :math:`k` and of the condition number that are far from tight.

Here we measure it: :class:`~sparseopt.completion.MatrixCompletion` on Gaussian rank-5
``400 x 400`` matrices (incoherent, condition number about 2), observed on
:math:`|\\Omega| = c\\, n k \\log n` entries for a range of :math:`c`, five matrices per
:math:`c`. Then, on one problem, the residual per iteration of the exact (Cholesky) and
the approximate (a few warm-started CG steps) per-row solves.
"""

# %%
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning  # sparseopt's is a subclass

from sparseopt.completion import MatrixCompletion

warnings.filterwarnings("ignore", category=ConvergenceWarning)  # max_iter below is a cap

n, k = 400, 5
base = n * k * np.log(n)  # n k log n = 11,982 entries, 7.5 % of the matrix


def problem(n_observed, seed):
    """A Gaussian rank-k matrix M = U V^T and n_observed of its entries (CSR)."""
    rng = np.random.default_rng(seed)
    U, V = rng.standard_normal((n, k)), rng.standard_normal((n, k))
    rows, cols = np.divmod(rng.choice(n * n, n_observed, replace=False), n)
    values = np.einsum("ij,ij->i", U[rows], V[cols])
    return U @ V.T, sp.csr_array((values, (rows, cols)), shape=(n, n))


factors = np.array([0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.5, 2.0, 3.0])
errors = np.empty((factors.size, 5))
iterations = np.empty_like(errors)
for i, c in enumerate(factors):
    for seed in range(errors.shape[1]):
        M, X = problem(int(c * base), seed)
        model = MatrixCompletion(k, max_iter=100, random_state=0, n_threads=1).fit(X)
        errors[i, seed] = np.linalg.norm(model.reconstruct() - M) / np.linalg.norm(M)
        iterations[i, seed] = model.n_iter_

for c, e, it in zip(factors, errors, iterations, strict=True):
    print(f"c = {c:3.1f}  |Omega| = {int(c * base):6d} ({c * base / n**2:5.1%})  "
          f"median rel. error {np.median(e):.1e}  recovered (< 1e-8) {np.sum(e < 1e-8)}/5  "
          f"median iterations {np.median(it):.0f}")

# %%
# Each dot is one matrix; the line is the median. Below the threshold the factors fit
# the observed entries but not the matrix: with no ridge (``reg=0``) nothing holds the
# unobserved entries back, and the error is many times the norm of the matrix. From
# :math:`c = 0.7` (5 % of the entries, about twice the degrees of freedom) every matrix
# here is recovered to about :math:`10^{-10}`, the stopping tolerance on the observed
# residual. The dashed line is the degrees-of-freedom count :math:`k(2n - k)`, below
# which no method can recover a generic matrix. Near the threshold the iteration is slow
# (up to :math:`c = 0.7` it runs to the cap of 100 iterations), far above it fast: the
# iteration count (right) falls as :math:`c` grows.
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
for j in range(errors.shape[1]):
    ax1.semilogy(factors, errors[:, j], "o", color="C0", alpha=0.4, ms=4)
ax1.semilogy(factors, np.median(errors, axis=1), "-", color="C0", label="median")
ax1.axvline(k * (2 * n - k) / base, color="gray", ls="--", label="k (2n - k) entries")
ax1.set_xlabel(r"$c = |\Omega| / (n k \log n)$")
ax1.set_ylabel(r"$\|\hat M - M\|_F / \|M\|_F$")
ax1.legend(loc="center right")
ax2.plot(factors, np.median(iterations, axis=1), "o-", color="C1")
ax2.set_xlabel(r"$c = |\Omega| / (n k \log n)$")
ax2.set_ylabel("iterations (median)")
fig.tight_layout()

# %%
# Exact or approximate per-row solves
# -----------------------------------
# At :math:`c = 2`, the relative residual on the observed entries after each
# iteration (``history_``), for the exact solves and for 1, 2 and 3 conjugate-gradient
# steps per row and iteration, each warm started at the current factor. Gu et al. show
# that the iteration still contracts when each least-squares problem is solved only to a
# constant accuracy; warm starting makes the steps add up over the iterations. Here two
# CG steps already follow the exact solves iteration for iteration, and one step needs
# about half as many iterations again. At rank 5 the two cost about the same per
# iteration; CG's advantage grows with the rank (its cost is linear in :math:`k`, the
# exact solves' quadratic: see the user guide). The legend gives the final error on the
# whole matrix and the fit time (one thread, on a machine shared with other jobs, so only
# a rough guide; the benchmarks measure speed).
M, X = problem(int(2 * base), seed=0)
fig, ax = plt.subplots(figsize=(6, 3.5))
for solver, cg_iter in [("cholesky", 3), ("cg", 1), ("cg", 2), ("cg", 3)]:
    t0 = time.perf_counter()
    model = MatrixCompletion(k, solver=solver, cg_iter=cg_iter, max_iter=200,
                             random_state=0, n_threads=1).fit(X)
    seconds = time.perf_counter() - t0
    err = np.linalg.norm(model.reconstruct() - M) / np.linalg.norm(M)
    label = "Cholesky" if solver == "cholesky" else f"CG, {cg_iter} step(s)"
    print(f"{label:14s} {model.n_iter_:3d} iterations, rel. error {err:.1e}, {seconds:.2f} s")
    ax.semilogy(np.arange(1, model.n_iter_ + 1), model.history_,
                label=f"{label}: error {err:.0e}, {seconds:.2f} s")
ax.set_xlabel("iteration")
ax.set_ylabel(r"$\|P_\Omega(\hat M - M)\|_F / \|P_\Omega(M)\|_F$")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
