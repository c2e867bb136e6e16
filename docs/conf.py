"""Sphinx configuration: ``make docs`` builds ``docs/_build/html`` with warnings as errors."""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "_ext"))
os.environ.setdefault("MPLBACKEND", "Agg")
# numba's on-disk cache: the test suite's folder, named after a hash of physcore's numba sources
# (tests/conftest.py sets NUMBA_CACHE_DIR unless it is set), so that `make docs` after
# `make test` (CI) finds the kernels compiled instead of compiling them again (about a minute)
runpy.run_path(str(HERE.parent / "tests" / "conftest.py"))

project = "physcore / mlcore / validation"
author = "physcore-mlcore developers"
copyright = "2026, physcore-mlcore developers"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx_gallery.gen_gallery",
    "generated_pages",  # docs/_ext: API pages, validation pages and result summaries
]

# the docstrings are numpydoc style; napoleon reads them
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
autosummary_generate = False
nitpicky = False
# Short names in numpydoc fields ("y", "view") resolve to several objects of the API; Sphinx
# then links the first and warns. The links stay; the ambiguity warning is not an error here.
suppress_warnings = ["ref.python"]

# No intersphinx: the build runs without internet, and numpy, scipy, xarray, qutip, kwant, torch
# and PyG ship no local inventories.

html_theme = "pydata_sphinx_theme"
html_title = project
html_theme_options = {"navigation_depth": 2, "show_toc_level": 2}
html_static_path: list[str] = []

# examples/ is sphinx-gallery's input (auto_examples/ its output, the pages); generated/checks/
# holds fragments included by the guide pages
exclude_patterns = [
    "_build",
    "examples",
    "generated/checks",
    "generated/results",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "**.zip",
    "**.md5",
]

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
}
