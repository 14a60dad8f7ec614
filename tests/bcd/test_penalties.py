"""Box constraints and bounds on the elastic-net family, against scipy and cvxpy."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from scipy.optimize import lsq_linear

from sparseopt.bcd import L1, Box, ElasticNet, GreedyBCD, Logistic, Quadratic, duality_gap

cp = pytest.importorskip("cvxpy")


def _bounded_problem(rng, n=80, p=40):
    X = rng.standard_normal((n, p))
    y = X @ (3 * rng.standard_normal(p)) + rng.standard_normal(n)
    lo = -rng.uniform(0.0, 1.0, p)
    hi = rng.uniform(0.0, 1.0, p)
    lo[:5] = -np.inf  # one-sided bounds too
    hi[5:10] = np.inf
    lo[10] = hi[10] = 0.0  # a feature pinned at 0
    return X, y, lo, hi


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("kw", [{}, {"selection": "gsd", "blocks": "variable", "block_size": 3},
                                {"selection": "random", "update": "newton"}])
def test_box_least_squares_matches_lsq_linear(rng, sparse, kw):
    X, y, lo, hi = _bounded_problem(rng)
    free = lo < hi  # scipy wants strict bounds: solve without the pinned feature
    ref = np.zeros(X.shape[1])
    ref[free] = lsq_linear(X[:, free], y, bounds=(lo[free], hi[free]), method="bvls",
                           tol=1e-15).x
    Xin = sp.csc_array(X) if sparse else X
    res = GreedyBCD(Quadratic(), Box(lo, hi), tol=1e-13, random_state=0, **kw).solve(Xin, y)
    assert res.converged
    assert np.all(res.coef >= lo) and np.all(res.coef <= hi)
    assert_allclose(res.coef, ref, atol=1e-9)
    # the certificate is tight at the solution and positive away from it
    gap, rel = duality_gap(Quadratic(), Box(lo, hi), Xin, y, res.coef)
    assert abs(rel) <= 1e-12
    bad = np.clip(res.coef + 0.05, lo, hi)
    assert duality_gap(Quadratic(), Box(lo, hi), Xin, y, bad)[1] > 1e-6


def _cvxpy_bounded(datafit, X, y, alpha, l1_ratio, lo, hi, sw, fit_intercept):
    n, p = X.shape
    s = np.ones(n) if sw is None else sw
    w = cp.Variable(p)
    b = cp.Variable() if fit_intercept else 0.0
    z = X @ w + b
    if datafit == "quadratic":
        f = cp.sum(cp.multiply(s, cp.square(y - z))) / (2 * s.sum())
    else:
        f = cp.sum(cp.multiply(s, cp.logistic(-cp.multiply(y, z)))) / s.sum()
    g = alpha * (l1_ratio * cp.norm1(w) + 0.5 * (1 - l1_ratio) * cp.sum_squares(w))
    cons = [w[np.isfinite(lo)] >= lo[np.isfinite(lo)], w[np.isfinite(hi)] <= hi[np.isfinite(hi)]]
    prob = cp.Problem(cp.Minimize(f + g), cons)
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    return prob.value


def _objective(datafit, X, y, alpha, l1_ratio, sw, coef, intercept):
    s = np.ones(len(y)) if sw is None else sw
    z = X @ coef + intercept
    f = (np.sum(s * (y - z) ** 2) / 2 if datafit == "quadratic"
         else np.sum(s * np.logaddexp(0, -y * z))) / s.sum()
    return f + alpha * (l1_ratio * np.abs(coef).sum() + 0.5 * (1 - l1_ratio) * coef @ coef)


@pytest.mark.parametrize("datafit", ["quadratic", "logistic"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.6])
@pytest.mark.parametrize("fit_intercept, weighted", [(False, False), (True, True)])
@pytest.mark.parametrize("selection", ["cyclic", "gsq"])
def test_bounded_elastic_net_matches_cvxpy(rng, datafit, l1_ratio, fit_intercept, weighted,
                                           selection):
    X, y, lo, hi = _bounded_problem(rng, n=100, p=60)
    if datafit == "logistic":
        y = np.where(y > np.median(y), 1.0, -1.0)
    sw = rng.uniform(0.3, 2.0, len(y)) if weighted else None
    df = Quadratic() if datafit == "quadratic" else Logistic()
    alpha = 0.02
    pen = ElasticNet(alpha, l1_ratio, bounds=(lo, hi))
    kw = {"selection": selection}
    if selection != "cyclic":
        kw.update(blocks="variable", block_size=4)
    res = GreedyBCD(df, pen, tol=1e-12, max_iter=500, **kw).solve(
        X, y, sample_weight=sw, fit_intercept=fit_intercept)
    assert res.converged
    assert np.all(res.coef >= lo) and np.all(res.coef <= hi)
    ours = _objective(datafit, X, y, alpha, l1_ratio, sw, res.coef, res.intercept)
    ref = _cvxpy_bounded(datafit, X, y, alpha, l1_ratio, lo, hi, sw, fit_intercept)
    assert abs(ours - ref) <= 1e-7 * abs(ref)
    assert ours <= ref * (1 + 1e-9)


def test_bounds_and_positive_combine(rng):
    X, y, _, _ = _bounded_problem(rng)
    a = GreedyBCD(Quadratic(), L1(0.05, positive=True, bounds=(-1.0, 0.5)),
                  tol=1e-12).solve(X, y)
    b = GreedyBCD(Quadratic(), L1(0.05, bounds=(0.0, 0.5)), tol=1e-12).solve(X, y)
    assert_allclose(a.coef, b.coef, atol=1e-10)
    assert a.coef.min() >= 0 and a.coef.max() <= 0.5
    assert np.any(a.coef == 0.5)  # the bound is active, not ignored


def test_alpha_max_with_bounds(rng):
    X, y, _, _ = _bounded_problem(rng)
    n = len(y)
    grad0 = -X.T @ y / n
    for bounds in [(0.0, np.inf), (-np.inf, 0.0), (-1.0, 2.0)]:
        pen = L1(1.0, bounds=bounds)
        amax = pen.alpha_max(grad0)
        at = GreedyBCD(Quadratic(), L1(amax, bounds=bounds), tol=1e-12).solve(X, y)
        below = GreedyBCD(Quadratic(), L1(0.95 * amax, bounds=bounds), tol=1e-12).solve(X, y)
        assert np.all(at.coef == 0)
        assert np.any(below.coef != 0)


def test_coef_init_outside_the_box_is_projected(rng):
    X, y, lo, hi = _bounded_problem(rng)
    res = GreedyBCD(Quadratic(), Box(lo, hi), tol=1e-12).solve(
        X, y, coef_init=np.full(X.shape[1], 10.0))
    assert res.converged and np.all(res.coef <= hi) and np.all(res.coef >= lo)


@pytest.mark.parametrize("bounds, match", [
    ((0.5, 1.0), "must contain 0"),
    ((-1.0, -0.5), "must contain 0"),
    ((np.nan, 1.0), "lower contains NaN"),
    ((-1.0,), "pair"),
    (([[-1.0]], 1.0), "1-D array"),
])
def test_bad_bounds(bounds, match):
    with pytest.raises(ValueError, match=match):
        L1(0.1, bounds=bounds)


def test_bounds_of_the_wrong_length():
    with pytest.raises(ValueError, match="lower must have length 3"):
        GreedyBCD(Quadratic(), Box(-np.ones(2), 1.0)).solve(np.eye(3), np.ones(3))
