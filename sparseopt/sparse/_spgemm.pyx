# Wrapper of the C sparse x sparse product (_ext/src/spgemm.c), GIL released.
#
# Inputs arrive validated from _spgemm_front.py: A, B (and the mask) are CSR with
# in-bounds indices, contiguous, of one index type; A and B hold values of one type;
# A.shape[1] == B.shape[0]; `chunks` partitions the rows of A (increasing, chunks[0] = 0,
# chunks[-1] = n_rows). Nothing here re-checks them.
cimport numpy as cnp
from cpython.pycapsule cimport PyCapsule_GetPointer, PyCapsule_New
from libc.stdint cimport int64_t

import numpy as np

from sparseopt._core cimport SO_ERR_ALLOC, SO_OK

cnp.import_array()


cdef extern from "sparseopt/spgemm.h" nogil:
    int SO_ERR_OVERFLOW
    int SO_SPGEMM_F32
    int SO_SPGEMM_F64
    int SO_SPGEMM_C128
    ctypedef struct so_spgemm_plan:
        int64_t n_rows, n_cols, b_rows
        const void *a_ptr
        const void *a_ind
        const void *a_val
        const void *b_ptr
        const void *b_ind
        const void *b_val
        const void *m_ptr
        const void *m_ind
        int64_t n_chunks
        const int64_t *chunks
        int64_t dense_from
        const unsigned char *heavy
        int keep_zeros, sort_rows, n_threads
    int so_spgemm_flops(int itype, int64_t n_rows, const void *a_ptr, const void *a_ind,
                        const void *b_ptr, int64_t *out, int n_threads)
    int so_spgemm_count(int itype, const so_spgemm_plan *plan, int64_t *chunk_nnz)
    int so_spgemm_fill(int vtype, int itype, const so_spgemm_plan *plan,
                       const int64_t *chunk_start, void *c_ptr, void *c_ind, void *c_val,
                       int64_t *chunk_end)
    int64_t so_spgemm_compact(int vtype, int itype, int64_t n_chunks, const int64_t *chunks,
                              const int64_t *chunk_start, const int64_t *chunk_end,
                              void *c_ptr, void *c_ind, void *c_val)
    int so_spgemm_grow(int vtype, int itype, const so_spgemm_plan *plan,
                       const int64_t *bound, int64_t reserve, int64_t limit, void *c_ptr,
                       void **c_ind, void **c_val, int64_t *nnz)
    void so_spgemm_free(void *buffer)


class SpgemmOverflow(Exception):
    """nnz(C) does not fit the index type: the caller retries with int64 indices."""


cdef inline void *_data(cnp.ndarray a):
    return cnp.PyArray_DATA(a)


cdef int _vtype(dtype) except -1:
    if dtype == np.float32:
        return SO_SPGEMM_F32
    if dtype == np.float64:
        return SO_SPGEMM_F64
    if dtype == np.complex128:
        return SO_SPGEMM_C128
    raise TypeError(f"spgemm kernel: unsupported value dtype {dtype}")


cdef int _itype(dtype) except -1:
    if dtype == np.int32:
        return 32
    if dtype == np.int64:
        return 64
    raise TypeError(f"spgemm kernel: unsupported index dtype {dtype}")


cdef void _plan(so_spgemm_plan *P, A, B, mask, cnp.ndarray chunks, heavy,
                int64_t dense_from, bint keep_zeros, bint sort_rows, int n_threads,
                bint values):
    P.n_rows = A.shape[0]
    P.n_cols = B.shape[1]
    P.b_rows = B.shape[0]
    P.a_ptr = _data(A.indptr)
    P.a_ind = _data(A.indices)
    P.b_ptr = _data(B.indptr)
    P.b_ind = _data(B.indices)
    P.a_val = _data(A.data) if values else NULL
    P.b_val = _data(B.data) if values else NULL
    if mask is not None:
        P.m_ptr = _data(mask[0])
        P.m_ind = _data(mask[1])
    else:
        P.m_ptr = NULL
        P.m_ind = NULL
    P.n_chunks = chunks.shape[0] - 1
    P.chunks = <const int64_t *>_data(chunks)
    P.dense_from = dense_from
    P.heavy = <const unsigned char *>_data(heavy) if heavy is not None else NULL
    P.keep_zeros = keep_zeros
    P.sort_rows = sort_rows
    P.n_threads = n_threads


cdef _raise(int status):
    if status == SO_ERR_ALLOC:
        raise MemoryError("spgemm could not allocate its per-thread accumulators or "
                          "its output")
    if status == SO_ERR_OVERFLOW:
        raise SpgemmOverflow()
    raise RuntimeError(f"spgemm kernel failed with status {status}")


def count(A, B, mask, cnp.ndarray chunks, heavy, int64_t dense_from, int n_threads):
    """Entries of C per chunk of rows (the symbolic pass); ``mask`` is None or
    ``(indptr, indices)``; ``heavy`` is None or a uint8 flag per chunk (a chunk of one
    row that the whole team multiplies)."""
    cdef so_spgemm_plan P
    cdef int itype = _itype(A.indptr.dtype), status
    cdef cnp.ndarray out = np.empty(chunks.shape[0] - 1, dtype=np.int64)
    cdef int64_t *out_p = <int64_t *>_data(out)
    _plan(&P, A, B, mask, chunks, heavy, dense_from, False, False, n_threads, False)
    with nogil:
        status = so_spgemm_count(itype, &P, out_p)
    if status != SO_OK:
        _raise(status)
    return out


