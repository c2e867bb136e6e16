"""Published chips described from their public numbers, and where our estimates stand.

* TrueNorth (Merolla et al., Science 345:668, 2014): 2D, 4096 cores, the technology defaults.
* Loihi (Davies et al., IEEE Micro 38(1):82, 2018): 2D, 128 cores in 32 tiles; its router
  connects tiles, so a tile of four cores is one mesh node here.
* TrueNorth split over 2 and 4 tiers with hybrid bonding: no such chip was published (NASH /
  R-NASH, the TSV-based 3D neuromorphic systems of the paper notes, give no energy figures), so
  these rows are our estimates only.

:func:`comparison_table` evaluates each and sets our numbers beside the reported ones, with the
reason they differ. :func:`truenorth_bookkeeping` is the consistency check of TrueNorth's
all-in 26 pJ per synaptic event.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .costs import bit_energy
from .model import evaluate
from .network import SpikingNetwork
from .technology import TRUENORTH, Source, Technology

__all__ = ["Chip", "Reported", "CHIPS", "comparison_table", "truenorth_bookkeeping", "COLUMNS"]

_LOIHI = "Davies et al., IEEE Micro 38(1):82 (2018)"


@dataclass(frozen=True)
class Reported:
    """A published figure of a chip: value, unit and source."""

    value: float
    unit: str
    source: Source


@dataclass(frozen=True)
class Chip:
    """A chip: the network it runs, its technology, its reported figures and our caveats."""

    name: str
    network: SpikingNetwork
    technology: Technology
    reported: dict[str, Reported] = field(default_factory=dict)
    caveat: str = ""


def _truenorth() -> Chip:
    return Chip(
        "TrueNorth",
        SpikingNetwork(),
        Technology(),
        {
            "footprint": Reported(430.0, "mm^2", TRUENORTH["die_area"][1]),
            "power": Reported(72e-3, "W", TRUENORTH["power"][1]),
            "energy_per_synaptic_event": Reported(
                26.0, "pJ", Source(TRUENORTH["power"][1].citation, "measured", "V2", "all-in")
            ),
        },
        "our core energy per event is derived from the same 72 mW, so power and energy agree "
        "by construction; the independent parts are the hop count (21.3 per axis published) "
        "and the communication share",
    )


def _loihi() -> Chip:
    base = Technology()
    die, cores_per_tile, tiles, volts = 60.0, 4, 32, 0.75
    tile_pitch = math.sqrt(die * (1 - base.periphery_fraction) / tiles) * 1e3  # um
    hop = 3.5  # pJ: mean of the east-west 3.0 and north-south 4.0 pJ tile hops (simulated)
    wire = base.packet_bits * bit_energy(
        base.wire_capacitance * tile_pitch, volts, base.switching_activity
    )
    tech = base.replace(
        core_area=die * (1 - base.periphery_fraction) / tiles,
        neurons_per_core=1024 * cores_per_tile,
        synapses_per_core=int(130e6 / tiles),
        supply_voltage=volts,
        router_energy=hop - float(wire),
        injection_energy=1.7,
        core_energy_per_event=23.6,
        hop_latency=5.3,
        injection_latency=2.1,
    )
    network = SpikingNetwork(neurons=131072, synapses=int(130e6))
    return Chip(
        "Loihi",
        network,
        tech,
        {
            "footprint": Reported(60.0, "mm^2", Source(_LOIHI, "measured", "V")),
            "energy_per_synaptic_event": Reported(
                23.6, "pJ", Source(_LOIHI, "simulated", "V2", "minimum, one term, 0.75 V")
            ),
        },
        "the 23.6 pJ is a pre-silicon minimum of the synaptic term alone; ours adds the "
        "communication share at 20 Hz (an assumed rate); our mesh is 6 x 6 tiles, Loihi's "
        "8 x 4; periphery share taken from TrueNorth",
    )


def _split(tiers: int) -> Chip:
    return Chip(
        f"TrueNorth on {tiers} tiers (hybrid bond)",
        SpikingNetwork(),
        Technology(tiers=tiers),
        {},
        "no published chip: our estimate only",
    )


def _chips() -> dict[str, Chip]:
    chips = [_truenorth(), _loihi(), _split(2), _split(4)]
    return {chip.name: chip for chip in chips}


#: the chips of the comparison table, by name
CHIPS = _chips()

#: table columns: (key, header, format)
COLUMNS = (
    ("chip", "chip", "{}"),
    ("tiers", "tiers", "{:d}"),
    ("mesh", "mesh", "{}"),
    ("footprint", "footprint ours (mm^2)", "{:.1f}"),
    ("footprint_reported", "reported", "{}"),
    ("power", "power ours (mW)", "{:.1f}"),
    ("power_reported", "reported", "{}"),
    ("energy_per_synaptic_event", "energy/syn. event ours (pJ)", "{:.2f}"),
    ("energy_reported", "reported", "{}"),
    ("energy_per_spike", "comm. energy/spike (pJ)", "{:.1f}"),
    ("hops", "mean hops lat+vert", "{}"),
    ("latency", "latency (ns)", "{:.0f}"),
    ("temperature_top", "top tier (degC)", "{:.1f}"),
    ("cost_kgd", "cost/good chip KGD (USD)", "{:.2f}"),
    ("cost_w2w", "W2W (USD)", "{:.2f}"),
    ("caveat", "why ours differ", "{}"),
)


def _reported(chip: Chip, key: str, scale: float = 1.0) -> str:
    if key not in chip.reported:
        return "-"
    rep = chip.reported[key]
    return f"{rep.value * scale:g} ({rep.source.kind})"


def comparison_table() -> list[dict]:
    """One row per chip of :data:`CHIPS`: our estimates beside the reported figures."""
    rows = []
    for chip in CHIPS.values():
        ds = evaluate(chip.network, chip.technology, warn=False).isel(neurons=0, tiers=0)
        k, t = int(ds.mesh_side), int(ds.tiers)
        rows.append(
            {
                "chip": chip.name,
                "tiers": t,
                "mesh": f"{k} x {k} x {t}",
                "footprint": float(ds.footprint),
                "footprint_reported": _reported(chip, "footprint"),
                "power": float(ds.power) * 1e3,
                "power_reported": _reported(chip, "power", 1e3),
                "energy_per_synaptic_event": float(ds.energy_per_synaptic_event),
                "energy_reported": _reported(chip, "energy_per_synaptic_event"),
                "energy_per_spike": float(ds.energy_per_spike),
                "hops": f"{float(ds.hops_lateral):.1f} + {float(ds.hops_vertical):.2f}",
                "latency": float(ds.latency),
                "temperature_top": float(ds.temperature_top),
                "cost_kgd": float(ds.cost_kgd),
                "cost_w2w": float(ds.cost_w2w),
                "caveat": chip.caveat,
            }
        )
    return rows


def truenorth_bookkeeping() -> dict[str, float]:
    """TrueNorth's all-in energy per synaptic event from its own power and event rate, and the
    model's parts of it.

    Returns
    -------
    dict
        ``all_in`` = power / (neurons x rate x active synapses) (pJ), ``reported`` (26 pJ),
        ``hops_per_axis`` (the model's mean lateral hops / 2 on TrueNorth's 64 x 64 mesh;
        21.3 published), ``communication_per_event`` (pJ) and ``model_all_in`` (pJ, the model
        evaluated at TrueNorth's operating point).
    """
    chip = CHIPS["TrueNorth"]
    net = chip.network
    power = chip.reported["power"].value
    events = net.neurons * net.rate_hz * net.fan_out
    ds = evaluate(net, chip.technology, warn=False).isel(neurons=0, tiers=0)
    return {
        "all_in": power / events * 1e12,
        "reported": chip.reported["energy_per_synaptic_event"].value,
        "hops_per_axis": float(ds.hops_lateral) / 2.0,
        "communication_per_event": float(ds.energy_per_spike) / net.fan_out,
        "model_all_in": float(ds.energy_per_synaptic_event),
    }
