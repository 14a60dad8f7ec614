# The elastic-net family: L1 (l1_ratio = 1), L2 (l1_ratio = 0) and everything between,
# with optional per-feature weights (weight 0 = unpenalized) and a positivity constraint.
from libc.math cimport INFINITY, fabs, fmax, fmin, sqrt

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
    """g(w) = alpha sum_j omega_j (rho |w_j| + (1 - rho) / 2 w_j^2), with lo_j <= w_j <= hi_j.

    The bounds contain 0 (so that w = 0 is feasible); positivity is lo = 0, hi = inf.
    """

    def __init__(self, double alpha, double l1_ratio=1.0, weights=None, lower=None,
                 upper=None):
        self.convex = True
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.unit = weights is None
        self.weights = np.ones(1) if weights is None else weights
        self.bounded = lower is not None
        self.lower = np.full(1, -INFINITY) if lower is None else lower
        self.upper = np.full(1, INFINITY) if upper is None else upper

    cdef inline double _omega(self, Py_ssize_t j) noexcept nogil:
        return 1.0 if self.unit else self.weights[j]

    cdef inline double _lo(self, Py_ssize_t j) noexcept nogil:
        return self.lower[j] if self.bounded else -INFINITY

    cdef inline double _hi(self, Py_ssize_t j) noexcept nogil:
        return self.upper[j] if self.bounded else INFINITY

    cdef double value_j(self, double w, Py_ssize_t j) noexcept nogil:
        # the indicator is not evaluated: every iterate is kept inside the bounds
        return self.alpha * self._omega(j) * (self.l1_ratio * fabs(w)
                                              + 0.5 * (1.0 - self.l1_ratio) * w * w)

    cdef double prox(self, double v, double step, Py_ssize_t j) noexcept nogil:
        # In one dimension the prox of a convex function plus the indicator of an
        # interval is the prox of the function, clipped to the interval.
        cdef double a = self.alpha * self._omega(j)
        cdef double l1 = step * a * self.l1_ratio
        cdef double shrink = 1.0 + step * a * (1.0 - self.l1_ratio)
        cdef double x = 0.0
        if v > l1:
            x = (v - l1) / shrink
        elif v < -l1:
            x = (v + l1) / shrink
        if self.bounded:
            x = fmin(fmax(x, self.lower[j]), self.upper[j])
        return x

    cdef double subdiff_dist(self, double w, double grad, Py_ssize_t j) noexcept nogil:
        # Optimality: -grad in [lo_s, hi_s], the subdifferential of the elastic net at w,
        # widened to -inf (+inf) when w sits at its lower (upper) bound.
        cdef double a = self.alpha * self._omega(j)
        cdef double l1 = a * self.l1_ratio, s = -grad, smooth = a * (1.0 - self.l1_ratio) * w
        cdef double left, right
        if w > 0.0:
            left = right = smooth + l1
        elif w < 0.0:
            left = right = smooth - l1
        else:
            left, right = -l1, l1
        if w <= self._lo(j):
            left = -INFINITY
        if w >= self._hi(j):
            right = INFINITY
        return fmax(0.0, fmax(left - s, s - right))

    cdef bint is_penalized(self, Py_ssize_t j) noexcept nogil:
        return self.alpha * self._omega(j) > 0.0

    cdef double _conj_l1(self, double v, double a, Py_ssize_t j) noexcept nogil:
        # -sup_{lo <= w <= hi} (v w - a |w|) = -(hi (v - a)_+ + (-lo) (-v - a)_+)
        cdef double acc = 0.0
        if v > a:
            acc -= (v - a) * self._hi(j)
        elif v < -a:
            acc -= (-v - a) * (-self._lo(j))
        return acc

    cdef double dual_scale(self, const double *u, Py_ssize_t p) noexcept nogil:
        # Only the pure-L1 part can make g* infinite: |u_j| <= alpha omega_j is needed on
        # each side whose bound is infinite.  Unpenalized features are skipped: the
        # solver accounts for them separately.
        cdef Py_ssize_t j
        cdef double t = 1.0, bound, uj
        if self.l1_ratio < 1.0:
            return 1.0
        for j in range(p):
            bound = self.alpha * self._omega(j)
            if bound <= 0.0:
                continue
            uj = 0.0
            if self._hi(j) == INFINITY:
                uj = fmax(uj, u[j])
            if self._lo(j) == -INFINITY:
                uj = fmax(uj, -u[j])
            if uj > bound:
                t = fmin(t, bound / uj)
        return t

    cdef double dual_value(self, const double *u, Py_ssize_t p, double t) noexcept nogil:
        # -g_j*(v).  For rho < 1 the sup over w is attained at the clipped maximizer
        # w* = clip(soft(v, a rho) / (a (1 - rho)), lo, hi); for rho = 1 it is the
        # support function of the interval, shifted by a on each side.
        cdef Py_ssize_t j
        cdef double acc = 0.0, a, v, ws, soft
        for j in range(p):
            a = self.alpha * self._omega(j)
            if a <= 0.0:
                continue
            v = t * u[j]
            if self.l1_ratio >= 1.0:
                if self.bounded:
                    acc += self._conj_l1(v, a, j)
                continue
            soft = v - a * self.l1_ratio if v > a * self.l1_ratio else (
                v + a * self.l1_ratio if v < -a * self.l1_ratio else 0.0)
            ws = soft / (a * (1.0 - self.l1_ratio))
            if self.bounded:
                ws = fmin(fmax(ws, self.lower[j]), self.upper[j])
            acc -= v * ws - self.value_j(ws, j)
        return acc


