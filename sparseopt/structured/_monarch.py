"""Monarch matrices: the operator, its fast product, and the optimal projection onto them.

Layout used throughout (the one of the authors' ``blockdiag_butterfly_multiply``): a Monarch
matrix of padded shape ``(l*s, k*p)`` is given by two stacks of dense blocks,

- ``R`` of shape ``(k, q, p)``: block-diagonal, applied first; input ``x[i*p + c]`` is
  column ``c`` of block ``i``;
- ``L`` of shape ``(l, s, r)``: block-diagonal, applied second, with ``k*q == l*r == d``,

and a fixed permutation between them: the intermediate vector ``y`` (length ``d``) produced
by ``R`` is read by ``L`` as ``y[u*l + v]`` -> column ``u`` of block ``v``, and block ``v``
of ``L`` writes output ``o[t*l + v]`` (row ``t``). For ``k == l == sqrt(n)`` this is the
``M = P L P^T R`` of Dao et al. (2022), with ``P`` the "reshape to a square and transpose"
permutation.

Entry ``(t*l + v, i*p + c)`` of ``M`` is ``sum_j L[v, t, j // l] * R[i, j % q, c]`` over the
intermediate indices ``j`` with ``j % l == v`` and ``j // q == i``. Those sets partition
``range(d)``, so the ``s x p`` slice of ``M`` at block pair ``(v, i)`` is a sum of
``|J(v, i)|`` rank-one terms with parameters of its own: the projection of a dense matrix is
an independent truncated SVD per slice (:func:`monarch_project`).
"""

from __future__ import annotations

import math
import os
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

__all__ = ["MonarchMatrix", "monarch_project"]

_DTYPES = (np.float32, np.float64, np.complex64, np.complex128)
_FORMAT_VERSION = 1


# --------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------
def _as_blocks(x, name: str) -> np.ndarray:
    """A 3-D stack of blocks with a supported dtype (integers become float64)."""
    if sp.issparse(x):
        raise TypeError(f"{name} must be a dense 3-D array of blocks, got a sparse matrix")
    arr = np.asarray(x)
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    elif arr.dtype == np.float16:
        arr = arr.astype(np.float32)
    if arr.dtype.type not in _DTYPES:
        raise TypeError(
            f"{name} must have dtype float32, float64, complex64 or complex128, "
            f"got {arr.dtype}"
        )
    if arr.ndim != 3:
        raise ValueError(
            f"{name} must be 3-dimensional (n_blocks, rows, cols), got shape {arr.shape}"
        )
    if min(arr.shape) < 1:
        raise ValueError(f"{name} must have no zero-length dimension, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must not contain NaN or infinity")
    return np.ascontiguousarray(arr)


def _check_nblocks(nblocks) -> tuple[int, int]:
    """``nblocks`` as ``(k, l)``: blocks of the input factor R and of the output factor L."""
    if isinstance(nblocks, Integral) and not isinstance(nblocks, bool):
        pair = (int(nblocks), int(nblocks))
    elif (
        isinstance(nblocks, (tuple, list))
        and len(nblocks) == 2
        and all(isinstance(b, Integral) and not isinstance(b, bool) for b in nblocks)
    ):
        pair = (int(nblocks[0]), int(nblocks[1]))
    else:
        raise TypeError(
            "nblocks must be an int or a pair (input blocks, output blocks) of ints, "
            f"got {nblocks!r}"
        )
    if min(pair) < 1:
        raise ValueError(f"nblocks must be >= 1, got {nblocks!r}")
    return pair


