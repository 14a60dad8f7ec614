"""Input checks shared by every sparseopt module.

Each check raises :class:`ValueError` (a wrong value: NaN, a bad shape, an index out of
bounds) or :class:`TypeError` (a wrong kind of object or dtype) whose message names the
argument and says what was expected. The compiled kernels trust what passed these checks,
so every path into C goes through them.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp

__all__ = [
    "check_array",
    "check_consistent_length",
    "check_scalar",
    "check_sparse",
    "get_index_dtype",
]

_FLOATS = (np.float64, np.float32)

# Codes returned by the C structure check (see _ext/include/sparseopt/csr.h).
_CSR_VALID, _INDPTR_START, _INDPTR_DECREASING, _INDPTR_END = 0, 1, 2, 3
_INDEX_BOUNDS, _UNSORTED, _DUPLICATE = 4, 5, 6


def _all_finite(a: np.ndarray) -> bool:
    """True when a float array holds no NaN or inf.

    A sum is finite only if every term is (barring overflow), and summing is much faster
    than ``isfinite``; the exact test runs only when the sum is not finite.
    """
    if a.size == 0 or a.dtype.kind not in "fc":
        return True
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(a)):
            return True
    return bool(np.isfinite(a).all())


def _resolve_float_dtype(dtype, name, requested):
    """The float dtype an array of ``dtype`` is converted to under ``requested``."""
    dtype = np.dtype(dtype)
    if requested == "float":
        if dtype in _FLOATS:
            return dtype
        if dtype.kind in "biu":
            return np.dtype(np.float64)
        if dtype == np.float16:
            return np.dtype(np.float32)
        raise TypeError(
            f"{name} must have a real numeric dtype (float32 or float64 are used as they "
            f"are, integers are converted to float64), got dtype {dtype}"
        )
    if requested is None:
        return dtype
    target = np.dtype(requested)
    if dtype.kind == "c" and target.kind != "c":
        raise TypeError(f"{name} must be real, got complex dtype {dtype}")
    if dtype.kind not in "biufc":
        raise TypeError(f"{name} must be numeric, got dtype {dtype}")
    return target


def check_array(
    x,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    shape: tuple | None = None,
    dtype="float",
    order: str | None = None,
    allow_nonfinite: bool = False,
    copy: bool = False,
) -> np.ndarray:
    """Validate a dense array argument and return it as a numpy array.

    Parameters
    ----------
    x : array-like
        The value to check. Sparse matrices are rejected.
    name : str
        The argument's name, used in error messages.
    ndim : int or tuple of int, optional
        Allowed numbers of dimensions.
    shape : tuple, optional
        Expected shape; ``None`` entries match any length.
    dtype : "float", dtype or None, default="float"
        ``"float"`` keeps float32 and float64 and converts integers and booleans to
        float64; a dtype converts to it; None keeps the dtype as it is.
    order : {"C", "F"} or None, default=None
        Memory layout to enforce (copying only when needed).
    allow_nonfinite : bool, default=False
        Accept NaN and inf.
    copy : bool, default=False
        Always return a new array.

    Returns
    -------
    array : ndarray
        The validated array (``x`` itself when nothing had to change).

    Raises
    ------
    TypeError
        If ``x`` is sparse, not numeric, or complex where a real dtype is asked for.
    ValueError
        If the dimensions or shape do not match, or ``x`` holds NaN or inf.

    Examples
    --------
    >>> from sparseopt.utils.validation import check_array
    >>> check_array([[1, 2], [3, 4]], "X", ndim=2).dtype
    dtype('float64')
    """
    if sp.issparse(x):
        raise TypeError(
            f"{name} must be a dense array, got a sparse {type(x).__name__}; "
            f"use {name}.toarray() if a dense copy is intended"
        )
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be array-like, got {type(x).__name__}")
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be array-like of numbers: {exc}") from exc
    if arr.dtype == object:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must hold numbers, got objects that are not") from exc
    target = _resolve_float_dtype(arr.dtype, name, dtype)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, Integral) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(str(d) for d in allowed)
            raise ValueError(
                f"{name} must be {want}-dimensional, got {arr.ndim} dimension(s) "
                f"with shape {arr.shape}"
            )
    if shape is not None:
        if len(shape) != arr.ndim or any(
            s is not None and s != a for s, a in zip(shape, arr.shape, strict=False)
        ):
            want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    arr = np.asarray(arr, dtype=target, order=order) if order else arr.astype(target, copy=False)
    if copy and isinstance(x, np.ndarray) and np.may_share_memory(arr, x):
        arr = arr.copy(order="K" if order is None else order)
    if not allow_nonfinite and not _all_finite(arr):
        raise ValueError(f"{name} must not contain NaN or infinity")
    return arr


def check_scalar(
    x,
    name: str,
    target_type=Real,
    *,
    min_val: float | None = None,
    max_val: float | None = None,
    include_boundaries: str = "both",
):
    """Validate a scalar argument: its type, finiteness and range.

    Parameters
    ----------
    x : object
        The value to check.
    name : str
        The argument's name, used in error messages.
    target_type : type or tuple of types, default=numbers.Real
        Accepted types. Booleans are rejected unless ``bool`` is listed.
    min_val, max_val : float, optional
        Bounds of the accepted interval.
    include_boundaries : {"both", "left", "right", "neither"}, default="both"
        Which bounds belong to the interval.

    Returns
    -------
    x : object
        The value, unchanged.

    Raises
    ------
    TypeError
        If ``x`` has the wrong type.
    ValueError
        If ``x`` is NaN, infinite, or outside the interval.

    Examples
    --------
    >>> from sparseopt.utils.validation import check_scalar
    >>> check_scalar(0.5, "l1_ratio", min_val=0, max_val=1)
    0.5
    """
    types = target_type if isinstance(target_type, tuple) else (target_type,)
    if (isinstance(x, (bool, np.bool_)) and bool not in types) or not isinstance(x, types):
        names = " or ".join(getattr(t, "__name__", str(t)) for t in types)
        raise TypeError(f"{name} must be {names}, got {type(x).__name__} ({x!r})")
    if isinstance(x, Real) and not np.isfinite(x):
        raise ValueError(f"{name} must be finite, got {x}")
    left = include_boundaries in ("both", "left")
    right = include_boundaries in ("both", "right")
    if include_boundaries not in ("both", "left", "right", "neither"):
        raise ValueError(f"include_boundaries must be 'both', 'left', 'right' or 'neither', "
                         f"got {include_boundaries!r}")
    low_bad = min_val is not None and (x < min_val if left else x <= min_val)
    high_bad = max_val is not None and (x > max_val if right else x >= max_val)
    if low_bad or high_bad:
        lo = "-inf" if min_val is None else min_val
        hi = "inf" if max_val is None else max_val
        interval = f"{'[' if left and min_val is not None else '('}{lo}, {hi}" \
                   f"{']' if right and max_val is not None else ')'}"
        raise ValueError(f"{name} must be in {interval}, got {x}")
    return x


def check_consistent_length(**arrays) -> int:
    """Check that the named arrays have the same first dimension and return it.

    Parameters
    ----------
    **arrays : array-like or sparse matrix
        The arrays, by argument name. None values are ignored.

    Returns
    -------
    n : int
        The common length (0 when no array is given).

    Raises
    ------
    ValueError
        Naming the arrays whose lengths differ.

    Examples
    --------
    >>> import numpy as np
    >>> from sparseopt.utils.validation import check_consistent_length
    >>> check_consistent_length(X=np.ones((3, 2)), y=np.ones(3))
    3
    """
    lengths = {k: v.shape[0] if hasattr(v, "shape") else len(v)
               for k, v in arrays.items() if v is not None}
    if len(set(lengths.values())) > 1:
        found = ", ".join(f"{k} has {n}" for k, n in lengths.items())
        raise ValueError(f"inconsistent numbers of samples: {found}")
    return next(iter(lengths.values()), 0)


def get_index_dtype(*arrays, maxval: int = 0) -> np.dtype:
    """Smallest of int32 and int64 that holds ``maxval`` and the values of ``arrays``.

    Parameters
    ----------
    *arrays : ndarray
        Integer arrays whose values must be representable.
    maxval : int, default=0
        A further value that must be representable (e.g. nnz of a result).

    Returns
    -------
    dtype : numpy.dtype
        ``int32`` where it suffices, else ``int64``.

    Examples
    --------
    >>> from sparseopt.utils.validation import get_index_dtype
    >>> get_index_dtype(maxval=2**31)
    dtype('int64')
    """
    limit = np.iinfo(np.int32).max
    if maxval > limit:
        return np.dtype(np.int64)
    for a in arrays:
        a = np.asarray(a)
        if a.dtype.itemsize > 4 or a.dtype == np.uint32:
            if a.size and (a.max() > limit or a.min() < np.iinfo(np.int32).min):
                return np.dtype(np.int64)
    return np.dtype(np.int32)


_FORMAT_ERRORS = {
    _INDPTR_START: "{name}.indptr must start at 0, got {first}",
    _INDPTR_DECREASING: "{name}.indptr must be non-decreasing; it decreases after "
                        "position {where}",
    _INDPTR_END: "{name}.indptr ends at {last} but {name} stores only {cap} entries",
    _INDEX_BOUNDS: "{name}.indices[{where}] = {value} is out of bounds for {n_minor} "
                   "{minor}",
    _UNSORTED: "{name} has unsorted indices within a {major} (at position {where}); "
               "call {name}.sort_indices() first",
    _DUPLICATE: "{name} has duplicate indices within a {major} (at position {where}); "
                "call {name}.sum_duplicates() first",
}


def _check_compressed_structure(indptr, indices, n_major, n_minor, capacity, name, fmt,
                                check_order):
    from ._csr_check import _check_compressed

    if indptr.ndim != 1 or indptr.shape[0] != n_major + 1:
        raise ValueError(
            f"{name}.indptr must have length {n_major + 1} for a {fmt.upper()} matrix of "
            f"{n_major} {'rows' if fmt == 'csr' else 'columns'}, got shape {indptr.shape}"
        )
    if indices.ndim != 1:
        raise ValueError(f"{name}.indices must be 1-dimensional, got shape {indices.shape}")
    code, where = _check_compressed(indptr, indices, n_minor, capacity, check_order)
    if code == _CSR_VALID:
        return
    major, minor = ("row", "columns") if fmt == "csr" else ("column", "rows")
    value = int(indices[where]) if code == _INDEX_BOUNDS else None
    msg = _FORMAT_ERRORS[code].format(
        name=name, where=where, first=int(indptr[0]), last=int(indptr[-1]), cap=capacity,
        value=value, n_minor=n_minor, minor=minor, major=major,
    )
    raise ValueError(msg)


def check_sparse(
    A,
    name: str,
    *,
    formats: tuple[str, ...] = ("csr",),
    dtype="float",
    shape: tuple | None = None,
    allow_nonfinite: bool = False,
    check_order: bool = False,
):
    """Validate a scipy sparse matrix or array before compiled code reads it.

    The structure is checked in one compiled pass: ``indptr`` has the right length, starts
    at 0 and never decreases, stays within the stored entries, and every index is within
    bounds. Index arrays are brought to a common int32 or int64 dtype and values to the
    requested float dtype, copying only what must change.

    Parameters
    ----------
    A : scipy.sparse matrix or array
        The value to check.
    name : str
        The argument's name, used in error messages.
    formats : tuple of {"csr", "csc"}, default=("csr",)
        Accepted compressed formats. Other sparse formats are converted to the first one
        (after their own indices are checked).
    dtype : "float", dtype or None, default="float"
        As in :func:`check_array`.
    shape : tuple, optional
        Expected shape; ``None`` entries match any length.
    allow_nonfinite : bool, default=False
        Accept NaN and inf among the stored values.
    check_order : bool, default=False
        Also reject unsorted indices and duplicate entries within a row (CSR) or
        column (CSC).

    Returns
    -------
    A : scipy.sparse.csr_array, csc_array or the input
        The validated matrix: the input itself when nothing changed, otherwise a new
        sparse array sharing every array that did not need converting.

    Raises
    ------
    TypeError
        If ``A`` is not a scipy sparse matrix, or its values are not real numbers.
    ValueError
        If the structure is malformed, the shape does not match, or values are NaN/inf.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> from sparseopt.utils.validation import check_sparse
    >>> A = sp.random_array((5, 4), density=0.5, format="csr", rng=0)
    >>> check_sparse(A, "A").shape
    (5, 4)
    """
    if not sp.issparse(A):
        raise TypeError(
            f"{name} must be a scipy sparse matrix or array in format "
            f"{' or '.join(formats)}, got {type(A).__name__}"
        )
    if len(A.shape) != 2:
        raise ValueError(f"{name} must be 2-dimensional, got shape {A.shape}")
    if shape is not None and any(s is not None and s != a
                                 for s, a in zip(shape, A.shape, strict=True)):
        want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"{name} must have shape {want}, got {A.shape}")
    fmt = A.format
    if fmt not in formats:
        A = _convert_format(A, name, formats[0])
        fmt = formats[0]
    if fmt not in ("csr", "csc"):
        raise ValueError(f"formats must list 'csr' or 'csc', got {formats!r}")

    n_major, n_minor = A.shape if fmt == "csr" else A.shape[::-1]
    data, indices, indptr = A.data, A.indices, A.indptr
    changed = False
    for arr_name, arr in (("indices", indices), ("indptr", indptr)):
        if arr.dtype.kind not in "iu":
            raise TypeError(f"{name}.{arr_name} must be integers, got dtype {arr.dtype}")
    if indices.dtype != indptr.dtype or indices.dtype not in (np.int32, np.int64):
        idx = get_index_dtype(indices, indptr, maxval=max(A.shape))
        if indices.dtype == np.int64 or indptr.dtype == np.int64:
            idx = np.dtype(np.int64)
        indices, indptr = indices.astype(idx), indptr.astype(idx)
        changed = True
    indptr = np.ascontiguousarray(indptr)
    indices = np.ascontiguousarray(indices)
    capacity = min(indices.shape[0], data.shape[0]) if data.ndim == 1 else 0
    if data.ndim != 1:
        raise ValueError(f"{name}.data must be 1-dimensional, got shape {data.shape}")
    _check_compressed_structure(indptr, indices, n_major, n_minor, capacity, name, fmt,
                                check_order)
    target = _resolve_float_dtype(data.dtype, f"{name}.data", dtype)
    if data.dtype != target or not data.flags.c_contiguous:
        data = np.ascontiguousarray(data, dtype=target)
        changed = True
    nnz = int(indptr[-1])
    if not allow_nonfinite and not _all_finite(data[:nnz]):
        raise ValueError(f"{name} must not contain NaN or infinity among its stored values")
    if not changed and indptr is A.indptr and indices is A.indices:
        return A
    cls = sp.csr_array if fmt == "csr" else sp.csc_array
    out = cls(A.shape, dtype=data.dtype)
    # Assemble directly: the structure is already checked, and the constructor would
    # re-derive (and possibly re-cast) the index dtype.
    out.data, out.indices, out.indptr = data, indices, indptr
    return out


def _convert_format(A, name, fmt):
    """Convert another sparse format to ``fmt`` after checking what scipy will trust."""
    if A.format in ("csr", "csc", "bsr"):
        if A.format == "bsr":
            A = A.tocoo()
        else:  # check before scipy's compiled converters read the structure
            A = check_sparse(A, name, formats=(A.format,), dtype=None, allow_nonfinite=True)
    if A.format == "coo":
        row, col = A.coords if hasattr(A, "coords") else (A.row, A.col)
        for arr, bound, what in ((row, A.shape[0], "row"), (col, A.shape[1], "column")):
            if arr.size and (arr.min() < 0 or arr.max() >= bound):
                raise ValueError(f"{name} has a {what} index out of bounds for shape {A.shape}")
    return A.asformat(fmt)
