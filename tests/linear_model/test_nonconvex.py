"""MCPRegressor and SCADRegressor: against skglm, weights, positivity, warm starts."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sparseopt.linear_model import CEL0Regressor, Lasso, MCPRegressor, SCADRegressor


def _mcp_objective(X, y, coef, intercept, alpha, gamma, sw=None):
    s = np.ones(len(y)) if sw is None else sw
    x = np.abs(coef)
    pen = np.where(x <= gamma * alpha, alpha * x - x * x / (2 * gamma), gamma * alpha**2 / 2)
    return np.sum(s * (y - X @ coef - intercept) ** 2) / (2 * s.sum()) + pen.sum()


def _problem(rng, n=200, p=500, rho=0.5):
    from sparseopt.datasets import make_correlated_regression

    X, y, _ = make_correlated_regression(n, p, rho=rho, n_informative=15,
                                         random_state=int(rng.integers(1 << 30)))
    return X, y


@pytest.mark.parametrize("ratio", [5, 10])
def test_mcp_reaches_an_objective_no_worse_than_skglm(rng, ratio):
    # At alpha_max / 50 on this 200 x 500 design the problem has many stationary points
    # and neither solver's is always the lower (measured over 12 seeds: ours lower or
    # equal on 11 with the default continuation path, on 6 without it); that regime is
    # tracked in the issue, not asserted here.
    skglm = pytest.importorskip("skglm")
    X, y = _problem(rng)
    alpha = np.abs(X.T @ (y - y.mean())).max() / len(y) / ratio
    ours = MCPRegressor(alpha=alpha, gamma=3.0, tol=1e-10).fit(X, y)
    ref = skglm.MCPRegression(alpha=alpha, gamma=3.0, tol=1e-10, max_iter=1000).fit(X, y)
    F = _mcp_objective(X, y, ours.coef_, ours.intercept_, alpha, 3.0)
    F_ref = _mcp_objective(X, y, ref.coef_, ref.intercept_, alpha, 3.0)
    assert F <= F_ref + 1e-8
    assert ours.violation_ <= 1e-10


@pytest.mark.parametrize("Est", [MCPRegressor, SCADRegressor, CEL0Regressor])
def test_weights_equal_repeated_rows_and_positivity(rng, Est):
    X, y = _problem(rng, n=60, p=40)
    sw = rng.integers(0, 3, len(y)).astype(float)
    reps = sw.astype(int)
    a = Est(alpha=0.05, tol=1e-12).fit(X, y, sample_weight=sw)
    b = Est(alpha=0.05, tol=1e-12).fit(np.repeat(X, reps, axis=0), np.repeat(y, reps))
    # A nonconvex problem may have several stationary points; from the same start the
    # same steps are taken, so the two fits agree.
    assert_allclose(a.coef_, b.coef_, atol=1e-6)
    pos = Est(alpha=0.05, positive=True, tol=1e-10).fit(X, y)
    assert pos.coef_.min() >= 0 and np.any(pos.coef_ > 0)


def test_less_bias_than_the_lasso(rng):
    # The point of MCP: large true coefficients are not shrunk.
    X = rng.standard_normal((300, 50))
    w = np.zeros(50)
    w[:5] = 3.0
    y = X @ w + 0.1 * rng.standard_normal(300)
    mcp = MCPRegressor(alpha=0.3, tol=1e-10).fit(X, y)
    lasso = Lasso(alpha=0.3, tol=1e-10).fit(X, y)
    assert np.abs(mcp.coef_[:5] - 3.0).max() < 0.05
    assert np.abs(lasso.coef_[:5] - 3.0).min() > 0.2
    assert np.count_nonzero(mcp.coef_[5:]) == 0


@pytest.mark.parametrize("Est", [MCPRegressor, CEL0Regressor])
def test_warm_started_path(rng, Est):
    X, y = _problem(rng, n=100, p=200)
    amax = np.abs(X.T @ (y - y.mean())).max() / len(y)
    if Est is CEL0Regressor:  # w = 0 is stationary iff alpha >= max g_j^2 / (2 a_j^2)
        Xc = X - X.mean(axis=0)
        amax = np.max((Xc.T @ (y - y.mean()) / len(y)) ** 2 / (2 * np.mean(Xc**2, axis=0)))
    model = Est(warm_start=True, tol=1e-8)
    nnz = []
    for alpha in amax * np.geomspace(1, 0.05, 8):
        model.set_params(alpha=alpha).fit(X, y)
        assert model.violation_ <= 1e-8
        nnz.append(np.count_nonzero(model.coef_))
    assert nnz[0] == 0 and nnz[-1] > 5


@pytest.mark.parametrize("Est", [MCPRegressor, SCADRegressor])
def test_continuation_path(rng, Est):
    from sparseopt.bcd import MCP, SCAD, GreedyBCD, Quadratic

    X, y = _problem(rng, n=80, p=150)
    sw = rng.uniform(0.5, 2.0, len(y))
    amax = np.abs(X.T @ (sw * (y - np.average(y, weights=sw)))).max() / sw.sum()
    alpha = amax / 30
    # path_steps=1 is the plain solve from 0
    one = Est(alpha=alpha, tol=1e-10, path_steps=1).fit(X, y, sample_weight=sw)
    spec = (MCP if Est is MCPRegressor else SCAD)(alpha, one.gamma)
    res = GreedyBCD(Quadratic(), spec, tol=1e-10, max_iter=1000).solve(
        X, y, sample_weight=sw, fit_intercept=True)
    assert_allclose(one.coef_, res.coef, rtol=0, atol=1e-12)
    # the path's alphas: geometric from alpha_max (computed with the weights and the
    # intercept) to alpha, the first and last excluded
    five = Est(alpha=alpha, tol=1e-10)
    grad0 = -X.T @ (sw * (y - np.average(y, weights=sw))) / sw.sum()
    stages = five._solver(spec, 1e-10)._stages(grad0, True)
    assert_allclose([s.alpha for s, _ in stages], np.geomspace(amax, alpha, 6)[1:-1],
                    rtol=1e-12)
    assert_allclose([t for _, t in stages], [1e-2 * s.alpha / amax for s, _ in stages],
                    rtol=1e-12)
    # the default path ends at a point as stationary as the plain solve's, at alpha
    five.fit(X, y, sample_weight=sw)
    assert five.violation_ <= 1e-10 and five.n_iter_ > 1
    # a warm start follows the user's path instead: a refit at the same alpha is done
    # after one check
    five.set_params(warm_start=True).fit(X, y, sample_weight=sw)
    assert five.n_iter_ == 1
    with pytest.raises(ValueError, match="path_steps"):
        Est(alpha=alpha, path_steps=0).fit(X, y)


@pytest.mark.parametrize("Est, gamma", [(MCPRegressor, 1.0), (SCADRegressor, 2.0)])
def test_bad_gamma(Est, gamma):
    with pytest.raises(ValueError, match="gamma"):
        Est(alpha=0.1, gamma=gamma).fit(np.eye(3), np.ones(3))


@pytest.mark.parametrize("penalty, gamma", [("mcp", None), ("scad", 3.0)])
@pytest.mark.parametrize("weighted", [False, True])
def test_logistic_folded_penalty_is_stationary(rng, penalty, gamma, weighted):
    from sparseopt.linear_model import SparseLogisticRegression

    n, p = 300, 40
    X = rng.standard_normal((n, p))
    z = X[:, :4] @ np.array([2.0, -1.5, 1.0, 0.5]) + 0.3
    y = (z + 1.5 * rng.standard_normal(n) > 0).astype(int)  # noisy: not separable
    sw = rng.uniform(0.3, 2.0, n) if weighted else None
    C = 0.05
    clf = SparseLogisticRegression(penalty=penalty, gamma=gamma, C=C, tol=1e-10).fit(
        X, y, sample_weight=sw)
    assert clf.violation_ <= 1e-10 and np.isnan(clf.dual_gap_)
    # the first-order conditions, recomputed
    s = np.ones(n) if sw is None else sw
    ypm = np.where(y == 1, 1.0, -1.0)
    m = X @ clf.coef_.ravel() + clf.intercept_[0]
    r = -s * ypm / (1 + np.exp(ypm * m))
    g = X.T @ r / s.sum()
    alpha = 1 / (C * s.sum())
    g_mcp = 3.0 if gamma is None else gamma
    w = clf.coef_.ravel()
    nz = w != 0
    x = np.abs(w[nz])
    if penalty == "mcp":
        dp = np.maximum(alpha - x / g_mcp, 0.0)
    else:
        dp = np.where(x <= alpha, alpha, np.maximum(g_mcp * alpha - x, 0.0) / (g_mcp - 1))
    np.testing.assert_allclose(g[nz], -np.sign(w[nz]) * dp, atol=1e-8)
    assert np.all(np.abs(g[~nz]) <= alpha + 1e-8)
    assert abs(r.sum()) / s.sum() <= 1e-8  # the intercept
    assert 0 < np.count_nonzero(w) < p


def test_logistic_folded_penalty_bad_input():
    from sparseopt.linear_model import SparseLogisticRegression

    X, y = np.eye(6), np.array([0, 1, 0, 1, 0, 1])
    with pytest.raises(ValueError, match="gamma"):
        SparseLogisticRegression(penalty="scad", gamma=1.5).fit(X, y)
    with pytest.raises(ValueError, match="gamma"):
        SparseLogisticRegression(penalty="mcp", gamma=1.0).fit(X, y)
    with pytest.raises(ValueError, match="two classes"):
        SparseLogisticRegression(penalty="mcp").fit(X, np.arange(6) % 3)
