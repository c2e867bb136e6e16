"""Published references, one module per result: ``validation/references/<paper>.py``.

How to add references (read this first)
---------------------------------------
1. Create ``validation/references/<result>.py`` (e.g. ``semidirac.py``, ``collision.py``,
   ``quantization.py``). It is found automatically: :func:`validation.registry.discover` imports
   every module in this folder whose name does not start with ``_``.
2. In it, describe each published item as a :class:`validation.registry.Reference`: the paper's
   arXiv id (or ``"doi:..."``), a short name, the citation, the location in the paper (figure,
   table, equation, section) and how the value was obtained: ``"analytic formula"``,
   ``"digitized point"`` or ``"claim in the text"``. The report refuses a reference without them.
3. Decorate a no-argument function with ``@check(reference, metric=..., tolerance=...,
   fast=True|False)``. It computes *ours*, compares with the reference, and returns
   ``Outcome(measured=<distance>, plot=Plot(x, ours, reference, ...))``. It passes when
   ``measured <= tolerance``. Import physcore/mlcore inside the function, not at module top, so
   that discovery stays cheap and a missing optional dependency fails only its own checks.
4. A published claim we do not reproduce stays a check, with ``discrepancy="<what we find and
   why>"``: the report lists it as DISAGREES without failing the run (and fails if it starts
   passing, so the note is removed). Never loosen a tolerance to make a claim pass.
5. Run ``python -m validation report --fast --out /tmp/report`` (or ``--paper <id>``) and look at
   ``/tmp/report/index.html``. ``make test`` runs the fast checks
   (``tests/validation/test_report.py``); slow ones run with the full report.

The full interface and a complete example are in the docstring of :mod:`validation.registry`.
Stored regression curves (our own results, not published ones) live in
:mod:`validation.regression` instead.
"""
