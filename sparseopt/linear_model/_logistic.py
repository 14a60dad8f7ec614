"""Sparse (L1, elastic-net, MCP, SCAD) logistic regression, binary and multinomial, on BCD."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ..bcd import MCP, SCAD, GreedyBCD, Logistic, Multinomial
from ..bcd import ElasticNet as _ENetPenalty
from ..exceptions import ConvergenceWarning
from ..utils._param_validation import Interval, StrOptions, _fit_context
from ._base import _check_predict_input

__all__ = ["SparseLogisticRegression"]


class SparseLogisticRegression(ClassifierMixin, BaseEstimator):
    r"""Logistic regression with an L1, elastic-net, MCP or SCAD penalty, binary or
    multinomial (L1 and elastic net).

    For two classes it minimizes, as :class:`sklearn.linear_model.LogisticRegression`
    does,

    .. math::

        C \sum_i s_i \log\left(1 + e^{-y_i (x_i^\top w + b)}\right)
        + \rho \|w\|_1 + \frac{1 - \rho}{2}\|w\|_2^2, \qquad y_i \in \{-1, +1\},

    (``penalty="l1"`` is :math:`\rho = 1`) with an unpenalized intercept :math:`b`. For
    :math:`K > 2` classes it fits the true multinomial model (not one-vs-rest), as
    scikit-learn does: the softmax cross-entropy
    :math:`C \sum_i s_i (\log \sum_k e^{x_i^\top w_k + b_k} - x_i^\top w_{y_i} - b_{y_i})`
    plus the penalty on every entry of :math:`W`, with unpenalized intercepts. The
    solver is :class:`sparseopt.bcd.GreedyBCD` (proximal Newton on working sets for two
    classes, coordinate descent on the :math:`pK` coefficients with the
    :class:`~sparseopt.bcd.Multinomial` datafit otherwise); it stops on the relative
    duality gap of the equivalent problem
    :math:`\frac{1}{S}\sum_i s_i \ell_i + \frac{1}{CS}(\ldots)`, :math:`S = \sum_i s_i`.

    With ``penalty="mcp"`` or ``"scad"`` (two classes) it minimizes
    :math:`\frac{1}{S}\sum_i s_i \ell_i + \sum_j p(|w_j|)`, with the penalty ``p`` of
    :class:`MCPRegressor` (:class:`SCADRegressor`) at :math:`\alpha = 1 / (CS)` and
    concavity ``gamma``: a nonconvex problem, solved to a stationary point and stopped on
    the largest violation of the first-order optimality conditions (``violation_``).

    Parameters
    ----------
    penalty : {"l1", "elasticnet", "mcp", "scad"}, default="l1"
        The penalty ("mcp" and "scad": two classes only).
    C : float, default=1.0
        Inverse regularization strength (> 0).
    l1_ratio : float, optional
        :math:`\rho` in [0, 1], required with ``penalty="elasticnet"``.
    gamma : float, optional
        Concavity of "mcp" (> 1, default 3) or "scad" (> 2, default 3.7).
    fit_intercept : bool, default=True
        Fit an unpenalized intercept.
    tol : float, default=1e-4
        Target relative duality gap; for "mcp" and "scad", target largest optimality
        violation relative to the largest gradient entry at ``coef = 0``.
    max_iter : int, default=1000
        Maximum outer iterations.
    warm_start : bool, default=False
        Start from the previous solution.
    n_threads : int, optional
        Threads for the full-gradient computations.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels; with two classes the second is the positive class.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients (one row for two classes, one per class otherwise). With the L1
        penalty and an even number of classes a row of the multinomial coefficients is
        unique only up to a constant; the objective is unique.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts (centred to sum to zero in the multinomial case, which leaves the
        probabilities unchanged).
    dual_gap_ : float
        Relative duality gap at the solution (NaN for "mcp" and "scad").
    violation_ : float
        For "mcp" and "scad": the largest optimality violation at the solution, relative
        to the gradient at 0 (the stopping criterion); NaN otherwise.
    n_iter_ : ndarray of shape (1,)
        Outer iterations run.
    n_features_in_ : int
        Number of features seen in fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when X has string column names.

    See Also
    --------
    sparseopt.bcd.GreedyBCD : The engine.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.linear_model import SparseLogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 30))
    >>> y = (X[:, 0] - X[:, 1] > 0).astype(int)
    >>> clf = SparseLogisticRegression(C=1.0).fit(X, y)
    >>> clf.score(X, y) > 0.95, int(np.count_nonzero(clf.coef_)) < 30
    (True, True)
    """

    _parameter_constraints: dict = {
        "penalty": [StrOptions({"l1", "elasticnet", "mcp", "scad"})],
        "C": [Interval(Real, 0, None, closed="neither")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), None],
        "gamma": [Interval(Real, 1, None, closed="neither"), None],
        "fit_intercept": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "n_threads": [None, Interval(Integral, -1, None, closed="left")],
    }

    def __init__(self, penalty="l1", *, C=1.0, l1_ratio=None, gamma=None, fit_intercept=True,
                 tol=1e-4, max_iter=1000, warm_start=False, n_threads=None):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.gamma = gamma
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.n_threads = n_threads

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels (two or more classes).
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative sample weights.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        if self.penalty == "elasticnet" and self.l1_ratio is None:
            raise ValueError("l1_ratio must be given (in [0, 1]) with penalty='elasticnet'")
        X, y = validate_data(self, X, y, accept_sparse=["csc", "csr", "coo"],
                             dtype=[np.float64, np.float32])
        check_classification_targets(y)
        type_of_target(y, input_name="y", raise_unknown=True)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(f"y must hold samples of 2 classes to fit a classifier; got 1 "
                             f"class: {self.classes_.tolist()}")
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                                 ensure_non_negative=True)
        S = float(X.shape[0] if sample_weight is None else np.sum(sample_weight))
        rho = 1.0 if self.penalty != "elasticnet" else float(self.l1_ratio)
        folded = self.penalty in ("mcp", "scad")
        if len(self.classes_) > 2:
            if folded:
                raise ValueError(f"penalty={self.penalty!r} supports two classes only, got "
                                 f"{len(self.classes_)}: use 'l1' or 'elasticnet'")
            return self._fit_multinomial(X, y, sample_weight, S, rho)
        y_pm = np.where(y == self.classes_[1], 1.0, -1.0)
        coef_init, intercept_init = None, 0.0
        if self.warm_start and hasattr(self, "coef_") and self.coef_.shape == (1, X.shape[1]):
            coef_init, intercept_init = self.coef_.ravel(), float(self.intercept_[0])
        if folded:  # gamma is checked by the penalty (> 1 for MCP, > 2 for SCAD)
            cls, default = (MCP, 3.0) if self.penalty == "mcp" else (SCAD, 3.7)
            pen = cls(1.0 / (self.C * S), default if self.gamma is None else float(self.gamma))
        else:
            pen = _ENetPenalty(alpha=1.0 / (self.C * S), l1_ratio=rho)
        solver = GreedyBCD(Logistic(), pen, tol=self.tol, max_iter=self.max_iter,
                           n_threads=self.n_threads)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = solver.solve(X.tocsc() if sp.issparse(X) else X, y_pm,
                               sample_weight=sample_weight, fit_intercept=self.fit_intercept,
                               coef_init=coef_init, intercept_init=intercept_init)
        self._warn(res)
        self.coef_ = res.coef.astype(X.dtype, copy=False)[None, :]
        self.intercept_ = np.array([res.intercept if self.fit_intercept else 0.0],
                                   dtype=X.dtype)
        self.dual_gap_ = res.rel_gap
        self.violation_ = res.rel_violation
        self.n_iter_ = np.array([res.n_iter])
        return self

    def _fit_multinomial(self, X, y, sample_weight, S, rho):
        K, p = len(self.classes_), X.shape[1]
        codes = np.searchsorted(self.classes_, y).astype(np.float64)
        # The K intercepts are the coefficients of a column of ones, left unpenalized
        # (feature-major layout: feature j holds coordinates j K .. j K + K - 1).
        Xa = X
        if self.fit_intercept:
            ones = np.ones((X.shape[0], 1), dtype=X.dtype)
            Xa = sp.hstack([X, ones], format="csc") if sp.issparse(X) else np.hstack([X, ones])
        elif sp.issparse(X):
            Xa = X.tocsc()
        n_feat = Xa.shape[1]
        weights = np.ones(n_feat * K)
        if self.fit_intercept:
            weights[p * K:] = 0.0
        coef_init = None
        if self.warm_start and hasattr(self, "coef_") and self.coef_.shape == (K, p):
            coef_init = self.coef_.T.astype(np.float64)
            if self.fit_intercept:
                coef_init = np.vstack([coef_init, self.intercept_[None, :]])
        solver = GreedyBCD(Multinomial(),
                           _ENetPenalty(alpha=1.0 / (self.C * S), l1_ratio=rho,
                                        weights=weights),
                           tol=self.tol, max_iter=self.max_iter, n_threads=self.n_threads)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = solver.solve(Xa, codes, sample_weight=sample_weight, coef_init=coef_init)
        self._warn(res)
        W = res.coef  # (n_feat, K)
        b = W[p] - W[p].mean() if self.fit_intercept else np.zeros(K)
        self.coef_ = np.ascontiguousarray(W[:p].T).astype(X.dtype, copy=False)
        self.intercept_ = b.astype(X.dtype, copy=False)
        self.dual_gap_ = res.rel_gap
        self.violation_ = res.rel_violation
        self.n_iter_ = np.array([res.n_iter])
        return self

    def _warn(self, res):
        if not res.converged:
            what, value = "relative duality gap", res.rel_gap
            if self.penalty in ("mcp", "scad"):
                what, value = "relative optimality violation", res.rel_violation
            warnings.warn(
                f"SparseLogisticRegression did not converge: {what} "
                f"{value:.3e} > tol {self.tol:.1e} after {res.n_iter} iterations. "
                f"Increase max_iter, loosen tol, or scale the features.",
                ConvergenceWarning, stacklevel=3)

    def decision_function(self, X):
        """Scores ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Two classes: positive for ``classes_[1]``. More: one column per class.
        """
        X = _check_predict_input(self, X)
        scores = np.asarray(X @ self.coef_.T) + self.intercept_
        return scores.ravel() if self.coef_.shape[0] == 1 else scores

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities of the classes, in the order of ``classes_``.
        """
        d = self.decision_function(X)
        if d.ndim == 2:
            return np.exp(d - np.logaddexp.reduce(d, axis=1, keepdims=True))
        p1 = 0.5 * (1.0 + np.tanh(0.5 * d))  # the logistic function, without overflow
        return np.column_stack([1.0 - p1, p1])

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities of the classes.
        """
        d = self.decision_function(X)
        if d.ndim == 2:
            return d - np.logaddexp.reduce(d, axis=1, keepdims=True)
        return np.column_stack([-np.logaddexp(0.0, d), -np.logaddexp(0.0, -d)])

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            The most probable class (two classes: ``classes_[1]`` where the decision
            function is positive).
        """
        check_is_fitted(self)
        d = self.decision_function(X)
        if d.ndim == 2:
            return self.classes_[np.argmax(d, axis=1)]
        return self.classes_[(d > 0).astype(int)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
