"""MatrixCompletion: recovery, the per-row kernel against numpy, solvers, bad input."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sparseopt.completion._als import solve_rows

from sparseopt.completion import MatrixCompletion, _altmin
from sparseopt.exceptions import ConvergenceWarning


def _problem(n, k, oversampling=3.0, seed=0, dtype=np.float64):
    """Gaussian rank-k n x n matrix, |Omega| = oversampling n k log n sampled uniformly
    without replacement; returns (M, observed CSR)."""
    rng = np.random.default_rng(seed)
    U, V = rng.standard_normal((n, k)), rng.standard_normal((n, k))
    nnz = int(oversampling * n * k * np.log(n))
    rows, cols = np.divmod(rng.choice(n * n, nnz, replace=False), n)
    values = np.einsum("ij,ij->i", U[rows], V[cols])
    X = sp.csr_array((values.astype(dtype), (rows, cols)), shape=(n, n))
    return U @ V.T, X


def _rel_error(model, M):
    return np.linalg.norm(model.U_ @ model.V_.T - M) / np.linalg.norm(M)


@pytest.mark.parametrize("solver", ["cholesky", "cg", "sketch"])
def test_recovery_small(solver):
    M, X = _problem(300, 5)
    model = MatrixCompletion(5, solver=solver, random_state=0).fit(X)
    assert model.converged_
    assert _rel_error(model, M) <= 1e-8


@pytest.mark.parametrize("solver", ["cholesky", "cg", "sketch"])
def test_recovery_acceptance(solver):
    # the acceptance target: m = n = 2000, k = 10, |Omega| = 3 n k log n (11 % sampled)
    M, X = _problem(2000, 10)
    assert X.nnz == int(3 * 2000 * 10 * np.log(2000))
    model = MatrixCompletion(10, solver=solver, random_state=0).fit(X)
    assert model.converged_
    assert _rel_error(model, M) <= 1e-8
    assert model.history_[-1] <= 1e-10


# ---------------------------------------------------------------------- kernel oracle
def _lstsq_rows(A, F, reg):
    """Each row's ridge least squares by numpy.linalg.lstsq on the stacked system
    [F_obs; sqrt(reg) I] x = [m_obs; 0]."""
    A = sp.csr_array(A)
    k = F.shape[1]
    out = np.zeros((A.shape[0], k))
    for i in range(A.shape[0]):
        idx = A.indices[A.indptr[i]:A.indptr[i + 1]]
        vals = A.data[A.indptr[i]:A.indptr[i + 1]].astype(np.float64)
        lhs = np.vstack([F[idx].astype(np.float64), np.sqrt(reg) * np.eye(k)])
        rhs = np.concatenate([vals, np.zeros(k)])
        out[i] = np.linalg.lstsq(lhs, rhs, rcond=None)[0]
    return out


def _kernel(A, F, reg, *, cg_iter=0, X0=None, n_threads=1, index=np.int32):
    X = np.zeros((A.shape[0], F.shape[1]), dtype=F.dtype) if X0 is None else X0.copy()
    res = np.zeros(A.shape[0])
    status = solve_rows(A.indptr.astype(index), A.indices.astype(index),
                        A.data.astype(F.dtype), F, X, reg, cg_iter > 0, cg_iter, res,
                        n_threads)
    return X, res, status


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-10), (np.float32, 2e-4)])
@pytest.mark.parametrize("index", [np.int32, np.int64])
@pytest.mark.parametrize("reg", [0.0, 0.3])
def test_kernel_matches_lstsq(dtype, rtol, index, reg):
    rng = np.random.default_rng(1)
    A = sp.random_array((60, 40), density=0.4, format="csr", rng=rng, dtype=np.float64)
    F = rng.standard_normal((40, 4)).astype(dtype)
    X, res, status = _kernel(A, F, reg, index=index)
    assert status == 0 and X.dtype == dtype
    ref = _lstsq_rows(A, F, reg)
    # the conditioning of these Grams is ~10: errors are a few ulps times that
    assert_allclose(X, ref, rtol=rtol, atol=rtol * np.abs(ref).max())
    # residual[i] is row i's squared error on its observed entries after the solve
    A64 = A.astype(np.float64)
    pred = np.einsum("ij,ij->i", X.astype(np.float64)[A64.tocoo().row],
                     F.astype(np.float64)[A64.tocoo().col])
    ref_res = np.bincount(A64.tocoo().row, (A64.tocoo().data - pred) ** 2, minlength=60)
    assert_allclose(res, ref_res, rtol=1e-6 if dtype == np.float32 else 1e-10, atol=1e-12)


@pytest.mark.parametrize("cg_iter", [0, 3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kernel_thread_count_bit_identical(cg_iter, dtype):
    rng = np.random.default_rng(2)
    A = sp.random_array((500, 80), density=0.2, format="csr", rng=rng)
    F = rng.standard_normal((80, 6)).astype(dtype)
    X0 = rng.standard_normal((500, 6)).astype(dtype)
    one = _kernel(A, F, 0.1, cg_iter=cg_iter, X0=X0, n_threads=1)
    two = _kernel(A, F, 0.1, cg_iter=cg_iter, X0=X0, n_threads=2)
    assert_array_equal(one[0], two[0])
    assert_array_equal(one[1], two[1])


def test_kernel_cg_converges_to_cholesky():
    rng = np.random.default_rng(3)
    A = sp.random_array((100, 50), density=0.3, format="csr", rng=rng)
    F = rng.standard_normal((50, 5))
    exact = _kernel(A, F, 0.0)[0]
    # CG is exact in k = 5 steps in exact arithmetic; 3 k steps absorb the rounding
    cg = _kernel(A, F, 0.0, cg_iter=15, X0=rng.standard_normal((100, 5)))[0]
    assert_allclose(cg, exact, rtol=1e-9, atol=1e-9 * np.abs(exact).max())
    # a few warm-started steps per call, repeated (restarted CG, linear convergence: on
    # this problem's worst-conditioned row about 2x per restart): the same limit
    X = np.zeros((100, 5))
    for _ in range(60):
        X = _kernel(A, F, 0.0, cg_iter=3, X0=X)[0]
    assert_allclose(X, exact, rtol=1e-9, atol=1e-9 * np.abs(exact).max())


def test_kernel_singular_and_empty_rows():
    rng = np.random.default_rng(4)
    F = rng.standard_normal((10, 4))
    # row 0: no observed entry; row 1: 2 < k entries (singular Gram); row 2: 6 entries
    A = sp.csr_array((rng.standard_normal(8), [0, 1, 0, 1, 2, 3, 4, 5],
                      [0, 0, 2, 8]), shape=(3, 10))
    X, _, status = _kernel(A, F, 0.0)
    assert status == 2
    assert_array_equal(X[0], 0.0)
    # the jittered solve is close to the minimum-norm least-squares solution: a ridge of
    # 1e-8 tr(G)/k costs a bias ~1e-8 / sigma_min^2 and a rounding error ~eps / 1e-8
    idx = A.indices[0:2]
    min_norm = np.linalg.lstsq(F[idx], A.data[0:2], rcond=None)[0]
    assert_allclose(X[1], min_norm, rtol=1e-6)
    assert_allclose(X[2], _lstsq_rows(A, F, 0.0)[2], rtol=1e-10)
    # with a ridge, an empty row is the ridge solution, 0, and nothing is singular
    X, _, status = _kernel(A, F, 0.5)
    assert status == 0
    assert_array_equal(X[0], 0.0)


# ------------------------------------------------------------------- estimator level
def test_cg_and_cholesky_reach_the_same_matrix():
    M, X = _problem(300, 5, seed=5)
    a = MatrixCompletion(5, random_state=0).fit(X)
    b = MatrixCompletion(5, solver="cg", cg_iter=2, random_state=0).fit(X)
    assert_allclose(b.U_ @ b.V_.T, a.U_ @ a.V_.T, atol=1e-8 * np.abs(M).max())


def test_ridge_fixed_point_is_the_closed_form():
    M, X = _problem(200, 4, seed=6)
    rng = np.random.default_rng(0)
    X = X + sp.csr_array((0.01 * rng.standard_normal(X.nnz), X.indices, X.indptr),
                         shape=X.shape)
    reg = 2.0
    model = MatrixCompletion(4, reg=reg, tol=1e-12, max_iter=500, random_state=0).fit(X)
    # the last half-step solved U for the final V: each row is the ridge closed form
    # (V_obs^T V_obs + reg I)^-1 V_obs^T m_obs
    assert_allclose(model.U_, _lstsq_rows(X, model.V_, reg), rtol=1e-10, atol=1e-12)
    # at convergence V is (to the tolerance) also the closed form for U
    assert_allclose(model.V_, _lstsq_rows(X.T.tocsr(), model.U_, reg), rtol=1e-5,
                    atol=1e-6 * np.abs(model.V_).max())


def test_thread_count_does_not_change_the_fit():
    _, X = _problem(300, 5, seed=7)
    for solver in ("cholesky", "cg"):
        one = MatrixCompletion(5, solver=solver, random_state=0, n_threads=1).fit(X)
        two = MatrixCompletion(5, solver=solver, random_state=0, n_threads=2).fit(X)
        assert_array_equal(one.U_, two.U_)
        assert_array_equal(one.V_, two.V_)
        assert_array_equal(one.history_, two.history_)


@pytest.mark.filterwarnings("ignore:Can't check dok sparse matrix")
def test_dense_nan_is_missing_and_formats_agree():
    M, X = _problem(120, 3, seed=8)
    dense = np.full(M.shape, np.nan)
    coo = X.tocoo()
    dense[coo.row, coo.col] = coo.data
    ref = MatrixCompletion(3, random_state=0).fit(X)
    for inp in (dense, X.tocsc(), X.tocoo(), sp.csr_matrix(X), X.todok()):
        model = MatrixCompletion(3, random_state=0).fit(inp)
        assert_allclose(model.U_ @ model.V_.T, ref.U_ @ ref.V_.T, atol=1e-10)


def test_int64_indices_and_float32():
    M, X = _problem(300, 5, seed=9)
    X64 = sp.csr_array((X.data, X.indices.astype(np.int64), X.indptr.astype(np.int64)),
                       shape=X.shape)
    a = MatrixCompletion(5, random_state=0).fit(X)
    b = MatrixCompletion(5, random_state=0).fit(X64)
    assert_array_equal(a.U_, b.U_)
    f32 = MatrixCompletion(5, random_state=0, tol=1e-6).fit(X.astype(np.float32))
    assert f32.U_.dtype == np.float32 and f32.V_.dtype == np.float32
    # float32 rounding of the data (relative 6e-8) bounds what can be recovered
    assert _rel_error(f32, M) <= 1e-4


def test_duplicates_are_summed():
    M, X = _problem(100, 3, seed=10)
    coo = X.tocoo()
    half = 0.5 * coo.data
    # every entry split into two stored halves
    dup = sp.coo_array((np.concatenate([half, half]),
                        (np.concatenate([coo.row, coo.row]),
                         np.concatenate([coo.col, coo.col]))), shape=X.shape)
    ref = MatrixCompletion(3, random_state=0).fit(X)
    model = MatrixCompletion(3, random_state=0).fit(dup)
    assert_allclose(model.U_ @ model.V_.T, ref.U_ @ ref.V_.T, atol=1e-10)
    # a CSR with duplicate column indices within a row: also summed, input untouched
    csr = sp.csr_array((np.array([1.0, 2.0, 5.0, 1.0]), np.array([0, 0, 1, 2]),
                        np.array([0, 3, 4])), shape=(2, 3))
    assert not csr.has_canonical_format
    obs = _altmin._observed(csr)
    assert_array_equal(obs.toarray(), [[3.0, 5.0, 0.0], [0.0, 0.0, 1.0]])
    assert csr.nnz == 4


@pytest.mark.filterwarnings("ignore::sparseopt.exceptions.ConvergenceWarning")
def test_empty_rows_and_columns_get_zero_factors():
    M, X = _problem(150, 3, seed=11)
    X = X.tolil()
    X[7, :] = 0
    X[:, 9] = 0
    X = sp.csr_array(X)
    X.eliminate_zeros()  # row 7 and column 9: nothing observed
    for reg in (0.0, 0.1):
        model = MatrixCompletion(3, reg=reg, random_state=0, max_iter=300).fit(X)
        assert_array_equal(model.U_[7], 0.0)
        assert_array_equal(model.V_[9], 0.0)
        assert np.isfinite(model.U_).all() and np.isfinite(model.V_).all()


def test_explicit_zeros_are_observed():
    X = sp.csr_array((np.array([1.0, 0.0, 2.0]), np.array([0, 1, 1]), np.array([0, 2, 3])),
                     shape=(2, 3))
    assert _altmin._observed(X).nnz == 3


def test_bad_input():
    _, X = _problem(50, 2, seed=12)
    with pytest.raises(ValueError, match=r"rank must be < min\(m, n\) = 50"):
        MatrixCompletion(50).fit(X)
    with pytest.raises(ValueError, match="'rank' parameter"):
        MatrixCompletion(0).fit(X)
    with pytest.raises(ValueError, match="'reg' parameter"):
        MatrixCompletion(2, reg=-1.0).fit(X)
    bad = X.copy()
    bad.data[3] = np.nan
    with pytest.raises(ValueError, match="X must not contain NaN"):
        MatrixCompletion(2).fit(bad)
    bad = X.copy()
    bad.indices[3] = 50
    with pytest.raises(ValueError, match=r"X.indices\[3\] = 50 is out of bounds"):
        MatrixCompletion(2).fit(bad)
    coo = X.tocoo(copy=True)  # (tocoo may share X's index arrays)
    coo.col[0] = 77
    with pytest.raises(ValueError, match="X has a column index out of bounds"):
        MatrixCompletion(2).fit(coo)
    dense = X.toarray()
    dense[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        MatrixCompletion(2).fit(dense)
    with pytest.raises(ValueError, match="X has no observed entry"):
        MatrixCompletion(2).fit(np.full((10, 10), np.nan))
    with pytest.raises(ValueError, match="X has no observed entry"):
        MatrixCompletion(2).fit(sp.csr_array((10, 10)))
    coo = X.tocoo()
    with pytest.raises(ValueError, match=r"X's cols must be in \[0, 40\)"):
        MatrixCompletion(2).fit((coo.row, coo.col, coo.data), shape=(50, 40))
    with pytest.raises(ValueError, match="X's rows must be in"):
        MatrixCompletion(2).fit((coo.row - 1, coo.col, coo.data), shape=(50, 50))
    with pytest.raises(ValueError, match="same length"):
        MatrixCompletion(2).fit((coo.row, coo.col[:-1], coo.data))
    with pytest.raises(TypeError, match="X's rows must hold integers"):
        MatrixCompletion(2).fit((coo.row.astype(float), coo.col, coo.data))
    with pytest.raises(ValueError, match="finite"):
        MatrixCompletion(2).fit((coo.row, coo.col, np.where(coo.data > 0, np.nan, 1.0)))
    with pytest.raises(ValueError, match=r"\(rows, cols, values\)"):
        MatrixCompletion(2).fit((coo.row, coo.col))
    with pytest.raises(ValueError, match="shape is only used with"):
        MatrixCompletion(2).fit(X, shape=(50, 50))
    with pytest.raises(ValueError, match="sketch_size must be >= rank"):
        MatrixCompletion(3, solver="sketch", sketch_size=2).fit(X)
    with pytest.raises((TypeError, ValueError), match="(?i)string|dtype|numeric|array"):
        MatrixCompletion(2).fit("not a matrix")
    with pytest.raises(ValueError, match="2D array"):
        MatrixCompletion(2).fit(np.ones(10))


def test_convergence_warning_and_history():
    _, X = _problem(200, 4, seed=13)
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        model = MatrixCompletion(4, max_iter=2, random_state=0).fit(X)
    assert model.n_iter_ == 2 and not model.converged_
    assert model.history_.shape == (2,)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = MatrixCompletion(4, random_state=0).fit(X)
    assert model.converged_ and model.history_[-1] <= 1e-10
    assert model.n_iter_ == len(model.history_)
    # exact low-rank data: the residual falls geometrically
    assert np.all(np.diff(np.log(model.history_[2:])) < 0)


def test_predict_and_reconstruct(monkeypatch):
    M, X = _problem(100, 3, seed=14)
    model = MatrixCompletion(3, random_state=0).fit(X)
    rows = np.array([[0, 99], [50, 3]])
    cols = np.array([[5, 0], [99, 3]])
    pred = model.predict(rows, cols)
    assert pred.shape == (2, 2)
    assert_allclose(pred, model.reconstruct()[rows, cols], rtol=1e-12)
    assert_allclose(pred, M[rows, cols], rtol=1e-8)
    with pytest.raises(ValueError, match=r"rows must be in \[0, 100\)"):
        model.predict([100], [0])
    with pytest.raises(ValueError, match=r"cols must be in \[0, 100\)"):
        model.predict([0], [-1])
    with pytest.raises(ValueError, match="same shape"):
        model.predict([0, 1], [0])
    with pytest.raises(TypeError, match="integers"):
        model.predict([0.5], [0])
    monkeypatch.setattr(_altmin, "_MAX_DENSE", 100 * 99)
    with pytest.raises(ValueError, match="use predict"):
        model.reconstruct()


def test_incoherence_clipping_removes_heavy_rows():
    rng = np.random.default_rng(15)
    B, _ = np.linalg.qr(rng.standard_normal((400, 3)))
    B[5] = 0.0
    B[5, 0] = 0.9  # one spiky row
    B, _ = np.linalg.qr(B)
    Q, R = _altmin._clip_rows(B, None, 3)
    assert_array_equal(Q[5], 0.0)
    assert_allclose(Q.T @ Q, np.eye(3), atol=1e-12)
    # a large mu clips nothing
    Q, R = _altmin._clip_rows(B, 100.0, 3)
    assert_allclose(Q @ R, B, atol=1e-12)


def test_random_init_and_refit_idempotent_and_pickle():
    M, X = _problem(300, 5, seed=16)
    model = MatrixCompletion(5, init="random", random_state=0, max_iter=300).fit(X)
    assert _rel_error(model, M) <= 1e-8
    again = MatrixCompletion(5, init="random", random_state=0, max_iter=300).fit(X)
    assert_array_equal(model.U_, again.U_)
    clone = pickle.loads(pickle.dumps(model))
    assert_array_equal(clone.predict([1, 2], [3, 4]), model.predict([1, 2], [3, 4]))


# --------------------------------------------------------------------------------------
# solver="sketch": CountSketch-preconditioned CG per row
# --------------------------------------------------------------------------------------
def _sketch_kernel(A, F, reg, *, cg_iter, s, X0=None, seed=7, n_threads=1, index=np.int32):
    X = np.zeros((A.shape[0], F.shape[1]), dtype=F.dtype) if X0 is None else X0.copy()
    res = np.zeros(A.shape[0])
    status = solve_rows(A.indptr.astype(index), A.indices.astype(index),
                        A.data.astype(F.dtype), F, X, reg, 2, cg_iter, res, n_threads, s,
                        seed)
    return X, res, status


@pytest.mark.parametrize("index", [np.int32, np.int64])
@pytest.mark.parametrize("reg", [0.0, 0.3])
def test_kernel_sketch_converges_to_lstsq(index, reg):
    # rows with 8-40 entries, sketch of 12 rows: the long rows are sketched, the short
    # ones solved exactly; preconditioned CG is exact in k steps (3 k absorb rounding)
    rng = np.random.default_rng(21)
    A = sp.random_array((80, 60), density=0.4, format="csr", rng=rng)
    F = rng.standard_normal((60, 4)) * np.array([1.0, 10.0, 100.0, 1000.0])
    ref = _lstsq_rows(A, F, reg)
    X, res, status = _sketch_kernel(A, F, reg, cg_iter=12, s=12, index=index,
                                    X0=rng.standard_normal((80, 4)))
    assert status == 0
    assert_allclose(X, ref, rtol=1e-8, atol=1e-8 * np.abs(ref).max())
    pred = (X[A.tocoo().row] * F[A.tocoo().col]).sum(axis=1)
    assert_allclose(res, np.bincount(A.tocoo().row, (A.tocoo().data - pred) ** 2,
                                     minlength=80), rtol=1e-8, atol=1e-12)


def test_kernel_sketch_preconditions_an_ill_conditioned_row():
    # one row, 400 observed entries, columns scaled over 4 decades (cond(G) ~ 1e8). With
    # fewer CG steps than k, plain CG's error depends on that conditioning; the sketched
    # preconditioner (20 = 4 k rows) leaves a system of condition number O(1), so each
    # warm-started call of 3 steps divides the error by a constant (measured: 10-100x)
    rng = np.random.default_rng(22)
    scale = np.geomspace(1, 1e4, 5)
    F = rng.standard_normal((400, 5)) * scale
    A = sp.csr_array(rng.standard_normal((1, 400)))
    ref = _lstsq_rows(A, F, 0.0)

    def err(X):
        return np.linalg.norm((X - ref) * scale) / np.linalg.norm(ref * scale)

    cg, sk = np.zeros((1, 5)), np.zeros((1, 5))
    cg_err, sk_err = [], []
    for call in range(4):
        cg = _kernel(A, F, 0.0, cg_iter=3, X0=cg)[0]
        sk = _sketch_kernel(A, F, 0.0, cg_iter=3, s=20, X0=sk, seed=call)[0]
        cg_err.append(err(cg))
        sk_err.append(err(sk))
    assert sk_err[0] < 0.05 and cg_err[0] > 5 * sk_err[0]
    assert sk_err[-1] < 1e-5 and cg_err[-1] > 1e2 * sk_err[-1]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kernel_sketch_deterministic_and_thread_independent(dtype):
    rng = np.random.default_rng(23)
    A = sp.random_array((500, 80), density=0.3, format="csr", rng=rng)
    F = rng.standard_normal((80, 6)).astype(dtype)
    X0 = rng.standard_normal((500, 6)).astype(dtype)
    one = _sketch_kernel(A, F, 0.1, cg_iter=2, s=12, X0=X0, n_threads=1)
    two = _sketch_kernel(A, F, 0.1, cg_iter=2, s=12, X0=X0, n_threads=2)
    assert one[0].dtype == dtype
    assert_array_equal(one[0], two[0])
    # a different seed is a different sketch: after 2 steps the rows differ slightly
    other = _sketch_kernel(A, F, 0.1, cg_iter=2, s=12, X0=X0, seed=8)
    assert not np.array_equal(one[0], other[0])


def test_kernel_rejects_bad_mode():
    A = sp.csr_array(np.ones((3, 4)))
    F = np.ones((4, 2))
    assert _sketch_kernel(A, F, 0.0, cg_iter=1, s=0)[2] == -2
    X = np.zeros((3, 2))
    assert solve_rows(A.indptr, A.indices, A.data, F, X, 0.0, 3, 1, np.zeros(0), 1) == -2


def test_sketch_solver_converges_where_cg_stalls():
    # spread singular values (1 .. 1e3): the row Grams of the scaled factor are ill
    # conditioned, 3 plain CG steps per row crawl, the preconditioned ones do not
    rng = np.random.default_rng(24)
    n, k = 400, 5
    U = np.linalg.qr(rng.standard_normal((n, k)))[0] * np.geomspace(1, 1e3, k)
    V = np.linalg.qr(rng.standard_normal((n, k)))[0]
    nnz = int(3 * n * k * np.log(n))
    r, c = np.divmod(rng.choice(n * n, nnz, replace=False), n)
    X = sp.csr_array((np.einsum("ij,ij->i", U[r], V[c]), (r, c)), shape=(n, n))
    M = U @ V.T
    sk = MatrixCompletion(k, solver="sketch", random_state=0, max_iter=100).fit(X)
    assert sk.converged_ and _rel_error(sk, M) <= 1e-8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cg = MatrixCompletion(k, solver="cg", random_state=0, max_iter=sk.n_iter_).fit(X)
    assert _rel_error(cg, M) > 1e3 * _rel_error(sk, M)
    # the same problem, refitted: the same sketches (random_state), the same factors
    again = MatrixCompletion(k, solver="sketch", random_state=0, max_iter=100).fit(X)
    assert_array_equal(again.U_, sk.U_)


# --------------------------------------------------------------------------------------
# COO triplet input
# --------------------------------------------------------------------------------------
def test_triplets_equal_sparse_input():
    M, X = _problem(120, 3, seed=25)
    coo = X.tocoo()
    a = MatrixCompletion(3, random_state=0).fit(X)
    b = MatrixCompletion(3, random_state=0).fit((coo.row, coo.col, coo.data),
                                                shape=X.shape)
    assert_array_equal(a.U_, b.U_)
    assert b.n_features_in_ == 120 and b.shape_ == (120, 120)
    # shape inferred from the largest indices; duplicates summed, as for sparse input
    rows = np.concatenate([coo.row, coo.row[:5]])
    cols = np.concatenate([coo.col, coo.col[:5]])
    vals = np.concatenate([coo.data, np.zeros(5)])
    c = MatrixCompletion(3, random_state=0).fit((rows, cols, vals))
    assert c.shape_ == (coo.row.max() + 1, coo.col.max() + 1)
    assert_array_equal(c.U_, a.U_)
    f32 = MatrixCompletion(3, random_state=0, tol=1e-5).fit(
        (coo.row.astype(np.int64), coo.col, coo.data.astype(np.float32)), shape=X.shape)
    assert f32.U_.dtype == np.float32
