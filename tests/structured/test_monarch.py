"""MonarchMatrix and monarch_project: against brute-force definitions and exact cases."""

import io
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.sparse.linalg import LinearOperator, aslinearoperator

from sparseopt.structured import MonarchMatrix, monarch_project


# ---------------------------------------------------------------------------------------
# brute-force references, written from the definition, one entry / one slice at a time
# ---------------------------------------------------------------------------------------
def dense_by_definition(L, R, shape=None):
    """Entry (o, x) = sum over intermediate j with j % l == o % l and j // q == x // p."""
    k, q, p = R.shape
    l, s, r = L.shape
    M = np.zeros((l * s, k * p), dtype=np.result_type(L, R))
    for o in range(l * s):
        t, v = divmod(o, l)
        for x in range(k * p):
            i, c = divmod(x, p)
            for j in range(k * q):
                if j % l == v and j // q == i:
                    M[o, x] += L[v, t, j // l] * R[i, j % q, c]
    if shape is not None:
        M = M[: shape[0], : shape[1]]
    return M


def projection_by_slices(W, k, l, d):
    """Best approximation, slice by slice: pair (v, i) gets rank |{j : j%l==v, j//q==i}|."""
    m, n = W.shape
    p, s, q = n // k, m // l, d // k
    out = np.zeros_like(W)
    error = 0.0
    for v in range(l):
        for i in range(k):
            rows = [t * l + v for t in range(s)]
            cols = [i * p + c for c in range(p)]
            S = W[np.ix_(rows, cols)]
            rank = sum(1 for j in range(d) if j % l == v and j // q == i)
            U, sig, Vh = np.linalg.svd(S, full_matrices=False)
            out[np.ix_(rows, cols)] = (U[:, :rank] * sig[:rank]) @ Vh[:rank]
            error += float(np.sum(sig[rank:] ** 2))
    return out, error


def divisors(n):
    return [b for b in range(1, n + 1) if n % b == 0]


def rel_max(a, b):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)


# ---------------------------------------------------------------------------------------
# the operator
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, nblocks, mid_dim", [
    ((16, 16), 4, None), ((16, 16), 2, None), ((16, 16), 8, None), ((12, 30), 3, None),
    ((30, 12), (3, 5), None), ((15, 15), (3, 5), None), ((8, 12), (2, 4), 16),
    ((7, 10), 3, None),  # padded
])
def test_toarray_matches_the_definition(shape, nblocks, mid_dim):
    M = MonarchMatrix.random(shape, nblocks, mid_dim=mid_dim, pad=True, random_state=0)
    ref = dense_by_definition(M.L, M.R, M.shape)
    assert_allclose(M.toarray(), ref, rtol=0, atol=1e-14)
    assert M.toarray().shape == shape


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
@pytest.mark.parametrize("order", ["C", "F"])
def test_products_match_dense(rng, dtype, order):
    M = MonarchMatrix.random((20, 24), (4, 5), dtype=dtype, random_state=1)
    A = M.toarray()
    tol = 1e-5 if np.dtype(dtype).itemsize <= 8 and dtype != np.complex128 else 1e-13
    X = np.asarray(rng.standard_normal((24, 7)), order=order).astype(dtype, order=order)
    Y = np.asarray(rng.standard_normal((20, 7)), order=order).astype(dtype, order=order)
    if np.dtype(dtype).kind == "c":
        X = X + 1j * rng.standard_normal(X.shape).astype(X.dtype)
        Y = Y + 1j * rng.standard_normal(Y.shape).astype(Y.dtype)
    assert rel_max(M @ X, A @ X) < tol
    assert rel_max(M.matvec(X[:, 0]), A @ X[:, 0]) < tol
    assert rel_max(M.T @ Y, A.T @ Y) < tol
    assert rel_max(M.H @ Y, A.conj().T @ Y) < tol
    assert rel_max(M.rmatmat(Y), A.conj().T @ Y) < tol
    assert rel_max(M.rmatvec(Y[:, 0]), A.conj().T @ Y[:, 0]) < tol
    assert rel_max(X.T @ M.T, X.T @ A.T) < tol  # the layer's batch-major use
    assert rel_max(M.T.rmatmat(X), A.conj() @ X) < tol
    assert rel_max(M.H.rmatmat(X), A @ X) < tol
    assert (M @ X).dtype == np.result_type(dtype, X.dtype)


def test_transpose_views_round_trip():
    M = MonarchMatrix.random((6, 9), 3, random_state=0)
    assert M.T.T is M and M.H.H is M
    assert M.T.shape == (9, 6)
    assert_allclose(M.T.H @ np.eye(9), M.toarray().conj(), atol=1e-15)


