"""Matrix factorization and completion: low-rank completion by alternating minimization,
SoftImpute, semi-nonnegative matrix factorization."""

from ._altmin import MatrixCompletion, MatrixCompletionImputer
from ._seminmf import SemiNMF
from ._softimpute import SoftImputeImputer, soft_impute

__all__ = ["MatrixCompletion", "MatrixCompletionImputer", "SemiNMF", "SoftImputeImputer",
           "soft_impute"]
