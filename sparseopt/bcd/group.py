"""Group penalties of the BCD engine: the group Lasso, whose blocks are the groups.

The group Lasso penalty couples the coordinates of a group, so it does not fit the
separable per-coordinate penalty interface of ``_penalties.pyx``. Its natural blocks
are the groups: :class:`GroupL1` carries the partition, and :class:`~sparseopt.bcd.GreedyBCD`
hands a problem with a group penalty to the group loop here (working sets over groups,
the group duality gap) and to the compiled group steps of ``_group.pyx``.
"""

from __future__ import annotations

import time
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state

from ..exceptions import ConvergenceWarning
from ..utils.validation import check_array, check_scalar
from ._group import group_epochs, group_grams
from ._solver import polish_intercept
from .penalties import Penalty

__all__ = ["GroupL1", "check_groups", "group_duality_gap"]

_STALL_ROUNDS = 10
_SELECTIONS = {"cyclic": 0, "random": 1}
# Exact group Lipschitz constants (largest eigenvalue of the group's Gram matrix) up to
# this many features in a group; beyond, the trace bound sum_j L_j.
_EIG_MAX = 2048
# The sparse full gradient X^T r runs in an OpenMP region. On the shared 2-core machine
# (other jobs running) a 2-thread region cost 11.7 ms per call against 0.09 ms with one
# thread for a 1000 x 5000 X with 5e4 nonzeros: the second thread waits for a core.
# Below this many nonzeros, the default (n_threads=None) uses one thread.
_THREADS_MIN_NNZ = 1_000_000


def check_groups(groups, n_features: int):
    """Validate a partition of the features into groups.

    Parameters
    ----------
    groups : int, sequence of int, or sequence of array-like of int
        An int ``s``: consecutive groups of ``s`` features (``n_features`` must be a
        multiple of ``s``). A sequence of ints: the sizes of consecutive groups (summing
        to ``n_features``). A sequence of index arrays: the features of each group,
        which must partition ``range(n_features)`` (each feature in exactly one group).
    n_features : int
        Number of features.

    Returns
    -------
    ptr : ndarray of int32 of shape (n_groups + 1,)
        Group ``g`` holds the features ``idx[ptr[g]:ptr[g + 1]]``.
    idx : ndarray of int32 of shape (n_features,)
        The features, group by group (sorted within a group).

    Raises
    ------
    ValueError
        If the groups are empty, overlap, leave a feature out, or name a feature out
        of range.

    Examples
    --------
    >>> from sparseopt.bcd import check_groups
    >>> ptr, idx = check_groups([[0, 3], [1, 2]], 4)
    >>> ptr.tolist(), idx.tolist()
    ([0, 2, 4], [0, 3, 1, 2])
    """
    p = int(n_features)
    if isinstance(groups, (Integral, np.integer)) and not isinstance(groups, bool):
        s = int(groups)
        if s < 1:
            raise ValueError(f"groups: a group size must be >= 1, got {s}")
        if p % s:
            raise ValueError(f"groups={s}: n_features={p} is not a multiple of the group "
                             f"size; pass the group sizes or index arrays instead")
        ptr = np.arange(0, p + 1, s, dtype=np.int64)
        return ptr.astype(np.int32), np.arange(p, dtype=np.int32)
    try:
        items = list(groups)
    except TypeError:
        raise TypeError(f"groups must be an int, a sequence of group sizes or a sequence "
                        f"of index arrays, got {type(groups).__name__}") from None
    if not items:
        raise ValueError("groups must hold at least one group")
    if all(np.ndim(g) == 0 for g in items):  # sizes
        sizes = np.asarray(items)
        if not np.issubdtype(sizes.dtype, np.integer):
            raise TypeError(f"groups: group sizes must be integers, got dtype {sizes.dtype}")
        if np.any(sizes < 1):
            raise ValueError(f"groups: group sizes must be >= 1, got {sizes.min()}")
        if sizes.sum() != p:
            raise ValueError(f"groups: the group sizes sum to {sizes.sum()}, but X has "
                             f"n_features={p}")
        ptr = np.concatenate([[0], np.cumsum(sizes)])
        return ptr.astype(np.int32), np.arange(p, dtype=np.int32)
    arrays = []
    for k, g in enumerate(items):
        a = np.asarray(g)
        if a.ndim != 1:
            raise ValueError(f"groups[{k}] must be a 1-D array of feature indices")
        if a.size == 0:
            raise ValueError(f"groups[{k}] is empty")
        if not np.issubdtype(a.dtype, np.integer):
            raise TypeError(f"groups[{k}] must hold integer feature indices, got dtype "
                            f"{a.dtype}")
        if a.min() < 0 or a.max() >= p:
            bad = a[(a < 0) | (a >= p)][0]
            raise ValueError(f"groups[{k}] holds feature {bad}, out of range for "
                             f"n_features={p}")
        arrays.append(np.sort(a.astype(np.int64)))
    idx = np.concatenate(arrays)
    count = np.bincount(idx, minlength=p)
    if np.any(count > 1):
        raise ValueError(f"groups overlap: feature {int(np.flatnonzero(count > 1)[0])} is "
                         f"in more than one group (groups must partition the features)")
    if np.any(count == 0):
        missing = np.flatnonzero(count == 0)
        raise ValueError(f"groups do not cover every feature: {missing.size} feature(s) "
                         f"in no group, e.g. {missing[:5].tolist()} (groups must "
                         f"partition the features; put left-out features in groups of "
                         f"their own)")
    ptr = np.concatenate([[0], np.cumsum([a.size for a in arrays])])
    return ptr.astype(np.int32), idx.astype(np.int32)


