"""The completion module's rows in ``python -m sparseopt demo`` and ``bench``.

``bench completion`` times MatrixCompletion's solvers on the acceptance problem and
against fancyimpute's IterativeSVD and MatrixFactorization on an exact completion;
soft_impute and MatrixCompletion against fancyimpute's SoftImpute on a noisy problem
(test RMSE on held-out entries and tracemalloc peak memory in the detail); and runs the
studies: :func:`scaling_study` (the time of one iteration at (k, |Omega|), (2k, |Omega|)
and (k, 2|Omega|)), :func:`conditioning_study` (the solvers on spread singular values),
:func:`peer_iteration_study` (one iteration against implicit's ALS on the same pattern)
and :func:`peer_memory_study`.
"""

from __future__ import annotations

import time
import tracemalloc
import warnings

import numpy as np

from ..utils._benchmarking import BenchCase, Contender, Demo, format_table


def completion_problem(n, k, n_observed=None, *, seed=0, dtype=np.float64):
    """A Gaussian rank-k ``n x n`` matrix and ``n_observed`` entries of it (default
    3 n k log n) sampled uniformly without replacement: ``(U, V, X)``, M = U V^T, X the
    observed entries as a CSR array."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    U, V = rng.standard_normal((n, k)), rng.standard_normal((n, k))
    nnz = int(3 * n * k * np.log(n)) if n_observed is None else int(n_observed)
    rows, cols = np.divmod(rng.choice(n * n, nnz, replace=False), n)
    values = np.einsum("ij,ij->i", U[rows], V[cols]).astype(dtype)
    return U, V, sp.csr_array((values, (rows, cols)), shape=(n, n))


def _relative_error(model, U, V):
    """||U_ V_^T - U V^T||_F / ||U V^T||_F without an n x n array.

    U_ V_^T - U V^T = [U_, -U] [V_, V]^T = Q1 R1 R2^T Q2^T (thin QRs), and the Q's do not
    change the Frobenius norm: the norm of a 2k x 2k product, with no cancellation (the
    expansion ||A||^2 - 2<A, B> + ||B||^2 cannot resolve errors below ~1e-8).
    """
    R1 = np.linalg.qr(np.hstack([model.U_.astype(np.float64), -U]), mode="r")
    R2 = np.linalg.qr(np.hstack([model.V_.astype(np.float64), V]), mode="r")
    Rt = np.linalg.qr(U, mode="r") @ np.linalg.qr(V, mode="r").T
    return float(np.linalg.norm(R1 @ R2.T) / np.linalg.norm(Rt))


def _iteration_seconds(X, k, solver, *, n_iter=10, repeat=3, n_threads=1):
    """Seconds per iteration: (time of 1 + n_iter iterations - time of 1) / n_iter, the
    initialization cancelling out; the median over ``repeat`` runs."""
    from ..exceptions import ConvergenceWarning
    from . import MatrixCompletion

    def run(max_iter):
        model = MatrixCompletion(k, solver=solver, tol=0.0, max_iter=max_iter,
                                 init="random", random_state=0, n_threads=n_threads)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X)
        seconds = time.perf_counter() - t0
        if model.n_iter_ != max_iter:  # tol=0 stops only on an exactly repeated residual
            raise RuntimeError(f"the fit stopped after {model.n_iter_} < {max_iter} "
                               "iterations; the timing would be wrong")
        return seconds

    per = [(run(1 + n_iter) - run(1)) / n_iter for _ in range(repeat)]
    return float(np.median(per))


def scaling_study(n=2000, k=10, *, solvers=("cholesky", "cg", "sketch"), repeat=3,
                  n_threads=1):
    """Time per iteration of MatrixCompletion at (k, |Omega|), (2k, |Omega|), (k, 2|Omega|)
    on an ``n x n`` problem, |Omega| = 3 n k log n; returns the table as text.

    The ratios are what theory predicts as: O(|Omega| k^2 + (m + n) k^3) for Cholesky
    (x4 when k doubles, x2 when |Omega| doubles), O(|Omega| k (cg_iter + 1)) for CG
    (x2 and x2).
    """
    nnz = int(3 * n * k * np.log(n))
    settings = [(k, nnz), (2 * k, nnz), (k, 2 * nnz)]
    problems = {s: completion_problem(n, s[0], s[1], seed=1)[2] for s in settings}
    rows = []
    for solver in solvers:
        times = [_iteration_seconds(problems[s], s[0], solver, repeat=repeat,
                                    n_threads=n_threads) for s in settings]
        rows.append([solver, *(f"{1e3 * t:.1f}" for t in times),
                     f"{times[1] / times[0]:.2f}", f"{times[2] / times[0]:.2f}"])
    table = format_table(
        ["solver", f"ms/iter k={k}", f"2k={2 * k}", f"2|Omega|={2 * nnz}",
         "ratio 2k", "ratio 2|Omega|"], rows)
    return (f"MatrixCompletion time per iteration, m = n = {n}, |Omega| = {nnz} "
            f"(3 n k log n), n_threads={n_threads}, median of {repeat}\n{table}\n"
            "theory: Cholesky O(|Omega| k^2 + (m+n) k^3): 2k -> x4, 2|Omega| -> x2; "
            "CG O(|Omega| k (cg_iter+1)): 2k -> x2, 2|Omega| -> x2; sketch "
            "O(|Omega| k (cg_iter+1) + (m+n)(4k^3)): between the two")


def _implicit_iteration_seconds(X, k, use_cg, dtype, *, n_iter=10, n_threads=1):
    """Seconds per iteration of implicit's ``AlternatingLeastSquares`` on the pattern of
    ``X``, by the same differencing as :func:`_iteration_seconds` (one run each).

    implicit fits the implicit-feedback objective: every one of the m n entries, with
    preference 1 on the observed ones (confidence 1 + |x|) and 0 elsewhere. Its row
    solves use Y^T Y over all columns plus the observed entries, so one iteration has the
    same O(|Omega| k^2 + (m + n) k^3) (Cholesky) or O(|Omega| k cg_steps) (CG, 3 steps)
    cost as ours, but it cannot fit the observed values themselves.
    """
    import scipy.sparse as sp
    from implicit.cpu.als import AlternatingLeastSquares

    C = sp.csr_matrix(X, dtype=dtype, copy=True)
    C.data = 1.0 + np.abs(C.data)

    def run(iterations):
        model = AlternatingLeastSquares(factors=k, regularization=0.01, use_cg=use_cg,
                                        iterations=iterations, num_threads=n_threads,
                                        dtype=dtype, random_state=0)
        t0 = time.perf_counter()
        model.fit(C, show_progress=False)
        return time.perf_counter() - t0

    return (run(1 + n_iter) - run(1)) / n_iter


def peer_iteration_study(n=2000, k=10, *, repeat=3, n_threads=1):
    """Time per iteration of MatrixCompletion and of implicit's ALS (the CG-ALS peer of
    the research note) on the same ``n x n`` pattern, |Omega| = 3 n k log n, rank k,
    ``n_threads`` threads each; the repeats interleaved, median reported. Returns the
    table as text (a row says "not installed" when implicit is missing).
    """
    from threadpoolctl import threadpool_limits

    X = completion_problem(n, k, seed=1)[2]
    runs = {}
    for solver in ("cholesky", "cg"):
        for dtype in (np.float64, np.float32):
            Xd = X.astype(dtype)
            runs[f"sparseopt MatrixCompletion {solver} {dtype.__name__}"] = (
                lambda Xd=Xd, solver=solver: _iteration_seconds(
                    Xd, k, solver, repeat=1, n_threads=n_threads))
            runs[f"implicit ALS {'cg (3 steps)' if solver == 'cg' else 'cholesky'} "
                 f"{dtype.__name__}"] = (
                lambda dtype=dtype, cg=solver == "cg": _implicit_iteration_seconds(
                    X, k, cg, dtype, n_threads=n_threads))
    times = {label: [] for label in runs}
    missing = set()
    with threadpool_limits(n_threads):
        for _ in range(repeat):
            for label, run in runs.items():
                if label in missing:
                    continue
                try:
                    times[label].append(run())
                except ImportError:
                    missing.add(label)
    med = {label: float(np.median(t)) for label, t in times.items() if t}
    rows = []
    for label in runs:
        if label in missing:
            rows.append([label, "not installed", "-"])
            continue
        solver = "cg" if " cg" in label else "cholesky"
        dtype = label.rsplit(" ", 1)[1]
        peer = next((v for lab, v in med.items() if lab.startswith("implicit")
                     and (" cg" in lab) == (solver == "cg") and lab.endswith(dtype)), None)
        ours = not label.startswith("implicit")
        # a difference of two timings: on a tiny problem under load it can be <= 0
        valid = med[label] > 0 and peer is not None and peer > 0
        ratio = f"{peer / med[label]:.2f}" if ours and valid else "-"
        ms = f"{1e3 * med[label]:.2f}" if med[label] > 0 else "below timer noise"
        rows.append([label, ms, ratio])
    table = format_table(["implementation", "ms/iter", "implicit / this"], rows)
    return (f"time per ALS iteration (one solve for each factor), m = n = {n}, rank {k}, "
            f"|Omega| = {X.nnz} (3 n k log n), {n_threads} thread(s), median of {repeat} "
            f"interleaved runs\n{table}\nimplicit fits the implicit-feedback objective "
            "(all m n entries, preferences 0/1, confidence 1 + |x|): the same per-iteration "
            "work, a different problem; it does not complete the observed values")


_MEMORY_SCRIPT = """
import sys, warnings
import numpy as np, scipy.sparse as sp
n, k, library, solver, path = (int(sys.argv[1]), int(sys.argv[2]), sys.argv[3],
                               sys.argv[4], sys.argv[5])
