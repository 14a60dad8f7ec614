"""The bayes module's rows in ``python -m sparseopt demo`` and ``bench``.

``bench bayes`` times one SBL iteration against classical SBL and scikit-learn's
``ARDRegression`` at the paper's size, measures KroneckerSBL's memory at N = 27,000, and
reproduces the recovery study of He and Joseph (2024): see :func:`recovery_study`.
"""

from __future__ import annotations

import time
import tracemalloc
import warnings

import numpy as np

from ..utils._benchmarking import BenchCase, Contender, Demo, format_table

SNRS = (5, 10, 15, 20, 25, 30)
PAPER_SHAPES = ((8, 15), (12, 15), (15, 15))
METHODS = ("KroSBL (SVD)", "KroSBL (AM)", "SBL", "OMP", "Kronecker OMP", "oracle LS")


def nmse(x_hat, x) -> float:
    """Normalized squared error :math:`\\|\\hat x - x\\|^2 / \\|x\\|^2`."""
    return float(np.sum(np.abs(x_hat - x) ** 2) / np.sum(np.abs(x) ** 2))


def support_recovery_rate(x_hat, x) -> float:
    """:math:`|\\hat S \\cap S| / |\\hat S \\cup S|` with :math:`\\hat S = \\{|\\hat x_n| >
    10^{-3}\\max|\\hat x|\\}` (the paper's definition)."""
    true = np.abs(x) > 0
    scale = np.abs(x_hat).max()
    est = np.abs(x_hat) > 1e-3 * scale if scale > 0 else np.zeros_like(true)
    return float(np.sum(true & est) / np.sum(true | est))


def _dense(factors):
    A = factors[0]
    for F in factors[1:]:
        A = np.kron(A, F)
    return A


def _omp(A, y, tol):
    """scikit-learn's OMP at residual ``tol`` on unit-norm columns (its documented
    assumption: unnormalized columns bias the selection toward long ones), rescaled back."""
    from sklearn.linear_model import OrthogonalMatchingPursuit

    norms = np.linalg.norm(A, axis=0)
    norms[norms == 0] = 1.0
    coef = OrthogonalMatchingPursuit(tol=tol, fit_intercept=False).fit(A / norms, y).coef_
    return coef / norms


def solve_all(factors, y, x, noise_var, methods=METHODS):
    """Estimates of ``x`` by each method, with the known noise variance, and their times."""
    from . import KroneckerSBL, SparseBayesianRegression, kronecker_omp

    out = {}
    A = None
    M = len(y)
    for name in methods:
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if name == "KroSBL (SVD)":
                est = KroneckerSBL(method="svd", noise_var=noise_var, max_iter=150) \
                    .fit(factors, y).coef_
            elif name == "KroSBL (AM)":
                est = KroneckerSBL(method="am", noise_var=noise_var, max_iter=150) \
                    .fit(factors, y).coef_
            elif name == "Kronecker OMP":
                est = kronecker_omp(factors, y, tol=M * noise_var)
            else:
                A = _dense(factors) if A is None else A
                if name == "SBL":
                    est = SparseBayesianRegression(noise_var=noise_var, max_iter=150)\
                        .fit(A, y).coef_
                elif name == "OMP":
                    est = _omp(A, y, M * noise_var)
                elif name == "oracle LS":
                    supp = np.flatnonzero(x)
                    est = np.zeros_like(x)
                    est[supp] = np.linalg.lstsq(A[:, supp], y, rcond=None)[0]
                else:
                    raise ValueError(f"unknown method {name!r}")
        out[name] = (est, time.perf_counter() - t0)
    return out


