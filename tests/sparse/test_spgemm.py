"""spgemm: equal to scipy's product in structure and values, on awkward inputs."""

import threading

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from sparseopt.sparse import spgemm


@pytest.fixture(autouse=True)
def threads_on_small_products(monkeypatch):
    """threads=2 really runs two threads here: the inputs are far below the size where
    spgemm would fall back to one thread (_PARALLEL_MIN_FLOPS)."""
    from sparseopt.sparse import _spgemm_front

    monkeypatch.setattr(_spgemm_front, "_PARALLEL_MIN_FLOPS", 0)


def canonical(C):
    C = sp.csr_array(C)
    C.sum_duplicates()
    C.eliminate_zeros()
    C.sort_indices()
    return C


def assert_same_product(C, A, B, rtol=1e-14):
    ref = canonical(sp.csr_array(A, dtype=C.dtype) @ sp.csr_array(B, dtype=C.dtype))
    out = canonical(C.copy())
    assert out.shape == ref.shape
    assert_array_equal(out.indptr, ref.indptr)
    assert_array_equal(out.indices, ref.indices)
    scale = np.abs(ref.data).max() if ref.nnz else 1.0
    assert_allclose(out.data, ref.data, rtol=rtol, atol=rtol * scale)


@st.composite
def factor_pairs(draw):
    m, k, n = (draw(st.integers(0, 40)) for _ in range(3))
    dens = draw(st.sampled_from([0.0, 0.05, 0.3, 1.0]))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    A = sp.random_array((m, k), density=dens, format="coo", rng=rng)
    B = sp.random_array((k, n), density=dens, format="coo", rng=rng)
    if draw(st.booleans()):  # every entry stored as two halves, rows unsorted
        A = A.tocsr()
        ind, val = [], []
        for i in range(m):
            cols = A.indices[A.indptr[i]:A.indptr[i + 1]][::-1]
            vals = A.data[A.indptr[i]:A.indptr[i + 1]][::-1] / 2
            ind.append(np.r_[cols, cols])
            val.append(np.r_[vals, vals])
        A = sp.csr_array((np.concatenate(val) if val else np.zeros(0),
                          np.concatenate(ind).astype(np.int32) if ind else
                          np.zeros(0, np.int32), 2 * A.indptr), shape=(m, k))
        A.has_canonical_format = False
        assert A.nnz == 2 * (A.indptr[-1] // 2)
    else:
        A = A.asformat(draw(st.sampled_from(["csr", "csc"])))
    B = B.asformat(draw(st.sampled_from(["csr", "csc"])))
    return A, B


@settings(max_examples=120, deadline=None)
@given(factor_pairs(), st.sampled_from(["auto", "hash", "dense", "one-pass", "two-pass"]),
       st.booleans(), st.sampled_from([1, 2]))
def test_equals_scipy_on_random_inputs(pair, algorithm, sort, threads):
    A, B = pair
    C = spgemm(A, B, algorithm=algorithm, sort_indices=sort, threads=threads)
    assert_same_product(C, A, B)
    if sort:
        for i in range(C.shape[0]):
            row = C.indices[C.indptr[i]:C.indptr[i + 1]]
            assert np.all(np.diff(row) > 0)


@pytest.mark.parametrize("dtype, index_dtype", [
    (np.float64, np.int32), (np.float64, np.int64), (np.float32, np.int32),
    (np.float32, np.int64),
])
def test_dtypes(rng, dtype, index_dtype):
    A = sp.random_array((200, 150), density=0.05, format="csr", rng=rng, dtype=dtype)
    B = sp.random_array((150, 120), density=0.05, format="csr", rng=rng, dtype=dtype)
    A = sp.csr_array((A.data, A.indices.astype(index_dtype), A.indptr.astype(index_dtype)),
                     shape=A.shape)
    C = spgemm(A, B)
    assert C.dtype == dtype
    assert C.indices.dtype == index_dtype and C.indptr.dtype == index_dtype
    assert_same_product(C, A, B, rtol=1e-5 if dtype == np.float32 else 1e-14)


def test_non_numeric_input_is_rejected():
    S = sp.csr_array((np.array(["x"], dtype=object), [0], [0, 1]), shape=(1, 1))
    with pytest.raises(TypeError, match="A must"):
        spgemm(S, sp.eye_array(1, format="csr"))


def test_mixed_and_integer_dtypes_promote_to_float64(rng):
    A = sp.random_array((30, 20), density=0.2, format="csr", rng=rng, dtype=np.float32)
    B = sp.random_array((20, 10), density=0.2, format="csr", rng=rng)
    assert spgemm(A, B).dtype == np.float64
    Ai = sp.csr_array(np.arange(12).reshape(3, 4))
    Bi = sp.csr_array(np.ones((4, 2), dtype=np.int64))
    C = spgemm(Ai, Bi)
    assert C.dtype == np.float64
    assert_allclose(C.toarray(), Ai.toarray() @ Bi.toarray())


def test_exact_zero_sums_are_dropped_like_scipy_unless_kept():
    A = sp.csr_array([[1.0, 1.0]])
    B = sp.csr_array([[1.0], [-1.0]])
    assert (A @ B).nnz == 0
    assert spgemm(A, B).nnz == 0
    C = spgemm(A, B, keep_zeros=True)
    assert C.nnz == 1 and C.data[0] == 0.0
    for alg in ("hash", "dense", "one-pass", "two-pass"):
        assert spgemm(A, B, algorithm=alg).nnz == 0
        assert spgemm(A, B, algorithm=alg, keep_zeros=True).nnz == 1


def test_matrix_and_array_types():
    A = sp.random(20, 30, density=0.2, format="csr", random_state=0)
    B = sp.random(30, 10, density=0.2, format="csr", random_state=1)
    assert isinstance(spgemm(A, B), sp.csr_matrix)
    assert isinstance(spgemm(sp.csr_array(A), B), sp.csr_array)


def test_real_matrices_when_available():
    import gzip
    from pathlib import Path

    import scipy.io

    path = Path(__file__).resolve().parents[2].parent / "shared/data/matrices/bcsstk16.mtx.gz"
    if not path.exists():
        pytest.skip("shared/data is not available")
    with gzip.open(path) as fh:
        A = sp.csr_array(scipy.io.mmread(fh))
    for alg in ("auto", "hash", "two-pass"):
        assert_same_product(spgemm(A, A, algorithm=alg), A, A, rtol=1e-13)


def test_rectangular_a_at(rng):
    A = sp.random_array((300, 200), density=0.03, format="csr", rng=rng)
    assert_same_product(spgemm(A, A.T), A, A.T)


def test_gil_is_released_two_products_in_threads(rng):
    A = sp.random_array((3000, 3000), density=0.003, format="csr", rng=rng)
    out = [None, None]

    def work(slot):
        out[slot] = spgemm(A, A, threads=1)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for C in out:
        assert_same_product(C, A, A)


@pytest.mark.parametrize("A, B, error, match", [
    (sp.eye_array(3, format="csr"), sp.eye_array(4, format="csr"), ValueError,
     "shapes do not match"),
    (np.eye(3), sp.eye_array(3, format="csr"), TypeError, "A must be a scipy sparse"),
    (sp.eye_array(3, format="csr"), np.eye(3), TypeError, "B must be a scipy sparse"),
    (sp.csr_array(([np.nan], [0], [0, 1]), shape=(1, 1)), sp.eye_array(1, format="csr"),
     ValueError, "NaN"),
])
def test_bad_input(A, B, error, match):
    with pytest.raises(error, match=match):
        spgemm(A, B)


def test_out_of_bounds_indices_are_caught():
    bad = sp.csr_array((np.ones(1), np.array([5], dtype=np.int32),
                        np.array([0, 1], dtype=np.int32)), shape=(1, 3), copy=False)
    with pytest.raises(ValueError, match="A"):
        spgemm(bad, sp.eye_array(3, format="csr"))
    with pytest.raises(ValueError, match="algorithm"):
        spgemm(sp.eye_array(3, format="csr"), sp.eye_array(3, format="csr"), algorithm="heap")


def test_many_rows_through_one_dense_accumulator(rng):
    # the accumulator's slots are tagged by row (never cleared): 70k rows on one thread
    A = sp.random_array((70_000, 40), density=0.05, format="csr", rng=rng)
    B = sp.random_array((40, 30), density=0.3, format="csr", rng=rng)
    for alg in ("dense", "two-pass"):
        assert_same_product(spgemm(A, B, threads=1, algorithm=alg), A, B)


@pytest.mark.parametrize("threads", [1, 2])
def test_both_forms_of_the_dense_count(rng, threads):
    # the symbolic pass times a branching and a branch-free loop on blocks of 2^14
    # multiplies and keeps the faster (re-timing the other one block in 32): ~1M
    # multiplies per chunk run both forms, on a graph and on a stencil
    graph = sp.random_array((4000, 4000), density=16 / 4000, format="csr", rng=rng)
    stencil = sp.diags_array([np.ones(3000 - abs(k)) for k in range(-8, 9)],
                             offsets=list(range(-8, 9)), format="csr")
    for A in (graph, stencil):
        C = spgemm(A, A, threads=threads, algorithm="two-pass")
        assert_same_product(C, A, A)


@settings(max_examples=60, deadline=None)
@given(factor_pairs(), st.sampled_from(["auto", "hash", "dense", "one-pass", "two-pass"]),
       st.integers(0, 2**31 - 1))
def test_masked_product_equals_the_masked_full_product(pair, algorithm, seed):
    A, B = pair
    rng = np.random.default_rng(seed)
    M = sp.random_array((A.shape[0], B.shape[1]), density=0.3, format="csr", rng=rng)
    C = spgemm(A, B, mask=M, algorithm=algorithm)
    pattern = sp.csr_array((np.ones(M.nnz), M.indices, M.indptr), shape=M.shape)
    ref = sp.csr_array(A) @ sp.csr_array(B)
    assert_same_product(C, ref.multiply(pattern), sp.eye_array(B.shape[1], format="csr"))


def test_triangle_counting_with_a_mask():
    import itertools

    rng = np.random.default_rng(0)
    n = 40
    upper = np.triu(rng.random((n, n)) < 0.15, 1)
    adj = upper | upper.T
    L = sp.csr_array(np.tril(adj).astype(float))
    triangles = spgemm(L, L, mask=L).sum()
    brute = sum(1 for i, j, k in itertools.combinations(range(n), 3)
                if adj[i, j] and adj[j, k] and adj[i, k])
    assert triangles == brute


def test_bad_mask():
    eye = sp.eye_array(3, format="csr")
    with pytest.raises(ValueError, match="mask must have the shape"):
        spgemm(eye, eye, mask=sp.eye_array(4, format="csr"))
    with pytest.raises(TypeError, match="mask must be a scipy sparse"):
        spgemm(eye, eye, mask=np.eye(3))


def test_complex_products(rng):
    A = sp.random_array((60, 50), density=0.1, format="csr", rng=rng)
    A = A + 1j * sp.random_array((60, 50), density=0.1, format="csr", rng=rng)
    B = sp.random_array((50, 40), density=0.1, format="csr", rng=rng)
    for alg in ("auto", "hash", "two-pass"):
        C = spgemm(A, B, algorithm=alg)
        assert C.dtype == np.complex128
        assert_same_product(C, A, B)
        C = spgemm(B.T, A.T, algorithm=alg)  # real times complex
        assert_same_product(C, B.T, A.T)
    Z = sp.csr_array([[1j, 1.0]]) @ sp.csr_array([[1j], [1.0]])  # 1j*1j + 1 = 0: dropped
    assert Z.nnz == 0
    assert spgemm(sp.csr_array([[1j, 1.0]]), sp.csr_array([[1j], [1.0]])).nnz == 0


def test_boolean_pattern_product(rng):
    A = sp.random_array((50, 40), density=0.1, format="csr", rng=rng) != 0
    B = sp.random_array((40, 30), density=0.1, format="csr", rng=rng) != 0
    C = spgemm(A, B, sort_indices=True)
    assert C.dtype == np.bool_
    ref = (A.astype(float) @ B.astype(float)) != 0
    assert_array_equal(C.toarray(), ref.toarray())
    # boolean times float: promoted like scipy
    F = sp.random_array((40, 30), density=0.1, format="csr", rng=rng, dtype=np.float32)
    assert spgemm(A, F).dtype == np.float32
    assert_same_product(spgemm(A, F), A.astype(np.float32), F, rtol=1e-6)


def test_accumulator_that_cannot_be_allocated_raises_memory_error():
    # 2^47 output columns: a dense accumulator needs 256 TiB per thread, more than a
    # 48-bit address space, so the allocation fails even where memory is overcommitted
    n = 2**47
    A = sp.csr_array((np.array([1.0]), np.array([0]), np.array([0, 1])), shape=(1, 1))
    B = sp.csr_array((np.array([2.0]), np.array([n - 1], dtype=np.int64),
                      np.array([0, 1], dtype=np.int64)), shape=(1, n))
    with pytest.raises(MemoryError, match="could not allocate"):
        spgemm(A, B, algorithm="dense")
    # "auto" sees the size and takes the hash accumulator, which fits
    C = spgemm(A, B)
    assert C.shape == (1, n) and C.nnz == 1
    assert C.indices[0] == n - 1 and C.data[0] == 2.0


def test_one_pass_equals_two_pass():
    # Poisson: 25 multiplies, 13 distinct columns per interior row; with cancellation
    # (A - A^T products) rows come out shorter than their multiply count in both
    T = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(30, 30))
    A = (sp.kron(T, sp.eye_array(30)) + sp.kron(sp.eye_array(30), T)).tocsr()
    for B in (A, (A - A.T + sp.random_array(A.shape, density=0.01, rng=0)).tocsr()):
        for threads in (1, 2):
            two = spgemm(A, B, sort_indices=True, algorithm="two-pass", threads=threads)
            one = spgemm(A, B, sort_indices=True, algorithm="one-pass", threads=threads)
            assert_array_equal(one.indptr, two.indptr)
            assert_array_equal(one.indices, two.indices)
            assert_array_equal(one.data, two.data)
            # the arrays are the product's size, not the room reserved for it
            assert one.indices.shape[0] == one.nnz and one.data.shape[0] == one.nnz


