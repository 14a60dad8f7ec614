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

#define SO_ANY4 SO_CAT(so_any4, ISA)

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
        const double cut = so_lse_cut(m);
        so_v4d acc = {0.0, 0.0, 0.0, 0.0};
        for (j = 0; j + 4 <= m; j += 4) {
            const so_v4d t = (so_load4d(g + j) - SO_LOAD4(Mi + j) - mx) * inv;
            if (SO_ANY4(t >= cut)) acc += so_exp4(t);
        }
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
    const double inv = 1.0 / reg, cut = so_lse_cut(n);
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
        for (c = 0; c + 4 <= w; c += 4) {
            const so_v4d t = (fi - SO_LOAD4(Mi + c) - so_load4d(mx + c)) * inv;
            if (SO_ANY4(t >= cut)) so_store4(s + c, so_load4d(s + c) + so_exp4(t));
        }
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
    const so_v4d zero = {0.0, 0.0, 0.0, 0.0};
    for (j = 0; j + 4 <= m; j += 4) {
        /* exp is 0 below -708 anyway: skipping those groups changes no bit */
        const so_v4d z = (fi + so_load4d(g + j) - SO_LOAD4(Mi + j)) * inv;
        so_store4(Ki + j, SO_ANY4(z >= -708.0) ? so_exp4(z) : zero);
    }
    for (; j < m; ++j) Ki[j] = so_exp((fi + g[j] - (double)Mi[j]) * inv);
}

/* The entries of one row of the plan that are >= tau * min(a_i, b_j), written to
 * indices/data from position k up to end (the row's capacity); returns the new k.
 * Groups of 4 entries all below exp(zcut) are skipped, as in so_marg_row_. */
static SO_TGT int64_t SO_H(so_sparse_row_)(int64_t m, const CT *restrict Mi, double fi,
                                            const double *restrict g, double reg, double zcut,
                                            double ai, const double *restrict b, double tau,
                                            int64_t k, int64_t end, int64_t *restrict indices,
                                            double *restrict data)
{
    const double inv = 1.0 / reg;
    const double ta = tau * ai;
    int64_t j;
    for (j = 0; j + 4 <= m && k < end; j += 4) {
        const so_v4d z = (fi + so_load4d(g + j) - SO_LOAD4(Mi + j)) * inv;
        if (!SO_ANY4(z >= zcut)) continue;
        const so_v4d p = so_exp4(z);
        for (int l = 0; l < 4 && k < end; ++l) {
            if (so_kept(p[l], ta, tau, b[j + l])) {
                indices[k] = j + l;
                data[k] = p[l];
                ++k;
            }
        }
    }
    for (; j < m && k < end; ++j) {
        const double z = (fi + g[j] - (double)Mi[j]) * inv;
        if (z < zcut) continue;
        const double p = so_exp(z);
        if (so_kept(p, ta, tau, b[j])) {
            indices[k] = j;
            data[k] = p;
            ++k;
        }
    }
    return k;
}

/* One row of the plan: its sum, its contribution to <P, M>, the column sums (added into
 * cols), the row itself in Pi (when not NULL; skipped groups as 0) and, when b != NULL,
 * the count of entries >= tau * min(a_i, b_j).  Groups of 4
 * entries whose exponents are all below zcut are skipped (the caller bounds their mass).
 * With idx != NULL the row is also screened: the entries with exponent >= zlow (<= zcut)
 * are recorded as (j, M_ij) at positions *pos, *pos + 1, ... while below lim; *pos
 * advances past lim when they do not fit. */
