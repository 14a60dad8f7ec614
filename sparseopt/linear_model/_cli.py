"""The linear_model rows of ``python -m sparseopt demo`` and ``bench``.

Benchmarks measure the time to reach a relative duality gap of 1e-6, computed for every
solver by the same formula (:func:`sparseopt.bcd.duality_gap`). Each solver's own
``tol`` means something different, so for each one the loosest tol in a sweep whose
solution reaches the target is found first (untimed), then that fit is timed.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..utils._benchmarking import BenchCase, Contender, Demo

TARGET = 1e-6
TOLS = (1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12)


def _quiet_fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)


# ----------------------------------------------------------------- solvers
def _lasso_makers():
    def ours(alpha, tol):
        from . import Lasso

        return Lasso(alpha=alpha, tol=tol, fit_intercept=False)

    def sklearn(alpha, tol):
        from sklearn.linear_model import Lasso

        return Lasso(alpha=alpha, tol=tol, fit_intercept=False, max_iter=1_000_000)

    def skglm(alpha, tol):
        from skglm import Lasso

        return Lasso(alpha=alpha, tol=tol, fit_intercept=False, max_iter=1000)

    def celer(alpha, tol):
        from celer import Lasso

        return Lasso(alpha=alpha, tol=tol, fit_intercept=False, max_iter=1000)

    return {"sparseopt": ours, "scikit-learn": sklearn, "skglm": skglm, "celer": celer}


def _logreg_makers():
    # Every solver minimizes (1/n) sum log(1 + exp(-y x.w)) + alpha ||w||_1; the C of
    # scikit-learn and celer is 1 / (n alpha).
    def ours(alpha, tol, n):
        from . import SparseLogisticRegression

        return SparseLogisticRegression(C=1 / (n * alpha), tol=tol, fit_intercept=False)

    def sklearn(alpha, tol, n):
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=1 / (n * alpha), l1_ratio=1.0, solver="liblinear",
                                  fit_intercept=False, tol=tol, max_iter=10_000)

    def skglm(alpha, tol, n):
        from skglm import SparseLogisticRegression

        return SparseLogisticRegression(alpha=alpha, tol=tol, fit_intercept=False,
                                        max_iter=1000)

    def celer(alpha, tol, n):
        from celer import LogisticRegression

        return LogisticRegression(C=1 / (n * alpha), tol=tol, fit_intercept=False)

    return {"sparseopt": ours, "scikit-learn": sklearn, "skglm": skglm, "celer": celer}


def _time_to_gap_contender(label, make, datafit_penalty, ours):
    """A contender whose prepare() sweeps its tol until the shared gap reaches TARGET."""
    from ..bcd import duality_gap

    contender = Contender(label, fn=None, ours=ours)

    def prepare(data):
        X, y, alpha = data
        for tol in TOLS:
            model = _quiet_fit(make(alpha, tol, X.shape[0]), X, y)
            df, pen = datafit_penalty(alpha)
            rel = duality_gap(df, pen, X, y, np.ravel(model.coef_))[1]
            if rel <= TARGET:
                break
        contender.detail = f"tol={tol:g}" + ("" if rel <= TARGET else f", gap {rel:.0e}!")
        return X, y, alpha, tol

    def fn(inputs):
        X, y, alpha, tol = inputs
        return np.ravel(_quiet_fit(make(alpha, tol, X.shape[0]), X, y).coef_).copy()

    contender.prepare, contender.fn = prepare, fn
    return contender


def _lasso_case(name, make_data, ratio):
    from ..bcd import L1, Quadratic

    def make():
        X, y = make_data()
        alpha = float(np.max(np.abs(X.T @ y)) / X.shape[0] / ratio)
        return X, y, alpha

    contenders = [
        _time_to_gap_contender(label, (lambda a, t, n, mk=mk: mk(a, t)),
                               lambda a: (Quadratic(), L1(a)), label == "sparseopt")
        for label, mk in _lasso_makers().items()
    ]
    return BenchCase(f"Lasso {name} alpha_max/{ratio}", make, contenders,
                     baseline="scikit-learn")


def _logreg_case(name, make_data, ratio):
    from ..bcd import L1, Logistic

    def make():
        X, y = make_data()
        alpha = float(np.max(np.abs(X.T @ y)) / (2 * X.shape[0]) / ratio)
        return X, y, alpha

    contenders = [
        _time_to_gap_contender(label, mk, lambda a: (Logistic(), L1(a)), label == "sparseopt")
        for label, mk in _logreg_makers().items()
    ]
    return BenchCase(f"L1-logistic {name} alpha_max/{ratio}", make, contenders,
                     baseline="scikit-learn")


def _multinomial_case(name, load, C, max_repeat=None):
    """Multinomial L1 logistic regression: time to an objective within TARGET (relative)
    of the best one, the reference being our own fit at tol=1e-12 (scikit-learn's saga at
    tol=1e-10 ends no lower); tols are swept as for the other cases. ``load()`` gives
    (X, y)."""

    def objective(data, model):
        X, y = data
        Z = X @ model.coef_.T + model.intercept_
        codes = np.searchsorted(model.classes_, y)
        loss = np.sum(np.logaddexp.reduce(Z, axis=1) - Z[np.arange(len(y)), codes])
        return C * loss + np.abs(model.coef_).sum()

    def make():
        from . import SparseLogisticRegression

        X, y = load()
        best = objective((X, y), _quiet_fit(SparseLogisticRegression(C=C, tol=1e-12), X, y))
        return X, y, best

    def ours(tol):
        from . import SparseLogisticRegression

        return SparseLogisticRegression(C=C, tol=tol)

    def saga(tol):
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=C, l1_ratio=1.0, solver="saga", tol=tol,
                                  max_iter=100_000)

    contenders = []
    for label, mk, is_ours in (("sparseopt", ours, True),
                               ("scikit-learn saga", saga, False)):
        c = Contender(label, fn=None, ours=is_ours)

        def prepare(data, c=c, mk=mk):
            X, y, best = data
            for tol in TOLS:
                model = _quiet_fit(mk(tol), X, y)
                rel = (objective((X, y), model) - best) / abs(best)
                if rel <= TARGET:
                    break
            c.detail = f"tol={tol:g}" + ("" if rel <= TARGET else f", rel. obj. {rel:.0e}!")
            return X, y, tol

        def fn(inputs, mk=mk):
            X, y, tol = inputs
            return _quiet_fit(mk(tol), X, y).predict_proba(X)

        c.prepare, c.fn = prepare, fn
        contenders.append(c)
    return BenchCase(f"multinomial L1-logistic {name}", make, contenders,
                     baseline="scikit-learn saga", max_repeat=max_repeat,
                     notes=f"time to an objective within {TARGET:g} (relative) of the best "
                           "found; max rel. diff compares predicted probabilities"
                           + ("" if max_repeat is None else
                              f"; at most {max_repeat} timed repeats"))


def _digits(quick):
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    if quick:
        X, y = X[:600], y[:600]
    return StandardScaler().fit_transform(X), y


VIOL_TARGET = 1e-8
VIOL_TOLS = (1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12)


def _folded_makers(kind, gamma):
    """MCP or SCAD least squares, fit_intercept=False. ``tol`` is relative to alpha_max
    (our convention); skglm's tol is an absolute violation, so it gets tol * alpha_max:
    the same number in both conventions."""
    def ours(alpha, tol, amax):
        from . import MCPRegressor, SCADRegressor

        Est = MCPRegressor if kind == "MCP" else SCADRegressor
        return Est(alpha=alpha, gamma=gamma, tol=tol, fit_intercept=False)

    def skglm(alpha, tol, amax):
        if kind == "MCP":
            from skglm import MCPRegression

            return MCPRegression(alpha=alpha, gamma=gamma, tol=tol * amax,
                                 fit_intercept=False, max_iter=1000)
        from skglm import GeneralizedLinearEstimator
        from skglm.datafits import Quadratic
        from skglm.penalties import SCAD
        from skglm.solvers import AndersonCD

        return GeneralizedLinearEstimator(
            Quadratic(), SCAD(alpha, gamma),
            AndersonCD(tol=tol * amax, fit_intercept=False, max_iter=1000))

    return {"sparseopt": ours, "skglm": skglm}


def _folded_case(kind, name, make_data, ratio):
    """MCP (gamma=3) or SCAD (gamma=3.7) regression against skglm: the time to a point
    whose largest first-order optimality violation, computed for both by the same
    formula (ours), is at most VIOL_TARGET relative to alpha_max; each solver's tol is
    swept as in the Lasso cases. A nonconvex problem: the stationary points reached
    differ, so the objectives are shown too."""
    from ..bcd import MCP, SCAD

    gamma = 3.0 if kind == "MCP" else 3.7
    spec = MCP if kind == "MCP" else SCAD

    def make():
        X, y = make_data()
        amax = float(np.max(np.abs(X.T @ y)) / X.shape[0])
        return X, y, amax / ratio, amax

    def measure(X, y, coef, alpha, amax):
        pen = spec(alpha, gamma)._make(X.shape[1])
        grad = X.T @ (X @ coef - y) / X.shape[0]
        viol = float(np.max(pen.py_subdiff_dist(coef, np.ascontiguousarray(grad)),
                            initial=0.0))
        obj = 0.5 * np.mean((y - X @ coef) ** 2) + pen.py_value(coef)
        return obj, viol / amax

    contenders = []
    for label, mk in _folded_makers(kind, gamma).items():
        c = Contender(label, fn=None, ours=label == "sparseopt")

        def prepare(data, c=c, mk=mk):
            X, y, alpha, amax = data
            for tol in VIOL_TOLS:
                coef = np.ravel(_quiet_fit(mk(alpha, tol, amax), X, y).coef_)
                obj, viol = measure(X, y, coef, alpha, amax)
                if viol <= VIOL_TARGET:
                    break
            c.detail = (f"tol={tol:g}, objective {obj:.10g}"
                        + ("" if viol <= VIOL_TARGET else f", violation {viol:.0e}!"))
            return X, y, alpha, amax, tol

        def fn(inputs, mk=mk):
            X, y, alpha, amax, tol = inputs
            return np.ravel(_quiet_fit(mk(alpha, tol, amax), X, y).coef_).copy()

        c.prepare, c.fn = prepare, fn
        contenders.append(c)
    g = f"gamma={gamma:g}"
    return BenchCase(f"{kind} {name} alpha_max/{ratio}", make, contenders, baseline="skglm",
                     notes=f"{kind} ({g}): time to a largest optimality violation "
                           f"<= {VIOL_TARGET:g} x alpha_max by one formula for both; each "
                           "solver's tol swept; nonconvex, so compare the objectives too")


def benchmarks(quick: bool = False):
    from ..datasets import (
        load_diabetes_polynomial,
        make_correlated_regression,
        make_sparse_regression,
        make_sparse_text_classification,
    )

    # (n, p, n_informative) of the dense problem; (n, p, density, n_informative) sparse
    dense_shape = (300, 1500, 20) if quick else (1000, 5000, 50)
    sparse_shape = (2000, 10_000, 2e-3, 100) if quick else (10_000, 50_000, 1e-3, 500)
    ratios = (20,) if quick else (20, 100)
    polys = (3,) if quick else (3, 4)

    def dense():
        n, p, k = dense_shape
        return make_correlated_regression(n, p, n_informative=k, random_state=0)[:2]

    def sparse():
        n, p, d, k = sparse_shape
        return make_sparse_regression(n, p, density=d, n_informative=k, random_state=0)[:2]

    cases = []
    for r in ratios:
        cases.append(_lasso_case(f"dense Toeplitz {'300x1500' if quick else '1000x5000'}",
                                 dense, r))
    for r in ratios:
        cases.append(_lasso_case(f"sparse {'2kx10k' if quick else '10kx50k'}", sparse, r))
    for d in polys:
        for r in ratios:
            cases.append(_lasso_case(f"diabetes poly{d}",
                                     lambda d=d: load_diabetes_polynomial(d), r))

    def logistic_data():
        X, y = dense()
        return X, np.where(y > np.median(y), 1.0, -1.0)

    cases.append(_logreg_case(f"dense Toeplitz {'300x1500' if quick else '1000x5000'}",
                              logistic_data, 10))
    cases.append(_multinomial_case(
        f"digits {'600' if quick else '1797'}x64, 10 classes", lambda: _digits(quick), 0.1))
    # a sparse tf-idf problem with 20 classes (saga needs minutes at tol 1e-6 here)
    text_shape = (400, 1500) if quick else (1000, 4000)
    cases.append(_multinomial_case(
        f"text-like tf-idf {text_shape[0]}x{text_shape[1]} sparse, 20 classes",
        lambda: make_sparse_text_classification(*text_shape, random_state=0), 10.0,
        max_repeat=3))
    for kind in ("MCP", "SCAD"):
        for r in ratios:
            cases.append(_folded_case(
                kind, f"dense Toeplitz {'300x1500' if quick else '1000x5000'}", dense, r))
        for r in ratios:
            cases.append(_folded_case(kind, f"sparse {'2kx10k' if quick else '10kx50k'}",
                                      sparse, r))
        for d in polys:
            cases.append(_folded_case(kind, f"diabetes poly{d}",
                                      lambda d=d: load_diabetes_polynomial(d), 20))
    from ._cli_group import group_benchmarks

    cases.extend(group_benchmarks(quick))
    cases[0].notes = (f"time to relative duality gap {TARGET:g} by the shared formula "
                      "(sparseopt.bcd.duality_gap); each solver's own tol is swept "
                      f"{TOLS[0]:g}..{TOLS[-1]:g} and the loosest that reaches it is timed "
                      "(shown in brackets); fit_intercept=False; float64")
    return cases


def demos():
    def lasso():
        from sklearn.linear_model import Lasso as SkLasso

        from ..datasets import load_diabetes_polynomial
        from . import Lasso

        X, y = load_diabetes_polynomial(3)
        alpha = float(np.max(np.abs(X.T @ y)) / X.shape[0] / 20)
        ours = Lasso(alpha=alpha, tol=1e-12).fit(X, y)
        ref = _quiet_fit(SkLasso(alpha=alpha, tol=1e-12, max_iter=1_000_000), X, y)
        diff = float(np.max(np.abs(ours.coef_ - ref.coef_)))
        return {"result": f"Lasso diabetes poly3 (442x285): {np.count_nonzero(ours.coef_)} "
                          f"nonzeros, rel. gap {ours.dual_gap_:.0e}",
                "check": f"max |coef - sklearn| {diff:.1e}", "ok": diff < 1e-6}

    def logistic():
        from sklearn.datasets import load_breast_cancer
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        from . import SparseLogisticRegression

        X, y = load_breast_cancer(return_X_y=True)
        X = StandardScaler().fit_transform(X)
        ours = SparseLogisticRegression(C=0.1, fit_intercept=False, tol=1e-12).fit(X, y)
        ref = _quiet_fit(LogisticRegression(C=0.1, l1_ratio=1.0, solver="liblinear",
                                            fit_intercept=False, tol=1e-12,
                                            max_iter=100_000), X, y)
        diff = float(np.max(np.abs(ours.coef_ - ref.coef_)))
        return {"result": f"L1-logistic breast cancer (569x30): "
                          f"{np.count_nonzero(ours.coef_)} nonzeros, accuracy "
                          f"{ours.score(X, y):.3f}",
                "check": f"max |coef - liblinear| {diff:.1e}", "ok": diff < 1e-5}

    def cel0():
        import itertools

        from sklearn.datasets import load_diabetes
        from sklearn.preprocessing import StandardScaler

        from . import CEL0Regressor

        X, y = load_diabetes(return_X_y=True)
        X = StandardScaler().fit_transform(X)
        n, p = X.shape
        lam = 20.0  # the cost of a nonzero coefficient (the loss at w = 0 is ~2900)
        model = CEL0Regressor(alpha=lam, tol=1e-12).fit(X, y)
        loss = 0.5 * np.mean((y - model.predict(X)) ** 2)
        ours = loss + lam * np.count_nonzero(model.coef_)  # l0 objective at our solution
        best = np.inf  # the l0 global minimum: every support, with the intercept
        for k in range(p + 1):
            for S in itertools.combinations(range(p), k):
                A = np.column_stack([X[:, list(S)], np.ones(n)])
                r = y - A @ np.linalg.lstsq(A, y, rcond=None)[0]
                best = min(best, 0.5 * r @ r / n + lam * k)
        diff = ours - best
        return {"result": f"CEL0 diabetes (442x10), alpha={lam:g}: "
                          f"{np.count_nonzero(model.coef_)} nonzeros, violation "
                          f"{model.violation_:.0e}",
                "check": f"l0 objective - exhaustive l0 minimum (1024 supports) {diff:.1e}",
                "ok": abs(diff) <= 1e-9 * best}

    from ._cli_group import group_demos

    return [Demo("Lasso", lasso), Demo("SparseLogisticRegression", logistic),
            Demo("CEL0Regressor", cel0), *group_demos()]