@pytest.mark.parametrize("n_chunks", [1, 3])
@pytest.mark.parametrize("mask", [False, True])
def test_one_pass_buffers_that_must_grow(rng, n_chunks, mask):
    # first room of 64 entries per chunk: the output buffers double many times
    from sparseopt.sparse import _spgemm

    A = sp.random_array((300, 200), density=0.05, format="csr", rng=rng)
    B = sp.random_array((200, 250), density=0.05, format="csr", rng=rng)
    M = sp.random_array((300, 250), density=0.3, format="csr", rng=rng) if mask else None
    chunks = np.linspace(0, 300, n_chunks + 1).astype(np.int64)
    arrays = None if M is None else (M.indptr, M.indices)
    for dense_from in (0, 2**62):  # dense accumulators; hash tables only
        c_ptr, c_ind, c_val = _spgemm.grow(A, B, arrays, chunks, None, None, dense_from,
                                           False, False, 2, 0, 2**40)
        C = sp.csr_array((c_val, c_ind, c_ptr), shape=(300, 250))
        ref = A @ B
        if M is not None:
            ref = ref.multiply(sp.csr_array((np.ones(M.nnz), M.indices, M.indptr),
                                            shape=M.shape))
        assert_same_product(C, ref, sp.eye_array(250, format="csr"))


