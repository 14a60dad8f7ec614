# Thin wrappers of the C kernels in _ext/src/sinkhorn.c (GIL released).
#
# Inputs arrive validated from _sinkhorn_front.py: M is C-contiguous (n, m) float64 or
# float32, every vector is float64 and C-contiguous with the right length, reg > 0.
# Nothing here re-checks them.
from libc.stdint cimport int64_t

from sparseopt._core cimport (
    SO_OK, so_sk_kernel_f32, so_sk_kernel_f64, so_sk_lse_cols_f32, so_sk_lse_cols_f64,
    so_sk_lse_rows_f32, so_sk_lse_rows_f64, so_sk_marginals_f32, so_sk_marginals_f64,
    so_sk_matvec, so_sk_rmatvec, so_sk_sparsify_f32, so_sk_sparsify_f64, so_sns_pcg,
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


def marginals(const floating[:, ::1] M, const double[::1] f, const double[::1] g,
              double reg, double[::1] rows, double[::1] cols, const double[::1] a,
              const double[::1] b, double tau, int64_t[::1] counts, int n_threads):
    """Row and column sums of the plan, its total mass and ``<P, M>``, in one pass.

    With ``counts`` not None, also ``counts[i]`` = the entries of row i that are at least
    ``tau * min(a[i], b[j])``. Returns ``(total, cost)``.
    """
    cdef int st
    cdef int64_t n = M.shape[0], m = M.shape[1]
    cdef double total = 0.0, cost = 0.0
    cdef int64_t *cp = NULL
    cdef const double *ap = NULL
    cdef const double *bp = NULL
    if counts is not None:
        cp = &counts[0]
        ap = &a[0]
        bp = &b[0]
    with nogil:
        if floating is double:
            st = so_sk_marginals_f64(n, m, &M[0, 0], &f[0], &g[0], reg, &rows[0], &cols[0],
                                     &total, &cost, ap, bp, tau, cp, n_threads)
        else:
            st = so_sk_marginals_f32(n, m, &M[0, 0], &f[0], &g[0], reg, &rows[0], &cols[0],
                                     &total, &cost, ap, bp, tau, cp, n_threads)
    _check(st, "marginals")
    return total, cost


def sparsify(const floating[:, ::1] M, const double[::1] f, const double[::1] g, double reg,
             const double[::1] a, const double[::1] b, double tau, const int64_t[::1] indptr,
             int64_t[::1] indices, double[::1] data, int64_t[::1] filled, int n_threads):
    """Write the entries ``P[i, j] >= tau * min(a[i], b[j])`` in CSR slots ``indptr``."""
    cdef int st
    cdef int64_t n = M.shape[0], m = M.shape[1]
    cdef int64_t *ip = &indices[0] if indices.shape[0] > 0 else NULL
    cdef double *dp = &data[0] if data.shape[0] > 0 else NULL
    with nogil:
        if floating is double:
            st = so_sk_sparsify_f64(n, m, &M[0, 0], &f[0], &g[0], reg, &a[0], &b[0], tau,
                                    &indptr[0], ip, dp, &filled[0], n_threads)
        else:
            st = so_sk_sparsify_f32(n, m, &M[0, 0], &f[0], &g[0], reg, &a[0], &b[0], tau,
                                    &indptr[0], ip, dp, &filled[0], n_threads)
    _check(st, "sparsify")


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
                  double tiny, double lo, double hi, int n_threads):
    """Up to ``max_steps`` scaling-form Sinkhorn iterations (v = b / K^T u, u = a / K v),
    without the GIL or Python between them.

    ``errors[k]`` receives the L1 marginal error of the plan before iteration k (that of
    the columns, plus that of the rows when ``rows_exact`` is false). Returns
    ``(steps, status)``: status 0 = ``max_steps`` done, 1 = error <= tol, 2 = error <=
    stop_err, 3 = a product fell below ``tiny`` (K lost a row or column: a log-domain step
    is needed), 4 = u or v left [lo, hi] after the last step (absorb them). The error
    before the returned state is ``errors[steps]`` for statuses 1 to 3.
    """
    cdef int64_t n = K.shape[0], m = K.shape[1], steps = 0, i, j
    cdef double err, mn, mx_u, mn_u, mx_v, mn_v, t
    cdef int status = 0
    with nogil:
        while True:
            so_sk_rmatvec(n, m, &K[0, 0], &u[0], &KTu[0], n_threads)
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