X = sp.load_npz(path).tocsr()
if library == "implicit":
    from implicit.cpu.als import AlternatingLeastSquares
    X = sp.csr_matrix(X)
    X.data = 1.0 + np.abs(X.data)
    model = AlternatingLeastSquares(factors=k, iterations=10, use_cg=solver == "cg",
                                    num_threads=1, dtype=np.float64, random_state=0)
    fit = lambda: model.fit(X, show_progress=False)
else:
    import sparseopt.completion._als  # loaded, as implicit's extension is, before the fit
    from sparseopt.completion import MatrixCompletion
    model = MatrixCompletion(k, solver=solver, tol=0.0, max_iter=10, init="random",
                             random_state=0, n_threads=1)
    fit = lambda: model.fit(X)
def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key))
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current resident set
before = status("VmRSS:")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    fit()
print(status("VmHWM:") - before)
"""


def peer_memory_study(n=2000, k=10):
    """Peak resident memory added by ten ALS iterations of MatrixCompletion and of
    implicit's ALS (float64, one thread) on the same pattern as
    :func:`peer_iteration_study`, each in a fresh interpreter (Linux only): the peak
    resident set (``VmHWM``, reset just before the fit) minus the resident set before it,
    which counts what C code allocates (tracemalloc does not). Returns the table as
    text."""
    import os
    import subprocess
    import sys
    import tempfile

    import scipy.sparse as sp

    X = completion_problem(n, k, seed=1)[2]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "X.npz")
        sp.save_npz(path, X)
        for library in ("sparseopt", "implicit"):
            for solver in ("cholesky", "cg"):
                out = subprocess.run([sys.executable, "-c", _MEMORY_SCRIPT, str(n), str(k),
                                      library, solver, path], capture_output=True, text=True)
                if out.returncode != 0:
                    missing = "ModuleNotFoundError" in out.stderr
                    rows.append([library, solver, "not installed" if missing else
                                 f"failed: {out.stderr.strip().splitlines()[-1]}"])
                    continue
                kib = int(out.stdout.split()[-1])  # /proc/self/status counts in kB
                rows.append([library, solver, f"{kib / 1024:.1f}"])
    data_mb = (X.data.nbytes + X.indices.nbytes + X.indptr.nbytes) / 2**20
    return (f"peak resident memory added by 10 ALS iterations (float64, 1 thread), "
            f"m = n = {n}, rank {k}, |Omega| = {X.nnz} (the CSR input itself: "
            f"{data_mb:.1f} MiB)\n" + format_table(["library", "solver", "MiB added"], rows))


def _recovery_measured(contender, run):
    """``run(d) -> the dense completion``; the first (untimed) call runs under tracemalloc
    and records the relative error to ``d["M"]`` and the peak traced memory as the
    detail."""
    state = {"first": True}

    def fn(d):
        if not state["first"]:
            return run(d)
        state["first"] = False
        tracemalloc.start()
        Z = run(d)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        err = np.linalg.norm(Z - d["M"]) / np.linalg.norm(d["M"])
        contender.detail = f"rel. error {err:.1e}, peak {peak / 1e6:.0f} MB"
        return Z

    contender.fn = fn
    return contender


def _fancyimpute_patched():
    """fancyimpute with its ``check_array(force_all_finite=...)`` calls mapped to the
    argument's name since scikit-learn 1.6."""
    import fancyimpute
    import fancyimpute.iterative_svd
    import fancyimpute.matrix_factorization
    import fancyimpute.soft_impute
    import fancyimpute.solver
    import sklearn.utils

    def check_array(X, force_all_finite=True, **kw):
        return sklearn.utils.check_array(X, ensure_all_finite=force_all_finite, **kw)

    for mod in (fancyimpute.solver, fancyimpute.iterative_svd, fancyimpute.soft_impute,
                fancyimpute.matrix_factorization):
        mod.check_array = check_array
    return fancyimpute


