"""RelaxationLearner and the sequences of linear systems it learns on."""

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sparseopt.datasets import (
    laplacian_2d,
    make_heat_equation,
    make_shifted_laplacian_sequence,
)
from sparseopt.linalg import RelaxationLearner, optimal_omega, pcg_ssor, sor
from sparseopt.linalg._learning import _tsallis_weights


def test_tsallis_weights_are_a_distribution_for_any_losses(rng):
    for _ in range(300):
        L = rng.standard_normal(rng.integers(1, 30)) * 10 ** rng.uniform(-3, 8)
        for eta in (2.0, 0.05, 1e-4):
            p = _tsallis_weights(L, eta)
            assert np.all(p > 0) and abs(p.sum() - 1) < 1e-9
            assert np.argmax(p) == np.argmin(L)


def test_tsallis_weights_match_the_definition():
    # p_i = 4 / (eta (L_i - x))^2 with the x that makes them sum to 1
    L, eta = np.array([0.0, 1.0, 3.0, 10.0]), 0.7
    p = _tsallis_weights(L, eta)
    x = L - 2.0 / (eta * np.sqrt(p))
    assert_allclose(x, x[0], rtol=1e-10)


def _costs(C, grid, learner, contexts):
    total = 0
    for t in range(len(C)):
        a = int(np.argmin(np.abs(grid - learner.suggest(contexts[t]))))
        learner.update(C[t, a])
        total += C[t, a]
    return total


def test_tsallis_inf_finds_the_best_arm_of_a_stochastic_bandit(rng):
    # noisy costs, arm 7 best by a margin: late play concentrates on it
    grid = np.linspace(1, 1.95, 20)
    means = 100 + 8 * np.abs(np.arange(20) - 7)
    C = np.maximum(1, rng.normal(means, 10, size=(4000, 20))).round()
    learner = RelaxationLearner(omegas=grid, random_state=0)
    total = _costs(C, grid, learner, [None] * 4000)
    assert total < 1.15 * C[:, 7].sum()
    arms = np.searchsorted(grid, np.array(learner.history_["omega"]) - 1e-9)
    paid = C[np.arange(4000), arms]
    early = paid[:1000].sum() / C[:1000, 7].sum()
    late = paid[-1000:].sum() / C[-1000:, 7].sum()
    # the regret per round shrinks (uniform play would pay about 1.6x the best arm)
    assert late < early and late < 1.1
    assert np.bincount(arms[-1000:]).argmax() == 7


def test_chebcb_tracks_a_context_dependent_best_arm(rng):
    grid = np.linspace(1, 1.95, 20)
    ctx = rng.uniform(0, 1, 3000)
    best = np.round(19 * ctx).astype(int)  # the best arm moves with the context
    C = 100 + 6 * np.abs(np.arange(20)[None, :] - best[:, None]) + rng.normal(0, 3, (3000, 20))
    learner = RelaxationLearner("chebcb", omegas=grid, context_range=(0, 1), random_state=0)
    total = _costs(C, grid, learner, ctx)
    assert total < 1.15 * C[np.arange(3000), best].sum()
    fixed = RelaxationLearner(omegas=grid, random_state=0)
    assert total < _costs(C, grid, fixed, [None] * 3000)  # beats the context-free learner


def test_solve_records_history_and_uses_the_solver(rng):
    seq = make_shifted_laplacian_sequence(30, random_state=0)
    learner = RelaxationLearner("chebcb", context_range=(-0.15, 0.45), random_state=1)
    for A, b, c in seq:
        res = learner.solve(A, b, c)
        assert res.converged
        assert res.n_iter == sor(A, b, res.omega).n_iter  # the learner's cost is the solve's
    h = learner.history_
    assert len(h["omega"]) == len(h["n_iter"]) == len(h["context"]) == 30 == learner.n_solves_
    assert_allclose(h["context"], seq.shifts)
    pcg = RelaxationLearner(solver="pcg_ssor", random_state=0)
    res = pcg.solve(laplacian_2d(8), np.ones(64))
    assert res.method == "pcg_ssor" and res.converged


