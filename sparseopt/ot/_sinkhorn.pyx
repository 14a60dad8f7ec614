# Thin wrappers of the C kernels in _ext/src/sinkhorn.c (GIL released).
#
# Inputs arrive validated from _sinkhorn_front.py: M is C-contiguous (n, m) float64 or
# float32, every vector is float64 and C-contiguous with the right length, reg > 0.
# Nothing here re-checks them.
from libc.stdint cimport int32_t, int64_t

from sparseopt._core cimport (
    SO_OK, so_sk_kernel_f32, so_sk_kernel_f64, so_sk_lse_cols_f32, so_sk_lse_cols_f64,
    so_sk_lse_rows_f32, so_sk_lse_rows_f64, so_sk_marginals_f32, so_sk_marginals_f64,
    so_sk_marginals_screened_f32, so_sk_marginals_screened_f64, so_sk_matvec, so_sk_rmatvec,
    so_sk_screen, so_sk_sparsify_f32, so_sk_sparsify_f64, so_sk_sparsify_screened_f32,
    so_sk_sparsify_screened_f64, so_sns_pcg,
)
from sparseopt._typedefs cimport floating


cdef inline void _check(int status, str name) except *:
    if status != SO_OK:
        if status == 1:
            raise MemoryError(f"{name}: a work buffer could not be allocated")
        raise RuntimeError(f"{name} failed with status {status}")


def lse_rows(const floating[:, ::1] M, const double[::1] g, double reg, double[::1] out,
             int n_threads):
    """``out[i] = reg * log(sum_j exp((g[j] - M[i, j]) / reg))``."""
    cdef int st
    cdef int64_t n = M.shape[0], m = M.shape[1]
    with nogil:
        if floating is double:
            st = so_sk_lse_rows_f64(n, m, &M[0, 0], &g[0], reg, &out[0], n_threads)
        else:
            st = so_sk_lse_rows_f32(n, m, &M[0, 0], &g[0], reg, &out[0], n_threads)
    _check(st, "lse_rows")


def lse_cols(const floating[:, ::1] M, const double[::1] f, double reg, double[::1] out,
             int n_threads):
    """``out[j] = reg * log(sum_i exp((f[i] - M[i, j]) / reg))``."""
    cdef int st
    cdef int64_t n = M.shape[0], m = M.shape[1]
    with nogil:
        if floating is double:
            st = so_sk_lse_cols_f64(n, m, &M[0, 0], &f[0], reg, &out[0], n_threads)
        else:
            st = so_sk_lse_cols_f32(n, m, &M[0, 0], &f[0], reg, &out[0], n_threads)
    _check(st, "lse_cols")


def kernel(const floating[:, ::1] M, const double[::1] f, const double[::1] g, double reg,
           double[:, ::1] out, int n_threads):
    """``out = exp((f[:, None] + g[None, :] - M) / reg)``."""
    cdef int st
    cdef int64_t n = M.shape[0], m = M.shape[1]
    with nogil:
        if floating is double:
            st = so_sk_kernel_f64(n, m, &M[0, 0], &f[0], &g[0], reg, &out[0, 0], n_threads)
        else:
            st = so_sk_kernel_f32(n, m, &M[0, 0], &f[0], &g[0], reg, &out[0, 0], n_threads)
    _check(st, "kernel")


cdef so_sk_screen _screen(int32_t[::1] idx, void *mval, int64_t[::1] start,
                         int64_t[::1] length, double zlow) noexcept:
    cdef so_sk_screen scr
    scr.zlow = zlow
    scr.cap = idx.shape[0]
    scr.idx = &idx[0] if idx.shape[0] > 0 else NULL
    scr.mval = mval
    scr.start = &start[0]
    scr.len = &length[0]
    scr.overflow = 0
    scr.size = 0
    return scr


