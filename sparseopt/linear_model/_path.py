"""Regularization paths (warm-started) and cross-validated Lasso / ElasticNet."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.model_selection import check_cv
from sklearn.utils.validation import _check_sample_weight, validate_data

from ..bcd import ElasticNet as _ENetPenalty
from ..bcd import GreedyBCD, Quadratic
from ..exceptions import ConvergenceWarning
from ..utils._param_validation import Interval, StrOptions, _fit_context
from ..utils.validation import check_array, check_scalar
from ._base import LinearRegressorMixin

__all__ = ["ElasticNetCV", "LassoCV", "enet_path", "lasso_path"]


def _alpha_grid(X, y, sample_weight, l1_ratio, fit_intercept, eps, n_alphas):
    """Geometric grid from alpha_max (the smallest alpha with w = 0) down to eps * it."""
    n = X.shape[0]
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    r = y - (np.average(y, weights=s) if fit_intercept else 0.0)
    grad0 = np.asarray(X.T @ (s * r)).ravel() / s.sum()
    alpha_max = float(np.max(np.abs(grad0), initial=0.0)) / max(l1_ratio, 1e-3)
    if alpha_max <= np.finfo(float).resolution:
        return np.full(n_alphas, np.finfo(float).resolution)
    return np.geomspace(alpha_max, alpha_max * eps, num=n_alphas)


def _path(X, y, *, l1_ratio, alphas, sample_weight=None, fit_intercept=False,
          positive=False, tol=1e-4, max_iter=1000, coef_init=None, selection="cyclic",
          random_state=None, n_threads=None, verbose=False):
    """Solve along ``alphas`` (as given, usually decreasing) with warm starts."""
    # Convert once: every solve then reuses the engine's layout without copying.
    X = X.tocsc().astype(np.float64) if sp.issparse(X) else np.asfortranarray(X, np.float64)
    p = X.shape[1]
    coefs = np.empty((p, len(alphas)))
    intercepts = np.empty(len(alphas))
    gaps = np.empty(len(alphas))
    n_iters = np.empty(len(alphas), dtype=int)
    w = None if coef_init is None else np.asarray(coef_init, dtype=float)
    b = 0.0
    unconverged = []
    for k, alpha in enumerate(alphas):
        solver = GreedyBCD(Quadratic(), _ENetPenalty(float(alpha), l1_ratio, positive=positive),
                           tol=tol, max_iter=max_iter, selection=selection,
                           random_state=random_state, n_threads=n_threads)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = solver.solve(X, y, sample_weight=sample_weight, fit_intercept=fit_intercept,
                               coef_init=w, intercept_init=b)
        if not res.converged:
            unconverged.append((alpha, res.rel_gap))
        w, b = res.coef, res.intercept
        coefs[:, k], intercepts[k], gaps[k], n_iters[k] = w, b, res.rel_gap, res.n_iter
        if verbose:
            print(f"[path] alpha={alpha:.4e} rel. gap={res.rel_gap:.2e} "
                  f"nonzeros={np.count_nonzero(w)} iterations={res.n_iter}")
    if unconverged:
        alpha, rel = unconverged[0]
        warnings.warn(f"the path did not converge at {len(unconverged)} of {len(alphas)} "
                      f"alphas (first: alpha={alpha:.3e}, relative gap {rel:.2e} > tol "
                      f"{tol:.1e}); increase max_iter or loosen tol.", ConvergenceWarning,
                      stacklevel=3)
    return coefs, intercepts, gaps, n_iters


def enet_path(X, y, *, l1_ratio: float = 0.5, eps: float = 1e-3, alphas=100,
              coef_init=None, positive: bool = False, tol: float = 1e-4,
              max_iter: int = 1000, return_n_iter: bool = False, verbose: bool = False,
              n_threads: int | None = None):
    r"""Elastic-net regularization path, solved with warm starts.

    For each ``alpha`` (largest first) minimizes

    .. math:: \frac{1}{2n}\|y - Xw\|_2^2 + \alpha\rho\|w\|_1 + \frac{\alpha(1-\rho)}{2}\|w\|_2^2,

    starting from the previous solution. As in :func:`sklearn.linear_model.enet_path`, no
    intercept is fitted: center ``X`` and ``y`` first if needed (the CV estimators fit
    the intercept themselves).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,)
        Targets.
    l1_ratio : float, default=0.5
        Mix :math:`\rho \in (0, 1]`.
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid.
    alphas : int or array-like, default=100
        The number of alphas of the automatic grid (geometric, from the smallest alpha
        that gives ``w = 0`` down to ``eps`` times it), or the alphas themselves (sorted
        in decreasing order before solving).
    coef_init : array-like of shape (n_features,), optional
        Warm start of the first solve.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    tol : float, default=1e-4
        Target relative duality gap of every solve.
    max_iter : int, default=1000
        Maximum outer iterations per alpha.
    return_n_iter : bool, default=False
        Also return the iterations per alpha.
    verbose : bool, default=False
        Print one line per alpha.
    n_threads : int, optional
        Threads of the gradient computations.

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
        The alphas, decreasing.
    coefs : ndarray of shape (n_features, n_alphas)
        The coefficients along the path.
    dual_gaps : ndarray of shape (n_alphas,)
        Relative duality gap reached at each alpha.
    n_iters : ndarray of shape (n_alphas,)
        Iterations per alpha (only if ``return_n_iter``).

    See Also
    --------
    lasso_path, ElasticNetCV

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.linear_model import enet_path
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.standard_normal((50, 10)), rng.standard_normal(50)
    >>> alphas, coefs, gaps = enet_path(X, y, alphas=5)
    >>> coefs.shape, bool(np.all(coefs[:, 0] == 0))
    ((10, 5), True)
    """
    check_scalar(l1_ratio, "l1_ratio", Real, min_val=0, max_val=1,
                 include_boundaries="right")
    check_scalar(eps, "eps", Real, min_val=0, include_boundaries="neither")
    if not sp.issparse(X):
        X = check_array(X, "X", ndim=2)
    y = check_array(y, "y", ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have {X.shape[0]} entries (the rows of X), got {y.shape[0]}")
    if isinstance(alphas, Integral) and not isinstance(alphas, bool):
        check_scalar(alphas, "alphas", Integral, min_val=1)
        alphas = _alpha_grid(X, y, None, l1_ratio, False, eps, int(alphas))
    else:
        alphas = np.sort(check_array(alphas, "alphas", ndim=1))[::-1]
        if np.any(alphas < 0):
            raise ValueError("alphas must be non-negative")
    coefs, _, gaps, n_iters = _path(X, y, l1_ratio=float(l1_ratio), alphas=alphas,
                                    positive=positive, tol=tol, max_iter=max_iter,
                                    coef_init=coef_init, n_threads=n_threads,
                                    verbose=verbose)
    if return_n_iter:
        return alphas, coefs, gaps, n_iters
    return alphas, coefs, gaps


def lasso_path(X, y, *, eps: float = 1e-3, alphas=100, coef_init=None,
               positive: bool = False, tol: float = 1e-4, max_iter: int = 1000,
               return_n_iter: bool = False, verbose: bool = False,
               n_threads: int | None = None):
    r"""Lasso regularization path, solved with warm starts.

    :func:`enet_path` with ``l1_ratio=1``: for each ``alpha`` minimizes
    :math:`\frac{1}{2n}\|y - Xw\|_2^2 + \alpha\|w\|_1`.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,)
        Targets.
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid.
    alphas : int or array-like, default=100
        The number of alphas of the automatic grid (geometric, from the smallest alpha
        that gives ``w = 0`` down to ``eps`` times it), or the alphas themselves (sorted
        in decreasing order before solving).
    coef_init : array-like of shape (n_features,), optional
        Warm start of the first solve.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    tol : float, default=1e-4
        Target relative duality gap of every solve.
    max_iter : int, default=1000
        Maximum outer iterations per alpha.
    return_n_iter : bool, default=False
        Also return the iterations per alpha.
    verbose : bool, default=False
        Print one line per alpha.
    n_threads : int, optional
        Threads of the gradient computations.

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
        The alphas, decreasing.
    coefs : ndarray of shape (n_features, n_alphas)
        The coefficients along the path.
    dual_gaps : ndarray of shape (n_alphas,)
        Relative duality gap reached at each alpha.
    n_iters : ndarray of shape (n_alphas,)
        Iterations per alpha (only if ``return_n_iter``).

    See Also
    --------
    enet_path, LassoCV

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.linear_model import lasso_path
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 10))
    >>> alphas, coefs, gaps = lasso_path(X, X[:, 3], alphas=3)
    >>> [int(np.count_nonzero(c)) for c in coefs.T]
    [0, 1, 1]
    """
    return enet_path(X, y, l1_ratio=1.0, eps=eps, alphas=alphas,
                     coef_init=coef_init, positive=positive, tol=tol, max_iter=max_iter,
                     return_n_iter=return_n_iter, verbose=verbose, n_threads=n_threads)


def _fold_mse(X, y, sw, train, test, l1_ratio, alphas, fit_intercept, params):
    """Mean squared test error along the path fitted on ``train``."""
    Xtr, Xte = X[train], X[test]
    swtr = None if sw is None else sw[train]
    coefs, intercepts, _, _ = _path(Xtr, y[train], l1_ratio=l1_ratio, alphas=alphas,
                                    sample_weight=swtr, fit_intercept=fit_intercept,
                                    **params)
    pred = np.asarray(Xte @ coefs) + intercepts
    err = (pred - y[test][:, None]) ** 2
    if sw is None:
        return err.mean(axis=0)
    return np.average(err, axis=0, weights=sw[test])


class _BaseCV(LinearRegressorMixin, RegressorMixin, BaseEstimator):
    _common_constraints: dict = {
        "eps": [Interval(Real, 0, None, closed="neither")],
        "alphas": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "cv": ["cv_object"],
        "verbose": ["verbose"],
        "n_jobs": [Integral, None],
        "positive": ["boolean"],
        "random_state": ["random_state"],
        "selection": [StrOptions({"cyclic", "random"})],
        "n_threads": [None, Interval(Integral, -1, None, closed="left")],
    }

    def _l1_ratios(self):
        raise NotImplementedError

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Choose alpha (and l1_ratio) by cross-validation, then refit on all the data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Targets.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative sample weights (used in fits and in the test errors).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"],
                             dtype=[np.float64, np.float32], y_numeric=True,
                             multi_output=False)
        X = X.tocsr() if sp.issparse(X) else X  # rows are sliced per fold
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                                 ensure_non_negative=True)
        l1_ratios = np.atleast_1d(np.asarray(self._l1_ratios(), dtype=float))
        if np.any((l1_ratios <= 0) | (l1_ratios > 1)):
            raise ValueError(f"l1_ratio must be in (0, 1], got {l1_ratios.tolist()}")
        Xd = X.astype(np.float64)
        yd = y.astype(np.float64)
        if isinstance(self.alphas, Integral):
            grids = [_alpha_grid(Xd, yd, sample_weight, r, self.fit_intercept, self.eps,
                                 int(self.alphas)) for r in l1_ratios]
        else:
            a = np.sort(np.asarray(self.alphas, dtype=float))[::-1]
            grids = [a for _ in l1_ratios]
        folds = list(check_cv(self.cv).split(Xd, yd))
        params = {"positive": self.positive, "tol": self.tol, "max_iter": self.max_iter,
                  "selection": self.selection, "random_state": self.random_state,
                  "n_threads": 1 if (self.n_jobs not in (None, 1)) else self.n_threads}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            jobs = (delayed(_fold_mse)(Xd, yd, sample_weight, tr, te, r, grid,
                                       self.fit_intercept, params)
                    for r, grid in zip(l1_ratios, grids, strict=True) for tr, te in folds)
            mse = Parallel(n_jobs=self.n_jobs, verbose=self.verbose)(jobs)
        mse = np.asarray(mse).reshape(len(l1_ratios), len(folds), -1).transpose(0, 2, 1)
        mean = mse.mean(axis=2)
        i, j = np.unravel_index(np.argmin(mean), mean.shape)
        self.l1_ratio_ = float(l1_ratios[i])
        self.alpha_ = float(grids[i][j])
        self.alphas_ = np.asarray(grids) if len(l1_ratios) > 1 else np.asarray(grids[0])
        self.mse_path_ = mse if len(l1_ratios) > 1 else mse[0]
        solver = GreedyBCD(Quadratic(), _ENetPenalty(self.alpha_, self.l1_ratio_,
                                                     positive=self.positive),
                           tol=self.tol, max_iter=self.max_iter, selection=self.selection,
                           random_state=self.random_state, n_threads=self.n_threads)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = solver.solve(Xd.tocsc() if sp.issparse(Xd) else Xd, yd,
                               sample_weight=sample_weight, fit_intercept=self.fit_intercept)
        if not res.converged:
            warnings.warn(f"{type(self).__name__}: the final fit did not converge (relative "
                          f"duality gap {res.rel_gap:.3e} > tol {self.tol:.1e}); increase "
                          f"max_iter or loosen tol.", ConvergenceWarning, stacklevel=2)
        self.coef_ = res.coef.astype(X.dtype, copy=False)
        self.intercept_ = res.intercept if self.fit_intercept else 0.0
        self.dual_gap_ = res.rel_gap
        self.n_iter_ = res.n_iter
        return self

class ElasticNetCV(_BaseCV):
    """Elastic net with alpha and l1_ratio chosen by cross-validation.

    For every ``l1_ratio`` and fold, the path over ``alphas`` is solved with warm starts
    on the training part (folds run in parallel with joblib) and scored by the mean
    squared error on the held-out part; the best pair is refitted on all the data.

    Parameters
    ----------
    l1_ratio : float or list of float, default=0.5
        Candidate mixes in (0, 1].
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid.
    alphas : int or array-like, default=100
        The number of alphas of the automatic grid (per l1_ratio), or the candidates.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept.
    max_iter : int, default=1000
        Maximum outer iterations per fit.
    tol : float, default=1e-4
        Target relative duality gap of every fit.
    cv : int, cross-validation generator or iterable, optional
        As in scikit-learn (default 5-fold).
    verbose : bool or int, default=0
        Verbosity of joblib.
    n_jobs : int, optional
        Folds solved in parallel (each then single-threaded inside).
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    random_state : int, RandomState instance or None, default=None
        Seed of the random selection.
    selection : {"cyclic", "random"}, default="cyclic"
        Order of coordinate updates.
    n_threads : int, optional
        Threads of the gradient computations (when ``n_jobs`` is 1 or None).

    Attributes
    ----------
    alpha_ : float
        The chosen alpha.
    l1_ratio_ : float
        The chosen l1_ratio.
    alphas_ : ndarray of shape (n_alphas,) or (n_l1_ratio, n_alphas)
        The alpha grid(s).
    mse_path_ : ndarray of shape (n_alphas, n_folds) or (n_l1_ratio, n_alphas, n_folds)
        Test errors.
    coef_ : ndarray of shape (n_features,)
        Coefficients of the refitted model.
    intercept_ : float
        Intercept of the refitted model.
    dual_gap_ : float
        Relative duality gap of the refitted model.
    n_iter_ : int
        Outer iterations of the refit.
    n_features_in_ : int
        Number of features seen in fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when X has string column names.

    See Also
    --------
    LassoCV, enet_path

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.linear_model import ElasticNetCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((80, 10))
    >>> y = X[:, 0] + 0.1 * rng.standard_normal(80)
    >>> model = ElasticNetCV(l1_ratio=[0.5, 1.0], alphas=20, cv=3).fit(X, y)
    >>> model.l1_ratio_ in (0.5, 1.0), bool(abs(model.coef_[0] - 1) < 0.1)
    (True, True)
    """

    _parameter_constraints: dict = {
        **_BaseCV._common_constraints,
        "l1_ratio": [Interval(Real, 0, 1, closed="right"), "array-like"],
    }

    def __init__(self, *, l1_ratio=0.5, eps=1e-3, alphas=100, fit_intercept=True,
                 max_iter=1000, tol=1e-4, cv=None, verbose=0, n_jobs=None,
                 positive=False, random_state=None, selection="cyclic", n_threads=None):
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.positive = positive
        self.random_state = random_state
        self.selection = selection
        self.n_threads = n_threads

    def _l1_ratios(self):
        return self.l1_ratio


class LassoCV(_BaseCV):
    """Lasso with alpha chosen by cross-validation.

    See :class:`ElasticNetCV` (this is the case ``l1_ratio=1``).

    Parameters
    ----------
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid.
    alphas : int or array-like, default=100
        The number of alphas of the automatic grid, or the candidates.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept.
    max_iter : int, default=1000
        Maximum outer iterations per fit.
    tol : float, default=1e-4
        Target relative duality gap of every fit.
    cv : int, cross-validation generator or iterable, optional
        As in scikit-learn (default 5-fold).
    verbose : bool or int, default=0
        Verbosity of joblib.
    n_jobs : int, optional
        Folds solved in parallel.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    random_state : int, RandomState instance or None, default=None
        Seed of the random selection.
    selection : {"cyclic", "random"}, default="cyclic"
        Order of coordinate updates.
    n_threads : int, optional
        Threads of the gradient computations (when ``n_jobs`` is 1 or None).

    Attributes
    ----------
    alpha_ : float
        The chosen alpha.
    alphas_ : ndarray of shape (n_alphas,)
        The alpha grid.
    mse_path_ : ndarray of shape (n_alphas, n_folds)
        Test errors.
    coef_ : ndarray of shape (n_features,)
        Coefficients of the refitted model.
    intercept_ : float
        Intercept of the refitted model.
    dual_gap_ : float
        Relative duality gap of the refitted model.
    n_iter_ : int
        Outer iterations of the refit.
    n_features_in_ : int
        Number of features seen in fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when X has string column names.

    See Also
    --------
    ElasticNetCV, lasso_path

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.linear_model import LassoCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((80, 10))
    >>> y = 2 * X[:, 1] + 0.1 * rng.standard_normal(80)
    >>> model = LassoCV(alphas=20, cv=3).fit(X, y)
    >>> int(np.argmax(np.abs(model.coef_)))
    1
    """

    _parameter_constraints: dict = dict(_BaseCV._common_constraints)

    def __init__(self, *, eps=1e-3, alphas=100, fit_intercept=True,
                 max_iter=1000, tol=1e-4, cv=None, verbose=0, n_jobs=None, positive=False,
                 random_state=None, selection="cyclic", n_threads=None):
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.positive = positive
        self.random_state = random_state
        self.selection = selection
        self.n_threads = n_threads

    def _l1_ratios(self):
        return 1.0
