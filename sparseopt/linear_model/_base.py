"""What the linear estimators share: prediction-time input checks, regressors' predict."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data


def _check_predict_input(estimator, X):
    """``X`` validated for prediction, after checking that ``estimator`` is fitted."""
    check_is_fitted(estimator)
    return validate_data(estimator, X, accept_sparse=["csr", "csc", "coo"], reset=False,
                         dtype=[np.float64, np.float32])


class LinearRegressorMixin:
    """``predict`` and the sparse-input tag of the linear regressors."""

    def predict(self, X):
        """Predict with the linear model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predictions, ``X @ coef_ + intercept_``.
        """
        X = _check_predict_input(self, X)
        return np.asarray(X @ self.coef_).ravel() + self.intercept_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
