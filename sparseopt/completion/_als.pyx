# Per-row least-squares solves of alternating minimization for matrix completion.
#
# One half-step of ALS fixes the factor F (n_minor x k) and, for every row i of the observed
# matrix stored in CSR (or every column, stored in CSC), solves the ridge problem
#   min_x  sum_{j in Omega_i} (m_ij - x . f_j)^2 + reg ||x||^2,
# whose normal equations are G_i x = b_i with G_i = sum_j f_j f_j^T + reg I and
# b_i = sum_j m_ij f_j. Rows are independent, so they run in an OpenMP prange and the
# result does not depend on the thread count or the schedule (each row's sums run in the
# order of its stored entries, in one thread).
#
# Two solvers:
# - Cholesky: form G_i (its lower triangle, O(|Omega_i| k^2)) and factor it (O(k^3)).
# - CG: cg_iter conjugate-gradient steps from the current row (warm start), each applying
#   G_i through the observed entries, q = reg p + sum_j f_j (f_j . p): O(|Omega_i| k) per
#   step, G_i is never formed (the "approximate solves" of Gu, Song, Yin, Zhang 2024).
# - Sketch: sketch-preconditioned CG. A CountSketch S (s x |Omega_i|: every observed entry
#   hashed to one of s rows with a random sign) compresses the row's design F_J to the
#   s x k matrix S F_J in O(|Omega_i| k); P = (S F_J)^T (S F_J) + reg I, formed in O(s k^2)
#   and factored in O(k^3), approximates G_i, and cg_iter preconditioned CG steps from the
#   current row solve G_i x = b_i. The row costs O(|Omega_i| k (cg_iter + 1) + s k^2 + k^3)
#   instead of Cholesky's O(|Omega_i| k^2 + k^3), and the preconditioner makes the few CG
#   steps converge whatever the conditioning of G_i (the sketch-preconditioned regression
#   of sparseopt.linalg.sketched_lstsq, one small problem per row). Rows with at most s
#   entries are solved exactly (the sketch would not be smaller). The hash of an entry is
#   a function of (seed, row, position in the row): the result does not depend on the
#   threads.
#
# Sums are accumulated in double whatever the input precision.
from cython.parallel cimport parallel, prange
from libc.math cimport sqrt
from libc.stdint cimport int64_t, uint64_t
from libc.stdlib cimport free, malloc

from sparseopt._typedefs cimport floating, index_t

# A pivot below this fraction of the original diagonal entry means G_i is (numerically)
# singular: fewer than k observed entries, or observed factor rows that do not span R^k.
cdef double _PIVOT_RTOL = 1e-12
# The ridge then added, relative to trace(G_i) / k, about sqrt(eps): it balances the
# bias (jitter / sigma_min^2) against rounding (eps / jitter) and approximates the minimum-norm
# least-squares solution (the limit of the ridge solution as reg -> 0).
cdef double _JITTER = 1e-8


cdef inline void _gram(int64_t start, int64_t end, const index_t *indices,
                       const floating *data, const floating *F, int k, double reg,
                       double *G, double *b) noexcept nogil:
    # G = sum_j f_j f_j^T + reg I (the lower triangle is what is read) and
    # b = sum_j m_ij f_j. Entries are taken four at a time, so that each sweep over G
    # loads and stores it once per four rank-1 terms (G's traffic, not the flops, set the
    # speed of the one-entry loop); the full row of G is updated, a fixed-length inner
    # loop the compiler vectorizes (it beat the triangle's half of the flops about 2x at
    # k = 10, in runs on a loaded 2-core machine).
    cdef int a, c
    cdef int64_t jj = start
    cdef const floating *f0
    cdef const floating *f1
    cdef const floating *f2
    cdef const floating *f3
    cdef double a0, a1, a2, a3, m0, m1, m2, m3
    for a in range(k * k):
        G[a] = 0.0
    for a in range(k):
        b[a] = 0.0
    while jj + 4 <= end:
        f0 = F + <int64_t>indices[jj] * k
        f1 = F + <int64_t>indices[jj + 1] * k
        f2 = F + <int64_t>indices[jj + 2] * k
        f3 = F + <int64_t>indices[jj + 3] * k
        m0 = data[jj]
        m1 = data[jj + 1]
        m2 = data[jj + 2]
        m3 = data[jj + 3]
        for a in range(k):
            a0 = f0[a]
            a1 = f1[a]
            a2 = f2[a]
            a3 = f3[a]
            b[a] += (m0 * a0 + m1 * a1) + (m2 * a2 + m3 * a3)
            for c in range(k):
                G[a * k + c] += (a0 * f0[c] + a1 * f1[c]) + (a2 * f2[c] + a3 * f3[c])
        jj += 4
    while jj < end:
        f0 = F + <int64_t>indices[jj] * k
        m0 = data[jj]
        for a in range(k):
            a0 = f0[a]
            b[a] += m0 * a0
            for c in range(k):
                G[a * k + c] += a0 * f0[c]
        jj += 1
    for a in range(k):
        G[a * k + a] += reg


