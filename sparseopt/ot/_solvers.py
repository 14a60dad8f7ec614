"""The entropic-OT solver loops on validated problems: log-domain Sinkhorn, absorbed-scaling
Sinkhorn, and Sinkhorn-Newton-Sparse (SNS).

Everything here works on a :class:`_Problem` whose weights are positive float64 vectors and
whose cost is a C-contiguous float64 or float32 matrix; the dual potentials ``f, g`` are
float64 and define the plan ``P = exp((f[:, None] + g[None, :] - M) / reg)``.  Every loop
stops on the L1 marginal error ``||P 1 - a||_1 + ||P^T 1 - b||_1``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from . import _sinkhorn as _k

# Scalings beyond these bounds are absorbed into the potentials (and the kernel rebuilt),
# so that u, v and K stay far from float64 overflow and underflow.
_ABSORB_HI = 1e50
_ABSORB_LO = 1e-50
# Entries of the plan are left out of its sums when all of them together weigh less
# than this fraction of the mass.
_SKIP = 1e-20
# A kernel matvec entry below this means the kernel lost a row or column to underflow.
_TINY = 1e-280


@dataclass
class _Problem:
    a: np.ndarray
    b: np.ndarray
    M: np.ndarray
    reg: float
    n_threads: int

    def __post_init__(self):
        self.log_a = np.log(self.a)
        self.log_b = np.log(self.b)
        # The plan's passes skip groups of entries below exp(zcut): n m of them carry
        # less than 1e-20 of the mass, far below the rounding of the sums they enter.
        n, m = self.M.shape
        self.zcut = float(np.log(_SKIP * self.a.sum() / max(n * m, 1)))


@dataclass
class _State:
    """Where a solver is: potentials, the error history and the counters."""

    f: np.ndarray
    g: np.ndarray
    errors: list = field(default_factory=list)
    n_iter: int = 0
    n_sinkhorn: int = 0
    n_newton: int = 0
    cg_iterations: int = 0
    converged: bool = False
    switched_at: int | None = None
    lm: float | None = None


def _lse_rows(pb, g):
    out = np.empty(pb.a.shape[0])
    _k.lse_rows(pb.M, g, pb.reg, out, pb.n_threads)
    return out


def _lse_cols(pb, f):
    out = np.empty(pb.b.shape[0])
    _k.lse_cols(pb.M, f, pb.reg, out, pb.n_threads)
    return out


def marginals(pb, f, g, tau=None, screen=None):
    """(rows, cols, total, cost, counts) of the plan at (f, g) in one pass.

    With a :class:`_Screen`, the pass runs over the screen's entries when it stands for
    the plan at (f, g), and otherwise records a new screen while it runs over M.
    """
    n, m = pb.M.shape
    rows, cols = np.empty(n), np.empty(m)
    counts = np.empty(n, dtype=np.int64) if tau is not None else None
    t = 0.0 if tau is None else float(tau)
    if screen is not None and screen.covers(f, g):
        # with counts, the counted entries (the Hessian's) are written on the way
        total, cost = _k.marginals_screened(
            screen.idx, screen.mval, screen.start, screen.len, screen.size, m, f, g, pb.reg,
            rows, cols, pb.a, pb.b, t, counts, pb.n_threads, screen.kept_idx,
            screen.kept_data)
        screen.kept_at = (f, g) if counts is not None else None
    elif screen is not None:
        total, cost, size = _k.marginals(
            pb.M, f, g, pb.reg, pb.zcut, rows, cols, pb.a, pb.b, t, counts, pb.n_threads,
            screen.idx, screen.mval, screen.start, screen.len, screen.zlow)
        screen.recorded(f, g, size)
    else:
        total, cost, _ = _k.marginals(pb.M, f, g, pb.reg, pb.zcut, rows, cols, pb.a, pb.b,
                                      t, counts, pb.n_threads)
    return rows, cols, total, cost, counts


class _Screen:
    """The entries of the plan that can matter while the potentials stay near (f0, g0).

    A dense pass at (f0, g0) records every entry whose exponent ``(f_i + g_j - M_ij) /
    reg`` is at least ``zcut - margin``. At (f, g) an entry's exponent has risen by at most
    ``rise = max(f - f0) + max(g - g0)``, so while ``rise <= margin * reg`` the entries left
    out are still below ``exp(zcut)`` (the bound the dense passes skip with) and the sums
    over the screen are those of the whole plan. Newton steps on a nearly sparse plan move
    the potentials by a few ``reg``: the line search and the sparsification then cost a
    pass over a few percent of M. Screens larger than ``fraction`` of M are not kept (a
    dense pass is as fast).
    """

    margin = 10.0
    fraction = 0.15

    def __init__(self, pb):
        n, m = pb.M.shape
        cap = max(int(self.fraction * n * m), 1)
        self.reg = pb.reg
        self.zlow = pb.zcut - self.margin
        self.idx = np.empty(cap, dtype=np.int32)
        self.mval = np.empty(cap, dtype=pb.M.dtype)
        self.start = np.empty(n, dtype=np.int64)
        self.len = np.empty(n, dtype=np.int64)
        self.size = -1
        self.f0 = self.g0 = None
        # the entries a screened pass counted, at the screen's positions (virtual memory
        # until written), and the potentials they belong to
        self.kept_idx = np.empty(cap, dtype=np.int64)
        self.kept_data = np.empty(cap)
        self.kept_at = None

    @staticmethod
    def possible(pb):
        return pb.M.shape[1] < 2**31 - 1

    def covers(self, f, g):
        if self.size < 0:
            return False
        rise = float((f - self.f0).max() + (g - self.g0).max())
        return rise <= self.margin * self.reg

    def recorded(self, f, g, size):
        self.size = int(size)
        self.f0, self.g0 = f.copy(), g.copy()
        self.kept_at = None

    def kept(self, f, g, counts):
        """The Hessian's entries as CSR if the last screened pass was at (f, g), else None."""
        if self.kept_at is None or self.kept_at[0] is not f or self.kept_at[1] is not g:
            return None
        n = counts.shape[0]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        pos = np.arange(int(indptr[-1])) + np.repeat(self.start - indptr[:-1], counts)
        return indptr, self.kept_idx[pos], self.kept_data[pos]


