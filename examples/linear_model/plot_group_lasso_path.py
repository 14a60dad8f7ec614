"""
===========================================
Group Lasso: a regularization path
===========================================

:func:`sparseopt.linear_model.group_lasso_path` solves the group Lasso for a
decreasing sequence of ``alpha`` with warm starts. Here 40 groups of 5 features, 4 of
them active in the truth: the norms of the groups along the path (left; whole groups
enter at once), and the Lasso on the same data for comparison (right; single features
enter, from many groups).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter

from sparseopt.linear_model import group_lasso_path, lasso_path

rng = np.random.default_rng(0)
n, n_groups, size = 150, 40, 5
X = rng.standard_normal((n, n_groups * size))
w_true = np.zeros(n_groups * size)
for g in rng.choice(n_groups, 4, replace=False):
    w_true[g * size:(g + 1) * size] = rng.standard_normal(size)
y = X @ w_true + 0.5 * rng.standard_normal(n)

alphas, coefs, gaps, _ = group_lasso_path(X, y, size, alphas=40, eps=0.05, tol=1e-8)
norms = np.linalg.norm(coefs.reshape(n_groups, size, -1), axis=1)
l_alphas, l_coefs, _ = lasso_path(X, y, alphas=40, eps=0.05, tol=1e-8)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
ax1.semilogx(alphas, norms.T, lw=1)
ax1.set_xlabel("alpha")
ax1.set_ylabel("group norm")
ax1.set_title(f"group Lasso: {n_groups} groups of {size}")
ax1.invert_xaxis()
ax2.semilogx(l_alphas, l_coefs.T, lw=1)
ax2.set_xlabel("alpha")
ax2.set_ylabel("coefficient")
ax2.set_title("Lasso")
ax2.invert_xaxis()
for ax in (ax1, ax2):
    ax.xaxis.set_minor_formatter(NullFormatter())
fig.tight_layout()

# %%
# Every solve on the path stopped on its certified relative duality gap. Where the
# group Lasso has picked the 4 true groups, the Lasso with as many nonzeros spreads
# them over more groups:
print(f"largest relative gap on the path: {gaps.max():.1e}")
k = int(np.argmax((norms > 0).sum(axis=0) >= 4))
n_nonzero = int(np.count_nonzero(coefs[:, k]))
j = int(np.argmax(np.count_nonzero(l_coefs, axis=0) >= n_nonzero))
touched = int((np.abs(l_coefs[:, j]).reshape(n_groups, size).sum(axis=1) > 0).sum())
true_groups = set(np.flatnonzero(np.abs(w_true).reshape(n_groups, size).sum(axis=1)))
picked = set(np.flatnonzero(norms[:, k]))
print(f"group Lasso: {len(picked)} groups ({n_nonzero} nonzeros), "
      f"{len(picked & true_groups)} of them true; the Lasso with "
      f"{np.count_nonzero(l_coefs[:, j])} nonzeros touches {touched} groups")
