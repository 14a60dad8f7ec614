"""SemiNMF: monotone objective, nonnegative codes, exact recovery, NMF/SVD bounds, bad input."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.decomposition import NMF

from sparseopt.completion import SemiNMF
from sparseopt.completion._seminmf import _keep_largest, _update_codes
from sparseopt.exceptions import ConvergenceWarning


def factorable(rng, n, p, k, zeros=0.3):
    """X = W H exactly, W >= 0 with some exact zeros, H signed."""
    W = rng.uniform(size=(n, k))
    W[rng.uniform(size=W.shape) < zeros] = 0.0
    return W, rng.standard_normal((k, p))


def quiet(model, X, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, **kw)


# ---------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 30), p=st.integers(1, 12), k=st.integers(1, 6),
       seed=st.integers(0, 2**16), init=st.sampled_from(["svd", "random", "kmeans"]),
       low_rank=st.booleans())
def test_objective_never_increases(n, p, k, seed, init, low_rank):
    rng = np.random.default_rng(seed)
    k = min(k, n, p)
    if low_rank:  # exactly factorable data, where the error heads to 0
        W, H = factorable(rng, n, p, k)
        X = W @ H
    else:
        X = rng.standard_normal((n, p))
    model = quiet(SemiNMF(k, init=init, max_iter=60, tol=0.0, random_state=seed), X)
    hist = model.objective_history_
    assert hist.shape == (model.n_iter_ + 1,)
    # exact minimizations alternate: increases are rounding only, relative to the
    # objective or, once the fit is exact, at the rounding level of the residual itself
    # (a least-squares residual of up to ~1e4 eps ||X||, the conditioning of W included:
    # 4.5e-12 with ||X|| = 5 for a random 5 x 5 X at k = 5, which any X fits exactly)
    floor = (1e4 * np.finfo(float).eps * np.linalg.norm(X)) ** 2
    assert np.all(np.diff(hist) <= 1e-12 * hist[0] + floor)
    # the final exact codes can only lower the error further
    assert model.reconstruction_err_**2 <= hist[-1] * (1 + 1e-12) + floor
    assert model.transform(X).min() >= 0


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 25), p=st.integers(2, 15), seed=st.integers(0, 2**16),
       sparsity=st.floats(0.05, 1.0))
def test_codes_nonnegative_and_components_sparse(n, p, seed, sparsity):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    k = min(3, n, p)
    model = SemiNMF(k, sparsity=sparsity, max_iter=30, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        W = model.fit_transform(X)
    assert W.min() >= 0
    kept = max(1, int(np.ceil(sparsity * p)))
    assert np.all(np.count_nonzero(model.components_, axis=1) <= kept)
    # the returned factors are the best iterate: never worse than the initialization
    # (up to the rounding level of an exact fit, as above)
    floor = (1e3 * np.finfo(float).eps * np.linalg.norm(X)) ** 2
    assert model.reconstruction_err_**2 <= model.objective_history_[0] * (1 + 1e-12) + floor


def test_multiplicative_update_keeps_sign_and_decreases(rng):
    X = rng.standard_normal((40, 15))
    W = rng.uniform(size=(40, 4))
    W[:5, 0] = 0.0
    H = rng.standard_normal((4, 15))
    before = np.linalg.norm(X - W @ H)
    W_new = _update_codes(X, W, H)
    assert W_new.min() >= 0
    assert_array_equal(W_new[:5, 0], 0.0)  # zeros stay zero
    assert np.linalg.norm(X - W_new @ H) <= before


def test_keep_largest_is_winner_take_all():
    H = np.array([[0.1, -3.0, 2.0, 0.5], [1.0, 1.5, -0.2, -4.0]])
    assert_array_equal(_keep_largest(H, 0.5), [[0, -3.0, 2.0, 0], [0, 1.5, 0, -4.0]])
    assert_array_equal(_keep_largest(H, 0.01), [[0, -3.0, 0, 0], [0, 0, 0, -4.0]])
    assert _keep_largest(H, 1.0) is H


# ---------------------------------------------------------------------------------------
# oracles
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_recovery_from_a_good_init(seed):
    rng = np.random.default_rng(seed)
    W, H = factorable(rng, 100, 20, 3)
    X = W @ H
    W0 = W * (1 + 0.5 * rng.uniform(size=W.shape)) + 0.05 * rng.uniform(size=W.shape)
    model = quiet(SemiNMF(3, init="custom", tol=1e-14, max_iter=3000), X, W=W0)
    assert model.reconstruction_err_ <= 1e-10 * np.linalg.norm(X)
    assert_allclose(model.inverse_transform(model.transform(X)), X, atol=1e-10)


def test_between_truncated_svd_and_nmf_on_nonnegative_data():
    from sklearn.datasets import load_digits

    X = load_digits().data[:500] / 16.0
    k = 8
    nmf = NMF(k, init="nndsvda", max_iter=1000, tol=1e-6, random_state=0)
    W_nmf = nmf.fit_transform(X)
    nmf_err = np.linalg.norm(X - W_nmf @ nmf.components_)
    svd_err = np.sqrt(np.sum(np.linalg.svd(X, compute_uv=False)[k:] ** 2))
    # Semi-NMF relaxes NMF (H may be signed): started from NMF's codes it is monotone, so
    # it ends at most at NMF's error; no rank-k factorization beats the truncated SVD.
    warm = quiet(SemiNMF(k, init="custom", max_iter=200), X, W=W_nmf)
    assert svd_err <= warm.reconstruction_err_ <= nmf_err * (1 + 1e-12)
    cold = quiet(SemiNMF(k, max_iter=500, random_state=0), X)
    assert svd_err <= cold.reconstruction_err_ <= 1.1 * nmf_err


def test_float32_and_reproducibility(rng):
    X = rng.standard_normal((30, 10))
    a = quiet(SemiNMF(3, init="random", max_iter=50, random_state=4), X)
    b = quiet(SemiNMF(3, init="random", max_iter=50, random_state=4), X)
    assert_array_equal(a.components_, b.components_)
    c = quiet(SemiNMF(3, init="random", max_iter=50, random_state=4), X.astype(np.float32))
    assert c.components_.dtype == np.float32
    assert c.transform(X.astype(np.float32)).dtype == np.float32


def test_convergence_warning_and_flags(rng):
    X = rng.standard_normal((30, 10))
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        model = SemiNMF(3, max_iter=2, tol=0.0).fit(X)
    assert model.n_iter_ == 2 and not model.converged_
    model = SemiNMF(3, tol=1e-2).fit(X)
    assert model.converged_ and model.n_iter_ < 500


# ---------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("params, match", [
    ({"n_components": 0}, "n_components"),
    ({"n_components": 11}, "n_components must be <= min"),
    ({"sparsity": 0.0}, "sparsity"),
    ({"sparsity": 1.5}, "sparsity"),
    ({"init": "nndsvd"}, "init"),
    ({"tol": -1.0}, "tol"),
])
def test_bad_parameters(rng, params, match):
    with pytest.raises(ValueError, match=match):
        SemiNMF(**params).fit(rng.standard_normal((20, 10)))


def test_bad_data_and_custom_init(rng):
    X = rng.standard_normal((20, 10))
    bad = X.copy()
    bad[2, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        SemiNMF(3).fit(bad)
    with pytest.raises(ValueError, match="init='custom' needs"):
        SemiNMF(3, init="custom").fit(X)
    with pytest.raises(ValueError, match="W must have shape"):
        SemiNMF(3, init="custom").fit(X, W=np.ones((20, 2)))
    with pytest.raises(ValueError, match="W must be nonnegative"):
        SemiNMF(3, init="custom").fit(X, W=-np.ones((20, 3)))
    with pytest.raises(ValueError, match="W is used only with init='custom'"):
        SemiNMF(3).fit(X, W=np.ones((20, 3)))
    model = quiet(SemiNMF(3), X)
    with pytest.raises(ValueError, match="X must have 3 columns"):
        model.inverse_transform(np.ones((4, 2)))
    with pytest.raises(ValueError, match="features"):
        model.transform(np.ones((4, 9)))
