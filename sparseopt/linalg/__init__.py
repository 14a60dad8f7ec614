"""Linear solvers: SOR, SSOR, Jacobi, SSOR-preconditioned CG, learned relaxation, sketched
least squares."""

from ._learning import RelaxationLearner
from ._sketch import LstsqResult, sketched_lstsq
from ._sor import (
    SolveResult,
    jacobi,
    optimal_omega,
    pcg_ssor,
    relaxation_sweep,
    sor,
    ssor,
    ssor_preconditioner,
)

__all__ = [
    "LstsqResult",
    "RelaxationLearner",
    "SolveResult",
    "jacobi",
    "optimal_omega",
    "pcg_ssor",
    "relaxation_sweep",
    "sketched_lstsq",
    "sor",
    "ssor",
    "ssor_preconditioner",
]
