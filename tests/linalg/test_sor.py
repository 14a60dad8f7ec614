"""SOR, SSOR, Jacobi, the SSOR preconditioner and PCG: against definitions and scipy."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.sparse.linalg import LinearOperator, cg, spsolve

from sparseopt.exceptions import ConvergenceWarning
from sparseopt.linalg import (
    jacobi,
    optimal_omega,
    pcg_ssor,
    relaxation_sweep,
    sor,
    ssor,
    ssor_preconditioner,
)

WIKI_A = np.array([[4.0, -1, -6, 0], [-5, -4, 10, 8], [0, 9, 4, -2], [1, 0, -7, 5]])
WIKI_B = np.array([2.0, 21, -12, -6])


def poisson2d(N, shift=0.0):
    T = sp.diags_array([-1.0, 2.0, -1.0], offsets=[-1, 0, 1], shape=(N, N))
    eye = sp.eye_array(N)
    return (sp.kron(T, eye) + sp.kron(eye, T) + shift * sp.eye_array(N * N)).tocsr()


def random_spd(rng, n, density=0.05, dtype=np.float64):
    B = sp.random_array((n, n), density=density, rng=rng, format="csr")
    A = B @ B.T + sp.diags_array(rng.uniform(1, 2, n))
    return sp.csr_array(A, dtype=dtype)


def dense_sweep(A, x, b, omega, kind):
    """The definition, one unknown at a time."""
    A = np.asarray(A.toarray() if sp.issparse(A) else A, dtype=np.float64)
    x = np.array(x, dtype=np.float64)
    n = len(x)
    if kind == "jacobi":
        return x + omega * (b - A @ x) / np.diag(A)
    orders = {"forward": [range(n)], "backward": [range(n - 1, -1, -1)],
              "symmetric": [range(n), range(n - 1, -1, -1)]}[kind]
    for order in orders:
        for i in order:
            sigma = A[i] @ x - A[i, i] * x[i]
            x[i] = (1 - omega) * x[i] + omega * (b[i] - sigma) / A[i, i]
    return x


# ---------------------------------------------------------------------------------------
# oracles
# ---------------------------------------------------------------------------------------
def test_wikipedia_sor_example():
    # https://en.wikipedia.org/wiki/Successive_over-relaxation#Example (omega = 0.5)
    res = sor(sp.csr_array(WIKI_A), WIKI_B, omega=0.5, maxiter=1, warn=False)
    assert_allclose(res.x, [0.25, -2.78125, 1.6289062, 0.5152344], atol=1e-7)
    res = sor(WIKI_A, WIKI_B, omega=0.5, tol=1e-12)  # dense input is accepted
    assert res.converged
    assert_allclose(res.x, [3.0, -2.0, 2.0, 1.0], atol=1e-10)


@pytest.mark.parametrize("kind", ["forward", "backward", "symmetric", "jacobi"])
@pytest.mark.parametrize("omega", [0.3, 1.0, 1.7])
def test_sweeps_match_the_definition(rng, kind, omega):
    A = random_spd(rng, 40)
    b = rng.standard_normal(40)
    x = rng.standard_normal(40)
    ref = dense_sweep(A, x, b, omega, kind)
    out = x.copy()
    relaxation_sweep(A, out, b, omega, sweep=kind)
    assert_allclose(out, ref, rtol=1e-12, atol=1e-12)


def test_sweep_with_unsorted_duplicates_and_int64(rng):
    A = random_spd(rng, 30)
    coo = A.tocoo()
    # split every entry in two halves stored out of order, with int64 indices
    rows = np.concatenate([coo.row, coo.row])[::-1]
    cols = np.concatenate([coo.col, coo.col])[::-1]
    vals = np.concatenate([coo.data / 2, coo.data / 2])[::-1]
    M = sp.csr_array((vals, (rows, cols)), shape=A.shape)
    M = sp.csr_array((M.data, M.indices.astype(np.int64), M.indptr.astype(np.int64)),
                     shape=A.shape)
    M.has_canonical_format = False
    b = rng.standard_normal(30)
    x1, x2 = np.zeros(30), np.zeros(30)
    relaxation_sweep(A, x1, b, 1.3, iterations=3, sweep="symmetric")
    relaxation_sweep(M, x2, b, 1.3, iterations=3, sweep="symmetric")
    assert_allclose(x2, x1, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("solver, kwargs", [
    (sor, {"omega": 1.5}), (sor, {"omega": 0.8, "sweep": "backward"}), (ssor, {"omega": 1.2}),
    (pcg_ssor, {"omega": 1.4}), (pcg_ssor, {"omega": None}),
])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_solutions_match_spsolve(rng, solver, kwargs, dtype):
    A = random_spd(rng, 120, dtype=dtype)
    b = rng.standard_normal(120).astype(dtype)
    tol = 1e-10 if dtype == np.float64 else 1e-5
    res = solver(A, b, tol=tol, maxiter=100_000, **kwargs)
    ref = spsolve(A.astype(np.float64).tocsc(), b.astype(np.float64))
    assert res.converged and res.x.dtype == dtype
    assert np.linalg.norm(A @ res.x - b) <= 1.5 * tol * np.linalg.norm(b)
    cond_guess = 1e3
    assert_allclose(res.x, ref, atol=cond_guess * tol * np.abs(ref).max())
    assert res.residuals[-1] <= tol and res.residuals.shape == (res.n_iter + 1,)


def test_jacobi_on_a_diagonally_dominant_system(rng):
    n = 60
    A = sp.random_array((n, n), density=0.1, rng=rng, format="csr")
    A = (A + sp.diags_array(np.abs(A).sum(axis=1) + 1.0)).tocsr()
    b = rng.standard_normal(n)
    res = jacobi(A, b, tol=1e-12)
    assert res.converged
    assert_allclose(res.x, spsolve(A.tocsc(), b), atol=1e-10)


def test_pyamg_agrees_on_forward_and_backward_sweeps(rng):
    relax = pytest.importorskip("pyamg.relaxation.relaxation")
    A = random_spd(rng, 50)
    b = rng.standard_normal(50)
    for sweep in ("forward", "backward"):
        x1, x2 = np.zeros(50), np.zeros(50)
        relax.sor(A, x1, b, 1.4, iterations=3, sweep=sweep)
        relaxation_sweep(A, x2, b, 1.4, iterations=3, sweep=sweep)
        assert_allclose(x2, x1, rtol=1e-12)
    # pyamg's symmetric SOR sweep drops omega (it runs symmetric Gauss-Seidel); a forward
    # then a backward pyamg sweep is the symmetric SOR sweep
    x1, x2 = np.zeros(50), np.zeros(50)
    relax.sor(A, x1, b, 1.4, sweep="forward")
    relax.sor(A, x1, b, 1.4, sweep="backward")
    relaxation_sweep(A, x2, b, 1.4, sweep="symmetric")
    assert_allclose(x2, x1, rtol=1e-12)


def test_ssor_preconditioner_is_the_formula(rng):
    A = random_spd(rng, 25)
    Ad = A.toarray()
    D = np.diag(np.diag(Ad))
    L, U = np.tril(Ad, -1), np.triu(Ad, 1)
    omega = 1.3
    M = (D + omega * L) @ np.linalg.inv(D) @ (D + omega * U) / (omega * (2 - omega))
    P = ssor_preconditioner(A, omega)
    r = rng.standard_normal(25)
    assert_allclose(P @ r, np.linalg.solve(M, r), rtol=1e-10)
    R = rng.standard_normal((25, 3))
    assert_allclose(P @ R, np.linalg.solve(M, R), rtol=1e-10)
    assert_allclose(P.H @ r, P @ r)
    # usable in scipy's cg, and the same iteration count as our C loop
    b = rng.standard_normal(25)
    count = []
    x, info = cg(A, b, M=P, rtol=1e-10, atol=0.0, callback=lambda xk: count.append(1))
    ours = pcg_ssor(A, b, omega, tol=1e-10)
    assert info == 0 and abs(len(count) - ours.n_iter) <= 1
    assert_allclose(ours.x, x, atol=1e-8 * np.abs(x).max())


def test_pcg_counts_the_same_iterations_as_scipy_cg(rng):
    A = poisson2d(20, shift=0.1)
    b = rng.standard_normal(400)
    count = []
    cg(A, b, rtol=1e-8, atol=0.0, maxiter=1000, callback=lambda xk: count.append(1))
    res = pcg_ssor(A, b, omega=None, tol=1e-8)
    assert abs(res.n_iter - len(count)) <= 1
    assert res.method == "cg" and res.omega is None


def test_warm_start_takes_fewer_iterations(rng):
    A = poisson2d(15)
    b = rng.standard_normal(225)
    cold = pcg_ssor(A, b, 1.5)
    warm = pcg_ssor(A, b * (1 + 1e-6), 1.5, x0=cold.x)
    assert warm.n_iter < cold.n_iter / 2


# ---------------------------------------------------------------------------------------
# the optimal omega
# ---------------------------------------------------------------------------------------
def test_optimal_omega_of_the_model_problem():
    for N in (10, 20, 40):
        A = poisson2d(N)
        h = 1.0 / (N + 1)
        assert_allclose(optimal_omega(A), 2 / (1 + np.sin(np.pi * h)), rtol=1e-8)
    # shifted Laplacian, diag 4 + c: rho_J = 4 cos(pi h) / (4 + c)
    N, c = 10, 0.3
    h = 1.0 / (N + 1)
    rho = 4 * np.cos(np.pi * h) / (4 + c)
    assert_allclose(optimal_omega(poisson2d(N, shift=c)), 2 / (1 + np.sqrt(1 - rho**2)),
                    rtol=1e-8)
    assert optimal_omega(None, rho=0.0) == 1.0


def test_model_problem_omega_minimizes_the_measured_iterations(rng):
    N = 20
    A = poisson2d(N)
    b = rng.standard_normal(N * N)
    w_star = 2 / (1 + np.sin(np.pi / (N + 1)))
    grid = np.round(np.arange(1.0, 1.99, 0.01), 2)
    iters = np.array([sor(A, b, w, tol=1e-8).n_iter for w in grid])
    at_star = sor(A, b, w_star, tol=1e-8).n_iter
    assert at_star <= iters.min()
    assert abs(grid[np.argmin(iters)] - w_star) <= 0.02
    assert at_star * 4 < sor(A, b, 1.0, tol=1e-8).n_iter  # far better than Gauss-Seidel


def test_optimal_omega_for_larger_and_nonsymmetric_matrices():
    A = poisson2d(30)  # n = 900 > 200: ARPACK path
    assert_allclose(optimal_omega(A), 2 / (1 + np.sin(np.pi / 31)), rtol=1e-6)
    # mildly nonsymmetric tridiagonal Toeplitz: rho_J = sqrt(a c) / d * 2 cos(pi / (n + 1))
    # (ARPACK's eigenvalues of strongly non-normal matrices are less accurate)
    B = sp.diags_array([-1.05, 2.0, -0.95], offsets=[-1, 0, 1], shape=(300, 300)).tocsr()
    rho = np.sqrt(1.05 * 0.95) * np.cos(np.pi / 301)
    assert_allclose(optimal_omega(B), 2 / (1 + np.sqrt(1 - rho**2)), rtol=1e-5)
    with pytest.raises(ValueError, match="spectral radius"):
        optimal_omega(sp.csr_array(WIKI_A))


# ---------------------------------------------------------------------------------------
# stopping, divergence, bad input
# ---------------------------------------------------------------------------------------
def test_divergence_stops_with_a_warning():
    A = sp.csr_array([[1.0, 3.0], [3.0, 1.0]])
    with pytest.warns(ConvergenceWarning, match="diverged"):
        res = sor(A, [1.0, 1.0], omega=1.0)
    assert not res.converged and res.status == "diverged" and res.n_iter < 100


def test_maxiter_and_breakdown_warn():
    A = poisson2d(10)
    with pytest.warns(ConvergenceWarning, match="maxiter=3"):
        res = sor(A, np.ones(100), 1.0, maxiter=3)
    assert res.status == "maxiter" and res.n_iter == 3
    with pytest.warns(ConvergenceWarning, match="positive definite"):
        res = pcg_ssor(sp.csr_array([[1.0, 2.0], [2.0, 1.0]]), [1.0, -1.0], omega=None)
    assert res.status == "breakdown"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sor(A, np.ones(100), 1.0, maxiter=3, warn=False)


def test_trivial_systems():
    res = sor(poisson2d(3), np.zeros(9), 1.5)
    assert res.converged and res.n_iter == 0
    assert_array_equal(res.x, 0.0)
    res = pcg_ssor(sp.csr_array((0, 0)), np.zeros(0))
    assert res.converged and res.n_iter == 0 and res.x.shape == (0,)
    res = ssor(sp.csr_array((0, 0)), np.zeros(0))
    assert res.converged


@pytest.mark.parametrize("A, b, kwargs, error, match", [
    (sp.csr_array([[1.0, 1.0], [1.0, 0.0]]), [1.0, 1.0], {}, ValueError, "row\\(s\\) \\(1\\)"),
    (sp.csr_array(([1.0], ([0], [1])), shape=(2, 2)), [1.0, 1.0], {}, ValueError,
     "zero or missing diagonal"),
    (sp.csr_array(np.ones((2, 3))), [1.0, 1.0], {}, ValueError, "A must be square"),
    (sp.csr_array([[np.nan, 0], [0, 1.0]]), [1.0, 1.0], {}, ValueError, "NaN"),
    (sp.eye_array(2, format="csr"), [1.0, np.inf], {}, ValueError, "b must not contain"),
    (sp.eye_array(2, format="csr"), [1.0, 1.0, 1.0], {}, ValueError, "b must have length 2"),
    (sp.eye_array(2, format="csr"), [1.0, 1.0], {"omega": 2.0}, ValueError, "omega"),
    (sp.eye_array(2, format="csr"), [1.0, 1.0], {"omega": 0.0}, ValueError, "omega"),
    (sp.eye_array(2, format="csr"), [1.0, 1.0], {"omega": np.nan}, ValueError, "omega"),
    (sp.eye_array(2, format="csr"), [1.0, 1.0], {"tol": -1.0}, ValueError, "tol"),
    (sp.eye_array(2, format="csr"), [1.0, 1.0], {"x0": [1.0]}, ValueError, "x0 must have"),
    (sp.eye_array(2, format="csr"), [1.0, 1.0], {"sweep": "up"}, ValueError, "sweep"),
    (LinearOperator((2, 2), matvec=lambda v: v), [1.0, 1.0], {}, TypeError, "LinearOperator"),
])
def test_bad_input(A, b, kwargs, error, match):
    with pytest.raises(error, match=match):
        sor(A, b, **kwargs)


def test_bad_input_other_entry_points():
    A = poisson2d(3)
    with pytest.raises(ValueError, match="omega"):
        ssor_preconditioner(A, 2.5)
    with pytest.raises(ValueError, match="omega"):
        pcg_ssor(A, np.ones(9), -1.0)
    with pytest.raises(TypeError, match="x must be an ndarray"):
        relaxation_sweep(A, np.zeros(9, dtype=np.float32), np.ones(9))
    with pytest.raises(ValueError, match="writable C-contiguous"):
        relaxation_sweep(A, np.zeros(18)[::2], np.ones(9))
    x0 = np.ones(9)
    sor(A, np.ones(9), x0=x0)
    assert_array_equal(x0, 1.0)  # the initial guess is not modified
