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
