# Wrapper of the C kernel so_csrmm_*: Y <- alpha * A @ X + beta * Y, GIL released.
# Inputs arrive validated from _matmul.py (structure checked, dtypes matched, shapes
# consistent); nothing here re-checks them.
from libc.stdint cimport int32_t, int64_t

from sparseopt._core cimport (
    SO_OK, so_csrmm_f32_i32, so_csrmm_f32_i64, so_csrmm_f64_i32, so_csrmm_f64_i64,
)
from sparseopt._typedefs cimport floating, index_t


def _csrmm(const index_t[::1] indptr, const index_t[::1] indices,
           const floating[::1] data, x, y, floating alpha, floating beta, int n_threads):
    """Compute ``y[...] = alpha * A @ x + beta * y`` in place.

    ``x`` and ``y`` are 2-D numpy arrays of the same float type as ``data`` with any
    element strides; ``y`` is writable and does not overlap ``x``.
    """
    cdef int64_t n_rows = indptr.shape[0] - 1
    cdef int64_t n_vecs = y.shape[1]
    cdef int64_t isz = x.itemsize
    cdef int64_t x_rs = x.strides[0] // isz, x_cs = x.strides[1] // isz
    cdef int64_t y_rs = y.strides[0] // isz, y_cs = y.strides[1] // isz
    # Raw pointers from the buffers: strided (possibly F-ordered) views are allowed.
    cdef const floating[:, :] xv = x
    cdef floating[:, :] yv = y
    cdef const floating *xp = NULL
    cdef floating *yp = NULL
    cdef const index_t *ip = NULL
    cdef const floating *dp = NULL
    cdef int status = SO_OK
    if n_rows == 0 or n_vecs == 0:
        return
    if xv.shape[0] > 0:
        xp = &xv[0, 0]
    yp = &yv[0, 0]
    if indices.shape[0] > 0:
        ip = &indices[0]
        dp = &data[0]
    with nogil:
        if floating is double:
            if index_t is int32_t:
                status = so_csrmm_f64_i32(n_rows, n_vecs, &indptr[0], ip, dp, xp, x_rs, x_cs,
                                          yp, y_rs, y_cs, alpha, beta, n_threads)
            else:
                status = so_csrmm_f64_i64(n_rows, n_vecs, &indptr[0], ip, dp, xp, x_rs, x_cs,
                                          yp, y_rs, y_cs, alpha, beta, n_threads)
        else:
            if index_t is int32_t:
                status = so_csrmm_f32_i32(n_rows, n_vecs, &indptr[0], ip, dp, xp, x_rs, x_cs,
                                          yp, y_rs, y_cs, alpha, beta, n_threads)
            else:
                status = so_csrmm_f32_i64(n_rows, n_vecs, &indptr[0], ip, dp, xp, x_rs, x_cs,
                                          yp, y_rs, y_cs, alpha, beta, n_threads)
    if status != SO_OK:
        raise RuntimeError(f"so_csrmm failed with status {status}")
