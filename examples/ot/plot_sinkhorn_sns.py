"""
=========================================================
Sinkhorn against Sinkhorn-Newton-Sparse on two digits
=========================================================

The entropic transport between two handwritten digits, a 0 and a 1 from scikit-learn's
``digits``, upsampled from 8 x 8 to 24 x 24 pixels (bilinear), with the Euclidean distance
between pixels as the cost (a W1 problem, divided by its maximum) and ``reg=1e-3``. Every
pixel gets a floor of 1% of the mean mass, so no weight is zero.

At this ``reg`` plain Sinkhorn converges slowly: its error shrinks by a roughly constant
factor per iteration, and that factor is close to 1. :func:`sparseopt.ot.sinkhorn` with
``method="sns"`` runs the same Sinkhorn iterations until the L1 marginal error is below
``switch_tol=5e-2``, then takes Newton steps with a sparsified Hessian (see
:doc:`/user_guide/ot`). Both are stopped by the same rule,
:math:`\\|P\\mathbf 1 - a\\|_1 + \\|P^\\top\\mathbf 1 - b\\|_1 \\le 10^{-9}`.

Plain Sinkhorn is **capped** at 10,000 iterations here (``max_iter=10_000``,
``warn=False``) to keep the example short: it would need well over 100,000 to reach the
tolerance. The measured
tables, on larger problems and against POT, come from ``python -m sparseopt bench ot``.
"""

# %%
# The problem
# -----------
import time

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection
from scipy.ndimage import zoom
from scipy.spatial.distance import cdist
from sklearn.datasets import load_digits

from sparseopt.ot import sinkhorn

digits = load_digits()
images = []
for k in (0, 1):                                      # a 0 and a 1
    im = zoom(digits.images[k], 3, order=1)           # 8 x 8 -> 24 x 24, bilinear
    im = im + 0.01 * im.mean()                        # no pixel without mass
    images.append(im / im.sum())
side = images[0].shape[0]
a, b = images[0].ravel(), images[1].ravel()
grid = np.indices((side, side)).reshape(2, -1).T      # (row, column) of every pixel
M = cdist(grid, grid)                                 # Euclidean ground cost (W1)
M /= M.max()
reg, tol = 1e-3, 1e-9
print(f"{a.size} x {b.size} problem, reg = {reg:g}")

# %%
# Error against wall time
# -----------------------
# ``log["err"]`` holds the L1 marginal error of every iteration, but no clock. For the
# time axis each method is run again with a growing ``max_iter``: every point below is a
# separate, complete call (the best time of two), timed from the call to the returned
# plan, and its error is ``log["marginal_error"]``, measured on that plan. The runs are
# deterministic, so a capped run follows the same iterates as the full one. All runs use
# one thread (``n_threads=1``), so that the times compare the algorithms and depend less
# on what else the machine is running.


def timed(method, max_iter, repeat=1):
    """Best wall time of ``repeat`` calls, with the plan and log of the last."""
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        P, info = sinkhorn(a, b, M, reg, method=method, tol=tol, max_iter=max_iter,
                           log=True, warn=False, n_threads=1)
        best = min(best, time.perf_counter() - t0)
    return best, P, info


timed("sns", 50)                                      # warm up

t_sns, P, sns = timed("sns", None)
t_sk, _, sk = timed("sinkhorn", 10_000)
print(f"sns:      {t_sns:6.2f} s, {sns['niter']:6d} iterations "
      f"({sns['n_sinkhorn']} Sinkhorn + {sns['n_newton']} Newton, first Newton step "
      f"at iteration {sns['switched_at']}), L1 error {sns['marginal_error']:.1e}")
print(f"sinkhorn: {t_sk:6.2f} s, {sk['niter']:6d} iterations (capped), "
      f"L1 error {sk['marginal_error']:.1e}")

caps = {
    "sinkhorn": np.geomspace(10, 10_000, 10)[:-1],
    "sns": np.r_[np.geomspace(10, sns["switched_at"], 7),
                 np.linspace(sns["switched_at"], sns["niter"], 10)[1:-1]],
}
curves = {}
for method, grid_caps in caps.items():
    runs = [timed(method, int(c), repeat=2) for c in np.unique(grid_caps.round())]
    curves[method] = ([t for t, _, _ in runs], [info["marginal_error"] for *_, info in runs])
curves["sinkhorn"][0].append(t_sk)
curves["sinkhorn"][1].append(sk["marginal_error"])
curves["sns"][0].append(t_sns)
curves["sns"][1].append(sns["marginal_error"])

fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for method, style in (("sinkhorn", "C0o-"), ("sns", "C3s-")):
    axes[0].plot(*curves[method], style, ms=3, label=f'method="{method}"')