cdef inline int _cholesky(double *G, int k, double *diag) noexcept nogil:
    # in place, lower triangle: G = L L^T; returns -1 if a pivot is not clearly positive
    cdef int i, j, l
    cdef double s, d
    for j in range(k):
        diag[j] = G[j * k + j]
    for j in range(k):
        s = G[j * k + j]
        for l in range(j):
            s -= G[j * k + l] * G[j * k + l]
        if not (s > _PIVOT_RTOL * diag[j]) or not (s > 0.0):
            return -1
        d = sqrt(s)
        G[j * k + j] = d
        for i in range(j + 1, k):
            s = G[i * k + j]
            for l in range(j):
                s -= G[i * k + l] * G[j * k + l]
            G[i * k + j] = s / d
    return 0


cdef inline void _cholesky_solve(const double *L, int k, double *x) noexcept nogil:
    # x <- (L L^T)^-1 x
    cdef int i, l
    cdef double s
    for i in range(k):
        s = x[i]
        for l in range(i):
            s -= L[i * k + l] * x[l]
        x[i] = s / L[i * k + i]
    for i in range(k - 1, -1, -1):
        s = x[i]
        for l in range(i + 1, k):
            s -= L[l * k + i] * x[l]
        x[i] = s / L[i * k + i]


cdef inline int _solve_cholesky(int64_t start, int64_t end, const index_t *indices,
                                const floating *data, const floating *F, int k, double reg,
                                double *G, double *x, double *diag) noexcept nogil:
    # x <- argmin of the row's ridge problem; returns 1 when the jitter was needed
    cdef int a
    cdef double tr = 0.0
    _gram(start, end, indices, data, F, k, reg, G, x)
    if _cholesky(G, k, diag) == 0:
        _cholesky_solve(G, k, x)
        return 0
    for a in range(k):
        tr += diag[a]
    if not (tr > 0.0):
        # no observed entry (or only zero factor rows): the solution is 0
        for a in range(k):
            x[a] = 0.0
        return 1
    _gram(start, end, indices, data, F, k, reg + _JITTER * tr / k, G, x)
    if _cholesky(G, k, diag) == 0:
        _cholesky_solve(G, k, x)
    else:
        for a in range(k):
            x[a] = 0.0
    return 1


cdef inline void _apply_gram(int64_t start, int64_t end, const index_t *indices,
                             const floating *F, int k, double reg, const double *p,
                             double *q) noexcept nogil:
    # q = reg p + sum_j f_j (f_j . p), through the observed entries
    cdef int a
    cdef int64_t jj
    cdef const floating *f
    cdef double s
    for a in range(k):
        q[a] = reg * p[a]
    for jj in range(start, end):
        f = F + <int64_t>indices[jj] * k
        s = 0.0
        for a in range(k):
            s += f[a] * p[a]
        for a in range(k):
            q[a] += s * f[a]


cdef inline void _solve_cg(int64_t start, int64_t end, const index_t *indices,
                           const floating *data, const floating *F, int k, double reg,
                           int cg_iter, double *x, double *r, double *p,
                           double *q) noexcept nogil:
    # cg_iter CG steps on G x = b from the x passed in
    cdef int a, t
    cdef int64_t jj
    cdef const floating *f
    cdef double s, rr, rr0, rr_new, pq, alpha, beta
    # r = b - G x = sum_j f_j (m_ij - f_j . x) - reg x
    for a in range(k):
        r[a] = -reg * x[a]
    for jj in range(start, end):
        f = F + <int64_t>indices[jj] * k
        s = data[jj]
        for a in range(k):
            s -= f[a] * x[a]
        for a in range(k):
            r[a] += s * f[a]
    rr = 0.0
    for a in range(k):
        p[a] = r[a]
        rr += r[a] * r[a]
    rr0 = rr
    for t in range(cg_iter):
        if not (rr > 1e-30 * rr0):
            break
        _apply_gram(start, end, indices, F, k, reg, p, q)
        pq = 0.0
        for a in range(k):
            pq += p[a] * q[a]
        if not (pq > 0.0):
            break  # p in the null space of a singular G: x is a least-squares solution
        alpha = rr / pq
        rr_new = 0.0
        for a in range(k):
            x[a] += alpha * p[a]
            r[a] -= alpha * q[a]
            rr_new += r[a] * r[a]
        beta = rr_new / rr
        rr = rr_new
        for a in range(k):
            p[a] = r[a] + beta * p[a]


