"""Semi-supervised learning on graphs: label propagation solved by forest-block BCD."""

from ._label_propagation import LabelPropagation, harmonic_system

__all__ = ["LabelPropagation", "harmonic_system"]