cdef inline double _h(double x, double u, double step, double px) noexcept nogil:
    # objective of the 1-D prox at x >= 0 for |v| = u: (x - u)^2 / (2 step) + p(x)
    return (x - u) * (x - u) / (2.0 * step) + px


cdef inline double _mcp_p(double x, double a, double g) noexcept nogil:
    # MCP p(x) = a x - x^2 / (2 g) for 0 <= x <= g a, g a^2 / 2 beyond
    if x <= g * a:
        return a * x - x * x / (2.0 * g)
    return 0.5 * g * a * a


cdef inline double _mcp_prox_abs(double u, double step, double a, double g) noexcept nogil:
    # argmin_{x >= 0} (x - u)^2 / (2 step) + p(x) for MCP (slope a at 0, concavity g),
    # exactly for any step: the best of the pieces' minimizers and the breakpoint.
    cdef double t = g * a, best = 0.0, fbest = _h(0.0, u, step, 0.0)
    cdef double x, fx, c = 1.0 - step / g
    # piece [0, g a]: stationary point (u - step a) / (1 - step / g) when it is convex
    if c > 0.0:
        x = fmin(fmax((u - step * a) / c, 0.0), t)
        fx = _h(x, u, step, _mcp_p(x, a, g))
        if fx < fbest:
            best, fbest = x, fx
    x = t  # the breakpoint (the piece may be concave: its minimum is at an end)
    fx = _h(x, u, step, _mcp_p(x, a, g))
    if fx < fbest:
        best, fbest = x, fx
    if u > t:  # piece (g a, inf): p is constant, minimizer u
        fx = _h(u, u, step, _mcp_p(u, a, g))
        if fx < fbest:
            best, fbest = u, fx
    return best


