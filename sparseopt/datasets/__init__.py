"""Problem generators and small shipped data sets for examples, tests and benchmarks."""

from ._generators import (
    load_diabetes_polynomial,
    make_correlated_regression,
    make_random_csr,
    make_sparse_regression,
)

__all__ = [
    "load_diabetes_polynomial",
    "make_correlated_regression",
    "make_random_csr",
    "make_sparse_regression",
]