cdef inline uint64_t _mix(uint64_t z) noexcept nogil:
    # splitmix64's finalizer: a bijection of 64-bit words with good avalanche
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL
    return z ^ (z >> 31)


cdef inline int _solve_sketch(int64_t start, int64_t end, const index_t *indices,
                              const floating *data, const floating *F, int k, double reg,
                              int cg_iter, int s, uint64_t seed, int64_t row, double *x,
                              double *SA, double *P, double *diag, double *r, double *p,
                              double *q, double *z) noexcept nogil:
    # x <- cg_iter preconditioned CG steps on G x = b from the x passed in, preconditioned
    # by the CountSketch Gram P; returns 1 when P (or, for short rows, G) needed jitter
    cdef int a, c, t, bucket, jitter = 0
    cdef int64_t jj
    cdef const floating *f
    cdef double sg, acc, rz, rz_new, pq, alpha, beta, tr, rr0
    cdef uint64_t h, row_key
    if end - start <= s:
        return _solve_cholesky(start, end, indices, data, F, k, reg, P, x, diag)
    # S F_J: entry jj goes to row bucket(jj) of the sketch with sign sign(jj)
    for a in range(s * k):
        SA[a] = 0.0
    row_key = _mix(seed ^ _mix(<uint64_t>row + 0x9E3779B97F4A7C15ULL))
    for jj in range(start, end):
        h = _mix(row_key + <uint64_t>(jj - start))
        bucket = <int>((h >> 1) % <uint64_t>s)
        sg = 1.0 if (h & 1) else -1.0
        f = F + <int64_t>indices[jj] * k
        for a in range(k):
            SA[bucket * k + a] += sg * f[a]
    # P = (S F_J)^T (S F_J) + reg I, lower triangle, then its Cholesky factor
    for a in range(k):
        for c in range(a + 1):
            acc = 0.0
            for t in range(s):
                acc += SA[t * k + a] * SA[t * k + c]
            P[a * k + c] = acc
        P[a * k + a] += reg
    if _cholesky(P, k, diag) != 0:
        # a sketch of a rank-deficient (or unlucky) design: jitter, as for Cholesky
        jitter = 1
        tr = 0.0
        for a in range(k):
            tr += diag[a]
        if not (tr > 0.0):
            for a in range(k):
                x[a] = 0.0
            return 1
        for a in range(k):
            for c in range(a + 1):
                acc = 0.0
                for t in range(s):
                    acc += SA[t * k + a] * SA[t * k + c]
                P[a * k + c] = acc
            P[a * k + a] += reg + _JITTER * tr / k
        if _cholesky(P, k, diag) != 0:
            return _solve_cholesky(start, end, indices, data, F, k, reg, P, x, diag)
    # r = b - G x through the observed entries
    for a in range(k):
        r[a] = -reg * x[a]
    for jj in range(start, end):
        f = F + <int64_t>indices[jj] * k
        acc = data[jj]
        for a in range(k):
            acc -= f[a] * x[a]
        for a in range(k):
            r[a] += acc * f[a]
    rz = 0.0
    rr0 = 0.0
    for a in range(k):
        z[a] = r[a]
        rr0 += r[a] * r[a]
    _cholesky_solve(P, k, z)
    for a in range(k):
        p[a] = z[a]
        rz += r[a] * z[a]
    for t in range(cg_iter):
        if not (rz > 1e-30 * rr0) or not (rr0 > 0.0):
            break
        _apply_gram(start, end, indices, F, k, reg, p, q)
        pq = 0.0
        for a in range(k):
            pq += p[a] * q[a]
        if not (pq > 0.0):
            break
        alpha = rz / pq
        for a in range(k):
            x[a] += alpha * p[a]
            r[a] -= alpha * q[a]
            z[a] = r[a]
        _cholesky_solve(P, k, z)
        rz_new = 0.0
        for a in range(k):
            rz_new += r[a] * z[a]
        beta = rz_new / rz
        rz = rz_new
        for a in range(k):
            p[a] = z[a] + beta * p[a]
    return jitter


cdef inline double _row_residual(int64_t start, int64_t end, const index_t *indices,
                                 const floating *data, const floating *F, int k,
                                 const floating *x) noexcept nogil:
    cdef int a
    cdef int64_t jj
    cdef const floating *f
    cdef double s, acc = 0.0
    for jj in range(start, end):
        f = F + <int64_t>indices[jj] * k
        s = data[jj]
        for a in range(k):
            s -= <double>f[a] * x[a]
        acc += s * s
    return acc