cdef class _Folded(Penalty):
    """Folded-concave penalties omega_j p(|w_j|) with p(0) = 0, p'(0+) = alpha.

    The proximal operator is computed exactly for any step: the 1-D objective is a
    piecewise quadratic, so its minimizer is the best of the stationary points of the
    pieces (clipped to them) and the breakpoints; its sign is the sign of v.
    """

    def __init__(self, double alpha, double gamma, weights=None, bint positive=False):
        self.convex = False
        self.alpha = alpha
        self.gamma = gamma
        self.positive = positive
        self.unit = weights is None
        self.weights = np.ones(1) if weights is None else weights

    cdef inline double _a(self, Py_ssize_t j) noexcept nogil:
        return self.alpha * (1.0 if self.unit else self.weights[j])

    cdef double _p(self, double x, double a) noexcept nogil:
        return 0.0

    cdef double _dp(self, double x, double a) noexcept nogil:
        return 0.0

    cdef double _prox_abs(self, double u, double step, double a) noexcept nogil:
        return u

    cdef double value_j(self, double w, Py_ssize_t j) noexcept nogil:
        return self._p(fabs(w), self._a(j))

    cdef double prox(self, double v, double step, Py_ssize_t j) noexcept nogil:
        cdef double a = self._a(j), x
        if step <= 0.0:  # projection only
            return fmax(v, 0.0) if self.positive else v
        if self.positive and v <= 0.0:
            return 0.0
        if a <= 0.0:
            return v
        x = self._prox_abs(fabs(v), step, a)
        return x if v >= 0.0 else -x

    def py_set_curvatures(self, const double[::1] curv):
        """Give the exact curvatures L_j of the datafit along each coordinate (the
        solver does, for least squares): they define the optimality of a coordinate at 0,
        below."""
        self.curv = curv
        self.have_curv = True

    def py_zero_threshold(self, double L, Py_ssize_t j=0):
        """The smallest |grad| at which the exact coordinate step from 0 with curvature
        L leaves 0 (for the tests)."""
        return self._zero_threshold(self._a(j), L)

    cdef double _zero_threshold(self, double a, double L) noexcept nogil:
        return a

    cdef double subdiff_dist(self, double w, double grad, Py_ssize_t j) noexcept nogil:
        # On the support, first-order (Frechet) stationarity: -grad = sign(w) p'(|w|).
        # At 0 the Frechet condition is |grad| <= alpha. When the coordinate problem
        # min_x grad x + L x^2 / 2 + p(|x|) is nonconvex (L < 1 / gamma for MCP), 0 can
        # meet it and still not be the coordinate's minimizer: the exact step jumps to a
        # nonzero value once |grad| exceeds a threshold t(L) < alpha. With the curvatures
        # known, the condition at 0 is |grad| <= t(L_j) (-grad <= t with positivity):
        # the point is then a coordinate-wise minimum, not only stationary.
        cdef double a = self._a(j), t
        if w > 0.0:
            return fabs(grad + self._dp(w, a))
        if w < 0.0:
            return fabs(grad - self._dp(-w, a))
        t = a
        if self.have_curv and a > 0.0 and self.curv[j] > 0.0:
            t = self._zero_threshold(a, self.curv[j])
        if self.positive:
            return fmax(0.0, -grad - t)
        return fmax(0.0, fabs(grad) - t)

    cdef bint is_penalized(self, Py_ssize_t j) noexcept nogil:
        return self._a(j) > 0.0


cdef class MCPenalty(_Folded):
    """Minimax concave penalty: p(x) = a x - x^2 / (2 gamma) for x <= gamma a, else
    gamma a^2 / 2 (Zhang, 2010)."""

    cdef double _p(self, double x, double a) noexcept nogil:
        if x <= self.gamma * a:
            return a * x - x * x / (2.0 * self.gamma)
        return 0.5 * self.gamma * a * a

    cdef double _dp(self, double x, double a) noexcept nogil:
        return fmax(a - x / self.gamma, 0.0)

    cdef double _prox_abs(self, double u, double step, double a) noexcept nogil:
        return _mcp_prox_abs(u, step, a, self.gamma)

    cdef double _zero_threshold(self, double a, double L) noexcept nogil:
        # With step s = 1 / L >= gamma the piece [0, gamma a] of the coordinate problem
        # is concave: from 0 the only competitor is the flat piece's minimizer u = |g| / L
        # (or its end gamma a, which never wins first), better than 0 once
        # u^2 / (2 s) > gamma a^2 / 2, i.e. |g| > a sqrt(gamma L). Otherwise soft
        # thresholding: |g| > a.
        if L * self.gamma >= 1.0:
            return a
        return a * sqrt(self.gamma * L)


