# Row-wise (Gustavson) sparse x sparse product with hash or dense accumulators, in two
# phases (symbolic count, numeric fill), multi-threaded over chunks of rows of equal work.
#
# Inputs arrive validated from _spgemm.py: A and B are CSR with in-bounds indices of one
# index type, values of one float type, A.shape[1] == B.shape[0]; `chunks` partitions the
# rows of A (increasing, chunks[0] = 0, chunks[-1] = n_rows) and `flops` is the prefix sum
# of the per-row multiply counts. Nothing here re-checks them.
#
# Per row, the accumulator is a hash table of the next power of two >= 2 x the row's
# bound (flops in the symbolic phase, nnz in the numeric one: occupancy <= 50 %), with a
# multiplicative hash and linear probing, unless that table would reach `dense_from`
# slots: then a dense array of n_cols values with a generation mark (never cleared) is
# used. Tables are thread-private and allocated once per thread at the largest size needed.
cimport cython
from cython.parallel cimport parallel, prange
from libc.stdint cimport int64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memset

from sparseopt._typedefs cimport index_t

# values of the numeric phase: the float types and complex128 (scipy's complex default)
ctypedef fused value_t:
    float
    double
    double complex

cdef int64_t _HASH = 107


cdef inline int64_t _pow2_at_least(int64_t x) noexcept nogil:
    cdef int64_t p = 8
    while p < x:
        p <<= 1
    return p


@cython.boundscheck(False)
@cython.wraparound(False)
def row_flops(const index_t[::1] a_ptr, const index_t[::1] a_ind, const index_t[::1] b_ptr,
              int64_t[::1] out):
    """``out[i + 1] = out[i] + sum_k nnz(B[k, :])`` over the entries ``k`` of row i of A."""
    cdef int64_t n = a_ptr.shape[0] - 1, i, p, k, acc = 0
    with nogil:
        out[0] = 0
        for i in range(n):
            for p in range(a_ptr[i], a_ptr[i + 1]):
                k = a_ind[p]
                acc += b_ptr[k + 1] - b_ptr[k]
            out[i + 1] = acc


@cython.boundscheck(False)
@cython.wraparound(False)
@cython.cdivision(True)
def symbolic(const index_t[::1] a_ptr, const index_t[::1] a_ind, const index_t[::1] b_ptr,
             const index_t[::1] b_ind, int64_t n_cols, const int64_t[::1] chunks, int64_t dense_from, int64_t table_max,
             bint need_dense, int64_t[::1] counts, int[::1] status, int n_threads,
             const index_t[::1] m_ptr, const index_t[::1] m_ind, bint has_mask):
    """``counts[i]`` = the number of distinct columns in row i of A @ B.

    Each row's multiply count is summed on the fly (the B row lengths its entries select:
    the same reads the count itself makes, so no prefix array of flops is needed here).
    Work buffers are allocated per thread before the loop (pointers assigned inside a
    prange would be loop-private); ``status[0]`` is set to 1 if an allocation failed.
    """
    cdef int64_t n_chunks = chunks.shape[0] - 1, c, i, p, q, k, j, h, size, mask, cnt
    cdef int64_t fl, gen, col
    cdef int64_t *keys
    cdef int64_t *slots
    cdef unsigned short *mark
    cdef unsigned char *allow
    cdef int64_t *genp
    with nogil, parallel(num_threads=n_threads):
        keys = <int64_t *>malloc(table_max * sizeof(int64_t))
        slots = <int64_t *>malloc(table_max * sizeof(int64_t))
        genp = <int64_t *>malloc(sizeof(int64_t))
        mark = <unsigned short *>malloc(n_cols * sizeof(unsigned short)) if need_dense else NULL
        # the mask's row as flags (C<M> = A B: only columns M stores are computed)
        allow = <unsigned char *>malloc(n_cols + 1) if has_mask else NULL
        if keys == NULL or slots == NULL or genp == NULL or (need_dense and mark == NULL) or (
                has_mask and allow == NULL):
            status[0] = 1
        else:
            genp[0] = 0
            if has_mask:
                memset(allow, 0, n_cols + 1)
            # empty once; afterwards each row empties only the slots it filled
            for col in range(table_max):
                keys[col] = -1
            if need_dense:
                memset(mark, 0, n_cols * sizeof(unsigned short))
        for c in prange(n_chunks, schedule="dynamic"):
            if status[0] != 0:
                continue
            for i in range(chunks[c], chunks[c + 1]):
                fl = 0
                for p in range(a_ptr[i], a_ptr[i + 1]):
                    k = a_ind[p]
                    fl = fl + (b_ptr[k + 1] - b_ptr[k])
                if fl == 0 or (fl == 1 and not has_mask):
                    counts[i] = fl
                    continue
                if has_mask:
                    for p in range(m_ptr[i], m_ptr[i + 1]):
                        allow[m_ind[p]] = 1
                size = _pow2_at_least(2 * fl)
                cnt = 0
                if size >= dense_from:
                    genp[0] = genp[0] + 1
                    if genp[0] > 65535:
                        memset(mark, 0, n_cols * sizeof(unsigned short))
                        genp[0] = 1
                    gen = genp[0]
                    for p in range(a_ptr[i], a_ptr[i + 1]):
                        k = a_ind[p]
                        for q in range(b_ptr[k], b_ptr[k + 1]):
                            j = b_ind[q]
                            if has_mask and allow[j] == 0:
                                continue
                            if mark[j] != gen:
                                mark[j] = gen
                                cnt = cnt + 1
                else:
                    mask = size - 1
                    for p in range(a_ptr[i], a_ptr[i + 1]):
                        k = a_ind[p]
                        for q in range(b_ptr[k], b_ptr[k + 1]):
                            j = b_ind[q]
                            if has_mask and allow[j] == 0:
                                continue
                            h = (j * _HASH) & mask
                            while True:
                                if keys[h] == j:
                                    break
                                if keys[h] == -1:
                                    keys[h] = j
                                    slots[cnt] = h
                                    cnt = cnt + 1
                                    break
                                h = (h + 1) & mask
                    for h in range(cnt):
                        keys[slots[h]] = -1
                if has_mask:
                    for p in range(m_ptr[i], m_ptr[i + 1]):
                        allow[m_ind[p]] = 0
                counts[i] = cnt
        free(keys)
        free(slots)
        free(mark)
        free(allow)
        free(genp)


