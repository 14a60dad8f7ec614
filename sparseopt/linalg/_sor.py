"""SOR, SSOR and Jacobi relaxation, the SSOR preconditioner and SSOR-preconditioned CG."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from ..exceptions import ConvergenceWarning
from ..utils.validation import check_array, check_scalar, check_sparse
from . import _relax

__all__ = [
    "SolveResult",
    "jacobi",
    "optimal_omega",
    "pcg_ssor",
    "relaxation_sweep",
    "sor",
    "ssor",
    "ssor_preconditioner",
]

_SWEEPS = {"forward": 0, "backward": 1, "symmetric": 2, "jacobi": 3}
_STATUS = {0: "converged", 1: "maxiter", 2: "diverged", 3: "breakdown"}
# A residual this many times the initial one stops an iteration as diverged.
_DIVERGENCE = 1e8


@dataclass
class SolveResult:
    """What an iterative solve returns.

    Attributes
    ----------
    x : ndarray of shape (n,)
        The last iterate.
    n_iter : int
        Iterations run (sweeps for SOR/SSOR/Jacobi, CG steps for PCG).
    converged : bool
        Whether ``||b - A x|| <= tol * ||b||`` was reached.
    status : {"converged", "maxiter", "diverged", "breakdown"}
        Why the iteration stopped ("breakdown": CG met a direction with
        ``p.Ap <= 0``, so A is not symmetric positive definite).
    residuals : ndarray of shape (n_iter + 1,)
        Relative residual norm ``||b - A x_k|| / ||b||`` after each iteration (the
        recurrence residual for CG), starting with the initial guess.
    omega : float or None
        The relaxation parameter used (None for unpreconditioned CG).
    method : str
        The solver.
    """

    x: np.ndarray
    n_iter: int
    converged: bool
    status: str
    residuals: np.ndarray = field(repr=False)
    omega: float | None
    method: str


# --------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------
def _check_matrix(A, name="A"):
    """CSR copy-free if possible, float32/float64, square, finite; and its diagonal."""
    if isinstance(A, LinearOperator) and not sp.issparse(A):
        raise TypeError(f"{name} must be a sparse matrix or a dense array, got a "
                        "LinearOperator (relaxation needs the entries)")
    if not sp.issparse(A):
        A = sp.csr_array(check_array(A, name, ndim=2))
    A = check_sparse(A, name, formats=("csr",))
    n, m = A.shape
    if n != m:
        raise ValueError(f"{name} must be square, got shape {A.shape}")
    diag = np.empty(n, dtype=A.dtype)
    _relax.diagonal(A.indptr, A.indices, A.data, diag)
    if not diag.all():
        bad = np.flatnonzero(diag == 0)
        rows = ", ".join(str(i) for i in bad[:5]) + (", ..." if bad.size > 5 else "")
        raise ValueError(
            f"{name} has a zero or missing diagonal entry in {bad.size} row(s) ({rows}); "
            "SOR, SSOR and Jacobi divide by the diagonal and are undefined there"
        )
    return A, diag


def _check_vector(v, name, n, dtype):
    v = check_array(v, name, ndim=1)
    if v.shape[0] != n:
        raise ValueError(f"{name} must have length {n} to match A, got {v.shape[0]}")
    return np.array(v, dtype=dtype, order="C", copy=True) if name == "x0" else \
        np.ascontiguousarray(v, dtype=dtype)


def _check_omega(omega):
    return float(check_scalar(omega, "omega", Real, min_val=0.0, max_val=2.0,
                              include_boundaries="neither"))


def _check_iter_params(tol, maxiter, default_maxiter):
    tol = float(check_scalar(tol, "tol", Real, min_val=0.0))
    if maxiter is None:
        maxiter = default_maxiter
    maxiter = int(check_scalar(maxiter, "maxiter", Integral, min_val=0))
    return tol, maxiter


def _system(A, b, x0):
    A, diag = _check_matrix(A)
    n = A.shape[0]
    b = _check_vector(b, "b", n, A.dtype)
    if x0 is None:
        x = np.zeros(n, dtype=A.dtype)
    else:
        x = _check_vector(x0, "x0", n, A.dtype)
    return A, diag, b, x


def _finish(method, x, it, status, history, b, omega, tol, maxiter, warn):
    bnorm = float(np.linalg.norm(b))
    residuals = history[: it + 1] / (bnorm if bnorm > 0 else 1.0)
    status = _STATUS[status]
    result = SolveResult(x=x, n_iter=int(it), converged=status == "converged",
                         status=status, residuals=residuals,
                         omega=None if omega is None else float(omega), method=method)
    if warn and not result.converged:
        what = {
            "maxiter": f"reached maxiter={maxiter}",
            "diverged": "diverged (the residual grew by a factor "
                        f"{residuals[-1] / max(residuals[0], 1e-300):.1e})",
            "breakdown": "broke down (p.Ap <= 0 or a non-finite value: is A symmetric "
                         "positive definite?)",
        }[status]
        warnings.warn(
            f"{method} {what} with relative residual {residuals[-1]:.3e} > tol={tol:g}",
            ConvergenceWarning, stacklevel=3)
    return result


# --------------------------------------------------------------------------------------
# solvers
# --------------------------------------------------------------------------------------
def _relaxation_solve(method, kind, A, b, omega, x0, tol, maxiter, warn):
    A, diag, b, x = _system(A, b, x0)
    omega = _check_omega(omega)
    tol, maxiter = _check_iter_params(tol, maxiter, 10_000)
    history = np.empty(maxiter + 1)
    work = np.empty_like(x) if kind == _SWEEPS["jacobi"] else x
    atol = tol * float(np.linalg.norm(b))
    scale = np.empty(x.shape[0])
    _relax.diagonal_scale(diag, omega, scale)
    it, status = _relax.iterate(A.indptr, A.indices, A.data, scale, b, x, work, kind,
                                maxiter, atol, _DIVERGENCE, history)
    return _finish(method, x, it, status, history, b, omega, tol, maxiter, warn)


_SOLVER_PARAMS = """
    Parameters
    ----------
    A : sparse matrix or array of shape (n, n)
        The system matrix (CSR is used as is; other formats and dense arrays are
        converted). Its diagonal must be nonzero. float32 stays float32.
    b : array-like of shape (n,)
        Right-hand side.
    omega : float, default={omega}
        {omega_doc}
    x0 : array-like of shape (n,), optional
        Initial guess (default zero); not modified.
    tol : float, default=1e-8
        Stop when ``||b - A x|| <= tol * ||b||``.
    maxiter : int, default={maxiter}
        Maximum iterations.
    warn : bool, default=True
        Emit a :class:`~sparseopt.exceptions.ConvergenceWarning` when the solve stops
        unconverged (it always returns, with ``converged=False``).

    Returns
    -------
    result : SolveResult
        ``x``, ``n_iter``, ``converged``, ``status`` and the relative ``residuals``.

    Raises
    ------
    ValueError
        If ``A`` is not square, has a zero or missing diagonal entry, or holds NaN/inf;
        ``b`` or ``x0`` has the wrong length or holds NaN/inf; ``omega`` is outside
        ``(0, 2)``.
    TypeError
        If ``A`` is a LinearOperator or has a non-numeric dtype.
