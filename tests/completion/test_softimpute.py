"""SoftImpute: the sparse + low-rank iteration equals the dense one, recovery, monotone
objective, the imputer convention, Pipeline use, bad input, memory on a 20000 x 20000 problem."""

import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline

from sparseopt.completion import SoftImputeImputer, soft_impute
from sparseopt.completion._softimpute import _observed, _soft_impute
from sparseopt.exceptions import ConvergenceWarning


def low_rank(rng, m, n, k, frac, noise=0.0):
    M = rng.standard_normal((m, k)) @ rng.standard_normal((k, n))
    obs = rng.uniform(size=M.shape) < frac
    X = np.where(obs, M + noise * rng.standard_normal(M.shape), np.nan)
    return M, X, obs


def dense_iterates(X, lam, n_iter, max_rank=None):
    """The textbook iteration: fill, full SVD, soft-threshold (optionally keep max_rank)."""
    obs = ~np.isnan(X)
    Z = np.zeros(X.shape)
    out = []
    for _ in range(n_iter):
        U, s, Vt = np.linalg.svd(np.where(obs, X, Z), full_matrices=False)
        s = np.maximum(s - lam, 0.0)
        if max_rank is not None:
            s[max_rank:] = 0.0
        Z = (U * s) @ Vt
        out.append(Z)
    return out


def sparse_iterates(X, lam, n_iter, max_rank=None, seed=0):
    got = []
    rows, cols, vals = _observed(X)
    _soft_impute(X.shape, rows, cols, vals, lam, max_rank, n_iter, 0.0,
                 np.random.RandomState(seed), svd_tol=1e-13, max_power=500,
                 callback=lambda U, s, Vt: got.append((U * s) @ Vt))
    return got


# ---------------------------------------------------------------------------------------
# oracle: the sparse + low-rank trick is exact
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("max_rank", [None, 4])
def test_iterates_equal_dense_reference(max_rank):
    rng = np.random.default_rng(0)
    _, X, _ = low_rank(rng, 60, 40, 5, 0.5, noise=0.1)
    lam = 2.0
    ref = dense_iterates(X, lam, 6, max_rank)
    got = sparse_iterates(X, lam, 6, max_rank)
    assert len(got) == 6
    for Zr, Zg in zip(ref, got, strict=True):
        # residuals 1e-13 sigma_1 of the Ritz pairs, divided by gaps of order 1
        assert_allclose(Zg, Zr, rtol=0, atol=1e-8 * np.abs(Zr).max())
    if max_rank is None:  # the rank really moves away from the block size guess
        assert np.linalg.matrix_rank(ref[0], tol=1e-8) > 5


def test_iterates_equal_dense_reference_sparse_input():
    rng = np.random.default_rng(1)
    _, X, obs = low_rank(rng, 50, 30, 3, 0.5, noise=0.05)
    Xs = sp.coo_array((X[obs], np.nonzero(obs)), shape=X.shape)
    ref = dense_iterates(X, 1.0, 4)
    got = sparse_iterates(Xs, 1.0, 4)
    for Zr, Zg in zip(ref, got, strict=True):
        assert_allclose(Zg, Zr, rtol=0, atol=1e-8 * np.abs(Zr).max())


# ---------------------------------------------------------------------------------------
# recovery and the monotone objective
# ---------------------------------------------------------------------------------------
def test_recovery_error_bounded_by_shrinkage():
    # noiseless rank 3, 60 % observed: the bias of the solution is O(lambda) per singular
    # value, so ||Z - M||_F <= ~2 sqrt(k) lambda (x2 for the off-diagonal error)
    rng = np.random.default_rng(2)
    M, X, _ = low_rank(rng, 150, 100, 3, 0.6)
    for lam in (0.3, 1.0):
        U, s, Vt, n_iter, conv = soft_impute(X, shrinkage=lam, tol=1e-9, max_iter=2000,
                                             random_state=0, return_n_iter=True)
        assert conv
        err = np.linalg.norm((U * s) @ Vt - M)
        assert err <= 2 * np.sqrt(3) * lam, (lam, err)


@settings(max_examples=25, deadline=None)
@given(m=st.integers(2, 40), n=st.integers(2, 40), k=st.integers(1, 4),
       frac=st.floats(0.2, 0.9), seed=st.integers(0, 2**16), rel_lam=st.floats(0.01, 0.5))
def test_objective_never_increases(m, n, k, frac, seed, rel_lam):
    rng = np.random.default_rng(seed)
    _, X, obs = low_rank(rng, m, n, min(k, m, n), frac, noise=0.1)
    if not obs.any():
        return
    lam = rel_lam * np.linalg.norm(np.where(obs, X, 0.0), 2)
    rows, cols, vals = _observed(X)
    hist = _soft_impute(X.shape, rows, cols, vals, lam, None, 30, 0.0,
                        np.random.RandomState(seed), svd_tol=1e-12, max_power=500)[-1]
    assert np.all(np.diff(hist) <= 1e-9 * hist[0])


def test_convergence_rule_and_warning():
    rng = np.random.default_rng(3)
    _, X, _ = low_rank(rng, 40, 30, 2, 0.5, noise=0.1)
    with pytest.warns(ConvergenceWarning):
        imp = SoftImputeImputer(shrinkage=1.0, max_iter=2, random_state=0).fit(X)
    assert imp.n_iter_ == 2 and not imp.converged_
    imp = SoftImputeImputer(shrinkage=1.0, tol=1e-6, max_iter=1000, random_state=0).fit(X)
    assert imp.converged_ and imp.n_iter_ < 1000
    assert imp.rank_ == imp.singular_values_.size == imp.components_.shape[0]


