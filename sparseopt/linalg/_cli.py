"""The linalg module's rows in ``python -m sparseopt demo`` and ``bench``.

Besides the timings, ``bench linalg`` reproduces the learned-relaxation study of Khodak et
al. (2024): see :func:`learning_study`.
"""

from __future__ import annotations

import gzip
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ..utils._benchmarking import BenchCase, Contender, Demo

GRID = np.linspace(1.0, 1.95, 20)
# Real matrices for benchmarks: $SPARSEOPT_DATA, else shared/data/matrices beside the
# repository (absent for users: the cases that need them are skipped).
_DATA = Path(os.environ.get("SPARSEOPT_DATA", "")) if os.environ.get("SPARSEOPT_DATA") else (
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "matrices")


# --------------------------------------------------------------------------------------
# the learning study (Laplacian + c_t I): iteration counts, not times
# --------------------------------------------------------------------------------------
def cost_matrix(seq, omegas=GRID, n_threads=2):
    """SOR iteration counts of every system of ``seq`` for every omega (tol 1e-8, x0 = 0).

    A solve is deterministic given (A_t, b_t, omega), so a learner fed ``C[t, arm]`` sees
    exactly what :meth:`RelaxationLearner.solve` would have run. The kernel releases the
    GIL, so threads share the work.
    """
    from . import sor

    def row(t):
        A, b, _ = seq[t]
        return [sor(A, b, w, warn=False).n_iter for w in omegas]

    with ThreadPoolExecutor(n_threads) as pool:
        return np.array(list(pool.map(row, range(len(seq)))), dtype=np.int64)


def instance_optimal_costs(seq, n_threads=2):
    """Iterations with Young's omega for each system (rho_J = 4 cos(pi h) / (4 + c_t))."""
    from . import optimal_omega, sor

    n_grid = int(round(np.sqrt(seq.laplacian.shape[0])))
    h = 1.0 / (n_grid + 1)

    def one(t):
        A, b, c = seq[t]
        w = optimal_omega(None, rho=4 * np.cos(np.pi * h) / (4 + c))
        return sor(A, b, w, warn=False).n_iter

    with ThreadPoolExecutor(n_threads) as pool:
        return np.array(list(pool.map(one, range(len(seq)))), dtype=np.int64)


def run_learner(learner, C, contexts, omegas=GRID):
    """Total iterations of ``learner`` on a precomputed cost matrix.

    ``C[:, j]`` holds the counts for ``omegas[j]``; every grid point of the learner must be
    among them (the learner sees the count of the omega it played, nothing else).
    """
    cols = np.array([int(np.argmin(np.abs(omegas - w))) for w in learner.omegas])
    if not np.allclose(omegas[cols], learner.omegas, rtol=0, atol=1e-12):
        raise ValueError("the cost matrix has no column for some of the learner's omegas")
    total = 0
    for t in range(C.shape[0]):
        w = learner.suggest(contexts[t])
        j = cols[int(np.argmin(np.abs(learner.omegas - w)))]
        learner.update(C[t, j], contexts[t])
        total += int(C[t, j])
    return total


def learning_study(n_trials=10, n_systems=5000, variance="high", seed=0, progress=None):
    """Total SOR iterations over the sequence per method, for each trial.

    Returns a dict: method -> array of per-trial totals, with the methods "omega = 1
    (Gauss-Seidel)", "best fixed omega in hindsight", "Tsallis-INF", "instance-optimal
    (Young)", "per-instance best grid omega" and "ChebCB". The comparators are on the
    paper's grid ``GRID``; the learners play their own default grids, so the counts are
    computed for those omegas too.
    """
    from ..datasets import make_shifted_laplacian_sequence
    from . import RelaxationLearner

    rows = {k: [] for k in ("omega = 1 (Gauss-Seidel)", "best fixed omega in hindsight",
                            "Tsallis-INF", "instance-optimal (Young)",
                            "per-instance best grid omega", "ChebCB")}
    best_omegas = []
    grid = GRID
    for method in ("tsallis-inf", "chebcb"):
        own = RelaxationLearner(method).omegas
        grid = np.concatenate([grid, own[np.abs(own[:, None] - grid[None, :]).min(axis=1)
                                         > 1e-12]])
    for trial in range(n_trials):
        seq = make_shifted_laplacian_sequence(n_systems, variance=variance,
                                              random_state=seed + trial)
        # the comparators are over the paper's grid; the learners play their own grids
        C_all = cost_matrix(seq, omegas=grid)
        C = C_all[:, :GRID.size]
        totals = C.sum(axis=0)
        best_omegas.append(GRID[int(np.argmin(totals))])
        rows["omega = 1 (Gauss-Seidel)"].append(int(totals[0]))
        rows["best fixed omega in hindsight"].append(int(totals.min()))
        rows["per-instance best grid omega"].append(int(C.min(axis=1).sum()))
        rows["instance-optimal (Young)"].append(int(instance_optimal_costs(seq).sum()))
        tsallis = RelaxationLearner("tsallis-inf", random_state=seed + trial)
        rows["Tsallis-INF"].append(run_learner(tsallis, C_all, [None] * n_systems, grid))
        cheb = RelaxationLearner("chebcb", context_range=(-0.15, 0.45),
                                 random_state=seed + trial)
        rows["ChebCB"].append(run_learner(cheb, C_all, seq.shifts, grid))
        if progress is not None:
            progress(trial)
    out = {k: np.array(v) for k, v in rows.items()}
    out["_best_omegas"] = np.array(best_omegas)
    return out


