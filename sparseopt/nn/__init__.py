"""Neural-network sparsity: masks, N:M patterns, schedules and layer reconstruction.

Weights use the ``(out, in)`` layout of PyTorch; N:M groups run along the input axis;
masks are boolean arrays, True = kept; sparsity is the fraction of zeros.
"""

from ._patterns import nm_mask, topk_mask

__all__ = ["nm_mask", "topk_mask"]
