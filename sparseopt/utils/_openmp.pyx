# Build- and run-time OpenMP facts from the C core.
from sparseopt._core cimport (
    so_openmp_enabled, so_openmp_max_threads, so_openmp_num_procs, so_openmp_version,
)


def _openmp_facts():
    """Return ``(enabled, version, max_threads, num_procs)`` as the C core sees them."""
    return (
        bool(so_openmp_enabled()),
        int(so_openmp_version()),
        int(so_openmp_max_threads()),
        int(so_openmp_num_procs()),
    )
