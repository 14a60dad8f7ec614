/* sparseopt C core: shared definitions.
 *
 * Rules for everything under _ext/: plain C99, no Python or numpy headers, no global
 * state, every buffer's size passed explicitly, int64_t for counts that can exceed 2^31.
 * Inputs are validated in Python before they reach C; kernels trust them.
 */
#ifndef SPARSEOPT_COMMON_H
#define SPARSEOPT_COMMON_H

#include <stdint.h>

/* Status codes returned by every exported kernel. */
#define SO_OK 0
#define SO_ERR_ALLOC 1      /* a work buffer could not be allocated */
#define SO_ERR_ARG 2        /* an argument the caller should have validated */

/* Build facts, so Python can report them without a generated file. */
int so_openmp_enabled(void);        /* 1 if compiled with OpenMP, else 0 */
int so_openmp_version(void);        /* the _OPENMP macro (e.g. 201511), 0 without OpenMP */
int so_openmp_max_threads(void);    /* omp_get_max_threads(), 1 without OpenMP */
int so_openmp_num_procs(void);      /* omp_get_num_procs(), 1 without OpenMP */

#endif
