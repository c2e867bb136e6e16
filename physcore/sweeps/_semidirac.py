"""Sweep adapter ``semidirac.conductance``: :meth:`physcore.semidirac.NSJunction.conductance`.

Parameters are the junction's, by the same names (``mu``, ``gap``, ``U0``, ``orientation``, the
model's ``mass``/``velocity``/``delta``, the barrier's ``Z``/``chi``/``height``/``width``), plus
the options ``temperature``, ``normalize`` and ``n_q`` of ``conductance`` and the vector
parameter ``bias``. The parameter table is generated from the constraint tables the model,
barrier and junction classes and the conductance options declare (:mod:`physcore._validation`),
not restated: ranges, defaults and docs are theirs. Two choices are the sweep's own (``model``
and ``barrier`` pick the classes), and ``mu`` and ``gap`` are required: a sweep states its
energies. :func:`validate` checks each value against the same declared rule and then builds the
junction (no solving), so a bad value reads exactly as the constructor's message.

``n_modes`` is the deprecated name of ``n_q`` (DeprecationWarning; 0 means unset).
"""

from __future__ import annotations

import warnings

import numpy as np

from physcore import semidirac
from physcore._validation import AnyOf, Choices, Constraint, Interval, check_value, constraint_table
from physcore.semidirac.junction import parse_orientation
from physcore.semidirac.solvers.common import CONDUCTANCE_OPTIONS, MAX_N_Q, check_bias

from .computations import Computation, Parameter

_MODELS = {
    "semi-Dirac": (semidirac.SemiDirac, ("mass", "velocity", "delta")),
    "graphene": (semidirac.Graphene, ("velocity",)),
    "parabolic": (semidirac.Parabolic, ("mass",)),
}
_BARRIERS = {
    "none": (None, ()),
    "delta": (semidirac.DeltaBarrier, ("Z",)),
    "thin": (semidirac.ThinBarrier, ("chi",)),
    "rectangular": (semidirac.RectangularBarrier, ("height", "width")),
}
#: the sweep's own parameters: which model and barrier class a grid point builds, and the
#: deprecated alias of n_q (TOML has no None: 0 means unset)
_SELECTORS = {
    "model": Constraint(Choices(*_MODELS), "semi-Dirac", "band model"),
    "barrier": Constraint(Choices(*_BARRIERS), "none", "interface barrier kind"),
    "n_modes": Constraint(
        AnyOf(Choices(0), Interval(int, 16, MAX_N_Q)), 0, "deprecated name of n_q (0: unset)"
    ),
}
#: energies a sweep must state (the junction's defaults are for interactive use)
_REQUIRED = ("mu", "gap")
#: the junction fields a grid point sets directly (model and barrier are built from the rest)
_JUNCTION_FIELDS = ("orientation", "mu", "gap", "U0")


def _needs() -> dict[str, dict]:
    """Where each class-specific parameter has an effect (``Parameter.needs``)."""
    needs: dict[str, dict] = {"orientation": {"model": ("semi-Dirac",)}}  # others isotropic
    for kinds, selector in ((_MODELS, "model"), (_BARRIERS, "barrier")):
        for name, (_, keys) in kinds.items():
            for key in keys:
                needs.setdefault(key, {selector: ()})[selector] += (name,)
    return needs


def constraints() -> dict[str, Constraint]:
    """Every scalar sweep parameter's declared constraint, under its sweep name."""
    table = {"model": _SELECTORS["model"]}
    for cls, keys in _MODELS.values():
        declared = constraint_table(cls)
        table.update({k: declared[k] for k in keys if k not in table})
    junction = constraint_table(semidirac.NSJunction)
    table.update({k: junction[k] for k in _JUNCTION_FIELDS})
    table["barrier"] = _SELECTORS["barrier"]
    for cls, keys in _BARRIERS.values():
        if cls is not None:
            table.update({k: constraint_table(cls)[k] for k in keys})
    table.update(CONDUCTANCE_OPTIONS)
    table["n_modes"] = _SELECTORS["n_modes"]
    return table


def _sweep_parameter(name: str, constraint: Constraint, needs: dict) -> Parameter:
    """A sweep :class:`Parameter` generated from a declared constraint
    (:meth:`Parameter.from_constraint`), with what a sweep spells differently."""
    overrides = {"needs": needs.get(name, {})}
    if name in _REQUIRED:
        overrides["default"] = None  # a sweep states its energies
    elif name in ("Z", "chi", "height", "width"):
        overrides["default"] = 0.0  # set only with its barrier kind (needs): harmless default
    if name == "n_modes":
        overrides["kind"] = "int"  # 0 (unset) or an int interval
    return Parameter.from_constraint(constraint, **overrides)


def _parameters() -> dict[str, Parameter]:
    needs = _needs()
    table = {k: _sweep_parameter(k, c, needs) for k, c in constraints().items()}
    table["bias"] = Parameter("float", None, vector=True, doc="bias eV (energy)")
    return table


PARAMETERS = _parameters()


def _n_q(point: dict) -> int:
    if point.get("n_modes", 0):
        warnings.warn(
            "semidirac.conductance: n_modes is deprecated (it counts transverse momenta, "
            "not modes): use n_q",
            DeprecationWarning,
            stacklevel=3,
        )
        return point["n_modes"]
    return point["n_q"]


def build_junction(point: dict) -> semidirac.NSJunction:
    """The junction at one grid point (its constructors validate every parameter)."""
    model_cls, model_keys = _MODELS[point["model"]]
    model = model_cls(**{k: point[k] for k in model_keys})
    barrier_cls, barrier_keys = _BARRIERS[point["barrier"]]
    barrier = None if barrier_cls is None else barrier_cls(**{k: point[k] for k in barrier_keys})
    return semidirac.NSJunction(model, barrier=barrier, **{k: point[k] for k in _JUNCTION_FIELDS})


def validate(point: dict) -> None:
    """Raise ValueError naming the parameter when ``point`` is out of range (no solving).

    Every scalar value is checked against its declared rule (the message the constructor
    gives), then the junction is built (joint constraints such as mu + U0 > 0) and the bias
    is checked as ``conductance`` checks it.
    """
    model_keys = _MODELS[point["model"]][1]
    barrier_keys = _BARRIERS[point["barrier"]][1]
    active = {"orientation", "mu", "gap", "U0", "temperature", "normalize", "n_q", "n_modes"}
    active.update(model_keys, barrier_keys)
    for name, constraint in constraints().items():
        if name == "orientation":  # names are case-insensitive, as in the constructor
            parse_orientation(point[name])
        elif name in active:
            check_value(name, point[name], constraint.rule)
    build_junction(point)
    check_bias(point["bias"])


def compute(point: dict) -> dict:
    """Conductance over ``point['bias']`` at one grid point."""
    junction = build_junction(point)
    g = junction.conductance(
        point["bias"],
        temperature=point["temperature"],
        normalize=point["normalize"],
        n_q=_n_q(point),
    )
    return {"conductance": np.asarray(g, dtype=float)}


CONDUCTANCE = Computation(
    name="semidirac.conductance",
    parameters=PARAMETERS,
    outputs={
        "conductance": {
            "long_name": "differential conductance of the NS junction",
            "units": "set by the 'normalize' parameter (normal: G / G_N)",
        }
    },
    compute=compute,
    validate=validate,
    package="physcore",
    doc=__doc__,
)
