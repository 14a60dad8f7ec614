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
                             const floating *data, const double *inv_diag,
                             const floating *r, floating *z, double omega) noexcept nogil:
    # z = omega (2 - omega) (D + omega U)^-1 D (D + omega L)^-1 r: one forward solve into z,
    # then a backward solve in place (z_i still holds the forward value when row i is
    # reached, its successors already hold final values). The constant omega (2 - omega)
    # is folded into the forward solve: the backward one is linear in its input.
    cdef int64_t i, jj, j
    cdef double s, c = omega * (2.0 - omega)
    for i in range(n):
        s = 0.0
        for jj in range(indptr[i], indptr[i + 1]):
            j = indices[jj]
            if j < i:
                s += data[jj] * z[j]
        z[i] = <floating>((c * r[i] - omega * s) * inv_diag[i])
    for i in range(n - 1, -1, -1):
        s = 0.0
        for jj in range(indptr[i], indptr[i + 1]):
            j = indices[jj]
            if j > i:
                s += data[jj] * z[j]
        z[i] = <floating>(z[i] - omega * s * inv_diag[i])


cdef inline void _ssor_apply_split(int64_t n, const index_t *lp, const index_t *li,
                                   const floating *ld, const index_t *up, const index_t *ui,
                                   const floating *ud, const double *inv_diag,
                                   const floating *r, floating *z,
                                   double omega) noexcept nogil:
    # _ssor_apply on A's strictly lower and strictly upper parts stored apart, so that the
    # triangular solves need no branch per entry. They are latency-bound: z_i waits for
    # z_{i-1} (forward) or z_{i+1} (backward). With sorted indices that neighbour is the
    # last lower entry (first upper entry) of the row, so it is added last, as one FMA:
    # z_i = t_i - (omega a_ij / a_ii) z_j, with t_i computed from the other entries while
    # z_j is still being computed.
    cdef int64_t i, jj, last, first
    cdef double s, w, c = omega * (2.0 - omega)
    for i in range(n):
        w = omega * inv_diag[i]
        s = 0.0
        last = lp[i + 1] - 1
        for jj in range(lp[i], last):
            s += ld[jj] * z[li[jj]]
        s = c * inv_diag[i] * r[i] - w * s
        if last >= lp[i]:
            s -= (w * ld[last]) * z[li[last]]
        z[i] = <floating>s
    for i in range(n - 1, -1, -1):
        w = omega * inv_diag[i]
        s = 0.0
        first = up[i]
        for jj in range(first + 1, up[i + 1]):
            s += ud[jj] * z[ui[jj]]
        s = z[i] - w * s
        if first < up[i + 1]:
            s -= (w * ud[first]) * z[ui[first]]
        z[i] = <floating>s


def split_triangles(const index_t[::1] indptr, const index_t[::1] indices,
                    const floating[::1] data, index_t[::1] lp, index_t[::1] li,
                    floating[::1] ld, index_t[::1] up, index_t[::1] ui, floating[::1] ud):
    """Copy the strictly lower and strictly upper entries of A into two CSR structures.

    ``li``/``ld`` and ``ui``/``ud`` need room for nnz(A) entries; ``lp``/``up`` have n + 1.
    """
    cdef int64_t n = indptr.shape[0] - 1, i, jj, nl = 0, nu = 0
    cdef index_t j
    with nogil:
        lp[0] = 0
        up[0] = 0
        for i in range(n):
            for jj in range(indptr[i], indptr[i + 1]):
                j = indices[jj]
                if j < i:
                    li[nl] = j
                    ld[nl] = data[jj]
                    nl += 1
                elif j > i:
                    ui[nu] = j
                    ud[nu] = data[jj]
                    nu += 1
            lp[i + 1] = <index_t>nl
            up[i + 1] = <index_t>nu


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
               const floating[::1] data, const double[::1] inv_diag, const floating[::1] r,
               floating[::1] z, double omega):
    """``z = M^-1 r`` for the SSOR preconditioner ``M`` (inv_diag = 1 / diag)."""
    cdef int64_t n = r.shape[0]
    if n == 0:
        return
    with nogil:
        _ssor_apply(n, &indptr[0], &indices[0] if indices.shape[0] else NULL,
                    &data[0] if data.shape[0] else NULL, &inv_diag[0], &r[0], &z[0], omega)


cdef inline double _dot(int64_t n, const floating *a, const floating *b) noexcept nogil:
    cdef double s = 0.0
    cdef int64_t i
    for i in range(n):
        s += <double>a[i] * b[i]
    return s


def pcg(const index_t[::1] indptr, const index_t[::1] indices, const floating[::1] data,
        const double[::1] inv_diag, const floating[::1] b, floating[::1] x, double omega,
        bint precondition, int64_t maxiter, double atol, double[::1] history,
        floating[::1] r, floating[::1] z, floating[::1] p, floating[::1] q,
        const index_t[::1] lp, const index_t[::1] li, const floating[::1] ld,
        const index_t[::1] up, const index_t[::1] ui, const floating[::1] ud):
    """Conjugate gradients, SSOR-preconditioned when ``precondition``, from ``x``.

    The preconditioner reads A's triangles from ``lp, li, ld`` / ``up, ui, ud``
    (:func:`split_triangles`; unused without ``precondition``).

    Stops when the recurrence residual ``||r_k|| <= atol`` (``history[k]``), after
    ``maxiter`` iterations, or on a breakdown (``p.Ap <= 0`` or a non-finite value: A is
    not symmetric positive definite). Returns ``(n_iter, status)``.
    """
    cdef int64_t n = x.shape[0], it = 0, i
    cdef int status = MAXITER
    cdef double res, rz, rz_new, pq, alpha, beta
    cdef const index_t *ip = &indices[0] if indices.shape[0] else NULL
    cdef const floating *dp = &data[0] if data.shape[0] else NULL
    cdef const index_t *lip = &li[0] if li.shape[0] else NULL
    cdef const index_t *uip = &ui[0] if ui.shape[0] else NULL
    cdef const floating *ldp = &ld[0] if ld.shape[0] else NULL
    cdef const floating *udp = &ud[0] if ud.shape[0] else NULL
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
                _ssor_apply_split(n, &lp[0], lip, ldp, &up[0], uip, udp, &inv_diag[0], &r[0],
                                      &z[0], omega)
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
                    _ssor_apply_split(n, &lp[0], lip, ldp, &up[0], uip, udp, &inv_diag[0], &r[0],
                                      &z[0], omega)
                else:
                    for i in range(n):
                        z[i] = r[i]
                rz_new = _dot(n, &r[0], &z[0])
                beta = rz_new / rz
                rz = rz_new
                for i in range(n):
                    p[i] = <floating>(z[i] + beta * p[i])
    return it, status