"""


def sor(A, b, omega: float = 1.0, *, x0=None, tol: float = 1e-8, maxiter: int = 10_000,
        sweep: str = "forward", warn: bool = True) -> SolveResult:
    if sweep not in ("forward", "backward", "symmetric"):
        raise ValueError(f"sweep must be 'forward', 'backward' or 'symmetric', got {sweep!r}")
    return _relaxation_solve("sor" if sweep != "symmetric" else "ssor", _SWEEPS[sweep], A, b,
                             omega, x0, tol, maxiter, warn)


sor.__doc__ = r"""Solve ``A x = b`` by successive over-relaxation (SOR).

    Each sweep updates the unknowns in order (``sweep="forward"``; ``"backward"`` in
    reverse, ``"symmetric"`` one of each, i.e. SSOR), each from the latest values:

    .. math:: x_i \leftarrow (1-\omega)\,x_i + \frac{\omega}{a_{ii}}
              \Big(b_i - \sum_{j \ne i} a_{ij} x_j\Big).

    ``omega = 1`` is Gauss--Seidel. SOR converges for any ``omega`` in ``(0, 2)`` when A
    is symmetric positive definite; a good ``omega`` can cut the iteration count by an
    order of magnitude (see :func:`optimal_omega` and :class:`RelaxationLearner`). The
    whole loop, with the residual check after every sweep, runs in C without the GIL.
