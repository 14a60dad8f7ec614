"""The sparse module's rows in ``python -m sparseopt demo`` and ``bench``."""

from __future__ import annotations

import numpy as np

from ..utils._benchmarking import BenchCase, Contender, Demo, relative_max_error


def _scipy_matmat(data):
    from threadpoolctl import threadpool_limits

    A, X = data
    with threadpool_limits(1):  # scipy's product is single-threaded; keep BLAS out of it
        return A @ X


def _matmat_problem(n, nnz_per_row, n_cols, dtype=np.float64, index_dtype=np.int32, seed=0):
    from ..datasets import make_random_csr

    def make():
        A = make_random_csr(n, n, nnz_per_row, dtype=dtype, index_dtype=index_dtype,
                            random_state=seed)
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((n, n_cols)).astype(dtype)
        if n_cols == 1:
            X = X[:, 0]
        return A, X

    return make


def demos():
    def matmat():
        from . import csr_matmat_dense

        A, X = _matmat_problem(20_000, 10, 16)()
        Y = csr_matmat_dense(A, X)
        err = relative_max_error(A @ X, Y)
        return {"result": f"A(20000x20000, nnz={A.nnz}) @ X(20000x16)",
                "check": f"max rel. diff vs scipy {err:.1e}", "ok": err < 1e-12}

    return [Demo("csr_matmat_dense", matmat)]


def benchmarks(quick: bool = False):
    from ..utils import effective_n_threads
    from . import csr_matmat_dense

    n = 50_000 if quick else 200_000
    nt = effective_n_threads()
    cases = []
    for n_cols, dtype, idx in ((32, np.float64, np.int32), (1, np.float64, np.int32),
                               (32, np.float32, np.int64)):
        name = (f"csr_matmat_dense {n//1000}k^2 10nnz/row x{n_cols} "
                f"{np.dtype(dtype).name}/{np.dtype(idx).name}")
        contenders = [
            Contender(f"sparseopt ({nt} threads)",
                      lambda d, nt=nt: csr_matmat_dense(*d, n_threads=nt), ours=True),
            Contender("sparseopt (1 thread)",
                      lambda d: csr_matmat_dense(*d, n_threads=1), ours=True),
            Contender("scipy A @ X (1 thread)", _scipy_matmat),
        ]
        cases.append(BenchCase(name, _matmat_problem(n, 10, n_cols, dtype, idx), contenders,
                               baseline="scipy A @ X (1 thread)"))
    cases[0].notes = ("acceptance: >= 1.5x scipy with 2 threads at 200k^2, x32 "
                      "(input validation included in sparseopt's time)")
    return cases
