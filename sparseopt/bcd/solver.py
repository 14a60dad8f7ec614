"""GreedyBCD: the Python front of the block coordinate descent engine.

The outer loop lives here: it computes the full gradient, the duality gap and the
optimality violations, chooses a working set, and hands it to the compiled inner loop
(``_solver.cd_epochs``), which runs coordinate updates with Anderson extrapolation
without the GIL.
"""

from __future__ import annotations

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
from ._solver import cd_epochs, polish_intercept, prox_newton
from .datafits import Datafit, Logistic
from .penalties import Penalty

__all__ = ["BCDResult", "GreedyBCD", "duality_gap"]

_SELECTIONS = {"cyclic": 0, "random": 1}
_UPDATES = ("auto", "coordinate", "newton")
_STALL_ROUNDS = 10


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
        Coordinate epochs over working sets, in total.
    converged : bool
        Whether ``rel_gap <= tol`` was reached.
    history : list of dict
        Per outer iteration: ``rel_gap``, ``primal``, ``violation`` (largest optimality
        violation), ``ws_size``, ``epochs``, ``time`` (seconds since the start).
    """

    coef: np.ndarray
    intercept: float
    gap: float
    rel_gap: float
    n_iter: int
    n_epochs: int
    converged: bool
    history: list = field(default_factory=list)


def _make_design(X):
    if sp.issparse(X):
        Xc = check_sparse(X, "X", formats=("csc",), dtype=np.float64)
        nnz = int(Xc.indptr[-1])
        return CSCDesign(np.ascontiguousarray(Xc.data[:nnz]), Xc.indices[:nnz], Xc.indptr,
                         Xc.shape[0])
    Xd = check_array(X, "X", ndim=2, dtype=np.float64, order="F")
    return DenseDesign(Xd)


def _gap_terms(df, pen, design, w, unpen, n_threads):
    """Primal, dual, gap correction, gradient and per-feature violation at the state."""
    grad = design.dot_columns(df.py_raw(), n_threads)
    primal = df.py_value() + pen.py_value(w)
    u = -grad
    t = pen.py_dual_scale(u)
    dual = df.py_dual_value(t) + pen.py_dual(u, t)
    viol = pen.py_subdiff_dist(w, grad)
    # An unpenalized coordinate has conjugate ind{u_j = 0}: primal - dual then holds the
    # term t w_j g_j, which is zero only at optimality and may be negative.  It is
    # replaced by |t w_j g_j| plus the decrease one exact coordinate step would still
    # give, g_j^2 / (2 L_j), so that the criterion cannot undershoot through them.
    extra = 0.0
    if unpen.size:
        L = df.py_lipschitz()[unpen]
        g = grad[unpen]
        tw = t * w[unpen] * g
        ok = L > 0
        extra = float(np.sum(np.abs(tw) - tw) + np.sum(g[ok] ** 2 / (2 * L[ok])))
    return primal, dual, extra, grad, viol


class GreedyBCD:
    """Block coordinate descent for ``min_w f(Xw + b) + g(w)`` with working sets.

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
        e.g. :class:`~sparseopt.bcd.L1`, :class:`~sparseopt.bcd.ElasticNet`.
    selection : {"cyclic", "random"}, default="cyclic"
        Order of coordinate updates within a working set.
    update : {"auto", "coordinate", "newton"}, default="auto"
        How the working-set block is updated: "coordinate" takes proximal coordinate
        steps with the coordinate Lipschitz bounds (exact minimization for least
        squares), accelerated by Anderson extrapolation; "newton" takes proximal Newton
        steps (the block's second-order model minimized by coordinate descent, then a
        line search). "auto" uses "newton" for the logistic datafit and "coordinate"
        otherwise.
    tol : float, default=1e-6
        Target relative duality gap.
    max_iter : int, default=100
        Maximum outer iterations.
    max_epochs : int, default=10_000
        Maximum coordinate epochs per outer iteration.
    ws_start : int, default=10
        Smallest working set.
    anderson : int, default=5
        Iterates combined by Anderson extrapolation (0 disables it).
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
                 update: str = "auto", tol: float = 1e-6, max_iter: int = 100,
                 max_epochs: int = 10_000, ws_start: int = 10, anderson: int = 5,
                 random_state=None, n_threads: int | None = None, verbose: int = 0):
        self.datafit = datafit
        self.penalty = penalty
        self.selection = selection
        self.update = update
        self.tol = tol
        self.max_iter = max_iter
        self.max_epochs = max_epochs
        self.ws_start = ws_start
        self.anderson = anderson
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
        if self.selection not in _SELECTIONS:
            raise ValueError(f"selection must be one of {sorted(_SELECTIONS)}, "
                             f"got {self.selection!r}")
        if self.update not in _UPDATES:
            raise ValueError(f"update must be one of {list(_UPDATES)}, got {self.update!r}")
        check_scalar(self.tol, "tol", Real, min_val=0)
        check_scalar(self.max_iter, "max_iter", Integral, min_val=1)
        check_scalar(self.max_epochs, "max_epochs", Integral, min_val=1)
        check_scalar(self.ws_start, "ws_start", Integral, min_val=1)
        check_scalar(self.anderson, "anderson", Integral, min_val=0, max_val=10)

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

        from ._solver import polish_intercept

        self._validate()
        t_start = time.perf_counter()
        design = _make_design(X)
        n, p = design.n_samples, design.n_features
        y = check_array(y, "y", ndim=1, dtype=np.float64)
        if y.shape[0] != n:
            raise ValueError(f"y must have {n} entries (the rows of X), got {y.shape[0]}")
        y = np.ascontiguousarray(self.datafit._check_y(y))
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
        n_threads = effective_n_threads(self.n_threads)
        newton = self.update == "newton" or (
            self.update == "auto" and isinstance(self.datafit, Logistic))
        seed = check_random_state(self.random_state).randint(0, 2**31 - 1)
        df = self.datafit._make(design, y, sw)
        pen = self.penalty._make(p)
        unpen = np.flatnonzero(self.penalty.weights == 0) if getattr(
            self.penalty, "weights", None) is not None else np.empty(0, dtype=np.intp)
        if self.penalty.alpha == 0:
            unpen = np.arange(p)

        # Normalisation of the gap: the objective at w = 0 (with the best intercept).
        b = np.array([0.0])
        df.set_coef(np.zeros(p), 0.0)
        if fit_intercept:
            polish_intercept(df, b)
        f0 = max(df.py_value(), np.finfo(float).tiny)

        if coef_init is None:
            w = np.zeros(p)
        else:
            w = check_array(coef_init, "coef_init", shape=(p,), dtype=np.float64, copy=True)
            w = np.ascontiguousarray(w)
        b[0] = float(intercept_init) if fit_intercept else 0.0

        history, n_epochs, converged, stalled_out = [], 0, False, False
        best_rel, stalled = np.inf, 0
        ws_size = min(self.ws_start, p)
        gap = rel = np.inf
        for it in range(1, self.max_iter + 1):
            df.set_coef(w, b[0])  # recompute the state from scratch: no drift
            if fit_intercept:
                polish_intercept(df, b)
            primal, dual, extra, grad, viol = _gap_terms(df, pen, design, w, unpen, n_threads)
            gap = primal - dual + extra
            rel = gap / f0
            max_viol = float(viol.max(initial=0.0))
            rec = {"rel_gap": rel, "primal": primal, "violation": max_viol,
                   "time": time.perf_counter() - t_start}
            if rel <= self.tol or max_viol == 0.0:
                converged = True
                rec.update(ws_size=0, epochs=0)
                history.append(rec)
                break
            # At the floating-point floor of the gap (tol too small) nothing improves:
            # stop after STALL_ROUNDS rounds without a better gap, unconverged.
            if rel < best_rel * (1 - 1e-3):
                best_rel, stalled = rel, 0
            else:
                stalled += 1
                if stalled >= _STALL_ROUNDS:
                    rec.update(ws_size=0, epochs=0)
                    history.append(rec)
                    stalled_out = True
                    break
            # Working set: the support, then the largest violations.
            support = w != 0
            n_supp = int(support.sum())
            # As in skglm: twice the support, at least ws_start.  The violators outside
            # the support fill the rest, so the set follows the support as it grows.
            ws_size = min(p, max(self.ws_start, 2 * n_supp))
            score = viol.copy()
            score[support] = np.inf
            if unpen.size:
                score[unpen] = np.inf
            if ws_size < p:
                ws = np.argpartition(-score, ws_size - 1)[:ws_size]
            else:
                ws = np.arange(p)
            ws = np.sort(ws).astype(np.int32)
            if newton:
                _, epochs, _ = prox_newton(df, pen, w, b, ws, 50, 10, 0.3 * max_viol,
                                           fit_intercept)
            else:
                epochs, _, _ = cd_epochs(
                    df, pen, w, b, ws, self.max_epochs, 0.3 * max_viol, fit_intercept,
                    _SELECTIONS[self.selection], self.anderson, 5, seed + it)
            n_epochs += epochs
            rec.update(ws_size=len(ws), epochs=epochs)
            history.append(rec)
            if self.verbose:
                print(f"[GreedyBCD] iter {it}: rel. gap {rel:.3e}, violation "
                      f"{max_viol:.3e}, working set {len(ws)}, epochs {epochs}")
        else:
            converged = False

        if not converged:
            why = (f"the gap stopped decreasing for {_STALL_ROUNDS} iterations (tol may be "
                   f"below the floating-point accuracy of the gap)" if stalled_out else
                   f"after {len(history)} outer iterations; increase max_iter or max_epochs")
            warnings.warn(
                f"GreedyBCD did not converge: relative duality gap {rel:.3e} > tol "
                f"{self.tol:.1e}: {why}.", ConvergenceWarning, stacklevel=2)
        return BCDResult(coef=w, intercept=float(b[0]), gap=float(gap), rel_gap=float(rel),
                         n_iter=len(history), n_epochs=n_epochs, converged=converged,
                         history=history)


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
    design = _make_design(X)
    n, p = design.n_samples, design.n_features
    y = np.ascontiguousarray(datafit._check_y(check_array(y, "y", shape=(n,),
                                                            dtype=np.float64)))
    sw = None if sample_weight is None else np.ascontiguousarray(
        check_array(sample_weight, "sample_weight", shape=(n,), dtype=np.float64))
    w = np.ascontiguousarray(check_array(coef, "coef", shape=(p,), dtype=np.float64))
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
    primal, dual, extra, _, _ = _gap_terms(df, pen, design, w, unpen, 1)
    gap = primal - dual + extra
    return float(gap), float(gap / f0)
