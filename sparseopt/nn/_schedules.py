"""Sparsity schedules: how sparse each layer is, and when."""

import numbers

import numpy as np

__all__ = ["cubic_sparsity", "erk_densities"]


def _check_int(name, v, low):
    if not isinstance(v, numbers.Integral) or isinstance(v, bool):
        raise TypeError(f"{name} must be an integer; got {v!r}")
    if v < low:
        raise ValueError(f"{name} must be >= {low}; got {v}")
    return int(v)


def _check_sparsity(name, v):
    if not isinstance(v, numbers.Real) or isinstance(v, bool):
        raise TypeError(f"{name} must be a real number; got {v!r}")
    if not 0.0 <= v < 1.0:
        raise ValueError(f"{name} must be in [0, 1); got {v!r}")
    return float(v)


def cubic_sparsity(step, initial_sparsity, final_sparsity, begin_step, frequency, n_steps):
    """Gradual-magnitude-pruning sparsity of Zhu & Gupta (2017) at ``step``.

    ``s = s_f + (s_i - s_f) (1 - k / n)**3`` with ``k`` the number of pruning steps
    taken, ``k = floor((step - begin_step) / frequency)`` clamped to ``[0, n_steps]``.

    Parameters
    ----------
    step : int
        The training step (``>= 0``).
    initial_sparsity, final_sparsity : float in [0, 1)
        Sparsity at ``begin_step`` and from ``begin_step + n_steps * frequency`` on.
    begin_step : int
        First pruning step (``>= 0``); before it the sparsity is ``initial_sparsity``.
    frequency : int
        Steps between two pruning steps (``>= 1``).
    n_steps : int
        Number of pruning steps (``>= 1``).

    Returns
    -------
    sparsity : float
        The target sparsity at ``step``.
    """
    step = _check_int("step", step, 0)
    s_i = _check_sparsity("initial_sparsity", initial_sparsity)
    s_f = _check_sparsity("final_sparsity", final_sparsity)
    begin_step = _check_int("begin_step", begin_step, 0)
    frequency = _check_int("frequency", frequency, 1)
    n_steps = _check_int("n_steps", n_steps, 1)
    k = min(max((step - begin_step) // frequency, 0), n_steps)
    return s_f + (s_i - s_f) * (1.0 - k / n_steps) ** 3


def erk_densities(shapes, density, *, erdos_renyi_only=False):
    """Per-layer densities of the Erdos-Renyi-Kernel rule (Evci et al. 2020).

    Layer ``l`` gets density ``eps * sum(shape_l) / prod(shape_l)`` (with
    ``erdos_renyi_only=True`` only the first two dimensions enter the sum and the
    product), where ``eps`` is such that the parameter-weighted mean density equals
    ``density``. A layer whose density would exceed 1 is made dense and ``eps`` is
    solved again over the others.

    Parameters
    ----------
    shapes : sequence of tuple of int
        The weight shapes, e.g. ``(out, in)`` or ``(c_out, c_in, k_h, k_w)``.
    density : float in (0, 1]
        The target fraction of nonzeros over all the layers.
    erdos_renyi_only : bool, default=False
        Use the ER rule (first two dimensions) instead of ERK.

    Returns
    -------
    densities : ndarray of float64 of shape (len(shapes),)
        Densities in ``(0, 1]`` with ``sum(d * size) == density * sum(size)``.
    """
    if not isinstance(density, numbers.Real) or isinstance(density, bool):
        raise TypeError(f"density must be a real number; got {density!r}")
    if not 0.0 < density <= 1.0:
        raise ValueError(f"density must be in (0, 1]; got {density!r}")
    shapes = [tuple(s) for s in shapes]
    if not shapes:
        raise ValueError("shapes must not be empty")
    sizes, raw = [], []
    for i, s in enumerate(shapes):
        if len(s) == 0 or any(not isinstance(d, numbers.Integral) or d < 1 for d in s):
            raise ValueError(f"shapes[{i}] must be a non-empty tuple of positive integers; "
                             f"got {s!r}")
        sizes.append(float(np.prod(s, dtype=np.float64)))
        dims = s[:2] if erdos_renyi_only else s
        raw.append(float(sum(dims)) / float(np.prod(dims, dtype=np.float64)))
    sizes = np.asarray(sizes)
    raw = np.asarray(raw)
    dense = np.zeros(len(shapes), dtype=bool)
    budget = density * sizes.sum()
    while True:
        rest = budget - sizes[dense].sum()
        eps = rest / (raw[~dense] * sizes[~dense]).sum()
        over = ~dense & (eps * raw > 1.0)
        if not over.any():
            break
        dense |= over
        if dense.all():
            break
    out = np.where(dense, 1.0, eps * raw)
    return np.minimum(out, 1.0)
