# Datafits for the BCD engine: value, coordinate gradients, Lipschitz bounds, and the
# conjugate needed by the duality gap.  Every datafit keeps raw = df/dz current, so a
# coordinate gradient is one column dot product: grad_j = x_j . raw.
from libc.math cimport exp, fabs, log, log1p

from sparseopt.bcd._design cimport CSCDesign, DenseDesign, Design, KronDesign

import numpy as np


cdef inline double _log1pexp(double m) noexcept nogil:
    # log(1 + exp(m)) without overflow
    if m > 0:
        return m + log1p(exp(-m))
    return log1p(exp(m))


cdef inline double _sigmoid(double m) noexcept nogil:
    cdef double e
    if m >= 0:
        return 1.0 / (1.0 + exp(-m))
    e = exp(m)
    return e / (1.0 + e)


cdef inline double _xlogx(double u) noexcept nogil:
    return u * log(u) if u > 0.0 else 0.0


cdef class Datafit:
    """Base class: f(z) = (1/S) sum_i s_i F(y_i, z_i), z = Xw + b, S = sum_i s_i."""

    def __init__(self, Design X, const double[::1] y, sample_weight=None):
        self.X = X
        self.y = y
        if sample_weight is None:
            self.sw = np.ones(X.n_samples)
            self.unit_weights = True
        else:
            self.sw = sample_weight
            self.unit_weights = False
        self.S = float(np.sum(self.sw))
        self.z = np.zeros(X.n_samples)
        self.raw = np.zeros(X.n_samples)
        self.exact_hessian_diag = True
        self.lipschitz = np.zeros(X.n_features)

    cdef double curvature(self) noexcept nogil:
        return 1.0

    cdef void reset(self, const double *w, double b) noexcept nogil:
        pass

    cdef void sync(self) noexcept nogil:
        pass

    cdef double value(self) noexcept nogil:
        return 0.0

    cdef double grad_j(self, Py_ssize_t j) noexcept nogil:
        return self.X.col_dot(j, &self.raw[0]) if self.X.n_samples > 0 else 0.0

    cdef void update_j(self, Py_ssize_t j, double delta) noexcept nogil:
        pass

    cdef double grad_intercept(self) noexcept nogil:
        cdef Py_ssize_t i
        cdef double acc = 0.0
        for i in range(self.X.n_samples):
            acc += self.raw[i]
        return acc

    cdef double intercept_lipschitz(self) noexcept nogil:
        return 1.0

    cdef double intercept_hessian(self) noexcept nogil:
        return self.intercept_lipschitz()

    cdef void update_intercept(self, double delta) noexcept nogil:
        pass

    cdef double dual_value(self, double t) noexcept nogil:
        return 0.0

    cdef void hessian_diag(self, double *h) noexcept nogil:
        pass

    cdef double value_along(self, const double *dz, double t) noexcept nogil:
        return 0.0

    cdef void move_along(self, const double *dz, double t) noexcept nogil:
        pass

    # Python access, for the front end and the tests
    def set_coef(self, const double[::1] w, double b):
        with nogil:
            self.reset(&w[0] if w.shape[0] > 0 else NULL, b)

    def py_value(self):
        return self.value()

    def py_raw(self):
        """df/dz as a numpy view (no copy): valid until the next update."""
        with nogil:
            self.sync()
        return np.asarray(self.raw)

    def py_dual_value(self, double t):
        return self.dual_value(t)

    def py_grad_intercept(self):
        return self.grad_intercept()

    def py_curvature(self):
        return self.curvature()

    def py_lipschitz(self):
        return np.asarray(self.lipschitz).copy()


