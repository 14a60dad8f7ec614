"""SoftImpute (Mazumder, Hastie, Tibshirani 2010) on sparse + low-rank operators.

The iterate Z = U diag(s) V^T is kept in factored form and the matrix whose SVD each step
needs, P_Omega(X) + P_Omega^perp(Z) = [P_Omega(X) - P_Omega(Z)] + Z, is applied as a sparse
matrix plus a low-rank one: the dense m x n matrix is never formed.
"""

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
from ..utils._param_validation import Interval, _fit_context

__all__ = ["SoftImputeImputer", "soft_impute"]

_SVD_TOL = 1e-4  # residual of the kept Ritz triplets, relative to sigma_1 (see Notes)
_CHUNK = 1 << 16  # observed entries per gather in _entries: O(chunk * k) scratch memory


def _entries(U, s, Vt, rows, cols):
    """Z[rows[t], cols[t]] for Z = U diag(s) Vt, in chunks (no m x n array, no |Omega| x k
    array: the gathered rows are the only scratch)."""
    out = np.empty(rows.size)
    if s.size == 0:
        out[:] = 0.0
        return out
    Us, V = U * s, Vt.T
    for a in range(0, rows.size, _CHUNK):
        b = min(a + _CHUNK, rows.size)
        out[a:b] = np.einsum("ij,ij->i", Us[rows[a:b]], V[cols[a:b]])
    return out


class _SparsePlusLowRank:
    """A = S + U diag(s) Vt applied to blocks of vectors: (S + U D V^T) M = S M + U (D (V^T M))."""

    def __init__(self, S, U, s, Vt):
        self.S, self.St = S, S.T.tocsr()
        self.U, self.s, self.Vt = U, s, Vt

    def matmat(self, M):
        return self.S @ M + self.U @ (self.s[:, None] * (self.Vt @ M))

    def rmatmat(self, M):
        return self.St @ M + self.Vt.T @ (self.s[:, None] * (self.U.T @ M))


def _top_svd(A, V0, n_keep, shrinkage, svd_tol, max_power, grow=False):
    """Top singular triplets of A by subspace iteration started from the columns of V0.

    Returns the Ritz triplets of the block (U, s, Vt), descending, and whether every triplet
    with s > shrinkage (at most ``n_keep``) has a residual ||A v - s u|| <= svd_tol * s[0].
    By construction A^T u = s v holds exactly for each Ritz pair, so that residual is the
    whole error. With ``grow``, it stops as soon as the smallest Ritz value exceeds
    ``shrinkage`` (Ritz values are lower bounds of the singular values, so the block is then
    certainly too small) and reports ``ok=False``.
    """
    Y = A.matmat(V0)
    for _ in range(max_power):
        Q = np.linalg.qr(Y)[0]
        W = A.rmatmat(Q)  # A^T Q: the block's Rayleigh-Ritz problem is Q^T A = W^T
        Ub, s, Vt = scipy.linalg.svd(W.T, full_matrices=False, check_finite=False)
        U = Q @ Ub
        Y = A.matmat(Vt.T)
        if grow and s[-1] > shrinkage:
            return U, s, Vt, False
        # Ritz values are lower bounds: "nothing above the threshold" is known only once
        # the top pair has converged too
        kept = max(1, min(n_keep, int(np.count_nonzero(s > shrinkage))))
        res = np.linalg.norm(Y[:, :kept] - U[:, :kept] * s[:kept], axis=0)
        if res.max() <= svd_tol * s[0]:
            return U, s, Vt, True
    return U, s, Vt, False


def _observed(X):
    """Rows, columns and values of the observed entries of X (NaN = missing when dense;
    the stored, non-NaN entries when sparse)."""
    if sp.issparse(X):
        C = sp.coo_array(X)
        C.sum_duplicates()
        keep = ~np.isnan(C.data)
        return (C.row[keep].astype(np.intp), C.col[keep].astype(np.intp),
                np.asarray(C.data[keep], dtype=np.float64))
    X = np.asarray(X)
    rows, cols = np.nonzero(~np.isnan(X))
    return rows, cols, np.asarray(X[rows, cols], dtype=np.float64)


