"""MonarchApproximation: the Monarch projection of a weight matrix, as a transformer."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils._param_validation import Interval, _fit_context
from ._monarch import monarch_project

__all__ = ["MonarchApproximation"]


class MonarchApproximation(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Replace a dense linear layer by its closest Monarch matrix.

    ``fit(W)`` takes the weight matrix ``W`` of a layer ``x -> W @ x`` (one row per output
    unit, one column per input feature, the layout of ``MLPClassifier.coefs_[i].T`` and of
    ``torch.nn.Linear.weight``) and computes its optimal Monarch projection ``M``
    (:func:`monarch_project`). ``transform(X)`` then applies the compressed layer to
    samples: ``X @ M.T``, a stand-in for ``X @ W.T`` with fewer parameters and flops.

    Parameters
    ----------
    nblocks : int or tuple of int, default=4
        Blocks of the two factors: one count for both, or ``(input blocks, output
        blocks)``. Four is the choice of the Monarch paper's end-to-end runs.
    mid_dim : int, optional
        Intermediate dimension (see :func:`monarch_project`).
    pad : bool, default=False
        Accept block counts that do not divide ``W``'s shape (zero padding, still
        optimal).

    Attributes
    ----------
    monarch_ : MonarchMatrix
        The projection, of shape ``(n_outputs, n_features_in_)``.
    error_ : float
        Squared Frobenius error :math:`\\|W - M\\|_F^2`.
    relative_error_ : float
        :math:`\\|W - M\\|_F / \\|W\\|_F` (0 when ``W`` is 0).
    compression_ : float
        ``W.size / monarch_.n_params``: how many times fewer parameters are stored.
    n_features_in_ : int
        Number of columns of ``W`` (the layer's inputs).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the columns, when ``W`` has string column names.

    See Also
    --------
    monarch_project : The projection as a function.
    MonarchMatrix : The fitted operator's type.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.structured import MonarchApproximation
    >>> W = np.random.default_rng(0).standard_normal((32, 64))
    >>> approx = MonarchApproximation(nblocks=4).fit(W)
    >>> round(approx.compression_, 2)  # 2048 weights stored in 768 parameters
    2.67
    >>> X = np.ones((5, 64))
    >>> approx.transform(X).shape
    (5, 32)
    """

    _parameter_constraints: dict = {
        "nblocks": [Interval(Integral, 1, None, closed="left"), tuple, list],
        "mid_dim": [Interval(Integral, 1, None, closed="left"), None],
        "pad": ["boolean"],
    }

    def __init__(self, nblocks=4, *, mid_dim=None, pad=False):
        self.nblocks = nblocks
        self.mid_dim = mid_dim
        self.pad = pad

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Project the weight matrix onto Monarch matrices.

        Parameters
        ----------
        X : array-like of shape (n_outputs, n_features)
            The weight matrix ``W``.
        y : None
            Ignored.

        Returns
        -------
        self : MonarchApproximation
        """
        W = validate_data(self, X, dtype=[np.float64, np.float32])
        self.monarch_, self.error_ = monarch_project(
            W, tuple(self.nblocks) if isinstance(self.nblocks, list) else self.nblocks,
            mid_dim=self.mid_dim, pad=self.pad, return_error=True)
        norm2 = float(np.sum(W.astype(np.float64) ** 2))
        self.relative_error_ = float(np.sqrt(self.error_ / norm2)) if norm2 > 0 else 0.0
        self.compression_ = W.size / self.monarch_.n_params
        self._n_features_out = W.shape[0]
        return self

    def transform(self, X):
        """Apply the compressed layer: ``X @ monarch_.T``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs of the layer.

        Returns
        -------
        Y : ndarray of shape (n_samples, n_outputs)
            Outputs, in the dtype of the factors and ``X`` combined.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return np.ascontiguousarray(self.monarch_.matmat(X.T).T)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
