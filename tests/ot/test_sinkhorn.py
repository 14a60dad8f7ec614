"""sparseopt.ot.sinkhorn against POT (same iterates, same converged plans), the exact LP
(ot.emd2) as reg -> 0, and between its own methods; plus bad input and awkward cases."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.special import logsumexp

from sparseopt.exceptions import ConvergenceWarning
from sparseopt.ot import _sinkhorn as kern
from sparseopt.ot import sinkhorn, sinkhorn2

ot = pytest.importorskip("ot")

METHODS = ["log", "sinkhorn", "sns", "auto"]


def _cloud(n, m, seed=0, dim=2):
    rng = np.random.default_rng(seed)
    x, y = rng.random((n, dim)), rng.random((m, dim))
    M = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    a = rng.random(n) + 0.1
    b = rng.random(m) + 0.1
    return a / a.sum(), b / b.sum(), M / M.max()


def _l1(P, a, b):
    return np.abs(P.sum(1) - a).sum() + np.abs(P.sum(0) - b).sum()


# ------------------------------------------------------------------ oracles


def test_log_iterates_equal_pots_sinkhorn_log():
    a, b, M = _cloud(40, 30, seed=1)
    for k in (1, 7, 25):
        ours = sinkhorn(a, b, M, 0.05, method="log", max_iter=k, warn=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pot = ot.sinkhorn(a, b, M, 0.05, method="sinkhorn_log", numItermax=k,
                              stopThr=0.0)
        assert_allclose(ours, pot, rtol=1e-11, atol=1e-15)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("reg", [0.1, 0.02])
def test_converged_plan_equals_pot(method, reg):
    a, b, M = _cloud(50, 35, seed=2)
    P = sinkhorn(a, b, M, reg, method=method, tol=1e-13)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = ot.sinkhorn(a, b, M, reg, method="sinkhorn_log", numItermax=200_000,
                          stopThr=1e-15)
    assert _l1(ref, a, b) < 1e-12     # the oracle itself converged
    assert_allclose(P, ref, rtol=0, atol=1e-9)


@pytest.mark.parametrize("seed", [0, 1])
def test_methods_agree_at_small_reg(seed):
    a, b, M = _cloud(60, 60, seed=seed)
    plans = {m: sinkhorn(a, b, M, 2e-3, method=m, tol=1e-11, log=True) for m in METHODS}
    ref = plans["log"][0]
    for m, (P, info) in plans.items():
        assert info["converged"], m
        assert info["marginal_error"] <= 1e-10, m
        assert_allclose(P, ref, rtol=0, atol=1e-9, err_msg=m)
    assert plans["sns"][1]["n_newton"] > 0


@pytest.mark.parametrize("method", ["sinkhorn", "sns"])
def test_cost_approaches_emd2_as_reg_shrinks(method):
    # 0 <= <P_reg, M> - W <= reg * log(n m): P_reg is feasible, and it minimises
    # <P, M> - reg H(P) with 0 <= H <= log(n m) for a plan of mass 1.
    a, b, M = _cloud(30, 40, seed=3)
    W = ot.emd2(a, b, M)
    gaps = []
    for reg in (3e-2, 1e-2, 3e-3, 1e-3):
        cost = sinkhorn2(a, b, M, reg, method=method, tol=1e-11)
        gap = cost - W
        assert -1e-9 <= gap <= reg * np.log(M.size) + 1e-9, (reg, gap)
        gaps.append(gap)
    assert gaps[-1] < gaps[0] / 5


def test_sns_on_random_assignment_takes_newton_steps():
    # the SNS paper's problem: uniform weights, C ~ U[0, 1]
    rng = np.random.default_rng(4)
    n = 400
    M = rng.random((n, n))
    P, info = sinkhorn([], [], M, 1e-3, method="sns", tol=1e-8, log=True)
    assert info["converged"] and info["n_newton"] >= 1
    Q, info_s = sinkhorn([], [], M, 1e-3, method="sinkhorn", tol=1e-8, log=True)
    assert info_s["converged"]
    assert info["niter"] < info_s["niter"] / 10
    # two plans each within 1e-8 of the marginals (the Sinkhorn one on a slow tail)
    assert_allclose(P, Q, rtol=0, atol=1e-6)


# ------------------------------------------------------------------ API and log


def test_log_dict_and_potentials():
    a, b, M = _cloud(20, 25)
    reg = 0.05
    P, info = sinkhorn(a, b, M, reg, log=True, tol=1e-12)
    for key in ("niter", "err", "marginal_error", "converged", "f", "g", "log_u", "log_v",
                "cost", "method", "n_sinkhorn", "n_newton", "cg_iterations", "switched_at"):
        assert key in info
    assert info["converged"] and info["err"][-1] <= 1e-12
    assert_allclose(np.exp((info["f"][:, None] + info["g"][None, :] - M) / reg), P,
                    rtol=1e-10, atol=1e-15)
    assert_allclose(info["log_u"], info["f"] / reg)
    assert_allclose(info["cost"], np.sum(P * M), rtol=1e-12)
    assert_allclose(sinkhorn2(a, b, M, reg, tol=1e-12), info["cost"], rtol=1e-9)
    cost, info2 = sinkhorn2(a, b, M, reg, log=True, tol=1e-12)
    assert isinstance(info2, dict) and cost == info2["cost"]


def test_empty_weights_are_uniform_and_shapes_rectangular():
    _, _, M = _cloud(7, 11)
    P = sinkhorn([], None, M, 0.05, tol=1e-12)
    assert P.shape == (7, 11)
    assert_allclose(P.sum(1), np.full(7, 1 / 7), atol=1e-12)
    assert_allclose(P.sum(0), np.full(11, 1 / 11), atol=1e-12)


def test_warmstart_from_converged_potentials():
    a, b, M = _cloud(30, 30, seed=5)
    P, info = sinkhorn(a, b, M, 0.01, method="log", tol=1e-12, log=True)
    for method in ("log", "sinkhorn"):
        Q, info2 = sinkhorn(a, b, M, 0.01, method=method, tol=1e-11, log=True,
                            warmstart=(info["log_u"], info["log_v"]))
        assert info2["niter"] <= 1
        assert_allclose(Q, P, atol=1e-11)


def test_zero_weights_solved_on_the_support():
    a, b, M = _cloud(12, 9, seed=6)
    a[[0, 5]] = 0
    b[3] = 0
    a, b = a / a.sum(), b / b.sum()
    P, info = sinkhorn(a, b, M, 0.05, tol=1e-12, log=True)
    assert np.all(P[[0, 5]] == 0) and np.all(P[:, 3] == 0)
    assert np.isneginf(info["f"][[0, 5]]).all() and np.isneginf(info["g"][3])
    keep_r, keep_c = np.flatnonzero(a), np.flatnonzero(b)
    sub = sinkhorn(a[keep_r], b[keep_c], M[np.ix_(keep_r, keep_c)], 0.05, tol=1e-12)
    assert_allclose(P[np.ix_(keep_r, keep_c)], sub, atol=1e-14)
    assert _l1(P, a, b) <= 1e-12


def test_float32_cost_keeps_its_dtype():
    a, b, M = _cloud(40, 30, seed=7)
    P64 = sinkhorn(a, b, M.astype(np.float32).astype(np.float64), 0.02, tol=1e-12)
    P32 = sinkhorn(a, b, M.astype(np.float32), 0.02, tol=1e-12)
    assert P32.dtype == np.float32
    assert_allclose(P32, P64, rtol=1e-6, atol=1e-9)


def test_thread_count_does_not_change_the_plan():
    a, b, M = _cloud(300, 200, seed=8)
    for method in ("log", "sns"):
        P1 = sinkhorn(a, b, M, 5e-3, method=method, tol=1e-10, n_threads=1)
        P2 = sinkhorn(a, b, M, 5e-3, method=method, tol=1e-10, n_threads=2)
        assert_allclose(P1, P2, rtol=0, atol=1e-12)


def test_normalize_rescales_unequal_masses():
    a, b, M = _cloud(10, 12)
    P = sinkhorn(3 * a, b, M, 0.05, normalize=True, tol=1e-12)
    assert_allclose(P.sum(1), a, atol=1e-12)


# ------------------------------------------------------------------ stability


@pytest.mark.parametrize("method", METHODS)
def test_tiny_reg_stays_finite(method):
    # exp(-M / reg) underflows to 0 for the whole kernel at reg = 1e-4 on costs in [0, 1]
    a, b, M = _cloud(50, 50, seed=9)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        P, info = sinkhorn(a, b, M + 0.5, 1e-4, method=method, max_iter=200, log=True,
                           warn=False)
    assert np.isfinite(P).all() and (P >= 0).all()
    assert np.isfinite(info["f"]).all() and np.isfinite(info["g"]).all()
    assert info["err"][-1] < info["err"][0]


def test_non_convergence_warns_and_returns_a_finite_plan():
    a, b, M = _cloud(30, 30)
    with pytest.warns(ConvergenceWarning, match="did not reach tol"):
        P, info = sinkhorn(a, b, M, 1e-3, method="sinkhorn", max_iter=3, log=True)
    assert not info["converged"] and info["niter"] == 3
    assert np.isfinite(P).all()


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"a": [-0.5, 1.5]}, ValueError, "a must be nonnegative"),
        ({"a": [np.nan, 1.0]}, ValueError, "a must not contain NaN"),
        ({"b": [0.5, 0.5, 0.0]}, ValueError, "b must have length 2"),
        ({"b": [1.0, 1.0]}, ValueError, "same total mass"),
        ({"M": np.ones((3, 2))}, ValueError, "a must have length 3"),
        ({"M": np.array([[0.0, np.inf], [1.0, 0.0]])}, ValueError, "M must not contain"),
        ({"M": np.ones(4)}, ValueError, "M must be 2-dimensional"),
        ({"reg": 0.0}, ValueError, "reg must be in"),
        ({"reg": -1.0}, ValueError, "reg must be in"),
        ({"tol": 0.0}, ValueError, "tol must be in"),
        ({"method": "greenkhorn"}, ValueError, "method must be one of"),
        ({"max_iter": 0}, ValueError, "max_iter must be in"),
        ({"a": [0.0, 0.0]}, ValueError, "positive total mass"),
        ({"warmstart": np.zeros(2)}, TypeError, "warmstart must be a pair"),
    ],
)
def test_bad_input(kwargs, exc, match):
    args = {"a": [0.5, 0.5], "b": [0.5, 0.5], "M": np.array([[0.0, 1.0], [1.0, 0.0]]),
            "reg": 0.1}
    args.update(kwargs)
    extra = {k: args.pop(k) for k in ("tol", "method", "max_iter", "warmstart") if k in args}
    with pytest.raises(exc, match=match):
        sinkhorn(args["a"], args["b"], args["M"], args["reg"], **extra)


# ------------------------------------------------------------------ kernels


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lse_kernels_match_scipy(dtype):
    rng = np.random.default_rng(10)
    M = rng.random((37, 53)).astype(dtype)
    f, g = rng.standard_normal(37) * 0.1, rng.standard_normal(53) * 0.1
    f[3] = -np.inf
    reg = 1e-3
    Md = M.astype(np.float64)
    out_r, out_c = np.empty(37), np.empty(53)
    kern.lse_rows(M, g, reg, out_r, 2)
    kern.lse_cols(M, f, reg, out_c, 2)
    assert_allclose(out_r, reg * logsumexp((g[None, :] - Md) / reg, axis=1), rtol=1e-14)
    assert_allclose(out_c, reg * logsumexp((f[:, None] - Md) / reg, axis=0), rtol=1e-14)


def test_marginals_kernel_and_exp_accuracy():
    rng = np.random.default_rng(11)
    M = rng.random((29, 31))
    f, g = rng.standard_normal(29) * 0.05, rng.standard_normal(31) * 0.05
    a, b = np.full(29, 1 / 29), np.full(31, 1 / 31)
    reg = 0.02
    P = np.exp((f[:, None] + g[None, :] - M) / reg)
    rows, cols, counts = np.empty(29), np.empty(31), np.empty(29, dtype=np.int64)
    total, cost, _ = kern.marginals(M, f, g, reg, -np.inf, rows, cols, a, b, 1e-3, counts, 2)
    assert_allclose(rows, P.sum(1), rtol=1e-13)
    assert_allclose(cols, P.sum(0), rtol=1e-13)
    assert_allclose([total, cost], [P.sum(), (P * M).sum()], rtol=1e-13)
    thr = 1e-3 * np.minimum(a[:, None], b[None, :])
    assert_array_equal = np.testing.assert_array_equal
    assert_array_equal(counts, (P >= thr).sum(1))
    # the polynomial exp over its whole range, underflow and overflow
    x = np.concatenate([np.linspace(-708, 709, 100_001), [-720.0, -1e6, 710.0]])
    out = np.empty((1, x.size))
    kern.kernel(-x[None, :], np.zeros(1), np.zeros(x.size), 1.0, out, 1)
    with np.errstate(over="ignore"):
        ref = np.exp(x)
    ok = np.isfinite(ref) & (ref > 1e-300)
    assert np.max(np.abs(out[0, ok] / ref[ok] - 1)) < 4e-16
    assert out[0, -3] == 0 and out[0, -2] == 0 and np.isposinf(out[0, -1])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_screen_and_skips_keep_the_sums(dtype):
    """The skipped groups and the screened passes change the sums by < 1e-20 of the mass;
    the screened pass counts and keeps exactly the entries sparsify keeps; the plan written
    by the fused pass is the kernel's, bit for bit."""
    from sparseopt.ot import _solvers

    rng = np.random.default_rng(13)
    n, m, reg, tau = 61, 47, 5e-4, 1e-4
    M = rng.random((n, m)).astype(dtype)
    a, b = np.full(n, 1 / n), np.full(m, 1 / m)
    P, info = sinkhorn(a, b, M, reg, method="log", tol=1e-3, log=True, warn=False)
    f, g = info["f"], info["g"]
    pb = _solvers._Problem(a, b, np.ascontiguousarray(M), reg, 2)
    ref = np.exp((f[:, None] + g[None, :] - M.astype(np.float64)) / reg)
    dense = _solvers.marginals(pb, f, g, tau)
    # a pass that records a screen, then one over the screen
    screen = _solvers._Screen(pb)
    rec = _solvers.marginals(pb, f, g, tau, screen)
    assert 0 < screen.size < 0.5 * n * m and screen.covers(f, g)
    scr = _solvers.marginals(pb, f, g, tau, screen)
    assert screen.kept_at is not None
    for got in (dense, rec, scr):
        assert_allclose(got[0], ref.sum(1), rtol=1e-13)
        assert_allclose(got[1], ref.sum(0), rtol=1e-13)
        assert_allclose(got[2], ref.sum(), rtol=1e-13)
        np.testing.assert_array_equal(got[4], dense[4])
    # the Hessian entries kept on the way equal sparsify's
    ip1, ix1, d1 = _solvers._hessian_part(pb, f, g, scr[4], tau, screen)
    ip2, ix2, d2 = _solvers._hessian_part(pb, f, g, dense[4], tau)
    np.testing.assert_array_equal(ip1, ip2)
    np.testing.assert_array_equal(ix1, ix2)
    assert_allclose(d1, d2, rtol=1e-15)
    thr = tau * np.minimum(a[:, None], b[None, :])
    assert ix1.size == (ref >= thr).sum()
    # potentials that rose by more than the margin are not covered: the next pass records
    f2 = f + (screen.margin + 1) * reg
    assert not screen.covers(f2, g)
    _solvers.marginals(pb, f2, g, tau, screen)
    assert screen.covers(f2, g) and not screen.covers(f2, g + 2 * screen.margin * reg)
    # a screen too small to hold the entries reports it and is not used
    small = _solvers._Screen(pb)
    small.idx, small.mval = small.idx[:10], small.mval[:10]
    _solvers.marginals(pb, f, g, tau, small)
    assert small.size == -1 and not small.covers(f, g)
    # the fused plan pass writes the kernel's plan and its exact sums
    Pk = np.empty((n, m))
    kern.kernel(pb.M, f, g, reg, Pk, 2)
    Pf, r, c, cost = _solvers.plan_and_marginals(pb, f, g)
    np.testing.assert_array_equal(Pf, Pk)
    assert_allclose(r, Pk.sum(1), rtol=1e-14)
    assert_allclose(c, Pk.sum(0), rtol=1e-14)
    assert_allclose(cost, (Pk * M).sum(), rtol=1e-13)


