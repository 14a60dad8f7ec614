"""Front end of the sparse x sparse product: validation, work partition, the two phases."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..utils._parallel import effective_n_threads
from ..utils.validation import check_sparse

__all__ = ["spgemm"]

_INT32_MAX = np.iinfo(np.int32).max
_ALGORITHMS = ("auto", "hash", "dense", "one-pass")


def _pow2_at_least(x: int) -> int:
    return max(8, 1 << max(int(x) - 1, 0).bit_length())


def _as_csr(M, name, dtype, index_dtype):
    if not sp.issparse(M):
        raise TypeError(f"{name} must be a scipy sparse matrix or array, got "
                        f"{type(M).__name__}")
    if M.dtype.kind not in "biufc":
        raise TypeError(f"{name} must have a numeric or boolean dtype, got {M.dtype}")
    M = check_sparse(M, name, formats=("csr",), dtype=dtype)
    if M.indptr.dtype != index_dtype:
        M = sp.csr_array((M.data, M.indices.astype(index_dtype),
                          M.indptr.astype(index_dtype)), shape=M.shape)
    return M


def _chunks(flops, n_threads):
    """Row boundaries of about 4 chunks per thread holding equal multiply counts."""
    n_rows = flops.shape[0] - 1
    n_chunks = max(1, min(n_rows, 4 * n_threads))
    targets = np.linspace(0, flops[-1], n_chunks + 1)
    bounds = np.searchsorted(flops, targets, side="left")
    bounds[0], bounds[-1] = 0, n_rows
    return np.unique(bounds).astype(np.int64)


def spgemm(A, B, *, mask=None, threads: int | None = None, sort_indices: bool = False,
           keep_zeros: bool = False, algorithm: str = "auto"):
    r"""Sparse times sparse, multi-threaded: ``C = A @ B`` in CSR.

    A row-wise (Gustavson) product: row :math:`i` of C accumulates
    :math:`a_{ik} B_{k,:}` over the entries of row :math:`i` of A, merged as they are
    generated into a thread-private accumulator, in two passes (a symbolic pass counts each
    row's entries so that C is allocated exactly, a numeric pass fills it). Rows are split
    between threads in chunks of equal multiply count (not equal rows), and the GIL is
    released throughout.

    Parameters
    ----------
    A : scipy sparse matrix or array of shape (m, k)
        Left factor (CSR used as is; CSC and other formats are converted).
    B : scipy sparse matrix or array of shape (k, n)
        Right factor.
    mask : scipy sparse matrix or array of shape (m, n), optional
        Compute only the entries of ``A @ B`` where ``mask`` stores an entry (its
        structure; values are ignored): GraphBLAS's masked product ``C<M> = A B``, e.g. for
        counting triangles as ``spgemm(L, L, mask=L).sum()`` with ``L`` the strictly lower
        triangle of an adjacency matrix. Products outside the mask are never formed.
    threads : int, optional
        Threads to use; see :func:`sparseopt.utils.effective_n_threads`.
    sort_indices : bool, default=False
        Sort the column indices of each row. Like scipy's, the default output is unsorted
        (sorting costs about as much as the product on sparse rows).
    keep_zeros : bool, default=False
        Keep entries whose sum is exactly zero (structural nonzeros, as GraphBLAS and MKL
        do). By default they are dropped, as scipy does.
    algorithm : {"auto", "hash", "dense", "one-pass"}, default="auto"
        Accumulator. ``"hash"``: a hash table of the next power of two at or above twice
        the row's bound (its multiply count in the symbolic pass, its entry count in the
        numeric one; multiplicative hash, linear probing). ``"dense"``: an array of ``n``
        values with a generation mark. ``"auto"`` uses the dense array whenever one per thread
        fits in 32 MiB (``n`` up to about 2 million in float64; it was the faster choice on
        every benchmark matrix up to ``n`` = 1 million on the development machine), and
        otherwise hashes each row unless its table would reach ``n / 8`` slots.
        ``"auto"``, ``"hash"`` and ``"dense"`` run two passes (symbolic, then numeric).
        ``"one-pass"`` skips the symbolic pass: with ``auto``'s accumulators it fills
        each row of C at an upper bound of its length (its multiply count, in int64) and
        closes the gaps in place afterwards, so C is allocated once at ``flops`` entries
        instead of ``nnz(C)``: less work when ``flops / nnz(C)`` is small, more memory
        (the bound) while it runs.

    Returns
    -------
    C : scipy.sparse.csr_array of shape (m, n)
        The product (a ``csr_matrix`` if both inputs are ``spmatrix``), with int32 indices
        when ``m``, ``n`` and ``nnz(C)`` allow it and int64 otherwise (scipy's rule). Its
        dtype: complex128 if an input is complex; float32 if both are float32 (or one is
        boolean); bool if both are boolean (the pattern product: an entry wherever some
        ``a_ik b_kj`` pair exists); float64 otherwise (integers included).

    Raises
    ------
    TypeError
        If an input is not sparse or has a non-numeric dtype.
    ValueError
        If the shapes do not match, an input's structure is malformed, holds NaN/inf, or
        ``algorithm`` is unknown.
    MemoryError
        If C cannot be allocated (the message gives its size).

    See Also
    --------
    scipy.sparse.csr_array.__matmul__ : scipy's single-threaded product (SMMP).

    References
    ----------
    .. [1] F. G. Gustavson, "Two fast algorithms for sparse matrices: multiplication and
       permuted transposition", ACM TOMS 4(3), 1978.
    .. [2] Y. Nagasaka, S. Matsuoka, A. Azad, A. Buluç, "High-performance sparse
       matrix-matrix products on Intel KNL and multicore architectures", ICPP 2018.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from sparseopt.sparse import spgemm
    >>> A = sp.random_array((1000, 800), density=0.01, format="csr", rng=0)
    >>> B = sp.random_array((800, 600), density=0.01, format="csr", rng=1)
    >>> C = spgemm(A, B, sort_indices=True)
    >>> bool(abs(C - A @ B).max() < 1e-12)
    True
    """
    if algorithm not in _ALGORITHMS:
        raise ValueError(f"algorithm must be one of {_ALGORITHMS}, got {algorithm!r}")
    for name, M in (("A", A), ("B", B)):
        if not sp.issparse(M):
            raise TypeError(f"{name} must be a scipy sparse matrix or array, got "
                            f"{type(M).__name__}")
    if A.shape[1] != B.shape[0]:
        raise ValueError(f"shapes do not match for A @ B: A is {A.shape}, B is {B.shape}")
    matrices = isinstance(A, sp.spmatrix) and isinstance(B, sp.spmatrix)
    kinds = (A.dtype, B.dtype)
    pattern = all(d == np.bool_ for d in kinds)  # boolean product: the structure of A B
    if pattern:
        dtype, keep_zeros = np.float32, True  # sums of ones: no cancellation
    elif any(d.kind == "c" for d in kinds):
        dtype = np.complex128
    elif all(d in (np.float32, np.bool_) for d in kinds):
        dtype = np.float32
    else:
        dtype = np.float64
    wide = any(getattr(M, "indptr", np.zeros(0, np.int32)).dtype == np.int64 for M in (A, B))
    index_dtype = np.dtype(np.int64 if wide or max(A.shape + B.shape) > _INT32_MAX
                           else np.int32)
    if mask is not None:
        if not sp.issparse(mask):
            raise TypeError(f"mask must be a scipy sparse matrix or array, got "
                            f"{type(mask).__name__}")
        if mask.shape != (A.shape[0], B.shape[1]):
            raise ValueError(f"mask must have the shape of A @ B, {(A.shape[0], B.shape[1])},"
                             f" got {mask.shape}")
    same = A is B  # A @ A: validate and convert once
    A = _as_csr(A, "A", dtype, index_dtype)
    B = A if same else _as_csr(B, "B", dtype, index_dtype)
    from . import _spgemm

    m, n = A.shape[0], B.shape[1]
    if mask is not None:
        M = check_sparse(mask, "mask", formats=("csr",), dtype=None, allow_nonfinite=True)
        m_ptr = M.indptr.astype(index_dtype, copy=False)
        m_ind = M.indices.astype(index_dtype, copy=False)
    else:
        m_ptr = np.zeros(1, dtype=index_dtype)
        m_ind = np.zeros(0, dtype=index_dtype)
    nt = effective_n_threads(threads)
    # auto: dense accumulators while a thread's array (values + marks) stays within 32 MiB
    # (measured faster than hashing on every benchmark matrix up to n = 1M); beyond that,
    # per row, only where the hash table would reach n / 8 slots.
    small = n * (np.dtype(dtype).itemsize + 8) <= 32 * 2**20
    dense_from = {"auto": 0 if small else max(16, n // 8),
                  "one-pass": 0 if small else max(16, n // 8),
                  "hash": np.iinfo(np.int64).max, "dense": 0}[algorithm]
    one_pass = algorithm == "one-pass"
    if nt > 1 or one_pass or dense_from > 0:
        # the prefix sums of the per-row multiply counts: they balance the threads' work,
        # size the hash tables by the largest row, and bound the rows of the one-pass
        # product. None of these is needed by one thread with dense accumulators only.
        flops = np.empty(m + 1, dtype=np.int64)
        _spgemm.row_flops(A.indptr, A.indices, B.indptr, flops)
        chunks = _chunks(flops, nt)
        # no per-row array is kept: the bookkeeping of a product is part of its peak memory
        max_flops = int(np.diff(flops).max()) if m else 0
    else:
        flops, chunks, max_flops = None, np.array([0, m], dtype=np.int64), 0
    status = np.zeros(1, dtype=np.intc)

    def tables(bound):  # hash table size for the largest hashed row; any dense row?
        biggest = _pow2_at_least(2 * bound) if m else 8
        return min(biggest, max(8, dense_from)), bool(biggest >= dense_from and n > 0)

    if one_pass:  # each row of C gets room for its multiply count
        c_ptr, max_count = flops, max_flops
        written = np.empty(m, dtype=np.int64)
    else:
        table_max, need_dense = tables(max_flops)
        counts = np.empty(m, dtype=np.int64)
        _spgemm.symbolic(A.indptr, A.indices, B.indptr, B.indices, n, chunks,
                         dense_from, table_max, need_dense, counts, status, nt, m_ptr, m_ind,
                         mask is not None)
        if status[0]:
            raise MemoryError("spgemm could not allocate its per-thread accumulators")
        c_ptr = np.zeros(m + 1, dtype=np.int64)
        np.cumsum(counts, out=c_ptr[1:])
        max_count = int(counts.max()) if m else 0
        del flops
        written = counts  # the numeric pass reads c_ptr only: reuse the array
    nnz = int(c_ptr[-1])
    out_index = np.dtype(np.int64 if index_dtype == np.int64 or nnz > _INT32_MAX
                         else np.int32)
    if out_index != index_dtype:  # nnz(C) needs int64 indices: widen the inputs
        A = _as_csr(A, "A", dtype, out_index)
        B = A if same else _as_csr(B, "B", dtype, out_index)
    try:
        c_ind = np.empty(nnz, dtype=out_index)
        c_val = np.empty(nnz, dtype=dtype)
    except MemoryError:
        size = nnz * (out_index.itemsize + np.dtype(dtype).itemsize) / 2**30
        what = "room for an upper bound of" if one_pass else "A @ B has"
        raise MemoryError(f"{what} {nnz} entries: {size:.1f} GiB would be needed for "
                          "its indices and values") from None
    table_max, need_dense = tables(max_count)
    _spgemm.numeric(A.indptr, A.indices, A.data, B.indptr, B.indices, B.data, n, c_ptr,
                    chunks, dense_from, table_max, need_dense, c_ind, c_val, written,
                    keep_zeros, sort_indices, status, nt, m_ptr.astype(out_index, copy=False),
                    m_ind.astype(out_index, copy=False), mask is not None)
    if status[0]:
        raise MemoryError("spgemm could not allocate its per-thread accumulators")
    if one_pass or written.sum() < nnz:  # rows shorter than their room: close the gaps
        out_ptr = np.empty(m + 1, dtype=np.int64)
        _spgemm.compact_rows(c_ptr, written, c_ind, c_val, out_ptr)
        total = int(out_ptr[-1])
        c_ind.resize(total, refcheck=False)  # shrink in place (no copy of the kept part)
        c_val.resize(total, refcheck=False)
        c_ptr = out_ptr
    del written
    cls = sp.csr_matrix if matrices else sp.csr_array
    if pattern:
        c_val = np.ones(c_val.shape[0], dtype=np.bool_)
    indptr = c_ptr.astype(out_index, copy=False)
    del c_ptr
    C = cls((c_val, c_ind, indptr), shape=(m, n))
    C.has_sorted_indices = bool(sort_indices)
    return C
