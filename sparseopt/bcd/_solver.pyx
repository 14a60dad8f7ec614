# The inner loop of the BCD engine: coordinate updates over a working set, with Anderson
# extrapolation, and the intercept polish that makes the dual point feasible.
# The outer loop (gap, working sets, history, warnings) is in solver.py.
from libc.math cimport fabs, fmax, fmin
from libc.stdint cimport int32_t, uint64_t
from libc.stdlib cimport free, malloc

from sparseopt.bcd._datafits cimport Datafit
from sparseopt.bcd._penalties cimport Penalty
from sparseopt.bcd._rng cimport seed_state, xorshift

import numpy as np

cdef enum:
    MAX_ANDERSON = 10

# Selection rules of the inner loop (codes shared with solver.py)
cdef enum:
    _SEL_CYCLIC = 0
    _SEL_RANDOM = 1
SEL_CYCLIC = _SEL_CYCLIC
SEL_RANDOM = _SEL_RANDOM


cdef inline double _coord_step(Datafit df, Penalty pen, double *w, Py_ssize_t j) noexcept nogil:
    """Proximal coordinate step with the coordinate's Lipschitz bound; returns |change|.

    For the quadratic datafit the bound is the exact curvature, so the step is exact
    coordinate minimization.
    """
    cdef double L = df.lipschitz[j], old = w[j], new, g
    if L <= 0.0:  # an all-zero column: only the penalty acts on w_j
        new = pen.prox(old, 1e300, j)
    else:
        g = df.grad_j(j)
        new = pen.prox(old - g / L, 1.0 / L, j)
    if new != old:
        df.update_j(j, new - old)
        w[j] = new
    return fabs(new - old)


cdef double _intercept_newton(Datafit df, double *b, int max_steps, double tol) noexcept nogil:
    """Minimize over the intercept alone (safeguarded Newton); returns |grad| at the end."""
    cdef int k
    cdef double g = df.grad_intercept(), h, step, f0
    for k in range(max_steps):
        if fabs(g) <= tol:
            break
        h = fmax(df.intercept_hessian(), 1e-12)
        step = -g / h
        f0 = df.value()
        df.update_intercept(step)
        # Newton on a convex 1-D function can overshoot from far away: halve until decrease
        while df.value() > f0 and fabs(step) > 1e-16:
            df.update_intercept(-0.5 * step)
            step *= 0.5
        b[0] += step
        g = df.grad_intercept()
    return fabs(g)


def polish_intercept(Datafit df, double[::1] b, int max_steps=50, double tol=1e-12):
    """Python entry: optimize the intercept ``b[0]`` with the coefficients fixed."""
    with nogil:
        g = _intercept_newton(df, &b[0], max_steps, tol)
    return g


cdef double _ws_violation(Datafit df, Penalty pen, const double *w, const int32_t *ws,
                          Py_ssize_t m) noexcept nogil:
    cdef Py_ssize_t k
    cdef double viol = 0.0, d
    for k in range(m):
        d = pen.subdiff_dist(w[ws[k]], df.grad_j(ws[k]), ws[k])
        if d > viol:
            viol = d
    return viol


cdef double _ws_objective(Datafit df, Penalty pen, const double *w, const int32_t *ws,
                          Py_ssize_t m) noexcept nogil:
    # The objective up to the penalty of features outside the working set (constant here).
    cdef Py_ssize_t k
    cdef double acc = df.value()
    for k in range(m):
        acc += pen.value_j(w[ws[k]], ws[k])
    return acc


cdef bint _solve_small(double *A, double *x, int K) noexcept nogil:
    """Solve A x = x (A is K x K, symmetric positive semi-definite) by Gaussian elimination
    with partial pivoting, in place.  Returns False when A is numerically singular."""
    cdef int i, r, c, piv
    cdef double best, tmp, f
    for c in range(K):
        piv = c
        best = fabs(A[c * K + c])
        for r in range(c + 1, K):
            if fabs(A[r * K + c]) > best:
                best = fabs(A[r * K + c])
                piv = r
        if best < 1e-14:
            return False
        if piv != c:
            for i in range(K):
                tmp = A[c * K + i]
                A[c * K + i] = A[piv * K + i]
                A[piv * K + i] = tmp
            tmp = x[c]
            x[c] = x[piv]
            x[piv] = tmp
        for r in range(c + 1, K):
            f = A[r * K + c] / A[c * K + c]
            for i in range(c, K):
                A[r * K + i] -= f * A[c * K + i]
            x[r] -= f * x[c]
    for r in range(K - 1, -1, -1):
        tmp = x[r]
        for i in range(r + 1, K):
            tmp -= A[r * K + i] * x[i]
        x[r] = tmp / A[r * K + r]
    return True