cdef class Quadratic(Datafit):
    """f(z) = 1/(2S) sum_i s_i (y_i - z_i)^2.

    Only raw_i = s_i (z_i - y_i) / S is stored: it determines z, and an update of w_j by
    delta is one axpy, raw += (delta / S) s * x_j.
    """

    def __init__(self, Design X, const double[::1] y, sample_weight=None):
        super().__init__(X, y, sample_weight)
        cdef Py_ssize_t j
        cdef const double *s = NULL if self.unit_weights else &self.sw[0]
        for j in range(X.n_features):
            self.lipschitz[j] = X.col_sqnorm(j, s) / self.S if X.n_samples else 0.0

    cdef void reset(self, const double *w, double b) noexcept nogil:
        cdef Py_ssize_t i, j, n = self.X.n_samples
        for i in range(n):
            self.z[i] = b
        for j in range(self.X.n_features):
            if w[j] != 0.0:
                self.X.col_axpy(j, w[j], &self.z[0])
        for i in range(n):
            self.raw[i] = self.sw[i] * (self.z[i] - self.y[i]) / self.S

    cdef double value(self) noexcept nogil:
        # (1/2S) sum s_i r_i^2 with r_i = -S raw_i / s_i  =  (S/2) sum raw_i^2 / s_i
        cdef Py_ssize_t i
        cdef double acc = 0.0
        for i in range(self.X.n_samples):
            if self.sw[i] > 0:
                acc += self.raw[i] * self.raw[i] / self.sw[i]
        return 0.5 * self.S * acc

    cdef void update_j(self, Py_ssize_t j, double delta) noexcept nogil:
        if self.unit_weights:
            self.X.col_axpy(j, delta / self.S, &self.raw[0])
        else:
            self.X.col_axpy_weighted(j, delta / self.S, &self.sw[0], &self.raw[0])

    cdef double intercept_lipschitz(self) noexcept nogil:
        return 1.0  # sum_i s_i / S

    cdef void update_intercept(self, double delta) noexcept nogil:
        cdef Py_ssize_t i
        for i in range(self.X.n_samples):
            self.raw[i] += delta * self.sw[i] / self.S

    cdef double dual_value(self, double t) noexcept nogil:
        # -f*(-theta) = sum_i theta_i y_i - S theta_i^2 / (2 s_i),  theta = -t raw
        cdef Py_ssize_t i
        cdef double acc = 0.0, th
        for i in range(self.X.n_samples):
            if self.sw[i] > 0:
                th = -t * self.raw[i]
                acc += th * self.y[i] - 0.5 * self.S * th * th / self.sw[i]
        return acc

    cdef void hessian_diag(self, double *h) noexcept nogil:
        cdef Py_ssize_t i
        for i in range(self.X.n_samples):
            h[i] = self.sw[i] / self.S

    cdef double value_along(self, const double *dz, double t) noexcept nogil:
        # raw moves to raw + t s dz / S
        cdef Py_ssize_t i
        cdef double acc = 0.0, r
        for i in range(self.X.n_samples):
            if self.sw[i] > 0:
                r = self.raw[i] + t * self.sw[i] * dz[i] / self.S
                acc += r * r / self.sw[i]
        return 0.5 * self.S * acc

    cdef void move_along(self, const double *dz, double t) noexcept nogil:
        cdef Py_ssize_t i
        for i in range(self.X.n_samples):
            self.raw[i] += t * self.sw[i] * dz[i] / self.S


cdef class PointwiseDatafit(Datafit):
    """Base of datafits that keep z = Xw + b and recompute raw_i from z_i row by row.

    A subclass defines ``_refresh_row`` (raw_i from z_i) and ``curvature`` (a bound on
    F'' that scales the Lipschitz constants); updates, resets and moves are shared.
    """

    def __init__(self, Design X, const double[::1] y, sample_weight=None):
        super().__init__(X, y, sample_weight)
        cdef Py_ssize_t j
        cdef const double *s = NULL if self.unit_weights else &self.sw[0]
        cdef double c = self.curvature()
        for j in range(X.n_features):
            self.lipschitz[j] = c * X.col_sqnorm(j, s) / self.S if X.n_samples else 0.0
        self.csc = X if isinstance(X, CSCDesign) else None

    cdef void _refresh_row(self, Py_ssize_t i) noexcept nogil:
        pass

    cdef void _refresh_col(self, Py_ssize_t j) noexcept nogil:
        # Only the rows of column j changed (all rows for a dense design).
        cdef Py_ssize_t p, i
        if self.csc is not None:
            if self.csc.idx64:
                for p in range(self.csc.indptr64[j], self.csc.indptr64[j + 1]):
                    self._refresh_row(self.csc.indices64[p])
            else:
                for p in range(self.csc.indptr32[j], self.csc.indptr32[j + 1]):
                    self._refresh_row(self.csc.indices32[p])
        else:
            for i in range(self.X.n_samples):
                self._refresh_row(i)

    cdef void reset(self, const double *w, double b) noexcept nogil:
        cdef Py_ssize_t i, j, n = self.X.n_samples
        for i in range(n):
            self.z[i] = b
        for j in range(self.X.n_features):
            if w[j] != 0.0:
                self.X.col_axpy(j, w[j], &self.z[0])
        for i in range(n):
            self._refresh_row(i)

    cdef void update_j(self, Py_ssize_t j, double delta) noexcept nogil:
        self.X.col_axpy(j, delta, &self.z[0])
        self._refresh_col(j)

    cdef double intercept_lipschitz(self) noexcept nogil:
        return self.curvature()

    cdef void update_intercept(self, double delta) noexcept nogil:
        cdef Py_ssize_t i
        for i in range(self.X.n_samples):
            self.z[i] += delta
            self._refresh_row(i)

    cdef void move_along(self, const double *dz, double t) noexcept nogil:
        cdef Py_ssize_t i
        for i in range(self.X.n_samples):
            self.z[i] += t * dz[i]
            self._refresh_row(i)


