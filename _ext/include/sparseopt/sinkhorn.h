/* sparseopt C core: entropic optimal transport kernels (Sinkhorn, Sinkhorn-Newton-Sparse).
 *
 * Notation: cost M (n x m, row-major, float64 or float32: suffix _f64/_f32), dual
 * potentials f (n) and g (m) in float64, regularisation reg > 0, and the plan
 *     P_ij = exp((f_i + g_j - M_ij) / reg).
 * Everything is accumulated in float64.  The exponential is a branch-free polynomial that
 * the compiler vectorises (about 1 ulp; arguments below -708 give 0).  Every kernel is
 * multi-threaded with OpenMP over n_threads threads and returns SO_OK or SO_ERR_ALLOC.
 */
#ifndef SPARSEOPT_SINKHORN_H
#define SPARSEOPT_SINKHORN_H

#include <stdint.h>
#include "sparseopt/common.h"

/* out_i = reg * log sum_j exp((g_j - M_ij) / reg)   (soft minimum over a row, stable) */
int so_sk_lse_rows_f64(int64_t n, int64_t m, const double *M, const double *g, double reg,
                       double *out, int n_threads);
int so_sk_lse_rows_f32(int64_t n, int64_t m, const float *M, const double *g, double reg,
                       double *out, int n_threads);

/* out_j = reg * log sum_i exp((f_i - M_ij) / reg)   (the same over a column) */
int so_sk_lse_cols_f64(int64_t n, int64_t m, const double *M, const double *f, double reg,
                       double *out, int n_threads);
int so_sk_lse_cols_f32(int64_t n, int64_t m, const float *M, const double *f, double reg,
                       double *out, int n_threads);

/* K = P(f, g) written densely (also the plan itself). */
int so_sk_kernel_f64(int64_t n, int64_t m, const double *M, const double *f, const double *g,
                     double reg, double *K, int n_threads);
int so_sk_kernel_f32(int64_t n, int64_t m, const float *M, const double *f, const double *g,
                     double reg, double *K, int n_threads);

/* A screen of the plan: the entries of each row whose exponent (f_i + g_j - M_ij) / reg
 * was >= zlow at the potentials of the pass that recorded it.  Row i's entries are
 * idx[start[i] .. start[i] + len[i]) with their costs mval (M's type) at the same places.
 * The recording pass sets overflow (the capacity cap was too small: the screen is
 * unusable) and size (the entries recorded).  Since the exponents of the other entries
 * rise by at most max_i (f_i - f0_i) + max_j (g_j - g0_j), the screen stands for the whole
 * plan (up to the zcut bound) as long as that stays <= (zcut - zlow) * reg. */
typedef struct {
    double zlow;
    int64_t cap;
    int32_t *idx;
    void *mval;
    int64_t *start;
    int64_t *len;
    int overflow;
    int64_t size;
} so_sk_screen;

/* rows = P 1, cols = P^T 1, *total = sum P, *cost = <P, M>; and, when counts != NULL,
 * counts[i] = #{j : P_ij >= tau * min(a_i, b_j)} (the entries sparsify would keep).
 * Groups of four consecutive entries of a row whose exponents are all below zcut are
 * skipped (taken as 0): the caller chooses zcut so that n m exp(zcut) is negligible
 * (-HUGE_VAL skips nothing).  With screen != NULL (m < 2^31) the pass also records it
 * (then groups below screen->zlow <= zcut are skipped).  With plan != NULL (n x m) the
 * plan is written there too, skipped groups as 0 (zcut = -708 skips only exact zeros). */
int so_sk_marginals_f64(int64_t n, int64_t m, const double *M, const double *f,
                        const double *g, double reg, double zcut, double *rows, double *cols,
                        double *total, double *cost, const double *a, const double *b,
                        double tau, int64_t *counts, so_sk_screen *screen, double *plan,
                        int n_threads);
