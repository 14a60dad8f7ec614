"""Group Lasso fits (sparseopt against skglm) and the WGSEF prox as the groups grow.

Both group Lasso solvers run at their own tol=1e-6; ``track_rel_gap`` records the
relative duality gap each reached by the shared formula, and ``python -m sparseopt
bench linear_model --case GroupLasso`` gives the time to equal gaps.
"""

import warnings

import numpy as np

from .common import Benchmark, is_fast, require


class GroupLassoFit(Benchmark):
    """Group Lasso, groups of 10, at alpha_max / 10 on a dense and a sparse design."""

    param_names = ["library", "problem"]
    params = (["sparseopt", "skglm"], ["dense", "sparse"])

    def setup(self, library, problem):
        from sparseopt.bcd import GroupL1
        from sparseopt.linear_model._cli_group import group_sparse_problem

        shape = (300, 1500) if is_fast() else (1000, 5000)
        self.X, self.y = group_sparse_problem(*shape, sparse=problem == "sparse")
        self.weights = np.full(shape[1] // 10, np.sqrt(10))
        self.alpha = GroupL1(10, weights=self.weights).alpha_max(
            -(self.X.T @ self.y) / shape[0]) / 10
        kw = {"groups": 10, "alpha": self.alpha, "weights": self.weights, "tol": 1e-6,
              "fit_intercept": False}
        if library == "sparseopt":
            from sparseopt.linear_model import GroupLasso

            self.est = GroupLasso(**kw)
        else:
            self.est = require("skglm").GroupLasso(max_iter=1000, **kw)
        self.time_fit(library, problem)  # also compiles skglm's numba code up front

    def time_fit(self, library, problem):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.est.fit(self.X, self.y)

    def track_rel_gap(self, library, problem):
        from sparseopt.bcd import GroupL1, Quadratic, duality_gap

        pen = GroupL1(10, self.alpha, weights=self.weights)
        return duality_gap(Quadratic(), pen, self.X, self.y, np.ravel(self.est.coef_))[1]


class ProxWGSEF(Benchmark):
    """The WGSEF prox, groups of 4, k = groups / 10: the time should grow linearly."""

    param_names = ["n_groups"]
    params = ([1_000, 10_000, 100_000] if is_fast() else [1_000, 10_000, 100_000,
                                                          1_000_000],)

    def setup(self, n_groups):
        self.v = np.random.default_rng(0).standard_normal(4 * n_groups)

    def time_prox(self, n_groups):
        from sparseopt.bcd import prox_wgsef

        prox_wgsef(self.v, 4, max(1, n_groups // 10), 0.5)