cdef class SCADPenalty(_Folded):
    """Smoothly clipped absolute deviation: p(x) = a x for x <= a,
    (2 gamma a x - x^2 - a^2) / (2 (gamma - 1)) for a < x <= gamma a, else
    a^2 (gamma + 1) / 2 (Fan & Li, 2001)."""

    cdef double _p(self, double x, double a) noexcept nogil:
        cdef double g = self.gamma
        if x <= a:
            return a * x
        if x <= g * a:
            return (2.0 * g * a * x - x * x - a * a) / (2.0 * (g - 1.0))
        return 0.5 * a * a * (g + 1.0)

    cdef double _dp(self, double x, double a) noexcept nogil:
        cdef double g = self.gamma
        if x <= a:
            return a
        return fmax(g * a - x, 0.0) / (g - 1.0)

    cdef double _prox_abs(self, double u, double step, double a) noexcept nogil:
        cdef double g = self.gamma, t = g * a, best = 0.0, fbest = _h(0.0, u, step, 0.0)
        cdef double x, fx, c = 1.0 - step / (g - 1.0)
        # piece [0, a]: soft thresholding, clipped
        x = fmin(fmax(u - step * a, 0.0), a)
        fx = _h(x, u, step, self._p(x, a))
        if fx < fbest:
            best, fbest = x, fx
        # piece [a, gamma a]
        if c > 0.0:
            x = fmin(fmax((u - step * g * a / (g - 1.0)) / c, a), t)
            fx = _h(x, u, step, self._p(x, a))
            if fx < fbest:
                best, fbest = x, fx
        x = t
        fx = _h(x, u, step, self._p(x, a))
        if fx < fbest:
            best, fbest = x, fx
        if u > t:
            fx = _h(u, u, step, self._p(u, a))
            if fx < fbest:
                best, fbest = u, fx
        return best


    cdef double _zero_threshold(self, double a, double L) noexcept nogil:
        # Step s = 1 / L, u = |g| / L. Below u = s a the linear piece keeps x at 0, so a
        # move from 0 needs a farther candidate: the end gamma a of the concave middle
        # piece, better than 0 once u > a (gamma^2 + q) / (2 gamma) with q = s (gamma + 1),
        # when that is below gamma a (q < gamma^2); else x = u on the flat piece, better
        # once u^2 / (2 s) > a^2 (gamma + 1) / 2, i.e. u > a sqrt(q). For
        # s <= gamma - 1 (a convex coordinate problem) this is s a: the slope a.
        cdef double g = self.gamma, s = 1.0 / L, q = s * (g + 1.0), u
        if q < g * g:
            u = a * (g * g + q) / (2.0 * g)
        else:
            u = a * sqrt(q)
        return L * fmin(u, s * a)


cdef class L0Penalty(Penalty):
    """g(w) = alpha sum_j omega_j [w_j != 0]: the count of nonzeros, nonconvex.

    Its prox is hard thresholding: keep v when v^2 / (2 step) > alpha omega_j. Its
    Frechet subdifferential at 0 is the whole line, so the optimality violation is
    |grad_j| on the support and 0 off it: the solver stops at a coordinate-wise
    minimum of the steps it takes (a stationary point of the smooth part on the
    support), which depends on where it starts.
    """

    def __init__(self, double alpha, weights=None, bint positive=False):
        self.convex = False
        self.alpha = alpha
        self.positive = positive
        self.unit = weights is None
        self.weights = np.ones(1) if weights is None else weights

    cdef double value_j(self, double w, Py_ssize_t j) noexcept nogil:
        if w == 0.0:
            return 0.0
        return self.alpha * (1.0 if self.unit else self.weights[j])

    cdef double prox(self, double v, double step, Py_ssize_t j) noexcept nogil:
        cdef double a = self.alpha * (1.0 if self.unit else self.weights[j])
        if self.positive and v <= 0.0:
            return 0.0
        if step <= 0.0 or v * v > 2.0 * step * a:
            return v
        return 0.0

    def py_set_lipschitz(self, const double[::1] lips):
        """Give the coordinate Lipschitz constants (the solver does, after building the
        datafit): they define the optimality of a coordinate at 0, below."""
        self.lips = lips
        self.have_lips = True

    cdef double subdiff_dist(self, double w, double grad, Py_ssize_t j) noexcept nogil:
        # On the support: the smooth part must be stationary, |grad| = 0. At 0 the
        # Frechet subdifferential is the whole line, which would accept any point; the
        # coordinate-wise notion is used instead: an exact step with curvature L_j keeps
        # w_j at 0 iff grad^2 / (2 L_j) <= alpha omega_j.
        cdef double a, g
        if w != 0.0:
            return fabs(grad)
        if not self.have_lips or self.lips[j] <= 0.0:
            return 0.0
        a = self.alpha * (1.0 if self.unit else self.weights[j])
        g = -grad if self.positive else fabs(grad)
        return fmax(0.0, g - sqrt(2.0 * a * self.lips[j]))

    cdef bint is_penalized(self, Py_ssize_t j) noexcept nogil:
        return self.alpha * (1.0 if self.unit else self.weights[j]) > 0.0


