/* Template body of the sparse x sparse product; included by spgemm.c once per
 * (value type, index type). Expects FT, IT, IT_MAX, SFX (name suffix) and ISFX (index
 * suffix); SO_EMIT_COUNT also emits the value-free symbolic pass for this index type. */

#define SO_CAT_(a, b) a##b
#define SO_CAT(a, b) SO_CAT_(a, b)
#define SO_FN(name) SO_CAT(name, SFX)
#define SO_IFN(name) SO_CAT(name, ISFX)

/* r = f(args..., masked, dense_all) with both flags passed as constants, so that each of
 * the four calls inlines a specialized copy of the row loops. */
#ifndef SO_SPECIALIZED
#define SO_SPECIALIZED(r, masked, dense_all, f, ...)                                   \
    do {                                                                                \
        if (masked)                                                                     \
            (r) = (dense_all) ? f(__VA_ARGS__, 1, 1) : f(__VA_ARGS__, 1, 0);            \
        else                                                                            \
            (r) = (dense_all) ? f(__VA_ARGS__, 0, 1) : f(__VA_ARGS__, 0, 0);            \
    } while (0)
#endif

#ifdef SO_EMIT_COUNT
/* ------------------------------------------------------------------------------------
 * Pieces that depend on the index type only.
 * ---------------------------------------------------------------------------------- */

/* Multiply count of row i: the lengths of the rows of B its entries select. */
static SO_INLINE int64_t SO_IFN(row_flops_)(int64_t i, const IT *restrict ap,
                                            const IT *restrict ai, const IT *restrict bp)
{
    int64_t fl = 0, p;
    const int64_t pe = (int64_t)ap[i + 1];
    for (p = (int64_t)ap[i]; p < pe; ++p) {
        const int64_t k = (int64_t)ai[p];
        fl += (int64_t)bp[k + 1] - (int64_t)bp[k];
    }
    return fl;
}

/* The calling thread's place in the team (0 of 1 outside a parallel region). */
static void SO_IFN(team_place_)(int *t, int *T)
{
#ifdef _OPENMP
    *t = omp_get_thread_num();
    *T = omp_get_num_threads();
#else
    *t = 0;
    *T = 1;
#endif
}

/* out[i + 1] = out[i] + flops of row i (out[0] = 0): per-row counts in parallel, then a
 * prefix sum by blocks (each thread sums its block, the block offsets are added). */
static void SO_IFN(so_spgemm_flops_)(int64_t n_rows, const IT *ap, const IT *ai, const IT *bp,
                                     int64_t *out, int n_threads)
{
    int nt = n_threads < 1 ? 1 : n_threads;
    int64_t i;
    if ((double)ap[n_rows] < 1e5) nt = 1;  /* a team costs more than the pass */
    (void)nt;  /* unused without OpenMP */
    out[0] = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) if (nt > 1)
#endif
    {
        int t, T, s;
        int64_t r0, r1, acc = 0, base = 0;
        SO_IFN(team_place_)(&t, &T);
        r0 = n_rows * t / T;
        r1 = n_rows * (t + 1) / T;
        for (i = r0; i < r1; ++i) {
            acc += SO_IFN(row_flops_)(i, ap, ai, bp);
            out[i + 1] = acc;
        }
#ifdef _OPENMP
#pragma omp barrier
#endif
        for (s = 0; s < t; ++s)  /* the totals of the blocks before this one */
            if (n_rows * s / T < n_rows * (s + 1) / T) base += out[n_rows * (s + 1) / T];
#ifdef _OPENMP
#pragma omp barrier
#endif
        if (base != 0)
            for (i = r0; i < r1; ++i) out[i + 1] += base;
    }
}

/* Flag the columns the mask keeps in row i (on = 1) or clear them again (on = 0). */
static SO_INLINE void SO_IFN(mask_row_)(int64_t i, const IT *restrict mp, const IT *restrict mi,
                                        unsigned char *restrict allow, unsigned char on)
{
    int64_t p;
    const int64_t pe = (int64_t)mp[i + 1];
    for (p = (int64_t)mp[i]; p < pe; ++p) allow[mi[p]] = on;
}

/* Distinct columns of row `row`, dense accumulator: tag[j] == row once j is seen. */
static SO_INLINE int64_t SO_IFN(count_dense_)(IT row, const IT *restrict ap,
                                              const IT *restrict ai, const IT *restrict bp,
                                              const IT *restrict bi, IT *restrict tag,
                                              const unsigned char *restrict allow,
                                              const int masked)
{
    int64_t cnt = 0, p, q;
    const int64_t pe = (int64_t)ap[row + 1];
    for (p = (int64_t)ap[row]; p < pe; ++p) {
        const int64_t k = (int64_t)ai[p];
        const int64_t qe = (int64_t)bp[k + 1];
        for (q = (int64_t)bp[k]; q < qe; ++q) {
            const IT j = bi[q];
            if (masked && !allow[j]) continue;
            if (tag[j] != row) {
                tag[j] = row;
                ++cnt;
            }
        }
    }
    return cnt;
}

/* count_dense_ without a mask, in one of two forms (a constant where it is inlined): a
 * branch on the tag, or a branch-free store of every tag. *flops receives the row's
 * multiply count. */
static SO_INLINE int64_t SO_IFN(count_dense_forms_)(IT row, const IT *restrict ap,
                                                    const IT *restrict ai,
                                                    const IT *restrict bp,
                                                    const IT *restrict bi, IT *restrict tag,
                                                    int64_t *restrict flops,
                                                    const int branch_free)
{
    int64_t cnt = 0, fl = 0, p, q;
    const int64_t pe = (int64_t)ap[row + 1];
    for (p = (int64_t)ap[row]; p < pe; ++p) {
        const int64_t k = (int64_t)ai[p];
        const int64_t qb = (int64_t)bp[k], qe = (int64_t)bp[k + 1];
        fl += qe - qb;
        for (q = qb; q < qe; ++q) {
            const IT j = bi[q];
            if (branch_free) {
                cnt += tag[j] != row;
                tag[j] = row;
            } else if (tag[j] != row) {
                tag[j] = row;
                ++cnt;
            }
        }
    }
    *flops = fl;
    return cnt;
}

