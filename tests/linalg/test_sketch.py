"""sketched_lstsq: against numpy/scipy lstsq, the subspace-embedding bound, and bad input."""

import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from sparseopt.exceptions import ConvergenceWarning
from sparseopt.linalg import LstsqResult, sketched_lstsq
from sparseopt.linalg._sketch import _sketch

SKETCHES = ["srht", "gaussian", "countsketch"]


def ill_conditioned(rng, n, d, cond, noise=1e-3):
    """A = U diag(s) V^T with s from 1 to 1/cond (not curable by column scaling)."""
    U, _ = np.linalg.qr(rng.standard_normal((n, d)))
    V, _ = np.linalg.qr(rng.standard_normal((d, d)))
    A = (U * np.logspace(0, -np.log10(cond), d)) @ V.T
    x = rng.standard_normal(d)
    b = A @ x + noise * rng.standard_normal(n)
    return A, b


def rel(x, ref):
    return np.linalg.norm(x - ref) / np.linalg.norm(ref)


# ---------------------------------------------------------------------------------------
# sketch-and-precondition: full accuracy
# ---------------------------------------------------------------------------------------
def ls_condition(A, b, x):
    """eps * (2 kappa / cos(theta) + kappa^2 tan(theta)): the first-order bound on the
    relative error of any backward-stable least-squares solver (Higham, Thm 20.1)."""
    s = np.linalg.svd(A, compute_uv=False)
    kappa = s[0] / s[-1]
    r, ax = np.linalg.norm(b - A @ x), np.linalg.norm(A @ x)
    cos, tan = ax / np.hypot(ax, r), r / ax
    return np.finfo(A.dtype).eps * (2 * kappa / cos + kappa**2 * tan)


@pytest.mark.parametrize("sketch", SKETCHES)
def test_precondition_matches_lstsq_on_ill_conditioned_design(rng, sketch):
    # cond(A) = 1e6 and a nearly consistent b: the problem's own sensitivity (above) is
    # then ~1e-10, so matching the direct solvers to 1e-10 is a meaningful demand.
    A, b = ill_conditioned(rng, 20_000, 100, cond=1e6, noise=1e-8)
    res = sketched_lstsq(A, b, sketch=sketch, random_state=0)
    assert isinstance(res, LstsqResult)
    assert res.converged and res.status == "converged"
    x_np = np.linalg.lstsq(A, b, rcond=None)[0]
    x_sp = scipy.linalg.lstsq(A, b, lapack_driver="gelsy")[0]
    assert rel(res.x, x_np) <= 1e-10
    assert rel(res.x, x_sp) <= 1e-10
    assert res.residual_norm == pytest.approx(np.linalg.norm(A @ x_np - b), rel=1e-6)
    # the preconditioned system is well conditioned: tens of iterations, not thousands
    assert res.n_iter <= 80
    assert res.residuals.shape == (res.n_iter + 1,)
    assert res.residuals[-1] <= 10 * np.finfo(np.float64).eps


def test_precondition_within_perturbation_bound_at_large_residual(rng):
    # With a large residual the kappa^2 tan(theta) term dominates: no solver is more
    # accurate than that bound, and the direct solvers disagree among themselves too.
    A, b = ill_conditioned(rng, 20_000, 100, cond=1e6, noise=1e-2)
    res = sketched_lstsq(A, b, random_state=0)
    x_np = np.linalg.lstsq(A, b, rcond=None)[0]
    assert rel(res.x, x_np) <= ls_condition(A, b, x_np)
    assert res.residual_norm == pytest.approx(np.linalg.norm(A @ x_np - b), rel=1e-12)


def test_precondition_on_column_scaled_design_matches_lstsq(rng):
    # the benchmark's kind of problem: Gaussian columns scaled over four decades
    A = rng.standard_normal((10_000, 100)) * np.logspace(0, -4, 100)
    b = rng.standard_normal(10_000)
    res = sketched_lstsq(A, b, random_state=1)
    assert rel(res.x, np.linalg.lstsq(A, b, rcond=None)[0]) <= 1e-10