""" + _SOLVER_PARAMS.format(
    omega="1.0", omega_doc="Relaxation parameter, in ``(0, 2)``.", maxiter="10000") + r"""
    sweep : {"forward", "backward", "symmetric"}, default="forward"
        Order of the updates in a sweep.

    See Also
    --------
    ssor : Symmetric SOR.
    relaxation_sweep : A fixed number of sweeps in place (a smoother).

    References
    ----------
    .. [1] D. M. Young, "Iterative methods for solving partial difference equations of
       elliptic type", Trans. AMS 76 (1954).

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from sparseopt.linalg import sor
    >>> A = sp.csr_array([[4.0, -1, -6, 0], [-5, -4, 10, 8], [0, 9, 4, -2], [1, 0, -7, 5]])
    >>> b = np.array([2.0, 21, -12, -6])
    >>> sor(A, b, omega=0.5, maxiter=1, warn=False).x
    array([ 0.25      , -2.78125   ,  1.62890625,  0.51523438])
    >>> res = sor(A, b, omega=0.5)
    >>> res.converged, np.round(res.x, 6)
    (True, array([ 3., -2.,  2.,  1.]))
"""


def ssor(A, b, omega: float = 1.0, *, x0=None, tol: float = 1e-8, maxiter: int = 10_000,
         warn: bool = True) -> SolveResult:
    return _relaxation_solve("ssor", _SWEEPS["symmetric"], A, b, omega, x0, tol, maxiter,
                             warn)


ssor.__doc__ = r"""Solve ``A x = b`` by symmetric SOR: a forward then a backward sweep.

    One iteration is one forward and one backward sweep (twice the work of an SOR
    iteration). The iteration matrix is similar to a symmetric one when A is symmetric,
    which makes SSOR the preconditioner of choice for conjugate gradients
    (:func:`pcg_ssor`).
""" + _SOLVER_PARAMS.format(
    omega="1.0", omega_doc="Relaxation parameter, in ``(0, 2)``.", maxiter="10000") + r"""
    See Also
    --------
    sor, pcg_ssor, ssor_preconditioner

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from sparseopt.linalg import ssor
    >>> A = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(50, 50)).tocsr()
    >>> res = ssor(A, np.ones(50), omega=1.8)
    >>> res.converged, bool(np.allclose(A @ res.x, 1.0))
    (True, True)
"""


def jacobi(A, b, omega: float = 1.0, *, x0=None, tol: float = 1e-8, maxiter: int = 10_000,
           warn: bool = True) -> SolveResult:
    return _relaxation_solve("jacobi", _SWEEPS["jacobi"], A, b, omega, x0, tol, maxiter,
                             warn)


jacobi.__doc__ = r"""Solve ``A x = b`` by (damped) Jacobi iteration.

    Every unknown is updated from the previous iterate:
    :math:`x \leftarrow x + \omega D^{-1}(b - A x)`. Slower than SOR but order-free; its
    spectral radius (for ``omega = 1``) gives the optimal SOR parameter
    (:func:`optimal_omega`).
""" + _SOLVER_PARAMS.format(
    omega="1.0", omega_doc="Damping, in ``(0, 2)``.", maxiter="10000") + r"""
    See Also
    --------
    sor, optimal_omega

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from sparseopt.linalg import jacobi
    >>> A = sp.csr_array([[4.0, 1.0], [1.0, 3.0]])
    >>> np.round(jacobi(A, [1.0, 2.0]).x, 6)
    array([0.090909, 0.636364])
