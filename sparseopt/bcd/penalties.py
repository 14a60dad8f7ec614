"""Penalties of the BCD engine: light, cloneable specifications.

The elastic-net family (L1, L2, ElasticNet) and box constraints (Box) share one compiled
implementation with optional per-feature weights (weight 0 leaves a feature
unpenalized), an optional positivity constraint and optional bounds.
"""

from __future__ import annotations

from numbers import Real

import numpy as np

from ..utils.validation import check_array, check_scalar
from ._penalties import CEL0Penalty, L0Penalty, MCPenalty, SCADPenalty, WeightedElasticNet

__all__ = ["CEL0", "L0", "L1", "L2", "MCP", "SCAD", "Box", "ElasticNet", "Penalty"]


class Penalty:
    """Base class of penalty specifications."""

    def _make(self, n_features: int):
        raise NotImplementedError

    def alpha_max(self, grad0: np.ndarray) -> float:
        """Smallest ``alpha`` for which ``w = 0`` is optimal, given ``grad f(0)``."""
        raise NotImplementedError


def _per_weight(g, weights):
    """g_j / omega_j where omega_j > 0, 0 for unpenalized features (alpha_max)."""
    if weights is None:
        return g
    pen = weights > 0
    return np.where(pen, g / np.where(pen, weights, 1.0), 0.0)


def _check_bounds(bounds):
    if bounds is None:
        return None
    try:
        lower, upper = bounds
    except (TypeError, ValueError):
        raise ValueError("bounds must be a pair (lower, upper) of scalars or arrays") from None
    out = []
    for name, v in (("lower", lower), ("upper", upper)):
        v = np.asarray(v, dtype=np.float64)
        if v.ndim > 1:
            raise ValueError(f"bounds: {name} must be a scalar or a 1-D array")
        if np.any(np.isnan(v)):
            raise ValueError(f"bounds: {name} contains NaN")
        out.append(v)
    if np.any(out[0] > 0) or np.any(out[1] < 0):
        raise ValueError("bounds must contain 0 (lower <= 0 <= upper), so that w = 0 is "
                         "feasible")
    return tuple(out)


class ElasticNet(Penalty):
    r"""Weighted elastic net, :math:`\alpha \sum_j \omega_j (\rho |w_j| + \frac{1-\rho}{2} w_j^2)`.

    Parameters
    ----------
    alpha : float, default=1.0
        Overall strength (>= 0).
    l1_ratio : float, default=0.5
        :math:`\rho \in [0, 1]`: 1 is the Lasso penalty, 0 ridge.
    weights : array-like of shape (n_features,), optional
        Non-negative per-feature weights :math:`\omega_j` (default 1); 0 leaves a feature
        unpenalized.
    positive : bool, default=False
        Constrain the coefficients to be non-negative (the same as ``bounds=(0, inf)``).
    bounds : (lower, upper), optional
        Box constraints :math:`l_j \le w_j \le u_j`, each a scalar or an array of
        length n_features, with :math:`l_j \le 0 \le u_j` (infinite values allowed).
        Combined with ``positive``, the lower bounds are raised to 0.
    """

    def __init__(self, alpha: float = 1.0, l1_ratio: float = 0.5, weights=None,
                 positive: bool = False, bounds=None):
        self.alpha = check_scalar(alpha, "alpha", Real, min_val=0)
        self.l1_ratio = check_scalar(l1_ratio, "l1_ratio", Real, min_val=0, max_val=1)
        if weights is not None:
            weights = check_array(weights, "weights", ndim=1, dtype=np.float64)
            if np.any(weights < 0):
                raise ValueError("weights must be non-negative")
        self.weights = weights
        self.positive = bool(positive)
        self.bounds = _check_bounds(bounds)

    def _bounds_arrays(self, n_features):
        """(lower, upper) as float64 arrays of length n_features, or (None, None)."""
        if self.bounds is None and not self.positive:
            return None, None
        lower, upper = self.bounds if self.bounds is not None else (-np.inf, np.inf)
        out = []
        for name, v in (("lower", lower), ("upper", upper)):
            v = np.asarray(v, dtype=np.float64)
            if v.ndim == 1 and v.shape[0] != n_features:
                raise ValueError(f"bounds: {name} must have length {n_features} "
                                 f"(n_features), got {v.shape[0]}")
            out.append(np.ascontiguousarray(np.broadcast_to(v, (n_features,)),
                                            dtype=np.float64))
        if self.positive:
            out[0] = np.maximum(out[0], 0.0)
        return out[0], out[1]

    def _zero_interval(self, n_features):
        """``(left, right)``: the subdifferential of g_j at 0, normal cone included (the
        range of x_j^T theta* for which w_j* = 0; used by gap-safe screening)."""
        a = self.alpha * self.l1_ratio * (np.ones(n_features) if self.weights is None
                                          else self.weights)
        left, right = -a, a.copy()
        lower, upper = self._bounds_arrays(n_features)
        if lower is not None:
            left = np.where(lower >= 0, -np.inf, left)
            right = np.where(upper <= 0, np.inf, right)
        return left, right

    def _make(self, n_features):
        w = self.weights
        if w is not None and w.shape[0] != n_features:
            raise ValueError(f"weights must have length {n_features} (n_features), "
                             f"got {w.shape[0]}")
        lower, upper = self._bounds_arrays(n_features)
        return WeightedElasticNet(float(self.alpha), float(self.l1_ratio),
                                  None if w is None else np.ascontiguousarray(w),
                                  lower, upper)

    def alpha_max(self, grad0):
        grad0 = np.asarray(grad0, dtype=np.float64)
        lower, upper = self._bounds_arrays(grad0.shape[0])
        if lower is None:
            g = np.abs(grad0)
        else:  # w = 0 is optimal when -grad0 is in the subdifferential plus normal cone
            g = np.maximum(np.where(upper > 0, -grad0, 0.0), np.where(lower < 0, grad0, 0.0))
        g = _per_weight(np.maximum(g, 0.0), self.weights)
        rho = max(self.l1_ratio, 1e-3)  # as scikit-learn: ridge has no finite alpha_max
        return float(g.max(initial=0.0) / rho)

    def __repr__(self):
        extra = "" if self.bounds is None else f", bounds={self.bounds}"
        return (f"{type(self).__name__}(alpha={self.alpha}, l1_ratio={self.l1_ratio}, "
                f"positive={self.positive}{extra})")