cdef bint _extrapolate(const double *hist, int K, Py_ssize_t mm, double *U,
                       double *x) noexcept nogil:
    """Anderson extrapolation of the K+1 rows of hist (length mm each, oldest first)
    into x: with U_k = h_{k+1} - h_k, c = argmin ||U c|| s.t. sum c = 1, and
    x = sum_k c_k h_{k+1}. U is scratch (K x mm). Returns False if it is ill-posed."""
    cdef Py_ssize_t k, i
    cdef double C[MAX_ANDERSON * MAX_ANDERSON]
    cdef double c[MAX_ANDERSON]
    cdef double s, acc
    cdef int a, bb
    for k in range(K):
        for i in range(mm):
            U[k * mm + i] = hist[(k + 1) * mm + i] - hist[k * mm + i]
    for a in range(K):
        for bb in range(a, K):
            acc = 0.0
            for i in range(mm):
                acc += U[a * mm + i] * U[bb * mm + i]
            C[a * K + bb] = acc
            C[bb * K + a] = acc
        c[a] = 1.0
    if not _solve_small(C, c, K):
        return False
    s = 0.0
    for a in range(K):
        s += c[a]
    if s == 0.0:
        return False
    for i in range(mm):
        acc = 0.0
        for a in range(K):
            acc += c[a] * hist[(a + 1) * mm + i]
        x[i] = acc / s
    return True


cdef bint _anderson(Datafit df, Penalty pen, double *w, double *b, const int32_t *ws,
                    Py_ssize_t m, double *hist, int K, bint fit_intercept) noexcept nogil:
    """Try the Anderson extrapolation of the last K+1 iterates stored in hist; keep it only
    if it lowers the objective.  hist holds K+1 rows of (w[ws], b) of length m + 1."""
    cdef Py_ssize_t k, mm = m + 1
    cdef double d, f_old, f_new
    cdef bint ok
    cdef double *U = <double *>malloc(K * mm * sizeof(double))
    cdef double *x = <double *>malloc(mm * sizeof(double))
    if U == NULL or x == NULL:
        free(U)
        free(x)
        return False
    ok = _extrapolate(hist, K, mm, U, x)
    free(U)
    if not ok:
        free(x)
        return False
    f_old = _ws_objective(df, pen, w, ws, m)
    # move to the extrapolated point
    for k in range(m):
        x[k] = pen.prox(x[k], 0.0, ws[k])  # respect hard constraints (positivity)
        d = x[k] - w[ws[k]]
        if d != 0.0:
            df.update_j(ws[k], d)
            w[ws[k]] = x[k]
    if fit_intercept and x[m] != b[0]:
        df.update_intercept(x[m] - b[0])
        d = b[0]
        b[0] = x[m]
        x[m] = d  # remember the old intercept
    else:
        x[m] = b[0]
    f_new = _ws_objective(df, pen, w, ws, m)
    if f_new < f_old:
        free(x)
        return True
    # reject: go back to the last iterate (the newest row of hist)
    for k in range(m):
        d = hist[K * mm + k] - w[ws[k]]
        if d != 0.0:
            df.update_j(ws[k], d)
            w[ws[k]] = hist[K * mm + k]
    if fit_intercept and b[0] != x[m]:
        df.update_intercept(x[m] - b[0])
        b[0] = x[m]
    free(x)
    return False


