"""LabelPropagation: the harmonic solution against spsolve and scikit-learn's fixed point."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve
from sklearn.datasets import make_blobs
from sklearn.semi_supervised import LabelPropagation as SkLabelPropagation

from sparseopt.exceptions import ConvergenceWarning
from sparseopt.semi_supervised import LabelPropagation, harmonic_system


def _partial(rng, y, frac):
    keep = rng.random(y.size) < frac
    keep[np.unique(y, return_index=True)[1]] = True  # every class labeled at least once
    return np.where(keep, y, -1)


def test_matches_spsolve_precomputed(rng):
    X, y = make_blobs(200, centers=3, random_state=0)
    W = sp.csr_array(np.exp(-0.5 * ((X[:, None] - X[None]) ** 2).sum(-1)))
    W = W.multiply(W > 1e-3).tocsr()
    yp = _partial(rng, y, 0.2)
    lab = yp != -1
    model = LabelPropagation(kernel="precomputed", tol=1e-12).fit(W, yp)
    A, W_ul = harmonic_system(W, lab)
    Y = np.eye(3)[yp[lab]]
    Fu = spsolve(sp.csc_matrix(A), W_ul @ Y)
    np.testing.assert_allclose(model.label_distributions_[~lab], Fu, atol=1e-9)
    np.testing.assert_array_equal(model.label_distributions_[lab], Y)
    np.testing.assert_array_equal(model.transduction_[lab], yp[lab])
    assert model.converged_


def test_matches_sklearn_fixed_point_rbf(rng):
    # sklearn's LabelPropagation (hard clamping) converges to the same harmonic solution
    X, y = make_blobs(120, centers=2, cluster_std=2.0, random_state=1)
    yp = _partial(rng, y, 0.15)
    ours = LabelPropagation(kernel="rbf", gamma=0.5, tol=1e-12).fit(X, yp)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = SkLabelPropagation(kernel="rbf", gamma=0.5, tol=1e-13,
                                 max_iter=200_000).fit(X, yp)
    np.testing.assert_allclose(ours.label_distributions_, ref.label_distributions_,
                               atol=1e-6)
    np.testing.assert_array_equal(ours.transduction_, ref.transduction_)
    Xn = X[:10] + 0.1
    np.testing.assert_allclose(ours.predict_proba(Xn), ref.predict_proba(Xn), atol=1e-6)


@pytest.mark.parametrize("blocks", ["greedy-forest", "greedy-tree", "coordinate"])
@pytest.mark.parametrize("acceleration", [None, "auto"])
def test_blocks_agree_knn(rng, blocks, acceleration):
    X, y = make_blobs(300, centers=4, random_state=2)
    yp = _partial(rng, y, 0.1)
    ref = LabelPropagation(tol=1e-12).fit(X, yp)
    out = LabelPropagation(blocks=blocks, acceleration=acceleration, tol=1e-12).fit(X, yp)
    np.testing.assert_allclose(out.label_distributions_, ref.label_distributions_,
                               atol=1e-8)
    assert (out.transduction_ == y).mean() > 0.9
    P = out.predict_proba(X[:5])
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert set(out.predict(X)) <= set(out.classes_)


def test_string_labels_and_all_labeled(rng):
    X, y = make_blobs(60, centers=2, random_state=3)
    names = np.array(["a", "b"])[y]
    model = LabelPropagation().fit(X, names)
    np.testing.assert_array_equal(model.transduction_, names)
    assert model.n_iter_ == 0


def test_disconnected_component_without_labels():
    # two paths 0-1-2 and 3-4; only the first holds labels
    W = sp.csr_array(([1.0, 1.0, 1.0], ([0, 1, 3], [1, 2, 4])), shape=(5, 5))
    W = W + W.T
    y = np.array([0, -1, 1, -1, -1])
    with pytest.warns(UserWarning, match="without any labeled sample"):
        model = LabelPropagation(kernel="precomputed").fit(W, y)
    np.testing.assert_allclose(model.label_distributions_[3:], 0.5)
    np.testing.assert_allclose(model.label_distributions_[1], [0.5, 0.5])


def test_bad_affinity():
    W = sp.csr_array(([1.0], ([0], [1])), shape=(3, 3))
    with pytest.raises(ValueError, match="symmetric"):
        LabelPropagation(kernel="precomputed").fit(W, np.array([0, -1, 1]))
    with pytest.raises(ValueError, match="nonnegative"):
        LabelPropagation(kernel="precomputed").fit(-(W + W.T), np.array([0, -1, 1]))
    with pytest.raises(ValueError, match="square"):
        LabelPropagation(kernel="precomputed").fit(np.ones((3, 2)), np.array([0, -1, 1]))
    with pytest.raises(ValueError, match="no labeled sample"):
        LabelPropagation().fit(np.random.default_rng(0).random((5, 2)), -np.ones(5, int))


def test_max_iter_warns(rng):
    X, y = make_blobs(300, centers=3, random_state=4)
    yp = _partial(rng, y, 0.05)
    for acceleration in [None, "cg"]:
        with pytest.warns(ConvergenceWarning, match="max_iter=1"):
            model = LabelPropagation(max_iter=1, acceleration=acceleration).fit(X, yp)
        assert not model.converged_ and model.n_iter_ == 1


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_affinity_check_drops_self_loops_and_stored_zeros(index_dtype):
    # the check removes the diagonal and stored zeros with a mask (not setdiag): the
    # result must equal the affinity without them, canonical, whatever the input's
    # duplicates and index dtype
    from sparseopt.semi_supervised._label_propagation import _check_affinity

    rows = np.array([0, 0, 1, 1, 1, 2, 2, 3, 0, 3], dtype=index_dtype)
    cols = np.array([0, 1, 0, 2, 1, 1, 3, 2, 1, 3], dtype=index_dtype)
    vals = np.array([5.0, 1.0, 2.0, 3.0, 4.0, 3.0, 0.0, 0.0, 1.0, 7.0])
    W = sp.coo_array((vals, (rows, cols)), shape=(4, 4))  # (0, 1) stored twice
    out = _check_affinity(W)
    expected = np.array([[0, 2, 0, 0], [2, 0, 3, 0], [0, 3, 0, 0], [0, 0, 0, 0.0]])
    np.testing.assert_array_equal(out.toarray(), expected)
    assert out.nnz == 4 and out.has_canonical_format
    A, W_ul = harmonic_system(W, np.array([True, False, False, True]))
    np.testing.assert_array_equal(A.toarray(), [[5.0, -3.0], [-3.0, 3.0]])
    np.testing.assert_array_equal(W_ul.toarray(), [[2.0, 0.0], [0.0, 0.0]])
