"""scikit-learn's estimator checks over every public estimator sparseopt exports.

Estimators register by being exported in a public subpackage's ``__all__``; they are found
by :func:`sparseopt.utils.all_estimators`. Constructor arguments for the checks (e.g. a
small ``max_iter``) go in ``CHECK_PARAMS``.
"""

import pytest
from sklearn.base import BaseEstimator
from sklearn.utils.estimator_checks import parametrize_with_checks

from sparseopt.utils import all_estimators

# Class name -> keyword arguments used to build the instance the checks run on.
# The CV estimators run at tol=1e-8: the weights-vs-repeated-samples checks compare
# predictions of two fits to within 1e-7, tighter than the default tol=1e-4 guarantees.
CHECK_PARAMS: dict[str, dict] = {
    "LassoCV": {"alphas": 5, "cv": 3, "tol": 1e-8},
    "ElasticNetCV": {"alphas": 5, "cv": 3, "l1_ratio": [0.5, 1.0], "tol": 1e-8},
    # the checks' data have shapes no fixed block count divides
    "MonarchApproximation": {"nblocks": 2, "pad": True},
    # the checks' data have 1 to 5 columns; rank must be < min(m, n)
    "MatrixCompletion": {"rank": 1},
    "MatrixCompletionImputer": {"rank": 1},
}
# Class name -> {check name: reason} for checks an estimator is known to fail.
# The SBL estimators accept complex data on purpose (channel estimation is complex-valued);
# scikit-learn's check asserts that complex X is rejected.
_COMPLEX_OK = {"check_complex_data": "complex data are supported by design (complex SBL)"}
# MatrixCompletion.predict(rows, cols) returns entries at positions of the one fitted
# matrix; these checks call predict(X) with a sample matrix, a contract it does not have
# (fit-side behaviour of the same checks is covered in tests/completion/test_altmin.py).
_PREDICT_AT_POSITIONS = {
    check: "predict takes (rows, cols) positions in the fitted matrix, not samples X"
    for check in (
        "check_estimators_unfitted", "check_n_features_in_after_fitting",
        "check_estimators_dtypes", "check_dtype_object", "check_estimator_sparse_array",
        "check_estimator_sparse_matrix", "check_estimators_pickle",
        "check_estimators_pickle(readonly_memmap=True)", "check_f_contiguous_array_estimator",
        "check_methods_sample_order_invariance", "check_methods_subset_invariance",
        "check_dict_unchanged", "check_fit_idempotent", "check_fit2d_predict1d",
    )
}
EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {
    # the checks fit with every sample labeled: nothing is propagated, so no solver
    # epoch runs and n_iter_ is honestly 0
    "LabelPropagation": {"check_non_transformer_estimators_n_iter":
                         "n_iter_ = 0 epochs when every sample is labeled"},
    "MatrixCompletion": _PREDICT_AT_POSITIONS,
    "KroneckerSBL": _COMPLEX_OK,
    "SparseBayesianRegression": _COMPLEX_OK,
}


def _instances():
    return [cls(**CHECK_PARAMS.get(name, {})) for name, cls in all_estimators()]


def test_all_estimators_are_estimators():
    for name, cls in all_estimators():
        assert issubclass(cls, BaseEstimator), name
        assert not name.startswith("_"), name


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(
    _instances(),
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS.get(type(est).__name__, {}),
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
