# Fused types shared by every Cython module: float32/float64 values, int32/int64 indices.
from libc.stdint cimport int32_t, int64_t

ctypedef fused floating:
    float
    double

ctypedef fused index_t:
    int32_t
    int64_t
