"""The structured (Kronecker) E-step and the dense E-step against the textbook formulas."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sparseopt.bayes import kron_matvec
from sparseopt.bayes._kron import DensePosterior, kron_full, kron_posterior


def _dense(factors):
    A = factors[0]
    for F in factors[1:]:
        A = np.kron(A, F)
    return A


def _rand(rng, shape, is_complex):
    if is_complex:
        return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    return rng.standard_normal(shape)


def _textbook(A, gamma, s2, Y):
    """mu, diag Sigma, cost and dof from the N x N and M x M formulas, nothing clever."""
    M = A.shape[0]
    Sy = s2 * np.eye(M) + (A * gamma) @ A.conj().T
    Syi = np.linalg.inv(Sy)
    Sigma = np.diag(gamma) - (gamma[:, None] * A.conj().T) @ Syi @ (A * gamma)
    mu = (gamma[:, None] * A.conj().T) @ Syi @ Y
    L = Y.shape[1]
    cost = np.linalg.slogdet(Sy)[1] + np.real(np.trace(Y.conj().T @ Syi @ Y)) / L
    dof = np.sum(1 - np.real(np.diag(Sigma)) / gamma)
    return mu, np.real(np.diag(Sigma)), cost, dof


@pytest.mark.parametrize("is_complex", [False, True])
@pytest.mark.parametrize("shapes", [[(7, 9)], [(3, 5), (4, 6)], [(2, 3), (3, 4), (4, 5)],
                                    [(6, 4), (2, 5)]])
@pytest.mark.parametrize("L", [1, 3])
def test_kron_matvec_equals_numpy_kron(rng, shapes, is_complex, L):
    factors = [_rand(rng, s, is_complex) for s in shapes]
    N = int(np.prod([s[1] for s in shapes]))
    x = _rand(rng, (N, L), is_complex)
    assert_allclose(kron_matvec(factors, x), _dense(factors) @ x, rtol=1e-12, atol=1e-12)
    assert_allclose(kron_matvec(factors, x[:, 0]), _dense(factors) @ x[:, 0], rtol=1e-12,
                    atol=1e-12)


def test_kron_matvec_rejects_bad_input(rng):
    A, B = rng.standard_normal((3, 4)), rng.standard_normal((2, 5))
    with pytest.raises(ValueError, match=r"x must have shape \(20,\)"):
        kron_matvec([A, B], np.ones(19))
    with pytest.raises(ValueError, match=r"factors\[1\] must be 2-dimensional"):
        kron_matvec([A, np.ones(3)], np.ones(12))
    with pytest.raises(ValueError, match="at least one"):
        kron_matvec([], np.ones(3))


@pytest.mark.parametrize("is_complex", [False, True])
@pytest.mark.parametrize("shapes", [[(6, 11)], [(3, 5), (4, 6)], [(2, 4), (3, 5), (4, 6)],
                                    [(5, 4), (6, 5), (2, 3)]])
@pytest.mark.parametrize("L", [1, 4])
def test_structured_estep_equals_dense_formula(rng, shapes, is_complex, L):
    # N <= 200: the acceptance oracle for the E-step, to 1e-10
    factors = [_rand(rng, s, is_complex) for s in shapes]
    gammas = [rng.uniform(0.1, 3.0, s[1]) for s in shapes]
    A = _dense(factors)
    Y = _rand(rng, (A.shape[0], L), is_complex)
    s2 = 0.37
    mu, diag, cost, dof = _textbook(A, kron_full(gammas).reshape(-1), s2, Y)
    Yt = np.ascontiguousarray(Y.T).reshape((L, *[s[0] for s in shapes]))
    post = kron_posterior(factors, gammas, s2, Yt)
    assert_allclose(post.mu.reshape(L, -1).T, mu, rtol=1e-10, atol=1e-10 * np.abs(mu).max())
    assert_allclose(post.diag.reshape(-1), diag, rtol=1e-10, atol=1e-12)
    assert_allclose(post.cost, cost, rtol=1e-10)
    assert_allclose(post.dof, dof, rtol=1e-10)


@pytest.mark.parametrize("is_complex", [False, True])
@pytest.mark.parametrize("n_active", [5, 40])  # N x N form (N < M) and M x M form (N > M)
def test_dense_estep_both_forms_equal_textbook(rng, is_complex, n_active):
    M, N, L = 20, 60, 2
    A = _rand(rng, (M, N), is_complex)
    Y = _rand(rng, (M, L), is_complex)
    idx = np.sort(rng.choice(N, n_active, replace=False))
    gamma = rng.uniform(0.1, 2.0, n_active)
    est = DensePosterior(A, Y)
    post = est(idx, gamma, 0.5)
    mu, diag, cost, dof = _textbook(A[:, idx], gamma, 0.5, Y)
    assert_allclose(post.mu.T, mu, rtol=1e-10, atol=1e-12)
    assert_allclose(post.diag, diag, rtol=1e-10, atol=1e-12)
    assert_allclose(post.cost, cost, rtol=1e-10)
    assert_allclose(post.dof, dof, rtol=1e-10)
    # a smaller active set re-uses the cached Gram matrix (sub-indexed): same answer
    sub = idx[::2]
    post2 = est(sub, gamma[::2], 0.5)
    mu2, diag2, _, _ = _textbook(A[:, sub], gamma[::2], 0.5, Y)
    assert_allclose(post2.mu.T, mu2, rtol=1e-10, atol=1e-12)
    assert_allclose(post2.diag, diag2, rtol=1e-10, atol=1e-12)
