"""The structured module's rows in ``python -m sparseopt demo`` and ``bench``."""

from __future__ import annotations

import numpy as np

from ..utils._benchmarking import BenchCase, Contender, Demo, relative_max_error


def _dft_problem(n1, n2):
    """The DFT of size n1*n2 with its input read in Cooley-Tukey order: exactly Monarch."""
    n = n1 * n2
    F = np.exp(-2j * np.pi * np.outer(np.arange(n), np.arange(n)) / n)
    t1, t2 = np.divmod(np.arange(n), n2)
    return F[:, t1 + n1 * t2]


def demos():
    def project_dft():
        from . import monarch_project

        A = _dft_problem(16, 32)
        M, err = monarch_project(A, (16, 32), return_error=True)
        diff = float(np.max(np.abs(M.toarray() - A)))
        return {"result": f"512x512 permuted DFT -> Monarch (16, 32) blocks, "
                          f"{M.n_params} params",
                "check": f"max |M - DFT| {diff:.1e} (exact)", "ok": diff < 1e-10}

    def matmul():
        from . import MonarchMatrix

        M = MonarchMatrix.random((1024, 4096), 16, random_state=0)
        X = np.random.default_rng(0).standard_normal((64, 4096))
        err = relative_max_error(X @ M.toarray().T, X @ M.T)
        return {"result": f"X(64x4096) @ M.T, M 1024x4096 with 16 blocks "
                          f"({M.n_params / M.shape[0] / M.shape[1]:.1%} of dense params)",
                "check": f"max rel. diff vs dense {err:.1e}", "ok": err < 1e-12}

    return [Demo("monarch_project", project_dft), Demo("MonarchMatrix @", matmul)]


def _layer_problem(n_in, n_out, nblocks, batch, dtype):
    def make():
        from . import MonarchMatrix

        M = MonarchMatrix.random((n_out, n_in), nblocks, dtype=dtype, random_state=0)
        W = M.toarray()  # the same map, stored dense
        X = np.random.default_rng(1).standard_normal((batch, n_in)).astype(dtype)
        return M, W, X

    return make


def benchmarks(quick: bool = False):
    from ..utils import effective_n_threads

    nt = effective_n_threads()
    sizes = [  # (n_in, n_out, nblocks, batch, dtype)
        (10000, 1024, 4, 1000, np.float32), (10000, 1024, 16, 1000, np.float32),
        (10000, 1024, 4, 10, np.float32), (10000, 1024, 16, 10, np.float32),
        (4096, 4096, 64, 1024, np.float32),
        (10000, 1024, 4, 1000, np.float64), (4096, 4096, 64, 1024, np.float64),
    ]
    if quick:
        sizes = [s for s in sizes if s[4] is np.float32][:3]
    cases = []
    for n_in, n_out, b, batch, dtype in sizes:
        name = (f"monarch {n_in}->{n_out} nblocks={b} batch={batch} "
                f"{np.dtype(dtype).name}")
        contenders = [
            Contender(f"sparseopt X @ M.T (BLAS {nt} threads)", lambda d: d[2] @ d[0].T,
                      ours=True),
            Contender(f"numpy X @ W.T dense (BLAS {nt} threads)", lambda d: d[2] @ d[1].T),
        ]
        cases.append(BenchCase(name, _layer_problem(n_in, n_out, b, batch, dtype),
                               contenders, baseline=contenders[1].label))
    cases[0].notes = ("acceptance: >= 2.5x dense at batch 1000 with 4 and 16 blocks, no "
                      "slower at batch 10, >= 10x at 4096 with 64 blocks; W = M.toarray() "
                      "so both compute the same map")
    return cases