def test_multiple_right_hand_sides_equal_column_by_column(rng):
    # a small residual, so that the problem's sensitivity (~1e-13) is below the tolerances
    A, _ = ill_conditioned(rng, 3000, 30, cond=1e3)
    B = A @ rng.standard_normal((30, 3)) + 1e-6 * rng.standard_normal((3000, 3))
    res = sketched_lstsq(A, B, random_state=0)
    assert res.x.shape == (30, 3) and res.residual_norm.shape == (3,)
    ref = np.linalg.lstsq(A, B, rcond=None)[0]
    for j in range(3):
        assert rel(res.x[:, j], ref[:, j]) <= 1e-10
        one = sketched_lstsq(A, B[:, j], random_state=0)
        assert rel(one.x, res.x[:, j]) <= 1e-11
    assert_allclose(res.residual_norm, np.linalg.norm(A @ ref - B, axis=0), rtol=1e-6)


def test_consistent_system_and_zero_rhs(rng):
    A = rng.standard_normal((2000, 20))
    x = rng.standard_normal(20)
    res = sketched_lstsq(A, A @ x, random_state=0)
    assert res.converged
    assert_allclose(res.x, x, rtol=1e-12, atol=1e-12)
    zero = sketched_lstsq(A, np.zeros(2000), random_state=0)
    assert_array_equal(zero.x, 0.0)
    assert zero.converged and zero.residual_norm == 0.0


@pytest.mark.parametrize("order", ["C", "F"])
def test_memory_order_gives_the_same_solution(rng, order):
    A, b = ill_conditioned(rng, 4000, 40, cond=1e4)
    res = sketched_lstsq(np.asarray(A, order=order), b, random_state=3)
    assert rel(res.x, np.linalg.lstsq(A, b, rcond=None)[0]) <= 1e-10


def test_float32_stays_float32(rng):
    A = rng.standard_normal((5000, 20)).astype(np.float32)
    b = rng.standard_normal(5000).astype(np.float32)
    res = sketched_lstsq(A, b, random_state=0)
    assert res.x.dtype == np.float32 and res.converged
    ref = np.linalg.lstsq(A.astype(np.float64), b.astype(np.float64), rcond=None)[0]
    # backward-stable float32 solve of a well-conditioned problem: ~cond * eps32
    assert rel(res.x.astype(np.float64), ref) <= 1e-5


@pytest.mark.parametrize("sketch", ["countsketch", "gaussian"])
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_design(rng, sketch, fmt):
    A = sp.random_array((6000, 50), density=0.05, format=fmt, rng=rng)
    A = A + sp.eye_array(6000, 50, format=fmt)  # full column rank
    b = rng.standard_normal(6000)
    res = sketched_lstsq(A, b, sketch=sketch, random_state=0)
    ref = np.linalg.lstsq(A.toarray(), b, rcond=None)[0]
    assert res.converged
    assert rel(res.x, ref) <= 1e-10


def test_non_convergence_warns(rng):
    A, b = ill_conditioned(rng, 2000, 20, cond=1e6, noise=1.0)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        res = sketched_lstsq(A, b, sketch="gaussian", sketch_size=21, max_iter=1,
                             random_state=0)
    assert not res.converged and res.status == "maxiter" and res.n_iter == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sketched_lstsq(A, b, sketch="gaussian", sketch_size=21, max_iter=1, warn=False,
                       random_state=0)


@settings(max_examples=60, deadline=None)
@given(d=st.integers(1, 8), extra=st.integers(0, 60), k=st.integers(0, 2),
       sketch=st.sampled_from(SKETCHES), seed=st.integers(0, 2**16),
       order=st.sampled_from(["C", "F"]), float32=st.booleans())
def test_precondition_on_awkward_shapes(d, extra, k, sketch, seed, order, float32):
    # square systems, one column, sketches as tall as A (CountSketch rows then collide
    # often), one or several right-hand sides, both layouts and precisions
    rng = np.random.default_rng(seed)
    n = d + extra
    dtype = np.float32 if float32 else np.float64
    A = np.asarray(rng.standard_normal((n, d)), order=order).astype(dtype)
    b = rng.standard_normal((n, k) if k else n).astype(dtype)
    res = sketched_lstsq(A, b, sketch=sketch, random_state=seed)
    assert res.converged and res.x.dtype == dtype
    assert res.x.shape == ((d, k) if k else (d,))
    A64, b64 = A.astype(np.float64), b.astype(np.float64)
    ref = np.linalg.lstsq(A64, b64, rcond=None)[0]
    for j in range(max(k, 1)):
        x, r, bj = (res.x[:, j], ref[:, j], b64[:, j]) if k else (res.x, ref, b64)
        # Higham's first-order bound for backward-stable solvers, with its n d constant
        eps = np.finfo(dtype).eps
        bound = n * d * ls_condition(A64, bj, r) * eps / np.finfo(np.float64).eps
        assert np.linalg.norm(x - r) <= max(bound, 10 * eps) * max(np.linalg.norm(r), 1e-300)