static SO_TGT void SO_H(so_marg_row_)(int64_t m, const CT *restrict Mi, double fi,
                                          const double *restrict g, double reg, double zcut,
                                          double *restrict cols, double *row, double *cost,
                                          double ai, const double *restrict b, double tau,
                                          int64_t *count, double zlow, int32_t *restrict idx,
                                          CT *restrict mval, int64_t *pos, int64_t lim,
                                          double *restrict Pi)
{
    const double inv = 1.0 / reg;
    const double ta = tau * ai;
    const double zskip = idx != NULL ? zlow : zcut;
    double s = 0.0, c = 0.0;
    int64_t j, k = 0, q = idx != NULL ? *pos : 0;
    so_v4d s4 = {0.0, 0.0, 0.0, 0.0}, c4 = {0.0, 0.0, 0.0, 0.0};
    so_v4l k4 = {0, 0, 0, 0};
    for (j = 0; j + 4 <= m; j += 4) {
        const so_v4d mij = SO_LOAD4(Mi + j);
        const so_v4d z = (fi + so_load4d(g + j) - mij) * inv;
        if (!SO_ANY4(z >= zskip)) {
            if (Pi != NULL) so_store4(Pi + j, z * 0.0);
            continue;
        }
        const so_v4d p = so_exp4(z);
        if (Pi != NULL) so_store4(Pi + j, p);
        so_store4(cols + j, so_load4d(cols + j) + p);
        s4 += p;
        c4 += p * mij;
        if (b != NULL) {
            const so_v4d tb = so_load4d(b + j) * tau;
            const so_v4d thr = so_sel4(tb < ta, tb, tb * 0.0 + ta);
            k4 -= (p >= thr);                       /* true lanes are -1 */
        }
        if (idx != NULL) {
            const so_v4l keep = z >= zlow;
            if (q + 4 <= lim) {             /* branch-free: write all, advance by the kept */
                for (int l = 0; l < 4; ++l) {
                    idx[q] = (int32_t)(j + l);
                    mval[q] = Mi[j + l];
                    q -= keep[l];
                }
            } else {
                for (int l = 0; l < 4; ++l) {
                    if (keep[l]) {
                        if (q < lim) {
                            idx[q] = (int32_t)(j + l);
                            mval[q] = Mi[j + l];
                        }
                        ++q;
                    }
                }
            }
        }
    }
    s = so_hsum4(s4);
    c = so_hsum4(c4);
    k = (k4[0] + k4[1]) + (k4[2] + k4[3]);
    for (; j < m; ++j) {
        const double mij = (double)Mi[j];
        const double z = (fi + g[j] - mij) * inv;
        if (z < zskip) {
            if (Pi != NULL) Pi[j] = 0.0;
            continue;
        }
        const double p = so_exp(z);
        if (Pi != NULL) Pi[j] = p;
        cols[j] += p;
        s += p;
        c += p * mij;
        if (b != NULL) {
            k += so_kept(p, ta, tau, b[j]);
        }
        if (idx != NULL) {
            if (q < lim) {
                idx[q] = (int32_t)j;
                mval[q] = Mi[j];
            }
            ++q;
        }
    }
    *row = s;
    *cost = c;
    if (b != NULL) *count = k;
    if (idx != NULL) *pos = q;
}

/* so_marg_row_ over a screened row: only its len recorded entries (columns idx, costs mv).
 * With b and kidx != NULL the entries it counts are also written to kidx, kdata (room for
 * len entries). */
static SO_TGT void SO_H(so_marg_sparse_row_)(int64_t len, const int32_t *restrict idx,
                                                 const CT *restrict mv, double fi,
                                                 const double *restrict g, double reg,
                                                 double *restrict cols, double *row,
                                                 double *cost, double ai,
                                                 const double *restrict b, double tau,
                                                 int64_t *count, int64_t *restrict kidx,
                                                 double *restrict kdata)
{
    const double inv = 1.0 / reg;
    const double ta = tau * ai;
    double s, c;
    int64_t q, k = 0;
    so_v4d s4 = {0.0, 0.0, 0.0, 0.0}, c4 = {0.0, 0.0, 0.0, 0.0};
    for (q = 0; q + 4 <= len; q += 4) {
        const int32_t j0 = idx[q], j1 = idx[q + 1], j2 = idx[q + 2], j3 = idx[q + 3];
        const so_v4d gj = {g[j0], g[j1], g[j2], g[j3]};
        const so_v4d mij = SO_LOAD4(mv + q);
        const so_v4d p = so_exp4((fi + gj - mij) * inv);
        cols[j0] += p[0];
        cols[j1] += p[1];
        cols[j2] += p[2];
        cols[j3] += p[3];
        s4 += p;
        c4 += p * mij;
        if (b != NULL) {
            const so_v4d tb = {tau * b[j0], tau * b[j1], tau * b[j2], tau * b[j3]};
            const so_v4d thr = so_sel4(tb < ta, tb, tb * 0.0 + ta);
            const so_v4l hit = p >= thr;
            if (kidx != NULL) {
                if (SO_ANY4(hit))           /* then branch-free: write 4, advance by the kept */
                for (int l = 0; l < 4; ++l) {
                    kidx[k] = idx[q + l];
                    kdata[k] = p[l];
                    k -= hit[l];
                }
            } else {
                k -= (hit[0] + hit[1]) + (hit[2] + hit[3]);
            }
        }
    }
    s = so_hsum4(s4);
    c = so_hsum4(c4);
    for (; q < len; ++q) {
        const int32_t j = idx[q];
        const double mij = (double)mv[q];
        const double p = so_exp((fi + g[j] - mij) * inv);
        cols[j] += p;
        s += p;
        c += p * mij;
        if (b != NULL) {
            if (so_kept(p, ta, tau, b[j])) {
                if (kidx != NULL) {
                    kidx[k] = j;
                    kdata[k] = p;
                }
                ++k;
            }
        }
    }
    *row = s;
    *cost = c;
    if (b != NULL) *count = k;
}

