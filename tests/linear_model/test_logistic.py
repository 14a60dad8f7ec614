"""SparseLogisticRegression against scikit-learn and on bad input."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.linear_model import LogisticRegression

from sparseopt.exceptions import ConvergenceWarning
from sparseopt.linear_model import SparseLogisticRegression


def _data(rng, n=200, p=40):
    X = rng.standard_normal((n, p))
    logits = X[:, 0] - 2 * X[:, 1] + 0.5 * X[:, 2]
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logits)), "yes", "no")
    return X, y


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("penalty, l1_ratio", [("l1", None), ("elasticnet", 0.5)])
def test_matches_sklearn_without_intercept(rng, sparse, penalty, l1_ratio):
    # liblinear penalizes the intercept, so compare without one; saga handles elasticnet.
    X, y = _data(rng)
    Xin = sp.csr_array(X) if sparse else X
    ours = SparseLogisticRegression(penalty, C=0.5, l1_ratio=l1_ratio, fit_intercept=False,
                                    tol=1e-13).fit(Xin, y)
    if penalty == "l1":
        ref = LogisticRegression(C=0.5, l1_ratio=1.0, solver="liblinear", tol=1e-12,
                                 fit_intercept=False, max_iter=100_000).fit(Xin, y)
        atol = 1e-5
    else:
        ref = LogisticRegression(C=0.5, l1_ratio=0.5, solver="saga", tol=1e-12,
                                 fit_intercept=False, max_iter=100_000).fit(Xin, y)
        atol = 1e-5
    assert_allclose(ours.coef_, ref.coef_, atol=atol)
    assert list(ours.classes_) == ["no", "yes"]
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-5)


def test_intercept_and_weights_match_saga(rng):
    X, y = _data(rng)
    sw = rng.uniform(0.5, 2.0, len(y))
    ours = SparseLogisticRegression(C=0.3, tol=1e-13).fit(X, y, sample_weight=sw)
    ref = LogisticRegression(C=0.3, l1_ratio=1.0, solver="saga", tol=1e-13,
                             max_iter=1_000_000).fit(X, y, sample_weight=sw)
    assert_allclose(ours.coef_, ref.coef_, atol=1e-5)
    assert_allclose(ours.intercept_, ref.intercept_, atol=1e-5)


def test_predict_methods_consistent(rng):
    X, y = _data(rng)
    clf = SparseLogisticRegression(C=1.0).fit(X, y)
    proba = clf.predict_proba(X)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-12)
    assert np.array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert clf.coef_.shape == (1, X.shape[1]) and clf.intercept_.shape == (1,)


def test_bad_input():
    X = np.eye(6)
    with pytest.raises(ValueError, match="y must hold samples of 2 classes"):
        SparseLogisticRegression().fit(X, [1] * 6)
    with pytest.raises(ValueError, match="l1_ratio must be given"):
        SparseLogisticRegression("elasticnet").fit(X, [0, 1] * 3)
    with pytest.raises(ValueError, match="The 'C' parameter of SparseLogisticRegression"):
        SparseLogisticRegression(C=0.0).fit(X, [0, 1] * 3)
    with pytest.raises(ValueError, match="Unknown label type"):
        SparseLogisticRegression().fit(X, np.linspace(0, 1, 6))


def test_convergence_warning(rng):
    X, y = _data(rng)
    with pytest.warns(ConvergenceWarning, match="did not converge: relative duality gap"):
        SparseLogisticRegression(C=100.0, tol=1e-15, max_iter=1).fit(X, y)


def _multinomial_objective(X, y, clf, C, l1_ratio):
    Z = X @ clf.coef_.T + clf.intercept_
    codes = np.searchsorted(clf.classes_, y)
    loss = np.sum(np.logaddexp.reduce(Z, axis=1) - Z[np.arange(len(y)), codes])
    W = clf.coef_
    return C * loss + l1_ratio * np.abs(W).sum() + (1 - l1_ratio) / 2 * np.sum(W * W)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("sparse", [False, True])
def test_multinomial_matches_sklearn_saga(rng, l1_ratio, sparse):
    from sklearn.datasets import make_classification
    from sklearn.preprocessing import StandardScaler

    X, y = make_classification(150, 12, n_informative=6, n_classes=4,
                               n_clusters_per_class=1, random_state=0)
    X = StandardScaler().fit_transform(X)
    Xin = sp.csr_array(X) if sparse else X
    pen = {"penalty": "l1"} if l1_ratio == 1 else {"penalty": "elasticnet",
                                                    "l1_ratio": l1_ratio}
    ours = SparseLogisticRegression(C=0.5, tol=1e-12, **pen).fit(Xin, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = LogisticRegression(C=0.5, l1_ratio=l1_ratio, solver="saga", tol=1e-10,
                                 max_iter=100_000).fit(X, y)
    F, F_ref = (_multinomial_objective(X, y, m, 0.5, l1_ratio) for m in (ours, ref))
    assert F <= F_ref + 1e-6 * abs(F_ref)
    assert abs(F - F_ref) <= 1e-6 * abs(F_ref)
    assert ours.coef_.shape == (4, 12) and ours.intercept_.shape == (4,)
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-4)
    assert np.array_equal(ours.predict(X), ours.classes_[ours.predict_proba(X).argmax(1)])
    assert abs(ours.intercept_.sum()) < 1e-10
    # warm start from the solution stops at once
    again = SparseLogisticRegression(C=0.5, tol=1e-12, warm_start=True, **pen)
    again.coef_, again.intercept_ = ours.coef_.copy(), ours.intercept_.copy()
    again.fit(Xin, y)
    assert again.n_iter_[0] <= 2
