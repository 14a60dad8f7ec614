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


def group_epochs(Datafit df, double[::1] w, double[::1] b, const int32_t[::1] gptr,
                 const int32_t[::1] gidx, const int32_t[::1] ws, const double[::1] lip,
                 const double[::1] thresh, bint positive, int max_epochs, double tol,
                 bint fit_intercept, int selection, uint64_t seed):
    """Epochs of group proximal gradient steps over the groups ``ws``.

    ``lip[g]`` bounds the curvature of the datafit along group g, ``thresh[g]`` is
    ``alpha * weight_g``. ``selection`` 0 takes the groups in order, 1 at random (with
    replacement, ``len(ws)`` draws per epoch). Stops once an epoch's largest
    ``L_g ||change_g||`` (and intercept gradient) is at most ``tol``; returns
    ``(epochs, last_change)``.
    """
    cdef Py_ssize_t m = ws.shape[0], k, q, g, max_size = 1, e, epochs = 0
    cdef double change = 0.0, c
    cdef uint64_t state = seed_state(seed)
    for k in range(m):
        g = ws[k]
        if gptr[g + 1] - gptr[g] > max_size:
            max_size = gptr[g + 1] - gptr[g]
    cdef double *buf = <double *> malloc(max_size * sizeof(double))
    if buf == NULL:
        raise MemoryError()
    try:
        with nogil:
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