class GroupL1(Penalty):
    r"""Group Lasso penalty, :math:`\alpha \sum_g \omega_g \|w_g\|_2`.

    The groups partition the features; the penalty is separable over groups, not over
    features, so the solver's blocks are the groups. With ``positive=True`` the
    coefficients are also constrained to be non-negative.

    Parameters
    ----------
    groups : int, sequence of int, or sequence of array-like of int
        The partition (see :func:`check_groups`): a group size, the sizes of
        consecutive groups, or the features of each group.
    alpha : float, default=1.0
        Overall strength (>= 0).
    weights : array-like of shape (n_groups,), optional
        Positive group weights :math:`\omega_g`; the default is
        :math:`\sqrt{|g|}`, the square root of each group's size.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.

    Notes
    -----
    The proximal operator of :math:`a \|v\|_2` (block soft-thresholding) is
    :math:`v \max(0, 1 - a / \|v\|_2)`; with positivity it is applied to the
    projection :math:`\max(v, 0)`. The dual norm of the penalty is
    :math:`\max_g \|u_g\|_2 / \omega_g` (with positivity, :math:`\|\max(u_g, 0)\|_2`),
    which gives ``alpha_max`` and the duality gap.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.bcd import GreedyBCD, GroupL1, Quadratic
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.standard_normal((40, 6)), rng.standard_normal(40)
    >>> res = GreedyBCD(Quadratic(), GroupL1(groups=2, alpha=0.1), tol=1e-10).solve(X, y)
    >>> bool(res.converged)
    True
    """

    def __init__(self, groups, alpha: float = 1.0, weights=None, positive: bool = False):
        self.groups = groups
        self.alpha = check_scalar(alpha, "alpha", Real, min_val=0)
        if weights is not None:
            weights = check_array(weights, "weights", ndim=1, dtype=np.float64)
            if np.any(weights <= 0):
                raise ValueError("weights must be positive (one per group)")
        self.weights = weights
        self.positive = bool(positive)

    def _partition(self, n_features):
        """``(ptr, idx, omega)``: the validated groups and their weights."""
        ptr, idx = check_groups(self.groups, n_features)
        n_groups = len(ptr) - 1
        if self.weights is None:
            omega = np.sqrt(np.diff(ptr).astype(np.float64))
        else:
            if self.weights.shape[0] != n_groups:
                raise ValueError(f"weights must have one entry per group ({n_groups}), "
                                 f"got {self.weights.shape[0]}")
            omega = np.ascontiguousarray(self.weights)
        return ptr, idx, omega

    def _group_norms(self, u, ptr, idx, positive=None):
        positive = self.positive if positive is None else positive
        v = np.maximum(u, 0.0) if positive else u
        sq = np.add.reduceat(v[idx] ** 2, ptr[:-1]) if idx.size else np.zeros(0)
        return np.sqrt(sq)

    def value(self, w) -> float:
        """The penalty at ``w`` (``inf`` if ``positive`` and some ``w_j < 0``)."""
        w = np.asarray(w, dtype=np.float64)
        ptr, idx, omega = self._partition(w.shape[0])
        if self.positive and np.any(w < 0):
            return np.inf
        return float(self.alpha * omega @ self._group_norms(w, ptr, idx, positive=False))

    def prox(self, v, step: float = 1.0):
        """The proximal operator of ``step`` times the penalty at ``v``."""
        v = np.asarray(v, dtype=np.float64)
        ptr, idx, omega = self._partition(v.shape[0])
        u = np.maximum(v, 0.0) if self.positive else v.copy()
        nrm = self._group_norms(u, ptr, idx, positive=False)
        a = step * self.alpha * omega
        scale = np.where(nrm > a, 1.0 - a / np.where(nrm > 0, nrm, 1.0), 0.0)
        out = np.empty_like(u)
        out[idx] = u[idx] * np.repeat(scale, np.diff(ptr))
        return out

    def alpha_max(self, grad0) -> float:
        grad0 = np.asarray(grad0, dtype=np.float64)
        ptr, idx, omega = self._partition(grad0.shape[0])
        return float(np.max(self._group_norms(-grad0, ptr, idx) / omega, initial=0.0))

    def _make(self, n_features):
        raise TypeError("GroupL1 is not separable over features: it is solved by "
                        "GreedyBCD's group loop (sparseopt.bcd.group), not the "
                        "per-coordinate kernels")

    def __repr__(self):
        return (f"GroupL1(groups={self.groups!r}, alpha={self.alpha}, "
                f"positive={self.positive})")


