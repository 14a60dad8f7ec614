/* Template body of the CSR x dense kernels; included by csrmm.c once per
 * (float type, index type).  Expects FT, IT and SFX (the name suffix) to be defined. */

#define SO_CAT_(a, b) a##b
#define SO_CAT(a, b) SO_CAT_(a, b)
#define SO_FN(name) SO_CAT(name, SFX)

/* Rows [r0, r1) when both X and Y have unit column stride (row-major rows).
 * Each output row is accumulated in place while it sits in L1: for every nonzero a_ij
 * it receives a * X[j, :], which the compiler vectorizes.  Columns are taken in panels
 * of SO_PANEL so that a very wide output row still stays in cache. */
static void SO_FN(csrmm_rows_rowmajor_)(int64_t r0, int64_t r1, int64_t n_vecs,
                                         const IT *restrict indptr, const IT *restrict indices,
                                         const FT *restrict data, const FT *restrict x, int64_t x_rs,
                                         FT *restrict y, int64_t y_rs, FT alpha, FT beta)
{
    int64_t i, p, c, c0;
    /* Prefetches run across row ends, but never past this thread's last nonzero. */
    const int64_t p_last = (int64_t)indptr[r1];
    for (c0 = 0; c0 < n_vecs; c0 += SO_PANEL) {
        const int64_t w = (n_vecs - c0 < SO_PANEL) ? n_vecs - c0 : SO_PANEL;
        for (i = r0; i < r1; ++i) {
            FT *restrict yi = y + i * y_rs + c0;
            const int64_t start = (int64_t)indptr[i], end = (int64_t)indptr[i + 1];
            FT acc[SO_PANEL];
            for (c = 0; c < w; ++c) acc[c] = (FT)0;
            for (p = start; p < end; ++p) {
                const FT a = data[p];
                const FT *restrict xr = x + (int64_t)indices[p] * x_rs + c0;
#if defined(__GNUC__)
                /* The rows of X are gathered at random: request the row needed SO_PREFETCH
                 * nonzeros ahead (measured: 1.7x on one thread at 10 nnz/row; the
                 * hardware fetches the neighbouring lines of a row by itself). */
                if (p + SO_PREFETCH < p_last)
                    __builtin_prefetch(x + (int64_t)indices[p + SO_PREFETCH] * x_rs + c0, 0, 1);
#endif
                for (c = 0; c < w; ++c) acc[c] += a * xr[c];
            }
            if (beta == (FT)0) {
                for (c = 0; c < w; ++c) yi[c] = alpha * acc[c];
            } else {
                for (c = 0; c < w; ++c) yi[c] = alpha * acc[c] + beta * yi[c];
            }
        }
    }
}

/* Rows [r0, r1) for a single column (a matrix-vector product): a scalar accumulator
 * per row; the generic panel loop would pay its bookkeeping per nonzero. */
static void SO_FN(csrmv_rows_)(int64_t r0, int64_t r1, const IT *restrict indptr,
                               const IT *restrict indices, const FT *restrict data,
                               const FT *restrict x, int64_t x_rs, FT *restrict y,
                               int64_t y_rs, FT alpha, FT beta)
{
    int64_t i, p;
    for (i = r0; i < r1; ++i) {
        FT acc = (FT)0;
        const int64_t end = (int64_t)indptr[i + 1];
        for (p = (int64_t)indptr[i]; p < end; ++p)
            acc += data[p] * x[(int64_t)indices[p] * x_rs];
        y[i * y_rs] = (beta == (FT)0) ? alpha * acc : alpha * acc + beta * y[i * y_rs];
    }
}

/* Rows [r0, r1) for any strides (e.g. Fortran-ordered X or Y): a dot product per output
 * entry, four columns at a time so that each nonzero is loaded once per four columns. */