class L1(ElasticNet):
    r"""Weighted L1 (Lasso) penalty, :math:`\alpha \sum_j \omega_j |w_j|`."""

    def __init__(self, alpha: float = 1.0, weights=None, positive: bool = False,
                 bounds=None):
        super().__init__(alpha, 1.0, weights, positive, bounds)


class L2(ElasticNet):
    r"""Weighted ridge penalty, :math:`\frac{\alpha}{2} \sum_j \omega_j w_j^2`."""

    def __init__(self, alpha: float = 1.0, weights=None, positive: bool = False,
                 bounds=None):
        super().__init__(alpha, 0.0, weights, positive, bounds)


class Box(ElasticNet):
    r"""Box constraints alone, :math:`l_j \le w_j \le u_j`: bounded least squares
    (scipy's ``lsq_linear``), bounded logistic regression, and so on.

    Parameters
    ----------
    lower, upper : float or array-like of shape (n_features,)
        The bounds, with :math:`l_j \le 0 \le u_j`; infinite values are allowed.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.bcd import Box, GreedyBCD, Quadratic
    >>> X, y = np.eye(3), np.array([2.0, -3.0, 0.5])
    >>> res = GreedyBCD(Quadratic(), Box(-1.0, 1.0), tol=1e-12).solve(X, y)
    >>> res.coef
    array([ 1. , -1. ,  0.5])
    """

    def __init__(self, lower=-np.inf, upper=np.inf):
        super().__init__(0.0, 1.0, bounds=(lower, upper))
        self.lower, self.upper = self.bounds

    def __repr__(self):
        return f"Box(lower={self.lower}, upper={self.upper})"


class _FoldedConcave(Penalty):
    _compiled: type
    _min_gamma: float

    def __init__(self, alpha: float = 1.0, gamma: float = 3.0, weights=None,
                 positive: bool = False):
        self.alpha = check_scalar(alpha, "alpha", Real, min_val=0)
        self.gamma = check_scalar(gamma, "gamma", Real, min_val=self._min_gamma,
                                  include_boundaries="neither")
        if weights is not None:
            weights = check_array(weights, "weights", ndim=1, dtype=np.float64)
            if np.any(weights < 0):
                raise ValueError("weights must be non-negative")
        self.weights = weights
        self.positive = bool(positive)
        self.convex = False

    def _make(self, n_features):
        w = self.weights
        if w is not None and w.shape[0] != n_features:
            raise ValueError(f"weights must have length {n_features} (n_features), "
                             f"got {w.shape[0]}")
        return self._compiled(float(self.alpha), float(self.gamma),
                              None if w is None else np.ascontiguousarray(w), self.positive)

    def alpha_max(self, grad0):
        """Smallest alpha for which w = 0 is a stationary point (p'(0+) = alpha)."""
        grad0 = np.asarray(grad0, dtype=np.float64)
        g = np.maximum(-grad0, 0.0) if self.positive else np.abs(grad0)
        return float(_per_weight(g, self.weights).max(initial=0.0))

    def __repr__(self):
        return (f"{type(self).__name__}(alpha={self.alpha}, gamma={self.gamma}, "
                f"positive={self.positive})")


