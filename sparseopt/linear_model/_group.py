"""GroupLasso and group_lasso_path: the group Lasso on the BCD engine's group loop."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import _check_sample_weight, validate_data

from ..bcd import GreedyBCD, GroupL1, Quadratic
from ..exceptions import ConvergenceWarning
from ..utils._param_validation import Interval, StrOptions, _fit_context
from ..utils.validation import check_array, check_scalar
from ._base import LinearRegressorMixin

__all__ = ["GroupLasso", "group_lasso_path"]


def _solver(penalty, tol, max_iter, selection="cyclic", random_state=None, n_threads=None):
    return GreedyBCD(Quadratic(), penalty, selection=selection, tol=tol, max_iter=max_iter,
                     random_state=random_state, n_threads=n_threads)


class GroupLasso(LinearRegressorMixin, RegressorMixin, BaseEstimator):
    r"""Linear regression with a group Lasso penalty, by block coordinate descent over groups.

    Minimizes

    .. math::

        \frac{1}{2 S} \sum_i s_i (y_i - x_i^\top w - b)^2
        + \alpha \sum_g \omega_g \|w_g\|_2

    over the coefficients :math:`w` (and the intercept :math:`b`), with sample weights
    :math:`s_i` summing to :math:`S` (:math:`S = n` without weights, the normalisation
    of :class:`Lasso`) and groups :math:`g` that partition the features. Whole groups
    are zero or not. The solver takes one proximal gradient step per group (block
    soft-thresholding with the group's Lipschitz constant), cyclically over a working
    set of groups (the active groups and the worst optimality violations), and stops
    when the relative duality gap is at most ``tol``.

    Parameters
    ----------
    groups : int, sequence of int, or sequence of array-like of int, default=1
        The partition of the features: a group size (consecutive groups of that size;
        ``n_features`` must be a multiple of it), the sizes of consecutive groups, or
        the feature indices of each group. The groups must cover every feature exactly
        once; otherwise fit raises a ValueError. The default, one feature per group,
        is the Lasso.
    alpha : float, default=1.0
        Penalty strength (>= 0).
    weights : array-like of shape (n_groups,), optional
        Positive group weights :math:`\omega_g`; default :math:`\sqrt{|g|}` (the square
        root of the group's size).
    fit_intercept : bool, default=True
        Fit an unpenalized intercept.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    max_iter : int, default=1000
        Maximum outer iterations (each computes the full gradient and the gap, then
        solves a working-set problem).
    tol : float, default=1e-4
        Target relative duality gap: the gap divided by the objective at ``w = 0`` (with
        the best intercept).
    warm_start : bool, default=False
        Start from the previous solution (a regularization path: fit with decreasing
        ``alpha``; or use :func:`group_lasso_path`).
    selection : {"cyclic", "random"}, default="cyclic"
        Order of the group updates within a working set.
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
    group_lasso_path : The path over ``alpha``, with warm starts.
    Lasso : One feature per group with unit weights.
    sparseopt.bcd.GroupL1 : The penalty, for other datafits (e.g. logistic).

    Notes
    -----
    The group Lipschitz constant is :math:`\lambda_{\max}(X_g^\top \mathrm{diag}(s) X_g)
    / S`, and the dual point :math:`\theta = -t\,\nabla f` is scaled so that
    :math:`\max_g \|X_g^\top \theta\|_2 / \omega_g \le \alpha` (the dual norm of the
    penalty; with positivity only the positive part counts).

    References
    ----------
    .. [1] M. Yuan, Y. Lin, "Model selection and estimation in regression with grouped
       variables", J. R. Statist. Soc. B 68(1), 2006.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.linear_model import GroupLasso
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 12))
    >>> y = X[:, :3] @ [1.0, -2.0, 1.5] + 0.01 * rng.standard_normal(100)
    >>> model = GroupLasso(groups=3, alpha=0.05).fit(X, y)
    >>> [bool(np.any(model.coef_[3 * g:3 * g + 3])) for g in range(4)]
    [True, False, False, False]
    """

    _parameter_constraints: dict = {
        "groups": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "weights": [None, "array-like"],
        "fit_intercept": ["boolean"],
        "positive": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "selection": [StrOptions({"cyclic", "random"})],
        "random_state": ["random_state"],
        "n_threads": [None, Interval(Integral, -1, None, closed="left")],
    }

    def __init__(self, groups=1, alpha=1.0, *, weights=None, fit_intercept=True,
                 positive=False, max_iter=1000, tol=1e-4, warm_start=False,
                 selection="cyclic", random_state=None, n_threads=None):
        self.groups = groups
        self.alpha = alpha
        self.weights = weights
        self.fit_intercept = fit_intercept
        self.positive = positive
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.selection = selection
        self.random_state = random_state
        self.n_threads = n_threads

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
        penalty = GroupL1(self.groups, alpha=float(self.alpha), weights=self.weights,
                          positive=self.positive)
        penalty._partition(X.shape[1])  # bad groups fail here, before any work
        coef_init, intercept_init = None, 0.0
        if self.warm_start and hasattr(self, "coef_") and self.coef_.shape == (X.shape[1],):
            coef_init, intercept_init = self.coef_, float(self.intercept_)
        solver = _solver(penalty, self.tol, self.max_iter, self.selection,
                         self.random_state, self.n_threads)
        Xs = X.tocsc() if sp.issparse(X) else X
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = solver.solve(Xs, y, sample_weight=sample_weight,
                               fit_intercept=self.fit_intercept, coef_init=coef_init,
                               intercept_init=intercept_init)
        if not res.converged:
            warnings.warn(
                f"GroupLasso did not converge: relative duality gap {res.rel_gap:.3e} > "
                f"tol {self.tol:.1e} after {res.n_iter} iterations. Increase max_iter, "
                f"loosen tol, or scale the features.", ConvergenceWarning, stacklevel=2)
        self.dual_gap_ = res.rel_gap
        self.coef_ = res.coef.astype(X.dtype, copy=False)
        self.intercept_ = res.intercept if self.fit_intercept else 0.0
        self.n_iter_ = res.n_iter
        return self


def group_lasso_path(X, y, groups, *, eps: float = 1e-3, alphas=100, weights=None,
                     sample_weight=None, fit_intercept: bool = False, positive: bool = False,
                     coef_init=None, tol: float = 1e-4, max_iter: int = 1000,
                     return_n_iter: bool = False, verbose: bool = False,
                     n_threads: int | None = None):
    r"""Group Lasso regularization path, solved with warm starts.

    For each ``alpha``, from the largest down, minimizes
    :math:`\frac{1}{2S}\sum_i s_i (y_i - x_i^\top w - b)^2 + \alpha \sum_g \omega_g
    \|w_g\|_2` (the objective of :class:`GroupLasso`), starting from the previous
    solution.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,)
        Targets.
    groups : int, sequence of int, or sequence of array-like of int
        The partition of the features (see :class:`GroupLasso`).
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid.
    alphas : int or array-like, default=100
        The number of alphas of the automatic grid (geometric, from the smallest alpha
        that gives ``w = 0`` down to ``eps`` times it), or the alphas themselves (sorted
        in decreasing order before solving).
    weights : array-like of shape (n_groups,), optional
        Positive group weights; default the square roots of the group sizes.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative sample weights.
    fit_intercept : bool, default=False
        Fit an unpenalized intercept at each alpha.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    coef_init : array-like of shape (n_features,), optional
        Warm start of the first solve.
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
    intercepts : ndarray of shape (n_alphas,)
        The intercepts (zeros without ``fit_intercept``).
    n_iters : ndarray of shape (n_alphas,)
        Iterations per alpha (only if ``return_n_iter``).

    See Also
    --------
    GroupLasso, lasso_path

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.linear_model import group_lasso_path
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 8))
    >>> alphas, coefs, gaps, _ = group_lasso_path(X, X[:, 2] - X[:, 3], 2, alphas=3)
    >>> [int(np.count_nonzero(c)) for c in coefs.T]
    [0, 2, 2]
    """
    check_scalar(eps, "eps", Real, min_val=0, include_boundaries="neither")
    Xs = X.tocsc() if sp.issparse(X) else check_array(X, "X", ndim=2, dtype=np.float64)
    n, p = Xs.shape
    y = check_array(y, "y", shape=(n,), dtype=np.float64)
    sw = None
    if sample_weight is not None:
        sw = check_array(sample_weight, "sample_weight", shape=(n,), dtype=np.float64)
    penalty = GroupL1(groups, alpha=1.0, weights=weights, positive=positive)
    penalty._partition(p)
    if isinstance(alphas, (Integral, np.integer)):
        check_scalar(alphas, "alphas", Integral, min_val=1)
        s = np.ones(n) if sw is None else sw
        S = float(s.sum())
        r = y - (s @ y) / S if fit_intercept else y
        amax = penalty.alpha_max(-np.asarray(Xs.T @ (s * r)).ravel() / S)
        grid = amax * np.geomspace(1.0, eps, int(alphas)) if int(alphas) > 1 \
            else np.array([amax])
    else:
        grid = np.sort(check_array(alphas, "alphas", ndim=1, dtype=np.float64))[::-1]
        if np.any(grid < 0):
            raise ValueError("alphas must be non-negative")
    coefs = np.empty((p, grid.size))
    gaps, icpts = np.empty(grid.size), np.zeros(grid.size)
    n_iters = np.empty(grid.size, dtype=int)
    w = None if coef_init is None else check_array(coef_init, "coef_init", shape=(p,),
                                                   dtype=np.float64)
    b = 0.0
    for k, a in enumerate(grid):
        pen = GroupL1(groups, alpha=float(a), weights=weights, positive=positive)
        res = _solver(pen, tol, max_iter, n_threads=n_threads).solve(
            Xs, y, sample_weight=sw, fit_intercept=fit_intercept, coef_init=w,
            intercept_init=b)
        w, b = res.coef, res.intercept
        coefs[:, k], gaps[k], icpts[k], n_iters[k] = w, res.rel_gap, b, res.n_iter
        if verbose:
            print(f"[group_lasso_path] alpha {a:.3e}: rel. gap {res.rel_gap:.1e}, "
                  f"{int(np.count_nonzero(w))} nonzeros, {res.n_iter} iterations")
    if return_n_iter:
        return grid, coefs, gaps, icpts, n_iters
    return grid, coefs, gaps, icpts
