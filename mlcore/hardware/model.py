"""The solver: a network on a technology -> a labelled xarray Dataset, vectorised over network
size and tier count.

``evaluate(network, technology, neurons=[...], tiers=[...])`` places every network size on every
tier count at once (numpy broadcasting over a ``(neurons, tiers)`` grid; the only loop runs
over the distinct mesh sides of Rent-weighted traffic) and returns, with ``units`` and
``long_name`` on every variable: the placement (cores, mesh side, core pitch, footprint), mean
hop counts, communication energy per spike and per inference, all-in energy per synaptic event,
latency, power density per tier, top-tier temperature with an ``over_temperature`` flag (and a
:class:`ThermalLimitWarning`), die and stack yields and cost per good chip for wafer-on-wafer
and known-good-die stacking. One tier gives exactly the 2D chip: no vias, no vertical hops, no
bonding.
"""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

from . import costs
from .interconnect import mesh_side, rent_mean_hops, uniform_mean_hops
from .network import SpikingNetwork
from .technology import Technology

__all__ = ["evaluate", "ThermalLimitWarning", "VARIABLES", "placement"]


class ThermalLimitWarning(UserWarning):
    """A tier runs above :attr:`Technology.temperature_limit`."""


#: every output variable: (units, long name)
VARIABLES = {
    "cores": ("count", "cores the network occupies"),
    "packets_per_spike": ("count", "packets a spike sends (one per destination core)"),
    "mesh_side": ("count", "side k of the k x k core mesh of each tier"),
    "core_pitch": ("um", "lateral centre-to-centre core distance (with via area)"),
    "footprint": ("mm^2", "area of one tier (the chip footprint)"),
    "silicon_area": ("mm^2", "silicon area of all tiers"),
    "hops_lateral": ("count", "mean lateral hops per packet"),
    "hops_vertical": ("count", "mean vertical hops per packet"),
    "wire_length": ("mm", "mean lateral wire length per packet (vias of tens of um not counted)"),
    "hop_energy_lateral": ("pJ", "energy of one lateral hop of a packet"),
    "hop_energy_vertical": ("pJ", "energy of one vertical hop of a packet"),
    "energy_per_spike": ("pJ", "communication energy per spike"),
    "energy_per_synaptic_event": ("pJ", "all-in energy per synaptic event"),
    "energy_per_inference": ("J", "energy of one inference (communication and cores)"),
    "communication_energy_per_inference": ("J", "communication energy of one inference"),
    "latency": ("ns", "mean packet delivery latency"),
    "power": ("W", "chip power"),
    "power_density_per_tier": ("W/cm^2", "power per footprint area of one tier"),
    "temperature_top": ("degC", "temperature of the top tier (farthest from the sink)"),
    "over_temperature": ("1", "True where a tier exceeds the temperature limit"),
    "die_yield": ("1", "yield of one tier's die (negative binomial)"),
    "yield_w2w": ("1", "compound yield, wafer-on-wafer stacking"),
    "yield_kgd": ("1", "compound yield, known-good-die stacking"),
    "cost_w2w": ("USD", "cost per good chip, wafer-on-wafer stacking"),
    "cost_kgd": ("USD", "cost per good chip, known-good-die stacking"),
}


def _grid(name: str, values, default: int, low: int, high: int) -> np.ndarray:
    """A 1-D integer grid, each value in [low, high]; ValueError naming ``name`` otherwise."""
    arr = np.atleast_1d(np.asarray(default if values is None else values))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D list of integers; got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.number) or np.any(~np.isfinite(arr)):
        raise ValueError(f"{name} must hold finite integers; got {values!r}")
    if np.any(arr != np.round(arr)) or np.any(arr < low) or np.any(arr > high):
        raise ValueError(f"{name} must hold integers in [{low}, {high}]; got {values!r}")
    return arr.astype(np.int64)


