/* Sparse x sparse product (see sparseopt/spgemm.h). The body is written once in
 * spgemm_impl.h and instantiated for {float32, float64, complex128} x {int32, int64};
 * the public functions dispatch on the type codes. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE  /* mremap */
#endif
#include <complex.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sparseopt/spgemm.h"

#if defined(__linux__)
#include <sys/mman.h>
#endif

#ifdef _OPENMP
#include <omp.h>
#endif

/* the row kernels ("static SO_INLINE") are inlined into the chunk loops, where the
 * masked / dense-only flags are constants */
#if defined(__GNUC__)
#define SO_INLINE inline __attribute__((always_inline))
#else
#define SO_INLINE inline
#endif

#define SO_HASH 107  /* multiplicative hash of a column: (j * 107) mod table size */

/* The dense symbolic pass has two forms of its inner loop: a branch on the column's tag,
 * fast where the branch is predictable (stencils, rows whose columns are all new), and a
 * branch-free store of every tag, fast where it is not (graphs): measured 0.45-1.15 x
 * the branch's time across the benchmark matrices, with the order depending on the
 * processor. So each chunk times both, on blocks of about 2^14 multiplies: one warm-up
 * block, then A B B A A B B A, then it keeps the form with the least time per multiply
 * in any block (the shared machine preempts) and re-times the other one block in 32.
 * Both forms count exactly; only the time depends on the choice. */
typedef struct {
    double t0, rate[2];  /* rate: the least time per multiply seen per form */
    int64_t block;   /* multiplies in the current block */
    int n_blocks;    /* blocks done; 0 = the warm-up block */
    int form;        /* 0 = branch, 1 = branch-free */
    int best;
} so_form_tuner;

#define SO_FORM_BLOCK ((int64_t)1 << 14)
#define SO_FORM_EXPLORE 32

static double so_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void so_form_start(so_form_tuner *t)
{
    memset(t, 0, sizeof(*t));
    t->t0 = so_now();
}

static SO_INLINE void so_form_tick(so_form_tuner *t, int64_t flops)
{
    double now;
    t->block += flops;
    if (t->block < SO_FORM_BLOCK) return;
    now = so_now();
    if (t->n_blocks > 0) {  /* the fastest block per form: a preempted block is ignored */
        const double rate = (now - t->t0) / (double)t->block;
        if (t->rate[t->form] == 0 || rate < t->rate[t->form]) t->rate[t->form] = rate;
    }
    t->t0 = now;
    t->block = 0;
    ++t->n_blocks;
    if (t->n_blocks < 9) {  /* warm-up (0), then A B B A A B B A: blocks 1..8 */
        t->form = (t->n_blocks & 3) == 2 || (t->n_blocks & 3) == 3;
        return;
    }
    t->best = t->rate[1] < t->rate[0];
    t->form = t->n_blocks % SO_FORM_EXPLORE == 0 ? !t->best : t->best;
}

static int64_t so_pow2_at_least(int64_t x)
{
    int64_t p = 8;
    while (p < x) p <<= 1;
    return p;
}

/* Ask for transparent huge pages on a buffer from byte `skip` on, as numpy does for its
 * arrays: a product's output and accumulators are written once, fresh, and 4 KiB pages
 * cost one fault each (1.6 us per page here: 26 ms for 64 MiB, 8 ms with huge pages).
 * Exactly sized buffers pass skip = 0. A buffer reserved larger than it will be filled
 * may end in a huge page it mostly leaves unused, up to 2 MiB of waste, which the
 * peak-memory goal (<= 1.2 x (input + output)) absorbs only when 2 MiB is within 20 %
 * of the buffer's share of the input (half of it: C has two arrays) plus what it holds:
 * so such a buffer passes skip = max(0, 10 MiB - input / 2) (so_spgemm_skip). */
static void so_hugepages(void *buffer, size_t bytes, size_t skip)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    const uintptr_t page = 4096;
    const uintptr_t a = ((uintptr_t)buffer + skip + page - 1) & ~(page - 1);
    const uintptr_t e = ((uintptr_t)buffer + bytes) & ~(page - 1);
    if (buffer != NULL && bytes >= ((size_t)4 << 20) && bytes > skip && e > a)
        (void)madvise((void *)a, (size_t)(e - a), MADV_HUGEPAGE);
