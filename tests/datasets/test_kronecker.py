"""The Kronecker problem generators: the measurement models hold exactly."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sparseopt.bayes import kron_matvec
from sparseopt.datasets import make_irs_mimo_channel, make_kronecker_sparse


@pytest.mark.parametrize("is_complex", [False, True])
def test_make_kronecker_sparse_model(is_complex):
    factors, y, x, nv = make_kronecker_sparse([(4, 6), (5, 7)], n_nonzero=(2, 3), snr_db=20,
                                              complex=is_complex, random_state=0)
    assert [A.shape for A in factors] == [(4, 6), (5, 7)]
    assert int(np.sum(x != 0)) == 6
    X = x.reshape(6, 7)
    assert np.sum(np.any(X != 0, axis=1)) == 2 and np.sum(np.any(X != 0, axis=0)) == 3
    clean = np.kron(*factors) @ x
    assert_allclose(nv, np.mean(np.abs(clean) ** 2) / 100.0)
    assert np.iscomplexobj(y) == is_complex
    # the noise is about the stated variance
    _, y2, x2, nv2 = make_kronecker_sparse([(40, 6), (50, 7)], snr_db=10, random_state=1)
    f2 = make_kronecker_sparse([(40, 6), (50, 7)], snr_db=10, random_state=1)[0]
    assert 0.8 < np.var(y2 - kron_matvec(f2, x2)) / nv2 < 1.2


def test_make_kronecker_sparse_rejects_bad_input():
    with pytest.raises(ValueError, match=r"factor_shapes\[1\]"):
        make_kronecker_sparse([(3, 4), (0, 4)])
    with pytest.raises(ValueError, match=r"n_nonzero\[0\] must be an int in \[1, 4\]"):
        make_kronecker_sparse([(3, 4)], n_nonzero=5)
    with pytest.raises(ValueError, match="snr_db"):
        make_kronecker_sparse(snr_db=np.nan)


def test_irs_channel_model_is_exact():
    d = make_irs_mimo_channel(snr_db=100, random_state=3)
    n_p, n_bs, n_ms = d.channels.shape
    # the cascaded channels are the Kronecker dictionary applied to the angular x
    H = kron_matvec(d.channel_factors, d.x).reshape(n_p, n_ms, n_bs).transpose(0, 2, 1)
    assert_allclose(H, d.channels, rtol=1e-10, atol=1e-10 * np.abs(d.channels).max())
    # and the received pilots are the measurement factors applied to x
    clean = np.concatenate([(d.channels[i] @ d.pilots).ravel(order="F") for i in range(n_p)])
    assert_allclose(kron_matvec(d.factors, d.x), clean, rtol=1e-10,
                    atol=1e-10 * np.abs(clean).max())
    # x is Kronecker-supported on the stated per-mode supports, with clusters of 3
    X = np.abs(d.x.reshape(18, 18, 18)) > 0
    for mode, supp in enumerate(d.support):
        axes = tuple(a for a in range(3) if a != mode)
        assert np.array_equal(np.flatnonzero(X.any(axis=axes)), supp)
    assert [len(s) for s in d.support] == [3, 1, 3]
    assert 1e-12 < d.noise_var < 1e-8 * np.mean(np.abs(clean) ** 2)


def test_irs_channel_rejects_bad_input():
    with pytest.raises(ValueError, match="n_ms must be a positive integer"):
        make_irs_mimo_channel(n_ms=0)
    with pytest.raises(ValueError, match="angle_spread must be <= grid_size"):
        make_irs_mimo_channel(angle_spread=20)
