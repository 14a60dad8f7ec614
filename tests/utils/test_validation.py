"""The shared input checks reject bad input with a message naming the argument."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from sparseopt.utils import effective_n_threads, openmp_info
from sparseopt.utils.validation import (
    check_array,
    check_consistent_length,
    check_scalar,
    check_sparse,
    get_index_dtype,
)


def _csr(indptr, indices, data, shape, index_dtype=np.int32):
    """A csr_array assembled without scipy's own checks (to test ours)."""
    A = sp.csr_array(shape)
    A.indptr = np.asarray(indptr, dtype=index_dtype)
    A.indices = np.asarray(indices, dtype=index_dtype)
    A.data = np.asarray(data, dtype=np.float64)
    return A


# ---------------------------------------------------------------- check_array
def test_check_array_keeps_float_dtypes_and_converts_ints():
    x32 = np.ones((2, 3), dtype=np.float32)
    assert check_array(x32, "X") is x32
    assert check_array([[1, 2]], "X").dtype == np.float64
    assert check_array(np.ones(3, dtype=bool), "w").dtype == np.float64


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_check_array_rejects_nonfinite(bad):
    x = np.ones((3, 2))
    x[1, 1] = bad
    with pytest.raises(ValueError, match="X must not contain NaN or infinity"):
        check_array(x, "X")
    assert check_array(x, "X", allow_nonfinite=True) is x


def test_check_array_nonfinite_found_when_sum_overflows():
    # A huge finite sum falls back to the exact test and is accepted.
    x = np.full(4, np.finfo(np.float64).max)
    assert check_array(x, "x") is x


def test_check_array_shape_and_ndim_messages():
    with pytest.raises(ValueError, match=r"X must be 2-dimensional, got 1 dimension"):
        check_array(np.ones(3), "X", ndim=2)
    with pytest.raises(ValueError, match=r"y must have shape \(4, \*\), got \(3, 2\)"):
        check_array(np.ones((3, 2)), "y", shape=(4, None))


@pytest.mark.parametrize("bad, match", [
    (sp.csr_array(np.eye(2)), "X must be a dense array, got a sparse"),
    ("abc", "X must be array-like"),
    (None, "X must be array-like"),
    (np.array(["a", "b"]), "X must have a real numeric dtype"),
    (np.ones(2, dtype=complex), "X must have a real numeric dtype"),
    (np.array([object(), 1.0], dtype=object), "X must hold numbers"),
])
def test_check_array_type_errors(bad, match):
    with pytest.raises(TypeError, match=match):
        check_array(bad, "X")


def test_check_array_order_and_copy():
    x = np.ones((3, 4))
    f = check_array(x, "X", order="F")
    assert f.flags.f_contiguous
    c = check_array(x, "X", copy=True)
    assert c is not x and not np.shares_memory(c, x)


