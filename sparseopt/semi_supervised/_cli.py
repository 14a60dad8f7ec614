"""The semi_supervised rows of ``python -m sparseopt demo`` and ``bench``.

Two problems, each with 10 % of the labels known (seeded):

- a 500 x 500 four-neighbour lattice (250,000 nodes, unit weights) whose pixels carry
  one of four classes (a picture of four regions with wavy borders);
- the k-NN graph (k = 7, symmetrized) of scikit-learn's digits (1,797 samples, 10
  classes).

``bench`` times (a) the solvers of the same linear system ``L_uu F = W_ul Y_l`` to a
relative residual of 1e-8: forest-block BCD against scipy's CG (one solve per class)
and single-coordinate BCD; (b) the estimators' whole ``fit``: our ``LabelPropagation``
against scikit-learn's ``LabelSpreading`` (default parameters) on the same graph, with
the accuracy on the unlabeled nodes. The study prints the iteration counts: epochs
(units of n coordinate updates) and block updates.
"""

from __future__ import annotations

import time

import numpy as np

from ..utils._benchmarking import BenchCase, Contender, Demo, format_table

TOL = 1e-8


def lattice_graph(m: int):
    """The 4-neighbour ``m x m`` lattice's affinity matrix (unit weights, CSR)."""
    import scipy.sparse as sp

    T = sp.diags_array([np.ones(m - 1), np.ones(m - 1)], offsets=[-1, 1])
    eye = sp.eye_array(m)
    return sp.csr_array(sp.kron(eye, T) + sp.kron(T, eye))


def lattice_problem(m: int = 500, frac: float = 0.1, seed: int = 0):
    """``(W, y, y_partial)``: the lattice, the true pixel classes (four regions with
    wavy borders) and the labels with a fraction ``frac`` kept (others -1)."""
    rng = np.random.default_rng(seed)
    ii, jj = np.divmod(np.arange(m * m), m)
    top = ii < m / 2 + 0.08 * m * np.sin(2 * np.pi * jj / m * 1.5)
    left = jj < m / 2 + 0.12 * m * np.sin(2 * np.pi * ii / m)
    y = 2 * top.astype(int) + left.astype(int)
    return lattice_graph(m), y, np.where(rng.random(m * m) < frac, y, -1)


def digits_problem(frac: float = 0.1, n_neighbors: int = 7, seed: int = 0):
    """``(W, X, y, y_partial)`` for the digits k-NN graph, symmetrized as
    LabelPropagation builds it."""
    from sklearn.datasets import load_digits

    from . import LabelPropagation

    X, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(seed)
    yp = np.where(rng.random(y.size) < frac, y, -1)
    lp = LabelPropagation(n_neighbors=n_neighbors)
    lp.n_features_in_ = X.shape[1]
    W = lp._train_graph(X)
    return W, X, y, yp


def _system(W, yp):
    from . import harmonic_system

    lab = yp != -1
    A, W_ul = harmonic_system(W, lab)
    classes = np.unique(yp[lab])
    Y = (yp[lab][:, None] == classes[None, :]).astype(float)
    return A, np.ascontiguousarray(W_ul @ Y)


def _forest_contender(label, blocks, selection="cyclic", ours=True):
    def fn(data):
        from ..bcd import forest_bcd

        A, B = data
        res = forest_bcd(A, B, blocks=blocks, selection=selection, tol=TOL,
                         max_iter=100_000)
        c.detail = (f"{res.n_iter} epochs, {res.n_updates} updates"
                    + ("" if res.converged else ", NOT converged"))
        return res.x

    c = Contender(label, fn, ours=ours)
    return c