def _group_lipschitz(design, Xv, ptr, idx, sw, S, curvature, lipschitz):
    """``curvature * lambda_max(X_g^T diag(s) X_g) / S`` per group: the block's bound.

    The Gram blocks of small groups come from one compiled pass (``group_grams``) and
    their eigenvalues from one batched LAPACK call per group size; a dense group of
    more than 32 features uses BLAS for its block; beyond ``_EIG_MAX`` features, the
    trace bound (the sum of the coordinate bounds)."""
    sizes = np.diff(ptr)
    L = np.empty(sizes.size)
    single = sizes == 1
    L[single] = lipschitz[idx[ptr[:-1][single]]]
    dense = not sp.issparse(Xv)
    small = ~single & (sizes <= (32 if dense else _EIG_MAX))
    if small.any():
        sub = np.flatnonzero(small)
        sub_ptr = np.concatenate([[0], np.cumsum(sizes[sub])]).astype(np.int32)
        sub_idx = np.concatenate([idx[ptr[g]:ptr[g + 1]] for g in sub]).astype(np.int32)
        offset = np.concatenate([[0], np.cumsum(sizes[sub] ** 2)]).astype(np.int64)
        grams = group_grams(design, sw, sub_ptr, sub_idx, offset)
        for m in np.unique(sizes[sub]):
            ks = np.flatnonzero(sizes[sub] == m)
            blocks = grams[offset[ks][:, None] + np.arange(m * m)].reshape(-1, m, m)
            L[sub[ks]] = np.linalg.eigvalsh(blocks)[:, -1]
    root = None if sw is None else np.sqrt(sw)
    for g in np.flatnonzero(~single & ~small):
        feat = idx[ptr[g]:ptr[g + 1]]
        if feat.size > _EIG_MAX:
            L[g] = lipschitz[feat].sum() * S / curvature  # trace bound, rescaled below
            continue
        Xg = Xv[:, feat]
        if root is not None:
            Xg = Xg * root[:, None]
        L[g] = np.linalg.eigvalsh(Xg.T @ Xg)[-1]
    L[~single] *= curvature / S
    # eigvalsh's rounding may leave L a hair below the true value: a relative margin
    return np.ascontiguousarray(np.maximum(L, 0.0) * (1 + 1e-12))


