"""Selection rules, blocks and block updates of the BCD engine (``_rules.greedy_bcd``)."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose

from sparseopt.bcd import L1, ElasticNet, GreedyBCD, Huber, Logistic, Quadratic
from sparseopt.bcd import solver as solver_module

RULES = ["cyclic", "random", "gs", "gsl", "gsq", "gsd"]
BLOCKS = ["contiguous", "sorted", "variable"]
COMBOS = [(r, b) for r, b in itertools.product(RULES, BLOCKS)
          if not (r == "cyclic" and b == "variable")]


def _problem(rng, datafit, n=60, p=90, sparse=False):
    X = rng.standard_normal((n, p)) * rng.uniform(0.2, 3.0, p)  # unequal L_i
    if sparse:
        X = X * (rng.random((n, p)) < 0.3)
    w = np.zeros(p)
    w[rng.choice(p, 6, replace=False)] = rng.standard_normal(6)
    y = X @ w + 0.3 + 0.1 * rng.standard_normal(n)
    if datafit == "logistic":
        y = np.where(y > np.median(y), 1.0, -1.0)
        df = Logistic()
        grad0 = X.T @ (-y / 2) / n
    else:
        df = Quadratic() if datafit == "quadratic" else Huber(0.5)
        grad0 = X.T @ (y - y.mean()) / n
    alpha = np.abs(grad0).max() / 8
    return (sp.csc_array(X) if sparse else X), y, df, alpha


def _objective(datafit, X, y, sw, alpha, l1_ratio, coef, intercept):
    X = X.toarray() if sp.issparse(X) else X
    s = np.ones(len(y)) if sw is None else sw
    z = X @ coef + intercept
    if datafit == "logistic":
        f = np.sum(s * np.logaddexp(0, -y * z))
    else:
        f = np.sum(s * (y - z) ** 2) / 2
    pen = alpha * (l1_ratio * np.abs(coef).sum() + (1 - l1_ratio) / 2 * coef @ coef)
    return f / s.sum() + pen


@pytest.mark.parametrize("rule, blocks", COMBOS)
@pytest.mark.parametrize("update", ["gradient", "newton"])
@pytest.mark.parametrize("datafit", ["quadratic", "logistic"])
def test_every_rule_reaches_the_solution(rng, rule, blocks, update, datafit):
    X, y, df, alpha = _problem(rng, datafit)
    sw = rng.uniform(0.3, 2.0, len(y))
    pen = ElasticNet(alpha, 0.8)
    ref = GreedyBCD(df, pen, tol=1e-12).solve(X, y, sample_weight=sw, fit_intercept=True)
    for block_size, working_set in [(1, True), (4, False)]:
        res = GreedyBCD(df, pen, selection=rule, blocks=blocks, block_size=block_size,
                        update=update, working_set=working_set, tol=1e-11,
                        random_state=0).solve(X, y, sample_weight=sw, fit_intercept=True)
        assert res.converged and res.rel_gap <= 1e-11
        # Both gaps certify the objective to 1e-11 relative (to f at 0), and the
        # solutions to about sqrt(gap / strong convexity).
        F = _objective(datafit, X, y, sw, alpha, 0.8, res.coef, res.intercept)
        F_ref = _objective(datafit, X, y, sw, alpha, 0.8, ref.coef, ref.intercept)
        assert abs(F - F_ref) <= 2e-11 * F_ref
        assert_allclose(res.coef, ref.coef, atol=1e-4)
        assert res.n_updates > 0


@pytest.mark.parametrize("rule", ["gs", "gsd", "gsq", "random"])
@pytest.mark.parametrize("datafit", ["quadratic", "huber"])
def test_sparse_positive_and_without_gram(rng, monkeypatch, rule, datafit):
    # Sparse X, positivity, and the path where the working set's matrix is not formed
    # (bounds from the columns, gradient recomputed): same solution.
    X, y, df, alpha = _problem(rng, datafit, sparse=True)
    pen = L1(alpha, positive=True)
    ref = GreedyBCD(df, pen, tol=1e-12).solve(X, y, fit_intercept=True)
    kw = dict(selection=rule, blocks="variable", block_size=3, tol=1e-11, random_state=0)
    res = GreedyBCD(df, pen, **kw).solve(X, y, fit_intercept=True)
    monkeypatch.setattr(solver_module, "_GRAM_MAX", 2)
    res_nogram = GreedyBCD(df, pen, **kw).solve(X, y, fit_intercept=True)
    for r in (res, res_nogram):
        assert r.converged
        assert r.coef.min() >= 0
        assert_allclose(r.coef, ref.coef, atol=1e-6)


def test_gs_on_an_orthogonal_design_updates_each_nonzero_once(rng):
    # With orthogonal columns the problem separates: an exact update solves a coordinate
    # for good, so the Gauss-Southwell rule must stop after exactly one update per
    # nonzero of the solution, while a cyclic sweep visits every coordinate.
    n = 40
    X = np.linalg.qr(rng.standard_normal((n, n)))[0] * np.sqrt(n)
    y = rng.standard_normal(n) * 3
    pen = L1(0.5)
    res = GreedyBCD(Quadratic(), pen, selection="gs", working_set=False, tol=1e-14).solve(X, y)
    nnz = np.count_nonzero(res.coef)
    assert 0 < nnz < n
    assert res.n_updates == nnz
    cyc = GreedyBCD(Quadratic(), pen, block_size=2, working_set=False, tol=1e-14).solve(X, y)
    assert cyc.n_updates >= n // 2
    assert_allclose(res.coef, cyc.coef, atol=1e-12)


def test_greedy_rules_beat_random_on_iterations(rng):
    # The paper's headline: greedy selection needs far fewer block updates than random
    # selection on a sparse problem (measured here, not assumed: a ratio of 3 is far
    # below what is observed, so the test is stable across seeds).
    X, y, df, alpha = _problem(rng, "quadratic", n=100, p=300)
    kw = dict(blocks="variable", block_size=5, working_set=False, tol=1e-8, random_state=0)
    rand = GreedyBCD(df, L1(alpha), selection="random", **kw).solve(X, y)
    for rule in ("gs", "gsl", "gsq", "gsd"):
        res = GreedyBCD(df, L1(alpha), selection=rule, **kw).solve(X, y)
        assert res.converged
        assert 3 * res.n_updates < rand.n_updates, rule


@pytest.mark.parametrize("rule, blocks", [("gsd", "variable"), ("gsl", "sorted"),
                                          ("gsq", "contiguous"), ("random", "variable")])
def test_objective_never_increases(rng, rule, blocks):
    # Every update minimizes an upper model of the objective: the primal values recorded
    # at each outer iteration cannot go up (logistic: the bound is not the Hessian).
    X, y, df, alpha = _problem(rng, "logistic")
    res = GreedyBCD(df, L1(alpha), selection=rule, blocks=blocks, block_size=4,
                    update="gradient", working_set=False, tol=1e-10,
                    random_state=1).solve(X, y, fit_intercept=True)
    primal = np.array([h["primal"] for h in res.history])
    assert np.all(np.diff(primal) <= 1e-12 * abs(primal[0]))


def test_history_counts_updates(rng):
    X, y, df, alpha = _problem(rng, "quadratic")
    res = GreedyBCD(df, L1(alpha), selection="gsd", blocks="variable", block_size=3,
                    tol=1e-9).solve(X, y)
    assert sum(h["updates"] for h in res.history) == res.n_updates


@pytest.mark.parametrize("kwargs, match", [
    ({"selection": "cyclic", "blocks": "variable"}, "needs fixed blocks"),
    ({"blocks": "rows"}, "blocks must be one of"),
    ({"block_size": 0}, "block_size must be in"),
    ({"selection": "GS"}, "selection must be one of"),
])
def test_rule_parameter_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GreedyBCD(Quadratic(), L1(0.1), **kwargs).solve(np.eye(3), np.ones(3))


def test_screening_shrinks_the_rules_problem(rng):
    # Without working sets, screening hands the rules only the features left.
    X, y, df, alpha = _problem(rng, "quadratic", n=80, p=200)
    kw = dict(selection="gsd", blocks="variable", block_size=4, working_set=False,
              tol=1e-10)
    ref = GreedyBCD(df, L1(2 * alpha), **kw).solve(X, y)
    res = GreedyBCD(df, L1(2 * alpha), screening=True, **kw).solve(X, y)
    assert res.screened.size > 100
    assert max(h["ws_size"] for h in res.history[2:]) < X.shape[1]
    assert np.all(ref.coef[res.screened] == 0)
    assert_allclose(res.coef, ref.coef, atol=1e-6)
