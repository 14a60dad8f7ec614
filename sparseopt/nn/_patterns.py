"""Sparsity patterns: projections of a score array onto a mask (True = kept).

The functions here are the exact projections: among all masks of the pattern, the one
that keeps the largest total score. Ties are broken towards the lower index, so the
result is deterministic.
"""

import numbers

import numpy as np

__all__ = ["nm_mask", "topk_mask"]


def _check_scores(scores, name="scores"):
    scores = np.asarray(scores)
    if scores.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be a real numeric array; got dtype {scores.dtype}")
    if scores.dtype.kind == "f" and not np.isfinite(scores).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return scores


def nm_mask(scores, n, m, *, axis=-1):
    """Keep the ``n`` largest scores of every ``m`` consecutive entries along ``axis``.

    Parameters
    ----------
    scores : array_like of shape (..., k, ...)
        Importance scores, e.g. ``abs(W)``. The length ``k`` of ``axis`` must be a
        multiple of ``m``.
    n, m : int
        Keep ``n`` of every ``m`` (``0 <= n <= m``); ``n=2, m=4`` is the 2:4 pattern.
    axis : int, default=-1
        The axis along which the groups of ``m`` run (the input axis of an
        ``(out, in)`` weight).

    Returns
    -------
    mask : ndarray of bool, same shape as ``scores``
        True where kept; exactly ``n`` True in every group.
    """
    scores = _check_scores(scores)
    for name, v in (("n", n), ("m", m)):
        if not isinstance(v, numbers.Integral) or isinstance(v, bool):
            raise TypeError(f"{name} must be an integer; got {v!r}")
    if m < 1:
        raise ValueError(f"m must be >= 1; got {m}")
    if not 0 <= n <= m:
        raise ValueError(f"n must be in [0, m] = [0, {m}]; got {n}")
    if scores.ndim == 0:
        raise ValueError("scores must have at least one dimension")
    if not isinstance(axis, numbers.Integral) or not -scores.ndim <= axis < scores.ndim:
        raise ValueError(f"axis must be an integer in [-{scores.ndim}, {scores.ndim}); "
                         f"got {axis!r}")
    axis = int(axis) % scores.ndim
    k = scores.shape[axis]
    if k % m:
        raise ValueError(f"the length of axis {axis} ({k}) is not a multiple of m={m}")
    moved = np.moveaxis(scores, axis, -1)
    groups = moved.reshape(-1, m)
    # stable descending order: larger score first, lower index first among ties
    order = np.argsort(-groups.astype(np.float64, copy=False), axis=1, kind="stable")
    keep = np.zeros(groups.shape, dtype=bool)
    np.put_along_axis(keep, order[:, :n], True, axis=1)
    return np.moveaxis(keep.reshape(moved.shape), -1, axis)


def topk_mask(scores, sparsity, *, scope="row"):
    """Keep the largest scores, pruning a fraction ``sparsity`` of them.

    Parameters
    ----------
    scores : array_like of shape (n_out, n_in) or (k,)
        Importance scores.
    sparsity : float in [0, 1)
        Fraction of entries set to False: ``floor(sparsity * size)`` per comparison group.
    scope : {"row", "layer"}, default="row"
        The comparison group: each row (output neuron) or the whole array.

    Returns
    -------
    mask : ndarray of bool, same shape as ``scores``
    """
    scores = _check_scores(scores)
    if not isinstance(sparsity, numbers.Real) or not 0 <= sparsity < 1:
        raise ValueError(f"sparsity must be a number in [0, 1); got {sparsity!r}")
    if scope not in ("row", "layer"):
        raise ValueError(f"scope must be 'row' or 'layer'; got {scope!r}")
    if scope == "row" and scores.ndim != 2:
        raise ValueError(f"scope='row' needs 2-D scores; got shape {scores.shape}")
    groups = scores.reshape(1, -1) if scope == "layer" else scores
    size = groups.shape[1]
    n_prune = int(np.floor(sparsity * size))
    # stable descending order: among ties the lower index is kept
    order = np.argsort(-groups.astype(np.float64, copy=False), axis=1, kind="stable")
    keep = np.zeros(groups.shape, dtype=bool)
    np.put_along_axis(keep, order[:, :size - n_prune], True, axis=1)
    return keep.reshape(scores.shape)
