"""Matrix factorization and completion: low-rank completion by alternating minimization,
semi-nonnegative matrix factorization."""

from ._altmin import MatrixCompletion
from ._seminmf import SemiNMF

__all__ = ["MatrixCompletion", "SemiNMF"]
