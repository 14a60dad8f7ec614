"""Sphinx configuration for sparseopt's documentation.

Build (warnings are errors, as in CI)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Set SPARSEOPT_DOCS_NO_PLOTS=1 to skip running the gallery examples.
"""

import os
import warnings

import sparseopt

project = "sparseopt"
author = "The sparseopt developers"
copyright = "2026, The sparseopt developers"
version = release = sparseopt.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

html_theme = "pydata_sphinx_theme"
html_static_path = ["_static"]
html_title = f"sparseopt {release}"
html_theme_options = {"navigation_with_keys": False}

# The machines that build the docs are offline: cross-references to other projects
# are rendered as plain text unless SPARSEOPT_DOCS_INTERSPHINX=1.
if os.environ.get("SPARSEOPT_DOCS_INTERSPHINX") == "1":
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "scipy": ("https://docs.scipy.org/doc/scipy", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
    }

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "doc_module": ("sparseopt",),
    "backreferences_dir": "generated",
    "reference_url": {"sparseopt": None},
    "plot_gallery": os.environ.get("SPARSEOPT_DOCS_NO_PLOTS") != "1",
    "remove_config_comments": True,
    "inspect_global_variables": False,
    "within_subsection_order": "FileNameSortKey",
}

# Matplotlib's non-GUI backend: expected when the gallery runs headless.
warnings.filterwarnings("ignore", category=UserWarning,
                        message="Matplotlib is currently using agg")