def marginals(const floating[:, ::1] M, const double[::1] f, const double[::1] g,
              double reg, double zcut, double[::1] rows, double[::1] cols,
              const double[::1] a, const double[::1] b, double tau, int64_t[::1] counts,
              int n_threads, int32_t[::1] screen_idx=None, floating[::1] screen_mval=None,
              int64_t[::1] screen_start=None, int64_t[::1] screen_len=None,
              double zlow=0.0, double[:, ::1] plan=None):
    """Row and column sums of the plan, its total mass and ``<P, M>``, in one pass.

    With ``counts`` not None, also ``counts[i]`` = the entries of row i that are at least
    ``tau * min(a[i], b[j])``. Groups of 4 entries whose exponents are all below ``zcut``
    count as 0 (``-inf``: none). With the ``screen_*`` arrays (capacity ``len(screen_idx)``
    > 0, ``screen_mval`` as long, ``screen_start`` and ``screen_len`` of length n) the
    entries whose exponent is >= ``zlow`` are recorded in them. Returns ``(total, cost,
    recorded)`` where ``recorded`` is the number of entries recorded, or -1 when they did
    not fit (and 0 without a screen). With ``plan`` (n x m), the plan is written there too
    (skipped groups as 0).
    """
    cdef int st
    cdef int64_t n = M.shape[0], m = M.shape[1]
    cdef double total = 0.0, cost = 0.0
    cdef int64_t *cp = NULL
    cdef const double *ap = NULL
    cdef const double *bp = NULL
    cdef so_sk_screen scr
    cdef so_sk_screen *sp = NULL
    cdef double *pp = NULL
    if plan is not None and plan.shape[0] * plan.shape[1] > 0:
        pp = &plan[0, 0]
    if counts is not None:
        cp = &counts[0]
        ap = &a[0]
        bp = &b[0]
    if screen_idx is not None:
        scr = _screen(screen_idx, <void *>&screen_mval[0], screen_start, screen_len, zlow)
        sp = &scr
    with nogil:
        if floating is double:
            st = so_sk_marginals_f64(n, m, &M[0, 0], &f[0], &g[0], reg, zcut, &rows[0],
                                     &cols[0], &total, &cost, ap, bp, tau, cp, sp, pp,
                                     n_threads)
        else:
            st = so_sk_marginals_f32(n, m, &M[0, 0], &f[0], &g[0], reg, zcut, &rows[0],
                                     &cols[0], &total, &cost, ap, bp, tau, cp, sp, pp,
                                     n_threads)
    _check(st, "marginals")
    if sp == NULL:
        return total, cost, 0
    return total, cost, (-1 if scr.overflow else scr.size)


def marginals_screened(int32_t[::1] screen_idx, floating[::1] screen_mval,
                       int64_t[::1] screen_start, int64_t[::1] screen_len, int64_t size,
                       int64_t m, const double[::1] f, const double[::1] g, double reg,
                       double[::1] rows, double[::1] cols, const double[::1] a,
                       const double[::1] b, double tau, int64_t[::1] counts, int n_threads,
                       int64_t[::1] kept_idx=None, double[::1] kept_data=None):
    """:func:`marginals` over the ``size`` entries a screen recorded. Returns
    ``(total, cost)``. With ``counts`` and the ``kept_*`` arrays (as long as the screen),
    row i's counted entries are also written to ``kept_*[start[i]:start[i] + counts[i]]``.
    """
    cdef int st
    cdef int64_t n = screen_start.shape[0]
    cdef double total = 0.0, cost = 0.0
    cdef int64_t *cp = NULL
    cdef const double *ap = NULL
    cdef const double *bp = NULL
    cdef so_sk_screen scr = _screen(screen_idx, <void *>&screen_mval[0], screen_start,
                                    screen_len, 0.0)
    cdef int64_t *kip = NULL
    cdef double *kdp = NULL
    scr.size = size
    if counts is not None:
        cp = &counts[0]
        ap = &a[0]
        bp = &b[0]
        if kept_idx is not None and kept_idx.shape[0] > 0:
            kip = &kept_idx[0]
            kdp = &kept_data[0]
    with nogil:
        if floating is double:
            st = so_sk_marginals_screened_f64(n, m, &scr, &f[0], &g[0], reg, &rows[0],
                                              &cols[0], &total, &cost, ap, bp, tau, cp,
                                              kip, kdp, n_threads)
        else:
            st = so_sk_marginals_screened_f32(n, m, &scr, &f[0], &g[0], reg, &rows[0],
                                              &cols[0], &total, &cost, ap, bp, tau, cp,
                                              kip, kdp, n_threads)
    _check(st, "marginals_screened")
    return total, cost