def _cg_contender():
    def fn(data):
        from scipy.sparse.linalg import cg

        A, B = data
        cols, its = [], [0]

        def count(_):
            its[0] += 1

        for j in range(B.shape[1]):
            x, info = cg(A, B[:, j], rtol=TOL, maxiter=100_000, callback=count)
            cols.append(x)
        X = np.column_stack(cols)
        rel = np.linalg.norm(B - A @ X) / np.linalg.norm(B)
        c.detail = f"{its[0]} iterations over {B.shape[1]} solves, residual {rel:.1e}"
        return X

    c = Contender("scipy cg (one solve per class)", fn)
    return c


def _fit_contenders(kind, y_true, yp):
    """Our LabelPropagation and sklearn's LabelSpreading on the same graph."""
    unl = yp == -1

    def ours(data):
        from . import LabelPropagation

        W, X = data
        if kind == "lattice":
            model = LabelPropagation(kernel="precomputed", tol=TOL).fit(W, yp)
        else:
            model = LabelPropagation(n_neighbors=7, tol=TOL).fit(X, yp)
        acc = (model.transduction_[unl] == y_true[unl]).mean()
        c1.detail = f"accuracy {acc:.4f}, {model.n_iter_} epochs"
        return model.transduction_

    def spreading(data):
        from sklearn.semi_supervised import LabelSpreading

        W, X = data
        if kind == "lattice":
            idx = np.arange(W.shape[0], dtype=float)[:, None]

            def kernel(A, B):  # the lattice itself, looked up by node index
                import scipy.sparse as sp

                return sp.csr_matrix(W[A[:, 0].astype(int)][:, B[:, 0].astype(int)])

            model = LabelSpreading(kernel=kernel).fit(idx, yp)
        else:
            model = LabelSpreading(kernel="knn", n_neighbors=7).fit(X, yp)
        acc = (model.transduction_[unl] == y_true[unl]).mean()
        c2.detail = f"accuracy {acc:.4f}, {model.n_iter_} iterations (tol 1e-3)"
        return model.transduction_

    c1 = Contender("sparseopt LabelPropagation (forest BCD, tol 1e-8)", ours, ours=True)
    c2 = Contender("sklearn LabelSpreading (defaults)", spreading)
    return [c1, c2]


def _label_disagreement(ref, out):
    return float(np.mean(np.asarray(ref) != np.asarray(out)))


def benchmarks(quick: bool = False) -> list[BenchCase]:
    m = 150 if quick else 500
    W, y, yp = lattice_problem(m)
    Wd, Xd, yd, ypd = digits_problem()
    def solver_contenders(bipartite):
        out = [_forest_contender("forest BCD, greedy-forest blocks", "greedy-forest")]
        if bipartite:  # red-black needs a two-colourable graph (not the k-NN one)
            out.append(_forest_contender("forest BCD, red-black blocks", "red-black"))
        return out + [_forest_contender("coordinate BCD, cyclic", "coordinate", "cyclic",
                                        ours=False), _cg_contender()]

    note = (f"relative residual {TOL:g} on L_uu F = W_ul Y_l; an epoch = n coordinate "
            f"updates; 'max rel. diff' vs CG's solution")
    cases = [
        BenchCase(name=f"harmonic system: lattice {m}x{m}, 10% labeled",
                  make=lambda: _system(W, yp), contenders=solver_contenders(True),
                  baseline="scipy cg (one solve per class)", notes=note,
                  max_repeat=3),
        BenchCase(name="harmonic system: digits 7-NN, 10% labeled",
                  make=lambda: _system(Wd, ypd),
                  contenders=solver_contenders(False)
                  + [_forest_contender("coordinate BCD, greedy (GSL)", "coordinate",
                                       "greedy", ours=False)],
                  baseline="scipy cg (one solve per class)", notes=note),
        BenchCase(name=f"fit: lattice {m}x{m}, 10% labeled",
                  make=lambda: (W, None), contenders=_fit_contenders("lattice", y, yp),
                  baseline="sklearn LabelSpreading (defaults)",
                  discrepancy=_label_disagreement, max_repeat=3,
                  notes="accuracy on the unlabeled nodes; 'max rel. diff' = fraction of "
                        "labels that differ from LabelSpreading's"),
        BenchCase(name="fit: digits 7-NN, 10% labeled", make=lambda: (None, Xd),
                  contenders=_fit_contenders("digits", yd, ypd),
                  baseline="sklearn LabelSpreading (defaults)",
                  discrepancy=_label_disagreement,
                  notes="fit includes building the k-NN graph for both"),
    ]
    return cases


