"""Entropic OT: time to an L1 marginal error of 1e-8 (ours) and 20 iterations of POT's
sinkhorn_log (its per-iteration cost; a full POT run at reg=1e-3 takes minutes)."""

import warnings

from .common import Benchmark, is_fast, require


class SinkhornSolve(Benchmark):
    """``sinkhorn(method=...)`` to tol 1e-8 on a point cloud and on the random assignment."""

    param_names = ["problem", "method", "reg"]
    params = (["cloud", "assignment"], ["sinkhorn", "sns", "auto"], [1e-2, 1e-3])
    timeout = 300

    def setup(self, problem, method, reg):
        from sparseopt.ot import sinkhorn
        from sparseopt.ot._cli import assignment_problem, cloud_problem

        n = 300 if is_fast() else 1000
        a, b, M = (cloud_problem if problem == "cloud" else assignment_problem)(n)
        self.run = lambda: sinkhorn(a, b, M, reg, method=method, tol=1e-8, warn=False)

    def time_solve(self, problem, method, reg):
        self.run()


class SinkhornIterations(Benchmark):
    """20 Sinkhorn iterations: POT sinkhorn_log against ours (identical iterates)."""

    param_names = ["library"]
    params = (["POT sinkhorn_log", "sparseopt log", "sparseopt sinkhorn"],)

    def setup(self, library):
        from sparseopt.ot._cli import cloud_problem

        n = 300 if is_fast() else 1000
        a, b, M = cloud_problem(n)
        if library == "POT sinkhorn_log":
            ot = require("ot")

            def run():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ot.sinkhorn(a, b, M, 1e-3, method="sinkhorn_log", numItermax=20,
                                stopThr=0.0)
        else:
            from sparseopt.ot import sinkhorn

            method = library.split()[1]

            def run():
                sinkhorn(a, b, M, 1e-3, method=method, tol=1e-300, max_iter=20, warn=False)
        self.run = run

    def time_iterations(self, library):
        self.run()
