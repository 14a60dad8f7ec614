/* Cost-type dependent bodies of the Sinkhorn kernels; included by sinkhorn.c once per
 * (cost type, instruction set) for the row helpers (SO_HELPERS defined) and once per cost
 * type for the exported kernels.  Expects CT (float or double), SFX (f32 or f64),
 * SO_LOAD4, and for the helpers ISA (a name suffix) and SO_TGT (a target attribute). */

#define SO_CAT_(a, b) a##b
#define SO_CAT(a, b) SO_CAT_(a, b)
#define SO_FN(name) SO_CAT(name, SFX)
#define SO_H(name) SO_CAT(SO_CAT(name, SFX), ISA)
/* the helper for this machine: `hsw` is a local set from so_cpu_hsw() */
#define SO_PICK(name) (hsw ? SO_CAT(SO_CAT(name, SFX), _hsw) : SO_CAT(SO_CAT(name, SFX), _def))

#ifdef SO_HELPERS

/* reg * log sum_j exp((g_j - Mi_j) / reg): the maximum first, so no term overflows */
static SO_TGT double SO_H(so_row_lse_)(int64_t m, const CT *restrict Mi,
                                           const double *restrict g, double reg)
{
    const double inv = 1.0 / reg;
    double mx = -HUGE_VAL, s = 0.0;
    int64_t j;
#pragma omp simd reduction(max : mx)
    for (j = 0; j < m; ++j) {
        const double t = g[j] - (double)Mi[j];
        mx = t > mx ? t : mx;
    }
    if (!(mx > -HUGE_VAL)) return mx;       /* every term is zero (or NaN) */
    {
        so_v4d acc = {0.0, 0.0, 0.0, 0.0};
        for (j = 0; j + 4 <= m; j += 4)
            acc += so_exp4((so_load4d(g + j) - SO_LOAD4(Mi + j) - mx) * inv);
        s = so_hsum4(acc);
    }
    for (; j < m; ++j) s += so_exp((g[j] - (double)Mi[j] - mx) * inv);
    return mx + reg * log(s);
}

/* The same down the columns j0 .. j0 + w - 1: a pass for the maxima, then one for the sums,
 * reading M row by row (contiguous) into per-tile accumulators. */
static SO_TGT void SO_H(so_col_lse_tile_)(int64_t n, int64_t m, int64_t j0, int64_t w,
                                              const CT *restrict M, const double *restrict f,
                                              double reg, double *restrict out)
{
    const double inv = 1.0 / reg;
    double mx[SO_COL_TILE], s[SO_COL_TILE];
    int64_t i, c;
    for (c = 0; c < w; ++c) {
        mx[c] = -HUGE_VAL;
        s[c] = 0.0;
    }
    for (i = 0; i < n; ++i) {
        const CT *restrict Mi = M + i * m + j0;
        const double fi = f[i];
#pragma omp simd
        for (c = 0; c < w; ++c) {
            const double t = fi - (double)Mi[c];
            mx[c] = t > mx[c] ? t : mx[c];
        }
    }
    for (c = 0; c < w; ++c)
        if (!(mx[c] > -HUGE_VAL)) mx[c] = 0.0;   /* an all -inf column: sum 0, log -inf */
    for (i = 0; i < n; ++i) {
        const CT *restrict Mi = M + i * m + j0;
        const double fi = f[i];
        for (c = 0; c + 4 <= w; c += 4)
            so_store4(s + c, so_load4d(s + c)
                      + so_exp4((fi - SO_LOAD4(Mi + c) - so_load4d(mx + c)) * inv));
        for (; c < w; ++c) s[c] += so_exp((fi - (double)Mi[c] - mx[c]) * inv);
    }
    for (c = 0; c < w; ++c) out[c] = mx[c] + reg * log(s[c]);
}

static SO_TGT void SO_H(so_kernel_row_)(int64_t m, const CT *restrict Mi, double fi,
                                            const double *restrict g, double reg,
                                            double *restrict Ki)
{
    const double inv = 1.0 / reg;
    int64_t j;
    for (j = 0; j + 4 <= m; j += 4)
        so_store4(Ki + j, so_exp4((fi + so_load4d(g + j) - SO_LOAD4(Mi + j)) * inv));
    for (; j < m; ++j) Ki[j] = so_exp((fi + g[j] - (double)Mi[j]) * inv);
}

/* One row of the plan: its sum, its contribution to <P, M>, the column sums (added into
 * cols) and, when b != NULL, the count of entries >= tau * min(a_i, b_j). */
static SO_TGT void SO_H(so_marg_row_)(int64_t m, const CT *restrict Mi, double fi,
                                          const double *restrict g, double reg,
                                          double *restrict cols, double *row, double *cost,
                                          double ai, const double *restrict b, double tau,
                                          int64_t *count)
{
    const double inv = 1.0 / reg;
    const double ta = tau * ai;
    double s = 0.0, c = 0.0;
    int64_t j, k = 0;
    so_v4d s4 = {0.0, 0.0, 0.0, 0.0}, c4 = {0.0, 0.0, 0.0, 0.0};
    so_v4l k4 = {0, 0, 0, 0};
    for (j = 0; j + 4 <= m; j += 4) {
        const so_v4d mij = SO_LOAD4(Mi + j);
        const so_v4d p = so_exp4((fi + so_load4d(g + j) - mij) * inv);
        so_store4(cols + j, so_load4d(cols + j) + p);
        s4 += p;
        c4 += p * mij;
        if (b != NULL) {
            const so_v4d tb = so_load4d(b + j) * tau;
            const so_v4d thr = so_sel4(tb < ta, tb, tb * 0.0 + ta);
            k4 -= (p >= thr);                       /* true lanes are -1 */
        }
    }
    s = so_hsum4(s4);
    c = so_hsum4(c4);
    k = (k4[0] + k4[1]) + (k4[2] + k4[3]);
    for (; j < m; ++j) {
        const double mij = (double)Mi[j];
        const double p = so_exp((fi + g[j] - mij) * inv);
        cols[j] += p;
        s += p;
        c += p * mij;
        if (b != NULL) {
            const double tb = tau * b[j];
            k += p >= (ta < tb ? ta : tb) ? 1 : 0;
        }
    }
    *row = s;
    *cost = c;
    if (b != NULL) *count = k;
}