def test_one_pass_output_beyond_the_memory_limit_raises_with_its_size(rng):
    from sparseopt.sparse import _spgemm

    A = sp.random_array((100, 100), density=0.2, format="csr", rng=rng)
    with pytest.raises(MemoryError, match=r"room for at least \d+ entries"):
        _spgemm.grow(A, A, None, np.array([0, 100], dtype=np.int64), None, None, 0, False,
                     False, 1, 0, 100)


def test_two_pass_with_hash_tables_only(rng):
    # "auto" hashes only when n is too large for dense accumulators: force it here
    from sparseopt.sparse import _spgemm_front

    A = sp.random_array((120, 90), density=0.1, format="csr", rng=rng)
    B = sp.random_array((90, 70), density=0.1, format="csr", rng=rng)
    for chunks in ([0, 120], [0, 7, 60, 120]):
        c_ptr, c_ind, c_val = _spgemm_front._two_pass(
            A, B, None, np.array(chunks, dtype=np.int64), None, 2**62, False, True, 2,
            np.float64)
        assert_same_product(sp.csr_array((c_val, c_ind, c_ptr), shape=(120, 70)), A, B)


def _arrow(n, rng, dtype=np.float64):
    """A with a dense first row over a very sparse rest, B with 4 entries per row: row 0
    of A @ B holds about two thirds of the product's multiplies."""
    A = sp.random_array((n, n), density=0.5 / n, format="lil", rng=rng, dtype=dtype)
    A[0, :] = rng.standard_normal(n)
    B = sp.random_array((n, n), density=4 / n, format="csr", rng=rng, dtype=dtype)
    return sp.csr_array(A), B