def recovery_study(*, n_trials=50, snrs=SNRS, factor_shapes=PAPER_SHAPES, n_nonzero=3,
                   methods=METHODS, slow_trials=None, random_state=0, progress=None):
    """NMSE and support-recovery rate against SNR over random trials (the paper's Fig. 1a).

    Each trial draws new factors and a new sparse vector, as the reference code does.
    ``slow_trials`` (default: all) limits classical SBL (its dense E-step takes 15-40 s a
    run at the paper's size) to the first trials of each SNR. Returns a dict of arrays of
    shape (len(methods), len(snrs), n_trials): ``"nmse"``, ``"srr"``, ``"seconds"``, NaN where
    a method did not run.
    """
    from ..datasets import make_kronecker_sparse

    slow = n_trials if slow_trials is None else slow_trials
    shape = (len(methods), len(snrs), n_trials)
    res = {k: np.full(shape, np.nan) for k in ("nmse", "srr", "seconds")}
    rng = np.random.default_rng(random_state)
    dense_methods = {"SBL"}
    for j, snr in enumerate(snrs):
        for t in range(n_trials):
            factors, y, x, nv = make_kronecker_sparse(
                factor_shapes, n_nonzero=n_nonzero, snr_db=snr,
                random_state=int(rng.integers(2**31)))
            run = [m for m in methods if t < slow or m not in dense_methods]
            out = solve_all(factors, y, x, nv, run)
            for m, (est, sec) in out.items():
                i = methods.index(m)
                res["nmse"][i, j, t] = nmse(est, x)
                res["srr"][i, j, t] = support_recovery_rate(est, x)
                res["seconds"][i, j, t] = sec
            if progress is not None:
                progress()
    return res


def format_study(res, methods=METHODS, snrs=SNRS) -> str:
    """The study's tables (means over the trials each method ran) and the goal's check."""
    n_trials = res["nmse"].shape[2]
    counts = np.sum(~np.isnan(res["nmse"][:, 0, :]), axis=1)
    lines = [f"KroSBL recovery study (He & Joseph 2024, Fig. 1a): factors {PAPER_SHAPES}, "
             f"3 nonzeros per factor (27 in x), known noise, {n_trials} trials per SNR; "
             "trials per method: "
             + ", ".join(f"{m} {c}" for m, c in zip(methods, counts, strict=True))]
    means = {k: np.nanmean(v, axis=2) for k, v in res.items()}
    means["median"] = np.nanmedian(res["nmse"], axis=2)
    means["fails"] = np.sum(res["nmse"] > 0.1, axis=2)
    for key, label, fmt in (("nmse", "NMSE (mean)", "{:.2e}"),
                            ("median", "NMSE (median)", "{:.2e}"),
                            ("fails", "trials with NMSE > 0.1", "{:d}"),
                            ("srr", "support recovery rate (mean)", "{:.3f}"),
                            ("seconds", "seconds per run (mean)", "{:.3f}")):
        rows = [[m] + [fmt.format(v.item()) for v in means[key][i]]
                for i, m in enumerate(methods)]
        lines.append("\n" + label + "\n" + format_table(
            ["method"] + [f"{s} dB" for s in snrs], rows))
    # the goal, on the trials every compared method ran (paired)
    both = ~np.any(np.isnan(res["nmse"]), axis=0)
    verdicts = []
    for m in (m for m in methods if m.startswith("KroSBL")):
        i = methods.index(m)
        wins = []
        for j in range(len(snrs)):
            mine = res["nmse"][i, j][both[j]].mean()
            other = min(res["nmse"][methods.index(o), j][both[j]].mean()
                        for o in ("SBL", "OMP") if o in methods)
            wins.append(mine < other)
        verdicts.append(f"{m}: {sum(wins)}/{len(snrs)} SNRs")
    first = [f"{m} " + " ".join(f"{v:.2e}" for v in
                               np.nanmean(np.where(both[None], res["nmse"], np.nan)[i], axis=1))
             for i, m in enumerate(methods)]
    lines.append("\nNMSE (mean) on the trials every method ran:\n  " + "\n  ".join(first))
    lines.append("\nKroSBL mean NMSE below both SBL's and OMP's, on the trials all ran: "
                 + "; ".join(verdicts))
    return "\n".join(lines)


def demos():
    def recovery():
        from ..datasets import make_kronecker_sparse

        factors, y, x, nv = make_kronecker_sparse(snr_db=25, random_state=3)
        out = solve_all(factors, y, x, nv, ("KroSBL (SVD)", "oracle LS"))
        (est, sec), (oracle, _) = out["KroSBL (SVD)"], out["oracle LS"]
        e_k, e_o = nmse(est, x), nmse(oracle, x)
        return {"result": f"x in R^3375 (27 nonzeros) from 1440 measurements (8x12x15), "
                          f"25 dB: KroneckerSBL NMSE {e_k:.1e} in {sec:.2f} s",
                "check": f"least squares on the true support {e_o:.1e} (within 3x)",
                "ok": e_k <= 3 * e_o}

    def channel():
        from ..datasets import make_irs_mimo_channel

        d = make_irs_mimo_channel(snr_db=16, random_state=0)
        err = {m: channel_nmse(d, est) for m, (est, _) in
               solve_irs(d, ("KroSBL (SVD)", "oracle LS")).items()}
        return {"result": f"IRS-MIMO channel (6x16 antennas, 256 IRS elements, 18^3 "
                          f"angular grid) from {len(d.y)} pilots, 16 dB: KroSBL channel "
                          f"NMSE {err['KroSBL (SVD)']:.1e}",
                "check": f"oracle least squares {err['oracle LS']:.1e}",
                "ok": err["KroSBL (SVD)"] < 1e-2}

    return [Demo("KroneckerSBL recovery", recovery), Demo("KroneckerSBL IRS channel", channel)]