cdef class CEL0Penalty(Penalty):
    """The continuous exact l0 penalty (Soubies, Blanc-Feraud & Aubert, 2015):
    phi_j(x) = lam_j - (c_j / 2) (|x| - sqrt(2 lam_j / c_j))^2 for |x| <= sqrt(2 lam_j / c_j),
    lam_j beyond, with lam_j = alpha omega_j and c_j = a_j^2 the curvature of the datafit
    along coordinate j (||x_j||^2 / n for least squares).

    It is MCP with slope sqrt(2 lam_j c_j) at 0 and concavity 1 / c_j, per coordinate:
    value, prox and optimality violation are MCP's with those parameters. The curvatures
    are given at construction or, when not, by the solver (py_set_lipschitz).
    """

    def __init__(self, double alpha, weights=None, bint positive=False, curvatures=None):
        self.convex = False
        self.alpha = alpha
        self.positive = positive
        self.unit = weights is None
        self.weights = np.ones(1) if weights is None else weights
        self.fixed = curvatures is not None
        if self.fixed:
            self.lips = curvatures
            self.have_lips = True

    def py_set_lipschitz(self, const double[::1] lips):
        """The solver's coordinate Lipschitz constants: the curvatures c_j, unless they
        were given at construction."""
        if not self.fixed:
            self.lips = lips
            self.have_lips = True

    cdef inline bint _params(self, Py_ssize_t j, double *a, double *g) noexcept nogil:
        # MCP parameters of coordinate j; False when phi_j = 0 (no curvature, or lam = 0)
        cdef double lam = self.alpha * (1.0 if self.unit else self.weights[j]), c
        if not self.have_lips or lam <= 0.0:
            return False
        c = self.lips[j]
        if c <= 0.0:
            return False
        a[0] = sqrt(2.0 * lam * c)
        g[0] = 1.0 / c
        return True

    cdef double value_j(self, double w, Py_ssize_t j) noexcept nogil:
        cdef double a, g
        if not self._params(j, &a, &g):
            return 0.0
        return _mcp_p(fabs(w), a, g)

    cdef double prox(self, double v, double step, Py_ssize_t j) noexcept nogil:
        cdef double a, g, x
        if step <= 0.0 or (self.positive and v <= 0.0):
            return fmax(v, 0.0) if self.positive else v
        if not self._params(j, &a, &g):
            return v
        x = _mcp_prox_abs(fabs(v), step, a, g)
        return x if v >= 0.0 else -x

    cdef double subdiff_dist(self, double w, double grad, Py_ssize_t j) noexcept nogil:
        cdef double a = 0.0, g = 1.0
        if not self._params(j, &a, &g):
            a = 0.0
        if w > 0.0:
            return fabs(grad + fmax(a - w / g, 0.0))
        if w < 0.0:
            return fabs(grad - fmax(a + w / g, 0.0))
        if self.positive:
            return fmax(0.0, -grad - a)
        return fmax(0.0, fabs(grad) - a)

    cdef bint is_penalized(self, Py_ssize_t j) noexcept nogil:
        return self.alpha * (1.0 if self.unit else self.weights[j]) > 0.0
