import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sparseopt.nn import nm_mask, topk_mask


def _brute_nm_best(group, n):
    return max(sum(group[list(c)]) for c in itertools.combinations(range(group.size), n))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(1, 3), st.data())
def test_nm_mask_is_the_exact_projection(m, n_groups, data):
    n = data.draw(st.integers(0, m))
    rows = data.draw(st.integers(1, 3))
    # small integers give many ties
    scores = data.draw(arrays(np.float64, (rows, m * n_groups), elements=st.integers(0, 3)))
    mask = nm_mask(scores, n, m)
    assert mask.dtype == bool and mask.shape == scores.shape
    groups = scores.reshape(-1, m)
    kept = mask.reshape(-1, m)
    assert (kept.sum(axis=1) == n).all()
    for g, k in zip(groups, kept, strict=True):
        assert g[k].sum() == _brute_nm_best(g, n)


def test_nm_mask_axis():
    W = np.random.default_rng(0).standard_normal((8, 6))
    np.testing.assert_array_equal(nm_mask(np.abs(W), 2, 4, axis=0),
                                  nm_mask(np.abs(W).T, 2, 4).T)


def test_topk_mask_row_and_layer():
    rng = np.random.default_rng(1)
    S = rng.random((5, 10))
    row = topk_mask(S, 0.3)
    assert (row.sum(axis=1) == 7).all()
    for i in range(5):
        assert S[i, row[i]].min() >= S[i, ~row[i]].max()
    layer = topk_mask(S, 0.3, scope="layer")
    assert layer.sum() == 50 - 15
    assert S[layer].min() >= S[~layer].max()


@pytest.mark.parametrize("kwargs, match", [
    (dict(n=3, m=2), "n must be in"),
    (dict(n=1, m=0), "m must be"),
    (dict(n=1, m=3), "not a multiple of m"),
    (dict(n=1.0, m=4), "n must be an integer"),
])
def test_nm_mask_bad_input(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        nm_mask(np.ones((2, 8)), **kwargs)


def test_bad_scores_and_sparsity():
    with pytest.raises(ValueError, match="NaN"):
        nm_mask(np.array([[np.nan, 1, 2, 3]]), 2, 4)
    with pytest.raises(ValueError, match="sparsity"):
        topk_mask(np.ones((2, 4)), 1.0)
    with pytest.raises(ValueError, match="scope"):
        topk_mask(np.ones((2, 4)), 0.5, scope="col")