def test_state_round_trip_resumes_identically(tmp_path):
    seq = make_shifted_laplacian_sequence(40, random_state=0)
    a = RelaxationLearner("chebcb", context_range=(-0.15, 0.45), random_state=3)
    for A, b, c in list(seq)[:20]:
        a.solve(A, b, c)
    a.save(tmp_path / "learner.json")
    json.loads((tmp_path / "learner.json").read_text())  # plain JSON
    b_ = RelaxationLearner.load(tmp_path / "learner.json")
    for A, b, c in list(seq)[20:]:
        a.solve(A, b, c)
        b_.solve(A, b, c)
    assert a.history_ == b_.history_
    t = RelaxationLearner(random_state=5)
    t.suggest()
    t.update(10)
    u = RelaxationLearner.from_state(t.get_state())
    assert_array_equal(u.probabilities(), t.probabilities())


def test_bad_parameters_and_misuse():
    with pytest.raises(ValueError, match="method"):
        RelaxationLearner("ucb")
    with pytest.raises(ValueError, match="solver"):
        RelaxationLearner(solver="gmres")
    with pytest.raises(ValueError, match="omegas"):
        RelaxationLearner(omegas=[1.0, 2.0])
    with pytest.raises(ValueError, match="context_range"):
        RelaxationLearner(context_range=(1, 0))
    with pytest.raises(ValueError, match="needs a context"):
        RelaxationLearner("chebcb").suggest()
    with pytest.raises(RuntimeError, match="follow suggest"):
        RelaxationLearner().update(3)
    learner = RelaxationLearner()
    with pytest.raises(ValueError, match="omega|diagonal"):
        learner.solve(np.zeros((2, 2)), np.ones(2))
    assert learner.n_solves_ == 0  # a failed solve is not recorded
    learner.suggest()  # and the learner can go on


def test_shifted_laplacian_sequence():
    seq = make_shifted_laplacian_sequence(2000, random_state=0)
    assert len(seq) == 2000
    assert seq.shifts.min() >= -0.15 and seq.shifts.max() <= 0.45
    assert np.all(np.linalg.norm(seq.rhs, axis=1) <= 10 + 1e-12)
    low = make_shifted_laplacian_sequence(2000, variance="low", random_state=0)
    assert low.shifts.std() < seq.shifts.std()
    A, b, c = seq[5]
    assert_allclose(A.diagonal(), 4 + c)
    # every system is positive definite, and Young's omega is the one for the shift
    lam = np.linalg.eigvalsh(seq.matrix(int(np.argmin(seq.shifts))).toarray())
    assert lam.min() > 0
    h = 1 / 11
    rho = 4 * np.cos(np.pi * h) / (4 + c)
    assert_allclose(optimal_omega(A), 2 / (1 + np.sqrt(1 - rho**2)), rtol=1e-8)
    with pytest.raises(ValueError, match="variance"):
        make_shifted_laplacian_sequence(3, variance="medium")


def test_heat_equation_sequence():
    heat = make_heat_equation(nx=25, n_steps=40)
    assert heat.n == 576 and len(heat) == 40
    assert heat.kappa(0.25) == pytest.approx(0.1) and heat.kappa(0.75) == pytest.approx(10)
    from scipy.sparse.linalg import spsolve

    u_direct, _ = heat.run(lambda A, b, x0, k: spsolve(A.tocsc(), b))
    u_pcg, results = heat.run(lambda A, b, x0, k: pcg_ssor(A, b, 1.5, x0=x0, tol=1e-12))
    assert all(r.converged for r in results)
    assert_allclose(u_pcg, u_direct, rtol=1e-9, atol=1e-12)
    A, b, kappa = heat.system(10, u_direct)
    assert kappa == pytest.approx(heat.kappa(11 * heat.dt))
    assert_allclose(A.diagonal(), 1 + 0.5 * kappa * heat.dt * 4 * 25**2)