def _recovery_benchmarks(quick: bool = False):
    """Exact completion of a rank-k matrix against fancyimpute's IterativeSVD (the dense
    refill + truncated SVD iteration) and MatrixFactorization (SGD), all given the rank."""
    from . import MatrixCompletion

    n, k = (300, 5) if quick else (1000, 5)
    nnz = int(3 * n * k * np.log(n))
    data = {}

    def make():
        U, V, X = completion_problem(n, k, seed=0)
        coo = X.tocoo()
        D = np.full((n, n), np.nan)
        D[coo.row, coo.col] = coo.data
        data.update(X=X, D=D, M=U @ V.T)
        return data

    def ours(solver):
        def run(d):
            return MatrixCompletion(k, solver=solver, random_state=0,
                                    n_threads=1).fit(d["X"]).reconstruct()
        return run

    def iterative_svd(d):
        fi = _fancyimpute_patched()
        return fi.IterativeSVD(rank=k, verbose=False).fit_transform(d["D"].copy())

    def matrix_factorization(d):
        fi = _fancyimpute_patched()
        np.random.seed(0)  # noqa: NPY002 (its initialization draws from the global one)
        return fi.MatrixFactorization(rank=k, verbose=False).fit_transform(d["D"].copy())

    def error_to_truth(_ref, Z):
        return float(np.linalg.norm(Z - data["M"]) / np.linalg.norm(data["M"]))

    contenders = [
        _recovery_measured(Contender("sparseopt MatrixCompletion cholesky", None,
                                     ours=True), ours("cholesky")),
        _recovery_measured(Contender("sparseopt MatrixCompletion cg", None, ours=True),
                           ours("cg")),
        _recovery_measured(Contender("fancyimpute IterativeSVD", None), iterative_svd),
    ]
    return [BenchCase(
        f"completion {n}x{n} rank {k} from |Omega| = 3 n k log n = {nnz} exact entries",
        make, contenders, baseline="fancyimpute IterativeSVD",
        discrepancy=error_to_truth, max_repeat=None if quick else 3,
        notes=("max rel. diff = ||Z - M||_F / ||M||_F against the true matrix; "
               "MatrixCompletion at its defaults (tol 1e-10), IterativeSVD at its defaults "
               "(rank k, convergence_threshold 1e-5, max_iters 200, dense input with NaN); "
               "peak = tracemalloc of the first run (buffers malloc'ed in C not counted)")),
        BenchCase(
            f"completion {n}x{n} rank {k}, |Omega| = {nnz}: vs fancyimpute SGD",
            make,
            [_recovery_measured(Contender("sparseopt MatrixCompletion cholesky", None,
                                          ours=True), ours("cholesky")),
             _recovery_measured(Contender("fancyimpute MatrixFactorization", None),
                                matrix_factorization)],
            baseline="fancyimpute MatrixFactorization", discrepancy=error_to_truth,
            max_repeat=1,
            notes=("the same problem; MatrixFactorization at its defaults apart from the "
                   "rank (50 epochs of pure-Python SGD with biases, learning rate 0.01), "
                   "0.85 s (quiet machine) to 2.6 s (loaded) an epoch at 1000 x 1000: "
                   "one timed run"))]


