"""Public entropic-OT functions: ``sinkhorn`` and ``sinkhorn2``, with POT's conventions."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np

from ..exceptions import ConvergenceWarning
from ..utils._parallel import effective_n_threads
from ..utils.validation import check_array, check_scalar
from . import _solvers

__all__ = ["sinkhorn", "sinkhorn2"]

_METHODS = ("auto", "sinkhorn", "log", "sns")


def _check_weights(w, name, size, other):
    if w is None or (hasattr(w, "__len__") and len(w) == 0):
        return np.full(size, 1.0 / size)
    w = check_array(w, name, ndim=1, dtype=np.float64)
    if w.shape[0] != size:
        raise ValueError(f"{name} must have length {size} (M has shape "
                         f"{other}), got {w.shape[0]}")
    if (w < 0).any():
        raise ValueError(f"{name} must be nonnegative, got a minimum of {w.min()}")
    if not w.sum() > 0:
        raise ValueError(f"{name} must have a positive total mass, got {w.sum()}")
    return w


def _validate(a, b, M, reg, method, tol, max_iter, normalize):
    M = check_array(M, "M", ndim=2)
    if M.shape[0] == 0 or M.shape[1] == 0:
        raise ValueError(f"M must have at least one row and one column, got shape {M.shape}")
    a = _check_weights(a, "a", M.shape[0], M.shape)
    b = _check_weights(b, "b", M.shape[1], M.shape)
    sa, sb = float(a.sum()), float(b.sum())
    if normalize:
        a, b = a / sa, b / sb
    elif abs(sa - sb) > 1e-8 * max(sa, sb):
        raise ValueError(f"a and b must have the same total mass, got {sa!r} and {sb!r} "
                         "(pass normalize=True to rescale both to 1)")
    check_scalar(reg, "reg", Real, min_val=0, include_boundaries="neither")
    check_scalar(tol, "tol", Real, min_val=0, include_boundaries="neither")
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    if max_iter is not None:
        check_scalar(max_iter, "max_iter", Integral, min_val=1)
    return a, b, M


def _solve(a, b, M, reg, *, method, tol, max_iter, warmstart, n_threads, switch_tol, tau,
           callback=None):
    """Solve on the support of (a, b) and return (f, g, state) on the full index sets."""
    rows = np.flatnonzero(a > 0)
    cols = np.flatnonzero(b > 0)
    full = rows.size == a.size and cols.size == b.size
    Ms = np.ascontiguousarray(M if full else M[np.ix_(rows, cols)])
    pb = _solvers._Problem(a[rows], b[cols], Ms, float(reg), effective_n_threads(n_threads))
    if warmstart is None:
        f0, g0 = np.zeros(rows.size), np.zeros(cols.size)
    else:
        if not isinstance(warmstart, (tuple, list)) or len(warmstart) != 2:
            raise TypeError("warmstart must be a pair (log_u, log_v) of arrays, got "
                            f"{type(warmstart).__name__}")
        lu = check_array(warmstart[0], "warmstart[0]", shape=(a.size,), dtype=np.float64)
        lv = check_array(warmstart[1], "warmstart[1]", shape=(b.size,), dtype=np.float64)
        f0, g0 = reg * lu[rows], reg * lv[cols]
    st = _solvers._State(f=f0.copy(), g=g0.copy())
    if max_iter is None:
        max_iter = 100_000 if method in ("sinkhorn", "log") else 20_000
    if method == "log":
        _solvers.solve_log(pb, st, tol, max_iter, callback)
    elif method == "sinkhorn":
        if warmstart is None:
            _solvers.solve_scaling(pb, st, tol, max_iter, callback)
        else:   # the warm potentials are kept as they are: no log-domain start
            sk = _solvers._Scaling(pb, st)
            sk.rows_exact = False
            sk.run(tol, max_iter, callback=callback)
    else:
        opts = _solvers.SNSOptions(switch_tol=switch_tol, tau=tau, auto=method == "auto")
        _solvers.solve_sns(pb, st, tol, max_iter, opts, callback)
    f = np.full(a.size, -np.inf)
    g = np.full(b.size, -np.inf)
    f[rows], g[cols] = st.f, st.g
    return f, g, st, pb, rows, cols


def sinkhorn(a, b, M, reg: float, *, method: str = "auto", tol: float = 1e-9,
             max_iter: int | None = None, warmstart=None, log: bool = False,
             normalize: bool = False, switch_tol: float = 5e-2, tau: float = 1e-4,
             n_threads: int | None = None, warn: bool = True):
    r"""Entropic optimal transport plan, by Sinkhorn or Sinkhorn-Newton-Sparse (SNS).

    Solves

    .. math::

        \min_{P \ge 0,\ P\mathbf 1 = a,\ P^\top \mathbf 1 = b}
        \langle P, M\rangle + \mathrm{reg} \sum_{ij} P_{ij} (\log P_{ij} - 1)

    through its concave dual in the potentials :math:`(f, g)`, whose maximiser gives the
    plan :math:`P_{ij} = \exp((f_i + g_j - M_{ij}) / \mathrm{reg})`. The arguments follow
    :func:`ot.sinkhorn` (POT). Every method stops on the **L1 marginal error**
    :math:`\|P\mathbf 1 - a\|_1 + \|P^\top\mathbf 1 - b\|_1 \le` ``tol``.

    Parameters
    ----------
    a : array-like of shape (n,), or empty
        Source weights (nonnegative); an empty list or None means uniform ``1/n``.
    b : array-like of shape (m,), or empty
        Target weights, as ``a``. Both must have the same total mass unless
        ``normalize=True``.
    M : array-like of shape (n, m)
        Cost matrix, finite. float32 costs are read as float32 (half the memory traffic)
        and everything is accumulated in float64.
    reg : float
        Entropic regularisation, > 0. Any value works in every method (the iterations are
        stabilised in the log domain); small values mean more iterations.
    method : {"auto", "sinkhorn", "log", "sns"}, default="auto"
        ``"log"``: log-domain Sinkhorn with the same iterates as POT's
        ``ot.sinkhorn(method="sinkhorn_log")`` (two log-sum-exp passes over M per
        iteration). ``"sinkhorn"``: the same iterates in scaling form on an absorbed kernel
        (two matrix-vector products per iteration, the scalings absorbed into the
        potentials before they leave [1e-50, 1e50], and a log-domain step wherever the
        kernel underflows). ``"sns"``: Sinkhorn until the L1 error is below ``switch_tol``,
        then sparse Newton steps (Tang et al., 2024). ``"auto"``: as ``"sns"``, but Newton
        is tried only when Sinkhorn's observed rate projects more iterations than a Newton
        stage costs; otherwise Sinkhorn runs to the end (large ``reg``).
    tol : float, default=1e-9
        Tolerance on the L1 marginal error.
    max_iter : int, optional
        Cap on the iterations (Sinkhorn iterations plus Newton steps). Default 100000 for
        the Sinkhorn methods and 20000 for SNS.
    warmstart : tuple (log_u, log_v), optional
        Starting dual potentials divided by ``reg`` (POT's convention), arrays of shape
        (n,) and (m,).
    log : bool, default=False
        Also return a dict of diagnostics.
    normalize : bool, default=False
        Rescale ``a`` and ``b`` to total mass 1 each (otherwise unequal totals are an
        error).
    switch_tol : float, default=5e-2
        SNS: the L1 error below which Newton steps are tried.
    tau : float, default=1e-4
        SNS: the sparsified Hessian keeps the entries :math:`P_{ij} \ge \tau
        \min(a_i, b_j)` (relative to the marginals, so the kept density adapts to the
        problem). It is divided by 10 each time a Newton stage stalls.
    n_threads : int, optional
        Threads of the compiled kernels; see :func:`sparseopt.utils.effective_n_threads`.
    warn : bool, default=True
        Emit a :class:`~sparseopt.exceptions.ConvergenceWarning` when ``tol`` is not
        reached.

    Returns
    -------
    P : ndarray of shape (n, m)
        The transport plan, in M's float dtype.
    log : dict
        Only with ``log=True``: ``niter`` (iterations), ``err`` (L1 marginal error before
        each iteration and at the end), ``marginal_error`` (the final one, measured on the
        returned plan), ``converged``, ``f`` and ``g`` (dual potentials, -inf on
        zero-weight points), ``log_u`` and ``log_v`` (the same divided by ``reg``, POT's
        names), ``cost`` (:math:`\langle P, M\rangle`), ``method``, ``n_sinkhorn``,
        ``n_newton``, ``cg_iterations`` and ``switched_at`` (the iteration at which SNS
        began Newton steps, or None).

    Raises
    ------
    ValueError
        On negative, NaN or infinite weights, weights of the wrong length or of unequal
        total mass (without ``normalize``), a cost of the wrong shape or with NaN or inf,
        ``reg <= 0``, ``tol <= 0`` or an unknown ``method``.

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` is reached first; the plan is still the last (finite) iterate.

    See Also
    --------
    sinkhorn2 : the transport cost of the plan.
    EntropicTransport : the same as a scikit-learn style estimator.

    Notes
    -----
    The dual is :math:`D(f, g) = \langle a, f\rangle + \langle b, g\rangle - \mathrm{reg}
    \sum_{ij} P_{ij}` with gradient :math:`(a - P\mathbf 1, b - P^\top\mathbf 1)` (the
    marginal errors) and Hessian :math:`-\frac{1}{\mathrm{reg}}
    \begin{bmatrix}\mathrm{diag}(P\mathbf 1) & P \\ P^\top & \mathrm{diag}(P^\top\mathbf 1)
    \end{bmatrix}`. Sinkhorn maximises D exactly over f, then over g. Once Sinkhorn has made
    P nearly sparse, SNS drops the small entries of P from the Hessian (keeping its exact
    diagonal, which makes the truncated matrix diagonally dominant and definite), solves
    the Newton system by Jacobi-preconditioned conjugate gradients on its Schur complement
    (never forming the :math:`(n+m)^2` matrix) with a Levenberg-Marquardt shift
    :math:`\lambda \|\nabla D\|_\infty` (which keeps the step bounded where the kept
    entries leave P's bipartite graph disconnected; :math:`\lambda` starts at 1e-3, is
    divided by 10 after a full step and multiplied by 10 after a failed line search), and
    takes an Armijo step. A Newton stage stalls when its step reduces the error less than
    Sinkhorn would have in the same time (at Sinkhorn's rate measured in this run), or when
    no step is accepted even at :math:`\lambda = 100`; a batch of Sinkhorn iterations
    (20, doubling at each stall) then runs before Newton is tried again with ``tau / 10``.

    References
    ----------
    .. [1] Cuturi, "Sinkhorn distances: lightspeed computation of optimal transport",
       NeurIPS 2013.
    .. [2] Tang, Shavlovsky, Rahmanian, Tardini, Thekumparampil, Xiao, Ying,
       "Accelerating Sinkhorn algorithm with sparse Newton iterations", ICLR 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.ot import sinkhorn
    >>> x = np.linspace(0, 1, 5)
    >>> M = (x[:, None] - x[None, :]) ** 2
    >>> P = sinkhorn([], [], M, reg=1e-2)
    >>> bool(np.allclose(P.sum(axis=1), 0.2, atol=1e-9))
    True
    """
    a, b, M = _validate(a, b, M, reg, method, tol, max_iter, normalize)
    check_scalar(switch_tol, "switch_tol", Real, min_val=0, include_boundaries="neither")
    check_scalar(tau, "tau", Real, min_val=0, max_val=1, include_boundaries="right")
    f, g, st, pb, rows, cols = _solve(a, b, M, reg, method=method, tol=tol,
                                      max_iter=max_iter, warmstart=warmstart,
                                      n_threads=n_threads, switch_tol=switch_tol, tau=tau)
    # the returned plan with its marginals and cost, in one kernel pass
    Ps, r, c, cost = _solvers.plan_and_marginals(pb, st.f, st.g)
    final = _solvers.l1_error(pb, r, c)
    if Ps.shape == M.shape:
        P = Ps.astype(M.dtype, copy=False)
    else:
        P = np.zeros(M.shape, dtype=M.dtype)
        P[np.ix_(rows, cols)] = Ps
    if not st.converged and warn:
        warnings.warn(f"sinkhorn ({method}) did not reach tol={tol:g} in {st.n_iter} "
                      f"iterations: L1 marginal error {final:.3g}. Increase max_iter or "
                      "reg.", ConvergenceWarning, stacklevel=2)
    if not log:
        return P
    info = {
        "niter": st.n_iter,
        "err": list(st.errors),
        "marginal_error": final,
        "converged": bool(st.converged),
        "f": f,
        "g": g,
        "log_u": f / reg,
        "log_v": g / reg,
        "cost": float(cost),
        "method": method,
        "n_sinkhorn": st.n_sinkhorn,
        "n_newton": st.n_newton,
        "cg_iterations": st.cg_iterations,
        "switched_at": st.switched_at,
    }
    return P, info


def sinkhorn2(a, b, M, reg: float, **kwargs):
    r"""Entropic transport cost :math:`\langle P, M\rangle` of :func:`sinkhorn`'s plan.

    As POT's :func:`ot.sinkhorn2`, the returned value is the linear cost of the entropic
    plan (without the entropy term).

    Parameters
    ----------
    a, b, M, reg
        As in :func:`sinkhorn`.
    **kwargs
        Any other keyword of :func:`sinkhorn`; with ``log=True`` the log dict is returned
        as well.

    Returns
    -------
    cost : float
    log : dict
        Only with ``log=True``, as in :func:`sinkhorn`.

    See Also
    --------
    sinkhorn

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.ot import sinkhorn2
    >>> M = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> round(sinkhorn2([0.5, 0.5], [0.5, 0.5], M, reg=1e-3), 6)
    0.0
    """
    want_log = kwargs.pop("log", False)
    P, info = sinkhorn(a, b, M, reg, log=True, **kwargs)
    return (info["cost"], info) if want_log else info["cost"]
