"""The sparse module's rows in ``python -m sparseopt demo`` and ``bench``."""

from __future__ import annotations

import numpy as np

from ..utils._benchmarking import BenchCase, Contender, Demo, relative_max_error


def _scipy_matmat(data):
    # scipy's sparse products are compiled loops that never call BLAS, so nothing has to
    # limit threads here (a threadpoolctl context costs milliseconds per call, which would
    # be timed as scipy's)
    A, X = data
    return A @ X


def _make_random_csr(*args, **kwargs):
    from ..datasets import make_random_csr

    return make_random_csr(*args, **kwargs)


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

    def product():
        from . import spgemm

        A = _make_random_csr(20_000, 20_000, 10, random_state=0)
        C = spgemm(A, A, sort_indices=True)
        ref = (A @ A).tocsr()
        ref.sort_indices()
        same = C.nnz == ref.nnz and np.array_equal(C.indices, ref.indices)
        err = relative_max_error(ref.data, C.data) if same else float("inf")
        return {"result": f"A @ A, A 20000^2 with 10 nnz/row: nnz(C)={C.nnz}",
                "check": f"same structure as scipy, max rel. diff {err:.1e}",
                "ok": same and err < 1e-12}

    return [Demo("csr_matmat_dense", matmat), Demo("spgemm", product)]


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
    cases.extend(_spgemm_cases(quick, nt))
    return cases


def _spgemm_matrices(quick):
    """(name, make) pairs: synthetic sets, then the real matrices that are present."""
    import gzip
    import os
    from pathlib import Path

    import scipy.sparse as sp

    from ..datasets import laplacian_2d

    def poisson3d(n):
        T = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(n, n))
        eye = sp.eye_array(n)
        return (sp.kron(sp.kron(T, eye), eye) + sp.kron(sp.kron(eye, T), eye)
                + sp.kron(sp.kron(eye, eye), T)).tocsr()

    n2, n3, nr = (300, 20, 20_000) if quick else (1000, 60, 100_000)
    out = [(f"2-D Poisson {n2}^2", lambda: laplacian_2d(n2)),
           (f"3-D Poisson {n3}^3", lambda: poisson3d(n3)),
           (f"uniform random {nr // 1000}k^2, 10/row",
            lambda: _make_random_csr(nr, nr, 10, random_state=0))]
    from ..datasets import make_rmat

    for scale in ((12,) if quick else (16, 18)):
        out.append((f"R-MAT scale {scale} (edge factor 16)",
                    lambda scale=scale: make_rmat(scale, 16, random_state=0)))
    env = os.environ.get("SPARSEOPT_DATA")
    data = Path(env) if env else Path(__file__).resolve().parents[2].parent / "shared" / \
        "data" / "matrices"
    for name in ([] if quick else ["bcsstk16", "cage11", "delaunay_n16", "ct2010",
                                   "bcsstk13", "luxembourg_osm", "ca-GrQc", "PGPgiantcompo"]):
        for path in (data / f"{name}.mtx.gz", data / f"{name}.mtx"):
            if path.exists():
                def make(path=path):
                    import scipy.io

                    opener = gzip.open if path.suffix == ".gz" else open
                    with opener(path, "rb") as fh:
                        A = sp.csr_array(scipy.io.mmread(fh), dtype=np.float64)
                    return A
                out.append((name, make))
                break
    return out


def _spgemm_cases(quick, nt):
    from . import spgemm

    def discrepancy(ref, out):
        import scipy.sparse as sp

        if not sp.issparse(out):  # a GraphBLAS matrix
            import graphblas as gb

            out = gb.io.to_scipy_sparse(out, format="csr")
        a, b = sp.csr_array(ref), sp.csr_array(out)
        return float(abs(a - b).max() / max(abs(a).max(), 1e-300)) if a.nnz else 0.0

    def graphblas(threads):
        def prepare(A):
            import graphblas as gb

            return gb.io.from_scipy_sparse(A)

        def fn(M):
            import graphblas as gb

            gb.ss.config["nthreads"] = threads
            return M.mxm(M).new()  # left jumbled (unsorted), like ours

        return Contender(f"python-graphblas ({threads} thread{'s' * (threads > 1)})", fn,
                         prepare=prepare)

    def mkl(threads):
        def fn(A):
            import os

            # Intel OpenMP threads spin 200 ms after each call by default, starving the
            # next contender's threads on a 2-core machine: let them sleep at once.
            os.environ.setdefault("KMP_BLOCKTIME", "0")
            import sparse_dot_mkl

            sparse_dot_mkl.mkl_set_num_threads(threads)
            return sparse_dot_mkl.dot_product_mkl(A, A)

        return Contender(f"sparse_dot_mkl ({threads} thread{'s' * (threads > 1)})", fn)

    def scipy_product(A):  # single-threaded SMMP, no BLAS (see _scipy_matmat)
        return A @ A

    cases = []
    for name, make in _spgemm_matrices(quick):
        contenders = [
            Contender(f"sparseopt spgemm ({nt} threads)",
                      lambda A, nt=nt: spgemm(A, A, threads=nt), ours=True),
            Contender("sparseopt spgemm (1 thread)", lambda A: spgemm(A, A, threads=1),
                      ours=True),
            Contender("sparseopt spgemm two-pass (1 thread)",
                      lambda A: spgemm(A, A, threads=1, algorithm="two-pass"), ours=True),
            Contender(f"sparseopt spgemm two-pass ({nt} threads)",
                      lambda A, nt=nt: spgemm(A, A, threads=nt, algorithm="two-pass"),
                      ours=True),
            Contender(f"sparseopt spgemm sorted ({nt} threads)",
                      lambda A, nt=nt: spgemm(A, A, threads=nt, sort_indices=True), ours=True),
            Contender("scipy A @ A", scipy_product),
            graphblas(1), graphblas(nt), mkl(1), mkl(nt),
        ]
        cases.append(BenchCase(f"spgemm A @ A, {name}", make, contenders,
                               baseline="scipy A @ A", discrepancy=discrepancy))
    if cases:
        cases[0].notes = ("unsorted output like scipy's unless 'sorted'; validation and "
                          "CSR checks included in sparseopt's time")
    cases.append(_heavy_row_case(quick, nt, discrepancy))
    return cases