def format_study(res):
    from ..utils._benchmarking import format_table

    best = res["best fixed omega in hindsight"]
    inst = res["instance-optimal (Young)"]
    rows = []
    for name, totals in res.items():
        if name.startswith("_"):
            continue
        rows.append([name, f"{totals.mean():,.0f}", f"{(totals / best).mean():.3f}",
                     f"{(totals / inst).mean():.3f}"])
    return format_table(["method", "total iterations (mean)", "vs best fixed",
                         "vs instance-optimal"], rows)


# --------------------------------------------------------------------------------------
# demo and timings
# --------------------------------------------------------------------------------------
def demos():
    def wikipedia():
        import scipy.sparse as sp

        from . import sor

        A = sp.csr_array([[4.0, -1, -6, 0], [-5, -4, 10, 8], [0, 9, 4, -2], [1, 0, -7, 5]])
        x1 = sor(A, [2.0, 21, -12, -6], 0.5, maxiter=1, warn=False).x
        ref = np.array([0.25, -2.78125, 1.6289062, 0.5152344])
        err = float(np.max(np.abs(x1 - ref)))
        return {"result": f"first SOR iterate (omega=0.5) {np.round(x1, 7).tolist()}",
                "check": f"max diff vs Wikipedia {err:.1e}", "ok": err < 1e-7}

    def learned():
        from ..datasets import make_shifted_laplacian_sequence
        from . import RelaxationLearner, sor

        seq = make_shifted_laplacian_sequence(300, random_state=0)
        learner = RelaxationLearner("chebcb", context_range=(-0.15, 0.45), random_state=0)
        learned = sum(learner.solve(A, b, c).n_iter for A, b, c in seq)
        gs = sum(sor(A, b, 1.0).n_iter for A, b, _ in seq)
        return {"result": f"300 shifted Laplacians: ChebCB {learned} SOR iterations, "
                          f"Gauss-Seidel {gs}",
                "check": f"{gs / learned:.1f}x fewer than omega=1", "ok": learned < gs / 2}

    def sketched():
        from . import sketched_lstsq

        rng = np.random.default_rng(0)
        A = rng.standard_normal((20_000, 50)) * np.logspace(0, -4, 50)  # cond ~1e4
        b = A @ rng.standard_normal(50) + 0.1 * rng.standard_normal(20_000)
        res = sketched_lstsq(A, b, random_state=0)
        ref = np.linalg.lstsq(A, b, rcond=None)[0]
        err = float(np.linalg.norm(res.x - ref) / np.linalg.norm(ref))
        return {"result": f"20000x50 least squares, cond ~1e4: {res.n_iter} LSQR iterations "
                          f"on A R^-1 (SRHT sketch, {res.sketch_size} rows)",
                "check": f"rel. diff vs numpy.linalg.lstsq {err:.1e}", "ok": err < 1e-10}

    return [Demo("sor (Wikipedia example)", wikipedia),
            Demo("RelaxationLearner", learned),
            Demo("sketched_lstsq", sketched)]


def _load_bcsstk16():
    import scipy.io
    import scipy.sparse as sp

    with gzip.open(_DATA / "bcsstk16.mtx.gz") as fh:
        A = sp.csr_array(scipy.io.mmread(fh))
    A.sort_indices()
    return A


def _sweep_case(name, make_matrix):
    def make():
        A = make_matrix()
        return A, np.ones(A.shape[0])

    def ours(d):
        from . import relaxation_sweep

        A, b = d
        return relaxation_sweep(A, np.zeros(A.shape[0]), b, 1.5, iterations=10)

    def pyamg(d):
        from pyamg.relaxation.relaxation import sor

        A, b = d
        x = np.zeros(A.shape[0])
        sor(A, x, b, 1.5, iterations=10)
        return x

    return BenchCase(name, make, [Contender("sparseopt relaxation_sweep", ours, ours=True),
                                  Contender("pyamg relaxation.sor", pyamg)],
                     baseline="pyamg relaxation.sor")