/* so_sparse_row_ over a screened row. */
static SO_TGT int64_t SO_H(so_sparse_screened_row_)(int64_t len, const int32_t *restrict idx,
                                                        const CT *restrict mv, double fi,
                                                        const double *restrict g, double reg,
                                                        double ai, const double *restrict b,
                                                        double tau, int64_t k, int64_t end,
                                                        int64_t *restrict indices,
                                                        double *restrict data)
{
    const double inv = 1.0 / reg;
    const double ta = tau * ai;
    int64_t q;
    for (q = 0; q + 4 <= len && k < end; q += 4) {
        const int32_t j0 = idx[q], j1 = idx[q + 1], j2 = idx[q + 2], j3 = idx[q + 3];
        const so_v4d gj = {g[j0], g[j1], g[j2], g[j3]};
        const so_v4d p = so_exp4((fi + gj - SO_LOAD4(mv + q)) * inv);
        const so_v4d tb = {tau * b[j0], tau * b[j1], tau * b[j2], tau * b[j3]};
        const so_v4l hit = p >= so_sel4(tb < ta, tb, tb * 0.0 + ta);
        if (!SO_ANY4(hit)) continue;
        for (int l = 0; l < 4 && k < end; ++l) {
            if (hit[l]) {
                indices[k] = idx[q + l];
                data[k] = p[l];
                ++k;
            }
        }
    }
    for (; q < len && k < end; ++q) {
        const int32_t j = idx[q];
        const double p = so_exp((fi + g[j] - (double)mv[q]) * inv);
        if (so_kept(p, ta, tau, b[j])) {
            indices[k] = j;
            data[k] = p;
            ++k;
        }
    }
    return k;
}

#undef SO_ANY4

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
                            const double *g, double reg, double zcut, double *rows, double *cols,
                            double *total, double *cost, const double *a, const double *b,
                            double tau, int64_t *counts, so_sk_screen *screen, double *plan,
                            int n_threads)
{
    const int hsw = so_cpu_hsw();
    const int nt = so_threads(n_threads);
    double *acc = calloc((size_t)nt * (size_t)(m > 0 ? m : 1), sizeof(double));
    double tot = 0.0, cst = 0.0;
    int64_t i;
    int used = 1, overflow = 0;
    int64_t recorded = 0;
    if (!acc) return SO_ERR_ALLOC;
#pragma omp parallel num_threads(nt) if (nt > 1 && n * m > 65536) \
    reduction(+ : tot, cst, recorded) reduction(| : overflow)
    {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#pragma omp single
        used = omp_get_num_threads();
#endif
        double *mine = acc + (size_t)tid * (size_t)m;
        /* a screen gives each thread an equal share of its capacity; a static schedule
         * hands each thread one block of consecutive rows, recorded in order */
        int32_t *idx = screen ? screen->idx : NULL;
        CT *mval = screen ? (CT *)screen->mval : NULL;
        const int64_t share = screen ? screen->cap / used : 0;
        int64_t pos = tid * share;
        const int64_t lim = pos + share;
#pragma omp for schedule(static)
        for (i = 0; i < n; ++i) {
            double c = 0.0;
            const int64_t first = pos;
            SO_PICK(so_marg_row_)(m, M + i * m, f[i], g, reg, zcut, mine, rows + i, &c,
                                counts ? a[i] : 0.0, counts ? b : NULL, tau,
                                counts ? counts + i : NULL, screen ? screen->zlow : 0.0,
                                idx, mval, &pos, lim, plan ? plan + i * m : NULL);
            if (screen) {
                screen->start[i] = first;
                screen->len[i] = pos - first;
                recorded += pos - first;
                if (pos > lim) {
                    overflow = 1;
                    idx = NULL;     /* stop recording; the sums go on */
                }
            }
            tot += rows[i];
            cst += c;
        }
    }
    so_sum_accumulators(acc, used, m, cols);
    free(acc);
    if (screen) {
        screen->overflow = overflow;
        screen->size = recorded;
    }
    *total = tot;
    *cost = cst;
    return SO_OK;
}

