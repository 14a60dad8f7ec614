# The elastic-net family: L1 (l1_ratio = 1), L2 (l1_ratio = 0) and everything between,
# with optional per-feature weights (weight 0 = unpenalized) and a positivity constraint.
from libc.math cimport INFINITY, fabs, fmax, fmin

import numpy as np


cdef class Penalty:
    """Base class of separable penalties."""

    cdef double value(self, const double *w, Py_ssize_t p) noexcept nogil:
        cdef Py_ssize_t j
        cdef double acc = 0.0
        for j in range(p):
            acc += self.value_j(w[j], j)
        return acc

    cdef double value_j(self, double w, Py_ssize_t j) noexcept nogil:
        return 0.0

    cdef double prox(self, double v, double step, Py_ssize_t j) noexcept nogil:
        return v

    cdef double subdiff_dist(self, double w, double grad, Py_ssize_t j) noexcept nogil:
        return fabs(grad)

    cdef bint is_penalized(self, Py_ssize_t j) noexcept nogil:
        return False

    cdef double dual_scale(self, const double *u, Py_ssize_t p) noexcept nogil:
        return 1.0

    cdef double dual_value(self, const double *u, Py_ssize_t p, double t) noexcept nogil:
        return 0.0

    # Python access for the front end and the tests
    def py_value(self, const double[::1] w):
        return self.value(&w[0] if w.shape[0] else NULL, w.shape[0])

    def py_prox(self, double v, double step, Py_ssize_t j):
        return self.prox(v, step, j)

    def py_subdiff_dist(self, const double[::1] w, const double[::1] grad):
        cdef Py_ssize_t j
        out = np.empty(w.shape[0])
        cdef double[::1] o = out
        for j in range(w.shape[0]):
            o[j] = self.subdiff_dist(w[j], grad[j], j)
        return out

    def py_dual(self, const double[::1] u, double t):
        return self.dual_value(&u[0] if u.shape[0] else NULL, u.shape[0], t)

    def py_dual_scale(self, const double[::1] u):
        return self.dual_scale(&u[0] if u.shape[0] else NULL, u.shape[0])


cdef class WeightedElasticNet(Penalty):
    """g(w) = alpha sum_j omega_j (rho |w_j| + (1 - rho) / 2 w_j^2), optionally w >= 0."""

    def __init__(self, double alpha, double l1_ratio=1.0, weights=None, bint positive=False):
        self.convex = True
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.positive = positive
        self.unit = weights is None
        self.weights = np.ones(1) if weights is None else weights

    cdef inline double _omega(self, Py_ssize_t j) noexcept nogil:
        return 1.0 if self.unit else self.weights[j]

    cdef double value_j(self, double w, Py_ssize_t j) noexcept nogil:
        return self.alpha * self._omega(j) * (self.l1_ratio * fabs(w)
                                              + 0.5 * (1.0 - self.l1_ratio) * w * w)

    cdef double prox(self, double v, double step, Py_ssize_t j) noexcept nogil:
        cdef double a = self.alpha * self._omega(j)
        cdef double l1 = step * a * self.l1_ratio
        cdef double shrink = 1.0 + step * a * (1.0 - self.l1_ratio)
        if v > l1:
            return (v - l1) / shrink
        if v < -l1 and not self.positive:
            return (v + l1) / shrink
        return 0.0

    cdef double subdiff_dist(self, double w, double grad, Py_ssize_t j) noexcept nogil:
        # Optimality: -grad in alpha*omega*(rho * sign(w) + (1 - rho) w) (+ normal cone)
        cdef double a = self.alpha * self._omega(j)
        cdef double l1 = a * self.l1_ratio
        cdef double g = grad + a * (1.0 - self.l1_ratio) * w
        if w > 0.0:
            return fabs(g + l1)
        if w < 0.0:
            return fabs(g - l1)
        if self.positive:  # at 0 with w >= 0: need -g <= l1
            return fmax(0.0, -g - l1)
        return fmax(0.0, fabs(g) - l1)

    cdef bint is_penalized(self, Py_ssize_t j) noexcept nogil:
        return self.alpha * self._omega(j) > 0.0

    cdef double dual_scale(self, const double *u, Py_ssize_t p) noexcept nogil:
        # Only the pure-L1 part makes g* infinite: |u_j| <= alpha omega_j is required
        # (u_j <= alpha omega_j with positivity).  Unpenalized features are skipped:
        # they are optimized exactly, so u_j ~ 0 there.
        cdef Py_ssize_t j
        cdef double t = 1.0, bound, uj
        if self.l1_ratio < 1.0:
            return 1.0
        for j in range(p):
            bound = self.alpha * self._omega(j)
            if bound <= 0.0:
                continue
            uj = fmax(u[j], 0.0) if self.positive else fabs(u[j])
            if uj > bound:
                t = fmin(t, bound / uj)
        return t

    cdef double dual_value(self, const double *u, Py_ssize_t p, double t) noexcept nogil:
        # g_j*(v) = (|v| - a rho)_+^2 / (2 a (1 - rho)) for rho < 1 (v_+ with positivity),
        # and 0 inside the box |v| <= a for rho = 1.
        cdef Py_ssize_t j
        cdef double acc = 0.0, a, v, excess
        if self.l1_ratio >= 1.0:
            return 0.0
        for j in range(p):
            a = self.alpha * self._omega(j)
            if a <= 0.0:
                continue
            v = t * u[j]
            excess = (fmax(v, 0.0) if self.positive else fabs(v)) - a * self.l1_ratio
            if excess > 0.0:
                acc += excess * excess / (2.0 * a * (1.0 - self.l1_ratio))
        return -acc
