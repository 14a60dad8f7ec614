# Column access to a dense (Fortran-ordered) or CSC design matrix, without the GIL.
from cython.parallel cimport prange
from libc.stdint cimport int32_t, int64_t
from scipy.linalg.cython_blas cimport daxpy, ddot

import numpy as np


cdef class Design:
    cdef double col_dot(self, Py_ssize_t j, const double *v) noexcept nogil:
        return 0.0

    cdef void col_axpy(self, Py_ssize_t j, double a, double *v) noexcept nogil:
        pass

    cdef void col_axpy_weighted(self, Py_ssize_t j, double a, const double *s,
                                double *v) noexcept nogil:
        pass

    cdef double col_sqnorm(self, Py_ssize_t j, const double *s) noexcept nogil:
        return 0.0

    cdef void cols_dot(self, const double *v, const int32_t *idx, Py_ssize_t m,
                       double *out, int n_threads) noexcept nogil:
        cdef Py_ssize_t k
        if idx == NULL:
            for k in prange(m, nogil=True, schedule="static", num_threads=n_threads):
                out[k] = self.col_dot(k, v)
        else:
            for k in prange(m, nogil=True, schedule="static", num_threads=n_threads):
                out[k] = self.col_dot(idx[k], v)

    def dot_columns_subset(self, const double[::1] v, const int32_t[::1] idx,
                           double[::1] out, int n_threads=1):
        """Fill ``out[k] = x_{idx[k]} . v`` and return it as an array."""
        with nogil:
            self.cols_dot(&v[0], &idx[0] if idx.shape[0] else NULL, idx.shape[0],
                          &out[0] if out.shape[0] else NULL, n_threads)
        return np.asarray(out)

    def dot_columns(self, const double[::1] v, int n_threads=1):
        """Return ``X.T @ v`` (for tests and the Python front end)."""
        out = np.empty(self.n_features)
        cdef double[::1] o = out
        with nogil:
            self.cols_dot(&v[0], NULL, self.n_features, &o[0], n_threads)
        return out


cdef class DenseDesign(Design):
    """A Fortran-ordered float64 matrix; columns are contiguous, so BLAS does the work."""

    def __init__(self, const double[::1, :] X):
        self.X = X
        self.n_samples = X.shape[0]
        self.n_features = X.shape[1]

    cdef double col_dot(self, Py_ssize_t j, const double *v) noexcept nogil:
        cdef int n = <int>self.n_samples, one = 1
        if n == 0:
            return 0.0
        return ddot(&n, <double *>&self.X[0, j], &one, <double *>v, &one)

    cdef void col_axpy(self, Py_ssize_t j, double a, double *v) noexcept nogil:
        cdef int n = <int>self.n_samples, one = 1
        if n > 0:
            daxpy(&n, &a, <double *>&self.X[0, j], &one, v, &one)

    cdef void col_axpy_weighted(self, Py_ssize_t j, double a, const double *s,
                                double *v) noexcept nogil:
        cdef Py_ssize_t i
        for i in range(self.n_samples):
            v[i] += a * s[i] * self.X[i, j]

    cdef double col_sqnorm(self, Py_ssize_t j, const double *s) noexcept nogil:
        cdef Py_ssize_t i
        cdef double acc = 0.0, x
        for i in range(self.n_samples):
            x = self.X[i, j]
            acc += x * x if s == NULL else s[i] * x * x
        return acc


cdef class CSCDesign(Design):
    """A CSC matrix with int32 or int64 indices (validated before construction)."""

    def __init__(self, const double[::1] data, indices, indptr, Py_ssize_t n_samples):
        self.data = data
        self.idx64 = indices.dtype == np.int64
        if self.idx64:
            self.indices64 = indices
            self.indptr64 = indptr
        else:
            self.indices32 = indices
            self.indptr32 = indptr
        self.n_samples = n_samples
        self.n_features = indptr.shape[0] - 1

    cdef double col_dot(self, Py_ssize_t j, const double *v) noexcept nogil:
        cdef Py_ssize_t p
        cdef double acc = 0.0
        if self.idx64:
            for p in range(self.indptr64[j], self.indptr64[j + 1]):
                acc += self.data[p] * v[self.indices64[p]]
        else:
            for p in range(self.indptr32[j], self.indptr32[j + 1]):
                acc += self.data[p] * v[self.indices32[p]]
        return acc

    cdef void col_axpy(self, Py_ssize_t j, double a, double *v) noexcept nogil:
        cdef Py_ssize_t p
        if self.idx64:
            for p in range(self.indptr64[j], self.indptr64[j + 1]):
                v[self.indices64[p]] += a * self.data[p]
        else:
            for p in range(self.indptr32[j], self.indptr32[j + 1]):
                v[self.indices32[p]] += a * self.data[p]

    cdef void col_axpy_weighted(self, Py_ssize_t j, double a, const double *s,
                                double *v) noexcept nogil:
        cdef Py_ssize_t p, i
        if self.idx64:
            for p in range(self.indptr64[j], self.indptr64[j + 1]):
                i = self.indices64[p]
                v[i] += a * s[i] * self.data[p]
        else:
            for p in range(self.indptr32[j], self.indptr32[j + 1]):
                i = self.indices32[p]
                v[i] += a * s[i] * self.data[p]

    cdef double col_sqnorm(self, Py_ssize_t j, const double *s) noexcept nogil:
        cdef Py_ssize_t p, i
        cdef double acc = 0.0, x
        if self.idx64:
            for p in range(self.indptr64[j], self.indptr64[j + 1]):
                x = self.data[p]
                i = self.indices64[p]
                acc += x * x if s == NULL else s[i] * x * x
        else:
            for p in range(self.indptr32[j], self.indptr32[j + 1]):
                x = self.data[p]
                i = self.indices32[p]
                acc += x * x if s == NULL else s[i] * x * x
        return acc


cdef class KronDesign(Design):
    """Column access for a model with K outputs per sample, z = X W, with the scores
    stored class-major (``z[k * n + i]``) and the coefficients feature-major
    (``w[j * K + k]``): coordinate ``c`` is column ``c // K`` of X acting on block
    ``c % K``. Vectors of length n_samples here have length ``n * K``."""

    def __init__(self, Design base, Py_ssize_t n_outputs):
        self.base = base
        self.n_outputs = n_outputs
        self.n_base = base.n_samples
        self.n_samples = base.n_samples * n_outputs
        self.n_features = base.n_features * n_outputs

    cdef double col_dot(self, Py_ssize_t c, const double *v) noexcept nogil:
        return self.base.col_dot(c // self.n_outputs, v + (c % self.n_outputs) * self.n_base)

    cdef void col_axpy(self, Py_ssize_t c, double a, double *v) noexcept nogil:
        self.base.col_axpy(c // self.n_outputs, a, v + (c % self.n_outputs) * self.n_base)

    cdef void col_axpy_weighted(self, Py_ssize_t c, double a, const double *s,
                                double *v) noexcept nogil:
        cdef Py_ssize_t off = (c % self.n_outputs) * self.n_base
        self.base.col_axpy_weighted(c // self.n_outputs, a, s + off, v + off)

    cdef double col_sqnorm(self, Py_ssize_t c, const double *s) noexcept nogil:
        cdef Py_ssize_t off = (c % self.n_outputs) * self.n_base
        return self.base.col_sqnorm(c // self.n_outputs, NULL if s == NULL else s + off)
