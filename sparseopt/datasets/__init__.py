"""Problem generators and small shipped data sets for examples, tests and benchmarks."""

from ._generators import (
    load_diabetes_polynomial,
    make_correlated_regression,
    make_random_csr,
    make_rmat,
    make_sparse_regression,
    make_sparse_text_classification,
)
from ._kronecker import make_irs_mimo_channel, make_kronecker_sparse
from ._linear_systems import (
    HeatEquationSequence,
    ShiftedLaplacianSequence,
    laplacian_2d,
    make_heat_equation,
    make_shifted_laplacian_sequence,
)

__all__ = [
    "HeatEquationSequence",
    "ShiftedLaplacianSequence",
    "laplacian_2d",
    "load_diabetes_polynomial",
    "make_correlated_regression",
    "make_heat_equation",
    "make_irs_mimo_channel",
    "make_kronecker_sparse",
    "make_random_csr",
    "make_rmat",
    "make_shifted_laplacian_sequence",
    "make_sparse_regression",
    "make_sparse_text_classification",
]