def iteration_study(quick: bool = False) -> str:
    """Iterations to relative residual 1e-8 of every block construction, run once."""
    from scipy.sparse.linalg import cg

    from ..bcd import forest_bcd

    m = 150 if quick else 500
    rows = []
    problems = [(f"lattice {m}x{m}", _system(*lattice_problem(m)[::2])),
                ("digits 7-NN", _system(*digits_problem()[::3]))]
    configs = [("greedy-forest", "cyclic"), ("red-black", "cyclic"),
               ("greedy-tree", "cyclic"), ("coordinate", "greedy"),
               ("coordinate", "cyclic")]
    for pname, (A, B) in problems:
        for blocks, sel in configs:
            try:
                t0 = time.perf_counter()
                res = forest_bcd(A, B, blocks=blocks, selection=sel, tol=TOL,
                                 max_iter=100_000)
                sec = time.perf_counter() - t0
            except ValueError as exc:  # red-black on a non-bipartite graph
                rows.append([pname, f"{blocks} ({sel})", "-", "-", "-", str(exc)[:40]])
                continue
            label = blocks if blocks not in ("coordinate",) else f"coordinate ({sel})"
            rows.append([pname, label, str(res.n_iter), str(res.n_updates),
                         f"{sec:.2f}", f"{res.residual:.1e}"])
        its = [0]

        def count(_, its=its):
            its[0] += 1

        t0 = time.perf_counter()
        for j in range(B.shape[1]):
            cg(A, B[:, j], rtol=TOL, maxiter=100_000, callback=count)
        rows.append([pname, "scipy cg", f"{its[0]} (SpMVs)", "-",
                     f"{time.perf_counter() - t0:.2f}", "-"])
    return ("iterations to relative residual 1e-8 (epoch = n coordinate updates; "
            "one run each)\n" + format_table(
                ["problem", "blocks", "epochs", "block updates", "s", "residual"], rows))


def studies(quick: bool = False):
    return [lambda: iteration_study(quick)]


def demos() -> list[Demo]:
    def lattice():
        import scipy.sparse as sp
        from scipy.sparse.linalg import spsolve

        from . import LabelPropagation

        W, y, yp = lattice_problem(60)
        model = LabelPropagation(kernel="precomputed").fit(W, yp)
        A, B = _system(W, yp)
        ref = spsolve(sp.csc_matrix(A), B)
        diff = float(np.abs(model.label_distributions_[yp == -1] - ref).max())
        acc = float((model.transduction_ == y)[yp == -1].mean())
        return {"result": f"60x60 lattice, 10% labeled: accuracy {acc:.3f} in "
                          f"{model.n_iter_} epochs",
                "check": f"max |F - spsolve| {diff:.1e}",
                "ok": diff < 1e-6 and model.converged_}

    def digits():
        from sklearn.semi_supervised import LabelSpreading

        from . import LabelPropagation

        W, X, y, yp = digits_problem()
        ours = LabelPropagation(n_neighbors=7).fit(X, yp)
        ref = LabelSpreading(kernel="knn", n_neighbors=7).fit(X, yp)
        unl = yp == -1
        a, b = (ours.transduction_[unl] == y[unl]).mean(), (ref.transduction_[unl] ==
                                                            y[unl]).mean()
        return {"result": f"digits 7-NN, 10% labeled: accuracy {a:.3f}",
                "check": f"LabelSpreading {b:.3f}", "ok": bool(a >= b - 0.02)}

    return [Demo("LabelPropagation on a lattice", lattice),
            Demo("LabelPropagation on digits", digits)]