def _heat_case(nx, n_steps):
    from ..datasets import make_heat_equation

    def make():
        return make_heat_equation(nx=nx, n_steps=n_steps)

    def scipy_cg(heat):
        from scipy.sparse.linalg import cg

        return heat.run(lambda A, b, x0, k: cg(A, b, x0=x0, rtol=1e-8, atol=0.0)[0])[0]

    def total_iterations(results):
        return sum(r.n_iter for r in results)

    def fixed(heat, omega):
        from . import pcg_ssor

        return heat.run(lambda A, b, x0, k: pcg_ssor(A, b, omega, x0=x0))

    best = Contender("sparseopt pcg_ssor, best fixed omega (hindsight)", None, ours=True)

    def prepare_best(heat):
        totals = [total_iterations(fixed(heat, w)[1]) for w in GRID]
        i = int(np.argmin(totals))
        best.detail = f"omega={GRID[i]:.2f}, {totals[i]} iterations"
        return heat, GRID[i]

    best.prepare = prepare_best
    best.fn = lambda d: fixed(*d)[0]

    def learned(method):
        c = Contender(f"sparseopt pcg_ssor, {method} learned omega", None, ours=True)

        def fn(heat):
            from . import RelaxationLearner

            learner = RelaxationLearner(method, solver="pcg_ssor", context_range=(0.0, 10.0),
                                        random_state=0)
            u, _ = heat.run(lambda A, b, x0, k: learner.solve(A, b, k, x0=x0))
            c.detail = f"{sum(learner.history_['n_iter'])} iterations"
            return u

        c.fn = fn
        return c

    def our_cg(heat):
        from . import pcg_ssor

        return heat.run(lambda A, b, x0, k: pcg_ssor(A, b, None, x0=x0))[0]

    return BenchCase(
        f"heat equation nx={nx} (n={(nx - 1) ** 2}), {n_steps} Crank-Nicolson steps",
        make,
        [learned("tsallis-inf"), learned("chebcb"), best,
         Contender("sparseopt cg (no preconditioner)", our_cg, ours=True),
         Contender("scipy cg (no preconditioner)", scipy_cg)],
        baseline="scipy cg (no preconditioner)",
        notes=("whole sequence timed (building each step's system included for every "
               "contender); warm start from the previous step; tol 1e-8; acceptance: "
               "learned >= 1.5x scipy cg"))


def _lstsq_case(n, d):
    def make():
        rng = np.random.default_rng(0)
        # Gaussian columns scaled over four decades: cond(A) ~ 1e4
        A = rng.standard_normal((n, d)) * np.logspace(0, -4, d)
        b = A @ rng.standard_normal(d) + 0.1 * rng.standard_normal(n)
        return A, b

    def ours(sketch):
        c = Contender(f"sparseopt sketched_lstsq ({sketch}, precondition)", None, ours=True)

        def fn(data):
            from . import sketched_lstsq

            res = sketched_lstsq(*data, sketch=sketch, random_state=0)
            c.detail = f"{res.n_iter} LSQR iterations, sketch {res.sketch_size} rows"
            return res.x

        c.fn = fn
        return c

    def numpy_lstsq(data):
        return np.linalg.lstsq(*data, rcond=None)[0]

    def gelsy(data):
        import scipy.linalg

        return scipy.linalg.lstsq(*data, lapack_driver="gelsy")[0]

    return BenchCase(
        f"lstsq {n:,} x {d} dense, cond ~1e4", make,
        [ours("srht"), ours("countsketch"), Contender("numpy.linalg.lstsq", numpy_lstsq),
         Contender("scipy.linalg.lstsq gelsy", gelsy)],
        baseline="numpy.linalg.lstsq",
        notes="Gaussian design with columns scaled by logspace(0, -4); ours: SRHT (randomized "
              "DCT) or CountSketch sketch of 16 d rows, LSQR on A R^-1 to tol 10 eps from the "
              "sketch-and-solve start; max rel. diff = max |x - x_numpy| / max |x_numpy|")


def benchmarks(quick: bool = False):
    from ..datasets import laplacian_2d

    cases = []
    if (_DATA / "bcsstk16.mtx.gz").exists():
        cases.append(_sweep_case("10 SOR sweeps, bcsstk16 (n=4884, nnz=290k)",
                                 _load_bcsstk16))
    N = 300 if quick else 1000
    cases.append(_sweep_case(f"10 SOR sweeps, 2-D Poisson {N}^2", lambda: laplacian_2d(N)))
    cases[-1].notes = "omega = 1.5, forward sweeps, validation included for both"
    cases.append(_heat_case(*((30, 200) if quick else (100, 1000))))
    cases.append(_lstsq_case(20_000 if quick else 100_000, 200))
    return cases


def studies(quick: bool = False):
    """Reports that are not timings, printed by ``bench`` after its table."""

    def learning():
        trials, T = (2, 1000) if quick else (10, 5000)
        lines = []
        for variance in ("high", "low"):
            res = learning_study(n_trials=trials, n_systems=T, variance=variance)
            lines.append(f"Learned SOR omega, 10x10 Laplacian + c_t I ({variance}-variance "
                         f"shifts), T={T}, {trials} trials, SOR tol 1e-8, x0=0:")
            lines.append(format_study(res))
            lines.append(f"best fixed omega per trial: "
                         f"{sorted(set(np.round(res['_best_omegas'], 2).tolist()))}\n")
        return "\n".join(lines)

    return [learning]
