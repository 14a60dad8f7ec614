"""The GroupL1 penalty in GreedyBCD: logistic against cvxpy, groups, prox, errors."""

import cvxpy as cp
import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose

from sparseopt.bcd import GreedyBCD, GroupL1, Logistic, Quadratic, check_groups


@pytest.mark.filterwarnings("ignore:Solution may be inaccurate")
@pytest.mark.parametrize("sparse", [False, True])
def test_logistic_group_lasso_matches_cvxpy(rng, sparse):
    n, p = 80, 12
    X = rng.standard_normal((n, p))
    if sparse:
        X = X * (rng.random((n, p)) < 0.5)
    y = np.where(X[:, :3] @ [2.0, -1.0, 1.0] + 0.5 * rng.standard_normal(n) > 0, 1.0, -1.0)
    groups, alpha = [[0, 1, 2], [3, 4], [5, 6, 7, 8], [9, 10, 11]], 0.03
    Xs = sp.csc_array(X) if sparse else X
    res = GreedyBCD(Logistic(), GroupL1(groups, alpha), tol=1e-12).solve(
        Xs, y, fit_intercept=True)
    assert res.converged
    w, b = cp.Variable(p), cp.Variable()
    obj = (cp.sum(cp.logistic(-cp.multiply(y, X @ w + b))) / n
           + alpha * sum(np.sqrt(len(g)) * cp.norm(w[g]) for g in groups))
    prob = cp.Problem(cp.Minimize(obj))
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    z = X @ res.coef + res.intercept
    ours = np.mean(np.logaddexp(0, -y * z)) + GroupL1(groups, alpha).value(res.coef)
    assert abs(ours - prob.value) <= 1e-7 * max(1.0, abs(prob.value))
    norms = [np.linalg.norm(res.coef[g]) for g in groups]
    assert 0 < np.count_nonzero(norms) < len(groups)


@pytest.mark.parametrize("selection", ["cyclic", "random"])
def test_working_set_off_and_random_agree(rng, selection):
    X, y = rng.standard_normal((60, 30)), rng.standard_normal(60)
    pen = GroupL1(groups=5, alpha=0.05)
    ref = GreedyBCD(Quadratic(), pen, tol=1e-13).solve(X, y)
    res = GreedyBCD(Quadratic(), pen, tol=1e-13, selection=selection, working_set=False,
                    random_state=0).solve(X, y)
    assert res.converged and ref.converged
    assert_allclose(res.coef, ref.coef, atol=1e-7)


def test_rules_other_than_cyclic_random_raise(rng):
    X, y = rng.standard_normal((10, 4)), rng.standard_normal(10)
    with pytest.raises(ValueError, match="selection"):
        GreedyBCD(Quadratic(), GroupL1(2), selection="gsl").solve(X, y)


def test_check_groups_forms():
    for groups in (2, [2, 2, 2], [[0, 1], [2, 3], [4, 5]], [np.array([1, 0]), [3, 2],
                                                           (5, 4)]):
        ptr, idx = check_groups(groups, 6)
        assert ptr.tolist() == [0, 2, 4, 6] and idx.tolist() == list(range(6))
    with pytest.raises(TypeError, match="groups"):
        check_groups(2.5, 6)
    with pytest.raises(TypeError, match="integer"):
        check_groups([[0.0, 1.0], [2, 3, 4, 5]], 6)


def test_prox_and_alpha_max(rng):
    v = rng.standard_normal(9)
    pen = GroupL1([[0, 4, 8], [1, 2, 3], [5, 6, 7]], alpha=0.6)
    out = pen.prox(v, step=0.5)
    for g in ([0, 4, 8], [1, 2, 3], [5, 6, 7]):
        a = 0.5 * 0.6 * np.sqrt(3)
        nv = np.linalg.norm(v[g])
        assert_allclose(out[g], v[g] * max(0.0, 1 - a / nv), atol=1e-15)
    pos = GroupL1(3, alpha=0.6, positive=True).prox(v)
    assert np.all(pos >= 0)
    g = rng.standard_normal(9)
    om = np.array([1.0, 2.0, 0.5])
    amax = GroupL1(3, weights=om).alpha_max(g)
    assert_allclose(amax, np.max(np.linalg.norm(g.reshape(3, 3), axis=1) / om))


def test_duality_gap_function_matches_solver(rng):
    from sparseopt.bcd import duality_gap

    X, y = rng.standard_normal((50, 12)), rng.standard_normal(50)
    pen = GroupL1(groups=[4, 4, 4], alpha=0.05, positive=True)
    res = GreedyBCD(Quadratic(), pen, tol=1e-10).solve(X, y, fit_intercept=True)
    gap, rel = duality_gap(Quadratic(), pen, X, y, res.coef, res.intercept,
                           fit_intercept=True)
    assert_allclose(rel, res.rel_gap, rtol=1e-6, atol=1e-14)
    assert duality_gap(Quadratic(), pen, X, y, np.zeros(12), fit_intercept=True)[1] > 0


@pytest.mark.parametrize("sparse", [False, True])
def test_group_lipschitz_is_the_largest_eigenvalue(rng, sparse):
    from sparseopt.bcd.group import _group_lipschitz
    from sparseopt.bcd.solver import _make_design

    X = rng.standard_normal((30, 80)) * (rng.random((30, 80)) < 0.5)
    sw = rng.uniform(0.5, 2.0, 30)
    # sizes 3, 1, 40 (dense: the BLAS path) and 36, in a scrambled order
    perm = rng.permutation(80)
    groups = [perm[:3], perm[3:4], perm[4:44], perm[44:]]
    ptr, idx = check_groups(groups, 80)
    design, Xv = _make_design(sp.csc_array(X) if sparse else X, return_matrix=True)
    lip = (X ** 2 * sw[:, None]).sum(axis=0) / sw.sum()
    L = _group_lipschitz(design, Xv, ptr, idx, sw, sw.sum(), 1.0, lip)
    Xw = X * np.sqrt(sw)[:, None]
    ref = [np.linalg.eigvalsh(Xw[:, g].T @ Xw[:, g])[-1] / sw.sum() for g in groups]
    assert_allclose(L, ref, rtol=1e-11)
    assert np.all(L >= ref)


@pytest.mark.parametrize("positive", [False, True])
def test_anderson_extrapolation_keeps_the_solution(rng, positive):
    X = rng.standard_normal((80, 120))
    X[:, 1:] += 0.8 * X[:, :-1]  # correlated columns: slow plain sweeps
    y = X[:, :6] @ rng.standard_normal(6) + 0.1 * rng.standard_normal(80)
    pen = GroupL1(groups=6, alpha=0.02, positive=positive)
    plain = GreedyBCD(Quadratic(), pen, tol=1e-12, anderson=0).solve(X, y,
                                                                      fit_intercept=True)
    acc = GreedyBCD(Quadratic(), pen, tol=1e-12, anderson=5).solve(X, y,
                                                                    fit_intercept=True)
    assert plain.converged and acc.converged
    assert_allclose(acc.coef, plain.coef, atol=1e-6)
    if positive:
        assert acc.coef.min() >= 0
    assert acc.n_epochs < plain.n_epochs
