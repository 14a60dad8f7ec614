# The inner loop of group block coordinate descent: one proximal gradient step per group
# (block soft-thresholding with the group's Lipschitz bound), over the groups of a
# working set, for any single-output compiled datafit.  The outer loop (gap, working sets
# over groups, history) is in group.py.  Groups are given as a CSR-like pair
# (gptr, gidx): the features of group g are gidx[gptr[g]:gptr[g + 1]], validated in
# Python (a partition of range(n_features)), trusted here.
from libc.math cimport fabs, fmax, sqrt
from libc.stdint cimport int32_t, int64_t, uint64_t
from libc.stdlib cimport free, malloc

from sparseopt.bcd._datafits cimport Datafit
from sparseopt.bcd._design cimport Design
from sparseopt.bcd._rng cimport seed_state, xorshift

import numpy as np


cdef double _group_step(Datafit df, double *w, const int32_t *feat, Py_ssize_t m,
                        double L, double thresh, bint positive, double *buf) noexcept nogil:
    """w_g <- prox_{thresh/L ||.||}(P(w_g - grad_g / L)); returns L ||change||.

    With positivity, P projects onto the non-negative orthant before the shrink: the
    prox of ``a ||v|| + ind(v >= 0)`` is the group shrink of the projection (the norm
    of the projection is what the shrink sees, and both steps keep directions)."""
    cdef Py_ssize_t k
    cdef int32_t j
    cdef double nrm = 0.0, scale, v, delta, change = 0.0
    if L <= 0.0:  # all-zero columns: only the penalty acts, and it wants zero
        for k in range(m):
            j = feat[k]
            if w[j] != 0.0:
                change += w[j] * w[j]
                df.update_j(j, -w[j])
                w[j] = 0.0
        return sqrt(change)
    for k in range(m):
        j = feat[k]
        v = w[j] - df.grad_j(j) / L
        if positive and v < 0.0:
            v = 0.0
        buf[k] = v
        nrm += v * v
    nrm = sqrt(nrm)
    scale = 1.0 - thresh / (L * nrm) if nrm > 0.0 else 0.0
    if scale < 0.0:
        scale = 0.0
    for k in range(m):
        j = feat[k]
        v = scale * buf[k]
        delta = v - w[j]
        if delta != 0.0:
            df.update_j(j, delta)
            w[j] = v
            change += delta * delta
    return L * sqrt(change)


cdef double _intercept_step(Datafit df, double *b) noexcept nogil:
    """One safeguarded Newton step on the intercept (exact for least squares); returns
    the intercept gradient before the step."""
    cdef double g = df.grad_intercept(), h, step, f0
    if g == 0.0:
        return 0.0
    h = fmax(df.intercept_hessian(), 1e-12)
    step = -g / h
    f0 = df.value()
    df.update_intercept(step)
    while df.value() > f0 and fabs(step) > 1e-16:
        df.update_intercept(-0.5 * step)
        step *= 0.5
    b[0] += step
    return fabs(g)


cdef double _ws_objective(Datafit df, const double *w, const int32_t *gptr,
                          const int32_t *gidx, const int32_t *ws, Py_ssize_t m,
                          const double *thresh) noexcept nogil:
    """The objective up to the penalty of the groups outside the working set."""
    cdef Py_ssize_t k, q
    cdef int32_t g
    cdef double acc = df.value(), nrm
    for k in range(m):
        g = ws[k]
        nrm = 0.0
        for q in range(gptr[g], gptr[g + 1]):
            nrm += w[gidx[q]] * w[gidx[q]]
        acc += thresh[g] * sqrt(nrm)
    return acc


