"""Sweep adapter ``semidirac.conductance``: :meth:`physcore.semidirac.NSJunction.conductance`.

Parameters are the junction's, by the same names (``mu``, ``gap``, ``U0``, ``orientation``, the
model's ``mass``/``velocity``/``delta``, the barrier's ``Z``/``chi``/``height``/``width``), plus
``temperature`` and ``normalize`` of ``conductance`` and the vector parameter ``bias``. Their
validation is the junction's own: :func:`validate` builds the model, barrier and junction (no
solving), whose constructors raise ValueError naming the parameter.
"""

from __future__ import annotations

import numpy as np

from physcore import semidirac
from physcore.semidirac import observables

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

PARAMETERS = {
    "model": Parameter("str", "semi-Dirac", doc="band model", choices=tuple(_MODELS)),
    "mass": Parameter(
        "float",
        1.0,
        doc="mass m > 0 of the quadratic axis (semi-Dirac, parabolic)",
        needs={"model": ("semi-Dirac", "parabolic")},
    ),
    "velocity": Parameter(
        "float",
        1.0,
        doc="velocity v > 0 of the linear axis (energy x length)",
        needs={"model": ("semi-Dirac", "graphene")},
    ),
    "delta": Parameter(
        "float", 0.0, doc="semi-Dirac merging parameter (energy)", needs={"model": ("semi-Dirac",)}
    ),
    "orientation": Parameter(
        "float_or_str",
        "linear",
        doc="'linear', 'quadratic' or degrees from the linear axis",
        needs={"model": ("semi-Dirac",)},  # graphene and the parabolic gas are isotropic
    ),
    "mu": Parameter("float", None, doc="Fermi energy of the normal region (energy)"),
    "gap": Parameter("float", None, doc="superconducting gap Delta_0 >= 0 (energy)"),
    "U0": Parameter("float", 0.0, doc="extra doping of the superconductor (energy)"),
    "barrier": Parameter("str", "none", doc="interface barrier kind", choices=tuple(_BARRIERS)),
    "Z": Parameter(
        "float",
        0.0,
        doc="BTK strength of a delta barrier (dimensionless)",
        needs={"barrier": ("delta",)},
    ),
    "chi": Parameter(
        "float",
        0.0,
        doc="thin-barrier strength V0 d / (hbar v) (dimensionless)",
        needs={"barrier": ("thin",)},
    ),
    "height": Parameter(
        "float", 0.0, doc="rectangular barrier height (energy)", needs={"barrier": ("rectangular",)}
    ),
    "width": Parameter(
        "float", 0.0, doc="rectangular barrier width (length)", needs={"barrier": ("rectangular",)}
    ),
    "temperature": Parameter("float", 0.0, doc="temperature k_B T >= 0 (energy)"),
    "normalize": Parameter(
        "str", "normal", doc="normalization of conductance()", choices=observables.NORMALIZATIONS
    ),
    "n_modes": Parameter("int", 400, doc="transverse momenta per energy (>= 16)"),
    "bias": Parameter("float", None, vector=True, doc="bias eV (energy)"),
}


def build_junction(point: dict) -> semidirac.NSJunction:
    """The junction at one grid point (its constructors validate every parameter)."""
    model_cls, model_keys = _MODELS[point["model"]]
    model = model_cls(**{k: point[k] for k in model_keys})
    barrier_cls, barrier_keys = _BARRIERS[point["barrier"]]
    barrier = None if barrier_cls is None else barrier_cls(**{k: point[k] for k in barrier_keys})
    return semidirac.NSJunction(
        model,
        orientation=point["orientation"],
        mu=point["mu"],
        gap=point["gap"],
        U0=point["U0"],
        barrier=barrier,
    )


def validate(point: dict) -> None:
    """Raise ValueError naming the parameter when ``point`` is out of range.

    Uses the solver's own checks without solving: the constructors of the model, barrier and
    junction, and :func:`physcore.semidirac.observables.check_conductance_options`.
    """
    build_junction(point)
    observables.check_conductance_options(
        point["bias"], point["temperature"], point["normalize"], point["n_modes"]
    )


def compute(point: dict) -> dict:
    """Conductance over ``point['bias']`` at one grid point."""
    junction = build_junction(point)
    g = junction.conductance(
        point["bias"],
        temperature=point["temperature"],
        normalize=point["normalize"],
        n_modes=point["n_modes"],
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