cdef inline void _sort_pairs(index_t *ind, value_t *val, int64_t n) noexcept nogil:
    # Shell sort by index (gaps 3h+1): in place, no allocation, fine for row lengths.
    cdef int64_t gap = 1, i, j
    cdef index_t ki
    cdef value_t vi
    while gap < n // 3:
        gap = 3 * gap + 1
    while gap >= 1:
        for i in range(gap, n):
            ki = ind[i]
            vi = val[i]
            j = i
            while j >= gap and ind[j - gap] > ki:
                ind[j] = ind[j - gap]
                val[j] = val[j - gap]
                j -= gap
            ind[j] = ki
            val[j] = vi
        gap //= 3


@cython.boundscheck(False)
@cython.wraparound(False)
@cython.cdivision(True)
def numeric(const index_t[::1] a_ptr, const index_t[::1] a_ind, const value_t[::1] a_val,
            const index_t[::1] b_ptr, const index_t[::1] b_ind, const value_t[::1] b_val,
            int64_t n_cols, const int64_t[::1] c_ptr, const int64_t[::1] chunks,
            int64_t dense_from, int64_t table_max, bint need_dense, index_t[::1] c_ind,
            value_t[::1] c_val, int64_t[::1] written, bint keep_zeros, bint sort_rows,
            int[::1] status, int n_threads, const index_t[::1] m_ptr,
            const index_t[::1] m_ind, bint has_mask):
    """Fill row i of C into ``c_ind/c_val[c_ptr[i]:]``; ``written[i]`` = entries kept.

    Without ``keep_zeros``, sums that are exactly zero are left out (scipy's rule), so a
    row may use less than the room the symbolic phase counted.
    """
    cdef int64_t n_chunks = chunks.shape[0] - 1, c, i, p, q, k, j, h, size, mask, start, w
    cdef int64_t nnz_i, gen, t, col
    cdef value_t a, v
    cdef int64_t *keys
    cdef int64_t *slots
    cdef value_t *vals
    cdef unsigned short *mark
    cdef unsigned char *allow
    cdef int64_t *genp
    cdef value_t *dense
    with nogil, parallel(num_threads=n_threads):
        keys = <int64_t *>malloc(table_max * sizeof(int64_t))
        slots = <int64_t *>malloc(table_max * sizeof(int64_t))
        vals = <value_t *>malloc(table_max * sizeof(value_t))
        genp = <int64_t *>malloc(sizeof(int64_t))
        mark = <unsigned short *>malloc(n_cols * sizeof(unsigned short)) if need_dense else NULL
        dense = <value_t *>malloc(n_cols * sizeof(value_t)) if need_dense else NULL
        allow = <unsigned char *>malloc(n_cols + 1) if has_mask else NULL
        if keys == NULL or slots == NULL or vals == NULL or genp == NULL or (
                need_dense and (mark == NULL or dense == NULL)) or (
                has_mask and allow == NULL):
            status[0] = 1
        else:
            genp[0] = 0
            if has_mask:
                memset(allow, 0, n_cols + 1)
            for col in range(table_max):
                keys[col] = -1
            if need_dense:
                memset(mark, 0, n_cols * sizeof(unsigned short))
        for c in prange(n_chunks, schedule="dynamic"):
            if status[0] != 0:
                continue
            for i in range(chunks[c], chunks[c + 1]):
                start = c_ptr[i]
                nnz_i = c_ptr[i + 1] - start
                w = 0
                if nnz_i == 0:
                    written[i] = 0
                    continue
                if has_mask:
                    for p in range(m_ptr[i], m_ptr[i + 1]):
                        allow[m_ind[p]] = 1
                size = _pow2_at_least(2 * nnz_i)
                if size >= dense_from:
                    genp[0] = genp[0] + 1
                    if genp[0] > 65535:
                        memset(mark, 0, n_cols * sizeof(unsigned short))
                        genp[0] = 1
                    gen = genp[0]
                    # columns in first-touch order straight into C; values in `dense`
                    for p in range(a_ptr[i], a_ptr[i + 1]):
                        k = a_ind[p]
                        a = a_val[p]
                        for q in range(b_ptr[k], b_ptr[k + 1]):
                            j = b_ind[q]
                            if has_mask and allow[j] == 0:
                                continue
                            if mark[j] != gen:
                                mark[j] = gen
                                dense[j] = a * b_val[q]
                                c_ind[start + w] = <index_t>j
                                w = w + 1
                            else:
                                dense[j] = dense[j] + a * b_val[q]
                    t = 0
                    for q in range(w):
                        j = c_ind[start + q]
                        v = dense[j]
                        if keep_zeros or v != 0:
                            c_ind[start + t] = <index_t>j
                            c_val[start + t] = v
                            t = t + 1
                    w = t
                else:
                    mask = size - 1
                    t = 0
                    for p in range(a_ptr[i], a_ptr[i + 1]):
                        k = a_ind[p]
                        a = a_val[p]
                        for q in range(b_ptr[k], b_ptr[k + 1]):
                            j = b_ind[q]
                            if has_mask and allow[j] == 0:
                                continue
                            h = (j * _HASH) & mask
                            while True:
                                if keys[h] == j:
                                    vals[h] = vals[h] + a * b_val[q]
                                    break
                                if keys[h] == -1:
                                    keys[h] = j
                                    vals[h] = a * b_val[q]
                                    slots[t] = h
                                    t = t + 1
                                    break
                                h = (h + 1) & mask
                    # emit in first-touch order, emptying the filled slots as we go
                    for q in range(t):
                        h = slots[q]
                        v = vals[h]
                        if keep_zeros or v != 0:
                            c_ind[start + w] = <index_t>keys[h]
                            c_val[start + w] = v
                            w = w + 1
                        keys[h] = -1
                if has_mask:
                    for p in range(m_ptr[i], m_ptr[i + 1]):
                        allow[m_ind[p]] = 0
                if sort_rows and w > 1:
                    _sort_pairs(&c_ind[start], &c_val[start], w)
                written[i] = w
        free(keys)
        free(slots)
        free(vals)
        free(mark)
        free(allow)
        free(dense)
        free(genp)


@cython.boundscheck(False)
@cython.wraparound(False)
def compact_rows(const int64_t[::1] bound_ptr, const int64_t[::1] written,
                 index_t[::1] c_ind, value_t[::1] c_val, int64_t[::1] out_ptr):
    """Move row i's ``written[i]`` entries from ``bound_ptr[i]`` down to ``out_ptr[i]``.

    The one-pass product fills each row at an upper bound of its length; this closes the
    gaps in place. Rows only move towards the front (``out_ptr[i] <= bound_ptr[i]``), in
    increasing order, so a forward copy never overwrites an entry still to be moved.
    ``written[i] <= bound_ptr[i + 1] - bound_ptr[i]`` is guaranteed by the numeric pass.
    """
    cdef int64_t n = written.shape[0], i, p, src, dst = 0, w
    with nogil:
        out_ptr[0] = 0
        for i in range(n):
            src = bound_ptr[i]
            w = written[i]
            if src != dst:
                for p in range(w):
                    c_ind[dst + p] = c_ind[src + p]
                    c_val[dst + p] = c_val[src + p]
            dst += w
            out_ptr[i + 1] = dst