def test_default_shrinkage_is_sigma_max_over_50():
    rng = np.random.default_rng(4)
    _, X, obs = low_rank(rng, 40, 30, 2, 0.5)
    imp = SoftImputeImputer(random_state=0, max_iter=300).fit(X)
    assert_allclose(imp.shrinkage_, np.linalg.norm(np.where(obs, X, 0.0), 2) / 50, rtol=1e-6)


# ---------------------------------------------------------------------------------------
# the imputer
# ---------------------------------------------------------------------------------------
def test_only_nans_replaced_and_dtype_kept():
    rng = np.random.default_rng(5)
    _, X, obs = low_rank(rng, 50, 20, 2, 0.6)
    for dtype in (np.float64, np.float32):
        Xd = X.astype(dtype)
        out = SoftImputeImputer(shrinkage=0.5, random_state=0).fit_transform(Xd)
        assert out.dtype == dtype and not np.isnan(out).any()
        assert_array_equal(out[obs], Xd[obs])


def test_transform_reproduces_fit_transform_at_convergence():
    # the ridge row update is the ALS fixed point of the factored problem (Hastie et al.)
    rng = np.random.default_rng(6)
    _, X, obs = low_rank(rng, 80, 30, 3, 0.5, noise=0.05)
    imp = SoftImputeImputer(shrinkage=1.0, tol=1e-14, max_iter=5000, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        filled = imp.fit_transform(X)
    again = imp.transform(X)
    assert_allclose(again[~obs], filled[~obs], atol=1e-5 * np.abs(filled).max())


def test_transform_new_rows_and_sparse_input():
    rng = np.random.default_rng(7)
    M, X, obs = low_rank(rng, 300, 40, 2, 0.7)
    imp = SoftImputeImputer(shrinkage=0.5, random_state=0).fit(X[:200])
    new = imp.transform(X[200:])
    err = np.linalg.norm((new - M[200:])[~obs[200:]]) / np.linalg.norm(M[200:][~obs[200:]])
    assert err < 0.05
    Xs = sp.csr_array((X[obs], np.nonzero(obs)), shape=X.shape)
    assert_allclose(imp.transform(Xs[200:]), new, rtol=1e-12, atol=1e-12)
    dense = SoftImputeImputer(shrinkage=0.5, random_state=0).fit_transform(X)
    assert_allclose(SoftImputeImputer(shrinkage=0.5, random_state=0).fit_transform(Xs),
                    dense, atol=1e-6 * np.abs(dense).max())


def test_empty_rows_and_columns_filled_with_zero():
    rng = np.random.default_rng(8)
    _, X, _ = low_rank(rng, 30, 20, 2, 0.6)
    X[:, 3] = np.nan
    imp = SoftImputeImputer(shrinkage=0.5, random_state=0)
    out = imp.fit_transform(X)
    assert_array_equal(out[:, 3], 0.0)
    row = np.full((1, 20), np.nan)
    assert_array_equal(imp.transform(row), 0.0)


def test_pipeline():
    rng = np.random.default_rng(9)
    M, X, _ = low_rank(rng, 200, 10, 3, 0.8)
    y = M @ rng.standard_normal(10)
    pipe = Pipeline([("impute", SoftImputeImputer(shrinkage=0.5, random_state=0)),
                     ("model", Ridge(alpha=1e-3))]).fit(X[:150], y[:150])
    pred = pipe.predict(X[150:])
    assert np.linalg.norm(pred - y[150:]) < 0.1 * np.linalg.norm(y[150:])


@pytest.mark.parametrize("make, match", [
    (lambda: np.full((5, 4), np.nan), "no observed entry"),
    (lambda: np.array([[1.0, np.inf], [np.nan, 2.0]]), "inf"),
])
def test_bad_input(make, match):
    with pytest.raises(ValueError, match=match):
        SoftImputeImputer().fit(make())
    with pytest.raises(ValueError, match=match):
        soft_impute(make())


def test_bad_parameters_and_feature_count():
    X = np.array([[1.0, np.nan, 2.0], [0.5, 1.0, np.nan], [np.nan, 3.0, 1.0]])
    with pytest.raises(ValueError, match="shrinkage"):
        SoftImputeImputer(shrinkage=-1.0).fit(X)
    with pytest.raises(ValueError, match="shrinkage"):
        soft_impute(X, shrinkage=-1.0)
    with pytest.raises(ValueError, match="max_rank"):
        soft_impute(X, max_rank=0)
    imp = SoftImputeImputer(shrinkage=0.1, random_state=0).fit(X)
    with pytest.raises(ValueError, match="features"):
        imp.transform(X[:, :2])


# ---------------------------------------------------------------------------------------
# memory: O(|Omega| + (m + n) k), not m x n
# ---------------------------------------------------------------------------------------
def test_memory_20000_squared():
    rng = np.random.default_rng(10)
    m = n = 20_000
    k, nnz = 10, 2_000_000
    A, B = rng.standard_normal((m, k)), rng.standard_normal((n, k))
    flat = np.unique(rng.integers(0, m * n, size=nnz))
    rows, cols = np.divmod(flat, n)
    vals = np.einsum("ij,ij->i", A[rows], B[cols])
    X = sp.coo_array((vals, (rows, cols)), shape=(m, n))
    del flat, vals
    tracemalloc.start()
    U, s, Vt, n_iter, _ = soft_impute(X, shrinkage=95.0, max_iter=3, random_state=0,
                                      return_n_iter=True)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert n_iter == 3 and U.shape == (m, s.size) and s.size == k  # 237 MB measured
    assert peak < 500e6, f"peak {peak / 1e6:.0f} MB (a dense copy: {8 * m * n / 1e9:.1f} GB)"