def _altmin_benchmarks(quick: bool = False):
    from . import MatrixCompletion

    n, k = (500, 5) if quick else (2000, 10)

    def make():
        return completion_problem(n, k, seed=0)

    def fit(solver):
        def run(data):
            U, V, X = data
            model = MatrixCompletion(k, solver=solver, random_state=0, n_threads=1).fit(X)
            return np.array([_relative_error(model, U, V)])
        return run

    contenders = [Contender("sparseopt MatrixCompletion cholesky", fit("cholesky"),
                            ours=True),
                  Contender("sparseopt MatrixCompletion cg (cg_iter=3)", fit("cg"),
                            ours=True)]
    case = BenchCase(f"MatrixCompletion fit to tol=1e-10, {n}x{n} rank {k}, "
                     f"|Omega| = 3 n k log n", make, contenders,
                     baseline=contenders[0].label,
                     discrepancy=lambda ref, out: float(out[0]))
    case.notes = ("max rel. diff column = the relative Frobenius error of U_ V_^T vs the "
                  "true matrix (acceptance: <= 1e-8); n_threads=1")
    return [case]


def conditioning_study(n=2000, k=10, *, spread=1e3, max_iter=300, n_threads=1):
    """The three solvers on a rank-k matrix whose singular values spread geometrically
    from 1 to ``spread`` (orthonormal factors, |Omega| = 3 n k log n uniform): iterations,
    relative error and time of one fit each; returns the table as text.

    With reg=0 the factor held fixed carries the singular values, so the row Grams have
    condition numbers up to spread^2: plain CG with 3 steps per row crawls, the
    sketch-preconditioned CG does not.
    """
    import scipy.sparse as sp

    from ..exceptions import ConvergenceWarning
    from ..utils._benchmarking import format_table
    from . import MatrixCompletion

    rng = np.random.default_rng(0)
    U = np.linalg.qr(rng.standard_normal((n, k)))[0] * np.geomspace(1, spread, k)
    V = np.linalg.qr(rng.standard_normal((n, k)))[0]
    nnz = int(3 * n * k * np.log(n))
    r, c = np.divmod(rng.choice(n * n, nnz, replace=False), n)
    X = sp.csr_array((np.einsum("ij,ij->i", U[r], V[c]), (r, c)), shape=(n, n))
    rows = []
    for solver in ("cholesky", "cg", "sketch"):
        model = MatrixCompletion(k, solver=solver, random_state=0, max_iter=max_iter,
                                 n_threads=n_threads)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X)
        seconds = time.perf_counter() - t0
        rows.append([solver, f"{model.n_iter_}" + ("" if model.converged_ else " (cap)"),
                     f"{_relative_error(model, U, V):.1e}", f"{seconds:.2f} s"])
    return (f"MatrixCompletion, {n}x{n} rank {k}, singular values 1..{spread:g}, "
            f"|Omega| = {nnz}, n_threads={n_threads}\n"
            + format_table(["solver", "iterations", "relative error", "time"], rows))


