"""The validation registry: published references, and the checks of our results against them.

A **reference** is one published item (a curve, a number, an equation, a claim) together with where
it comes from. A **check** compares one of our results with a reference and returns a single
measured distance; the check passes when ``0 <= measured <= tolerance`` (finite). Every metric is
therefore a distance ("max |G_ours - G_ref| / G_N", "|period_ours - pi|", "|acc_ours - 0.93|",
"max(0, 0.9 - acc_ours)" for a claimed lower bound), so that the report reads the same everywhere.

Where references live
---------------------
One module per result in :mod:`validation.references` (``validation/references/<paper>.py``).
Every module there is imported by :func:`discover`, so adding a file is all it takes; nothing
else needs editing. Each module builds :class:`Reference` objects and decorates check functions
with :func:`check`.

Complete example (a module ``validation/references/example.py``)::

    import numpy as np

    from validation.registry import Outcome, Plot, Reference, check

    BTK_EQ = Reference(
        paper="doi:10.1103/PhysRevB.25.4515",  # arXiv id when there is one, else "doi:..."
        name="btk-zero-bias-conductance",
        citation="G. E. Blonder, M. Tinkham, T. M. Klapwijk, PRB 25, 4515 (1982)",
        location="Table II, row A(E) for E < Delta",
        obtained="analytic formula",  # or "digitized point" or "claim in the text"
        description="Andreev probability of a 1D NS interface with barrier strength Z.",
    )


    @check(BTK_EQ, metric="max |G_ours - G_BTK| / G_N over E/Delta in [0, 2]", tolerance=1e-8)
    def btk_zero_temperature():
        from physcore import semidirac  # import lazily: discovery must stay cheap

        bias = np.linspace(0.0, 2.0, 81)
        ours = ...  # our conductance, a numpy array over ``bias``
        ref = ...  # the reference formula evaluated on the same bias grid
        return Outcome(
            measured=float(np.max(np.abs(ours - ref))),
            plot=Plot(x=bias, ours=ours, reference=ref, xlabel="E / Delta", ylabel="G / G_N"),
        )


    # A digitized figure: the reference points sit on their own x grid.
    FIG2 = Reference(paper="cond-mat/0604594", name="beenakker-fig2-U0-inf", citation="...",
                     location="Fig. 2, solid curve", obtained="digitized point")


    @check(FIG2, metric="max |G_ours - G_fig| / G_N at the digitized points", tolerance=0.03,
           fast=False)  # slow checks run in CI, not in the fast report of `make test`
    def beenakker_fig2():
        x_fig = np.array([0.0, 0.5, 0.9])  # digitized: say how (tool or by hand) in a comment
        g_fig = np.array([1.33, 1.41, 1.75])
        x = np.linspace(0.0, 1.0, 101)
        ours = ...
        return Outcome(
            measured=float(np.max(np.abs(np.interp(x_fig, x, ours) - g_fig))),
            plot=Plot(x=x, ours=ours, reference=g_fig, x_reference=x_fig,
                      xlabel="eV / Delta", ylabel="G / G_N"),
        )

Rules
-----
* ``paper`` is the arXiv id of the publication the reference comes from (``"2101.01333"``,
  ``"cond-mat/0604594"``); without one, ``"doi:<DOI>"``. ``python -m validation report --paper X``
  selects by it.
* ``(paper, name)`` is unique; a check's name (the function's name unless ``name=`` is given) is
  unique within its module.
* ``obtained`` is one of :data:`OBTAINED`. A digitized point says in a comment how it was read
  (which figure, by hand or with a tool, estimated reading error); the tolerance must be at least
  that reading error.
* The check function takes no arguments, is deterministic (fix every seed), imports the heavy
  packages inside its body, and returns an :class:`Outcome`. If it raises, the check fails and
  the report shows the error. ``fast=True`` checks together must stay within a few seconds each:
  they run in ``make test``.
* A published claim that we do not reproduce is a finding, not a bug to hide: keep the check as
  it is and add ``discrepancy="<what we find instead, and why we think so>"``. The report then
  lists it as DISAGREES (not as a pass) and it does not fail the run; should it start passing,
  the run fails ("agrees now") until the note is removed, as pytest's strict xfail does.
* ``tolerance`` states what we promise, not what happens to pass today; say why in ``rationale``
  when it is not obvious (e.g. "quadrature error of the angle integral, 401 points").
"""

