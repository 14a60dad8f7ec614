"""The weighted group sparse envelope function (WGSEF) and its proximal operator.

Refael, Arbel & Huleihel define the WGSEF as the convex envelope (biconjugate) of

    f(x) = 1/2 sum_g d_g ||x_g||^2 + ind{at most k groups of x are nonzero},

a convex regularizer whose minimizers tend to have at most k nonzero groups (filters,
channels, blocks of a network layer). The derivation below is ours (the formulas were
checked against brute-force evaluations of the definition in the tests).
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from ..utils.validation import check_array, check_scalar
from ._wgsef import prox_wgsef_kernel
from .group import check_groups
from .penalties import Penalty

__all__ = ["WGSEF", "prox_wgsef", "wgsef"]


def _setup(x, groups, k, weights, name):
    x = check_array(x, name, ndim=1, dtype="float")
    ptr, idx = check_groups(groups, x.shape[0])
    n_groups = len(ptr) - 1
    check_scalar(k, "k", Integral, min_val=1)
    if weights is None:
        d = np.ones(n_groups)
    else:
        d = check_array(weights, "weights", shape=(n_groups,), dtype=np.float64)
        if np.any(d <= 0):
            raise ValueError("weights must be positive (one per group)")
        d = np.ascontiguousarray(d)
    return np.ascontiguousarray(x), ptr, idx, d


def _k_support_sq(r, k):
    """Squared k-support norm of a non-negative vector r (Argyriou, Foygel & Srebro,
    Prop. 2.1): with r sorted decreasingly, sum of the k-l-1 largest squared plus the
    squared sum of the rest over (l + 1), for the unique l in 0..k-1 with
    r_(k-l-1) > tail / (l + 1) >= r_(k-l)."""
    r = np.sort(r)[::-1]
    m = r.size
    if k >= m:
        return float(r @ r)
    csum = np.concatenate([np.cumsum(r[::-1])[::-1], [0.0]])  # csum[i] = sum r[i:]
    for ell in range(k):
        head = k - ell - 1  # entries kept as squares: r[0:head]
        tail = csum[head] / (ell + 1)
        left = np.inf if head == 0 else r[head - 1]
        if left > tail >= r[head]:
            return float(r[:head] @ r[:head] + (ell + 1) * tail * tail)
    # rounding ties: the largest value of the family is the norm (it is a max over l)
    return float(max(r[:k - e - 1] @ r[:k - e - 1] + csum[k - e - 1] ** 2 / (e + 1)
                     for e in range(k)))


def wgsef(x, groups, k: int, weights=None) -> float:
    r"""The weighted group sparse envelope function at ``x``.

    .. math::

        \mathrm{WGSEF}_k(x) = \tfrac12 \|r\|_{(k)}^2, \qquad r_g = \sqrt{d_g}\,\|x_g\|_2,

    with :math:`\|\cdot\|_{(k)}` the k-support norm of the vector of weighted group
    norms: the convex envelope of
    :math:`\frac12 \sum_g d_g \|x_g\|_2^2 + \iota\{\text{at most } k \text{ nonzero
    groups}\}` (see :class:`WGSEF`).

    Parameters
    ----------
    x : array-like of shape (n_features,)
        The point.
    groups : int, sequence of int, or sequence of array-like of int
        A partition of the features (see :func:`check_groups`).
    k : int
        The number of groups the envelope favours (>= 1).
    weights : array-like of shape (n_groups,), optional
        Positive group weights :math:`d_g` (default 1).

    Returns
    -------
    value : float

    Examples
    --------
    >>> from sparseopt.bcd import wgsef
    >>> wgsef([3.0, 4.0, 0.0, 0.0], groups=2, k=1)  # one nonzero group: f itself
    12.5
    """
    x, ptr, idx, d = _setup(x, groups, k, weights, "x")
    xd = x.astype(np.float64)
    norms = np.sqrt(np.add.reduceat(xd[idx] ** 2, ptr[:-1]))
    return 0.5 * _k_support_sq(np.sqrt(d) * norms, int(k))


def prox_wgsef(v, groups, k: int, lam: float = 1.0, weights=None, *,
               return_threshold: bool = False):
    r"""The proximal operator of ``lam`` times the WGSEF, in time linear in the groups.

    Solves :math:`\min_x \frac12 \|x - v\|_2^2 + \lambda\,\mathrm{WGSEF}_k(x)`.

    Parameters
    ----------
    v : array-like of shape (n_features,)
        The point (float64 or float32; the result has the same dtype).
    groups : int, sequence of int, or sequence of array-like of int
        A partition of the features (see :func:`check_groups`).
    k : int
        The number of groups the envelope favours (>= 1).
    lam : float, default=1.0
        The prox parameter :math:`\lambda \ge 0` (step size times regularization).
    weights : array-like of shape (n_groups,), optional
        Positive group weights :math:`d_g` (default 1).
    return_threshold : bool, default=False
        Also return the threshold :math:`u^\star` of the breakpoint search (0 when at
        most ``k`` groups of ``v`` are nonzero).

    Returns
    -------
    x : ndarray of shape (n_features,)
        The prox. Each group is ``v_g`` rescaled by a factor in [0, 1].
    u : float
        Only if ``return_threshold``.

    Notes
    -----
    Every group of the solution is a non-negative multiple of the group of ``v``:
    :math:`x_g = (c_g / a_g) v_g` with :math:`a_g = \|v_g\|_2`. Using
    :math:`\|t\|_{(k)}^2 = \min_{\theta \in \Theta_k} \sum_g t_g^2 / \theta_g` over
    :math:`\Theta_k = \{0 < \theta_g \le 1, \sum_g \theta_g \le k\}`, the problem in
    :math:`(c, \theta)` gives :math:`c_g = a_g \theta_g / (\theta_g + \lambda d_g)`
    and, after minimizing over c, the optimality conditions in :math:`\theta`:

    .. math::

        \theta_g(u) = \mathrm{clip}\big(a_g \sqrt{\lambda d_g}\, u - \lambda d_g,
        0, 1\big), \qquad \sum_g \theta_g(u^\star) = k,

    when more than k groups of v are nonzero (otherwise :math:`\theta_g = 1`, a group
    ridge shrink :math:`c_g = a_g / (1 + \lambda d_g)`). So :math:`c_g = 0` for the
    weakest groups, :math:`c_g = a_g - \sqrt{\lambda d_g} / u^\star` (a group
    soft-threshold) in the middle, and :math:`c_g = a_g / (1 + \lambda d_g)` for the
    strongest. The sum is a nondecreasing piecewise-linear function of u with two
    breakpoints per group; :math:`u^\star` is found by repeatedly cutting the
    bracketing interval at the median of the breakpoints still inside it, found by
    worst-case linear selection (introselect: median-of-three pivots, with a
    median-of-medians pivot after two poor splits), so the total cost is
    :math:`O(n_{\text{features}} + n_{\text{groups}})` in the worst case, with no sort.

    References
    ----------
    .. [1] Y. Refael, I. Arbel, W. Huleihel, "Learning k-Level Structured Sparse Neural
       Networks Using Group Envelope Regularization", arXiv:2212.12921.
    .. [2] A. Argyriou, R. Foygel, N. Srebro, "Sparse Prediction with the k-Support
       Norm", NeurIPS 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.bcd import prox_wgsef
    >>> v = np.array([3.0, 0.0, 2.0, 0.0, 0.1, 0.0])
    >>> np.round(prox_wgsef(v, groups=2, k=1, lam=0.5), 4)
    array([1.75, 0.  , 0.75, 0.  , 0.  , 0.  ])

    With k = 1 the envelope is half the squared l1 norm of the group norms, whose
    prox soft-thresholds them all by the same amount (here 1.25); the weakest group
    is zeroed.
    """
    check_scalar(lam, "lam", Real, min_val=0)
    v, ptr, idx, d = _setup(v, groups, k, weights, "v")
    if lam == 0:
        x, u = v.copy(), 0.0
    else:
        x, u = prox_wgsef_kernel(v, ptr, idx, d, float(lam), float(k))
    return (x, float(u)) if return_threshold else x


class WGSEF(Penalty):
    r"""The weighted group sparse envelope function as a penalty, :math:`\alpha\,\mathrm{WGSEF}_k`.

    :math:`\mathrm{WGSEF}_k` is the convex envelope of
    :math:`f(x) = \frac12 \sum_g d_g \|x_g\|_2^2 + \iota\{\text{at most } k \text{
    nonzero groups}\}`. Its conjugate is
    :math:`f^*(y) = \frac12 \sum_{\text{k largest}} \|y_g\|_2^2 / d_g`, and the
    biconjugate is :math:`\frac12 \|r\|_{(k)}^2` with :math:`r_g = \sqrt{d_g}\|x_g\|_2`
    and the k-support norm :math:`\|\cdot\|_{(k)}` [2]_. It couples all the groups (it
    is not block separable), so it is used by proximal gradient methods (e.g. proximal
    SGD in training, as in [1]_) through :meth:`prox`, not by the block loops of
    :class:`GreedyBCD`.

    Parameters
    ----------
    groups : int, sequence of int, or sequence of array-like of int
        A partition of the features (see :func:`check_groups`).
    k : int
        Number of nonzero groups the envelope favours (>= 1).
    alpha : float, default=1.0
        Regularization strength (>= 0).
    weights : array-like of shape (n_groups,), optional
        Positive group weights :math:`d_g` (default 1).

    See Also
    --------
    prox_wgsef, wgsef

    References
    ----------
    .. [1] Y. Refael, I. Arbel, W. Huleihel, "Learning k-Level Structured Sparse Neural
       Networks Using Group Envelope Regularization", arXiv:2212.12921.
    .. [2] A. Argyriou, R. Foygel, N. Srebro, "Sparse Prediction with the k-Support
       Norm", NeurIPS 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.bcd import WGSEF
    >>> pen = WGSEF(groups=2, k=1, alpha=0.5)
    >>> x = pen.prox(np.array([3.0, 0.0, 1.0, 0.0]))
    >>> float(pen.value(x)) <= float(pen.value([3.0, 0.0, 1.0, 0.0]))
    True
    """

    def __init__(self, groups, k: int = 1, alpha: float = 1.0, weights=None):
        self.groups = groups
        self.k = check_scalar(k, "k", Integral, min_val=1)
        self.alpha = check_scalar(alpha, "alpha", Real, min_val=0)
        self.weights = weights

    def value(self, x) -> float:
        """``alpha * WGSEF_k(x)``."""
        return float(self.alpha) * wgsef(x, self.groups, self.k, self.weights)

    def prox(self, v, step: float = 1.0):
        """The proximal operator of ``step * alpha * WGSEF_k`` at ``v``."""
        check_scalar(step, "step", Real, min_val=0)
        return prox_wgsef(v, self.groups, self.k, float(step) * float(self.alpha),
                          self.weights)

    def _make(self, n_features):
        raise TypeError("WGSEF couples all the groups: use its prox in a proximal "
                        "gradient method, not GreedyBCD")

    def __repr__(self):
        return f"WGSEF(groups={self.groups!r}, k={self.k}, alpha={self.alpha})"
