"""The completion module's rows in ``python -m sparseopt demo`` and ``bench``."""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np

from ..utils._benchmarking import BenchCase, Contender, Demo


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

    return [Demo("SemiNMF exact recovery", seminmf),
            Demo("SoftImputeImputer (50 % NaN)", softimpute)]


# --------------------------------------------------------------------------------------
# benchmarks: ours vs fancyimpute's SoftImpute (dense SVD of the filled matrix per step)
# --------------------------------------------------------------------------------------
def _problem(n, rank=10, frac=0.1, noise=0.1, seed=0):
    """Rank-``rank`` n x n matrix, ``frac`` observed with noise; 20 000 held-out entries."""
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, rank)) @ rng.standard_normal((rank, n))
    obs = rng.uniform(size=M.shape) < frac
    X = np.where(obs, M + noise * rng.standard_normal(M.shape), np.nan)
    hidden = np.flatnonzero(~obs)
    test = rng.choice(hidden, size=min(20_000, hidden.size), replace=False)
    return {"X": X, "test": test, "truth": M.ravel()[test]}


def _measured(contender, run):
    """``run(d) -> predictions on the test entries``; the first (untimed, warm-up) call is
    also run under tracemalloc and records the test RMSE and peak memory as the detail."""
    state = {"first": True}

    def fn(d):
        if not state["first"]:
            return run(d)
        state["first"] = False
        tracemalloc.start()
        pred = run(d)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rmse = np.sqrt(np.mean((pred - d["truth"]) ** 2))
        contender.detail = f"test RMSE {rmse:.4f}, peak {peak / 1e6:.0f} MB"
        return pred

    contender.fn = fn
    return contender


def _ours(lam, tol):
    def run(d):
        from . import soft_impute

        U, s, Vt = soft_impute(d["X"], shrinkage=lam, tol=tol, random_state=0)
        r, c = np.divmod(d["test"], d["X"].shape[1])
        return np.einsum("ij,ij->i", (U * s)[r], Vt.T[c])
    return run


def _fancyimpute(lam):
    def run(d):
        import fancyimpute.soft_impute
        import fancyimpute.solver
        import sklearn.utils

        def check_array(X, force_all_finite=True, **kw):  # renamed in scikit-learn 1.6
            return sklearn.utils.check_array(X, ensure_all_finite=force_all_finite, **kw)

        fancyimpute.solver.check_array = check_array
        fancyimpute.soft_impute.check_array = check_array
        filled = fancyimpute.SoftImpute(shrinkage_value=lam, verbose=False).fit_transform(
            d["X"].copy())
        return filled.ravel()[d["test"]]
    return run


def benchmarks(quick: bool):
    n, big = (500, 1000) if quick else (2000, 5000)
    # lambda above the bulk of the zero-filled noise, ~2 sqrt(n p) (entries of variance
    # rank * frac): below it the first iterates have hundreds of singular values > lambda
    lam = 2.2 * np.sqrt(n * 10 * 0.1)
    lam_big = 2.2 * np.sqrt(big * 10 * 0.1)
    head = Contender("sparseopt soft_impute", None, ours=True)
    peer = Contender("fancyimpute SoftImpute", None)
    cases = [BenchCase(
        f"SoftImpute {n}x{n} rank 10, 10% observed", lambda: _problem(n),
        [_measured(head, _ours(lam, 1e-6)), _measured(peer, _fancyimpute(lam))],
        baseline="fancyimpute SoftImpute", max_repeat=1 if not quick else None,
        notes=(f"same lambda = {lam:.1f}; fancyimpute at its default convergence_threshold "
               "1e-3 (relative change on the missing entries), ours at tol=1e-6 on "
               "||Z_k - Z_k-1||^2 / ||Z_k-1||^2, the tolerance that reaches its test RMSE; "
               "max rel. diff = on the 20 000 held-out predictions"))]
    big_ours = Contender("sparseopt soft_impute", None, ours=True)
    cases.append(BenchCase(
        f"SoftImpute {big}x{big} rank 10, 10% observed", lambda: _problem(big),
        [_measured(big_ours, _ours(lam_big, 1e-6))], baseline="sparseopt soft_impute",
        max_repeat=1 if not quick else None,
        notes=(f"lambda = {lam_big:.1f}; fancyimpute not run: a dense SVD of the filled "
               f"{big}x{big} matrix per iteration, and {8 * big * big / 1e6:.0f} MB per "
               "dense copy (it holds the input, its copy, the mask, the reconstruction "
               "and the SVD factors)")))
    return cases
