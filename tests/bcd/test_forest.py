"""forest_bcd: exact tree solves and block BCD against scipy's direct solver."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from sparseopt.bcd import forest_bcd, greedy_forest_blocks, red_black_blocks
from sparseopt.bcd.forest import _check_spd_matrix, _orient_blocks
from sparseopt.exceptions import ConvergenceWarning

BLOCKS = ["greedy-forest", "greedy-tree", "coordinate"]


def lattice_laplacian(m, shift, dtype=np.float64):
    T = sp.diags_array([np.ones(m - 1), np.ones(m - 1)], offsets=[-1, 1])
    W = sp.kron(sp.eye_array(m), T) + sp.kron(T, sp.eye_array(m))
    deg = np.asarray(W.sum(axis=1)).ravel()
    return sp.csr_array(sp.diags_array(deg + shift) - W, dtype=dtype)


def random_spd(rng, n, density, dtype=np.float64):
    """Weighted random graph Laplacian + a small ridge: SPD, not bipartite."""
    W = sp.random_array((n, n), density=density, rng=rng)
    W = sp.triu(W, 1)
    W = W + W.T
    deg = np.asarray(W.sum(axis=1)).ravel()
    return sp.csr_array(sp.diags_array(deg + 0.1) - W, dtype=dtype)


def _is_forest(A, nodes):
    sub = sp.csr_array(A[nodes][:, nodes])
    sub.setdiag(0)
    sub.eliminate_zeros()
    n_edges = sub.nnz // 2
    n_comp = sp.csgraph.connected_components(sub, directed=False)[0]
    return n_edges == len(nodes) - n_comp  # a forest: edges = nodes - trees


@pytest.mark.parametrize("blocks", BLOCKS)
@pytest.mark.parametrize("selection", ["cyclic", "greedy"])
@pytest.mark.parametrize("acceleration", [None, "auto"])
def test_matches_spsolve_random_graph(rng, blocks, selection, acceleration):
    A = random_spd(rng, 300, 0.02)
    B = rng.standard_normal((300, 3))
    res = forest_bcd(A, B, blocks=blocks, selection=selection, acceleration=acceleration,
                     tol=1e-10, max_iter=5000)
    ref = spsolve(sp.csc_matrix(A), B)
    assert res.converged
    sweepable = blocks != "greedy-tree" and selection == "cyclic"
    assert res.acceleration == ("cg" if acceleration == "auto" and sweepable else None)
    assert res.residual <= 1e-10
    assert np.linalg.norm(B - A @ res.x) <= 1e-10 * np.linalg.norm(B) * 1.0001
    np.testing.assert_allclose(res.x, ref, rtol=0, atol=1e-7 * np.abs(ref).max())


@pytest.mark.parametrize("acceleration", [None, "cg"])
def test_red_black_on_lattice_matches_spsolve(rng, acceleration):
    A = lattice_laplacian(20, 0.05)
    b = rng.standard_normal(400)
    res = forest_bcd(A, b, blocks="red-black", acceleration=acceleration, tol=1e-10,
                     max_iter=20000)
    assert res.converged and res.x.shape == (400,)
    ref = spsolve(sp.csc_matrix(A), b)
    np.testing.assert_allclose(res.x, ref, atol=1e-7 * np.abs(ref).max())


def test_tree_is_solved_in_one_update(rng):
    # a random tree (each node attached to an earlier one): one block = the whole tree
    n = 500
    parent = np.array([rng.integers(0, i) for i in range(1, n)])
    w = rng.uniform(0.5, 2.0, n - 1)
    W = sp.coo_array((w, (np.arange(1, n), parent)), shape=(n, n))
    W = W + W.T
    A = sp.csr_array(sp.diags_array(np.asarray(W.sum(axis=1)).ravel() + 1e-3) - W)
    b = rng.standard_normal((n, 2))
    res = forest_bcd(A, b, blocks="greedy-forest", tol=1e-12)
    assert len(res.blocks) == 1
    assert res.n_updates == 1 and res.n_iter == 1
    np.testing.assert_allclose(res.x, spsolve(sp.csc_matrix(A), b), rtol=1e-9, atol=1e-9)


def test_exact_block_minimisation(rng):
    # one block update must give x_b = A_bb^{-1} (b_b - A_b,rest x_rest)
    A = random_spd(rng, 120, 0.04)
    blk = greedy_forest_blocks(A)[0]
    rest = np.setdiff1d(np.arange(120), blk)
    b = rng.standard_normal(120)
    x0 = rng.standard_normal(120)
    # one epoch on this single block: its first update is exact, so the repeats that
    # fill the epoch must leave x unchanged
    from sparseopt.bcd import _forest
    A, diag = _check_spd_matrix(A)
    ptr, order, par, a, piv = _orient_blocks(A, diag, [blk], require_cover=False)
    X = x0.reshape(-1, 1).copy()
    R = (b - A @ x0).reshape(-1, 1).copy()
    cptr, cidx, cval = _forest._coupling(A.indptr, A.indices, A.data, ptr, order)
    _forest._epoch_fixed(A.indptr, A.indices, A.data, diag, ptr, order, par, a, piv, cptr,
                         cidx, cval, X, R, np.empty(120), False, 0)
    Abb = A[blk][:, blk].toarray()
    want = np.linalg.solve(Abb, b[blk] - A[blk][:, rest] @ x0[rest])
    np.testing.assert_allclose(X[blk, 0], want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(X[rest, 0], x0[rest])
    np.testing.assert_allclose(R[:, 0], b - A @ X[:, 0], atol=1e-12)


def test_greedy_forest_blocks_are_a_partition_into_forests(rng):
    A = random_spd(rng, 400, 0.015)
    blocks = greedy_forest_blocks(A)
    assert np.array_equal(np.sort(np.concatenate(blocks)), np.arange(400))
    assert all(_is_forest(A, b) for b in blocks)
    # on a lattice the greedy forests hold most nodes in the first two blocks
    L = lattice_laplacian(30, 0.0)
    lb = greedy_forest_blocks(L, order="natural")
    assert all(_is_forest(L, b) for b in lb)
    assert len(lb[0]) + len(lb[1]) == 900


def test_red_black_blocks():
    L = lattice_laplacian(6, 0.0)
    red, black = red_black_blocks(L)
    assert red.size == black.size == 18
    ii, jj = np.divmod(red, 6)
    assert np.all((ii + jj) % 2 == 0)
    triangle = sp.csr_array(np.array([[2.0, -1, -1], [-1, 2, -1], [-1, -1, 2]]))
    with pytest.raises(ValueError, match="bipartite"):
        red_black_blocks(triangle)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("index", [np.int32, np.int64])
def test_dtypes(rng, dtype, index):
    A = random_spd(rng, 80, 0.05, dtype=dtype)
    A.indices, A.indptr = A.indices.astype(index), A.indptr.astype(index)
    b = rng.standard_normal(80)
    tol = 1e-5 if dtype == np.float32 else 1e-10
    for blocks in BLOCKS:
        res = forest_bcd(A, b, blocks=blocks, tol=tol, max_iter=2000)
        assert res.x.dtype == dtype and res.converged
        ref = spsolve(sp.csc_matrix(A.astype(np.float64)), b)
        np.testing.assert_allclose(res.x, ref, atol=20 * tol * np.abs(ref).max())


def test_unsorted_and_duplicate_entries(rng):
    A = random_spd(rng, 60, 0.1)
    coo = A.tocoo()
    perm = rng.permutation(coo.nnz)
    r, c, v = coo.row[perm], coo.col[perm], coo.data[perm]
    # split every value into two stored duplicates
    D = sp.csr_array((np.r_[v / 2, v / 2], (np.r_[r, r], np.r_[c, c])), shape=A.shape)
    b = rng.standard_normal(60)
    res = forest_bcd(D, b, tol=1e-10)
    np.testing.assert_allclose(res.x, spsolve(sp.csc_matrix(A), b), rtol=1e-7, atol=1e-9)


def test_zero_rhs_and_x0(rng):
    A = random_spd(rng, 50, 0.1)
    res = forest_bcd(A, np.zeros(50))
    assert res.converged and res.n_iter == 0 and not res.x.any()
    b = rng.standard_normal(50)
    x = spsolve(sp.csc_matrix(A), b)
    res = forest_bcd(A, b, x0=x)
    assert res.n_iter == 0 and res.converged


def test_errors(rng):
    A = random_spd(rng, 30, 0.2)
    b = np.ones(30)
    with pytest.raises(ValueError, match="symmetric"):
        forest_bcd(sp.csr_array(sp.triu(A)), b)
    with pytest.raises(ValueError, match="square"):
        forest_bcd(sp.csr_array(np.ones((3, 4))), np.ones(3))
    bad = A.copy()
    bad.setdiag(-1.0)
    with pytest.raises(ValueError, match="positive definite"):
        forest_bcd(bad, b)
    with pytest.raises(ValueError, match="b must have shape"):
        forest_bcd(A, np.ones(29))
    with pytest.raises(ValueError, match="blocks must be one of"):
        forest_bcd(A, b, blocks="lines")
    with pytest.raises(ValueError, match="cover"):
        forest_bcd(A, b, blocks=[np.array([0])])
    with pytest.raises(ValueError, match="repeats a node"):
        forest_bcd(A, b, blocks=[np.array([2, 0, 2]), np.arange(30)])
    with pytest.raises(ValueError, match="forest"):
        forest_bcd(A, b, blocks=[np.arange(30)])
    with pytest.raises(ValueError, match="tol"):
        forest_bcd(A, b, tol=0)
    with pytest.raises(TypeError):
        forest_bcd(np.eye(3), np.ones(3))
    # indefinite although the diagonal is positive: a pivot or the iteration fails
    indef = sp.csr_array(np.array([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="positive definite"):
        forest_bcd(indef, np.ones(2))


def test_max_iter_warns(rng):
    A = lattice_laplacian(30, 1e-3)
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        res = forest_bcd(A, rng.standard_normal(900), max_iter=2)
    assert not res.converged and res.n_iter == 2 and len(res.history) == 2


def _block_splitting(A, blocks):
    """D, L, U of A for the block order of ``blocks``: D the within-block entries, L
    the entries A_ij with j's block swept before i's."""
    beta = np.empty(A.shape[0], dtype=int)
    for bi, blk in enumerate(blocks):
        beta[blk] = bi
    dense = A.toarray()
    bi, bj = np.meshgrid(beta, beta, indexing="ij")
    return (np.where(bi == bj, dense, 0), np.where(bi > bj, dense, 0),
            np.where(bi < bj, dense, 0))


@pytest.mark.parametrize("kind", ["greedy-forest", "overlapping"])
def test_sweep_is_symmetric_block_gauss_seidel(rng, kind):
    from sparseopt.bcd import _forest

    A, diag = _check_spd_matrix(random_spd(rng, 60, 0.08))
    blocks = sorted(greedy_forest_blocks(A), key=len)
    if kind == "overlapping":  # a second partition: symmetrized multiplicative Schwarz
        blocks = blocks + greedy_forest_blocks(A, order=rng.permutation(60))
    oriented = _orient_blocks(A, diag, blocks)
    cptr, cidx, cval = _forest._coupling(A.indptr, A.indices, A.data, *oriented[:2])
    R = rng.standard_normal((60, 2))
    Z, S = np.zeros((60, 2)), R.copy()
    _forest._sgs_apply(*oriented, cptr, cidx, cval, Z, S, np.empty(120))
    np.testing.assert_allclose(S, R - A @ Z, atol=1e-12)  # the sweep leaves r - A z
    # M^{-1} applied to the identity: symmetric positive definite
    Minv = np.zeros((60, 60))
    for j in range(60):
        z, s = np.zeros((60, 1)), np.eye(60)[:, [j]].copy()
        _forest._sgs_apply(*oriented, cptr, cidx, cval, z, s, np.empty(60))
        Minv[:, j] = z[:, 0]
    np.testing.assert_allclose(Minv, Minv.T, atol=1e-12)
    assert np.linalg.eigvalsh((Minv + Minv.T) / 2).min() > 0
    if kind == "greedy-forest":  # M = (D + L) D^{-1} (D + U), Notes of forest_bcd
        D, L, U = _block_splitting(A, blocks)
        M = (D + L) @ np.linalg.solve(D, D + U)
        np.testing.assert_allclose(Minv @ M, np.eye(60), atol=1e-9)


def test_cg_needs_fewer_epochs_than_plain_sweeps(rng):
    A = lattice_laplacian(40, 1e-3)
    B = rng.standard_normal((1600, 2))
    plain = forest_bcd(A, B, acceleration=None, tol=1e-8, max_iter=20000)
    acc = forest_bcd(A, B, acceleration="cg", tol=1e-8)
    assert plain.converged and acc.converged and acc.acceleration == "cg"
    assert np.linalg.norm(B - A @ acc.x) <= 1e-8 * np.linalg.norm(B)
    # plain block Gauss-Seidel needs O(cond) sweeps, CG O(sqrt(cond)): far fewer here
    assert acc.epochs * 5 < plain.epochs
    # the counts add up: every CG iteration is one sweep (2 m - 1 block updates)
    nb = len(acc.blocks)
    assert acc.n_updates % (2 * nb - 1) == 0
    sweeps = acc.n_updates // (2 * nb - 1)
    assert sweeps in (acc.n_iter, acc.n_iter + 1)
    assert acc.n_coordinate_updates == sweeps * (2 * 1600 - len(acc.blocks[-1]))
    assert [len(b) for b in acc.blocks] == sorted(len(b) for b in acc.blocks)


def test_cg_on_coordinate_blocks_and_given_blocks(rng):
    A = random_spd(rng, 200, 0.03)
    b = rng.standard_normal(200)
    ref = spsolve(sp.csc_matrix(A), b)
    for blocks in ["coordinate", greedy_forest_blocks(A, order="natural")]:
        res = forest_bcd(A, b, blocks=blocks, acceleration="cg", tol=1e-11)
        assert res.converged and res.acceleration == "cg"
        np.testing.assert_allclose(res.x, ref, atol=1e-8 * np.abs(ref).max())


def test_cg_needs_fixed_cyclic_blocks(rng):
    A = random_spd(rng, 30, 0.2)
    with pytest.raises(ValueError, match="fixed blocks swept cyclically"):
        forest_bcd(A, np.ones(30), blocks="greedy-tree", acceleration="cg")
    with pytest.raises(ValueError, match="fixed blocks swept cyclically"):
        forest_bcd(A, np.ones(30), selection="greedy", acceleration="cg")
    with pytest.raises(ValueError, match="acceleration must be"):
        forest_bcd(A, np.ones(30), acceleration="chebyshev")
