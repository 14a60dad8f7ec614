"""Relaxation: SOR sweeps against PyAMG, SSOR-PCG against scipy's cg; sketched least squares
against LAPACK."""

import numpy as np

from .common import Benchmark, is_fast


class SorSweep(Benchmark):
    """10 forward SOR sweeps (omega 1.5) on the 2-D Poisson matrix (1000^2; 200^2 fast)."""

    param_names = ["library"]
    params = (["sparseopt", "pyamg"],)

    def setup(self, library):
        from sparseopt.datasets import laplacian_2d

        N = 200 if is_fast() else 1000
        self.A = laplacian_2d(N)
        self.b = np.ones(self.A.shape[0])
        if library == "sparseopt":
            from sparseopt.linalg import relaxation_sweep

            self.run = lambda x: relaxation_sweep(self.A, x, self.b, 1.5, iterations=10)
        else:
            try:
                from pyamg.relaxation.relaxation import sor
            except ImportError as exc:
                raise NotImplementedError("pyamg is not installed") from exc
            self.run = lambda x: sor(self.A, x, self.b, 1.5, iterations=10)

    def time_sweeps(self, library):
        self.run(np.zeros(self.A.shape[0]))


class HeatStep(Benchmark):
    """One warm-started Crank-Nicolson step of the heat equation (nx=100; 40 fast)."""

    param_names = ["solver"]
    params = (["pcg_ssor(1.8)", "cg (ours)", "scipy cg"],)

    def setup(self, solver):
        from sparseopt.datasets import make_heat_equation
        from sparseopt.linalg import pcg_ssor

        heat = make_heat_equation(nx=40 if is_fast() else 100, n_steps=300)
        u = np.zeros(heat.n)
        for step in range(260):  # into the high-diffusivity half of the period
            A, b, _ = heat.system(step, u)
            u = pcg_ssor(A, b, 1.8, x0=u).x
        self.A, self.b, _ = heat.system(260, u)
        self.u = u
        if solver == "scipy cg":
            from scipy.sparse.linalg import cg

            self.run = lambda: cg(self.A, self.b, x0=self.u, rtol=1e-8, atol=0.0)
        else:
            omega = 1.8 if solver.startswith("pcg") else None
            self.run = lambda: pcg_ssor(self.A, self.b, omega, x0=self.u)

    def time_solve(self, solver):
        self.run()


class SketchedLstsq(Benchmark):
    """Tall least squares, cond ~1e4 (100,000 x 200; 20,000 x 200 fast): sketch-and-
    precondition against LAPACK."""

    param_names = ["solver"]
    params = (["srht", "countsketch", "numpy lstsq", "scipy gelsy"],)

    def setup(self, solver):
        rng = np.random.default_rng(0)
        n, d = (20_000 if is_fast() else 100_000), 200
        self.A = rng.standard_normal((n, d)) * np.logspace(0, -4, d)
        self.b = self.A @ rng.standard_normal(d) + 0.1 * rng.standard_normal(n)
        if solver == "numpy lstsq":
            self.run = lambda: np.linalg.lstsq(self.A, self.b, rcond=None)
        elif solver == "scipy gelsy":
            import scipy.linalg

            self.run = lambda: scipy.linalg.lstsq(self.A, self.b, lapack_driver="gelsy")
        else:
            from sparseopt.linalg import sketched_lstsq

            self.run = lambda: sketched_lstsq(self.A, self.b, sketch=solver, random_state=0)

    def time_solve(self, solver):
        self.run()
