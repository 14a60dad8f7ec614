# Block coordinate descent for min 1/2 x'Ax - b'x (A sparse SPD, CSR, k right-hand sides)
# on blocks whose induced subgraph of A is a forest (Nutini, Laradji & Schmidt, JMLR 2022,
# Sec. 5 "message passing").  For such a block the subproblem A_bb d = r_b is a tree-
# structured system: eliminating leaves towards the roots creates no fill-in, so one sweep
# up and one sweep down solve it exactly in O(|b|) (Gaussian belief propagation).
#
# Conventions shared by every routine below:
# - x and r = b - A x are C-ordered (n, k) arrays; r is kept current by each update
#   (r -= A[:, b] d_b, O(nnz(A[b, :]) k)), so a block costs the rows it touches.
# - A is symmetric, so row i of A is also column i: the residual update walks rows.
# - An oriented forest block is stored in BFS order (every parent before its children):
#   order[t] = global node, par[t] = position of its parent in the block (-1 for a root),
#   a[t] = A[order[t], order[par[t]]], piv[t] = 1 / (pivot after eliminating t's subtree).
# - The Python front end validates every array (sizes, index bounds, symmetry, duplicates
#   summed); the kernels trust them and run without the GIL.
from libc.math cimport frexp, sqrt
from libc.stdint cimport int64_t

from sparseopt._typedefs cimport floating, index_t

import numpy as np

ctypedef Py_ssize_t intp


cdef inline intp _find(intp* uf, intp i) noexcept nogil:
    # union-find root with path halving
    while uf[i] != i:
        uf[i] = uf[uf[i]]
        i = uf[i]
    return i


# ---------------------------------------------------------------------------------------
# Block constructions
# ---------------------------------------------------------------------------------------

def _greedy_forest_labels(const index_t[::1] indptr, const index_t[::1] indices,
                          const intp[::1] order):
    """Partition the nodes into forests, greedily in ``order``.

    Pass f takes the nodes not yet placed, in order; a node joins forest f when its
    neighbours already in f lie in pairwise different trees (so adding it closes no
    cycle), and the trees are then merged (union-find).  Rejected nodes go to pass f+1.
    Every pass places at least its first node, so there are at most n passes.
    Returns the forest label of every node.
    """
    cdef intp n = indptr.shape[0] - 1
    label_arr = np.full(n, -1, dtype=np.intp)
    uf_arr = np.arange(n, dtype=np.intp)
    mark_arr = np.full(n, -1, dtype=np.int64)
    rem_arr = np.array(order, dtype=np.intp, copy=True)
    nxt_arr = np.empty(n, dtype=np.intp)
    cdef intp[::1] label = label_arr, uf = uf_arr, rem = rem_arr, nxt = nxt_arr
    cdef int64_t[::1] mark = mark_arr
    cdef intp f = 0, n_rem = n, n_next, t, i, j, root, q
    cdef int64_t stamp = 0
    cdef bint ok
    cdef intp* swap
    cdef intp* remp = &rem[0] if n > 0 else NULL
    cdef intp* nxtp = &nxt[0] if n > 0 else NULL
    with nogil:
        while n_rem > 0:
            n_next = 0
            for t in range(n_rem):
                i = remp[t]
                stamp += 1
                ok = True
                for q in range(indptr[i], indptr[i + 1]):
                    j = indices[q]
                    if j == i or label[j] != f:
                        continue
                    root = _find(&uf[0], j)
                    if mark[root] == stamp:  # two neighbours in one tree: a cycle
                        ok = False
                        break
                    mark[root] = stamp
                if ok:
                    label[i] = f
                    for q in range(indptr[i], indptr[i + 1]):
                        j = indices[q]
                        if j != i and label[j] == f:
                            uf[_find(&uf[0], j)] = i
                else:
                    nxtp[n_next] = i
                    n_next += 1
            swap = remp
            remp = nxtp
            nxtp = swap
            n_rem = n_next
            f += 1
    return label_arr