static void SO_FN(csrmm_rows_strided_)(int64_t r0, int64_t r1, int64_t n_vecs,
                                        const IT *restrict indptr, const IT *restrict indices,
                                        const FT *restrict data, const FT *restrict x,
                                        int64_t x_rs, int64_t x_cs, FT *restrict y,
                                        int64_t y_rs, int64_t y_cs, FT alpha, FT beta)
{
    int64_t i, p, c;
    for (i = r0; i < r1; ++i) {
        const int64_t start = (int64_t)indptr[i], end = (int64_t)indptr[i + 1];
        for (c = 0; c < n_vecs; c += 4) {
            const int64_t w = (n_vecs - c < 4) ? n_vecs - c : 4;
            FT s[4] = {(FT)0, (FT)0, (FT)0, (FT)0};
            int64_t q;
            for (p = start; p < end; ++p) {
                const FT a = data[p];
                const FT *xr = x + (int64_t)indices[p] * x_rs + c * x_cs;
                for (q = 0; q < w; ++q) s[q] += a * xr[q * x_cs];
            }
            for (q = 0; q < w; ++q) {
                FT *yq = y + i * y_rs + (c + q) * y_cs;
                *yq = (beta == (FT)0) ? alpha * s[q] : alpha * s[q] + beta * *yq;
            }
        }
    }
}

#ifndef SO_NO_PARTITION
int64_t SO_CAT(so_csr_partition_, ISFX)(const IT *indptr, int64_t n_rows, int64_t part,
                                        int64_t n_parts)
{
    /* cost(i) = indptr[i] + i is strictly increasing: binary search for the first row
     * whose cumulative cost reaches part / n_parts of the total. */
    int64_t lo = 0, hi = n_rows;
    const double total = (double)indptr[n_rows] + (double)n_rows;
    const double target = total * (double)part / (double)n_parts;
    if (part <= 0) return 0;
    if (part >= n_parts) return n_rows;
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if ((double)indptr[mid] + (double)mid < target) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}
#endif

int SO_FN(so_csrmm_)(int64_t n_rows, int64_t n_vecs, const IT *indptr, const IT *indices,
                     const FT *data, const FT *x, int64_t x_rs, int64_t x_cs, FT *y,
                     int64_t y_rs, int64_t y_cs, FT alpha, FT beta, int n_threads)
{
    const int rowmajor = (x_cs == 1 && y_cs == 1);
    int nt = n_threads < 1 ? 1 : n_threads;
    if (n_rows < 0 || n_vecs < 0) return SO_ERR_ARG;
    if (n_rows == 0 || n_vecs == 0) return SO_OK;
    /* Tiny products are not worth waking a team. */
    if ((double)indptr[n_rows] * (double)n_vecs < 2.0e4) nt = 1;
    if ((int64_t)nt > n_rows) nt = (int)n_rows;

#ifdef _OPENMP
#pragma omp parallel num_threads(nt) if (nt > 1)
#endif
    {
        int64_t t = 0, T = 1;
#ifdef _OPENMP
        t = omp_get_thread_num();
        T = omp_get_num_threads();
#endif
        const int64_t r0 = SO_CAT(so_csr_partition_, ISFX)(indptr, n_rows, t, T);
        const int64_t r1 = SO_CAT(so_csr_partition_, ISFX)(indptr, n_rows, t + 1, T);
        if (n_vecs == 1)
            SO_FN(csrmv_rows_)(r0, r1, indptr, indices, data, x, x_rs, y, y_rs, alpha, beta);
        else if (rowmajor)
            SO_FN(csrmm_rows_rowmajor_)(r0, r1, n_vecs, indptr, indices, data, x, x_rs, y,
                                        y_rs, alpha, beta);
        else
            SO_FN(csrmm_rows_strided_)(r0, r1, n_vecs, indptr, indices, data, x, x_rs, x_cs,
                                       y, y_rs, y_cs, alpha, beta);
    }
    return SO_OK;
}

#undef SO_FN
#undef SO_CAT
#undef SO_CAT_
