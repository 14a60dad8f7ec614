"""Block coordinate descent engine: datafit x penalty x selection rule x block update."""

from .datafits import Datafit, Huber, Logistic, Multinomial, Quadratic
from .group import GroupL1, check_groups
from .penalties import L0, L1, L2, MCP, SCAD, Box, ElasticNet, Penalty
from .solver import BCDResult, GreedyBCD, duality_gap
from .wgsef import WGSEF, prox_wgsef, wgsef

__all__ = ["BCDResult", "Box", "Datafit", "ElasticNet", "GreedyBCD", "GroupL1", "Huber", "L0",
           "L1", "L2", "Logistic", "MCP", "Multinomial", "Penalty", "Quadratic", "SCAD",
           "WGSEF", "check_groups", "duality_gap", "prox_wgsef", "wgsef"]