def _bipartition(const index_t[::1] indptr, const index_t[::1] indices):
    """BFS two-colouring. Returns (colour array of 0/1, True if the graph is bipartite)."""
    cdef intp n = indptr.shape[0] - 1
    colour_arr = np.full(n, -1, dtype=np.intp)
    queue_arr = np.empty(max(n, 1), dtype=np.intp)
    cdef intp[::1] colour = colour_arr, queue = queue_arr
    cdef intp s, head, tail, u, j, q
    cdef bint bipartite = True
    with nogil:
        for s in range(n):
            if colour[s] >= 0:
                continue
            colour[s] = 0
            head = 0
            tail = 1
            queue[0] = s
            while head < tail:
                u = queue[head]
                head += 1
                for q in range(indptr[u], indptr[u + 1]):
                    j = indices[q]
                    if j == u:
                        continue
                    if colour[j] < 0:
                        colour[j] = 1 - colour[u]
                        queue[tail] = j
                        tail += 1
                    elif colour[j] == colour[u]:
                        bipartite = False
    return colour_arr, bool(bipartite)


cdef inline void _heap_push(intp* heap, intp size, intp v) noexcept nogil:
    # min-heap of ints, sifted up from position size
    cdef intp p = size, q
    while p > 0:
        q = (p - 1) >> 1
        if heap[q] <= v:
            break
        heap[p] = heap[q]
        p = q
    heap[p] = v


cdef inline intp _heap_pop(intp* heap, intp size) noexcept nogil:
    # remove and return the minimum of heap[:size]
    cdef intp top = heap[0], last = heap[size - 1], p = 0, c
    size -= 1
    while True:
        c = 2 * p + 1
        if c >= size:
            break
        if c + 1 < size and heap[c + 1] < heap[c]:
            c += 1
        if heap[c] >= last:
            break
        heap[p] = heap[c]
        p = c
    if size > 0:
        heap[p] = last
    return top


cdef intp _orient(const index_t* indptr, const index_t* indices, const floating* data,
                  const floating* diag, const intp* nodes, intp m, const intp* pos,
                  intp* order, intp* par, floating* a, floating* piv,
                  unsigned char* seen, intp* heap, intp* ppos, floating* wt) noexcept nogil:
    """Orient the block ``nodes[:m]`` (pos[node] = its index in nodes, -1 outside) and
    compute the elimination pivots.  The search takes the smallest discovered node
    first (a priority queue on the node index), so parents come before children *and*
    the order stays close to the natural one: the sweeps then read x, r and the rows
    of A almost sequentially.  Depth- and breadth-first orders jump across a lattice
    and made a 500 x 500 epoch several times slower (cache misses).  Returns 0, -1 if
    the block's induced subgraph has a cycle, or -2 if a pivot is not positive (A_bb is
    not positive definite).  heap, ppos, wt: workspaces of size m.  Local indices
    (positions in ``nodes``) are compared as node indices: callers pass ``nodes``
    sorted, or accept a less local order."""
    cdef intp s, size, tail = 0, u, q, j, lj, t, l
    for s in range(m):
        seen[s] = 0
    for s in range(m):
        if seen[s]:
            continue
        seen[s] = 1
        ppos[s] = -1
        wt[s] = 0
        heap[0] = s
        size = 1
        while size > 0:
            l = _heap_pop(heap, size)
            size -= 1
            u = nodes[l]
            order[tail] = u
            par[tail] = ppos[l]
            a[tail] = wt[l]
            for q in range(indptr[u], indptr[u + 1]):
                j = indices[q]
                if j == u:
                    continue
                lj = pos[j]
                if lj < 0:
                    continue
                if not seen[lj]:
                    seen[lj] = 1
                    ppos[lj] = tail
                    wt[lj] = data[q]
                    _heap_push(heap, size, lj)
                    size += 1
                elif par[tail] < 0 or order[par[tail]] != j:
                    return -1  # an in-block neighbour that is not the parent: a cycle
            tail += 1
    # leaves -> roots: children sit after their parent, so a reverse scan sees every
    # child of t before t itself
    for t in range(m):
        piv[t] = diag[order[t]]
    for t in range(m - 1, -1, -1):
        if not piv[t] > 0:
            return -2
        if par[t] >= 0:
            piv[par[t]] -= a[t] * a[t] / piv[t]
    for t in range(m):  # the sweeps multiply: no division on their dependency chains
        piv[t] = 1 / piv[t]
    return 0


