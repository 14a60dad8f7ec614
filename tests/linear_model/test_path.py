"""Paths and cross-validated estimators against scikit-learn."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn import linear_model as sklm
from sklearn.model_selection import KFold

from sparseopt.linear_model import ElasticNetCV, LassoCV, enet_path, lasso_path


def _data(rng, n=120, p=60):
    X = rng.standard_normal((n, p))
    w = np.zeros(p)
    w[:5] = [3, -2, 1.5, 1, -1]
    return X, X @ w + 0.5 * rng.standard_normal(n)


@pytest.mark.parametrize("sparse", [False, True])
def test_lasso_path_matches_sklearn(rng, sparse):
    X, y = _data(rng)
    Xin = sp.csc_array(X * (rng.random(X.shape) < 0.5)) if sparse else X
    alphas, coefs, gaps = lasso_path(Xin, y, alphas=20, tol=1e-13)
    sk_alphas, sk_coefs, _ = sklm.lasso_path(Xin, y, alphas=20, tol=1e-13, max_iter=100_000)
    assert_allclose(alphas, sk_alphas, rtol=1e-12)
    assert_allclose(coefs, sk_coefs, atol=1e-6)
    assert np.all(gaps <= 1e-13)
    assert np.all(coefs[:, 0] == 0)  # alpha_max gives w = 0


def test_enet_path_explicit_alphas_sorted_and_n_iter(rng):
    X, y = _data(rng)
    alphas, coefs, gaps, n_iters = enet_path(X, y, l1_ratio=0.7, alphas=[0.01, 1.0, 0.1],
                                             tol=1e-12, return_n_iter=True)
    assert_allclose(alphas, [1.0, 0.1, 0.01])
    _, sk_coefs, _ = sklm.enet_path(X, y, l1_ratio=0.7, alphas=[1.0, 0.1, 0.01], tol=1e-13,
                                    max_iter=100_000)
    assert_allclose(coefs, sk_coefs, atol=1e-6)
    assert n_iters.shape == (3,)


def test_path_bad_input():
    with pytest.raises(ValueError, match=r"l1_ratio must be in \(0, 1\]"):
        enet_path(np.eye(3), np.ones(3), l1_ratio=0.0)
    with pytest.raises(ValueError, match="y must have 3 entries"):
        lasso_path(np.eye(3), np.ones(4))
    with pytest.raises(ValueError, match="alphas must be non-negative"):
        lasso_path(np.eye(3), np.ones(3), alphas=[-1.0])


@pytest.mark.parametrize("sparse", [False, True])
def test_lasso_cv_matches_sklearn(rng, sparse):
    X, y = _data(rng)
    Xin = sp.csr_array(X) if sparse else X
    cv = KFold(4, shuffle=True, random_state=0)
    ours = LassoCV(alphas=30, cv=cv, tol=1e-12).fit(Xin, y)
    ref = sklm.LassoCV(alphas=30, cv=cv, tol=1e-12, max_iter=100_000).fit(Xin, y)
    assert_allclose(ours.alphas_, ref.alphas_, rtol=1e-10)
    assert_allclose(ours.mse_path_, ref.mse_path_, rtol=1e-5)
    assert ours.alpha_ == pytest.approx(ref.alpha_)
    assert_allclose(ours.coef_, ref.coef_, atol=1e-6)
    assert_allclose(ours.intercept_, ref.intercept_, atol=1e-6)


def test_enet_cv_chooses_l1_ratio_and_runs_folds_in_parallel(rng):
    X, y = _data(rng)
    cv = KFold(3, shuffle=True, random_state=0)
    serial = ElasticNetCV(l1_ratio=[0.3, 0.9], alphas=15, cv=cv, tol=1e-10).fit(X, y)
    parallel = ElasticNetCV(l1_ratio=[0.3, 0.9], alphas=15, cv=cv, tol=1e-10,
                            n_jobs=2).fit(X, y)
    assert serial.mse_path_.shape == (2, 15, 3)
    assert_allclose(serial.mse_path_, parallel.mse_path_, rtol=1e-8)
    assert serial.l1_ratio_ == parallel.l1_ratio_ and serial.alpha_ == parallel.alpha_
    ref = sklm.ElasticNetCV(l1_ratio=[0.3, 0.9], alphas=15, cv=cv, tol=1e-12,
                            max_iter=100_000).fit(X, y)
    assert serial.l1_ratio_ == ref.l1_ratio_
    assert serial.alpha_ == pytest.approx(ref.alpha_)


def test_cv_with_sample_weight(rng):
    X, y = _data(rng)
    sw = rng.uniform(0.5, 2.0, len(y))
    model = LassoCV(alphas=10, cv=3).fit(X, y, sample_weight=sw)
    assert model.alphas_.shape == (10,) and np.isfinite(model.mse_path_).all()


def test_cv_bad_l1_ratio():
    with pytest.raises(ValueError, match=r"l1_ratio must be in \(0, 1\]"):
        ElasticNetCV(l1_ratio=[0.0, 0.5]).fit(np.eye(6), np.arange(6.0))
