"""Kronecker OMP (Caiafa and Cichocki, 2012): the greedy baseline of Kronecker SBL."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from ._kron import _abs2, _herm, _kron_apply, kron_matvec
from ._validation import check_factors, check_targets

__all__ = ["kronecker_omp"]


def kronecker_omp(factors, y, *, n_nonzero=None, tol=None):
    """Orthogonal matching pursuit with a Kronecker dictionary and Kronecker support.

    Greedily grows one support set per mode: at each step the Kronecker atom most
    correlated with the residual (columns normalized) adds its per-mode indices, and the
    coefficients are refitted by least squares on the Kronecker product of the supports,
    :math:`x_S = (\\otimes_d A_{d,S_d}^{+})\\,y`, without forming any Kronecker matrix.

    Parameters
    ----------
    factors : sequence of array-like of shape (M_d, N_d)
        Kronecker factors (real or complex), in :func:`numpy.kron`'s order.
    y : array-like of shape (M,)
        Measurements, :math:`M = \\prod_d M_d`.
    n_nonzero : int or sequence of int, optional
        Largest support size per mode. Default: 10% of :math:`N_d` (at least 1) when
        ``tol`` is None too, else unbounded (:math:`\\min(M_d, N_d)`).
    tol : float, optional
        Stop when the squared residual norm :math:`\\|y - Ax\\|^2` is at most ``tol``
        (scikit-learn's :func:`~sklearn.linear_model.orthogonal_mp` convention; with known
        noise variance :math:`\\sigma^2`, ``tol = M * sigma2`` is the usual choice).

    Returns
    -------
    x : ndarray of shape (N,)
        The sparse estimate, zero off :math:`\\otimes_d S_d`.

    Raises
    ------
    ValueError
        If the factors and ``y`` do not match, or ``n_nonzero``/``tol`` are invalid.

    References
    ----------
    .. [1] C. F. Caiafa and A. Cichocki, "Computing sparse representations of
       multidimensional signals using Kronecker bases", Neural Computation 25(1), 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.bayes import kronecker_omp
    >>> from sparseopt.datasets import make_kronecker_sparse
    >>> factors, y, x, noise_var = make_kronecker_sparse(
    ...     [(12, 15), (12, 15), (15, 15)], snr_db=40, random_state=1)
    >>> x_hat = kronecker_omp(factors, y, tol=len(y) * noise_var)
    >>> bool(np.array_equal(x_hat != 0, x != 0))
    True
    """
    factors = check_factors(factors)
    M = int(np.prod([A.shape[0] for A in factors]))
    y = check_targets(y, M, f"factors with prod M_d = {M}")
    if y.ndim != 1:
        raise ValueError(f"y must be 1-dimensional, got shape {y.shape}")
    D = len(factors)
    n_in = [A.shape[1] for A in factors]
    caps = [min(A.shape) for A in factors]
    if n_nonzero is None:
        limit = caps if tol is not None else [max(1, round(0.1 * n)) for n in n_in]
    else:
        limit = [n_nonzero] * D if np.ndim(n_nonzero) == 0 else list(n_nonzero)
        if len(limit) != D:
            raise ValueError(f"n_nonzero must be one int or {D} ints, got {n_nonzero!r}")
        for d, k in enumerate(limit):
            if isinstance(k, bool) or not isinstance(k, Integral) or k < 1:
                raise ValueError(f"n_nonzero[{d}] must be a positive int, got {k!r}")
        limit = [min(int(k), c) for k, c in zip(limit, caps, strict=True)]
    if tol is not None and (isinstance(tol, bool) or not isinstance(tol, Real) or tol < 0):
        raise ValueError(f"tol must be a float >= 0 (a squared residual norm), got {tol!r}")
    normed = []
    for A in factors:
        norms = np.sqrt(np.sum(_abs2(A), axis=0))
        normed.append(_herm(A / np.where(norms > 0, norms, 1.0)))
    supports = [[] for _ in range(D)]
    dtype = np.result_type(y, *factors)
    x_S, resid = None, y
    best = float(np.sum(_abs2(y)))
    while tol is None or best > tol:
        corr = np.abs(_kron_apply(normed, resid.reshape((1, *[A.shape[0] for A in factors])))
                      [0])
        for d in range(D):  # a full mode can only re-use its chosen indices
            if len(supports[d]) >= limit[d]:
                mask = np.zeros(n_in[d], bool)
                mask[supports[d]] = True
                shape = [1] * D
                shape[d] = n_in[d]
                corr = corr * mask.reshape(shape)
        pick = np.unravel_index(int(np.argmax(corr)), corr.shape)
        grew = False
        for d, i in enumerate(pick):
            if int(i) not in supports[d] and len(supports[d]) < limit[d]:
                supports[d].append(int(i))
                grew = True
        if not grew:
            break
        pinvs = [np.linalg.pinv(A[:, s]) for A, s in zip(factors, supports, strict=True)]
        x_new = kron_matvec(pinvs, y)
        r_new = y - kron_matvec([A[:, s] for A, s in zip(factors, supports, strict=True)],
                                x_new)
        err = float(np.sum(_abs2(r_new)))
        x_S, resid, best = x_new, r_new, err
        if all(len(s) >= k for s, k in zip(supports, limit, strict=True)):
            break
    x = np.zeros(n_in, dtype=dtype)
    if x_S is not None:
        x[np.ix_(*supports)] = x_S.reshape([len(s) for s in supports])
    return x.reshape(-1)
