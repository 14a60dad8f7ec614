"""Sparse matrix kernels: products of scipy sparse matrices with dense blocks and with
sparse matrices."""

from ._matmul import csr_matmat_dense
from ._spgemm_front import spgemm

__all__ = ["csr_matmat_dense", "spgemm"]