def l1_error(pb, rows, cols):
    return float(np.abs(rows - pb.a).sum() + np.abs(cols - pb.b).sum())


def plan_and_marginals(pb, f, g):
    """The plan at (f, g) (float64) with its row sums, column sums and ``<P, M>``, in one
    pass (the sums are those of the returned entries)."""
    n, m = pb.M.shape
    P, rows, cols = np.empty((n, m)), np.empty(n), np.empty(m)
    # exp is exactly 0 below -708: skipping those groups leaves every entry exact
    _, cost, _ = _k.marginals(pb.M, f, g, pb.reg, -708.0, rows, cols, pb.a, pb.b, 0.0, None,
                              pb.n_threads, plan=P)
    return P, rows, cols, cost


def _log_step(pb, st):
    """One log-domain Sinkhorn iteration; returns the L1 error of the plan it started from.

    Columns are fitted first, then rows (POT's order). Before the column update the rows
    are exact (fitted by the previous row update), so the error is that of the columns,
    read off the column log-sum-exp for free.
    """
    h = _lse_cols(pb, st.f)
    err = float(np.abs(np.exp((st.g + h) / pb.reg) - pb.b).sum())
    st.g = pb.reg * pb.log_b - h
    st.f = pb.reg * pb.log_a - _lse_rows(pb, st.g)
    return err


def _start(pb, st):
    """Fit columns then rows once from (f, g) in the log domain (stable at any reg)."""
    st.g = pb.reg * pb.log_b - _lse_cols(pb, st.f)
    st.f = pb.reg * pb.log_a - _lse_rows(pb, st.g)


