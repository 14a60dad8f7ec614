"""The multinomial (softmax) datafit, against cvxpy and against binary logistic."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose

from sparseopt.bcd import L1, ElasticNet, GreedyBCD, Logistic, Multinomial, duality_gap

cp = pytest.importorskip("cvxpy")


def _problem(rng, n=120, p=25, K=3, sparse=False):
    X = rng.standard_normal((n, p))
    if sparse:
        X = X * (rng.random((n, p)) < 0.3)
    W = np.zeros((p, K))
    W[:4] = 2 * rng.standard_normal((4, K))
    y = np.argmax(X @ W + rng.gumbel(size=(n, K)), axis=1)
    return X, y


def _objective(X, y, W, alpha, l1_ratio, sw):
    s = np.ones(len(y)) if sw is None else sw
    Z = X @ W
    lse = np.logaddexp.reduce(Z, axis=1)
    f = np.sum(s * (lse - Z[np.arange(len(y)), np.searchsorted(np.unique(y), y)])) / s.sum()
    return f + alpha * (l1_ratio * np.abs(W).sum() + 0.5 * (1 - l1_ratio) * np.sum(W * W))


def _cvxpy(X, y, K, alpha, l1_ratio, sw):
    n, p = X.shape
    s = np.ones(n) if sw is None else sw
    W = cp.Variable((p, K))
    Z = X @ W
    Y = np.zeros((n, K))
    Y[np.arange(n), np.searchsorted(np.unique(y), y)] = 1.0
    f = (cp.sum(cp.multiply(s, cp.log_sum_exp(Z, axis=1)))
         - cp.sum(cp.multiply(s[:, None] * Y, Z))) / s.sum()
    g = alpha * (l1_ratio * cp.sum(cp.abs(W)) + 0.5 * (1 - l1_ratio) * cp.sum_squares(W))
    prob = cp.Problem(cp.Minimize(f + g))
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    return prob.value


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("l1_ratio, weighted", [(1.0, False), (0.7, True)])
@pytest.mark.parametrize("kw", [{}, {"update": "coordinate"},
                                {"selection": "gsd", "blocks": "variable", "block_size": 3}])
def test_multinomial_matches_cvxpy(rng, sparse, l1_ratio, weighted, kw):
    X, y = _problem(rng, sparse=sparse)
    sw = rng.uniform(0.3, 2.0, len(y)) if weighted else None
    pen = ElasticNet(0.02, l1_ratio)
    Xin = sp.csc_array(X) if sparse else X
    res = GreedyBCD(Multinomial(), pen, tol=1e-12, max_iter=500, **kw).solve(
        Xin, y, sample_weight=sw)
    assert res.converged and res.coef.shape == (X.shape[1], 3)
    ours = _objective(X, y, res.coef, 0.02, l1_ratio, sw)
    ref = _cvxpy(X, y, 3, 0.02, l1_ratio, sw)
    assert abs(ours - ref) <= 1e-7 * abs(ref)
    assert ours <= ref * (1 + 1e-9)
    # the shared certificate agrees with the solver's, and grows away from the optimum
    _, rel = duality_gap(Multinomial(), pen, Xin, y, res.coef, sample_weight=sw)
    assert rel <= 1e-11
    assert duality_gap(Multinomial(), pen, Xin, y, res.coef + 0.1, sample_weight=sw)[1] > 1e-4


def test_two_classes_match_binary_logistic(rng):
    # softmax over two classes is the logistic loss of w1 - w0, and the L1 norm of the
    # two columns is at least |w1 - w0| with equality for the optimal split: the
    # optimal objectives coincide.
    X, y = _problem(rng, K=2)
    alpha = 0.01
    multi = GreedyBCD(Multinomial(), L1(alpha), tol=1e-12).solve(X, y)
    binary = GreedyBCD(Logistic(), L1(alpha), tol=1e-12).solve(X, np.where(y == 1, 1.0, -1.0))
    F_multi = _objective(X, y, multi.coef, alpha, 1.0, None)
    F_bin = (np.mean(np.logaddexp(0, -np.where(y == 1, 1, -1) * (X @ binary.coef)))
             + alpha * np.abs(binary.coef).sum())
    assert_allclose(F_multi, F_bin, rtol=1e-9)
    assert_allclose(multi.coef[:, 1] - multi.coef[:, 0], binary.coef, atol=1e-5)


def test_labels_coef_init_and_errors(rng):
    X, y = _problem(rng)
    labels = np.array(["a", "b", "c"])[y]
    codes = np.searchsorted(np.unique(labels), labels).astype(float)
    res = GreedyBCD(Multinomial(), L1(0.02), tol=1e-10).solve(X, codes)
    again = GreedyBCD(Multinomial(), L1(0.02), tol=1e-10).solve(X, codes, coef_init=res.coef)
    assert again.n_iter == 1
    with pytest.raises(ValueError, match="fit_intercept is not supported"):
        GreedyBCD(Multinomial(), L1(0.02)).solve(X, y, fit_intercept=True)
    with pytest.raises(ValueError, match="at least 2 classes"):
        GreedyBCD(Multinomial(), L1(0.02)).solve(X, np.zeros(len(y)))
