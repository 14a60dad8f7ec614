"""Kronecker products without forming them, and the two SBL E-steps (structured and dense).

Conventions. ``kron(A_0, ..., A_{D-1})`` is numpy's :func:`numpy.kron` (the last factor's
index runs fastest), so ``kron(A_0, A_1) @ x == (A_0 @ X @ A_1.T).ravel()`` with
``X = x.reshape(N_0, N_1)``: a vector over the Kronecker index is a C-ordered tensor of shape
``(N_0, ..., N_{D-1})`` and a product with the Kronecker matrix is one small matrix product
per mode. Snapshots (multiple measurement vectors) are kept on a *leading* tensor axis
internally, so that the first and the last mode products are each one GEMM.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla

__all__ = ["kron_matvec"]


def _herm(A: np.ndarray) -> np.ndarray:
    """Conjugate transpose (a plain transpose view for real arrays)."""
    return A.conj().T if np.iscomplexobj(A) else A.T


def _abs2(a: np.ndarray) -> np.ndarray:
    """Elementwise squared modulus, real."""
    if np.iscomplexobj(a):
        return a.real ** 2 + a.imag ** 2
    return a * a


def mode_product(T: np.ndarray, B: np.ndarray, axis: int) -> np.ndarray:
    """Multiply tensor ``T`` along ``axis`` by matrix ``B`` (``B`` has ``T.shape[axis]`` cols)."""
    shape = T.shape
    n = shape[axis]
    a = int(np.prod(shape[:axis], dtype=np.int64))
    b = int(np.prod(shape[axis + 1:], dtype=np.int64))
    if b == 1:  # last axis: one GEMM, (a, n) @ B^T
        out = T.reshape(a, n) @ B.T
    elif a == 1:  # first axis: one GEMM, B @ (n, b)
        out = B @ T.reshape(n, b)
    else:  # a middle axis: a stack of GEMMs
        out = np.matmul(B, T.reshape(a, n, b))
    return out.reshape(shape[:axis] + (B.shape[0],) + shape[axis + 1:])


def _kron_apply(factors, T: np.ndarray, first_axis: int = 1) -> np.ndarray:
    """Apply ``kron(*factors)`` to tensor ``T`` whose modes start at ``first_axis``."""
    for d, B in enumerate(factors):
        T = mode_product(T, B, first_axis + d)
    return T


def kron_matvec(factors, x) -> np.ndarray:
    """Multiply by a Kronecker product without forming it: ``kron(*factors) @ x``.

    Parameters
    ----------
    factors : sequence of array-like of shape (M_d, N_d)
        The factors :math:`A_0, \\ldots, A_{D-1}`, in :func:`numpy.kron`'s order (the last
        factor's index runs fastest).
    x : array-like of shape (N,) or (N, L)
        A vector, or ``L`` vectors as columns, with :math:`N = \\prod_d N_d`.

    Returns
    -------
    y : ndarray of shape (M,) or (M, L)
        :math:`(A_0 \\otimes \\cdots \\otimes A_{D-1})\\,x`, with :math:`M = \\prod_d M_d`.

    Raises
    ------
    ValueError
        If a factor is not 2-D, or ``x`` does not have :math:`\\prod_d N_d` rows.

    Notes
    -----
    With :math:`x` read as a C-ordered tensor of shape :math:`(N_0, \\ldots, N_{D-1})`, the
    product is the tensor :math:`x \\times_0 A_0 \\times_1 A_1 \\cdots`, one matrix product
    per mode: :math:`O(\\sum_d M_d N \\cdots)` flops instead of the :math:`MN` of the
    formed Kronecker matrix, and no :math:`M \\times N` memory.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.bayes import kron_matvec
    >>> rng = np.random.default_rng(0)
    >>> A, B = rng.standard_normal((3, 4)), rng.standard_normal((2, 5))
    >>> x = rng.standard_normal(20)
    >>> bool(np.allclose(kron_matvec([A, B], x), np.kron(A, B) @ x))
    True
    """
    factors = [np.asarray(A) for A in factors]
    if not factors:
        raise ValueError("factors must hold at least one matrix")
    for d, A in enumerate(factors):
        if A.ndim != 2:
            raise ValueError(f"factors[{d}] must be 2-dimensional, got shape {A.shape}")
    x = np.asarray(x)
    n_in = [A.shape[1] for A in factors]
    N = int(np.prod(n_in, dtype=np.int64))
    if x.ndim not in (1, 2) or x.shape[0] != N:
        raise ValueError(
            f"x must have shape ({N},) or ({N}, L) to match factors with "
            f"{' x '.join(map(str, n_in))} columns, got {x.shape}")
    vec = x.ndim == 1
    X = x.reshape(N, -1)
    T = np.ascontiguousarray(X.T).reshape((X.shape[1], *n_in))
    out = _kron_apply(factors, T)
    out = out.reshape(X.shape[1], -1).T
    return out[:, 0] if vec else out


def kron_full(vectors) -> np.ndarray:
    """``kron(v_0, ..., v_{D-1})`` of 1-D vectors, as a C-ordered tensor."""
    out = np.asarray(vectors[0])
    for v in vectors[1:]:
        out = np.multiply.outer(out, v)
    return out


# ------------------------------------------------------------------------------------------
# E-steps: the posterior of x given gamma and sigma^2, what the M-step needs, and the cost.
# ------------------------------------------------------------------------------------------
@dataclass
class Posterior:
    """The E-step's output.

    ``mu`` has one row per snapshot (shape (L, N_0, ..., N_{D-1}) or (L, N)), ``diag`` is
    the posterior covariance diagonal (the snapshot-independent :math:`\\Sigma_{nn}`),
    ``cost`` the SBL cost :math:`\\log|\\Sigma_y| + \\operatorname{tr}(Y^H\\Sigma_y^{-1}Y)/L`
    and ``dof`` :math:`\\operatorname{tr}(\\Gamma A^H \\Sigma_y^{-1} A) =
    \\sum_n (1 - \\Sigma_{nn}/\\gamma_n)`, the effective number of parameters.
    """

    mu: np.ndarray
    diag: np.ndarray
    cost: float
    dof: float


def kron_posterior(factors, gammas, noise_var: float, Y: np.ndarray) -> Posterior:
    """Posterior mean and covariance diagonal for ``y = kron(*factors) x + noise``.

    ``Y`` is the snapshot tensor of shape (L, M_0, ..., M_{D-1}); ``gammas`` the per-mode
    prior variances (all > 0). Neither the Kronecker matrix nor any N x N or M x M matrix
    is formed: with :math:`A_d\\Gamma_d A_d^H = U_d P_d U_d^H` (one small Hermitian
    eigendecomposition per mode),

    .. math::

       \\Sigma_y^{-1} = (\\otimes_d U_d)\\,\\mathrm{diag}\\big(1/(\\sigma^2 + \\otimes_d p_d)
       \\big)\\,(\\otimes_d U_d)^H,

    and with :math:`W_d = \\Gamma_d A_d^H U_d` and :math:`\\delta = 1/(\\sigma^2 +
    \\otimes_d p_d)`, :math:`\\mu = (\\otimes_d W_d)[\\delta \\odot (\\otimes_d U_d^H) y]`
    and :math:`\\mathrm{diag}\\,\\Sigma = \\gamma - (\\otimes_d |W_d|^2)\\,\\delta`.
    """
    Us, Ws, ps = [], [], []
    for A, g in zip(factors, gammas, strict=True):
        B = A * g  # A_d Gamma_d
        C = B @ _herm(A)
        C = 0.5 * (C + _herm(C))  # exactly Hermitian for eigh
        p, U = np.linalg.eigh(C)
        ps.append(np.maximum(p, 0.0))  # PSD up to rounding
        Us.append(U)
        Ws.append(_herm(B) @ U)  # Gamma_d A_d^H U_d  (N_d x M_d)
    P = kron_full(ps)
    denom = noise_var + P
    delta = 1.0 / denom
    L = Y.shape[0]
    Z = _kron_apply([_herm(U) for U in Us], Y)
    quad = float(np.sum(_abs2(Z) * delta)) / L
    mu = _kron_apply(Ws, Z * delta)
    diag = kron_full(gammas) - _kron_apply([_abs2(W) for W in Ws], delta[None])[0]
    np.maximum(diag, 0.0, out=diag)
    cost = float(np.sum(np.log(denom))) + quad
    dof = float(np.sum(P * delta))
    return Posterior(mu, diag, cost, dof)


class DensePosterior:
    """The classical SBL E-step on an explicit M x N dictionary, for shrinking active sets.

    Uses the M x M form :math:`\\Sigma_y = \\sigma^2 I + A\\Gamma A^H` while the active set is
    larger than M, and the N x N form :math:`\\Sigma = \\Gamma^{1/2}(I + \\Gamma^{1/2}A^HA
    \\Gamma^{1/2}/\\sigma^2)^{-1}\\Gamma^{1/2}` after pruning brings it below M, with the Gram
    matrix of the active columns computed once and then only sub-indexed.
    """

    def __init__(self, A: np.ndarray, Y: np.ndarray):
        self.A = A
        self.Y = Y  # (M, L)
        self._gram_idx = None
        self._gram = None
        self._AhY = None

    def _gram_for(self, idx):
        if self._gram_idx is None or not np.all(np.isin(idx, self._gram_idx)):
            Aa = self.A[:, idx]
            self._gram = _herm(Aa) @ Aa
            self._AhY = _herm(Aa) @ self.Y
            self._gram_idx = idx.copy()
            return self._gram, self._AhY
        pos = np.searchsorted(self._gram_idx, idx)
        return self._gram[np.ix_(pos, pos)], self._AhY[pos]

    def __call__(self, idx: np.ndarray, gamma: np.ndarray, noise_var: float) -> Posterior:
        """E-step on the active columns ``idx`` (sorted) with their variances ``gamma``."""
        A, Y = self.A[:, idx], self.Y
        M, L = Y.shape
        if len(idx) <= M:
            G, AhY = self._gram_for(idx)
            s = np.sqrt(gamma)
            S = (s[:, None] * G * s[None, :]) / noise_var
            S[np.diag_indices_from(S)] += 1.0
            c = sla.cholesky(S, lower=True, check_finite=False)
            Sinv = sla.cho_solve((c, True), np.eye(len(idx)), check_finite=False)
            mu = s[:, None] * (Sinv @ (s[:, None] * AhY)) / noise_var
            diag = gamma * np.real(np.diag(Sinv))
            logdet = M * np.log(noise_var) + 2.0 * float(np.sum(np.log(np.real(np.diag(c)))))
            # Woodbury: y^H Sigma_y^{-1} y = (|y|^2 - y^H A mu) / sigma^2
            quad = (float(np.sum(_abs2(Y))) - float(np.real(np.vdot(AhY, mu)))) / noise_var / L
            dof = float(np.sum(1.0 - diag / gamma))
        else:
            # B = A Gamma^{1/2}: B B^H is a rank-k update (syrk for real data, half a GEMM)
            s = np.sqrt(gamma)
            B = A * s
            C = B @ _herm(B)
            C[np.diag_indices_from(C)] += noise_var
            c = sla.cholesky(C, lower=True, check_finite=False)
            V = sla.solve_triangular(c, B, lower=True, check_finite=False)
            Z = sla.solve_triangular(c, Y, lower=True, check_finite=False)
            gq = np.sum(_abs2(V), axis=0)  # gamma_n a_n^H Sigma_y^{-1} a_n
            mu = s[:, None] * (_herm(V) @ Z)
            diag = gamma - gamma * gq
            logdet = 2.0 * float(np.sum(np.log(np.real(np.diag(c)))))
            quad = float(np.sum(_abs2(Z))) / L
            dof = float(np.sum(gq))
        np.maximum(diag, 0.0, out=diag)
        return Posterior(mu.T, diag, logdet + quad, dof)