@pytest.mark.parametrize("algorithm", ["auto", "one-pass", "two-pass"])
@pytest.mark.parametrize("sort", [False, True])
def test_heavy_rows_multiplied_by_the_whole_team(rng, algorithm, sort):
    from sparseopt.sparse import _spgemm

    A, B = _arrow(3000, rng)
    flops = np.empty(A.shape[0] + 1, dtype=np.int64)
    _spgemm.row_flops(A.indptr, A.indices, B.indptr, flops)
    assert np.diff(flops)[0] > flops[-1] / 2  # row 0 is heavier than a thread's share
    C = spgemm(A, B, threads=2, algorithm=algorithm, sort_indices=sort)
    # summed in a varying order across threads: equal to rounding
    assert_same_product(C, A, B, rtol=1e-12)
    if sort:
        assert np.all(np.diff(C.indices[C.indptr[0]:C.indptr[1]]) > 0)
    # exact cancellation: every entry of Z stored twice, as +a and -a, so Z @ B = 0 (in
    # small integers, so that every partial sum is exact in any order)
    A.data[:] = rng.integers(1, 9, A.nnz)
    B = B.copy()
    B.data[:] = rng.integers(1, 9, B.nnz)
    rows = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
    order = np.argsort(np.r_[rows, rows], kind="stable")  # row r: its entries, then again
    Z = sp.csr_array((np.r_[A.data, -A.data][order], np.r_[A.indices, A.indices][order],
                      2 * A.indptr), shape=A.shape)
    Z.has_canonical_format = False
    assert spgemm(Z, B, threads=2, algorithm=algorithm).nnz == 0
    kept = spgemm(Z, B, threads=2, algorithm=algorithm, keep_zeros=True)
    assert kept.nnz == spgemm(A, B, threads=1).nnz and not kept.data.any()


