"""``hardware.tiers``: the (network size x tier count) grid as a :mod:`physcore.sweeps` computation.

mlcore never imports physcore, so :data:`TIER_SWEEP` is a plain object with the attributes of
``physcore.sweeps.Computation`` (parameters as plain dicts); physcore finds it through the
entry point ``"hardware.tiers" = "mlcore.hardware.sweep:TIER_SWEEP"`` (pyproject.toml) and
wraps it. ``neurons`` and ``tiers`` are vector parameters: each call evaluates the whole grid
at once (:func:`mlcore.hardware.evaluate`), and the other parameters may be swept as SLURM
array chunks (``sweeps/hardware_tiers.toml``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from .interconnect import TRAFFIC
from .model import VARIABLES, evaluate, placement
from .network import SpikingNetwork
from .technology import VIA_KINDS, Technology

__all__ = ["TIER_SWEEP", "OUTPUTS", "build", "compute", "validate"]

PARAMETERS = {
    "neurons": {"kind": "float", "vector": True, "doc": "network size (count, rounded)"},
    "tiers": {"kind": "float", "vector": True, "doc": "tier count (integer in [1, 64])"},
    "via_kind": {
        "kind": "str",
        "default": "hybrid_bond",
        "choices": tuple(VIA_KINDS),
        "doc": "vertical interconnect",
    },
    "via_pitch": {
        "kind": "float_or_str",
        "default": "default",
        "doc": "via pitch (um), or 'default' for the via kind's",
    },
    "traffic": {"kind": "str", "default": "uniform", "choices": TRAFFIC, "doc": "destinations"},
    "rent_exponent": {
        "kind": "float",
        "default": 0.75,
        "needs": {"traffic": ("rent",)},
        "doc": "Rent exponent p in (0, 1)",
    },
    "rate_hz": {"kind": "float", "default": 20.0, "doc": "mean firing rate (Hz)"},
    "fan_out": {"kind": "float", "default": 128.0, "doc": "synapses per neuron (> 0)"},
    "defect_density": {"kind": "float", "default": 0.1, "doc": "defect density (1/cm^2)"},
}

#: outputs: every variable of :func:`evaluate` on the (neurons, tiers) grid
OUTPUTS = {
    name: {"units": units, "long_name": long_name}
    for name, (units, long_name) in VARIABLES.items()
    if name not in ("cores", "packets_per_spike")
}


def _rename(err: ValueError) -> ValueError:
    """``Technology.via_pitch must ...`` -> ``via_pitch: Technology.via_pitch must ...`` so the
    sweep spec names the parameter."""
    message = str(err)
    match = re.search(r"\b(?:Technology|SpikingNetwork)\.(\w+)", message)
    name = {"synapses": "fan_out"}.get(match.group(1), match.group(1)) if match else None
    return ValueError(f"{name}: {message}" if name else message)


def build(point: dict) -> tuple[SpikingNetwork, Technology, np.ndarray, np.ndarray]:
    """The network, technology and integer grids of one sweep point (validated)."""
    neurons = np.round(np.asarray(point["neurons"], dtype=float))
    tiers = np.asarray(point["tiers"], dtype=float)
    if neurons.size == 0 or np.any(~np.isfinite(neurons)) or np.any(neurons < 1):
        raise ValueError(f"neurons must be finite counts >= 1; got {point['neurons']!r}")
    if np.any(tiers != np.round(tiers)) or np.any(tiers < 1) or np.any(tiers > 64):
        raise ValueError(f"tiers must be integers in [1, 64]; got {point['tiers']!r}")
    if not point["fan_out"] > 0:
        raise ValueError(f"fan_out must be > 0; got {point['fan_out']!r}")
    pitch = point["via_pitch"]
    if isinstance(pitch, str) and pitch != "default":
        raise ValueError(f"via_pitch must be a number (um) or 'default'; got {pitch!r}")
    changes = {} if isinstance(pitch, str) else {"via_pitch": float(pitch)}
    top = int(neurons.max())
    try:
        tech = Technology.for_via(
            point["via_kind"], defect_density=float(point["defect_density"]), **changes
        )
        network = SpikingNetwork(
            neurons=top,
            synapses=max(int(round(top * point["fan_out"])), 1),
            rate_hz=float(point["rate_hz"]),
            traffic=point["traffic"],
            rent_exponent=float(point["rent_exponent"]),
        )
    except ValueError as err:
        raise _rename(err) from None
    return network, tech, neurons.astype(np.int64), tiers.astype(np.int64)


def validate(point: dict) -> None:
    """Raise ValueError naming the parameter when ``point`` cannot be evaluated (no solving:
    the parameters and whether every network size fits on every tier count)."""
    network, tech, neurons, tiers = build(point)
    try:
        placement(network, tech, neurons, tiers)
    except ValueError as err:
        raise _rename(err) from None


def compute(point: dict) -> dict[str, np.ndarray]:
    """Every output on the ``(neurons, tiers)`` grid; ``over_temperature`` as 0.0 / 1.0."""
    network, tech, neurons, tiers = build(point)
    ds = evaluate(network, tech, neurons=neurons, tiers=tiers, warn=False)
    return {name: ds[name].values.astype(float) for name in OUTPUTS}


@dataclass(frozen=True)
class _Computation:
    """The attributes ``physcore.sweeps`` reads (see ``physcore.sweeps.computations``)."""

    name: str
    parameters: dict
    outputs: dict
    compute: object
    validate: object
    package: str = "mlcore"
    doc: str = field(default="")


TIER_SWEEP = _Computation(
    name="hardware.tiers",
    parameters=PARAMETERS,
    outputs=OUTPUTS,
    compute=compute,
    validate=validate,
    doc=__doc__,
)