# ---------------------------------------------------------------- check_scalar
@pytest.mark.parametrize("value, kwargs, exc, match", [
    (-1.0, {"min_val": 0}, ValueError, r"alpha must be in \[0, inf\), got -1.0"),
    (0.0, {"min_val": 0, "include_boundaries": "right"}, ValueError, r"alpha must be in \(0"),
    (1.5, {"min_val": 0, "max_val": 1}, ValueError, r"alpha must be in \[0, 1\]"),
    (float("nan"), {}, ValueError, "alpha must be finite"),
    (float("inf"), {}, ValueError, "alpha must be finite"),
    ("1", {}, TypeError, "alpha must be Real"),
    (True, {}, TypeError, "alpha must be Real"),
])
def test_check_scalar_rejects(value, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        check_scalar(value, "alpha", **kwargs)


def test_check_scalar_accepts_bounds():
    assert check_scalar(0, "alpha", min_val=0) == 0
    assert check_scalar(np.float32(0.5), "l1_ratio", min_val=0, max_val=1) == 0.5


def test_check_consistent_length():
    assert check_consistent_length(X=np.ones((3, 2)), y=np.ones(3), w=None) == 3
    with pytest.raises(ValueError, match="X has 3, y has 4"):
        check_consistent_length(X=np.ones((3, 2)), y=np.ones(4))


def test_get_index_dtype():
    assert get_index_dtype(np.arange(3, dtype=np.int64)) == np.int32
    assert get_index_dtype(np.array([2**40])) == np.int64
    assert get_index_dtype(maxval=2**31) == np.int64


# ---------------------------------------------------------------- check_sparse
def test_check_sparse_accepts_valid_and_returns_same_object(rng):
    A = sp.random_array((20, 10), density=0.3, format="csr", rng=rng)
    assert check_sparse(A, "A") is A
    M = sp.csr_matrix(A)
    assert check_sparse(M, "A") is M


@pytest.mark.parametrize("indptr, indices, match", [
    ([1, 1, 2], [0, 1], r"A.indptr must start at 0, got 1"),
    ([0, 2, 1], [0, 1], r"A.indptr must be non-decreasing; it decreases after position 1"),
    ([0, 1, 5], [0, 1], r"A.indptr ends at 5 but A stores only 2 entries"),
    ([0, 1, 2], [0, 3], r"A.indices\[1\] = 3 is out of bounds for 3 columns"),
    ([0, 1, 2], [-1, 0], r"A.indices\[0\] = -1 is out of bounds"),
    ([0, 1], [0], r"A.indptr must have length 3"),
])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_check_sparse_rejects_malformed_structure(indptr, indices, match, index_dtype):
    A = _csr(indptr, indices, np.ones(len(indices)), (2, 3), index_dtype)
    with pytest.raises(ValueError, match=match):
        check_sparse(A, "A")


def test_check_sparse_order_checks():
    unsorted = _csr([0, 2, 2], [2, 0], [1.0, 2.0], (2, 3))
    dup = _csr([0, 2, 2], [1, 1], [1.0, 2.0], (2, 3))
    assert check_sparse(unsorted, "A") is unsorted  # allowed unless asked
    with pytest.raises(ValueError, match=r"A has unsorted indices within a row .*sort_indices"):
        check_sparse(unsorted, "A", check_order=True)
    with pytest.raises(ValueError, match=r"A has duplicate indices .*sum_duplicates"):
        check_sparse(dup, "A", check_order=True)


def test_check_sparse_csc_messages():
    A = sp.csc_array((3, 2))
    A.indptr = np.array([0, 1, 2], dtype=np.int32)
    A.indices = np.array([0, 7], dtype=np.int32)
    A.data = np.ones(2)
    with pytest.raises(ValueError, match="out of bounds for 3 rows"):
        check_sparse(A, "X", formats=("csc",))


def test_check_sparse_rejects_nonfinite_values():
    A = _csr([0, 1, 2], [0, 1], [1.0, np.nan], (2, 3))
    with pytest.raises(ValueError, match="A must not contain NaN or infinity"):
        check_sparse(A, "A")
    assert check_sparse(A, "A", allow_nonfinite=True) is A


def test_check_sparse_ignores_values_past_indptr_end():
    # Only the first indptr[-1] stored entries are part of the matrix.
    A = _csr([0, 1, 1], [0, 2], [1.0, np.nan], (2, 3))
    assert check_sparse(A, "A") is A


def test_check_sparse_type_errors():
    with pytest.raises(TypeError, match="A must be a scipy sparse matrix or array in format csr"):
        check_sparse(np.eye(2), "A")
    A = sp.csr_array(np.eye(2, dtype=complex))
    with pytest.raises(TypeError, match="A.data must have a real numeric dtype"):
        check_sparse(A, "A")


def test_check_sparse_shape():
    A = sp.csr_array(np.eye(3))
    with pytest.raises(ValueError, match=r"A must have shape \(2, \*\), got \(3, 3\)"):
        check_sparse(A, "A", shape=(2, None))


def test_check_sparse_converts_formats_and_dtypes(rng):
    D = rng.standard_normal((6, 5)) * (rng.random((6, 5)) < 0.4)
    for fmt in ("coo", "csc", "lil", "dok", "bsr", "dia"):
        A = sp.csr_array(D).asformat(fmt)
        B = check_sparse(A, "A")
        assert B.format == "csr"
        assert_array_equal(B.toarray(), D)
    Ai = sp.csr_array(D.astype(np.int64) + 1)
    assert check_sparse(Ai, "A").dtype == np.float64
    # Mixed index dtypes are brought to a common one.
    M = sp.csr_array(D)
    M.indptr = M.indptr.astype(np.int64)
    B = check_sparse(M, "A")
    assert B.indices.dtype == B.indptr.dtype == np.int64


def test_check_sparse_coo_out_of_bounds_is_caught_before_conversion():
    A = sp.coo_array((np.ones(2), (np.array([0, 5]), np.array([0, 1]))), shape=(6, 2))
    A.coords = (np.array([0, 9]), np.array([0, 1]))
    with pytest.raises(ValueError, match="A has a row index out of bounds"):
        check_sparse(A, "A")


@st.composite
def _compressed(draw):
    """Arbitrary (often malformed) CSR structures."""
    n_rows = draw(st.integers(0, 6))
    n_cols = draw(st.integers(0, 6))
    indptr = draw(st.lists(st.integers(-2, 12), min_size=n_rows + 1, max_size=n_rows + 1))
    nnz = draw(st.integers(0, 12))
    indices = draw(st.lists(st.integers(-3, 8), min_size=nnz, max_size=nnz))
    return n_rows, n_cols, indptr, indices


@settings(max_examples=300, deadline=None)
@given(_compressed(), st.sampled_from([np.int32, np.int64]))
def test_check_sparse_never_crashes_and_agrees_with_scipy(structure, index_dtype):
    n_rows, n_cols, indptr, indices = structure
    A = _csr(indptr, indices, np.ones(len(indices)), (n_rows, n_cols), index_dtype)
    try:
        B = check_sparse(A, "A")
    except ValueError as exc:
        assert str(exc).startswith("A")  # names the argument
        return
    # Accepted: scipy's full check must agree that the structure is valid.
    nnz = int(B.indptr[-1])
    C = sp.csr_array((B.data[:nnz], B.indices[:nnz], B.indptr), shape=B.shape)
    C.check_format(full_check=True)


# ---------------------------------------------------------------- threads
def test_effective_n_threads():
    info = openmp_info()
    assert effective_n_threads(1) == 1
    assert effective_n_threads(-1) == (info["available_cpus"] if info["openmp"] else 1)
    n_default = effective_n_threads()
    assert n_default >= 1
    assert n_default <= max(info["available_cpus"], 1)
    with pytest.raises(ValueError, match="n_threads must be None, -1 or a positive int"):
        effective_n_threads(0)


def test_openmp_info_respects_threadpoolctl():
    from threadpoolctl import threadpool_limits

    if not openmp_info()["openmp"]:
        pytest.skip("built without OpenMP")
    with threadpool_limits(1, user_api="openmp"):
        assert effective_n_threads() == 1