/* Distinct columns of row `row`, hash table of msk + 1 slots (empty: -1); the filled
 * slots are emptied again before returning. */
static SO_INLINE int64_t SO_IFN(count_hash_)(IT row, const IT *restrict ap,
                                             const IT *restrict ai, const IT *restrict bp,
                                             const IT *restrict bi, IT *restrict keys,
                                             int64_t *restrict slots, int64_t msk,
                                             const unsigned char *restrict allow,
                                             const int masked)
{
    int64_t cnt = 0, p, q, t;
    const int64_t pe = (int64_t)ap[row + 1];
    for (p = (int64_t)ap[row]; p < pe; ++p) {
        const int64_t k = (int64_t)ai[p];
        const int64_t qe = (int64_t)bp[k + 1];
        for (q = (int64_t)bp[k]; q < qe; ++q) {
            const IT j = bi[q];
            int64_t h;
            if (masked && !allow[j]) continue;
            h = ((int64_t)j * SO_HASH) & msk;
            for (;;) {
                if (keys[h] == j) break;
                if (keys[h] == (IT)-1) {
                    keys[h] = j;
                    slots[cnt++] = h;
                    break;
                }
                h = (h + 1) & msk;
            }
        }
    }
    for (t = 0; t < cnt; ++t) keys[slots[t]] = (IT)-1;
    return cnt;
}

typedef struct {
    IT *tag;               /* dense accumulator's row tags (n_cols), or NULL */
    IT *keys;              /* hash table keys (tsize), -1 when empty */
    int64_t *slots;        /* the slots a row filled, in first-touch order */
    int64_t tsize;
    unsigned char *allow;  /* the mask's current row as flags (n_cols), or NULL */
} SO_IFN(cws_);

/* A hash table of at least `size` slots (grown on demand, never shrunk). */
static int SO_IFN(cws_table_)(SO_IFN(cws_) *w, int64_t size)
{
    int64_t h;
    if (size <= w->tsize) return 1;
    free(w->keys);
    free(w->slots);
    w->keys = (IT *)malloc((size_t)size * sizeof(IT));
    w->slots = (int64_t *)malloc((size_t)size * sizeof(int64_t));
    w->tsize = (w->keys && w->slots) ? size : 0;
    if (!w->tsize) return 0;
    for (h = 0; h < size; ++h) w->keys[h] = (IT)-1;
    return 1;
}

/* The dense accumulator's tags, all -1 (no row yet); allocated on first use. */
static int SO_IFN(cws_dense_)(SO_IFN(cws_) *w, int64_t n_cols)
{
    w->tag = (IT *)malloc((size_t)n_cols * sizeof(IT) + 1);
    if (!w->tag) return 0;
    so_hugepages(w->tag, (size_t)n_cols * sizeof(IT), 0);
    memset(w->tag, 0xFF, (size_t)n_cols * sizeof(IT));
    return 1;
}

static SO_INLINE int SO_IFN(count_chunk_)(const so_spgemm_plan *P, SO_IFN(cws_) *w, int64_t c,
                                          int64_t *chunk_nnz, const int masked,
                                          const int dense_all)
{
    const IT *restrict ap = (const IT *)P->a_ptr, *restrict ai = (const IT *)P->a_ind;
    const IT *restrict bp = (const IT *)P->b_ptr, *restrict bi = (const IT *)P->b_ind;
    const IT *restrict mp = (const IT *)P->m_ptr, *restrict mi = (const IT *)P->m_ind;
    int64_t i, total = 0;
    so_form_tuner tune;
    so_form_start(&tune);
    for (i = P->chunks[c]; i < P->chunks[c + 1]; ++i) {
        int64_t cnt;
        if (masked) SO_IFN(mask_row_)(i, mp, mi, w->allow, 1);
        if (dense_all && !masked) {
            int64_t fl;
            if (tune.form)
                cnt = SO_IFN(count_dense_forms_)((IT)i, ap, ai, bp, bi, w->tag, &fl, 1);
            else
                cnt = SO_IFN(count_dense_forms_)((IT)i, ap, ai, bp, bi, w->tag, &fl, 0);
            so_form_tick(&tune, fl);
        } else if (dense_all) {
            cnt = SO_IFN(count_dense_)((IT)i, ap, ai, bp, bi, w->tag, w->allow, masked);
        } else {
            const int64_t fl = SO_IFN(row_flops_)(i, ap, ai, bp);
            const int64_t size = so_pow2_at_least(2 * fl);
            if (fl == 0) {
                cnt = 0;
            } else if (size >= P->dense_from) {
                if (!w->tag && !SO_IFN(cws_dense_)(w, P->n_cols)) return 0;
                cnt = SO_IFN(count_dense_)((IT)i, ap, ai, bp, bi, w->tag, w->allow, masked);
            } else {
                if (!SO_IFN(cws_table_)(w, size)) return 0;
                cnt = SO_IFN(count_hash_)((IT)i, ap, ai, bp, bi, w->keys, w->slots, size - 1,
                                          w->allow, masked);
            }
        }
        if (masked) SO_IFN(mask_row_)(i, mp, mi, w->allow, 0);
        total += cnt;
    }
    chunk_nnz[c] = total;
    return 1;
}

/* Row i counted by the whole team (every thread of the parallel region calls it): each
 * thread tags the columns of its slice of the row's entries of A in its own dense tags
 * (no atomics), then counts, over its share of the columns, those tagged by any thread.
 * tags[] publishes each thread's tag array; cnt[t + 1] receives thread t's count. */