def _structure(shape, nblocks, mid_dim=None, pad=False):
    """Block sizes ``(k, q, p, l, s, r)`` and the padded shape for a target shape."""
    m, n = shape
    k, l = _check_nblocks(nblocks)
    if pad:
        n_pad, m_pad = -(-n // k) * k, -(-m // l) * l
    else:
        if n % k:
            raise ValueError(
                f"nblocks: {k} input blocks do not divide the {n} columns; "
                "choose a divisor or pass pad=True"
            )
        if m % l:
            raise ValueError(
                f"nblocks: {l} output blocks do not divide the {m} rows; "
                "choose a divisor or pass pad=True"
            )
        n_pad, m_pad = n, m
    step = k * l // math.gcd(k, l)
    if mid_dim is None:
        d = -(-min(m_pad, n_pad) // step) * step
    else:
        if not isinstance(mid_dim, Integral) or isinstance(mid_dim, bool) or mid_dim < 1:
            raise ValueError(f"mid_dim must be a positive int, got {mid_dim!r}")
        d = int(mid_dim)
        if d % step:
            raise ValueError(
                f"mid_dim must be a multiple of both block counts {k} and {l} "
                f"(a multiple of {step}), got {d}"
            )
    return (k, d // k, n_pad // k, l, m_pad // l, d // l), (m_pad, n_pad)


def _slot_map(k, q, l, r):
    """For each intermediate index j: its block pair (v, i) and its slot in that pair.

    Returns ``(v, i, u, w, slot, rank)``: ``v = j % l`` (block of L), ``u = j // l`` (column
    in it), ``i = j // q`` (block of R), ``w = j % q`` (row in it), ``slot`` = the position
    of ``j`` among the indices of its pair in increasing order, and ``rank[v, i]`` = how
    many indices the pair has (the rank of that slice of M).
    """
    j = np.arange(k * q)
    v, u, i, w = j % l, j // l, j // q, j % q
    pair = v * k + i
    order = np.argsort(pair, kind="stable")  # stable: increasing j within a pair
    counts = np.bincount(pair, minlength=l * k)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    slot = np.empty_like(j)
    slot[order] = np.arange(j.size) - np.repeat(starts, counts)
    return v, i, u, w, slot, counts.reshape(l, k)


# --------------------------------------------------------------------------------------
# the operator
# --------------------------------------------------------------------------------------
class MonarchMatrix(LinearOperator):
    r"""A Monarch matrix: two block-diagonal factors interleaved with a fixed permutation.

    A :class:`scipy.sparse.linalg.LinearOperator` whose products cost
    :math:`O(B\,d\,(p + s))` for ``B`` vectors instead of :math:`O(B\,m\,n)`, computed as
    two batched matrix products on the block stacks (BLAS through numpy, no Python loop
    over blocks and no copy of the input or of the intermediate).

    Parameters
    ----------
    L : array-like of shape (l, s, r)
        The ``l`` blocks (``s x r``) of the second, output-side factor.
    R : array-like of shape (k, q, p)
        The ``k`` blocks (``q x p``) of the first, input-side factor. ``k * q`` must equal
        ``l * r`` (the intermediate dimension ``d``).
    shape : tuple of int, optional
        The operator's shape ``(m, n)`` when smaller than the padded shape
        ``(l*s, k*p)`` (the default): inputs are padded with zeros to ``k*p`` entries and
        outputs truncated to ``m``, as a Monarch layer of awkward width does.

    Attributes
    ----------
    L, R : ndarray
        The block stacks (C-contiguous; integers converted to float64).
    shape : tuple of int
        ``(m, n)``.
    dtype : numpy.dtype
        The common dtype of the factors (float32, float64, complex64 or complex128).
    nblocks : tuple of int
        ``(k, l)``: blocks of ``R`` (input side) and of ``L`` (output side).
    mid_dim : int
        The intermediate dimension ``d = k*q = l*r``.
    n_params : int
        Number of stored parameters, ``L.size + R.size``.

    Raises
    ------
    TypeError
        If a factor is sparse or has an unsupported dtype.
    ValueError
        If a factor is not 3-D, holds NaN/inf, the intermediate dimensions disagree, or
        ``shape`` exceeds the padded shape.

    See Also
    --------
    monarch_project : The closest Monarch matrix to a dense one.
    MonarchApproximation : The projection as a scikit-learn transformer.

    Notes
    -----
    With ``j`` an intermediate index, ``R`` block ``i = j // q`` produces ``y[j]`` (its
    row ``j % q``) and ``L`` block ``v = j % l`` reads it (as its column ``j // l``); block
    ``v`` writes the outputs ``o[t*l + v]``. For a square ``n = b^2`` and ``k = l = b`` this
    is :math:`M = P L P^\top R` of Dao et al. (2022), where ``P`` reshapes a vector to
    ``b x b`` and transposes it. The product of two Monarch matrices (``M1 @ M2``) is a
    :class:`~scipy.sparse.linalg.LinearOperator` applying both, not a Monarch matrix.

    References
    ----------
    .. [1] T. Dao, B. Chen, N. Sohoni, A. Desai, M. Poli, J. Grogan, A. Liu, A. Rao,
       A. Rudra, C. Ré, "Monarch: Expressive Structured Matrices for Efficient and
       Accurate Training", ICML 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.structured import MonarchMatrix
    >>> M = MonarchMatrix.random((16, 16), nblocks=4, random_state=0)
    >>> M
    <16x16 MonarchMatrix, nblocks=(4, 4), mid_dim=16, dtype=float64, 128 parameters>
    >>> x = np.ones(16)
    >>> bool(np.allclose(M @ x, M.toarray() @ x))
    True
    """

    def __init__(self, L, R, shape=None):
        L = _as_blocks(L, "L")
        R = _as_blocks(R, "R")
        k, q, p = R.shape
        l, s, r = L.shape
        if k * q != l * r:
            raise ValueError(
                f"the factors' intermediate dimensions differ: R gives k*q = {k}*{q} = "
                f"{k * q} values, L reads l*r = {l}*{r} = {l * r}"
            )
        padded = (l * s, k * p)
        if shape is None:
            shape = padded
        else:
            try:
                shape = tuple(int(x) for x in shape)
            except TypeError as exc:
                raise TypeError(f"shape must be a pair of ints, got {shape!r}") from exc
            if len(shape) != 2 or not (1 <= shape[0] <= padded[0] and 1 <= shape[1] <= padded[1]):
                raise ValueError(
                    f"shape must be (m, n) with 1 <= m <= {padded[0]} and 1 <= n <= "
                    f"{padded[1]} (the factors' padded shape), got {shape}"
                )
        dtype = np.result_type(L.dtype, R.dtype)
        self.L = L.astype(dtype, copy=False)
        self.R = R.astype(dtype, copy=False)
        self._padded = padded
        super().__init__(dtype=dtype, shape=shape)

    # -- description ------------------------------------------------------------------
    @property
    def nblocks(self) -> tuple[int, int]:
        return (self.R.shape[0], self.L.shape[0])

    @property
    def mid_dim(self) -> int:
        return self.R.shape[0] * self.R.shape[1]

    @property
    def n_params(self) -> int:
        return int(self.L.size + self.R.size)

    def __repr__(self):
        m, n = self.shape
        return (f"<{m}x{n} MonarchMatrix, nblocks={self.nblocks}, mid_dim={self.mid_dim}, "
                f"dtype={self.dtype.name}, {self.n_params} parameters>")

    # -- construction ------------------------------------------------------------------
    @classmethod
    def random(cls, shape, nblocks, *, mid_dim=None, dtype=np.float64, pad=False,
               random_state=None) -> MonarchMatrix:
        """A Monarch matrix with independent Gaussian factors.

        Entries of ``R`` have variance ``1/p`` and those of ``L`` variance ``1/r`` (the
        fan-in of each block), so the operator roughly preserves the norm of its input.

        Parameters
        ----------
        shape : tuple of int
            ``(m, n)``.
        nblocks : int or tuple of int
            Number of blocks: one count for both factors, or ``(input blocks, output
            blocks)``.
        mid_dim : int, optional
            Intermediate dimension, a multiple of both block counts; by default
            ``min(m, n)`` rounded up to one.
        dtype : dtype, default=float64
            float32, float64, complex64 or complex128 (complex factors get independent
            real and imaginary parts).
        pad : bool, default=False
            Allow block counts that do not divide the shape (the factors are padded).
        random_state : int, Generator, RandomState or None, default=None
            Seed of the draw.

        Returns
        -------
        M : MonarchMatrix

        Examples
        --------
        >>> from sparseopt.structured import MonarchMatrix
        >>> MonarchMatrix.random((8, 12), nblocks=(3, 2), random_state=0).R.shape
        (3, 4, 4)
        """
        shape = _check_shape(shape)
        (k, q, p, l, s, r), _ = _structure(shape, nblocks, mid_dim, pad)
        rng = _rng(random_state)
        dtype = np.dtype(dtype)
        if dtype.type not in _DTYPES:
            raise TypeError(f"dtype must be float32, float64, complex64 or complex128, "
                            f"got {dtype}")

        def draw(size, fan_in):
            x = rng.standard_normal(size)
            if dtype.kind == "c":
                x = (x + 1j * rng.standard_normal(size)) / np.sqrt(2)
            return (x / np.sqrt(fan_in)).astype(dtype)

        return cls(draw((l, s, r), r), draw((k, q, p), p), shape=shape)

    # -- products ----------------------------------------------------------------------
    def _factors(self, dtype, conj):
        # Not cached: the factors may be updated in place between products (training).
        L, R = self.L.astype(dtype, copy=False), self.R.astype(dtype, copy=False)
        if conj and L.dtype.kind == "c":
            L, R = L.conj(), R.conj()
        return L, R

    def _prepare(self, X, n_in, n_pad):
        X = np.asarray(X)
        if X.dtype.kind not in "fc":
            X = X.astype(np.float64)
        dtype = np.result_type(self.dtype, X.dtype)
        if X.dtype != dtype:
            X = X.astype(dtype)
        if n_in < n_pad:
            Xp = np.zeros((n_pad, X.shape[1]), dtype=dtype)
            Xp[:n_in] = X
            X = Xp
        return X, dtype

    def _forward(self, X, conj=False):
        """``M @ X`` (``conj(M) @ X`` with ``conj``) for X of shape (n, B)."""
        L, R = self._factors(np.result_type(self.dtype, X.dtype), conj)
        k, q, p = R.shape
        l, s, r = L.shape
        X, dtype = self._prepare(X, self.shape[1], k * p)
        B = X.shape[1]
        # (k, p, B) is a view for C- and F-ordered X: each block's rows are a BLAS operand.
        Y = np.matmul(R, X.reshape(k, p, B))  # (k, q, B) = intermediate (d, B)
        out = np.empty((l * s, B), dtype=dtype)
        # L's block v reads rows v, v+l, ... of the intermediate and writes rows v, v+l, ...
        # of the output: both strided views keep unit stride along B, so no copies.
        np.matmul(L, Y.reshape(r, l, B).transpose(1, 0, 2),
                  out=out.reshape(s, l, B).transpose(1, 0, 2))
        return out[: self.shape[0]]

    def _backward(self, X, conj=False):
        """``M.T @ X`` (``M.H @ X`` with ``conj``) for X of shape (m, B)."""
        L, R = self._factors(np.result_type(self.dtype, X.dtype), conj)
        k, q, p = R.shape
        l, s, r = L.shape
        X, dtype = self._prepare(X, self.shape[0], l * s)
        B = X.shape[1]
        Y = np.empty((k * q, B), dtype=dtype)
        np.matmul(L.transpose(0, 2, 1), X.reshape(s, l, B).transpose(1, 0, 2),
                  out=Y.reshape(r, l, B).transpose(1, 0, 2))
        out = np.matmul(R.transpose(0, 2, 1), Y.reshape(k, q, B)).reshape(k * p, B)
        return out[: self.shape[1]]

    def _matmat(self, X):
        return self._forward(X)

    def _matvec(self, x):
        return self._forward(np.asarray(x).reshape(-1, 1))[:, 0]

    def _rmatmat(self, X):
        return self._backward(X, conj=True)

    def _rmatvec(self, x):
        return self._backward(np.asarray(x).reshape(-1, 1), conj=True)[:, 0]

    def _transpose(self):
        return _MonarchView(self, transpose=True, conj=False)

    def _adjoint(self):
        return _MonarchView(self, transpose=True, conj=True)

    # -- dense form, saving ------------------------------------------------------------
    def toarray(self) -> np.ndarray:
        """The dense matrix, of shape ``(m, n)``.

        Returns
        -------
        M : ndarray of shape (m, n)

        Examples
        --------
        >>> from sparseopt.structured import MonarchMatrix
        >>> MonarchMatrix.random((6, 4), nblocks=2, random_state=0).toarray().shape
        (6, 4)
        """
        m, n = self.shape
        if n <= m:
            return self._forward(np.eye(n, dtype=self.dtype))
        return np.ascontiguousarray(self._backward(np.eye(m, dtype=self.dtype)).T)

    def todense(self) -> np.ndarray:
        """The dense matrix (an ndarray, like :meth:`toarray`).

        Returns
        -------
        M : ndarray of shape (m, n)
        """
        return self.toarray()

    def save(self, file) -> None:
        """Write the factors and the shape to an ``.npz`` file (no pickle).

        Parameters
        ----------
        file : str, path or file object
            Where to write (numpy adds ``.npz`` to a name without it).

        See Also
        --------
        load : Read it back.
        """
        np.savez(file, L=self.L, R=self.R, shape=np.asarray(self.shape, dtype=np.int64),
                 format_version=np.int64(_FORMAT_VERSION))

    @classmethod
    def load(cls, file) -> MonarchMatrix:
        """Read a Monarch matrix written by :meth:`save`.

        Parameters
        ----------
        file : str, path or file object

        Returns
        -------
        M : MonarchMatrix

        Examples
        --------
        >>> import io
        >>> from sparseopt.structured import MonarchMatrix
        >>> M = MonarchMatrix.random((8, 8), nblocks=2, random_state=0)
        >>> buf = io.BytesIO(); M.save(buf); _ = buf.seek(0)
        >>> bool((MonarchMatrix.load(buf).toarray() == M.toarray()).all())
        True
        """
        if isinstance(file, (str, os.PathLike)) and not os.fspath(file).endswith(".npz") \
                and not os.path.exists(file):
            file = os.fspath(file) + ".npz"
        with np.load(file, allow_pickle=False) as data:
            missing = {"L", "R", "shape"} - set(data.files)
            if missing:
                raise ValueError(f"file is not a saved MonarchMatrix (missing "
                                 f"{', '.join(sorted(missing))})")
            version = int(data["format_version"]) if "format_version" in data.files else 1
            if version > _FORMAT_VERSION:
                raise ValueError(f"file was written by a newer sparseopt (format "
                                 f"{version} > {_FORMAT_VERSION})")
            return cls(data["L"], data["R"], shape=tuple(int(x) for x in data["shape"]))


class _MonarchView(LinearOperator):
    """``M.T`` or ``M.H`` of a :class:`MonarchMatrix`, applied without forming anything."""

    def __init__(self, parent, transpose, conj):
        self.parent, self.transpose_, self.conj_ = parent, transpose, conj
        m, n = parent.shape
        super().__init__(dtype=parent.dtype, shape=(n, m) if transpose else (m, n))

    def _apply(self, X, transpose, conj):
        if transpose:
            return self.parent._backward(X, conj=conj)
        return self.parent._forward(X, conj=conj)

    def _matmat(self, X):
        return self._apply(X, self.transpose_, self.conj_)

    def _matvec(self, x):
        return self._matmat(np.asarray(x).reshape(-1, 1))[:, 0]

    def _rmatmat(self, X):  # (op)^H = the view with both flags flipped
        return self._apply(X, not self.transpose_, not self.conj_)

    def _rmatvec(self, x):
        return self._rmatmat(np.asarray(x).reshape(-1, 1))[:, 0]

    def _view(self, transpose, conj):
        if not transpose and not conj:
            return self.parent
        return _MonarchView(self.parent, transpose, conj)

    def _transpose(self):
        return self._view(not self.transpose_, self.conj_)

    def _adjoint(self):
        return self._view(not self.transpose_, not self.conj_)


def _check_shape(shape):
    try:
        m, n = (int(x) for x in shape)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"shape must be a pair of ints, got {shape!r}") from exc
    if m < 1 or n < 1:
        raise ValueError(f"shape must be positive, got {shape!r}")
    return m, n


def _rng(random_state):
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**31))
    return np.random.default_rng(random_state)