def test_countsketch_collision_falls_back_to_gaussian(rng):
    # All of A's rank sits in 10 rows: a CountSketch of 160 rows hashes two of them
    # together (losing rank) with probability ~25 %; such draws are redone as Gaussian.
    n, d = 2000, 10
    A = np.zeros((n, d))
    rows = rng.choice(n, size=d, replace=False)
    A[rows] = rng.standard_normal((d, d)) + 3 * np.eye(d)
    b = rng.standard_normal(n)
    ref = np.linalg.lstsq(A, b, rcond=None)[0]
    used = []
    for seed in range(20):
        res = sketched_lstsq(A, b, sketch="countsketch", random_state=seed)
        assert res.converged and rel(res.x, ref) <= 1e-10
        used.append(res.sketch)
    assert set(used) == {"countsketch", "gaussian"}


def test_full_size_sketch_is_the_identity(rng):
    A = rng.standard_normal((40, 8))
    b = rng.standard_normal(40)
    for method in ("precondition", "sketch_and_solve"):
        res = sketched_lstsq(A, b, sketch="countsketch", method=method, sketch_size=40)
        assert res.sketch == "identity"
        assert rel(res.x, np.linalg.lstsq(A, b, rcond=None)[0]) <= 1e-12


# ---------------------------------------------------------------------------------------
# sketch-and-solve
# ---------------------------------------------------------------------------------------
def embedding_distortion(A, b, sketch, m, seed):
    """epsilon of the sketch drawn by `seed` on range([A, b]) (the same draw: a sketch's
    randomness depends only on the shapes)."""
    Q, _ = np.linalg.qr(np.column_stack([A, b]))
    SQ, _ = _sketch(Q, np.zeros((A.shape[0], 1)), sketch, m, seed)
    s = np.linalg.svd(SQ, compute_uv=False)
    return max(s[0] - 1.0, 1.0 - s[-1])


@pytest.mark.parametrize("sketch", SKETCHES)
def test_sketch_and_solve_solves_the_sketched_problem(rng, sketch):
    A, b = ill_conditioned(rng, 5000, 30, cond=1e3, noise=1.0)
    res = sketched_lstsq(A, b, sketch=sketch, method="sketch_and_solve", sketch_size=600,
                         random_state=7)
    assert res.n_iter == 0 and res.status == "direct" and res.residuals.size == 0
    SA, Sb = _sketch(A, b[:, None], sketch, 600, 7)
    ref = np.linalg.lstsq(SA, Sb[:, 0], rcond=None)[0]
    assert rel(res.x, ref) <= 1e-10


