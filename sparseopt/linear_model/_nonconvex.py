"""MCPRegressor, SCADRegressor and CEL0Regressor: least squares with folded-concave
penalties."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp

from ..bcd import CEL0, MCP, SCAD
from ..exceptions import ConvergenceWarning
from ..utils._param_validation import Interval
from ._coordinate_descent import _BaseElasticNet

__all__ = ["CEL0Regressor", "MCPRegressor", "SCADRegressor"]

_DOC_SHARED = """
    Parameters
    ----------
{head}
    fit_intercept : bool, default=True
        Fit an unpenalized intercept.
    max_iter : int, default=1000
        Maximum outer iterations.
    tol : float, default=1e-4
        Target largest violation of the first-order optimality conditions, relative
        to the largest entry of the gradient at ``coef = 0``. The problem is nonconvex:
        the solver returns a stationary point, not necessarily the global minimum. A
        zero coefficient counts as optimal only if the exact coordinate step keeps it
        at 0: when a column's curvature ``||x_j||^2 / n`` is small (below ``1 / gamma``
        for MCP), that is stricter than ``|grad_j| <= alpha``, and the point returned
        is a coordinate-wise minimum.
    warm_start : bool, default=False
        Start from the previous solution (the way to follow a regularization path:
        decrease ``alpha`` between fits).
{path}    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    selection : {{"cyclic", "random"}}, default="cyclic"
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
    violation_ : float
        Largest optimality violation at the solution, relative to the gradient at 0
        (the stopping criterion).
    n_iter_ : int
        Outer iterations run (summed over the continuation path).
    n_features_in_ : int
        Number of features seen in fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when X has string column names.
"""

# Tolerance of the intermediate problems of the continuation path, relative to their alpha
_PATH_TOL = 1e-2

_PATH_DOC = """    path_steps : int, default=5
        Continuation: without a warm start, solve at ``path_steps`` values of alpha
        spaced geometrically from ``alpha_max`` (where 0 is the solution) down to
        ``alpha``, each started from the previous solution and solved to a loose
        tolerance (violation 1e-2 times their alpha) except the last. 1 solves at ``alpha``
        from 0 directly. See Notes.