def test_screen_recorded_by_two_threads():
    """Above the OpenMP threshold each thread records its block of rows in its own share
    of the screen; the screened sums and kept entries must still be the dense ones."""
    from sparseopt.ot import _solvers

    rng = np.random.default_rng(14)
    n, m, reg, tau = 301, 257, 1e-3, 1e-4
    M = rng.random((n, m))
    a, b = np.full(n, 1 / n), np.full(m, 1 / m)
    _, info = sinkhorn(a, b, M, reg, method="log", tol=1e-2, log=True, warn=False)
    f, g = info["f"], info["g"]
    pb = _solvers._Problem(a, b, M, reg, 2)
    dense = _solvers.marginals(pb, f, g, tau)
    screen = _solvers._Screen(pb)
    _solvers.marginals(pb, f, g, tau, screen)
    assert screen.size > 0
    scr = _solvers.marginals(pb, f, g, tau, screen)
    for i in range(3):
        assert_allclose(scr[i], dense[i], rtol=1e-13)
    np.testing.assert_array_equal(scr[4], dense[4])
    ip1, ix1, d1 = _solvers._hessian_part(pb, f, g, scr[4], tau, screen)
    ip2, ix2, d2 = _solvers._hessian_part(pb, f, g, dense[4], tau)
    np.testing.assert_array_equal(ix1, ix2)
    assert_allclose(d1, d2, rtol=1e-15)


