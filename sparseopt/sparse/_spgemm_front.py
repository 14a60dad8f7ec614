"""Front end of the sparse x sparse product: validation, work partition, the two phases."""

from __future__ import annotations

import os

import numpy as np
import scipy.sparse as sp

from ..utils._parallel import effective_n_threads
from ..utils.validation import check_sparse

__all__ = ["spgemm"]

_INT32_MAX = np.iinfo(np.int32).max
# Below about a million multiplies (1-3 ms on one core) a second thread does not pay
# for its team's start and its accumulator: measured on luxembourg_osm (0.52M) and
# ca-GrQc (0.49M), two threads took 1.2-1.9 x the one-thread time; on delaunay_n16
# (2.5M) they were faster.
_PARALLEL_MIN_FLOPS = 1 << 20
_ALGORITHMS = ("auto", "one-pass", "two-pass", "hash", "dense")


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


def _chunks(flops, n_threads, per_thread=4):
    """Row boundaries of about `per_thread` chunks per thread of equal multiply counts."""
    n_rows = flops.shape[0] - 1
    n_chunks = max(1, min(n_rows, per_thread * n_threads))
    targets = np.linspace(0, flops[-1], n_chunks + 1)
    bounds = np.searchsorted(flops, targets, side="left")
    bounds[0], bounds[-1] = 0, n_rows
    return np.unique(bounds).astype(np.int64)


