"""Matrix completion and factorization: MatrixCompletion's per-row solves against
implicit's ALS, whole completions, SoftImpute and SemiNMF."""

import warnings

import numpy as np

from .common import Benchmark, is_fast, require


def _problem(n, k, seed=0):
    """A Gaussian rank-k n x n matrix observed on 3 n k log n uniform entries (CSR)."""
    from sparseopt.completion._cli import completion_problem

    return completion_problem(n, k, seed=seed)


class ALSIterations(Benchmark):
    """Ten alternating least-squares iterations at m = n = 2000, rank 10 (500, rank 5 in
    fast mode), one thread: MatrixCompletion's Cholesky and CG solves against implicit's
    (which fits the implicit-feedback objective on the same pattern: the same work per
    iteration, a different problem)."""

    param_names = ["library", "solver"]
    params = (["sparseopt", "implicit"], ["cholesky", "cg"])
    timeout = 300

    def setup(self, library, solver):
        import scipy.sparse as sp

        n, k = (500, 5) if is_fast() else (2000, 10)
        X = _problem(n, k, seed=1)[2]
        if library == "sparseopt":
            from sparseopt.completion import MatrixCompletion

            model = MatrixCompletion(k, solver=solver, tol=0.0, max_iter=10, init="random",
                                     random_state=0, n_threads=1)
            data = X
        else:
            als = require("implicit.cpu.als")
            model = als.AlternatingLeastSquares(factors=k, iterations=10,
                                                use_cg=solver == "cg", num_threads=1,
                                                dtype=np.float64, random_state=0)
            data = sp.csr_matrix(X, copy=True)
            data.data = 1.0 + np.abs(data.data)

        def run():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if library == "sparseopt":
                    model.fit(data)
                else:
                    model.fit(data, show_progress=False)

        self.run = run

    def time_ten_iterations(self, library, solver):
        self.run()


class CompletionFit(Benchmark):
    """A whole MatrixCompletion fit to its default tolerance (relative residual 1e-10) on
    2000 x 2000 rank 10 (500, rank 5 in fast mode), one thread, with its peak memory."""

    param_names = ["solver"]
    params = (["cholesky", "cg"],)
    timeout = 300

    def setup(self, solver):
        from sparseopt.completion import MatrixCompletion

        n, k = (500, 5) if is_fast() else (2000, 10)
        X = _problem(n, k)[2]
        self.run = lambda: MatrixCompletion(k, solver=solver, random_state=0,
                                            n_threads=1).fit(X)

    def time_fit(self, solver):
        self.run()

    def peakmem_fit(self, solver):
        self.run()


class SoftImpute(Benchmark):
    """``soft_impute`` on a 2000 x 2000 rank-10 matrix, 10 % observed with noise 0.1
    (500 x 500 in fast mode), never forming the dense matrix."""

    timeout = 300

    def setup(self):
        import scipy.sparse as sp

        from sparseopt.completion import soft_impute

        n = 500 if is_fast() else 2000
        rng = np.random.default_rng(0)
        U, V = rng.standard_normal((n, 10)), rng.standard_normal((n, 10))
        X = sp.random_array((n, n), density=0.1, random_state=0, format="coo")
        X.data = np.einsum("ij,ij->i", U[X.row], V[X.col]) + 0.1 * rng.standard_normal(X.nnz)
        X = X.tocsr()
        lam = 2.2 * np.sqrt(n * 10 * 0.1)  # above the zero-filled noise bulk
        self.run = lambda: soft_impute(X, shrinkage=lam, tol=1e-5, random_state=0)

    def time_soft_impute(self):
        self.run()

    def peakmem_soft_impute(self):
        self.run()


class SemiNMFFit(Benchmark):
    """SemiNMF, rank 10, 100 iterations on a 2000 x 200 signed matrix (500 x 50 in fast
    mode)."""

    timeout = 300

    def setup(self):
        from sparseopt.completion import SemiNMF

        m, n = (500, 50) if is_fast() else (2000, 200)
        rng = np.random.default_rng(0)
        X = rng.uniform(size=(m, 10)) @ rng.standard_normal((10, n))
        X += 0.01 * rng.standard_normal(X.shape)
        model = SemiNMF(10, max_iter=100, tol=0.0, random_state=0)

        def run():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(X)

        self.run = run

    def time_fit(self):
        self.run()
