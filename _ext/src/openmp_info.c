/* Build- and run-time OpenMP facts.  Without OpenMP everything degrades to one thread. */
#include "sparseopt/common.h"

#ifdef _OPENMP
#include <omp.h>
#endif

int so_openmp_enabled(void)
{
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}

int so_openmp_version(void)
{
#ifdef _OPENMP
    return (int)_OPENMP;
#else
    return 0;
#endif
}

int so_openmp_max_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

int so_openmp_num_procs(void)
{
#ifdef _OPENMP
    return omp_get_num_procs();
#else
    return 1;
#endif
}
