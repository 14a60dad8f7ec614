import numpy as np
import pytest

from sparseopt.nn import decay_factor, mask_decay_weight, sparse_soup, srste_gradient


def test_srste_gradient():
    W = np.array([[1.0, -2.0], [3.0, 4.0]])
    M = np.array([[True, False], [False, True]])
    g = np.ones_like(W)
    np.testing.assert_allclose(srste_gradient(g, W, M, lam=0.5), [[1, 0], [2.5, 1]])
    with pytest.raises(ValueError, match="mask"):
        srste_gradient(g, W, M[:1])


def test_mask_decay_and_factor():
    W = np.array([2.0, 4.0])
    M = np.array([True, False])
    np.testing.assert_allclose(mask_decay_weight(W, M, 0.25), [2.0, 1.0])
    assert decay_factor(100, "linear", 0.005) == pytest.approx(0.5)
    assert decay_factor(1000, "linear", 0.005) == 0.0
    assert decay_factor(10, "exp", 0.1) == pytest.approx(np.exp(-1))
    with pytest.raises(ValueError, match="kind"):
        decay_factor(1, "cubic")


def test_sparse_soup():
    M = np.array([True, False, True])
    out = sparse_soup([np.array([1.0, 5, 3]), np.array([3.0, 7, 5])], M)
    np.testing.assert_allclose(out, [2, 0, 4])
    with pytest.raises(ValueError, match="differs"):
        sparse_soup([np.ones(3), np.ones(3)], np.array([M, ~M]))