"""

_PATH_NOTES = r"""
    Notes
    -----
    The objective is nonconvex, and which stationary point a descent method reaches
    depends on its path. Started from 0 at a small ``alpha``, coordinate descent makes
    its first selections on a strongly nonconvex landscape, and a coefficient that
    grows beyond ``gamma * alpha`` (where the penalty is flat) is no longer pulled back:
    early choices stick. At large ``alpha`` the support is small and the objective is
    convex on it (for least squares, when the smallest eigenvalue of
    :math:`X_S^\top X_S / n` exceeds the penalty's concavity): the path starts where
    the problem is benign and follows a stationary point as ``alpha`` decreases, as in
    the pathwise algorithms of [2]_ (``ncvreg``). It is a heuristic for a lower
    stationary point, not a guarantee of the global minimum.
"""

_GAMMA_HEAD = """    alpha : float, default=1.0
        Penalty strength (>= 0): the penalty's slope at 0, as the Lasso's alpha.
    gamma : float, default={gamma}
        Concavity ({gamma_rule})."""


class _BaseFolded(_BaseElasticNet):
    _penalty_cls: type
    _min_gamma: float

    def __init__(self, alpha=1.0, *, gamma=3.0, fit_intercept=True, max_iter=1000,
                 tol=1e-4, warm_start=False, path_steps=5, positive=False,
                 selection="cyclic", random_state=None, n_threads=None):
        self.alpha = alpha
        self.gamma = gamma
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.path_steps = path_steps
        self.positive = positive
        self.selection = selection
        self.random_state = random_state
        self.n_threads = n_threads

    def _make_penalty(self, X=None, sample_weight=None):
        return self._penalty_cls(float(self.alpha), float(self.gamma),
                                 positive=self.positive)

    def _solver(self, penalty, tol):
        # continuation (see Notes), inside one solve: the stages share the datafit
        solver = super()._solver(penalty, tol)
        solver.path_steps, solver.path_tol = self.path_steps, _PATH_TOL
        return solver

    def _warn_and_store(self, res):
        if not res.converged:
            warnings.warn(
                f"{type(self).__name__} did not converge: relative optimality violation "
                f"{res.rel_violation:.3e} > tol {self.tol:.1e} after {res.n_iter} "
                f"iterations. Increase max_iter, loosen tol, or scale the features.",
                ConvergenceWarning, stacklevel=3)
        self.violation_ = res.rel_violation


class MCPRegressor(_BaseFolded):
    __doc__ = r"""Linear regression with the minimax concave penalty (MCP), by greedy block
    coordinate descent.

    Minimizes

    .. math::

        \frac{1}{2 S} \sum_i s_i (y_i - x_i^\top w - b)^2 + \sum_j p(|w_j|),
        \qquad p(x) = \begin{cases} \alpha x - \frac{x^2}{2\gamma} & x \le \gamma\alpha \\
        \frac{\gamma \alpha^2}{2} & x > \gamma\alpha \end{cases}

    a nonconvex penalty that selects like the Lasso near 0 but does not shrink large
    coefficients. The solver (working sets, coordinate descent with exact 1-D proximal
    steps) stops at a stationary point.
    """ + _DOC_SHARED.format(head=_GAMMA_HEAD.format(
        gamma="3.0", gamma_rule="> 1; the penalty is flat beyond gamma * alpha"),
        path=_PATH_DOC) + r"""
    See Also
    --------
    SCADRegressor : The SCAD penalty.
    sparseopt.linear_model.Lasso : The convex limit, gamma -> infinity.
""" + _PATH_NOTES + r"""
    References
    ----------
    .. [1] C.-H. Zhang, "Nearly unbiased variable selection under minimax concave
       penalty", Annals of Statistics 38(2), 2010.
    .. [2] P. Breheny, J. Huang, "Coordinate descent algorithms for nonconvex penalized
       regression, with applications to biological feature selection", Annals of
       Applied Statistics 5(1), 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.linear_model import MCPRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 20))
    >>> y = 3 * X[:, 4] + 0.01 * rng.standard_normal(100)
    >>> model = MCPRegressor(alpha=0.1).fit(X, y)
    >>> np.flatnonzero(model.coef_), round(float(model.coef_[4]), 2)  # no shrinkage
    (array([4]), 3.0)
    """

    _penalty_cls = MCP
    _parameter_constraints: dict = {
        **_BaseElasticNet._common_constraints,
        "gamma": [Interval(Real, 1, None, closed="neither")],
        "path_steps": [Interval(Integral, 1, None, closed="left")],
    }


class SCADRegressor(_BaseFolded):
    __doc__ = r"""Linear regression with the smoothly clipped absolute deviation (SCAD) penalty,
    by greedy block coordinate descent.

    Minimizes the least-squares loss of :class:`MCPRegressor` plus
    :math:`\sum_j p(|w_j|)` with :math:`p(x) = \alpha x` for :math:`x \le \alpha`,
    :math:`(2\gamma\alpha x - x^2 - \alpha^2) / (2(\gamma - 1))` up to
    :math:`\gamma\alpha`, and :math:`\alpha^2(\gamma + 1)/2` beyond.
    """ + _DOC_SHARED.format(head=_GAMMA_HEAD.format(
        gamma="3.7", gamma_rule="> 2; 3.7 is Fan and Li's choice"), path=_PATH_DOC) + r"""
    See Also
    --------
    MCPRegressor : The minimax concave penalty.
