"""Datafits of the BCD engine: light, cloneable specifications.

Each spec builds its compiled counterpart (a ``cdef class`` in ``_datafits.pyx``) when a
solver is given data; the compiled object keeps ``df/dz`` current under coordinate
updates, so a coordinate gradient is one column dot product.
"""

from __future__ import annotations

import numpy as np

from . import _datafits

__all__ = ["Datafit", "Huber", "Logistic", "Multinomial", "Quadratic"]


class Datafit:
    """Base class of datafit specifications: ``f(z) = (1/S) sum_i s_i F(y_i, z_i)``."""

    _compiled: type

    def _make(self, design, y: np.ndarray, sample_weight: np.ndarray | None):
        return self._compiled(design, y, sample_weight)

    def _check_y(self, y: np.ndarray) -> np.ndarray:
        return y

    def _adapt(self, design, y, sample_weight):
        """``(design, y, sample_weight, n_outputs)`` as the compiled datafit wants them
        (a K-output datafit wraps the design; see :class:`Multinomial`)."""
        return design, y, sample_weight, 1

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Quadratic(Datafit):
    r"""Least squares, :math:`f(w, b) = \frac{1}{2S}\sum_i s_i (y_i - x_i^\top w - b)^2`.

    With unit weights :math:`S = n`, the scikit-learn Lasso normalisation.
    """

    def __init__(self):
        self._compiled = _datafits.Quadratic


class Logistic(Datafit):
    r"""Logistic loss, :math:`f(w, b) = \frac{1}{S}\sum_i s_i \log(1 + e^{-y_i (x_i^\top w + b)})`.

    Labels must be -1 or +1.
    """

    def __init__(self):
        self._compiled = _datafits.Logistic

    def _check_y(self, y):
        if y.size and not np.all(np.isin(y, (-1.0, 1.0))):
            raise ValueError("y must hold labels -1 and +1 for the Logistic datafit")
        return y


class Huber(Datafit):
    r"""Huber loss, :math:`f(w, b) = \frac{1}{S}\sum_i s_i H_\delta(y_i - x_i^\top w - b)`.

    :math:`H_\delta(r) = r^2/2` for :math:`|r| \le \delta` and
    :math:`\delta |r| - \delta^2/2` beyond: least squares that is robust to outliers.

    Parameters
    ----------
    delta : float, default=1.0
        Threshold between the quadratic and the linear part (> 0).
    """

    def __init__(self, delta: float = 1.0):
        from numbers import Real

        from ..utils.validation import check_scalar

        self.delta = check_scalar(delta, "delta", Real, min_val=0,
                                  include_boundaries="neither")
        self._compiled = _datafits.Huber

    def _make(self, design, y, sample_weight):
        return self._compiled(design, y, sample_weight, float(self.delta))

    def __repr__(self):
        return f"Huber(delta={self.delta})"


class Multinomial(Datafit):
    r"""Multinomial logistic loss (softmax cross-entropy) for K classes,
    :math:`f(W) = \frac{1}{S}\sum_i s_i \big(\log \sum_k e^{x_i^\top w_k} - x_i^\top w_{y_i}\big)`.

    The coefficients form a matrix :math:`W` of shape (n_features, K), one column per
    class in the order of ``np.unique(y)``; the solver treats its entries as
    coordinates, feature-major (the K coefficients of a feature are consecutive), and
    returns ``coef`` of shape (n_features, K). The coordinate bounds use Böhning's
    bound on the softmax Hessian, :math:`\frac12 \|x_j\|_s^2 / S`. The intercepts are
    not fitted by the solver: add a column of ones with penalty weight 0 for them.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.bcd import L1, GreedyBCD, Multinomial
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 5))
    >>> y = np.argmax(X[:, :3], axis=1)
    >>> res = GreedyBCD(Multinomial(), L1(0.01), tol=1e-8).solve(X, y)
    >>> res.coef.shape, bool(res.converged)
    ((5, 3), True)
    """

    def __init__(self):
        self._compiled = _datafits.Multinomial

    def _adapt(self, design, y, sample_weight):
        from ._design import KronDesign

        classes, codes = np.unique(y, return_inverse=True)
        K, n = len(classes), y.shape[0]
        if K < 2:
            raise ValueError(f"y must hold at least 2 classes for Multinomial, got {K}")
        onehot = np.zeros((K, n))
        onehot[codes, np.arange(n)] = 1.0
        sw = None if sample_weight is None else np.ascontiguousarray(np.tile(sample_weight, K))
        return KronDesign(design, K), onehot.ravel(), sw, K