def fill(A, B, mask, cnp.ndarray chunks, heavy, cnp.ndarray chunk_start, int64_t dense_from,
         bint keep_zeros, bint sort_rows, int n_threads, cnp.ndarray c_ptr,
         cnp.ndarray c_ind, cnp.ndarray c_val):
    """The numeric pass: chunk c written from ``chunk_start[c]``; returns each chunk's end."""
    cdef so_spgemm_plan P
    cdef int itype = _itype(A.indptr.dtype), vtype = _vtype(A.data.dtype), status
    cdef cnp.ndarray end = np.empty(chunks.shape[0] - 1, dtype=np.int64)
    cdef const int64_t *start_p = <const int64_t *>_data(chunk_start)
    cdef int64_t *end_p = <int64_t *>_data(end)
    cdef void *ptr_p = _data(c_ptr)
    cdef void *ind_p = _data(c_ind)
    cdef void *val_p = _data(c_val)
    _plan(&P, A, B, mask, chunks, heavy, dense_from, keep_zeros, sort_rows, n_threads, True)
    with nogil:
        status = so_spgemm_fill(vtype, itype, &P, start_p, ptr_p, ind_p, val_p, end_p)
    if status != SO_OK:
        _raise(status)
    return end


def compact(cnp.ndarray chunks, cnp.ndarray chunk_start, cnp.ndarray chunk_end,
            cnp.ndarray c_ptr, cnp.ndarray c_ind, cnp.ndarray c_val):
    """Close the gaps between chunks left by dropped zeros; returns nnz(C)."""
    cdef int itype = _itype(c_ind.dtype), vtype = _vtype(c_val.dtype)
    cdef int64_t nnz, nc = chunks.shape[0] - 1
    cdef const int64_t *ch = <const int64_t *>_data(chunks)
    cdef const int64_t *st = <const int64_t *>_data(chunk_start)
    cdef const int64_t *en = <const int64_t *>_data(chunk_end)
    cdef void *ptr_p = _data(c_ptr)
    cdef void *ind_p = _data(c_ind)
    cdef void *val_p = _data(c_val)
    with nogil:
        nnz = so_spgemm_compact(vtype, itype, nc, ch, st, en, ptr_p, ind_p, val_p)
    return nnz


cdef void _release(object capsule) noexcept:
    so_spgemm_free(PyCapsule_GetPointer(capsule, NULL))


cdef cnp.ndarray _adopt(void *buffer, int64_t n, dtype):
    """A numpy array over a buffer from so_spgemm_grow, freed with the array."""
    cdef cnp.npy_intp dims[1]
    cdef cnp.ndarray arr
    if buffer == NULL:
        return np.empty(0, dtype=dtype)
    dims[0] = n
    arr = cnp.PyArray_SimpleNewFromData(1, dims, np.dtype(dtype).num, buffer)
    cnp.set_array_base(arr, PyCapsule_New(buffer, NULL, _release))
    return arr


def grow(A, B, mask, cnp.ndarray chunks, heavy, bound, int64_t dense_from, bint keep_zeros,
         bint sort_rows, int n_threads, int64_t reserve, int64_t limit):
    """One-pass product: ``(indptr, indices, data)`` of C, C's arrays sized exactly.

    ``bound`` is None or an int64 array of an upper bound of each chunk's entries.
    """
    cdef so_spgemm_plan P
    cdef int itype = _itype(A.indptr.dtype), vtype = _vtype(A.data.dtype), status
    cdef cnp.ndarray c_ptr = np.empty(A.shape[0] + 1, dtype=A.indptr.dtype)
    cdef cnp.ndarray bound_arr
    cdef const int64_t *bound_p = NULL
    cdef void *ind = NULL
    cdef void *val = NULL
    cdef int64_t nnz = 0
    cdef void *ptr_p = _data(c_ptr)
    if bound is not None:
        bound_arr = bound
        bound_p = <const int64_t *>_data(bound_arr)
    _plan(&P, A, B, mask, chunks, heavy, dense_from, keep_zeros, sort_rows, n_threads, True)
    with nogil:
        status = so_spgemm_grow(vtype, itype, &P, bound_p, reserve, limit, ptr_p, &ind, &val,
                                &nnz)
    if status == SO_ERR_ALLOC and nnz > 0:
        size = nnz * (A.indptr.dtype.itemsize + A.data.dtype.itemsize) / 2**30
        raise MemoryError(f"A @ B needs room for at least {nnz} entries: {size:.1f} GiB "
                          "would be needed for its indices and values")
    if status != SO_OK:
        _raise(status)
    # adopt the index buffer first: if adopting the values fails, it is still released
    c_ind = _adopt(ind, nnz, A.indptr.dtype)
    c_val = _adopt(val, nnz, A.data.dtype)
    return c_ptr, c_ind, c_val


def row_flops(cnp.ndarray a_ptr, cnp.ndarray a_ind, cnp.ndarray b_ptr, cnp.ndarray out,
              int n_threads=1):
    """``out[i + 1] = out[i] + sum_k nnz(B[k, :])`` over the entries ``k`` of row i of A
    (int64 ``out`` of ``len(a_ptr)`` entries)."""
    cdef int itype = _itype(a_ptr.dtype)
    cdef int64_t n = a_ptr.shape[0] - 1
    cdef const void *ap = _data(a_ptr)
    cdef const void *ai = _data(a_ind)
    cdef const void *bp = _data(b_ptr)
    cdef int64_t *op = <int64_t *>_data(out)
    with nogil:
        so_spgemm_flops(itype, n, ap, ai, bp, op, n_threads)
