"""GreedyBCD: the Python front of the block coordinate descent engine.

The outer loop lives here: it computes the full gradient, the duality gap and the
optimality violations, chooses a working set, and hands it to a compiled inner loop that
runs without the GIL: ``_solver.cd_epochs`` (cyclic or random coordinate updates with
Anderson extrapolation), ``_solver.prox_newton``, or ``_rules.greedy_bcd`` (the greedy
rules and the block updates of Nutini, Laradji & Schmidt).
"""

from __future__ import annotations

import copy
import time
import warnings
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state

from ..exceptions import ConvergenceWarning
from ..utils._parallel import effective_n_threads
from ..utils.validation import check_array, check_scalar, check_sparse
from ._design import CSCDesign, DenseDesign
from ._rules import RULES, UPDATES, greedy_bcd
from ._solver import cd_epochs, cd_epochs_gram, polish_intercept, prox_newton
from .datafits import Datafit, Logistic, Multinomial, Quadratic
from .penalties import Penalty

__all__ = ["BCDResult", "GreedyBCD", "duality_gap"]

_SELECTIONS = {"cyclic": 0, "random": 1}  # codes of cd_epochs
_BLOCKS = ("contiguous", "sorted", "variable")
_UPDATES = ("auto", "coordinate", "gradient", "newton")
_STALL_ROUNDS = 10
# The greedy rules form the working set's m x m Hessian (bound) matrix up to this m.
_GRAM_MAX = 4096
# A sparse X^T r runs on one thread below this many nonzeros. An OpenMP region waits at
# its closing barrier for every team thread, so on a shared machine one thread that is
# not scheduled holds it up by a time slice: measured on the 2-core VM under load 2.5,
# X^T r with 500k nonzeros took 10 ms on 2 threads against 0.7 ms on one, once per
# outer iteration. The threads pay only where the work outlasts such delays.
_PARALLEL_MIN_NNZ = 1 << 23


@dataclass
class BCDResult:
    """Outcome of :meth:`GreedyBCD.solve`.

    Attributes
    ----------
    coef : ndarray of shape (n_features,)
        The coefficients.
    intercept : float
        The intercept (0 when it is not fitted).
    gap : float
        Duality gap at ``coef`` (objective units).
    rel_gap : float
        ``gap`` divided by the objective at ``coef = 0`` (with the best intercept): the
        stopping criterion.
    n_iter : int
        Outer iterations (each computes the full gradient and the gap).
    n_epochs : int
        Coordinate epochs over working sets, in total (for block rules: block updates
        divided by the number of blocks of the working set).
    n_updates : int
        Block updates in total (coordinate updates when blocks have one coordinate;
        for the Newton update of ``update="newton"``, its inner coordinate updates).
    screened : ndarray of int
        The features removed by gap-safe screening (proved zero at the optimum).
    violation : float
        The largest first-order optimality violation at ``coef`` (the distance from
        ``-grad`` to the penalty's subdifferential, over the features).
    rel_violation : float
        For a nonconvex penalty, ``violation`` divided by the largest gradient entry at
        ``coef = 0``: the stopping criterion there (NaN for convex penalties, which stop
        on ``rel_gap``; ``gap`` and ``rel_gap`` are NaN for nonconvex ones).
    support_identified_at : int
        The outer iteration (1-based, as in ``history``) from which the sign pattern of
        ``coef`` (its support and signs) no longer changed: where the active set was
        identified. From there on, for least squares, the exact solve on the support
        ends the solve (``support_solve``).
    converged : bool
        Whether ``rel_gap <= tol`` was reached.
    history : list of dict
        Per outer iteration: ``rel_gap``, ``primal``, ``violation`` (largest optimality
        violation), ``ws_size``, ``epochs``, ``updates``, ``support_size``, ``time``
        (seconds since the start).
    """

    coef: np.ndarray
    intercept: float
    gap: float
    rel_gap: float
    n_iter: int
    n_epochs: int
    converged: bool
    n_updates: int = 0
    screened: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.intp))
    violation: float = np.nan
    rel_violation: float = np.nan
    support_identified_at: int = 0
    history: list = field(default_factory=list)


def _make_design(X, *, return_matrix=False):
    if sp.issparse(X):
        Xv = check_sparse(X, "X", formats=("csc",), dtype=np.float64)
        nnz = int(Xv.indptr[-1])
        design = CSCDesign(np.ascontiguousarray(Xv.data[:nnz]), Xv.indices[:nnz],
                           Xv.indptr, Xv.shape[0])
    else:
        Xv = check_array(X, "X", ndim=2, dtype=np.float64, order="F")
        design = DenseDesign(Xv)
    return (design, Xv) if return_matrix else design


def _check_y_and_weights(datafit, y, sample_weight, n):
    """Validated contiguous ``y`` (through the datafit's own check) and sample weights
    (None, or non-negative with a positive entry), both of length ``n``."""
    y = check_array(y, "y", ndim=1, dtype=np.float64)
    if y.shape[0] != n:
        raise ValueError(f"y must have {n} entries (the rows of X), got {y.shape[0]}")
    y = np.ascontiguousarray(datafit._check_y(y))
    sw = None
    if sample_weight is not None:
        sw = check_array(sample_weight, "sample_weight", ndim=1, dtype=np.float64)
        if sw.shape[0] != n:
            raise ValueError(f"sample_weight must have {n} entries, got {sw.shape[0]}")
        if np.any(sw < 0):
            raise ValueError("sample_weight must be non-negative")
        if n and not np.any(sw > 0):
            raise ValueError("sample_weight must have at least one positive entry")
        sw = np.ascontiguousarray(sw)
    return y, sw