#else
    (void)buffer;
    (void)bytes;
    (void)skip;
#endif
}

/* Chunk buffers of a product with several chunks live only until they are gathered into
 * C. Mapped directly (not from malloc's heap, which keeps freed blocks below its mmap
 * threshold resident), each one's pages go back to the system as soon as it is copied,
 * so the gather holds C and the chunks still in flight, not C twice. Elsewhere they come
 * from realloc / free. */
#if defined(__linux__) && defined(MREMAP_MAYMOVE)
#define SO_HAVE_MAP 1
static void *so_map_resize(void *p, size_t old_bytes, size_t new_bytes)
{
    void *q;
    if (new_bytes == 0) new_bytes = 1;
    if (p == NULL)
        q = mmap(NULL, new_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    else
        q = mremap(p, old_bytes, new_bytes, MREMAP_MAYMOVE);
    return q == MAP_FAILED ? NULL : q;
}
static void so_unmap(void *p, size_t bytes)
{
    if (p != NULL) munmap(p, bytes > 0 ? bytes : 1);
}
#else
#define SO_HAVE_MAP 0
#endif

static size_t so_spgemm_skip(const so_spgemm_plan *P, size_t isz, size_t vsz)
{
    const double per_entry = (double)(isz + vsz);
    double input = 0.0;
    int64_t nnz_a, nnz_b;
    if (isz == 4) {
        nnz_a = ((const int32_t *)P->a_ptr)[P->n_rows];
        nnz_b = ((const int32_t *)P->b_ptr)[P->b_rows];
    } else {
        nnz_a = ((const int64_t *)P->a_ptr)[P->n_rows];
        nnz_b = ((const int64_t *)P->b_ptr)[P->b_rows];
    }
    input = (double)nnz_a * per_entry + (double)(P->n_rows + 1) * (double)isz;
    if (P->b_ptr != P->a_ptr)  /* A @ A holds its input once */
        input += (double)nnz_b * per_entry + (double)(P->b_rows + 1) * (double)isz;
    input = 10.0 * 1048576.0 - input / 2.0;
    return input > 0.0 ? (size_t)input : 0;
}

/* Threads worth starting: no more than there are chunks. */
static int so_spgemm_team(const so_spgemm_plan *P)
{
    int nt = P->n_threads < 1 ? 1 : P->n_threads;
    if ((int64_t)nt > P->n_chunks) nt = P->n_chunks > 0 ? (int)P->n_chunks : 1;
    return nt;
}

typedef double _Complex so_c128;

#define SO_EMIT_COUNT
#define FT float
#define IT int32_t
#define IT_MAX INT32_MAX
#define SFX f32_i32
#define ISFX i32
#include "spgemm_impl.h"
#undef FT
#undef IT
#undef IT_MAX
#undef SFX
#undef ISFX

#define FT float
#define IT int64_t
#define IT_MAX INT64_MAX
#define SFX f32_i64
#define ISFX i64
#include "spgemm_impl.h"
#undef FT
#undef IT
#undef IT_MAX
#undef SFX
#undef ISFX
#undef SO_EMIT_COUNT

#define FT double
#define IT int32_t
#define IT_MAX INT32_MAX
#define SFX f64_i32
#define ISFX i32
#include "spgemm_impl.h"
#undef FT
#undef IT
#undef IT_MAX
#undef SFX
#undef ISFX

#define FT double
#define IT int64_t
#define IT_MAX INT64_MAX
#define SFX f64_i64
#define ISFX i64
#include "spgemm_impl.h"
#undef FT
#undef IT
#undef IT_MAX
#undef SFX
#undef ISFX

#define FT so_c128
#define IT int32_t
#define IT_MAX INT32_MAX
#define SFX c128_i32
#define ISFX i32
#include "spgemm_impl.h"
#undef FT
#undef IT
#undef IT_MAX
#undef SFX
#undef ISFX

#define FT so_c128
#define IT int64_t
#define IT_MAX INT64_MAX
#define SFX c128_i64
#define ISFX i64
#include "spgemm_impl.h"
#undef FT
#undef IT
#undef IT_MAX
#undef SFX
#undef ISFX

int so_spgemm_flops(int itype, int64_t n_rows, const void *a_ptr, const void *a_ind,
                    const void *b_ptr, int64_t *out, int n_threads)
{
    if (itype == 32)
        so_spgemm_flops_i32(n_rows, (const int32_t *)a_ptr, (const int32_t *)a_ind,
                            (const int32_t *)b_ptr, out, n_threads);
    else if (itype == 64)
        so_spgemm_flops_i64(n_rows, (const int64_t *)a_ptr, (const int64_t *)a_ind,
                            (const int64_t *)b_ptr, out, n_threads);
    else
        return SO_ERR_ARG;
    return SO_OK;
}

int so_spgemm_count(int itype, const so_spgemm_plan *plan, int64_t *chunk_nnz)
{
    if (itype == 32) return so_spgemm_count_i32(plan, chunk_nnz);
    if (itype == 64) return so_spgemm_count_i64(plan, chunk_nnz);
    return SO_ERR_ARG;
}

/* One switch over the six instantiations: CALL(sfx, IT, FT). */
#define SO_DISPATCH(vtype, itype, CALL)                                                  \
    do {                                                                                \
        if (itype == 32) {                                                              \
            if (vtype == SO_SPGEMM_F32) CALL(f32_i32, int32_t, float);                  \
            if (vtype == SO_SPGEMM_F64) CALL(f64_i32, int32_t, double);                 \
            if (vtype == SO_SPGEMM_C128) CALL(c128_i32, int32_t, so_c128);              \
        } else if (itype == 64) {                                                       \
            if (vtype == SO_SPGEMM_F32) CALL(f32_i64, int64_t, float);                  \
            if (vtype == SO_SPGEMM_F64) CALL(f64_i64, int64_t, double);                 \
            if (vtype == SO_SPGEMM_C128) CALL(c128_i64, int64_t, so_c128);              \
        }                                                                               \
    } while (0)

int so_spgemm_fill(int vtype, int itype, const so_spgemm_plan *plan,
                   const int64_t *chunk_start, void *c_ptr, void *c_ind, void *c_val,
                   int64_t *chunk_end)
{
#define SO_CALL_FILL(sfx, IT_, FT_)                                                     \
    return so_spgemm_fill_##sfx(plan, chunk_start, (IT_ *)c_ptr, (IT_ *)c_ind,          \
                                (FT_ *)c_val, chunk_end)
    SO_DISPATCH(vtype, itype, SO_CALL_FILL);
#undef SO_CALL_FILL
    return SO_ERR_ARG;
}