int so_sk_marginals_f32(int64_t n, int64_t m, const float *M, const double *f,
                        const double *g, double reg, double zcut, double *rows, double *cols,
                        double *total, double *cost, const double *a, const double *b,
                        double tau, int64_t *counts, so_sk_screen *screen, double *plan,
                        int n_threads);

/* The same over a screen's entries only (float64 or float32 mval, as the M it came from).
 * With counts and kidx != NULL, the counted entries of row i are also written (column,
 * value) to kidx, kdata at positions screen->start[i] .. + counts[i] (arrays as large as
 * the screen): what sparsify would give, without another pass. */
int so_sk_marginals_screened_f64(int64_t n, int64_t m, const so_sk_screen *screen,
                                 const double *f, const double *g, double reg, double *rows,
                                 double *cols, double *total, double *cost, const double *a,
                                 const double *b, double tau, int64_t *counts, int64_t *kidx,
                                 double *kdata, int n_threads);
int so_sk_marginals_screened_f32(int64_t n, int64_t m, const so_sk_screen *screen,
                                 const double *f, const double *g, double reg, double *rows,
                                 double *cols, double *total, double *cost, const double *a,
                                 const double *b, double tau, int64_t *counts, int64_t *kidx,
                                 double *kdata, int n_threads);

/* The kept entries of P as CSR: indptr (n + 1, the prefix sum of counts) given, indices
 * and data filled; filled[i] = the entries written in row i (<= its capacity; it may fall
 * short of it by entries whose rounding put them on the other side of the threshold).
 * zcut skips groups of entries as in the marginals. */
int so_sk_sparsify_f64(int64_t n, int64_t m, const double *M, const double *f,
                       const double *g, double reg, double zcut, const double *a,
                       const double *b, double tau, const int64_t *indptr, int64_t *indices,
                       double *data, int64_t *filled, int n_threads);
int so_sk_sparsify_f32(int64_t n, int64_t m, const float *M, const double *f,
                       const double *g, double reg, double zcut, const double *a,
                       const double *b, double tau, const int64_t *indptr, int64_t *indices,
                       double *data, int64_t *filled, int n_threads);

/* so_sk_sparsify over a screen's entries only. */
int so_sk_sparsify_screened_f64(int64_t n, const so_sk_screen *screen, const double *f,
                                const double *g, double reg, const double *a, const double *b,
                                double tau, const int64_t *indptr, int64_t *indices,
                                double *data, int64_t *filled, int n_threads);
int so_sk_sparsify_screened_f32(int64_t n, const so_sk_screen *screen, const double *f,
                                const double *g, double reg, const double *a, const double *b,
                                double tau, const int64_t *indptr, int64_t *indices,
                                double *data, int64_t *filled, int n_threads);

/* Scaling-form Sinkhorn on an absorbed kernel K (n x m, float64):
 * out = K v  and  out = K^T u. */
int so_sk_matvec(int64_t n, int64_t m, const double *K, const double *v, double *out,
                 int n_threads);
int so_sk_rmatvec(int64_t n, int64_t m, const double *K, const double *u, double *out,
                  int n_threads);

/* Preconditioned CG on the Schur complement of the sparsified Newton system
 *     [D1 S; S^T D2] [x; y] = [r1; r2],  D1 = diag(d1), D2 = diag(d2), S (n x m) CSR,
 * i.e. (D2 + shift I - S^T D1^-1 S) y = r2 - S^T D1^-1 r1, Jacobi preconditioned, then
 * x = D1^-1 (r1 - S y).  Stops when ||residual||_2 <= rtol * ||rhs||_2 or after max_iter
 * iterations; *n_iter and *rel_res report what happened.  y holds the start on entry. */
int so_sns_pcg(int64_t n, int64_t m, const int64_t *indptr, const int64_t *indices,
               const double *data, const double *d1, const double *d2, double shift,
               const double *r1, const double *r2, double *x, double *y, double rtol,
               int64_t max_iter, int64_t *n_iter, double *rel_res, int n_threads);

#endif
