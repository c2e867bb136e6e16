"""validation: published references and the checks of our results against them.

* :mod:`validation.registry`: the :class:`Reference` / :class:`Check` interface and discovery.
* :mod:`validation.references`: one module of references per result (see its docstring).
* :mod:`validation.report`: ``python -m validation report`` (HTML + ``report.json``).
* :mod:`validation.regression`: our own curves stored as data, and the regression comparison.
"""

__version__ = "0.1.0"
