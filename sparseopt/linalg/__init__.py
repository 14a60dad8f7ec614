"""Iterative linear solvers: SOR, SSOR, Jacobi, SSOR-preconditioned CG, learned relaxation."""

from ._learning import RelaxationLearner
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
    "RelaxationLearner",
    "SolveResult",
    "jacobi",
    "optimal_omega",
    "pcg_ssor",
    "relaxation_sweep",
    "sor",
    "ssor",
    "ssor_preconditioner",
]
