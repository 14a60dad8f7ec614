"""Lasso fits: sparseopt against scikit-learn, skglm and celer.

Every library runs at its own tol=1e-6, so the times alone do not compare like with
like: ``track_rel_gap`` records the relative duality gap each reached, by the shared
formula, and ``python -m sparseopt bench linear_model`` gives the time to equal gaps.
"""

import warnings

import numpy as np

from .common import Benchmark, is_fast, require

_LIBRARIES = ["sparseopt", "scikit-learn", "skglm", "celer"]


def _problem(name):
    from sparseopt.datasets import (
        load_diabetes_polynomial,
        make_correlated_regression,
        make_sparse_regression,
    )

    if name == "dense":
        shape = (300, 1500, 20) if is_fast() else (1000, 5000, 50)
        return make_correlated_regression(*shape[:2], n_informative=shape[2],
                                          random_state=0)[:2]
    if name == "sparse":
        shape = (2000, 10_000, 2e-3, 100) if is_fast() else (10_000, 50_000, 1e-3, 500)
        return make_sparse_regression(*shape[:2], density=shape[2], n_informative=shape[3],
                                      random_state=0)[:2]
    return load_diabetes_polynomial(3)


def _estimator(library, alpha):
    kw = {"alpha": alpha, "tol": 1e-6, "fit_intercept": False}
    if library == "sparseopt":
        from sparseopt.linear_model import Lasso

        return Lasso(**kw)
    if library == "scikit-learn":
        from sklearn.linear_model import Lasso

        return Lasso(max_iter=100_000, **kw)
    return require(library).Lasso(**kw)


class LassoFit(Benchmark):
    """Lasso at alpha_max / 20 on the issue's dense, sparse and diabetes problems."""

    param_names = ["library", "problem"]
    params = (_LIBRARIES, ["dense", "sparse", "diabetes_poly3"])

    def setup(self, library, problem):
        self.X, self.y = _problem(problem)
        self.alpha = float(np.max(np.abs(self.X.T @ self.y)) / self.X.shape[0] / 20)
        self.est = _estimator(library, self.alpha)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.est.fit(self.X, self.y)  # also compiles skglm's numba code up front

    def time_fit(self, library, problem):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.est.fit(self.X, self.y)

    def track_rel_gap(self, library, problem):
        from sparseopt.bcd import L1, Quadratic, duality_gap

        coef = np.ravel(self.est.coef_)
        return duality_gap(Quadratic(), L1(self.alpha), self.X, self.y, coef)[1]


class FoldedConcaveFit(Benchmark):
    """MCP and SCAD least squares at alpha_max / 20 against skglm, and CEL0 (ours only),
    at tol=1e-8 (ours relative to alpha_max, skglm's scaled to the same absolute
    violation). ``track_objective`` records the objective reached: the problems are
    nonconvex, so solvers may end at different stationary points."""

    param_names = ["penalty", "library", "problem"]
    params = (["mcp", "scad", "cel0"], ["sparseopt", "skglm"],
              ["dense", "sparse", "diabetes_poly3"])

    def setup(self, penalty, library, problem):
        if penalty == "cel0" and library == "skglm":
            raise NotImplementedError("skglm has no CEL0 penalty")
        self.X, self.y = _problem(problem)
        amax = float(np.max(np.abs(self.X.T @ self.y)) / self.X.shape[0])
        self.alpha = amax / 20
        if penalty == "cel0":  # a per-nonzero cost of the same order as alpha^2 / 2
            from sparseopt.linear_model import CEL0Regressor

            self.est = CEL0Regressor(alpha=self.alpha ** 2 / 2, tol=1e-8,
                                     fit_intercept=False)
        elif library == "sparseopt":
            from sparseopt.linear_model import MCPRegressor, SCADRegressor

            Est, gamma = (MCPRegressor, 3.0) if penalty == "mcp" else (SCADRegressor, 3.7)
            self.est = Est(alpha=self.alpha, gamma=gamma, tol=1e-8, fit_intercept=False)
        else:
            from sparseopt.linear_model._cli import _folded_makers

            kind, gamma = ("MCP", 3.0) if penalty == "mcp" else ("SCAD", 3.7)
            self.est = _folded_makers(kind, gamma)["skglm"](self.alpha, 1e-8, amax)
        self.time_fit(penalty, library, problem)  # compiles skglm's numba code up front

    def time_fit(self, penalty, library, problem):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.est.fit(self.X, self.y)

    def track_objective(self, penalty, library, problem):
        from sparseopt.bcd import CEL0, MCP, SCAD

        p = self.X.shape[1]
        if penalty == "cel0":
            pen = CEL0(self.est.alpha, curvatures=np.asarray(
                self.X.multiply(self.X).sum(axis=0) if hasattr(self.X, "multiply")
                else (self.X ** 2).sum(axis=0)).ravel() / self.X.shape[0])
        else:
            pen = (MCP(self.alpha, 3.0) if penalty == "mcp" else SCAD(self.alpha, 3.7))
        coef = np.ascontiguousarray(np.ravel(self.est.coef_), dtype=np.float64)
        r = self.y - self.X @ coef
        return 0.5 * float(r @ r) / self.X.shape[0] + pen._make(p).py_value(coef)
