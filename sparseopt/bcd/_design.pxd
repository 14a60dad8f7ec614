# Column access to the design matrix X for coordinate methods.
# The engine computes in float64: columns are read through these methods only.
from libc.stdint cimport int32_t, int64_t


cdef class Design:
    cdef readonly Py_ssize_t n_samples
    cdef readonly Py_ssize_t n_features
    # x_j . v
    cdef double col_dot(self, Py_ssize_t j, const double *v) noexcept nogil
    # v += a * x_j
    cdef void col_axpy(self, Py_ssize_t j, double a, double *v) noexcept nogil
    # v_i += a * s_i * x_ij
    cdef void col_axpy_weighted(self, Py_ssize_t j, double a, const double *s,
                                double *v) noexcept nogil
    # sum_i s_i x_ij^2   (s may be NULL: unit weights)
    cdef double col_sqnorm(self, Py_ssize_t j, const double *s) noexcept nogil
    # out[j] = x_j . v for every j in idx[0:m] (idx NULL: all columns)
    cdef void cols_dot(self, const double *v, const int32_t *idx, Py_ssize_t m,
                       double *out, int n_threads) noexcept nogil


cdef class DenseDesign(Design):
    cdef const double[::1, :] X


cdef class CSCDesign(Design):
    cdef const double[::1] data
    cdef const int32_t[::1] indices32
    cdef const int32_t[::1] indptr32
    cdef const int64_t[::1] indices64
    cdef const int64_t[::1] indptr64
    cdef bint idx64


cdef class KronDesign(Design):
    # The design of a K-output model z = X W (n x K, stored class-major: z[k n + i]):
    # coordinate c = j K + k is column j of X acting on the scores of class k.
    cdef readonly Design base
    cdef readonly Py_ssize_t n_outputs
    cdef Py_ssize_t n_base
