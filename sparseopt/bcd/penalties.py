"""Penalties of the BCD engine: light, cloneable specifications.

The elastic-net family (L1, L2, ElasticNet) shares one compiled implementation with
optional per-feature weights (weight 0 leaves a feature unpenalized) and an optional
positivity constraint.
"""

from __future__ import annotations

from numbers import Real

import numpy as np

from ..utils.validation import check_array, check_scalar
from ._penalties import WeightedElasticNet

__all__ = ["L1", "L2", "ElasticNet", "Penalty"]


class Penalty:
    """Base class of penalty specifications."""

    def _make(self, n_features: int):
        raise NotImplementedError

    def alpha_max(self, grad0: np.ndarray) -> float:
        """Smallest ``alpha`` for which ``w = 0`` is optimal, given ``grad f(0)``."""
        raise NotImplementedError


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
        Constrain the coefficients to be non-negative.
    """

    def __init__(self, alpha: float = 1.0, l1_ratio: float = 0.5, weights=None,
                 positive: bool = False):
        self.alpha = check_scalar(alpha, "alpha", Real, min_val=0)
        self.l1_ratio = check_scalar(l1_ratio, "l1_ratio", Real, min_val=0, max_val=1)
        if weights is not None:
            weights = check_array(weights, "weights", ndim=1, dtype=np.float64)
            if np.any(weights < 0):
                raise ValueError("weights must be non-negative")
        self.weights = weights
        self.positive = bool(positive)

    def _make(self, n_features):
        w = self.weights
        if w is not None and w.shape[0] != n_features:
            raise ValueError(f"weights must have length {n_features} (n_features), "
                             f"got {w.shape[0]}")
        return WeightedElasticNet(float(self.alpha), float(self.l1_ratio),
                                  None if w is None else np.ascontiguousarray(w),
                                  self.positive)

    def alpha_max(self, grad0):
        g = -np.asarray(grad0) if self.positive else np.abs(grad0)
        g = np.maximum(g, 0.0)
        if self.weights is not None:
            pen = self.weights > 0
            g = np.where(pen, g / np.where(pen, self.weights, 1.0), 0.0)
        rho = max(self.l1_ratio, 1e-3)  # as scikit-learn: ridge has no finite alpha_max
        return float(g.max(initial=0.0) / rho)

    def __repr__(self):
        return (f"{type(self).__name__}(alpha={self.alpha}, l1_ratio={self.l1_ratio}, "
                f"positive={self.positive})")


class L1(ElasticNet):
    r"""Weighted L1 (Lasso) penalty, :math:`\alpha \sum_j \omega_j |w_j|`."""

    def __init__(self, alpha: float = 1.0, weights=None, positive: bool = False):
        super().__init__(alpha, 1.0, weights, positive)


class L2(ElasticNet):
    r"""Weighted ridge penalty, :math:`\frac{\alpha}{2} \sum_j \omega_j w_j^2`."""

    def __init__(self, alpha: float = 1.0, weights=None, positive: bool = False):
        super().__init__(alpha, 0.0, weights, positive)
