"""Lasso and ElasticNet against scikit-learn, inside pipelines, and on bad input."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn import linear_model as sklm
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sparseopt.exceptions import ConvergenceWarning
from sparseopt.linear_model import ElasticNet, Lasso


def _medium(rng, n=300, p=600, sparse=False):
    X = rng.standard_normal((n, p))
    if sparse:
        X = X * (rng.random((n, p)) < 0.05)
    w = np.zeros(p)
    k = min(20, p)
    w[:k] = rng.standard_normal(k)
    y = X @ w + 1.0 + 0.1 * rng.standard_normal(n)
    return (sp.csr_array(X) if sparse else X), y


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("est, sk", [
    (Lasso(alpha=0.02), sklm.Lasso(alpha=0.02)),
    (ElasticNet(alpha=0.02, l1_ratio=0.6), sklm.ElasticNet(alpha=0.02, l1_ratio=0.6)),
    (Lasso(alpha=0.02, positive=True), sklm.Lasso(alpha=0.02, positive=True)),
])
def test_coefficients_match_sklearn(rng, sparse, fit_intercept, est, sk):
    X, y = _medium(rng, sparse=sparse)
    # Our tol is the relative gap; its floating-point floor is ~3e-15 here, and 1e-14
    # keeps the coefficients within 1e-6 even for the weakly strongly convex elastic net.
    ours = est.set_params(tol=1e-14, fit_intercept=fit_intercept).fit(X, y)
    ref = sk.set_params(tol=1e-12, fit_intercept=fit_intercept, max_iter=100_000).fit(X, y)
    assert_allclose(ours.coef_, ref.coef_, atol=1e-6)
    assert_allclose(ours.intercept_, ref.intercept_, atol=1e-6)
    assert ours.dual_gap_ <= 1e-14


@pytest.mark.parametrize("sparse", [False, True])
def test_sample_weight_matches_sklearn(rng, sparse):
    X, y = _medium(rng, n=200, p=100, sparse=sparse)
    sw = rng.uniform(0.1, 4.0, X.shape[0])
    ours = Lasso(alpha=0.01, tol=1e-12).fit(X, y, sample_weight=sw)
    ref = sklm.Lasso(alpha=0.01, tol=1e-12, max_iter=100_000).fit(X, y, sample_weight=sw)
    assert_allclose(ours.coef_, ref.coef_, atol=1e-6)
    assert_allclose(ours.intercept_, ref.intercept_, atol=1e-6)


def test_integer_weights_equal_repeated_samples(rng):
    X, y = _medium(rng, n=60, p=30)
    sw = rng.integers(0, 3, X.shape[0])
    rep = np.repeat(np.arange(X.shape[0]), sw)
    a = Lasso(alpha=0.01, tol=1e-13).fit(X, y, sample_weight=sw)
    b = Lasso(alpha=0.01, tol=1e-13).fit(X[rep], y[rep])
    assert_allclose(a.coef_, b.coef_, atol=1e-8)


def test_dense_and_sparse_agree_and_float32(rng):
    X, y = _medium(rng, n=100, p=50)
    dense = Lasso(alpha=0.01, tol=1e-12).fit(X, y)
    sparse = Lasso(alpha=0.01, tol=1e-12).fit(sp.csr_array(X), y)
    assert_allclose(dense.coef_, sparse.coef_, atol=1e-9)
    f32 = Lasso(alpha=0.01, tol=1e-10).fit(X.astype(np.float32), y.astype(np.float32))
    assert f32.coef_.dtype == np.float32
    assert_allclose(f32.coef_, dense.coef_, atol=1e-4)


def test_warm_start_reuses_solution(rng):
    X, y = _medium(rng, n=100, p=80)
    model = Lasso(alpha=0.01, tol=1e-10, warm_start=True).fit(X, y)
    model.fit(X, y)
    assert model.n_iter_ == 1


def test_in_pipeline_with_grid_search(rng):
    X, y = _medium(rng, n=120, p=40)
    pipe = make_pipeline(StandardScaler(), ElasticNet(tol=1e-8))
    grid = GridSearchCV(pipe, {"elasticnet__alpha": [0.01, 0.1, 1.0],
                               "elasticnet__l1_ratio": [0.5, 1.0]}, cv=3)
    grid.fit(X, y)
    assert grid.best_params_["elasticnet__alpha"] in (0.01, 0.1)
    assert grid.score(X, y) > 0.9


@pytest.mark.parametrize("params, match", [
    ({"alpha": -1.0}, r"The 'alpha' parameter of Lasso must be a float in the range \[0.0, inf\)"),
    ({"tol": -1.0}, "The 'tol' parameter of Lasso"),
    ({"max_iter": 0}, "The 'max_iter' parameter of Lasso"),
])
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        Lasso(**params).fit(np.eye(3), np.ones(3))


def test_bad_l1_ratio():
    with pytest.raises(ValueError, match="The 'l1_ratio' parameter of ElasticNet"):
        ElasticNet(l1_ratio=1.5).fit(np.eye(3), np.ones(3))


def test_bad_data():
    X, y = np.eye(4), np.ones(4)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        Lasso().fit(Xn, y)
    with pytest.raises(ValueError, match="Input y contains infinity"):
        Lasso().fit(X, np.array([1.0, np.inf, 0.0, 0.0]))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        Lasso().fit(X, np.ones(3))
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        Lasso().fit(X, y, sample_weight=[1, -1, 1, 1])


def test_convergence_warning_reports_gap(rng):
    X, y = _medium(rng, n=100, p=200)
    with pytest.warns(ConvergenceWarning, match=r"Lasso did not converge: relative duality "
                                                r"gap .* > tol 1.0e-15 after 1 iterations"):
        Lasso(alpha=1e-4, tol=1e-15, max_iter=1).fit(X, y)


def test_alpha_zero_warns_and_fits_least_squares(rng):
    X, y = _medium(rng, n=60, p=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.warns(UserWarning, match="alpha=0"):
            model = Lasso(alpha=0.0, tol=1e-14).fit(X, y)
    ols = sklm.LinearRegression().fit(X, y)
    assert_allclose(model.coef_, ols.coef_, rtol=1e-6)