static void SO_IFN(count_coop_)(const so_spgemm_plan *P, int64_t i, IT *my_tag,
                                const unsigned char *allow, const int masked, IT **tags,
                                int64_t *cnt)
{
    const IT *ap = (const IT *)P->a_ptr, *ai = (const IT *)P->a_ind;
    const IT *bp = (const IT *)P->b_ptr, *bi = (const IT *)P->b_ind;
    const int64_t p0 = (int64_t)ap[i], len = (int64_t)ap[i + 1] - p0;
    int t, T, s;
    int64_t p, j, c = 0;
    SO_IFN(team_place_)(&t, &T);
    for (p = p0 + len * t / T; p < p0 + len * (t + 1) / T; ++p) {
        const int64_t k = (int64_t)ai[p];
        int64_t q;
        for (q = (int64_t)bp[k]; q < (int64_t)bp[k + 1]; ++q) {
            const IT col = bi[q];
            if (masked && !allow[col]) continue;
            my_tag[col] = (IT)i;
        }
    }
    tags[t] = my_tag;
#ifdef _OPENMP
#pragma omp barrier
#endif
    for (j = P->n_cols * t / T; j < P->n_cols * (t + 1) / T; ++j)
        for (s = 0; s < T; ++s)
            if (tags[s][j] == (IT)i) {
                ++c;
                break;
            }
    cnt[t + 1] = c;
#ifdef _OPENMP
#pragma omp barrier
#endif
}

static int SO_IFN(so_spgemm_count_)(const so_spgemm_plan *P, int64_t *chunk_nnz)
{
    int failed = 0;
    const int masked = P->m_ptr != NULL, dense_all = P->dense_from <= 0;
    int nt = so_spgemm_team(P);
    (void)nt;  /* unused without OpenMP */
    IT **tags = NULL;
    int64_t *cnt = NULL;
    if (P->heavy != NULL) {
        tags = (IT **)calloc((size_t)nt, sizeof(IT *));
        cnt = (int64_t *)calloc((size_t)nt + 1, sizeof(int64_t));
        if (!tags || !cnt) {
            free(tags);
            free(cnt);
            return SO_ERR_ALLOC;
        }
    }
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) if (nt > 1)
#endif
    {
        SO_IFN(cws_) w = {NULL, NULL, NULL, 0, NULL};
        int ok = 1;
        int64_t c;
        if ((dense_all || P->heavy) && !SO_IFN(cws_dense_)(&w, P->n_cols)) ok = 0;
        if (masked && ok) {
            w.allow = (unsigned char *)calloc((size_t)P->n_cols + 1, 1);
            if (!w.allow) ok = 0;
        }
        if (!ok) {
#ifdef _OPENMP
#pragma omp atomic write
#endif
            failed = 1;
        }
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (c = 0; c < P->n_chunks; ++c) {
            int r;
            if (!ok || (P->heavy && P->heavy[c])) continue;
            SO_SPECIALIZED(r, masked, dense_all, SO_IFN(count_chunk_), P, &w, c, chunk_nnz);
            if (!r) {
                ok = 0;
#ifdef _OPENMP
#pragma omp atomic write
#endif
                failed = 1;
            }
        }
        /* the heavy rows, each by the whole team (after the loop's barrier, `failed` is
         * the same for every thread) */
        if (P->heavy != NULL && !failed) {
            for (c = 0; c < P->n_chunks; ++c) {
                int64_t i;
                if (!P->heavy[c]) continue;
                for (i = P->chunks[c]; i < P->chunks[c + 1]; ++i) {
                    int s;
                    if (masked) SO_IFN(mask_row_)(i, (const IT *)P->m_ptr, (const IT *)P->m_ind,
                                                  w.allow, 1);
                    SO_IFN(count_coop_)(P, i, w.tag, w.allow, masked, tags, cnt);
                    if (masked) SO_IFN(mask_row_)(i, (const IT *)P->m_ptr, (const IT *)P->m_ind,
                                                  w.allow, 0);
#ifdef _OPENMP
#pragma omp single
#endif
                    {
                        int T = 1;
#ifdef _OPENMP
                        T = omp_get_num_threads();
#endif
                        if (i == P->chunks[c]) chunk_nnz[c] = 0;
                        for (s = 0; s < T; ++s) chunk_nnz[c] += cnt[s + 1];
                    }
                }
            }
        }
        free(w.tag);
        free(w.keys);
        free(w.slots);
        free(w.allow);
    }
    free(tags);
    free(cnt);
    return failed ? SO_ERR_ALLOC : SO_OK;
}
#endif /* SO_EMIT_COUNT */

/* ------------------------------------------------------------------------------------
 * The numeric pieces, per value type.
 * ---------------------------------------------------------------------------------- */

/* Shell sort of (index, value) pairs by index (gaps 3h+1): in place, fine for rows. */
static void SO_FN(sort_pairs_)(IT *restrict ind, FT *restrict val, int64_t n)
{
    int64_t gap = 1, i, j;
    while (gap < n / 3) gap = 3 * gap + 1;
    for (; gap >= 1; gap /= 3) {
        for (i = gap; i < n; ++i) {
            const IT ki = ind[i];
            const FT vi = val[i];
            for (j = i; j >= gap && ind[j - gap] > ki; j -= gap) {
                ind[j] = ind[j - gap];
                val[j] = val[j - gap];
            }
            ind[j] = ki;
            val[j] = vi;
        }
    }
}

/* Row `row` of C with the dense accumulator: columns go to oi in first-touch order
 * while their sums build up in acc; then the values are gathered (zeros dropped unless
 * keep_zeros). Returns the entries written. */
