"""Sparse Bayesian learning: classical SBL (EM / MacKay, M-SBL) and Kronecker SBL."""

from ._kron import kron_matvec
from ._krosbl import KroneckerSBL
from ._omp import kronecker_omp
from ._sbl import SparseBayesianRegression

__all__ = ["KroneckerSBL", "SparseBayesianRegression", "kron_matvec", "kronecker_omp"]