def test_padded_operator_pads_inputs_and_truncates_outputs(rng):
    M = MonarchMatrix.random((10, 13), (3, 4), pad=True, random_state=2)
    assert M.shape == (10, 13) and M.L.shape[0] * M.L.shape[1] == 12
    full = MonarchMatrix(M.L, M.R).toarray()
    assert_allclose(M.toarray(), full[:10, :13], atol=1e-15)
    x = rng.standard_normal(13)
    assert_allclose(M @ x, full[:10, :13] @ x, atol=1e-13)


def test_mixed_input_dtypes_promote(rng):
    M = MonarchMatrix.random((8, 8), 2, dtype=np.float32, random_state=0)
    assert (M @ np.ones(8, dtype=np.float32)).dtype == np.float32
    assert (M @ np.ones(8)).dtype == np.float64
    assert (M @ np.ones(8, dtype=np.int64)).dtype == np.float64
    assert (M @ np.ones(8, dtype=complex)).dtype == np.complex128


def test_product_of_two_monarch_matrices(rng):
    A = MonarchMatrix.random((12, 16), 4, random_state=0)
    B = MonarchMatrix.random((16, 8), (2, 4), random_state=1)
    AB = A @ B
    assert isinstance(AB, LinearOperator) and AB.shape == (12, 8)
    x = rng.standard_normal(8)
    assert_allclose(AB @ x, A.toarray() @ (B.toarray() @ x), atol=1e-12)


def test_scipy_interplay(rng):
    M = MonarchMatrix.random((30, 30), 5, random_state=0)
    assert aslinearoperator(M) is M
    S = M.H @ M + aslinearoperator(sp.eye(30))  # SPD operator for cg
    b = rng.standard_normal(30)
    from scipy.sparse.linalg import cg
    x, info = cg(S, b, rtol=1e-12, maxiter=500)
    A = M.toarray()
    assert info == 0
    assert_allclose((A.T @ A + np.eye(30)) @ x, b, atol=1e-9)


def test_parameters_and_repr():
    M = MonarchMatrix.random((1024, 10000), 4, random_state=0, dtype=np.float32)
    assert M.nblocks == (4, 4) and M.mid_dim == 1024
    assert M.R.shape == (4, 256, 2500) and M.L.shape == (4, 256, 256)
    assert M.n_params == 4 * 256 * 2500 + 4 * 256 * 256
    assert "1024x10000 MonarchMatrix" in repr(M)


def test_save_load_and_pickle(tmp_path):
    M = MonarchMatrix.random((10, 13), (3, 4), pad=True, dtype=np.complex64, random_state=3)
    path = tmp_path / "layer"
    M.save(path)
    back = MonarchMatrix.load(path)  # numpy appended .npz; load finds it
    assert back.shape == M.shape and back.dtype == M.dtype
    assert_allclose(back.toarray(), M.toarray(), rtol=0, atol=0)
    buf = io.BytesIO()
    M.save(buf)
    buf.seek(0)
    assert_allclose(MonarchMatrix.load(buf).toarray(), M.toarray(), rtol=0, atol=0)
    clone = pickle.loads(pickle.dumps(M))
    assert_allclose(clone.toarray(), M.toarray(), rtol=0, atol=0)
    np.savez(tmp_path / "other.npz", a=np.ones(3))
    with pytest.raises(ValueError, match="not a saved MonarchMatrix"):
        MonarchMatrix.load(tmp_path / "other.npz")


@pytest.mark.parametrize("L, R, shape, error, match", [
    (np.ones((2, 3, 4)), np.ones((2, 4, 5)), None, ValueError, "intermediate dimensions"),
    (np.ones((2, 3)), np.ones((2, 4, 5)), None, ValueError, "L must be 3-dimensional"),
    (np.ones((2, 3, 4)), np.full((2, 4, 5), np.nan), None, ValueError, "R must not contain"),
    (np.ones((2, 3, 4)), np.ones((2, 4, 5), dtype=object), None, TypeError, "R must have"),
    (np.ones((2, 3, 4)), np.ones((2, 4, 5)), (7, 10), ValueError, "shape must be"),
    (np.ones((2, 3, 4)), np.ones((2, 4, 5)), (6, 0), ValueError, "shape must be"),
    (sp.eye(3), np.ones((2, 4, 5)), None, TypeError, "L must be a dense"),
])
def test_bad_factors(L, R, shape, error, match):
    if L.shape == (2, 3, 4) and R.shape == (2, 4, 5) and match == "intermediate dimensions":
        R = np.ones((3, 4, 5))  # k*q = 12 vs l*r = 8
    with pytest.raises(error, match=match):
        MonarchMatrix(L, R, shape=shape)


def test_operator_rejects_wrong_input_shape():
    M = MonarchMatrix.random((6, 9), 3, random_state=0)
    with pytest.raises(ValueError):
        M @ np.ones(8)