static SO_INLINE int64_t SO_FN(fill_dense_)(IT row, const IT *restrict ap, const IT *restrict ai,
                                            const FT *restrict av, const IT *restrict bp,
                                            const IT *restrict bi, const FT *restrict bv,
                                            IT *restrict tag, FT *restrict acc,
                                            const unsigned char *restrict allow,
                                            const int masked, int keep_zeros,
                                            IT *restrict oi, FT *restrict ov)
{
    int64_t n = 0, w = 0, p, q, t;
    const int64_t pe = (int64_t)ap[row + 1];
    for (p = (int64_t)ap[row]; p < pe; ++p) {
        const int64_t k = (int64_t)ai[p];
        const FT a = av[p];
        const int64_t qe = (int64_t)bp[k + 1];
        for (q = (int64_t)bp[k]; q < qe; ++q) {
            const IT j = bi[q];
            if (masked && !allow[j]) continue;
            if (tag[j] != row) {
                tag[j] = row;
                acc[j] = a * bv[q];
                oi[n++] = j;
            } else {
                acc[j] += a * bv[q];
            }
        }
    }
    if (keep_zeros) {
        for (t = 0; t < n; ++t) ov[t] = acc[oi[t]];
        return n;
    }
    for (t = 0; t < n; ++t) {
        const IT j = oi[t];
        const FT v = acc[j];
        if (v != (FT)0) {
            oi[w] = j;
            ov[w] = v;
            ++w;
        }
    }
    return w;
}

/* Row `row` of C with a hash table of msk + 1 slots (emptied again on the way out). */
static SO_INLINE int64_t SO_FN(fill_hash_)(IT row, const IT *restrict ap, const IT *restrict ai,
                                           const FT *restrict av, const IT *restrict bp,
                                           const IT *restrict bi, const FT *restrict bv,
                                           IT *restrict keys, FT *restrict hval,
                                           int64_t *restrict slots, int64_t msk,
                                           const unsigned char *restrict allow,
                                           const int masked, int keep_zeros,
                                           IT *restrict oi, FT *restrict ov)
{
    int64_t n = 0, w = 0, p, q, t;
    const int64_t pe = (int64_t)ap[row + 1];
    for (p = (int64_t)ap[row]; p < pe; ++p) {
        const int64_t k = (int64_t)ai[p];
        const FT a = av[p];
        const int64_t qe = (int64_t)bp[k + 1];
        for (q = (int64_t)bp[k]; q < qe; ++q) {
            const IT j = bi[q];
            int64_t h;
            if (masked && !allow[j]) continue;
            h = ((int64_t)j * SO_HASH) & msk;
            for (;;) {
                if (keys[h] == j) {
                    hval[h] += a * bv[q];
                    break;
                }
                if (keys[h] == (IT)-1) {
                    keys[h] = j;
                    hval[h] = a * bv[q];
                    slots[n++] = h;
                    break;
                }
                h = (h + 1) & msk;
            }
        }
    }
    for (t = 0; t < n; ++t) {
        const int64_t h = slots[t];
        const FT v = hval[h];
        if (keep_zeros || v != (FT)0) {
            oi[w] = keys[h];
            ov[w] = v;
            ++w;
        }
        keys[h] = (IT)-1;
    }
    return w;
}

typedef struct {
    IT *tag;               /* dense accumulator (n_cols tags and values), or NULL */
    FT *acc;
    IT *keys;              /* hash table (tsize slots) */
    FT *hval;
    int64_t *slots;
    int64_t tsize;
    unsigned char *allow;  /* the mask's current row as flags, or NULL */
} SO_FN(ws_);

static int SO_FN(ws_table_)(SO_FN(ws_) *w, int64_t size)
{
    int64_t h;
    if (size <= w->tsize) return 1;
    free(w->keys);
    free(w->hval);
    free(w->slots);
    w->keys = (IT *)malloc((size_t)size * sizeof(IT));
    w->hval = (FT *)malloc((size_t)size * sizeof(FT));
    w->slots = (int64_t *)malloc((size_t)size * sizeof(int64_t));
    w->tsize = (w->keys && w->hval && w->slots) ? size : 0;
    if (!w->tsize) return 0;
    for (h = 0; h < size; ++h) w->keys[h] = (IT)-1;
    return 1;
}

/* The dense accumulator: tags all -1 (no row yet), values unset; on first use. */
static int SO_FN(ws_dense_)(SO_FN(ws_) *w, int64_t n_cols)
{
    w->tag = (IT *)malloc((size_t)n_cols * sizeof(IT) + 1);
    w->acc = (FT *)malloc((size_t)n_cols * sizeof(FT) + 1);
    if (!w->tag || !w->acc) {
        free(w->tag);
        free(w->acc);
        w->tag = NULL;
        w->acc = NULL;
        return 0;
    }
    so_hugepages(w->tag, (size_t)n_cols * sizeof(IT), 0);
    so_hugepages(w->acc, (size_t)n_cols * sizeof(FT), 0);
    memset(w->tag, 0xFF, (size_t)n_cols * sizeof(IT));
    return 1;
}

static int SO_FN(ws_init_)(SO_FN(ws_) *w, const so_spgemm_plan *P)
{
    memset(w, 0, sizeof(*w));
    if ((P->dense_from <= 0 || P->heavy) && !SO_FN(ws_dense_)(w, P->n_cols)) return 0;
    if (P->m_ptr != NULL) {
        w->allow = (unsigned char *)calloc((size_t)P->n_cols + 1, 1);
        if (!w->allow) return 0;
    }
    return 1;
}

static void SO_FN(ws_free_)(SO_FN(ws_) *w)
{
    free(w->tag);
    free(w->acc);
    free(w->keys);
    free(w->hval);
    free(w->slots);
    free(w->allow);
}

/* Row i of C into oi / ov (room for the row's flops or n_cols, whichever is smaller);
 * returns the entries written, or -1 if a hash table could not be allocated. */
