/* One-pass validation of a compressed (CSR/CSC) structure.  Python calls this before any
 * kernel reads the structure, so that the kernels may index without bounds checks. */
#include "sparseopt/csr.h"

#define SO_CSR_CHECK_BODY(IT)                                                          \
    {                                                                                  \
        int64_t i, p, start, end;                                                      \
        *where = 0;                                                                    \
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
SO_CSR_CHECK_BODY(int32_t)

int so_csr_check_i64(int64_t n_rows, int64_t n_cols, int64_t capacity,
                     const int64_t *indptr, const int64_t *indices,
                     int check_order, int64_t *where)
SO_CSR_CHECK_BODY(int64_t)