def cd_epochs(Datafit df, Penalty pen, double[::1] w, double[::1] b,
              const int32_t[::1] ws, int max_epochs, double tol, bint fit_intercept,
              int selection=_SEL_CYCLIC, int anderson=5, int check_every=5,
              unsigned long long seed=0):
    """Coordinate epochs over the features ``ws`` until their largest optimality violation
    is at most ``tol`` (checked every ``check_every`` epochs) or ``max_epochs`` is reached.

    Updates ``w`` (all features), ``b[0]`` (the intercept) and the datafit's state in
    place.  Returns ``(epochs run, last violation measured, extrapolations accepted)``.
    """
    cdef Py_ssize_t m = ws.shape[0], mm = m + 1, k, r, i
    cdef int epoch = 0, n_acc = 0, K = min(max(anderson, 0), MAX_ANDERSON), filled = 0
    cdef double viol = -1.0, step
    cdef uint64_t state = seed_state(seed)
    cdef double *wp = &w[0] if w.shape[0] > 0 else NULL
    cdef double *hist = NULL
    if m == 0 and not fit_intercept:
        return 0, 0.0, 0
    if K >= 2:
        hist = <double *>malloc((K + 1) * mm * sizeof(double))
        if hist == NULL:
            raise MemoryError()
    with nogil:
        for epoch in range(1, max_epochs + 1):
            if selection == _SEL_RANDOM:
                for r in range(m):
                    _coord_step(df, pen, wp, ws[xorshift(&state) % m])
            else:
                for k in range(m):
                    _coord_step(df, pen, wp, ws[k])
            if fit_intercept:
                step = -df.grad_intercept() / df.intercept_lipschitz()
                df.update_intercept(step)
                b[0] += step
            if hist != NULL:
                # shift in the newest iterate (rows 0..K, newest last)
                if filled == K + 1:
                    for i in range(K * mm):
                        hist[i] = hist[i + mm]
                    filled = K
                for k in range(m):
                    hist[filled * mm + k] = wp[ws[k]]
                hist[filled * mm + m] = b[0]
                filled += 1
                if filled == K + 1:
                    if _anderson(df, pen, wp, &b[0], &ws[0] if m else NULL, m, hist, K,
                                 fit_intercept):
                        n_acc += 1
                    filled = 0
            if epoch % check_every == 0 or epoch == max_epochs:
                viol = _ws_violation(df, pen, wp, &ws[0] if m else NULL, m)
                if fit_intercept:
                    viol = fmax(viol, fabs(df.grad_intercept()))
                if viol <= tol:
                    break
    free(hist)
    return epoch, viol, n_acc


def prox_newton(Datafit df, Penalty pen, double[::1] w, double[::1] b,
                const int32_t[::1] ws, int max_newton, int max_cd, double tol,
                bint fit_intercept):
    """Proximal Newton steps on the features ``ws`` (the "matrix" block update).

    Each step minimizes the second-order model of the datafit plus the penalty over the
    working set by coordinate descent (``h * X d`` is kept current, so a model gradient
    is one dot product), then takes the longest step t in {1, 1/2, ...} that passes an
    Armijo test on the true objective.  For the quadratic datafit the model is exact.
    Stops when the working set's largest violation is at most ``tol``.
    Returns ``(Newton steps, CD epochs, last violation)``.
    """
    cdef Py_ssize_t m = ws.shape[0], n = df.X.n_samples, k, i, j
    cdef int it = 0, ep, ls, n_cd = 0
    cdef bint accepted
    cdef double viol = 0.0, gb = 0.0, Lb, gm, old, new, delta, db, maxstep, f0, ft, dec, tstep
    cdef double *wp = &w[0] if w.shape[0] > 0 else NULL
    h_a = np.zeros(n)
    xd_a = np.zeros(n)
    v_a = np.zeros(n)
    d_a = np.zeros(max(m, 1))
    g_a = np.zeros(max(m, 1))
    lq_a = np.zeros(max(m, 1))
    cdef double[::1] h = h_a, xd = xd_a, v = v_a, d = d_a, g = g_a, lq = lq_a
    cdef double *hp = &h[0] if n > 0 else NULL
    cdef double *xdp = &xd[0] if n > 0 else NULL
    cdef double *vp = &v[0] if n > 0 else NULL
    if n == 0 or (m == 0 and not fit_intercept):
        return 0, 0, 0.0
    with nogil:
        for it in range(1, max_newton + 1):
            df.hessian_diag(hp)
            viol = 0.0
            for k in range(m):
                j = ws[k]
                g[k] = df.grad_j(j)
                lq[k] = df.X.col_sqnorm(j, hp)
                viol = fmax(viol, pen.subdiff_dist(wp[j], g[k], j))
            Lb = 0.0
            if fit_intercept:
                gb = df.grad_intercept()
                for i in range(n):
                    Lb += h[i]
                viol = fmax(viol, fabs(gb))
            if viol <= tol:
                it -= 1
                break
            # coordinate descent on the model  g.d + 1/2 d'X'HXd + pen(w + d)
            for i in range(n):
                xd[i] = 0.0
                v[i] = 0.0
            for k in range(m):
                d[k] = 0.0
            db = 0.0
            for ep in range(max_cd):
                n_cd += 1
                maxstep = 0.0
                for k in range(m):
                    if lq[k] <= 0.0:
                        continue
                    j = ws[k]
                    gm = g[k] + df.X.col_dot(j, vp)
                    old = wp[j] + d[k]
                    new = pen.prox(old - gm / lq[k], 1.0 / lq[k], j)
                    delta = new - old
                    if delta != 0.0:
                        d[k] += delta
                        df.X.col_axpy(j, delta, xdp)
                        df.X.col_axpy_weighted(j, delta, hp, vp)
                        maxstep = fmax(maxstep, fabs(delta) * lq[k])
                if fit_intercept and Lb > 0.0:
                    gm = gb
                    for i in range(n):
                        gm += v[i]
                    delta = -gm / Lb
                    db += delta
                    for i in range(n):
                        xd[i] += delta
                        v[i] += delta * h[i]
                    maxstep = fmax(maxstep, fabs(delta) * Lb)
                if maxstep <= 0.1 * viol:
                    break
            # Armijo backtracking on F(w + t d)
            f0 = df.value()
            dec = gb * db
            for k in range(m):
                j = ws[k]
                f0 += pen.value_j(wp[j], j)
                dec += g[k] * d[k] + pen.value_j(wp[j] + d[k], j) - pen.value_j(wp[j], j)
            tstep = 1.0
            # Near the optimum the predicted decrease drops below what F can resolve in
            # floating point (but the gap still needs the step): the model is accurate
            # there, so take the unit step instead of an Armijo test that cannot decide.
            # Not when the model's Hessian is only the diagonal part of the datafit's
            # (multinomial): the unit step can then go uphill.
            if fabs(dec) > 1e-13 * fabs(f0) or not df.exact_hessian_diag:
                accepted = False
                for ls in range(40):
                    ft = df.value_along(xdp, tstep)
                    for k in range(m):
                        ft += pen.value_j(wp[ws[k]] + tstep * d[k], ws[k])
                    if ft <= f0 + 1e-4 * tstep * fmin(dec, 0.0):
                        accepted = True
                        break
                    tstep *= 0.5
                if not accepted:
                    tstep = 0.0  # no decrease found: keep the iterate
            if tstep == 0.0:
                break
            for k in range(m):
                if d[k] != 0.0:
                    wp[ws[k]] = pen.prox(wp[ws[k]] + tstep * d[k], 0.0, ws[k])
            b[0] += tstep * db
            df.move_along(xdp, tstep)
    return it, n_cd, viol