def test_newton_pcg_solves_the_schur_system():
    rng = np.random.default_rng(12)
    n, m = 25, 20
    S = rng.random((n, m)) * (rng.random((n, m)) < 0.3)
    d1 = S.sum(1) + rng.random(n) + 0.1
    d2 = S.sum(0) + rng.random(m) + 0.1
    r1, r2 = rng.standard_normal(n), rng.standard_normal(m)
    H = np.block([[np.diag(d1), S], [S.T, np.diag(d2)]])
    ref = np.linalg.solve(H, np.concatenate([r1, r2]))
    indptr = np.concatenate([[0], np.cumsum((S != 0).sum(1))]).astype(np.int64)
    indices = np.nonzero(S)[1].astype(np.int64)
    data = S[S != 0]
    x, y = np.empty(n), np.zeros(m)
    it, rel = kern.newton_pcg(indptr, indices, data, m, d1, d2, 0.0, r1, r2, x, y, 1e-13,
                              500, 1)
    assert rel <= 1e-13 and 0 < it <= m + 5
    assert_allclose(np.concatenate([x, y]), ref, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ properties


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 9), m=st.integers(1, 9), seed=st.integers(0, 2**31 - 1),
       zeros=st.booleans(), method=st.sampled_from(METHODS))
def test_marginals_hold_on_awkward_shapes(n, m, seed, zeros, method):
    rng = np.random.default_rng(seed)
    M = rng.random((n, m))
    a, b = rng.random(n) + 0.05, rng.random(m) + 0.05
    if zeros and n > 1:
        a[0] = 0
    a, b = a / a.sum(), b / b.sum()
    P = sinkhorn(a, b, M, 0.05, method=method, tol=1e-10)
    assert np.isfinite(P).all()
    assert _l1(P, a, b) <= 1e-10 * (1 + 1e-6)