def sparsify(const floating[:, ::1] M, const double[::1] f, const double[::1] g, double reg,
             double zcut, const double[::1] a, const double[::1] b, double tau,
             const int64_t[::1] indptr, int64_t[::1] indices, double[::1] data,
             int64_t[::1] filled, int n_threads):
    """Write the entries ``P[i, j] >= tau * min(a[i], b[j])`` in CSR slots ``indptr``."""
    cdef int st
    cdef int64_t n = M.shape[0], m = M.shape[1]
    cdef int64_t *ip = &indices[0] if indices.shape[0] > 0 else NULL
    cdef double *dp = &data[0] if data.shape[0] > 0 else NULL
    with nogil:
        if floating is double:
            st = so_sk_sparsify_f64(n, m, &M[0, 0], &f[0], &g[0], reg, zcut, &a[0], &b[0],
                                    tau, &indptr[0], ip, dp, &filled[0], n_threads)
        else:
            st = so_sk_sparsify_f32(n, m, &M[0, 0], &f[0], &g[0], reg, zcut, &a[0], &b[0],
                                    tau, &indptr[0], ip, dp, &filled[0], n_threads)
    _check(st, "sparsify")


def sparsify_screened(int32_t[::1] screen_idx, floating[::1] screen_mval,
                      int64_t[::1] screen_start, int64_t[::1] screen_len, int64_t size,
                      const double[::1] f, const double[::1] g, double reg,
                      const double[::1] a, const double[::1] b, double tau,
                      const int64_t[::1] indptr, int64_t[::1] indices, double[::1] data,
                      int64_t[::1] filled, int n_threads):
    """:func:`sparsify` over the ``size`` entries a screen recorded."""
    cdef int st
    cdef int64_t n = screen_start.shape[0]
    cdef int64_t *ip = &indices[0] if indices.shape[0] > 0 else NULL
    cdef double *dp = &data[0] if data.shape[0] > 0 else NULL
    cdef so_sk_screen scr = _screen(screen_idx, <void *>&screen_mval[0], screen_start,
                                    screen_len, 0.0)
    scr.size = size
    with nogil:
        if floating is double:
            st = so_sk_sparsify_screened_f64(n, &scr, &f[0], &g[0], reg, &a[0], &b[0], tau,
                                             &indptr[0], ip, dp, &filled[0], n_threads)
        else:
            st = so_sk_sparsify_screened_f32(n, &scr, &f[0], &g[0], reg, &a[0], &b[0], tau,
                                             &indptr[0], ip, dp, &filled[0], n_threads)
    _check(st, "sparsify_screened")


def matvec(const double[:, ::1] K, const double[::1] v, double[::1] out, int n_threads):
    """``out = K @ v``."""
    cdef int st
    with nogil:
        st = so_sk_matvec(K.shape[0], K.shape[1], &K[0, 0], &v[0], &out[0], n_threads)
    _check(st, "matvec")


def rmatvec(const double[:, ::1] K, const double[::1] u, double[::1] out, int n_threads):
    """``out = K.T @ u``."""
    cdef int st
    with nogil:
        st = so_sk_rmatvec(K.shape[0], K.shape[1], &K[0, 0], &u[0], &out[0], n_threads)
    _check(st, "rmatvec")