def studies(quick: bool = False):
    def scaling():
        return scaling_study(500 if quick else 2000, 5 if quick else 10,
                             repeat=1 if quick else 3)

    def conditioning():
        return conditioning_study(400 if quick else 2000, 5 if quick else 10,
                                  max_iter=100 if quick else 300)

    def peers():
        return peer_iteration_study(500 if quick else 2000, 5 if quick else 10,
                                    repeat=1 if quick else 3)

    def memory():
        return peer_memory_study(500 if quick else 2000, 5 if quick else 10)

    return [scaling, conditioning, peers, memory]


def demos():
    def seminmf():
        from ..exceptions import ConvergenceWarning
        from . import SemiNMF

        rng = np.random.default_rng(0)
        W = rng.uniform(size=(200, 4))
        W[rng.uniform(size=W.shape) < 0.3] = 0.0
        X = W @ rng.standard_normal((4, 30))  # nonnegative codes, signed dictionary
        W0 = W * (1 + 0.5 * rng.uniform(size=W.shape)) + 0.05 * rng.uniform(size=W.shape)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = SemiNMF(4, init="custom", tol=1e-14, max_iter=2000).fit(X, W=W0)
        err = model.reconstruction_err_ / np.linalg.norm(X)
        hist = model.objective_history_
        monotone = bool(np.all(np.diff(hist) <= 1e-12 * hist[0]))
        return {"result": f"200x30 signed X = W H (W >= 0, rank 4): {model.n_iter_} "
                          "iterations from a perturbed W",
                "check": f"relative error {err:.1e}, objective "
                         f"{'non-increasing' if monotone else 'INCREASED'}",
                "ok": err < 1e-10 and monotone}

    def softimpute():
        from . import SoftImputeImputer

        rng = np.random.default_rng(0)
        M = rng.standard_normal((300, 4)) @ rng.standard_normal((4, 200))
        missing = rng.uniform(size=M.shape) < 0.5
        X = np.where(missing, np.nan, M)
        imp = SoftImputeImputer(shrinkage=1.0, random_state=0)
        filled = imp.fit_transform(X)
        rmse = float(np.sqrt(np.mean((filled - M)[missing] ** 2)))
        scale = float(np.sqrt(np.mean(M ** 2)))
        kept = bool(np.array_equal(filled[~missing], M[~missing]))
        return {"result": f"300x200 rank-4 X, 50 % NaN: rank {imp.rank_} completion in "
                          f"{imp.n_iter_} iterations (lambda = 1)",
                "check": f"RMSE on the NaNs {rmse:.3f} ({rmse / scale:.1%} of the RMS), "
                         f"observed entries {'unchanged' if kept else 'CHANGED'}",
                "ok": rmse < 0.05 * scale and kept}

    def altmin():
        from . import MatrixCompletion

        U, V, X = completion_problem(300, 5, seed=0)
        model = MatrixCompletion(5, random_state=0).fit(X)
        err = _relative_error(model, U, V)
        return {"result": f"300x300 rank 5 from {X.nnz} entries "
                          f"({X.nnz / 300 ** 2:.0%}): {model.n_iter_} iterations",
                "check": f"relative Frobenius error {err:.1e} (target < 1e-8)",
                "ok": bool(model.converged_ and err < 1e-8)}

    def imputer():
        from sklearn.linear_model import Ridge
        from sklearn.pipeline import make_pipeline

        from . import MatrixCompletionImputer

        rng = np.random.default_rng(1)
        M = rng.standard_normal((400, 5)) @ rng.standard_normal((5, 80))
        X = np.where(rng.uniform(size=M.shape) < 0.6, np.nan, M)  # 60 % missing
        X[:, 0] = M[:, 0]
        y = M[:, 0]
        train, test = slice(0, 300), slice(300, 400)
        pipe = make_pipeline(MatrixCompletionImputer(rank=5, tol=1e-10, random_state=0),
                             Ridge(alpha=1e-6)).fit(X[train, 1:], y[train])
        imp = pipe[0]
        filled = imp.transform(X[test, 1:])  # new rows: fold-in on the learned factor
        miss = np.isnan(X[test, 1:])
        err = float(np.linalg.norm((filled - M[test, 1:])[miss])
                    / np.linalg.norm(M[test, 1:][miss]))
        r2 = float(pipe.score(X[test, 1:], y[test]))
        return {"result": "400x80 rank 5, 60 % NaN: imputer + Ridge in a Pipeline, "
                          "fitted on 300 rows, applied to 100 new ones",
                "check": f"imputation error on the new rows {err:.1e}, Ridge R^2 {r2:.6f}",
                "ok": err < 1e-6 and r2 > 0.999}

    return [Demo("SemiNMF exact recovery", seminmf),
            Demo("MatrixCompletionImputer in a Pipeline", imputer),
            Demo("SoftImputeImputer (50 % NaN)", softimpute),
            Demo("MatrixCompletion recovery", altmin)]