class MCP(_FoldedConcave):
    r"""Minimax concave penalty (Zhang, 2010), nonconvex:
    :math:`\sum_j p_{\alpha\omega_j}(|w_j|)` with :math:`p_a(x) = a x - x^2/(2\gamma)` for
    :math:`x \le \gamma a` and :math:`\gamma a^2/2` beyond: a weight scales the level
    :math:`\alpha` of its feature (slope :math:`\alpha\omega_j` at 0, flat beyond
    :math:`\gamma\alpha\omega_j`), not the penalty's value.

    Large coefficients are not shrunk (the bias of the Lasso disappears); as
    :math:`\gamma \to \infty` it tends to the L1 penalty.

    Parameters
    ----------
    alpha : float, default=1.0
        Strength (>= 0): the slope at 0, as the Lasso's alpha.
    gamma : float, default=3.0
        Concavity (> 1): the penalty is flat beyond :math:`\gamma\alpha`.
    weights : array-like of shape (n_features,), optional
        Non-negative per-feature weights :math:`\omega_j`.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.

    References
    ----------
    .. [1] C.-H. Zhang, "Nearly unbiased variable selection under minimax concave
       penalty", Annals of Statistics 38(2), 2010.
    """

    _compiled = MCPenalty
    _min_gamma = 1.0


class SCAD(_FoldedConcave):
    r"""Smoothly clipped absolute deviation penalty (Fan & Li, 2001), nonconvex:
    :math:`p(x) = \alpha x` for :math:`x \le \alpha`,
    :math:`(2\gamma\alpha x - x^2 - \alpha^2) / (2(\gamma - 1))` up to
    :math:`\gamma\alpha`, and :math:`\alpha^2(\gamma + 1)/2` beyond.

    Parameters
    ----------
    alpha : float, default=1.0
        Strength (>= 0): the slope at 0.
    gamma : float, default=3.7
        Concavity (> 2; 3.7 is Fan and Li's choice).
    weights : array-like of shape (n_features,), optional
        Non-negative per-feature weights :math:`\omega_j`: feature j is penalized with
        :math:`\alpha` replaced by :math:`\alpha\omega_j`, as for :class:`MCP`.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.

    References
    ----------
    .. [1] J. Fan, R. Li, "Variable selection via nonconcave penalized likelihood and its
       oracle properties", JASA 96(456), 2001.
    """

    _compiled = SCADPenalty
    _min_gamma = 2.0

    def __init__(self, alpha: float = 1.0, gamma: float = 3.7, weights=None,
                 positive: bool = False):
        super().__init__(alpha, gamma, weights, positive)


class L0(Penalty):
    r"""The L0 penalty, :math:`\alpha \sum_j \omega_j [w_j \neq 0]`: a cost per nonzero
    coefficient (nonconvex, discontinuous).

    Coordinate steps are hard thresholdings (a coordinate is kept when keeping it lowers
    the objective by more than :math:`\alpha\omega_j`). The solver stops at a point
    where the smooth part is stationary on the support and no single coordinate step
    changes the support; such points depend on the start (warm starts from a Lasso or
    MCP solution are a common choice).

    Parameters
    ----------
    alpha : float, default=1.0
        Cost of a nonzero coefficient (>= 0).
    weights : array-like of shape (n_features,), optional
        Non-negative per-feature weights :math:`\omega_j`.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    """

    def __init__(self, alpha: float = 1.0, weights=None, positive: bool = False):
        self.alpha = check_scalar(alpha, "alpha", Real, min_val=0)
        if weights is not None:
            weights = check_array(weights, "weights", ndim=1, dtype=np.float64)
            if np.any(weights < 0):
                raise ValueError("weights must be non-negative")
        self.weights = weights
        self.positive = bool(positive)
        self.convex = False

    def _make(self, n_features):
        w = self.weights
        if w is not None and w.shape[0] != n_features:
            raise ValueError(f"weights must have length {n_features} (n_features), "
                             f"got {w.shape[0]}")
        return L0Penalty(float(self.alpha), None if w is None else np.ascontiguousarray(w),
                         self.positive)

    def __repr__(self):
        return f"L0(alpha={self.alpha}, positive={self.positive})"


