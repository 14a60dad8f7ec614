"""Structured matrices: Monarch matrices, their fast product and optimal projection."""

from ._approximation import MonarchApproximation
from ._monarch import MonarchMatrix, monarch_project

__all__ = ["MonarchApproximation", "MonarchMatrix", "monarch_project"]
