"""Energy, heat, yield and cost formulas on plain arrays (broadcasting over any grid).

Units: pJ, um, fF, V, mm^2, cm^2, W, degC, K cm^2/W, USD. The formulas and their sources:

* dynamic energy of one bit transition ``a C V^2`` (paper notes sec. 4);
* series thermal resistance: heat from tier ``m`` (tier 1 sits on the heat sink) crosses the
  sink and the interfaces below it, so tier ``j`` runs at
  ``T_amb + R_sink sum_m q_m + R_tier sum_{i<j} sum_{m>i} q_m`` (powers per area ``q``);
* negative-binomial die yield ``(1 + A D0 / alpha)^(-alpha)`` (Poisson ``exp(-A D0)`` as
  ``alpha -> inf``); stacking: wafer-on-wafer ``Y_die^T Y_bond^(T-1)``, known-good die
  ``Y_bond^(T-1) (1 - escape)^T`` (paper notes sec. 6, after Dong, Zhao and Xie, IEEE TCAD
  29:1959, 2010);
* gross dies per wafer ``pi (d/2)^2 / A - pi d / sqrt(2 A)`` (the usual edge-loss form).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "bit_energy",
    "hop_energies",
    "tier_temperatures",
    "top_tier_temperature",
    "die_yield",
    "stack_yield_w2w",
    "stack_yield_kgd",
    "dies_per_wafer",
    "cost_per_good_chip",
]


def bit_energy(capacitance_ff, voltage, activity) -> np.ndarray:
    """Dynamic energy of one bit, ``a C V^2`` (pJ for C in fF: 1 fF V^2 = 1e-3 pJ)."""
    return np.asarray(activity) * np.asarray(capacitance_ff) * np.asarray(voltage) ** 2 * 1e-3


def hop_energies(tech, core_pitch_um) -> tuple[np.ndarray, np.ndarray]:
    """Lateral and vertical hop energy of one packet (pJ) at lateral core pitch ``core_pitch_um``.

    Lateral: router + ``packet_bits`` wires one core pitch long; vertical: router +
    ``packet_bits`` vias (see :mod:`mlcore.hardware.technology`).
    """
    bits, a, v = tech.packet_bits, tech.switching_activity, tech.supply_voltage
    wire = bits * bit_energy(tech.wire_capacitance * np.asarray(core_pitch_um), v, a)
    via = bits * bit_energy(tech.via_capacitance, v, a)
    lateral, vertical = np.broadcast_arrays(tech.router_energy + wire, tech.router_energy + via)
    return lateral, vertical


def tier_temperatures(power_density, sink_resistance, tier_resistance, ambient) -> np.ndarray:
    """Temperature of each tier (degC) of a stack, tier 1 on the heat sink (series model).

    Parameters
    ----------
    power_density : array_like, shape (..., T)
        Power per footprint area of each tier (W/cm^2), the last axis from the sink upward.
    sink_resistance, tier_resistance : float
        Thermal resistance times area of the sink path and of one tier interface (K cm^2/W).
    ambient : float
        Ambient temperature (degC).
    """
    q = np.asarray(power_density, dtype=float)
    above = np.cumsum(q[..., ::-1], axis=-1)[..., ::-1]  # power crossing below tier i: sum m>=i
    sink = sink_resistance * above[..., :1]
    interfaces = np.concatenate(
        [np.zeros_like(q[..., :1]), np.cumsum(tier_resistance * above[..., 1:], axis=-1)], axis=-1
    )
    return ambient + sink + interfaces


def top_tier_temperature(
    power_per_tier_density, tiers, sink_resistance, tier_resistance, ambient
) -> np.ndarray:
    """Hottest (top) tier temperature (degC) when every tier dissipates the same power density.

    Closed form of :func:`tier_temperatures` for equal tiers:
    ``T_amb + q (T R_sink + R_tier T (T - 1) / 2)``.
    """
    q = np.asarray(power_per_tier_density, dtype=float)
    t = np.asarray(tiers, dtype=float)
    return ambient + q * (t * sink_resistance + tier_resistance * t * (t - 1.0) / 2.0)


def die_yield(area_cm2, defect_density, clustering) -> np.ndarray:
    """Negative-binomial die yield ``(1 + A D0 / alpha)^(-alpha)`` (a probability)."""
    ad = np.asarray(area_cm2, dtype=float) * np.asarray(defect_density, dtype=float)
    return np.exp(-clustering * np.log1p(ad / clustering))


def stack_yield_w2w(die_yield_, tiers, bond_yield) -> np.ndarray:
    """Wafer-on-wafer stack yield ``Y_die^T Y_bond^(T-1)`` (no pre-bond test)."""
    t = np.asarray(tiers, dtype=float)
    return np.asarray(die_yield_) ** t * np.asarray(bond_yield) ** (t - 1.0)


def stack_yield_kgd(tiers, bond_yield, test_escape) -> np.ndarray:
    """Known-good-die stack yield ``Y_bond^(T-1) (1 - escape)^T`` for ``T >= 2``; 1 for one
    tier, whose final test is its only test (the 2D chip)."""
    t = np.asarray(tiers, dtype=float)
    stacked = np.asarray(bond_yield) ** (t - 1.0) * (1.0 - np.asarray(test_escape)) ** t
    return np.where(t > 1, stacked, 1.0)


def dies_per_wafer(area_mm2, wafer_diameter_mm) -> np.ndarray:
    """Gross dies per wafer ``pi (d/2)^2 / A - pi d / sqrt(2 A)`` (floored, at least 0)."""
    a = np.asarray(area_mm2, dtype=float)
    d = float(wafer_diameter_mm)
    return np.maximum(np.floor(np.pi * d * d / (4.0 * a) - np.pi * d / np.sqrt(2.0 * a)), 0.0)


def cost_per_good_chip(tech, tier_area_mm2, tiers) -> dict[str, np.ndarray]:
    """Die yield, stack yields and cost per good chip (USD) for wafer-on-wafer and known-good-die
    stacking of ``tiers`` dies of ``tier_area_mm2`` each.

    * W2W: ``[T c_die + (T-1) c_bond,w2w + c_test] / (Y_die^T Y_bond^(T-1))``;
    * KGD: ``[T (c_die + c_dtest) / Y_die + (T-1) c_bond,d2w + c_test] / Y_kgd`` for ``T >= 2``;
      for one tier both are the 2D cost ``(c_die + c_test) / Y_die``.
    """
    t = np.asarray(tiers, dtype=float)
    dpw = dies_per_wafer(tier_area_mm2, tech.wafer_diameter)
    if np.any(dpw < 1):
        raise ValueError(
            f"Technology.wafer_diameter: a tier of {float(np.max(tier_area_mm2)):.0f} mm^2 "
            f"does not fit a {tech.wafer_diameter:g} mm wafer"
        )
    c_die = tech.wafer_cost / dpw
    y_die = die_yield(
        np.asarray(tier_area_mm2) / 100.0, tech.defect_density, tech.defect_clustering
    )
    y_w2w = stack_yield_w2w(y_die, t, tech.bond_yield)
    y_kgd = stack_yield_kgd(t, tech.bond_yield, tech.test_escape)
    cost_w2w = (t * c_die + (t - 1.0) * tech.bond_cost_w2w + tech.stack_test_cost) / y_w2w
    kgd = (t * (c_die + tech.die_test_cost) / y_die + (t - 1.0) * tech.bond_cost_d2w
           + tech.stack_test_cost) / y_kgd  # fmt: skip
    cost_kgd = np.where(t > 1, kgd, (c_die + tech.stack_test_cost) / y_die)
    return {
        "die_yield": y_die,
        "yield_w2w": y_w2w,
        "yield_kgd": y_kgd * np.where(t > 1, 1.0, y_die),
        "die_cost": c_die,
        "cost_w2w": cost_w2w,
        "cost_kgd": cost_kgd,
    }