def solve_log(pb, st, tol, max_iter, callback=None):
    """Log-domain Sinkhorn, POT's ``sinkhorn_log`` iterates: columns first, then rows."""
    # the first error needs both marginals (a warm start fits neither)
    rows, cols, *_ = marginals(pb, st.f, st.g)
    err = l1_error(pb, rows, cols)
    while True:
        st.errors.append(err)
        if err <= tol:
            st.converged = True
            return
        if st.n_iter >= max_iter:
            return
        err_next = _log_step(pb, st)
        st.n_iter += 1
        st.n_sinkhorn += 1
        if callback is not None:
            callback(st)
        err = err_next


class _Scaling:
    """Absorbed-scaling Sinkhorn: P = diag(u) K diag(v) with K = P(f, g) kept dense.

    Each iteration is two matrix-vector products over K (no exponential). When u or v
    leave [1e-50, 1e50] they are absorbed into (f, g) and K is rebuilt; when a product
    underflows (K lost a row or column) a log-domain iteration takes over for that step.
    """

    def __init__(self, pb, st):
        self.pb, self.st = pb, st
        n, m = pb.M.shape
        self.K = np.empty((n, m))
        self.Kv, self.KTu = np.empty(n), np.empty(m)
        # after a row update the row sums are exact and the error is that of the
        # columns; after a Newton step (or a warm start) they are not and are measured too
        self.rows_exact = True
        self._rebuild()

    def _rebuild(self):
        pb = self.pb
        _k.kernel(pb.M, self.st.f, self.st.g, pb.reg, self.K, pb.n_threads)
        self.u = np.ones(pb.a.shape[0])
        self.v = np.ones(pb.b.shape[0])
        self.stale = False

    def invalidate(self):
        """The potentials moved (a Newton step): K is rebuilt when Sinkhorn resumes."""
        self.rows_exact = False
        self.stale = True

    def absorb(self):
        """Move u, v into the potentials (the plan is unchanged)."""
        with np.errstate(divide="ignore"):
            self.st.f = self.st.f + self.pb.reg * np.log(self.u)
            self.st.g = self.st.g + self.pb.reg * np.log(self.v)

    def run(self, tol, max_iter, stop=None, callback=None, stop_err=-1.0):
        """Iterate until the L1 error <= tol, max_iter total iterations, the error <=
        ``stop_err``, or ``stop(st)`` (asked after 3 iterations, then every 10).

        The iterations run in compiled batches; Python only handles the rare events
        (absorbing the scalings, a log-domain step where the kernel underflows). Returns the
        last error (that of the plan at the returned potentials).
        """
        pb, st = self.pb, self.st
        if self.stale:
            self._rebuild()
        polled = stop is not None or callback is not None
        poll = 3                # the first poll comes early, then every 10 iterations
        have_ktu = False
        while True:
            cap = max(max_iter - st.n_iter, 0)
            cap = min(cap, poll if polled else 1000)
            poll = 10
            buf = np.empty(cap + 1)
            steps, status = _k.scaling_batch(
                self.K, self.u, self.v, pb.a, pb.b, self.KTu, self.Kv, buf, cap, tol,
                stop_err, self.rows_exact, _TINY, _ABSORB_LO, _ABSORB_HI, pb.n_threads,
                have_ktu)
            # a batch that ran out of steps leaves K^T u of the current u in KTu
            have_ktu = status == 0
            if steps:
                self.rows_exact = True
            st.n_iter += steps
            st.n_sinkhorn += steps
            if status == 4:         # u or v out of bounds: absorb them, rebuild K
                st.errors.extend(buf[:steps].tolist())
                self.absorb()
                self._rebuild()
                continue
            st.errors.extend(buf[:steps + 1].tolist())
            err = float(buf[steps])
            if callback is not None and steps:
                callback(st)
            if status == 1:
                st.converged = True
                break
            if status == 2 or st.n_iter >= max_iter:
                break
            if status == 3:         # the kernel lost a row or column: a log-domain step
                self._log_fallback()
                st.n_iter += 1
                st.n_sinkhorn += 1
                continue
            if stop is not None and stop(st):
                break
            st.errors.pop()         # the next batch measures this state again
        # the potentials now carry the scalings; K is rebuilt only if Sinkhorn resumes
        self.absorb()
        self.u[:] = 1.0
        self.v[:] = 1.0
        self.stale = True
        return err

    def _log_fallback(self):
        self.absorb()
        _log_step(self.pb, self.st)
        self.rows_exact = True
        self._rebuild()


