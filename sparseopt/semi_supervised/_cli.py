"""The semi_supervised rows of ``python -m sparseopt demo`` and ``bench``.

Two problems, each with 10 % of the labels known (seeded):

- a 500 x 500 four-neighbour lattice (250,000 nodes, unit weights) whose pixels carry
  one of four classes (a picture of four regions with wavy borders);
- the k-NN graph (k = 7, symmetrized) of scikit-learn's digits (1,797 samples, 10
  classes).

``bench`` times (a) the solvers of the same linear system ``L_uu F = W_ul Y_l`` to a
relative residual of 1e-8: forest-block BCD (CG-accelerated, the default, and plain)
against scipy's CG (one solve per class) and single-coordinate BCD; (b) the
estimators' whole ``fit``: our ``LabelPropagation`` against scikit-learn's
``LabelSpreading`` (default parameters) on the same graph, and against its
``LabelPropagation`` (default parameters; hard clamping: it iterates towards the same
harmonic solution as ours, on its own row-normalized graph), with the accuracy on the
unlabeled nodes. The study prints the iteration counts of every method, run once:

- iterations: epochs for plain BCD, CG iterations for the accelerated one;
- epochs: coordinates updated / n (one epoch = one pass over the variables; a CG
  iteration's symmetric sweep is between 1 and 2 epochs), for scipy's CG its
  products by A per class (each reads every variable once);
- block updates: exact block solves (single coordinates for coordinate BCD).
"""

from __future__ import annotations

import time

import numpy as np

from ..utils._benchmarking import BenchCase, Contender, Demo, format_table

TOL = 1e-8
CG = "scipy cg (one solve per class)"


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


def _describe(res):
    return (f"{res.n_iter} it, {res.epochs:.1f} epochs, {res.n_updates} block updates"
            + ("" if res.converged else ", NOT converged"))


def _forest_contender(label, blocks, selection="cyclic", acceleration=None, ours=True):
    def fn(data):
        from ..bcd import forest_bcd

        A, B = data
        res = forest_bcd(A, B, blocks=blocks, selection=selection,
                         acceleration=acceleration, tol=TOL, max_iter=100_000)
        c.detail = _describe(res)
        return res.x

    c = Contender(label, fn, ours=ours)
    return c


def _scipy_cg(A, B):
    """scipy's CG, one solve per class; returns X and the iterations of each solve."""
    from scipy.sparse.linalg import cg

    cols, its = [], []
    for j in range(B.shape[1]):
        count = [0]

        def cb(_, count=count):
            count[0] += 1

        x, info = cg(A, B[:, j], rtol=TOL, maxiter=100_000, callback=cb)
        cols.append(x)
        its.append(count[0])
    return np.column_stack(cols), its


def _cg_contender():
    def fn(data):
        A, B = data
        X, its = _scipy_cg(A, B)
        rel = np.linalg.norm(B - A @ X) / np.linalg.norm(B)
        c.detail = (f"{sum(its)} iterations over {B.shape[1]} solves, "
                    f"{np.mean(its):.1f} epochs, residual {rel:.1e}")
        return X

    c = Contender(CG, fn)
    return c


def _fit_contenders(kind, y_true, yp):
    """Our LabelPropagation and sklearn's LabelSpreading on the same graph."""
    unl = yp == -1

    def ours(acceleration, holder):
        def fn(data):
            from . import LabelPropagation

            W, X = data
            if kind == "lattice":
                model = LabelPropagation(kernel="precomputed", acceleration=acceleration,
                                         tol=TOL).fit(W, yp)
            else:
                model = LabelPropagation(n_neighbors=7, acceleration=acceleration,
                                         tol=TOL).fit(X, yp)
            acc = (model.transduction_[unl] == y_true[unl]).mean()
            holder[0].detail = f"accuracy {acc:.4f}, {model.n_iter_} iterations"
            return model.transduction_
        return fn

    def sklearn_fit(estimator, holder):
        def fn(data):
            W, X = data
            if kind == "lattice":
                idx = np.arange(W.shape[0], dtype=float)[:, None]

                def kernel(A, B):  # the lattice itself, looked up by node index
                    import scipy.sparse as sp

                    return sp.csr_matrix(W[A[:, 0].astype(int)][:, B[:, 0].astype(int)])

                model = estimator(kernel=kernel).fit(idx, yp)
            else:
                model = estimator(kernel="knn", n_neighbors=7).fit(X, yp)
            acc = (model.transduction_[unl] == y_true[unl]).mean()
            holder[0].detail = (f"accuracy {acc:.4f}, {model.n_iter_} iterations (tol "
                                f"{model.tol:g}, max_iter {model.max_iter})")
            return model.transduction_
        return fn

    from sklearn.semi_supervised import LabelPropagation as SkLabelPropagation
    from sklearn.semi_supervised import LabelSpreading

    h1, h0 = [None], [None]
    c1 = Contender("sparseopt LabelPropagation (forest BCD + CG, tol 1e-8)",
                   ours("auto", h1), ours=True)
    c0 = Contender("sparseopt LabelPropagation (plain forest BCD, tol 1e-8)",
                   ours(None, h0), ours=True)
    h2, h3 = [None], [None]
    # LabelSpreading (soft clamping, alpha = 0.2, a well-conditioned system) is the
    # baseline the issue names; sklearn's LabelPropagation iterates towards the same
    # harmonic fixed point as ours (hard clamping): the like-for-like peer
    c2 = Contender("sklearn LabelSpreading (defaults)", sklearn_fit(LabelSpreading, h2))
    c3 = Contender("sklearn LabelPropagation (defaults, same fixed point)",
                   sklearn_fit(SkLabelPropagation, h3))
    h1[0], h0[0], h2[0], h3[0] = c1, c0, c2, c3
    return [c1, c0, c2, c3]