static SO_INLINE int64_t SO_FN(row_)(const so_spgemm_plan *P, SO_FN(ws_) *w, int64_t i,
                                     IT *restrict oi, FT *restrict ov, const int masked,
                                     const int dense_all)
{
    const IT *restrict ap = (const IT *)P->a_ptr, *restrict ai = (const IT *)P->a_ind;
    const IT *restrict bp = (const IT *)P->b_ptr, *restrict bi = (const IT *)P->b_ind;
    const FT *restrict av = (const FT *)P->a_val, *restrict bv = (const FT *)P->b_val;
    int64_t n;
    if (masked) SO_IFN(mask_row_)(i, (const IT *)P->m_ptr, (const IT *)P->m_ind, w->allow, 1);
    if (dense_all) {
        n = SO_FN(fill_dense_)((IT)i, ap, ai, av, bp, bi, bv, w->tag, w->acc, w->allow,
                               masked, P->keep_zeros, oi, ov);
    } else {
        const int64_t fl = SO_IFN(row_flops_)(i, ap, ai, bp);
        const int64_t size = so_pow2_at_least(2 * fl);
        if (fl == 0) {
            n = 0;
        } else if (size >= P->dense_from) {
            if (!w->acc && !SO_FN(ws_dense_)(w, P->n_cols)) return -1;
            n = SO_FN(fill_dense_)((IT)i, ap, ai, av, bp, bi, bv, w->tag, w->acc, w->allow,
                                   masked, P->keep_zeros, oi, ov);
        } else if (!SO_FN(ws_table_)(w, size)) {
            n = -1;
        } else {
            n = SO_FN(fill_hash_)((IT)i, ap, ai, av, bp, bi, bv, w->keys, w->hval, w->slots,
                                  size - 1, w->allow, masked, P->keep_zeros, oi, ov);
        }
    }
    if (masked) SO_IFN(mask_row_)(i, (const IT *)P->m_ptr, (const IT *)P->m_ind, w->allow, 0);
    if (n > 1 && P->sort_rows) SO_FN(sort_pairs_)(oi, ov, n);
    return n;
}

/* Row i by the whole team into oi / ov (every thread of the parallel region calls it).
 * Each thread multiplies its slice of the row's entries of A into its own dense
 * accumulator (no atomics: they cost a compare-and-swap per product, measured twice
 * slower than one thread); then each merges its share of the columns across the
 * threads' accumulators, once to count the entries it keeps and once, at its offset, to
 * write them. The row comes out sorted. tags[] / accs[] publish the accumulators,
 * cnt[t + 1] the counts; *written receives the row's length. */
static void SO_FN(fill_coop_)(const so_spgemm_plan *P, int64_t i, SO_FN(ws_) *w,
                              const int masked, IT **tags, FT **accs, int64_t *cnt,
                              int64_t *written, IT *oi, FT *ov)
{
    const IT *ap = (const IT *)P->a_ptr, *ai = (const IT *)P->a_ind;
    const IT *bp = (const IT *)P->b_ptr, *bi = (const IT *)P->b_ind;
    const FT *av = (const FT *)P->a_val, *bv = (const FT *)P->b_val;
    const int64_t p0 = (int64_t)ap[i], len = (int64_t)ap[i + 1] - p0;
    IT *restrict tag = w->tag;
    FT *restrict acc = w->acc;
    int t, T, s, pass;
    int64_t p, j, j0, j1, off = 0, c = 0;
    SO_IFN(team_place_)(&t, &T);
    for (p = p0 + len * t / T; p < p0 + len * (t + 1) / T; ++p) {
        const int64_t k = (int64_t)ai[p];
        const FT a = av[p];
        int64_t q;
        for (q = (int64_t)bp[k]; q < (int64_t)bp[k + 1]; ++q) {
            const IT col = bi[q];
            if (masked && !w->allow[col]) continue;
            if (tag[col] != (IT)i) {
                tag[col] = (IT)i;
                acc[col] = a * bv[q];
            } else {
                acc[col] += a * bv[q];
            }
        }
    }
    tags[t] = tag;
    accs[t] = acc;
#ifdef _OPENMP
#pragma omp barrier
#endif
    j0 = P->n_cols * t / T;
    j1 = P->n_cols * (t + 1) / T;
    for (pass = 0; pass < 2; ++pass) {
        if (pass == 1) {
            cnt[t + 1] = c;
#ifdef _OPENMP
#pragma omp barrier
#endif
            for (s = 0; s < t; ++s) off += cnt[s + 1];
            c = 0;
        }
        for (j = j0; j < j1; ++j) {
            int hit = 0;
            FT v = (FT)0;
            for (s = 0; s < T; ++s) {
                if (tags[s][j] == (IT)i) {
                    v = hit ? v + accs[s][j] : accs[s][j];
                    hit = 1;
                }
            }
            if (hit && (P->keep_zeros || v != (FT)0)) {
                if (pass == 1) {
                    oi[off + c] = (IT)j;
                    ov[off + c] = v;
                }
                ++c;
            }
        }
    }
    if (t == T - 1) *written = off + c;
#ifdef _OPENMP
#pragma omp barrier
#endif
}

/* The team's shared view of the heavy rows' accumulators (NULLs if none is heavy). */
static int SO_FN(team_alloc_)(const so_spgemm_plan *P, int nt, IT ***tags, FT ***accs,
                              int64_t **cnt)
{
    *tags = NULL;
    *accs = NULL;
    *cnt = NULL;
    if (P->heavy == NULL) return 1;
    *tags = (IT **)calloc((size_t)nt, sizeof(IT *));
    *accs = (FT **)calloc((size_t)nt, sizeof(FT *));
    *cnt = (int64_t *)calloc((size_t)nt + 1, sizeof(int64_t));
    if (*tags && *accs && *cnt) return 1;
    free(*tags);
    free(*accs);
    free(*cnt);
    return 0;
}