@pytest.mark.parametrize("sketch", SKETCHES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sketch_and_solve_residual_within_embedding_factor(rng, sketch, seed):
    # If S is an eps-subspace embedding of range([A, b]), the sketched solution's residual
    # is at most (1 + eps) / (1 - eps) times the optimal one: a deterministic theorem,
    # checked with the measured eps of the very draw used.
    A, b = ill_conditioned(rng, 8000, 20, cond=1e4, noise=1.0)
    m = 1000
    res = sketched_lstsq(A, b, sketch=sketch, method="sketch_and_solve", sketch_size=m,
                         random_state=seed)
    eps = embedding_distortion(A, b, sketch, m, seed)
    assert eps < 1
    optimal = np.linalg.norm(A @ np.linalg.lstsq(A, b, rcond=None)[0] - b)
    assert res.residual_norm <= (1 + eps) / (1 - eps) * optimal * (1 + 1e-12)
    assert res.residual_norm >= optimal * (1 - 1e-12)


def test_gaussian_distortion_matches_theory(rng):
    # Gaussian m x k with N(0, 1/m) entries: singular values within 1 +- (sqrt(k/m) + t)
    # with probability >= 1 - 2 exp(-m t^2 / 2) (Davidson & Szarek); t for delta = 1e-6.
    A, b = ill_conditioned(rng, 3000, 50, cond=10.0)
    m, k = 1000, 51
    t = np.sqrt(2 * np.log(2 / 1e-6) / m)
    for seed in range(3):
        assert embedding_distortion(A, b, "gaussian", m, seed) <= np.sqrt(k / m) + t


def test_default_sketch_size_for_sketch_and_solve(rng):
    A = rng.standard_normal((3000, 10))
    res = sketched_lstsq(A, rng.standard_normal(3000), method="sketch_and_solve",
                         random_state=0)
    assert res.sketch_size == int(np.ceil(2 * 10 * np.log(3000)))


# ---------------------------------------------------------------------------------------
# randomness
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("sketch", SKETCHES)
def test_random_state_reproducible(rng, sketch):
    A = rng.standard_normal((3000, 10))
    b = rng.standard_normal(3000)
    one = sketched_lstsq(A, b, sketch=sketch, method="sketch_and_solve", random_state=5)
    two = sketched_lstsq(A, b, sketch=sketch, method="sketch_and_solve",
                         random_state=np.random.RandomState(5))
    other = sketched_lstsq(A, b, sketch=sketch, method="sketch_and_solve", random_state=6)
    assert_array_equal(one.x, two.x)
    assert not np.array_equal(one.x, other.x)


# ---------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, exc, match", [
    ({"sketch": "hadamard"}, ValueError, "sketch must be one of"),
    ({"method": "direct"}, ValueError, "method must be one of"),
    ({"sketch_size": 5}, ValueError, "sketch_size must be >= the number of columns"),
    ({"sketch_size": 501}, ValueError, "sketch_size must be <= the number of rows"),
    ({"sketch_size": 20.0}, TypeError, "sketch_size must be"),
    ({"tol": -1.0}, ValueError, "tol must be"),
    ({"max_iter": -1}, ValueError, "max_iter must be"),
])
def test_bad_options(rng, kwargs, exc, match):
    A = rng.standard_normal((500, 10))
    with pytest.raises(exc, match=match):
        sketched_lstsq(A, np.ones(500), **kwargs)


def test_bad_arrays(rng):
    A = rng.standard_normal((100, 5))
    bad = A.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="A must not contain NaN"):
        sketched_lstsq(bad, np.ones(100))
    with pytest.raises(ValueError, match="b must not contain NaN"):
        sketched_lstsq(A, np.r_[np.inf, np.ones(99)])
    with pytest.raises(ValueError, match="b must have 100 rows"):
        sketched_lstsq(A, np.ones(99))
    with pytest.raises(ValueError, match="A must be 2-dimensional"):
        sketched_lstsq(np.ones(100), np.ones(100))
    with pytest.raises(ValueError, match="b must be 1 or 2-dimensional"):
        sketched_lstsq(A, np.ones((100, 1, 1)))
    with pytest.raises(ValueError, match="at least as many rows as columns"):
        sketched_lstsq(A.T, np.ones(5))
    with pytest.raises(ValueError, match="srht' needs a dense A"):
        sketched_lstsq(sp.csr_array(A), np.ones(100), sketch="srht")
    with pytest.raises(ValueError, match="A must not contain NaN"):
        sketched_lstsq(sp.csr_array(bad), np.ones(100), sketch="countsketch")


@pytest.mark.parametrize("method", ["precondition", "sketch_and_solve"])
def test_rank_deficient_design_raises(rng, method):
    A = rng.standard_normal((1000, 10))
    A[:, 7] = A[:, 2] - 2 * A[:, 5]
    with pytest.raises(np.linalg.LinAlgError, match="rank deficient"):
        sketched_lstsq(A, np.ones(1000), method=method, random_state=0)
    A[:, 7] = 0.0  # a zero column
    with pytest.raises(np.linalg.LinAlgError, match="rank deficient"):
        sketched_lstsq(A, np.ones(1000), method=method, random_state=0)
