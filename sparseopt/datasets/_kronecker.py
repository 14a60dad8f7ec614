"""Kronecker-structured sparse recovery problems (He and Joseph, IEEE TSP 2024)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils import Bunch, check_random_state

__all__ = ["make_irs_mimo_channel", "make_kronecker_sparse"]


def _kron_vectors(vectors):
    out = vectors[0]
    for v in vectors[1:]:
        out = np.kron(out, v)
    return out


def _noise(rng, size, var, is_complex):
    if is_complex:
        return np.sqrt(var / 2) * (rng.standard_normal(size) + 1j * rng.standard_normal(size))
    return np.sqrt(var) * rng.standard_normal(size)


def _check_snr(snr_db):
    if isinstance(snr_db, bool) or not isinstance(snr_db, Real) or not np.isfinite(snr_db):
        raise ValueError(f"snr_db must be a finite number (decibels), got {snr_db!r}")
    return 10.0 ** (float(snr_db) / 10.0)


def make_kronecker_sparse(factor_shapes=((8, 15), (12, 15), (15, 15)), *, n_nonzero=3,
                          snr_db=25.0, complex=False, random_state=None):
    """A sparse vector with Kronecker support, measured through a Kronecker dictionary.

    The synthetic problem of He and Joseph (2024), Sec. VI: Gaussian factors
    :math:`A_d \\in \\mathbb{R}^{M_d \\times N_d}`, :math:`x = x_1 \\otimes \\cdots \\otimes
    x_D` where each :math:`x_d` has ``n_nonzero`` Gaussian entries at random positions, and
    :math:`y = (A_1 \\otimes \\cdots \\otimes A_D)x + \\varepsilon` with white noise at the
    given signal-to-noise ratio, :math:`\\sigma^2 = \\overline{|y_{\\text{clean}}|^2} /
    10^{\\text{SNR}/10}`.

    Parameters
    ----------
    factor_shapes : sequence of (int, int), default=((8, 15), (12, 15), (15, 15))
        :math:`(M_d, N_d)` per factor. The default is the paper's setting
        (:math:`N = 3375` unknowns, :math:`M = 1440` measurements).
    n_nonzero : int or sequence of int, default=3
        Nonzeros of each :math:`x_d` (so :math:`x` has their product).
    snr_db : float, default=25.0
        Signal-to-noise ratio in decibels.
    complex : bool, default=False
        Complex Gaussian (circular) factors, coefficients and noise.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    factors : list of ndarray of shape (M_d, N_d)
        The dictionary factors.
    y : ndarray of shape (M,)
        Noisy measurements, ordered as ``np.kron(*factors) @ x``.
    x : ndarray of shape (N,)
        The true sparse vector.
    noise_var : float
        The noise variance :math:`\\sigma^2` used.

    Raises
    ------
    ValueError
        If a shape is not two positive integers, ``n_nonzero`` is outside
        :math:`[1, N_d]`, or ``snr_db`` is not finite.

    References
    ----------
    .. [1] Y. He and G. Joseph, "Bayesian algorithms for Kronecker-structured sparse
       vector recovery with application to IRS-MIMO channel estimation", IEEE Trans.
       Signal Process., 2024.

    Examples
    --------
    >>> from sparseopt.datasets import make_kronecker_sparse
    >>> factors, y, x, noise_var = make_kronecker_sparse(random_state=0)
    >>> [A.shape for A in factors], y.shape, int((x != 0).sum())
    ([(8, 15), (12, 15), (15, 15)], (1440,), 27)
    """
    shapes = []
    for d, s in enumerate(factor_shapes):
        if len(s) != 2 or not all(isinstance(v, Integral) and v >= 1 for v in s):
            raise ValueError(f"factor_shapes[{d}] must be two positive integers, got {s!r}")
        shapes.append((int(s[0]), int(s[1])))
    if not shapes:
        raise ValueError("factor_shapes must hold at least one shape")
    k = [n_nonzero] * len(shapes) if np.ndim(n_nonzero) == 0 else list(n_nonzero)
    if len(k) != len(shapes):
        raise ValueError(f"n_nonzero must be one int or {len(shapes)} ints, got {n_nonzero!r}")
    for d, (kd, (_, n)) in enumerate(zip(k, shapes, strict=True)):
        if not isinstance(kd, Integral) or not 1 <= kd <= n:
            raise ValueError(f"n_nonzero[{d}] must be an int in [1, {n}], got {kd!r}")
    snr = _check_snr(snr_db)
    rng = check_random_state(random_state)

    def gauss(size):
        if complex:
            return (rng.standard_normal(size) + 1j * rng.standard_normal(size)) / np.sqrt(2)
        return rng.standard_normal(size)

    factors = [gauss((m, n)) for m, n in shapes]
    parts = []
    for kd, (_, n) in zip(k, shapes, strict=True):
        v = np.zeros(n, dtype=np.complex128 if complex else np.float64)
        v[rng.choice(n, size=kd, replace=False)] = gauss(kd)
        parts.append(v)
    x = _kron_vectors(parts)
    clean = _kron_apply(factors, x)
    noise_var = float(np.mean(np.abs(clean) ** 2)) / snr
    y = clean + _noise(rng, clean.shape, noise_var, complex)
    return factors, y, x, noise_var


def _kron_apply(factors, x):
    """kron(*factors) @ x one mode at a time (x as a C-ordered tensor)."""
    T = x.reshape([A.shape[1] for A in factors])
    for d, A in enumerate(factors):
        T = np.moveaxis(np.tensordot(A, T, axes=([1], [d])), 0, d)
    return T.reshape(-1)


def _steering(n, grid):
    """ULA steering vectors a(theta) = exp(j pi theta [0..n-1]) / sqrt(n), one per column."""
    return np.exp(1j * np.pi * np.outer(np.arange(n), grid)) / np.sqrt(n)


def make_irs_mimo_channel(*, n_ms=6, n_bs=16, n_irs=256, grid_size=18, n_pilots=3,
                          n_patterns=6, angle_spread=3, snr_db=12.0, random_state=None):
    """Uplink pilots of an IRS-aided MIMO link, as a Kronecker sparse recovery problem.

    The channel model of He and Joseph (2024), Sec. V: a mobile station (MS) with
    ``n_ms`` antennas sends ``n_pilots`` QPSK pilots, reflected by an intelligent
    reflecting surface (IRS) of ``n_irs`` elements under ``n_patterns`` random
    :math:`\\pm 1` reflection patterns, to a base station (BS) with ``n_bs`` antennas
    (uniform linear arrays, half-wavelength spacing). The MS-IRS channel has one departure
    angle at the MS and a cluster of ``angle_spread`` adjacent arrival angles at the IRS;
    the IRS-BS channel one departure angle at the IRS and a cluster at the BS; all angles
    on a grid of ``grid_size`` points of :math:`\\cos\\theta \\in [-1, 1)`, path gains
    :math:`\\mathcal{CN}(0, 1)`.

    The cascaded channel for a pattern :math:`\\phi`, :math:`H_2\\,\\mathrm{diag}(\\phi)H_1`,
    depends on the two IRS angles only through their difference on the grid, so the
    received pilots are :math:`y = (\\Psi \\otimes X^T\\bar A_{MS} \\otimes A_{BS})\\,x +
    \\varepsilon` with :math:`\\Psi_{ik} = \\frac{1}{n_{IRS}}\\sum_l \\phi_{l,i}
    e^{2\\pi \\mathrm{j} kl/G}` (pattern :math:`i`, angle difference :math:`k`) and
    :math:`x` of length :math:`G^3` whose support is the Kronecker product of the
    difference-angle cluster, the MS angle and the BS cluster: Kronecker-supported and,
    with ``angle_spread > 1``, block-sparse in the first and last modes.

    Parameters
    ----------
    n_ms, n_bs, n_irs : int, default=6, 16, 256
        Antennas at the MS and the BS, reflecting elements of the IRS.
    grid_size : int, default=18
        Angular grid points :math:`G` (dictionary atoms per mode).
    n_pilots : int, default=3
        Pilot symbols per reflection pattern.
    n_patterns : int, default=6
        IRS reflection patterns.
    angle_spread : int, default=3
        Adjacent grid angles in the arrival clusters at the IRS and at the BS.
    snr_db : float, default=12.0
        Signal-to-noise ratio of the received pilots, in decibels.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``factors`` (list of 3 complex matrices, shapes (n_patterns, G), (n_pilots, G),
        (n_bs, G)), ``y`` (complex, n_patterns*n_pilots*n_bs), ``x`` (the true angular
        coefficients, :math:`G^3`), ``noise_var``, ``support`` (per-mode index arrays),
        ``channels`` (the true cascaded channels, shape (n_patterns, n_bs, n_ms)) and
        ``channel_factors`` (``[Psi, conj(A_MS), A_BS]``: ``kron_matvec(channel_factors,
        x)`` reshaped to (n_patterns, n_ms, n_bs) and transposed gives the channels, for
        any estimate of ``x``), ``pilots`` and ``irs_patterns``.

    Raises
    ------
    ValueError
        If a size is not a positive integer, ``angle_spread`` exceeds ``grid_size``, or
        ``snr_db`` is not finite.

    References
    ----------
    .. [1] Y. He and G. Joseph, "Bayesian algorithms for Kronecker-structured sparse
       vector recovery with application to IRS-MIMO channel estimation", IEEE Trans.
       Signal Process., 2024.

    Examples
    --------
    >>> from sparseopt.datasets import make_irs_mimo_channel
    >>> data = make_irs_mimo_channel(random_state=0)
    >>> [A.shape for A in data.factors], data.y.shape, int((data.x != 0).sum())
    ([(6, 18), (3, 18), (16, 18)], (288,), 9)
    """
    sizes = {"n_ms": n_ms, "n_bs": n_bs, "n_irs": n_irs, "grid_size": grid_size,
             "n_pilots": n_pilots, "n_patterns": n_patterns, "angle_spread": angle_spread}
    for name, v in sizes.items():
        if isinstance(v, bool) or not isinstance(v, Integral) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if angle_spread > grid_size:
        raise ValueError(f"angle_spread must be <= grid_size={grid_size}, got {angle_spread}")
    snr = _check_snr(snr_db)
    rng = check_random_state(random_state)
    G, P = grid_size, angle_spread
    grid = -1.0 + 2.0 * np.arange(G) / G
    A_ms, A_irs, A_bs = _steering(n_ms, grid), _steering(n_irs, grid), _steering(n_bs, grid)

    def cn(size):
        return (rng.standard_normal(size) + 1j * rng.standard_normal(size)) / np.sqrt(2)

    ms_aod = int(rng.randint(G))
    irs_aoa = int(rng.randint(G - P + 1)) + np.arange(P)
    irs_aod = int(rng.randint(G))
    bs_aoa = int(rng.randint(G - P + 1)) + np.arange(P)
    gain_1, gain_2 = cn(P), cn(P)
    H1 = np.sqrt(n_ms * n_irs / P) * (A_irs[:, irs_aoa] @ gain_1)[:, None] \
        * A_ms[:, ms_aod].conj()[None, :]
    H2 = np.sqrt(n_bs * n_irs / P) * (A_bs[:, bs_aoa] @ gain_2)[:, None] \
        * A_irs[:, irs_aod].conj()[None, :]
    qpsk = np.array([1 + 1j, 1 - 1j, -1 + 1j, -1 - 1j]) / np.sqrt(2)
    pilots = qpsk[rng.randint(4, size=(n_ms, n_pilots))] / np.sqrt(n_ms)
    patterns = (2.0 * rng.randint(2, size=(n_irs, n_patterns)) - 1.0) / np.sqrt(n_irs)

    # Psi[i, k] = a_irs(theta_d)^H diag(phi_i) a_irs(theta_{d+k}): a function of k = a - d
    Psi = patterns.T @ np.exp(2j * np.pi * np.outer(np.arange(n_irs), np.arange(G)) / G) \
        / n_irs
    channel_factors = [Psi, A_ms.conj(), A_bs]
    factors = [Psi, pilots.T @ A_ms.conj(), A_bs]
    diff = (irs_aoa - irs_aod) % G
    z = np.zeros(G, complex)
    z[diff] = gain_1
    e_ms = np.zeros(G)
    e_ms[ms_aod] = 1.0
    u_bs = np.zeros(G, complex)
    u_bs[bs_aoa] = gain_2
    scale = np.sqrt(n_ms * n_irs / P) * np.sqrt(n_bs * n_irs / P)
    x = scale * _kron_vectors([z, e_ms, u_bs])
    channels = np.stack([H2 @ (patterns[:, i, None] * H1) for i in range(n_patterns)])
    clean = np.concatenate([(channels[i] @ pilots).ravel(order="F")
                            for i in range(n_patterns)])
    noise_var = float(np.mean(np.abs(clean) ** 2)) / snr
    y = clean + _noise(rng, clean.shape, noise_var, True)
    return Bunch(factors=factors, y=y, x=x, noise_var=noise_var,
                 support=[np.sort(diff), np.array([ms_aod]), bs_aoa],
                 channels=channels, channel_factors=channel_factors, pilots=pilots,
                 irs_patterns=patterns)