class CEL0(Penalty):
    r"""The continuous exact :math:`\ell_0` penalty (CEL0), nonconvex and continuous:
    :math:`\sum_j \phi_j(w_j)` with

    .. math::

        \phi_j(x) = \lambda_j - \frac{a_j^2}{2}
        \Big(|x| - \frac{\sqrt{2\lambda_j}}{a_j}\Big)^2
        \ \text{ for } |x| \le \frac{\sqrt{2\lambda_j}}{a_j},
        \qquad \phi_j(x) = \lambda_j \text{ beyond},

    :math:`\lambda_j = \alpha\omega_j`. With :math:`a_j^2` the curvature of a
    least-squares datafit along coordinate j (:math:`\|x_j\|^2 / n` for
    :math:`\frac{1}{2n}\|y - Xw\|^2`), the CEL0-penalized problem has the same global
    minimizers as the :math:`\ell_0`-penalized one,
    :math:`\frac{1}{2n}\|y - Xw\|^2 + \alpha \|w\|_0`, and its local minimizers are
    local minimizers of the latter; unlike :math:`\ell_0` it is continuous, so
    coordinate descent can move in and out of the support smoothly.

    Per coordinate it is MCP with slope :math:`\sqrt{2\lambda_j}\, a_j` at 0 and
    concavity :math:`\gamma_j = 1 / a_j^2`: the proximal operator is exact for any step.

    Parameters
    ----------
    alpha : float, default=1.0
        :math:`\lambda`, the cost of a nonzero coefficient (>= 0), as in
        :class:`L0`.
    weights : array-like of shape (n_features,), optional
        Non-negative per-feature weights :math:`\omega_j`.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    curvatures : array-like of shape (n_features,), optional
        The :math:`a_j^2` (non-negative). By default the solver sets them to the
        datafit's coordinate Lipschitz constants, :math:`\|x_j\|_s^2 / S` for
        :class:`Quadratic` (sample weights :math:`s_i` summing to :math:`S`): the exact
        relaxation of :math:`\ell_0` least squares without intercept.
        :class:`~sparseopt.linear_model.CEL0Regressor` passes those of the centered
        columns when it fits an intercept (the intercept eliminated, the design is
        centered). With another datafit the default makes CEL0 the exact relaxation of
        that datafit's quadratic upper bound, not of the datafit itself.

    References
    ----------
    .. [1] E. Soubies, L. Blanc-Feraud, G. Aubert, "A continuous exact l0 penalty
       (CEL0) for least squares regularized problem", SIAM Journal on Imaging Sciences
       8(3), 2015.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.bcd import CEL0, GreedyBCD, Quadratic
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 10))
    >>> y = 2 * X[:, 3] + 0.01 * rng.standard_normal(50)
    >>> res = GreedyBCD(Quadratic(), CEL0(alpha=0.1), tol=1e-10).solve(X, y)
    >>> np.flatnonzero(res.coef)
    array([3])
    """

    def __init__(self, alpha: float = 1.0, weights=None, positive: bool = False,
                 curvatures=None):
        self.alpha = check_scalar(alpha, "alpha", Real, min_val=0)
        if weights is not None:
            weights = check_array(weights, "weights", ndim=1, dtype=np.float64)
            if np.any(weights < 0):
                raise ValueError("weights must be non-negative")
        if curvatures is not None:
            curvatures = check_array(curvatures, "curvatures", ndim=1, dtype=np.float64)
            if np.any(curvatures < 0) or not np.all(np.isfinite(curvatures)):
                raise ValueError("curvatures must be finite and non-negative")
        self.weights = weights
        self.curvatures = curvatures
        self.positive = bool(positive)
        self.convex = False

    def _make(self, n_features):
        for name in ("weights", "curvatures"):
            v = getattr(self, name)
            if v is not None and v.shape[0] != n_features:
                raise ValueError(f"{name} must have length {n_features} (n_features), "
                                 f"got {v.shape[0]}")
        w, c = self.weights, self.curvatures
        return CEL0Penalty(float(self.alpha), None if w is None else np.ascontiguousarray(w),
                           self.positive, None if c is None else np.ascontiguousarray(c))

    def alpha_max(self, grad0, curvatures=None):
        r"""Smallest alpha for which w = 0 is a stationary point:
        :math:`\max_j g_j^2 / (2 a_j^2 \omega_j)`, given ``grad f(0)`` and the
        curvatures (those given at construction by default)."""
        c = self.curvatures if curvatures is None else np.asarray(curvatures, float)
        if c is None:
            raise ValueError("alpha_max needs the curvatures: pass curvatures=")
        grad0 = np.asarray(grad0, dtype=np.float64)
        g = np.maximum(-grad0, 0.0) if self.positive else np.abs(grad0)
        ratio = np.where(c > 0, g * g / (2 * np.where(c > 0, c, 1.0)), 0.0)
        return float(_per_weight(ratio, self.weights).max(initial=0.0))

    def __repr__(self):
        return f"CEL0(alpha={self.alpha}, positive={self.positive})"
