"""csr_matmat_dense against scipy's product, on ordinary and awkward inputs."""

import threading

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from sparseopt.datasets import make_random_csr
from sparseopt.sparse import csr_matmat_dense

RTOL = {np.float64: 1e-12, np.float32: 1e-5}


def _assert_matches_scipy(A, X, Y, dtype=np.float64):
    ref = (A.astype(np.float64) @ X.astype(np.float64))
    scale = max(np.abs(ref).max(initial=0.0), 1.0)
    assert_allclose(Y, ref, rtol=RTOL[dtype], atol=RTOL[dtype] * scale)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("n_cols", [1, 3, 32, 130])  # 130 spans three column panels
@pytest.mark.parametrize("n_threads", [1, 2])
def test_matches_scipy(rng, dtype, index_dtype, n_cols, n_threads):
    A = make_random_csr(300, 200, 7, dtype=dtype, index_dtype=index_dtype, random_state=0)
    X = rng.standard_normal((200, n_cols)).astype(dtype)
    Y = csr_matmat_dense(A, X, n_threads=n_threads)
    assert Y.dtype == dtype and Y.shape == (300, n_cols) and Y.flags.c_contiguous
    _assert_matches_scipy(A, X, Y, dtype)


def test_large_enough_to_use_threads_bit_identical(rng):
    # Each output row is computed by one thread in a fixed order: identical bits.
    A = make_random_csr(20_000, 5_000, 12, random_state=1)
    X = rng.standard_normal((5_000, 16))
    Y1 = csr_matmat_dense(A, X, n_threads=1)
    Y2 = csr_matmat_dense(A, X, n_threads=2)
    Y3 = csr_matmat_dense(A, X, n_threads=3)
    assert_array_equal(Y1, Y2)
    assert_array_equal(Y1, Y3)
    _assert_matches_scipy(A, X, Y1)