cdef class Logistic(PointwiseDatafit):
    """f(z) = (1/S) sum_i s_i log(1 + exp(-y_i z_i)), labels y_i in {-1, +1}."""

    cdef double curvature(self) noexcept nogil:
        return 0.25

    cdef void _refresh_row(self, Py_ssize_t i) noexcept nogil:
        self.raw[i] = -self.sw[i] * self.y[i] * _sigmoid(-self.y[i] * self.z[i]) / self.S

    cdef double value(self) noexcept nogil:
        cdef Py_ssize_t i
        cdef double acc = 0.0
        for i in range(self.X.n_samples):
            if self.sw[i] > 0:
                acc += self.sw[i] * _log1pexp(-self.y[i] * self.z[i])
        return acc / self.S

    cdef double intercept_hessian(self) noexcept nogil:
        cdef Py_ssize_t i
        cdef double acc = 0.0, q
        for i in range(self.X.n_samples):
            q = _sigmoid(-self.y[i] * self.z[i])
            acc += self.sw[i] * q * (1.0 - q)
        return acc / self.S

    cdef double dual_value(self, double t) noexcept nogil:
        # With u_i = t * sigma(-y_i z_i) in [0, 1]:
        # -f*(-theta) = (1/S) sum_i s_i H(u_i),  H(u) = -u log u - (1 - u) log(1 - u)
        cdef Py_ssize_t i
        cdef double acc = 0.0, u
        for i in range(self.X.n_samples):
            if self.sw[i] > 0:
                u = t * _sigmoid(-self.y[i] * self.z[i])
                acc -= self.sw[i] * (_xlogx(u) + _xlogx(1.0 - u))
        return acc / self.S

    cdef void hessian_diag(self, double *h) noexcept nogil:
        cdef Py_ssize_t i
        cdef double q
        for i in range(self.X.n_samples):
            q = _sigmoid(-self.y[i] * self.z[i])
            h[i] = self.sw[i] * q * (1.0 - q) / self.S

    cdef double value_along(self, const double *dz, double t) noexcept nogil:
        cdef Py_ssize_t i
        cdef double acc = 0.0
        for i in range(self.X.n_samples):
            if self.sw[i] > 0:
                acc += self.sw[i] * _log1pexp(-self.y[i] * (self.z[i] + t * dz[i]))
        return acc / self.S


cdef class Huber(PointwiseDatafit):
    """f(z) = (1/S) sum_i s_i H(y_i - z_i), H(r) = r^2/2 for |r| <= delta, else
    delta |r| - delta^2/2: least squares that grows linearly for outliers."""

    def __init__(self, Design X, const double[::1] y, sample_weight=None, double delta=1.0):
        self.delta = delta
        super().__init__(X, y, sample_weight)

    cdef void _refresh_row(self, Py_ssize_t i) noexcept nogil:
        cdef double r = self.y[i] - self.z[i]
        if r > self.delta:
            r = self.delta
        elif r < -self.delta:
            r = -self.delta
        self.raw[i] = -self.sw[i] * r / self.S

    cdef inline double _h(self, double r) noexcept nogil:
        r = fabs(r)
        return 0.5 * r * r if r <= self.delta else self.delta * (r - 0.5 * self.delta)

    cdef double value(self) noexcept nogil:
        cdef Py_ssize_t i
        cdef double acc = 0.0
        for i in range(self.X.n_samples):
            if self.sw[i] > 0:
                acc += self.sw[i] * self._h(self.y[i] - self.z[i])
        return acc / self.S

    cdef double intercept_hessian(self) noexcept nogil:
        cdef Py_ssize_t i
        cdef double acc = 0.0
        for i in range(self.X.n_samples):
            if fabs(self.y[i] - self.z[i]) <= self.delta:
                acc += self.sw[i]
        return acc / self.S

    cdef double dual_value(self, double t) noexcept nogil:
        # H*(u) = u^2/2 on |u| <= delta: -f*(-theta) = sum theta_i y_i - S theta_i^2/(2 s_i),
        # and theta = -t raw obeys |theta_i| <= s_i delta / S because raw is clipped.
        cdef Py_ssize_t i
        cdef double acc = 0.0, th
        for i in range(self.X.n_samples):
            if self.sw[i] > 0:
                th = -t * self.raw[i]
                acc += th * self.y[i] - 0.5 * self.S * th * th / self.sw[i]
        return acc

    cdef void hessian_diag(self, double *h) noexcept nogil:
        cdef Py_ssize_t i
        for i in range(self.X.n_samples):
            h[i] = self.sw[i] / self.S if fabs(self.y[i] - self.z[i]) <= self.delta else 0.0

    cdef double value_along(self, const double *dz, double t) noexcept nogil:
        cdef Py_ssize_t i
        cdef double acc = 0.0
        for i in range(self.X.n_samples):
            if self.sw[i] > 0:
                acc += self.sw[i] * self._h(self.y[i] - self.z[i] - t * dz[i])
        return acc / self.S


