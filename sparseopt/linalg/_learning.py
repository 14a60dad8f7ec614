"""RelaxationLearner: choose SOR's omega across a sequence of systems from iteration counts."""

from __future__ import annotations

import json
from numbers import Integral, Real

import numpy as np

from ..utils.validation import check_array, check_scalar
from ._sor import pcg_ssor, sor, ssor

__all__ = ["RelaxationLearner"]

_SOLVERS = {"sor": sor, "ssor": ssor, "pcg_ssor": pcg_ssor}
_METHODS = ("tsallis-inf", "chebcb")
_STATE_VERSION = 1
# baseline of the reduced-variance loss estimator, in units of the running scale
_RV_BASELINE = 0.5
# default omega grids per method, equally spaced in log(2 - omega) (see the class Notes)
_DEFAULT_GRIDS = {"tsallis-inf": 2.0 - np.geomspace(1.0, 0.05, 10),
                  "chebcb": 2.0 - np.geomspace(1.0, 0.05, 20)}


def _tsallis_weights(L, eta):
    r"""The 1/2-Tsallis-INF distribution :math:`p_i = 4 / (\eta (L_i - x))^2`, sum 1.

    The normalizer ``x < min L`` is the root of an increasing convex function of x, inside
    ``[min L - 2 sqrt(K)/eta, min L - 2/eta]``. Newton's method from the right end (where
    the function is >= 0) descends to it monotonically and never leaves the domain (from
    the left it would overshoot past ``min L``).
    """
    x = L.min() - 2.0 / eta
    for _ in range(50):
        inv = 1.0 / (eta * (L - x))
        w = inv * inv
        f = 4.0 * w.sum() - 1.0
        x -= f / (8.0 * eta * np.dot(w, inv))
        if abs(f) < 1e-12:
            break
    inv = 1.0 / (L - x)
    p = inv * inv
    return p / p.sum()


# ChebCB's ridge penalty of T_j's coefficient is _RIDGE * (1 + j^2) (see the class Notes)
_RIDGE = 1e-3


def _ridge_penalty(n_features):
    """Ridge penalty of each Chebyshev coefficient: the prior ``|theta_j| ~ 1/j``."""
    j = np.arange(n_features, dtype=float)
    return _RIDGE * (1.0 + j * j)


def _chebyshev(z, degree):
    """T_0(z) ... T_degree(z) for z in [-1, 1]."""
    out = np.empty(degree + 1)
    out[0] = 1.0
    if degree >= 1:
        out[1] = z
    for k in range(2, degree + 1):
        out[k] = 2.0 * z * out[k - 1] - out[k - 2]
    return out


