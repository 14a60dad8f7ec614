"""Sparse linear models (scikit-learn estimators) on the BCD engine."""

from ._coordinate_descent import ElasticNet, Lasso

__all__ = ["ElasticNet", "Lasso"]