def solve_scaling(pb, st, tol, max_iter, callback=None):
    _start(pb, st)
    st.n_iter += 1
    st.n_sinkhorn += 1
    _Scaling(pb, st).run(tol, max_iter, callback=callback)


# ---------------------------------------------------------------------------- SNS


@dataclass
class SNSOptions:
    """Tuning of the Newton stage (documented in :func:`sparseopt.ot.sinkhorn`)."""

    switch_tol: float = 5e-2        # try Newton once the L1 error is below this
    tau: float = 1e-4               # keep P_ij >= tau * min(a_i, b_j) in the Hessian
    tau_min: float = 1e-10
    cg_max_iter: int = 1000
    armijo: float = 1e-4
    max_halvings: int = 12
    poor_ratio: float = 0.5         # a step must halve the error while Sinkhorn's pace is
                                    # unknown (afterwards: beat it in the same time) ...
    fallback_iter: int = 20         # ... or Sinkhorn takes over for this many iterations
    auto: bool = False              # method="auto": switch only when Newton should pay off
    lm_init: float = 1e-3           # Levenberg-Marquardt shift, in units of ||grad||_inf ...
    lm_min: float = 1e-8
    lm_max: float = 1e2             # ... raised 10x per failed line search, up to this


def _dual(pb, f, g, total):
    return float(pb.a @ f + pb.b @ g - pb.reg * total)


def _hessian_part(pb, f, g, counts, tau, screen=None):
    """The kept entries of P (>= tau * min(a_i, b_j)) as CSR arrays."""
    if screen is not None:
        csr = screen.kept(f, g, counts)
        if csr is not None:
            return csr
    n = pb.a.shape[0]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    nnz = int(indptr[-1])
    indices = np.empty(nnz, dtype=np.int64)
    data = np.empty(nnz)
    filled = np.empty(n, dtype=np.int64)
    if screen is not None and screen.covers(f, g):
        _k.sparsify_screened(screen.idx, screen.mval, screen.start, screen.len, screen.size,
                             f, g, pb.reg, pb.a, pb.b, tau, indptr, indices, data, filled,
                             pb.n_threads)
    else:
        _k.sparsify(pb.M, f, g, pb.reg, pb.zcut, pb.a, pb.b, tau, indptr, indices, data,
                    filled, pb.n_threads)
    if (counts != filled).any():
        # rounding put a few entries on the other side of the threshold: compact the rows
        position = np.arange(nnz) - np.repeat(indptr[:-1], counts)
        keep = position < np.repeat(filled, counts)
        indices, data = indices[keep], data[keep]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(filled, out=indptr[1:])
    return indptr, indices, data


class _SinkhornRate:
    """Contraction per iteration of the Sinkhorn error, from its recent history."""

    def __init__(self, window=10, min_window=2):
        self.window, self.min_window = window, min_window

    def remaining(self, errors, tol):
        """Projected iterations to reach tol at the rate of the last ``window`` iterations
        (or as many as there are, at least ``min_window``; inf if not contracting)."""
        w = min(self.window, len(errors) - 1)
        if w < self.min_window:
            return np.inf
        if errors[-1] <= 0:
            return 0.0
        q = (errors[-1] / errors[-1 - w]) ** (1.0 / w)
        if not (q < 1.0):
            return np.inf
        return np.log(tol / errors[-1]) / np.log(q)


