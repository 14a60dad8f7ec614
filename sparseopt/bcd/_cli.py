"""The bcd rows of ``python -m sparseopt bench``: the selection rules side by side.

This reproduces the comparison of Nutini, Laradji & Schmidt (JMLR 2022, Fig. 4) on
problems built like their datasets A (least squares) and B (logistic): a sparse design
whose columns have very different scales, so that the Lipschitz constants differ and
the rules that use them (GSL, GSD, sorted blocks) have something to exploit. Every rule
runs on all features (no working set) to a relative duality gap of 1e-6; the table
gives the block updates each needed and the wall-clock time. The paper reports
iterations only; the time shows what a rule's bookkeeping costs.
"""

from __future__ import annotations

import numpy as np

from ..utils._benchmarking import BenchCase, Contender, Demo

TARGET = 1e-6

# (label, selection, blocks)
CONFIGS = [
    ("cyclic, fixed", "cyclic", "sorted"),
    ("random, fixed", "random", "sorted"),
    ("random, variable", "random", "variable"),
    ("GS, fixed", "gs", "sorted"),
    ("GS, variable", "gs", "variable"),
    ("GSL, fixed", "gsl", "sorted"),
    ("GSL, variable", "gsl", "variable"),
    ("GSQ, fixed", "gsq", "sorted"),
    ("GSQ, variable", "gsq", "variable"),
    ("GSD, fixed", "gsd", "sorted"),
    ("GSD, variable", "gsd", "variable"),
]


def paper_like_problem(kind: str, n: int = 1000, p: int = 2000, density: float = 0.1,
                       n_nonzeros: int = 100, seed: int = 0):
    """A sparse design with column scales spread over two decades, a sparse truth, and
    targets for least squares (``kind="ls"``) or labels -1/+1 (``kind="logistic"``).
    Returns ``(X, y, alpha)`` with ``alpha`` a twentieth of the smallest alpha that
    gives zero coefficients."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=density, format="csc", random_state=rng,
                  data_rvs=rng.standard_normal)
    X = sp.csc_array(X @ sp.diags(10.0 ** rng.uniform(-1, 1, p)))
    w = np.zeros(p)
    w[rng.choice(p, n_nonzeros, replace=False)] = rng.standard_normal(n_nonzeros)
    z = X @ w
    z += 0.1 * np.std(z) * rng.standard_normal(n)
    if kind == "ls":
        y = z
        grad0 = X.T @ y / n
    else:
        y = np.where(z > 0, 1.0, -1.0)
        grad0 = X.T @ (-y / 2) / n
    return X, y, float(np.abs(grad0).max() / 20)


def _contender(label, datafit_name, selection, blocks, tau, update):
    def fn(data):
        from . import L1, GreedyBCD, Logistic, Quadratic

        X, y, alpha = data
        df = Quadratic() if datafit_name == "ls" else Logistic()
        if selection is None:  # the default solver: working sets, CD / prox-Newton
            solver = GreedyBCD(df, L1(alpha), tol=TARGET)
        else:
            solver = GreedyBCD(df, L1(alpha), selection=selection, blocks=blocks,
                               block_size=tau, update=update, working_set=False,
                               support_solve=False, tol=TARGET, random_state=0,
                               max_epochs=100_000)
        res = solver.solve(X, y)
        c.detail = f"{res.n_updates} updates" + ("" if res.converged else ", NOT converged")
        return res.coef

    c = Contender(label, fn, ours=True)
    return c


def _discrepancy(ref, out):
    return float(np.max(np.abs(ref - out)) / max(np.max(np.abs(ref)), 1e-300))


def benchmarks(quick: bool = False) -> list[BenchCase]:
    n, p = (300, 600) if quick else (1000, 2000)
    taus = (5,) if quick else (5, 50)
    updates = ("gradient",) if quick else ("gradient", "newton")
    cases = []
    for kind, title in (("ls", "least squares"), ("logistic", "logistic")):
        for tau in taus:
            for update in updates:
                contenders = [_contender(label, kind, sel, blocks, tau, update)
                              for label, sel, blocks in CONFIGS]
                contenders.append(_contender("default (working sets, no rule)", kind,
                                             None, None, tau, update))
                cases.append(BenchCase(
                    name=f"rules: {title} {n}x{p}, tau={tau}, {update} update",
                    make=lambda kind=kind: paper_like_problem(kind, n, p),
                    contenders=contenders, baseline="cyclic, fixed",
                    discrepancy=_discrepancy,
                    notes=(f"relative duality gap {TARGET:g} on all features; 'fixed' = "
                           f"blocks of {tau} after sorting by Lipschitz constant, "
                           f"'variable' = the {tau} best-scoring coordinates")))
    return cases


def demos() -> list[Demo]:
    def rules():
        from . import L1, GreedyBCD, Quadratic

        X, y, alpha = paper_like_problem("ls", n=300, p=600, n_nonzeros=30)
        kw = dict(block_size=5, working_set=False, support_solve=False, tol=1e-10,
                  random_state=0)
        cyc = GreedyBCD(Quadratic(), L1(alpha), selection="cyclic", blocks="sorted",
                        **kw).solve(X, y)
        gsd = GreedyBCD(Quadratic(), L1(alpha), selection="gsd", blocks="variable",
                        **kw).solve(X, y)
        diff = float(np.max(np.abs(gsd.coef - cyc.coef)))
        return {"result": f"L1 least squares 300x600, blocks of 5: GSD {gsd.n_updates} "
                          f"updates, cyclic {cyc.n_updates}",
                "check": f"max |coef GSD - coef cyclic| {diff:.1e}",
                "ok": diff < 1e-6 and gsd.converged and cyc.converged}

    from ._cli_wgsef import wgsef_demos

    return [Demo("GreedyBCD selection rules", rules), *wgsef_demos()]


def studies(quick: bool = False):
    from ._cli_wgsef import wgsef_studies

    return wgsef_studies(quick)