cdef inline void _gather_eliminate(intp m, const intp* order, const intp* par,
                                   const floating* a, const floating* piv,
                                   const floating* r, floating* h, intp k) noexcept nogil:
    """The forward half of a tree solve, shared by both block solves: h = r_b in the
    block's order, then each node eliminated into its parent, leaves first."""
    cdef intp t, p, c
    cdef floating f
    for t in range(m):
        for c in range(k):
            h[t * k + c] = r[order[t] * k + c]
    for t in range(m - 1, 0, -1):
        p = par[t]
        if p >= 0:
            f = a[t] * piv[t]
            for c in range(k):
                h[p * k + c] -= f * h[t * k + c]


cdef void _solve_block(const index_t* indptr, const index_t* indices, const floating* data,
                       intp m, const intp* order, const intp* par, const floating* a,
                       const floating* piv, floating* h, floating* x, floating* r,
                       intp k) noexcept nogil:
    """Exact minimisation over an oriented forest block: solve A_bb d = r_b by two tree
    sweeps, then x_b += d and r -= A[:, b] d."""
    cdef intp t, p, c, i, q, j
    cdef floating v
    _gather_eliminate(m, order, par, a, piv, r, h, k)
    for t in range(m):  # back-substitution, roots first; h[p] already holds d_p
        p = par[t]
        for c in range(k):
            v = h[t * k + c]
            if p >= 0:
                v -= a[t] * h[p * k + c]
            h[t * k + c] = v * piv[t]
    for t in range(m):
        i = order[t]
        for c in range(k):
            x[i * k + c] += h[t * k + c]
        for q in range(indptr[i], indptr[i + 1]):
            j = indices[q]
            v = data[q]
            for c in range(k):
                r[j * k + c] -= v * h[t * k + c]


cdef void _solve_block_split(intp m, const intp* order, const intp* par, const floating* a,
                             const floating* piv, const intp* cptr, const index_t* cidx,
                             const floating* cval, floating* h, floating* x, floating* r,
                             intp k, bint assign, const floating* rcg,
                             double* dot) noexcept nogil:
    """_solve_block with the block's couplings precomputed: cptr/cidx/cval list, for the
    block's t-th node, only its entries of A *outside* the block (the block's own rows
    and edges are left out).  After the exact solve r_b = 0, so r_b is set, not
    updated, and only the off-block residuals are touched: on a lattice's large greedy
    forest that skips about three of the five entries of a row.  The couplings are
    stored in the block's order, so they are read sequentially.  assign: x_b = d
    instead of x_b += d (a first visit of x_b = 0); dot (unless NULL): dot[c] +=
    rcg_b' x_b after the update, column by column."""
    cdef intp t, p, c, i, q, j
    cdef floating f, v, xi
    _gather_eliminate(m, order, par, a, piv, r, h, k)
    for t in range(m):  # back-substitution, roots first; h[p] already holds d_p
        p = par[t]
        i = order[t]
        for c in range(k):
            v = h[t * k + c]
            if p >= 0:
                v -= a[t] * h[p * k + c]
            v = v * piv[t]
            h[t * k + c] = v
            xi = v if assign else x[i * k + c] + v
            x[i * k + c] = xi
            r[i * k + c] = 0
            if dot != NULL:
                dot[c] += <double>rcg[i * k + c] * xi
        # d_t is final: push it to the off-block residuals now, while h[t] is in cache
        # (they lie outside the block, so no later step of this solve reads them)
        for q in range(cptr[t], cptr[t + 1]):
            j = cidx[q]
            f = cval[q]
            for c in range(k):
                r[j * k + c] -= f * h[t * k + c]