def _group_terms(df, penalty, design, Xv, w, ptr, idx, omega, n_threads):
    """Primal, dual, gradient, per-group violation and dual scale at the current state."""
    from .solver import _full_gradient

    alpha, positive = penalty.alpha, penalty.positive
    grad = _full_gradient(design, Xv, df.py_raw(), n_threads)
    wn = penalty._group_norms(w, ptr, idx, positive=False)
    primal = df.py_value() + alpha * float(omega @ wn)
    gn = penalty._group_norms(-grad, ptr, idx)
    ratio = float(np.max(gn / omega, initial=0.0))
    t = 1.0 if ratio <= alpha else alpha / ratio  # theta = -t raw is dual feasible
    if alpha == 0 and ratio > 0:
        t = 0.0
    dual = df.py_dual_value(t)
    # violation: distance from -grad_g to the subdifferential (plus normal cone) at w_g
    sizes = np.diff(ptr)
    thr = alpha * omega
    unit = np.zeros_like(w)
    nz = np.repeat(wn > 0, sizes)
    unit[idx[nz]] = w[idx[nz]] / np.repeat(wn, sizes)[nz]
    thr_feat = np.empty_like(w)
    thr_feat[idx] = np.repeat(thr, sizes)
    res = grad + thr_feat * unit
    if positive:  # coordinates at 0 of an active group: only -grad_j > 0 violates
        res = np.where((w == 0), np.maximum(-grad, 0.0), res)
    rn = penalty._group_norms(res, ptr, idx, positive=False)
    viol = np.where(wn > 0, rn, np.maximum(gn - thr, 0.0))
    return primal, dual, grad, viol, t


def solve_group(solver, X, y, *, sample_weight=None, fit_intercept=False, coef_init=None,
                intercept_init=0.0):
    """GreedyBCD.solve for a group penalty (called by it; see there)."""
    from .solver import BCDResult, _check_y_and_weights, _make_design

    penalty = solver.penalty
    if solver.selection not in _SELECTIONS:
        raise ValueError(f"selection must be 'cyclic' or 'random' with a group penalty "
                         f"(the groups are the blocks), got {solver.selection!r}")
    t_start = time.perf_counter()
    design, Xv = _make_design(X, return_matrix=True)
    n, p = design.n_samples, design.n_features
    y, sw = _check_y_and_weights(solver.datafit, y, sample_weight, n)
    design, y_df, sw_df, n_out = solver.datafit._adapt(design, y, sw)
    if n_out > 1:
        raise ValueError(f"a group penalty supports single-output datafits, not "
                         f"{type(solver.datafit).__name__}")
    ptr, idx, omega = penalty._partition(p)
    n_groups = len(ptr) - 1
    from ..utils._parallel import effective_n_threads

    n_threads = effective_n_threads(solver.n_threads)
    if solver.n_threads is None and sp.issparse(Xv) and Xv.nnz < _THREADS_MIN_NNZ:
        n_threads = 1  # see _THREADS_MIN_NNZ
    seed = check_random_state(solver.random_state).randint(0, 2**31 - 1)
    df = solver.datafit._make(design, y_df, sw_df)
    lip = _group_lipschitz(design, Xv, ptr, idx, sw, df.S, df.py_curvature(),
                           df.py_lipschitz())
    thresh = np.ascontiguousarray(penalty.alpha * omega)

    b = np.array([0.0])
    df.set_coef(np.zeros(p), 0.0)
    if fit_intercept:
        polish_intercept(df, b)
    f0 = max(df.py_value(), np.finfo(float).tiny)
    if coef_init is None:
        w = np.zeros(p)
    else:
        w = check_array(coef_init, "coef_init", shape=(p,), dtype=np.float64, copy=True)
        if penalty.positive:
            np.maximum(w, 0.0, out=w)
        w = np.ascontiguousarray(w)
    b[0] = float(intercept_init) if fit_intercept else 0.0

    history, n_epochs, n_updates, converged, stalled_out = [], 0, 0, False, False
    best, stalled = np.inf, 0
    gap = rel = max_viol = np.inf
    sizes = np.diff(ptr)
    for it in range(1, solver.max_iter + 1):
        df.set_coef(w, b[0])  # from scratch: no drift
        if fit_intercept:
            polish_intercept(df, b)
        primal, dual, grad, viol, _ = _group_terms(df, penalty, design, Xv, w, ptr, idx,
                                                   omega, n_threads)
        gap = primal - dual
        rel = gap / f0
        max_viol = float(viol.max(initial=0.0))
        active = penalty._group_norms(w, ptr, idx, positive=False) > 0
        rec = {"rel_gap": rel, "primal": primal, "violation": max_viol,
               "time": time.perf_counter() - t_start,
               "support_size": int(sizes[active].sum())}
        if rel <= solver.tol or max_viol == 0.0:
            converged = True
            rec.update(ws_size=0, epochs=0, updates=0)
            history.append(rec)
            break
        if rel < best * (1 - 1e-3):
            best, stalled = rel, 0
        else:
            stalled += 1
            if stalled >= _STALL_ROUNDS:
                rec.update(ws_size=0, epochs=0, updates=0)
                history.append(rec)
                stalled_out = True
                break
        # Working set of groups: the active groups, then the largest violations, twice
        # as many as the active ones (at least ws_start).
        n_forced = int(active.sum())
        size = (min(n_groups, max(solver.ws_start, 2 * n_forced)) if solver.working_set
                else n_groups)
        if size < n_groups:
            score = viol.copy()
            score[active] = np.inf
            ws = np.argpartition(-score, size - 1)[:size]
        else:
            ws = np.arange(n_groups)
        ws = np.sort(ws).astype(np.int32)
        epochs, _ = group_epochs(df, w, b, ptr, idx, ws, lip, thresh, penalty.positive,
                                 solver.max_epochs, 0.3 * max_viol, fit_intercept,
                                 _SELECTIONS[solver.selection], seed + it, solver.anderson)
        n_epochs += epochs
        n_updates += epochs * len(ws)
        rec.update(ws_size=int(sizes[ws].sum()), epochs=epochs, updates=epochs * len(ws))
        history.append(rec)
        if solver.verbose:
            print(f"[GreedyBCD groups] iter {it}: rel. gap {rel:.3e}, violation "
                  f"{max_viol:.3e}, working set {len(ws)} groups, epochs {epochs}")
    if not converged:
        why = (f"the relative duality gap stopped decreasing for {_STALL_ROUNDS} "
               f"iterations (tol may be below its floating-point accuracy)" if stalled_out
               else f"after {len(history)} outer iterations; increase max_iter or "
                    f"max_epochs")
        warnings.warn(f"GreedyBCD did not converge: relative duality gap {rel:.3e} > tol "
                      f"{solver.tol:.1e}: {why}.", ConvergenceWarning, stacklevel=3)
    return BCDResult(coef=w, intercept=float(b[0]), gap=float(gap), rel_gap=float(rel),
                     n_iter=len(history), n_epochs=n_epochs, converged=converged,
                     history=history, n_updates=n_updates, violation=max_viol)