def _heavy_row_case(quick, nt, discrepancy):
    """A @ B where row 0 of A is dense over a very sparse rest: one row holds 95 % of the
    multiplies. Ours with the fine task (the default) and without it (same chunks)."""
    import scipy.sparse as sp

    from . import _spgemm, _spgemm_front, spgemm

    n = 30_000 if quick else 300_000

    def make():
        rng = np.random.default_rng(0)
        A = sp.random_array((n, n), density=0.05 / n, format="csr", rng=rng)
        A = sp.vstack([sp.csr_array(rng.standard_normal((1, n))), A[1:]]).tocsr()
        B = sp.random_array((n, n), density=20 / n, format="csr", rng=rng)
        return A, B

    def without_fine_task(d):
        A, B = d
        flops = np.empty(A.shape[0] + 1, dtype=np.int64)
        _spgemm.row_flops(A.indptr, A.indices, B.indptr, flops)
        chunks = _spgemm_front._chunks(flops, nt)
        c_ptr, c_ind, c_val = _spgemm_front._two_pass(A, B, None, chunks, None, 0, False,
                                                      False, nt, np.float64)
        return sp.csr_array((c_val, c_ind, c_ptr), shape=(A.shape[0], B.shape[1]))

    contenders = [
        Contender(f"sparseopt spgemm ({nt} threads, fine task)",
                  lambda d: spgemm(*d, threads=nt), ours=True),
        Contender(f"sparseopt spgemm ({nt} threads, no fine task)", without_fine_task,
                  ours=True),
        Contender("sparseopt spgemm (1 thread)", lambda d: spgemm(*d, threads=1),
                  ours=True),
        Contender("scipy A @ B", lambda d: d[0] @ d[1]),
    ]
    case = BenchCase(f"spgemm A @ B, arrow {n // 1000}k^2 (row 0: 95 % of multiplies)",
                     make, contenders, baseline="scipy A @ B", discrepancy=discrepancy)
    case.notes = "not an issue goal: shows the heavy-row fine task"
    return case


# --------------------------------------------------------------------------------------
# peak memory of a product (issue goal: <= 1.2 x (inputs + output))
# --------------------------------------------------------------------------------------
_PEAK_SCRIPT = r"""
import sys
import numpy as np
from sparseopt.sparse._cli import _spgemm_matrices
from sparseopt.sparse import spgemm

def rss():
    with open("/proc/self/status") as fh:
        fields = dict(line.split(":", 1) for line in fh)
    return {k: int(fields[k].split()[0]) * 1024 for k in ("VmRSS", "VmHWM")}

quick, index, method = sys.argv[1] == "1", int(sys.argv[2]), sys.argv[3]
name, make = _spgemm_matrices(quick)[index]
A = make()
run = {"scipy": lambda: A @ A,
       "one-pass 1": lambda: spgemm(A, A, threads=1, algorithm="one-pass"),
       "one-pass 2": lambda: spgemm(A, A, threads=2, algorithm="one-pass"),
       "two-pass 1": lambda: spgemm(A, A, threads=1, algorithm="two-pass"),
       "two-pass 2": lambda: spgemm(A, A, threads=2, algorithm="two-pass")}[method]
spgemm(A[:10], A)  # load the extension and its OpenMP runtime before measuring
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")  # reset the peak resident set to the current one
before = rss()["VmRSS"]
C = run()
peak = rss()["VmHWM"] - before
nbytes = lambda M: M.data.nbytes + M.indices.nbytes + M.indptr.nbytes
print(name, nbytes(A), nbytes(C), peak)
"""


def peak_memory_study(quick: bool = False, methods=("scipy", "one-pass 1", "one-pass 2",
                                                    "two-pass 1", "two-pass 2")):
    """Peak resident memory of ``A @ A`` per method, each in a fresh interpreter.

    The peak resident set is reset just before the product (``/proc/self/clear_refs``),
    so ``peak`` is what the product added on top of the process (the input included
    once, as it is resident already): the table shows (input + peak) / (input + output),
    which the issue asks to keep at most 1.2. Linux only; returns the table as text.
    """
    import os
    import subprocess
    import sys

    from ..utils._benchmarking import format_table

    if not os.path.exists("/proc/self/clear_refs"):
        return "peak_memory_study: needs Linux's /proc/self/clear_refs; skipped"
    rows = []
    for index, (name, _) in enumerate(_spgemm_matrices(quick)):
        row = [name]
        for method in methods:
            out = subprocess.run([sys.executable, "-c", _PEAK_SCRIPT, "1" if quick else "0",
                                  str(index), method], capture_output=True, text=True)
            if out.returncode != 0:
                row.append("failed")
                continue
            a_bytes, c_bytes, peak = out.stdout.split()[-3:]
            a_bytes, c_bytes, peak = int(a_bytes), int(c_bytes), int(peak)
            row.append(f"{(a_bytes + peak) / (a_bytes + c_bytes):.2f}")
        rows.append(row)
    return ("spgemm peak memory: (input + peak added by the product) / (input + output), "
            "A @ A, each run in a fresh process (goal <= 1.2)\n"
            + format_table(["matrix", *methods], rows))


def studies(quick: bool = False):
    def memory():
        return peak_memory_study(quick)

    return [memory]
