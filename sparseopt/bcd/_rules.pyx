# Block selection rules and block updates (Nutini, Laradji & Schmidt, JMLR 2022) on a
# working set: cyclic, random, GS, GSL, GSQ, GSD over fixed or variable blocks, with a
# gradient step on the block's bound or an exact minimization of the block's quadratic
# model ("newton").
#
# The rules need the whole working-set gradient g at every iteration.  For least squares
# it is kept current through the working set's Gram matrix B (g += B[:, b] d_b costs
# O(m |b|), less than one column of X when m < n); for other datafits B is only a bound on
# the Hessian and g is recomputed from df/dz after each update (O(nnz(X_ws))), which is
# what a greedy rule costs there.
from libc.math cimport fabs, fmax
from libc.stdint cimport int32_t, int64_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memset

from sparseopt.bcd._datafits cimport Datafit
from sparseopt.bcd._penalties cimport Penalty
from sparseopt.bcd._rng cimport seed_state, xorshift

import numpy as np

cdef enum:
    R_CYCLIC = 0
    R_RANDOM = 1
    R_GS = 2
    R_GSL = 3
    R_GSQ = 4
    R_GSD = 5

RULES = {"cyclic": R_CYCLIC, "random": R_RANDOM, "gs": R_GS, "gsl": R_GSL, "gsq": R_GSQ,
         "gsd": R_GSD}

cdef enum:
    U_GRADIENT = 0
    U_NEWTON = 1

UPDATES = {"gradient": U_GRADIENT, "newton": U_NEWTON}

cdef enum:
    MAX_SWEEPS = 100   # coordinate sweeps of an exact block solve


cdef inline double _gsq(Penalty pen, double w, double g, double c, Py_ssize_t j) noexcept nogil:
    """GS-q progress: -min_d g d + c/2 d^2 + pen_j(w + d) - pen_j(w).

    Near convergence the difference of penalty values cancels to rounding noise, which
    would make the rule pick blocks at random; for a convex penalty the progress is at
    least c/2 d^2 (the model is c-strongly convex), a bound computed without
    cancellation, so the larger of the two is returned."""
    cdef double t = pen.prox(w - g / c, 1.0 / c, j), d = t - w
    return fmax(-(g * d + 0.5 * c * d * d + pen.value_j(t, j) - pen.value_j(w, j)),
                0.5 * c * d * d)


cdef void _block_bound(Datafit df, const int32_t *cols, Py_ssize_t k, double *buf,
                       double *out) noexcept nogil:
    """out (k x k) = curvature * X_b^T diag(s) X_b / S for the columns cols[0:k], computed
    from the design (used when the working set's matrix B was not formed)."""
    cdef Py_ssize_t a, c, n = df.X.n_samples
    cdef double scale = df.curvature() / df.S, v
    for a in range(k):
        memset(buf, 0, n * sizeof(double))
        df.X.col_axpy_weighted(cols[a], 1.0, &df.sw[0], buf)
        for c in range(a, k):
            v = df.X.col_dot(cols[c], buf) * scale
            out[a * k + c] = v
            out[c * k + a] = v


cdef void _solve_block(Penalty pen, const double *w, const int32_t *cols,
                       const double *g, const double *H, Py_ssize_t k, double tol,
                       double *d, double *Hd) noexcept nogil:
    """d = argmin g.d + d'Hd/2 + pen(w + d) over the block, by coordinate sweeps until
    the largest scaled change is below tol (exact minimization for least squares)."""
    cdef Py_ssize_t a, c, sweep
    cdef double h, old, new, delta, maxch
    for a in range(k):
        d[a] = 0.0
        Hd[a] = 0.0
    for sweep in range(MAX_SWEEPS):
        maxch = 0.0
        for a in range(k):
            h = H[a * k + a]
            if h <= 0.0:
                continue
            old = w[a] + d[a]
            new = pen.prox(old - (g[a] + Hd[a]) / h, 1.0 / h, cols[a])
            delta = new - old
            if delta != 0.0:
                d[a] += delta
                for c in range(k):
                    Hd[c] += H[c * k + a] * delta
                maxch = fmax(maxch, fabs(delta) * h)
        if k == 1 or maxch <= tol:
            break


