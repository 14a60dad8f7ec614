"""Sketched overdetermined least squares: sketch-and-solve and sketch-and-precondition."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import scipy.fft
import scipy.linalg
import scipy.sparse as sp
from sklearn.utils import check_random_state

from ..exceptions import ConvergenceWarning
from ..utils import effective_n_threads
from ..utils.validation import check_array, check_scalar, check_sparse

__all__ = ["LstsqResult", "sketched_lstsq"]

_SKETCHES = ("srht", "gaussian", "countsketch")
_METHODS = ("precondition", "sketch_and_solve")
# Rows of the sketch per column of A when sketch_size is None, for preconditioning. The
# SRHT's cost hardly depends on its size (the transform of all of A dominates), so a large
# sketch buys a better preconditioner for free; a Gaussian sketch costs m*n*d flops.
_PRECOND_OVERSAMPLING = {"srht": 16, "gaussian": 2, "countsketch": 16}
# Rows of A transformed at once by the Gaussian sketch (bounds the m x block buffer).
_GAUSSIAN_BLOCK = 4096
# Columns of A transformed at once by the SRHT (bounds the n x block temporary).
_SRHT_BLOCK = 256


@dataclass
class LstsqResult:
    """What :func:`sketched_lstsq` returns.

    Attributes
    ----------
    x : ndarray of shape (n_features,) or (n_features, n_targets)
        The solution, in the dtype of ``A``.
    n_iter : int
        LSQR iterations (0 for ``method="sketch_and_solve"``).
    converged : bool
        Whether every right-hand side met the stopping rule (always True for
        sketch-and-solve, which is direct).
    status : {"converged", "maxiter", "direct"}
        Why the solve stopped.
    residual_norm : float or ndarray of shape (n_targets,)
        :math:`\\|b - A x\\|_2`, computed from ``x`` at the end (not a recurrence).
    residuals : ndarray of shape (n_iter + 1,)
        The LSQR stopping criterion after each iteration, starting from the
        sketch-and-solve initial guess: the largest over the right-hand sides of the
        smaller of :math:`\\|M^T r\\| / (\\|M\\|\\,\\|r\\|)` and
        :math:`\\|r\\| / (\\|b\\| + \\|M\\|\\,\\|Rx\\|)`, :math:`M = A R^{-1}` (0 for an
        exact fit). Empty for sketch-and-solve.
    method : str
        ``"precondition"`` or ``"sketch_and_solve"``.
    sketch : str
        The sketch used: the one asked for; ``"identity"`` when ``sketch_size`` equals
        the number of rows (nothing to compress); ``"gaussian"`` when the requested
        sketch gave a singular R and was redrawn as a Gaussian one.
    sketch_size : int
        Rows of the sketch.
    """

    x: np.ndarray
    n_iter: int
    converged: bool
    status: str
    residual_norm: float | np.ndarray
    residuals: np.ndarray = field(repr=False)
    method: str
    sketch: str
    sketch_size: int


# --------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------
def _check_system(A, b):
    if sp.issparse(A):
        A = check_sparse(A, "A", formats=("csr", "csc"))
    else:
        A = check_array(A, "A", ndim=2)
    n, d = A.shape
    if d == 0:
        raise ValueError(f"A must have at least one column, got shape {A.shape}")
    if n < d:
        raise ValueError(
            f"A must have at least as many rows as columns (an overdetermined least-squares "
            f"problem), got shape {A.shape}; use numpy.linalg.lstsq for the minimum-norm "
            "solution of an underdetermined system")
    b = check_array(b, "b", ndim=(1, 2), dtype=A.dtype)
    if b.shape[0] != n:
        raise ValueError(f"b must have {n} rows to match A of shape {A.shape}, got shape "
                         f"{b.shape}")
    return A, b


def _check_options(sketch, method, sketch_size, tol, max_iter, n, d, dtype, sparse):
    if sketch not in _SKETCHES:
        raise ValueError(f"sketch must be one of {', '.join(map(repr, _SKETCHES))}, got "
                         f"{sketch!r}")
    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, _METHODS))}, got "
                         f"{method!r}")
    if sparse and sketch == "srht":
        raise ValueError("sketch='srht' needs a dense A (the transform mixes all rows); use "
                         "sketch='countsketch' or 'gaussian' for a sparse A")
    if sketch_size is None:
        if method == "precondition":
            m = _PRECOND_OVERSAMPLING[sketch] * d
        else:  # about d log n rows, as the l-infinity analysis asks (up to its constants)
            m = int(np.ceil(2 * d * np.log(max(n, 2))))
        sketch_size = min(n, max(m, d + 1))
    sketch_size = int(check_scalar(sketch_size, "sketch_size", Integral, min_val=1))
    if sketch_size < d:
        raise ValueError(f"sketch_size must be >= the number of columns of A ({d}), got "
                         f"{sketch_size}")
    if sketch_size > n:
        raise ValueError(f"sketch_size must be <= the number of rows of A ({n}), got "
                         f"{sketch_size}")
    if tol is None:
        tol = 10 * float(np.finfo(dtype).eps)
    tol = float(check_scalar(tol, "tol", Real, min_val=0.0))
    if max_iter is None:
        max_iter = 100 + 2 * d
    max_iter = int(check_scalar(max_iter, "max_iter", Integral, min_val=0))
    return sketch_size, tol, max_iter


# --------------------------------------------------------------------------------------
# sketches: each returns S @ A and S @ b for one draw of S
# --------------------------------------------------------------------------------------
def _gaussian(A, b, m, rng):
    """S = G / sqrt(m), G standard normal, drawn and applied block of rows by block."""
    n, d = A.shape
    SA = np.zeros((m, d), dtype=A.dtype)
    Sb = np.zeros((m,) + b.shape[1:], dtype=A.dtype)
    for start in range(0, n, _GAUSSIAN_BLOCK):
        stop = min(start + _GAUSSIAN_BLOCK, n)
        G = rng.standard_normal((m, stop - start)).astype(A.dtype, copy=False)
        block = A[start:stop]
        SA += (block.T @ G.T).T if sp.issparse(block) else G @ block
        Sb += G @ b[start:stop]
    scale = A.dtype.type(1.0 / np.sqrt(m))
    return SA * scale, Sb * scale


def _countsketch(A, b, m, rng):
    """S has one entry +-1 per column, in a uniformly random row (Clarkson & Woodruff)."""
    n = A.shape[0]
    rows = rng.randint(0, m, size=n)
    signs = rng.choice(np.array([-1.0, 1.0], dtype=A.dtype), size=n)
    S = sp.csr_array((signs, (rows, np.arange(n))), shape=(m, n))
    SA = S @ A
    SA = SA.toarray() if sp.issparse(SA) else np.asarray(SA)
    return SA, np.asarray(S @ b)


def _srht(A, b, m, rng):
    """S = sqrt(n/m) P F D: random signs D, orthonormal DCT-II F, m rows P sampled
    uniformly without replacement (a subsampled randomized DCT, Blendenpik's "RDCT")."""
    n, d = A.shape
    signs = rng.choice(np.array([-1.0, 1.0], dtype=A.dtype), size=n)
    rows = np.sort(rng.choice(n, size=m, replace=False))
    scale = A.dtype.type(np.sqrt(n / m))
    workers = effective_n_threads()

    def transform(block):
        mixed = scipy.fft.dct(block * signs[:, None], type=2, axis=0, norm="ortho",
                              overwrite_x=True, workers=workers)
        return mixed[rows] * scale

    # In column blocks: the transform needs an n x block temporary, not a copy of all of A.
    SA = np.empty((m, d), dtype=A.dtype)
    for start in range(0, d, _SRHT_BLOCK):
        SA[:, start:start + _SRHT_BLOCK] = transform(A[:, start:start + _SRHT_BLOCK])
    Sb = transform(b.reshape(n, -1)).reshape((m,) + b.shape[1:])
    return SA, Sb


_SKETCH_FUNCS = {"srht": _srht, "gaussian": _gaussian, "countsketch": _countsketch}


def _sketch(A, b, sketch, m, random_state):
    """``(S A, S b)`` for one draw of the sketch ``S`` of ``m`` rows."""
    return _SKETCH_FUNCS[sketch](A, b, m, check_random_state(random_state))


# --------------------------------------------------------------------------------------
# the solve
# --------------------------------------------------------------------------------------
def _rcond(R):
    """LAPACK's estimate of the reciprocal 1-norm condition number of triangular R."""
    trcon = scipy.linalg.get_lapack_funcs("trcon", (R,))
    rcond, info = trcon(R, norm="1", uplo="U", diag="N")
    return float(rcond) if info == 0 else 0.0


def _factor_sketch(A, B, sketch, m, random_state):
    """``(R, Q^T S B, sketch used)`` with S A = Q R for a draw whose R is nonsingular.

    One QR of ``[S A, S B]`` gives both without forming Q (which would double the cost).

    ``m == n`` leaves nothing to compress: S = I. A Gaussian sketch keeps the rank of A
    with probability one; an SRHT or a CountSketch (whose rows collide, which loses rank
    when few rows of A carry it) may not, so a singular R is redrawn with a Gaussian
    sketch before A itself is declared rank deficient.
    """
    rng = check_random_state(random_state)
    limit = A.shape[1] * float(np.finfo(A.dtype).eps)
    n = A.shape[0]
    for kind in (sketch, "gaussian") if sketch != "gaussian" else (sketch,):
        if m == n:
            kind = "identity"
            SA, SB = (A.toarray() if sp.issparse(A) else A), B
        else:
            SA, SB = _SKETCH_FUNCS[kind](A, B, m, rng)
        d = SA.shape[1]
        RB = scipy.linalg.qr(np.hstack([SA, SB]), mode="r", overwrite_a=True,
                             check_finite=False)[0]
        R, QtSB = np.triu(RB[:d, :d]), RB[:d, d:]
        rcond = _rcond(R)
        if rcond > limit or m == n:
            break
    if not rcond > limit:
        raise np.linalg.LinAlgError(
            f"A is numerically rank deficient: the R factor of {'A' if m == n else 'S A'} "
            f"has reciprocal condition number {rcond:.1e} <= n_features * eps = "
            f"{limit:.1e}. Use numpy.linalg.lstsq (or scipy.linalg.lstsq) for the "
            "minimum-norm solution, or drop the dependent columns")
    return R, QtSB, kind


def _lsqr(A, R, r0, tol, max_iter, bnorm, y0):
    """LSQR (Paige & Saunders 1982) on min ||M y - r0||, M = A R^-1, one column of r0 each.

    ``r0 = b - A x0`` is the residual of the start ``x0 = R^-1 y0``; a column stops when
    ``||M^T r|| <= tol ||M|| ||r||`` (LSQR's test for inconsistent systems) or
    ``||r|| <= tol (||b|| + ||M|| ||y0 + y||)`` (its test for consistent ones, where the
    first ratio does not go to 0).

    A 2-D ``r0``'s columns run side by side, so products with A are matrix-matrix
    products; a column's solution stops changing once it meets the stopping rule. A 1-D
    ``r0`` keeps every array 1-D (matrix-vector products, ~30 % faster than n x 1). Returns the
    correction ``R^-1 y``, the iterations run, the per-column convergence flags and the
    history of the criterion (the largest over the columns).
    """
    solve = scipy.linalg.solve_triangular

    def matvec(V):  # M V
        return A @ solve(R, V, check_finite=False)

    def rmatvec(U):  # M^T U
        return solve(R, np.asarray(A.T @ U), trans="T", check_finite=False)

    def normalize(V):
        norms = np.linalg.norm(V, axis=0)
        safe = np.where(norms > 0, norms, 1.0)
        return V / safe, norms

    k = r0.shape[1:]
    dtype = r0.dtype
    u, beta = normalize(r0)
    v, alpha = normalize(rmatvec(u))
    w = v.copy()
    y = np.zeros((R.shape[0],) + k, dtype=dtype)
    phibar, rhobar = beta.copy(), alpha.copy()
    anorm = np.zeros(k)

    def criterion(arnorm, rnorm):  # the smaller of the two tests' ratios; 0 for r = 0
        denom = np.maximum(anorm, np.finfo(float).tiny) * rnorm
        normal = arnorm / np.where(denom > 0, denom, 1.0)
        scale = bnorm + anorm * np.linalg.norm(y0 + y, axis=0)
        consistent = rnorm / np.where(scale > 0, scale, 1.0)
        return np.where(rnorm > 0, np.minimum(normal, consistent), 0.0)

    anorm = np.maximum(anorm, alpha)
    crit = criterion(alpha * beta, beta)
    active = crit > tol
    history = [float(crit.max(initial=0.0))]
    it = 0
    while it < max_iter and active.any():
        it += 1
        u, beta = normalize(matvec(v) - u * alpha)
        v, alpha = normalize(rmatvec(u) - v * beta)
        # The 2-norm of M is estimated from below by the bidiagonal's column norms (M is
        # close to orthonormal, so this is ~1), which keeps the test honest.
        anorm = np.maximum(anorm, np.hypot(alpha, beta))
        rho = np.hypot(rhobar, beta)
        rho_safe = np.where(rho > 0, rho, 1.0)
        c, s = rhobar / rho_safe, beta / rho_safe
        theta = s * alpha
        rhobar = -c * alpha
        phi = c * phibar
        phibar = s * phibar
        step = np.where(active, phi / rho_safe, 0.0).astype(dtype, copy=False)
        y += w * step
        w = v - w * (theta / rho_safe).astype(dtype, copy=False)
        crit = criterion(phibar * alpha * np.abs(c), phibar)
        active &= crit > tol
        history.append(float(crit.max(initial=0.0)))
    return solve(R, y, check_finite=False), it, ~active, np.array(history)


def sketched_lstsq(A, b, *, sketch: str = "srht", method: str = "precondition",
                   sketch_size: int | None = None, tol: float | None = None,
                   max_iter: int | None = None, random_state=None,
                   warn: bool = True) -> LstsqResult:
    sparse = sp.issparse(A)
    A, b = _check_system(A, b)
    n, d = A.shape
    m, tol, max_iter = _check_options(sketch, method, sketch_size, tol, max_iter, n, d,
                                      A.dtype, sparse)
    B = b.reshape(n, -1)
    R, QtSb, used = _factor_sketch(A, B, sketch, m, random_state)
    # Sketch-and-solve: argmin ||S(Ax - b)|| = R^-1 Q^T S b. It is also the preconditioned
    # solve's starting point: its residual is already within (1+eps)/(1-eps) of the
    # optimum, which saves LSQR a few iterations over starting from 0.
    X = scipy.linalg.solve_triangular(R, QtSb, check_finite=False)
    n_iter, converged, status, history = 0, True, "direct", np.zeros(0)
    if method == "precondition":
        residual = B - A @ X
        single = residual.shape[1] == 1
        bnorm = np.linalg.norm(B, axis=0)
        Y0 = R @ X  # the start in the variable y = R x of the preconditioned problem
        delta, n_iter, done, history = _lsqr(
            A, R, residual[:, 0] if single else residual, tol, max_iter,
            bnorm[0] if single else bnorm, Y0[:, 0] if single else Y0)
        X = X + delta.reshape(X.shape)
        done = np.atleast_1d(done)
        converged = bool(done.all())
        status = "converged" if converged else "maxiter"
        if warn and not converged:
            warnings.warn(
                f"sketched_lstsq (LSQR on A R^-1) reached max_iter={max_iter} with "
                f"criterion {history[-1]:.3e} > tol={tol:g} on {int((~done).sum())} of "
                f"{done.size} right-hand side(s); raise max_iter or sketch_size",
                ConvergenceWarning, stacklevel=2)
    X = X.astype(A.dtype, copy=False)
    rnorm = np.linalg.norm(B - A @ X, axis=0)
    x = X.reshape((d,) + b.shape[1:])
    return LstsqResult(x=x, n_iter=int(n_iter), converged=converged, status=status,
                       residual_norm=float(rnorm[0]) if b.ndim == 1 else rnorm,
                       residuals=history, method=method, sketch=used, sketch_size=m)


sketched_lstsq.__doc__ = r"""Solve an overdetermined ``min ||A x - b||`` with a random sketch.

    A random sketch :math:`S` (``sketch_size`` :math:`m \ll n` rows) compresses the
    :math:`n \times d` problem while approximately preserving the norm of every vector in
    the column space of :math:`[A, b]`. Two ways to use it:

    - ``method="sketch_and_solve"``: return :math:`\tilde x = \arg\min_x \|S(Ax - b)\|_2`,
      a direct solve of the small :math:`m \times d` problem (a QR of :math:`SA`). Its
      residual is within a factor :math:`(1+\varepsilon)/(1-\varepsilon)` of the optimum
      when :math:`S` is an :math:`\varepsilon`-subspace embedding of
      :math:`\mathrm{range}([A, b])`.
    - ``method="precondition"`` (Blendenpik / LSRN style): take :math:`R` from
      :math:`SA = QR` and run LSQR on :math:`\min_y \|A R^{-1} y - b\|`, :math:`x = R^{-1}
      y`, from the sketch-and-solve solution. :math:`A R^{-1}` has a condition number of
      :math:`(1+\varepsilon)/(1-\varepsilon)` whatever that of :math:`A`, so LSQR gains a
      constant factor of accuracy per iteration and converges to full accuracy.

    Parameters
    ----------
    A : array-like or sparse matrix of shape (n_samples, n_features)
        The design, with ``n_samples >= n_features`` and full column rank. float32 and
        float64 are kept (the whole solve runs in that precision), C or F order; scipy
        sparse (CSR/CSC) with ``sketch="countsketch"`` or ``"gaussian"``.
    b : array-like of shape (n_samples,) or (n_samples, n_targets)
        Right-hand side(s). Several columns share one sketch and run LSQR side by side.
    sketch : {"srht", "gaussian", "countsketch"}, default="srht"
        The random sketch :math:`S`:

        - ``"srht"``: subsampled randomized trigonometric transform, :math:`S =
          \sqrt{n/m}\,P F D` with random signs :math:`D`, the orthonormal DCT-II
          :math:`F` (``scipy.fft.dct``, :math:`O(nd \log n)`) and :math:`m` rows
          :math:`P` sampled uniformly without replacement. This is the randomized DCT of
          Blendenpik rather than a Walsh--Hadamard transform; it is an SRHT-type sketch
          with the same guarantees and needs no padding of :math:`n` to a power of two.
          Dense ``A`` only.
        - ``"gaussian"``: i.i.d. :math:`N(0, 1/m)` entries, drawn block by block,
          :math:`O(mnd)`.
        - ``"countsketch"``: one :math:`\pm 1` per column of :math:`S` in a random row,
          :math:`O(\mathrm{nnz}(A))`; the cheapest, but it needs about :math:`d^2` rows to
          be a subspace embedding, and has no :math:`\ell_\infty` guarantee (Notes).
    method : {"precondition", "sketch_and_solve"}, default="precondition"
        Full-accuracy preconditioned LSQR, or the direct approximate solution.
    sketch_size : int, optional
        Rows :math:`m` of the sketch, ``n_features <= m <= n_samples``
        (``m = n_samples`` compresses nothing, and the identity is used). Default for
        ``"precondition"``: 16 d (srht, countsketch) or 2 d (gaussian, whose cost grows
        with :math:`m`); for ``"sketch_and_solve"``: :math:`\lceil 2 d \ln n\rceil`; both
        capped at ``n_samples``.
    tol : float, optional
        LSQR stops when :math:`\|M^T r\| \le \mathrm{tol}\,\|M\|\,\|r\|` for
        :math:`M = A R^{-1}` and the residual :math:`r = b - Ax` (:math:`\|M\|` estimated
        from below during the iteration, so the test is not loosened), or, for a
        consistent system, when :math:`\|r\| \le \mathrm{tol}\,(\|b\| + \|M\|\,
        \|Rx\|)`. Default
        ``10 * eps`` of the dtype (:math:`2.2 \times 10^{-15}` for float64): the accuracy
        of a backward-stable direct solver. Ignored by sketch-and-solve.
    max_iter : int, optional
        LSQR iterations at most; default ``100 + 2 * n_features``. Some 15--30 suffice
        at the default sketch sizes.
    random_state : int, RandomState instance or None, default=None
        The sketch's randomness; an int gives reproducible results.
    warn : bool, default=True
        Emit a :class:`~sparseopt.exceptions.ConvergenceWarning` when LSQR stops at
        ``max_iter`` (the result is returned with ``converged=False``).

    Returns
    -------
    result : LstsqResult
        ``x``, ``n_iter``, ``converged``, ``status``, the final ``residual_norm``
        :math:`\|b - Ax\|` and the history of the LSQR criterion in ``residuals``.

    Raises
    ------
    ValueError
        If ``A`` or ``b`` holds NaN/inf or has the wrong number of dimensions, ``b``'s
        length differs from ``A``'s rows, ``A`` has fewer rows than columns,
        ``sketch_size`` is below ``n_features`` or above ``n_samples``, ``sketch`` or
        ``method`` is unknown, or ``sketch="srht"`` is asked for a sparse ``A``.
    numpy.linalg.LinAlgError
        If ``A`` is numerically rank deficient: the sketch's :math:`R` has a reciprocal
        condition number (LAPACK ``trcon`` estimate) below ``n_features * eps``. The
        problem then has no unique solution; ``numpy.linalg.lstsq`` gives the
        minimum-norm one. A Gaussian sketch keeps the rank of ``A`` with probability
        one; an SRHT or CountSketch may (rarely) lose it, so a singular :math:`R` is
        first redrawn once.
    TypeError
        If ``A`` or ``b`` is not numeric.

    See Also
    --------
    numpy.linalg.lstsq, scipy.linalg.lstsq : Dense direct solvers (SVD, QR).
    scipy.sparse.linalg.lsqr : Unpreconditioned LSQR.
    scipy.linalg.clarkson_woodruff_transform : A CountSketch of a matrix.

    Notes
    -----
    **Why the preconditioned system is well conditioned.** If :math:`S` is an
    :math:`\varepsilon`-subspace embedding of :math:`\mathrm{range}(A)`, i.e.
    :math:`(1-\varepsilon)\|Az\| \le \|SAz\| \le (1+\varepsilon)\|Az\|` for all :math:`z`,
    then with :math:`SA = QR` and :math:`z = R^{-1} y`: :math:`\|SAz\| = \|Qy\| = \|y\|`,
    so :math:`\|y\|/(1+\varepsilon) \le \|AR^{-1}y\| \le \|y\|/(1-\varepsilon)`: every
    singular value of :math:`AR^{-1}` is in :math:`[1/(1+\varepsilon), 1/(1-\varepsilon)]`.
    LSQR's error then contracts by about :math:`\varepsilon` per iteration. For a
    Gaussian or SRHT sketch, :math:`\varepsilon \approx \sqrt{d/m}`.

    **The** :math:`\ell_\infty` **guarantee of sketch-and-solve.** Song, Ye, Yin and Zhang
    (2023) show that with a *dense* sketch (Gaussian, or SRHT-like) of
    :math:`m = O(\varepsilon^{-2} d \log^3(n/\delta))` rows, with probability
    :math:`1-\delta` every coordinate is accurate:

    .. math:: \|\tilde x - x^*\|_\infty \le \frac{\varepsilon}{\sqrt d}\,
              \|Ax^* - b\|_2\,\|A^\dagger\|_2 ,

    a factor :math:`\sqrt d` better than what the :math:`\ell_2` bound implies. Sparse
    sketches such as CountSketch (and leverage-score sampling) provably fail this
    guarantee (Price, Song, Woodruff 2017); they keep the relative residual bound.

    References
    ----------
    .. [1] H. Avron, P. Maymounkov, S. Toledo, "Blendenpik: Supercharging LAPACK's
       least-squares solver", SIAM J. Sci. Comput. 32 (2010).
    .. [2] X. Meng, M. A. Saunders, M. W. Mahoney, "LSRN: A parallel iterative solver for
       strongly over- or underdetermined systems", SIAM J. Sci. Comput. 36 (2014).
    .. [3] V. Rokhlin, M. Tygert, "A fast randomized algorithm for overdetermined linear
       least-squares regression", PNAS 105 (2008).
    .. [4] Z. Song, M. Ye, J. Yin, L. Zhang, "A nearly-optimal bound for fast regression
       with :math:`\ell_\infty` guarantee", ICML 2023 (arXiv:2302.00248).
    .. [5] C. C. Paige, M. A. Saunders, "LSQR: An algorithm for sparse linear equations
       and sparse least squares", ACM TOMS 8 (1982).
    .. [6] K. L. Clarkson, D. P. Woodruff, "Low-rank approximation and regression in input
       sparsity time", J. ACM 63 (2017).

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.linalg import sketched_lstsq
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((5000, 20)) * np.logspace(0, -4, 20)  # cond ~ 1e4
    >>> b = rng.standard_normal(5000)
    >>> res = sketched_lstsq(A, b, random_state=0)
    >>> x_ref = np.linalg.lstsq(A, b, rcond=None)[0]
    >>> res.converged, bool(np.linalg.norm(res.x - x_ref) <= 1e-10 * np.linalg.norm(x_ref))
    (True, True)
    >>> approx = sketched_lstsq(A, b, method="sketch_and_solve", random_state=0)
    >>> bool(approx.residual_norm <= 1.1 * np.linalg.norm(A @ x_ref - b))
    True
"""