def _physical_memory() -> int:
    """Bytes of physical memory (16 GiB where the platform does not say)."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return 16 * 2**30


def _available_memory() -> int:
    """Bytes the system could give now without swapping (Linux's MemAvailable), else
    the physical memory. Larger outputs raise MemoryError instead of being killed."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return _physical_memory()


def _two_pass(A, B, mask, chunks, heavy, dense_from, keep_zeros, sort_indices, nt, dtype):
    """Count, allocate C exactly, fill; raises SpgemmOverflow past int32 indices."""
    from . import _spgemm

    counts = _spgemm.count(A, B, mask, chunks, heavy, dense_from, nt)
    start = np.zeros(counts.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=start[1:])
    nnz = int(start[-1])
    index_dtype = A.indptr.dtype
    if nnz > np.iinfo(index_dtype).max:
        raise _spgemm.SpgemmOverflow()
    size = nnz * (index_dtype.itemsize + np.dtype(dtype).itemsize)
    if size > _available_memory():
        raise MemoryError(f"A @ B has {nnz} entries: {size / 2**30:.1f} GiB would be needed "
                          "for its indices and values, more than the memory available")
    try:
        c_ind = np.empty(nnz, dtype=index_dtype)
        c_val = np.empty(nnz, dtype=dtype)
    except MemoryError:
        size = nnz * (index_dtype.itemsize + np.dtype(dtype).itemsize) / 2**30
        raise MemoryError(f"A @ B has {nnz} entries: {size:.1f} GiB would be needed for "
                          "its indices and values") from None
    c_ptr = np.empty(A.shape[0] + 1, dtype=index_dtype)
    end = _spgemm.fill(A, B, mask, chunks, heavy, start, dense_from, keep_zeros, sort_indices,
                       nt, c_ptr, c_ind, c_val)
    if (end != start[1:]).any():  # exact zeros were dropped: close the gaps
        nnz = _spgemm.compact(chunks, start, end, c_ptr, c_ind, c_val)
        c_ind.resize(nnz, refcheck=False)  # shrink in place (no copy of the kept part)
        c_val.resize(nnz, refcheck=False)
    return c_ptr, c_ind, c_val


def spgemm(A, B, *, mask=None, threads: int | None = None, sort_indices: bool = False,
           keep_zeros: bool = False, algorithm: str = "auto"):
    r"""Sparse times sparse, multi-threaded: ``C = A @ B`` in CSR.

    A row-wise (Gustavson) product: row :math:`i` of C accumulates
    :math:`a_{ik} B_{k,:}` over the entries of row :math:`i` of A, merged as they are
    generated into a thread-private accumulator, and written out in one pass into room
    reserved for an upper bound of its size (see ``algorithm``). Rows are split between
    threads in chunks of equal multiply count (not equal rows); a row with more
    multiplies than a thread's share is multiplied by all the threads together (each
    into its own accumulator, merged afterwards). The GIL is released throughout.

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
        The most threads to use; see :func:`sparseopt.utils.effective_n_threads`. A
        product of fewer than about a million multiplies runs on one thread, where a
        second one was measured not to pay for itself.
    sort_indices : bool, default=False
        Sort the column indices of each row. Like scipy's, the default output is unsorted
        (sorting costs about as much as the product on sparse rows).
    keep_zeros : bool, default=False
        Keep entries whose sum is exactly zero (structural nonzeros, as GraphBLAS and MKL
        do). By default they are dropped, as scipy does.
    algorithm : {"auto", "one-pass", "two-pass", "hash", "dense"}, default="auto"
        How C is built. ``"one-pass"`` (what ``"auto"`` does): each chunk of rows is
        written straight into a buffer that reserves an upper bound of its entries (the
        chunk's multiply count; on one thread, ``nnz(A)`` times the longest row of B), at
        most a quarter of physical memory, doubled if ever outgrown. Room that is not
        written is never touched, so it costs address space, not memory; the buffers are
        shrunk (one thread) or gathered into C and freed one by one (several threads).
        ``"two-pass"``: a symbolic pass counts the entries of every chunk, C is allocated
        exactly, and a numeric pass fills it, so the product is formed twice, but no
        buffer ever exceeds C. Both use ``"auto"`` accumulators: a dense array of ``n``
        values tagged by row whenever one per thread fits in 32 MiB (``n`` up to about
        2 million in float64; it was the faster choice on every benchmark matrix up to
        ``n`` = 1 million on the development machine), and otherwise a hash table per row
        (the next power of two at or above twice the row's multiply count; multiplicative
        hash, linear probing) unless that table would reach ``n / 8`` slots.
        ``"hash"`` and ``"dense"`` force one accumulator (one pass).

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
        If C cannot be allocated (the message gives its size, or the size of the room
        that was refused).

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
    M = None
    if mask is not None:
        M = check_sparse(mask, "mask", formats=("csr",), dtype=None, allow_nonfinite=True)
    nt = effective_n_threads(threads)
    # accumulators: dense while a thread's array (values + tags) stays within 32 MiB
    # (measured faster than hashing on every benchmark matrix up to n = 1M); beyond that,
    # per row, only where the hash table would reach n / 8 slots.
    small = n * (np.dtype(dtype).itemsize + 8) <= 32 * 2**20
    dense_from = {"hash": np.iinfo(np.int64).max, "dense": 0}.get(
        algorithm, 0 if small else max(16, n // 8))
    one_pass = algorithm in ("one-pass", "hash", "dense")
    bound = heavy = None
    if nt > 1 and m > 1:
        # chunks of equal multiply count (prefix sums of the per-row flops), about 4 per
        # thread, scheduled dynamically; a chunk's flops bound its entries
        flops = np.empty(m + 1, dtype=np.int64)
        _spgemm.row_flops(A.indptr, A.indices, B.indptr, flops, nt)
        if flops[-1] < _PARALLEL_MIN_FLOPS:
            nt = 1
    # one thread: one pass (no symbolic pass, no copy). Several: two passes, whose
    # threads write straight into C (a one-pass product with several chunks gathers
    # them into C afterwards, holding both for a while: measured 1.2-1.8 x (input +
    # output) at its peak, against at most 1.07 for two passes on large products)
    one_pass = one_pass or (algorithm == "auto" and nt == 1)
    if nt > 1 and m > 1:
        # one pass: more, smaller chunks, so that the gather holds little besides C
        chunks = _chunks(flops, nt, 16 if one_pass else 4)
        if small:
            # a row with more multiplies than a thread's share would hold the others up:
            # it becomes a chunk of its own that the whole team multiplies (fine task)
            heavy_rows = np.flatnonzero(np.diff(flops) > flops[-1] / nt)
            if heavy_rows.size:
                chunks = np.unique(np.concatenate([chunks, heavy_rows, heavy_rows + 1]))
                heavy = np.zeros(chunks.shape[0] - 1, dtype=np.uint8)
                heavy[np.searchsorted(chunks, heavy_rows)] = 1
        bound = np.diff(flops[chunks])
    else:
        chunks = np.array([0, m], dtype=np.int64)
    flops = None
    while True:
        mask_arrays = None if M is None else (M.indptr.astype(index_dtype, copy=False),
                                              M.indices.astype(index_dtype, copy=False))
        try:
            if one_pass:
                # reserve at most a quarter of physical memory up front (address space
                # only); growing past the memory available raises MemoryError
                entry = index_dtype.itemsize + np.dtype(dtype).itemsize
                c_ptr, c_ind, c_val = _spgemm.grow(
                    A, B, mask_arrays, chunks, heavy, bound, dense_from, keep_zeros,
                    sort_indices, nt, _physical_memory() // 4 // entry,
                    max(_available_memory() // entry, 1))
            else:
                c_ptr, c_ind, c_val = _two_pass(A, B, mask_arrays, chunks, heavy, dense_from,
                                                keep_zeros, sort_indices, nt, dtype)
            break
        except _spgemm.SpgemmOverflow:
            # nnz(C) reached 2^31 with int32 indices: the product is redone in int64
            index_dtype = np.dtype(np.int64)
            A = _as_csr(A, "A", dtype, index_dtype)
            B = A if same else _as_csr(B, "B", dtype, index_dtype)
    cls = sp.csr_matrix if matrices else sp.csr_array
    if pattern:
        c_val = np.ones(c_val.shape[0], dtype=np.bool_)
    C = cls((c_val, c_ind, c_ptr), shape=(m, n))
    C.has_sorted_indices = bool(sort_indices)
    return C
