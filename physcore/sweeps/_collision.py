"""Sweep adapter ``collision.steady_state``: steady-state heat currents of the two-bath collision
model, exact and local schemes, from :func:`physcore.collision.coupling_sweep`.

The inter-system coupling ``g`` is the vector parameter (one batched solve per grid point of the
other parameters, as ``coupling_sweep`` is built for). The others are the fields of
:class:`~physcore.collision.TwoQubitSystem`, of the two :class:`~physcore.collision.AncillaBath`
(suffixed ``_left`` / ``_right``) and ``tau``. :func:`validate` builds the model, whose
constructors raise ValueError naming the field; bath fields are renamed to their suffixed
parameter names in the message.
"""

from __future__ import annotations

import re

import numpy as np

from physcore import collision

from .computations import Computation, Parameter

_BATH_FIELDS = ("temperature", "coupling", "strength", "frequency")
# "custom" needs an operator, which a TOML grid cannot hold; "xx" is the deprecated name of
# "exchange" (accepted for one release, with a DeprecationWarning from the model)
_KINDS = ("exchange", "xxz", "dm", "xx")

PARAMETERS = {
    "omega_1": Parameter("float", 1.0, doc="frequency w1 > 0 of qubit 1 (energy)"),
    "omega_2": Parameter("float", 1.0, doc="frequency w2 > 0 of qubit 2 (energy)"),
    "kind": Parameter("str", "exchange", doc="inter-system Hamiltonian H_12", choices=_KINDS),
    "anisotropy": Parameter(
        "float", 1.0, doc="sz-sz weight of kind 'xxz'", needs={"kind": ("xxz",)}
    ),
    "tau": Parameter("float", 0.1, doc="collision time tau > 0 (inverse energy)"),
    "g": Parameter("float", None, vector=True, doc="inter-system coupling g (energy)"),
}
for _side in ("left", "right"):
    PARAMETERS.update(
        {
            f"temperature_{_side}": Parameter("float", None, doc=f"{_side} bath T > 0 (energy)"),
            f"coupling_{_side}": Parameter(
                "str", "exchange", doc=f"{_side} system-ancilla coupling",
                choices=(*collision.model.BATH_COUPLINGS, "xx"),
            ),
            f"strength_{_side}": Parameter(
                "float", 1.0, doc=f"{_side} coupling J != 0 (energy)"
            ),
            f"frequency_{_side}": Parameter(
                "float_or_str", "resonant", doc=f"{_side} ancilla frequency > 0, or 'resonant'"
            ),
        }
    )  # fmt: skip

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


def _bath(point: dict, side: str) -> collision.AncillaBath:
    frequency = point[f"frequency_{side}"]
    if isinstance(frequency, str):
        if frequency != "resonant":
            raise ValueError(
                f"frequency_{side} must be a number > 0 or 'resonant', got {frequency!r}"
            )
        frequency = None
    try:
        return collision.AncillaBath(
            temperature=point[f"temperature_{side}"],
            coupling=point[f"coupling_{side}"],
            strength=point[f"strength_{side}"],
            frequency=frequency,
        )
    except ValueError as err:  # name the suffixed parameter: "temperature" -> "temperature_left"
        message = re.sub(rf"\b({'|'.join(_BATH_FIELDS)})\b", rf"\1_{side}", str(err))
        raise ValueError(message) from None


def build_model(point: dict, g: float = 0.0) -> collision.CollisionModel:
    """The collision model at one grid point (its constructors validate every parameter)."""
    system = collision.TwoQubitSystem(
        omega_1=point["omega_1"],
        omega_2=point["omega_2"],
        g=g,
        kind=point["kind"],
        anisotropy=point["anisotropy"],
    )
    return collision.CollisionModel(
        system, _bath(point, "left"), _bath(point, "right"), point["tau"]
    )


def validate(point: dict) -> None:
    """Raise ValueError naming the parameter when ``point`` is out of range (no solving).

    Besides the model's own checks, a bath strength of 0 is refused: such a bath exchanges
    nothing, so its heat current is zero by construction, and at g = 0 its qubit is isolated and
    the steady state is not unique (the steady-state solve is singular).
    """
    build_model(point)
    for side in ("left", "right"):
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
