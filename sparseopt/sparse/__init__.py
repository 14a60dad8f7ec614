"""Sparse matrix kernels: products of scipy sparse matrices with dense blocks."""

from ._matmul import csr_matmat_dense

__all__ = ["csr_matmat_dense"]
