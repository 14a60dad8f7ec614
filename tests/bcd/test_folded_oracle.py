"""MCP and SCAD on tiny problems against an exact global oracle.

The oracle (``_folded_oracle.global_minimum``) lists every stationary point of every
support in closed form: on a support with fixed signs and fixed quadratic pieces of the
penalty the objective is a quadratic, whose stationary point solves a linear system; the
global minimizer is one of those that lie in their own region. No local solver and no
starting point are involved, so the minimum it returns is the global one (to rounding).
"""

import sys
from pathlib import Path

import numpy as np
import pytest

from sparseopt.linear_model import MCPRegressor, SCADRegressor

sys.path.insert(0, str(Path(__file__).parent))  # the tests run with --import-mode=importlib
from _folded_oracle import cel0_pieces, global_minimum, mcp_pieces, penalty_value, scad_pieces


def _problem(seed, n=40, p=8):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X[:, 1] = 0.7 * X[:, 0] + 0.7 * X[:, 1]  # a correlated pair
    w = np.zeros(p)
    w[[0, 2, 5]] = [2.0, -1.5, 0.8]
    y = X @ w + 0.5 * rng.standard_normal(n) + 1.0
    return X, y, rng


def test_oracle_finds_the_minimum_of_a_one_feature_problem():
    # One feature: F(w) = (w - z)^2 / 2 + p(|w|) (unit column), so the minimizer is
    # the prox at z with step 1; compare with a fine grid.
    X = np.ones((4, 1))
    for z in (0.3, 1.2, 2.5, 5.0):
        y = np.full(4, z)
        pieces = [mcp_pieces(1.0, 3.0)]
        best, w, _ = global_minimum(X, y, pieces)
        grid = np.linspace(-6, 6, 120001)
        x = np.abs(grid)  # MCP(alpha=1, gamma=3) written out
        vals = 0.5 * (grid - z) ** 2 + np.where(x <= 3, x - x * x / 6, 1.5)
        assert best <= vals.min() + 1e-12
        assert best >= vals.min() - 1e-6


@pytest.mark.parametrize("name, gamma, p, ratio", [
    ("mcp", 3.0, 8, 10), ("mcp", 1.5, 8, 3), ("scad", 3.7, 7, 10), ("scad", 2.5, 7, 3)])
@pytest.mark.parametrize("fit_intercept, weighted, positive", [
    (False, False, False), (True, True, False), (True, False, True)])
def test_tiny_problems_reach_the_exact_global_minimum(name, gamma, p, ratio, fit_intercept,
                                                      weighted, positive):
    X, y, rng = _problem(7 * p + ratio, p=p)
    sw = rng.uniform(0.3, 2.0, len(y)) if weighted else None
    yc = y - y.mean() if fit_intercept else y
    alpha = np.abs(X.T @ yc).max() / len(y) / ratio
    pieces = [(mcp_pieces if name == "mcp" else scad_pieces)(alpha, gamma)] * p
    best, w_best, _ = global_minimum(X, y, pieces, sample_weight=sw,
                                     fit_intercept=fit_intercept, positive=positive)
    Est = MCPRegressor if name == "mcp" else SCADRegressor
    model = Est(alpha=alpha, gamma=gamma, tol=1e-12, fit_intercept=fit_intercept,
                positive=positive).fit(X, y, sample_weight=sw)
    s = np.ones(len(y)) if sw is None else sw
    F = s @ (y - X @ model.coef_ - model.intercept_) ** 2 / (2 * s.sum()) + penalty_value(
        pieces, model.coef_)
    assert model.violation_ <= 1e-12  # a stationary point ...
    assert F <= best + 1e-9  # ... with the globally smallest objective
    assert np.array_equal(model.coef_ != 0, w_best != 0)
    if positive:
        assert model.coef_.min() >= 0


@pytest.mark.parametrize("name", ["mcp", "scad", "cel0"])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_support_solve_lands_on_the_stationary_point_of_its_region(name, fit_intercept):
    # From a point near the global minimizer (same signs, same penalty pieces), the
    # solve on fixed signs and pieces returns the minimizer itself.
    from sparseopt.bcd import CEL0, MCP, SCAD
    from sparseopt.bcd.solver import _folded_support_solve

    X, y, rng = _problem(3, p=7)
    n = len(y)
    yc = y - y.mean() if fit_intercept else y
    alpha = np.abs(X.T @ yc).max() / n / 5
    lips = (X ** 2).sum(axis=0) / n
    if name == "cel0":
        alpha = alpha ** 2 / 2
        curv = lips - (X.mean(axis=0) ** 2 if fit_intercept else 0.0)
        pen, pieces = CEL0(alpha, curvatures=curv), [cel0_pieces(alpha, c) for c in curv]
    else:
        pen = MCP(alpha, 3.0) if name == "mcp" else SCAD(alpha, 3.7)
        pieces = [(mcp_pieces if name == "mcp" else scad_pieces)(alpha, pen.gamma)] * 7
    best, w_best, b_best = global_minimum(X, y, pieces, fit_intercept=fit_intercept)
    assert np.count_nonzero(w_best) >= 2
    w0 = w_best * (1 + 1e-4 * rng.standard_normal(7))
    w, b = _folded_support_solve(X, y, None, float(n), w0, b_best + 1e-4, fit_intercept,
                                 pen, lips)
    np.testing.assert_allclose(w, w_best, atol=1e-10)
    if fit_intercept:
        assert abs(b - b_best) <= 1e-10