int SO_FN(so_sk_marginals_screened_)(int64_t n, int64_t m, const so_sk_screen *screen,
                                     const double *f, const double *g, double reg,
                                     double *rows, double *cols, double *total, double *cost,
                                     const double *a, const double *b, double tau,
                                     int64_t *counts, int64_t *kidx, double *kdata,
                                     int n_threads)
{
    const int hsw = so_cpu_hsw();
    const int nt = so_threads(n_threads);
    const CT *mval = (const CT *)screen->mval;
    double *acc = calloc((size_t)nt * (size_t)(m > 0 ? m : 1), sizeof(double));
    double tot = 0.0, cst = 0.0;
    int64_t i;
    int used = 1;
    if (!acc) return SO_ERR_ALLOC;
#pragma omp parallel num_threads(nt) if (nt > 1 && screen->size > 16384) reduction(+ : tot, cst)
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
            const int64_t s0 = screen->start[i];
            SO_PICK(so_marg_sparse_row_)(screen->len[i], screen->idx + s0, mval + s0, f[i], g,
                                       reg, mine, rows + i, &c, counts ? a[i] : 0.0,
                                       counts ? b : NULL, tau, counts ? counts + i : NULL,
                                       counts && kidx ? kidx + s0 : NULL,
                                       counts && kidx ? kdata + s0 : NULL);
            tot += rows[i];
            cst += c;
        }
    }
    so_sum_accumulators(acc, used, m, cols);
    free(acc);
    *total = tot;
    *cost = cst;
    return SO_OK;
}

int SO_FN(so_sk_sparsify_)(int64_t n, int64_t m, const CT *M, const double *f,
                           const double *g, double reg, double zcut, const double *a,
                           const double *b, double tau, const int64_t *indptr,
                           int64_t *indices, double *data, int64_t *filled, int n_threads)
{
    const int hsw = so_cpu_hsw();
    int64_t i;
    (void)n_threads;
    /* Rounding may differ by an ulp from the counting pass (another code path): entries
     * past a row's capacity are dropped and the number written is reported in filled[i]. */
#pragma omp parallel for schedule(static) num_threads(so_threads(n_threads)) if (n * m > 65536)
    for (i = 0; i < n; ++i)
        filled[i] = SO_PICK(so_sparse_row_)(m, M + i * m, f[i], g, reg, zcut, a[i], b, tau,
                                            indptr[i], indptr[i + 1], indices, data)
                    - indptr[i];
    return SO_OK;
}

int SO_FN(so_sk_sparsify_screened_)(int64_t n, const so_sk_screen *screen,
                                    const double *f, const double *g, double reg,
                                    const double *a, const double *b, double tau,
                                    const int64_t *indptr, int64_t *indices, double *data,
                                    int64_t *filled, int n_threads)
{
    const int hsw = so_cpu_hsw();
    const CT *mval = (const CT *)screen->mval;
    int64_t i;
    (void)n_threads;
#pragma omp parallel for schedule(static) num_threads(so_threads(n_threads)) if (screen->size > 16384)
    for (i = 0; i < n; ++i) {
        const int64_t s0 = screen->start[i];
        filled[i] = SO_PICK(so_sparse_screened_row_)(screen->len[i], screen->idx + s0,
                                                     mval + s0, f[i], g, reg, a[i], b, tau,
                                                     indptr[i], indptr[i + 1], indices, data)
                    - indptr[i];
    }
    return SO_OK;
}

#endif /* SO_EXPORTS */

#undef SO_PICK
#undef SO_H
#undef SO_FN
#undef SO_CAT
#undef SO_CAT_