IRS_METHODS = ("KroSBL (SVD)", "KroSBL (AM)", "PC-KroSBL (SVD)", "PC-KroSBL (AM)", "SBL",
               "OMP", "oracle LS")
IRS_SNRS = (4, 8, 12, 16, 20)


def channel_nmse(d, x_hat) -> float:
    """Cascaded-channel NMSE of an angular estimate, averaged over the IRS patterns."""
    from . import kron_matvec

    shape = (len(d.channels), d.channels.shape[2], d.channels.shape[1])
    H = kron_matvec(d.channel_factors, x_hat).reshape(shape).transpose(0, 2, 1)
    num = np.sum(np.abs(H - d.channels) ** 2, axis=(1, 2))
    return float(np.mean(num / np.sum(np.abs(d.channels) ** 2, axis=(1, 2))))


def solve_irs(d, methods=IRS_METHODS, max_iter=1000):
    """Angular-domain estimates for an IRS channel problem (known noise variance)."""
    from . import KroneckerSBL, SparseBayesianRegression

    out, A = {}, None
    for name in methods:
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if "KroSBL" in name:
                kw = {"method": "svd" if "SVD" in name else "am",
                      "coupling": (0.5, 0.0, 0.5) if name.startswith("PC") else 0.0}
                est = KroneckerSBL(noise_var=d.noise_var, max_iter=max_iter, **kw) \
                    .fit(d.factors, d.y).coef_
            else:
                A = _dense(d.factors) if A is None else A
                if name == "SBL":  # 150 iterations (the paper's cap): ~15 s a run here
                    est = SparseBayesianRegression(noise_var=d.noise_var, max_iter=150) \
                        .fit(A, d.y).coef_
                elif name == "OMP":  # scikit-learn's OMP is real-only: stack Re and Im
                    Ar = np.block([[A.real, -A.imag], [A.imag, A.real]])
                    yr = np.concatenate([d.y.real, d.y.imag])
                    c = _omp(Ar, yr, len(d.y) * d.noise_var)
                    est = c[:A.shape[1]] + 1j * c[A.shape[1]:]
                else:
                    supp = np.flatnonzero(d.x)
                    est = np.zeros_like(d.x)
                    est[supp] = np.linalg.lstsq(A[:, supp], d.y, rcond=None)[0]
        out[name] = (est, time.perf_counter() - t0)
    return out


def irs_study(*, n_trials=20, snrs=IRS_SNRS, methods=IRS_METHODS, random_state=0):
    """Cascaded-channel NMSE against SNR on :func:`make_irs_mimo_channel` problems."""
    from ..datasets import make_irs_mimo_channel

    rng = np.random.default_rng(random_state)
    err = np.zeros((len(methods), len(snrs), n_trials))
    sec = np.zeros_like(err)
    for j, snr in enumerate(snrs):
        for t in range(n_trials):
            d = make_irs_mimo_channel(snr_db=snr, random_state=int(rng.integers(2**31)))
            for i, (est, s) in enumerate(solve_irs(d, methods).values()):
                err[i, j, t], sec[i, j, t] = channel_nmse(d, est), s
    rows = [[m] + [f"{v:.2e}" for v in err[i].mean(1)] + [f"{sec[i].mean():.2f}"]
            for i, m in enumerate(methods)]
    return (f"IRS-aided MIMO channel estimation (make_irs_mimo_channel defaults: 6 MS / 16 BS "
            f"antennas, 256 IRS elements, 18^3 grid, 3 pilots x 6 patterns, angle spread 3; "
            f"known noise, max_iter=1000 (SBL: 150), {n_trials} trials per SNR): mean channel "
            "NMSE\n"
            + format_table(["method"] + [f"{s} dB" for s in snrs] + ["s per run"], rows))


