"""KroneckerSBL: one factor = classical SBL iterate for iterate, AM is a generalized EM
(monotone cost), recovery, complex data, MMV, pattern coupling, Kronecker OMP, bad input."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from sklearn.linear_model import orthogonal_mp

from sparseopt.bayes import KroneckerSBL, SparseBayesianRegression, kron_matvec, kronecker_omp
from sparseopt.bayes._krosbl import _couple, coupling_matrix
from sparseopt.datasets import make_kronecker_sparse
from sparseopt.exceptions import ConvergenceWarning


def _nmse(a, b):
    return float(np.sum(np.abs(a - b) ** 2) / np.sum(np.abs(b) ** 2))


@pytest.mark.parametrize("method", ["svd", "am"])
@pytest.mark.parametrize("noise_var", [None, 0.02])
@pytest.mark.parametrize("is_complex", [False, True])
def test_one_factor_iterates_equal_classical_sbl(rng, method, noise_var, is_complex):
    # the acceptance oracle: same cost at every iteration, same answer, to 1e-10
    X = rng.standard_normal((30, 50))
    w = np.zeros(50)
    w[[2, 17, 33, 40]] = [1.5, -2.0, 1.0, 0.7]
    if is_complex:
        X = X + 1j * rng.standard_normal((30, 50))
    y = X @ w + 0.1 * rng.standard_normal(30)
    kw = {"noise_var": noise_var, "prune_threshold": 1e-3, "tol": 1e-6, "max_iter": 100}
    k = KroneckerSBL(method=method, **kw).fit([X], y)
    s = SparseBayesianRegression(**kw).fit(X, y)
    assert k.n_iter_ == s.n_iter_ > 5
    assert_allclose(k.cost_, s.cost_, rtol=1e-10)
    assert_allclose(k.coef_, s.coef_, rtol=1e-10, atol=1e-10 * np.abs(s.coef_).max())
    assert_allclose(k.gamma_, s.gamma_, rtol=1e-10, atol=1e-14)
    assert_allclose(k.sigma_, s.sigma_, rtol=1e-9, atol=1e-14)
    assert_allclose(k.noise_var_, s.noise_var_, rtol=1e-10)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_modes=st.sampled_from([2, 3]),
       learn=st.booleans())
def test_am_is_a_generalized_em_its_cost_never_increases(seed, n_modes, learn):
    shapes = [(4, 6), (5, 6), (3, 4)][:n_modes]
    factors, y, x, nv = make_kronecker_sparse(shapes, n_nonzero=2, snr_db=20,
                                              random_state=seed)
    model = KroneckerSBL(method="am", noise_var=None if learn else nv, prune_threshold=0.0,
                         max_iter=60, tol=0, max_inner_iter=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(factors, y)
    cost = np.array(model.cost_)
    assert np.all(np.diff(cost) <= 1e-9 * np.abs(cost[:-1]) + 1e-12), np.diff(cost).max()


@pytest.mark.parametrize("method", ["svd", "am"])
@pytest.mark.parametrize("is_complex", [False, True])
def test_recovers_a_kronecker_supported_vector(method, is_complex, seed):
    factors, y, x, nv = make_kronecker_sparse([(8, 10), (9, 10), (10, 10)], n_nonzero=2,
                                              snr_db=40, complex=is_complex,
                                              random_state=seed)
    model = KroneckerSBL(method=method, noise_var=nv).fit(factors, y)
    assert model.converged_
    assert _nmse(model.coef_, x) < 1e-3
    big = np.abs(model.coef_) > 1e-2 * np.abs(model.coef_).max()
    assert np.array_equal(big, x != 0)
    assert np.iscomplexobj(model.coef_) == is_complex
    assert_allclose(model.predict(factors), kron_matvec(factors, model.coef_))
    assert model.score(factors, y) > 0.99
    # gamma_ is the product of the per-mode variances, zero exactly off the kept grid
    prod = np.multiply.outer(np.multiply.outer(*model.gamma_factors_[:2]),
                             model.gamma_factors_[2]).ravel()
    assert_allclose(model.gamma_, prod)
    assert np.all(model.coef_[model.gamma_ == 0] == 0)


def test_learned_noise_is_close_to_the_truth(seed):
    factors, y, x, nv = make_kronecker_sparse([(10, 12), (12, 12)], n_nonzero=2,
                                              snr_db=10, random_state=seed)
    model = KroneckerSBL(max_iter=300).fit(factors, y)
    assert 0.5 * nv < model.noise_var_ < 2.0 * nv
    assert_allclose(model.alpha_, 1 / model.noise_var_)


def test_multiple_measurement_vectors(rng):
    factors = [rng.standard_normal((6, 8)), rng.standard_normal((7, 8))]
    X = np.zeros((3, 8, 8))
    X[:, [1, 5]][:, :, [2, 6]] = 0  # support rows 1, 5 and columns 2, 6 for every column
    for i in range(3):
        X[i][np.ix_([1, 5], [2, 6])] = rng.standard_normal((2, 2)) + 2.0
    Xf = X.reshape(3, -1)
    Y = kron_matvec(factors, Xf.T) + 1e-3 * rng.standard_normal((42, 3))
    model = KroneckerSBL(noise_var=1e-6).fit(factors, Y)
    assert model.coef_.shape == (3, 64)
    assert _nmse(model.coef_, Xf) < 1e-4
    assert model.predict(factors).shape == (42, 3)


def test_rescaling_y_rescales_the_solution(seed):
    factors, y, x, nv = make_kronecker_sparse([(6, 9), (7, 9)], random_state=seed)
    a = KroneckerSBL().fit(factors, y)
    b = KroneckerSBL().fit(factors, 1e3 * y)
    assert a.n_iter_ == b.n_iter_
    assert_allclose(b.coef_, 1e3 * a.coef_, rtol=1e-8, atol=1e-12)


def test_coupling_projects_onto_the_coupled_cone(rng):
    kept = np.array([0, 1, 2, 5, 6, 9])
    C = coupling_matrix(kept, 0.5)
    # neighbours on the original grid only: (0,1), (1,2), (5,6)
    assert C[0, 1] == C[1, 2] == C[3, 4] == 0.5 and C[2, 3] == 0 and C[4, 5] == 0
    inside = C @ rng.uniform(0, 1, len(kept))
    assert_allclose(_couple(inside, C), inside, rtol=1e-10)  # already representable
    spike = np.zeros(len(kept))
    spike[1] = 1.0
    out = _couple(spike, C)
    assert np.all(out >= -1e-15) and out[0] > 0 and out[2] > 0  # a spike gets neighbours
    assert coupling_matrix(kept, 0.0) is None


def test_zero_coupling_is_plain_am(seed):
    factors, y, _, nv = make_kronecker_sparse([(6, 9), (7, 9)], random_state=seed)
    a = KroneckerSBL(method="am", noise_var=nv).fit(factors, y)
    b = KroneckerSBL(method="am", noise_var=nv, coupling=[0.0, 0.0]).fit(factors, y)
    assert_allclose(a.coef_, b.coef_)


@pytest.mark.parametrize("method", ["svd", "am"])
def test_coupled_variant_estimates_irs_channels(method):
    from sparseopt.datasets import make_irs_mimo_channel

    d = make_irs_mimo_channel(snr_db=20, random_state=0)
    m = KroneckerSBL(method=method, noise_var=d.noise_var, coupling=(0.5, 0, 0.5),
                     max_iter=1000).fit(d.factors, d.y)
    shape = (len(d.channels), d.channels.shape[2], d.channels.shape[1])
    H = kron_matvec(d.channel_factors, m.coef_).reshape(shape).transpose(0, 2, 1)
    assert _nmse(H, d.channels) < 1e-2


def test_kronecker_omp_with_one_factor_is_omp(rng):
    A = rng.standard_normal((40, 60))
    x = np.zeros(60)
    x[[3, 11, 50]] = [1.0, -2.0, 1.5]
    y = A @ x + 0.01 * rng.standard_normal(40)
    ours = kronecker_omp([A], y, n_nonzero=3)
    sk = orthogonal_mp(A / np.linalg.norm(A, axis=0), y, n_nonzero_coefs=3)
    sk = sk / np.linalg.norm(A, axis=0)
    assert_allclose(ours, sk, rtol=1e-10, atol=1e-12)


def test_kronecker_omp_exact_without_noise(seed):
    factors, y, x, _ = make_kronecker_sparse([(10, 12), (11, 12)], n_nonzero=2,
                                             snr_db=300, random_state=seed)
    assert_allclose(kronecker_omp(factors, y, n_nonzero=2), x, atol=1e-8)


def test_bad_input_raises(rng, seed):
    factors, y, _, nv = make_kronecker_sparse([(6, 9), (7, 9)], random_state=seed)
    with pytest.raises(ValueError, match=r"y must have 42 rows to match factors of shapes"):
        KroneckerSBL().fit(factors, y[:-1])
    bad = [factors[0].copy(), factors[1]]
    bad[0][0, 0] = np.nan
    with pytest.raises(ValueError, match=r"factors\[0\] must not contain NaN"):
        KroneckerSBL().fit(bad, y)
    with pytest.raises(ValueError, match="noise_var"):
        KroneckerSBL(noise_var=-1.0).fit(factors, y)
    with pytest.raises(ValueError, match="coupling must be one value or 2 values"):
        KroneckerSBL(coupling=[0.1, 0.2, 0.3]).fit(factors, y)
    with pytest.raises(ValueError, match=r"coupling values must be in \[0, 1\)"):
        KroneckerSBL(coupling=[0.1, 1.5]).fit(factors, y)
    import scipy.sparse as sp

    with pytest.raises(TypeError, match=r"factors\[1\] must be a dense array"):
        KroneckerSBL().fit([factors[0], sp.csr_array(factors[1])], y)
    yn = y.copy()
    yn[3] = np.inf
    with pytest.raises(ValueError, match="y must not contain NaN"):
        KroneckerSBL().fit(factors, yn)
    model = KroneckerSBL().fit(factors, y)
    with pytest.raises(ValueError, match=r"must have \[9, 9\] columns"):
        model.predict([factors[0], factors[1][:, :5]])
    with pytest.raises(ValueError, match="n_nonzero"):
        kronecker_omp(factors, y, n_nonzero=[1, 2, 3])
    with pytest.raises(ValueError, match="tol"):
        kronecker_omp(factors, y, tol=-1.0)


def test_non_convergence_warns(seed):
    factors, y, _, nv = make_kronecker_sparse([(6, 9), (7, 9)], random_state=seed)
    with pytest.warns(ConvergenceWarning, match="KroneckerSBL did not converge"):
        KroneckerSBL(max_iter=1).fit(factors, y)


def test_large_problem_never_forms_the_kronecker_matrix():
    # N = 27,000 unknowns (M = 11,520): a dense covariance alone would be 5.4 GiB
    import tracemalloc

    factors, y, x, nv = make_kronecker_sparse([(16, 30), (24, 30), (30, 30)], snr_db=25,
                                              random_state=0)
    tracemalloc.start()
    model = KroneckerSBL(noise_var=nv).fit(factors, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 64 * 2**20
    assert _nmse(model.coef_, x) < 1e-2


@pytest.mark.parametrize("shape", [(5, 40), (40, 5), (7, 7)])
def test_leading_pair_equals_the_svd(rng, shape):
    from sparseopt.bayes._krosbl import _leading_pair

    B = rng.uniform(0, 1, shape)
    u, sv = _leading_pair(B)
    U, S, Vt = np.linalg.svd(B)
    assert_allclose(u, np.abs(U[:, 0]), rtol=1e-10, atol=1e-12)
    assert_allclose(sv, S[0] * np.abs(Vt[0]), rtol=1e-10, atol=1e-12)