from __future__ import annotations

import importlib
import math
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "OBTAINED",
    "Reference",
    "Plot",
    "Outcome",
    "Check",
    "check",
    "register",
    "registered_checks",
    "discover",
]

#: how a reference value was obtained from its source
OBTAINED = ("analytic formula", "digitized point", "claim in the text", "independent calculation")


def _nonempty(owner: str, name: str, value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{owner}: {name} must be a non-empty string, got {value!r}")
    return value.strip()


@dataclass(frozen=True)
class Reference:
    """One published item and its source.

    Parameters
    ----------
    paper : str
        arXiv id of the source publication (e.g. ``"2101.01333"``), or ``"doi:<DOI>"``.
    name : str
        Short identifier, unique within the paper (e.g. ``"beenakker-fig2-U0-inf"``).
    citation : str
        Authors, journal, volume, page, year.
    location : str
        Where in the paper: ``"Fig. 2"``, ``"Eq. (12)"``, ``"Table I"``, ``"Sec. III, par. 2"``.
    obtained : str
        One of :data:`OBTAINED`: ``"analytic formula"``, ``"digitized point"``,
        ``"claim in the text"``, or ``"independent calculation"`` (another established code on
        the same model, e.g. kwant).
    description : str
        One sentence: what the reference states.
    """

    paper: str
    name: str
    citation: str
    location: str
    obtained: str
    description: str = ""

    def __post_init__(self):
        for attr in ("paper", "name", "citation", "location"):
            object.__setattr__(self, attr, _nonempty("Reference", attr, getattr(self, attr)))
        if self.obtained not in OBTAINED:
            raise ValueError(
                f"Reference {self.name!r}: obtained must be one of {OBTAINED}, "
                f"got {self.obtained!r}"
            )

    @property
    def source(self) -> str:
        """One line stating the source: citation, location and how the value was obtained."""
        return f"{self.citation}, {self.location} ({self.obtained})"


@dataclass
class Plot:
    """Curves for the report's figure of one check: ours and the reference, side by side.

    ``x`` and ``ours`` have the same length. ``reference`` is either on the same ``x`` or, when
    ``x_reference`` is given (digitized points), on its own grid; it is drawn as markers then.
    """

    x: Sequence[float]
    ours: Sequence[float]
    reference: Sequence[float]
    x_reference: Sequence[float] | None = None
    xlabel: str = "x"
    ylabel: str = "y"

    def __post_init__(self):
        self.x = np.asarray(self.x, dtype=float)
        self.ours = np.asarray(self.ours, dtype=float)
        self.reference = np.asarray(self.reference, dtype=float)
        if self.x_reference is not None:
            self.x_reference = np.asarray(self.x_reference, dtype=float)
        if self.x.shape != self.ours.shape or self.x.ndim != 1:
            raise ValueError(
                f"Plot: x and ours must be 1-D of equal length, got {self.x.shape}, "
                f"{self.ours.shape}"
            )
        xref = self.x if self.x_reference is None else self.x_reference
        if xref.shape != self.reference.shape:
            raise ValueError(
                f"Plot: reference must match {'x' if self.x_reference is None else 'x_reference'}"
                f" in shape, got {self.reference.shape} vs {xref.shape}"
            )


@dataclass
class Outcome:
    """What a check function returns.

    Parameters
    ----------
    measured : float
        The distance between ours and the reference, in the units the metric names.
    plot : Plot or None
        Curves for the report (optional but encouraged).
    note : str
        Anything a reader needs to interpret the number (e.g. the parameters used).
    """

    measured: float
    plot: Plot | None = None
    note: str = ""


@dataclass(frozen=True)
class Check:
    """A comparison of one of our results with a :class:`Reference`.

    Passes when the measured distance is finite and ``<= tolerance``.
    """

    reference: Reference
    name: str
    metric: str
    tolerance: float
    compute: Callable[[], Outcome]
    fast: bool = True
    rationale: str = ""
    group: str = field(default="")  # module short name, e.g. "semidirac"
    discrepancy: str = ""  # a documented disagreement with the reference (see the module notes)

    def __post_init__(self):
        _nonempty("Check", "name", self.name)
        _nonempty(f"Check {self.name!r}", "metric", self.metric)
        tol = self.tolerance
        if isinstance(tol, bool) or not isinstance(tol, int | float) or not math.isfinite(tol):
            raise ValueError(f"Check {self.name!r}: tolerance must be a finite number, got {tol!r}")
        if tol < 0:
            raise ValueError(f"Check {self.name!r}: tolerance must be >= 0, got {tol!r}")
        if not callable(self.compute):
            raise ValueError(f"Check {self.name!r}: compute must be callable")

    @property
    def key(self) -> str:
        """Unique id ``group/name``."""
        return f"{self.group}/{self.name}"

    def passes(self, measured: float) -> bool:
        """True when ``measured`` is a finite distance within the tolerance."""
        return bool(math.isfinite(measured) and 0 <= measured <= self.tolerance)


_CHECKS: dict[str, Check] = {}


def register(item: Check) -> Check:
    """Add a :class:`Check` to the registry (the function form of :func:`check`)."""
    if not isinstance(item, Check):
        raise ValueError(f"register expects a Check, got {item!r}")
    if not item.group:
        raise ValueError(f"Check {item.name!r}: group must name its module (e.g. 'semidirac')")
    if item.key in _CHECKS and _CHECKS[item.key].compute is not item.compute:
        raise ValueError(f"a check named {item.key!r} is already registered")
    _CHECKS[item.key] = item
    return item


def check(
    reference: Reference,
    *,
    metric: str,
    tolerance: float,
    fast: bool = True,
    name: str | None = None,
    rationale: str = "",
    discrepancy: str = "",
):
    """Decorator registering a check function against ``reference``.

    The decorated function takes no arguments and returns an :class:`Outcome`; it is returned
    unchanged, so it can be called directly (e.g. from a test).
    """
    if not isinstance(reference, Reference):
        raise ValueError(f"check: reference must be a Reference, got {reference!r}")

    def decorate(func: Callable[[], Outcome]):
        module = getattr(func, "__module__", "") or ""
        register(
            Check(
                reference=reference,
                name=name or func.__name__,
                metric=metric,
                tolerance=tolerance,
                compute=func,
                fast=fast,
                rationale=rationale,
                discrepancy=discrepancy,
                group=module.rsplit(".", 1)[-1],
            )
        )
        return func

    return decorate


def registered_checks() -> list[Check]:
    """The checks registered so far, in registration order."""
    return list(_CHECKS.values())


def discover(package: str = "validation.references") -> list[Check]:
    """Import every module of ``package`` (registering its checks) and return all checks.

    Raises
    ------
    ValueError
        If two references share ``(paper, name)`` but differ in their source.
    """
    pkg = importlib.import_module(package)
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{package}.{info.name}")
    seen: dict[tuple[str, str], Reference] = {}
    for item in _CHECKS.values():
        ref = item.reference
        other = seen.setdefault((ref.paper, ref.name), ref)
        if other != ref:
            raise ValueError(
                f"two different references share paper={ref.paper!r}, name={ref.name!r}"
            )
    return registered_checks()