def _coupling(const index_t[::1] indptr, const index_t[::1] indices,
              const floating[::1] data, const intp[::1] block_ptr, const intp[::1] order):
    """The off-block part of A's rows for oriented blocks (see _solve_block_split):
    (cptr, cidx, cval) with cptr of length len(order) + 1, cidx of A's index dtype."""
    cdef intp n = indptr.shape[0] - 1, nb = block_ptr.shape[0] - 1, m = order.shape[0]
    cdef intp bi, t, q, i, j, nnz = 0
    it = np.int32 if sizeof(index_t) == 4 else np.int64
    dt = np.float32 if floating is float else np.float64
    cptr_arr = np.zeros(m + 1, dtype=np.intp)
    inb_arr = np.full(max(n, 1), -1, dtype=np.intp)
    cdef intp[::1] cptr = cptr_arr, inb = inb_arr
    with nogil:  # count, then fill; inb[i] = the block being processed when i is in it
        for bi in range(nb):
            for t in range(block_ptr[bi], block_ptr[bi + 1]):
                inb[order[t]] = bi
            for t in range(block_ptr[bi], block_ptr[bi + 1]):
                i = order[t]
                for q in range(indptr[i], indptr[i + 1]):
                    if inb[indices[q]] != bi:
                        nnz += 1
                cptr[t + 1] = nnz
    cidx_arr = np.empty(nnz, dtype=it)
    cval_arr = np.empty(nnz, dtype=dt)
    cdef index_t[::1] cidx = cidx_arr
    cdef floating[::1] cval = cval_arr
    inb_arr.fill(-1)
    nnz = 0
    with nogil:
        for bi in range(nb):
            for t in range(block_ptr[bi], block_ptr[bi + 1]):
                inb[order[t]] = bi
            for t in range(block_ptr[bi], block_ptr[bi + 1]):
                i = order[t]
                for q in range(indptr[i], indptr[i + 1]):
                    j = indices[q]
                    if inb[j] != bi:
                        cidx[nnz] = <index_t>j
                        cval[nnz] = data[q]
                        nnz += 1
    return cptr_arr, cidx_arr, cval_arr


def _orient_block(const index_t[::1] indptr, const index_t[::1] indices,
                  const floating[::1] data, const floating[::1] diag, const intp[::1] nodes):
    """Oriented form (order, par, a, piv) of one fixed block, and a status code."""
    cdef intp n = indptr.shape[0] - 1, m = nodes.shape[0], t
    dt = np.float32 if floating is float else np.float64
    pos_arr = np.full(n, -1, dtype=np.intp)
    order_arr = np.empty(m, dtype=np.intp)
    par_arr = np.empty(m, dtype=np.intp)
    a_arr = np.empty(m, dtype=dt)
    piv_arr = np.empty(m, dtype=dt)
    seen_arr = np.empty(max(m, 1), dtype=np.uint8)
    stack_arr = np.empty(max(m, 1), dtype=np.intp)
    ppos_arr = np.empty(max(m, 1), dtype=np.intp)
    wt_arr = np.empty(max(m, 1), dtype=dt)
    cdef intp[::1] pos = pos_arr, order = order_arr, par = par_arr
    cdef intp[::1] stack = stack_arr, ppos = ppos_arr
    cdef floating[::1] a = a_arr, piv = piv_arr, wt = wt_arr
    cdef unsigned char[::1] seen = seen_arr
    cdef intp status = 0
    if m == 0:
        return order_arr, par_arr, a_arr, piv_arr, 0
    for t in range(m):
        pos[nodes[t]] = t
    with nogil:
        status = _orient(&indptr[0], &indices[0], &data[0], &diag[0], &nodes[0], m, &pos[0],
                         &order[0], &par[0], &a[0], &piv[0], &seen[0], &stack[0], &ppos[0],
                         &wt[0])
    return order_arr, par_arr, a_arr, piv_arr, int(status)


# ---------------------------------------------------------------------------------------
# Epochs: each routine performs updates until at least n coordinates were updated
# ---------------------------------------------------------------------------------------

cdef inline double _score(const floating* r, intp i, intp k, double d) noexcept nogil:
    # guaranteed progress of an exact coordinate step on node i: ||r_i||^2 / A_ii
    cdef double s = 0
    cdef intp c
    for c in range(k):
        s += <double>r[i * k + c] * r[i * k + c]
    return s / d


