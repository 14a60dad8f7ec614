import numpy as np
import pytest

from sparseopt.nn import cubic_sparsity, erk_densities


def test_cubic_matches_torch_cubicsl_values():
    ref = [.244, .439, .591, .706, .787, .842, .876, .893, .899, .9]
    got = [cubic_sparsity(t, 0.0, 0.9, 0, 1, 10) for t in range(1, 11)]
    np.testing.assert_allclose(got, ref, atol=6e-4)
    assert cubic_sparsity(0, 0.1, 0.9, 5, 2, 10) == pytest.approx(0.1)
    assert cubic_sparsity(10**6, 0.1, 0.9, 5, 2, 10) == pytest.approx(0.9)


def test_cubic_bad_input():
    with pytest.raises(ValueError, match="final_sparsity"):
        cubic_sparsity(1, 0.0, 1.0, 0, 1, 10)
    with pytest.raises(ValueError, match="frequency"):
        cubic_sparsity(1, 0.0, 0.5, 0, 0, 10)


@pytest.mark.parametrize("density", [0.05, 0.2, 0.5, 0.9])
def test_erk_weighted_density_equals_target(density):
    shapes = [(64, 3, 3, 3), (128, 64, 3, 3), (10, 128), (4, 4)]
    d = erk_densities(shapes, density)
    sizes = np.array([np.prod(s) for s in shapes], dtype=float)
    assert (d > 0).all() and (d <= 1).all()
    assert (d * sizes).sum() == pytest.approx(density * sizes.sum())


def test_erk_small_layer_capped_dense():
    d = erk_densities([(4, 4), (1000, 1000)], 0.1)
    assert d[0] == 1.0
    with pytest.raises(ValueError, match="density"):
        erk_densities([(4, 4)], 0.0)