/* The rows of chunk c from position `start` of c_ind / c_val (two-pass product). */
static SO_INLINE int SO_FN(fill_chunk_)(const so_spgemm_plan *P, SO_FN(ws_) *w, int64_t c,
                                        int64_t start, IT *restrict c_ptr, IT *restrict c_ind,
                                        FT *restrict c_val, int64_t *chunk_end,
                                        const int masked, const int dense_all)
{
    int64_t i, pos = start;
    for (i = P->chunks[c]; i < P->chunks[c + 1]; ++i) {
        const int64_t n = SO_FN(row_)(P, w, i, c_ind + pos, c_val + pos, masked, dense_all);
        if (n < 0) return 0;
        pos += n;
        c_ptr[i + 1] = (IT)pos;
    }
    chunk_end[c] = pos;
    return 1;
}

static int SO_FN(so_spgemm_fill_)(const so_spgemm_plan *P, const int64_t *chunk_start, IT *c_ptr,
                           IT *c_ind, FT *c_val, int64_t *chunk_end)
{
    int failed = 0;
    const int masked = P->m_ptr != NULL, dense_all = P->dense_from <= 0;
    int nt = so_spgemm_team(P);
    (void)nt;  /* unused without OpenMP */
    int64_t written = 0, pos = 0, *cnt;
    IT **tags;
    FT **accs;
    if (!SO_FN(team_alloc_)(P, nt, &tags, &accs, &cnt)) return SO_ERR_ALLOC;
    c_ptr[0] = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) if (nt > 1)
#endif
    {
        SO_FN(ws_) w;
        int ok = SO_FN(ws_init_)(&w, P);
        int64_t c;
        if (!ok) {
#ifdef _OPENMP
#pragma omp atomic write
#endif
            failed = 1;
        }
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (c = 0; c < P->n_chunks; ++c) {
            int r;
            if (!ok || (P->heavy && P->heavy[c])) continue;
            SO_SPECIALIZED(r, masked, dense_all, SO_FN(fill_chunk_), P, &w, c, chunk_start[c],
                           c_ptr, c_ind, c_val, chunk_end);
            if (!r) {
                ok = 0;
#ifdef _OPENMP
#pragma omp atomic write
#endif
                failed = 1;
            }
        }
        if (P->heavy != NULL && !failed) {
            for (c = 0; c < P->n_chunks; ++c) {
                int64_t i;
                if (!P->heavy[c]) continue;
#ifdef _OPENMP
#pragma omp single
#endif
                pos = chunk_start[c];
                for (i = P->chunks[c]; i < P->chunks[c + 1]; ++i) {
                    if (masked) SO_IFN(mask_row_)(i, (const IT *)P->m_ptr, (const IT *)P->m_ind,
                                                  w.allow, 1);
                    SO_FN(fill_coop_)(P, i, &w, masked, tags, accs, cnt, &written,
                                      c_ind + pos, c_val + pos);
                    if (masked) SO_IFN(mask_row_)(i, (const IT *)P->m_ptr, (const IT *)P->m_ind,
                                                  w.allow, 0);
#ifdef _OPENMP
#pragma omp single
#endif
                    {
                        pos += written;
                        c_ptr[i + 1] = (IT)pos;
                    }
                }
#ifdef _OPENMP
#pragma omp single
#endif
                chunk_end[c] = pos;
            }
        }
        SO_FN(ws_free_)(&w);
    }
    free(tags);
    free(accs);
    free(cnt);
    return failed ? SO_ERR_ALLOC : SO_OK;
}

static int64_t SO_FN(so_spgemm_compact_)(int64_t n_chunks, const int64_t *chunks,
                                  const int64_t *chunk_start, const int64_t *chunk_end,
                                  IT *c_ptr, IT *c_ind, FT *c_val)
{
    int64_t c, i, dst = 0;
    for (c = 0; c < n_chunks; ++c) {
        const int64_t len = chunk_end[c] - chunk_start[c];
        const int64_t shift = chunk_start[c] - dst;
        if (shift != 0) {
            memmove(c_ind + dst, c_ind + chunk_start[c], (size_t)len * sizeof(IT));
            memmove(c_val + dst, c_val + chunk_start[c], (size_t)len * sizeof(FT));
            for (i = chunks[c]; i < chunks[c + 1]; ++i) c_ptr[i + 1] -= (IT)shift;
        }
        dst += len;
    }
    return dst;
}

/* One chunk's growing output. */
typedef struct {
    IT *ind;
    FT *val;
    int64_t len, cap;
    size_t skip;  /* bytes at the start left to 4 KiB pages (see so_hugepages) */
    int mapped;   /* from so_map_resize (a chunk to gather), not realloc */
    size_t ib, vb; /* mapped bytes of ind and val */
} SO_FN(buf_);

static void SO_FN(buf_release_)(SO_FN(buf_) *b)
{
#if SO_HAVE_MAP
    if (b->mapped) {
        so_unmap(b->ind, b->ib);
        so_unmap(b->val, b->vb);
        b->ib = b->vb = 0;
    } else
#endif
    {
        free(b->ind);
        free(b->val);
    }
    b->ind = NULL;
    b->val = NULL;
    b->cap = 0;
}

