"""Warnings and errors raised by sparseopt."""

from sklearn.exceptions import ConvergenceWarning as _SklearnConvergenceWarning

__all__ = ["ConvergenceWarning"]


class ConvergenceWarning(_SklearnConvergenceWarning):
    """An iterative solver stopped before meeting its tolerance.

    A subclass of :class:`sklearn.exceptions.ConvergenceWarning`, so filters written for
    scikit-learn also catch sparseopt's warnings. The message gives the stopping
    criterion reached, the tolerance and what to change.
    """