def _epoch_fixed(const index_t[::1] indptr, const index_t[::1] indices,
                 const floating[::1] data, const floating[::1] diag,
                 const intp[::1] block_ptr, const intp[::1] order, const intp[::1] par,
                 const floating[::1] a, const floating[::1] piv,
                 const intp[::1] cptr, const index_t[::1] cidx, const floating[::1] cval,
                 floating[:, ::1] x, floating[:, ::1] r, floating[::1] work,
                 bint greedy, intp next_block):
    """Fixed forest blocks, cyclic or greedy (largest sum of r_i^2 / A_ii over the block).
    Returns (block updates, coordinate updates, next cyclic block)."""
    cdef intp n = x.shape[0], k = x.shape[1], nb = block_ptr.shape[0] - 1
    cdef intp done = 0, n_up = 0, bi, best, s, t, i
    cdef double sc, best_sc
    if n == 0 or nb == 0:
        return 0, 0, next_block
    cdef const index_t* ci = &cidx[0] if cidx.shape[0] > 0 else NULL
    cdef const floating* cv = &cval[0] if cval.shape[0] > 0 else NULL
    with nogil:
        while done < n:
            if greedy:
                best, best_sc = -1, -1.0
                for bi in range(nb):
                    sc = 0
                    for t in range(block_ptr[bi], block_ptr[bi + 1]):
                        sc += _score(&r[0, 0], order[t], k, diag[order[t]])
                    if sc > best_sc:
                        best, best_sc = bi, sc
                bi = best
                if best_sc <= 0:
                    break  # r == 0: nothing left to do
            else:
                bi = next_block
                next_block = (next_block + 1) % nb
            s = block_ptr[bi]
            _solve_block_split(block_ptr[bi + 1] - s, &order[s], &par[s], &a[s], &piv[s],
                               &cptr[s], ci, cv, &work[0], &x[0, 0],
                               &r[0, 0], k, False, NULL, NULL)
            done += block_ptr[bi + 1] - s
            n_up += 1
    return n_up, done, next_block


cdef inline void _sift_up(double* key, intp* heap, intp* hpos, intp p) noexcept nogil:
    cdef intp node = heap[p], q
    while p > 0:
        q = (p - 1) >> 1
        if key[heap[q]] >= key[node]:
            break
        heap[p] = heap[q]
        hpos[heap[p]] = p
        p = q
    heap[p] = node
    hpos[node] = p


cdef inline void _sift_down(double* key, intp* heap, intp* hpos, intp p,
                            intp n) noexcept nogil:
    cdef intp node = heap[p], c
    while True:
        c = 2 * p + 1
        if c >= n:
            break
        if c + 1 < n and key[heap[c + 1]] > key[heap[c]]:
            c += 1
        if key[heap[c]] <= key[node]:
            break
        heap[p] = heap[c]
        hpos[heap[p]] = p
        p = c
    heap[p] = node
    hpos[node] = p


