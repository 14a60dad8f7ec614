"""Block coordinate descent engine: datafit x penalty x selection rule x block update."""

from .datafits import Datafit, Huber, Logistic, Multinomial, Quadratic
from .penalties import CEL0, L0, L1, L2, MCP, SCAD, Box, ElasticNet, Penalty
from .solver import BCDResult, GreedyBCD, duality_gap

__all__ = ["BCDResult", "Box", "CEL0", "Datafit", "ElasticNet", "GreedyBCD", "Huber", "L0",
           "L1", "L2", "Logistic", "MCP", "Multinomial", "Penalty", "Quadratic", "SCAD",
           "duality_gap"]
