"""
==============================================================
Semi-NMF of a small network's hidden activations
==============================================================

Shafran, Geiger and Geva (2025) decompose the MLP activations of language models with
a semi-nonnegative matrix factorization: each token's activation vector is a
*nonnegative* combination of a few *signed* directions in neuron space. Here is the same
idea at toy scale: a one-hidden-layer ``MLPClassifier`` (64 ``tanh`` units, whose
activations are signed, so ordinary NMF does not apply) trained on scikit-learn's
8 x 8 digits. :class:`~sparseopt.completion.SemiNMF` factors the activations
``X`` (1797 digits x 64 neurons) as ``W @ H`` with codes ``W >= 0``.

We plot the objective against the iteration (non-increasing for the plain updates; the
winner-take-all sparsity step of the paper, which keeps 25 % of each component's
neurons here, gives up that guarantee) and, for each component, the digits that activate
it most.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning  # sparseopt's is a subclass
from sklearn.neural_network import MLPClassifier

from sparseopt.completion import SemiNMF

warnings.filterwarnings("ignore", category=ConvergenceWarning)  # fixed budgets below

digits = load_digits()
X_pix = digits.data / 16.0
mlp = MLPClassifier(hidden_layer_sizes=(64,), activation="tanh", max_iter=200,
                    random_state=0).fit(X_pix, digits.target)
acts = np.tanh(X_pix @ mlp.coefs_[0] + mlp.intercepts_[0])  # (1797, 64), signed
print(f"training accuracy {mlp.score(X_pix, digits.target):.3f}; activations in "
      f"[{acts.min():.2f}, {acts.max():.2f}]")

k = 10
dense = SemiNMF(k, init="svd", max_iter=200, tol=1e-6, random_state=0).fit(acts)
sparse = SemiNMF(k, init="svd", max_iter=200, tol=1e-6, sparsity=0.25,
                 random_state=0).fit(acts)
svd_err = np.sqrt(np.sum(np.linalg.svd(acts, compute_uv=False)[k:] ** 2))
norm = np.linalg.norm(acts)
for name, model in [("dense", dense), ("25 % sparse", sparse)]:
    print(f"{name:12s} relative error {model.reconstruction_err_ / norm:.3f} after "
          f"{model.n_iter_} iterations (truncated SVD: {svd_err / norm:.3f})")

# %%
# The objective :math:`\|X - WH\|_F^2` per iteration, relative to :math:`\|X\|_F^2`.
# With dense components Semi-NMF comes within a few percent of the truncated SVD, which
# has no sign constraint at all. Keeping 16 of 64 neurons per component costs much more
# accuracy at this tiny scale, and the curve is no longer monotone.
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogy(dense.objective_history_ / norm**2, label="Semi-NMF")
ax.semilogy(sparse.objective_history_ / norm**2, label="Semi-NMF, 25 % of neurons kept")
ax.axhline((svd_err / norm) ** 2, color="gray", ls="--", label="truncated SVD (signed W)")
ax.set_xlabel("iteration")
ax.set_ylabel("relative squared error")
ax.legend(fontsize=8)
fig.tight_layout()

# %%
# The eight digits with the largest code for each component. The codes are nonnegative,
# so "how much of component j" is well defined, and most components pick up one or two
# digit classes.
codes = dense.transform(acts)
n_show = 8
fig, axes = plt.subplots(k, n_show, figsize=(n_show * 0.8, k * 0.85))
for j in range(k):
    top = np.argsort(codes[:, j])[::-1][:n_show]
    labels = np.bincount(digits.target[top], minlength=10)
    for c, i in enumerate(top):
        axes[j, c].imshow(digits.images[i], cmap="gray_r")
        axes[j, c].set_xticks([])
        axes[j, c].set_yticks([])
    axes[j, 0].set_ylabel(f"{j}: '{labels.argmax()}'", rotation=0, ha="right",
                          va="center", fontsize=8)
fig.suptitle("top activating digits per component (label: majority class)", fontsize=9)
fig.tight_layout()
plt.show()
