"""Front end of the CSR x dense kernel: validation, dtype matching, dispatch."""

from __future__ import annotations

from numbers import Real

import numpy as np

from ..utils._parallel import effective_n_threads
from ..utils.validation import check_array, check_scalar, check_sparse

__all__ = ["csr_matmat_dense"]


def csr_matmat_dense(
    A,
    X,
    *,
    alpha: float = 1.0,
    beta: float = 0.0,
    out: np.ndarray | None = None,
    n_threads: int | None = None,
    check_finite: bool = True,
) -> np.ndarray:
    r"""Multiply a sparse matrix by a dense block with a multi-threaded kernel.

    Computes :math:`Y = \alpha A X + \beta Y` for a sparse :math:`A` of shape
    ``(m, k)`` and a dense :math:`X` of shape ``(k, n)`` (or ``(k,)``), in one fused pass
    over the rows of :math:`A`. Rows are split between threads in blocks of equal nonzero
    count, and each output row is written by one thread only, so the result does not
    depend on the thread count.

    Parameters
    ----------
    A : scipy.sparse matrix or array of shape (m, k)
        The sparse factor. CSR is used as it is (with int32 or int64 indices); other
        formats are converted to CSR first. Duplicate entries are summed, and the
        indices of a row need not be sorted.
    X : array-like of shape (k, n) or (k,)
        The dense factor, C- or F-ordered.
    alpha : float, default=1.0
        Scale of the product.
    beta : float, default=0.0
        Scale of the existing contents of ``out``; nonzero only with ``out``.
    out : ndarray of shape (m, n) or (m,), optional
        Where to write the result (in place). It must have the result's dtype, be
        writable, and not overlap ``X``. When ``beta`` is 0 its contents are ignored.
    n_threads : int, optional
        Threads to use; see :func:`sparseopt.utils.effective_n_threads`.
    check_finite : bool, default=True
        Reject NaN and infinity in ``A`` and ``X``. Disabling it saves one pass over the
        inputs; non-finite inputs then propagate into the result.

    Returns
    -------
    Y : ndarray of shape (m, n) or (m,)
        The product, of dtype float32 when both ``A`` and ``X`` are float32 and float64
        otherwise; C-ordered unless ``out`` is given (then ``out`` itself).

    Raises
    ------
    TypeError
        If ``A`` is not sparse, or ``X`` or ``out`` has an unsuitable type or dtype.
    ValueError
        If shapes do not match, ``A``'s structure is malformed (indices out of bounds,
        a decreasing ``indptr``), inputs hold NaN/inf, or ``beta`` is nonzero without
        ``out``.

    See Also
    --------
    scipy.sparse.csr_array.__matmul__ : scipy's single-threaded product.

    Notes
    -----
    Row :math:`i` of the result is :math:`\alpha \sum_{j} a_{ij} X_{j,:}`, gathered from
    the rows of :math:`X` named by row :math:`i` of :math:`A` and accumulated in a
    cache-resident buffer (in panels of 64 columns), with the next rows of :math:`X`
    prefetched. The cost is :math:`O(\mathrm{nnz}(A)\, n)` and the kernel is usually
    bound by memory bandwidth, so a C-ordered :math:`X` (one contiguous row per gather)
    is fastest; an F-ordered ``X`` is copied to C order first.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from sparseopt.sparse import csr_matmat_dense
    >>> A = sp.csr_array(np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]]))
    >>> csr_matmat_dense(A, np.ones((3, 2)))
    array([[3., 3.],
           [3., 3.]])
    """
    from ._csrmm import _csrmm

    check_scalar(alpha, "alpha", Real)
    check_scalar(beta, "beta", Real)
    A = check_sparse(A, "A", formats=("csr",), allow_nonfinite=not check_finite)
    X = check_array(X, "X", ndim=(1, 2), allow_nonfinite=not check_finite)
    m, k = A.shape
    if X.shape[0] != k:
        raise ValueError(
            f"X must have {k} rows to match A of shape {A.shape}, got X of shape {X.shape}"
        )
    vector = X.ndim == 1
    X2 = X[:, None] if vector else X
    dtype = np.result_type(A.data.dtype, X2.dtype)
    data = A.data if A.data.dtype == dtype else A.data.astype(dtype)
    # Gathering rows of X is the kernel's hot path: give it contiguous rows.
    if X2.dtype != dtype or (X2.shape[1] > 1 and X2.strides[1] != X2.itemsize) or (
        any(s % X2.itemsize for s in X2.strides)
    ):
        X2 = np.ascontiguousarray(X2, dtype=dtype)
    n = X2.shape[1]
    if out is None:
        if beta != 0:
            raise ValueError(f"beta must be 0 when out is not given, got {beta}")
        Y = np.empty((m, n), dtype=dtype)
        result = Y[:, 0] if vector else Y
    else:
        Y = _check_out(out, (m,) if vector else (m, n), dtype, X)
        Y = Y[:, None] if vector else Y
        result = out
    _csrmm(A.indptr, A.indices, data, X2, Y, dtype.type(alpha), dtype.type(beta),
           effective_n_threads(n_threads))
    return result


def _check_out(out, shape, dtype, X):
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy array, got {type(out).__name__}")
    if out.shape != shape:
        raise ValueError(f"out must have shape {shape}, got {out.shape}")
    if out.dtype != dtype:
        raise TypeError(f"out must have dtype {dtype} (the result's), got {out.dtype}")
    if not out.flags.writeable:
        raise ValueError("out must be writable")
    if any(s % out.itemsize for s in out.strides):
        raise ValueError("out must have strides that are multiples of its item size")
    if np.may_share_memory(out, X):
        raise ValueError("out must not overlap X")
    return out