#endif /* SO_HELPERS */

#ifdef SO_EXPORTS

int SO_FN(so_sk_lse_rows_)(int64_t n, int64_t m, const CT *M, const double *g, double reg,
                           double *out, int n_threads)
{
    const int hsw = so_cpu_hsw();
    int64_t i;
    (void)n_threads;
#pragma omp parallel for schedule(static) num_threads(so_threads(n_threads)) if (n * m > 65536)
    for (i = 0; i < n; ++i) out[i] = SO_PICK(so_row_lse_)(m, M + i * m, g, reg);
    return SO_OK;
}

int SO_FN(so_sk_lse_cols_)(int64_t n, int64_t m, const CT *M, const double *f, double reg,
                           double *out, int n_threads)
{
    const int hsw = so_cpu_hsw();
    const int64_t n_tiles = (m + SO_COL_TILE - 1) / SO_COL_TILE;
    int64_t t;
    (void)n_threads;
#pragma omp parallel for schedule(static) num_threads(so_threads(n_threads)) if (n * m > 65536)
    for (t = 0; t < n_tiles; ++t) {
        const int64_t j0 = t * SO_COL_TILE;
        const int64_t w = (m - j0 < SO_COL_TILE) ? m - j0 : SO_COL_TILE;
        SO_PICK(so_col_lse_tile_)(n, m, j0, w, M, f, reg, out + j0);
    }
    return SO_OK;
}

int SO_FN(so_sk_kernel_)(int64_t n, int64_t m, const CT *M, const double *f, const double *g,
                         double reg, double *K, int n_threads)
{
    const int hsw = so_cpu_hsw();
    int64_t i;
    (void)n_threads;
#pragma omp parallel for schedule(static) num_threads(so_threads(n_threads)) if (n * m > 65536)
    for (i = 0; i < n; ++i) SO_PICK(so_kernel_row_)(m, M + i * m, f[i], g, reg, K + i * m);
    return SO_OK;
}

int SO_FN(so_sk_marginals_)(int64_t n, int64_t m, const CT *M, const double *f,
                            const double *g, double reg, double *rows, double *cols,
                            double *total, double *cost, const double *a, const double *b,
                            double tau, int64_t *counts, int n_threads)
{
    const int hsw = so_cpu_hsw();
    const int nt = so_threads(n_threads);
    double *acc = calloc((size_t)nt * (size_t)(m > 0 ? m : 1), sizeof(double));
    double tot = 0.0, cst = 0.0;
    int64_t i, j;
    int used = 1;
    if (!acc) return SO_ERR_ALLOC;
#pragma omp parallel num_threads(nt) if (nt > 1 && n * m > 65536) reduction(+ : tot, cst)
    {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#pragma omp single
        used = omp_get_num_threads();
#endif
        double *mine = acc + (size_t)tid * (size_t)m;
#pragma omp for schedule(static)
        for (i = 0; i < n; ++i) {
            double c = 0.0;
            SO_PICK(so_marg_row_)(m, M + i * m, f[i], g, reg, mine, rows + i, &c,
                                counts ? a[i] : 0.0, counts ? b : NULL, tau,
                                counts ? counts + i : NULL);
            tot += rows[i];
            cst += c;
        }
    }
    for (j = 0; j < m; ++j) {
        double s = 0.0;
        for (int t = 0; t < used; ++t) s += acc[(size_t)t * (size_t)m + j];
        cols[j] = s;
    }
    free(acc);
    *total = tot;
    *cost = cst;
    return SO_OK;
}

int SO_FN(so_sk_sparsify_)(int64_t n, int64_t m, const CT *M, const double *f,
                           const double *g, double reg, const double *a, const double *b,
                           double tau, const int64_t *indptr, int64_t *indices, double *data,
                           int64_t *filled, int n_threads)
{
    const int hsw = so_cpu_hsw();
    const int nt = so_threads(n_threads);
    double *buf = malloc((size_t)nt * (size_t)(m > 0 ? m : 1) * sizeof(double));
    int64_t i;
    if (!buf) return SO_ERR_ALLOC;
#pragma omp parallel num_threads(nt) if (nt > 1 && n * m > 65536)
    {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        double *row = buf + (size_t)tid * (size_t)m;
#pragma omp for schedule(static)
        for (i = 0; i < n; ++i) {
            /* The row is recomputed here, and rounding may differ by an ulp from the
             * counting pass (another code path): entries past the row's capacity are
             * dropped and the number written is reported in filled[i]. */
            SO_PICK(so_kernel_row_)(m, M + i * m, f[i], g, reg, row);
            const double ta = tau * a[i];
            int64_t k = indptr[i];
            const int64_t end = indptr[i + 1];
            for (int64_t j = 0; j < m && k < end; ++j) {
                const double tb = tau * b[j];
                if (row[j] >= (ta < tb ? ta : tb)) {
                    indices[k] = j;
                    data[k] = row[j];
                    ++k;
                }
            }
            filled[i] = k - indptr[i];
        }
    }
    free(buf);
    return SO_OK;
}

#endif /* SO_EXPORTS */

#undef SO_PICK
#undef SO_H
#undef SO_FN
#undef SO_CAT
#undef SO_CAT_
