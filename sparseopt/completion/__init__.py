"""Matrix factorization and completion: low-rank completion by alternating minimization,
SoftImpute, semi-nonnegative matrix factorization."""

from ._altmin import MatrixCompletion
from ._seminmf import SemiNMF
from ._softimpute import SoftImputeImputer, soft_impute

__all__ = ["MatrixCompletion", "SemiNMF", "SoftImputeImputer", "soft_impute"]