def _label_disagreement(ref, out):
    return float(np.mean(np.asarray(ref) != np.asarray(out)))


def benchmarks(quick: bool = False) -> list[BenchCase]:
    m = 150 if quick else 500
    W, y, yp = lattice_problem(m)
    Wd, Xd, yd, ypd = digits_problem()
    def solver_contenders(bipartite):
        out = [_forest_contender("forest BCD + CG, greedy-forest blocks", "greedy-forest",
                                 acceleration="cg")]
        if bipartite:  # red-black needs a two-colourable graph (not the k-NN one)
            out.append(_forest_contender("forest BCD + CG, red-black blocks", "red-black",
                                         acceleration="cg"))
        out.append(_forest_contender("forest BCD (plain), greedy-forest blocks",
                                     "greedy-forest"))
        return out + [_forest_contender("coordinate BCD, cyclic", "coordinate", "cyclic",
                                        ours=False), _cg_contender()]

    note = (f"relative residual {TOL:g} on L_uu F = W_ul Y_l; it = iterations (CG "
            f"iterations, or epochs for plain BCD); an epoch = n coordinate updates (for "
            f"scipy's CG: products by A per class); 'max rel. diff' vs CG's solution")
    cases = [
        BenchCase(name=f"harmonic system: lattice {m}x{m}, 10% labeled",
                  make=lambda: _system(W, yp), contenders=solver_contenders(True),
                  baseline=CG, notes=note,
                  max_repeat=3),
        BenchCase(name="harmonic system: digits 7-NN, 10% labeled",
                  make=lambda: _system(Wd, ypd),
                  contenders=solver_contenders(False)
                  + [_forest_contender("coordinate BCD, greedy (GSL)", "coordinate",
                                       "greedy", ours=False)],
                  baseline=CG, notes=note),
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
                  notes="fit includes building the k-NN graph for every estimator"),
    ]
    return cases


def iteration_study(quick: bool = False) -> str:
    """Iterations to relative residual 1e-8 of every method, each run once."""
    from ..bcd import forest_bcd

    m = 150 if quick else 500
    rows, summary = [], []
    problems = [(f"lattice {m}x{m}", _system(*lattice_problem(m)[::2])),
                ("digits 7-NN", _system(*digits_problem()[::3]))]
    configs = [("greedy-forest", "cyclic", "cg"), ("red-black", "cyclic", "cg"),
               ("coordinate", "cyclic", "cg"), ("greedy-forest", "cyclic", None),
               ("red-black", "cyclic", None), ("greedy-tree", "cyclic", None),
               ("coordinate", "greedy", None), ("coordinate", "cyclic", None)]
    for pname, (A, B) in problems:
        found = {}
        for blocks, sel, acc in configs:
            label = (f"coordinate ({sel})" if blocks == "coordinate" else blocks) + (
                " + CG" if acc else "")
            try:
                t0 = time.perf_counter()
                res = forest_bcd(A, B, blocks=blocks, selection=sel, acceleration=acc,
                                 tol=TOL, max_iter=100_000)
                sec = time.perf_counter() - t0
            except ValueError as exc:  # red-black on a non-bipartite graph
                rows.append([pname, label, "-", "-", "-", "-", str(exc)[:40]])
                continue
            found[label] = res
            rows.append([pname, label, str(res.n_iter), f"{res.epochs:.1f}",
                         str(res.n_updates), f"{sec:.2f}", f"{res.residual:.1e}"])
        t0 = time.perf_counter()
        X, its = _scipy_cg(A, B)
        sec = time.perf_counter() - t0
        rel = np.linalg.norm(B - A @ X) / np.linalg.norm(B)
        rows.append([pname, "scipy cg (per class)", f"{sum(its)}", f"{np.mean(its):.1f}",
                     "-", f"{sec:.2f}", f"{rel:.1e}"])
        ref, ours = found.get("coordinate (greedy)"), found.get("greedy-forest + CG")
        if ref is not None and ours is not None:
            summary.append(
                f"{pname}: greedy coordinate BCD / forest BCD + CG (greedy-forest): "
                f"{ref.epochs / ours.epochs:.1f}x the epochs, "
                f"{ref.n_updates / ours.n_updates:,.0f}x the block updates")
    return ("iterations to relative residual 1e-8, one run each (it = CG iterations, or "
            "epochs without CG; epochs = coordinate updates / n, for scipy's CG its "
            "products by A per class)\n" + format_table(
                ["problem", "method", "it", "epochs", "block updates", "s", "residual"],
                rows) + "\n" + "\n".join(summary))


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
