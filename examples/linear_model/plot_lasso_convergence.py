"""
===========================================
Lasso: the duality gap against time
===========================================

Every sparseopt solver stops on a certified duality gap
(:func:`sparseopt.bcd.duality_gap`). Here the same formula measures how fast
:class:`sparseopt.linear_model.Lasso`, scikit-learn's Lasso and (when they are
installed) skglm's and celer's reach a given accuracy on a correlated design: each is
run at a sequence of tolerances, and the relative gap of its solution is plotted
against the time the fit took.
"""

# %%
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso as SkLasso

from sparseopt.bcd import L1, Quadratic, duality_gap
from sparseopt.datasets import make_correlated_regression
from sparseopt.linear_model import Lasso

X, y, w_true = make_correlated_regression(500, 2000, rho=0.5, n_informative=30,
                                          random_state=0)
alpha = np.abs(X.T @ y).max() / X.shape[0] / 20

solvers = {
    "sparseopt": lambda tol: Lasso(alpha=alpha, tol=tol, fit_intercept=False),
    "scikit-learn": lambda tol: SkLasso(alpha=alpha, tol=tol, fit_intercept=False,
                                        max_iter=100_000),
}
try:  # optional peers (pip install -e ".[bench]")
    import skglm

    solvers["skglm"] = lambda tol: skglm.Lasso(alpha=alpha, tol=tol, fit_intercept=False)
except ImportError:
    pass
try:
    import celer

    solvers["celer"] = lambda tol: celer.Lasso(alpha=alpha, tol=tol, fit_intercept=False)
except ImportError:
    pass
tols = np.logspace(-2, -10, 9)

fig, ax = plt.subplots(figsize=(6, 4))
for name, make in solvers.items():
    make(1e-2).fit(X, y)  # untimed warm-up (first-call costs, skglm's compilation)
    times, gaps = [], []
    for tol in tols:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            t0 = time.perf_counter()
            model = make(tol).fit(X, y)
            times.append(time.perf_counter() - t0)
        gaps.append(duality_gap(Quadratic(), L1(alpha), X, y, model.coef_)[1])
    ax.loglog(times, gaps, "o-", label=name)
    reached = [t for t, g in zip(times, gaps, strict=True) if g <= 1e-6]
    print(f"{name:12s} gap 1e-6 reached in "
          + (f"{min(reached) * 1e3:.1f} ms" if reached else "- (not within the tols tried)"))

ax.axhline(1e-6, color="gray", lw=0.8, ls="--")
ax.set_xlabel("fit time (s)")
ax.set_ylabel("relative duality gap (shared formula)")
ax.set_title("Lasso, Toeplitz design 500 x 2000, alpha_max / 20")
ax.legend()
fig.tight_layout()
plt.show()
