"""2D versus 3D integration of neuromorphic chips (arXiv:2103.04852) and TrueNorth's numbers.

The review (Kurshan, Li, Seok, Xie) argues in words that 3D integration shortens interconnect and
cuts communication energy, and that heat and yield limit stacking; it has no model. The checks
below put :mod:`mlcore.hardware` on those claims and report the numbers the claims leave open: the
crossover network size above which stacking pays, and the tier counts where heat and yield bite.
TrueNorth's published figures (Merolla et al., Science 2014, read through secondary sources: the
paper notes ``shared/papers/2103.04852.md``, tag V2) check the bookkeeping.

Setting: the technology defaults (a TrueNorth-like 28 nm core, hybrid bonding at 9 um), uniform
traffic, TrueNorth's workload (20 Hz, 128 synapses per neuron), network sizes 256 to 1.5e6
neurons, 1 to 8 tiers (64 for the limits). All checks are deterministic and take milliseconds.
"""

from __future__ import annotations

import numpy as np

from validation.registry import Outcome, Plot, Reference, check

REVIEW = "E. Kurshan, H. Li, M. Seok, Y. Xie, A Case for 3D Integrated System Design for " + (
    "Neuromorphic Computing & AI Applications, arXiv:2103.04852 (2021)"
)
TRUENORTH = (
    "P. A. Merolla et al., A million spiking-neuron integrated circuit with a scalable "
    "communication network and interface, Science 345(6197):668 (2014), and its supplement "
    "(read through secondary sources)"
)
TRUENORTH_DOI = "doi:10.1126/science.1254642"

SHORTER = Reference(
    paper="2103.04852",
    name="3d-shortens-interconnect",
    citation=REVIEW,
    location="Abstract; opportunities of 3D integration",
    obtained="claim in the text",
    description="Stacking shortens the interconnect between neuromorphic cores.",
)
LESS_ENERGY = Reference(
    paper="2103.04852",
    name="3d-cuts-communication-energy",
    citation=REVIEW,
    location="Abstract; opportunities of 3D integration",
    obtained="claim in the text",
    description="Stacking lowers the communication energy of large neuromorphic networks.",
)
HEAT = Reference(
    paper="2103.04852",
    name="heat-limits-tiers",
    citation=REVIEW,
    location="Abstract; obstacles of 3D integration",
    obtained="claim in the text",
    description="Heat removal limits how many tiers a 3D neuromorphic chip can stack.",
)
YIELD = Reference(
    paper="2103.04852",
    name="yield-limits-tiers",
    citation=REVIEW,
    location="Abstract; obstacles of 3D integration (cost and yield)",
    obtained="claim in the text",
    description="Compound yield and cost limit how many tiers pay.",
)
ENERGY_26PJ = Reference(
    paper=TRUENORTH_DOI,
    name="26-pj-per-synaptic-event",
    citation=TRUENORTH,
    location="main text and supplement S5: 26 pJ at 0.775 V, 72 mW, 20 Hz, 128 synapses",
    obtained="claim in the text",
    description="TrueNorth spends 26 pJ per synaptic event, all-in (total power / event rate).",
)
HOPS_PER_AXIS = Reference(
    paper=TRUENORTH_DOI,
    name="spikes-travel-21.3-cores-per-axis",
    citation=TRUENORTH,
    location="supplement S5 (operating point of the 26 pJ figure)",
    obtained="claim in the text",
    description="At the 26 pJ point spikes travel about 21.3 cores in x and in y.",
)

_TIERS = np.arange(1, 9)


def _grid():
    from mlcore.hardware import evaluate
    from mlcore.hardware.demo import sweep_sizes

    return evaluate(neurons=sweep_sizes(), tiers=_TIERS, warn=False)


def _largest_ratio(variable: str) -> tuple[float, np.ndarray, np.ndarray]:
    ds = _grid()
    two = ds[variable].sel(tiers=2) / ds[variable].sel(tiers=1)
    return float(two.values[-1]), ds.neurons.values, two.values


@check(
    SHORTER,
    metric="max(0, mean lateral wire length + vertical hops on 2 tiers / on 1 tier - 1) at "
    "1.5e6 neurons (lengths in mm; a vertical hop counted as one core pitch, an upper bound)",
    tolerance=0.0,
    rationale="the claim is a direction: any excess of the 3D mean over the 2D one refutes it",
)
def shorter_interconnect():
    from mlcore.hardware.limits import crossover_network_size

    ds = _grid()
    length = ds.wire_length + ds.hops_vertical * ds.core_pitch * 1e-3
    ratio = (length.sel(tiers=2) / length.sel(tiers=1)).values
    crossover = crossover_network_size(ds.assign(length=length), 2, "length")
    return Outcome(
        measured=max(0.0, float(ratio[-1]) - 1.0),
        plot=Plot(x=np.log10(ds.neurons.values), ours=ratio, reference=np.ones_like(ratio),
                  xlabel="log10 neurons", ylabel="mean interconnect, 2 tiers / 1 tier"),
        note=f"ratio {ratio[-1]:.3f} at 1.5e6 neurons; 2 tiers shorter from {crossover} neurons "
        "on (uniform traffic, integer k x k meshes)",
    )  # fmt: skip