cdef inline void _push_top(double *val, int32_t *idx, Py_ssize_t *cnt, Py_ssize_t cap,
                           double v, int32_t a) noexcept nogil:
    """Insert (v, a) into the list sorted by decreasing v that keeps the cap largest."""
    cdef Py_ssize_t pos
    if cnt[0] == cap:
        if v <= val[cap - 1]:
            return
        pos = cap - 1
    else:
        pos = cnt[0]
        cnt[0] += 1
    while pos > 0 and val[pos - 1] < v:
        val[pos] = val[pos - 1]
        idx[pos] = idx[pos - 1]
        pos -= 1
    val[pos] = v
    idx[pos] = a


cdef class _Work:
    """Scratch buffers of one greedy solve."""
    cdef double *g
    cdef double *s
    cdef double *topv
    cdef int32_t *sel
    cdef int32_t *cols
    cdef int32_t *perm
    cdef double *wb
    cdef double *gb
    cdef double *d
    cdef double *Hd
    cdef double *H
    cdef double *buf

    def __cinit__(self, Py_ssize_t m, Py_ssize_t tau, Py_ssize_t n):
        self.g = <double *>malloc(max(m, 1) * sizeof(double))
        self.s = <double *>malloc(max(m, 1) * sizeof(double))
        self.perm = <int32_t *>malloc(max(m, 1) * sizeof(int32_t))
        self.topv = <double *>malloc(tau * sizeof(double))
        self.sel = <int32_t *>malloc(tau * sizeof(int32_t))
        self.cols = <int32_t *>malloc(tau * sizeof(int32_t))
        self.wb = <double *>malloc(tau * sizeof(double))
        self.gb = <double *>malloc(tau * sizeof(double))
        self.d = <double *>malloc(tau * sizeof(double))
        self.Hd = <double *>malloc(tau * sizeof(double))
        self.H = <double *>malloc(tau * tau * sizeof(double))
        self.buf = <double *>malloc(max(n, 1) * sizeof(double))
        if (self.g == NULL or self.s == NULL or self.perm == NULL or self.topv == NULL
                or self.sel == NULL or self.cols == NULL or self.wb == NULL
                or self.gb == NULL or self.d == NULL or self.Hd == NULL or self.H == NULL
                or self.buf == NULL):
            raise MemoryError()

    def __dealloc__(self):
        free(self.g)
        free(self.s)
        free(self.perm)
        free(self.topv)
        free(self.sel)
        free(self.cols)
        free(self.wb)
        free(self.gb)
        free(self.d)
        free(self.Hd)
        free(self.H)
        free(self.buf)


cdef inline double _refresh_gradient(Datafit df, const int32_t *ws, Py_ssize_t m, double *g,
                                    int n_threads, bint fit_intercept) noexcept nogil:
    """g = X_ws^T df/dz from the datafit's state; returns the intercept's gradient."""
    df.sync()
    df.X.cols_dot(&df.raw[0], ws, m, g, n_threads)
    return df.grad_intercept() if fit_intercept else 0.0