"""


def relaxation_sweep(A, x, b, omega: float = 1.0, *, iterations: int = 1,
                     sweep: str = "forward") -> np.ndarray:
    """Apply a fixed number of relaxation sweeps to ``x`` in place (a smoother).

    The kernel of :func:`sor`, without residual checks, with the calling convention of
    PyAMG's ``pyamg.relaxation.relaxation.sor``: for multigrid smoothing or for timing.

    Parameters
    ----------
    A : sparse matrix or array of shape (n, n)
        The system matrix, with a nonzero diagonal.
    x : ndarray of shape (n,)
        The iterate, updated in place: a C-contiguous writable array of A's dtype
        (float64, or float32 for a float32 A).
    b : array-like of shape (n,)
        Right-hand side.
    omega : float, default=1.0
        Relaxation parameter (damping for Jacobi), in ``(0, 2)``.
    iterations : int, default=1
        Number of sweeps.
    sweep : {"forward", "backward", "symmetric", "jacobi"}, default="forward"
        Kind of sweep.

    Returns
    -------
    x : ndarray
        The same array, updated.

    Raises
    ------
    TypeError
        If ``x`` is not an ndarray of A's dtype.
    ValueError
        As :func:`sor`, and if ``x`` is not writable and C-contiguous.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from sparseopt.linalg import relaxation_sweep
    >>> A = sp.csr_array([[4.0, -1, -6, 0], [-5, -4, 10, 8], [0, 9, 4, -2], [1, 0, -7, 5]])
    >>> x = np.zeros(4)
    >>> relaxation_sweep(A, x, [2.0, 21, -12, -6], omega=0.5)
    array([ 0.25      , -2.78125   ,  1.62890625,  0.51523438])
    """
    if sweep not in _SWEEPS:
        raise ValueError(f"sweep must be one of {sorted(_SWEEPS)}, got {sweep!r}")
    A, diag = _check_matrix(A)
    n = A.shape[0]
    if not isinstance(x, np.ndarray) or x.dtype != A.dtype:
        raise TypeError(f"x must be an ndarray of A's dtype {A.dtype} (it is updated in "
                        f"place), got {type(x).__name__}"
                        + (f" of dtype {x.dtype}" if isinstance(x, np.ndarray) else ""))
    if x.shape != (n,) or not x.flags.c_contiguous or not x.flags.writeable:
        raise ValueError(f"x must be a writable C-contiguous array of shape ({n},), got "
                         f"shape {x.shape}")
    check_array(x, "x", ndim=1, dtype=None)
    b = _check_vector(b, "b", n, A.dtype)
    omega = _check_omega(omega)
    iterations = int(check_scalar(iterations, "iterations", Integral, min_val=0))
    work = np.empty_like(x) if sweep == "jacobi" else x
    scale = np.empty(n)
    _relax.diagonal_scale(diag, omega, scale)
    _relax.sweep(A.indptr, A.indices, A.data, scale, b, x, work, _SWEEPS[sweep], iterations)
    return x


class _SSORPreconditioner(LinearOperator):
    def __init__(self, A, diag, omega):
        self.A, self.omega = A, omega
        self.inv_diag = 1.0 / diag.astype(np.float64)
        super().__init__(dtype=A.dtype, shape=A.shape)

    def _matvec(self, r):
        r = np.ascontiguousarray(np.ravel(r), dtype=self.dtype)
        z = np.empty_like(r)
        _relax.ssor_apply(self.A.indptr, self.A.indices, self.A.data, self.inv_diag, r, z,
                          self.omega)
        return z

    def _matmat(self, R):
        return np.column_stack([self._matvec(R[:, j]) for j in range(R.shape[1])])

    def _rmatvec(self, r):  # M^-1 is symmetric when A is
        return self._matvec(r)

    def _adjoint(self):
        return self


def ssor_preconditioner(A, omega: float = 1.0) -> LinearOperator:
    r"""The SSOR preconditioner of ``A`` as a LinearOperator applying :math:`M^{-1}`.

    .. math:: M = \frac{1}{\omega(2-\omega)}\,(D + \omega L)\, D^{-1}\, (D + \omega U),

    with :math:`D`, :math:`L`, :math:`U` the diagonal, strictly lower and strictly upper
    parts of A. Applying :math:`M^{-1}` is one forward and one backward triangular sweep
    (the cost of about two products with A), in C. :math:`M` is symmetric positive
    definite when A is, so the operator can be passed as ``M=`` to
    :func:`scipy.sparse.linalg.cg`.

    Parameters
    ----------
    A : sparse matrix or array of shape (n, n)
        The system matrix, with a nonzero diagonal.
    omega : float, default=1.0
        Relaxation parameter, in ``(0, 2)``.

    Returns
    -------
    M_inv : LinearOperator of shape (n, n)

    Raises
    ------
    ValueError
        As :func:`sor`.

    See Also
    --------
    pcg_ssor : Conjugate gradients with this preconditioner, the loop in C.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from scipy.sparse.linalg import cg
    >>> from sparseopt.linalg import ssor_preconditioner
    >>> A = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(100, 100)).tocsr()
    >>> x, info = cg(A, np.ones(100), M=ssor_preconditioner(A, 1.5))
    >>> info
    0
    """
    A, diag = _check_matrix(A)
    return _SSORPreconditioner(A, diag, _check_omega(omega))


def pcg_ssor(A, b, omega: float | None = 1.0, *, x0=None, tol: float = 1e-8,
             maxiter: int | None = None, warn: bool = True) -> SolveResult:
    if omega is not None:
        omega = _check_omega(omega)
    A, diag, b, x = _system(A, b, x0)
    n = A.shape[0]
    tol, maxiter = _check_iter_params(tol, maxiter, 10 * max(n, 1))
    history = np.empty(maxiter + 1)
    r, z, p, q = (np.empty_like(x) for _ in range(4))
    atol = tol * float(np.linalg.norm(b))
    itype = A.indptr.dtype
    if omega is not None:  # the triangles apart: branch-free triangular solves
        nnz = A.indices.shape[0]
        lp, up = np.empty(n + 1, dtype=itype), np.empty(n + 1, dtype=itype)
        li, ui = np.empty(nnz, dtype=itype), np.empty(nnz, dtype=itype)
        ld, ud = np.empty(nnz, dtype=A.dtype), np.empty(nnz, dtype=A.dtype)
        _relax.split_triangles(A.indptr, A.indices, A.data, lp, li, ld, up, ui, ud)
    else:
        lp = up = np.zeros(n + 1, dtype=itype)
        li = ui = np.zeros(0, dtype=itype)
        ld = ud = np.zeros(0, dtype=A.dtype)
    it, status = _relax.pcg(A.indptr, A.indices, A.data, 1.0 / diag.astype(np.float64), b, x,
                            1.0 if omega is None else omega, omega is not None, maxiter, atol,
                            history, r, z, p, q, lp, li, ld, up, ui, ud)
    return _finish("pcg_ssor" if omega is not None else "cg", x, it, status, history, b,
                   omega, tol, maxiter, warn)


pcg_ssor.__doc__ = r"""Conjugate gradients preconditioned by SSOR, counting iterations.

    For symmetric positive definite A. The whole loop (products with A, the SSOR solve,
    the dot products) runs in C without the GIL, so small systems pay no per-iteration
    Python cost. With a good ``omega`` the condition number of the 2-D Poisson problem
    drops from :math:`O(h^{-2})` to :math:`O(h^{-1})`, and the iteration count accordingly.
