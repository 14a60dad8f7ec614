"""sparseopt: sparse optimization and scientific computing with a compiled core.

Subpackages are imported on first use, so ``import sparseopt`` stays cheap:

>>> import sparseopt
>>> sparseopt.sparse.csr_matmat_dense  # doctest: +SKIP
"""

import importlib

__version__ = "0.1.0.dev0"

# Public subpackages, imported lazily on attribute access (PEP 562).
_SUBPACKAGES = (
    "bayes", "bcd", "completion", "datasets", "exceptions", "linalg", "linear_model", "ot",
    "nn", "semi_supervised", "sparse", "structured", "utils",
)

__all__ = ["__version__", "get_config", "set_config", "config_context", *_SUBPACKAGES]


def __getattr__(name):
    if name in _SUBPACKAGES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    if name in ("get_config", "set_config", "config_context"):
        from . import _config

        return getattr(_config, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
