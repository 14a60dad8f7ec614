"""Sparse linear models (scikit-learn estimators) on the BCD engine."""

from ._coordinate_descent import ElasticNet, Lasso
from ._group import GroupLasso, group_lasso_path
from ._logistic import SparseLogisticRegression
from ._nonconvex import CEL0Regressor, MCPRegressor, SCADRegressor
from ._path import ElasticNetCV, LassoCV, enet_path, lasso_path

__all__ = ["CEL0Regressor", "ElasticNet", "ElasticNetCV", "GroupLasso", "Lasso", "LassoCV",
           "MCPRegressor", "SCADRegressor", "SparseLogisticRegression", "enet_path",
           "group_lasso_path", "lasso_path"]
