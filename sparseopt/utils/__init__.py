"""Utilities shared by every module: input validation, threads, discovery."""

from . import validation
from ._parallel import effective_n_threads, openmp_info
from .discovery import all_estimators

__all__ = ["all_estimators", "effective_n_threads", "openmp_info", "validation"]