# --------------------------------------------------------------------------------------
# benchmarks: ours vs fancyimpute's SoftImpute (dense SVD of the filled matrix per step)
# --------------------------------------------------------------------------------------
def _problem(n, rank=10, frac=0.1, noise=0.1, seed=0):
    """Rank-``rank`` n x n matrix, ``frac`` observed with noise; 20 000 held-out entries.

    ``X`` is the dense array with NaN for the missing entries (fancyimpute's input),
    ``X_observed`` the same observed entries as a CSR array (ours: O(|Omega|) memory).
    """
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, rank)) @ rng.standard_normal((rank, n))
    obs = rng.uniform(size=M.shape) < frac
    X = np.where(obs, M + noise * rng.standard_normal(M.shape), np.nan)
    hidden = np.flatnonzero(~obs)
    test = rng.choice(hidden, size=min(20_000, hidden.size), replace=False)
    rows, cols = np.nonzero(obs)
    X_observed = sp.csr_array((X[rows, cols], (rows, cols)), shape=X.shape)
    return {"X": X, "X_observed": X_observed, "test": test, "truth": M.ravel()[test]}


def _measured(contender, run):
    """``run(d) -> (predictions on the test entries, a note)``; the first (untimed,
    warm-up) call is also run under tracemalloc and records the test RMSE, the peak memory
    and the note (e.g. the iteration count) as the detail."""
    state = {"first": True}

    def fn(d):
        if not state["first"]:
            return run(d)[0]
        state["first"] = False
        tracemalloc.start()
        pred, note = run(d)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rmse = np.sqrt(np.mean((pred - d["truth"]) ** 2))
        contender.detail = f"test RMSE {rmse:.4f}, peak {peak / 1e6:.0f} MB" + (
            f", {note}" if note else "")
        return pred

    contender.fn = fn
    return contender


