"""Random problem generators."""

from __future__ import annotations

from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state

from ..utils.validation import check_scalar


def make_random_csr(
    n_rows: int,
    n_cols: int,
    nnz_per_row: int,
    *,
    dtype=np.float64,
    index_dtype=np.int32,
    random_state=None,
) -> sp.csr_array:
    """Random sparse matrix with (about) the same number of nonzeros in every row.

    Column indices are uniform; values are standard normal. Each row has
    ``nnz_per_row`` draws of a column; the rare repeated draws are merged, so a row may
    hold slightly fewer entries. Indices are sorted and unique.

    Parameters
    ----------
    n_rows, n_cols : int
        Shape of the matrix.
    nnz_per_row : int
        Column draws per row (at most ``n_cols``).
    dtype : {numpy.float64, numpy.float32}, default=numpy.float64
        Value dtype.
    index_dtype : {numpy.int32, numpy.int64}, default=numpy.int32
        Dtype of ``indices`` and ``indptr``.
    random_state : int, RandomState instance or None, default=None
        Seed, as in scikit-learn.

    Returns
    -------
    A : scipy.sparse.csr_array of shape (n_rows, n_cols)
        The matrix, in canonical format.

    Examples
    --------
    >>> from sparseopt.datasets import make_random_csr
    >>> A = make_random_csr(1000, 500, 5, random_state=0)
    >>> A.shape, A.nnz <= 5000
    ((1000, 500), True)
    """
    check_scalar(n_rows, "n_rows", Integral, min_val=0)
    check_scalar(n_cols, "n_cols", Integral, min_val=0)
    check_scalar(nnz_per_row, "nnz_per_row", Integral, min_val=0, max_val=n_cols)
    dtype, index_dtype = np.dtype(dtype), np.dtype(index_dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")
    if index_dtype not in (np.int32, np.int64):
        raise TypeError(f"index_dtype must be int32 or int64, got {index_dtype}")
    rng = check_random_state(random_state)
    k = nnz_per_row if n_cols else 0
    cols = np.sort(rng.randint(0, max(n_cols, 1), size=(n_rows, k)), axis=1)
    keep = np.ones(cols.shape, dtype=bool)
    keep[:, 1:] = cols[:, 1:] != cols[:, :-1]
    counts = keep.sum(axis=1)
    indptr = np.zeros(n_rows + 1, dtype=index_dtype)
    np.cumsum(counts, out=indptr[1:])
    indices = cols[keep].astype(index_dtype)
    data = rng.standard_normal(indices.shape[0]).astype(dtype)
    A = sp.csr_array((n_rows, n_cols), dtype=dtype)
    A.data, A.indices, A.indptr = data, indices, indptr
    return A
