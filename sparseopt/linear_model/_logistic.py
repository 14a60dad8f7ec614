"""Sparse (L1 / elastic-net) binary logistic regression on the BCD engine."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ..bcd import ElasticNet as _ENetPenalty
from ..bcd import GreedyBCD, Logistic
from ..exceptions import ConvergenceWarning
from ..utils._param_validation import Interval, StrOptions, _fit_context
from ._base import _check_predict_input

__all__ = ["SparseLogisticRegression"]


class SparseLogisticRegression(ClassifierMixin, BaseEstimator):
    r"""Binary logistic regression with an L1 or elastic-net penalty.

    Minimizes, as :class:`sklearn.linear_model.LogisticRegression` does,

    .. math::

        C \sum_i s_i \log\left(1 + e^{-y_i (x_i^\top w + b)}\right)
        + \rho \|w\|_1 + \frac{1 - \rho}{2}\|w\|_2^2, \qquad y_i \in \{-1, +1\},

    (``penalty="l1"`` is :math:`\rho = 1`) with an unpenalized intercept :math:`b`. The
    solver is :class:`sparseopt.bcd.GreedyBCD` with proximal Newton updates on working
    sets; it stops on the relative duality gap of the equivalent problem
    :math:`\frac{1}{S}\sum_i s_i \ell_i + \frac{1}{CS}(\ldots)`, :math:`S = \sum_i s_i`.

    Parameters
    ----------
    penalty : {"l1", "elasticnet"}, default="l1"
        The penalty.
    C : float, default=1.0
        Inverse regularization strength (> 0).
    l1_ratio : float, optional
        :math:`\rho` in [0, 1], required with ``penalty="elasticnet"``.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept.
    tol : float, default=1e-4
        Target relative duality gap.
    max_iter : int, default=1000
        Maximum outer iterations.
    warm_start : bool, default=False
        Start from the previous solution.
    n_threads : int, optional
        Threads for the full-gradient computations.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two class labels; the second is the positive class.
    coef_ : ndarray of shape (1, n_features)
        Coefficients.
    intercept_ : ndarray of shape (1,)
        Intercept.
    dual_gap_ : float
        Relative duality gap at the solution.
    n_iter_ : ndarray of shape (1,)
        Outer iterations run.
    n_features_in_ : int
        Number of features seen in fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when X has string column names.

    See Also
    --------
    sparseopt.bcd.GreedyBCD : The engine.

    Notes
    -----
    Only binary targets are supported for now; multinomial L1 logistic regression is
    planned.

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
        "penalty": [StrOptions({"l1", "elasticnet"})],
        "C": [Interval(Real, 0, None, closed="neither")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), None],
        "fit_intercept": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "n_threads": [None, Interval(Integral, -1, None, closed="left")],
    }

    def __init__(self, penalty="l1", *, C=1.0, l1_ratio=None, fit_intercept=True, tol=1e-4,
                 max_iter=1000, warm_start=False, n_threads=None):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
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
            Two-class targets.
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
        y_type = type_of_target(y, input_name="y", raise_unknown=True)
        if y_type != "binary":
            raise ValueError(
                f"Only binary classification is supported. The type of the target is "
                f"{y_type}: y must hold exactly 2 classes (multinomial L1 logistic "
                f"regression is planned), got {len(np.unique(y))}.")
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(f"y must hold samples of 2 classes to fit a classifier; got 1 "
                             f"class: {self.classes_.tolist()}")
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                                 ensure_non_negative=True)
        S = float(X.shape[0] if sample_weight is None else np.sum(sample_weight))
        y_pm = np.where(y == self.classes_[1], 1.0, -1.0)
        rho = 1.0 if self.penalty == "l1" else float(self.l1_ratio)
        coef_init, intercept_init = None, 0.0
        if self.warm_start and hasattr(self, "coef_") and self.coef_.shape == (1, X.shape[1]):
            coef_init, intercept_init = self.coef_.ravel(), float(self.intercept_[0])
        solver = GreedyBCD(Logistic(), _ENetPenalty(alpha=1.0 / (self.C * S), l1_ratio=rho),
                           tol=self.tol, max_iter=self.max_iter, n_threads=self.n_threads)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = solver.solve(X.tocsc() if sp.issparse(X) else X, y_pm,
                               sample_weight=sample_weight, fit_intercept=self.fit_intercept,
                               coef_init=coef_init, intercept_init=intercept_init)
        if not res.converged:
            warnings.warn(
                f"SparseLogisticRegression did not converge: relative duality gap "
                f"{res.rel_gap:.3e} > tol {self.tol:.1e} after {res.n_iter} iterations. "
                f"Increase max_iter, loosen tol, or scale the features.",
                ConvergenceWarning, stacklevel=2)
        self.coef_ = res.coef.astype(X.dtype, copy=False)[None, :]
        self.intercept_ = np.array([res.intercept if self.fit_intercept else 0.0],
                                   dtype=X.dtype)
        self.dual_gap_ = res.rel_gap
        self.n_iter_ = np.array([res.n_iter])
        return self

    def decision_function(self, X):
        """Signed distance to the separating hyperplane, ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Positive for the class ``classes_[1]``.
        """
        X = _check_predict_input(self, X)
        return np.asarray(X @ self.coef_[0]).ravel() + self.intercept_[0]

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Probabilities of ``classes_[0]`` and ``classes_[1]``.
        """
        d = self.decision_function(X)
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
        log_proba : ndarray of shape (n_samples, 2)
            Log-probabilities of the two classes.
        """
        d = self.decision_function(X)
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
            ``classes_[1]`` where the decision function is positive, else ``classes_[0]``.
        """
        check_is_fitted(self)
        return self.classes_[(self.decision_function(X) > 0).astype(int)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_class = False
        return tags
