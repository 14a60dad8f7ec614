/* Instantiates sinkhorn_impl.h for both cost types (float64, then float32); included by
 * sinkhorn.c once per instruction set for the helpers and once for the exported kernels. */
#define CT double
#define SFX f64
#define SO_LOAD4 so_load4d
#include "sinkhorn_impl.h"
#undef CT
#undef SFX
#undef SO_LOAD4
#define CT float
#define SFX f32
#define SO_LOAD4 so_load4f
#include "sinkhorn_impl.h"
#undef CT
#undef SFX
#undef SO_LOAD4
