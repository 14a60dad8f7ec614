"""The GroupLasso rows of ``python -m sparseopt demo`` and ``bench`` (included by _cli).

The benchmark measures the time to a relative duality gap of 1e-6 computed by the same
formula for both solvers (:func:`sparseopt.bcd.duality_gap` with a
:class:`~sparseopt.bcd.GroupL1` penalty); each solver's own ``tol`` is swept first
(untimed) and the loosest that reaches the target is timed.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..utils._benchmarking import BenchCase, Contender, Demo

TARGET = 1e-6
TOLS = (1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12)


def group_sparse_problem(n=1000, p=5000, group_size=10, n_active=10, snr=3.0, seed=0,
                         sparse=False):
    """Toeplitz-correlated X (rho 0.5), or a sparse X with density 1e-2 for
    ``sparse=True``; a truth with ``n_active`` nonzero groups of ``group_size``
    consecutive features; y at the given SNR."""
    import scipy.sparse as sp

    from ..datasets import make_correlated_regression

    rng = np.random.default_rng(seed)
    if sparse:
        X = sp.random(n, p, density=1e-2, format="csc", random_state=rng,
                      data_rvs=rng.standard_normal)
    else:
        X = make_correlated_regression(n, p, rho=0.5, random_state=seed)[0]
    w = np.zeros(p)
    for g in rng.choice(p // group_size, n_active, replace=False):
        w[g * group_size:(g + 1) * group_size] = rng.standard_normal(group_size)
    z = X @ w
    y = z + np.std(z) / snr * rng.standard_normal(n)
    return X, y


def _makers(group_size):
    def ours(alpha, tol, weights):
        from . import GroupLasso

        return GroupLasso(groups=group_size, alpha=alpha, weights=weights, tol=tol,
                          fit_intercept=False)

    def skglm(alpha, tol, weights):
        from skglm import GroupLasso

        return GroupLasso(groups=group_size, alpha=alpha, weights=weights, tol=tol,
                          fit_intercept=False, max_iter=1000)

    return {"sparseopt": ours, "skglm": skglm}


def _contender(label, make, group_size):
    from ..bcd import GroupL1, Quadratic, duality_gap

    contender = Contender(label, fn=None, ours=label == "sparseopt")

    def prepare(data):
        X, y, alpha, weights = data
        pen = GroupL1(group_size, alpha, weights=weights)
        for tol in TOLS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = make(alpha, tol, weights).fit(X, y)
            rel = duality_gap(Quadratic(), pen, X, y, np.ravel(model.coef_))[1]
            if rel <= TARGET:
                break
        contender.detail = f"tol={tol:g}" + ("" if rel <= TARGET else f", gap {rel:.0e}!")
        return X, y, alpha, weights, tol

    def fn(inputs):
        X, y, alpha, weights, tol = inputs
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.ravel(make(alpha, tol, weights).fit(X, y).coef_).copy()

    contender.prepare, contender.fn = prepare, fn
    return contender


def group_benchmarks(quick: bool = False) -> list[BenchCase]:
    from ..bcd import GroupL1

    shape = (300, 1500) if quick else (1000, 5000)
    group_size = 10
    ratios = (10,) if quick else (10, 50)
    cases = []
    for sparse in ((False,) if quick else (False, True)):
        for r in ratios:
            def make(r=r, sparse=sparse):
                X, y = group_sparse_problem(*shape, group_size=group_size, sparse=sparse)
                weights = np.full(shape[1] // group_size, np.sqrt(group_size))
                amax = GroupL1(group_size, weights=weights).alpha_max(-(X.T @ y) / len(y))
                return X, y, amax / r, weights

            kind = "sparse d=1e-2" if sparse else "dense Toeplitz"
            cases.append(BenchCase(
                f"GroupLasso {kind} {shape[0]}x{shape[1]}, groups of {group_size}, "
                f"alpha_max/{r}", make,
                [_contender(label, mk, group_size)
                 for label, mk in _makers(group_size).items()],
                baseline="skglm",
                notes=(f"time to relative duality gap {TARGET:g} by the shared formula "
                       "(sparseopt.bcd.duality_gap with GroupL1); each solver's tol swept "
                       f"{TOLS[0]:g}..{TOLS[-1]:g}, the loosest reaching it timed; "
                       "weights sqrt(10) for both; fit_intercept=False")))
    return cases


def group_demos() -> list[Demo]:
    def group_lasso():
        import cvxpy as cp

        from . import GroupLasso

        X, y = group_sparse_problem(200, 60, group_size=5, n_active=3, seed=1)
        groups = [list(range(g, g + 5)) for g in range(0, 60, 5)]
        alpha = 0.05
        model = GroupLasso(groups=5, alpha=alpha, tol=1e-12).fit(X, y)
        w, b = cp.Variable(60), cp.Variable()
        obj = (cp.sum_squares(y - X @ w - b) / (2 * len(y))
               + alpha * sum(np.sqrt(5) * cp.norm(w[g]) for g in groups))
        prob = cp.Problem(cp.Minimize(obj))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12,
                       tol_feas=1e-12)
        r = y - X @ model.coef_ - model.intercept_
        ours = float(r @ r / (2 * len(y)) + alpha * np.sqrt(5) * sum(
            np.linalg.norm(model.coef_[g]) for g in groups))
        diff = ours - prob.value
        active = sum(bool(np.any(model.coef_[g])) for g in groups)
        return {"result": f"GroupLasso 200x60, 12 groups of 5: {active} active groups, "
                          f"rel. gap {model.dual_gap_:.0e}",
                "check": f"objective - cvxpy {diff:.1e}",
                "ok": abs(diff) <= 1e-7 * max(1.0, abs(prob.value))}

    return [Demo("GroupLasso", group_lasso)]
