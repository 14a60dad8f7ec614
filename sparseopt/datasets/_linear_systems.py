"""Sequences of linear systems: the benchmarks of learned relaxation (Khodak et al., 2024)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp

from ..utils.validation import check_scalar

__all__ = ["HeatEquationSequence", "ShiftedLaplacianSequence", "laplacian_2d",
           "make_heat_equation", "make_shifted_laplacian_sequence"]


def laplacian_2d(n_grid: int, *, scale: float = 1.0) -> sp.csr_array:
    """The 5-point Laplacian (negated, so positive definite) on an ``n_grid`` square grid.

    Dirichlet boundary, unknowns in natural (row-major) order: diagonal ``4 * scale``,
    ``-scale`` for each grid neighbour.

    Parameters
    ----------
    n_grid : int
        Interior points per side; the matrix is ``n_grid**2`` square.
    scale : float, default=1.0
        Multiplies every entry (``1/h**2`` for the differential operator).

    Returns
    -------
    A : scipy.sparse.csr_array of shape (n_grid**2, n_grid**2)

    Examples
    --------
    >>> from sparseopt.datasets import laplacian_2d
    >>> laplacian_2d(3).toarray()[4]
    array([ 0., -1.,  0., -1.,  4., -1.,  0., -1.,  0.])
    """
    n_grid = int(check_scalar(n_grid, "n_grid", Integral, min_val=1))
    T = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(n_grid, n_grid))
    eye = sp.eye_array(n_grid)
    A = (sp.kron(T, eye) + sp.kron(eye, T)).tocsr() * float(scale)
    A.sort_indices()
    return A


class ShiftedLaplacianSequence:
    """Systems ``(L + c_t I) x = b_t``: a fixed Laplacian with a random diagonal shift.

    Iterating yields ``(A_t, b_t, c_t)``. Made by :func:`make_shifted_laplacian_sequence`.

    Attributes
    ----------
    laplacian : scipy.sparse.csr_array
        ``L`` (diagonal 4).
    shifts : ndarray of shape (n_systems,)
        The contexts ``c_t``.
    rhs : ndarray of shape (n_systems, n)
        The right-hand sides ``b_t``.
    """

    def __init__(self, laplacian, shifts, rhs):
        self.laplacian, self.shifts, self.rhs = laplacian, shifts, rhs
        self._eye = sp.eye_array(laplacian.shape[0], format="csr")

    def __len__(self):
        return self.shifts.size

    def matrix(self, t: int) -> sp.csr_array:
        """``A_t = L + c_t I``."""
        return (self.laplacian + self.shifts[t] * self._eye).tocsr()

    def __getitem__(self, t):
        return self.matrix(t), self.rhs[t], float(self.shifts[t])

    def __iter__(self):
        for t in range(len(self)):
            yield self[t]


def make_shifted_laplacian_sequence(
    n_systems: int = 5000,
    *,
    n_grid: int = 10,
    variance: str = "high",
    random_state=None,
) -> ShiftedLaplacianSequence:
    r"""The diagonally shifted Laplacians of Khodak et al. (2024), section 5.

    ``A_t = L + c_t I`` with ``L`` the 5-point Laplacian of an ``n_grid x n_grid`` grid
    (diagonal 4) and ``c_t = -0.15 + 0.6 * Beta(0.5, 1.5)`` (``variance="high"``) or
    ``-0.15 + 0.6 * Beta(2, 6)`` (``"low"``); ``A_t`` stays positive definite (the
    smallest eigenvalue of ``L`` is above 0.15 for ``n_grid <= 10``, and the shifts are
    clipped above ``-0.9`` times it otherwise). The optimal SOR parameter
    :math:`2/(1+\sqrt{1-\rho_J^2})`, :math:`\rho_J = 4\cos(\pi h)/(4 + c_t)`, moves with
    ``c_t``. Right-hand sides are standard Gaussian vectors truncated to the ball of radius
    ``sqrt(n)``.

    Parameters
    ----------
    n_systems : int, default=5000
        Length of the sequence.
    n_grid : int, default=10
        Grid side (``n = n_grid**2`` unknowns).
    variance : {"high", "low"}, default="high"
        Distribution of the shifts.
    random_state : int, Generator or None, default=None
        Seed.

    Returns
    -------
    sequence : ShiftedLaplacianSequence
        Iterate it for ``(A_t, b_t, c_t)``.

    Examples
    --------
    >>> from sparseopt.datasets import make_shifted_laplacian_sequence
    >>> seq = make_shifted_laplacian_sequence(3, random_state=0)
    >>> A, b, c = seq[0]
    >>> A.shape, b.shape, -0.15 <= c <= 0.45
    ((100, 100), (100,), True)
    """
    n_systems = int(check_scalar(n_systems, "n_systems", Integral, min_val=1))
    if variance not in ("high", "low"):
        raise ValueError(f"variance must be 'high' or 'low', got {variance!r}")
    rng = np.random.default_rng(random_state)
    L = laplacian_2d(n_grid)
    a, b = (0.5, 1.5) if variance == "high" else (2.0, 6.0)
    shifts = -0.15 + 0.6 * rng.beta(a, b, size=n_systems)
    lam_min = 8.0 * np.sin(np.pi / (2 * (n_grid + 1))) ** 2
    shifts = np.maximum(shifts, -0.9 * lam_min)
    n = n_grid * n_grid
    rhs = rng.standard_normal((n_systems, n))
    norms = np.linalg.norm(rhs, axis=1, keepdims=True)
    rhs *= np.minimum(1.0, np.sqrt(n) / norms)
    return ShiftedLaplacianSequence(L, shifts, rhs)


class HeatEquationSequence:
    r"""Crank--Nicolson steps of :math:`u_t = \kappa(t)\,\Delta u + f` on the unit square.

    Each time step solves :math:`(I + \tfrac12\kappa_{k+1}\Delta t\,K)\,u^{k+1} =
    (I - \tfrac12\kappa_k\Delta t\,K)\,u^k + \Delta t\,f(t_{k+1/2})`, with :math:`K` the
    5-point negative Laplacian (scaled by :math:`1/h^2`, zero Dirichlet boundary). The
    matrix changes with the diffusivity :math:`\kappa(t)`, the right-hand side with the
    previous solution, so the sequence is generated by solving it: call :meth:`system` with
    the last solution, or :meth:`run` with a solver. Made by :func:`make_heat_equation`.

    Attributes
    ----------
    nx : int
        Grid intervals per side (``(nx - 1)**2`` unknowns).
    n_steps : int
        Number of time steps.
    dt : float
        Time step.
    K : scipy.sparse.csr_array
        The scaled negative Laplacian.
    """

    def __init__(self, nx, n_steps, dt):
        self.nx, self.n_steps, self.dt = nx, n_steps, dt
        h = 1.0 / nx
        self.K = laplacian_2d(nx - 1, scale=1.0 / h**2)
        self._eye = sp.eye_array(self.K.shape[0], format="csr")
        g = np.arange(1, nx) * h
        self._x, self._y = np.meshgrid(g, g, indexing="ij")

    @property
    def n(self) -> int:
        return self.K.shape[0]

    def __len__(self):
        return self.n_steps

    @staticmethod
    def kappa(t):
        r"""Diffusivity :math:`\kappa(t) = \max(0.1\sin 2\pi t, -10\sin 2\pi t)`."""
        s = np.sin(2.0 * np.pi * t)
        return np.maximum(0.1 * s, -10.0 * s)

    def forcing(self, t) -> np.ndarray:
        """A Gaussian bump (width 0.05) circling the centre once per unit of time."""
        cx = 0.5 + 0.25 * np.cos(2.0 * np.pi * t)
        cy = 0.5 + 0.25 * np.sin(2.0 * np.pi * t)
        r2 = (self._x - cx) ** 2 + (self._y - cy) ** 2
        return (10.0 * np.exp(-r2 / (2 * 0.05**2))).ravel()

    def system(self, step: int, u: np.ndarray):
        """The system of time step ``step`` (0-based) given the current solution ``u``.

        Returns
        -------
        A : scipy.sparse.csr_array
            ``I + kappa(t_{k+1}) dt/2 K``.
        b : ndarray
            The right-hand side.
        context : float
            ``kappa(t_{k+1})``, the diffusivity (what makes the best omega vary).
        """
        t0, t1 = step * self.dt, (step + 1) * self.dt
        k0, k1 = float(self.kappa(t0)), float(self.kappa(t1))
        A = (self._eye + (0.5 * k1 * self.dt) * self.K).tocsr()
        b = u - (0.5 * k0 * self.dt) * (self.K @ u) + self.dt * self.forcing(0.5 * (t0 + t1))
        return A, b, k1

    def run(self, solve, u0=None):
        """Step through the whole sequence.

        Parameters
        ----------
        solve : callable
            ``solve(A, b, x0, context)`` returning the solution, or a result object with
            an ``x`` attribute (e.g. :class:`sparseopt.linalg.SolveResult`).
        u0 : ndarray, optional
            Initial state (zero by default).

        Returns
        -------
        u : ndarray
            The final state.
        results : list
            What ``solve`` returned at each step.
        """
        u = np.zeros(self.n) if u0 is None else np.asarray(u0, dtype=float)
        results = []
        for step in range(self.n_steps):
            A, b, ctx = self.system(step, u)
            out = solve(A, b, u, ctx)
            results.append(out)
            u = out.x if hasattr(out, "x") else np.asarray(out)
        return u, results


def make_heat_equation(nx: int = 100, n_steps: int = 1000, *, dt: float = 1e-3
                       ) -> HeatEquationSequence:
    r"""The time-varying heat equation of Khodak et al. (2024), section 5.

    :math:`u_t = \kappa(t)\Delta u + f` on the unit square with zero Dirichlet boundary,
    :math:`\kappa(t) = \max(0.1\sin 2\pi t, -10\sin 2\pi t)` and a forcing bump moving on a
    circle, discretized by 5-point finite differences (``(nx - 1)**2`` unknowns) and
    Crank--Nicolson in time (the paper: 5000 steps of ``dt = 1e-3``). The amplitude and
    width of the bump are ours.

    Parameters
    ----------
    nx : int, default=100
        Grid intervals per side (``nx = 100``: 9801 unknowns).
    n_steps : int, default=1000
        Time steps.
    dt : float, default=1e-3
        Time step.

    Returns
    -------
    sequence : HeatEquationSequence

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.sparse.linalg import spsolve
    >>> from sparseopt.datasets import make_heat_equation
    >>> heat = make_heat_equation(nx=20, n_steps=50)
    >>> u, _ = heat.run(lambda A, b, x0, kappa: spsolve(A.tocsc(), b))
    >>> u.shape, bool(u.max() > 0)
    ((361,), True)
    """
    nx = int(check_scalar(nx, "nx", Integral, min_val=2))
    n_steps = int(check_scalar(n_steps, "n_steps", Integral, min_val=1))
    dt = float(check_scalar(dt, "dt", Real, min_val=0.0, include_boundaries="neither"))
    return HeatEquationSequence(nx, n_steps, dt)