static int SO_FN(buf_reserve_)(SO_FN(buf_) *b, int64_t cap)
{
    IT *ind;
    FT *val;
#if SO_HAVE_MAP
    if (b->mapped) {  /* each array keeps its own mapped size, so a failure leaks nothing */
        ind = (IT *)so_map_resize(b->ind, b->ib, (size_t)cap * sizeof(IT));
        if (!ind) return 0;
        b->ind = ind;
        b->ib = (size_t)cap * sizeof(IT);
        val = (FT *)so_map_resize(b->val, b->vb, (size_t)cap * sizeof(FT));
        if (!val) return 0;
        b->val = val;
        b->vb = (size_t)cap * sizeof(FT);
        b->cap = cap;
        so_hugepages(b->ind, b->ib, b->skip);
        so_hugepages(b->val, b->vb, b->skip);
        return 1;
    }
#endif
    ind = (IT *)realloc(b->ind, (size_t)cap * sizeof(IT));
    if (!ind) return 0;
    b->ind = ind;
    val = (FT *)realloc(b->val, (size_t)cap * sizeof(FT));
    if (!val) return 0;
    b->val = val;
    b->cap = cap;
    so_hugepages(b->ind, (size_t)cap * sizeof(IT), b->skip);
    so_hugepages(b->val, (size_t)cap * sizeof(FT), b->skip);
    return 1;
}

/* The rows of chunk c appended to b; c_ptr[i + 1] gets the end of row i relative to the
 * chunk's start. Before a row, if fewer than n_cols slots are left, the row's bound
 * (its flops, or its mask row) is computed, and the buffer doubled if it could overflow
 * (never beyond `limit` entries: then SO_ERR_ALLOC, *need = the size asked for).
 * Returns SO_OK, SO_ERR_ALLOC or SO_ERR_OVERFLOW. */
static SO_INLINE int SO_FN(grow_chunk_)(const so_spgemm_plan *P, SO_FN(ws_) *w, int64_t c,
                                        SO_FN(buf_) *b, IT *restrict c_ptr, int64_t limit,
                                        int64_t *need, const int masked, const int dense_all)
{
    const IT *ap = (const IT *)P->a_ptr, *ai = (const IT *)P->a_ind, *bp = (const IT *)P->b_ptr;
    const IT *mp = (const IT *)P->m_ptr;
    int64_t i, pos = 0;
    for (i = P->chunks[c]; i < P->chunks[c + 1]; ++i) {
        int64_t n;
        if (b->cap - pos < P->n_cols) {
            int64_t bound = SO_IFN(row_flops_)(i, ap, ai, bp);
            if (masked && (int64_t)mp[i + 1] - (int64_t)mp[i] < bound)
                bound = (int64_t)mp[i + 1] - (int64_t)mp[i];
            if (bound > P->n_cols) bound = P->n_cols;
            if (b->cap - pos < bound) {
                int64_t cap = 2 * b->cap;
                if (cap < pos + bound) cap = pos + bound;
                if (cap > limit && pos + bound <= limit) cap = limit;
                if (cap > limit || !SO_FN(buf_reserve_)(b, cap)) {
                    *need = cap;
                    return SO_ERR_ALLOC;
                }
            }
        }
        n = SO_FN(row_)(P, w, i, b->ind + pos, b->val + pos, masked, dense_all);
        if (n < 0) return SO_ERR_ALLOC;
        pos += n;
        if (pos > (int64_t)IT_MAX) return SO_ERR_OVERFLOW;
        c_ptr[i + 1] = (IT)pos;
    }
    b->len = pos;
    return SO_OK;
}

/* First room for chunk c: its bound if given, else nnz(A's rows) x the longest row of B
 * (max_b), and never more than its rows x n_cols nor `reserve` entries. Room that is
 * never written is never touched, so it costs address space, not memory. */
static int64_t SO_FN(first_room_)(const so_spgemm_plan *P, int64_t c, const int64_t *bound,
                                  int64_t max_b, int64_t reserve)
{
    const IT *ap = (const IT *)P->a_ptr;
    const int64_t r0 = P->chunks[c], r1 = P->chunks[c + 1];
    double room;
    if (bound != NULL) {
        room = (double)bound[c];
    } else {
        room = ((double)ap[r1] - (double)ap[r0]) * (double)max_b;
    }
    if (room > (double)(r1 - r0) * (double)P->n_cols) room = (double)(r1 - r0) * (double)P->n_cols;
    if (room > (double)reserve) room = (double)reserve;
    return (int64_t)room + 64;
}