cdef double _gram_objective(Penalty pen, const double *wl, const double *g, const double *q,
                            double b, double gint, double qint, const int32_t *ws,
                            Py_ssize_t m) noexcept nogil:
    # For least squares, f = 1/2 v'Bv - q'v + const with v = (w_ws, b) and g = Bv - q,
    # so f - const = 1/2 v'(g - q): O(m), no pass over the samples.
    cdef Py_ssize_t a
    cdef double acc = 0.5 * b * (gint - qint)
    for a in range(m):
        acc += 0.5 * wl[a] * (g[a] - q[a]) + pen.value_j(wl[a], ws[a])
    return acc


cdef void _gram_move(double *wl, double *g, double *gint, double *b, const double[:, ::1] B,
                     const double *xbar, const double *x, Py_ssize_t m,
                     bint fit_intercept) noexcept nogil:
    # Jump to the point x (m coefficients, then the intercept), keeping g current.
    cdef Py_ssize_t a, c
    cdef double d
    for a in range(m):
        d = x[a] - wl[a]
        if d != 0.0:
            for c in range(m):
                g[c] += B[a, c] * d
            if fit_intercept:
                gint[0] += xbar[a] * d
            wl[a] = x[a]
    if fit_intercept:
        d = x[m] - b[0]
        if d != 0.0:
            for c in range(m):
                g[c] += xbar[c] * d
            gint[0] += d
            b[0] = x[m]


