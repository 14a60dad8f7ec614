/* CSR x dense matrix product, multi-threaded over row blocks of equal nnz.
 * The body is written once in csrmm_impl.h and instantiated here for
 * {float64, float32} x {int32, int64}. */
#include <stddef.h>
#include "sparseopt/csr.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#define SO_PANEL 64     /* output columns accumulated at once (acc[] stays in registers/L1) */
#define SO_PREFETCH 8   /* how many nonzeros ahead to prefetch rows of X */

/* The partition helper exists once per index type; it is emitted with the f64 pass. */
#define FT double
#define IT int32_t
#define SFX f64_i32
#define ISFX i32
#include "csrmm_impl.h"
#undef FT
#undef IT
#undef SFX
#undef ISFX

#define FT double
#define IT int64_t
#define SFX f64_i64
#define ISFX i64
#include "csrmm_impl.h"
#undef FT
#undef IT
#undef SFX
#undef ISFX

#define SO_NO_PARTITION
#define FT float
#define IT int32_t
#define SFX f32_i32
#define ISFX i32
#include "csrmm_impl.h"
#undef FT
#undef IT
#undef SFX
#undef ISFX

#define FT float
#define IT int64_t
#define SFX f32_i64
#define ISFX i64
#include "csrmm_impl.h"
#undef FT
#undef IT
#undef SFX
#undef ISFX
