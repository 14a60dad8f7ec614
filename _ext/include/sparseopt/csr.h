/* CSR kernels shared by the engines: a structure check and the CSR x dense product.
 *
 * Naming: so_<op>_<f64|f32>_<i32|i64>; the index type is that of indptr and indices.
 */
#ifndef SPARSEOPT_CSR_H
#define SPARSEOPT_CSR_H

#include <stdint.h>
#include "sparseopt/common.h"

/* Outcome of so_csr_check_*: what is wrong with a CSR structure, if anything. */
#define SO_CSR_VALID 0
#define SO_CSR_INDPTR_START 1     /* indptr[0] != 0 */
#define SO_CSR_INDPTR_DECREASING 2 /* indptr[i+1] < indptr[i] */
#define SO_CSR_INDPTR_END 3       /* indptr[n_rows] > nnz capacity (len(indices) or len(data)) */
#define SO_CSR_INDEX_BOUNDS 4     /* an index outside [0, n_cols) */
#define SO_CSR_UNSORTED 5         /* indices of a row not increasing (only when asked) */
#define SO_CSR_DUPLICATE 6        /* a repeated index within a row (only when asked) */

/* Check a compressed structure in one pass.
 *   n_rows        number of compressed rows (len(indptr) == n_rows + 1)
 *   n_cols        bound for the indices
 *   capacity      min(len(indices), len(data)): indptr[n_rows] must not exceed it
 *   check_order   1: also report unsorted indices and duplicates within a row
 *   where         out: the row (for indptr errors) or the position in indices (otherwise)
 * Returns one of SO_CSR_*.  The first error in storage order is reported.
 */
int so_csr_check_i32(int64_t n_rows, int64_t n_cols, int64_t capacity,
                     const int32_t *indptr, const int32_t *indices,
                     int check_order, int64_t *where);
int so_csr_check_i64(int64_t n_rows, int64_t n_cols, int64_t capacity,
                     const int64_t *indptr, const int64_t *indices,
                     int check_order, int64_t *where);

/* Y <- alpha * A @ X + beta * Y  for A in CSR (n_rows x k) and dense X (k x n_vecs).
 *
 * X and Y are addressed by strides in elements: X[r, c] = x[r * x_rs + c * x_cs], and
 * likewise for Y.  When beta == 0, Y is overwritten and its old contents (even NaN) are
 * ignored, as in BLAS.  Rows are split between threads by nnz, so every output row is
 * written by exactly one thread and the result does not depend on n_threads.
 * The structure must have passed so_csr_check_* (indices within [0, k)).
 */
#define SO_CSRMM_DECL(FT, FS, IT, IS)                                                   \
    int so_csrmm_##FS##_##IS(int64_t n_rows, int64_t n_vecs,                            \
                             const IT *indptr, const IT *indices, const FT *data,       \
                             const FT *x, int64_t x_rs, int64_t x_cs,                   \
                             FT *y, int64_t y_rs, int64_t y_cs,                         \
                             FT alpha, FT beta, int n_threads);
SO_CSRMM_DECL(double, f64, int32_t, i32)
SO_CSRMM_DECL(double, f64, int64_t, i64)
SO_CSRMM_DECL(float, f32, int32_t, i32)
SO_CSRMM_DECL(float, f32, int64_t, i64)
#undef SO_CSRMM_DECL

/* The first row of thread t's share when rows [0, n_rows) are split into n_parts parts
 * of about equal cost, a row costing (its nnz + 1).  Exposed for engines that reuse it. */
int64_t so_csr_partition_i32(const int32_t *indptr, int64_t n_rows, int64_t part, int64_t n_parts);
int64_t so_csr_partition_i64(const int64_t *indptr, int64_t n_rows, int64_t part, int64_t n_parts);

#endif
