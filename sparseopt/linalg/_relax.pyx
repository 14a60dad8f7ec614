# Relaxation kernels on CSR: SOR sweeps (forward, backward, symmetric), Jacobi, the SSOR
# preconditioner and preconditioned conjugate gradients, with the iteration loops in C so
# that a solve of a small system costs microseconds, not Python calls.
#
# Inputs arrive validated from _sor.py: A is square CSR with in-bounds indices (duplicates
# allowed, rows in any order), diag holds A's nonzero diagonal (duplicates summed), all
# vectors have length n, the same float dtype as A's values, and are C-contiguous; the work
# arrays are distinct from every input. Nothing here re-checks them. Sums are accumulated
# in double for both float types.
#
# A row's sum runs over all its entries, the diagonal included, so that
#   x_i <- x_i + omega * (b_i - sum_j a_ij x_j) / a_ii
# is the SOR update (1 - omega) x_i + omega (b_i - sum_{j != i} a_ij x_j) / a_ii with no
# branch per entry.
from libc.math cimport isfinite, sqrt
from libc.stdint cimport int64_t

from sparseopt._typedefs cimport floating, index_t

cdef enum:
    # kinds of sweep
    FORWARD = 0
    BACKWARD = 1
    SYMMETRIC = 2
    JACOBI = 3
    # statuses of the iteration loops
    CONVERGED = 0
    MAXITER = 1
    DIVERGED = 2
    BREAKDOWN = 3


cdef inline double _row_dot(const index_t *indptr, const index_t *indices,
                            const floating *data, const floating *x,
                            int64_t i) noexcept nogil:
    # Four partial sums: a single one is a chain of dependent adds (the compiler may not
    # reorder them), which sets the speed of rows with tens of entries (FEM matrices).
    cdef double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    cdef int64_t jj = indptr[i], end = indptr[i + 1]
    while jj + 4 <= end:
        s0 += <double>data[jj] * x[indices[jj]]
        s1 += <double>data[jj + 1] * x[indices[jj + 1]]
        s2 += <double>data[jj + 2] * x[indices[jj + 2]]
        s3 += <double>data[jj + 3] * x[indices[jj + 3]]
        jj += 4
    while jj < end:
        s0 += <double>data[jj] * x[indices[jj]]
        jj += 1
    return (s0 + s1) + (s2 + s3)


# The sweeps take scale[i] = omega / a_ii (computed once per call by diagonal_scale): a row
# then costs a multiply where a division would sit on the sweep's critical path (x_i feeds
# row i+1's sum).
cdef inline void _sor_forward(int64_t n, const index_t *indptr, const index_t *indices,
                              const floating *data, const double *scale,
                              const floating *b, floating *x) noexcept nogil:
    cdef int64_t i
    for i in range(n):
        x[i] = <floating>(x[i] + scale[i] * (b[i] - _row_dot(indptr, indices, data, x, i)))


cdef inline void _sor_backward(int64_t n, const index_t *indptr, const index_t *indices,
                               const floating *data, const double *scale,
                               const floating *b, floating *x) noexcept nogil:
    cdef int64_t i
    for i in range(n - 1, -1, -1):
        x[i] = <floating>(x[i] + scale[i] * (b[i] - _row_dot(indptr, indices, data, x, i)))


cdef inline void _jacobi(int64_t n, const index_t *indptr, const index_t *indices,
                         const floating *data, const double *scale, const floating *b,
                         floating *x, floating *work) noexcept nogil:
    # work <- x, then every row reads the old iterate
    cdef int64_t i
    for i in range(n):
        work[i] = x[i]
    for i in range(n):
        x[i] = <floating>(work[i]
                          + scale[i] * (b[i] - _row_dot(indptr, indices, data, work, i)))


cdef inline void _sweep(int kind, int64_t n, const index_t *indptr, const index_t *indices,
                        const floating *data, const double *scale, const floating *b,
                        floating *x, floating *work) noexcept nogil:
    if kind == FORWARD:
        _sor_forward(n, indptr, indices, data, scale, b, x)
    elif kind == BACKWARD:
        _sor_backward(n, indptr, indices, data, scale, b, x)
    elif kind == SYMMETRIC:
        _sor_forward(n, indptr, indices, data, scale, b, x)
        _sor_backward(n, indptr, indices, data, scale, b, x)
    else:
        _jacobi(n, indptr, indices, data, scale, b, x, work)


