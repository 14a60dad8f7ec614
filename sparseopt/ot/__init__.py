"""Entropic optimal transport: Sinkhorn (log-domain and absorbed scaling) and
Sinkhorn-Newton-Sparse, with POT's argument conventions."""

from ._estimator import EntropicTransport
from ._sinkhorn_front import sinkhorn, sinkhorn2

__all__ = ["EntropicTransport", "sinkhorn", "sinkhorn2"]