def _check_params(shrinkage, max_rank, max_iter, tol):
    if shrinkage is not None and not (np.isfinite(shrinkage) and shrinkage >= 0):
        raise ValueError(f"shrinkage must be a finite float >= 0 or None, got {shrinkage}")
    if max_rank is not None and max_rank < 1:
        raise ValueError(f"max_rank must be an int >= 1 or None, got {max_rank}")
    if max_iter < 1:
        raise ValueError(f"max_iter must be an int >= 1, got {max_iter}")
    if not tol >= 0:
        raise ValueError(f"tol must be >= 0, got {tol}")


def _soft_impute(shape, rows, cols, vals, shrinkage, max_rank, max_iter, tol, rng,
                 svd_tol=None, oversample=10, max_power=50, callback=None):
    m, n = shape
    if vals.size == 0:
        raise ValueError("X has no observed entry (all entries are missing)")
    if not np.all(np.isfinite(vals)):
        raise ValueError("X must not contain inf (NaN marks a missing entry)")
    if m * n > 0 and rows.size:
        order = np.lexsort((cols, rows))
        rows, cols, vals = rows[order], cols[order], vals[order]
    limit = min(m, n)
    if svd_tol is None:
        svd_tol = _SVD_TOL
    idx_dtype = np.int64 if max(m, n, vals.size) >= 2**31 else np.int32

    def sparse(data):
        return sp.csr_array((data, (rows.astype(idx_dtype), cols.astype(idx_dtype))),
                            shape=shape)

    if shrinkage is None:  # fancyimpute's default: sigma_max of the zero-filled X over 50
        lam = _top_svd(_SparsePlusLowRank(sparse(vals), np.zeros((m, 0)), np.zeros(0),
                                          np.zeros((0, n))),
                       rng.standard_normal((n, 2)), 1, -1.0, 1e-6, 100)[1][0] / 50.0
    else:
        lam = float(shrinkage)
    cap = limit if max_rank is None else min(max_rank, limit)
    U, s, Vt = np.zeros((m, 0)), np.zeros(0), np.zeros((0, n))
    history, converged, n_iter = [], False, 0
    while n_iter < max_iter:
        n_iter += 1
        resid = vals - _entries(U, s, Vt, rows, cols)  # P_Omega(X - Z) on Omega
        A = _SparsePlusLowRank(sparse(resid), U, s, Vt)
        # block: the current rank (or max_rank) plus oversampling, grown while every Ritz
        # value of the block is above the threshold (more singular values may be too)
        want = cap if max_rank is not None else max(s.size, 1)
        block = min(limit, want + oversample)
        while True:
            V0 = rng.standard_normal((n, block))
            V0[:, : s.size] = Vt[: block].T  # warm start from the previous subspace
            grow = max_rank is None and block < limit
            Ub, sb, Vbt, ok = _top_svd(A, V0, cap, lam, svd_tol, max_power, grow)
            if not grow or sb[-1] <= lam:
                break
            block = min(limit, 2 * block)
        r = min(cap, int(np.count_nonzero(sb > lam)))
        U_new, s_new, Vt_new = Ub[:, :r], sb[:r] - lam, Vbt[:r]
        # ||Z_new - Z_old||_F^2 from the factors: O((m + n) k^2)
        cross = np.einsum("i,ij,j,ij->", s, U.T @ U_new, s_new, Vt @ Vt_new.T)
        fit_old = s @ s
        diff2 = max(fit_old + s_new @ s_new - 2.0 * cross, 0.0)
        U, s, Vt = U_new, s_new, Vt_new
        resid = vals - _entries(U, s, Vt, rows, cols)
        history.append(0.5 * resid @ resid + lam * s.sum())
        if callback is not None:
            callback(U, s, Vt)
        # the paper's rule: ||Z_k - Z_{k-1}||_F^2 <= tol ||Z_{k-1}||_F^2; Z = 0 twice is a
        # fixed point
        if diff2 <= tol * fit_old or (fit_old == 0 and s.size == 0):
            converged = True
            break
    return U, s, Vt, lam, n_iter, converged, np.array(history)


