"""MCP and SCAD: exact 1-D proximal operators, stationarity, and a global oracle on tiny
problems (every orthant searched with L-BFGS-B)."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy.optimize import minimize, minimize_scalar

from sparseopt.bcd import L1, MCP, SCAD, GreedyBCD, Logistic, Quadratic


def _p(name, x, a, g):
    x = np.abs(x)
    if name == "mcp":
        return np.where(x <= g * a, a * x - x * x / (2 * g), g * a * a / 2)
    return np.where(x <= a, a * x,
                    np.where(x <= g * a, (2 * g * a * x - x * x - a * a) / (2 * (g - 1)),
                             a * a * (g + 1) / 2))


def _dp(name, x, a, g):
    x = np.abs(x)
    if name == "mcp":
        return np.maximum(a - x / g, 0.0)
    return np.where(x <= a, a, np.maximum(g * a - x, 0.0) / (g - 1))


def _spec(name, alpha, gamma, **kw):
    return (MCP if name == "mcp" else SCAD)(alpha, gamma, **kw)


@pytest.mark.parametrize("name, gamma", [("mcp", 1.5), ("mcp", 3.0), ("scad", 2.5),
                                         ("scad", 3.7)])
def test_prox_is_the_exact_minimizer(rng, name, gamma):
    # Any step, including steps where the 1-D problem is nonconvex (step > gamma).
    pen = _spec(name, 0.7, gamma)._make(1)
    for _ in range(300):
        v = rng.normal(scale=4.0)
        step = 10 ** rng.uniform(-2, 1.5)
        ours = pen.py_prox(v, step, 0)

        def h(x, v=v, step=step):
            return (x - v) ** 2 / (2 * step) + _p(name, x, 0.7, gamma)

        grid = np.linspace(-abs(v) - 1, abs(v) + 1, 20001)
        x0 = grid[np.argmin(h(grid))]
        ref = minimize_scalar(h, bracket=(x0 - 1e-3, x0, x0 + 1e-3)).x
        assert h(ours) <= h(ref) + 1e-12 * (1 + abs(h(ref)))


@pytest.mark.parametrize("name", ["mcp", "scad"])
@pytest.mark.parametrize("datafit", ["quadratic", "logistic"])
@pytest.mark.parametrize("sparse, positive, fit_intercept, weighted", [
    (False, False, False, False), (True, False, True, True), (False, True, True, False),
])
def test_solution_is_stationary(rng, name, datafit, sparse, positive, fit_intercept,
                                weighted):
    # n > p and noisy labels: MCP/SCAD do not shrink large coefficients, so on
    # separable data the logistic objective would have no minimizer.
    n, p = 200, 60
    X = rng.standard_normal((n, p))
    if sparse:
        X = X * (rng.random((n, p)) < 0.3)
    w0 = np.zeros(p)
    w0[:6] = 2 * rng.standard_normal(6)
    y = X @ w0 + 0.5 + 0.1 * rng.standard_normal(n)
    df = Quadratic()
    if datafit == "logistic":
        y = np.where(y + 2 * rng.standard_normal(n) > np.median(y), 1.0, -1.0)
        df = Logistic()
    sw = rng.uniform(0.3, 2.0, n) if weighted else None
    alpha = np.abs(X.T @ (y - y.mean())).max() / n / 10
    pen = _spec(name, alpha, 3.0 if name == "mcp" else 3.7, positive=positive)
    Xin = sp.csc_array(X) if sparse else X
    res = GreedyBCD(df, pen, tol=1e-10).solve(Xin, y, sample_weight=sw,
                                             fit_intercept=fit_intercept)
    assert res.converged and res.rel_violation <= 1e-10
    assert np.isnan(res.rel_gap)
    # recompute the stationarity conditions from scratch
    s = np.ones(n) if sw is None else sw
    z = X @ res.coef + res.intercept
    r = s * (z - y) if datafit == "quadratic" else -s * y / (1 + np.exp(y * z))
    g = X.T @ r / s.sum()
    w = res.coef
    nz = w != 0
    assert_allclose(g[nz], -np.sign(w[nz]) * _dp(name, w[nz], alpha, pen.gamma), atol=1e-7)
    if positive:
        assert w.min() >= 0
        assert np.all(-g[~nz] <= alpha + 1e-7)
    else:
        assert np.all(np.abs(g[~nz]) <= alpha + 1e-7)
    if fit_intercept:
        assert abs(r.sum() / s.sum()) <= 1e-7


def _global_min(name, X, y, alpha, gamma):
    """Best objective over all orthants (bounds fix the signs; the objective is C^1
    inside an orthant), each from two starts."""
    n, p = X.shape

    def f(w):
        return 0.5 * np.mean((y - X @ w) ** 2) + _p(name, w, alpha, gamma).sum()

    def grad(w):
        return -X.T @ (y - X @ w) / n + np.sign(w) * _dp(name, w, alpha, gamma)

    best = np.inf
    ls = np.linalg.lstsq(X, y, rcond=None)[0]
    for signs in itertools.product((-1, 1), repeat=p):
        bounds = [(0, None) if s > 0 else (None, 0) for s in signs]
        for start in (np.zeros(p), np.where(np.sign(ls) == signs, ls, 0.0)):
            res = minimize(f, start, jac=grad, method="L-BFGS-B", bounds=bounds,
                           options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 2000})
            best = min(best, res.fun)
    return best, f


@pytest.mark.parametrize("name, gamma", [("mcp", 3.0), ("mcp", 1.5), ("scad", 3.7)])
@pytest.mark.parametrize("seed", range(3))
def test_tiny_problems_reach_the_global_minimum(name, gamma, seed):
    rng = np.random.default_rng(seed)
    n, p = 40, 6
    X = rng.standard_normal((n, p))
    y = X @ np.array([2.0, -1.5, 0.0, 0.0, 0.8, 0.0]) + 0.3 * rng.standard_normal(n)
    alpha = np.abs(X.T @ y).max() / n / 5
    res = GreedyBCD(Quadratic(), _spec(name, alpha, gamma), tol=1e-12).solve(X, y)
    best, f = _global_min(name, X, y, alpha, gamma)
    assert res.violation <= 1e-9
    assert f(res.coef) <= best + 1e-9


def test_large_gamma_tends_to_the_lasso(rng):
    X = rng.standard_normal((60, 30))
    y = X[:, :3].sum(axis=1) + 0.1 * rng.standard_normal(60)
    lasso = GreedyBCD(Quadratic(), L1(0.1), tol=1e-12).solve(X, y)
    mcp = GreedyBCD(Quadratic(), MCP(0.1, 1e6), tol=1e-12).solve(X, y)
    assert_allclose(mcp.coef, lasso.coef, atol=1e-4)


@pytest.mark.parametrize("cls, gamma, match", [(MCP, 1.0, "gamma"), (SCAD, 2.0, "gamma"),
                                               (MCP, 0.5, "gamma")])
def test_bad_gamma(cls, gamma, match):
    with pytest.raises(ValueError, match=match):
        cls(0.1, gamma)


def _l0_objective(X, y, w, alpha):
    return 0.5 * np.mean((y - X @ w) ** 2) + alpha * np.count_nonzero(w)


@pytest.mark.parametrize("seed", range(4))
def test_l0_stops_at_a_coordinatewise_minimum(seed):
    # No single coordinate, moved to its best value (0 included), lowers the objective.
    from sparseopt.bcd import L0

    rng = np.random.default_rng(seed)
    n, p = 80, 25
    X = rng.standard_normal((n, p))
    w0 = np.zeros(p)
    w0[:5] = rng.choice([-1, 1], 5) * rng.uniform(0.5, 2, 5)
    y = X @ w0 + 0.3 * rng.standard_normal(n)
    alpha = 0.02
    res = GreedyBCD(Quadratic(), L0(alpha), tol=1e-12).solve(X, y)
    assert res.converged
    F = _l0_objective(X, y, res.coef, alpha)
    for j in range(p):
        w = res.coef.copy()
        r = y - X @ w + X[:, j] * w[j]
        w[j] = X[:, j] @ r / (X[:, j] @ X[:, j])  # best nonzero value
        best_nz = _l0_objective(X, y, w, alpha)
        w[j] = 0.0
        best_zero = _l0_objective(X, y, w, alpha)
        assert F <= min(best_nz, best_zero) + 1e-12
    # this easy problem's support is the true one
    assert np.array_equal(np.flatnonzero(res.coef), np.arange(5))


def test_l0_prox_is_hard_thresholding():
    from sparseopt.bcd import L0

    pen = L0(0.5)._make(1)
    assert pen.py_prox(1.1, 1.0, 0) == 1.1  # 1.1^2 / 2 > 0.5: kept
    assert pen.py_prox(0.9, 1.0, 0) == 0.0
    assert pen.py_prox(-1.1, 1.0, 0) == -1.1
    assert L0(0.5, positive=True)._make(1).py_prox(-1.1, 1.0, 0) == 0.0


def test_folded_weights_scale_the_level_not_the_value():
    # the documented convention: feature j is penalized with alpha * omega_j
    from sparseopt.bcd import MCP, SCAD

    w = np.array([0.3, 100.0, 0.0])
    omega = np.array([2.0, 2.0, 5.0])
    for pen, value in ((MCP(1.0, 3.0, weights=omega), lambda a, x: np.where(
            x <= 3.0 * a, a * x - x * x / 6.0, 1.5 * a * a)),
                       (SCAD(1.0, 3.7, weights=omega), lambda a, x: np.where(
            x <= a, a * x, np.where(x <= 3.7 * a, (7.4 * a * x - x * x - a * a) / 5.4,
                                    a * a * 4.7 / 2)))):
        got = pen._make(3).py_value(w)
        assert np.isclose(got, value(omega, np.abs(w)).sum(), rtol=1e-12)


@pytest.mark.parametrize("name, gammas", [("mcp", (1.1, 3.0, 10.0)),
                                          ("scad", (2.1, 3.7, 10.0))])
def test_zero_threshold_is_where_the_exact_step_leaves_zero(name, gammas):
    # The closed form against a bisection on the exact prox, convex and nonconvex
    # coordinate problems (L gamma above and below 1).
    for gamma in gammas:
        for a in (0.3, 1.0):
            pen = _spec(name, a, gamma)._make(1)
            for L in np.geomspace(1e-4, 10, 40):
                lo, hi = 0.0, 2 * a
                for _ in range(100):
                    mid = 0.5 * (lo + hi)
                    if pen.py_prox(mid / L, 1 / L, 0) != 0:
                        hi = mid
                    else:
                        lo = mid
                assert_allclose(pen.py_zero_threshold(L), hi, rtol=1e-6)


@pytest.mark.parametrize("name, gamma", [("mcp", 3.0), ("scad", 3.7)])
@pytest.mark.parametrize("seed", range(3))
def test_small_curvature_stops_at_a_coordinatewise_minimum(name, gamma, seed):
    # Columns with ||x_j||^2 / n = 0.01: L_j gamma < 1, each coordinate problem is
    # nonconvex, and a zero with |grad_j| <= alpha can still be improved by its exact
    # step. The solver's condition at 0 rules that out: no exact coordinate step lowers
    # the objective at the solution.
    rng = np.random.default_rng(seed)
    n, p = 100, 300
    X = 0.1 * rng.standard_normal((n, p))
    w0 = np.zeros(p)
    w0[:10] = rng.choice([-1, 1], 10) * rng.uniform(5, 20, 10)
    y = X @ w0 + 0.5 * rng.standard_normal(n)
    alpha = float(np.max(np.abs(X.T @ y)) / n / 10)
    spec = _spec(name, alpha, gamma)
    res = GreedyBCD(Quadratic(), spec, tol=1e-10, max_iter=1000).solve(X, y)
    pen = spec._make(p)
    w = res.coef
    F = 0.5 * np.mean((y - X @ w) ** 2) + pen.py_value(w)
    grad = X.T @ (X @ w - y) / n
    L = (X ** 2).sum(axis=0) / n
    for j in range(p):
        v = w.copy()
        v[j] = pen.py_prox(w[j] - grad[j] / L[j], 1 / L[j], j)
        assert 0.5 * np.mean((y - X @ v) ** 2) + pen.py_value(v) >= F - 1e-12 * F
