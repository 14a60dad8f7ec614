"""Thread counts for the compiled kernels, and what OpenMP the build has."""

from __future__ import annotations

from .._config import _available_cpus, _check_n_threads, get_config


def effective_n_threads(n_threads: int | None = None) -> int:
    """Number of threads a compiled kernel will use for ``n_threads``.

    Parameters
    ----------
    n_threads : int or None, default=None
        None: the global default (:func:`sparseopt.set_config`), else the OpenMP limit
        (``OMP_NUM_THREADS``, threadpoolctl) capped by the cores available to this
        process. -1: all available cores. A positive int: that many threads.

    Returns
    -------
    n : int
        A positive thread count (1 when the build has no OpenMP).

    Raises
    ------
    TypeError
        If ``n_threads`` is not None or an int.
    ValueError
        If ``n_threads`` is 0 or below -1.

    Examples
    --------
    >>> from sparseopt.utils import effective_n_threads
    >>> effective_n_threads(1)
    1
    """
    from ._openmp import _openmp_facts

    _check_n_threads(n_threads)
    if n_threads is None:
        n_threads = get_config()["n_threads"]
    enabled, _, omp_max, _ = _openmp_facts()
    if not enabled:
        return 1
    if n_threads is None:
        return max(1, min(omp_max, _available_cpus()))
    if n_threads == -1:
        return _available_cpus()
    return int(n_threads)


def openmp_info() -> dict:
    """Describe the OpenMP support of this build and the threads it will use.

    Returns
    -------
    info : dict
        ``openmp`` (bool, whether the kernels were compiled with OpenMP),
        ``openmp_version`` (the ``_OPENMP`` date, e.g. 201511, or None),
        ``max_threads`` (OpenMP's current limit), ``available_cpus`` (cores this
        process may use) and ``effective_n_threads`` (the kernels' default).

    Examples
    --------
    >>> from sparseopt.utils import openmp_info
    >>> sorted(openmp_info())
    ['available_cpus', 'effective_n_threads', 'max_threads', 'openmp', 'openmp_version']
    """
    from ._openmp import _openmp_facts

    enabled, version, omp_max, _ = _openmp_facts()
    return {
        "openmp": enabled,
        "openmp_version": version or None,
        "max_threads": omp_max,
        "available_cpus": _available_cpus(),
        "effective_n_threads": effective_n_threads(),
    }

