"""CEL0: exact prox, the exact-relaxation property of l0 least squares on tiny problems
(exhaustive l0 supports against the exact CEL0 oracle and our solver), stationarity."""

import itertools
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy.optimize import minimize_scalar

from sparseopt.bcd import CEL0, MCP, GreedyBCD, Quadratic
from sparseopt.linear_model import CEL0Regressor

sys.path.insert(0, str(Path(__file__).parent))  # the tests run with --import-mode=importlib
from _folded_oracle import cel0_pieces, global_minimum, penalty_value


def _phi(x, lam, c):
    t = np.sqrt(2 * lam / c)
    x = np.abs(x)
    return np.where(x <= t, lam - 0.5 * c * (x - t) ** 2, lam)


def test_value_and_mcp_equivalence(rng):
    c = rng.uniform(0.2, 0.9, 50)  # c < 1: gamma = 1 / c > 1 is a valid MCP
    w = rng.normal(scale=2.0, size=50)
    pen = CEL0(0.3, curvatures=c)._make(50)
    assert_allclose(pen.py_value(w), _phi(w, 0.3, c).sum(), rtol=1e-13)
    for j in range(5):  # MCP with slope sqrt(2 lam c) and concavity 1 / c
        mcp = MCP(np.sqrt(2 * 0.3 * c[j]), 1.0 / c[j])._make(1)
        assert_allclose(mcp.py_value(w[j:j + 1]), _phi(w[j], 0.3, c[j]), rtol=1e-13)
        for v, step in ((w[j], 1.0), (3 * w[j], 0.5)):
            assert pen.py_prox(v, step, j) == mcp.py_prox(v, step, 0)


@pytest.mark.parametrize("positive", [False, True])
def test_prox_is_the_exact_minimizer(rng, positive):
    # any step, including the CD step 1 / c (where the concave piece is linear) and
    # larger ones (where the 1-D problem is nonconvex)
    for _ in range(300):
        lam, c = rng.uniform(0.05, 2.0), rng.uniform(0.1, 4.0)
        pen = CEL0(lam, curvatures=[c], positive=positive)._make(1)
        v = rng.normal(scale=3.0)
        step = rng.choice([1.0 / c, 10 ** rng.uniform(-2, 1.5)])
        ours = pen.py_prox(v, step, 0)

        def h(x, v=v, step=step, lam=lam, c=c):
            return (x - v) ** 2 / (2 * step) + _phi(x, lam, c)

        lo = 0.0 if positive else -abs(v) - 1
        grid = np.linspace(lo, abs(v) + 1, 40001)
        x0 = grid[np.argmin(h(grid))]
        ref = minimize_scalar(h, bounds=(max(lo, x0 - 1e-3), x0 + 1e-3), method="bounded",
                              options={"xatol": 1e-12}).fun
        assert h(ours) <= min(ref, h(x0)) + 1e-12 * (1 + abs(ref))
        if positive:
            assert ours >= 0


def _l0_minimum(X, y, lam, sw=None, fit_intercept=False):
    """min over all supports S of the weighted least squares on S + lam |S|."""
    n, p = X.shape
    s = np.ones(n) if sw is None else sw
    r = np.sqrt(s)
    best = np.inf
    for k in range(p + 1):
        for S in itertools.combinations(range(p), k):
            A = X[:, list(S)]
            if fit_intercept:
                A = np.column_stack([A, np.ones(n)])
            res = y - A @ np.linalg.lstsq(A * r[:, None], y * r, rcond=None)[0] if A.size \
                else y
            best = min(best, s @ res ** 2 / (2 * s.sum()) + lam * k)
    return best