cdef bint _anderson_weights(const double *hist, Py_ssize_t K, Py_ssize_t mf, double *C,
                            double *z) noexcept nogil:
    """Weights c (in z, summing to 1) of the Anderson extrapolation from K + 1 iterates
    (rows of hist): minimize ||sum_i c_i (x_{i+1} - x_i)|| subject to sum_i c_i = 1, i.e.
    solve (U^T U) z = 1 and normalize. False when the system is numerically singular."""
    cdef Py_ssize_t i, j, r, piv
    cdef double acc, t, s = 0.0, scale = 0.0
    for i in range(K):
        for j in range(i, K):
            acc = 0.0
            for r in range(mf):
                acc += ((hist[(i + 1) * mf + r] - hist[i * mf + r])
                        * (hist[(j + 1) * mf + r] - hist[j * mf + r]))
            C[i * K + j] = acc
            C[j * K + i] = acc
        z[i] = 1.0
        if C[i * K + i] > scale:
            scale = C[i * K + i]
    if scale <= 0.0:
        return False
    for i in range(K):  # Gaussian elimination with partial pivoting
        piv = i
        for r in range(i + 1, K):
            if fabs(C[r * K + i]) > fabs(C[piv * K + i]):
                piv = r
        if fabs(C[piv * K + i]) <= 1e-14 * scale:
            return False
        if piv != i:
            for j in range(K):
                t = C[i * K + j]
                C[i * K + j] = C[piv * K + j]
                C[piv * K + j] = t
            t = z[i]
            z[i] = z[piv]
            z[piv] = t
        for r in range(i + 1, K):
            t = C[r * K + i] / C[i * K + i]
            for j in range(i, K):
                C[r * K + j] -= t * C[i * K + j]
            z[r] -= t * z[i]
    for i in range(K - 1, -1, -1):
        acc = z[i]
        for j in range(i + 1, K):
            acc -= C[i * K + j] * z[j]
        z[i] = acc / C[i * K + i]
        s += z[i]
    if s == 0.0:
        return False
    for i in range(K):
        z[i] /= s
    return True


cdef void _extrapolate(Datafit df, double *w, double b, const int32_t *feat,
                       Py_ssize_t mf, const double *hist, Py_ssize_t K, double *C, double *z,
                       double *xe, bint positive, const int32_t *gptr, const int32_t *gidx,
                       const int32_t *ws, Py_ssize_t m, const double *thresh) noexcept nogil:
    """Replace w (on the working set) by its Anderson extrapolation when that lowers
    the objective; otherwise leave it (hist's last row is the current iterate)."""
    cdef Py_ssize_t i, r
    cdef double f_cur, f_new, v
    if not _anderson_weights(hist, K, mf, C, z):
        return
    for r in range(mf):
        v = 0.0
        for i in range(K):
            v += z[i] * hist[(i + 1) * mf + r]
        xe[r] = 0.0 if positive and v < 0.0 else v
    f_cur = _ws_objective(df, w, gptr, gidx, ws, m, thresh)
    for r in range(mf):
        w[feat[r]] = xe[r]
    df.reset(w, b)
    f_new = _ws_objective(df, w, gptr, gidx, ws, m, thresh)
    if not (f_new < f_cur):  # not better (or NaN): back to the iterate
        for r in range(mf):
            w[feat[r]] = hist[K * mf + r]
        df.reset(w, b)


