# The one place that declares the C core (_ext/include/sparseopt/*.h) to Cython.
from libc.stdint cimport int32_t, int64_t


cdef extern from "sparseopt/common.h" nogil:
    int SO_OK
    int SO_ERR_ALLOC
    int SO_ERR_ARG
    int so_openmp_enabled()
    int so_openmp_version()
    int so_openmp_max_threads()
    int so_openmp_num_procs()


cdef extern from "sparseopt/csr.h" nogil:
    int so_csr_check_i32(int64_t n_rows, int64_t n_cols, int64_t capacity,
                         const int32_t *indptr, const int32_t *indices,
                         int check_order, int64_t *where)
    int so_csr_check_i64(int64_t n_rows, int64_t n_cols, int64_t capacity,
                         const int64_t *indptr, const int64_t *indices,
                         int check_order, int64_t *where)
    int so_csrmm_f64_i32(int64_t n_rows, int64_t n_vecs,
                         const int32_t *indptr, const int32_t *indices, const double *data,
                         const double *x, int64_t x_rs, int64_t x_cs,
                         double *y, int64_t y_rs, int64_t y_cs,
                         double alpha, double beta, int n_threads)
    int so_csrmm_f64_i64(int64_t n_rows, int64_t n_vecs,
                         const int64_t *indptr, const int64_t *indices, const double *data,
                         const double *x, int64_t x_rs, int64_t x_cs,
                         double *y, int64_t y_rs, int64_t y_cs,
                         double alpha, double beta, int n_threads)
    int so_csrmm_f32_i32(int64_t n_rows, int64_t n_vecs,
                         const int32_t *indptr, const int32_t *indices, const float *data,
                         const float *x, int64_t x_rs, int64_t x_cs,
                         float *y, int64_t y_rs, int64_t y_cs,
                         float alpha, float beta, int n_threads)
    int so_csrmm_f32_i64(int64_t n_rows, int64_t n_vecs,
                         const int64_t *indptr, const int64_t *indices, const float *data,
                         const float *x, int64_t x_rs, int64_t x_cs,
                         float *y, int64_t y_rs, int64_t y_cs,
                         float alpha, float beta, int n_threads)


cdef extern from "sparseopt/sinkhorn.h" nogil:
    int so_sk_lse_rows_f64(int64_t n, int64_t m, const double *M, const double *g, double reg,
                           double *out, int n_threads)
    int so_sk_lse_rows_f32(int64_t n, int64_t m, const float *M, const double *g, double reg,
                           double *out, int n_threads)
    int so_sk_lse_cols_f64(int64_t n, int64_t m, const double *M, const double *f, double reg,
                           double *out, int n_threads)
    int so_sk_lse_cols_f32(int64_t n, int64_t m, const float *M, const double *f, double reg,
                           double *out, int n_threads)
    int so_sk_kernel_f64(int64_t n, int64_t m, const double *M, const double *f,
                         const double *g, double reg, double *K, int n_threads)
    int so_sk_kernel_f32(int64_t n, int64_t m, const float *M, const double *f,
                         const double *g, double reg, double *K, int n_threads)
    ctypedef struct so_sk_screen:
        double zlow
        int64_t cap
        int32_t *idx
        void *mval
        int64_t *start
        int64_t *len
        int overflow
        int64_t size
    int so_sk_marginals_f64(int64_t n, int64_t m, const double *M, const double *f,
                            const double *g, double reg, double zcut, double *rows,
                            double *cols, double *total, double *cost, const double *a,
                            const double *b, double tau, int64_t *counts,
                            so_sk_screen *screen, double *plan, int n_threads)
    int so_sk_marginals_f32(int64_t n, int64_t m, const float *M, const double *f,
                            const double *g, double reg, double zcut, double *rows,
                            double *cols, double *total, double *cost, const double *a,
                            const double *b, double tau, int64_t *counts,
                            so_sk_screen *screen, double *plan, int n_threads)
    int so_sk_marginals_screened_f64(int64_t n, int64_t m, const so_sk_screen *screen,
                                     const double *f, const double *g, double reg,
                                     double *rows, double *cols, double *total, double *cost,
                                     const double *a, const double *b, double tau,
                                     int64_t *counts, int64_t *kidx, double *kdata,
                                     int n_threads)
    int so_sk_marginals_screened_f32(int64_t n, int64_t m, const so_sk_screen *screen,
                                     const double *f, const double *g, double reg,
                                     double *rows, double *cols, double *total, double *cost,
                                     const double *a, const double *b, double tau,
                                     int64_t *counts, int64_t *kidx, double *kdata,
                                     int n_threads)
    int so_sk_sparsify_screened_f64(int64_t n, const so_sk_screen *screen, const double *f,
                                    const double *g, double reg, const double *a,
                                    const double *b, double tau, const int64_t *indptr,
                                    int64_t *indices, double *data, int64_t *filled,
                                    int n_threads)
    int so_sk_sparsify_screened_f32(int64_t n, const so_sk_screen *screen, const double *f,
                                    const double *g, double reg, const double *a,
                                    const double *b, double tau, const int64_t *indptr,
                                    int64_t *indices, double *data, int64_t *filled,
                                    int n_threads)
    int so_sk_sparsify_f64(int64_t n, int64_t m, const double *M, const double *f,
                           const double *g, double reg, double zcut, const double *a,
                           const double *b,
                           double tau, const int64_t *indptr, int64_t *indices,
                           double *data, int64_t *filled, int n_threads)
    int so_sk_sparsify_f32(int64_t n, int64_t m, const float *M, const double *f,
                           const double *g, double reg, double zcut, const double *a,
                           const double *b,
                           double tau, const int64_t *indptr, int64_t *indices,
                           double *data, int64_t *filled, int n_threads)
    int so_sk_matvec(int64_t n, int64_t m, const double *K, const double *v, double *out,
                     int n_threads)
    int so_sk_rmatvec(int64_t n, int64_t m, const double *K, const double *u, double *out,
                      int n_threads)
    int so_sns_pcg(int64_t n, int64_t m, const int64_t *indptr, const int64_t *indices,
                   const double *data, const double *d1, const double *d2, double shift,
                   const double *r1, const double *r2, double *x, double *y, double rtol,
                   int64_t max_iter, int64_t *n_iter, double *rel_res, int n_threads)