def diagonal(const index_t[::1] indptr, const index_t[::1] indices,
             const floating[::1] data, floating[::1] out):
    """``out[i]`` = the sum of row i's entries in column i (0 if there is none)."""
    cdef int64_t n = out.shape[0], i, jj
    cdef double s
    with nogil:
        for i in range(n):
            s = 0.0
            for jj in range(indptr[i], indptr[i + 1]):
                if indices[jj] == i:
                    s += data[jj]
            out[i] = <floating>s


def diagonal_scale(const floating[::1] diag, double omega, double[::1] out):
    """``out = omega / diag``."""
    cdef int64_t i
    with nogil:
        for i in range(diag.shape[0]):
            out[i] = omega / diag[i]


cdef inline double _residual_norm(int64_t n, const index_t *indptr, const index_t *indices,
                                  const floating *data, const floating *b,
                                  const floating *x) noexcept nogil:
    cdef double acc = 0.0, r
    cdef int64_t i
    for i in range(n):
        r = b[i] - _row_dot(indptr, indices, data, x, i)
        acc += r * r
    return sqrt(acc)


cdef inline void _ssor_apply(int64_t n, const index_t *indptr, const index_t *indices,
                             const floating *data, const floating *diag, const floating *r,
                             floating *z, double omega) noexcept nogil:
    # z = omega (2 - omega) (D + omega U)^-1 D (D + omega L)^-1 r: one forward solve into z,
    # then a backward solve in place (z_i still holds the forward value when row i is
    # reached, its successors already hold final values).
    cdef int64_t i, jj, j
    cdef double s
    for i in range(n):
        s = r[i]
        for jj in range(indptr[i], indptr[i + 1]):
            j = indices[jj]
            if j < i:
                s -= omega * data[jj] * z[j]
        z[i] = <floating>(s / diag[i])
    for i in range(n - 1, -1, -1):
        s = 0.0
        for jj in range(indptr[i], indptr[i + 1]):
            j = indices[jj]
            if j > i:
                s += data[jj] * z[j]
        z[i] = <floating>(z[i] - omega * s / diag[i])
    s = omega * (2.0 - omega)
    for i in range(n):
        z[i] = <floating>(s * z[i])


def sweep(const index_t[::1] indptr, const index_t[::1] indices, const floating[::1] data,
          const double[::1] scale, const floating[::1] b, floating[::1] x,
          floating[::1] work, int kind, int64_t iterations):
    """Run ``iterations`` sweeps of ``kind`` on ``x`` in place (scale = omega / diag)."""
    cdef int64_t n = x.shape[0], it
    if n == 0:
        return
    with nogil:
        for it in range(iterations):
            _sweep(kind, n, &indptr[0], &indices[0] if indices.shape[0] else NULL,
                   &data[0] if data.shape[0] else NULL, &scale[0], &b[0], &x[0], &work[0])


def iterate(const index_t[::1] indptr, const index_t[::1] indices, const floating[::1] data,
            const double[::1] scale, const floating[::1] b, floating[::1] x,
            floating[::1] work, int kind, int64_t maxiter, double atol,
            double divergence, double[::1] history):
    """Sweep until ``||b - A x|| <= atol``, ``maxiter`` sweeps, or divergence.

    ``history[k]`` receives the residual norm after ``k`` sweeps (``history[0]`` the
    initial one; length ``maxiter + 1``). Divergence: a residual above ``divergence``
    times the initial one, or not finite. Returns ``(n_iter, status)``.
    """
    cdef int64_t n = x.shape[0], it = 0
    cdef int status = MAXITER
    cdef double res, res0
    cdef const index_t *ip = &indices[0] if indices.shape[0] else NULL
    cdef const floating *dp = &data[0] if data.shape[0] else NULL
    with nogil:
        res0 = _residual_norm(n, &indptr[0], ip, dp, &b[0], &x[0]) if n else 0.0
        history[0] = res0
        if res0 <= atol:
            status = CONVERGED
        elif not isfinite(res0):
            status = DIVERGED
        else:
            while it < maxiter:
                _sweep(kind, n, &indptr[0], ip, dp, &scale[0], &b[0], &x[0], &work[0])
                it += 1
                res = _residual_norm(n, &indptr[0], ip, dp, &b[0], &x[0])
                history[it] = res
                if res <= atol:
                    status = CONVERGED
                    break
                if not isfinite(res) or res > divergence * res0:
                    status = DIVERGED
                    break
    return it, status