# ---------------------------------------------------------------------------------------
# projection: exactness
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [12, 16, 36])
def test_projection_recovers_monarch_matrices_for_every_block_count(n):
    for b in divisors(n):
        A = MonarchMatrix.random((n, n), b, random_state=b).toarray()
        M, err = monarch_project(A, b, return_error=True)
        assert rel_max(M.toarray(), A) <= 1e-12, b
        assert err <= 1e-24 * np.sum(A**2)


@pytest.mark.parametrize("shape, nblocks, mid_dim", [
    ((12, 30), 3, None), ((30, 12), 3, None), ((24, 8), (2, 4), None), ((8, 24), (4, 2), None),
    ((20, 45), (5, 4), 40), ((9, 27), (9, 3), None), ((64, 16), (4, 8), None),
])
def test_projection_recovers_rectangular_monarch(shape, nblocks, mid_dim):
    A = MonarchMatrix.random(shape, nblocks, mid_dim=mid_dim, random_state=7).toarray()
    M = monarch_project(A, nblocks, mid_dim=mid_dim)
    assert M.shape == shape
    assert rel_max(M.toarray(), A) <= 1e-12


def test_projection_recovers_padded_monarch():
    A = MonarchMatrix.random((10, 13), (3, 4), pad=True, random_state=1).toarray()
    M, err = monarch_project(A, (3, 4), pad=True, return_error=True)
    assert rel_max(M.toarray(), A) <= 1e-12 and err <= 1e-24 * np.sum(A**2)


# DFT sizes of fly's tests; the block counts are the factor pair n = n1 * n2 nearest sqrt(n).
@pytest.mark.parametrize("n, n1, n2", [
    (15, 3, 5), (36, 6, 6), (196, 14, 14), (27, 3, 9), (48, 6, 8), (42, 6, 7), (85, 5, 17),
    (168, 12, 14), (512, 16, 32),
])
def test_permuted_dft_is_exactly_monarch(n, n1, n2):
    # Cooley-Tukey: with the input read in the order t1*n2 + t2 -> t1 + n1*t2, the DFT is
    # n1 DFTs of size n2 (twiddled), a transpose, and n2 DFTs of size n1.
    F = np.exp(-2j * np.pi * np.outer(np.arange(n), np.arange(n)) / n)
    t1, t2 = np.divmod(np.arange(n), n2)
    A = F[:, t1 + n1 * t2]
    M, err = monarch_project(A, (n1, n2), return_error=True)
    assert np.max(np.abs(M.toarray() - A)) <= 1e-10
    assert err <= 1e-20
    # and the unpermuted DFT is not Monarch with these blocks (the permutation matters)
    if n1 > 1 and n2 > 1:
        assert monarch_project(F, (n1, n2), return_error=True)[1] > 1e-3


# ---------------------------------------------------------------------------------------
# projection: optimality
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, nblocks, mid_dim", [
    ((16, 16), 4, None), ((16, 16), 2, None), ((16, 16), 8, None), ((12, 18), (3, 2), None),
    ((20, 45), (5, 4), 40), ((8, 12), (2, 4), 16), ((10, 10), 5, None),
])
def test_projection_equals_slicewise_svd_and_its_error(rng, shape, nblocks, mid_dim):
    W = rng.standard_normal(shape)
    M, err = monarch_project(W, nblocks, mid_dim=mid_dim, return_error=True)
    k, l = (nblocks, nblocks) if isinstance(nblocks, int) else nblocks
    ref, ref_err = projection_by_slices(W, k, l, M.mid_dim)
    assert_allclose(M.toarray(), ref, rtol=0, atol=1e-12)
    assert_allclose(err, ref_err, rtol=1e-12)
    floor = 1e-24 * np.sum(W**2)  # an exact case has error 0 up to rounding
    assert_allclose(err, np.linalg.norm(W - M.toarray()) ** 2, rtol=1e-10, atol=floor)
    assert_allclose(M.toarray(), dense_by_definition(M.L, M.R), atol=1e-12)


@st.composite
def monarch_problems(draw):
    k = draw(st.integers(1, 4))
    l = draw(st.integers(1, 4))
    n = k * draw(st.integers(1, 4))
    m = l * draw(st.integers(1, 4))
    step = k * l // np.gcd(k, l)
    d = step * draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**31 - 1))
    return (m, n), (k, l), d, seed