def newton_pcg(const int64_t[::1] indptr, const int64_t[::1] indices, const double[::1] data,
               int64_t m, const double[::1] d1, const double[::1] d2, double shift,
               const double[::1] r1, const double[::1] r2, double[::1] x, double[::1] y,
               double rtol, int64_t max_iter, int n_threads):
    """Solve ``[D1 S; S^T D2 + shift] [x; y] = [r1; r2]`` by PCG on the Schur complement.

    ``y`` holds the starting point on entry. Returns ``(n_iter, relative_residual)``.
    """
    cdef int st
    cdef int64_t n = d1.shape[0], it = 0
    cdef double rel = 0.0
    cdef const int64_t *ip = &indices[0] if indices.shape[0] > 0 else NULL
    cdef const double *dp = &data[0] if data.shape[0] > 0 else NULL
    with nogil:
        st = so_sns_pcg(n, m, &indptr[0], ip, dp, &d1[0], &d2[0], shift, &r1[0], &r2[0],
                        &x[0], &y[0], rtol, max_iter, &it, &rel, n_threads)
    _check(st, "newton_pcg")
    return it, rel


def scaling_batch(const double[:, ::1] K, double[::1] u, double[::1] v, const double[::1] a,
                  const double[::1] b, double[::1] KTu, double[::1] Kv, double[::1] errors,
                  int64_t max_steps, double tol, double stop_err, bint rows_exact,
                  double tiny, double lo, double hi, int n_threads, bint have_ktu=False):
    """Up to ``max_steps`` scaling-form Sinkhorn iterations (v = b / K^T u, u = a / K v),
    without the GIL or Python between them.

    ``errors[k]`` receives the L1 marginal error of the plan before iteration k (that of
    the columns, plus that of the rows when ``rows_exact`` is false). Returns
    ``(steps, status)``: status 0 = ``max_steps`` done, 1 = error <= tol, 2 = error <=
    stop_err, 3 = a product fell below ``tiny`` (K lost a row or column: a log-domain step
    is needed), 4 = u or v left [lo, hi] after the last step (absorb them). The error
    before the returned state is ``errors[steps]`` for statuses 1 to 3. With ``have_ktu``,
    ``KTu`` already holds ``K^T u`` for the ``u`` given (as a batch that ended with status 0
    leaves it), and the first product is not recomputed.
    """
    cdef int64_t n = K.shape[0], m = K.shape[1], steps = 0, i, j
    cdef double err, mn, mx_u, mn_u, mx_v, mn_v, t
    cdef int status = 0
    with nogil:
        while True:
            if not have_ktu:
                so_sk_rmatvec(n, m, &K[0, 0], &u[0], &KTu[0], n_threads)
            have_ktu = False
            err = 0.0
            mn = KTu[0]
            for j in range(m):
                t = v[j] * KTu[j] - b[j]
                err += t if t >= 0 else -t
                if KTu[j] < mn:
                    mn = KTu[j]
            if not rows_exact:
                so_sk_matvec(n, m, &K[0, 0], &v[0], &Kv[0], n_threads)
                for i in range(n):
                    t = u[i] * Kv[i] - a[i]
                    err += t if t >= 0 else -t
            errors[steps] = err
            if err <= tol:
                status = 1
                break
            if err <= stop_err:
                status = 2
                break
            if steps >= max_steps:
                status = 0
                break
            if not (mn > tiny):
                status = 3
                break
            mx_v = 0.0
            mn_v = 1e308
            for j in range(m):
                v[j] = b[j] / KTu[j]
                if v[j] > mx_v:
                    mx_v = v[j]
                if v[j] < mn_v:
                    mn_v = v[j]
            so_sk_matvec(n, m, &K[0, 0], &v[0], &Kv[0], n_threads)
            mn = Kv[0]
            for i in range(n):
                if Kv[i] < mn:
                    mn = Kv[i]
            if not (mn > tiny):
                status = 3
                break
            mx_u = 0.0
            mn_u = 1e308
            for i in range(n):
                u[i] = a[i] / Kv[i]
                if u[i] > mx_u:
                    mx_u = u[i]
                if u[i] < mn_u:
                    mn_u = u[i]
            rows_exact = True
            steps += 1
            if mx_u > hi or mn_u < lo or mx_v > hi or mn_v < lo:
                status = 4
                break
    return steps, status
