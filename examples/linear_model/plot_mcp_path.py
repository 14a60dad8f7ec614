"""
===========================================
Regularization paths: MCP against the Lasso
===========================================

The minimax concave penalty (:class:`sparseopt.linear_model.MCPRegressor`) has the
Lasso's slope at zero, so it selects features the same way, but it is flat beyond
:math:`\\gamma\\alpha`: large coefficients are not shrunk. Along a path of decreasing
``alpha`` (each fit warm-started from the previous one) the MCP coefficients of the
true features jump to their least-squares values once selected, while the Lasso's grow
slowly and stay biased towards zero.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from sparseopt.linear_model import Lasso, MCPRegressor

rng = np.random.default_rng(0)
n, p = 200, 30
X = rng.standard_normal((n, p))
true = np.zeros(p)
true[:4] = [3.0, -2.0, 1.5, 1.0]
y = X @ true + 0.5 * rng.standard_normal(n)

alpha_max = np.abs(X.T @ (y - y.mean())).max() / n
alphas = alpha_max * np.geomspace(1, 1e-3, 60)
paths = {}
for name, model in [("Lasso", Lasso(warm_start=True, tol=1e-8)),
                    ("MCP, gamma=3", MCPRegressor(gamma=3.0, warm_start=True, tol=1e-8))]:
    coefs = []
    for a in alphas:
        coefs.append(model.set_params(alpha=a).fit(X, y).coef_.copy())
    paths[name] = np.array(coefs)

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
for ax, (name, coefs) in zip(axes, paths.items(), strict=True):
    ax.semilogx(alphas, coefs[:, 4:], color="lightgray", lw=0.8)
    ax.semilogx(alphas, coefs[:, :4], lw=1.8)
    for v in true[:4]:
        ax.axhline(v, color="k", ls=":", lw=0.6)
    ax.invert_xaxis()
    ax.set_xlabel("alpha")
    ax.set_title(name)
axes[0].set_ylabel("coefficient (dotted: true values)")
fig.tight_layout()
plt.show()

# %%
# At an alpha where both have selected the four true features, the Lasso's
# estimates are shrunk by about alpha, the MCP's are not:
i = np.searchsorted(-alphas, -alpha_max / 10)
for name, coefs in paths.items():
    print(f"{name:14s} alpha = {alphas[i]:.3f}:", np.round(coefs[i, :4], 2),
          "| other features nonzero:", int(np.count_nonzero(coefs[i, 4:])))