def _epoch_coordinate(const index_t[::1] indptr, const index_t[::1] indices,
                      const floating[::1] data, const floating[::1] diag,
                      floating[:, ::1] x, floating[:, ::1] r, bint greedy,
                      double[::1] key, intp[::1] heap, intp[::1] hpos):
    """n single-coordinate exact updates: cyclic (Gauss-Seidel) or greedy GSL (largest
    ||r_i||^2 / A_ii, kept in an indexed max-heap: O(deg log n) per update).
    Returns (updates, updates)."""
    cdef intp n = x.shape[0], k = x.shape[1], it, i, q, j, c, p, n_done = 0
    cdef floating z
    cdef double old
    cdef floating* xp
    cdef floating* rp
    if n == 0:
        return 0, 0
    xp = &x[0, 0]
    rp = &r[0, 0]
    with nogil:
        if greedy:
            for i in range(n):
                key[i] = _score(rp, i, k, diag[i])
                heap[i] = i
                hpos[i] = i
            for p in range(n // 2 - 1, -1, -1):
                _sift_down(&key[0], &heap[0], &hpos[0], p, n)
        for it in range(n):
            if greedy:
                i = heap[0]
                if key[i] <= 0:
                    break
            else:
                i = it
            n_done += 1
            for c in range(k):
                z = rp[i * k + c] / diag[i]
                xp[i * k + c] += z
                for q in range(indptr[i], indptr[i + 1]):
                    rp[indices[q] * k + c] -= data[q] * z
            if greedy:
                for q in range(indptr[i], indptr[i + 1]):
                    j = indices[q]
                    old = key[j]
                    key[j] = _score(rp, j, k, diag[j])
                    if key[j] > old:
                        _sift_up(&key[0], &heap[0], &hpos[0], hpos[j])
                    else:
                        _sift_down(&key[0], &heap[0], &hpos[0], hpos[j], n)
    return n_done, n_done


cdef enum:
    N_BUCKETS = 64


cdef intp _bucket_top(const floating* r, const floating* diag, intp n, intp k, intp tau,
                      double* key, intp* ids, intp* bucket) noexcept nogil:
    """Candidates of the greedy tree: scores key[i] = ||r_i||^2 / A_ii grouped by their
    power of two (bucket 0 holds the largest), the highest buckets taken until tau
    nodes are chosen, each bucket in index order.  Writes them to ids in that order and
    returns how many (0 when r == 0).  Three sequential O(n) passes: a comparison sort
    of tau scores, read through ids, was dominated by cache misses on large graphs."""
    cdef intp i, b, emax = -100000, total, last
    cdef int e
    cdef intp cnt[N_BUCKETS + 1]
    cdef intp start[N_BUCKETS + 1]
    for i in range(n):
        key[i] = _score(r, i, k, diag[i])
        if key[i] > 0:
            frexp(key[i], &e)
            if e > emax:
                emax = e
    if emax == -100000:
        return 0
    for b in range(N_BUCKETS + 1):
        cnt[b] = 0
    for i in range(n):
        if key[i] > 0:
            frexp(key[i], &e)
            b = emax - e
            if b > N_BUCKETS - 1:
                b = N_BUCKETS - 1
            bucket[i] = b
            cnt[b] += 1
        else:
            bucket[i] = N_BUCKETS  # r_i == 0: never a candidate
    total = 0
    last = 0
    for b in range(N_BUCKETS):
        start[b] = total
        total += cnt[b]
        last = b
        if total >= tau:
            break
    if total > tau:
        total = tau
    for i in range(n):  # bucket by bucket, each in index order; the last one truncated
        b = bucket[i]
        if b <= last and start[b] < total:
            ids[start[b]] = i
            start[b] += 1
    return total


def _epoch_greedy_tree(const index_t[::1] indptr, const index_t[::1] indices,
                       const floating[::1] data, const floating[::1] diag,
                       floating[:, ::1] x, floating[:, ::1] r, intp tau,
                       double[::1] key, intp[::1] ids, intp[::1] uf, intp[::1] pos,
                       int64_t[::1] mark, intp[::1] nodes, intp[::1] order, intp[::1] par,
                       floating[::1] a, floating[::1] piv, unsigned char[::1] seen,
                       intp[::1] stack, intp[::1] ppos, floating[::1] wt, floating[::1] work):
    """Greedy trees rebuilt every iteration: take about the tau nodes of largest
    ||r_i||^2 / A_ii (by powers of two, _bucket_top), visit them by decreasing score
    and keep each one that closes no
    cycle with those kept (union-find); solve on the resulting forest.  Repeated until n
    coordinates were updated.  Returns (block updates, coordinate updates, status)."""
    cdef intp n = x.shape[0], k = x.shape[1], done = 0, n_up = 0, i, t, q, j, root, m
    cdef intp n_cand
    cdef int64_t stamp = 0
    cdef intp status = 0
    cdef bint ok
    if n == 0:
        return 0, 0, 0
    with nogil:
        while done < n:
            n_cand = _bucket_top(&r[0, 0], &diag[0], n, k, tau, &key[0], &ids[0], &nodes[0])
            if n_cand == 0:
                break
            m = 0
            for t in range(n_cand):
                i = ids[t]
                stamp += 1
                ok = True
                for q in range(indptr[i], indptr[i + 1]):
                    j = indices[q]
                    if j == i or pos[j] < 0:
                        continue
                    root = _find(&uf[0], j)
                    if mark[root] == stamp:
                        ok = False
                        break
                    mark[root] = stamp
                if ok:
                    pos[i] = m
                    nodes[m] = i
                    m += 1
                    for q in range(indptr[i], indptr[i + 1]):
                        j = indices[q]
                        if j != i and pos[j] >= 0:
                            uf[_find(&uf[0], j)] = i
            # renumber the kept nodes in index order (one sequential pass): the orientation
            # then follows memory order instead of score order (random accesses)
            m = 0
            for i in range(n):
                if pos[i] >= 0:
                    pos[i] = m
                    nodes[m] = i
                    m += 1
            status = _orient(&indptr[0], &indices[0], &data[0], &diag[0], &nodes[0], m,
                             &pos[0], &order[0], &par[0], &a[0], &piv[0], &seen[0],
                             &stack[0], &ppos[0], &wt[0])
            for t in range(m):  # reset the per-iteration marks
                pos[nodes[t]] = -1
                uf[nodes[t]] = nodes[t]
            if status != 0:
                break
            _solve_block(&indptr[0], &indices[0], &data[0], m, &order[0], &par[0], &a[0],
                         &piv[0], &work[0], &x[0, 0], &r[0, 0], k)
            done += m
            n_up += 1
    return n_up, done, int(status)


# ---------------------------------------------------------------------------------------
# Symmetric forest-block Gauss-Seidel: the preconditioner of forest-PCG
# ---------------------------------------------------------------------------------------

def _sgs_apply(const intp[::1] block_ptr, const intp[::1] order, const intp[::1] par,
               const floating[::1] a, const floating[::1] piv, const intp[::1] cptr,
               const index_t[::1] cidx, const floating[::1] cval,
               floating[:, ::1] z, floating[:, ::1] s, floating[::1] work):
    """z += M^{-1} s for the symmetric block Gauss-Seidel splitting on forest blocks.

    On entry z = 0 and s holds the vector to precondition; on exit z = M^{-1} s and s
    holds s - A z (which gives A z without a product by A).  Blocks are solved exactly
    forward, 0 .. nb-1, then backward, nb-2 .. 0: the backward pass would start with
    block nb-1 again, whose residual the forward pass just made zero, so that update
    is skipped.  With D the block diagonal of A on the forests and A = D + L + L', M =
    (D + L) D^{-1} (D + L') is symmetric positive definite whenever A is (for
    overlapping blocks M^{-1} is the symmetrized multiplicative Schwarz operator, SPD
    too when the blocks cover every variable).  Returns the coordinates updated."""
    cdef intp k = z.shape[1], nb = block_ptr.shape[0] - 1, step, bi, st, done = 0
    if z.shape[0] == 0 or nb == 0:
        return 0
    cdef const index_t* ci = &cidx[0] if cidx.shape[0] > 0 else NULL
    cdef const floating* cv = &cval[0] if cval.shape[0] > 0 else NULL
    with nogil:
        for step in range(2 * nb - 1):
            bi = step if step < nb else 2 * nb - 2 - step
            st = block_ptr[bi]
            _solve_block_split(block_ptr[bi + 1] - st, &order[st], &par[st], &a[st],
                               &piv[st], &cptr[st], ci, cv, &work[0], &z[0, 0], &s[0, 0], k,
                               False, NULL, NULL)
            done += block_ptr[bi + 1] - st
    return done


cdef void _sgs(intp nb, const intp* block_ptr, const intp* order, const intp* par,
               const floating* a, const floating* piv, const intp* cptr, const index_t* ci,
               const floating* cv, floating* z, floating* s, floating* work, intp k,
               bint disjoint, const floating* r, double* rz) noexcept nogil:
    # the symmetric sweep of _sgs_apply.  For disjoint blocks z need not be zeroed (the
    # forward visit assigns) and z_b is final after its block's last visit (block nb-1
    # forward, the others backward): r'z is summed there, into rz, without a pass
    cdef intp step, bi, st
    cdef bint last
    for step in range(2 * nb - 1):
        bi = step if step < nb else 2 * nb - 2 - step
        last = disjoint and (step >= nb - 1)
        st = block_ptr[bi]
        _solve_block_split(block_ptr[bi + 1] - st, &order[st], &par[st], &a[st], &piv[st],
                           &cptr[st], ci, cv, work, z, s, k, disjoint and step < nb,
                           r, rz if last else NULL)


cdef void _dot_cols(const floating* u, const floating* v, intp n, intp k,
                    double* out) noexcept nogil:
    cdef intp i, c
    for c in range(k):
        out[c] = 0
    for i in range(n):
        for c in range(k):
            out[c] += <double>u[i * k + c] * v[i * k + c]


def _pcg(const intp[::1] block_ptr, const intp[::1] order, const intp[::1] par,
         const floating[::1] a, const floating[::1] piv, const intp[::1] cptr,
         const index_t[::1] cidx, const floating[::1] cval, bint disjoint,
         floating[:, ::1] x, floating[:, ::1] r, floating[:, ::1] z, floating[:, ::1] s,
         floating[:, ::1] p, floating[:, ::1] q, floating[::1] work, double bnorm,
         double tol, intp max_iter, double[::1] hist, double[:, ::1] col):
    """Conjugate gradients on A x = b, preconditioned by the symmetric forest-block
    Gauss-Seidel sweep (_sgs_apply), for k right-hand sides at once (k independent CG
    recurrences sharing every pass over memory).  On entry r = b - A x.

    A is never multiplied: the sweep leaves s - A z, so A z = r - s, and the search
    direction p = z + beta p gives A p = (r - s) + beta A p by the same recurrence.  An
    iteration is one sweep (2 nb - 1 exact forest solves) and two fused vector passes
    (disjoint blocks: r'z is summed by the sweep; else a third pass).  Stops when
    ||r||_F <= tol * bnorm (r the recurrence residual: the caller confirms on b - A x)
    or after max_iter iterations; hist[it] holds ||r||_F / bnorm after iteration it.
    col: (4, k) workspace.  Returns (iterations, sweeps = iterations, status) with
    status -2 when a curvature p'Ap <= 0 shows that A is not positive definite."""
    cdef intp n = x.shape[0], k = x.shape[1], nb = block_ptr.shape[0] - 1
    cdef intp it = 0, i, c, status = 0, sweeps = 0
    cdef double rr, v
    cdef bint done
    cdef const index_t* ci = &cidx[0] if cidx.shape[0] > 0 else NULL
    cdef const floating* cv = &cval[0] if cval.shape[0] > 0 else NULL
    cdef floating* xp
    cdef floating* rp
    cdef floating* zp
    cdef floating* sp
    cdef floating* pp
    cdef floating* qp
    cdef double* rz = &col[0, 0]
    cdef double* pq = &col[1, 0]
    cdef double* al = &col[2, 0]
    cdef double* be = &col[3, 0]
    if n == 0 or nb == 0 or max_iter <= 0:
        return 0, 0, 0
    xp, rp, zp, sp, pp, qp = &x[0, 0], &r[0, 0], &z[0, 0], &s[0, 0], &p[0, 0], &q[0, 0]
    with nogil:
        for c in range(k):
            rz[c] = 0
            pq[c] = 0
        for i in range(n * k):
            if not disjoint:
                zp[i] = 0
            sp[i] = rp[i]
        _sgs(nb, &block_ptr[0], &order[0], &par[0], &a[0], &piv[0], &cptr[0], ci, cv, zp,
             sp, &work[0], k, disjoint, rp, rz)
        sweeps += 1
        if not disjoint:
            _dot_cols(rp, zp, n, k, rz)
        for i in range(n):
            for c in range(k):
                v = zp[i * k + c]
                pp[i * k + c] = <floating>v
                qp[i * k + c] = rp[i * k + c] - sp[i * k + c]
                pq[c] += v * qp[i * k + c]
        while True:
            for c in range(k):
                if pq[c] > 0:
                    al[c] = rz[c] / pq[c]
                elif rz[c] == 0:
                    al[c] = 0  # this column is solved exactly
                else:
                    status = -2
            if status != 0:
                break
            rr = 0
            for i in range(n):  # r -= alpha q, and s = r for the next sweep
                for c in range(k):
                    v = rp[i * k + c] - al[c] * qp[i * k + c]
                    rp[i * k + c] = <floating>v
                    sp[i * k + c] = <floating>v
                    rr += v * v
            if not disjoint:
                for i in range(n * k):
                    zp[i] = 0
            hist[it] = sqrt(rr) / bnorm
            it += 1
            done = hist[it - 1] <= tol or it >= max_iter
            if done:
                for i in range(n):
                    for c in range(k):
                        xp[i * k + c] += <floating>(al[c] * pp[i * k + c])
                break
            for c in range(k):
                be[c] = 0
            _sgs(nb, &block_ptr[0], &order[0], &par[0], &a[0], &piv[0], &cptr[0], ci, cv,
                 zp, sp, &work[0], k, disjoint, rp, be)
            sweeps += 1
            if not disjoint:
                _dot_cols(rp, zp, n, k, be)
            for c in range(k):
                v = be[c]
                be[c] = v / rz[c] if rz[c] != 0 else 0
                rz[c] = v
                pq[c] = 0
            for i in range(n):  # x += alpha p, then the new p and q = A p
                for c in range(k):
                    xp[i * k + c] += <floating>(al[c] * pp[i * k + c])
                    v = zp[i * k + c] + be[c] * pp[i * k + c]
                    pp[i * k + c] = <floating>v
                    qp[i * k + c] = <floating>(be[c] * qp[i * k + c] + rp[i * k + c]
                                               - sp[i * k + c])
                    pq[c] += v * qp[i * k + c]
    return it, sweeps, int(status)
