# Separable penalties g(w) = sum_j g_j(w_j): prox, optimality violation, conjugate.


cdef class Penalty:
    cdef readonly bint convex

    cdef double value(self, const double *w, Py_ssize_t p) noexcept nogil
    cdef double value_j(self, double w, Py_ssize_t j) noexcept nogil
    # argmin_x g_j(x) + (x - v)^2 / (2 step)
    cdef double prox(self, double v, double step, Py_ssize_t j) noexcept nogil
    # distance from -grad to the subdifferential of g_j at w (0 at optimality)
    cdef double subdiff_dist(self, double w, double grad, Py_ssize_t j) noexcept nogil
    cdef bint is_penalized(self, Py_ssize_t j) noexcept nogil
    # largest t in [0, 1] with g*(t u) finite (1 when g* is finite everywhere)
    cdef double dual_scale(self, const double *u, Py_ssize_t p) noexcept nogil
    # -g*(t u), assuming dual_scale(u) >= t
    cdef double dual_value(self, const double *u, Py_ssize_t p, double t) noexcept nogil


cdef class WeightedElasticNet(Penalty):
    # g_j(w) = alpha * omega_j * (rho |w| + (1 - rho) / 2 w^2) + indicator(lo_j <= w <= hi_j)
    # with lo_j <= 0 <= hi_j (possibly infinite)
    cdef readonly double alpha
    cdef readonly double l1_ratio
    cdef const double[::1] weights
    cdef const double[::1] lower
    cdef const double[::1] upper
    cdef bint unit
    cdef readonly bint bounded
    cdef inline double _omega(self, Py_ssize_t j) noexcept nogil
    cdef inline double _lo(self, Py_ssize_t j) noexcept nogil
    cdef inline double _hi(self, Py_ssize_t j) noexcept nogil
    # -g_j*(v) for the pure-L1 / unpenalized part on one side: finite or -inf
    cdef double _conj_l1(self, double v, double a, Py_ssize_t j) noexcept nogil


cdef class _Folded(Penalty):
    # Nonconvex folded-concave penalties g_j(w) = omega_j * p(|w|) (MCP, SCAD), with an
    # optional positivity constraint.  Subclasses define p, p' and the 1-D prox.
    cdef readonly double alpha
    cdef readonly double gamma
    cdef readonly bint positive
    cdef const double[::1] weights
    cdef bint unit
    cdef inline double _a(self, Py_ssize_t j) noexcept nogil
    cdef double _p(self, double x, double a) noexcept nogil
    cdef double _dp(self, double x, double a) noexcept nogil
    cdef double _prox_abs(self, double u, double step, double a) noexcept nogil
    # the exact coordinate curvatures of a least-squares datafit (see subdiff_dist)
    cdef const double[::1] curv
    cdef bint have_curv
    # the smallest |grad| at which the exact coordinate step from 0 (curvature L) moves
    cdef double _zero_threshold(self, double a, double L) noexcept nogil


cdef class MCPenalty(_Folded):
    pass


cdef class SCADPenalty(_Folded):
    pass


cdef class L0Penalty(Penalty):
    # g_j(w) = alpha * omega_j * [w != 0]  (+ positivity)
    cdef readonly double alpha
    cdef readonly bint positive
    cdef const double[::1] weights
    cdef bint unit
    cdef const double[::1] lips      # the coordinate Lipschitz constants (see subdiff_dist)
    cdef bint have_lips


cdef class CEL0Penalty(Penalty):
    # g_j(w) = CEL0 with lam_j = alpha * omega_j and curvature c_j = lips[j]  (+ positivity)
    cdef readonly double alpha
    cdef readonly bint positive
    cdef const double[::1] weights
    cdef bint unit
    cdef const double[::1] lips      # the curvatures c_j = a_j^2
    cdef bint have_lips
    cdef bint fixed                  # curvatures given at construction
    cdef inline bint _params(self, Py_ssize_t j, double *a, double *g) noexcept nogil
