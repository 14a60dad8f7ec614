/* Entropic OT kernels (see sparseopt/sinkhorn.h).  The cost-type dependent bodies live in
 * sinkhorn_impl.h, instantiated here for float64 and float32 costs; the float64-only
 * kernels (scaling-form matvecs, the Newton CG) follow. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "sparseopt/sinkhorn.h"

#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__SSE2__)
#include <xmmintrin.h>
/* The scaling-form products u_i K_ij can fall below 2^-1022 (u down to 1e-50, K entries
 * down to 1e-307) and subnormal arithmetic is ~100x slower on x86: flush those products
 * to zero inside the matvecs (their contribution is < 1e-258 of a unit mass) and restore
 * the caller's floating-point mode afterwards. */
#define SO_FTZ_BEGIN const unsigned int so_csr_saved_ = _mm_getcsr(); _mm_setcsr(so_csr_saved_ | 0x8040);
#define SO_FTZ_END _mm_setcsr(so_csr_saved_);
#else
#define SO_FTZ_BEGIN
#define SO_FTZ_END
#endif

/* Hot loops are compiled twice, for AVX2+FMA and for the baseline, and each kernel picks
 * one at run time from the CPU's features: portable builds, 4-wide exp where it exists.
 * (Dispatch is by hand: GCC 12's target_clones resolver chose the baseline on an AVX2
 * machine here.) */