def greedy_bcd(Datafit df, Penalty pen, double[::1] w, double[::1] b,
               const int32_t[::1] ws, B, xbar, const int32_t[::1] block_ptr,
               const int32_t[::1] block_idx, const double[::1] block_L,
               const double[::1] dvec, int rule, bint variable, Py_ssize_t tau,
               int update, bint gram_grad, long long max_updates, double tol,
               bint fit_intercept, unsigned long long seed=0, int n_threads=1,
               sparse_struct=None):
    """Block coordinate descent on the features ``ws`` with a selection rule.

    Parameters (positions are indices into ``ws``)
    ----------
    B : (m, m) C-contiguous float64 or None
        ``curvature * X_ws^T diag(s) X_ws / S``: the Hessian for least squares, a bound
        on it otherwise.
    xbar : (m,) or None
        ``X_ws^T s / S``: the intercept's column of the Hessian (least squares with
        ``gram_grad``).
    block_ptr, block_idx, block_L
        Fixed blocks (ignored when ``variable``): block k holds the positions
        ``block_idx[block_ptr[k]:block_ptr[k + 1]]`` and has the bound ``block_L[k]``.
    dvec : (m,)
        Per-coordinate bounds d_i such that ``H_bb <= diag(d_b)`` for any block (GSD).
    gram_grad : bool
        Keep the gradient current through ``B`` (least squares only).
    sparse_struct : tuple or None
        ``(col_ptr, col_rows, row_ptr, row_cols, row_vals)``: the column structure of a
        sparse X_ws (int64 pointers, int32 indices) and X_ws in CSR with local column
        indices. When given (and not ``gram_grad``), a greedy rule keeps g current
        through the rows an update touched: after w_j moves, df/dz changes only on the
        rows of column j, and g_k changes only for the columns k sharing such a row.

    Stops when the largest optimality violation on the working set (and the intercept's
    gradient) is at most ``tol``, or after ``max_updates`` block updates.
    Returns ``(block updates, last violation)``.
    """
    cdef Py_ssize_t m = ws.shape[0], n = df.X.n_samples
    cdef Py_ssize_t nb = block_ptr.shape[0] - 1 if not variable else (m + tau - 1) // tau
    cdef Py_ssize_t a, c, k, r, nsel, best_k, j, epoch_len
    cdef long long it = 0
    cdef double viol = 0.0, gint = 0.0, sc, best, Lb, delta, step, si
    cdef bint cheap = rule == R_CYCLIC or rule == R_RANDOM
    cdef uint64_t state = seed_state(seed)
    cdef double[:, ::1] Bm
    cdef const double[::1] xb
    cdef bint haveB = B is not None
    cdef double *wp = &w[0] if w.shape[0] else NULL
    if m == 0:
        return 0, 0.0
    tau = min(tau, m)
    if haveB:
        Bm = B
    if gram_grad:
        xb = xbar if fit_intercept else np.zeros(1)
    cdef bint sparse_grad = sparse_struct is not None and not gram_grad and not cheap
    cdef const int64_t[::1] cptr, rptr
    cdef const int32_t[::1] crow, rcol
    cdef const double[::1] rval
    cdef Py_ssize_t q, q0, t
    cdef double dr
    if sparse_grad:
        cptr, crow, rptr, rcol, rval = sparse_struct
    cdef _Work wk = _Work(m, tau, n)
    cdef double *g = wk.g
    cdef double *s = wk.s
    epoch_len = max(nb, 1)

    with nogil:
        for a in range(m):
            wk.perm[a] = <int32_t>a
        # the gradient on the working set (df/dz is current on entry)
        gint = _refresh_gradient(df, &ws[0], m, g, n_threads, fit_intercept)
        while it < max_updates:
            # ---- selection --------------------------------------------------------
            nsel = 0
            if cheap:
                if it % epoch_len == 0:
                    # once per epoch: the violation over the working set
                    if not gram_grad and it > 0:
                        gint = _refresh_gradient(df, &ws[0], m, g, n_threads,
                                                 fit_intercept)
                    viol = fabs(gint) if fit_intercept else 0.0
                    for a in range(m):
                        viol = fmax(viol, pen.subdiff_dist(wp[ws[a]], g[a], ws[a]))
                    if viol <= tol:
                        break
                if variable:  # tau distinct positions at random (partial Fisher-Yates)
                    for r in range(tau):
                        c = r + <Py_ssize_t>(xorshift(&state) % <uint64_t>(m - r))
                        k = wk.perm[r]
                        wk.perm[r] = wk.perm[c]
                        wk.perm[c] = <int32_t>k
                        wk.sel[nsel] = wk.perm[r]
                        nsel += 1
                else:
                    k = it % nb if rule == R_CYCLIC else <Py_ssize_t>(
                        xorshift(&state) % <uint64_t>nb)
                    for r in range(block_ptr[k], block_ptr[k + 1]):
                        wk.sel[nsel] = block_idx[r]
                        nsel += 1
            else:
                if sparse_grad and it > 0 and it % epoch_len == 0:
                    # once per epoch: the intercept (it moves every row) and a fresh g
                    if fit_intercept:
                        delta = -df.grad_intercept() / df.intercept_lipschitz()
                        df.update_intercept(delta)
                        b[0] += delta
                    gint = _refresh_gradient(df, &ws[0], m, g, n_threads, fit_intercept)
                viol = fabs(gint) if fit_intercept else 0.0
                for a in range(m):
                    s[a] = pen.subdiff_dist(wp[ws[a]], g[a], ws[a])
                    viol = fmax(viol, s[a])
                if viol <= tol:
                    break
                if variable:
                    for a in range(m):
                        if s[a] <= 0.0:
                            continue
                        j = ws[a]
                        if rule == R_GS:
                            sc = s[a]
                        elif rule == R_GSL:
                            sc = s[a] * s[a] / dvec[a] if df.lipschitz[j] <= 0.0 else (
                                s[a] * s[a] / df.lipschitz[j])
                        elif rule == R_GSD:
                            sc = s[a] * s[a] / dvec[a]
                        else:
                            sc = _gsq(pen, wp[j], g[a], dvec[a], j)
                        _push_top(wk.topv, wk.sel, &nsel, tau, sc, <int32_t>a)
                else:
                    best, best_k = -1.0, 0
                    for k in range(nb):
                        Lb = block_L[k]
                        if Lb <= 0.0:
                            continue
                        sc = 0.0
                        for r in range(block_ptr[k], block_ptr[k + 1]):
                            a = block_idx[r]
                            si = s[a]
                            if rule == R_GS or rule == R_GSL:
                                sc += si * si
                            elif rule == R_GSD:
                                sc += si * si / dvec[a]
                            else:
                                sc += _gsq(pen, wp[ws[a]], g[a], Lb, ws[a])
                        if rule == R_GSL:
                            sc /= Lb
                        if sc > best:
                            best, best_k = sc, k
                    for r in range(block_ptr[best_k], block_ptr[best_k + 1]):
                        wk.sel[nsel] = block_idx[r]
                        nsel += 1
            if nsel == 0:
                break
            # ---- the block's data -------------------------------------------------
            for r in range(nsel):
                a = wk.sel[r]
                wk.cols[r] = ws[a]
                wk.wb[r] = wp[ws[a]]
                if cheap and not gram_grad:
                    g[a] = df.grad_j(ws[a])  # only the block's gradient is needed
                wk.gb[r] = g[a]
            if update == U_NEWTON or (variable and rule != R_GSD):
                # the block's matrix: exact solves, or the Gershgorin bound below
                if haveB:
                    for r in range(nsel):
                        for c in range(nsel):
                            wk.H[r * nsel + c] = Bm[wk.sel[r], wk.sel[c]]
                else:
                    _block_bound(df, wk.cols, nsel, wk.buf, wk.H)
            # ---- the update d ---------------------------------------------------------
            if update == U_NEWTON:
                _solve_block(pen, wk.wb, wk.cols, wk.gb, wk.H, nsel, 1e-3 * tol, wk.d,
                             wk.Hd)
            else:
                if rule == R_GSD:
                    Lb = 0.0  # per-coordinate steps 1/d_i: the bound GSD selects with
                elif variable:
                    # Gershgorin bound on the block's largest eigenvalue
                    Lb = 0.0
                    for r in range(nsel):
                        sc = 0.0
                        for c in range(nsel):
                            sc += fabs(wk.H[r * nsel + c])
                        Lb = fmax(Lb, sc)
                else:
                    Lb = block_L[k] if cheap else block_L[best_k]
                for r in range(nsel):
                    step = dvec[wk.sel[r]] if Lb == 0.0 else Lb
                    if step > 0.0:
                        wk.d[r] = pen.prox(wk.wb[r] - wk.gb[r] / step, 1.0 / step,
                                           wk.cols[r]) - wk.wb[r]
                    else:
                        wk.d[r] = 0.0
            # ---- apply it, keep the gradient current ----------------------------------
            for r in range(nsel):
                delta = wk.d[r]
                if delta == 0.0:
                    continue
                a = wk.sel[r]
                wp[ws[a]] = wk.wb[r] + delta
                if gram_grad:
                    for c in range(m):
                        g[c] += Bm[a, c] * delta
                    if fit_intercept:
                        gint += xb[a] * delta
                elif sparse_grad:
                    q0 = cptr[a]
                    for q in range(q0, cptr[a + 1]):
                        wk.buf[q - q0] = df.raw[crow[q]]
                    df.update_j(ws[a], delta)
                    for q in range(q0, cptr[a + 1]):
                        dr = df.raw[crow[q]] - wk.buf[q - q0]
                        if dr != 0.0:
                            for t in range(rptr[crow[q]], rptr[crow[q] + 1]):
                                g[rcol[t]] += rval[t] * dr
                else:
                    df.update_j(ws[a], delta)
            if fit_intercept and not sparse_grad:
                if gram_grad:  # exact intercept step: its curvature is sum(s) / S = 1
                    delta = -gint
                    for c in range(m):
                        g[c] += xb[c] * delta
                    gint = 0.0
                else:
                    delta = -df.grad_intercept() / df.intercept_lipschitz()
                    df.update_intercept(delta)
                b[0] += delta
            if not gram_grad and not cheap and not sparse_grad:
                gint = _refresh_gradient(df, &ws[0], m, g, n_threads, fit_intercept)
            it += 1
        if gram_grad:
            df.reset(wp, b[0])  # df/dz was not maintained: rebuild it once
    return it, viol