""" + _SOLVER_PARAMS.format(
    omega="1.0",
    omega_doc="SSOR relaxation parameter, in ``(0, 2)``; ``None`` runs plain CG.",
    maxiter="10 * n").replace(
    "``x``, ``n_iter``, ``converged``, ``status`` and the relative ``residuals``.",
    "``x``, ``n_iter`` (CG steps), ``converged``, ``status`` (``breakdown`` if A is\n"
    "        found not to be positive definite) and the relative ``residuals``.") + r"""
    See Also
    --------
    ssor_preconditioner : The preconditioner alone, for scipy's solvers.
    RelaxationLearner : Choose ``omega`` across a sequence of systems.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from sparseopt.linalg import pcg_ssor
    >>> T = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(30, 30))
    >>> A = (sp.kron(T, sp.eye(30)) + sp.kron(sp.eye(30), T)).tocsr()
    >>> b = np.ones(900)
    >>> pcg_ssor(A, b, omega=None).n_iter > pcg_ssor(A, b, omega=1.7).n_iter
    True
"""


def optimal_omega(A, *, rho: float | None = None) -> float:
    r"""Young's optimal SOR parameter from the Jacobi spectral radius.

    .. math:: \omega^* = \frac{2}{1 + \sqrt{1 - \rho_J^2}},

    optimal for consistently ordered matrices with a real Jacobi spectrum and
    :math:`\rho_J < 1` (e.g. 5-point Laplacians and their positive diagonal shifts in
    natural ordering), where SOR then converges at rate :math:`\omega^* - 1`. For a
    symmetric A, :math:`\rho_J` is computed from the extreme eigenvalues of
    :math:`D^{-1/2} A D^{-1/2}` (ARPACK); otherwise from the largest-magnitude eigenvalue of
    :math:`I - D^{-1}A`.

    Parameters
    ----------
    A : sparse matrix or array of shape (n, n)
        The system matrix, with a nonzero diagonal.
    rho : float, optional
        A known Jacobi spectral radius in ``[0, 1)``; skips the eigenvalue computation.

    Returns
    -------
    omega : float
        In ``[1, 2)``.

    Raises
    ------
    ValueError
        If the Jacobi spectral radius is >= 1 (Jacobi diverges and the formula does not
        apply), or as :func:`sor`.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from sparseopt.linalg import optimal_omega
    >>> N = 20; h = 1 / (N + 1)
    >>> T = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(N, N))
    >>> A = (sp.kron(T, sp.eye(N)) + sp.kron(sp.eye(N), T)).tocsr()
    >>> bool(np.isclose(optimal_omega(A), 2 / (1 + np.sin(np.pi * h))))
    True
    """
    if rho is None:
        A, diag = _check_matrix(A)
        rho = _jacobi_radius(A, diag)
    else:
        rho = float(check_scalar(rho, "rho", Real, min_val=0.0))
    if rho >= 1.0:
        raise ValueError(f"the Jacobi spectral radius is {rho:.6g} >= 1: Jacobi diverges and "
                         "Young's formula for the optimal omega does not apply")
    return 2.0 / (1.0 + np.sqrt(1.0 - rho * rho))


def _jacobi_radius(A, diag):
    from scipy.sparse.linalg import eigs, eigsh

    n = A.shape[0]
    A64 = A.astype(np.float64)
    d = diag.astype(np.float64)
    symmetric = abs(A64 - A64.T).max() <= 1e-12 * abs(A64).max() if A64.nnz else True
    if n <= 200:  # small: dense and exact
        J = np.eye(n) - A64.toarray() / d[:, None]
        return float(np.max(np.abs(np.linalg.eigvals(J))))
    if symmetric and np.all(d > 0):
        s = 1.0 / np.sqrt(d)
        S = sp.diags_array(s) @ A64 @ sp.diags_array(s)
        lo = eigsh(S, k=1, which="SA", return_eigenvectors=False, tol=1e-10)[0]
        hi = eigsh(S, k=1, which="LA", return_eigenvectors=False, tol=1e-10)[0]
        return float(max(abs(1 - lo), abs(1 - hi)))
    J = sp.eye_array(n) - sp.diags_array(1.0 / d) @ A64
    return float(np.abs(eigs(J, k=1, which="LM", return_eigenvectors=False, tol=1e-10))[0])