def group_epochs(Datafit df, double[::1] w, double[::1] b, const int32_t[::1] gptr,
                 const int32_t[::1] gidx, const int32_t[::1] ws, const double[::1] lip,
                 const double[::1] thresh, bint positive, int max_epochs, double tol,
                 bint fit_intercept, int selection, uint64_t seed, int anderson=5):
    """Epochs of group proximal gradient steps over the groups ``ws``.

    ``lip[g]`` bounds the curvature of the datafit along group g, ``thresh[g]`` is
    ``alpha * weight_g``. ``selection`` 0 takes the groups in order, 1 at random (with
    replacement, ``len(ws)`` draws per epoch). With ``anderson = K > 0`` (cyclic order
    only), every K epochs the last K + 1 iterates are combined by Anderson
    extrapolation, kept when it lowers the objective. Stops once an epoch's largest
    ``L_g ||change_g||`` (and intercept gradient) is at most ``tol``; returns
    ``(epochs, last_change)``.
    """
    cdef Py_ssize_t m = ws.shape[0], k, q, g, max_size = 1, e, epochs = 0, mf = 0, r
    cdef Py_ssize_t K = anderson if selection == 0 else 0, filled = 0
    cdef double change = 0.0, c
    cdef uint64_t state = seed_state(seed)
    for k in range(m):
        g = ws[k]
        mf += gptr[g + 1] - gptr[g]
        if gptr[g + 1] - gptr[g] > max_size:
            max_size = gptr[g + 1] - gptr[g]
    feat_arr = np.empty(max(mf, 1), dtype=np.int32)
    cdef int32_t[::1] feat = feat_arr
    r = 0
    for k in range(m):
        g = ws[k]
        for q in range(gptr[g], gptr[g + 1]):
            feat[r] = gidx[q]
            r += 1
    hist_arr = np.empty(max((K + 1) * mf, 1))
    cdef double[::1] hist = hist_arr
    work_arr = np.empty(K * K + K + mf + 1)
    cdef double[::1] work = work_arr
    cdef double *buf = <double *> malloc(max_size * sizeof(double))
    if buf == NULL:
        raise MemoryError()
    try:
        with nogil:
            if K > 0:
                for r in range(mf):
                    hist[r] = w[feat[r]]
                filled = 1
            for e in range(max_epochs):
                epochs += 1
                change = 0.0
                for q in range(m):
                    if selection == 1:
                        k = <Py_ssize_t> (xorshift(&state) % <uint64_t> m)
                    else:
                        k = q
                    g = ws[k]
                    c = _group_step(df, &w[0], &gidx[gptr[g]], gptr[g + 1] - gptr[g],
                                    lip[g], thresh[g], positive, buf)
                    if c > change:
                        change = c
                if fit_intercept:
                    c = _intercept_step(df, &b[0])
                    if c > change:
                        change = c
                if change <= tol:
                    break
                if K > 0:
                    for r in range(mf):
                        hist[filled * mf + r] = w[feat[r]]
                    filled += 1
                    if filled == K + 1:
                        _extrapolate(df, &w[0], b[0], &feat[0], mf, &hist[0], K,
                                     &work[0], &work[K * K], &work[K * K + K], positive,
                                     &gptr[0], &gidx[0], &ws[0], m, &thresh[0])
                        for r in range(mf):
                            hist[r] = w[feat[r]]
                        filled = 1
    finally:
        free(buf)
    return epochs, change


def group_grams(Design X, sample_weight, const int32_t[::1] gptr,
                const int32_t[::1] gidx, const int64_t[::1] offset):
    """The Gram block ``X_g^T diag(s) X_g`` of every group, flattened row-major at
    ``offset[g]`` (``offset[g + 1] - offset[g] = |g|^2``).

    Column a is scattered (weighted) into a dense buffer once, then dotted with every
    column of its group: for a sparse X the cost is the group's nonzeros times its size,
    with no Python per group. Adding and then subtracting the same column leaves the
    buffer exactly zero again."""
    cdef Py_ssize_t G = gptr.shape[0] - 1, g, a, c, m, n = X.n_samples
    cdef int32_t ja
    cdef const double[::1] s
    cdef bint weighted = sample_weight is not None
    if weighted:
        s = sample_weight
    out = np.zeros(offset[G])
    cdef double[::1] o = out
    col_arr = np.zeros(max(n, 1))
    cdef double[::1] col = col_arr
    cdef double v
    with nogil:
        for g in range(G):
            m = gptr[g + 1] - gptr[g]
            for a in range(m):
                ja = gidx[gptr[g] + a]
                if weighted:
                    X.col_axpy_weighted(ja, 1.0, &s[0], &col[0])
                else:
                    X.col_axpy(ja, 1.0, &col[0])
                for c in range(a, m):
                    v = X.col_dot(gidx[gptr[g] + c], &col[0]) if n else 0.0
                    o[offset[g] + a * m + c] = v
                    o[offset[g] + c * m + a] = v
                if weighted:
                    X.col_axpy_weighted(ja, -1.0, &s[0], &col[0])
                else:
                    X.col_axpy(ja, -1.0, &col[0])
    return out