class RelaxationLearner:
    r"""Choose the relaxation parameter of each solve in a sequence, from iteration counts.

    Before every solve the learner picks ``omega`` from a grid; the solve's iteration count
    is its only feedback (a bandit problem). Two learners from Khodak et al. (2024):

    - ``"tsallis-inf"``: the 1/2-Tsallis-INF bandit (Zimmert & Seldin, 2021) over the grid,
      whose total cost approaches that of the **best fixed omega in hindsight**
      (regret :math:`O(\sqrt{KT})` for K grid points over T solves, adversarial sequences
      included);
    - ``"chebcb"``: a contextual bandit for **instance-dependent** omega. Given a scalar
      context per system (e.g. a diagonal shift or a diffusivity), it fits per grid point a
      least-squares model of the cost on Chebyshev polynomials of the context, and samples
      by inverse-gap weighting (SquareCB, Foster & Rakhlin 2020).

    Parameters
    ----------
    method : {"tsallis-inf", "chebcb"}, default="tsallis-inf"
        The learner.
    omegas : array-like, optional
        The grid of candidate values in ``(0, 2)``. Default: values from 1 to 1.95
        equally spaced in :math:`\log(2 - \omega)`, 10 for ``"tsallis-inf"``,
        ``2 - np.geomspace(1, 0.05, 10)``, and the paper's count of 20 for ``"chebcb"``,
        ``2 - np.geomspace(1, 0.05, 20)`` (see Notes).
    solver : {"sor", "ssor", "pcg_ssor"}, default="sor"
        What :meth:`solve` runs: :func:`sor`, :func:`ssor` or :func:`pcg_ssor`.
    tol : float, default=1e-8
        Solver tolerance (relative residual).
    maxiter : int, optional
        Solver iteration cap (the solver's default if None).
    context_range : tuple of float, optional
        ``(low, high)`` of the contexts, for ``"chebcb"``; by default the range of the
        contexts seen so far.
    degree : int, default=8
        Degree of the Chebyshev model (``"chebcb"``); high-order terms are damped by the
        ridge penalty (see Notes).
    exploration : float, default=1.0
        Scale of the inverse-gap weighting's :math:`\gamma_t = \text{exploration}
        \cdot 2t \sqrt{K t / (E_t + 0.01 t)}` (``"chebcb"``), where :math:`E_t` is the
        summed squared error of the model's online log-cost predictions before each
        solve: larger exploits sooner.
    random_state : int, Generator or None, default=None
        Seed of the sampling.

    Attributes
    ----------
    history_ : dict of lists
        ``"omega"``, ``"n_iter"`` and ``"context"`` of every solve, in order.
    n_solves_ : int
        Number of recorded solves.

    See Also
    --------
    optimal_omega : The classical optimum for consistently ordered matrices.

    Notes
    -----
    Iteration counts are measured in units of their running mean, as in [1]_: the loss of a
    solve of ``n`` iterations is :math:`\ell_t = (n - 1)/s_t` with :math:`s_t` the mean of
    ``n - 1`` over the solves so far, so the learner needs no bound on the counts.
    Tsallis-INF uses the learning rate :math:`\eta_t = 2/\sqrt{t}` and the reduced-variance
    loss estimator of [2]_, :math:`\hat\ell_i = \mathbb 1[i = I_t](\ell_t - B)/p_i + B`
    with :math:`B = 1/2` (only the played arm's iteration count is used).

    The default grids. Tsallis-INF learns nothing about a grid point it does not play, and
    its regret grows as :math:`\sqrt{KT}` in the number K of points, so its grid is coarse
    and spaced where SOR's cost changes: past the optimum the SOR iteration matrix has
    spectral radius :math:`\omega - 1`, so the iteration count grows like
    :math:`1/(2 - \omega)` near 2, and points equally spaced in :math:`\log(2 - \omega)`
    are equally far apart in relative cost. The same spacing covers every mesh size alike
    (the model problem's :math:`2 - \omega^* \approx 2\pi h`). The range is the paper's
    and K = 10 is half its 20 points: neighbours differ by a factor 1.39 in
    :math:`2 - \omega`. ChebCB keeps the paper's 20 points, as it chooses :math:`\omega`
    per instance to follow :math:`\omega^*(c)`, where resolution counts, but spaces them
    the same way (neighbours differ by a factor 1.17 in :math:`2 - \omega`): the paper's
    equal steps of 0.05 are 7 % of :math:`2 - \omega` at 1.33 and 33 % at 1.85, so its
    grid is coarsest where the cost is steepest, and spends 4 of its 20 points below 1.2,
    where no system of the study has its optimum and every exploration is expensive.

    ChebCB's model. Per grid point, the log-cost is regressed on :math:`T_0 \dots T_m` of
    the context by ridge regression with penalty :math:`10^{-3}(1 + j^2)` on the
    coefficient of :math:`T_j`: the Gaussian counterpart of the paper's box constraints
    :math:`|\theta_j| \le C/j` (the Chebyshev coefficients of a function of bounded
    variation decay like :math:`1/j`). A point seen a few times is then modelled by its
    low-order terms instead of an interpolating polynomial. The cost in the context can
    be far from polynomial: near a singular system (the shift approaching
    :math:`c_0 = -4(1 - \cos\pi h)` for the shifted Laplacian) the count grows like a
    negative power of :math:`c - c_0`, so the log-cost has a logarithmic singularity at
    :math:`c_0`, and its Chebyshev series converges slowly when :math:`c_0` is close to
    the context range. The default degree is therefore 8, above the paper's 5; the
    penalty keeps the extra terms small until the data supports them.

    References
    ----------
    .. [1] M. Khodak, E. Chow, M.-F. Balcan, A. Talwalkar, "Learning to Relax: Setting
       Solver Parameters Across a Sequence of Linear System Instances", ICLR 2024.
    .. [2] J. Zimmert, Y. Seldin, "Tsallis-INF: An Optimal Algorithm for Stochastic and
       Adversarial Bandits", JMLR 22 (2021).
    .. [3] D. Foster, A. Rakhlin, "Beyond UCB: Optimal and Efficient Contextual Bandits
       with Regression Oracles", ICML 2020.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from sparseopt.linalg import RelaxationLearner
    >>> T = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(10, 10))
    >>> L = (sp.kron(T, sp.eye(10)) + sp.kron(sp.eye(10), T)).tocsr()
    >>> learner = RelaxationLearner(random_state=0)
    >>> rng = np.random.default_rng(0)
    >>> for t in range(200):
    ...     res = learner.solve(L, rng.standard_normal(100))
    >>> len(learner.history_["omega"]), bool(res.converged)
    (200, True)
    """

    def __init__(self, method="tsallis-inf", *, omegas=None, solver="sor", tol=1e-8,
                 maxiter=None, context_range=None, degree=8, exploration=1.0,
                 random_state=None):
        if method not in _METHODS:
            raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
        if solver not in _SOLVERS:
            raise ValueError(f"solver must be one of {sorted(_SOLVERS)}, got {solver!r}")
        if omegas is None:
            omegas = _DEFAULT_GRIDS[method].copy()
        omegas = check_array(omegas, "omegas", ndim=1)
        if omegas.size == 0 or np.any(omegas <= 0) or np.any(omegas >= 2):
            raise ValueError("omegas must be a non-empty grid of values in (0, 2)")
        self.method, self.solver, self.omegas = method, solver, omegas
        self.tol = float(check_scalar(tol, "tol", Real, min_val=0.0))
        self.maxiter = None if maxiter is None else int(
            check_scalar(maxiter, "maxiter", Integral, min_val=1))
        if context_range is not None:
            lo, hi = (float(v) for v in context_range)
            if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
                raise ValueError(f"context_range must be (low, high) with low < high, got "
                                 f"{context_range!r}")
            context_range = (lo, hi)
        self.context_range = context_range
        self.degree = int(check_scalar(degree, "degree", Integral, min_val=0))
        self.exploration = float(check_scalar(exploration, "exploration", Real,
                                              min_val=0.0, include_boundaries="neither"))
        self.random_state = random_state
        self._rng = np.random.default_rng(random_state)
        K, F = omegas.size, self.degree + 1
        self._L = np.zeros(K)  # Tsallis-INF: cumulative loss estimates
        self._G = np.tile(np.diag(_ridge_penalty(F)), (K, 1, 1))  # ChebCB: per-arm Gram
        self._h = np.zeros((K, F))
        self._theta = np.zeros((K, F))  # per-arm ridge solutions, G^-1 h
        self._cost_sum = 0.0
        self._sq_err = 0.0
        self._ctx_seen = [np.inf, -np.inf]
        self.history_ = {"omega": [], "n_iter": [], "context": []}
        self._arms = []
        self._pending = None

    def __repr__(self):
        return (f"RelaxationLearner(method={self.method!r}, solver={self.solver!r}, "
                f"{self.omegas.size} omegas in [{self.omegas.min():g}, "
                f"{self.omegas.max():g}], {self.n_solves_} solves)")

    @property
    def n_solves_(self) -> int:
        return len(self.history_["n_iter"])

    # -- choosing ----------------------------------------------------------------------
    def _context_feature(self, context):
        if context is None:
            raise ValueError("method='chebcb' needs a context for every solve")
        c = float(check_scalar(context, "context", Real))
        lo, hi = self.context_range or (min(self._ctx_seen[0], c), max(self._ctx_seen[1], c))
        z = 0.0 if hi <= lo else 2.0 * (c - lo) / (hi - lo) - 1.0
        return _chebyshev(float(np.clip(z, -1.0, 1.0)), self.degree)

    def _scale(self):
        """Running mean of ``cost - 1``: the unit that makes losses of order one."""
        n = self.n_solves_
        if n == 0:
            return 1.0
        return max(self._cost_sum / n - 1.0, 1e-12)

    def probabilities(self, context=None) -> np.ndarray:
        """The distribution over ``omegas`` the next choice is drawn from.

        Parameters
        ----------
        context : float, optional
            The next system's context (required by ``"chebcb"``).

        Returns
        -------
        p : ndarray of shape (len(omegas),)
        """
        K = self.omegas.size
        t = self.n_solves_ + 1
        if self.method == "tsallis-inf":
            return _tsallis_weights(self._L / self._scale(), 2.0 / np.sqrt(t))
        pred = self._predict(context)
        best = int(np.argmin(pred))
        # SquareCB's gamma ~ sqrt(K t / regression error), the error measured online
        gamma = self.exploration * 2.0 * t * np.sqrt(K * t / (self._sq_err + 1e-2 * t))
        p = 1.0 / (K + gamma * (pred - pred[best]))
        p[best] = 0.0
        p[best] = 1.0 - p.sum()
        return p

    def _predict(self, context):
        """Predicted log-cost of every grid point in this context."""
        return self._theta @ self._context_feature(context)

    def suggest(self, context=None) -> float:
        """Draw the omega for the next solve (then call :meth:`update` with its cost).

        Parameters
        ----------
        context : float, optional
            The next system's context (required by ``"chebcb"``).

        Returns
        -------
        omega : float
        """
        p = self.probabilities(context)
        cdf = np.cumsum(p)
        arm = min(int(np.searchsorted(cdf, self._rng.random() * cdf[-1], side="right")),
                  p.size - 1)
        self._pending = (arm, context, float(p[arm]))
        return float(self.omegas[arm])

    def update(self, n_iter, context=None) -> None:
        """Learn from the iteration count of the solve run with the last suggestion.

        Parameters
        ----------
        n_iter : int
            Iterations the solve took (its cost).
        context : float, optional
            The context given to :meth:`suggest` (defaults to it).

        Raises
        ------
        RuntimeError
            If no suggestion is pending.
        """
        if self._pending is None:
            raise RuntimeError("update() must follow suggest()")
        arm, ctx, p = self._pending
        ctx = ctx if context is None else context
        cost = float(check_scalar(n_iter, "n_iter", Real, min_val=0))
        self._pending = None
        self._cost_sum += cost
        self.history_["omega"].append(float(self.omegas[arm]))
        self.history_["n_iter"].append(int(cost) if float(cost).is_integer() else cost)
        self.history_["context"].append(None if ctx is None else float(ctx))
        self._arms.append(arm)
        if self.method == "chebcb":
            # Iteration counts are multiplicative in structure (log tol / log rho), so the
            # model is fitted to log-costs; gaps are then relative. The online regression
            # error (before learning from this round) sets gamma.
            y = np.log(max(cost, 1.0))
            self._sq_err += (self._predict(ctx)[arm] - y) ** 2
            phi = self._context_feature(ctx)
            self._G[arm] += np.outer(phi, phi)
            self._h[arm] += phi * y
            self._theta[arm] = np.linalg.solve(self._G[arm], self._h[arm])
        else:
            # Zimmert & Seldin's reduced-variance estimate (l - B)/p + B of the played arm's
            # loss, with l = (cost - 1) / scale (the paper's unit: the learner's running
            # mean maps to 1) and B = 1/2, their baseline for losses in [0, 1]. Adding B to
            # every arm changes no probability, so only the played arm's (l - B)/p is kept.
            # The baseline cuts the variance of the estimates of the arms played often; it
            # sits at half the running mean, so a cheap draw of a rarely played arm gives a
            # negative estimate of at most -1/(2p) units. A baseline at the mean (the
            # "shifted-loss" estimator) locked the learner onto wrong arms after such draws
            # on heavy-tailed counts (1.40x the best fixed omega, 3.3x at worst); none at
            # all (plain importance weighting, the paper's) measured 1.17x / 1.14x on the
            # learning study (high / low variance, the paper's 20-point grid), against
            # 1.13x / 1.09x with B = 1/2.
            # The sums stay in iterations and are divided by the running scale when used.
            self._L[arm] += (cost - 1.0 - _RV_BASELINE * self._scale()) / p
        if ctx is not None:
            c = float(ctx)
            self._ctx_seen = [min(self._ctx_seen[0], c), max(self._ctx_seen[1], c)]

    # -- solving -----------------------------------------------------------------------
    def solve(self, A, b, context=None, *, x0=None):
        """Pick omega, solve ``A x = b`` with it, and learn from the iteration count.

        Parameters
        ----------
        A : sparse matrix of shape (n, n)
            The system (see :func:`sor`).
        b : array-like of shape (n,)
            Right-hand side.
        context : float, optional
            The system's context (required by ``"chebcb"``; recorded otherwise).
        x0 : array-like of shape (n,), optional
            Initial guess (e.g. the previous solution of a time-stepping sequence).

        Returns
        -------
        result : SolveResult
            The solve's result (an unconverged solve is learned from with its full cost
            and warns like the solver does).
        """
        omega = self.suggest(context)
        kwargs = {"x0": x0, "tol": self.tol}
        if self.maxiter is not None:
            kwargs["maxiter"] = self.maxiter
        try:
            result = _SOLVERS[self.solver](A, b, omega, **kwargs)
        except Exception:
            self._pending = None
            raise
        self.update(result.n_iter, context)
        return result

    # -- saving ------------------------------------------------------------------------
    def get_state(self) -> dict:
        """Everything needed to resume, as JSON-compatible Python objects.

        Returns
        -------
        state : dict

        See Also
        --------
        from_state, save
        """
        return {
            "version": _STATE_VERSION,
            "params": {"method": self.method, "omegas": self.omegas.tolist(),
                       "solver": self.solver, "tol": self.tol, "maxiter": self.maxiter,
                       "context_range": self.context_range, "degree": self.degree,
                       "exploration": self.exploration},
            "L": self._L.tolist(), "G": self._G.tolist(), "h": self._h.tolist(),
            "cost_sum": self._cost_sum, "sq_err": self._sq_err, "ctx_seen": list(self._ctx_seen),
            "arms": list(self._arms), "history": self.history_,
            "rng": self._rng.bit_generator.state,
        }

    @classmethod
    def from_state(cls, state: dict) -> RelaxationLearner:
        """Rebuild a learner from :meth:`get_state`'s output.

        Parameters
        ----------
        state : dict

        Returns
        -------
        learner : RelaxationLearner
        """
        if state.get("version", 0) > _STATE_VERSION:
            raise ValueError("state was written by a newer sparseopt")
        learner = cls(**state["params"])
        learner._L = np.asarray(state["L"], dtype=float)
        learner._G = np.asarray(state["G"], dtype=float)
        learner._h = np.asarray(state["h"], dtype=float)
        learner._theta = np.linalg.solve(learner._G, learner._h[:, :, None])[:, :, 0]
        learner._cost_sum = float(state["cost_sum"])
        learner._sq_err = float(state["sq_err"])
        learner._ctx_seen = [float(v) for v in state["ctx_seen"]]
        learner._arms = [int(a) for a in state["arms"]]
        learner.history_ = {k: list(v) for k, v in state["history"].items()}
        learner._rng.bit_generator.state = state["rng"]
        return learner

    def save(self, file) -> None:
        """Write the state as JSON (no pickle).

        Parameters
        ----------
        file : str or path
        """
        with open(file, "w") as fh:
            json.dump(self.get_state(), fh)

    @classmethod
    def load(cls, file) -> RelaxationLearner:
        """Read a learner written by :meth:`save`.

        Parameters
        ----------
        file : str or path

        Returns
        -------
        learner : RelaxationLearner
        """
        with open(file) as fh:
            return cls.from_state(json.load(fh))