def group_duality_gap(datafit, penalty, X, y, coef, intercept=0.0, *, sample_weight=None,
                      fit_intercept=False):
    """:func:`~sparseopt.bcd.duality_gap` for a group penalty: ``(gap, rel_gap)``."""
    from .solver import _make_design

    design, Xv = _make_design(X, return_matrix=True)
    n, p = design.n_samples, design.n_features
    y = np.ascontiguousarray(datafit._check_y(check_array(y, "y", shape=(n,),
                                                            dtype=np.float64)))
    sw = None if sample_weight is None else np.ascontiguousarray(
        check_array(sample_weight, "sample_weight", shape=(n,), dtype=np.float64))
    w = np.ascontiguousarray(check_array(coef, "coef", shape=(p,), dtype=np.float64))
    ptr, idx, omega = penalty._partition(p)
    df = datafit._make(design, y, sw)
    b = np.array([0.0])
    df.set_coef(np.zeros(p), 0.0)
    if fit_intercept:
        polish_intercept(df, b)
    f0 = max(df.py_value(), np.finfo(float).tiny)
    b[0] = intercept if fit_intercept else 0.0
    df.set_coef(w, b[0])
    if fit_intercept:
        polish_intercept(df, b)
    primal, dual, _, _, _ = _group_terms(df, penalty, design, Xv, w, ptr, idx, omega, 1)
    if penalty.positive and np.any(w < 0):
        primal = np.inf
    gap = primal - dual
    return float(gap), float(gap / f0)