#if defined(__GNUC__) && defined(__x86_64__)
#define SO_HAVE_HSW 1
static int so_cpu_hsw(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#else
#define SO_HAVE_HSW 0
static int so_cpu_hsw(void)
{
    return 0;
}
#endif

#pragma GCC diagnostic ignored "-Wpsabi"  /* 32-byte vectors in always-inlined helpers */

#define SO_COL_TILE 128  /* columns per task in column-wise reductions (small: 2 threads share m) */

/* exp(r) = 1 + sum_{k=1..13} r^k / k! for |r| <= ln2 / 2 (truncation < 1e-17 relative),
 * for T = double or so_v4d.  Estrin's scheme (pairs, then powers r^2, r^4, r^8) keeps the
 * dependency chain 5 operations deep instead of Horner's 13, so the out-of-order core
 * overlaps consecutive elements; the constant 1 is added last, so that the large term is
 * rounded once. */
#define SO_EXP_POLY(T, p, r)                                                            \
    do {                                                                                \
        const T r2_ = (r) * (r), r4_ = r2_ * r2_, r8_ = r4_ * r4_;                      \
        const T p23_ = (r) * (1.0 / 6.0) + 0.5;                                         \
        const T p45_ = (r) * (1.0 / 120.0) + 1.0 / 24.0;                                \
        const T p67_ = (r) * (1.0 / 5040.0) + 1.0 / 720.0;                              \
        const T p89_ = (r) * (1.0 / 362880.0) + 1.0 / 40320.0;                          \
        const T pab_ = (r) * (1.0 / 39916800.0) + 1.0 / 3628800.0;                      \
        const T pcd_ = (r) * (1.0 / 6227020800.0) + 1.0 / 479001600.0;                  \
        const T q0_ = r2_ * p23_ + (r);             /* terms 1 .. 3 */                  \
        const T q1_ = r2_ * p67_ + p45_;            /* 4 .. 7, over r^4 */              \
        const T q2_ = r2_ * pab_ + p89_;            /* 8 .. 11, over r^8 */             \
        const T h1_ = r4_ * pcd_ + q2_;             /* 8 .. 13, over r^8 */             \
        p = (r8_ * h1_ + (r4_ * q1_ + q0_)) + 1.0;                                      \
    } while (0)

/* exp(x) for float64, written so that a loop over it vectorises: x = k ln2 + r with
 * |r| <= ln2 / 2 (Cody-Waite split of ln2), exp(r) by its Taylor polynomial of degree 13
 * (SO_EXP_POLY), and 2^k assembled in the exponent bits.  k is rounded
 * with the 1.5 * 2^52 shifter, whose low mantissa bits then hold k as an integer.
 * Arguments below -708 return 0 (no subnormals), above 709.78 +inf, NaN stays NaN. */
static inline __attribute__((always_inline)) double so_exp(double x)
{
    const double shifter = 6755399441055744.0;
    const double log2e = 1.4426950408889634074;
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    double xc = x < -708.0 ? -708.0 : x;
    xc = xc > 709.0 ? 709.0 : xc;
    union { double d; int64_t i; } t, s;
    t.d = xc * log2e + shifter;
    const double k = t.d - shifter;
    const int64_t ki = t.i - (int64_t)0x4338000000000000LL;
    const double r = (xc - k * ln2_hi) - k * ln2_lo;
    double p;
    SO_EXP_POLY(double, p, r);
    s.i = (ki + 1023) << 52;
    double y = p * s.d;
    y = x < -708.0 ? 0.0 : y;
    y = x > 709.78 ? HUGE_VAL : y;
    return y;
}

/* The same on four lanes with GCC/Clang vector extensions (bit casts between lanes of
 * doubles and of int64 are free there, and a union would block the auto-vectoriser);
 * on the baseline target the compiler splits each operation into two SSE2 halves. */
typedef double so_v4d __attribute__((vector_size(32)));
typedef int64_t so_v4l __attribute__((vector_size(32)));

static inline __attribute__((always_inline)) so_v4d so_sel4(so_v4l mask, so_v4d yes, so_v4d no)
{
    return (so_v4d)((mask & (so_v4l)yes) | (~mask & (so_v4l)no));
}

static inline __attribute__((always_inline)) so_v4d so_exp4(so_v4d x)
{
    const so_v4d shifter = {6755399441055744.0, 6755399441055744.0, 6755399441055744.0,
                            6755399441055744.0};
    const double log2e = 1.4426950408889634074;
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    const so_v4d lo = {-708.0, -708.0, -708.0, -708.0}, hi = {709.0, 709.0, 709.0, 709.0};
    const so_v4d zero = {0.0, 0.0, 0.0, 0.0}, inf = {HUGE_VAL, HUGE_VAL, HUGE_VAL, HUGE_VAL};
    const so_v4l under = x < lo, over = x > 709.78;
    so_v4d xc = so_sel4(under, lo, x);
    xc = so_sel4(xc > hi, hi, xc);
    const so_v4d t = xc * log2e + shifter;
    const so_v4d k = t - shifter;
    const so_v4l ki = (so_v4l)t - (int64_t)0x4338000000000000LL;
    const so_v4d r = (xc - k * ln2_hi) - k * ln2_lo;
    so_v4d p;
    SO_EXP_POLY(so_v4d, p, r);
    so_v4d y = p * (so_v4d)((ki + 1023) << 52);
    y = so_sel4(under, zero, y);
    return so_sel4(over, inf, y);
}

static inline __attribute__((always_inline)) so_v4d so_load4d(const double *p)
{
    so_v4d v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) so_v4d so_load4f(const float *p)
{
    so_v4d v = {(double)p[0], (double)p[1], (double)p[2], (double)p[3]};
    return v;
}

static inline __attribute__((always_inline)) void so_store4(double *p, so_v4d v)
{
    memcpy(p, &v, sizeof v);
}

/* Whether any lane of a comparison result is true: portable, and one vmovmskpd on AVX
 * (the skip tests run once per four entries of M). */
static inline __attribute__((always_inline)) int so_any4_def(so_v4l mask)
{
    return ((mask[0] | mask[1]) | (mask[2] | mask[3])) != 0;
}
#if SO_HAVE_HSW
static inline __attribute__((always_inline, target("avx2,fma"))) int so_any4_hsw(so_v4l mask)
{
    return __builtin_ia32_movmskpd256((so_v4d)mask) != 0;
}
#endif

/* Log-sum-exp over k terms, the largest being exp(0): terms below exp(so_lse_cut(k)) add
 * less than 1e-20 relative to the sum together, and are skipped four at a time. */
static inline double so_lse_cut(int64_t k)
{
    return log(1e-20 / (double)(k > 0 ? k : 1));
}

static inline __attribute__((always_inline)) double so_hsum4(so_v4d v)
{
    return (v[0] + v[1]) + (v[2] + v[3]);
}

/* The Hessian keeps P_ij >= tau * min(a_i, b_j) (ta = tau * a_i): one definition for the
 * scalar paths, so that the counting passes and the filling passes agree. */
static inline __attribute__((always_inline)) int so_kept(double p, double ta, double tau,
                                                          double bj)
{
    const double tb = tau * bj;
    return p >= (ta < tb ? ta : tb);
}

/* cols[j] = the sum over `used` per-thread accumulators (m doubles each) of their entry j */
static void so_sum_accumulators(const double *acc, int used, int64_t m, double *cols)
{
    for (int64_t j = 0; j < m; ++j) {
        double s = 0.0;
        for (int t = 0; t < used; ++t) s += acc[(size_t)t * (size_t)m + j];
        cols[j] = s;
    }
}

static int so_threads(int n_threads)
{
    return n_threads < 1 ? 1 : n_threads;
}

/* Row helpers: for AVX2+FMA (where the compiler can target it), then for the baseline. */
#define SO_HELPERS
#if SO_HAVE_HSW
#define SO_TGT __attribute__((target("avx2,fma")))
#define ISA _hsw
#include "sinkhorn_types.h"
#undef SO_TGT
#undef ISA
#endif
#define SO_TGT
#define ISA _def
#include "sinkhorn_types.h"
#undef SO_TGT
#undef ISA
#undef SO_HELPERS

/* The exported kernels, once per cost type. */
#define SO_EXPORTS
#include "sinkhorn_types.h"
#undef SO_EXPORTS

/* ------------------------------------------------------------------ scaling form */

#define SO_DOT_BODY                                                                     \
    {                                                                                   \
        SO_FTZ_BEGIN                                                                    \
        double s = 0.0;                                                                 \
        _Pragma("omp simd reduction(+ : s)") for (int64_t j = 0; j < m; ++j) s += x[j] * y[j]; \
        SO_FTZ_END                                                                      \
        return s;                                                                       \
    }
#if SO_HAVE_HSW
static __attribute__((target("avx2,fma"))) double so_dot_hsw(int64_t m, const double *restrict x,
                                                             const double *restrict y)
SO_DOT_BODY
#else
#define so_dot_hsw so_dot_def
#endif
static double so_dot_def(int64_t m, const double *restrict x, const double *restrict y)
SO_DOT_BODY

int so_sk_matvec(int64_t n, int64_t m, const double *K, const double *v, double *out,
                 int n_threads)
{
    const int hsw = so_cpu_hsw();
    int64_t i;
    (void)n_threads;
#pragma omp parallel for schedule(static) num_threads(so_threads(n_threads)) if (n * m > 262144)
    for (i = 0; i < n; ++i) out[i] = hsw ? so_dot_hsw(m, K + i * m, v) : so_dot_def(m, K + i * m, v);
    return SO_OK;
}

#define SO_AXPY_BODY                                                                    \
    {                                                                                   \
        SO_FTZ_BEGIN                                                                    \
        for (int64_t c = 0; c < w; ++c) acc[c] = 0.0;                                   \
        for (int64_t i = 0; i < n; ++i) {                                               \
            const double ui = u[i];                                                     \
            const double *restrict Ki = K + i * m + j0;                                 \
            _Pragma("omp simd") for (int64_t c = 0; c < w; ++c) acc[c] += ui * Ki[c];    \
        }                                                                               \
        SO_FTZ_END                                                                      \
    }
#if SO_HAVE_HSW
static __attribute__((target("avx2,fma"))) void so_axpy_rows_hsw(
    int64_t n, int64_t m, int64_t j0, int64_t w, const double *restrict K,
    const double *restrict u, double *restrict acc)
SO_AXPY_BODY
#else
#define so_axpy_rows_hsw so_axpy_rows_def
#endif
static void so_axpy_rows_def(int64_t n, int64_t m, int64_t j0, int64_t w,
                             const double *restrict K, const double *restrict u,
                             double *restrict acc)
SO_AXPY_BODY

int so_sk_rmatvec(int64_t n, int64_t m, const double *K, const double *u, double *out,
                  int n_threads)
{
    const int hsw = so_cpu_hsw();
    const int64_t n_tiles = (m + SO_COL_TILE - 1) / SO_COL_TILE;
    int64_t t;
    (void)n_threads;
#pragma omp parallel for schedule(static) num_threads(so_threads(n_threads)) if (n * m > 262144)
    for (t = 0; t < n_tiles; ++t) {
        const int64_t j0 = t * SO_COL_TILE;
        const int64_t w = (m - j0 < SO_COL_TILE) ? m - j0 : SO_COL_TILE;
        if (hsw)
            so_axpy_rows_hsw(n, m, j0, w, K, u, out + j0);
        else
            so_axpy_rows_def(n, m, j0, w, K, u, out + j0);
    }
    return SO_OK;
}

/* ------------------------------------------------------------------ Newton CG */

/* y = S x (S is n x m in CSR) */
static void so_csr_mv_(int64_t n, const int64_t *ptr, const int64_t *ind, const double *val,
                       const double *x, double *y, int nt)
{
    int64_t i;
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1 && n > 4096)
    for (i = 0; i < n; ++i) {
        double s = 0.0;
        for (int64_t p = ptr[i]; p < ptr[i + 1]; ++p) s += val[p] * x[ind[p]];
        y[i] = s;
    }
}

