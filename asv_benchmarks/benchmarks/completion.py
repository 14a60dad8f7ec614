"""Matrix completion and factorization: MatrixCompletion's two solvers, soft_impute against
fancyimpute's dense SoftImpute, SemiNMF against scikit-learn's NMF."""

import warnings

import numpy as np

from .common import Benchmark, is_fast, require


def _exact_problem(n, k, seed=0):
    """An exactly rank-k Gaussian n x n matrix observed on 3 n k log n entries sampled
    without replacement, as CSR (the acceptance problem of MatrixCompletion)."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    U, V = rng.standard_normal((n, k)), rng.standard_normal((n, k))
    rows, cols = np.divmod(rng.choice(n * n, int(3 * n * k * np.log(n)), replace=False), n)
    values = np.einsum("ij,ij->i", U[rows], V[cols])
    return sp.csr_array((values, (rows, cols)), shape=(n, n))


def _noisy_problem(n, rank=10, frac=0.1, noise=0.1, seed=0):
    """A rank-``rank`` n x n matrix, ``frac`` of it observed with noise: the dense array
    with NaN for the missing entries and the same observed entries as CSR (the recipe of
    ``bench completion``, kept here so the benchmark does not depend on private code)."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, rank)) @ rng.standard_normal((rank, n))
    obs = rng.uniform(size=M.shape) < frac
    X = np.where(obs, M + noise * rng.standard_normal(M.shape), np.nan)
    rows, cols = np.nonzero(obs)
    return X, sp.csr_array((X[rows, cols], (rows, cols)), shape=X.shape)


def _quiet(run):
    """Run ``run()`` with the convergence warnings of fixed-budget fits silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run()


class MatrixCompletionFit(Benchmark):
    """A whole MatrixCompletion fit to tol=1e-10 on an exactly rank-10 1000 x 1000 matrix
    observed on |Omega| = 3 n k log n entries (300 x 300 rank 5 fast), and its peak memory;
    implicit's CG-ALS (10 iterations, its 3 CG steps per row) on the same sparse matrix as
    a reference point for the cost of an iteration: it solves the implicit-feedback
    problem (every entry weighted), not this completion problem."""

    param_names = ["solver"]
    params = (["cholesky", "cg", "sketch", "implicit-als-cg"],)

    def setup(self, solver):
        from sparseopt.completion import MatrixCompletion

        n, k = (300, 5) if is_fast() else (1000, 10)
        X = _exact_problem(n, k)
        if solver == "implicit-als-cg":
            als = require("implicit.cpu.als")
            model = als.AlternatingLeastSquares(factors=k, regularization=0.01,
                                                iterations=10, use_cg=True,
                                                num_threads=1, random_state=0)
            X32 = X.astype(np.float32)
            self.run = lambda: model.fit(X32, show_progress=False)
        else:
            model = MatrixCompletion(k, solver=solver, random_state=0, n_threads=1)
            self.run = lambda: model.fit(X)

    def time_fit(self, solver):
        _quiet(self.run)

    def peakmem_fit(self, solver):
        _quiet(self.run)


class SoftImpute(Benchmark):
    """SoftImpute to convergence on a noisy rank-10 800 x 800 matrix, 10 % observed
    (300 x 300 fast), the same lambda: ours on the observed entries (CSR), fancyimpute's
    full dense SVD per iteration on the NaN-filled array; MatrixCompletion at the true
    rank on the same entries for comparison (the problem of ``bench completion``, smaller)."""

    param_names = ["library"]
    params = (["sparseopt-soft_impute", "sparseopt-MatrixCompletion", "fancyimpute"],)
    timeout = 900

    def setup(self, library):
        from sparseopt.completion import MatrixCompletion, soft_impute

        n = 300 if is_fast() else 800
        X, X_observed = _noisy_problem(n)
        lam = 2.2 * np.sqrt(n * 10 * 0.1)
        if library == "fancyimpute":
            require("fancyimpute")
            import fancyimpute.soft_impute
            import fancyimpute.solver
            import sklearn.utils

            def check_array(X, force_all_finite=True, **kw):  # renamed in sklearn 1.6
                return sklearn.utils.check_array(X, ensure_all_finite=force_all_finite, **kw)

            fancyimpute.solver.check_array = check_array
            fancyimpute.soft_impute.check_array = check_array
            model = fancyimpute.SoftImpute(shrinkage_value=lam, verbose=False)
            self.run = lambda: model.fit_transform(X.copy())
        elif library == "sparseopt-soft_impute":
            self.run = lambda: soft_impute(X_observed, shrinkage=lam, tol=1e-6,
                                           random_state=0)
        else:
            model = MatrixCompletion(10, tol=1e-3, random_state=0, n_threads=1)
            self.run = lambda: model.fit(X_observed)

    def time_fit(self, library):
        _quiet(self.run)

    def peakmem_fit(self, library):
        _quiet(self.run)


class SemiNMFFit(Benchmark):
    """200 iterations (tol=0) of a rank-10 factorization of a nonnegative 2000 x 300
    matrix (500 x 100 fast): SemiNMF's multiplicative updates against scikit-learn's NMF
    (coordinate descent and multiplicative update), a reference point only (NMF also
    constrains the dictionary)."""

    param_names = ["library"]
    params = (["sparseopt-SemiNMF", "sklearn-NMF-cd", "sklearn-NMF-mu"],)

    def setup(self, library):
        from sklearn.decomposition import NMF

        from sparseopt.completion import SemiNMF

        rng = np.random.default_rng(0)
        m, n = (500, 100) if is_fast() else (2000, 300)
        X = rng.uniform(size=(m, 10)) @ rng.uniform(size=(10, n))
        X += 0.01 * rng.uniform(size=X.shape)
        if library == "sparseopt-SemiNMF":
            model = SemiNMF(10, init="random", max_iter=200, tol=0.0, random_state=0)
        else:
            model = NMF(10, init="random", solver=library[-2:], max_iter=200, tol=0.0,
                        random_state=0)
        self.run = lambda: model.fit(X)

    def time_fit(self, library):
        _quiet(self.run)
