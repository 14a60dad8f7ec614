"""Matrix factorization and completion: semi-nonnegative matrix factorization."""

from ._seminmf import SemiNMF

__all__ = ["SemiNMF"]