def _newton_passes(pb, sk, n_samples=2048):
    """Cost model of method="auto": a Newton stage's cost in exponential passes over M.

    When the plan is nearly sparse (the screen of :class:`_Screen` would hold at most
    ``_Screen.fraction`` of M, estimated from a fixed sample of entries at the current
    scalings), a stage is one dense pass that records the screen, then steps over the
    screen only: 6 passes (2 to 3 measured on the bench problems). Otherwise each step
    costs about 8 passes (its line-search passes, the sparsification and the CG on the
    kept entries: 6 to 10 pass-equivalents measured) and a stage about 10 steps.
    """
    n, m = pb.M.shape
    rng = np.random.default_rng(0)
    i, j = rng.integers(0, n, n_samples), rng.integers(0, m, n_samples)
    st = sk.st
    f = st.f[i] + pb.reg * np.log(sk.u[i])
    g = st.g[j] + pb.reg * np.log(sk.v[j])
    z = (f + g - pb.M[i, j]) / pb.reg
    frac = float(np.mean(z >= pb.zcut - _Screen.margin))
    if _Screen.possible(pb) and frac <= _Screen.fraction:
        return 6.0
    return 80.0


def solve_sns(pb, st, tol, max_iter, opts: SNSOptions, callback=None):
    """Sinkhorn warm start, then sparse Newton steps on the concave dual.

    Switch rule: Newton is tried once the Sinkhorn error is below ``switch_tol``; with
    ``opts.auto`` also only when Sinkhorn, at its observed rate, would need more iterations
    than a Newton stage is estimated to cost (measured in this run: the time of one kernel
    pass over M against one scaling iteration).
    """
    t0 = time.perf_counter()
    _start(pb, st)
    # for "auto": the time of one exponential pass over M (_start makes two)
    t_exp = (time.perf_counter() - t0) / 2
    st.n_iter += 1
    st.n_sinkhorn += 1
    sk = _Scaling(pb, st)
    rate = _SinkhornRate()
    fallback = opts.fallback_iter
    tau = opts.tau
    clock = {"t0": time.perf_counter(), "k0": st.n_iter}

    def should_switch(s):
        if s.errors[-1] > opts.switch_tol:
            return False
        if not opts.auto:
            return True
        done = s.n_iter - clock["k0"]
        if done < 3:
            return False
        t_it = (time.perf_counter() - clock["t0"]) / done
        newton_cost = _newton_passes(pb, sk) * t_exp / t_it     # in Sinkhorn iterations
        return rate.remaining(s.errors, tol) > newton_cost

    sinkhorn_pace = {"q": None, "t_it": None}   # per-iteration contraction and seconds

    def poor(err_old, err_new, t_step):
        """A Newton step is poor when Sinkhorn would have done better in the same time."""
        if err_new <= tol:
            return False
        q, t_it = sinkhorn_pace["q"], sinkhorn_pace["t_it"]
        if q is None:
            return err_new > opts.poor_ratio * err_old
        return err_new > err_old * q ** (t_step / t_it)

    while not st.converged and st.n_iter < max_iter:
        # ---- Sinkhorn stage (the warm start, or a fallback batch)
        t0, k0, e0 = time.perf_counter(), st.n_iter, len(st.errors)
        clock["t0"], clock["k0"] = t0, k0
        if st.switched_at is None:
            if opts.auto:
                sk.run(tol, max_iter, stop=should_switch, callback=callback)
            else:
                sk.run(tol, max_iter, callback=callback, stop_err=opts.switch_tol)
        else:
            sk.run(tol, min(max_iter, st.n_iter + fallback), callback=callback)
        done = st.n_iter - k0
        if done > rate.window:
            sinkhorn_pace["t_it"] = (time.perf_counter() - t0) / done
            e = st.errors[e0:]
            w = min(rate.window, len(e) - 1)
            sinkhorn_pace["q"] = min((e[-1] / e[-1 - w]) ** (1.0 / w), 1.0)
        if st.converged or st.n_iter >= max_iter:
            break
        if st.switched_at is None:
            st.switched_at = st.n_iter
        # ---- Newton stage
        ok = _newton_stage(pb, st, tol, max_iter, opts, tau, poor, callback)
        if st.converged:
            break
        if not ok:      # stalled: sparsify less, and let Sinkhorn move before retrying
            tau = max(tau * 0.1, opts.tau_min)
            fallback = min(2 * fallback, 5000)
        sk.invalidate()