""" + _PATH_NOTES + r"""
    References
    ----------
    .. [1] J. Fan, R. Li, "Variable selection via nonconcave penalized likelihood and its
       oracle properties", JASA 96(456), 2001.
    .. [2] P. Breheny, J. Huang, "Coordinate descent algorithms for nonconvex penalized
       regression, with applications to biological feature selection", Annals of
       Applied Statistics 5(1), 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.linear_model import SCADRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 20))
    >>> y = 3 * X[:, 4] + 0.01 * rng.standard_normal(100)
    >>> model = SCADRegressor(alpha=0.1).fit(X, y)
    >>> np.flatnonzero(model.coef_), round(float(model.coef_[4]), 2)
    (array([4]), 3.0)
    """

    _penalty_cls = SCAD
    _parameter_constraints: dict = {
        **_BaseElasticNet._common_constraints,
        "gamma": [Interval(Real, 2, None, closed="neither")],
        "path_steps": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, alpha=1.0, *, gamma=3.7, fit_intercept=True, max_iter=1000,
                 tol=1e-4, warm_start=False, path_steps=5, positive=False,
                 selection="cyclic", random_state=None, n_threads=None):
        super().__init__(alpha, gamma=gamma, fit_intercept=fit_intercept,
                         max_iter=max_iter, tol=tol, warm_start=warm_start,
                         path_steps=path_steps, positive=positive, selection=selection,
                         random_state=random_state, n_threads=n_threads)


class CEL0Regressor(_BaseFolded):
    __doc__ = r"""Linear regression with the continuous exact :math:`\ell_0` penalty (CEL0),
    by greedy block coordinate descent.

    Minimizes

    .. math::

        \frac{1}{2 S} \sum_i s_i (y_i - x_i^\top w - b)^2 + \sum_j \phi_j(w_j),
        \qquad \phi_j(x) = \begin{cases}
        \alpha - \frac{a_j^2}{2} \big(|x| - \sqrt{2\alpha} / a_j\big)^2
        & |x| \le \sqrt{2\alpha} / a_j \\ \alpha & \text{beyond} \end{cases}

    with :math:`a_j^2` the squared norm of column j over :math:`S` (of the centered
    column when the intercept is fitted): the CEL0 relaxation of the :math:`\ell_0`
    problem :math:`\frac{1}{2S}\sum_i s_i (y_i - x_i^\top w - b)^2 + \alpha\|w\|_0`.
    Both problems have the same global minimizers, and every local minimizer of this
    one is a local minimizer of the :math:`\ell_0` problem; unlike it, this objective is
    continuous. The solver stops at a stationary point, as :class:`MCPRegressor`.
    """ + _DOC_SHARED.format(head="""    alpha : float, default=1.0
        The cost of a nonzero coefficient, :math:`\\alpha` above (>= 0).""", path="") + r"""
    See Also
    --------
    MCPRegressor : CEL0 is MCP with per-feature parameters set by the design.
    sparseopt.bcd.CEL0 : The penalty, for other datafits.
    sparseopt.bcd.L0 : The :math:`\ell_0` penalty itself (hard thresholding).

    References
    ----------
    .. [1] E. Soubies, L. Blanc-Feraud, G. Aubert, "A continuous exact l0 penalty
       (CEL0) for least squares regularized problem", SIAM Journal on Imaging Sciences
       8(3), 2015.
    .. [2] E. Soubies, "Beyond l1 sparse coding in V1", PLoS Computational Biology, 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.linear_model import CEL0Regressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 20))
    >>> y = 3 * X[:, 4] + 0.01 * rng.standard_normal(100)
    >>> model = CEL0Regressor(alpha=0.1).fit(X, y)
    >>> np.flatnonzero(model.coef_), round(float(model.coef_[4]), 2)
    (array([4]), 3.0)
    """

    _parameter_constraints: dict = dict(_BaseElasticNet._common_constraints)
    _solver = _BaseElasticNet._solver  # no continuation: alpha is a cost, not a slope

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

    def _make_penalty(self, X=None, sample_weight=None):
        curv = None  # the solver's coordinate curvatures ||x_j||_s^2 / S
        if self.fit_intercept and X is not None:
            curv = _centered_curvatures(X, sample_weight)
        return CEL0(float(self.alpha), positive=self.positive, curvatures=curv)


def _centered_curvatures(X, sample_weight):
    """||x_j - xbar_j||_s^2 / S, xbar_j the weighted mean (without densifying X)."""
    n = X.shape[0]
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, np.float64)
    S = s.sum()
    if sp.issparse(X):
        X = sp.csc_array(X, dtype=np.float64)
        mean = (X.T @ s) / S
        sq = (X.multiply(X)).T @ s / S
    else:
        X = np.asarray(X, dtype=np.float64)
        mean = X.T @ s / S
        sq = (X * X).T @ s / S
    return np.maximum(np.asarray(sq).ravel() - np.asarray(mean).ravel() ** 2, 0.0)
