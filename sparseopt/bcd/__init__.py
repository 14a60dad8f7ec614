"""Block coordinate descent engine: datafit x penalty x selection rule x block update."""

from .datafits import Datafit, Huber, Logistic, Multinomial, Quadratic
from .forest import ForestBCDResult, forest_bcd, greedy_forest_blocks, red_black_blocks
from .group import GroupL1, check_groups
from .penalties import CEL0, L0, L1, L2, MCP, SCAD, Box, ElasticNet, Penalty
from .solver import BCDResult, GreedyBCD, duality_gap
from .wgsef import WGSEF, prox_wgsef, wgsef

__all__ = ["BCDResult", "Box", "CEL0", "Datafit", "ElasticNet", "ForestBCDResult",
           "GreedyBCD", "GroupL1", "Huber", "L0", "L1", "L2", "Logistic", "MCP", "Multinomial",
           "Penalty", "Quadratic", "SCAD", "WGSEF", "check_groups", "duality_gap", "forest_bcd",
           "greedy_forest_blocks", "prox_wgsef", "red_black_blocks", "wgsef"]