def test_vector_operand(rng):
    A = make_random_csr(50, 40, 5, random_state=2)
    x = rng.standard_normal(40)
    y = csr_matmat_dense(A, x)
    assert y.shape == (50,)
    assert_allclose(y, A @ x, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape, n_cols", [((0, 5), 3), ((4, 0), 3), ((4, 5), 0), ((0, 0), 0)])
def test_empty_shapes(shape, n_cols):
    A = sp.csr_array(shape)
    X = np.ones((shape[1], n_cols))
    Y = csr_matmat_dense(A, X)
    assert Y.shape == (shape[0], n_cols)
    assert_array_equal(Y, np.zeros((shape[0], n_cols)))


def test_empty_rows_and_zero_columns(rng):
    D = rng.standard_normal((30, 20))
    D[::3] = 0.0  # empty rows
    D[:, 5:9] = 0.0  # columns never referenced
    A = sp.csr_array(D * (rng.random(D.shape) < 0.3))
    X = rng.standard_normal((20, 4))
    Y = csr_matmat_dense(A, X)
    _assert_matches_scipy(A, X, Y)
    assert_array_equal(Y[::3], 0.0)


def test_unsorted_and_duplicate_indices_are_summed():
    A = sp.csr_array((2, 3))
    A.indptr = np.array([0, 3, 4], dtype=np.int32)
    A.indices = np.array([2, 0, 2, 1], dtype=np.int32)  # row 0: unsorted, 2 repeated
    A.data = np.array([1.0, 2.0, 3.0, 4.0])
    X = np.arange(6.0).reshape(3, 2)
    Y = csr_matmat_dense(A, X)
    expected = np.array([[2 * 0 + 4 * 4, 2 * 1 + 4 * 5], [4 * 2, 4 * 3]], dtype=float)
    assert_array_equal(Y, expected)


def test_layouts_and_views(rng):
    A = make_random_csr(60, 50, 6, random_state=3)
    X = rng.standard_normal((100, 12))
    for Xv in (np.asfortranarray(X[:50]), X[::2], X[:50, ::3], X[49::-1], X[:50, 2:7]):
        _assert_matches_scipy(A, Xv, csr_matmat_dense(A, Xv))
    Xro = X[:50].copy()
    Xro.flags.writeable = False
    _assert_matches_scipy(A, Xro, csr_matmat_dense(A, Xro))


def test_other_sparse_formats_and_matrix_classes(rng):
    A = make_random_csr(40, 30, 4, random_state=4)
    X = rng.standard_normal((30, 3))
    for B in (sp.csr_matrix(A), A.tocsc(), A.tocoo(), sp.csc_matrix(A)):
        _assert_matches_scipy(A, X, csr_matmat_dense(B, X))


def test_mixed_and_integer_dtypes(rng):
    A = make_random_csr(40, 30, 4, dtype=np.float32, random_state=5)
    X = rng.standard_normal((30, 3))
    Y = csr_matmat_dense(A, X)  # float32 x float64 -> float64
    assert Y.dtype == np.float64
    _assert_matches_scipy(A, X, Y, np.float32)
    Xi = rng.integers(-3, 3, (30, 3))
    assert csr_matmat_dense(A, Xi).dtype == np.float64


@pytest.mark.parametrize("order", ["C", "F"])
def test_alpha_beta_out(rng, order):
    A = make_random_csr(80, 60, 5, random_state=6)
    X = rng.standard_normal((60, 7))
    Y0 = np.asarray(rng.standard_normal((80, 7)), order=order)
    out = Y0.copy(order=order)
    res = csr_matmat_dense(A, X, alpha=-2.0, beta=0.5, out=out)
    assert res is out
    assert_allclose(out, -2.0 * (A @ X) + 0.5 * Y0, rtol=1e-12, atol=1e-12)
    # beta == 0 ignores the old contents, even NaN (BLAS semantics).
    out[:] = np.nan
    csr_matmat_dense(A, X, out=out)
    assert_allclose(out, A @ X, rtol=1e-12, atol=1e-12)


def test_out_vector(rng):
    A = make_random_csr(20, 10, 3, random_state=7)
    x = rng.standard_normal(10)
    out = np.ones(20)
    csr_matmat_dense(A, x, beta=1.0, out=out)
    assert_allclose(out, A @ x + 1.0, rtol=1e-12, atol=1e-12)


def test_bad_input_messages(rng):
    A = make_random_csr(10, 8, 3, random_state=8)
    X = rng.standard_normal((8, 2))
    with pytest.raises(ValueError, match=r"X must have 8 rows to match A of shape \(10, 8\)"):
        csr_matmat_dense(A, X[:5])
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="X must not contain NaN"):
        csr_matmat_dense(A, Xn)
    An = A.copy()
    An.data[0] = np.inf
    with pytest.raises(ValueError, match="A must not contain NaN or infinity"):
        csr_matmat_dense(An, X)
    with pytest.raises(TypeError, match="A must be a scipy sparse"):
        csr_matmat_dense(A.toarray(), X)
    with pytest.raises(ValueError, match="X must be 1 or 2-dimensional"):
        csr_matmat_dense(A, np.ones((8, 2, 2)))
    with pytest.raises(ValueError, match="beta must be 0 when out is not given"):
        csr_matmat_dense(A, X, beta=1.0)
    with pytest.raises(ValueError, match="alpha must be finite"):
        csr_matmat_dense(A, X, alpha=np.nan)
    with pytest.raises(ValueError, match=r"out must have shape \(10, 2\)"):
        csr_matmat_dense(A, X, out=np.zeros((10, 3)))
    with pytest.raises(TypeError, match="out must have dtype float64"):
        csr_matmat_dense(A, X, out=np.zeros((10, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="n_threads must be None, -1 or a positive int"):
        csr_matmat_dense(A, X, n_threads=0)
    ro = np.zeros((10, 2))
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="out must be writable"):
        csr_matmat_dense(A, X, out=ro)


def test_nonfinite_propagates_when_check_disabled(rng):
    A = make_random_csr(10, 8, 3, random_state=9)
    X = rng.standard_normal((8, 2))
    X[A.indices[0], 0] = np.nan  # a row of X that row 0 of A reads
    Y = csr_matmat_dense(A, X, check_finite=False)
    assert np.isnan(Y[0, 0])


def test_malformed_structure_is_rejected_not_read():
    A = sp.csr_array((3, 4))
    A.indptr = np.array([0, 2, 1, 3], dtype=np.int32)
    A.indices = np.array([0, 1, 2], dtype=np.int32)
    A.data = np.ones(3)
    with pytest.raises(ValueError, match="A.indptr must be non-decreasing"):
        csr_matmat_dense(A, np.ones((4, 2)))
    A.indptr = np.array([0, 1, 2, 3], dtype=np.int32)
    A.indices = np.array([0, 1, 10**6], dtype=np.int32)
    with pytest.raises(ValueError, match=r"A.indices\[2\] = 1000000 is out of bounds"):
        csr_matmat_dense(A, np.ones((4, 2)))


def test_concurrent_calls_from_python_threads(rng):
    # The kernel runs without the GIL; concurrent calls must not interfere.
    A = make_random_csr(2_000, 1_000, 8, random_state=10)
    Xs = [rng.standard_normal((1_000, 4)) for _ in range(8)]
    expected = [A @ X for X in Xs]
    results = [None] * len(Xs)

    def work(i):
        for _ in range(5):
            results[i] = csr_matmat_dense(A, Xs[i], n_threads=2)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(Xs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r, e in zip(results, expected, strict=True):
        assert_allclose(r, e, rtol=1e-12, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    m=st.integers(0, 25), k=st.integers(0, 25), n=st.integers(0, 70),
    density=st.floats(0, 1), dtype=st.sampled_from([np.float64, np.float32]),
    index_dtype=st.sampled_from([np.int32, np.int64]), seed=st.integers(0, 2**16),
)
def test_property_matches_dense_product(m, k, n, density, dtype, index_dtype, seed):
    rng = np.random.default_rng(seed)
    D = (rng.standard_normal((m, k)) * (rng.random((m, k)) < density)).astype(dtype)
    A = sp.csr_array(D)
    A.indices = A.indices.astype(index_dtype)
    A.indptr = A.indptr.astype(index_dtype)
    X = rng.standard_normal((k, n)).astype(dtype)
    Y = csr_matmat_dense(A, X, n_threads=2)
    assert Y.shape == (m, n) and Y.dtype == dtype
    _assert_matches_scipy(A, X, Y, dtype)