axes[0].axhline(tol, color="k", lw=0.8, ls=":", label="tol")
axes[0].set(xscale="log", yscale="log", xlabel="wall time of the call (s)",
            ylabel="L1 marginal error",
            title=f"sns {t_sns:.2f} s (converged); "
                  f"sinkhorn {t_sk:.2f} s (capped at 10,000 its.)")
axes[0].title.set_fontsize(10)
axes[0].legend(fontsize=8)

# The same two runs against the iteration count, from ``log["err"]`` (one entry per
# iteration; SNS adds one at each hand-over between Sinkhorn and Newton).
for info, style, name in ((sk, "C0-", "sinkhorn"), (sns, "C3-", "sns")):
    axes[1].plot(np.arange(1, len(info["err"]) + 1), info["err"], style,
                 label=f'method="{name}"')
axes[1].axvline(sns["switched_at"], color="C3", lw=0.8, ls="--",
                label="sns: first Newton step")
axes[1].axhline(tol, color="k", lw=0.8, ls=":", label="tol")
axes[1].set(yscale="log", xlabel="iteration", ylabel="L1 marginal error",
            title='log["err"] of the two runs')
axes[1].title.set_fontsize(10)
axes[1].legend(fontsize=8)
fig.tight_layout()

# %%
# The two methods share their first iterations: SNS runs Sinkhorn until the error is
# below ``switch_tol``. From there Sinkhorn's error falls by a factor 10 every 1,500
# iterations or so, then more slowly still (it is above ``1e-8`` after 100,000
# iterations), while SNS reaches ``tol`` with about ten Newton steps, each costing a few
# Sinkhorn iterations (exponential passes over ``M`` and a conjugate-gradient solve on
# the kept entries). Here the first Newton stages stall (the error goes up: the line
# search is on the dual objective, not on the error), so SNS falls back to a batch of
# Sinkhorn iterations and tries again with a smaller ``tau``; the right panel shows it.
#
# The transport plan
# ------------------
# The plan is nearly sparse: few entries per row carry mass. Here is how many are at
# least ``tau * min(a_i, b_j)`` for the default ``tau=1e-4``, the entries SNS keeps in
# its Hessian (``P`` is the plan of the converged SNS run above).
kept = P >= 1e-4 * np.minimum(a[:, None], b[None, :])
print(f"kept entries per row: {kept.sum(axis=1).mean():.1f} of {b.size} on average")

# %%
# Left: the two digits side by side, and a line for each of the 200 largest entries of
# the plan, darker for more mass. Right: the 0 (red) and the 1 (blue) overlaid, with an
# arrow from every other pixel of the 0 holding at least the mean mass to where its mass
# goes on average: the barycentric projection :math:`\sum_j P_{ij} x_j / a_i`, with
# :math:`x_j` the centre of pixel :math:`j`. The ring of the 0 closes onto the stroke of
# the 1.
fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), width_ratios=[2.2, 1])
gap = 4
centre = grid[:, ::-1] + 0.5                          # pixel centres, (x, y)
ax = axes[0]
ax.imshow(images[0], cmap="Reds", extent=(0, side, side, 0))
ax.imshow(images[1], cmap="Blues", extent=(side + gap, 2 * side + gap, side, 0))
largest = np.argsort(P, axis=None)[::-1][:200]
i, j = np.unravel_index(largest, P.shape)
segments = np.stack([centre[i], centre[j] + [side + gap, 0]], axis=1)
colors = np.zeros((largest.size, 4))
colors[:, 3] = P.ravel()[largest] / P.max()           # black, opacity = mass
ax.add_collection(LineCollection(segments, colors=colors, linewidths=0.7))
ax.set(xlim=(0, 2 * side + gap), ylim=(side, 0))
ax.set_axis_off()
ax.set_title(f"the 200 largest plan entries ({100 * P.ravel()[largest].sum():.0f}% of "
             "the mass)", fontsize=10)

ax = axes[1]
zero, one = images[0] / images[0].max(), images[1] / images[1].max()
overlay = 1 - 0.6 * np.stack([one, np.maximum(zero, one), zero], axis=-1)
ax.imshow(overlay, extent=(0, side, side, 0))         # the 0 in red, the 1 in blue
target = P @ centre / P.sum(axis=1)[:, None]          # barycentric projection
show = (a >= a.mean()) & (grid % 2 == 0).all(axis=1)  # every other pixel, for clarity
ax.quiver(*centre[show].T, *(target - centre)[show].T, angles="xy", scale_units="xy",
          scale=1, width=0.006, color="k")
ax.set(xlim=(0, side), ylim=(side, 0))
ax.set_axis_off()
ax.set_title("where the mass of the 0 goes", fontsize=10)
fig.tight_layout()
plt.show()