/* Schur operator: out = (d2 + shift) y - S^T (S y / d1), with S^T held as CSR (tp, ti, tv). */
static void so_schur_mv_(int64_t n, int64_t m, const int64_t *ptr, const int64_t *ind,
                         const double *val, const int64_t *tp, const int64_t *ti,
                         const double *tv, const double *d1, const double *d2, double shift,
                         const double *y, double *work_n, double *out, int nt)
{
    int64_t i, j;
    (void)nt;
    so_csr_mv_(n, ptr, ind, val, y, work_n, nt);
    for (i = 0; i < n; ++i) work_n[i] /= d1[i];
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1 && m > 4096)
    for (j = 0; j < m; ++j) {
        double s = 0.0;
        for (int64_t p = tp[j]; p < tp[j + 1]; ++p) s += tv[p] * work_n[ti[p]];
        out[j] = (d2[j] + shift) * y[j] - s;
    }
}

static double so_nrm2_(int64_t m, const double *x)
{
    double s = 0.0;
    for (int64_t j = 0; j < m; ++j) s += x[j] * x[j];
    return sqrt(s);
}

int so_sns_pcg(int64_t n, int64_t m, const int64_t *indptr, const int64_t *indices,
               const double *data, const double *d1, const double *d2, double shift,
               const double *r1, const double *r2, double *x, double *y, double rtol,
               int64_t max_iter, int64_t *n_iter, double *rel_res, int n_threads)
{
    const int nt = so_threads(n_threads);
    const int64_t nnz = indptr[n];
    int64_t i, j, p, it = 0;
    int64_t *tp = malloc((size_t)(m + 1) * sizeof(int64_t));
    int64_t *ti = malloc((size_t)(nnz > 0 ? nnz : 1) * sizeof(int64_t));
    double *tv = malloc((size_t)(nnz > 0 ? nnz : 1) * sizeof(double));
    double *buf = malloc((size_t)(n + 6 * m) * sizeof(double));
    if (!tp || !ti || !tv || !buf) {
        free(tp); free(ti); free(tv); free(buf);
        return SO_ERR_ALLOC;
    }
    double *wn = buf, *rhs = buf + n, *res = rhs + m, *z = res + m, *pd = z + m, *q = pd + m,
           *dir = q + m;

    /* S^T by a counting sort (rows of S^T come out sorted by i) */
    memset(tp, 0, (size_t)(m + 1) * sizeof(int64_t));
    for (p = 0; p < nnz; ++p) tp[indices[p] + 1]++;
    for (j = 0; j < m; ++j) tp[j + 1] += tp[j];
    {
        int64_t *next = malloc((size_t)(m > 0 ? m : 1) * sizeof(int64_t));
        if (!next) {
            free(tp); free(ti); free(tv); free(buf);
            return SO_ERR_ALLOC;
        }
        memcpy(next, tp, (size_t)m * sizeof(int64_t));
        for (i = 0; i < n; ++i)
            for (p = indptr[i]; p < indptr[i + 1]; ++p) {
                const int64_t dst = next[indices[p]]++;
                ti[dst] = i;
                tv[dst] = data[p];
            }
        free(next);
    }

    /* Jacobi: the diagonal of the Schur complement, d2_j + shift - sum_i S_ij^2 / d1_i.
     * It is >= shift + the mass dropped from column j, hence positive; guard rounding. */
    for (j = 0; j < m; ++j) {
        double s = 0.0;
        for (p = tp[j]; p < tp[j + 1]; ++p) s += tv[p] * tv[p] / d1[ti[p]];
        double dj = d2[j] + shift - s;
        const double floor_ = 1e-12 * (d2[j] + shift);
        pd[j] = dj > floor_ ? dj : floor_;
    }

    /* rhs = r2 - S^T (r1 / d1) */
    for (i = 0; i < n; ++i) wn[i] = r1[i] / d1[i];
    for (j = 0; j < m; ++j) {
        double s = 0.0;
        for (p = tp[j]; p < tp[j + 1]; ++p) s += tv[p] * wn[ti[p]];
        rhs[j] = r2[j] - s;
    }
    const double rhs_norm = so_nrm2_(m, rhs);
    so_schur_mv_(n, m, indptr, indices, data, tp, ti, tv, d1, d2, shift, y, wn, q, nt);
    for (j = 0; j < m; ++j) res[j] = rhs[j] - q[j];
    double rn = so_nrm2_(m, res);
    if (rhs_norm > 0.0 && rn > rtol * rhs_norm) {
        double rz = 0.0;
        for (j = 0; j < m; ++j) {
            z[j] = res[j] / pd[j];
            dir[j] = z[j];
            rz += res[j] * z[j];
        }
        for (it = 1; it <= max_iter; ++it) {
            so_schur_mv_(n, m, indptr, indices, data, tp, ti, tv, d1, d2, shift, dir, wn, q,
                         nt);
            double pq = 0.0;
            for (j = 0; j < m; ++j) pq += dir[j] * q[j];
            if (!(pq > 0.0)) break;              /* breakdown: keep the last iterate */
            const double alpha = rz / pq;
            double rz_new = 0.0, rr = 0.0;
            for (j = 0; j < m; ++j) {
                y[j] += alpha * dir[j];
                res[j] -= alpha * q[j];
                z[j] = res[j] / pd[j];
                rz_new += res[j] * z[j];
                rr += res[j] * res[j];
            }
            rn = sqrt(rr);
            if (rn <= rtol * rhs_norm) break;
            const double beta = rz_new / rz;
            rz = rz_new;
            for (j = 0; j < m; ++j) dir[j] = z[j] + beta * dir[j];
        }
        if (it > max_iter) it = max_iter;
    }
    *n_iter = it;
    *rel_res = rhs_norm > 0.0 ? rn / rhs_norm : 0.0;

    /* x = (r1 - S y) / d1 */
    so_csr_mv_(n, indptr, indices, data, y, wn, nt);
    for (i = 0; i < n; ++i) x[i] = (r1[i] - wn[i]) / d1[i];
    free(tp); free(ti); free(tv); free(buf);
    return SO_OK;
}
