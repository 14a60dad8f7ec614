"""The WGSEF rows of ``python -m sparseopt demo`` and ``bench`` (included by _cli).

The study times :func:`sparseopt.bcd.prox_wgsef` as the number of groups grows, on
random inputs and on inputs with all group norms tied; a cost linear in the number of
groups shows as a constant time per group.
"""

from __future__ import annotations

import time

import numpy as np

from ..utils._benchmarking import Demo, format_table


def _best_time(fn, repeat):
    """Best wall-clock and best CPU (process) time over ``repeat`` calls. On a shared
    machine a call longer than a scheduler slice is preempted, inflating its wall time
    but not its CPU time: the CPU time is the one that shows the cost's growth."""
    wall = cpu = np.inf
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        cpu = min(cpu, time.process_time() - c0)
        wall = min(wall, time.perf_counter() - t0)
    return wall, cpu


def prox_cost_table(quick: bool = False, group_size: int = 4, repeat: int = 5):
    """Rows ``[n_groups, input, wall ms, CPU ms, CPU ns per group, np.sort ms]``."""
    from . import prox_wgsef

    sizes = (10**3, 10**4, 10**5) if quick else (10**3, 10**4, 10**5, 10**6)
    rows = []
    rng = np.random.default_rng(0)
    for G in sizes:
        for kind in ("random", "tied norms"):
            if kind == "random":
                v = rng.standard_normal(G * group_size)
            else:
                v = np.ones(G * group_size)
            k = max(1, G // 10)
            t, c = _best_time(lambda v=v, G=G, k=k: prox_wgsef(v, group_size, k, 0.5),
                              repeat)
            norms = np.linalg.norm(v.reshape(G, group_size), axis=1)
            ts = _best_time(lambda norms=norms: np.sort(norms), repeat)[0]
            rows.append([f"{G:,}", kind, f"{1e3 * t:.2f}", f"{1e3 * c:.1f}",
                         f"{1e9 * c / G:.0f}", f"{1e3 * ts:.2f}"])
    return (["groups", "input", "wall ms", "CPU ms", "CPU ns / group",
             "np.sort(norms) ms"], rows)


def wgsef_studies(quick: bool = False):
    def table():
        header, rows = prox_cost_table(quick)
        return ("WGSEF prox cost (groups of 4, k = groups / 10, lam 0.5; best of 5; "
                "the prox includes validating the groups; CPU = process time, which\n"
                "load on a shared machine does not inflate):\n" + format_table(header, rows))

    return [table]


def wgsef_demos() -> list[Demo]:
    def prox():
        import itertools
        import warnings

        import cvxpy as cp

        from . import prox_wgsef, wgsef

        rng = np.random.default_rng(0)
        sizes, k, lam = [2, 3, 1, 2, 2], 2, 0.8
        d = rng.uniform(0.5, 2.0, len(sizes))
        v = rng.standard_normal(sum(sizes))
        x = prox_wgsef(v, sizes, k, lam, d)
        # brute force from the definition: f* by enumerating the k-subsets, then Moreau
        bounds = np.concatenate([[0], np.cumsum(sizes)])
        gs = [np.arange(bounds[g], bounds[g + 1]) for g in range(len(sizes))]
        y, tau = cp.Variable(v.size), cp.Variable()
        cons = [tau >= 0.5 * sum(cp.sum_squares(y[gs[g]]) / d[g] for g in S)
                for S in itertools.combinations(range(len(sizes)), k)]
        prob = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(y - v / lam) + tau / lam), cons)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-11, tol_gap_rel=1e-11,
                       tol_feas=1e-11)
        xb = v - lam * y.value

        def obj(z):
            return 0.5 * np.sum((z - v) ** 2) + lam * wgsef(z, sizes, k, d)
        diff = obj(x) - obj(xb)
        active = sum(bool(np.any(x[g])) for g in gs)
        return {"result": f"prox of WGSEF, 5 groups, k=2: {active} nonzero groups",
                "check": f"prox objective - brute force {diff:.1e}", "ok": diff <= 1e-10}

    return [Demo("WGSEF prox", prox)]
