"""The random problem generators: shapes, formats, the properties they document, seeds."""

import numpy as np
import pytest

from sparseopt.datasets import make_sparse_text_classification


def test_sparse_text_classification_is_tfidf_like():
    X, y = make_sparse_text_classification(300, 2000, n_classes=6, doc_length=50,
                                           random_state=1)
    assert X.format == "csr" and X.shape == (300, 2000)
    assert X.indices.dtype == np.int32 and X.indptr.dtype == np.int32
    X.check_format(full_check=True)             # sorted, in-range, no duplicates
    assert np.bincount(y).tolist() == [50] * 6
    assert np.all(X.data > 0)
    np.testing.assert_allclose(np.sqrt(X.multiply(X).sum(axis=1)), 1.0, rtol=1e-12)
    lengths = np.diff(X.indptr)
    assert lengths.min() >= 1 and lengths.max() <= 50
    # a class's topic words are more frequent in its own documents than elsewhere
    own = X[y == 0].sum(axis=0)
    other = X[y != 0].sum(axis=0) / 5
    top = np.argsort(own - other)[-20:]
    assert np.all(own[top] > 2 * other[top])


def test_sparse_text_classification_seed_and_errors():
    X1, y1 = make_sparse_text_classification(50, 300, n_classes=3, random_state=0)
    X2, y2 = make_sparse_text_classification(50, 300, n_classes=3, random_state=0)
    assert (X1 != X2).nnz == 0 and np.array_equal(y1, y2)
    with pytest.raises(ValueError, match="n_classes"):
        make_sparse_text_classification(10, 100, n_classes=1)
    with pytest.raises(ValueError, match="topic_share"):
        make_sparse_text_classification(10, 100, n_classes=2, topic_share=1.5)
    with pytest.raises(ValueError, match="n_topic_words"):
        make_sparse_text_classification(10, 100, n_classes=2, n_topic_words=101)


def test_make_rmat_shape_bounds_determinism_and_skew():
    from sparseopt.datasets import make_rmat

    A = make_rmat(12, 8, random_state=0)
    assert A.shape == (4096, 4096) and A.nnz <= 8 * 4096
    assert A.has_canonical_format and A.indices.dtype == np.int32
    assert A.data.sum() == 8 * 4096  # every drawn edge counted once, merged ones summed
    B = make_rmat(12, 8, random_state=0)
    assert (A != B).nnz == 0
    deg = np.diff(A.indptr)
    assert deg.max() > 10 * deg.mean()  # power law: a few very heavy rows
    # a quadrant probability near 1 sends almost every edge to one (permuted) cell
    C = make_rmat(8, 4, a=0.999, b=0.0003, c=0.0003, random_state=1)
    assert C.data.max() > 0.99 * 4 * 256
    S = make_rmat(10, 4, symmetric=True, random_state=2)
    assert abs(S - S.T).max() == 0 and set(np.unique(S.data)) == {1.0}


def test_make_rmat_bad_input():
    from sparseopt.datasets import make_rmat

    with pytest.raises(ValueError, match="a \\+ b \\+ c must be < 1"):
        make_rmat(4, a=0.5, b=0.3, c=0.2)
    with pytest.raises(ValueError, match="scale"):
        make_rmat(0)
    with pytest.raises(ValueError, match="b must be in"):
        make_rmat(4, b=-0.1)
    with pytest.raises(TypeError, match="dtype"):
        make_rmat(4, dtype=np.int64)
