"""Sweep adapter ``collision.steady_state``: steady-state heat currents of the two-bath collision
model, exact and local schemes, from :func:`physcore.collision.coupling_sweep`.

The inter-system coupling ``g`` is the vector parameter (one batched solve per grid point of the
other parameters, as ``coupling_sweep`` is built for). The others are the fields of
:class:`~physcore.collision.TwoQubitSystem`, of the two :class:`~physcore.collision.AncillaBath`
(suffixed ``_left`` / ``_right``) and ``tau``. The parameter table is generated from the
constraint tables those classes declare (:mod:`physcore._validation`), not restated: the
defaults, ranges and docs are the constructors'. :func:`validate` checks each value against the
same rule under its sweep name, so a bad value reads as the constructor's message does, with
the suffixed name (``temperature_left must lie in (0, inf) ...``).
"""

from __future__ import annotations

import numpy as np

from physcore import collision
from physcore._validation import Constraint, check_value, constraint_table

from .computations import Computation, Parameter

_SIDES = ("left", "right")
#: sweep-only choices: "custom" needs an operator, which a TOML grid cannot hold; "xx" is the
#: deprecated name of "exchange" (accepted for one release, with the model's DeprecationWarning)
_CHOICES = {
    "kind": (*(k for k in collision.model.SYSTEM_KINDS if k != "custom"), "xx"),
    "coupling": (*collision.model.BATH_COUPLINGS, "xx"),
}
_NEEDS = {"anisotropy": {"kind": ("xxz",)}}
#: TOML has no None: an ancilla frequency of None (resonant) is spelled "resonant"
_RESONANT = "resonant"


def _sweep_parameter(name: str, constraint: Constraint) -> Parameter:
    """A sweep :class:`Parameter` generated from a declared constraint (kind, default, doc);
    ``name`` is the field's name (without the bath suffix)."""
    overrides = {"needs": _NEEDS.get(name, {})}
    if name in _CHOICES:
        overrides["choices"] = _CHOICES[name]
    if name == "frequency":  # None (resonant) is spelled "resonant"
        overrides["default"] = _RESONANT
    return Parameter.from_constraint(constraint, **overrides)


def _constraints() -> dict[str, Constraint]:
    """Every swept parameter's declared constraint, under its sweep name."""
    table = {k: c for k, c in constraint_table(collision.TwoQubitSystem).items()}
    table["tau"] = constraint_table(collision.CollisionModel)["tau"]
    bath = constraint_table(collision.AncillaBath)
    for side in _SIDES:
        table.update({f"{name}_{side}": c for name, c in bath.items()})
    return table


CONSTRAINTS = _constraints()
PARAMETERS = {
    name: _sweep_parameter(name.removesuffix("_left").removesuffix("_right"), c)
    for name, c in CONSTRAINTS.items()
}
# g is the vector parameter: one batched solve per point of the others, always given as a grid
PARAMETERS["g"] = Parameter.from_constraint(CONSTRAINTS["g"], vector=True, default=None)

OUTPUTS = {
    "current_left_exact": "heat current out of the left bath, exact scheme",
    "current_right_exact": "heat current out of the right bath, exact scheme",
    "power_exact": "steady power -(J_L + J_R), exact scheme",
    "power_switching_exact": "switching power, exact scheme",
    "current_left_local": "heat current out of the left bath, local scheme",
    "current_right_local": "heat current out of the right bath, local scheme",
    "power_local": "steady power -(J_L + J_R), local scheme",
    "trace_distance": "trace distance between the exact and local steady states",
    "relative_current_error": "|J_L,local - J_L,exact| / |J_L,exact|",
}


def _value(point: dict, name: str):
    """``point[name]`` checked against its declared rule ("resonant" read as None)."""
    value = point[name]
    if name.startswith("frequency_") and value == _RESONANT:
        return None
    if name.startswith("frequency_") and isinstance(value, str):
        raise ValueError(f"{name} must be a number > 0 or {_RESONANT!r}, got {value!r}")
    return check_value(name, value, CONSTRAINTS[name].rule)


def build_model(point: dict, g: float = 0.0) -> collision.CollisionModel:
    """The collision model at one grid point (its constructors validate every parameter)."""
    system = collision.TwoQubitSystem(
        omega_1=point["omega_1"],
        omega_2=point["omega_2"],
        g=g,
        kind=point["kind"],
        anisotropy=point["anisotropy"],
    )
    baths = [
        collision.AncillaBath(
            temperature=point[f"temperature_{side}"],
            coupling=point[f"coupling_{side}"],
            strength=point[f"strength_{side}"],
            frequency=_value(point, f"frequency_{side}"),
        )
        for side in _SIDES
    ]
    return collision.CollisionModel(system, *baths, tau=point["tau"])


def validate(point: dict) -> None:
    """Raise ValueError naming the parameter when ``point`` is out of range (no solving).

    Every scalar is checked against the rule its class declares, under its sweep name (the
    message is the constructor's, with that name). Besides, a bath strength of 0 is refused:
    such a bath exchanges nothing, so its heat current is zero by construction, and at g = 0
    its qubit is isolated and the steady state is not unique (the steady-state solve is
    singular).
    """
    for name in CONSTRAINTS:
        if name != "g" and name in point and not name.startswith(("kind", "coupling_")):
            _value(point, name)
    build_model(point)
    for side in _SIDES:
        if point[f"strength_{side}"] == 0.0:
            raise ValueError(
                f"strength_{side} must be nonzero: a bath with no coupling exchanges no heat and "
                "leaves the steady state undetermined (singular at g = 0)"
            )
    g = np.asarray(point["g"], dtype=float)
    if not np.all(np.isfinite(g)):
        raise ValueError("g must hold finite couplings")


def compute(point: dict) -> dict:
    """Exact and local steady-state currents over ``point['g']``."""
    ds = collision.coupling_sweep(
        build_model(point), point["g"], with_correlations=False, progress=False
    )
    return {name: ds[name].values for name in OUTPUTS}


STEADY_STATE = Computation(
    name="collision.steady_state",
    parameters=PARAMETERS,
    outputs={
        name: {
            "long_name": text,
            "units": "dimensionless"
            if name in ("trace_distance", "relative_current_error")
            else "energy per unit time (hbar = k_B = 1)",
        }
        for name, text in OUTPUTS.items()
    },
    compute=compute,
    validate=validate,
    package="physcore",
    doc=__doc__,
)
