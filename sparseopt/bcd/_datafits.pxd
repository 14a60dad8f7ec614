# Datafits f(z) with z = X w + b: the smooth part of the objective.
from libc.stdint cimport int32_t

from sparseopt.bcd._design cimport CSCDesign, DenseDesign, Design, KronDesign


cdef class Datafit:
    cdef public Design X
    cdef const double[::1] y
    cdef const double[::1] sw        # sample weights (all ones when none were given)
    cdef bint unit_weights
    cdef readonly double S           # sum of the sample weights
    cdef double[::1] z               # X w + b
    cdef double[::1] raw             # df/dz, kept current under every update
    cdef double[::1] lipschitz       # per-feature bound on d2f/dw_j2
    cdef readonly bint exact_hessian_diag  # hessian_diag is the whole Hessian in z

    # a bound on d2F/dz2 (1 for least squares, 1/4 for logistic): the Hessian of f in w
    # is below curvature * X^T diag(s) X / S
    cdef double curvature(self) noexcept nogil
    cdef void reset(self, const double *w, double b) noexcept nogil
    # bring raw up to date (datafits that update it lazily); call before reading raw
    cdef void sync(self) noexcept nogil
    cdef double value(self) noexcept nogil
    cdef double grad_j(self, Py_ssize_t j) noexcept nogil
    cdef void update_j(self, Py_ssize_t j, double delta) noexcept nogil
    cdef double grad_intercept(self) noexcept nogil
    cdef double intercept_lipschitz(self) noexcept nogil
    cdef double intercept_hessian(self) noexcept nogil
    cdef void update_intercept(self, double delta) noexcept nogil
    # -f*(-t * theta) for the dual point theta = -raw (scaled by t in (0, 1])
    cdef double dual_value(self, double t) noexcept nogil
    # For Newton updates: h_i = d2f/dz_i^2, f(z + t dz), and the move z += t dz
    cdef void hessian_diag(self, double *h) noexcept nogil
    cdef double value_along(self, const double *dz, double t) noexcept nogil
    cdef void move_along(self, const double *dz, double t) noexcept nogil


cdef class Quadratic(Datafit):
    pass


cdef class PointwiseDatafit(Datafit):
    cdef CSCDesign csc               # the design when it is sparse, else None
    cdef void _refresh_row(self, Py_ssize_t i) noexcept nogil
    cdef void _refresh_col(self, Py_ssize_t j) noexcept nogil


cdef class Logistic(PointwiseDatafit):
    pass


cdef class Huber(PointwiseDatafit):
    cdef readonly double delta
    cdef inline double _h(self, double r) noexcept nogil


cdef class Multinomial(Datafit):
    # on a KronDesign: z and raw have length n K (class-major), y is the one-hot matrix.
    # A coordinate update changes one class's scores: lse (log-sum-exp per sample) is
    # updated in O(rows of the column), and raw only on sync().
    cdef Py_ssize_t K
    cdef Py_ssize_t nb
    cdef CSCDesign csc               # the base design when it is sparse, else None
    cdef DenseDesign dense           # the base design when it is dense, else None
    cdef double[::1] lse
    cdef int32_t[::1] label
    cdef bint raw_stale
    cdef void _refresh_sample(self, Py_ssize_t i) noexcept nogil
    cdef double _lse(self, Py_ssize_t i, const double *dz, double t) noexcept nogil
    cdef inline void _move_score(self, Py_ssize_t i, Py_ssize_t k, double dz) noexcept nogil