def soft_impute(X_observed, *, shrinkage: float | None = None, max_rank: int | None = None,
                max_iter: int = 100, tol: float = 1e-5, random_state=None,
                return_n_iter: bool = False):
    r"""Low-rank completion by SoftImpute, without forming the dense matrix.

    Solves

    .. math:: \min_Z\ \tfrac12 \|P_\Omega(X - Z)\|_F^2 + \lambda \|Z\|_*

    by the iteration :math:`Z \leftarrow S_\lambda(P_\Omega(X) + P_\Omega^\perp(Z))` of
    Mazumder, Hastie and Tibshirani (2010), :math:`S_\lambda` soft-thresholding the
    singular values by :math:`\lambda`.

    Parameters
    ----------
    X_observed : ndarray of shape (m, n) or sparse matrix
        Dense: NaN marks a missing entry. Sparse (any scipy format): the *stored* entries
        are the observed ones (an explicitly stored 0 is an observed 0); unstored entries
        are missing.
    shrinkage : float >= 0, optional
        :math:`\lambda`. Default: the largest singular value of the zero-filled
        :math:`P_\Omega(X)` divided by 50 (fancyimpute's default).
    max_rank : int, optional
        Keep at most this many singular values per step (the rank-restricted variant);
        default no limit.
    max_iter : int, default=100
        Maximum number of iterations.
    tol : float, default=1e-5
        Stop when :math:`\|Z_k - Z_{k-1}\|_F^2 \le \text{tol}\,\|Z_{k-1}\|_F^2` (the
        paper's criterion).
    random_state : int, RandomState instance or None
        Start vectors of the subspace iterations.
    return_n_iter : bool, default=False
        Also return the number of iterations and whether ``tol`` was met.

    Returns
    -------
    U : ndarray of shape (m, r)
    s : ndarray of shape (r,)
        Descending singular values of the solution (already shrunk).
    Vt : ndarray of shape (r, n)
        ``Z = U @ np.diag(s) @ Vt``.
    n_iter, converged : int, bool
        Only with ``return_n_iter=True``.

    Raises
    ------
    ValueError
        If no entry is observed, an observed entry is inf, or a parameter is out of range.

    Notes
    -----
    :math:`P_\Omega(X) + P_\Omega^\perp(Z) = [P_\Omega(X) - P_\Omega(Z)] + Z` is a sparse
    matrix (:math:`|\Omega|` nonzeros) plus the rank-:math:`k` iterate, so a product with a block
    of :math:`b` vectors costs :math:`O(|\Omega| b + (m + n) k b)`. Its top singular
    triplets come from a subspace iteration warm-started at the previous right singular
    vectors (plus a few random ones), run until every kept triplet has a residual below
    :math:`10^{-4}\sigma_1`; the block grows while all its singular values exceed
    :math:`\lambda`. :math:`P_\Omega(Z)` is evaluated entrywise from the factors. Memory
    is :math:`O(|\Omega| + (m + n) k)`.

    References
    ----------
    .. [1] R. Mazumder, T. Hastie, R. Tibshirani, "Spectral regularization algorithms for
       learning large incomplete matrices", JMLR 11 (2010) 2287-2322.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.completion import soft_impute
    >>> rng = np.random.default_rng(0)
    >>> M = rng.standard_normal((200, 3)) @ rng.standard_normal((3, 100))
    >>> X = np.where(rng.uniform(size=M.shape) < 0.5, M, np.nan)
    >>> U, s, Vt = soft_impute(X, shrinkage=1.0, random_state=0)
    >>> Z = (U * s) @ Vt
    >>> bool(np.linalg.norm(Z - M) < 0.05 * np.linalg.norm(M))  # 2.6 %: the bias of lambda
    True
    """
    if not sp.issparse(X_observed):
        X_observed = np.asarray(X_observed, dtype=np.float64)
        if X_observed.ndim != 2:
            raise ValueError(f"X_observed must be 2-D, got shape {X_observed.shape}")
    _check_params(shrinkage, max_rank, max_iter, tol)
    rows, cols, vals = _observed(X_observed)
    U, s, Vt, _, n_iter, converged, _ = _soft_impute(
        X_observed.shape, rows, cols, vals, shrinkage, max_rank, max_iter, tol,
        check_random_state(random_state))
    if return_n_iter:
        return U, s, Vt, n_iter, converged
    return U, s, Vt


