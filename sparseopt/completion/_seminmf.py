"""SemiNMF: X ~ W H with nonnegative codes W and a signed dictionary H (Ding, Li, Jordan)."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.linalg
import scipy.optimize
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ..exceptions import ConvergenceWarning
from ..utils._param_validation import Interval, StrOptions, _fit_context

__all__ = ["SemiNMF"]


def _objective(X, W, H):
    """Squared Frobenius error, computed from the residual (no cancellation near 0)."""
    R = X - W @ H
    return float(np.vdot(R, R))


def _update_dictionary(X, W):
    """argmin_H ||X - W H||_F: least squares by a QR of W (backward stable, and ~10x
    cheaper than the SVD of ``lstsq``), minimum norm by SVD if W is rank deficient."""
    Q, R = scipy.linalg.qr(W, mode="economic", check_finite=False)
    d = np.abs(np.diag(R))
    if d.size and d.min() > max(W.shape) * np.finfo(W.dtype).eps * d.max():
        return scipy.linalg.solve_triangular(R, Q.T @ X, check_finite=False)
    return np.linalg.lstsq(W, X, rcond=None)[0]


def _keep_largest(H, fraction):
    """Winner-take-all: zero all but the ceil(fraction * n_features) largest |entries| of
    each row (component) of H."""
    n_features = H.shape[1]
    keep = max(1, int(np.ceil(fraction * n_features)))
    if keep >= n_features:
        return H
    drop = np.argpartition(np.abs(H), n_features - keep, axis=1)[:, : n_features - keep]
    H = H.copy()
    np.put_along_axis(H, drop, 0.0, axis=1)
    return H


def _update_codes(X, W, H):
    """One multiplicative update of W >= 0 (Ding, Li, Jordan 2010, eq. 8).

    With P = X H^T and Q = H H^T split into positive and negative parts,
    W <- W * sqrt((P+ + W Q-) / (P- + W Q+)). It never increases ||X - W H||_F and keeps
    W >= 0. The denominator is 0 only where W_ij = 0 (then W Q+ >= W_ij Q_jj fails to be
    positive) or H's row j is 0; the entry is left as it is there.
    """
    P = X @ H.T
    Q = H @ H.T
    num = np.maximum(P, 0) + W @ np.maximum(-Q, 0)
    den = np.maximum(-P, 0) + W @ np.maximum(Q, 0)
    ratio = np.divide(num, den, out=np.ones_like(num), where=den > 0)
    return W * np.sqrt(ratio)


def _nnls_codes(X, H):
    """Exact nonnegative codes of every row of X for the dictionary H (one NNLS each)."""
    Ht = np.asarray(H.T, dtype=np.float64)
    W = np.empty((X.shape[0], H.shape[0]))
    for i, row in enumerate(np.asarray(X, dtype=np.float64)):
        W[i] = scipy.optimize.nnls(Ht, row, maxiter=50 * max(H.shape[0], 1))[0]
    return W.astype(X.dtype, copy=False)


class SemiNMF(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    r"""Semi-nonnegative matrix factorization: signed data, nonnegative codes.

    Finds :math:`X \approx W H` for a data matrix :math:`X` of shape ``(n_samples,
    n_features)`` of any sign, with **nonnegative codes** :math:`W \ge 0` (``n_samples x
    n_components``, what :meth:`transform` returns) and a **signed dictionary**
    :math:`H` (``n_components x n_features``, ``components_``):

    .. math:: \min_{W \ge 0,\ H}\ \|X - W H\|_F^2 .

    Each sample is a nonnegative combination of signed components, which makes the codes
    interpretable as "how much of component j" (and, unlike NMF, :math:`X` need not be
    nonnegative). In the layout of Shafran, Geiger and Geva (2025), who decompose MLP
    activations :math:`A` (neurons x tokens) :math:`\approx Z Y` with :math:`Z` signed and
    :math:`Y \ge 0`: samples are tokens, ``X = A.T``, ``components_ = Z.T`` and the codes
    are ``Y.T``.

    Parameters
    ----------
    n_components : int, optional
        Rank :math:`k`, in ``[1, min(n_samples, n_features)]``; default
        ``min(n_samples, n_features)``.
    init : {"svd", "random", "kmeans", "custom"}, default="svd"
        Initial codes :math:`W_0` (the dictionary then follows by least squares):

        - ``"svd"``: from the truncated SVD :math:`U_k S_k V_k^T`: :math:`W_0 =
          \max(U_k S_k^{1/2}, 0)`, each column's sign chosen to keep the larger positive
          part, zeros raised to 1 % of the mean (a multiplicative update cannot move an
          exact zero);
        - ``"random"``: :math:`|N(0, 1)|` entries;
        - ``"kmeans"``: k-means cluster indicators plus 0.2 (Ding, Li, Jordan);
        - ``"custom"``: the ``W`` passed to :meth:`fit` or :meth:`fit_transform`.
    max_iter : int, default=500
        Maximum number of iterations.
    tol : float, default=1e-4
        Stop when an iteration changes the objective by at most ``tol`` times the initial
        objective.
    sparsity : float, optional
        Fraction in ``(0, 1]`` of the entries of each component (row of ``components_``)
        kept after every dictionary update: the others, smallest in absolute value, are
        set to 0 (winner-take-all, as in Shafran et al., who keep 1 %). **This step breaks
        the monotone decrease of the objective**; the iterate with the lowest objective is
        returned. ``None`` (default) keeps the dictionary dense.
    random_state : int, RandomState instance or None, default=None
        Randomness of ``init="random"`` and ``"kmeans"`` (and of a randomized SVD for
        large inputs).

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        The signed dictionary :math:`H`.
    n_components_ : int
        The rank used.
    reconstruction_err_ : float
        :math:`\|X - W H\|_F` for the final codes and dictionary.
    objective_history_ : ndarray of shape (`n_iter_` + 1,)
        :math:`\|X - W H\|_F^2` after the initialization and after each iteration.
    n_iter_ : int
        Iterations run.
    converged_ : bool
        Whether the ``tol`` test was met before ``max_iter``.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when ``X`` has string column names.

    See Also
    --------
    sklearn.decomposition.NMF : Both factors nonnegative (needs :math:`X \ge 0`).
    sklearn.decomposition.TruncatedSVD : Both factors signed; the lowest error at a rank.

    Notes
    -----
    One iteration, for codes :math:`W` and dictionary :math:`H`:

    1. codes, the multiplicative update of Ding, Li and Jordan (2010): with
       :math:`P = X H^T`, :math:`Q = H H^T` and :math:`M^\pm = (|M| \pm M)/2`,

       .. math:: W \leftarrow W \odot \sqrt{\frac{P^+ + W Q^-}{P^- + W Q^+}} ;

    2. dictionary, the closed-form least squares
       :math:`H = \arg\min_H \|X - WH\|_F = (W^TW)^{-1} W^T X` (minimum-norm when
       :math:`W` is rank deficient);
    3. optionally, the winner-take-all ``sparsity`` step on each row of :math:`H`.

    Step 1 minimizes an auxiliary function that touches the objective at the current
    :math:`W`, so it never increases :math:`\|X - WH\|_F` and keeps :math:`W \ge 0`;
    step 2 is an exact minimization. Without step 3 the objective is therefore
    non-increasing. Step 3 replaces :math:`H` by a sparse matrix that is no longer
    optimal, and the objective may go up. After the last iteration the codes are
    recomputed exactly, one nonnegative least-squares problem per sample
    (:func:`scipy.optimize.nnls`), as :meth:`transform` does for new samples; this can
    only lower the error, and ``fit_transform(X)`` equals ``fit(X).transform(X)``.

    References
    ----------
    .. [1] C. Ding, T. Li, M. I. Jordan, "Convex and semi-nonnegative matrix
       factorizations", IEEE TPAMI 32 (2010).
    .. [2] O. Shafran, A. Geiger, M. Geva, "Decomposing MLP activations into
       interpretable features via semi-nonnegative matrix factorization" (2025),
       arXiv:2506.10920.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.completion import SemiNMF
    >>> rng = np.random.default_rng(0)
    >>> W = rng.uniform(size=(100, 3))            # nonnegative codes
    >>> H = rng.standard_normal((3, 20))          # signed dictionary
    >>> X = W @ H
    >>> model = SemiNMF(n_components=3, random_state=0).fit(X)
    >>> bool(model.reconstruction_err_ < 0.05 * np.linalg.norm(X))  # 2.3 % at tol=1e-4
    True
    >>> codes = model.transform(X)
    >>> codes.shape, bool(codes.min() >= 0)
    ((100, 3), True)
    >>> hist = model.objective_history_
    >>> bool(np.all(np.diff(hist) <= 1e-12 * hist[0]))  # never increases
    True
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "init": [StrOptions({"svd", "random", "kmeans", "custom"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "sparsity": [Interval(Real, 0, 1, closed="right"), None],
        "random_state": ["random_state"],
    }

    def __init__(self, n_components=None, *, init="svd", max_iter=500, tol=1e-4,
                 sparsity=None, random_state=None):
        self.n_components = n_components
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.sparsity = sparsity
        self.random_state = random_state

    # ----------------------------------------------------------------------------------
    def _rank(self, X):
        n_samples, n_features = X.shape
        limit = min(n_samples, n_features)
        k = limit if self.n_components is None else self.n_components
        if k > limit:
            raise ValueError(f"n_components must be <= min(n_samples, n_features) = {limit} "
                             f"for X of shape {X.shape}, got {k}")
        return k

    def _initial_codes(self, X, k, W, rng):
        n_samples = X.shape[0]
        if self.init == "custom":
            if W is None:
                raise ValueError("init='custom' needs the initial codes: fit(X, W=...)")
            W = check_array(W, dtype=X.dtype, input_name="W")
            if W.shape != (n_samples, k):
                raise ValueError(f"W must have shape {(n_samples, k)} (n_samples, "
                                 f"n_components), got {W.shape}")
            if W.min() < 0:
                raise ValueError("W must be nonnegative (the codes of a semi-NMF)")
            return np.array(W, dtype=X.dtype)
        if W is not None:
            raise ValueError(f"W is used only with init='custom', got init={self.init!r}")
        if self.init == "random":
            return np.abs(rng.standard_normal((n_samples, k))).astype(X.dtype)
        if self.init == "kmeans":
            from sklearn.cluster import KMeans

            labels = KMeans(n_clusters=k, n_init=1, random_state=rng).fit_predict(X)
            W = np.full((n_samples, k), 0.2, dtype=X.dtype)
            W[np.arange(n_samples), labels] += 1.0
            return W
        return self._svd_codes(X, k, rng)

    @staticmethod
    def _svd_codes(X, k, rng):
        if min(X.shape) <= 500:
            U, s, _ = np.linalg.svd(X, full_matrices=False)
            U, s = U[:, :k], s[:k]
        else:
            from sklearn.utils.extmath import randomized_svd

            U, s, _ = randomized_svd(X, k, random_state=rng)
        B = U * np.sqrt(s)
        # the sign of a singular vector is arbitrary: keep the larger positive part
        pos = np.linalg.norm(np.maximum(B, 0), axis=0)
        neg = np.linalg.norm(np.maximum(-B, 0), axis=0)
        W = np.maximum(np.where(pos >= neg, 1.0, -1.0) * B, 0).astype(X.dtype)
        mean = W.mean()
        W[W == 0] = 0.01 * mean if mean > 0 else 1.0
        return W

    def _dictionary(self, X, W):
        H = _update_dictionary(X, W)
        return H if self.sparsity is None else _keep_largest(H, self.sparsity)

    # ----------------------------------------------------------------------------------
    def _fit(self, X, W):
        k = self._rank(X)
        rng = check_random_state(self.random_state)
        W = self._initial_codes(X, k, W, rng)
        H = self._dictionary(X, W)
        history = [_objective(X, W, H)]
        best = (history[0], W, H)
        converged = False
        for _ in range(self.max_iter):
            W = _update_codes(X, W, H)
            H = self._dictionary(X, W)
            history.append(_objective(X, W, H))
            if history[-1] < best[0]:
                best = (history[-1], W, H)
            if abs(history[-2] - history[-1]) <= self.tol * history[0]:
                converged = True
                break
        n_iter = len(history) - 1
        if not converged:
            warnings.warn(
                f"SemiNMF reached max_iter={self.max_iter} with a last relative change of "
                f"the objective {abs(history[-2] - history[-1]) / max(history[0], 1e-300):.2e}"
                f" > tol={self.tol:g}; raise max_iter or tol", ConvergenceWarning,
                stacklevel=4)
        _, W, H = best
        W = _nnls_codes(X, H)  # exact codes for the final dictionary: never worse
        self.components_ = H
        self.n_components_ = k
        self._n_features_out = k
        self.objective_history_ = np.array(history)
        self.n_iter_ = n_iter
        self.converged_ = converged
        self.reconstruction_err_ = float(np.sqrt(_objective(X, W, H)))
        return W

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None, W=None):
        """Fit the factorization and return the codes of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data, of any sign. float32 stays float32.
        y : None
            Ignored.
        W : array-like of shape (n_samples, n_components), optional
            Nonnegative initial codes, for ``init="custom"`` only.

        Returns
        -------
        W : ndarray of shape (n_samples, n_components)
            The nonnegative codes.

        Raises
        ------
        ValueError
            If ``X`` holds NaN/inf, ``n_components`` exceeds ``min(n_samples,
            n_features)``, or ``W`` is missing, misshapen or negative for
            ``init="custom"``; or a parameter is out of range.
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        return self._fit(X, W)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, W=None):
        """Fit the factorization.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data, of any sign.
        y : None
            Ignored.
        W : array-like of shape (n_samples, n_components), optional
            Nonnegative initial codes, for ``init="custom"`` only.

        Returns
        -------
        self : SemiNMF

        Raises
        ------
        ValueError
            As :meth:`fit_transform`.
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        self._fit(X, W)
        return self

    def transform(self, X):
        """Nonnegative codes of new samples for the learned dictionary.

        Solves :math:`\\min_{w \\ge 0} \\|x - H^T w\\|_2` exactly for every row ``x``
        (:func:`scipy.optimize.nnls`), with :math:`H` = ``components_`` fixed.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        W : ndarray of shape (n_samples, n_components)
            Their codes, ``>= 0``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return _nnls_codes(X, self.components_.astype(X.dtype, copy=False))

    def inverse_transform(self, X):
        """Map codes back to the data space: ``X @ components_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        X = check_array(X, dtype=[np.float64, np.float32], input_name="X")
        if X.shape[1] != self.n_components_:
            raise ValueError(f"X must have {self.n_components_} columns (n_components), "
                             f"got {X.shape[1]}")
        return X @ self.components_.astype(X.dtype, copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
