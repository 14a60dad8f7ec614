"""MatrixCompletion: low-rank completion by (robust) alternating minimization."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ..exceptions import ConvergenceWarning
from ..utils import effective_n_threads
from ..utils._param_validation import Interval, StrOptions, _fit_context
from ..utils.validation import check_array, check_sparse

__all__ = ["MatrixCompletion", "MatrixCompletionImputer"]

# reconstruct() refuses to allocate more entries than this (8e8 bytes in float64)
_MAX_DENSE = 10**8
# predict() gathers factor rows in chunks of this many positions (bounded memory)
_PREDICT_CHUNK = 1 << 16
# above this many entries the initial SVD is ARPACK's on the sparse matrix, below it dense
_DENSE_SVD_MAX = 250_000


def _observed(X, dtype_list=(np.float64, np.float32)):
    """The observed entries of a validated X as a canonical CSR array (duplicates summed).

    Sparse X: every stored entry is observed, explicit zeros included. Dense X: NaN marks
    a missing entry, every other entry is observed.
    """
    if sp.issparse(X):
        A = check_sparse(X, "X", formats=("csr",))
        nnz = int(A.indptr[-1])
        A = sp.csr_array((A.data[:nnz], A.indices[:nnz], A.indptr), shape=A.shape)
        if not A.has_canonical_format:
            A = A.copy()
            A.sum_duplicates()  # duplicates are summed, as scipy's conversions do
        return A
    X = check_array(X, "X", ndim=2, allow_nonfinite=True)
    if np.isinf(X).any():
        raise ValueError("X must not contain infinity (NaN marks a missing entry)")
    mask = ~np.isnan(X)
    rows, cols = np.nonzero(mask)
    return sp.csr_array((X[rows, cols], (rows, cols)), shape=X.shape, dtype=X.dtype)


def _triplets(X, shape):
    """COO triplets ``(rows, cols, values)`` as a canonical CSR array (duplicates summed)."""
    if len(X) != 3:
        raise ValueError(f"triplet input X must be (rows, cols, values), got a tuple of "
                         f"length {len(X)}")
    rows, cols, values = (np.asarray(a) for a in X)
    for name, a in (("rows", rows), ("cols", cols), ("values", values)):
        if a.ndim != 1:
            raise ValueError(f"X's {name} must be 1-D, got shape {a.shape}")
    if not rows.shape == cols.shape == values.shape:
        raise ValueError(f"X's rows, cols and values must have the same length, got "
                         f"{rows.shape[0]}, {cols.shape[0]} and {values.shape[0]}")
    for name, a in (("rows", rows), ("cols", cols)):
        if a.size and a.dtype.kind not in "iu":
            raise TypeError(f"X's {name} must hold integers, got dtype {a.dtype}")
    if values.dtype not in (np.float32, np.float64):
        if values.size and values.dtype.kind not in "iufb":
            raise TypeError(f"X's values must be numeric, got dtype {values.dtype}")
        values = values.astype(np.float64)
    if not np.isfinite(values).all():
        raise ValueError("X's values must be finite (every triplet is an observed entry)")
    if shape is None:
        if rows.size == 0:
            raise ValueError("X has no observed entry")
        shape = (int(rows.max()) + 1, int(cols.max()) + 1)
    try:
        m, n = (int(d) for d in shape)
    except (TypeError, ValueError):
        raise ValueError(f"shape must be a pair of ints, got {shape!r}") from None
    if m < 1 or n < 1:
        raise ValueError(f"shape must be positive, got {shape!r}")
    for name, a, bound in (("rows", rows, m), ("cols", cols, n)):
        if a.size and (a.min() < 0 or a.max() >= bound):
            raise ValueError(f"X's {name} must be in [0, {bound}) for shape {(m, n)}, got "
                             f"values in [{a.min()}, {a.max()}]")
    idx = np.int32 if max(m, n, rows.size) < 2**31 - 1 else np.int64
    A = sp.coo_array((values, (rows.astype(idx), cols.astype(idx))), shape=(m, n)).tocsr()
    A.sum_duplicates()
    return A


def _orthonormal(A):
    """Q of the thin QR of A, and R."""
    Q, R = scipy.linalg.qr(A, mode="economic", check_finite=False)
    return Q, R


def _clip_rows(B, mu, rank):
    """Zero the rows of B (orthonormal columns) whose norm exceeds 2 mu sqrt(k / m), then
    re-orthonormalize (Gu, Song, Yin, Zhang 2024, Alg. 1 step 3; JNS13).

    Returns ``(Q, R)`` with ``Q R`` = the clipped B, or the QR of B itself when clipping
    would leave fewer than ``rank`` independent columns.
    """
    m = B.shape[0]
    norms = np.linalg.norm(B, axis=1)
    if mu is None:
        # the coherence of all but the 5 % heaviest rows: only rows more than twice as
        # heavy as the 95th percentile are clipped
        mu = np.sqrt(m / rank) * float(np.quantile(norms, 0.95))
    clipped = np.where((norms > 2.0 * mu * np.sqrt(rank / m))[:, None], 0.0, B)
    Q, R = _orthonormal(clipped.astype(B.dtype, copy=False))
    d = np.abs(np.diag(R))
    if d.size and d.min() <= max(B.shape) * np.finfo(B.dtype).eps * max(d.max(), 1.0):
        return _orthonormal(B)
    return Q, R


class _Compressed:
    """The three arrays of a CSR structure, as the kernel reads them."""

    def __init__(self, indptr, indices, data):
        self.indptr = np.ascontiguousarray(indptr)
        self.indices = np.ascontiguousarray(indices)
        self.data = np.ascontiguousarray(data)


class MatrixCompletion(BaseEstimator):
    r"""Low-rank matrix completion by (robust) alternating minimization.

    Given the observed entries :math:`P_\Omega(M)` of an ``m x n`` matrix :math:`M`,
    finds factors :math:`U` (``m x k``) and :math:`V` (``n x k``) minimizing

    .. math:: \sum_{(i, j) \in \Omega} (m_{ij} - u_i^T v_j)^2
              + \lambda (\|U\|_F^2 + \|V\|_F^2),

    by alternating least squares from a spectral initialization, after Jain, Netrapalli
    and Sanghavi (2013) and Gu, Song, Yin and Zhang (2024). The completed matrix is
    ``U_ @ V_.T``.

    Parameters
    ----------
    rank : int, default=10
        Rank :math:`k`, in ``[1, min(m, n))``.
    reg : float, default=0.0
        Ridge :math:`\lambda \ge 0` of every row's least-squares problem.
    max_iter : int, default=100
        Maximum number of iterations (one iteration = a solve for V then for U).
    tol : float, default=1e-10
        Stop when the relative residual on the observed entries,
        :math:`\|P_\Omega(UV^T - M)\|_F / \|P_\Omega(M)\|_F`, is at most ``tol`` (exact
        low-rank data), or when it changes by at most ``tol`` times its previous value
        (a plateau: noisy data, or float32 rounding). For float32 input a ``tol`` near
        1e-6 is the useful range.
    init : {"svd", "random"}, default="svd"
        ``"svd"``: the top-k left singular vectors of the rescaled observed matrix
        :math:`(1/p) P_\Omega(M)`, :math:`p = |\Omega| / (mn)`, clipped (see
        ``clip_incoherence``); ``"random"``: an orthonormalized Gaussian ``m x k``.
    solver : {"cholesky", "cg", "sketch"}, default="cholesky"
        How each row's ``k x k`` normal equations are solved: exactly, by a Cholesky
        factorization; approximately, by ``cg_iter`` conjugate-gradient steps warm
        started at the current row; or by ``cg_iter`` CG steps preconditioned by the
        Gram matrix of a CountSketch of the row's least-squares problem (see Notes).
    cg_iter : int, default=3
        CG steps per row and half-iteration for ``solver="cg"`` and ``"sketch"``.
    sketch_size : int or None, default=None
        Rows of each row's CountSketch for ``solver="sketch"``; default ``4 * rank``.
        At least ``rank``. Rows with at most this many observed entries are solved
        exactly.
    clip_incoherence : bool or float, default=True
        Zero the rows of the initial factors whose norm exceeds
        :math:`2\mu\sqrt{k/m}` (:math:`\sqrt{k/n}` for V) and re-orthonormalize. A float
        is the incoherence :math:`\mu`; True estimates it as
        :math:`\sqrt{m/k}` times the 95th percentile of the row norms (so only rows over
        twice as heavy as that percentile are clipped). False: no clipping. Clipping is
        skipped when it would leave fewer than k independent columns.
    random_state : int, RandomState instance or None, default=None
        Randomness of the initialization (ARPACK's start vector, ``init="random"``).
    n_threads : int or None, default=None
        Threads of the per-row solves (see :func:`sparseopt.utils.effective_n_threads`).
        The result does not depend on it: every row is solved by one thread.

    Attributes
    ----------
    U_ : ndarray of shape (m, rank)
        Left factor. With ``reg=0`` its columns are orthonormal.
    V_ : ndarray of shape (n, rank)
        Right factor; ``U_ @ V_.T`` is the completed matrix.
    history_ : ndarray of shape (`n_iter_`,)
        Relative residual on the observed entries after each iteration.
    n_iter_ : int
        Iterations run.
    converged_ : bool
        Whether the ``tol`` test was met before ``max_iter``.
    n_singular_ : int
        Row solves (over all iterations; Cholesky and sketch solvers) whose Gram matrix,
        or sketched Gram matrix, was singular: rows or columns with fewer than ``rank``
        observed entries when ``reg=0``. They get the ridge solution for
        :math:`\lambda = 10^{-8}\,\mathrm{tr}(G_i)/k`, close to the minimum-norm
        least-squares solution.
    n_features_in_ : int
        Number of columns ``n`` of the matrix seen during :meth:`fit`.

    See Also
    --------
    SemiNMF : A factorization of a fully observed matrix with nonnegative codes.

    Notes
    -----
    **Input.** A sparse ``X`` (any scipy format) lists the observed entries: every stored
    entry is observed, explicit zeros are observed zeros, and duplicate entries are
    summed (as :meth:`scipy.sparse.coo_array.tocsr` does). COO triplets
    ``fit((rows, cols, values), shape=(m, n))`` are read the same way. A dense ``X``
    marks missing entries by NaN; every finite entry is observed.

    **Per-row normal equations.** With V fixed, row i of U solves

    .. math:: (G_i + \lambda I)\, u_i = \sum_{j \in \Omega_i} m_{ij} v_j, \qquad
              G_i = \sum_{j \in \Omega_i} v_j v_j^T,

    and symmetrically for the columns with U fixed. The solves run in a compiled
    OpenMP loop over the rows (CSR) and the columns (CSC). ``solver="cholesky"``
    costs :math:`O(|\Omega| k^2 + (m + n) k^3)` per iteration, ``solver="cg"``
    :math:`O(|\Omega| k \cdot (\text{cg\_iter} + 1))` (the Gram matrix is applied
    through the observed entries, never formed). Rows or columns with no observed entry
    get a zero factor row.

    ``solver="sketch"`` is the sketch-preconditioned regression of Gu et al. (and of
    :func:`sparseopt.linalg.sketched_lstsq`), one small problem per row: a CountSketch
    :math:`S` with ``sketch_size`` rows hashes each observed entry of the row to one row
    of :math:`S` with a random sign, :math:`P = (S V_J)^T (S V_J) + \lambda I` is formed
    in :math:`O(s k^2)` and factored, and ``cg_iter`` CG steps preconditioned by
    :math:`P` and warm started at the current row solve the normal equations. It costs
    :math:`O(|\Omega| k (\text{cg\_iter} + 1) + (m + n)(s k^2 + k^3))` per iteration
    and, unlike plain CG, does not slow down when the Gram matrices are ill conditioned
    (coherent factors, real data). The hashes are a function of ``random_state``, the
    iteration, the row and the entry's position in the row, so the result is the same
    for any ``n_threads``.

    **Orthonormalization.** With ``reg=0`` each half-step is followed by a QR of the new
    factor, the triangular part moved into the other factor (:math:`UV^T` unchanged):
    this keeps the least-squares problems well conditioned (Gu et al., Alg. 1 step 4).
    The ridge objective is not invariant under this change of basis, so with
    ``reg > 0`` the plain alternating iterates are kept and each half-step decreases
    the regularized objective. Unlike the analysis, every iteration uses all of
    :math:`\Omega` (no sample splitting).

    References
    ----------
    .. [1] P. Jain, P. Netrapalli, S. Sanghavi, "Low-rank matrix completion using
       alternating minimization", STOC 2013.
    .. [2] Y. Gu, Z. Song, J. Yin, L. Zhang, "Low rank matrix completion via robust
       alternating minimization in nearly linear time", ICLR 2024, arXiv:2302.11068.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from sparseopt.completion import MatrixCompletion
    >>> rng = np.random.default_rng(0)
    >>> M = rng.standard_normal((200, 3)) @ rng.standard_normal((3, 150))
    >>> mask = rng.uniform(size=M.shape) < 0.2               # 20 % observed
    >>> X = sp.csr_array((M[mask], np.nonzero(mask)), shape=M.shape)  # observed only
    >>> model = MatrixCompletion(rank=3, random_state=0).fit(X)
    >>> err = np.linalg.norm(model.reconstruct() - M) / np.linalg.norm(M)
    >>> bool(err < 1e-8), model.converged_
    (True, True)
    >>> bool(np.allclose(model.predict([0, 5], [1, 2]), M[[0, 5], [1, 2]]))
    True
    """

    _parameter_constraints: dict = {
        "rank": [Interval(Integral, 1, None, closed="left")],
        "reg": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "init": [StrOptions({"svd", "random"})],
        "solver": [StrOptions({"cholesky", "cg", "sketch"})],
        "cg_iter": [Interval(Integral, 1, None, closed="left")],
        "sketch_size": [Interval(Integral, 1, None, closed="left"), None],
        "clip_incoherence": ["boolean", Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
        "n_threads": [Interval(Integral, -1, None, closed="left"), None],
    }

    def __init__(self, rank=10, *, reg=0.0, max_iter=100, tol=1e-10, init="svd",
                 solver="cholesky", cg_iter=3, sketch_size=None, clip_incoherence=True,
                 random_state=None, n_threads=None):
        self.rank = rank
        self.reg = reg
        self.max_iter = max_iter
        self.tol = tol
        self.init = init
        self.solver = solver
        self.cg_iter = cg_iter
        self.sketch_size = sketch_size
        self.clip_incoherence = clip_incoherence
        self.random_state = random_state
        self.n_threads = n_threads

    # ----------------------------------------------------------------------------------
    def _check_rank(self, shape):
        m, n = shape
        if self.rank >= min(m, n):
            raise ValueError(
                f"rank must be < min(m, n) = {min(m, n)} for X of shape {shape} "
                f"(m = n_samples = {m} rows, n = n_features = {n} columns), "
                f"got {self.rank}")

    def _initialize(self, R, rng):
        m, n = R.shape
        k, dtype = self.rank, R.dtype
        if self.init == "random":
            U, _ = _orthonormal(rng.standard_normal((m, k)).astype(dtype))
            return U, np.zeros((n, k), dtype=dtype)
        p = R.nnz / (m * n)
        scaled = R * (1.0 / p)
        if m * n <= _DENSE_SVD_MAX:
            Uf, s, Vt = np.linalg.svd(scaled.toarray(), full_matrices=False)
            Uf, s, Vf = Uf[:, :k], s[:k], Vt[:k].T
        else:
            from scipy.sparse.linalg import svds

            v0 = rng.uniform(-1, 1, size=min(m, n))
            Uf, s, Vt = svds(scaled.astype(np.float64), k=k, v0=v0, solver="arpack")
            Vf = Vt.T
        Uf, Vf = Uf.astype(dtype), Vf.astype(dtype)
        clip = self.clip_incoherence
        if isinstance(clip, (bool, np.bool_)) and not clip:
            Qu, Ru = _orthonormal(Uf)
            Qv, Rv = _orthonormal(Vf)
        else:
            mu = None if isinstance(clip, (bool, np.bool_)) else float(clip)
            Qu, Ru = _clip_rows(Uf, mu, k)
            Qv, Rv = _clip_rows(Vf, mu, k)
        # U V^T = (clipped U) diag(s) (clipped V)^T, with U orthonormal; V only serves as
        # the warm start of the CG solver (the first half-step recomputes it)
        V = Qv @ (Ru * s.astype(dtype)[None, :] @ Rv.T).T
        return Qu, np.ascontiguousarray(V, dtype=dtype)

    def _fit(self, X):
        from ._als import solve_rows

        m, n = X.shape
        self._check_rank(X.shape)
        R = X
        if R.nnz == 0:
            raise ValueError("X has no observed entry")
        rng = check_random_state(self.random_state)
        threads = effective_n_threads(self.n_threads)
        idx = R.indptr.dtype  # one index dtype for both structures (int32 or int64)
        R = _Compressed(R.indptr, R.indices.astype(idx, copy=False), R.data)
        Xc = sp.csc_array(sp.csr_array((R.data, R.indices, R.indptr), shape=(m, n)))
        # the columns' observed entries: the CSC of X (= the CSR of X^T)
        C = _Compressed(Xc.indptr.astype(idx, copy=False),
                        Xc.indices.astype(idx, copy=False), Xc.data)
        U, V = self._initialize(X, rng)
        U = np.ascontiguousarray(U)
        norm = float(np.linalg.norm(R.data.astype(np.float64, copy=False)))
        mode = {"cholesky": 0, "cg": 1, "sketch": 2}[self.solver]
        sketch = 4 * self.rank if self.sketch_size is None else int(self.sketch_size)
        if self.solver == "sketch" and sketch < self.rank:
            raise ValueError(f"sketch_size must be >= rank = {self.rank}, got {sketch}")
        # the sketches' hashes: one 64-bit key per fit, mixed with the half-step count
        key = int(rng.randint(0, 2**62, dtype=np.int64))
        solve = self._solver(solve_rows, mode, sketch, key, threads)
        reg = float(self.reg)
        orthonormalize = reg == 0.0
        residual = np.zeros(m)
        no_residual = np.zeros(0)
        history, converged, n_singular = [], False, 0
        for it in range(self.max_iter):
            n_singular += solve(C, U, V, reg, no_residual, 2 * it)
            if orthonormalize:
                Q, T = _orthonormal(V)
                V, U = np.ascontiguousarray(Q), np.ascontiguousarray(U @ T.T)
            n_singular += solve(R, V, U, reg, residual, 2 * it + 1)
            if orthonormalize:
                Q, T = _orthonormal(U)
                U, V = np.ascontiguousarray(Q), np.ascontiguousarray(V @ T.T)
            rel = float(np.sqrt(residual.sum())) / norm if norm > 0 else 0.0
            history.append(rel)
            if rel <= self.tol or (len(history) > 1
                                   and abs(history[-2] - rel) <= self.tol * history[-2]):
                converged = True
                break
        if not converged:
            warnings.warn(
                f"MatrixCompletion reached max_iter={self.max_iter} with a relative "
                f"residual on the observed entries of {history[-1]:.2e}, last relative "
                f"change {abs(history[-2] - history[-1]) / max(history[-2], 1e-300):.2e}"
                f" > tol={self.tol:g}; raise max_iter or tol" if len(history) > 1 else
                f"MatrixCompletion reached max_iter={self.max_iter} with a relative "
                f"residual on the observed entries of {history[-1]:.2e} > "
                f"tol={self.tol:g}; raise max_iter or tol",
                ConvergenceWarning, stacklevel=3)
        self.U_, self.V_ = U, V
        self.history_ = np.array(history)
        self.n_iter_ = len(history)
        self.converged_ = converged
        self.n_singular_ = n_singular
        self.shape_ = (m, n)
        return self

    def _solver(self, solve_rows, mode, sketch, key, threads):
        cg_iter = self.cg_iter

        def solve(A, F, X, reg, residual, step):
            status = solve_rows(A.indptr, A.indices, A.data, F, X, reg, mode, cg_iter,
                                residual, threads, sketch, (key + step) % 2**64)
            if status == -1:
                raise MemoryError("MatrixCompletion could not allocate the per-thread "
                                  "buffers")
            if status < 0:
                raise RuntimeError(f"solve_rows rejected its arguments ({status})")
            return status
        return solve

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, *, shape=None):
        """Fit the factors to the observed entries of ``X``.

        Parameters
        ----------
        X : sparse matrix, array-like of shape (m, n), or tuple (rows, cols, values)
            Observed entries: a scipy sparse matrix or array in any format (stored
            entries are observed, duplicates summed); a dense array with NaN for the
            missing entries; or COO triplets ``(rows, cols, values)``, three 1-D arrays
            of equal length (duplicates summed). float32 values stay float32.
        y : None
            Ignored.
        shape : tuple of two ints, optional
            Shape ``(m, n)`` of the matrix, for triplet input only; default
            ``(rows.max() + 1, cols.max() + 1)``.

        Returns
        -------
        self : MatrixCompletion

        Raises
        ------
        ValueError
            If ``rank >= min(m, n)``, ``X`` has no observed entry, a stored value is
            NaN or infinite (sparse ``X``, triplets), an entry is infinite (dense
            ``X``), an index is out of bounds (sparse ``X``, triplets), the triplets'
            lengths differ, or a parameter is out of range.
        TypeError
            If ``X`` is not numeric, or triplet indices are not integers.
        """
        if isinstance(X, tuple):
            A = _triplets(X, shape)
            self.n_features_in_ = A.shape[1]
            if hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
            return self._fit(A)
        if shape is not None:
            raise ValueError("shape is only used with (rows, cols, values) triplets; the "
                             f"shape of X is its own, got shape={shape!r}")
        X = validate_data(self, X, accept_sparse=True, dtype=[np.float64, np.float32],
                          ensure_all_finite="allow-nan")
        return self._fit(_observed(X))

    def predict(self, rows, cols):
        """Entries of the completed matrix ``U_ @ V_.T`` at the given positions.

        Parameters
        ----------
        rows, cols : array-like of int, same shape
            Row and column indices (non-negative, within the fitted shape).

        Returns
        -------
        values : ndarray of the same shape as ``rows``
            ``u_rows[t] . v_cols[t]`` for every position t, without forming the matrix.

        Raises
        ------
        ValueError
            If the shapes differ or an index is out of bounds.
        """
        check_is_fitted(self)
        rows = np.asarray(rows)
        cols = np.asarray(cols)
        for name, idx, bound in (("rows", rows, self.shape_[0]),
                                 ("cols", cols, self.shape_[1])):
            if idx.size and idx.dtype.kind not in "iu":
                raise TypeError(f"{name} must hold integers, got dtype {idx.dtype}")
            if idx.size and (idx.min() < 0 or idx.max() >= bound):
                raise ValueError(f"{name} must be in [0, {bound}) for the fitted shape "
                                 f"{self.shape_}, got values in [{idx.min()}, {idx.max()}]")
        if rows.shape != cols.shape:
            raise ValueError(f"rows and cols must have the same shape, got {rows.shape} "
                             f"and {cols.shape}")
        r, c = rows.ravel().astype(np.intp), cols.ravel().astype(np.intp)
        out = np.empty(r.shape[0], dtype=self.U_.dtype)
        for start in range(0, r.shape[0], _PREDICT_CHUNK):
            sl = slice(start, start + _PREDICT_CHUNK)
            out[sl] = np.einsum("ij,ij->i", self.U_[r[sl]], self.V_[c[sl]])
        return out.reshape(rows.shape)

    def reconstruct(self):
        """The completed matrix ``U_ @ V_.T`` as a dense array.

        Returns
        -------
        M : ndarray of shape (m, n)

        Raises
        ------
        ValueError
            If it would have more than 1e8 entries (use :meth:`predict` for the
            entries needed).
        """
        check_is_fitted(self)
        m, n = self.shape_
        if m * n > _MAX_DENSE:
            raise ValueError(f"reconstruct() would form a dense {m} x {n} array "
                             f"({m * n:.2e} entries > {_MAX_DENSE:.0e}); use "
                             "predict(rows, cols) for the entries you need")
        return self.U_ @ self.V_.T

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = True  # NaN marks a missing entry of a dense X
        return tags


class MatrixCompletionImputer(TransformerMixin, BaseEstimator):
    r"""Impute missing values by a low-rank completion (alternating minimization).

    A scikit-learn transformer following the convention of :mod:`sklearn.impute`: in a
    dense ``X`` NaN marks a missing entry; in a sparse ``X`` every stored entry is
    observed and the others are missing. :meth:`fit` runs :class:`MatrixCompletion` on
    the observed entries; :meth:`transform` fills the missing entries of any rows from
    the learned column factor, so the imputer can sit in a
    :class:`~sklearn.pipeline.Pipeline` and be applied to new samples.

    Parameters
    ----------
    rank : int, default=10
        Rank :math:`k` of the completion, in ``[1, min(n_samples, n_features))``.
    reg : float, default=0.0
        Ridge :math:`\lambda \ge 0` of every row's and column's least-squares problem
        (in :meth:`fit` and in the per-row solves of :meth:`transform`). Data that are
        only approximately low rank usually need ``reg > 0``.
    max_iter : int, default=100
        Maximum number of iterations of :meth:`fit`.
    tol : float, default=1e-6
        Stop when the relative residual on the observed entries is at most ``tol`` or
        changes by at most ``tol`` times its previous value (see
        :class:`MatrixCompletion`).
    init : {"svd", "random"}, default="svd"
        Initialization, as in :class:`MatrixCompletion`.
    solver : {"cholesky", "cg", "sketch"}, default="cholesky"
        Per-row solver of :meth:`fit`, as in :class:`MatrixCompletion`.
        :meth:`transform` always solves exactly (Cholesky).
    cg_iter : int, default=3
        CG steps per row for ``solver="cg"`` and ``"sketch"``.
    sketch_size : int or None, default=None
        CountSketch rows for ``solver="sketch"``; default ``4 * rank``.
    clip_incoherence : bool or float, default=True
        Incoherence clipping of the initial factors, as in :class:`MatrixCompletion`.
    random_state : int, RandomState instance or None, default=None
        Randomness of the initialization and of the sketches.
    n_threads : int or None, default=None
        Threads of the per-row solves; the result does not depend on it.

    Attributes
    ----------
    U_ : ndarray of shape (n_samples, rank)
        Row factor of the training data.
    V_ : ndarray of shape (n_features, rank)
        Column factor: the completion of the training data is ``U_ @ V_.T``.
    history_ : ndarray of shape (`n_iter_`,)
        Relative residual on the observed entries after each iteration of :meth:`fit`.
    n_iter_ : int
        Iterations of :meth:`fit`.
    converged_ : bool
        Whether ``tol`` was met before ``max_iter``.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when ``X`` has string column names.

    See Also
    --------
    MatrixCompletion : The estimator on the observed entries, with ``predict(rows, cols)``.
    SoftImputeImputer : Nuclear-norm (SoftImpute) completion with the same conventions.
    sklearn.impute.IterativeImputer : Feature-by-feature regression imputation.

    Notes
    -----
    :meth:`fit_transform` fills the missing entries of the training data with
    ``U_ @ V_.T``. :meth:`transform` keeps ``V_`` fixed and fits each row's factor to its
    observed features :math:`J` by the same ridge regression as a half-step of the fit,
    :math:`u = (V_J^T V_J + \lambda I)^{-1} V_J^T x_J`, then fills with :math:`V u`; on
    the training rows of a converged fit with the Cholesky solver this reproduces
    :meth:`fit_transform` (the least-squares solution is the same in any basis of the
    factors). Observed entries are returned unchanged. A row with no observed entry,
    and a feature never observed in training, are filled with 0 (their factor row is 0);
    a row with fewer than ``rank`` observed entries and ``reg=0`` gets a nearly
    minimum-norm solution (see :class:`MatrixCompletion`). ``X`` must have at least one
    observed entry and no infinity. The fit costs :math:`O(|\Omega| k^2)` per iteration
    and never forms an ``n_samples x n_features`` array; the transformed output is dense.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.completion import MatrixCompletionImputer
    >>> rng = np.random.default_rng(0)
    >>> M = rng.standard_normal((300, 4)) @ rng.standard_normal((4, 60))
    >>> X = np.where(rng.uniform(size=M.shape) < 0.5, M, np.nan)  # half missing
    >>> imp = MatrixCompletionImputer(rank=4, tol=1e-10, random_state=0)
    >>> X_filled = imp.fit_transform(X)
    >>> bool(np.array_equal(X_filled[~np.isnan(X)], X[~np.isnan(X)]))  # observed kept
    True
    >>> bool(np.linalg.norm(X_filled - M) < 1e-8 * np.linalg.norm(M))
    True
    >>> X_new = np.where(rng.uniform(size=(5, 60)) < 0.5, M[:5], np.nan)  # new rows
    >>> bool(np.allclose(imp.transform(X_new), M[:5]))
    True
    """

    _parameter_constraints: dict = {
        **MatrixCompletion._parameter_constraints,
    }

    def __init__(self, rank=10, *, reg=0.0, max_iter=100, tol=1e-6, init="svd",
                 solver="cholesky", cg_iter=3, sketch_size=None, clip_incoherence=True,
                 random_state=None, n_threads=None):
        self.rank = rank
        self.reg = reg
        self.max_iter = max_iter
        self.tol = tol
        self.init = init
        self.solver = solver
        self.cg_iter = cg_iter
        self.sketch_size = sketch_size
        self.clip_incoherence = clip_incoherence
        self.random_state = random_state
        self.n_threads = n_threads

    def _validate(self, X, reset):
        return validate_data(self, X, reset=reset, accept_sparse=True,
                             dtype=[np.float64, np.float32], ensure_all_finite="allow-nan")

    def _fit(self, X):
        A = _observed(X)
        model = MatrixCompletion(**self.get_params())
        model._fit(A)
        for name in ("U_", "V_", "history_", "n_iter_", "converged_"):
            setattr(self, name, getattr(model, name))
        return A

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the low-rank completion of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or sparse matrix
            NaN marks a missing entry (dense); stored entries are observed (sparse).
        y : None
            Ignored.

        Returns
        -------
        self : MatrixCompletionImputer

        Raises
        ------
        ValueError
            If no entry is observed, ``X`` holds inf, ``rank >= min(X.shape)``, or a
            parameter is out of range.
        """
        self._fit(self._validate(X, reset=True))
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit, and return ``X`` with its missing entries filled by ``U_ @ V_.T``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or sparse matrix
            As in :meth:`fit`.
        y : None
            Ignored.

        Returns
        -------
        X_filled : ndarray of shape (n_samples, n_features)
            Observed entries unchanged, missing ones from the completion.
        """
        X = self._validate(X, reset=True)
        A = self._fit(X)
        return self._fill(A, self.U_)

    def transform(self, X):
        """Fill the missing entries of ``X`` from the learned column factor ``V_``.

        Each row is fitted to its observed features by the ridge regression of the
        Notes; observed entries are returned unchanged.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or sparse matrix
            NaN marks a missing entry (dense); stored entries are observed (sparse).

        Returns
        -------
        X_filled : ndarray of shape (n_samples, n_features)
        """
        from ._als import solve_rows

        check_is_fitted(self)
        A = _observed(self._validate(X, reset=False))
        V = self.V_
        idx = A.indptr.dtype
        U = np.zeros((A.shape[0], V.shape[1]), dtype=V.dtype)
        status = solve_rows(A.indptr, A.indices.astype(idx, copy=False),
                            A.data.astype(V.dtype, copy=False), V, U, float(self.reg), 0, 1,
                            np.zeros(0), effective_n_threads(self.n_threads))
        if status == -1:
            raise MemoryError("MatrixCompletionImputer could not allocate the per-thread "
                              "buffers")
        return self._fill(A, U)

    def _fill(self, A, U):
        """Dense ``U @ V_.T`` with the observed entries of ``A`` written back."""
        out = U @ self.V_.T
        rows = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
        out[rows, A.indices] = A.data
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