@settings(max_examples=30, deadline=None)
@given(monarch_problems())
def test_projection_beats_random_and_perturbed_monarch(problem):
    shape, nblocks, d, seed = problem
    rng = np.random.default_rng(seed)
    W = rng.standard_normal(shape)
    M, err = monarch_project(W, nblocks, mid_dim=d, return_error=True)
    assert_allclose(err, np.linalg.norm(W - M.toarray()) ** 2, rtol=1e-9, atol=1e-12)
    scale = np.sqrt(np.sum(W**2) / M.n_params)
    for _ in range(100):
        other = MonarchMatrix.random(shape, nblocks, mid_dim=d, random_state=rng)
        other = MonarchMatrix(other.L * scale, other.R * scale)
        assert err <= np.linalg.norm(W - other.toarray()) ** 2 + 1e-12
    # a local check that random draws cannot make: small moves of the optimal factors
    for eps in (1e-1, 1e-3):
        moved = MonarchMatrix(M.L + eps * rng.standard_normal(M.L.shape),
                              M.R + eps * rng.standard_normal(M.R.shape))
        assert err <= np.linalg.norm(W - moved.toarray()) ** 2 + 1e-12


def test_float32_and_complex_projection(rng):
    W = rng.standard_normal((16, 32)).astype(np.float32)
    M, err = monarch_project(W, 4, return_error=True)
    assert M.dtype == np.float32
    M64, err64 = monarch_project(W.astype(np.float64), 4, return_error=True)
    assert_allclose(M.toarray(), M64.toarray(), atol=1e-5)
    assert_allclose(err, err64, rtol=1e-5)
    Z = rng.standard_normal((12, 12)) + 1j * rng.standard_normal((12, 12))
    Mz, errz = monarch_project(Z, 3, return_error=True)
    assert Mz.dtype == np.complex128
    assert_allclose(errz, np.linalg.norm(Z - Mz.toarray()) ** 2, rtol=1e-10)


def test_one_block_is_a_rank_truncation(rng):
    W = rng.standard_normal((6, 9))
    M, err = monarch_project(W, 1, return_error=True)
    assert_allclose(M.toarray(), W, atol=1e-12)  # rank min(m, n): nothing lost
    M, err = monarch_project(W, 1, mid_dim=2, return_error=True)
    sig = np.linalg.svd(W, compute_uv=False)
    assert_allclose(err, np.sum(sig[2:] ** 2), rtol=1e-12)


# ---------------------------------------------------------------------------------------
# projection: bad input
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("W, kwargs, error, match", [
    (np.ones((12, 10)), {"nblocks": 3}, ValueError, "3 input blocks do not divide the 10"),
    (np.ones((10, 12)), {"nblocks": 3}, ValueError, "3 output blocks do not divide the 10"),
    (np.ones(12), {"nblocks": 3}, ValueError, "W must be 2-dimensional"),
    (np.ones((2, 3, 4)), {"nblocks": 1}, ValueError, "W must be 2-dimensional"),
    (np.full((6, 6), np.nan), {"nblocks": 2}, ValueError, "NaN"),
    (np.full((6, 6), np.inf), {"nblocks": 2}, ValueError, "NaN or infinity"),
    (np.ones((0, 6)), {"nblocks": 2}, ValueError, "non-empty"),
    (sp.eye(6, format="csr"), {"nblocks": 2}, TypeError, "sparse"),
    (np.ones((6, 6)), {"nblocks": 0}, ValueError, "nblocks must be >= 1"),
    (np.ones((6, 6)), {"nblocks": 2.0}, TypeError, "nblocks must be an int"),
    (np.ones((6, 6)), {"nblocks": (2, 3, 1)}, TypeError, "nblocks must be an int"),
    (np.ones((6, 6)), {"nblocks": 2, "mid_dim": 5}, ValueError, "mid_dim must be a multiple"),
    (np.ones((6, 6)), {"nblocks": 2, "mid_dim": 0}, ValueError, "mid_dim must be a positive"),
    (np.array([["a", "b"]]), {"nblocks": 1}, TypeError, "W must"),
])
def test_projection_bad_input(W, kwargs, error, match):
    with pytest.raises(error, match=match):
        monarch_project(W, **kwargs)


def test_projection_pads_when_asked(rng):
    W = rng.standard_normal((10, 12))
    M, err = monarch_project(W, 3, pad=True, return_error=True)
    assert M.shape == (10, 12)
    assert_allclose(err, np.linalg.norm(W - M.toarray()) ** 2, rtol=1e-10)
    # padding never hurts: the optimum over truncated Monarch matrices of a bigger layout
    Wp = np.zeros((12, 12))
    Wp[:10] = W
    assert err <= monarch_project(Wp, 3, return_error=True)[1] + 1e-12


def test_in_place_factor_updates_are_seen(rng):
    M = MonarchMatrix.random((8, 8), 2, dtype=np.complex128, random_state=0)
    y = rng.standard_normal(8)
    M.H @ y
    M.L *= 2.0
    assert_allclose(M.H @ y, M.toarray().conj().T @ y, atol=1e-13)
