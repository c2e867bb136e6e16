"""The technology of a neuromorphic chip, as one frozen, validated dataclass with cited defaults.

Every default number carries a :class:`Source`: the citation, whether the number was
``"measured"``, ``"simulated"``, ``"derived"`` (by us, from cited numbers) or is an
``"assumption"``, and the evidence tag of the paper notes (``shared/papers/2103.04852.md``):
V verified in the primary source, V2 only in a secondary source, R recalled engineering
knowledge, I our derivation, NF not found. :func:`provenance` lists them.

The defaults describe a TrueNorth-like 28 nm core (Merolla et al., Science 345:668, 2014;
Akopyan et al., IEEE TCAD 34:1537, 2015) stacked with Cu-Cu hybrid bonding.

Energy bookkeeping (per spike packet of ``packet_bits`` bits, dynamic energy ``a C V^2`` per bit):

* lateral hop: ``router_energy + packet_bits * a * wire_capacitance * core_pitch * V^2``;
* vertical hop: ``router_energy + packet_bits * a * via_capacitance * V^2``;
* injection (core memory to its router): ``injection_energy``, once per packet.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from ..params import Interval, Options, Params, parameter
from .interconnect import uniform_mean_hops

__all__ = [
    "Source",
    "ViaKind",
    "VIA_KINDS",
    "Technology",
    "provenance",
    "TRUENORTH",
    "SOURCE_KINDS",
]

#: how a default number was obtained
SOURCE_KINDS = ("measured", "simulated", "derived", "assumption")
#: evidence tags of the paper notes
EVIDENCE = ("V", "V2", "R", "I", "NF")


@dataclass(frozen=True)
class Source:
    """Where a default number comes from.

    Parameters
    ----------
    citation : str
        The primary source (and the secondary source it was read in, for V2 numbers).
    kind : {"measured", "simulated", "derived", "assumption"}
        How the number was obtained.
    evidence : {"V", "V2", "R", "I", "NF"}
        The evidence tag of the paper notes.
    note : str
        Anything a reader needs (the operating point, the arithmetic of a derived number).
    """

    citation: str
    kind: str
    evidence: str
    note: str = ""

    def __post_init__(self):
        if self.kind not in SOURCE_KINDS:
            raise ValueError(f"Source.kind must be one of {SOURCE_KINDS}; got {self.kind!r}")
        if self.evidence not in EVIDENCE:
            raise ValueError(f"Source.evidence must be one of {EVIDENCE}; got {self.evidence!r}")
        if not self.citation.strip():
            raise ValueError("Source.citation must be a non-empty string")


_TN = "Merolla et al., Science 345:668 (2014) and its supplement"
_TN_AK = "Akopyan et al., IEEE TCAD 34:1537 (2015), via an Authorea review"
_LOIHI = "Davies et al., IEEE Micro 38(1):82 (2018), Table 2, via code comments"
_NOTES = "paper notes shared/papers/2103.04852.md"

#: TrueNorth's published numbers the defaults derive from (each with its source)
TRUENORTH = {
    "cores": (4096, Source(_TN, "measured", "V", "64 x 64 mesh")),
    "neurons_per_core": (256, Source(_TN, "measured", "V")),
    "core_area": (0.240 * 0.390, Source(_TN_AK, "measured", "V2", "240 um x 390 um")),
    "die_area": (430.0, Source(_TN_AK, "measured", "V2", "4.3 cm^2")),
    "power": (72e-3, Source(_TN, "measured", "V2", "at 0.775 V, 20 Hz, 128 synapses")),
    "rate_hz": (20.0, Source(_TN, "measured", "V2", "mean rate of the 26 pJ point")),
    "active_synapses": (128, Source(_TN, "measured", "V2", "per neuron, 26 pJ point")),
    "hop_energy": (2.3, Source(_TN, "measured", "V2", "supplement S5: a spike one hop")),
    "bit_energy_core_to_router": (
        0.047,
        Source(_TN, "measured", "V2", "supplement S5: 47 fJ/bit, SRAM to controller"),
    ),
}


def _tn(key: str) -> float:
    return TRUENORTH[key][0]


@dataclass(frozen=True)
class ViaKind:
    """A vertical interconnect technology: its smallest pitch and default pitch and capacitance.

    Pitches in micrometres, capacitance in femtofarads per via.
    """

    name: str
    min_pitch: float
    pitch: float
    capacitance: float
    sources: tuple[Source, Source, Source]


VIA_KINDS = {
    "tsv": ViaKind(
        "tsv",
        min_pitch=10.0,
        pitch=40.0,
        capacitance=50.0,
        sources=(
            Source(_NOTES + " sec. 4", "assumption", "I", "2 x the 5 um diameter of the 50 fF TSV"),
            Source("micro-bump pitch 40-50 um (atomfair, ninescrolls)", "measured", "V2"),
            Source("chipfoundryservices TSV glossary", "measured", "V2", "5 um x 50 um TSV"),
        ),
    ),
    "hybrid_bond": ViaKind(
        "hybrid_bond",
        min_pitch=1.0,
        pitch=9.0,
        capacitance=5.0,
        sources=(
            Source(
                "hybrid bonding down to ~1 um pitch (ninescrolls, semiconductorx)", "measured", "V2"
            ),
            Source("40 um -> 9 um pitch example (legitlads calculator)", "measured", "V2"),
            Source(
                _NOTES + " sec. 4",
                "assumption",
                "NF",
                "no capacitance found; a bond pad and a short via, taken as 1/10 of a TSV",
            ),
        ),
    ),  # fmt: skip
    "miv": ViaKind(
        "miv",
        min_pitch=0.1,
        pitch=0.2,
        capacitance=0.1,
        sources=(
            Source(_NOTES + " sec. 4 (sciencepedia)", "assumption", "V2", "gate-scale vias"),
            Source(_NOTES + " sec. 4", "assumption", "NF", "twice the smallest pitch"),
            Source(_NOTES + " sec. 4", "assumption", "NF", "no capacitance found"),
        ),
    ),
}


def _cited(default, constraint, help: str, *, unit: str, source: Source):  # noqa: A002
    """A declared parameter (:func:`mlcore.params.parameter`) that also carries its source."""
    field = parameter(default, constraint, help, unit=unit)
    return dataclasses.field(
        default=field.default, metadata={**field.metadata, "mlcore.hardware.source": source}
    )


# -- derived defaults (arithmetic stated in each Source note) -----------------------------------
_PACKET_BITS = 32
_ACTIVITY = 0.5
_WIRE_C = 0.2  # fF/um = pF/mm
_VDD = 0.775
_CORE_PITCH_UM = math.sqrt(_tn("core_area")) * 1e3
_ROUTER = _tn("hop_energy") - _PACKET_BITS * _ACTIVITY * _WIRE_C * _CORE_PITCH_UM * _VDD**2 * 1e-3
_INJECT = _PACKET_BITS * _tn("bit_energy_core_to_router")
_PERIPHERY = 1.0 - _tn("cores") * _tn("core_area") / _tn("die_area")
_TN_EVENT = _tn("power") / (
    _tn("cores") * _tn("neurons_per_core") * _tn("rate_hz") * _tn("active_synapses")
)
_TN_COMM = (_INJECT + uniform_mean_hops(64, 1).sum() * _tn("hop_energy")) * 1e-12
_CORE_EVENT = (_TN_EVENT - _TN_COMM / _tn("active_synapses")) * 1e12


@dataclass(frozen=True)
class Technology(Params):
    """A chip technology: tiers, cores, vertical vias, wires, energies, heat, yield and cost.

    Every field is checked on construction (:class:`mlcore.params.Params`); a bad value raises
    ValueError naming ``Technology.<field>`` and its allowed range. ``via_pitch`` must also be
    at least the smallest pitch of ``via_kind`` (:data:`VIA_KINDS`); use :meth:`for_via` to
    take a via kind's default pitch and capacitance. The source of every default is in
    :func:`provenance`.
    """

    tiers: int = _cited(
        1,
        Interval(int, 1, 64),
        "stacked tiers",
        unit="count",
        source=Source(_NOTES, "assumption", "I", "2D chip by default"),
    )
    core_area: float = _cited(
        _tn("core_area"),
        Interval(float, 1e-4, 100.0, closed="both"),
        "area of one neurosynaptic core",
        unit="mm^2",
        source=TRUENORTH["core_area"][1],
    )
    neurons_per_core: int = _cited(
        256,
        Interval(int, 1, 1 << 20),
        "neurons per core",
        unit="count",
        source=TRUENORTH["neurons_per_core"][1],
    )
    synapses_per_core: int = _cited(
        65536,
        Interval(int, 1, 1 << 30),
        "synapses per core (TrueNorth: 256 axons x 256 neurons)",
        unit="count",
        source=Source(_TN, "measured", "V", "256 x 256 crossbar"),
    )
    periphery_fraction: float = _cited(
        _PERIPHERY,
        Interval(float, 0.0, 0.9),
        "share of the die outside the core array",
        unit="1",
        source=Source(_TN_AK, "derived", "V2", "1 - 4096 x 0.0936 mm^2 / 430 mm^2"),
    )
    max_die_area: float = _cited(
        858.0,
        Interval(float, 1.0, 1e4),
        "largest tier area",
        unit="mm^2",
        source=Source("scanner field 26 mm x 33 mm (reticle limit)", "assumption", "R"),
    )
    via_kind: str = _cited(
        "hybrid_bond",
        Options(*VIA_KINDS),
        "vertical interconnect",
        unit="",
        source=Source(_NOTES + " sec. 4", "assumption", "I", "finest mature option"),
    )
    via_pitch: float = _cited(
        VIA_KINDS["hybrid_bond"].pitch,
        Interval(float, 0.0, 1000.0, closed="right"),
        "vertical via pitch",
        unit="um",
        source=VIA_KINDS["hybrid_bond"].sources[1],
    )
    via_capacitance: float = _cited(
        VIA_KINDS["hybrid_bond"].capacitance,
        Interval(float, 0.0, 1e4),
        "capacitance of one vertical via",
        unit="fF",
        source=VIA_KINDS["hybrid_bond"].sources[2],
    )
    vias_per_core: int = _cited(
        2 * _PACKET_BITS,
        Interval(int, 1, 100_000),
        "vertical vias per core (an up and a down link of packet width)",
        unit="count",
        source=Source(_NOTES, "assumption", "I", "2 x packet_bits"),
    )
    wire_capacitance: float = _cited(
        _WIRE_C,
        Interval(float, 0.0, 10.0, closed="right"),
        "on-chip wire capacitance per length",
        unit="fF/um",
        source=Source(_NOTES + " sec. 4", "assumption", "R", "~0.2 pF/mm"),
    )
    supply_voltage: float = _cited(
        _VDD,
        Interval(float, 0.0, 5.0, closed="right"),
        "supply voltage",
        unit="V",
        source=Source(_TN, "measured", "V2", "26 pJ point"),
    )
    switching_activity: float = _cited(
        _ACTIVITY,
        Interval(float, 0.0, 1.0, closed="right"),
        "share of packet bits that toggle",
        unit="1",
        source=Source(_NOTES, "assumption", "I", "random data"),
    )
    packet_bits: int = _cited(
        _PACKET_BITS,
        Interval(int, 1, 4096),
        "bits of a spike packet",
        unit="bit",
        source=Source(
            _TN,
            "assumption",
            "R",
            "TrueNorth packets carry dx, dy, axon and tick fields; 2.3 pJ / 72 fJ/bit ~ 32",
        ),
    )
    router_energy: float = _cited(
        _ROUTER,
        Interval(float, 0.0, 1e4),
        "router energy per hop",
        unit="pJ",
        source=Source(
            _TN, "derived", "V2", "2.3 pJ per hop minus the wire term at the 306 um core pitch"
        ),
    )
    injection_energy: float = _cited(
        _INJECT,
        Interval(float, 0.0, 1e4),
        "core-to-router energy per packet",
        unit="pJ",
        source=Source(_TN, "derived", "V2", "32 bits x 47 fJ/bit"),
    )
    core_energy_per_event: float = _cited(
        _CORE_EVENT,
        Interval(float, 0.0, 1e6),
        "all-in core energy per synaptic event (memory, neuron update, leakage)",
        unit="pJ",
        source=Source(
            _TN,
            "derived",
            "V2",
            "72 mW / (2^20 x 20 Hz x 128) minus our communication share: closes TrueNorth's "
            "budget, not an independent prediction",
        ),
    )
    hop_latency: float = _cited(
        4.1,
        Interval(float, 0.0, 1e6),
        "lateral hop latency",
        unit="ns",
        source=Source(_LOIHI, "simulated", "V2", "east-west tile hop"),
    )
    vertical_hop_latency: float = _cited(
        4.1,
        Interval(float, 0.0, 1e6),
        "vertical hop latency",
        unit="ns",
        source=Source(_NOTES, "assumption", "I", "router-limited, as a lateral hop"),
    )
    injection_latency: float = _cited(
        2.1,
        Interval(float, 0.0, 1e6),
        "core-to-router latency",
        unit="ns",
        source=Source(_LOIHI, "simulated", "V2", "spike within a tile"),
    )
    ambient_temperature: float = _cited(
        45.0,
        Interval(float, -273.15, 200.0),
        "ambient",
        unit="degC",
        source=Source(_NOTES, "assumption", "R", "inside an enclosure"),
    )
    temperature_limit: float = _cited(
        85.0,
        Interval(float, -273.15, 300.0),
        "highest allowed tier temperature",
        unit="degC",
        source=Source(_NOTES + " sec. 8", "assumption", "R", "commercial junction limit"),
    )
    sink_resistance: float = _cited(
        10.0,
        Interval(float, 0.0, 1e4),
        "package-to-ambient thermal resistance times area",
        unit="K cm^2/W",
        source=Source(_NOTES, "assumption", "R", "fanless package, ~10 K/W on 1 cm^2"),
    )
    tier_resistance: float = _cited(
        0.2,
        Interval(float, 0.0, 1e3),
        "thermal resistance times area of one tier interface",
        unit="K cm^2/W",
        source=Source(_NOTES, "assumption", "R", "~10 um of BEOL at ~0.5 W/(m K)"),
    )
    defect_density: float = _cited(
        0.1,
        Interval(float, 0.0, 100.0),
        "defect density D0",
        unit="1/cm^2",
        source=Source(_NOTES + " sec. 6", "assumption", "R", "mature node"),
    )
    defect_clustering: float = _cited(
        3.0,
        Interval(float, 0.0, 1e6, closed="right"),
        "negative-binomial clustering alpha",
        unit="1",
        source=Source(_NOTES + " sec. 6", "assumption", "R"),
    )
    bond_yield: float = _cited(
        0.99,
        Interval(float, 0.0, 1.0, closed="right"),
        "yield of one bonded interface",
        unit="1",
        source=Source(_NOTES + " sec. 6", "assumption", "R"),
    )
    test_escape: float = _cited(
        0.01,
        Interval(float, 0.0, 1.0, closed="left"),
        "chance that a die passing the pre-bond test is bad",
        unit="1",
        source=Source(_NOTES + " sec. 6", "assumption", "R"),
    )
    wafer_cost: float = _cited(
        3000.0,
        Interval(float, 0.0, 1e6),
        "processed wafer cost",
        unit="USD",
        source=Source(_NOTES + " sec. 6", "assumption", "R", "28 nm, 300 mm"),
    )
    wafer_diameter: float = _cited(
        300.0,
        Interval(float, 1.0, 1000.0),
        "wafer diameter",
        unit="mm",
        source=Source(_NOTES, "assumption", "R"),
    )
    die_test_cost: float = _cited(
        0.5,
        Interval(float, 0.0, 1e6),
        "pre-bond test per die",
        unit="USD",
        source=Source(_NOTES + " sec. 6", "assumption", "NF"),
    )
    stack_test_cost: float = _cited(
        1.0,
        Interval(float, 0.0, 1e6),
        "final test per chip",
        unit="USD",
        source=Source(_NOTES + " sec. 6", "assumption", "NF"),
    )
    bond_cost_w2w: float = _cited(
        0.5,
        Interval(float, 0.0, 1e6),
        "wafer-on-wafer bonding, per interface per chip",
        unit="USD",
        source=Source(_NOTES + " sec. 6", "assumption", "NF"),
    )
    bond_cost_d2w: float = _cited(1.0, Interval(float, 0.0, 1e6),
        "known-good-die bonding, per placed die", unit="USD",
        source=Source(_NOTES + " sec. 6", "assumption", "NF"))  # fmt: skip

    def __post_init__(self):
        super().__post_init__()
        kind = VIA_KINDS[self.via_kind]
        if self.via_pitch < kind.min_pitch:
            raise ValueError(
                f"Technology.via_pitch must be >= {kind.min_pitch:g} um for via_kind "
                f"{self.via_kind!r} (its smallest pitch); got {self.via_pitch!r}"
            )
        if self.synapses_per_core < self.neurons_per_core:
            raise ValueError(
                "Technology.synapses_per_core must be >= neurons_per_core "
                f"({self.neurons_per_core}); got {self.synapses_per_core!r}"
            )

    @classmethod
    def for_via(cls, via_kind: str, **changes) -> Technology:
        """The defaults with ``via_kind``'s default pitch and capacitance, then ``changes``."""
        if via_kind not in VIA_KINDS:
            raise ValueError(
                f"Technology.via_kind must be one of {tuple(VIA_KINDS)}; got {via_kind!r}"
            )
        kind = VIA_KINDS[via_kind]
        base = {"via_kind": via_kind, "via_pitch": kind.pitch, "via_capacitance": kind.capacitance}
        return cls(**{**base, **changes})

    @property
    def core_pitch(self) -> float:
        """Centre-to-centre distance of neighbouring cores in 2D (um)."""
        return math.sqrt(self.core_area) * 1e3


def provenance(technology: Technology | type[Technology] = Technology) -> dict[str, Source]:
    """The :class:`Source` of every field default of :class:`Technology`.

    For a ``via_kind`` other than the default, the via pitch and capacitance sources are those
    of that kind (:data:`VIA_KINDS`).
    """
    out = {f.name: f.metadata["mlcore.hardware.source"] for f in dataclasses.fields(Technology)}
    kind = getattr(technology, "via_kind", "hybrid_bond")
    if isinstance(kind, str) and kind in VIA_KINDS:
        out["via_pitch"] = VIA_KINDS[kind].sources[1]
        out["via_capacitance"] = VIA_KINDS[kind].sources[2]
    return out
