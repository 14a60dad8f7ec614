"""The completion module's rows in ``python -m sparseopt demo``."""

from __future__ import annotations

import warnings

import numpy as np

from ..utils._benchmarking import Demo


def demos():
    def seminmf():
        from ..exceptions import ConvergenceWarning
        from . import SemiNMF

        rng = np.random.default_rng(0)
        W = rng.uniform(size=(200, 4))
        W[rng.uniform(size=W.shape) < 0.3] = 0.0
        X = W @ rng.standard_normal((4, 30))  # nonnegative codes, signed dictionary
        W0 = W * (1 + 0.5 * rng.uniform(size=W.shape)) + 0.05 * rng.uniform(size=W.shape)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = SemiNMF(4, init="custom", tol=1e-14, max_iter=2000).fit(X, W=W0)
        err = model.reconstruction_err_ / np.linalg.norm(X)
        hist = model.objective_history_
        monotone = bool(np.all(np.diff(hist) <= 1e-12 * hist[0]))
        return {"result": f"200x30 signed X = W H (W >= 0, rank 4): {model.n_iter_} "
                          "iterations from a perturbed W",
                "check": f"relative error {err:.1e}, objective "
                         f"{'non-increasing' if monotone else 'INCREASED'}",
                "ok": err < 1e-10 and monotone}

    return [Demo("SemiNMF exact recovery", seminmf)]
