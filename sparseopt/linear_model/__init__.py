"""Sparse linear models (scikit-learn estimators) on the BCD engine."""

from ._coordinate_descent import ElasticNet, Lasso
from ._logistic import SparseLogisticRegression
from ._path import ElasticNetCV, LassoCV, enet_path, lasso_path

__all__ = ["ElasticNet", "ElasticNetCV", "Lasso", "LassoCV", "SparseLogisticRegression",
           "enet_path", "lasso_path"]