def test_learning_study_is_consistent():
    # the bench's study on a tiny sequence: its comparators are what their names say
    from sparseopt.linalg._cli import cost_matrix, format_study, learning_study

    res = learning_study(n_trials=1, n_systems=60, seed=3)
    best = res["best fixed omega in hindsight"][0]
    assert best <= res["omega = 1 (Gauss-Seidel)"][0]
    assert res["per-instance best grid omega"][0] <= best
    seq = make_shifted_laplacian_sequence(60, random_state=3)
    C = cost_matrix(seq)
    assert C.shape == (60, 20) and C.sum(axis=0).min() == best
    A, b, _ = seq[7]
    assert C[7, 4] == sor(A, b, np.linspace(1, 1.95, 20)[4]).n_iter
    assert "Tsallis-INF" in format_study(res)
    # Tsallis-INF is run on its own grid, whose counts are the solves' counts
    from sparseopt.linalg._cli import run_learner

    grid = RelaxationLearner().omegas
    tsallis = RelaxationLearner(random_state=3)
    total = run_learner(tsallis, cost_matrix(seq, omegas=grid), [None] * 60, grid)
    assert total == res["Tsallis-INF"][0]
    assert total == sum(sor(A, b, w).n_iter
                        for (A, b, _), w in zip(seq, tsallis.history_["omega"], strict=True))
    with pytest.raises(ValueError, match="no column"):
        run_learner(RelaxationLearner(), C, [None] * 60)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tsallis_inf_is_stable_on_heavy_tailed_costs(seed):
    # a shared heavy-tailed difficulty per system, as with shifts near singularity: the
    # learner must not lock onto a wrong arm after one cheap draw
    rng = np.random.default_rng(seed)
    grid = np.linspace(1, 1.95, 20)
    difficulty = rng.lognormal(0.0, 1.0, 5000)
    C = np.ceil(difficulty[:, None] * 50 * (1 + 0.08 * np.abs(np.arange(20) - 12)))
    learner = RelaxationLearner(omegas=grid, random_state=seed)
    total = _costs(C, grid, learner, [None] * 5000)
    assert total < 1.25 * C[:, 12].sum()


def test_tsallis_inf_reduced_variance_estimate():
    # the reduced-variance estimate (l - 1/2)/p of the played arm, l = (cost - 1)/scale,
    # kept in iterations (the sums are divided by the running scale when used)
    learner = RelaxationLearner(random_state=0)
    w = learner.suggest()
    arm = int(np.argmin(np.abs(learner.omegas - w)))
    p = learner.probabilities()[arm]
    learner.update(41)
    expected = np.zeros(learner.omegas.size)
    expected[arm] = (41 - 1 - 0.5 * 40) / p
    assert_allclose(learner._L, expected, rtol=1e-12)


def test_default_grids():
    # Tsallis-INF: 10 points from 1 to 1.95, equally spaced in log(2 - omega)
    grid = RelaxationLearner().omegas
    assert grid.size == 10 and grid[0] == 1.0 and grid[-1] == pytest.approx(1.95)
    assert_allclose(np.diff(np.log(2 - grid)), np.log(0.05) / 9, rtol=1e-12)
    # ChebCB: the paper's 20 points over the same range, spaced the same way
    cheb = RelaxationLearner("chebcb").omegas
    assert cheb.size == 20 and cheb[0] == 1.0 and cheb[-1] == pytest.approx(1.95)
    assert_allclose(np.diff(np.log(2 - cheb)), np.log(0.05) / 19, rtol=1e-12)
    # the defaults are copies, not shared arrays
    grid[0] = 1.5
    assert RelaxationLearner().omegas[0] == 1.0


def test_chebcb_ridge_penalty_grows_with_the_chebyshev_order():
    # the Gaussian counterpart of the paper's |theta_j| <= C / j box constraints
    learner = RelaxationLearner("chebcb", context_range=(0, 1))
    assert learner.degree == 8
    G0 = learner._G[0]
    assert_allclose(G0, np.diag(1e-3 * (1 + np.arange(9) ** 2)))
    # one observation: the arm's model does not swing far from it across the contexts (a
    # flat 1e-3 penalty interpolates with a degree-8 polynomial that goes below 0 there)
    learner.suggest(0.5)
    arm = learner._pending[0]
    learner.update(50, 0.5)
    pred = np.array([learner._predict(c)[arm] for c in np.linspace(0, 1, 11)])
    assert pred.min() > 0.5 * np.log(50) and pred.max() < 1.01 * np.log(50)