def _ours(lam, tol):
    def run(d):
        from . import soft_impute

        U, s, Vt, n_iter, _ = soft_impute(d["X_observed"], shrinkage=lam, tol=tol,
                                          random_state=0, return_n_iter=True)
        r, c = np.divmod(d["test"], d["X"].shape[1])
        return np.einsum("ij,ij->i", (U * s)[r], Vt.T[c]), f"{n_iter} it"
    return run


def _altmin(rank, reg, tol, solver):
    def run(d):
        from . import MatrixCompletion

        model = MatrixCompletion(rank, reg=reg, tol=tol, solver=solver, random_state=0,
                                 n_threads=1).fit(d["X_observed"])
        r, c = np.divmod(d["test"], d["X"].shape[1])
        return model.predict(r, c), f"{model.n_iter_} it"
    return run


def _fancyimpute(lam):
    def run(d):
        fancyimpute = _fancyimpute_patched()
        model = fancyimpute.SoftImpute(shrinkage_value=lam, verbose=False)
        svd_step, count = model._svd_step, [0]

        def counted(*args, **kw):  # one dense SVD per iteration: count them
            count[0] += 1
            return svd_step(*args, **kw)

        model._svd_step = counted
        filled = model.fit_transform(d["X"].copy())
        return filled.ravel()[d["test"]], f"{count[0]} it"
    return run