def _newton_stage(pb, st, tol, max_iter, opts, tau, poor, callback):
    """Newton steps until converged (True), or a stall (False: the caller falls back)."""
    f, g = st.f, st.g
    lam = opts.lm_init if st.lm is None else st.lm
    screen = _Screen(pb) if _Screen.possible(pb) else None
    rows, cols, total, _, counts = marginals(pb, f, g, tau, screen)
    err = l1_error(pb, rows, cols)
    y0 = np.zeros(pb.b.shape[0])
    while True:
        if err <= tol:
            st.converged = True
            st.f, st.g = f, g
            return True
        if st.n_iter >= max_iter:
            st.f, st.g = f, g
            return True
        t_step = time.perf_counter()
        indptr, indices, data = _hessian_part(pb, f, g, counts, tau, screen)
        r1, r2 = pb.a - rows, pb.b - cols
        x, y = np.empty(pb.a.shape[0]), y0.copy()
        # Levenberg-Marquardt shift: where the kept entries leave the bipartite graph of P
        # disconnected, each component has a near-null direction (f + t, g - t on it) that
        # only the dropped mass penalises, and the undamped step along it can be huge. The
        # shift lam * ||grad||_inf bounds it; lam adapts (down after full steps, up after
        # failed line searches) and the shift vanishes as Newton converges.
        shift = lam * float(max(np.abs(r1).max(), np.abs(r2).max()))
        rtol = min(0.1, max(err, 1e-12))
        n_cg, _ = _k.newton_pcg(indptr, indices, data, pb.b.shape[0], rows, cols, shift,
                                r1, r2, x, y, rtol, opts.cg_max_iter, pb.n_threads)
        st.cg_iterations += int(n_cg)
        # Newton direction of the dual D(f, g) = <a,f> + <b,g> - reg sum P: its Hessian
        # is -H / reg with H = [diag(P1) P; P^T diag(P^T 1)], so the step is reg H^-1 grad
        df, dg = pb.reg * x, pb.reg * y
        slope = float(r1 @ df + r2 @ dg)
        d0 = _dual(pb, f, g, total)
        alpha, accepted = 1.0, False
        if slope > 0:
            for _ in range(opts.max_halvings):
                fn, gn = f + alpha * df, g + alpha * dg
                rn, cn, tn, _, kn = marginals(pb, fn, gn, tau, screen)
                if np.isfinite(tn) and _dual(pb, fn, gn, tn) >= d0 + opts.armijo * alpha * slope:
                    accepted = True
                    break
                alpha *= 0.5
        if not accepted:
            lam *= 10.0
            st.lm = lam
            if lam > opts.lm_max:
                st.lm = None
                st.f, st.g = f, g
                return False
            continue
        lam = max(lam * 0.1, opts.lm_min) if alpha == 1.0 else lam * (4.0 if alpha < 0.25 else 1.0)
        st.lm = lam
        err_new = l1_error(pb, rn, cn)
        st.n_iter += 1
        st.n_newton += 1
        f, g, rows, cols, total, counts = fn, gn, rn, cn, tn, kn
        st.f, st.g = f, g
        st.errors.append(err_new)
        if callback is not None:
            callback(st)
        if poor(err, err_new, time.perf_counter() - t_step):
            return False
        err = err_new
