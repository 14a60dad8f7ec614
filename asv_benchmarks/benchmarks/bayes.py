"""Sparse Bayesian learning: KroneckerSBL's structured E-step against the dense one."""

import warnings

import numpy as np

from .common import Benchmark, is_fast


class SBLIterations(Benchmark):
    """Ten SBL iterations on the paper's problem (15^3 unknowns, 8x12x15 measurements;
    8^3 and 5x6x8 in fast mode): KroneckerSBL, dense SBL and scikit-learn's ARD."""

    param_names = ["library"]
    params = (["sparseopt-kronecker", "sparseopt-dense", "sklearn-ard"],)
    timeout = 300

    def setup(self, library):
        from sklearn.linear_model import ARDRegression

        from sparseopt.bayes import KroneckerSBL, SparseBayesianRegression
        from sparseopt.datasets import make_kronecker_sparse

        shapes = [(5, 8), (6, 8), (8, 8)] if is_fast() else [(8, 15), (12, 15), (15, 15)]
        factors, y, _, nv = make_kronecker_sparse(shapes, snr_db=25, random_state=0)
        A = factors[0]
        for F in factors[1:]:
            A = np.kron(A, F)
        if library == "sparseopt-kronecker":
            model, X = KroneckerSBL(noise_var=nv, max_iter=10, tol=0), factors
        elif library == "sparseopt-dense":
            model, X = SparseBayesianRegression(noise_var=nv, max_iter=10, tol=0), A
        else:
            model, X = ARDRegression(max_iter=10, tol=0, fit_intercept=False), A
        self.run = lambda: model.fit(X, y)

    def time_ten_iterations(self, library):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.run()


class KroneckerSBLLarge(Benchmark):
    """A whole KroneckerSBL fit at 30^3 = 27,000 unknowns (12^3 in fast mode), with its
    peak memory."""

    timeout = 300

    def setup(self):
        from sparseopt.bayes import KroneckerSBL
        from sparseopt.datasets import make_kronecker_sparse

        shapes = [(8, 12), (10, 12), (12, 12)] if is_fast() else [(16, 30), (24, 30), (30, 30)]
        factors, y, _, nv = make_kronecker_sparse(shapes, snr_db=25, random_state=0)
        self.run = lambda: KroneckerSBL(noise_var=nv).fit(factors, y)

    def time_fit(self):
        self.run()

    def peakmem_fit(self):
        self.run()
