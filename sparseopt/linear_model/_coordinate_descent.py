"""Lasso and ElasticNet: scikit-learn estimators on the BCD engine."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import _check_sample_weight, validate_data

from ..bcd import ElasticNet as _ENetPenalty
from ..bcd import GreedyBCD, Quadratic
from ..exceptions import ConvergenceWarning
from ..utils._param_validation import Interval, StrOptions, _fit_context
from ._base import LinearRegressorMixin

__all__ = ["ElasticNet", "Lasso"]


class _BaseElasticNet(LinearRegressorMixin, RegressorMixin, BaseEstimator):
    """Shared fit/predict of Lasso and ElasticNet (quadratic datafit, elastic-net penalty)."""

    _common_constraints: dict = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "positive": ["boolean"],
        "selection": [StrOptions({"cyclic", "random"})],
        "random_state": ["random_state"],
        "n_threads": [None, Interval(Integral, -1, None, closed="left")],
    }

    def _l1_ratio(self):
        raise NotImplementedError

    def _make_penalty(self, X=None, sample_weight=None):
        return _ENetPenalty(alpha=float(self.alpha), l1_ratio=float(self._l1_ratio()),
                            positive=self.positive)

    def _warn_and_store(self, res):
        """Convergence warning and the fitted diagnostics (convex models: the gap)."""
        if not res.converged:
            warnings.warn(
                f"{type(self).__name__} did not converge: relative duality gap "
                f"{res.rel_gap:.3e} > tol {self.tol:.1e} after {res.n_iter} iterations. "
                f"Increase max_iter, loosen tol, or scale the features.",
                ConvergenceWarning, stacklevel=3)
        self.dual_gap_ = res.rel_gap

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (dense or sparse; float32 data is solved in float64 and the
            coefficients are returned in float32).
        y : array-like of shape (n_samples,)
            Targets.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative sample weights.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X, y = validate_data(self, X, y, accept_sparse=["csc", "csr", "coo"],
                             dtype=[np.float64, np.float32], y_numeric=True,
                             multi_output=False)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                                 ensure_non_negative=True)
        if self.alpha == 0:
            warnings.warn("With alpha=0 the problem is ordinary least squares; "
                          "sklearn.linear_model.LinearRegression is better suited.",
                          UserWarning, stacklevel=2)
        coef_init, intercept_init = None, 0.0
        if self.warm_start and hasattr(self, "coef_") and self.coef_.shape == (X.shape[1],):
            coef_init, intercept_init = self.coef_, float(self.intercept_)
        penalty = self._make_penalty(X, sample_weight)
        Xs = X.tocsc() if sp.issparse(X) else X
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = self._solve(Xs, y, sample_weight, penalty, coef_init, intercept_init)
        self._warn_and_store(res)
        self.coef_ = res.coef.astype(X.dtype, copy=False)
        self.intercept_ = res.intercept if self.fit_intercept else 0.0
        self.n_iter_ = res.n_iter
        return self

    def _solver(self, penalty, tol):
        return GreedyBCD(Quadratic(), penalty, selection=self.selection, tol=tol,
                         max_iter=self.max_iter, random_state=self.random_state,
                         n_threads=self.n_threads)

    def _solve(self, X, y, sample_weight, penalty, coef_init, intercept_init):
        """One solve at ``self.alpha`` from the given start; returns the BCDResult."""
        return self._solver(penalty, self.tol).solve(
            X, y, sample_weight=sample_weight, fit_intercept=self.fit_intercept,
            coef_init=coef_init, intercept_init=intercept_init)

    @property
    def sparse_coef_(self):
        """The coefficients as a scipy sparse row (1, n_features)."""
        return sp.csr_matrix(self.coef_)

class ElasticNet(_BaseElasticNet):
    r"""Linear regression with combined L1 and L2 priors, by greedy block coordinate descent.

    Minimizes

    .. math::

        \frac{1}{2 S} \sum_i s_i (y_i - x_i^\top w - b)^2
        + \alpha \rho \|w\|_1 + \frac{\alpha (1 - \rho)}{2} \|w\|_2^2

    with sample weights :math:`s_i` summing to :math:`S` (:math:`S = n` without weights),
    the objective of :class:`sklearn.linear_model.ElasticNet`. The solver alternates a
    duality-gap check on all features with coordinate descent on a working set (the
    support and the worst optimality violations), accelerated by Anderson extrapolation;
    it stops when the relative duality gap is at most ``tol``.

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty strength (>= 0).
    l1_ratio : float, default=0.5
        Mix :math:`\rho` in [0, 1]: 1 is the Lasso, 0 ridge.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept.
    max_iter : int, default=1000
        Maximum outer iterations (each computes the full gradient and the gap, then
        solves a working-set problem).
    tol : float, default=1e-4
        Target relative duality gap: the gap divided by the objective at ``w = 0`` (with
        the best intercept), i.e. ``gap / (||y - mean(y)||^2 / (2n))`` without weights.
    warm_start : bool, default=False
        Start from the previous solution.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    selection : {"cyclic", "random"}, default="cyclic"
        Order of coordinate updates within a working set.
    random_state : int, RandomState instance or None, default=None
        Seed of the random selection.
    n_threads : int, optional
        Threads for the full-gradient computations.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Coefficients.
    intercept_ : float
        Intercept.
    dual_gap_ : float
        Relative duality gap at the solution.
    n_iter_ : int
        Outer iterations run.
    n_features_in_ : int
        Number of features seen in fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when X has string column names.

    See Also
    --------
    Lasso : The special case ``l1_ratio=1``.
    sparseopt.bcd.GreedyBCD : The engine, for other datafits and penalties.

    References
    ----------
    .. [1] J. Nutini, I. Laradji, M. Schmidt, "Let's Make Block Coordinate Descent
       Converge Faster", JMLR 23(131), 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.linear_model import ElasticNet
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 20))
    >>> y = X[:, 0] - 2 * X[:, 1] + 0.01 * rng.standard_normal(100)
    >>> model = ElasticNet(alpha=0.01, l1_ratio=0.9).fit(X, y)
    >>> np.round(model.coef_[:2], 1)
    array([ 1., -2.])
    """

    _parameter_constraints: dict = {
        **_BaseElasticNet._common_constraints,
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, alpha=1.0, *, l1_ratio=0.5, fit_intercept=True, max_iter=1000,
                 tol=1e-4, warm_start=False, positive=False, selection="cyclic",
                 random_state=None, n_threads=None):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.selection = selection
        self.random_state = random_state
        self.n_threads = n_threads

    def _l1_ratio(self):
        return self.l1_ratio

class Lasso(_BaseElasticNet):
    r"""Linear regression with an L1 prior (the Lasso), by greedy block coordinate descent.

    Minimizes

    .. math::

        \frac{1}{2 S} \sum_i s_i (y_i - x_i^\top w - b)^2 + \alpha \|w\|_1,

    the objective of :class:`sklearn.linear_model.Lasso`. See :class:`ElasticNet` for
    the solver.

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty strength (>= 0).
    fit_intercept : bool, default=True
        Fit an unpenalized intercept.
    max_iter : int, default=1000
        Maximum outer iterations.
    tol : float, default=1e-4
        Target relative duality gap (see :class:`ElasticNet`).
    warm_start : bool, default=False
        Start from the previous solution.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    selection : {"cyclic", "random"}, default="cyclic"
        Order of coordinate updates within a working set.
    random_state : int, RandomState instance or None, default=None
        Seed of the random selection.
    n_threads : int, optional
        Threads for the full-gradient computations.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Coefficients.
    intercept_ : float
        Intercept.
    dual_gap_ : float
        Relative duality gap at the solution.
    n_iter_ : int
        Outer iterations run.
    n_features_in_ : int
        Number of features seen in fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when X has string column names.

    See Also
    --------
    ElasticNet : Adds an L2 term.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.linear_model import Lasso
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 20))
    >>> y = 3 * X[:, 4] + 0.01 * rng.standard_normal(100)
    >>> model = Lasso(alpha=0.01).fit(X, y)
    >>> np.flatnonzero(np.abs(model.coef_) > 0.1)
    array([4])
    """

    _parameter_constraints: dict = dict(_BaseElasticNet._common_constraints)

    def __init__(self, alpha=1.0, *, fit_intercept=True, max_iter=1000, tol=1e-4,
                 warm_start=False, positive=False, selection="cyclic", random_state=None,
                 n_threads=None):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.selection = selection
        self.random_state = random_state
        self.n_threads = n_threads

    def _l1_ratio(self):
        return 1.0