# --------------------------------------------------------------------------------------
# projection
# --------------------------------------------------------------------------------------
def monarch_project(
    W,
    nblocks,
    *,
    mid_dim: int | None = None,
    pad: bool = False,
    return_error: bool = False,
):
    r"""The Monarch matrix closest to ``W`` in Frobenius norm.

    The problem is nonconvex in the factors, yet its global minimum has a closed form:
    after the fixed permutations, each ``s x p`` slice of ``W`` at a block pair is
    approximated by its own truncated SVD (Dao et al., 2022, Theorem 1, generalized to any
    block counts and rectangular shapes).

    Parameters
    ----------
    W : array-like of shape (m, n)
        The dense matrix: real or complex (float32/complex64 kept, integers converted to
        float64).
    nblocks : int or tuple of int
        Blocks of the two factors: one count for both, or ``(input blocks k, output
        blocks l)``. ``k`` must divide ``n`` and ``l`` must divide ``m`` unless ``pad``.
    mid_dim : int, optional
        Intermediate dimension ``d`` (a multiple of ``k`` and ``l``). The default,
        ``min(m, n)`` rounded up to such a multiple, is the layout of fly's
        ``MonarchLinear``; for ``n = b^2`` and ``nblocks=b`` it is the paper's ``n``.
    pad : bool, default=False
        Accept block counts that do not divide the shape: ``W`` is padded with zero rows
        and columns, and the returned operator is cut back to ``(m, n)``. The result is
        still the optimum over all truncated Monarch matrices of that structure.
    return_error : bool, default=False
        Also return the squared Frobenius error :math:`\|W - M\|_F^2`.

    Returns
    -------
    M : MonarchMatrix
        The projection, of shape ``(m, n)``, with factors balanced (each singular value
        split as :math:`\sqrt{\sigma}` between ``L`` and ``R``).
    error : float
        Only with ``return_error``: the sum of the discarded squared singular values,
        which equals :math:`\|W - M\|_F^2`.

    Raises
    ------
    TypeError
        If ``W`` is sparse or not numeric, or ``nblocks`` is not an int or a pair.
    ValueError
        If ``W`` is not 2-D, is empty or holds NaN/inf, or the block counts do not divide
        the shape (without ``pad``), or ``mid_dim`` is not a common multiple.

    See Also
    --------
    MonarchMatrix : The result's type.
    MonarchApproximation : The projection as a scikit-learn transformer.

    Notes
    -----
    Write the padded ``W`` as the 4-tensor ``W[t, v, i, c] = W[t*l + v, i*p + c]``. The
    Monarch entry at the same place is :math:`\sum_{j \in J(v,i)} L_{v,t,j//l}\,
    R_{i,j\%q,c}`, where the sets :math:`J(v,i) = \{j : j \% l = v,\ j // q = i\}`
    partition the intermediate indices and own disjoint parameters. The objective thus
    separates into ``l*k`` problems "best rank-:math:`|J(v,i)|` approximation of the slice
    ``W[:, v, i, :]``", solved by Eckart--Young. One batched SVD (LAPACK ``gesdd`` through
    numpy) costs :math:`O(m\,n\,\min(s, p))`. The factorization is unique only up to
    rotations within each slice.

    References
    ----------
    .. [1] T. Dao et al., "Monarch: Expressive Structured Matrices for Efficient and
       Accurate Training", ICML 2022, Theorem 1 and Algorithm 1.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.structured import MonarchMatrix, monarch_project
    >>> A = MonarchMatrix.random((16, 16), nblocks=4, random_state=0).toarray()
    >>> M, err = monarch_project(A, 4, return_error=True)
    >>> bool(np.allclose(M.toarray(), A)), err < 1e-20
    (True, True)
    >>> W = np.random.default_rng(0).standard_normal((12, 30))
    >>> M, err = monarch_project(W, nblocks=3, return_error=True)
    >>> bool(np.isclose(np.linalg.norm(W - M.toarray()) ** 2, err))
    True
    """
    if isinstance(W, LinearOperator) and not isinstance(W, np.ndarray):
        raise TypeError("W must be a dense array; call W.toarray() on an operator first")
    if sp.issparse(W):
        raise TypeError("W must be a dense array, got a sparse matrix; pass W.toarray()")
    try:
        W = np.asarray(W)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"W must be array-like of numbers: {exc}") from exc
    if W.dtype.kind in "biu" or W.dtype == object:
        try:
            W = W.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError("W must hold numbers") from exc
    elif W.dtype == np.float16:
        W = W.astype(np.float32)
    if W.dtype.type not in _DTYPES:
        raise TypeError(f"W must be a real or complex float array, got dtype {W.dtype}")
    if W.ndim != 2:
        raise ValueError(f"W must be 2-dimensional, got {W.ndim} dimension(s) with shape "
                         f"{W.shape}")
    if W.size == 0:
        raise ValueError(f"W must be non-empty, got shape {W.shape}")
    if not np.isfinite(W).all():
        raise ValueError("W must not contain NaN or infinity")
    m, n = W.shape
    (k, q, p, l, s, r), (m_pad, n_pad) = _structure((m, n), nblocks, mid_dim, pad)
    if (m_pad, n_pad) != (m, n):
        Wp = np.zeros((m_pad, n_pad), dtype=W.dtype)
        Wp[:m, :n] = W
        W = Wp

    # slices[v, i] = W[t*l + v, i*p + c] over (t, c): the s x p slice of block pair (v, i)
    slices = W.reshape(s, l, k, p).transpose(1, 2, 0, 3)
    U, sig, Vh = np.linalg.svd(slices, full_matrices=False)  # (l,k,s,c), (l,k,c), (l,k,c,p)
    c = sig.shape[-1]
    v, i, u, w, slot, rank = _slot_map(k, q, l, r)

    L = np.zeros((l, s, r), dtype=W.dtype)
    R = np.zeros((k, q, p), dtype=W.dtype)
    keep = slot < c  # a pair's rank can exceed min(s, p): its extra terms stay zero
    vk, ik, sk = v[keep], i[keep], slot[keep]
    root = np.sqrt(sig[vk, ik, sk]).astype(W.dtype)
    L[vk, :, u[keep]] = U[vk, ik, :, sk] * root[:, None]
    R[ik, w[keep], :] = Vh[vk, ik, sk, :] * root[:, None]
    M = MonarchMatrix(L, R, shape=(m, n))
    if not return_error:
        return M
    discarded = np.arange(c)[None, None, :] >= rank[:, :, None]
    error = float(np.sum(np.where(discarded, sig.astype(np.float64) ** 2, 0.0)))
    return M, error
