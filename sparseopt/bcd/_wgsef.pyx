# The proximal operator of the weighted group sparse envelope function (WGSEF) in time
# linear in the number of groups: a breakpoint search with exact medians (worst-case
# linear selection) instead of a sort.  The math is in wgsef.py; groups are a validated
# partition (gptr, gidx) of the features, trusted here.
from libc.math cimport sqrt
from libc.stdint cimport int32_t
from libc.stdlib cimport free, malloc

from sparseopt._typedefs cimport floating

import numpy as np


cdef inline void _swap(double *a, Py_ssize_t i, Py_ssize_t j) noexcept nogil:
    cdef double t = a[i]
    a[i] = a[j]
    a[j] = t


cdef void _insertion_sort(double *a, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i, j
    cdef double v
    for i in range(1, n):
        v = a[i]
        j = i - 1
        while j >= 0 and a[j] > v:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = v


cdef double _median3(double a, double b, double c) noexcept nogil:
    if a < b:
        return b if b < c else (c if a < c else a)
    return a if a < c else (c if b < c else b)


cdef double _select(double *a, Py_ssize_t n, Py_ssize_t kth) noexcept nogil:
    """The kth smallest of a[0:n] (0-based), reordering a; worst-case O(n).

    Introselect: the pivot is the median of three (cheap, and good on typical inputs)
    until two steps in a row keep more than 3/4 of the entries; the next step then
    takes the median of the medians of groups of five (Blum-Floyd-Pratt-Rivest-Tarjan),
    which keeps at most 7/10. So every three steps shrink the range by 7/10 or better
    and the total stays linear in the worst case."""
    cdef Py_ssize_t i, m, lt, gt, j, kept
    cdef int bad = 0
    cdef double pivot
    while True:
        if n <= 10:
            _insertion_sort(a, n)
            return a[kth]
        if bad >= 2:
            # medians of groups of five, moved to the front
            m = 0
            i = 0
            while i < n:
                j = 5 if n - i >= 5 else n - i
                _insertion_sort(a + i, j)
                _swap(a, m, i + j // 2)
                m += 1
                i += 5
            pivot = _select(a, m, m // 2)
            bad = 0
        else:
            pivot = _median3(a[0], a[n // 2], a[n - 1])
        # three-way partition around the pivot: [< pivot | == pivot | > pivot]
        lt = 0
        gt = n
        i = 0
        while i < gt:
            if a[i] < pivot:
                _swap(a, i, lt)
                lt += 1
                i += 1
            elif a[i] > pivot:
                gt -= 1
                _swap(a, i, gt)
            else:
                i += 1
        if kth < lt:
            kept = lt
        elif kth >= gt:
            kept = n - gt
        else:
            return pivot
        bad = bad + 1 if 4 * kept > 3 * n else 0
        if kth < lt:
            n = lt
        else:
            a += gt
            kth -= gt
            n -= gt


def select_kth(double[::1] a, Py_ssize_t kth):
    """The kth smallest entry of ``a`` (reordered in place); for the tests."""
    with nogil:
        v = _select(&a[0], a.shape[0], kth)
    return v


cdef double _threshold(const double *alpha, const double *beta, Py_ssize_t n, double k,
                       int32_t *und, double *pts, double *eb, double *fb) noexcept nogil:
    """The u > 0 with h(u) = sum_g clip(alpha_g u - beta_g, 0, 1) = k, given h(0) = 0 <
    k < h(inf) = n (alpha_g > 0, beta_g > 0).

    h is nondecreasing and piecewise linear, with breakpoints beta_g / alpha_g (group g
    starts to grow) and (1 + beta_g) / alpha_g (it saturates at 1). Keep an interval
    (lo, hi) holding the root and the groups whose breakpoints fall inside it; groups
    with no breakpoint inside are constant (C: saturated ones) or linear (A u - B) on
    it. Cut at the median breakpoint: at least half of the breakpoints leave, and every
    group still undecided has one inside, so each round costs O(breakpoints) and the
    total is O(n). ``und``, ``pts``, ``eb`` and ``fb`` are work buffers of n, 2n, n and
    n entries (the breakpoints are computed once, into eb and fb)."""
    cdef Py_ssize_t m = n, q, i, g, npts
    cdef double lo = 0.0, hi = 1e308, C = 0.0, A = 0.0, B = 0.0, p, h, e, f, v
    for i in range(n):
        und[i] = <int32_t> i
        eb[i] = beta[i] / alpha[i]
        fb[i] = (1.0 + beta[i]) / alpha[i]
    while True:
        npts = 0
        for q in range(m):
            g = und[q]
            e = eb[g]
            f = fb[g]
            if lo < e < hi:
                pts[npts] = e
                npts += 1
            if lo < f < hi:
                pts[npts] = f
                npts += 1
        if npts == 0:
            break
        p = _select(pts, npts, npts // 2)
        h = C + A * p - B
        for q in range(m):
            g = und[q]
            v = alpha[g] * p - beta[g]
            h += 0.0 if v <= 0.0 else (1.0 if v >= 1.0 else v)
        if h == k:
            return p
        if h < k:
            lo = p
        else:
            hi = p
        # reclassify the undecided groups on the new interval
        i = 0
        for q in range(m):
            g = und[q]
            e = eb[g]
            f = fb[g]
            if f <= lo:
                C += 1.0
            elif e >= hi:
                pass
            elif e <= lo and f >= hi:
                A += alpha[g]
                B += beta[g]
            else:
                und[i] = <int32_t> g
                i += 1
        m = i
    # h is linear on (lo, hi), A u - B + C, and crosses k there (so A > 0)
    return (k - C + B) / A


def prox_wgsef_kernel(const floating[::1] v, const int32_t[::1] gptr,
                      const int32_t[::1] gidx, const double[::1] d, double lam, double k):
    """``(x, u)``: the prox of ``lam * WGSEF`` at ``v``, and the threshold u (0 when the
    cardinality constraint is inactive)."""
    cdef Py_ssize_t G = gptr.shape[0] - 1, g, q, j, n_pos = 0
    cdef double u = 0.0, th, c, s
    dtype = np.float32 if floating is float else np.float64
    x = np.zeros(v.shape[0], dtype=dtype)
    cdef floating[::1] xv = x
    cdef double *a = <double *> malloc((G + 1) * sizeof(double))
    cdef double *al = <double *> malloc((G + 1) * sizeof(double))
    cdef double *be = <double *> malloc((G + 1) * sizeof(double))
    cdef int32_t *pos = <int32_t *> malloc((G + 1) * sizeof(int32_t))
    cdef int32_t *und = <int32_t *> malloc((G + 1) * sizeof(int32_t))
    # one allocation: the breakpoints of a round (2G), then the per-group e and f (G each)
    cdef double *pts = <double *> malloc((4 * G + 1) * sizeof(double))
    try:
        if (a == NULL or al == NULL or be == NULL or pos == NULL or und == NULL
                or pts == NULL):
            raise MemoryError()
        with nogil:
            for g in range(G):  # group norms; the groups with a_g > 0 enter the search
                s = 0.0
                for q in range(gptr[g], gptr[g + 1]):
                    s += <double> v[gidx[q]] * <double> v[gidx[q]]
                a[g] = sqrt(s)
                if a[g] > 0.0:
                    al[n_pos] = a[g] * sqrt(lam * d[g])
                    be[n_pos] = lam * d[g]
                    pos[n_pos] = <int32_t> g
                    n_pos += 1
            if n_pos > k:
                u = _threshold(al, be, n_pos, k, und, pts, pts + 2 * G, pts + 3 * G)
            for q in range(n_pos):
                g = pos[q]
                if n_pos > k:
                    th = al[q] * u - be[q]
                    th = 0.0 if th <= 0.0 else (1.0 if th >= 1.0 else th)
                else:
                    th = 1.0
                c = a[g] * th / (th + be[q])  # the new group norm
                for j in range(gptr[g], gptr[g + 1]):
                    xv[gidx[j]] = <floating> (<double> v[gidx[j]] * (c / a[g]))
    finally:
        free(a)
        free(al)
        free(be)
        free(pos)
        free(und)
        free(pts)
    return x, u
