"""
=====================================================
Learning SOR's relaxation parameter over a sequence
=====================================================

A thousand systems :math:`(L + c_t I)\\,x = b_t`: the 5-point Laplacian of a 10 x 10 grid
with a random diagonal shift :math:`c_t` (the high-variance setting of Khodak et al.,
2024). SOR's iteration count depends strongly on :math:`\\omega`, and the best
:math:`\\omega` depends on :math:`c_t`. We compare, by the total number of SOR iterations
spent on the sequence:

- Gauss--Seidel (:math:`\\omega = 1`) and a good fixed :math:`\\omega = 1.8`;
- :class:`~sparseopt.linalg.RelaxationLearner` with Tsallis-INF, which sees nothing but
  the iteration counts of its own solves;
- the same with ChebCB, which also sees :math:`c_t` (the context);
- Young's instance-optimal :math:`\\omega^*(c_t)` (:func:`~sparseopt.linalg.optimal_omega`),
  which needs the Jacobi spectral radius of every system.

The full-size study (T = 5000, 10 trials, and the best fixed :math:`\\omega` in
hindsight) is printed by ``python -m sparseopt bench linalg``.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from sparseopt.datasets import make_shifted_laplacian_sequence
from sparseopt.linalg import RelaxationLearner, optimal_omega, sor

T = 1000
seq = make_shifted_laplacian_sequence(T, n_grid=10, random_state=0)
h = 1 / 11
costs = {
    "omega = 1 (Gauss-Seidel)": [sor(A, b, 1.0).n_iter for A, b, c in seq],
    "omega = 1.8 (fixed)": [sor(A, b, 1.8).n_iter for A, b, c in seq],
}
tsallis = RelaxationLearner("tsallis-inf", random_state=0)
costs["Tsallis-INF (learned)"] = [tsallis.solve(A, b).n_iter for A, b, c in seq]
cheb = RelaxationLearner("chebcb", context_range=(-0.15, 0.45), random_state=0)
costs["ChebCB (learned, sees c_t)"] = [cheb.solve(A, b, c).n_iter for A, b, c in seq]
costs["instance-optimal omega*(c_t)"] = [
    sor(A, b, optimal_omega(None, rho=4 * np.cos(np.pi * h) / (4 + c))).n_iter
    for A, b, c in seq]

for name, it in costs.items():
    print(f"{name:30s} {sum(it):9,d} iterations")

# %%
# Instances remaining against iterations spent (the paper's plot): lower-left is better.
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for name, it in costs.items():
    axes[0].plot(np.cumsum(it), T - np.arange(1, T + 1), label=name)
axes[0].set_xscale("log")
axes[0].set_xlabel("total SOR iterations")
axes[0].set_ylabel("instances remaining")
axes[0].legend(fontsize=8)

# What the learners chose: ChebCB follows omega*(c), Tsallis-INF settles on one value.
c = seq.shifts
order = np.argsort(c)
axes[1].plot(c[order], [optimal_omega(None, rho=4 * np.cos(np.pi * h) / (4 + x))
                        for x in c[order]], "k-", label="omega*(c) (Young)")
axes[1].scatter(c[500:], cheb.history_["omega"][500:], s=6, label="ChebCB, t > 500")
axes[1].scatter(c[500:], tsallis.history_["omega"][500:], s=6, marker="x",
                label="Tsallis-INF, t > 500")
axes[1].set_xlabel("shift c_t")
axes[1].set_ylabel("omega chosen")
axes[1].legend(fontsize=8)
fig.tight_layout()
plt.show()