def placement(
    network: SpikingNetwork, technology: Technology, neurons: np.ndarray, tiers: np.ndarray
) -> dict[str, np.ndarray]:
    """Cores, mesh side, core pitch and tier area on the ``(neurons, tiers)`` grid.

    Raises ValueError naming ``SpikingNetwork.neurons`` where a tier would exceed
    ``Technology.max_die_area``.
    """
    tech = technology
    synapses = np.round(neurons * network.fan_out)
    cores = np.maximum(
        -(-neurons // tech.neurons_per_core),
        np.ceil(synapses / tech.synapses_per_core).astype(np.int64),
    )[:, None]
    t = tiers[None, :]
    k = mesh_side(cores, t)
    via_area = np.where(t > 1, tech.vias_per_core * tech.via_pitch**2 * 1e-6, 0.0)  # mm^2
    cell = tech.core_area + via_area
    footprint = k * k * cell / (1.0 - tech.periphery_fraction)
    too_big = footprint > tech.max_die_area
    if np.any(too_big):
        i, j = np.argwhere(too_big)[0]
        per_tier = tech.max_die_area * (1.0 - tech.periphery_fraction) / cell[0, j]
        fit = int(np.floor(np.sqrt(per_tier)) ** 2) * int(tiers[j]) * tech.neurons_per_core
        raise ValueError(
            f"SpikingNetwork.neurons: {int(neurons[i])} neurons need {int(cores[i, 0])} cores, "
            f"{footprint[i, j]:.0f} mm^2 per tier on {int(tiers[j])} tier(s), above "
            f"Technology.max_die_area = {tech.max_die_area:g} mm^2; at most about {fit} neurons "
            "fit (fewer if synapses_per_core binds): use more tiers or a smaller network"
        )
    return {
        "cores": cores[:, 0],
        "mesh_side": k,
        "core_pitch": np.sqrt(cell) * 1e3 * np.ones_like(k, dtype=float),
        "footprint": footprint,
    }


def _mean_hops(network: SpikingNetwork, k: np.ndarray, t: np.ndarray) -> np.ndarray:
    if network.traffic == "uniform":
        return uniform_mean_hops(k, t)
    return rent_mean_hops(k, t, network.rent_exponent)


def _communication(network, tech, place, t) -> dict[str, np.ndarray]:
    """Hops, hop energies, energy per spike and latency on the grid."""
    hops_l, hops_v = _mean_hops(network, place["mesh_side"], t)
    e_lat, e_vert = costs.hop_energies(tech, place["core_pitch"])
    packets = float(np.ceil(network.fan_out / tech.neurons_per_core))
    per_packet = tech.injection_energy + hops_l * e_lat + hops_v * e_vert
    latency = (
        tech.injection_latency + hops_l * tech.hop_latency + hops_v * tech.vertical_hop_latency
    )
    return {
        "packets_per_spike": packets,
        "hops_lateral": hops_l,
        "hops_vertical": hops_v,
        "wire_length": hops_l * place["core_pitch"] * 1e-3,
        "hop_energy_lateral": e_lat,
        "hop_energy_vertical": e_vert,
        "energy_per_spike": packets * per_packet,
        "latency": latency,
    }


def _power_and_heat(network, tech, neurons, place, comm, t) -> dict[str, np.ndarray]:
    """Power, energies per event and per inference, power density and top-tier temperature."""
    spikes_per_s = neurons[:, None] * network.rate_hz
    comm_power = spikes_per_s * comm["energy_per_spike"] * 1e-12
    core_power = spikes_per_s * network.fan_out * tech.core_energy_per_event * 1e-12
    power = comm_power + core_power
    density = power / (t * place["footprint"] * 1e-2)
    top = costs.top_tier_temperature(
        density, t, tech.sink_resistance, tech.tier_resistance, tech.ambient_temperature
    )
    return {
        "energy_per_synaptic_event": tech.core_energy_per_event
        + comm["energy_per_spike"] / network.fan_out,
        "energy_per_inference": power * network.inference_time,
        "communication_energy_per_inference": comm_power * network.inference_time,
        "power": power,
        "power_density_per_tier": density,
        "temperature_top": top,
        "over_temperature": top > tech.temperature_limit,
    }


def evaluate(
    network: SpikingNetwork | None = None,
    technology: Technology | None = None,
    *,
    neurons=None,
    tiers=None,
    warn: bool = True,
) -> xr.Dataset:
    """Place ``network`` on ``technology`` for every network size and tier count.

    Parameters
    ----------
    network : SpikingNetwork, optional
        The network (default: TrueNorth's operating point). With ``neurons`` given, its
        fan-out, rate, inference time and traffic are kept and its size is swept.
    technology : Technology, optional
        The technology (default: :class:`Technology` ()). With ``tiers`` given, its ``tiers``
        field is replaced by the grid.
    neurons : sequence of int, optional
        Network sizes (count); default ``[network.neurons]``.
    tiers : sequence of int, optional
        Tier counts in [1, 64]; default ``[technology.tiers]``.
    warn : bool
        Issue a :class:`ThermalLimitWarning` when a grid point runs above the temperature
        limit (the ``over_temperature`` variable flags it either way).

    Returns
    -------
    xarray.Dataset
        Dimensions ``neurons`` and ``tiers``; the variables of :data:`VARIABLES`, each with
        ``units`` and ``long_name``; the parameters in the attributes.

    Raises
    ------
    ValueError
        Naming ``SpikingNetwork.neurons`` for a network larger than the chip can hold,
        ``neurons`` / ``tiers`` for a bad grid (and the field for bad model parameters, on
        construction of the dataclasses).
    """
    network = SpikingNetwork() if network is None else network
    tech = Technology() if technology is None else technology
    n = _grid("neurons", neurons, network.neurons, 1, 1 << 40)
    t_grid = _grid("tiers", tiers, tech.tiers, 1, 64)
    t = t_grid[None, :].astype(float)
    place = placement(network, tech, n, t_grid)
    comm = _communication(network, tech, place, t)
    heat = _power_and_heat(network, tech, n, place, comm, t)
    money = costs.cost_per_good_chip(tech, place["footprint"], t)
    shape = (len(n), len(t_grid))
    data = {**place, **comm, **heat, **money}
    data["silicon_area"] = place["footprint"] * t
    ds = xr.Dataset(
        {
            name: (
                ("neurons",) if name == "cores" else ("neurons", "tiers"),
                np.asarray(data[name]) if name == "cores" else np.broadcast_to(data[name], shape),
                {"units": units, "long_name": long_name},
            )
            for name, (units, long_name) in VARIABLES.items()
        },
        coords={
            "neurons": ("neurons", n, {"units": "count", "long_name": "spiking neurons"}),
            "tiers": ("tiers", t_grid, {"units": "count", "long_name": "stacked tiers"}),
        },
        attrs=_attrs(network, tech),
    )
    if warn and bool(ds.over_temperature.any()):
        _warn_hot(ds, tech)
    return ds


def _attrs(network: SpikingNetwork, tech: Technology) -> dict:
    import json

    from .. import __version__

    return {
        "title": "2D versus 3D integration of a spiking network (mlcore.hardware)",
        "network": json.dumps(network.to_dict()),
        "technology": json.dumps(tech.to_dict()),
        "mlcore_version": __version__,
    }


def _warn_hot(ds: xr.Dataset, tech: Technology) -> None:
    hot = ds.over_temperature.values
    first = np.argwhere(hot)[0]
    n, t = int(ds.neurons[first[0]]), int(ds.tiers[first[1]])
    warnings.warn(
        f"{int(hot.sum())} of {hot.size} grid points run above Technology.temperature_limit = "
        f"{tech.temperature_limit:g} degC (e.g. {n} neurons on {t} tiers: "
        f"{float(ds.temperature_top.values[tuple(first)]):.1f} degC); see over_temperature",
        ThermalLimitWarning,
        stacklevel=3,
    )
