"""An exact global oracle for tiny least-squares problems with a folded-concave penalty.

The problem is

    F(w, b) = sum_i s_i (y_i - x_i.w - b)^2 / (2 S) + sum_j p_j(|w_j|),

with each p_j piecewise quadratic on [0, inf), continuously differentiable on (0, inf)
(MCP, SCAD and CEL0 are). Let (w*, b*) be a global minimizer and S its support. On the
open set {w : w_j != 0 for j in S, w_j = 0 otherwise}, F is C^1, so w*_S is a
stationary point of F restricted to S. Fix, for every j in S, a sign and one quadratic
piece of p_j (a closed interval of |w_j|): there F is a quadratic, whose stationary
points solve a linear system. Every stationary point of F on S is therefore the solution
of one of these systems lying in its own region. Enumerating all supports, signs and
pieces and keeping the solutions that lie in their regions lists every stationary point
with a given support (in closed form: no local solver, no starting point), hence the
global minimum is the smallest objective among them. The objective is evaluated at each
candidate itself, so the value returned is always attained; a candidate accepted a
rounding error outside its region can only raise it above the true minimum by that
rounding error.

A singular system (CEL0 makes the one-coordinate ones singular on its concave piece:
the 1-D objective is linear there) has an affine set of solutions, or none; on that set
the quadratic is constant, so one point of it inside the region (found by a linear
program) stands for all of it.
"""

import itertools

import numpy as np
from scipy.optimize import linprog


def mcp_pieces(alpha, gamma):
    """Pieces (lo, hi, c2, c1, c0) of p(x) = c2 x^2 / 2 + c1 x + c0 on lo <= x <= hi."""
    t = gamma * alpha
    return [(0.0, t, -1.0 / gamma, alpha, 0.0), (t, np.inf, 0.0, 0.0, t * alpha / 2)]


def scad_pieces(alpha, gamma):
    g = gamma
    return [(0.0, alpha, 0.0, alpha, 0.0),
            (alpha, g * alpha, -1.0 / (g - 1), g * alpha / (g - 1),
             -alpha * alpha / (2 * (g - 1))),
            (g * alpha, np.inf, 0.0, 0.0, alpha * alpha * (g + 1) / 2)]


def cel0_pieces(lam, curvature):
    """phi(x) = lam - (a^2 / 2)(x - sqrt(2 lam) / a)^2 on [0, sqrt(2 lam) / a], lam
    beyond, with a^2 = curvature: MCP with alpha = sqrt(2 lam) a, gamma = 1 / a^2."""
    a = np.sqrt(curvature)
    return mcp_pieces(np.sqrt(2 * lam) * a, 1.0 / curvature)


def penalty_value(pieces, w):
    """sum_j p_j(|w_j|) for per-coordinate piece lists."""
    out = 0.0
    for pj, wj in zip(pieces, np.abs(w), strict=True):
        if wj == 0:
            continue
        for lo, hi, c2, c1, c0 in pj:
            if lo <= wj <= hi:
                out += 0.5 * c2 * wj * wj + c1 * wj + c0
                break
    return out


def _singular_candidate(H, r, signs, lo, hi, k, tol):
    """A point of {v : H v = r} with lo <= signs * v[:k] <= hi (v[k:] free), or None."""
    v0, *_ = np.linalg.lstsq(H, r, rcond=None)
    if np.linalg.norm(H @ v0 - r) > 1e-9 * (1 + np.linalg.norm(r)):
        return None  # inconsistent: no stationary point in this region
    eig, vec = np.linalg.eigh(H)
    N = vec[:, np.abs(eig) <= 1e-10 * np.abs(eig).max(initial=1.0)]
    # signs * (v0 + N z) within [lo, hi] on the first k coordinates
    D = signs[:, None] * N[:k]
    base = signs * v0[:k]
    slack = tol * (1 + np.abs(base))
    A_ub = np.vstack([-D, D[np.isfinite(hi)]])
    b_ub = np.concatenate([base - lo + slack, (hi - base + slack)[np.isfinite(hi)]])
    res = linprog(np.zeros(N.shape[1]), A_ub=A_ub, b_ub=b_ub,
                  bounds=[(None, None)] * N.shape[1], method="highs")
    return v0 + N @ res.x if res.status == 0 else None


def global_minimum(X, y, pieces, *, sample_weight=None, fit_intercept=False,
                   positive=False, tol=1e-10):
    """The global minimum of F and a minimizer (w, b), by the enumeration above.

    ``pieces`` holds one piece list per feature (see ``mcp_pieces``).
    """
    n, p = X.shape
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    S = s.sum()
    A = np.column_stack([X, np.ones(n)]) if fit_intercept else X
    G = A.T @ (s[:, None] * A) / S
    h = A.T @ (s * y) / S
    c = s @ (y * y) / (2 * S)

    def objective(v):  # v = (w, b) when the intercept is fitted
        return 0.5 * v @ G @ v - h @ v + c + penalty_value(pieces, v[:p])

    extra = [p] if fit_intercept else []
    best = objective(np.zeros(A.shape[1])) if not fit_intercept else np.inf
    best_v = np.zeros(A.shape[1])
    if fit_intercept:  # the empty support: the intercept alone
        v = np.zeros(A.shape[1])
        v[p] = h[p] / G[p, p]
        best, best_v = objective(v), v
    for k in range(1, p + 1):
        for supp in itertools.combinations(range(p), k):
            idx = list(supp) + extra
            Gs, hs = G[np.ix_(idx, idx)], h[idx]
            signs = np.array(list(itertools.product(*(((1.0,) if positive else (-1.0, 1.0))
                                                     for _ in supp))))  # (m, k)
            # every piece pattern at once: one batched solve per support
            pats = np.array(list(itertools.product(*(range(len(pieces[j])) for j in supp))))
            tab = np.array([[pieces[j][q] for q in pats[:, i]] for i, j in enumerate(supp)])
            lo, hi, c2, c1 = (tab[:, :, c].T for c in range(4))  # (P, k) each
            H = np.repeat(Gs[None], len(pats), axis=0)
            H[:, np.arange(k), np.arange(k)] += c2
            eig = np.abs(np.linalg.eigvalsh(H))
            sing = eig.min(axis=1) <= 1e-10 * eig.max(axis=1)
            rhs = np.repeat(np.repeat(hs[None, None], len(pats), 0), len(signs), 1)
            rhs[:, :, :k] -= signs[None] * c1[:, None, :]  # (P, m, k [+1])
            for q in np.flatnonzero(sing):  # stationary sets that are affine subspaces
                for sg, r in zip(signs, rhs[q], strict=True):
                    v = _singular_candidate(H[q], r, sg, lo[q], hi[q], k, tol)
                    if v is not None:
                        full = np.zeros(A.shape[1])
                        full[idx] = v
                        f = objective(full)
                        if f < best:
                            best, best_v = f, full
            H[sing] = np.eye(len(idx))  # placeholders, rejected below
            sol = np.linalg.solve(H, rhs.transpose(0, 2, 1)).transpose(0, 2, 1)
            sol[sing] = np.nan
            mag = signs[None] * sol[:, :, :k]
            scale = tol * (1 + np.abs(mag))
            ok = np.all((mag >= lo[:, None] - scale) & (mag <= hi[:, None] + scale)
                        & (mag > 0), axis=2)
            for row in sol[ok]:
                v = np.zeros(A.shape[1])
                v[idx] = row
                f = objective(v)
                if f < best:
                    best, best_v = f, v
    w = best_v[:p]
    b = best_v[p] if fit_intercept else 0.0
    return best, w, b