class SoftImputeImputer(TransformerMixin, BaseEstimator):
    r"""Fill missing entries with the SoftImpute low-rank completion.

    A scikit-learn transformer following the imputers' convention: in a dense ``X`` NaN
    marks a missing entry and :meth:`transform` replaces exactly the NaNs, leaving the
    observed entries unchanged. A scipy sparse ``X`` is also accepted: its *stored*
    entries are the observed ones, and the unstored ones are missing (the output is then
    the dense completed array, so use :func:`soft_impute` or the fitted factors for
    matrices too large to hold densely). Fitting solves (see :func:`soft_impute`)

    .. math:: \min_Z\ \tfrac12 \|P_\Omega(X - Z)\|_F^2 + \lambda \|Z\|_*

    without ever forming a dense ``n_samples x n_features`` matrix.

    Parameters
    ----------
    shrinkage : float >= 0, optional
        :math:`\lambda`; default the largest singular value of the zero-filled data over
        50 (fancyimpute's default). Small values make the early iterates high-rank.
    max_rank : int, optional
        Largest rank kept per iteration; default no limit.
    max_iter : int, default=100
        Maximum number of iterations.
    tol : float, default=1e-5
        Stop when :math:`\|Z_k - Z_{k-1}\|_F^2 \le \text{tol}\,\|Z_{k-1}\|_F^2`.
    random_state : int, RandomState instance or None, default=None
        Start vectors of the subspace iterations.

    Attributes
    ----------
    U_ : ndarray of shape (n_samples, `rank_`)
        Left singular vectors of the completion of the training data.
    singular_values_ : ndarray of shape (`rank_`,)
        Its singular values (after shrinkage), descending.
    components_ : ndarray of shape (`rank_`, n_features)
        Its right singular vectors :math:`V^T`.
    shrinkage_ : float
        The :math:`\lambda` used.
    rank_ : int
        Rank of the completion.
    n_iter_ : int
        Iterations run.
    converged_ : bool
        Whether ``tol`` was met before ``max_iter``.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when ``X`` has string column names.

    See Also
    --------
    soft_impute : The function, returning the factors.
    sklearn.impute.IterativeImputer : Feature-by-feature regression imputation.

    Notes
    -----
    :meth:`fit_transform` fills the missing entries of the training data with
    :math:`Z = U \operatorname{diag}(s) V^T`. :meth:`transform` on any rows (new or not)
    keeps the right factor :math:`B = V \operatorname{diag}(s)^{1/2}` fixed and fits each
    row's coefficients to its observed columns :math:`J` by ridge regression,
    :math:`a = (B_J^T B_J + \lambda I)^{-1} B_J^T x_J`, then fills with :math:`B a`. This is
    the row update of the factored form :math:`\min \tfrac12\|P_\Omega(X - AB^T)\|_F^2 +
    \tfrac\lambda2(\|A\|_F^2 + \|B\|_F^2)`, whose solution is :math:`A = U D^{1/2}`,
    :math:`B = V D^{1/2}` (Hastie et al., 2015): on the training rows, at convergence,
    :meth:`transform` reproduces :meth:`fit_transform`. A row with no observed entry, and
    a feature never observed in training, are filled with 0 (the nuclear norm alone pulls
    them to 0). ``X`` must have at least one observed entry, and no inf.

    References
    ----------
    .. [1] R. Mazumder, T. Hastie, R. Tibshirani, "Spectral regularization algorithms for
       learning large incomplete matrices", JMLR 11 (2010) 2287-2322.
    .. [2] T. Hastie, R. Mazumder, J. Lee, R. Zadeh, "Matrix completion and low-rank SVD
       via fast alternating least squares", JMLR 16 (2015) 3367-3402.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.completion import SoftImputeImputer
    >>> rng = np.random.default_rng(0)
    >>> M = rng.standard_normal((200, 3)) @ rng.standard_normal((3, 100))
    >>> X = np.where(rng.uniform(size=M.shape) < 0.5, M, np.nan)
    >>> imp = SoftImputeImputer(shrinkage=1.0, random_state=0)
    >>> X_filled = imp.fit_transform(X)
    >>> bool(np.array_equal(X_filled[~np.isnan(X)], X[~np.isnan(X)]))  # observed kept
    True
    >>> bool(np.linalg.norm(X_filled - M) < 0.05 * np.linalg.norm(M))
    True
    """

    _parameter_constraints: dict = {
        "shrinkage": [Interval(Real, 0, None, closed="left"), None],
        "max_rank": [Interval(Integral, 1, None, closed="left"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, shrinkage=None, max_rank=None, max_iter=100, tol=1e-5,
                 random_state=None):
        self.shrinkage = shrinkage
        self.max_rank = max_rank
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _validate(self, X, reset):
        return validate_data(self, X, reset=reset, accept_sparse=["csr", "csc", "coo"],
                             dtype=[np.float64, np.float32], ensure_all_finite="allow-nan")

    def _fit(self, X):
        if not np.isfinite(self.shrinkage if self.shrinkage is not None else 0.0):
            raise ValueError(f"shrinkage must be finite, got {self.shrinkage}")
        rows, cols, vals = _observed(X)
        U, s, Vt, lam, n_iter, converged, _ = _soft_impute(
            X.shape, rows, cols, vals, self.shrinkage, self.max_rank, self.max_iter,
            self.tol, check_random_state(self.random_state))
        if not converged:
            warnings.warn(f"SoftImputeImputer reached max_iter={self.max_iter} before "
                          f"tol={self.tol:g}; raise max_iter or tol", ConvergenceWarning,
                          stacklevel=3)
        # a feature never observed has a zero column in every iterate (exactly, in exact
        # arithmetic); clear the rounding so that it is filled with exact zeros
        Vt[:, np.bincount(cols, minlength=X.shape[1]) == 0] = 0.0
        self.U_, self.singular_values_, self.components_ = U, s, Vt
        self.shrinkage_, self.rank_ = lam, int(s.size)
        self.n_iter_, self.converged_ = n_iter, converged
        return rows, cols

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
        self : SoftImputeImputer

        Raises
        ------
        ValueError
            If no entry is observed, ``X`` holds inf, or a parameter is out of range.
        """
        self._fit(self._validate(X, reset=True))
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit, and return ``X`` with its missing entries filled by the completion.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or sparse matrix
            As in :meth:`fit`.
        y : None
            Ignored.

        Returns
        -------
        X_filled : ndarray of shape (n_samples, n_features)
            Observed entries unchanged, missing ones from ``U_ @ diag(s) @ components_``.
        """
        X = self._validate(X, reset=True)
        rows, cols = self._fit(X)
        dtype = X.dtype
        out = (self.U_ * self.singular_values_) @ self.components_
        X = X.toarray() if sp.issparse(X) else X
        out[rows, cols] = np.asarray(X[rows, cols], dtype=np.float64)
        return out.astype(dtype, copy=False)

    def transform(self, X):
        """Fill the missing entries of ``X`` from the learned right singular subspace.

        Each row is fitted to its observed columns by the ridge regression of the Notes;
        observed entries are returned unchanged.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or sparse matrix
            NaN marks a missing entry (dense); stored entries are observed (sparse).

        Returns
        -------
        X_filled : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        dtype = X.dtype
        if sp.issparse(X):
            rows, cols, vals = _observed(X)
            obs = np.zeros(X.shape, dtype=bool)
            obs[rows, cols] = True
            X0 = np.zeros(X.shape)
            X0[rows, cols] = vals
        else:
            obs = ~np.isnan(X)
            X0 = np.where(obs, X, 0.0).astype(np.float64)
        B = self.components_.T * np.sqrt(self.singular_values_)  # n_features x r
        r = B.shape[1]
        out = X0.copy()
        if r:
            BB = (B[:, :, None] * B[:, None, :]).reshape(B.shape[0], r * r)
            for a in range(0, X.shape[0], 1024):  # batches: O(1024 r^2) scratch
                b = min(a + 1024, X.shape[0])
                G = (obs[a:b].astype(np.float64) @ BB).reshape(b - a, r, r)
                G += self.shrinkage_ * np.eye(r)
                rhs = X0[a:b] @ B
                coef = np.einsum("ijk,ik->ij", np.linalg.pinv(G, hermitian=True), rhs)
                fill = coef @ B.T
                out[a:b] = np.where(obs[a:b], X0[a:b], fill)
        return out.astype(dtype, copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
