/* One-pass validation of a compressed (CSR/CSC) structure.  Python calls this before any
 * kernel reads the structure, so that the kernels may index without bounds checks. */
#include <stdint.h>
#include "sparseopt/csr.h"

/* A valid structure is the common case: first scan it without branches (the compiler
 * vectorizes these reductions), and look for the first error only when one exists. */
#define SO_CSR_FAST_OK(IT, UT, UMAX)                                                   \
    {                                                                                  \
        int64_t i, p;                                                                  \
        int bad = 0;                                                                   \
        const int64_t nnz = (int64_t)indptr[n_rows];                                   \
        /* Compare in the index's own unsigned width (negative indices wrap to huge    \
         * values); the bound is capped where the signed type ends. */                 \
        const UT limit = (UT)(n_cols < (int64_t)UMAX ? n_cols : (int64_t)UMAX);        \
        if (n_rows < 0 || n_cols < 0 || capacity < 0 || indptr[0] != 0) return 0;     \
        for (i = 0; i < n_rows; ++i) bad |= (indptr[i + 1] < indptr[i]);               \
        if (bad || nnz > capacity) return 0;                                           \
        for (p = 0; p < nnz; ++p) bad |= ((UT)indices[p] >= limit);                    \
        return !bad;                                                                   \
    }

static int fast_ok_i32(int64_t n_rows, int64_t n_cols, int64_t capacity,
                       const int32_t *indptr, const int32_t *indices)
SO_CSR_FAST_OK(int32_t, uint32_t, INT32_MAX + 1LL)

static int fast_ok_i64(int64_t n_rows, int64_t n_cols, int64_t capacity,
                       const int64_t *indptr, const int64_t *indices)
SO_CSR_FAST_OK(int64_t, uint64_t, INT64_MAX)

#define SO_CSR_CHECK_BODY(IT, FAST)                                                    \
    {                                                                                  \
        int64_t i, p, start, end;                                                      \
        *where = 0;                                                                    \
        if (!check_order && FAST(n_rows, n_cols, capacity, indptr, indices))           \
            return SO_CSR_VALID;                                                       \
        if (n_rows < 0 || n_cols < 0 || capacity < 0) return SO_CSR_INDPTR_END;        \
        if (indptr[0] != 0) return SO_CSR_INDPTR_START;                                \
        /* indptr first: afterwards every indptr[i] lies in [0, capacity]. */          \
        for (i = 0; i < n_rows; ++i) {                                                 \
            if (indptr[i + 1] < indptr[i]) { *where = i; return SO_CSR_INDPTR_DECREASING; } \
        }                                                                              \
        if ((int64_t)indptr[n_rows] > capacity) { *where = n_rows; return SO_CSR_INDPTR_END; } \
        for (i = 0; i < n_rows; ++i) {                                                 \
            start = (int64_t)indptr[i];                                                \
            end = (int64_t)indptr[i + 1];                                              \
            for (p = start; p < end; ++p) {                                            \
                const int64_t j = (int64_t)indices[p];                                 \
                if (j < 0 || j >= n_cols) { *where = p; return SO_CSR_INDEX_BOUNDS; }  \
                if (check_order && p > start) {                                        \
                    const int64_t prev = (int64_t)indices[p - 1];                      \
                    if (j == prev) { *where = p; return SO_CSR_DUPLICATE; }            \
                    if (j < prev) { *where = p; return SO_CSR_UNSORTED; }              \
                }                                                                      \
            }                                                                          \
        }                                                                              \
        return SO_CSR_VALID;                                                           \
    }

int so_csr_check_i32(int64_t n_rows, int64_t n_cols, int64_t capacity,
                     const int32_t *indptr, const int32_t *indices,
                     int check_order, int64_t *where)
SO_CSR_CHECK_BODY(int32_t, fast_ok_i32)

int so_csr_check_i64(int64_t n_rows, int64_t n_cols, int64_t capacity,
                     const int64_t *indptr, const int64_t *indices,
                     int check_order, int64_t *where)
SO_CSR_CHECK_BODY(int64_t, fast_ok_i64)