def _problem(seed, n=30, p=8):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 2.0, p)  # unequal column norms
    X[:, 1] += 0.6 * X[:, 0]
    w = np.zeros(p)
    w[[0, 3, 6]] = [1.5, -1.0, 0.7]
    return X, X @ w + 0.4 * rng.standard_normal(n) + 0.5, rng


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("fit_intercept, weighted", [(False, False), (True, True)])
def test_cel0_has_the_global_minimum_of_l0_and_we_reach_it(seed, fit_intercept, weighted):
    X, y, rng = _problem(seed)
    sw = rng.uniform(0.3, 2.0, len(y)) if weighted else None
    lam = 0.05
    l0_min = _l0_minimum(X, y, lam, sw, fit_intercept)
    model = CEL0Regressor(alpha=lam, tol=1e-12, fit_intercept=fit_intercept).fit(
        X, y, sample_weight=sw)
    s = np.ones(len(y)) if sw is None else sw
    c = s @ X ** 2 / s.sum()
    if fit_intercept:
        c = c - (s @ X / s.sum()) ** 2
    pieces = [cel0_pieces(lam, cj) for cj in c]
    # the exact CEL0 oracle: the relaxation is exact (same global minimum as l0)
    cel0_min, w_best, _ = global_minimum(X, y, pieces, sample_weight=sw,
                                         fit_intercept=fit_intercept)
    assert abs(cel0_min - l0_min) <= 1e-10
    loss = s @ (y - X @ model.coef_ - model.intercept_) ** 2 / (2 * s.sum())
    F = loss + penalty_value(pieces, model.coef_)
    assert model.violation_ <= 1e-12
    assert F >= l0_min - 1e-12  # nothing can go below the l0 minimum
    # on these problems our stationary point is the global minimizer of both
    assert F <= l0_min + 1e-9
    assert np.array_equal(model.coef_ != 0, w_best != 0)
    # and there CEL0 equals l0: every nonzero sits on the flat piece
    assert_allclose(F, loss + lam * np.count_nonzero(model.coef_), atol=1e-12)


@pytest.mark.parametrize("sparse, positive", [(False, False), (True, True)])
def test_solution_is_stationary(rng, sparse, positive):
    n, p = 150, 80
    X = rng.standard_normal((n, p)) * rng.uniform(0.3, 2.0, p)
    if sparse:
        X = X * (rng.random((n, p)) < 0.3)
    w0 = np.zeros(p)
    w0[:6] = 2 * rng.standard_normal(6)
    y = X @ w0 + 0.3 * rng.standard_normal(n)
    lam = 0.02
    res = GreedyBCD(Quadratic(), CEL0(lam, positive=positive), tol=1e-10).solve(
        sp.csc_array(X) if sparse else X, y)
    assert res.converged and res.rel_violation <= 1e-10
    c = (X ** 2).sum(0) / n
    g = X.T @ (X @ res.coef - y) / n
    w = res.coef
    nz = w != 0
    slope = np.sqrt(2 * lam * c)  # phi'(0+)
    dphi = np.maximum(slope - c * np.abs(w), 0.0)
    assert_allclose(g[nz], -np.sign(w[nz]) * dphi[nz], atol=1e-8)
    if positive:
        assert w.min() >= 0 and np.all(-g[~nz] <= slope[~nz] + 1e-8)
    else:
        assert np.all(np.abs(g[~nz]) <= slope[~nz] + 1e-8)


def test_alpha_max(rng):
    X = rng.standard_normal((40, 10)) * rng.uniform(0.5, 2, 10)
    y = rng.standard_normal(40)
    c = (X ** 2).sum(0) / 40
    g0 = -X.T @ y / 40
    amax = CEL0(1.0).alpha_max(g0, curvatures=c)
    assert not np.any(CEL0Regressor(alpha=amax * 1.001, fit_intercept=False).fit(X, y).coef_)
    assert np.any(CEL0Regressor(alpha=amax * 0.9, fit_intercept=False).fit(X, y).coef_)


@pytest.mark.parametrize("kwargs, match", [({"alpha": -1.0}, "alpha"),
                                           ({"curvatures": [1.0, -2.0]}, "curvatures")])
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CEL0(**kwargs)


def test_curvatures_length_is_checked():
    with pytest.raises(ValueError, match="curvatures must have length 3"):
        GreedyBCD(Quadratic(), CEL0(0.1, curvatures=[1.0, 1.0])).solve(np.eye(3), np.ones(3))