def _iteration_problem():
    from ..datasets import make_kronecker_sparse

    factors, y, x, nv = make_kronecker_sparse(PAPER_SHAPES, snr_db=25, random_state=0)
    return factors, _dense(factors), y, nv


def _ten_iterations(kind):
    def run(data):
        from sklearn.linear_model import ARDRegression

        from . import KroneckerSBL, SparseBayesianRegression

        factors, A, y, nv = data
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "kron":
                m = KroneckerSBL(noise_var=nv, max_iter=10, tol=0).fit(factors, y)
            elif kind == "sbl":
                m = SparseBayesianRegression(noise_var=nv, max_iter=10, tol=0).fit(A, y)
            else:
                m = ARDRegression(max_iter=10, tol=0, fit_intercept=False).fit(A, y)
        return m.coef_

    return run


def benchmarks(quick: bool = False):
    nits = "10 iterations each, tol=0 (per-iteration ratio = time ratio)"
    contenders = [
        Contender("sparseopt KroneckerSBL", _ten_iterations("kron"), ours=True),
        Contender("sparseopt SparseBayesianRegression (dense E-step)",
                  _ten_iterations("sbl")),
        Contender("sklearn ARDRegression", _ten_iterations("ard")),
    ]
    case = BenchCase("SBL iterations, N=3375 (8x12x15 / 15^3), M=1440", _iteration_problem,
                     contenders, baseline=contenders[2].label,
                     discrepancy=lambda ref, out: float("nan"), max_repeat=3)
    case.notes = (f"{nits}; acceptance: KroneckerSBL per-iteration >= 100x faster than "
                  "classical SBL and than ARDRegression")
    return [case]


_RSS_SCRIPT = """
import resource, sys, time
from sparseopt.bayes import KroneckerSBL
from sparseopt.datasets import make_kronecker_sparse
factors, y, x, nv = make_kronecker_sparse({shapes!r}, snr_db=25, random_state=0)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
KroneckerSBL(noise_var=nv).fit(factors, y)
print(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def memory_report(shapes=((16, 30), (24, 30), (30, 30))) -> str:
    """Memory of a KroneckerSBL fit at N = 30^3: traced peak (tracemalloc, numpy's buffers
    included) and the peak resident size of a fresh process doing only that fit."""
    import subprocess
    import sys

    from ..datasets import make_kronecker_sparse
    from . import KroneckerSBL

    factors, y, x, nv = make_kronecker_sparse(shapes, snr_db=25, random_state=0)
    N, M = x.size, y.size
    tracemalloc.start()
    t0 = time.perf_counter()
    model = KroneckerSBL(noise_var=nv).fit(factors, y)
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    out = subprocess.run([sys.executable, "-c", _RSS_SCRIPT.format(shapes=shapes)],
                         capture_output=True, text=True, check=True).stdout.split()
    rss_before, rss_after = (int(v) / 1024 for v in out[-2:])  # KiB -> MiB (Linux)
    ard = (N * N + M * N) * 8  # its p x p sigma_ plus the dense design it would need
    return (f"KroneckerSBL at N = {N:,} (factors {shapes}, M = {M:,}): {model.n_iter_} "
            f"iterations in {seconds:.2f} s, NMSE {nmse(model.coef_, x):.1e}; peak traced "
            f"memory of the fit {peak / 2**20:.1f} MiB; peak resident size of a fresh "
            f"process {rss_after:.0f} MiB ({rss_before:.0f} MiB before the fit: "
            f"interpreter, numpy, scipy, scikit-learn). ARDRegression would hold a "
            f"{N:,} x {N:,} float64 covariance plus the {M:,} x {N:,} design: "
            f"{ard / 2**30:.1f} GiB (not run)")


def studies(quick: bool = False):
    def memory():
        return memory_report()

    def recovery():
        n_trials, slow = (5, 2) if quick else (50, 10)
        from ..utils._benchmarking import Progress

        bar = Progress(n_trials * len(SNRS), label="KroSBL study")
        res = recovery_study(n_trials=n_trials, slow_trials=slow, progress=bar.step)
        print()
        return format_study(res)

    def irs():  # classical SBL (10-20 s a run here) is left to the recovery study
        return irs_study(n_trials=2 if quick else 5,
                         methods=tuple(m for m in IRS_METHODS if m != "SBL"))

    return [memory, irs, recovery]
