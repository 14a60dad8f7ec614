"""Neural-network sparsity: masks, N:M patterns, schedules and layer reconstruction.

Weights use the ``(out, in)`` layout of PyTorch; N:M groups run along the input axis;
masks are boolean arrays, True = kept; sparsity is the fraction of zeros.
"""

from ._patterns import nm_mask, topk_mask
from ._schedules import cubic_sparsity, erk_densities
from ._train import decay_factor, mask_decay_weight, sparse_soup, srste_gradient

__all__ = [
    "cubic_sparsity",
    "decay_factor",
    "erk_densities",
    "mask_decay_weight",
    "nm_mask",
    "sparse_soup",
    "srste_gradient",
    "topk_mask",
]