static int SO_FN(so_spgemm_grow_)(const so_spgemm_plan *P, const int64_t *bound,
                                  int64_t reserve, int64_t limit, IT *c_ptr, IT **c_ind,
                                  FT **c_val, int64_t *nnz)
{
    int status = SO_OK;
    const int masked = P->m_ptr != NULL, dense_all = P->dense_from <= 0;
    const int64_t nc = P->n_chunks;
    const IT *bp = (const IT *)P->b_ptr;
    int64_t c, total = 0, max_b = 0, need = 0;
    int nt = so_spgemm_team(P);
    (void)nt;  /* unused without OpenMP */
    SO_FN(buf_) *bufs = (SO_FN(buf_) *)calloc((size_t)(nc > 0 ? nc : 1), sizeof(SO_FN(buf_)));
    int64_t *offset = (int64_t *)malloc((size_t)(nc + 1) * sizeof(int64_t));
    IT *ind = NULL;
    FT *val = NULL;
    int64_t written = 0, pos = 0, *cnt;
    IT **tags;
    FT **accs;
    if (!SO_FN(team_alloc_)(P, nt, &tags, &accs, &cnt)) return SO_ERR_ALLOC;
    *c_ind = NULL;
    *c_val = NULL;
    *nnz = 0;
    c_ptr[0] = 0;
    if (!bufs || !offset) {
        free(bufs);
        free(offset);
        free(tags);
        free(accs);
        free(cnt);
        return SO_ERR_ALLOC;
    }
    if (reserve > limit) reserve = limit;
    {
        const size_t skip = so_spgemm_skip(P, sizeof(IT), sizeof(FT));
        for (c = 0; c < nc; ++c) {
            bufs[c].skip = skip;
            bufs[c].mapped = SO_HAVE_MAP && nc > 1;
        }
    }
    if (bound == NULL) {  /* the longest row of B, for the first guess */
        int64_t r;
        for (r = 0; r < P->b_rows; ++r) {
            const int64_t len = (int64_t)bp[r + 1] - (int64_t)bp[r];
            if (len > max_b) max_b = len;
        }
    }
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) if (nt > 1)
#endif
    {
        SO_FN(ws_) w;
        int ok = SO_FN(ws_init_)(&w, P);
        int64_t cc, my_need = 0, room;
        if (!ok) {
#ifdef _OPENMP
#pragma omp atomic write
#endif
            status = SO_ERR_ALLOC;
        }
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (cc = 0; cc < nc; ++cc) {
            int r;
            if (!ok || (P->heavy && P->heavy[cc])) continue;
            /* where address space is short (strict overcommit), settle for less room */
            for (room = SO_FN(first_room_)(P, cc, bound, max_b, reserve); room > 64; room /= 2)
                if (SO_FN(buf_reserve_)(&bufs[cc], room)) break;
            if (bufs[cc].cap == 0 && !SO_FN(buf_reserve_)(&bufs[cc], 64)) {
                r = SO_ERR_ALLOC;
            } else {
                SO_SPECIALIZED(r, masked, dense_all, SO_FN(grow_chunk_), P, &w, cc, &bufs[cc],
                               c_ptr, limit, &my_need);
            }
            if (r != SO_OK) {
                ok = 0;
#ifdef _OPENMP
#pragma omp critical(so_spgemm_grow_status)
#endif
                {
                    status = r;
                    if (my_need > need) need = my_need;
                }
            }
        }
        /* the heavy rows, each by the whole team, into room for min(flops, n_cols) */
        if (P->heavy != NULL && status == SO_OK) {
            for (cc = 0; cc < nc; ++cc) {
                int64_t i;
                if (!P->heavy[cc]) continue;
#ifdef _OPENMP
#pragma omp single
#endif
                {
                    double room = (double)(P->chunks[cc + 1] - P->chunks[cc]) * (double)P->n_cols;
                    if (bound != NULL && (double)bound[cc] < room) room = (double)bound[cc];
                    if (!SO_FN(buf_reserve_)(&bufs[cc], (int64_t)room + 1)) {
                        status = SO_ERR_ALLOC;
                        need = (int64_t)room + 1;
                    }
                    pos = 0;
                }
                if (status != SO_OK) break;  /* read after the single's barrier: shared */
                for (i = P->chunks[cc]; i < P->chunks[cc + 1]; ++i) {
                    if (masked) SO_IFN(mask_row_)(i, (const IT *)P->m_ptr, (const IT *)P->m_ind,
                                                  w.allow, 1);
                    SO_FN(fill_coop_)(P, i, &w, masked, tags, accs, cnt, &written,
                                      bufs[cc].ind + pos, bufs[cc].val + pos);
                    if (masked) SO_IFN(mask_row_)(i, (const IT *)P->m_ptr, (const IT *)P->m_ind,
                                                  w.allow, 0);
#ifdef _OPENMP
#pragma omp single
#endif
                    {
                        pos += written;
                        c_ptr[i + 1] = (IT)pos;
                        bufs[cc].len = pos;
                    }
                }
            }
        }
        SO_FN(ws_free_)(&w);
    }
    free(tags);
    free(accs);
    free(cnt);
    if (status == SO_OK) {
        offset[0] = 0;
        for (c = 0; c < nc; ++c) offset[c + 1] = offset[c] + bufs[c].len;
        total = offset[nc];
        if (total > (int64_t)IT_MAX) status = SO_ERR_OVERFLOW;
    }
    if (status == SO_OK && nc == 1 && total > 0) {
        /* one chunk: its buffers are C's, shrunk to size (the tail is unmapped) */
        ind = (IT *)realloc(bufs[0].ind, (size_t)total * sizeof(IT));
        val = (FT *)realloc(bufs[0].val, (size_t)total * sizeof(FT));
        if (ind) bufs[0].ind = ind;
        if (val) bufs[0].val = val;
        ind = bufs[0].ind;
        val = bufs[0].val;
        bufs[0].ind = NULL;
        bufs[0].val = NULL;
    } else if (status == SO_OK && total > 0) {
        /* several: copied into fresh arrays, each chunk freed as soon as it is copied, so
         * the resident set holds C and the chunks not yet copied */
        ind = (IT *)malloc((size_t)total * sizeof(IT));
        val = (FT *)malloc((size_t)total * sizeof(FT));
        if (!ind || !val) {
            free(ind);
            free(val);
            ind = NULL;
            val = NULL;
            need = total;
            status = SO_ERR_ALLOC;
        } else {
            so_hugepages(ind, (size_t)total * sizeof(IT), 0);
            so_hugepages(val, (size_t)total * sizeof(FT), 0);
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (nt > 1)
#endif
            for (c = 0; c < nc; ++c) {
                const int64_t off = offset[c], len = bufs[c].len;
                int64_t i;
                if (len > 0) {
                    memcpy(ind + off, bufs[c].ind, (size_t)len * sizeof(IT));
                    memcpy(val + off, bufs[c].val, (size_t)len * sizeof(FT));
                }
                SO_FN(buf_release_)(&bufs[c]);
                if (off > 0)
                    for (i = P->chunks[c]; i < P->chunks[c + 1]; ++i) c_ptr[i + 1] += (IT)off;
            }
        }
    }
    if (status == SO_OK) {
        *c_ind = ind;
        *c_val = val;
        *nnz = total;
    } else {
        *nnz = need;  /* the size that could not be allocated, if that was the failure */
    }
    for (c = 0; c < nc; ++c) SO_FN(buf_release_)(&bufs[c]);
    free(bufs);
    free(offset);
    return status;
}

#undef SO_CAT_
#undef SO_CAT
#undef SO_FN
#undef SO_IFN
