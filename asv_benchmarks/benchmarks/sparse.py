"""CSR x dense products: sparseopt against scipy (single-threaded)."""

import numpy as np

from .common import Benchmark, is_fast


class CsrMatmatDense(Benchmark):
    """``A @ X`` for A with 10 nonzeros per row (200k x 200k; 50k x 50k in fast mode)."""

    param_names = ["library", "n_threads", "n_cols"]
    params = (["sparseopt", "scipy"], [1, 2], [1, 32])

    def setup(self, library, n_threads, n_cols):
        from sparseopt.datasets import make_random_csr
        from sparseopt.sparse import csr_matmat_dense

        if library == "scipy" and n_threads != 1:
            raise NotImplementedError("scipy's product is single-threaded")
        n = 50_000 if is_fast() else 200_000
        self.A = make_random_csr(n, n, 10, random_state=0)
        self.X = np.random.default_rng(0).standard_normal((n, n_cols))
        if library == "sparseopt":
            self.run = lambda: csr_matmat_dense(self.A, self.X, n_threads=n_threads)
        else:
            # no threadpool_limits context: scipy's sparse x dense loop never calls BLAS,
            # and the context's own cost would be timed as scipy's
            self.run = lambda: self.A @ self.X

    def time_matmat(self, library, n_threads, n_cols):
        self.run()

    def peakmem_matmat(self, library, n_threads, n_cols):
        self.run()

    def track_max_rel_error_vs_scipy(self, library, n_threads, n_cols):
        ref = self.A @ self.X
        return float(np.max(np.abs(self.run() - ref)) / np.max(np.abs(ref)))


class Spgemm(Benchmark):
    """``A @ A`` for the 2-D Poisson matrix (1000^2; 300^2 in fast mode) and a uniform
    random matrix with 10 nonzeros per row (100k^2; 20k^2 in fast mode); ours by default
    (one pass on one thread, two on several) and forced to two passes."""

    param_names = ["library", "n_threads", "matrix"]
    params = (["sparseopt", "sparseopt-two-pass", "scipy"], [1, 2], ["poisson2d", "random"])

    def setup(self, library, n_threads, matrix):
        from sparseopt.datasets import laplacian_2d, make_random_csr

        if library == "scipy" and n_threads != 1:
            raise NotImplementedError("scipy's product is single-threaded")
        if matrix == "poisson2d":
            self.A = laplacian_2d(300 if is_fast() else 1000)
        else:
            n = 20_000 if is_fast() else 100_000
            self.A = make_random_csr(n, n, 10, random_state=0)
        if library.startswith("sparseopt"):
            from sparseopt.sparse import spgemm

            alg = "two-pass" if library.endswith("two-pass") else "auto"
            self.run = lambda: spgemm(self.A, self.A, threads=n_threads, algorithm=alg)
        else:
            self.run = lambda: self.A @ self.A

    def time_spgemm(self, library, n_threads, matrix):
        self.run()

    def peakmem_spgemm(self, library, n_threads, matrix):
        self.run()