def ssor_apply(const index_t[::1] indptr, const index_t[::1] indices,
               const floating[::1] data, const floating[::1] diag, const floating[::1] r,
               floating[::1] z, double omega):
    """``z = M^-1 r`` for the SSOR preconditioner ``M``."""
    cdef int64_t n = r.shape[0]
    if n == 0:
        return
    with nogil:
        _ssor_apply(n, &indptr[0], &indices[0] if indices.shape[0] else NULL,
                    &data[0] if data.shape[0] else NULL, &diag[0], &r[0], &z[0], omega)


cdef inline double _dot(int64_t n, const floating *a, const floating *b) noexcept nogil:
    cdef double s = 0.0
    cdef int64_t i
    for i in range(n):
        s += <double>a[i] * b[i]
    return s


def pcg(const index_t[::1] indptr, const index_t[::1] indices, const floating[::1] data,
        const floating[::1] diag, const floating[::1] b, floating[::1] x, double omega,
        bint precondition, int64_t maxiter, double atol, double[::1] history,
        floating[::1] r, floating[::1] z, floating[::1] p, floating[::1] q):
    """Conjugate gradients, SSOR-preconditioned when ``precondition``, from ``x``.

    Stops when the recurrence residual ``||r_k|| <= atol`` (``history[k]``), after
    ``maxiter`` iterations, or on a breakdown (``p.Ap <= 0`` or a non-finite value: A is
    not symmetric positive definite). Returns ``(n_iter, status)``.
    """
    cdef int64_t n = x.shape[0], it = 0, i
    cdef int status = MAXITER
    cdef double res, rz, rz_new, pq, alpha, beta
    cdef const index_t *ip = &indices[0] if indices.shape[0] else NULL
    cdef const floating *dp = &data[0] if data.shape[0] else NULL
    if n == 0:
        history[0] = 0.0
        return 0, CONVERGED
    with nogil:
        for i in range(n):
            r[i] = <floating>(b[i] - _row_dot(&indptr[0], ip, dp, &x[0], i))
        res = sqrt(_dot(n, &r[0], &r[0]))
        history[0] = res
        if res <= atol:
            status = CONVERGED
        elif not isfinite(res):
            status = BREAKDOWN
        else:
            if precondition:
                _ssor_apply(n, &indptr[0], ip, dp, &diag[0], &r[0], &z[0], omega)
            else:
                for i in range(n):
                    z[i] = r[i]
            for i in range(n):
                p[i] = z[i]
            rz = _dot(n, &r[0], &z[0])
            while it < maxiter:
                for i in range(n):
                    q[i] = <floating>_row_dot(&indptr[0], ip, dp, &p[0], i)
                pq = _dot(n, &p[0], &q[0])
                if not (pq > 0.0) or not isfinite(pq):
                    status = BREAKDOWN
                    break
                alpha = rz / pq
                for i in range(n):
                    x[i] = <floating>(x[i] + alpha * p[i])
                    r[i] = <floating>(r[i] - alpha * q[i])
                it += 1
                res = sqrt(_dot(n, &r[0], &r[0]))
                history[it] = res
                if res <= atol:
                    status = CONVERGED
                    break
                if not isfinite(res):
                    status = BREAKDOWN
                    break
                if precondition:
                    _ssor_apply(n, &indptr[0], ip, dp, &diag[0], &r[0], &z[0], omega)
                else:
                    for i in range(n):
                        z[i] = r[i]
                rz_new = _dot(n, &r[0], &z[0])
                beta = rz_new / rz
                rz = rz_new
                for i in range(n):
                    p[i] = <floating>(z[i] + beta * p[i])
    return it, status
