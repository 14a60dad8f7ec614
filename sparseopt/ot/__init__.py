"""Entropic optimal transport: Sinkhorn (log-domain and absorbed scaling) and
Sinkhorn-Newton-Sparse, with POT's argument conventions."""

from ._sinkhorn_front import sinkhorn, sinkhorn2

__all__ = ["sinkhorn", "sinkhorn2"]
