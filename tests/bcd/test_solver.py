"""The BCD engine against convex oracles (cvxpy + Clarabel) and its own invariants."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose

from sparseopt.bcd import (
    L1,
    L2,
    ElasticNet,
    GreedyBCD,
    Huber,
    Logistic,
    Quadratic,
    duality_gap,
)
from sparseopt.exceptions import ConvergenceWarning

cp = pytest.importorskip("cvxpy")


def _problem(rng, n=100, p=200, sparse=False, k=10):
    X = rng.standard_normal((n, p))
    if sparse:
        X = X * (rng.random((n, p)) < 0.2)
    w = np.zeros(p)
    w[rng.choice(p, k, replace=False)] = rng.standard_normal(k)
    y = X @ w + 0.5 + 0.1 * rng.standard_normal(n)
    return (sp.csc_array(X) if sparse else X), X, y


HUBER_DELTA = 0.3


def _cvxpy_objective(datafit, X, y, alpha, l1_ratio, sw, fit_intercept, positive):
    n, p = X.shape
    s = np.ones(n) if sw is None else sw
    S = s.sum()
    w = cp.Variable(p, nonneg=positive)
    b = cp.Variable() if fit_intercept else 0.0
    z = X @ w + b
    if datafit == "quadratic":
        f = cp.sum(cp.multiply(s, cp.square(y - z))) / (2 * S)
    elif datafit == "huber":  # cvxpy's huber(r, M) is twice ours with delta = M
        f = cp.sum(cp.multiply(s, cp.huber(y - z, HUBER_DELTA))) / (2 * S)
    else:
        f = cp.sum(cp.multiply(s, cp.logistic(-cp.multiply(y, z)))) / S
    g = alpha * (l1_ratio * cp.norm1(w) + 0.5 * (1 - l1_ratio) * cp.sum_squares(w))
    prob = cp.Problem(cp.Minimize(f + g))
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10,
               max_iter=500)
    return prob.value


def _our_objective(datafit, X, y, alpha, l1_ratio, sw, coef, intercept):
    s = np.ones(len(y)) if sw is None else sw
    z = X @ coef + intercept
    if datafit == "quadratic":
        f = np.sum(s * (y - z) ** 2) / (2 * s.sum())
    elif datafit == "huber":
        r = np.abs(y - z)
        d = HUBER_DELTA
        f = np.sum(s * np.where(r <= d, r**2 / 2, d * (r - d / 2))) / s.sum()
    else:
        f = np.sum(s * np.logaddexp(0, -y * z)) / s.sum()
    return f + alpha * (l1_ratio * np.abs(coef).sum() + 0.5 * (1 - l1_ratio) * coef @ coef)


@pytest.mark.parametrize("update", ["coordinate", "newton", "gsd-blocks"])
@pytest.mark.parametrize("datafit", ["quadratic", "logistic", "huber"])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.7])
@pytest.mark.parametrize("fit_intercept, weighted, positive", [
    (False, False, False), (True, False, False), (True, True, False), (False, True, True),
])
def test_objective_matches_cvxpy(rng, update, datafit, sparse, l1_ratio, fit_intercept,
                                 weighted, positive):
    Xin, X, y = _problem(rng, sparse=sparse)
    if datafit == "logistic":
        y = np.where(y > np.median(y), 1.0, -1.0)
    sw = rng.uniform(0.2, 3.0, len(y)) if weighted else None
    df = {"quadratic": Quadratic(), "logistic": Logistic(),
          "huber": Huber(HUBER_DELTA)}[datafit]
    grad0 = X.T @ ((-y / 2 if datafit == "logistic" else (y - y.mean())) / len(y))
    alpha = np.abs(grad0).max() / 10
    pen = ElasticNet(alpha, l1_ratio, positive=positive)
    kw = {"update": update}
    if update == "gsd-blocks":  # a greedy rule on variable blocks, exact block updates
        kw = {"selection": "gsd", "blocks": "variable", "block_size": 4, "update": "newton"}
    res = GreedyBCD(df, pen, tol=1e-12, max_iter=500, **kw).solve(
        Xin, y, sample_weight=sw, fit_intercept=fit_intercept)
    assert res.converged and res.rel_gap <= 1e-12
    ours = _our_objective(datafit, X, y, alpha, l1_ratio, sw, res.coef, res.intercept)
    ref = _cvxpy_objective(datafit, X, y, alpha, l1_ratio, sw, fit_intercept, positive)
    assert abs(ours - ref) <= 1e-7 * abs(ref)
    # The interior-point solution cannot be better than ours beyond its own accuracy.
    assert ours <= ref * (1 + 1e-9)
    if positive:
        assert res.coef.min() >= 0


def test_gap_is_a_certificate(rng):
    # The certified gap bounds the true suboptimality (computed against a tight solve).
    _, X, y = _problem(rng)
    alpha = np.abs(X.T @ y).max() / len(y) / 20
    loose = GreedyBCD(Quadratic(), L1(alpha), tol=1e-3).solve(X, y)
    tight = GreedyBCD(Quadratic(), L1(alpha), tol=1e-14).solve(X, y)
    f = lambda w: _our_objective("quadratic", X, y, alpha, 1.0, None, w, 0.0)  # noqa: E731
    subopt = f(loose.coef) - f(tight.coef)
    assert -1e-15 <= subopt <= loose.gap * (1 + 1e-9)
    gap, rel = duality_gap(Quadratic(), L1(alpha), X, y, loose.coef)
    assert_allclose(gap, loose.gap, rtol=1e-8)


def test_l2_only_matches_ridge_closed_form(rng):
    _, X, y = _problem(rng, n=80, p=30)
    alpha = 0.3
    res = GreedyBCD(Quadratic(), L2(alpha), tol=1e-14, max_iter=1000).solve(X, y)
    n = len(y)
    w = np.linalg.solve(X.T @ X / n + alpha * np.eye(X.shape[1]), X.T @ y / n)
    # The objective is alpha-strongly convex: ||w - w*||^2 <= 2 gap / alpha.
    bound = np.sqrt(2 * max(res.gap, 0.0) / alpha) + 1e-12
    assert np.linalg.norm(res.coef - w) <= bound
    assert bound < 1e-5


def test_unpenalized_features_and_alpha_zero(rng):
    _, X, y = _problem(rng, n=80, p=10)
    weights = np.ones(10)
    weights[:3] = 0.0
    res = GreedyBCD(Quadratic(), L1(0.5, weights=weights), tol=1e-12).solve(X, y)
    assert np.all(res.coef[:3] != 0)
    ols = np.linalg.lstsq(X, y, rcond=None)[0]
    res0 = GreedyBCD(Quadratic(), L1(0.0), tol=1e-14, max_iter=1000).solve(X, y)
    assert_allclose(res0.coef, ols, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("selection", ["cyclic", "random"])
def test_selection_rules_reach_the_same_solution(rng, selection):
    Xin, _, y = _problem(rng)
    alpha = 0.05
    ref = GreedyBCD(Quadratic(), L1(alpha), tol=1e-13).solve(Xin, y)
    res = GreedyBCD(Quadratic(), L1(alpha), selection=selection, tol=1e-13,
                    random_state=0).solve(Xin, y)
    assert_allclose(res.coef, ref.coef, atol=1e-6)


def test_anderson_off_gives_same_solution(rng):
    Xin, _, y = _problem(rng)
    a = GreedyBCD(Quadratic(), L1(0.05), tol=1e-13, anderson=0).solve(Xin, y)
    b = GreedyBCD(Quadratic(), L1(0.05), tol=1e-13).solve(Xin, y)
    assert_allclose(a.coef, b.coef, atol=1e-6)


def test_warm_start_from_solution_stops_at_once(rng):
    _, X, y = _problem(rng)
    solver = GreedyBCD(Quadratic(), L1(0.05), tol=1e-10)
    res = solver.solve(X, y, fit_intercept=True)
    again = solver.solve(X, y, fit_intercept=True, coef_init=res.coef,
                         intercept_init=res.intercept)
    assert again.n_iter == 1 and again.n_epochs == 0


def test_history_and_nonconvergence_warning(rng):
    _, X, y = _problem(rng)
    with pytest.warns(ConvergenceWarning, match="relative duality gap .* > tol"):
        res = GreedyBCD(Quadratic(), L1(0.01), tol=1e-15, max_iter=2, max_epochs=1).solve(X, y)
    assert not res.converged and len(res.history) == 2
    assert {"rel_gap", "primal", "violation", "ws_size", "epochs", "time"} <= set(res.history[0])


def test_unreachable_tol_stops_on_stagnation(rng):
    # A tol below the gap's floating-point floor must not spin until max_iter.
    _, X, y = _problem(rng)
    with pytest.warns(ConvergenceWarning, match="stopped decreasing"):
        res = GreedyBCD(Quadratic(), L1(0.05, positive=True), tol=1e-30,
                        max_iter=1000).solve(X, y)
    assert not res.converged and res.n_iter < 100 and res.rel_gap < 1e-13


def test_empty_and_degenerate_inputs():
    X = np.zeros((5, 3))
    y = np.arange(5.0)
    res = GreedyBCD(Quadratic(), L1(0.1), tol=1e-12).solve(X, y, fit_intercept=True)
    assert_allclose(res.coef, 0.0)
    assert_allclose(res.intercept, 2.0)
    res = GreedyBCD(Quadratic(), L1(0.1)).solve(np.zeros((4, 0)), np.ones(4))
    assert res.coef.shape == (0,)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"selection": "nope"}, ValueError, "selection must be one of"),
    ({"tol": -1.0}, ValueError, r"tol must be in \[0, inf\)"),
    ({"max_iter": 0}, ValueError, "max_iter must be in"),
    ({"update": "exact"}, ValueError, "update must be one of"),
])
def test_solver_parameter_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        GreedyBCD(Quadratic(), L1(0.1), **kwargs).solve(np.eye(3), np.ones(3))


def test_solver_input_errors():
    solver = GreedyBCD(Quadratic(), L1(0.1))
    with pytest.raises(ValueError, match="y must have 3 entries"):
        solver.solve(np.eye(3), np.ones(4))
    with pytest.raises(ValueError, match="X must not contain NaN"):
        solver.solve(np.full((3, 3), np.nan), np.ones(3))
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        solver.solve(np.eye(3), np.ones(3), sample_weight=[1, -1, 1])
    with pytest.raises(ValueError, match="y must hold labels -1 and \\+1"):
        GreedyBCD(Logistic(), L1(0.1)).solve(np.eye(3), np.array([0.0, 1.0, 2.0]))
    with pytest.raises(TypeError, match="datafit must be a sparseopt.bcd Datafit"):
        GreedyBCD("quadratic", L1(0.1)).solve(np.eye(3), np.ones(3))
    with pytest.raises(ValueError, match=r"alpha must be in \[0, inf\)"):
        L1(-1.0)
    with pytest.raises(ValueError, match=r"l1_ratio must be in \[0, 1\]"):
        ElasticNet(1.0, l1_ratio=1.5)


@pytest.mark.parametrize("selection", ["cyclic", "random"])
@pytest.mark.parametrize("anderson", [0, 5])
def test_gram_and_residual_inner_loops_agree(rng, monkeypatch, selection, anderson):
    # Least squares on a dense X runs the working set through its Gram matrix when that
    # is predicted to be cheaper; force each loop and compare (intercept, weights,
    # positivity and an L2 part included).
    from sparseopt.bcd import solver as solver_module

    # A large intercept and zero weights (the case that once broke the O(m) objective
    # of the Gram loop's Anderson test).
    _, X, y = _problem(rng, n=150, p=60)
    y = y + 20.0
    sw = rng.integers(0, 4, len(y)).astype(float)
    pen = ElasticNet(0.05, 0.7, positive=True)
    out = {}
    for mode, pays in [("gram", True), ("residual", False)]:
        monkeypatch.setattr(solver_module, "_gram_pays", lambda *a, pays=pays: pays)
        out[mode] = GreedyBCD(Quadratic(), pen, selection=selection, anderson=anderson,
                              tol=1e-13, random_state=0).solve(
            X, y, sample_weight=sw, fit_intercept=True)
        assert out[mode].converged
    assert_allclose(out["gram"].coef, out["residual"].coef, atol=1e-6)
    assert_allclose(out["gram"].intercept, out["residual"].intercept, atol=1e-6)


@pytest.mark.parametrize("datafit", ["quadratic", "logistic", "huber"])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept, weighted, positive, l1_ratio", [
    (False, False, False, 1.0), (True, True, False, 1.0), (True, False, True, 0.8),
])
def test_screening_is_safe(rng, datafit, sparse, fit_intercept, weighted, positive, l1_ratio):
    # Every feature screened out is zero at the optimum, the solution is unchanged, and
    # the reported gap (of the reduced problem) still bounds the suboptimality.
    Xin, X, y = _problem(rng, sparse=sparse)
    if datafit == "logistic":
        y = np.where(y > np.median(y), 1.0, -1.0)
    sw = rng.uniform(0.2, 3.0, len(y)) if weighted else None
    df = {"quadratic": Quadratic(), "logistic": Logistic(), "huber": Huber(HUBER_DELTA)}[datafit]
    r0 = {"logistic": -y / 2, "quadratic": y - y.mean(),
          "huber": np.clip(y - np.median(y), -HUBER_DELTA, HUBER_DELTA)}[datafit]
    pen = ElasticNet(np.abs(X.T @ r0 / len(y)).max() / 4, l1_ratio, positive=positive)
    kw = dict(sample_weight=sw, fit_intercept=fit_intercept)
    ref = GreedyBCD(df, pen, tol=1e-13, screening=False).solve(Xin, y, **kw)
    res = GreedyBCD(df, pen, tol=1e-6, screening=True).solve(Xin, y, **kw)
    assert res.screened.size > 0  # at alpha_max / 4 most features go
    assert np.all(ref.coef[res.screened] == 0)
    assert np.all(res.coef[res.screened] == 0)
    F = _our_objective(datafit, X, y, pen.alpha, l1_ratio, sw, res.coef, res.intercept)
    F_ref = _our_objective(datafit, X, y, pen.alpha, l1_ratio, sw, ref.coef, ref.intercept)
    assert F - F_ref <= res.gap + 1e-12 * abs(F_ref)


def test_screening_off_with_unpenalized_features(rng):
    # theta is not dual-feasible when a feature is unpenalized: no screening then.
    _, X, y = _problem(rng)
    weights = np.ones(X.shape[1])
    weights[0] = 0.0
    res = GreedyBCD(Quadratic(), L1(0.5, weights=weights), tol=1e-8,
                    screening=True).solve(X, y)
    assert res.screened.size == 0


@pytest.mark.parametrize("seed", range(3))
def test_gram_loop_objective_never_increases(seed, monkeypatch):
    # Nearly square, small alpha, zero weights, an intercept: the Anderson test of the
    # Gram loop compares objectives computed in O(m); if they are wrong it accepts bad
    # extrapolations and the objective climbs between outer iterations.
    from sparseopt.bcd import solver as solver_module

    monkeypatch.setattr(solver_module, "_gram_pays", lambda *a: True)
    monkeypatch.setattr(solver_module, "_support_solve", lambda *a: None)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((45, 30))
    y = X @ rng.standard_normal(30) + 3.0 + 0.1 * rng.standard_normal(45)
    sw = np.where(rng.random(45) < 0.4, 0.0, rng.integers(1, 5, 45))  # < 30 rows left
    alpha = np.abs(X.T @ (sw * (y - y.mean()))).max() / sw.sum() / 1000
    res = GreedyBCD(Quadratic(), L1(alpha), tol=1e-8).solve(X, y, sample_weight=sw,
                                                          fit_intercept=True)
    primal = np.array([h["primal"] for h in res.history])
    assert res.converged
    assert np.all(np.diff(primal) <= 1e-12 * primal[0])


@pytest.mark.parametrize("fit_intercept, weighted, positive, l1_ratio", [
    (False, False, False, 1.0), (True, True, False, 0.7), (True, False, True, 1.0),
])
def test_support_solve_reaches_the_same_solution(rng, fit_intercept, weighted, positive,
                                                 l1_ratio):
    # Correlated features (a slow problem for coordinate descent): the exact solve on
    # the stable support must land on the same solution, and it is counted in history.
    n, p = 120, 60
    base = rng.standard_normal((n, 6))
    X = base @ rng.standard_normal((6, p)) + 0.05 * rng.standard_normal((n, p))
    y = X[:, :4] @ np.array([1.0, -2.0, 0.5, 1.5]) + 0.1 * rng.standard_normal(n) + 2.0
    sw = rng.uniform(0.3, 2.0, n) if weighted else None
    pen = ElasticNet(0.01, l1_ratio, positive=positive)
    kw = dict(sample_weight=sw, fit_intercept=fit_intercept)
    on = GreedyBCD(Quadratic(), pen, tol=1e-12).solve(X, y, **kw)
    off = GreedyBCD(Quadratic(), pen, tol=1e-12, support_solve=False).solve(X, y, **kw)
    assert on.converged and off.converged
    F_on = _our_objective("quadratic", X, y, pen.alpha, l1_ratio, sw, on.coef, on.intercept)
    F_off = _our_objective("quadratic", X, y, pen.alpha, l1_ratio, sw, off.coef, off.intercept)
    assert abs(F_on - F_off) <= 1e-11 * F_off
    assert on.n_epochs <= off.n_epochs


def test_bool_parameters_are_checked():
    for name in ("working_set", "screening", "support_solve"):
        with pytest.raises(TypeError, match=f"{name} must be a bool"):
            GreedyBCD(Quadratic(), L1(0.1), **{name: "yes"}).solve(np.eye(3), np.ones(3))


def test_support_identification_then_fast_convergence(rng):
    # Nutini et al.: once the active set is identified, a Newton step on it converges
    # superlinearly (for least squares, exactly). The identified support must be the
    # final one, and the gap must fall faster after identification than before.
    n, p = 200, 400
    base = rng.standard_normal((n, 8))
    X = base @ rng.standard_normal((8, p)) + 0.3 * rng.standard_normal((n, p))
    y = X[:, :6] @ rng.standard_normal(6) + 0.1 * rng.standard_normal(n)
    alpha = np.abs(X.T @ y).max() / n / 30
    res = GreedyBCD(Quadratic(), L1(alpha), tol=1e-12).solve(X, y)
    k = res.support_identified_at
    assert res.converged and 1 <= k <= res.n_iter
    assert res.history[k - 1]["support_size"] == np.count_nonzero(res.coef)
    gaps = np.array([h["rel_gap"] for h in res.history])
    # after identification: at most two more certificates to go from there to 1e-12
    assert res.n_iter - k <= 2
    assert gaps[-1] <= 1e-12 and gaps[k - 1] > 1e3 * gaps[-1]