int64_t so_spgemm_compact(int vtype, int itype, int64_t n_chunks, const int64_t *chunks,
                          const int64_t *chunk_start, const int64_t *chunk_end, void *c_ptr,
                          void *c_ind, void *c_val)
{
#define SO_CALL_COMPACT(sfx, IT_, FT_)                                                  \
    return so_spgemm_compact_##sfx(n_chunks, chunks, chunk_start, chunk_end,            \
                                   (IT_ *)c_ptr, (IT_ *)c_ind, (FT_ *)c_val)
    SO_DISPATCH(vtype, itype, SO_CALL_COMPACT);
#undef SO_CALL_COMPACT
    return -1;
}

int so_spgemm_grow(int vtype, int itype, const so_spgemm_plan *plan, const int64_t *bound,
                   int64_t reserve, int64_t limit, void *c_ptr, void **c_ind, void **c_val,
                   int64_t *nnz)
{
#define SO_CALL_GROW(sfx, IT_, FT_)                                                     \
    return so_spgemm_grow_##sfx(plan, bound, reserve, limit, (IT_ *)c_ptr, (IT_ **)c_ind, \
                                (FT_ **)c_val, nnz)
    SO_DISPATCH(vtype, itype, SO_CALL_GROW);
#undef SO_CALL_GROW
    return SO_ERR_ARG;
}

void so_spgemm_free(void *buffer) { free(buffer); }
