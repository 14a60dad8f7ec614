"""Global options and the thread count used by the compiled kernels."""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from numbers import Integral

_DEFAULTS = {"n_threads": None}
_local = threading.local()


def _get_local():
    if not hasattr(_local, "config"):
        _local.config = dict(_DEFAULTS)
    return _local.config


def get_config() -> dict:
    """Return a copy of sparseopt's global options.

    Returns
    -------
    config : dict
        ``n_threads``: the default thread count of the compiled kernels (None: all the
        cores this process may use, within OpenMP and threadpoolctl limits).

    See Also
    --------
    set_config, config_context
    """
    return dict(_get_local())


def set_config(*, n_threads: int | None = None) -> None:
    """Set sparseopt's global options for the current thread.

    Parameters
    ----------
    n_threads : int or None, default=None
        Default thread count of the compiled kernels; None, -1 and positive integers are
        understood as in :func:`sparseopt.utils.effective_n_threads`.

    See Also
    --------
    get_config, config_context
    """
    _check_n_threads(n_threads)
    _get_local()["n_threads"] = n_threads


@contextmanager
def config_context(*, n_threads: int | None = None):
    """Context manager that sets options on entry and restores them on exit.

    Parameters
    ----------
    n_threads : int or None, default=None
        As in :func:`set_config`.

    Examples
    --------
    >>> import sparseopt
    >>> with sparseopt.config_context(n_threads=1):
    ...     sparseopt.get_config()["n_threads"]
    1
    """
    old = get_config()
    set_config(n_threads=n_threads)
    try:
        yield
    finally:
        set_config(**old)


def _check_n_threads(n_threads):
    if n_threads is None:
        return
    if isinstance(n_threads, bool) or not isinstance(n_threads, Integral):
        raise TypeError(f"n_threads must be None or an int, got {type(n_threads).__name__}")
    if n_threads == 0 or n_threads < -1:
        raise ValueError(f"n_threads must be None, -1 or a positive int, got {n_threads}")


def _available_cpus() -> int:
    """Cores this process may run on (affinity mask and cgroup quota respected)."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    try:  # cgroup v2 CPU quota, as containers set it
        with open("/sys/fs/cgroup/cpu.max") as fh:
            quota, period = fh.read().split()[:2]
        if quota != "max":
            n = min(n, max(1, int(int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return max(1, n)