cdef class Multinomial(Datafit):
    """f(Z) = (1/S) sum_i s_i (log sum_k exp(z_ik) - z_{i y_i}), Z = X W with K classes.

    Works on a KronDesign: coordinate c = j K + k is W[j, k]; z, raw and the one-hot y
    are stored class-major (index k n + i). The Hessian of the softmax loss is below
    (1/2) I per sample (Boehning), so the coordinate bounds use curvature 1/2.

    An update of W[j, k] moves the scores of class k only, so the per-sample
    log-sum-exp is updated in O(1) per row of column j and a coordinate gradient is
    computed from z and it directly; raw (all K classes) is rebuilt only on sync().
    """

    def __init__(self, KronDesign X, const double[::1] y, sample_weight=None):
        super().__init__(X, y, sample_weight)
        self.K = X.n_outputs
        self.nb = X.base.n_samples
        self.S /= self.K  # the weights are tiled over the K classes
        self.exact_hessian_diag = False  # the softmax couples the classes of a sample
        cdef Py_ssize_t c, i, k
        cdef const double *s = NULL if self.unit_weights else &self.sw[0]
        for c in range(X.n_features):
            self.lipschitz[c] = 0.5 * X.col_sqnorm(c, s) / self.S if self.nb else 0.0
        self.csc = X.base if isinstance(X.base, CSCDesign) else None
        self.dense = X.base if isinstance(X.base, DenseDesign) else None
        self.lse = np.zeros(self.nb)
        self.label = np.zeros(self.nb, dtype=np.int32)
        for i in range(self.nb):
            for k in range(self.K):
                if y[k * self.nb + i] != 0.0:
                    self.label[i] = <int32_t>k
        self.raw_stale = False

    cdef double curvature(self) noexcept nogil:
        return 0.5

    cdef double _lse(self, Py_ssize_t i, const double *dz, double t) noexcept nogil:
        # log sum_k exp(z_ik + t dz_ik), shifted by the max
        cdef Py_ssize_t k, n = self.nb
        cdef double m = -1e308, v, acc = 0.0
        for k in range(self.K):
            v = self.z[k * n + i] + (t * dz[k * n + i] if dz != NULL else 0.0)
            if v > m:
                m = v
        for k in range(self.K):
            v = self.z[k * n + i] + (t * dz[k * n + i] if dz != NULL else 0.0)
            acc += exp(v - m)
        return m + log(acc)

    cdef void _refresh_sample(self, Py_ssize_t i) noexcept nogil:
        cdef Py_ssize_t k, n = self.nb
        cdef double lse = self._lse(i, NULL, 0.0)
        self.lse[i] = lse
        for k in range(self.K):
            self.raw[k * n + i] = self.sw[k * n + i] * (
                exp(self.z[k * n + i] - lse) - self.y[k * n + i]) / self.S

    cdef void sync(self) noexcept nogil:
        cdef Py_ssize_t i
        if self.raw_stale:
            for i in range(self.nb):
                self._refresh_sample(i)
            self.raw_stale = False

    cdef inline void _move_score(self, Py_ssize_t i, Py_ssize_t k, double dz) noexcept nogil:
        # z_ik += dz, and lse_i follows: lse' = lse + log1p(e^{z'-lse} - e^{z-lse}),
        # recomputed from scratch when the sum loses most of its mass (cancellation).
        cdef Py_ssize_t idx = k * self.nb + i
        cdef double old = self.z[idx], lse = self.lse[i], t
        self.z[idx] = old + dz
        t = exp(old + dz - lse) - exp(old - lse)
        if t > -0.5:
            self.lse[i] = lse + log1p(t)
        else:
            self.lse[i] = self._lse(i, NULL, 0.0)

    cdef void reset(self, const double *w, double b) noexcept nogil:
        cdef Py_ssize_t i, c
        for i in range(self.X.n_samples):
            self.z[i] = 0.0  # no intercept: the solver refuses fit_intercept here
        for c in range(self.X.n_features):
            if w[c] != 0.0:
                self.X.col_axpy(c, w[c], &self.z[0])
        for i in range(self.nb):
            self._refresh_sample(i)
        self.raw_stale = False

    cdef double grad_j(self, Py_ssize_t c) noexcept nogil:
        # sum_i x_ij s_i (p_ik - y_ik) / S, from z and lse
        cdef Py_ssize_t j = c // self.K, k = c % self.K, n = self.nb, i, q
        cdef double acc = 0.0, x
        if not self.raw_stale:
            return self.X.col_dot(c, &self.raw[0])
        if self.csc is not None:
            if self.csc.idx64:
                for q in range(self.csc.indptr64[j], self.csc.indptr64[j + 1]):
                    i = self.csc.indices64[q]
                    acc += self.csc.data[q] * self.sw[i] * (
                        exp(self.z[k * n + i] - self.lse[i]) - self.y[k * n + i])
            else:
                for q in range(self.csc.indptr32[j], self.csc.indptr32[j + 1]):
                    i = self.csc.indices32[q]
                    acc += self.csc.data[q] * self.sw[i] * (
                        exp(self.z[k * n + i] - self.lse[i]) - self.y[k * n + i])
        else:
            for i in range(n):
                x = self.dense.X[i, j]
                if x != 0.0:
                    acc += x * self.sw[i] * (
                        exp(self.z[k * n + i] - self.lse[i]) - self.y[k * n + i])
        return acc / self.S

    cdef void update_j(self, Py_ssize_t c, double delta) noexcept nogil:
        cdef Py_ssize_t j = c // self.K, k = c % self.K, i, q
        if self.csc is not None:
            if self.csc.idx64:
                for q in range(self.csc.indptr64[j], self.csc.indptr64[j + 1]):
                    self._move_score(self.csc.indices64[q], k, delta * self.csc.data[q])
            else:
                for q in range(self.csc.indptr32[j], self.csc.indptr32[j + 1]):
                    self._move_score(self.csc.indices32[q], k, delta * self.csc.data[q])
        else:
            for i in range(self.nb):
                if self.dense.X[i, j] != 0.0:
                    self._move_score(i, k, delta * self.dense.X[i, j])
        self.raw_stale = True

    cdef double value(self) noexcept nogil:
        cdef Py_ssize_t i, n = self.nb
        cdef double acc = 0.0
        for i in range(n):
            if self.sw[i] > 0.0:
                acc += self.sw[i] * (self.lse[i] - self.z[self.label[i] * n + i])
        return acc / self.S

    cdef double dual_value(self, double t) noexcept nogil:
        # -f*(-theta) for theta = -t raw: (1/S) sum_i s_i H(q_i), the entropy of
        # q_i = t p_i + (1 - t) y_i, which lies in the simplex for t in [0, 1].
        cdef Py_ssize_t i, k, n = self.nb
        cdef double acc = 0.0, q
        for i in range(n):
            if self.sw[i] <= 0.0:
                continue
            for k in range(self.K):
                q = t * exp(self.z[k * n + i] - self.lse[i]) + (1.0 - t) * self.y[k * n + i]
                acc -= self.sw[i] * _xlogx(q)
        return acc / self.S

    cdef void hessian_diag(self, double *h) noexcept nogil:
        cdef Py_ssize_t i, k, n = self.nb
        cdef double q
        for i in range(n):
            for k in range(self.K):
                q = exp(self.z[k * n + i] - self.lse[i])
                h[k * n + i] = self.sw[k * n + i] * q * (1.0 - q) / self.S

    cdef double value_along(self, const double *dz, double t) noexcept nogil:
        cdef Py_ssize_t i, k, n = self.nb
        cdef double acc = 0.0, lin
        if dz == NULL:
            return self.value()
        for i in range(n):
            if self.sw[i] <= 0.0:
                continue
            k = self.label[i]
            lin = self.z[k * n + i] + t * dz[k * n + i]
            acc += self.sw[i] * (self._lse(i, dz, t) - lin)
        return acc / self.S

    cdef void move_along(self, const double *dz, double t) noexcept nogil:
        cdef Py_ssize_t i
        for i in range(self.X.n_samples):
            self.z[i] += t * dz[i]
        for i in range(self.nb):
            self._refresh_sample(i)
        self.raw_stale = False
