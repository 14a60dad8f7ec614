"""MatrixCompletion: low-rank completion by (robust) alternating minimization."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ..exceptions import ConvergenceWarning
from ..utils import effective_n_threads
from ..utils._param_validation import Interval, StrOptions, _fit_context
from ..utils.validation import check_array, check_sparse

__all__ = ["MatrixCompletion"]

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
    solver : {"cholesky", "cg"}, default="cholesky"
        How each row's ``k x k`` normal equations are solved: exactly, by a Cholesky
        factorization, or approximately, by ``cg_iter`` conjugate-gradient steps warm
        started at the current row.
    cg_iter : int, default=3
        CG steps per row and half-iteration for ``solver="cg"``.
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
        Row solves (over all iterations, Cholesky only) whose Gram matrix was singular:
        rows or columns with fewer than ``rank`` observed entries when ``reg=0``. They
        get the ridge solution for :math:`\lambda = 10^{-8}\,\mathrm{tr}(G_i)/k`, close
        to the minimum-norm least-squares solution.
    n_features_in_ : int
        Number of columns ``n`` of the matrix seen during :meth:`fit`.

    See Also
    --------
    SemiNMF : A factorization of a fully observed matrix with nonnegative codes.

    Notes
    -----
    **Input.** A sparse ``X`` (any scipy format) lists the observed entries: every stored
    entry is observed, explicit zeros are observed zeros, and duplicate entries are
    summed (as :meth:`scipy.sparse.coo_array.tocsr` does). A dense ``X`` marks missing
    entries by NaN; every finite entry is observed.

    **Per-row normal equations.** With V fixed, row i of U solves

    .. math:: (G_i + \lambda I)\, u_i = \sum_{j \in \Omega_i} m_{ij} v_j, \qquad
              G_i = \sum_{j \in \Omega_i} v_j v_j^T,

    and symmetrically for the columns with U fixed. The solves run in a compiled
    OpenMP loop over the rows (CSR) and the columns (CSC). ``solver="cholesky"``
    costs :math:`O(|\Omega| k^2 + (m + n) k^3)` per iteration, ``solver="cg"``
    :math:`O(|\Omega| k \cdot (\text{cg\_iter} + 1))` (the Gram matrix is applied
    through the observed entries, never formed). Rows or columns with no observed entry
    get a zero factor row.

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
        "solver": [StrOptions({"cholesky", "cg"})],
        "cg_iter": [Interval(Integral, 1, None, closed="left")],
        "clip_incoherence": ["boolean", Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
        "n_threads": [Interval(Integral, -1, None, closed="left"), None],
    }

    def __init__(self, rank=10, *, reg=0.0, max_iter=100, tol=1e-10, init="svd",
                 solver="cholesky", cg_iter=3, clip_incoherence=True, random_state=None,
                 n_threads=None):
        self.rank = rank
        self.reg = reg
        self.max_iter = max_iter
        self.tol = tol
        self.init = init
        self.solver = solver
        self.cg_iter = cg_iter
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
        use_cg = self.solver == "cg"
        reg = float(self.reg)
        orthonormalize = reg == 0.0
        residual = np.zeros(m)
        no_residual = np.zeros(0)
        history, converged, n_singular = [], False, 0
        for _ in range(self.max_iter):
            n_singular += self._solve(solve_rows, C, U, V, reg, use_cg, no_residual, threads)
            if orthonormalize:
                Q, T = _orthonormal(V)
                V, U = np.ascontiguousarray(Q), np.ascontiguousarray(U @ T.T)
            n_singular += self._solve(solve_rows, R, V, U, reg, use_cg, residual, threads)
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

    def _solve(self, solve_rows, A, F, X, reg, use_cg, residual, threads):
        status = solve_rows(A.indptr, A.indices, A.data, F, X, reg, use_cg, self.cg_iter,
                            residual, threads)
        if status < 0:
            raise MemoryError("MatrixCompletion could not allocate the per-thread buffers")
        return status

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the factors to the observed entries of ``X``.

        Parameters
        ----------
        X : sparse matrix or array-like of shape (m, n)
            Observed entries: a scipy sparse matrix or array in any format (stored
            entries are observed, duplicates summed), or a dense array with NaN for
            the missing entries. float32 stays float32.
        y : None
            Ignored.

        Returns
        -------
        self : MatrixCompletion

        Raises
        ------
        ValueError
            If ``rank >= min(m, n)``, ``X`` has no observed entry, a stored value is
            NaN or infinite (sparse ``X``), an entry is infinite (dense ``X``), the
            sparse structure is malformed (e.g. an index out of bounds), or a
            parameter is out of range.
        TypeError
            If ``X`` is not numeric, or is a tuple (build a ``coo_array`` from
            ``(rows, cols, values)`` triplets).
        """
        if isinstance(X, tuple):
            # (rows, cols, values) would otherwise be read as a dense 3-row matrix
            raise TypeError(
                "X must be a scipy sparse matrix/array of the observed entries or a dense "
                "array with NaN for missing entries, got a tuple; for (rows, cols, values) "
                "triplets pass scipy.sparse.coo_array((values, (rows, cols)), shape=shape)")
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