@check(
    LESS_ENERGY,
    metric="max(0, energy per spike on 2 tiers / on 1 tier - 1) at 1.5e6 neurons",
    tolerance=0.0,
    rationale="the claim is a direction; the crossover size is reported in the note",
)
def less_communication_energy():
    from mlcore.hardware import SpikingNetwork, Technology, evaluate
    from mlcore.hardware.demo import sweep_sizes
    from mlcore.hardware.limits import crossover_network_size

    ratio_end, sizes, ratio = _largest_ratio("energy_per_spike")
    crossovers = {}
    for via in ("hybrid_bond", "tsv"):
        for traffic in ("uniform", "rent"):
            ds = evaluate(SpikingNetwork(traffic=traffic), Technology.for_via(via),
                          neurons=sweep_sizes(), tiers=[1, 2], warn=False)  # fmt: skip
            crossovers[f"{via}/{traffic}"] = crossover_network_size(ds, 2)
    text = ", ".join(f"{k} {v}" for k, v in crossovers.items())
    return Outcome(
        measured=max(0.0, ratio_end - 1.0),
        plot=Plot(x=np.log10(sizes), ours=ratio, reference=np.ones_like(ratio),
                  xlabel="log10 neurons", ylabel="energy per spike, 2 tiers / 1 tier"),
        note=f"ratio {ratio_end:.3f} at 1.5e6 neurons; crossover network size (2 tiers beat "
        f"1 from there on, neurons): {text}",
    )  # fmt: skip


@check(
    HEAT,
    metric="temperature headroom left at 64 tiers, (limit - top tier) / (limit - ambient), "
    "floored at 0; 0 when heat bites within 64 tiers",
    tolerance=0.0,
    discrepancy="Not at TrueNorth's workload: 72 mW over 4.3 cm^2 (17 mW/cm^2) leaves the top "
    "tier at 61 degC with 64 tiers (limit 85 degC, ambient 45 degC, a fanless 10 K cm^2/W "
    "package): neuromorphic power densities are too low for heat to limit stacking. Heat "
    "bites at 24 tiers at 200 Hz and at 6 tiers at 1 kHz mean rate (see the note).",
)
def heat_limits_tiers():
    from mlcore.hardware import SpikingNetwork, Technology, evaluate
    from mlcore.hardware.limits import MAX_TIERS, heat_limited_tiers

    tech = Technology()
    tiers = np.arange(1, MAX_TIERS + 1)
    top = evaluate(tiers=tiers, warn=False).temperature_top.values[0]
    headroom = (tech.temperature_limit - top[-1]) / (
        tech.temperature_limit - tech.ambient_temperature
    )
    busier = {r: heat_limited_tiers(SpikingNetwork(rate_hz=r)) for r in (20.0, 200.0, 1000.0)}
    return Outcome(
        measured=max(0.0, float(headroom)),
        plot=Plot(x=tiers, ours=top, reference=np.full(len(tiers), tech.temperature_limit),
                  xlabel="tiers", ylabel="top-tier temperature (degC)"),
        note=f"top tier {top[-1]:.1f} degC at {MAX_TIERS} tiers; tier count where heat bites "
        f"by mean rate: {busier} (None: not within {MAX_TIERS})",
    )  # fmt: skip


@check(
    YIELD,
    metric="1 when the cheapest known-good-die stack is the tallest searched (64 tiers: yield "
    "never bites), else 0",
    tolerance=0.0,
    rationale="the claim names no tier count; the one where yield bites is in the note",
)
def yield_limits_tiers():
    from mlcore.hardware import evaluate
    from mlcore.hardware.limits import MAX_TIERS, yield_limited_tiers

    best = {s: yield_limited_tiers(stacking=s) for s in ("kgd", "w2w")}
    ds = evaluate(tiers=_TIERS, warn=False).isel(neurons=0)
    return Outcome(
        measured=float(best["kgd"] >= MAX_TIERS),
        plot=Plot(x=_TIERS, ours=ds.cost_kgd.values, reference=ds.cost_w2w.values,
                  xlabel="tiers", ylabel="cost per good chip (USD): KGD ours, W2W as reference"),
        note=f"TrueNorth's network: cheapest known-good-die stack {best['kgd']} tiers "
        f"({float(ds.cost_kgd.min()):.2f} USD against {float(ds.cost_kgd[0]):.2f} USD in 2D); "
        f"wafer-on-wafer is cheapest at {best['w2w']} tier(s) (compound yield "
        f"{float(ds.yield_w2w[0]):.3f} in 2D, {float(ds.yield_w2w[-1]):.3f} on 8 tiers)",
    )  # fmt: skip


@check(
    ENERGY_26PJ,
    metric="|E_ours / 26 pJ - 1| with E_ours = 72 mW / (2^20 neurons x 20 Hz x 128 synapses)",
    tolerance=0.05,
    rationale="the published figure is rounded and quoted at 72 mW, the rate and synapse count "
    "are nominal; 5 % covers that rounding, not a model error",
)
def truenorth_energy_per_event():
    from mlcore.hardware.chips import truenorth_bookkeeping

    book = truenorth_bookkeeping()
    return Outcome(
        measured=abs(book["all_in"] / book["reported"] - 1.0),
        note=f"{book['all_in']:.2f} pJ all-in; the model's communication share "
        f"{book['communication_per_event']:.2f} pJ per event (2.3 pJ per hop over "
        f"{2 * book['hops_per_axis']:.1f} hops / 128 synapses); the core term closes the budget "
        "by construction",
    )


@check(
    HOPS_PER_AXIS,
    metric="|mean hops per axis (ours, uniform traffic on 64 x 64) - 21.3|",
    tolerance=0.05,
    rationale="the published 21.3 is rounded to 0.1",
)
def truenorth_hops_per_axis():
    from mlcore.hardware.chips import truenorth_bookkeeping

    hops = truenorth_bookkeeping()["hops_per_axis"]
    return Outcome(measured=abs(hops - 21.3), note=f"(64^2 - 1) / (3 x 64) = {hops:.4f}")