def test_heavy_rows_with_a_mask_and_complex_values(rng):
    A, B = _arrow(2000, rng)
    A = A + 1j * A.multiply(rng.standard_normal(A.shape))
    M = sp.random_array(A.shape, density=0.2, format="lil", rng=rng)
    M[0, :] = 1.0
    M = sp.csr_array(M)
    pattern = sp.csr_array((np.ones(M.nnz), M.indices, M.indptr), shape=M.shape)
    for algorithm in ("one-pass", "two-pass"):
        C = spgemm(A, B, mask=M, threads=2, algorithm=algorithm)
        assert C.dtype == np.complex128
        assert_same_product(C, (A @ B).multiply(pattern), sp.eye_array(2000, format="csr"),
                            rtol=1e-12)


def test_output_larger_than_the_available_memory_raises_with_its_size(rng, monkeypatch):
    from sparseopt.sparse import _spgemm_front

    A = sp.random_array((200, 200), density=0.1, format="csr", rng=rng)
    monkeypatch.setattr(_spgemm_front, "_available_memory", lambda: 10_000)
    with pytest.raises(MemoryError, match=r"A @ B has \d+ entries: .* more than the memory"):
        spgemm(A, A, algorithm="two-pass")
    with pytest.raises(MemoryError, match=r"room for at least \d+ entries"):
        spgemm(A, A, algorithm="one-pass")


@pytest.mark.parametrize("m", [1, 3, 200_000])
def test_row_flops_prefix_sums_on_threads(rng, m):
    # per-row multiply counts summed by blocks of rows, one per thread (2e5 rows x 5
    # entries: enough nonzeros for the kernel to start a team)
    from sparseopt.sparse import _spgemm

    A = sp.random_array((m, 60), density=5 / 60, format="csr", rng=rng)
    B = sp.random_array((60, 40), density=0.2, format="csr", rng=rng)
    lengths = np.diff(B.indptr)[A.indices]
    rows = np.repeat(np.arange(m), np.diff(A.indptr))
    ref = np.r_[0, np.cumsum(np.bincount(rows, weights=lengths, minlength=m))]
    for threads in (1, 2, 3):
        out = np.empty(m + 1, dtype=np.int64)
        _spgemm.row_flops(A.indptr, A.indices, B.indptr, out, threads)
        assert_array_equal(out, ref)