def cd_epochs_gram(Penalty pen, double[::1] w, double[::1] b, const int32_t[::1] ws,
                   const double[:, ::1] B, double[::1] g, xbar, double gint, int max_epochs,
                   double tol, bint fit_intercept, int selection=_SEL_CYCLIC,
                   int anderson=5, int check_every=5, unsigned long long seed=0):
    """Coordinate epochs for least squares on the working set ``ws`` through its Gram
    matrix ``B = X_ws^T diag(s) X_ws / S``: a coordinate update costs O(m) instead of
    O(n), which pays when the working set is smaller than the number of samples.

    ``g`` holds the working set's gradient on entry (it is updated in place), ``gint``
    the intercept's, ``xbar = X_ws^T s / S`` the intercept's column of the Hessian (its
    own curvature is 1). Anderson extrapolation as in :func:`cd_epochs`, with the
    objective evaluated in O(m). The datafit's state is not maintained: the caller
    rebuilds it. Returns ``(epochs, last violation, extrapolations accepted)``.
    """
    cdef Py_ssize_t m = ws.shape[0], mm = m + 1, k, r, i, a, c
    cdef int epoch = 0, n_acc = 0, K = min(max(anderson, 0), MAX_ANDERSON), filled = 0
    cdef double viol = -1.0, L, old, new, d, qint = 0.0, f_old, f_new, acc
    cdef uint64_t state = seed_state(seed)
    cdef const double[::1] xb = xbar if fit_intercept else np.zeros(max(m, 1))
    wl_a = np.asarray(w)[np.asarray(ws)].copy() if m else np.zeros(1)
    # q = X_ws^T s y / S (constant): g = B w + xbar b - q
    q_a = np.asarray(B) @ wl_a[:m] - np.asarray(g) if m else np.zeros(1)
    if fit_intercept and m:
        q_a += np.asarray(xb)[:m] * b[0]
    x_a = np.zeros(mm)
    cdef double[::1] wl = wl_a, q = q_a, xv = x_a
    cdef double gi = gint
    cdef double *hist = NULL
    cdef double *U = NULL
    if m == 0 and not fit_intercept:
        return 0, 0.0, 0
    if fit_intercept:
        acc = 0.0
        for a in range(m):
            acc += xb[a] * wl[a]
        qint = acc + b[0] - gi
    if K >= 2:
        hist = <double *>malloc((K + 1) * mm * sizeof(double))
        U = <double *>malloc(K * mm * sizeof(double))
        if hist == NULL or U == NULL:
            free(hist)
            free(U)
            raise MemoryError()
    with nogil:
        for epoch in range(1, max_epochs + 1):
            for r in range(m):
                a = <Py_ssize_t>(xorshift(&state) % <uint64_t>m) if selection == _SEL_RANDOM else r
                L = B[a, a]
                old = wl[a]
                if L <= 0.0:
                    new = pen.prox(old, 1e300, ws[a])
                else:
                    new = pen.prox(old - g[a] / L, 1.0 / L, ws[a])
                d = new - old
                if d != 0.0:
                    for c in range(m):
                        g[c] += B[a, c] * d
                    if fit_intercept:
                        gi += xb[a] * d
                    wl[a] = new
            if fit_intercept and gi != 0.0:
                d = -gi
                for c in range(m):
                    g[c] += xb[c] * d
                gi = 0.0
                b[0] += d
            if hist != NULL:
                if filled == K + 1:
                    for i in range(K * mm):
                        hist[i] = hist[i + mm]
                    filled = K
                for a in range(m):
                    hist[filled * mm + a] = wl[a]
                hist[filled * mm + m] = b[0]
                filled += 1
                if filled == K + 1:
                    filled = 0
                    if _extrapolate(hist, K, mm, U, &xv[0]):
                        for a in range(m):
                            xv[a] = pen.prox(xv[a], 0.0, ws[a])
                        if not fit_intercept:
                            xv[m] = b[0]
                        f_old = _gram_objective(pen, &wl[0], &g[0], &q[0], b[0], gi,
                                                qint, &ws[0], m)
                        _gram_move(&wl[0], &g[0], &gi, &b[0], B, &xb[0], &xv[0], m,
                                   fit_intercept)
                        f_new = _gram_objective(pen, &wl[0], &g[0], &q[0], b[0], gi,
                                                qint, &ws[0], m)
                        if f_new < f_old:
                            n_acc += 1
                        else:  # back to the last iterate (the newest row of hist)
                            _gram_move(&wl[0], &g[0], &gi, &b[0], B, &xb[0],
                                       &hist[K * mm], m, fit_intercept)
            if epoch % check_every == 0 or epoch == max_epochs:
                viol = fabs(gi) if fit_intercept else 0.0
                for a in range(m):
                    viol = fmax(viol, pen.subdiff_dist(wl[a], g[a], ws[a]))
                if viol <= tol:
                    break
        for a in range(m):
            w[ws[a]] = wl[a]
    free(hist)
    free(U)
    return epoch, viol, n_acc
