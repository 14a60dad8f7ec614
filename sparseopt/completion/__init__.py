"""Matrix factorization and completion: semi-nonnegative matrix factorization, SoftImpute."""

from ._seminmf import SemiNMF
from ._softimpute import SoftImputeImputer, soft_impute

__all__ = ["SemiNMF", "SoftImputeImputer", "soft_impute"]
