"""MatrixCompletionImputer: imputation, fold-in of new rows, pipeline use, edge cases."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline

from sparseopt.completion import MatrixCompletion, MatrixCompletionImputer


def _low_rank(m=300, n=60, k=4, missing=0.5, seed=0):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((m, k)) @ rng.standard_normal((k, n))
    X = np.where(rng.uniform(size=M.shape) < missing, np.nan, M)
    return M, X


@pytest.mark.parametrize("solver", ["cholesky", "cg", "sketch"])
def test_fit_transform_recovers_and_keeps_observed(solver):
    M, X = _low_rank()
    imp = MatrixCompletionImputer(rank=4, tol=1e-10, solver=solver, random_state=0)
    filled = imp.fit_transform(X)
    obs = ~np.isnan(X)
    assert_array_equal(filled[obs], X[obs])
    assert np.linalg.norm(filled - M) <= 1e-8 * np.linalg.norm(M)
    assert imp.converged_ and imp.U_.shape == (300, 4) and imp.V_.shape == (60, 4)


def test_transform_of_training_rows_reproduces_fit_transform():
    M, X = _low_rank(seed=1)
    # noisy data: the completion is not exact, so the agreement tests the fold-in
    noisy = X + 0.1 * np.random.default_rng(2).standard_normal(X.shape)
    imp = MatrixCompletionImputer(rank=4, tol=1e-14, max_iter=500, random_state=0)
    a = imp.fit_transform(noisy)
    b = imp.transform(noisy)
    assert_allclose(b, a, rtol=1e-7, atol=1e-7 * np.abs(a).max())


def test_new_rows_are_folded_in_with_the_ridge_solution():
    M, X = _low_rank(seed=3)
    imp = MatrixCompletionImputer(rank=4, reg=0.5, tol=1e-5, max_iter=300,
                                  random_state=0).fit(X)
    rng = np.random.default_rng(4)
    new = np.where(rng.uniform(size=(7, 60)) < 0.6, M[:7] + 1.0, np.nan)
    out = imp.transform(new)
    for i in range(7):
        J = ~np.isnan(new[i])
        V = imp.V_[J]
        u = np.linalg.solve(V.T @ V + 0.5 * np.eye(4), V.T @ new[i, J])
        assert_allclose(out[i, ~J], imp.V_[~J] @ u, rtol=1e-10, atol=1e-12)
        assert_array_equal(out[i, J], new[i, J])


def test_sparse_input_observed_entries_equal_dense_nan():
    M, X = _low_rank(seed=5)
    obs = ~np.isnan(X)
    r, c = np.nonzero(obs)
    S = sp.csr_array((X[r, c], (r, c)), shape=X.shape)
    dense = MatrixCompletionImputer(rank=4, random_state=0).fit_transform(X)
    sparse = MatrixCompletionImputer(rank=4, random_state=0).fit_transform(S)
    assert_array_equal(sparse, dense)


def test_matches_matrix_completion():
    M, X = _low_rank(seed=6)
    imp = MatrixCompletionImputer(rank=4, tol=1e-10, random_state=0).fit(X)
    mc = MatrixCompletion(4, tol=1e-10, random_state=0).fit(X)
    assert_array_equal(imp.U_, mc.U_)
    assert_array_equal(imp.V_, mc.V_)


def test_empty_rows_and_features_are_filled_with_zero():
    M, X = _low_rank(seed=7)
    X[:, 5] = np.nan  # a feature never observed in training
    imp = MatrixCompletionImputer(rank=4, random_state=0)
    filled = imp.fit_transform(X)
    assert_array_equal(filled[:, 5], 0.0)
    new = np.full((2, 60), np.nan)
    new[1, 10:20] = M[0, 10:20]
    out = imp.transform(new)
    assert_array_equal(out[0], 0.0)       # no observed entry
    assert_array_equal(out[:, 5], 0.0)    # the unseen feature
    assert_array_equal(out[1, 10:20], M[0, 10:20])


def test_float32_preserved_and_pipeline():
    M, X = _low_rank(seed=8)
    imp = MatrixCompletionImputer(rank=4, random_state=0)
    assert imp.fit_transform(X.astype(np.float32)).dtype == np.float32
    y = M[:, 0] - M[:, 1]
    Xf = X.copy()
    Xf[:, :2] = M[:, :2]  # the target's features fully observed
    pipe = make_pipeline(MatrixCompletionImputer(rank=4, tol=1e-10, random_state=0),
                         Ridge(alpha=1e-8)).fit(Xf, y)
    assert pipe.score(Xf, y) > 1 - 1e-8


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_bad_input():
    _, X = _low_rank(m=30, n=8, seed=9)
    with pytest.raises(ValueError, match=r"rank must be < min\(m, n\) = 8"):
        MatrixCompletionImputer(rank=8).fit(X)
    bad = X.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        MatrixCompletionImputer(rank=2).fit(bad)
    with pytest.raises(ValueError, match="no observed entry"):
        MatrixCompletionImputer(rank=2).fit(np.full((10, 5), np.nan))
    with pytest.raises(ValueError, match="'solver' parameter"):
        MatrixCompletionImputer(rank=2, solver="qr").fit(X)
    imp = MatrixCompletionImputer(rank=2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="features"):
        imp.transform(X[:, :5])
