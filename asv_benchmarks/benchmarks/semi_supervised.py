"""Forest-block BCD on label-propagation systems, against scipy's CG.

``time_solve`` is the wall-clock time to a relative residual of 1e-8 on
``L_uu F = W_ul Y_l`` (10 % of the labels known), ``track_epochs`` the epochs (``n``
coordinate updates each) it took; ``+cg`` solvers are forest BCD with
``acceleration="cg"`` (the default), the others plain BCD. ``LabelPropagationFit`` times
the whole estimator.
"""

import numpy as np

from .common import Benchmark, is_fast

_SOLVERS = ["greedy-forest+cg", "red-black+cg", "greedy-forest", "red-black", "coordinate",
            "cg"]


def _lattice_system(m):
    from sparseopt.semi_supervised._cli import _system, lattice_problem

    W, _, yp = lattice_problem(m)
    return _system(W, yp)


class LatticeSolve(Benchmark):
    """The 4-neighbour lattice (250,000 nodes; 10,000 with SPARSEOPT_BENCH_PROFILE=fast)."""

    param_names = ["solver"]
    params = (_SOLVERS,)

    def setup(self, solver):
        self.A, self.B = _lattice_system(100 if is_fast() else 500)

    def _run(self, solver):
        if solver == "cg":
            from scipy.sparse.linalg import cg

            return np.column_stack([cg(self.A, self.B[:, j], rtol=1e-8)[0]
                                    for j in range(self.B.shape[1])]), None
        from sparseopt.bcd import forest_bcd

        blocks, _, acc = solver.partition("+")
        res = forest_bcd(self.A, self.B, blocks=blocks, acceleration=acc or None, tol=1e-8,
                         max_iter=100_000)
        return res.x, res.epochs

    def time_solve(self, solver):
        self._run(solver)

    def track_epochs(self, solver):
        return self._run(solver)[1] if solver != "cg" else float("nan")


class LabelPropagationFit(Benchmark):
    """LabelPropagation on the digits 7-NN graph, 10 % labeled (graph built in fit)."""

    param_names = ["blocks"]
    params = (["greedy-forest", "coordinate"],)

    def setup(self, blocks):
        from sparseopt.semi_supervised import LabelPropagation
        from sparseopt.semi_supervised._cli import digits_problem

        _, self.X, _, self.y = digits_problem()
        self.model = LabelPropagation(n_neighbors=7, blocks=blocks)

    def time_fit(self, blocks):
        self.model.fit(self.X, self.y)
