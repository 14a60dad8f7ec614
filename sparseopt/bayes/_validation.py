"""Input checks shared by the SBL estimators (real or complex data, factor lists)."""

from __future__ import annotations

from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import validate_data

from ..utils.validation import check_array


def is_factor_list(X) -> bool:
    """True when ``X`` is a list or tuple whose items are all 2-D (a Kronecker dictionary).

    A list of lists of numbers is a 2-D array-like ``X`` (one row per item), not factors.
    """
    if not isinstance(X, (list, tuple)) or len(X) == 0:
        return False
    for item in X:
        if sp.issparse(item):
            return True  # rejected with a clear message by check_factors
        try:
            if np.ndim(item) != 2:
                return False
        except (TypeError, ValueError):
            return False
    return True


def _as_numeric(x, name, ndim):
    """A float64 or complex128 copy-free view of ``x`` (complex kept, the rest to float)."""
    arr = check_array(x, name, ndim=ndim, dtype=None)
    if arr.dtype.kind == "c":
        return arr.astype(np.complex128, copy=False)
    return check_array(arr, name, ndim=ndim, dtype=np.float64)


def check_factors(factors) -> list[np.ndarray]:
    """Validate a list of Kronecker factors: dense, 2-D, finite, non-empty, numeric."""
    out = []
    for d, A in enumerate(factors):
        name = f"factors[{d}]"
        if sp.issparse(A):
            raise TypeError(f"{name} must be a dense array, got a sparse "
                            f"{type(A).__name__}; use .toarray()")
        A = _as_numeric(A, name, ndim=2)
        if A.shape[0] == 0 or A.shape[1] == 0:
            raise ValueError(f"{name} must have at least one row and one column, got "
                             f"shape {A.shape}")
        out.append(A)
    return out


def check_targets(y, n_rows: int, what: str) -> np.ndarray:
    """``y`` as an (n_rows,) or (n_rows, L) float64/complex128 array, finite."""
    if sp.issparse(y):
        raise TypeError("y must be a dense array, got a sparse matrix")
    y = _as_numeric(y, "y", ndim=(1, 2))
    if y.shape[0] != n_rows:
        raise ValueError(f"y must have {n_rows} rows to match {what}, got shape {y.shape}")
    if y.ndim == 2 and y.shape[1] == 0:
        raise ValueError("y must have at least one column, got shape "
                         f"{y.shape}")
    return y


def check_noise_var(noise_var):
    """None (learned) or a finite float > 0 (known)."""
    if noise_var is None:
        return None
    if isinstance(noise_var, bool) or not isinstance(noise_var, Real):
        raise TypeError(f"noise_var must be None (learned) or a float > 0, got "
                        f"{type(noise_var).__name__}")
    value = float(noise_var)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"noise_var must be > 0 (a known noise variance) or None (learned), "
                         f"got {noise_var!r}")
    return value


def _is_complex(a) -> bool:
    """Whether array-like ``a`` holds complex numbers (without numpy's array functions,
    which array-like wrappers may refuse)."""
    if a is None or sp.issparse(a):
        return False
    dtype = getattr(a, "dtype", None)
    if dtype is None:
        dtype = np.asarray(a).dtype
    return np.dtype(dtype).kind == "c"


def validate_matrix(est, X, y="no_validation", *, reset: bool):
    """Validate a single design matrix (and y, unless ``y="no_validation"``):
    scikit-learn's path for real data, ours for complex data (scikit-learn rejects
    complex input)."""
    no_y = isinstance(y, str) and y == "no_validation"
    if not (_is_complex(X) or (not no_y and _is_complex(y))):
        if no_y:
            return validate_data(est, X, reset=reset, dtype=np.float64), None
        X, y = validate_data(est, X, y, reset=reset, dtype=np.float64, y_numeric=True,
                             multi_output=True)
        return X, np.asarray(y, dtype=np.float64)
    if not no_y and y is None:
        raise ValueError(f"{type(est).__name__} requires y to be passed, but the target y "
                         "is None")
    X = _as_numeric(X, "X", ndim=2).astype(np.complex128, copy=False)
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X must have at least one sample and one feature, got {X.shape}")
    if reset:
        est.n_features_in_ = X.shape[1]
        if hasattr(est, "feature_names_in_"):
            del est.feature_names_in_
    elif X.shape[1] != est.n_features_in_:
        raise ValueError(f"X has {X.shape[1]} features, but {type(est).__name__} is "
                         f"expecting {est.n_features_in_} features as input")
    if not no_y:
        y = check_targets(y, X.shape[0], f"X with {X.shape[0]} rows")
    return X, y