# MatrixCompletion is given the true rank; reg=0 (the rank already regularizes, and a
# ridge only adds bias here) and tol=1e-3 on the relative change of the observed
# residual: the noise floor is reached in ~4 iterations
_ALTMIN = {"rank": 10, "reg": 0.0, "tol": 1e-3}


def _softimpute_contenders(lam, peer):
    """soft_impute, MatrixCompletion (cholesky, cg) and, if ``peer``, fancyimpute."""
    cs = [_measured(Contender("sparseopt soft_impute", None, ours=True), _ours(lam, 1e-6))]
    for solver in ("cholesky", "cg"):
        cs.append(_measured(Contender(f"sparseopt MatrixCompletion {solver}", None,
                                      ours=True), _altmin(solver=solver, **_ALTMIN)))
    if peer:
        cs.append(_measured(Contender("fancyimpute SoftImpute", None), _fancyimpute(lam)))
    return cs


def _softimpute_benchmarks(quick: bool):
    n, big = (500, 1000) if quick else (2000, 5000)
    # lambda above the bulk of the zero-filled noise, ~2 sqrt(n p) (entries of variance
    # rank * frac): below it the first iterates have hundreds of singular values > lambda
    lam = 2.2 * np.sqrt(n * 10 * 0.1)
    lam_big = 2.2 * np.sqrt(big * 10 * 0.1)
    mc = (f"MatrixCompletion rank={_ALTMIN['rank']} (the true rank), reg={_ALTMIN['reg']:g}"
          f", tol={_ALTMIN['tol']:g}, n_threads=1")
    cases = [BenchCase(
        f"SoftImpute {n}x{n} rank 10, 10% observed", lambda: _problem(n),
        _softimpute_contenders(lam, peer=True),
        baseline="fancyimpute SoftImpute", max_repeat=1 if not quick else None,
        notes=(f"same lambda = {lam:.1f}; fancyimpute at its default convergence_threshold "
               "1e-3 (relative change on the missing entries), ours at tol=1e-6 on "
               "||Z_k - Z_k-1||^2 / ||Z_k-1||^2, the tolerance that reaches its test RMSE; "
               f"{mc}; ours read the observed entries as CSR, fancyimpute the dense array "
               "with NaN; peak = tracemalloc, on top of the input; max rel. diff = on the "
               "20 000 held-out predictions, vs fancyimpute's (for MatrixCompletion it is "
               "the shrinkage bias of SoftImpute, not an error: see the test RMSE)"))]
    cases.append(BenchCase(
        f"SoftImpute {big}x{big} rank 10, 10% observed", lambda: _problem(big),
        _softimpute_contenders(lam_big, peer=False), baseline="sparseopt soft_impute",
        max_repeat=1 if not quick else None,
        notes=(f"lambda = {lam_big:.1f}; {mc}; fancyimpute not run: a full dense SVD of the "
               f"filled {big}x{big} matrix per iteration, and {8 * big * big / 1e6:.0f} MB "
               "per dense copy (it holds the input, its copy, the mask, the reconstruction "
               "and the SVD factors)")))
    return cases


def benchmarks(quick: bool = False):
    return (_altmin_benchmarks(quick) + _recovery_benchmarks(quick)
            + _softimpute_benchmarks(quick))
