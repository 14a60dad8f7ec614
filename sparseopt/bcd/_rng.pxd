# A tiny xorshift64 generator for the nogil loops (selection rules need no better).
from libc.stdint cimport uint64_t


cdef inline uint64_t xorshift(uint64_t *state) noexcept nogil:
    cdef uint64_t x = state[0]
    x ^= x << 13
    x ^= x >> 7
    x ^= x << 17
    state[0] = x
    return x


cdef inline uint64_t seed_state(unsigned long long seed) noexcept nogil:
    return seed * 2654435761ULL + 88172645463325252ULL
