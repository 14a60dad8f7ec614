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
