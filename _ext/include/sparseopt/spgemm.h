/* Sparse x sparse product C = A B (Gustavson, row by row), CSR in and out.
 *
 * Every row of C is accumulated in a thread-private accumulator: a dense array of
 * n_cols values tagged by the row that last wrote each slot (no clearing between rows),
 * or, for rows whose flop count is small next to n_cols, a hash table of the next power
 * of two >= 2 x the row's multiply count (multiplicative hash, linear probing). Rows are
 * processed in chunks (row ranges given by the caller) scheduled dynamically between the
 * threads; the rows of a chunk are written one after the other, so a chunk only needs to
 * know where it starts, never the length of each of its rows.
 *
 * A chunk flagged heavy (one row heavier than a thread's share of the work) is multiplied
 * by the whole team after the other chunks (a fine task): each thread multiplies a slice
 * of the row's entries of A into its own dense accumulator, and the threads then merge
 * the accumulators, each over a share of the columns. (A table shared by the threads and
 * updated with atomics, SMASH's scheme on its hardware, was measured twice slower than
 * one thread here: a compare-and-swap per product.) Such a row's sums are grouped by
 * slice, so they may differ from the serial ones by rounding; it comes out sorted.
 *
 * Three drivers share the row kernels:
 *   so_spgemm_count  the symbolic pass: the number of entries of each chunk;
 *   so_spgemm_fill   the numeric pass into arrays the caller allocated from the count;
 *   so_spgemm_grow   one pass, no count: each chunk appends to its own buffer, grown
 *                    geometrically (realloc) whenever the next row might not fit, and the
 *                    chunks are then concatenated into the first one's buffer (each freed
 *                    as soon as it is copied). The result is handed to the caller, who
 *                    releases it with so_spgemm_free.
 * Values: vtype SO_SPGEMM_F32 / F64 / C128 (float, double, double _Complex); indices:
 * itype 32 or 64, the same for A, B, the mask and C. Sums that are exactly zero are
 * dropped unless keep_zeros (scipy's rule); sort_rows sorts each row's indices.
 * The inputs must be valid CSR with in-bounds indices (checked in Python).
 */
#ifndef SPARSEOPT_SPGEMM_H
#define SPARSEOPT_SPGEMM_H

#include <stdint.h>
#include "sparseopt/common.h"

#define SO_ERR_OVERFLOW 3   /* nnz(C) does not fit the index type: retry with int64 */

#define SO_SPGEMM_F32 0
#define SO_SPGEMM_F64 1
#define SO_SPGEMM_C128 2

typedef struct {
    int64_t n_rows, n_cols;           /* shape of C */
    int64_t b_rows;                   /* rows of B (columns of A) */
    const void *a_ptr, *a_ind, *a_val; /* A (n_rows x k); a_val unused by the count */
    const void *b_ptr, *b_ind, *b_val; /* B (k x n_cols) */
    const void *m_ptr, *m_ind;        /* mask structure (n_rows x n_cols), or m_ptr NULL */
    int64_t n_chunks;
    const int64_t *chunks;            /* n_chunks + 1 increasing row bounds, 0 .. n_rows */
    int64_t dense_from;               /* rows whose hash table would reach this many slots
                                         use the dense accumulator (0: every row) */
    const unsigned char *heavy;       /* n_chunks flags, or NULL: chunk c is one heavy row,
                                         multiplied by the whole team (a fine task) */
    int keep_zeros, sort_rows, n_threads;
} so_spgemm_plan;

/* out[i + 1] = out[i] + the multiply count of row i of A B (out[0] = 0), n_rows + 1
 * entries, on up to n_threads threads. */
int so_spgemm_flops(int itype, int64_t n_rows, const void *a_ptr, const void *a_ind,
                    const void *b_ptr, int64_t *out, int n_threads);

/* chunk_nnz[c] = number of distinct columns of the rows of chunk c (mask applied). */
int so_spgemm_count(int itype, const so_spgemm_plan *plan, int64_t *chunk_nnz);

/* Chunk c writes its rows from position chunk_start[c] of c_ind / c_val, row i ending at
 * c_ptr[i + 1] (absolute; c_ptr[0] is set to 0); chunk_end[c] = its end. Without
 * keep_zeros a chunk may end before the next one starts: see so_spgemm_compact. */
int so_spgemm_fill(int vtype, int itype, const so_spgemm_plan *plan,
                   const int64_t *chunk_start, void *c_ptr, void *c_ind, void *c_val,
                   int64_t *chunk_end);

/* Close the gaps left by so_spgemm_fill: move each chunk down to the end of the previous
 * one and shift its rows' c_ptr; returns nnz(C). */
int64_t so_spgemm_compact(int vtype, int itype, int64_t n_chunks, const int64_t *chunks,
                          const int64_t *chunk_start, const int64_t *chunk_end, void *c_ptr,
                          void *c_ind, void *c_val);

/* One-pass product. c_ptr (n_rows + 1 entries) is filled; *c_ind / *c_val receive
 * buffers of exactly *nnz entries (NULL when nnz is 0) to release with so_spgemm_free.
 * Each chunk first reserves room for an upper bound of its entries: bound[c] if bound is
 * not NULL (e.g. its multiply count), else nnz of its rows of A x the longest row of B,
 * capped at `reserve` entries (pages never written are never made resident); a chunk
 * that outgrows its room doubles it, up to `limit` entries. On SO_ERR_ALLOC, *nnz is the
 * size that could not be had (0 if the failure was elsewhere). */
int so_spgemm_grow(int vtype, int itype, const so_spgemm_plan *plan, const int64_t *bound,
                   int64_t reserve, int64_t limit, void *c_ptr, void **c_ind, void **c_val,
                   int64_t *nnz);

void so_spgemm_free(void *buffer);

#endif