def _hessian_bound(Xv, ws, sw, S, curvature, with_xbar, n_out=1):
    """``curvature * X_ws^T diag(s) X_ws / S`` (m x m, C order) and ``X_ws^T s / S``.

    For a K-output model (``n_out = K``) coordinate c is column c // K for class c % K,
    and coordinates of different classes are uncoupled in the bound."""
    if n_out > 1:
        B, _ = _hessian_bound(Xv, ws // n_out, sw, S, curvature, False)
        cls = ws % n_out
        B *= cls[:, None] == cls[None, :]
        return B, None
    Xw = Xv[:, ws]
    if sp.issparse(Xw):
        Xs = Xw if sw is None else sp.csc_matrix(Xw.multiply(np.sqrt(sw)[:, None]))
        B = (Xs.T @ Xs).toarray()
    else:
        Xs = Xw if sw is None else Xw * np.sqrt(sw)[:, None]
        B = Xs.T @ Xs
    B *= curvature / S
    xbar = None
    if with_xbar:
        xbar = np.ascontiguousarray(
            np.asarray(Xw.sum(axis=0)).ravel() if sw is None else Xw.T @ sw) / S
    return np.ascontiguousarray(B), xbar


def _diagonal_bounds(B, tau, fixed, lipschitz):
    """Per-coordinate d_i with H_bb <= diag(d_b) for every block b the rule may pick.

    By Gershgorin, d_i = H_ii + sum_{j in b, j != i} |H_ij| suffices (diag(d_b) - H_bb
    is then diagonally dominant). For fixed blocks the sum runs over i's block; for
    variable blocks of tau coordinates, over the tau - 1 largest |H_ij| of row i, which
    bounds every block that can contain i. Without B: d_i = tau L_i, since
    H_bb <= |b| diag(H_bb) for a positive semi-definite H.
    """
    if B is None:
        return np.ascontiguousarray(tau * lipschitz)
    m = B.shape[0]
    A = np.abs(B)
    diag = np.diag(B).copy()
    np.fill_diagonal(A, 0.0)
    if fixed is not None:
        ptr, idx = fixed
        d = np.empty(m)
        for k in range(len(ptr) - 1):
            blk = idx[ptr[k]:ptr[k + 1]]
            d[blk] = diag[blk] + A[np.ix_(blk, blk)].sum(axis=1)
        return d
    if tau <= 1:
        return np.ascontiguousarray(diag)
    if tau - 1 >= m - 1:
        return np.ascontiguousarray(diag + A.sum(axis=1))
    top = np.partition(A, m - (tau - 1), axis=1)[:, m - (tau - 1):]
    return np.ascontiguousarray(diag + top.sum(axis=1))


def _sparse_structure(Xv, ws):
    """The rows of each column of a sparse X_ws and X_ws in CSR (local column indices):
    what a greedy rule needs to update the gradient through the rows a step touched."""
    Xw = sp.csc_array(Xv[:, ws])
    Xw.sort_indices()
    Xr = sp.csr_array(Xw)
    return (Xw.indptr.astype(np.int64), Xw.indices.astype(np.int32),
            Xr.indptr.astype(np.int64), Xr.indices.astype(np.int32),
            np.ascontiguousarray(Xr.data, dtype=np.float64))


def _fixed_blocks(order, tau, B, Xv, ws, sw, S, curvature, n_out=1):
    """Partition the positions ``order`` into consecutive blocks of ``tau``; return
    ``(block_ptr, block_idx, block_L)`` with ``block_L`` the largest eigenvalue of each
    block's Hessian bound (from ``B``, or from the columns when ``B`` was not formed)."""
    m = len(order)
    ptr = np.arange(0, m + tau, tau).clip(max=m)
    ptr = np.unique(ptr).astype(np.int32)
    idx = np.ascontiguousarray(order, dtype=np.int32)
    L = np.empty(len(ptr) - 1)
    n_full = m // tau
    if B is not None and n_full:  # all full blocks in one batched eigenvalue call
        full = idx[:n_full * tau].reshape(n_full, tau)
        L[:n_full] = np.linalg.eigvalsh(B[full[:, :, None], full[:, None, :]])[:, -1]
    for k in range(n_full if B is not None else 0, len(ptr) - 1):
        blk = idx[ptr[k]:ptr[k + 1]]
        if B is not None:
            H = B[np.ix_(blk, blk)]
        else:
            H, _ = _hessian_bound(Xv, ws[blk], sw, S, curvature, False, n_out)
        L[k] = np.linalg.eigvalsh(H)[-1] if H.size else 0.0
    return ptr, idx, np.maximum(L, 0.0)


def _gram_pays(n, m, nnz, epochs, cached):
    """Whether coordinate descent on a working set of m features (nnz of them nonzero)
    should run through its Gram matrix rather than through the residual.

    Per epoch, the residual costs a dot product of length n per feature and an axpy per
    nonzero, (m + nnz) n; the Gram matrix costs an axpy of length m per nonzero, nnz m,
    after forming it once (n m^2 / 2 flops at level-3 speed, counted as n m^2 / 8 in
    level-1 units). The epochs of the previous inner solve predict this one's.
    """
    if m == 0 or m > _GRAM_MAX:
        return False
    form = 0.0 if cached else n * m * m / 8.0
    e = max(epochs, 5)
    return form + e * max(nnz, 1) * m < e * (m + nnz) * n


def _full_gradient(design, Xv, raw, n_threads, screen=None):
    """X^T raw (zero on the features screened out). A dense X goes through numpy's BLAS
    rather than our OpenMP loop: the Gram matrices are formed by numpy's BLAS too, and
    OpenBLAS threads keep spinning for a while after a call, so that an OpenMP region
    right after one is starved of cores (measured on 2 cores: 8 ms instead of 0.2 ms
    for a 442 x 1000 gradient). One thread pool for both avoids it."""
    if screen is not None and screen.n_screened:
        grad = np.zeros(design.n_features)
        grad[screen.active] = screen.gradient(design, raw, n_threads)
        return grad
    if Xv is not None and not sp.issparse(Xv):
        return Xv.T @ raw
    if Xv is not None and Xv.nnz < _PARALLEL_MIN_NNZ:
        n_threads = 1
    return design.dot_columns(raw, n_threads)


class _Screening:
    """Gap-safe screening (Ndiaye, Fercoq, Gramfort & Salmon, JMLR 2017).

    With theta = -t df/dz dual-feasible and duality gap G, the dual optimum theta*
    satisfies sum_i S (theta_i - theta*_i)^2 / s_i <= 2 c G (the conjugate of f is
    1/c-strongly convex in that norm; c is the datafit's curvature bound), so by
    Cauchy-Schwarz |x_j^T (theta - theta*)| <= sqrt(2 G L_j), with L_j = c ||x_j||_s^2 / S
    the coordinate's Lipschitz constant. When the interval x_j^T theta +- sqrt(2 G L_j)
    lies inside the open subdifferential of g_j at 0, w_j* = 0: feature j is removed for
    good. The gradient (and the gap) are then computed on the remaining features only:
    the gap of the reduced problem, which has the same solution, still bounds the
    suboptimality.
    """

    def __init__(self, Xv, penalty, p, lipschitz):
        self.Xv = Xv
        self.lipschitz = lipschitz
        self.left, self.right = penalty._zero_interval(p)
        self.mask = np.ones(p, dtype=bool)
        self.active = np.arange(p)
        self.n_screened = 0
        self._cols = None  # the columns of the compact copy of a dense X
        self._X_cols = None

    def update(self, gap, t, grad, w):
        """Screen with the dual point theta = -t raw; returns the number newly screened."""
        act = self.active
        v = -t * grad[act]  # x_j^T theta
        rad = np.sqrt(2.0 * max(gap, 0.0) * self.lipschitz[act])
        out = (v - rad > self.left[act]) & (v + rad < self.right[act])
        if not out.any():
            return 0
        gone = act[out]
        w[gone] = 0.0  # safe: they are zero at the optimum
        self.mask[gone] = False
        self.active = act[~out]
        self.n_screened += gone.size
        return gone.size

    def gradient(self, design, raw, n_threads):
        if self.Xv is None or sp.issparse(self.Xv):
            out = np.empty(self.active.size)
            return design.dot_columns_subset(raw, self.active.astype(np.int32), out,
                                             n_threads)
        # One BLAS call on a compact copy of the active columns, refreshed only when
        # the active set has halved since the copy (copies cost more than they save).
        if self._cols is None or self.active.size <= self._cols.size // 2:
            self._cols = self.active.copy()
            self._X_cols = np.asfortranarray(self.Xv[:, self._cols])
        g = self._X_cols.T @ raw
        if self._cols.size == self.active.size:
            return g
        return g[np.searchsorted(self._cols, self.active)]


def _support_solve(Xv, y, sw, S, w, b_cur, fit_intercept, penalty, bounds):
    """Least squares with an elastic-net-family penalty, restricted to the support of w
    with its signs fixed, is a linear system: (G + diag(l2)) w_S = X_S^T s y / S - a sign,
    G = X_S^T diag(s) X_S / S (and the intercept's row and column when it is fitted).
    Returns the point (w, b) reached by moving toward its solution until a coefficient
    changes sign or meets a bound (the solution itself when none does), or None.
    Near the end of a slowly converging solve this replaces many coordinate epochs by
    one factorization; the caller keeps it only if the duality gap improves.

    numpy's LAPACK is used, not scipy's: they are different OpenBLAS builds, and the
    threads of one keep spinning after a call, slowing the other's next call.
    """
    supp = np.flatnonzero(w)
    n = Xv.shape[0]
    k = supp.size + (1 if fit_intercept else 0)
    if k == 0 or k > min(n, _GRAM_MAX):
        return None
    sign = np.sign(w[supp])
    omega = np.ones(w.size) if penalty.weights is None else penalty.weights
    a = penalty.alpha * omega[supp]
    s = np.ones(n) if sw is None else sw
    Xs = Xv[:, supp]
    if sp.issparse(Xs):
        Xws = sp.csc_array(Xs.multiply(np.sqrt(s)[:, None])) if sw is not None else Xs
        A = (Xws.T @ Xws).toarray()
        rhs = Xs.T @ (s * y)
        if fit_intercept:
            col = Xs.T @ s
            A = np.block([[A, col[:, None]], [col[None, :], np.array([[s.sum()]])]])
            rhs = np.append(rhs, s @ y)
    else:
        if fit_intercept:
            Xs = np.column_stack([Xs, np.ones(n)])
        Xw = Xs * np.sqrt(s)[:, None] if sw is not None else Xs
        A = Xw.T @ Xw
        rhs = Xs.T @ (s * y)
    A /= S
    rhs /= S
    A[np.arange(supp.size), np.arange(supp.size)] += a * (1 - penalty.l1_ratio)
    rhs[:supp.size] -= a * penalty.l1_ratio * sign
    try:
        sol = np.linalg.solve(A, rhs)
    except np.linalg.LinAlgError:  # numerically singular: a least-squares solution
        try:
            sol = np.linalg.lstsq(A, rhs, rcond=1e-13)[0]
        except np.linalg.LinAlgError:
            return None
    if not np.all(np.isfinite(sol)):
        return None
    # On the orthant of the signs (and inside the bounds) the objective is the convex
    # quadratic that sol minimizes: every step toward sol decreases it. Go as far as the
    # first coefficient that reaches 0 (or a bound), and set it there exactly.
    cur = w[supp]
    d = sol[:supp.size] - cur
    safe_d = np.where(d != 0, d, 1.0)
    limit = np.where(np.sign(cur + d) != sign, -cur / safe_d, np.inf)
    lower, upper = bounds
    if lower is not None:
        lo, hi = lower[supp], upper[supp]
        limit = np.minimum(limit, np.where(d < 0, (lo - cur) / safe_d, np.inf))
        limit = np.minimum(limit, np.where(d > 0, (hi - cur) / safe_d, np.inf))
    step = min(1.0, float(limit.min(initial=np.inf)))
    if step <= 0.0:
        return None
    new = cur + step * d
    if step < 1.0:
        hit = limit <= step
        new[hit] = np.where(np.sign(new[hit]) != sign[hit], 0.0, new[hit])
        new[hit & (np.abs(new) <= 1e-12 * (1 + np.abs(cur)))] = 0.0
        if lower is not None:
            new = np.clip(new, lo, hi)
    out = np.zeros_like(w)
    out[supp] = new
    b = 0.0
    if fit_intercept:  # the intercept moves along with the coefficients
        b = float(b_cur + step * (sol[-1] - b_cur))
    return out, b


def _folded_pieces(penalty, x, supp, lips):
    """For a folded-concave penalty (MCP, SCAD, CEL0) at magnitudes x > 0 of the support
    supp: the quadratic piece each coordinate is on, ``p(x) = c2 x^2 / 2 + c1 x + const``
    on ``lo <= x <= hi``, as arrays ``(piece, c2, c1, lo, hi)``; None for other penalties."""
    from .penalties import CEL0, MCP, SCAD

    omega = np.ones(supp.size) if penalty.weights is None else penalty.weights[supp]
    a = penalty.alpha * omega
    zero, inf = np.zeros(supp.size), np.full(supp.size, np.inf)
    if isinstance(penalty, (MCP, CEL0)):
        if isinstance(penalty, MCP):
            g = np.full(supp.size, penalty.gamma)
        else:  # CEL0 is MCP with slope sqrt(2 lam c) and concavity 1 / c
            c = (lips if penalty.curvatures is None else penalty.curvatures)[supp]
            c = np.where(c > 0, c, np.inf)  # no curvature: phi = 0, the flat piece
            a, g = np.sqrt(2 * a * c), 1.0 / c
        t = g * a
        conc = x < t
        return (conc.astype(np.int8), np.where(conc, -1.0 / g, 0.0), np.where(conc, a, 0.0),
                np.where(conc, zero, t), np.where(conc, t, inf))
    if isinstance(penalty, SCAD):
        g = penalty.gamma
        piece = np.where(x <= a, 0, np.where(x <= g * a, 1, 2)).astype(np.int8)
        c2 = np.where(piece == 1, -1.0 / (g - 1), 0.0)
        c1 = np.choose(piece, [a, g * a / (g - 1), zero])
        lo = np.choose(piece, [zero, a, g * a])
        hi = np.choose(piece, [a, g * a, inf])
        return piece, c2, c1, lo, hi
    return None


def _folded_support_solve(Xv, y, sw, S, w, b_cur, fit_intercept, penalty, lips):
    """The support solve of a folded-concave penalty: with the signs and the penalty's
    quadratic pieces fixed, least squares plus the penalty is a quadratic, whose
    stationary point solves (G_SS + diag(c2)) w_S = X_S^T s y / S - c1 sign (with the
    intercept's row and column). When that matrix is positive definite the quadratic is
    convex: moving toward its minimizer decreases the objective until a coefficient
    leaves its piece (or reaches 0), where the move stops. Returns the point reached, or
    None (other penalties, an indefinite matrix, nothing to gain)."""
    supp = np.flatnonzero(w)
    n = Xv.shape[0]
    k = supp.size
    if k == 0 or k + fit_intercept > min(n, _GRAM_MAX):
        return None
    sign = np.sign(w[supp])
    x = np.abs(w[supp])
    pieces = _folded_pieces(penalty, x, supp, lips)
    if pieces is None:
        return None
    _, c2, c1, lo, hi = pieces
    s = np.ones(n) if sw is None else sw
    Xs = Xv[:, supp]
    if sp.issparse(Xs):
        Xws = sp.csc_array(Xs.multiply(np.sqrt(s)[:, None])) if sw is not None else Xs
        A = (Xws.T @ Xws).toarray()
        rhs = Xs.T @ (s * y)
        if fit_intercept:
            col = Xs.T @ s
            A = np.block([[A, col[:, None]], [col[None, :], np.array([[s.sum()]])]])
            rhs = np.append(rhs, s @ y)
    else:
        if fit_intercept:
            Xs = np.column_stack([Xs, np.ones(n)])
        Xw = Xs * np.sqrt(s)[:, None] if sw is not None else Xs
        A = Xw.T @ Xw
        rhs = Xs.T @ (s * y)
    A /= S
    rhs /= S
    A[np.arange(k), np.arange(k)] += c2
    rhs[:k] -= c1 * sign
    try:
        L = np.linalg.cholesky(A)  # positive definite: the piece's quadratic is convex
    except np.linalg.LinAlgError:
        return None
    sol = np.linalg.solve(L.T, np.linalg.solve(L, rhs))
    if not np.all(np.isfinite(sol)):
        return None
    # the magnitudes move from x toward sign * sol; stop where the first leaves [lo, hi]
    dm = sign * sol[:k] - x
    safe = np.where(dm != 0, dm, 1.0)
    limit = np.where(dm < 0, (lo - x) / safe, np.where(dm > 0, (hi - x) / safe, np.inf))
    step = min(1.0, float(np.maximum(limit, 0.0).min(initial=np.inf)))
    if step <= 0.0:
        return None
    new = x + step * dm
    new[new <= 1e-12 * (1 + x)] = 0.0
    out = np.zeros_like(w)
    out[supp] = sign * new
    b = float(b_cur + step * (sol[-1] - b_cur)) if fit_intercept else 0.0
    return out, b


def _region_key(penalty, w, lips):
    """The signs of w and the penalty piece of each nonzero: the region where the
    objective is one quadratic."""
    supp = np.flatnonzero(w)
    piece = _folded_pieces(penalty, np.abs(w[supp]), supp, lips)[0]
    return np.sign(w).tobytes() + piece.tobytes()


def _support_solve_pays(Xv, w, ws_size, last_epochs):
    """Whether the support solve is predicted to cost less than the last inner solve:
    forming and factoring the system (level-3 BLAS, counted at a quarter of its flops)
    against last_epochs passes over the working set's columns."""
    s = int(np.count_nonzero(w))
    n = Xv.shape[0]
    if sp.issparse(Xv):
        cols = Xv[:, np.flatnonzero(w)]
        per_row = np.diff(sp.csr_array(cols).indptr)
        solve = float(per_row @ per_row) + s ** 3 / 3
        col_nnz = Xv.nnz / max(Xv.shape[1], 1)
        epoch = 2.0 * ws_size * col_nnz
    else:
        solve = (n * s * s / 2 + s ** 3 / 3) / 4
        epoch = 2.0 * ws_size * n
    return solve < max(last_epochs, 5) * epoch


def _gap_terms(df, pen, design, w, unpen, n_threads, bounds=(None, None), Xv=None,
               screen=None):
    """Primal, dual, gap correction, gradient and per-feature violation at the state."""
    grad = _full_gradient(design, Xv, df.py_raw(), n_threads, screen)
    primal = df.py_value() + pen.py_value(w)
    u = -grad
    t = pen.py_dual_scale(u)
    dual = df.py_dual_value(t) + pen.py_dual(u, t)
    viol = pen.py_subdiff_dist(w, grad)
    # An unpenalized coordinate has conjugate ind{u_j = 0} (the support function of its
    # interval when it is bounded).  Where that conjugate is finite at u_j = -t g_j it
    # enters the dual exactly.  Where it is not, primal - dual holds the term t w_j g_j,
    # which is zero only at optimality and may be negative: it is replaced by
    # |t w_j g_j| plus the decrease one exact (projected) coordinate step would still
    # give, so that the criterion cannot undershoot through these coordinates.
    extra = 0.0
    if unpen.size:
        L = df.py_lipschitz()[unpen]
        g, wj = grad[unpen], w[unpen]
        v = -t * g
        lower, upper = bounds
        lo = np.full(unpen.size, -np.inf) if lower is None else lower[unpen]
        hi = np.full(unpen.size, np.inf) if upper is None else upper[unpen]
        side = np.where(v > 0, hi, np.where(v < 0, lo, 0.0))
        finite = np.isfinite(side)
        dual -= float(np.sum(side[finite] * v[finite]))
        rest = ~finite
        g, wj, L, lo, hi = g[rest], wj[rest], L[rest], lo[rest], hi[rest]
        tw = t * wj * g
        ok = L > 0
        d = np.clip(wj[ok] - g[ok] / L[ok], lo[ok], hi[ok]) - wj[ok]
        extra = float(np.sum(np.abs(tw) - tw) - np.sum(g[ok] * d + 0.5 * L[ok] * d * d))
    return primal, dual, extra, grad, viol, t


class GreedyBCD:
    r"""Block coordinate descent for ``min_w f(Xw + b) + g(w)`` with working sets.

    A datafit, a penalty and a selection rule are chosen independently; any combination
    runs. Each outer iteration computes the full gradient and the duality gap, stops when
    the relative gap reaches ``tol``, and otherwise solves the problem restricted to a
    working set (the current support plus the features that violate optimality the
    most) with coordinate updates and Anderson extrapolation.

    Parameters
    ----------
    datafit : Datafit
        e.g. :class:`~sparseopt.bcd.Quadratic`, :class:`~sparseopt.bcd.Logistic`.
    penalty : Penalty
        e.g. :class:`~sparseopt.bcd.L1`, :class:`~sparseopt.bcd.ElasticNet`. With
        :class:`~sparseopt.bcd.GroupL1` the groups are the blocks: one proximal
        gradient step per group, with working sets of groups, for single-output
        datafits; ``selection`` must then be "cyclic" or "random", and ``blocks``,
        ``block_size``, ``update``, ``screening`` and ``support_solve`` do not apply.
    selection : {"cyclic", "random", "gs", "gsl", "gsq", "gsd"}, default="cyclic"
        Which block to update next within a working set. "cyclic" and "random" take the
        blocks in turn or at random. The greedy rules pick the block that promises the
        most progress, from the current gradient g and the optimality violation
        :math:`s_i` (the distance from :math:`-g_i` to the penalty's subdifferential):
        "gs" (Gauss-Southwell) the largest :math:`\|s_b\|`, "gsl" the largest
        :math:`\|s_b\|^2 / L_b`, "gsd" the largest :math:`\sum_{i \in b} s_i^2 / d_i`
        with per-coordinate bounds :math:`d_i`, and "gsq" (GS-q) the largest decrease of
        the block's separable quadratic model, penalty included.
    blocks : {"contiguous", "sorted", "variable"}, default="contiguous"
        Fixed blocks of ``block_size`` coordinates, consecutive in index order
        ("contiguous") or after sorting the working set by Lipschitz constant
        ("sorted"); or "variable" blocks: the ``block_size`` coordinates with the
        largest scores (random ones for ``selection="random"``).
    block_size : int, default=1
        Coordinates per block (:math:`\tau`).
    update : {"auto", "coordinate", "gradient", "newton"}, default="auto"
        How a block is updated. With one-coordinate blocks and the cyclic or random
        rule, "coordinate" takes proximal coordinate steps with the coordinate
        Lipschitz bounds (exact minimization for least squares), accelerated by Anderson
        extrapolation, and "newton" takes proximal Newton steps on the whole working set
        (its second-order model minimized by coordinate descent, then a line search);
        "auto" uses "newton" for the logistic and multinomial datafits (switching to
        "coordinate" for the multinomial one if Newton stops making progress: its model
        keeps only the diagonal of the softmax Hessian) and "coordinate" otherwise.
        With blocks or greedy rules, "gradient" (or "coordinate") takes one proximal gradient
        step with the block's bound (:math:`L_b`, or :math:`d_i` per coordinate for
        "gsd"), and "newton" (the default for "auto") minimizes the block's quadratic
        model with the Hessian bound matrix exactly: the exact block minimizer for
        least squares, a majorization step otherwise.
    working_set : bool, default=True
        Solve a sequence of problems restricted to working sets (the support plus the
        largest violations). ``False`` runs the rule on all features, as in the paper's
        experiments.
    screening : bool, default=False
        Gap-safe screening [3]_: at each gap evaluation, remove the features that the
        gap proves to be zero at the optimum. The gradient and the gap are then computed
        on the remaining features: the gap of the reduced problem, which has the same
        solution and still bounds the suboptimality. Used when every feature is
        penalized. With working sets it rarely pays (the working set already keeps the
        inner solves away from those features, and the outer gradient is a small part
        of the time); without them (``working_set=False``) the rules run on the
        remaining features only.
    support_solve : bool, default=True
        For least squares with an elastic-net-family penalty: once the support and its
        signs repeat between outer iterations, solve the linear system they define and
        move toward its solution (kept when the gap improves), when that is predicted
        to cost less than an inner solve. With MCP, SCAD or CEL0 the same is done once
        the signs and the penalty's quadratic pieces repeat, when the region's
        quadratic is convex (kept when the objective does not increase). Turn it off to
        study a selection rule alone.
    tol : float, default=1e-6
        Target relative duality gap; for a nonconvex penalty (no duality gap), target
        largest optimality violation relative to the largest gradient entry at 0.
    max_iter : int, default=100
        Maximum outer iterations.
    max_epochs : int, default=10_000
        Maximum coordinate epochs per outer iteration.
    ws_start : int, default=10
        Smallest working set.
    anderson : int, default=5
        Iterates combined by Anderson extrapolation in the cyclic and random coordinate
        updates (0 disables it).
    path_steps : int, default=1
        Continuation for a nonconvex penalty with an ``alpha_max`` (MCP, SCAD) solved
        from 0: solve at ``path_steps`` alphas geometric from ``alpha_max`` down to the
        penalty's alpha, each stage started from the previous one, on the same datafit
        (1: solve at alpha only). The stationary point reached depends on the path;
        see :class:`~sparseopt.linear_model.MCPRegressor`.
    path_tol : float, default=1e-2
        The stages before the last stop at a largest violation of ``path_tol`` times
        their alpha.
    random_state : int, RandomState instance or None, default=None
        Seed of the random selection.
    n_threads : int, optional
        Threads for the full-gradient computation.
    verbose : int, default=0
        Print one line per outer iteration.

    See Also
    --------
    sparseopt.linear_model.Lasso, sparseopt.linear_model.ElasticNet

    References
    ----------
    .. [1] J. Nutini, I. Laradji, M. Schmidt, "Let's Make Block Coordinate Descent
       Converge Faster: Faster Greedy Rules, Message-Passing, Active-Set Complexity,
       and Superlinear Convergence", JMLR 23(131), 2022.
    .. [2] Q. Bertrand, Q. Klopfenstein, P.-A. Bannier, G. Gidel, M. Massias, "Beyond L1:
       Faster and Better Sparse Models with skglm", NeurIPS 2022.
    .. [3] E. Ndiaye, O. Fercoq, A. Gramfort, J. Salmon, "Gap Safe Screening Rules for
       Sparsity Enforcing Penalties", JMLR 18(128), 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.bcd import GreedyBCD, L1, Quadratic
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.standard_normal((50, 20)), rng.standard_normal(50)
    >>> res = GreedyBCD(Quadratic(), L1(alpha=0.1), tol=1e-10).solve(X, y)
    >>> res.converged, res.rel_gap <= 1e-10
    (True, True)
    """

    def __init__(self, datafit: Datafit, penalty: Penalty, *, selection: str = "cyclic",
                 blocks: str = "contiguous", block_size: int = 1, update: str = "auto",
                 working_set: bool = True, screening: bool = False,
                 support_solve: bool = True, tol: float = 1e-6,
                 max_iter: int = 100,
                 max_epochs: int = 10_000, ws_start: int = 10, anderson: int = 5,
                 path_steps: int = 1, path_tol: float = 1e-2,
                 random_state=None, n_threads: int | None = None, verbose: int = 0):
        self.datafit = datafit
        self.penalty = penalty
        self.selection = selection
        self.blocks = blocks
        self.block_size = block_size
        self.update = update
        self.working_set = working_set
        self.screening = screening
        self.support_solve = support_solve
        self.tol = tol
        self.max_iter = max_iter
        self.max_epochs = max_epochs
        self.ws_start = ws_start
        self.anderson = anderson
        self.path_steps = path_steps
        self.path_tol = path_tol
        self.random_state = random_state
        self.n_threads = n_threads
        self.verbose = verbose

    def _validate(self):
        if not isinstance(self.datafit, Datafit):
            raise TypeError(f"datafit must be a sparseopt.bcd Datafit, got "
                            f"{type(self.datafit).__name__}")
        if not isinstance(self.penalty, Penalty):
            raise TypeError(f"penalty must be a sparseopt.bcd Penalty, got "
                            f"{type(self.penalty).__name__}")
        if self.selection not in RULES:
            raise ValueError(f"selection must be one of {list(RULES)}, "
                             f"got {self.selection!r}")
        if self.blocks not in _BLOCKS:
            raise ValueError(f"blocks must be one of {list(_BLOCKS)}, got {self.blocks!r}")
        if self.selection == "cyclic" and self.blocks == "variable":
            raise ValueError('selection="cyclic" needs fixed blocks: use blocks='
                             '"contiguous" or "sorted" (or selection="random")')
        check_scalar(self.block_size, "block_size", Integral, min_val=1)
        for name in ("working_set", "screening", "support_solve"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"{name} must be a bool, got {getattr(self, name)!r}")
        if self.update not in _UPDATES:
            raise ValueError(f"update must be one of {list(_UPDATES)}, got {self.update!r}")
        check_scalar(self.tol, "tol", Real, min_val=0)
        check_scalar(self.max_iter, "max_iter", Integral, min_val=1)
        check_scalar(self.max_epochs, "max_epochs", Integral, min_val=1)
        check_scalar(self.ws_start, "ws_start", Integral, min_val=1)
        check_scalar(self.anderson, "anderson", Integral, min_val=0, max_val=10)
        check_scalar(self.path_steps, "path_steps", Integral, min_val=1)
        check_scalar(self.path_tol, "path_tol", Real, min_val=0)

    def solve(self, X, y, *, sample_weight=None, fit_intercept: bool = False,
              coef_init=None, intercept_init: float = 0.0) -> BCDResult:
        """Minimize the objective on data ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Design matrix (dense is used Fortran-ordered, sparse as CSC; float64).
        y : array-like of shape (n_samples,)
            Targets (labels -1/+1 for the logistic datafit).
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative sample weights.
        fit_intercept : bool, default=False
            Fit an unpenalized intercept.
        coef_init : array-like of shape (n_features,), optional
            Warm start.
        intercept_init : float, default=0.0
            Warm start of the intercept.

        Returns
        -------
        result : BCDResult
            Coefficients, intercept, gap, iterations, history.
        """
        self._validate()
        from .group import GroupL1, solve_group

        if isinstance(self.penalty, GroupL1):  # the groups are the blocks: group loop
            return solve_group(self, X, y, sample_weight=sample_weight,
                               fit_intercept=fit_intercept, coef_init=coef_init,
                               intercept_init=intercept_init)
        t_start = time.perf_counter()
        design, Xv = _make_design(X, return_matrix=True)
        n, p = design.n_samples, design.n_features
        y, sw = _check_y_and_weights(self.datafit, y, sample_weight, n)
        # A K-output datafit (Multinomial) sees p K coordinates through a wrapped design;
        # Xg is the matrix for the numpy shortcuts, which only a one-output model has.
        p_in = p
        design, y_df, sw_df, n_out = self.datafit._adapt(design, y, sw)
        p = design.n_features
        Xg = Xv if n_out == 1 else None
        if n_out > 1 and fit_intercept:
            raise ValueError(f"fit_intercept is not supported by {type(self.datafit).__name__}"
                             ": add a column of ones to X with penalty weight 0 instead")
        n_threads = effective_n_threads(self.n_threads)
        # One-coordinate cyclic/random updates run the Anderson-accelerated loop (or
        # proximal Newton); blocks and greedy rules run the rules' loop.
        plain = (self.selection in _SELECTIONS and self.block_size == 1
                 and self.blocks != "variable")
        newton = plain and (self.update == "newton" or (
            self.update == "auto" and isinstance(self.datafit, (Logistic, Multinomial))))
        block_update = UPDATES["gradient" if self.update in ("coordinate", "gradient")
                               else "newton"]
        seed = check_random_state(self.random_state).randint(0, 2**31 - 1)
        df = self.datafit._make(design, y_df, sw_df)
        pen = self.penalty._make(p)
        if hasattr(pen, "py_set_lipschitz"):  # penalties whose optimality uses L_j (L0)
            pen.py_set_lipschitz(df.py_lipschitz())
        curvatures = None
        if hasattr(pen, "py_set_curvatures") and isinstance(self.datafit, Quadratic):
            # MCP, SCAD: with the exact coordinate curvatures (least squares), a zero
            # coefficient is optimal only if the exact coordinate step keeps it at 0
            curvatures = df.py_lipschitz()
            pen.py_set_curvatures(curvatures)
        unpen = np.flatnonzero(self.penalty.weights == 0) if getattr(
            self.penalty, "weights", None) is not None else np.empty(0, dtype=np.intp)
        if self.penalty.alpha == 0:
            unpen = np.arange(p)
        bounds = self.penalty._bounds_arrays(p) if hasattr(
            self.penalty, "_bounds_arrays") else (None, None)

        # Normalisation of the gap: the objective at w = 0 (with the best intercept).
        b = np.array([0.0])
        df.set_coef(np.zeros(p), 0.0)
        if fit_intercept:
            polish_intercept(df, b)
        f0 = max(df.py_value(), np.finfo(float).tiny)
        # A nonconvex penalty has no duality gap: the criterion is then the largest
        # optimality violation relative to the gradient's scale at w = 0.
        convex = bool(getattr(pen, "convex", True))
        g0 = 1.0
        grad_zero = None
        if not convex:
            grad_zero = _full_gradient(design, Xg, df.py_raw(), n_threads)
            g0 = float(np.abs(grad_zero).max(initial=0.0)) or 1.0

        if coef_init is None:
            w = np.zeros(p)
        else:
            shape = (p,) if n_out == 1 or np.ndim(coef_init) == 1 else (p_in, n_out)
            w = check_array(coef_init, "coef_init", shape=shape, dtype=np.float64,
                            copy=True).ravel()
            if bounds[0] is not None:  # start from a feasible point
                np.clip(w, bounds[0], bounds[1], out=w)
            w = np.ascontiguousarray(w)
        b[0] = float(intercept_init) if fit_intercept else 0.0

        history, n_epochs, n_updates, converged, stalled_out = [], 0, 0, False, False
        rules_cache, gram_cache, last_epochs = {}, {}, 5
        # least squares on a dense X: the working set's Gram matrix may pay (_gram_pays)
        is_ls = isinstance(self.datafit, Quadratic) and not sp.issparse(Xv)
        screen = None
        if (self.screening and unpen.size == 0 and p
                and hasattr(self.penalty, "_zero_interval")):
            # theta is dual-feasible only when every feature is penalized
            screen = _Screening(Xg, self.penalty, p, df.py_lipschitz())
        best_rel, stalled = np.inf, 0
        # least squares with an elastic-net-family penalty: the support solve applies
        support_solve = (self.support_solve and isinstance(self.datafit, Quadratic)
                         and n_out == 1
                         and hasattr(self.penalty, "_zero_interval") and p > 0)
        prev_signs, tried_key, n_support_solves = None, None, 0
        # least squares with MCP, SCAD or CEL0: the solve on fixed signs and pieces
        folded_solve = (self.support_solve and isinstance(self.datafit, Quadratic)
                        and n_out == 1 and not convex and p > 0
                        and _folded_pieces(self.penalty, np.ones(1), np.zeros(1, int),
                                           np.ones(1)) is not None)
        lips = df.py_lipschitz() if folded_solve else None
        prev_key = None
        sign_history = []  # the sign pattern at each outer iteration
        ws_size = min(self.ws_start, p)
        gap = rel = crit = max_viol = np.inf
        # Continuation (path_steps > 1, nonconvex penalties, no warm start): solve first
        # at alphas from alpha_max down, each stage started from the previous one.
        stages = self._stages(grad_zero, coef_init is None) if not convex else []
        stages.append((self.penalty, self.tol))
        for stage, (spec, tol) in enumerate(stages):
            if stage:  # the next alpha: a new penalty, the same datafit and design
                pen = spec._make(p)
                if hasattr(pen, "py_set_lipschitz"):
                    pen.py_set_lipschitz(df.py_lipschitz())
                if curvatures is not None:
                    pen.py_set_curvatures(curvatures)
                converged, stalled_out, best_rel, stalled = False, False, np.inf, 0
                prev_signs, tried_key, prev_key = None, None, None
            for it in range(1, self.max_iter + 1):
                df.set_coef(w, b[0])  # recompute the state from scratch: no drift
                if fit_intercept:
                    polish_intercept(df, b)
                primal, dual, extra, grad, viol, t_dual = _gap_terms(
                    df, pen, design, w, unpen, n_threads, bounds, Xg, screen)
                gap = primal - dual + extra
                rel = gap / f0
                max_viol = float(viol.max(initial=0.0))
                if not convex:
                    gap = rel = np.nan
                # Once the support and its signs repeat, try the exact solution on them.
                signs = np.sign(w)
                if (support_solve and convex and rel > tol and prev_signs is not None
                        and tried_key != signs.tobytes()
                        and np.array_equal(signs, prev_signs)
                        and _support_solve_pays(Xv, w, ws_size, last_epochs)):
                    tried_key = signs.tobytes()
                    cand = _support_solve(Xv, y, sw, df.S, w, b[0], fit_intercept, spec,
                                          bounds)
                    if cand is not None:
                        w_old, b_old = w.copy(), b[0]
                        w[:], b[0] = cand
                        df.set_coef(w, b[0])
                        if fit_intercept:
                            polish_intercept(df, b)
                        terms = _gap_terms(df, pen, design, w, unpen, n_threads, bounds, Xg,
                                           screen)
                        cand_gap = terms[0] - terms[1] + terms[2]
                        if cand_gap < gap:
                            primal, dual, extra, grad, viol, t_dual = terms
                            gap, rel = cand_gap, cand_gap / f0
                            max_viol = float(viol.max(initial=0.0))
                            n_support_solves += 1
                        else:  # not better: back to the iterate
                            w[:], b[0] = w_old, b_old
                            df.set_coef(w, b[0])
                        signs = np.sign(w)
                elif (folded_solve and not convex and prev_key is not None
                      and max_viol > tol * g0 and tried_key != prev_key
                      and prev_key == _region_key(spec, w, lips)
                      and _support_solve_pays(Xv, w, ws_size, last_epochs)):
                    # the nonconvex counterpart: same signs and same penalty pieces twice
                    tried_key = prev_key
                    cand = _folded_support_solve(Xv, y, sw, df.S, w, b[0], fit_intercept,
                                                 spec, lips)
                    if cand is not None:
                        w_old, b_old = w.copy(), b[0]
                        w[:], b[0] = cand
                        df.set_coef(w, b[0])
                        if fit_intercept:
                            polish_intercept(df, b)
                        terms = _gap_terms(df, pen, design, w, unpen, n_threads, bounds, Xg,
                                           screen)
                        if terms[0] <= primal:  # a descent step (the piece is convex)
                            primal, dual, extra, grad, viol, t_dual = terms
                            max_viol = float(viol.max(initial=0.0))
                            n_support_solves += 1
                        else:
                            w[:], b[0] = w_old, b_old
                            df.set_coef(w, b[0])
                        signs = np.sign(w)
                if folded_solve:
                    prev_key = _region_key(spec, w, lips)
                prev_signs = signs
                rec = {"rel_gap": rel, "primal": primal, "violation": max_viol,
                       "time": time.perf_counter() - t_start,
                       "support_size": int(np.count_nonzero(signs))}
                sign_history.append(signs.tobytes())
                crit = rel if convex else max_viol / g0
                if crit <= tol or max_viol == 0.0:
                    converged = True
                    rec.update(ws_size=0, epochs=0, updates=0)
                    history.append(rec)
                    break
                if screen is not None:
                    rec["screened"] = screen.n_screened + screen.update(gap, t_dual, grad, w)
                    viol[~screen.mask] = 0.0
                # At the floating-point floor of the gap (tol too small) nothing improves:
                # stop after STALL_ROUNDS rounds without a better gap, unconverged.
                if crit < best_rel * (1 - 1e-3):
                    best_rel, stalled = crit, 0
                elif newton and self.update == "auto" and not df.exact_hessian_diag:
                    newton, stalled = False, 0  # the diagonal model is exhausted: plain CD
                else:
                    stalled += 1
                    if stalled >= _STALL_ROUNDS:
                        rec.update(ws_size=0, epochs=0, updates=0)
                        history.append(rec)
                        stalled_out = True
                        break
                # Working set: the support, then the largest violations.
                # The support and the unpenalized features are always in; as in skglm the
                # set is twice their number (at least ws_start), and the largest violations
                # outside them fill the rest, so the set follows the support as it grows.
                forced = w != 0
                if unpen.size:
                    forced[unpen] = True
                n_forced = int(forced.sum())
                ws_size = min(p, max(self.ws_start, 2 * n_forced)) if self.working_set else p
                score = viol.copy()
                score[forced] = np.inf
                if screen is not None and screen.n_screened:
                    score[~screen.mask] = -np.inf
                    ws_size = min(ws_size, screen.active.size)
                if not self.working_set and screen is not None:
                    ws = screen.active
                elif ws_size < p:
                    ws = np.argpartition(-score, ws_size - 1)[:ws_size]
                else:
                    ws = np.arange(p)
                ws = np.sort(ws).astype(np.int32)
                inner_tol = 0.3 * max_viol
                if not plain:
                    updates = self._run_rules(df, pen, w, b, ws, Xv, sw, n_out, fit_intercept,
                                              inner_tol, block_update, seed + it, n_threads,
                                              rules_cache)
                    epochs = -(-updates * min(self.block_size, len(ws)) // max(len(ws), 1))
                elif newton:
                    _, epochs, _ = prox_newton(df, pen, w, b, ws, 50, 10, inner_tol,
                                               fit_intercept)
                    updates = epochs * len(ws)
                elif is_ls and _gram_pays(n, len(ws), int(np.count_nonzero(w[ws])), last_epochs,
                                          gram_cache.get("key") == ws.tobytes()):
                    key = ws.tobytes()
                    if gram_cache.get("key") != key:
                        B, xbar = _hessian_bound(Xv, ws, sw, df.S, 1.0, fit_intercept)
                        gram_cache.update(key=key, B=B, xbar=xbar)
                    g_ws = np.ascontiguousarray(grad[ws])
                    epochs, _, _ = cd_epochs_gram(
                        pen, w, b, ws, gram_cache["B"], g_ws, gram_cache["xbar"],
                        df.py_grad_intercept() if fit_intercept else 0.0, self.max_epochs,
                        inner_tol, fit_intercept, _SELECTIONS[self.selection], self.anderson,
                        5, seed + it)
                    updates = epochs * len(ws)
                else:
                    epochs, _, _ = cd_epochs(
                        df, pen, w, b, ws, self.max_epochs, inner_tol, fit_intercept,
                        _SELECTIONS[self.selection], self.anderson, 5, seed + it)
                    updates = epochs * len(ws)
                last_epochs = epochs
                n_updates += updates
                n_epochs += epochs
                rec.update(ws_size=len(ws), epochs=epochs, updates=updates)
                history.append(rec)
                if self.verbose:
                    print(f"[GreedyBCD] iter {it}: rel. gap {rel:.3e}, violation "
                          f"{max_viol:.3e}, working set {len(ws)}, epochs {epochs}")
            else:
                converged = False

        if not converged:
            what = "relative duality gap" if convex else "relative optimality violation"
            why = (f"the {what} stopped decreasing for {_STALL_ROUNDS} iterations (tol may "
                   f"be below its floating-point accuracy)" if stalled_out else
                   f"after {len(history)} outer iterations; increase max_iter or max_epochs")
            warnings.warn(
                f"GreedyBCD did not converge: {what} {crit:.3e} > tol {self.tol:.1e}: "
                f"{why}.", ConvergenceWarning, stacklevel=2)
        # The outer iteration from which the sign pattern (support and signs) stayed the
        # final one: where the support was identified.
        identified = len(sign_history)
        while identified > 1 and sign_history[identified - 2] == sign_history[-1]:
            identified -= 1
        return BCDResult(coef=w if n_out == 1 else w.reshape(p_in, n_out),
                         intercept=float(b[0]), gap=float(gap), rel_gap=float(rel),
                         n_iter=len(history), n_epochs=n_epochs, converged=converged,
                         history=history, n_updates=n_updates, violation=max_viol,
                         support_identified_at=identified if sign_history else 0,
                         rel_violation=max_viol / g0 if not convex else np.nan,
                         screened=(np.flatnonzero(~screen.mask) if screen is not None
                                   else np.empty(0, dtype=np.intp)))

    def _stages(self, grad_zero, from_zero):
        """The (penalty, tol) of the continuation stages before the target: alphas
        geometric from alpha_max (excluded: 0 is the solution there) to alpha (excluded),
        each solved to path_tol times its alpha (tol is relative to the gradient at 0,
        whose largest entry is alpha_max without weights)."""
        pen = self.penalty
        if (self.path_steps <= 1 or not from_zero or not hasattr(pen, "alpha_max")
                or not pen.alpha > 0):
            return []
        amax = pen.alpha_max(grad_zero)
        g0 = float(np.abs(grad_zero).max(initial=0.0))
        if not amax > pen.alpha or g0 <= 0:
            return []
        stages = []
        for a in np.geomspace(amax, pen.alpha, self.path_steps + 1)[1:-1]:
            spec = copy.copy(pen)
            spec.alpha = float(a)
            stages.append((spec, max(self.tol, self.path_tol * a / g0)))
        return stages

    def _run_rules(self, df, pen, w, b, ws, Xv, sw, n_out, fit_intercept, tol, block_update,
                   seed, n_threads, cache):
        """Set up the blocks and bounds of one working set and run the rules' loop."""
        m, tau = len(ws), min(self.block_size, len(ws))
        gram_grad = isinstance(self.datafit, Quadratic) and m <= _GRAM_MAX
        variable = self.blocks == "variable"
        # The bounds depend on the working set only: reuse them while it stays the same
        # (always, with working_set=False).
        key = ws.tobytes()
        if cache.get("key") != key:
            S, curvature = df.S, df.py_curvature()
            B = xbar = None
            if m <= _GRAM_MAX:
                B, xbar = _hessian_bound(Xv, ws, sw, S, curvature,
                                         gram_grad and fit_intercept, n_out)
            if variable:
                ptr, idx, Lb = np.zeros(1, np.int32), np.zeros(0, np.int32), np.zeros(0)
            else:
                order = np.arange(m)
                if self.blocks == "sorted":
                    order = np.argsort(-df.py_lipschitz()[ws], kind="stable")
                ptr, idx, Lb = _fixed_blocks(order, tau, B, Xv, ws, sw, S, curvature, n_out)
            dvec = _diagonal_bounds(B, tau, None if variable else (ptr, idx),
                                    df.py_lipschitz()[ws])
            struct = None
            if (sp.issparse(Xv) and n_out == 1 and not gram_grad
                    and self.selection not in _SELECTIONS):
                struct = _sparse_structure(Xv, ws)
            cache.update(key=key, B=B, xbar=xbar, dvec=np.ascontiguousarray(dvec),
                         ptr=ptr, idx=idx, Lb=Lb, struct=struct)
        B, xbar, dvec = cache["B"], cache["xbar"], cache["dvec"]
        ptr, idx, Lb = cache["ptr"], cache["idx"], cache["Lb"]
        n_blocks = -(-m // tau)
        updates, _ = greedy_bcd(
            df, pen, w, b, ws, B, xbar, ptr, idx, Lb, dvec,
            RULES[self.selection], variable, tau, block_update, gram_grad,
            self.max_epochs * n_blocks, tol, fit_intercept, seed,
            n_threads if sp.issparse(Xv) or n_out > 1 else 1,  # see _full_gradient
            cache["struct"])
        return updates


def duality_gap(datafit: Datafit, penalty: Penalty, X, y, coef, intercept: float = 0.0,
                *, sample_weight=None, fit_intercept: bool = False) -> tuple[float, float]:
    """Duality gap of a candidate solution, computed as every sparseopt solver does.

    The dual point is ``theta = -grad f(Xw + b)`` rescaled into the domain of the
    penalty's conjugate. With ``fit_intercept`` the intercept is first optimized with
    ``coef`` fixed (so that the dual point satisfies the intercept's constraint).

    Parameters
    ----------
    datafit, penalty : Datafit, Penalty
        The problem.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    coef : array-like of shape (n_features,)
    intercept : float, default=0.0
    sample_weight : array-like of shape (n_samples,), optional
    fit_intercept : bool, default=False

    Returns
    -------
    gap : float
        Primal minus dual objective (>= 0 up to rounding).
    rel_gap : float
        ``gap`` divided by the objective at ``coef = 0`` (with the best intercept).

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.bcd import L1, Quadratic, duality_gap
    >>> X, y = np.eye(3), np.array([1.0, -2.0, 0.1])
    >>> gap, rel = duality_gap(Quadratic(), L1(alpha=0.1), X, y, [0.7, -1.7, 0.0])
    >>> bool(abs(gap) < 1e-12)
    True
    """
    from .group import GroupL1, group_duality_gap

    if isinstance(penalty, GroupL1):
        return group_duality_gap(datafit, penalty, X, y, coef, intercept,
                                 sample_weight=sample_weight, fit_intercept=fit_intercept)
    design = _make_design(X)
    n, p = design.n_samples, design.n_features
    y = np.ascontiguousarray(datafit._check_y(check_array(y, "y", shape=(n,),
                                                            dtype=np.float64)))
    sw = None if sample_weight is None else np.ascontiguousarray(
        check_array(sample_weight, "sample_weight", shape=(n,), dtype=np.float64))
    p_in = p
    design, y, sw, n_out = datafit._adapt(design, y, sw)
    p = design.n_features
    shape = (p,) if n_out == 1 or np.ndim(coef) == 1 else (p_in, n_out)
    w = np.ascontiguousarray(check_array(coef, "coef", shape=shape, dtype=np.float64).ravel())
    df, pen = datafit._make(design, y, sw), penalty._make(p)
    b = np.array([0.0])
    df.set_coef(np.zeros(p), 0.0)
    if fit_intercept:
        polish_intercept(df, b)
    f0 = max(df.py_value(), np.finfo(float).tiny)
    b[0] = intercept if fit_intercept else 0.0
    df.set_coef(w, b[0])
    if fit_intercept:
        polish_intercept(df, b)
    unpen = np.flatnonzero(penalty.weights == 0) if getattr(
        penalty, "weights", None) is not None else np.empty(0, dtype=np.intp)
    if penalty.alpha == 0:
        unpen = np.arange(p)
    bounds = penalty._bounds_arrays(p) if hasattr(penalty, "_bounds_arrays") else (None, None)
    primal, dual, extra, _, _, _ = _gap_terms(df, pen, design, w, unpen, 1, bounds)
    gap = primal - dual + extra
    return float(gap), float(gap / f0)
