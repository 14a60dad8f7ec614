"""Random problem generators."""

from __future__ import annotations

from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state

from ..utils.validation import check_scalar


def make_random_csr(
    n_rows: int,
    n_cols: int,
    nnz_per_row: int,
    *,
    dtype=np.float64,
    index_dtype=np.int32,
    random_state=None,
) -> sp.csr_array:
    """Random sparse matrix with (about) the same number of nonzeros in every row.

    Column indices are uniform; values are standard normal. Each row has
    ``nnz_per_row`` draws of a column; the rare repeated draws are merged, so a row may
    hold slightly fewer entries. Indices are sorted and unique.

    Parameters
    ----------
    n_rows, n_cols : int
        Shape of the matrix.
    nnz_per_row : int
        Column draws per row (at most ``n_cols``).
    dtype : {numpy.float64, numpy.float32}, default=numpy.float64
        Value dtype.
    index_dtype : {numpy.int32, numpy.int64}, default=numpy.int32
        Dtype of ``indices`` and ``indptr``.
    random_state : int, RandomState instance or None, default=None
        Seed, as in scikit-learn.

    Returns
    -------
    A : scipy.sparse.csr_array of shape (n_rows, n_cols)
        The matrix, in canonical format.

    Examples
    --------
    >>> from sparseopt.datasets import make_random_csr
    >>> A = make_random_csr(1000, 500, 5, random_state=0)
    >>> A.shape, A.nnz <= 5000
    ((1000, 500), True)
    """
    check_scalar(n_rows, "n_rows", Integral, min_val=0)
    check_scalar(n_cols, "n_cols", Integral, min_val=0)
    check_scalar(nnz_per_row, "nnz_per_row", Integral, min_val=0, max_val=n_cols)
    dtype, index_dtype = np.dtype(dtype), np.dtype(index_dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")
    if index_dtype not in (np.int32, np.int64):
        raise TypeError(f"index_dtype must be int32 or int64, got {index_dtype}")
    rng = check_random_state(random_state)
    k = nnz_per_row if n_cols else 0
    cols = np.sort(rng.randint(0, max(n_cols, 1), size=(n_rows, k)), axis=1)
    keep = np.ones(cols.shape, dtype=bool)
    keep[:, 1:] = cols[:, 1:] != cols[:, :-1]
    counts = keep.sum(axis=1)
    indptr = np.zeros(n_rows + 1, dtype=index_dtype)
    np.cumsum(counts, out=indptr[1:])
    indices = cols[keep].astype(index_dtype)
    data = rng.standard_normal(indices.shape[0]).astype(dtype)
    A = sp.csr_array((n_rows, n_cols), dtype=dtype)
    A.data, A.indices, A.indptr = data, indices, indptr
    return A


def _noisy_targets(rng, X, w, snr):
    Xw = X @ w
    scale = np.linalg.norm(Xw) / (np.sqrt(X.shape[0]) * snr) if snr > 0 else 0.0
    return Xw + scale * rng.standard_normal(X.shape[0])


def make_correlated_regression(
    n_samples: int = 1000,
    n_features: int = 5000,
    *,
    rho: float = 0.5,
    n_informative: int = 50,
    snr: float = 3.0,
    random_state=None,
):
    """Dense regression problem with Toeplitz-correlated features.

    The columns follow an AR(1) process, so ``corr(x_i, x_j) = rho ** |i - j|``; the
    true coefficients have ``n_informative`` nonzeros of magnitude in [1, 2] with random
    signs, and the noise gives the requested signal-to-noise ratio.

    Parameters
    ----------
    n_samples, n_features : int
        Shape of X.
    rho : float, default=0.5
        Correlation between neighbouring features, in [0, 1).
    n_informative : int, default=50
        Nonzero true coefficients.
    snr : float, default=3.0
        ``||X w|| / ||noise||`` (0 for no noise).
    random_state : int, RandomState instance or None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), Fortran-ordered
    y : ndarray of shape (n_samples,)
    w : ndarray of shape (n_features,)
        The true coefficients.

    Examples
    --------
    >>> from sparseopt.datasets import make_correlated_regression
    >>> X, y, w = make_correlated_regression(50, 100, n_informative=5, random_state=0)
    >>> X.shape, int((w != 0).sum())
    ((50, 100), 5)
    """
    check_scalar(rho, "rho", min_val=0, max_val=1, include_boundaries="left")
    check_scalar(n_informative, "n_informative", Integral, min_val=0, max_val=n_features)
    rng = check_random_state(random_state)
    X = np.empty((n_samples, n_features), order="F")
    if n_features:
        X[:, 0] = rng.standard_normal(n_samples)
        c = np.sqrt(1 - rho**2)
        for j in range(1, n_features):
            X[:, j] = rho * X[:, j - 1] + c * rng.standard_normal(n_samples)
    w = np.zeros(n_features)
    support = rng.choice(n_features, n_informative, replace=False)
    w[support] = rng.choice([-1.0, 1.0], n_informative) * (1 + rng.random_sample(n_informative))
    return X, _noisy_targets(rng, X, w, snr), w


def make_sparse_regression(
    n_samples: int = 10_000,
    n_features: int = 50_000,
    *,
    density: float = 1e-3,
    n_informative: int = 500,
    snr: float = 3.0,
    random_state=None,
):
    """Sparse random regression problem (CSC design, standard normal nonzeros).

    Parameters
    ----------
    n_samples, n_features : int
        Shape of X.
    density : float, default=1e-3
        Fraction of nonzero entries of X.
    n_informative : int, default=500
        Nonzero true coefficients (standard normal).
    snr : float, default=3.0
        ``||X w|| / ||noise||``.
    random_state : int, RandomState instance or None
        Seed.

    Returns
    -------
    X : scipy.sparse.csc_array of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    w : ndarray of shape (n_features,)

    Examples
    --------
    >>> from sparseopt.datasets import make_sparse_regression
    >>> X, y, w = make_sparse_regression(100, 500, density=0.01, n_informative=5,
    ...                                  random_state=0)
    >>> X.format, X.shape
    ('csc', (100, 500))
    """
    check_scalar(density, "density", min_val=0, max_val=1)
    check_scalar(n_informative, "n_informative", Integral, min_val=0, max_val=n_features)
    rng = check_random_state(random_state)
    X = sp.random_array((n_samples, n_features), density=density, format="csc",
                        rng=np.random.default_rng(rng.randint(2**31)),
                        data_sampler=lambda size: rng.standard_normal(size))
    w = np.zeros(n_features)
    w[rng.choice(n_features, n_informative, replace=False)] = rng.standard_normal(n_informative)
    return X, _noisy_targets(rng, X, w, snr), w


def make_sparse_text_classification(
    n_samples: int = 5000,
    n_features: int = 20_000,
    *,
    n_classes: int = 20,
    doc_length: int = 80,
    n_topic_words: int = 100,
    topic_share: float = 0.2,
    random_state=None,
):
    """Sparse bag-of-words classification problem (tf-idf rows, CSR), 20-newsgroups-like.

    Every document draws ``doc_length`` words: a share ``topic_share`` from its class's
    ``n_topic_words`` topic words (uniformly), the rest from a Zipf (1/rank) background over
    the whole vocabulary. Counts are turned into sublinear tf-idf and rows are scaled to
    unit Euclidean norm, as scikit-learn's ``TfidfVectorizer(sublinear_tf=True)`` does.
    Topic words of different classes may overlap.

    Parameters
    ----------
    n_samples, n_features : int
        Documents and vocabulary size.
    n_classes : int, default=20
        Classes, balanced (labels ``0 .. n_classes - 1``).
    doc_length : int, default=80
        Words drawn per document (repeated words add up).
    n_topic_words : int, default=100
        Words of each class's topic.
    topic_share : float, default=0.2
        Expected fraction of a document's words drawn from its topic.
    random_state : int, RandomState instance or None
        Seed.

    Returns
    -------
    X : scipy.sparse.csr_array of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,), int64

    Examples
    --------
    >>> from sparseopt.datasets import make_sparse_text_classification
    >>> X, y = make_sparse_text_classification(200, 1000, n_classes=4, random_state=0)
    >>> X.format, X.shape, sorted(set(y.tolist()))
    ('csr', (200, 1000), [0, 1, 2, 3])
    """
    n_samples = check_scalar(n_samples, "n_samples", Integral, min_val=1)
    n_features = check_scalar(n_features, "n_features", Integral, min_val=1)
    n_classes = check_scalar(n_classes, "n_classes", Integral, min_val=2, max_val=n_samples)
    doc_length = check_scalar(doc_length, "doc_length", Integral, min_val=1)
    n_topic_words = check_scalar(n_topic_words, "n_topic_words", Integral, min_val=1,
                                 max_val=n_features)
    check_scalar(topic_share, "topic_share", min_val=0, max_val=1)
    rng = check_random_state(random_state)
    y = np.arange(n_samples, dtype=np.int64) % n_classes
    rng.shuffle(y)
    topics = np.stack([rng.choice(n_features, n_topic_words, replace=False)
                       for _ in range(n_classes)])
    zipf = 1.0 / np.arange(1, n_features + 1)
    background = rng.permutation(n_features)        # word of each Zipf rank
    cdf = np.cumsum(zipf / zipf.sum())
    from_topic = rng.random((n_samples, doc_length)) < topic_share
    ranks = np.minimum(np.searchsorted(cdf, rng.random((n_samples, doc_length))),
                       n_features - 1)
    words = np.where(from_topic,
                     topics[y[:, None], rng.randint(0, n_topic_words,
                                                    (n_samples, doc_length))],
                     background[ranks])
    rows = np.repeat(np.arange(n_samples), doc_length)
    counts = sp.csr_array((np.ones(rows.size), (rows, words.ravel())),
                          shape=(n_samples, n_features))
    counts.sum_duplicates()
    df = np.bincount(counts.indices, minlength=n_features)
    idf = np.log((1.0 + n_samples) / (1.0 + df)) + 1.0
    X = counts.copy()
    X.data = (1.0 + np.log(X.data)) * idf[X.indices]
    # every row holds at least one word, so every reduceat segment is non-empty
    norms = np.sqrt(np.add.reduceat(X.data ** 2, X.indptr[:-1]))
    X.data *= np.repeat(1.0 / norms, np.diff(X.indptr))
    if X.nnz < 2**31 and n_features < 2**31:    # int32 indices, as a vectorizer gives
        X.indices = X.indices.astype(np.int32)
        X.indptr = X.indptr.astype(np.int32)
    return X, y


def load_diabetes_polynomial(degree: int = 3):
    """scikit-learn's diabetes data with standardised polynomial features.

    Parameters
    ----------
    degree : int, default=3
        Degree of the polynomial features (without the bias column): 285 features at
        degree 3, 1000 at degree 4.

    Returns
    -------
    X : ndarray of shape (442, n_features), Fortran-ordered, standardised columns
    y : ndarray of shape (442,)
        Centred targets.

    Examples
    --------
    >>> from sparseopt.datasets import load_diabetes_polynomial
    >>> X, y = load_diabetes_polynomial(3)
    >>> X.shape
    (442, 285)
    """
    from sklearn.datasets import load_diabetes
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    check_scalar(degree, "degree", Integral, min_val=1)
    X, y = load_diabetes(return_X_y=True)
    X = PolynomialFeatures(degree=degree, include_bias=False).fit_transform(X)
    return np.asfortranarray(StandardScaler().fit_transform(X)), y - y.mean()


def make_rmat(scale: int, edge_factor: int = 16, *, a: float = 0.57, b: float = 0.19,
              c: float = 0.19, symmetric: bool = False, dtype=np.float64,
              random_state=None) -> sp.csr_array:
    """R-MAT (recursive matrix) random graph: a power-law sparse matrix.

    Each of the ``edge_factor * 2**scale`` edges picks its row and column bit by bit: at
    every one of the ``scale`` levels it falls in the top-left, top-right, bottom-left or
    bottom-right quadrant with probabilities ``a``, ``b``, ``c`` and ``1 - a - b - c``
    (Chakrabarti, Zhan and Faloutsos, 2004; the Graph500 generator's defaults). The rows
    and columns are then permuted at random, as Graph500 does, so that the heavy rows are
    not all at the front. Repeated edges are merged (their values summed) and self loops
    kept: the matrix has at most ``edge_factor * 2**scale`` entries, skewed row lengths
    and a few very heavy rows, the hard case for load balance in sparse products.

    Parameters
    ----------
    scale : int
        ``log2`` of the number of vertices (rows and columns), in ``[1, 30]``.
    edge_factor : int, default=16
        Edges drawn per vertex.
    a, b, c : float, default=0.57, 0.19, 0.19
        Quadrant probabilities (``a + b + c < 1``; ``d = 1 - a - b - c``).
    symmetric : bool, default=False
        Return the pattern of ``A + A.T`` (an undirected graph).
    dtype : {numpy.float64, numpy.float32}, default=numpy.float64
        Value dtype; every drawn edge has value 1 (merged edges sum).
    random_state : int, RandomState instance or None, default=None
        Seed, as in scikit-learn.

    Returns
    -------
    A : scipy.sparse.csr_array of shape (2**scale, 2**scale)
        In canonical format (sorted, unique indices), int32 indices.

    Examples
    --------
    >>> from sparseopt.datasets import make_rmat
    >>> A = make_rmat(10, 8, random_state=0)
    >>> A.shape, A.nnz <= 8 * 1024
    ((1024, 1024), True)
    """
    check_scalar(scale, "scale", Integral, min_val=1, max_val=30)
    check_scalar(edge_factor, "edge_factor", Integral, min_val=1)
    for name, v in (("a", a), ("b", b), ("c", c)):
        if not (0.0 <= float(v) <= 1.0):
            raise ValueError(f"{name} must be in [0, 1], got {v}")
    if not a + b + c < 1.0:
        raise ValueError(f"a + b + c must be < 1 (d = 1 - a - b - c > 0), got {a + b + c}")
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")
    rng = check_random_state(random_state)
    n, m = 1 << scale, edge_factor << scale
    rows = np.zeros(m, dtype=np.int64)
    cols = np.zeros(m, dtype=np.int64)
    ab, abc = a + b, a + b + c
    for level in range(scale):
        u = rng.random_sample(m)
        # quadrants: a -> (0, 0), b -> (0, 1), c -> (1, 0), d -> (1, 1)
        rows |= (u >= ab).astype(np.int64) << level
        cols |= (((u >= a) & (u < ab)) | (u >= abc)).astype(np.int64) << level
    perm_r, perm_c = rng.permutation(n), rng.permutation(n)
    if symmetric:
        perm_c = perm_r
    rows, cols = perm_r[rows], perm_c[cols]
    A = sp.coo_array((np.ones(m, dtype=dtype), (rows.astype(np.int32), cols.astype(np.int32))),
                     shape=(n, n)).tocsr()
    A.sum_duplicates()
    if symmetric:
        A = (A + A.T).tocsr()
        A.data[:] = 1.0
        A.sort_indices()
    return A
