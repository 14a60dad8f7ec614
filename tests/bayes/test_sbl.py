"""Classical SBL: ARDRegression where the models coincide, EM's monotone cost, M-SBL,
complex data, scale equivariance and bad input."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import ARDRegression

from sparseopt.bayes import SparseBayesianRegression
from sparseopt.exceptions import ConvergenceWarning


def _problem(rng, n=60, p=30, k=4, noise=0.05, is_complex=False, L=1):
    X = rng.standard_normal((n, p))
    W = np.zeros((p, L))
    supp = rng.choice(p, k, replace=False)
    W[supp] = rng.standard_normal((k, L)) + 1.0
    if is_complex:
        X = X + 1j * rng.standard_normal((n, p))
        W = W * np.exp(1j * rng.uniform(0, 2 * np.pi, (p, L)))
    E = noise * rng.standard_normal((n, L))
    Y = X @ W + E
    return X, Y[:, 0] if L == 1 else Y, W[:, 0] if L == 1 else W.T, supp


def test_mackay_sbl_matches_ard_regression_without_hyperpriors(rng):
    # ARD with flat hyperpriors (alpha_1 = ... = lambda_2 = 0) and no pruning is MacKay-
    # updated SBL with learned noise: both converge to the same evidence maximum.
    X, y, w, _ = _problem(rng, n=100, p=20, k=5, noise=0.1)
    ard = ARDRegression(fit_intercept=False, alpha_1=0.0, alpha_2=0.0, lambda_1=0.0,
                        lambda_2=0.0, threshold_lambda=1e12, tol=1e-14,
                        max_iter=20000).fit(X, y)
    sbl = SparseBayesianRegression(update="mackay", tol=1e-12, max_iter=20000,
                                   prune_threshold=0.0).fit(X, y)
    assert sbl.converged_
    big = np.abs(ard.coef_) > 1e-3
    assert_allclose(sbl.coef_[big], ard.coef_[big], rtol=1e-6)
    assert_allclose(sbl.coef_[~big], 0, atol=1e-3)
    assert_allclose(sbl.alpha_, ard.alpha_, rtol=1e-5)
    with_intercept = SparseBayesianRegression(update="mackay", fit_intercept=True, tol=1e-12,
                                              max_iter=20000, prune_threshold=0.0)
    ard_i = ARDRegression(fit_intercept=True, alpha_1=0.0, alpha_2=0.0, lambda_1=0.0,
                          lambda_2=0.0, threshold_lambda=1e12, tol=1e-14, max_iter=20000)
    y2 = y + 3.0
    with_intercept.fit(X, y2)
    ard_i.fit(X, y2)
    assert_allclose(with_intercept.intercept_, ard_i.intercept_, rtol=1e-5)


@pytest.mark.parametrize("learn_noise", [False, True])
def test_em_cost_never_increases(rng, learn_noise):
    X, y, _, _ = _problem(rng)
    model = SparseBayesianRegression(noise_var=None if learn_noise else 0.05**2,
                                     prune_threshold=0.0, max_iter=200, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    cost = np.array(model.cost_)
    assert np.all(np.diff(cost) <= 1e-9 * np.abs(cost[:-1])), np.diff(cost).max()


@pytest.mark.parametrize("is_complex", [False, True])
def test_recovers_support_and_posterior_is_consistent(rng, is_complex):
    X, y, w, supp = _problem(rng, noise=0.01, is_complex=is_complex)
    model = SparseBayesianRegression(noise_var=1e-4).fit(X, y)
    assert set(np.flatnonzero(np.abs(model.coef_) > 1e-3)) == set(supp)
    assert_allclose(model.coef_[supp], w[supp], rtol=0.02)
    assert np.all(model.gamma_[model.gamma_ == 0] == 0)
    assert np.all(model.sigma_ >= 0) and np.all(model.sigma_[model.gamma_ == 0] == 0)
    assert np.iscomplexobj(model.coef_) == is_complex
    assert model.score(X, y) > 0.99
    assert_allclose(model.predict(X), X @ model.coef_)


def test_multiple_measurement_vectors_share_support(rng):
    X, Y, W, supp = _problem(rng, noise=0.01, L=4)
    model = SparseBayesianRegression(noise_var=1e-4).fit(X, Y)
    assert model.coef_.shape == (4, X.shape[1])
    rows = np.flatnonzero(np.any(np.abs(model.coef_) > 1e-3, axis=0))
    assert set(rows) == set(supp)
    assert model.predict(X).shape == Y.shape


def test_rescaling_y_rescales_the_solution(rng):
    X, y, _, _ = _problem(rng)
    a = SparseBayesianRegression().fit(X, y)
    b = SparseBayesianRegression().fit(X, 1000.0 * y)
    assert a.n_iter_ == b.n_iter_
    assert_allclose(b.coef_, 1000.0 * a.coef_, rtol=1e-8, atol=1e-10)
    assert_allclose(b.noise_var_, 1e6 * a.noise_var_, rtol=1e-8)


def test_zero_targets_give_zero_coefficients(rng):
    X = rng.standard_normal((10, 5))
    model = SparseBayesianRegression().fit(X, np.zeros(10))
    assert np.all(model.coef_ == 0) and model.converged_


def test_non_convergence_warns(rng):
    X, y, _, _ = _problem(rng)
    with pytest.warns(ConvergenceWarning, match="did not converge in max_iter=2"):
        SparseBayesianRegression(max_iter=2).fit(X, y)


def test_bad_input_raises(rng):
    X, y, _, _ = _problem(rng)
    with pytest.raises(ValueError, match="noise_var"):
        SparseBayesianRegression(noise_var=0.0).fit(X, y)
    with pytest.raises(ValueError, match="noise_var"):
        SparseBayesianRegression(noise_var=-1.0).fit(X, y)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        SparseBayesianRegression().fit(Xn, y)
    with pytest.raises(ValueError, match="y must have 60 rows"):
        SparseBayesianRegression().fit(X + 0j, y[:-1])
    Xc = X + 1j
    Xc[1, 1] = np.inf
    with pytest.raises(ValueError, match="X must not contain NaN or infinity"):
        SparseBayesianRegression().fit(Xc, y)
    with pytest.raises(ValueError, match="update"):
        SparseBayesianRegression(update="newton").fit(X, y)
    model = SparseBayesianRegression().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :5] + 0j)
