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

/* rows = P 1, cols = P^T 1, *total = sum P, *cost = <P, M>; and, when counts != NULL,
 * counts[i] = #{j : P_ij >= tau * min(a_i, b_j)} (the entries sparsify would keep). */
int so_sk_marginals_f64(int64_t n, int64_t m, const double *M, const double *f,
                        const double *g, double reg, double *rows, double *cols,
                        double *total, double *cost, const double *a, const double *b,
                        double tau, int64_t *counts, int n_threads);
int so_sk_marginals_f32(int64_t n, int64_t m, const float *M, const double *f,
                        const double *g, double reg, double *rows, double *cols,
                        double *total, double *cost, const double *a, const double *b,
                        double tau, int64_t *counts, int n_threads);

/* The kept entries of P as CSR: indptr (n + 1, the prefix sum of counts) given, indices
 * and data filled; filled[i] = the entries written in row i (<= its capacity; it may fall
 * short of it by entries whose rounding put them on the other side of the threshold). */
int so_sk_sparsify_f64(int64_t n, int64_t m, const double *M, const double *f,
                       const double *g, double reg, const double *a, const double *b,
                       double tau, const int64_t *indptr, int64_t *indices, double *data,
                       int64_t *filled, int n_threads);
int so_sk_sparsify_f32(int64_t n, int64_t m, const float *M, const double *f,
                       const double *g, double reg, const double *a, const double *b,
                       double tau, const int64_t *indptr, int64_t *indices, double *data,
                       int64_t *filled, int n_threads);

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