def solve_rows(const index_t[::1] indptr, const index_t[::1] indices,
               const floating[::1] data, const floating[:, ::1] F, floating[:, ::1] X,
               double reg, int mode, int cg_iter, double[::1] residual, int n_threads,
               int sketch_size=0, unsigned long long seed=0):
    """Solve every row's ridge problem for the fixed factor ``F``, in place in ``X``.

    ``mode`` is 0 (Cholesky), 1 (CG) or 2 (CountSketch-preconditioned CG with
    ``sketch_size`` rows, hashed from ``seed``; requires ``sketch_size >= 1``).
    ``X`` (n_major x k) holds the warm start of the CG solvers on entry. When
    ``residual`` has n_major entries, ``residual[i]`` receives row i's sum of squared
    errors on its observed entries after the solve. Returns the number of rows whose
    Gram matrix (or, for the sketch, its sketched Gram) was singular (they got the jittered
    solution, or 0 when they observe nothing; never counted for CG), -1 if a work buffer
    could not be allocated, or -2 for an invalid ``mode`` / ``sketch_size``.
    """
    cdef int64_t n = X.shape[0], i, n_singular = 0
    cdef int k = <int>X.shape[1], a
    cdef bint want_residual = residual.shape[0] == n
    cdef const index_t *ip = &indices[0] if indices.shape[0] else NULL
    cdef const floating *dp = &data[0] if data.shape[0] else NULL
    cdef const floating *fp = &F[0, 0] if F.shape[0] else NULL
    cdef int failed[1]
    cdef int s = sketch_size if mode == 2 else 0
    cdef uint64_t key = <uint64_t>seed
    cdef double *G
    cdef double *x
    cdef double *w
    cdef double *SA
    if mode < 0 or mode > 2 or (mode == 2 and sketch_size < 1):
        return -2
    if n == 0 or k == 0:
        return 0
    failed[0] = 0
    with nogil, parallel(num_threads=n_threads):
        # per-thread buffers: G (k x k), x, CG's r, p, q (or Cholesky's diagonal) and the
        # preconditioned CG's z, and the sketch S F_J (s x k)
        G = <double *>malloc(<size_t>k * k * sizeof(double))
        x = <double *>malloc(<size_t>k * sizeof(double))
        w = <double *>malloc(<size_t>5 * k * sizeof(double))
        SA = <double *>malloc(<size_t>(s if s > 0 else 1) * k * sizeof(double))
        if G == NULL or x == NULL or w == NULL or SA == NULL:
            failed[0] = 1
        for i in prange(n, schedule="dynamic", chunksize=16):
            if G == NULL or x == NULL or w == NULL or SA == NULL:
                continue
            if mode == 1:
                for a in range(k):
                    x[a] = X[i, a]
                _solve_cg(indptr[i], indptr[i + 1], ip, dp, fp, k, reg, cg_iter, x, w,
                          w + k, w + 2 * k)
            elif mode == 2:
                for a in range(k):
                    x[a] = X[i, a]
                n_singular += _solve_sketch(indptr[i], indptr[i + 1], ip, dp, fp, k, reg,
                                            cg_iter, s, key, i, x, SA, G, w + 4 * k, w,
                                            w + k, w + 2 * k, w + 3 * k)
            else:
                n_singular += _solve_cholesky(indptr[i], indptr[i + 1], ip, dp, fp, k, reg,
                                              G, x, w)
            for a in range(k):
                X[i, a] = <floating>x[a]
            if want_residual:
                residual[i] = _row_residual(indptr[i], indptr[i + 1], ip, dp, fp, k,
                                            &X[i, 0])
        free(G)
        free(x)
        free(w)
        free(SA)
    if failed[0]:
        return -1
    return n_singular


def observed_residual(const index_t[::1] indptr, const index_t[::1] indices,
                      const floating[::1] data, const floating[:, ::1] F,
                      const floating[:, ::1] X, double[::1] residual, int n_threads):
    """``residual[i]`` = sum over row i's observed entries of (m_ij - x_i . f_j)^2."""
    cdef int64_t n = X.shape[0], i
    cdef int k = <int>X.shape[1]
    cdef const index_t *ip = &indices[0] if indices.shape[0] else NULL
    cdef const floating *dp = &data[0] if data.shape[0] else NULL
    cdef const floating *fp = &F[0, 0] if F.shape[0] else NULL
    if n == 0 or k == 0:
        return
    for i in prange(n, nogil=True, schedule="static", num_threads=n_threads):
        residual[i] = _row_residual(indptr[i], indptr[i + 1], ip, dp, fp, k, &X[i, 0])
