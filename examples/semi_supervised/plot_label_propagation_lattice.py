"""
Label propagation on a lattice, solved with forest blocks
=========================================================

A 150 x 150 picture of four regions is known at 3 % of its pixels, drawn at random.
:class:`sparseopt.semi_supervised.LabelPropagation` spreads these labels over the
four-neighbour lattice: each unknown pixel takes the harmonic average of its neighbours,
the solution of the sparse positive definite system :math:`L_{uu} F_u = W_{ul} Y_l`.

The system is solved by :func:`sparseopt.bcd.forest_bcd`. Its blocks are sets of pixels
whose links form a forest, so each block is solved exactly by one sweep up and one
sweep down its trees; by default a forward and a backward sweep over the forests
precondition conjugate gradients. The second figure compares the relative residual,
against epochs (``n`` coordinate updates each) and against block updates, for greedy
forests (with CG and plain), red-black blocks and single-coordinate descent.
"""

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

from sparseopt.bcd import forest_bcd
from sparseopt.semi_supervised import LabelPropagation, harmonic_system
from sparseopt.semi_supervised._cli import lattice_problem

m = 150
W, y, y_partial = lattice_problem(m, frac=0.03, seed=0)
t0 = time.perf_counter()
model = LabelPropagation(kernel="precomputed", tol=1e-8).fit(W, y_partial)
seconds = time.perf_counter() - t0
unlabeled = y_partial == -1
accuracy = (model.transduction_[unlabeled] == y[unlabeled]).mean()
print(f"{m * m} pixels, {np.sum(~unlabeled)} labeled: accuracy {accuracy:.3f} on the "
      f"others, {model.n_iter_} iterations, {seconds:.2f} s")

# %%
# The known pixels, the propagated labels and the confidence (the largest class
# probability: lowest along the borders between regions).
known = np.where(unlabeled, np.nan, y_partial).reshape(m, m)
fig, axes = plt.subplots(1, 4, figsize=(13, 3.4))
panels = [(y.reshape(m, m), "truth"), (known, "3 % labeled"),
          (model.transduction_.reshape(m, m), f"propagated (acc. {accuracy:.3f})"),
          (model.label_distributions_.max(axis=1).reshape(m, m), "confidence")]
for ax, (img, title) in zip(axes, panels, strict=True):
    ax.imshow(img, cmap="viridis" if title == "confidence" else "tab10",
              interpolation="nearest", vmin=None if title == "confidence" else 0,
              vmax=None if title == "confidence" else 9)
    ax.set_title(title)
    ax.set_axis_off()
fig.tight_layout()

# %%
# Convergence of the block constructions on the same system.
A, W_ul = harmonic_system(W, ~unlabeled)
Y = np.eye(4)[y_partial[~unlabeled]]
B = W_ul @ Y
runs = {"greedy forests + CG (default)": dict(blocks="greedy-forest", acceleration="cg"),
        "greedy forests": dict(blocks="greedy-forest", acceleration=None),
        "red-black": dict(blocks="red-black", acceleration=None),
        "coordinate, greedy (GSL)": dict(blocks="coordinate", selection="greedy"),
        "coordinate, cyclic": dict(blocks="coordinate", selection="cyclic",
                                   acceleration=None)}
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
for label, kw in runs.items():
    res = forest_bcd(A, B, tol=1e-8, max_iter=5000, **kw)
    steps = np.arange(1, len(res.history) + 1)  # epochs, or CG iterations
    ax1.semilogy(steps * res.epochs / res.n_iter, res.history, label=label)
    ax2.loglog(steps * res.n_updates / res.n_iter, res.history, label=label)
    print(f"{label:30s} {res.n_iter:5d} iterations {res.epochs:7.1f} epochs "
          f"{res.n_updates:9d} block updates")
ax1.set(xlabel="epochs (n coordinate updates; approximate: iterations x mean per "
               "iteration)", ylabel="relative residual")
ax2.set(xlabel="block updates (approximate: iterations x mean per iteration)")
ax1.legend()
fig.tight_layout()
plt.show()
