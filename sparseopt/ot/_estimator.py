"""EntropicTransport: an entropic OT plan between two samples, as a transformer."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy.spatial.distance import cdist
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ..utils._param_validation import Interval, StrOptions, _fit_context
from ..utils.validation import check_array
from ._sinkhorn_front import sinkhorn

__all__ = ["EntropicTransport"]

_NORMS = {"max": np.max, "mean": np.mean, "median": np.median}


class EntropicTransport(TransformerMixin, BaseEstimator):
    """Entropic optimal transport from source samples to target samples.

    ``fit(Xs, Xt=Xt)`` computes the entropic transport plan between the empirical
    distributions of ``Xs`` and ``Xt`` (uniform weights unless given) for the cost
    ``metric`` between samples, with :func:`sinkhorn`. ``transform`` maps samples by the
    plan's **barycentric map** :math:`T(x_i) = \\sum_j P_{ij} x^t_j / \\sum_j P_{ij}`.
    Since :math:`P_{ij} \\propto \\exp((g_j - c(x_i, x^t_j)) / \\mathrm{reg})`, the map
    extends to any sample through the target dual potential g (the entropic map, POT's
    ``out_of_sample_map="continuous"``); ``out_of_sample="nearest"`` moves a new sample by
    the displacement of its nearest source sample instead (Ferradans et al.).

    Parameters
    ----------
    reg : float, default=1.0
        Entropic regularisation (POT's ``reg_e``), in the units of the (normalised) cost.
    metric : str, default="sqeuclidean"
        Ground cost between samples, any metric of :func:`scipy.spatial.distance.cdist`.
    norm : {"max", "mean", "median"} or None, default=None
        Divide the cost matrix by this statistic of itself (so that ``reg`` is relative),
        as POT's ``norm``.
    method : {"auto", "sinkhorn", "log", "sns"}, default="auto"
        Solver; see :func:`sinkhorn`.
    tol : float, default=1e-9
        Tolerance on the plan's L1 marginal error.
    max_iter : int, optional
        Iteration cap of the solver.
    n_threads : int, optional
        Threads of the compiled kernels.
    out_of_sample : {"continuous", "nearest"}, default="continuous"
        How ``transform`` maps samples not seen in ``fit`` (both give the barycentric map
        on the source samples).

    Attributes
    ----------
    coupling_ : ndarray of shape (n_source, n_target)
        The transport plan.
    barycenters_ : ndarray of shape (n_source, n_features)
        The barycentric images of the source samples.
    source_ : ndarray of shape (n_source, n_features)
        The source samples seen in ``fit``.
    target_ : ndarray of shape (n_target, n_features)
        The target samples.
    cost_ : float
        :math:`\\langle P, M\\rangle` for the (normalised) cost.
    n_iter_ : int
        Solver iterations.
    converged_ : bool
        Whether the L1 marginal error reached ``tol``.
    log_ : dict
        The solver's log (see :func:`sinkhorn`).
    n_features_in_ : int
        Number of features.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when ``Xs`` has string column names.

    See Also
    --------
    sinkhorn : The plan as a function.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.ot import EntropicTransport
    >>> rng = np.random.default_rng(0)
    >>> Xs = rng.normal(size=(50, 2))
    >>> Xt = rng.normal(loc=3.0, size=(60, 2))
    >>> et = EntropicTransport(reg=0.05, norm="max").fit(Xs, Xt=Xt)
    >>> et.coupling_.shape
    (50, 60)
    >>> bool(np.allclose(et.transform(Xs).mean(axis=0), Xt.mean(axis=0), atol=1e-6))
    True
    """

    _parameter_constraints: dict = {
        "reg": [Interval(Real, 0, None, closed="neither")],
        "metric": [str],
        "norm": [StrOptions(set(_NORMS)), None],
        "method": [StrOptions({"auto", "sinkhorn", "log", "sns"})],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left"), None],
        "n_threads": [Integral, None],
        "out_of_sample": [StrOptions({"continuous", "nearest"})],
    }

    def __init__(self, reg=1.0, *, metric="sqeuclidean", norm=None, method="auto",
                 tol=1e-9, max_iter=None, n_threads=None, out_of_sample="continuous"):
        self.reg = reg
        self.metric = metric
        self.norm = norm
        self.method = method
        self.tol = tol
        self.max_iter = max_iter
        self.n_threads = n_threads
        self.out_of_sample = out_of_sample

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, Xs, y=None, *, Xt=None, sample_weight=None, target_weight=None):
        """Compute the transport plan from ``Xs`` to ``Xt``.

        Parameters
        ----------
        Xs : array-like of shape (n_source, n_features)
            Source samples.
        y : None
            Ignored (scikit-learn's convention for transformers). The target samples go in
            ``Xt``: a 2-D ``y`` is refused so that ``fit(Xs, Xt)`` cannot silently ignore
            the target.
        Xt : array-like of shape (n_target, n_features), optional
            Target samples. Default: ``Xs`` itself, weighted as the source unless
            ``target_weight`` is given (an entropic smoothing of the sample).
        sample_weight : array-like of shape (n_source,), optional
            Source weights (uniform by default); normalised to total mass 1.
        target_weight : array-like of shape (n_target,), optional
            Target weights, as ``sample_weight``.

        Returns
        -------
        self : EntropicTransport
        """
        if y is not None and np.asarray(y).ndim == 2:
            raise TypeError("EntropicTransport.fit takes the target samples as the keyword "
                            "Xt (fit(Xs, Xt=Xt)); the second positional argument is "
                            "scikit-learn's y, which is ignored")
        Xs = validate_data(self, Xs, dtype=[np.float64, np.float32])
        if Xt is None:
            Xt = Xs
            if target_weight is None:
                target_weight = sample_weight
        else:
            Xt = check_array(Xt, "Xt", ndim=2, shape=(None, Xs.shape[1]))
        M = cdist(Xs, Xt, metric=self.metric)
        if not np.isfinite(M).all():
            raise ValueError(f"the {self.metric!r} cost between Xs and Xt is not finite")
        self._scale = 1.0
        if self.norm is not None:
            scale = float(_NORMS[self.norm](M))
            if scale > 0:
                self._scale = scale
                M = M / scale
        a = _check_sample_weight(sample_weight, Xs, dtype=np.float64, ensure_non_negative=True)
        b = _check_sample_weight(target_weight, Xt, dtype=np.float64, ensure_non_negative=True)
        for w, name in ((a, "sample_weight"), (b, "target_weight")):
            if not w.sum() > 0:
                raise ValueError(f"{name} must not be all zero: there is no mass to move")
        P, log = sinkhorn(a, b, M, self.reg, method=self.method, tol=self.tol,
                          max_iter=self.max_iter, log=True, normalize=True,
                          n_threads=self.n_threads)
        self.coupling_ = P
        self.log_ = log
        self.cost_ = log["cost"]
        self.n_iter_ = log["niter"]
        self.converged_ = log["converged"]
        self.source_ = np.array(Xs, copy=True)
        self.target_ = np.array(Xt, copy=True)
        mass = P.sum(axis=1)
        self._support = np.flatnonzero(mass > 0)
        bary = np.empty(Xs.shape, dtype=np.float64)
        s = self._support
        bary[s] = (P[s] @ Xt) / mass[s, None]
        self._shift = bary[s] - Xs[s]
        # a source sample of zero weight carries no mass: like an unseen sample, it moves
        # with its nearest weighted neighbour
        zero = np.flatnonzero(mass == 0)
        if zero.size:
            bary[zero] = self._move(Xs[zero])
        self.barycenters_ = bary.astype(Xs.dtype, copy=False)
        return self

    def _move(self, X):
        out = np.empty(X.shape, dtype=np.float64)
        anchors = self.source_[self._support]
        for start in range(0, X.shape[0], 1024):
            block = X[start:start + 1024]
            nearest = np.argmin(cdist(block, anchors, metric="sqeuclidean"), axis=1)
            out[start:start + 1024] = block + self._shift[nearest]
        return out

    def transform(self, X):
        """Move samples by the barycentric map of the plan.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples; those of ``fit``'s ``Xs`` go to their barycentric images, others are
            moved by the displacement of their nearest source sample.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        if self.out_of_sample == "nearest":
            return self._move(X).astype(self.barycenters_.dtype, copy=False)
        return self._entropic_map(X).astype(self.barycenters_.dtype, copy=False)

    def _entropic_map(self, X):
        """softmax_j((g_j - c(x, x^t_j)) / reg) @ Xt, over the weighted targets."""
        g = self.log_["g"]
        keep = np.isfinite(g)
        g, Y = g[keep], self.target_[keep]
        out = np.empty(X.shape, dtype=np.float64)
        for start in range(0, X.shape[0], 1024):
            block = X[start:start + 1024]
            z = (g[None, :] - cdist(block, Y, metric=self.metric) / self._scale) / self.reg
            z -= z.max(axis=1, keepdims=True)
            w = np.exp(z)
            out[start:start + 1024] = (w @ Y) / w.sum(axis=1, keepdims=True)
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
