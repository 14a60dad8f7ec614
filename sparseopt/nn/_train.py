"""Training-time rules for sparse networks, as pure array functions."""

import math
import numbers

import numpy as np

__all__ = ["srste_gradient", "mask_decay_weight", "decay_factor", "sparse_soup"]


def _check_pair(W, mask, wname="W"):
    W = np.asarray(W)
    if W.dtype.kind != "f":
        W = W.astype(np.float64)
    if not np.isfinite(W).all():
        raise ValueError(f"{wname} contains NaN or infinity")
    mask = np.asarray(mask)
    if mask.dtype != bool:
        raise TypeError(f"mask must be a boolean array; got dtype {mask.dtype}")
    if mask.shape != W.shape:
        raise ValueError(f"mask has shape {mask.shape}, {wname} has shape {W.shape}")
    return W, mask


def srste_gradient(grad, W, mask, lam=2e-4):
    """Gradient of SR-STE (Zhou et al., ICLR 2021) for the dense weights.

    ``grad + lam * (1 - mask) * W``: the straight-through gradient plus a decay of the
    pruned weights (``lam=0`` is plain STE).

    Parameters
    ----------
    grad : array_like of float
        Gradient of the loss with respect to the masked weights ``W * mask``.
    W : array_like of float, same shape
        The dense weights.
    mask : array_like of bool, same shape
        True = kept.
    lam : float, default=2e-4
        The sparse-refined decay (``>= 0``).

    Returns
    -------
    g : ndarray, same shape
        The gradient to apply to ``W``.
    """
    W, mask = _check_pair(W, mask)
    grad = np.asarray(grad, dtype=W.dtype)
    if grad.shape != W.shape:
        raise ValueError(f"grad has shape {grad.shape}, W has shape {W.shape}")
    if not np.isfinite(grad).all():
        raise ValueError("grad contains NaN or infinity")
    if not isinstance(lam, numbers.Real) or not lam >= 0 or not math.isfinite(lam):
        raise ValueError(f"lam must be a finite real >= 0; got {lam!r}")
    return grad + lam * np.where(mask, 0, W).astype(W.dtype)


def mask_decay_weight(W, mask, alpha):
    """Forward weights of mask-decay gradient flow: ``W * (mask + (1 - mask) * alpha)``.

    Parameters
    ----------
    W : array_like of float
        The dense weights.
    mask : array_like of bool, same shape
        True = kept.
    alpha : float in [0, 1]
        The decay factor of the pruned weights, e.g. from :func:`decay_factor`.

    Returns
    -------
    W_eff : ndarray, same shape
    """
    W, mask = _check_pair(W, mask)
    if not isinstance(alpha, numbers.Real) or not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1]; got {alpha!r}")
    return np.where(mask, W, W * alpha).astype(W.dtype, copy=False)


def decay_factor(step, kind="linear", coef=1e-3):
    """Decay factor ``alpha_t`` of progressive gradient flow (Bambhaniya et al. 2024).

    ``max(0, 1 - coef * step)`` for ``kind="linear"``, ``exp(-coef * step)`` for
    ``kind="exp"``.

    Parameters
    ----------
    step : int
        The step ``t`` counted from the start of the decay (``>= 0``).
    kind : {"linear", "exp"}, default="linear"
    coef : float, default=1e-3
        The decay rate ``c`` (``>= 0``).

    Returns
    -------
    alpha : float in [0, 1]
    """
    if not isinstance(step, numbers.Integral) or isinstance(step, bool) or step < 0:
        raise ValueError(f"step must be an integer >= 0; got {step!r}")
    if not isinstance(coef, numbers.Real) or not coef >= 0 or not math.isfinite(coef):
        raise ValueError(f"coef must be a finite real >= 0; got {coef!r}")
    if kind == "linear":
        return max(0.0, 1.0 - coef * step)
    if kind == "exp":
        return math.exp(-coef * step)
    raise ValueError(f"kind must be 'linear' or 'exp'; got {kind!r}")


def sparse_soup(params_list, masks, weights=None):
    """Average sparse models that share one mask (sparse model soup).

    Parameters
    ----------
    params_list : sequence of array_like of float
        The weights of each model, all the same shape.
    masks : array_like of bool or sequence of it
        One mask shared by all models, or one mask per model (they must be equal).
    weights : array_like of float, optional
        Nonnegative averaging weights (normalized to sum 1); uniform by default.

    Returns
    -------
    W : ndarray
        The weighted mean, zero outside the mask.
    """
    params = [np.asarray(p, dtype=np.float64) for p in params_list]
    if not params:
        raise ValueError("params_list must not be empty")
    shape = params[0].shape
    for i, p in enumerate(params):
        if p.shape != shape:
            raise ValueError(f"params_list[{i}] has shape {p.shape}, expected {shape}")
        if not np.isfinite(p).all():
            raise ValueError(f"params_list[{i}] contains NaN or infinity")
    m = np.asarray(masks)
    if m.dtype != bool:
        raise TypeError(f"masks must be boolean; got dtype {m.dtype}")
    if m.shape == shape:
        mask = m
    elif m.shape == (len(params),) + shape:
        mask = m[0]
        for i in range(1, len(params)):
            if not np.array_equal(m[i], mask):
                raise ValueError(f"masks[{i}] differs from masks[0]; a soup needs one mask")
    else:
        raise ValueError(f"masks has shape {m.shape}; expected {shape} or "
                         f"{(len(params),) + shape}")
    if weights is None:
        w = np.full(len(params), 1.0 / len(params))
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (len(params),) or not np.isfinite(w).all() or (w < 0).any() \
                or w.sum() <= 0:
            raise ValueError("weights must be finite, nonnegative, not all zero, and have "
                             "one entry per model")
        w = w / w.sum()
    out = np.tensordot(w, np.stack(params), axes=1)
    return np.where(mask, out, 0.0)
