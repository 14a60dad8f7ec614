# Thin wrapper over so_csr_check_*: one pass over a compressed structure, without the GIL.
from libc.stdint cimport int32_t, int64_t

from sparseopt._core cimport so_csr_check_i32, so_csr_check_i64
from sparseopt._typedefs cimport index_t


def _check_compressed(const index_t[::1] indptr, const index_t[::1] indices,
                      int64_t n_cols, int64_t capacity, bint check_order):
    """Return ``(code, where)``; ``code`` is one of the ``SO_CSR_*`` values (0 = valid).

    ``len(indptr) >= 1`` must hold; the caller checks it.
    """
    cdef int64_t n_rows = indptr.shape[0] - 1
    cdef int64_t where = 0
    cdef int code
    cdef const index_t *ind_ptr = &indices[0] if indices.shape[0] > 0 else NULL
    with nogil:
        if index_t is int32_t:
            code = so_csr_check_i32(n_rows, n_cols, capacity, &indptr[0], ind_ptr,
                                    check_order, &where)
        else:
            code = so_csr_check_i64(n_rows, n_cols, capacity, &indptr[0], ind_ptr,
                                    check_order, &where)
    return code, where
