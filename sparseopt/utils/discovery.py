"""Find what the subpackages provide: public estimators, and demo/bench entries.

A subpackage takes part in ``python -m sparseopt demo`` and ``bench`` by having a private
``_cli`` module with ``demos()`` and/or ``benchmarks(quick)`` functions; nothing else needs
editing, so later modules register themselves by adding that file.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil

__all__ = ["all_estimators"]

# Subpackages whose import needs an optional dependency: skipped when it is missing.
_OPTIONAL = {"sparseopt.nn.torch": "torch", "sparseopt.distributed": "dask"}


def _public_subpackages():
    import sparseopt

    for info in pkgutil.iter_modules(sparseopt.__path__, prefix="sparseopt."):
        short = info.name.rsplit(".", 1)[1]
        if info.ispkg and not short.startswith("_"):
            yield info.name


def _import_optional(name):
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        dep = _OPTIONAL.get(name)
        if dep is not None and dep in str(exc):
            return None
        raise


def all_estimators() -> list[tuple[str, type]]:
    """List the public scikit-learn estimators that sparseopt provides.

    Returns
    -------
    estimators : list of (str, type)
        ``(class name, class)`` for every :class:`sklearn.base.BaseEstimator` subclass
        exported (in ``__all__``) by a public subpackage, sorted by name.

    Examples
    --------
    >>> from sparseopt.utils import all_estimators
    >>> isinstance(all_estimators(), list)
    True
    """
    from sklearn.base import BaseEstimator

    found = {}
    for name in _public_subpackages():
        module = _import_optional(name)
        if module is None:
            continue
        for attr in getattr(module, "__all__", ()):
            obj = getattr(module, attr)
            if (inspect.isclass(obj) and issubclass(obj, BaseEstimator)
                    and not inspect.isabstract(obj)):
                found[obj.__name__] = obj
    return sorted(found.items())


def cli_modules() -> list[tuple[str, object]]:
    """``(subpackage short name, its _cli module)`` for every registering subpackage."""
    out = []
    for name in _public_subpackages():
        spec = importlib.util.find_spec(f"{name}._cli")
        if spec is not None:
            out.append((name.rsplit(".", 1)[1], importlib.import_module(f"{name}._cli")))
    return out
