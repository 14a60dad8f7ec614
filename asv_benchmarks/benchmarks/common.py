"""Shared settings of the asv benchmarks.

``SPARSEOPT_BENCH_PROFILE`` selects the problem sizes and repeats:

- ``fast``: small problems, few repeats (CI's smoke run);
- ``regular`` (default): the sizes the issues name.
"""

import os

PROFILE = os.environ.get("SPARSEOPT_BENCH_PROFILE", "regular")
if PROFILE not in ("fast", "regular"):
    raise ValueError(f"SPARSEOPT_BENCH_PROFILE must be 'fast' or 'regular', got {PROFILE!r}")


def is_fast():
    return PROFILE == "fast"


class Benchmark:
    """Base class: asv timing settings per profile."""

    timeout = 600
    processes = 1
    if PROFILE == "fast":
        repeat = (1, 3, 10.0)
        warmup_time = 0.1
    else:
        repeat = (3, 7, 60.0)
        warmup_time = 0.5


def require(module):
    """Import an optional peer, or skip the benchmark (asv skips on NotImplementedError)."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise NotImplementedError(f"{module} is not installed") from exc
