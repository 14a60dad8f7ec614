"""asv benchmarks of sparseopt (layout after scikit-learn's asv_benchmarks)."""
