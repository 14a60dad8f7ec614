"""MonarchApproximation: the transformer around monarch_project."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline

from sparseopt.structured import MonarchApproximation, MonarchMatrix, monarch_project


def test_fit_stores_the_projection(rng):
    W = rng.standard_normal((32, 64))
    est = MonarchApproximation(nblocks=4).fit(W)
    M, err = monarch_project(W, 4, return_error=True)
    assert_allclose(est.monarch_.toarray(), M.toarray(), atol=1e-12)
    assert_allclose(est.error_, err, rtol=1e-12)
    assert_allclose(est.relative_error_, np.linalg.norm(W - M.toarray()) / np.linalg.norm(W),
                    rtol=1e-10)
    assert est.compression_ == W.size / M.n_params
    assert est.n_features_in_ == 64


def test_transform_applies_the_compressed_layer(rng):
    W = MonarchMatrix.random((24, 36), (3, 4), random_state=0).toarray()
    est = MonarchApproximation(nblocks=(3, 4)).fit(W)
    assert est.relative_error_ < 1e-12
    X = rng.standard_normal((10, 36))
    assert_allclose(est.transform(X), X @ W.T, atol=1e-12)
    assert list(est.get_feature_names_out()) == [f"monarchapproximation{i}" for i in range(24)]


def test_float32_is_preserved(rng):
    W = rng.standard_normal((16, 16)).astype(np.float32)
    est = MonarchApproximation(nblocks=4).fit(W)
    assert est.monarch_.dtype == np.float32
    assert est.transform(W).dtype == np.float32


def test_zero_matrix_and_padding(rng):
    est = MonarchApproximation(nblocks=3, pad=True).fit(np.zeros((5, 7)))
    assert est.relative_error_ == 0.0 and est.error_ == 0.0
    with pytest.raises(ValueError, match="do not divide"):
        MonarchApproximation(nblocks=3).fit(np.ones((5, 7)))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_replaces_an_mlp_layer_in_a_pipeline():
    # the compressed first layer of a trained network, as a feature map in a pipeline
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    mlp = MLPRegressor(hidden_layer_sizes=(128,), max_iter=50, random_state=0).fit(X, y)
    W = mlp.coefs_[0].T  # (128 hidden units, 64 inputs)
    approx = MonarchApproximation(nblocks=2).fit(W)
    H = make_pipeline(approx).transform(X)
    assert_allclose(H, X @ approx.monarch_.toarray().T, atol=1e-12)
    # the approximated pre-activations are closer to the dense ones than zero is
    assert np.linalg.norm(H - X @ W.T) < 0.9 * np.linalg.norm(X @ W.T)
