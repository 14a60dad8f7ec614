"""Datafits of the BCD engine: light, cloneable specifications.

Each spec builds its compiled counterpart (a ``cdef class`` in ``_datafits.pyx``) when a
solver is given data; the compiled object keeps ``df/dz`` current under coordinate
updates, so a coordinate gradient is one column dot product.
"""

from __future__ import annotations

import numpy as np

from . import _datafits

__all__ = ["Datafit", "Huber", "Logistic", "Quadratic"]


class Datafit:
    """Base class of datafit specifications: ``f(z) = (1/S) sum_i s_i F(y_i, z_i)``."""

    _compiled: type

    def _make(self, design, y: np.ndarray, sample_weight: np.ndarray | None):
        return self._compiled(design, y, sample_weight)

    def _check_y(self, y: np.ndarray) -> np.ndarray:
        return y

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
