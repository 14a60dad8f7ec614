"""Problem generators and small shipped data sets for examples, tests and benchmarks."""

from ._generators import make_random_csr

__all__ = ["make_random_csr"]
