"""Figures of the hardware model: quantities against tiers, and the 2D/3D crossover map.

Each function takes :func:`mlcore.hardware.evaluate` datasets and returns a matplotlib Figure;
:func:`save` writes one atomically (:func:`mlcore.records.atomic_write`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from ..records import atomic_write

__all__ = ["plot_tiers", "plot_crossover_map", "save"]


def save(figure, path: str | Path, *, dpi: int = 120) -> Path:
    """Save ``figure`` to ``path`` atomically (the format follows the suffix)."""
    return atomic_write(path, lambda tmp: figure.savefig(tmp, dpi=dpi), suffix=Path(path).suffix)


def _label(da: xr.DataArray) -> str:
    return f"{da.attrs['long_name']} ({da.attrs['units']})"


def plot_tiers(
    energy: dict[str, xr.Dataset], cost: dict[str, xr.Dataset], heat: dict[str, xr.Dataset]
):
    """Three panels against tier count: communication energy per spike (one line per labelled
    dataset of ``energy``), cost per good chip (KGD solid, W2W dashed, per dataset of
    ``cost``) and top-tier temperature with its limit (per dataset of ``heat``). Every dataset
    holds one network size."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.4), layout="constrained")
    for label, ds in energy.items():
        row = ds.isel(neurons=0)
        axes[0].plot(row.tiers, row.energy_per_spike, "o-", label=label)
    axes[0].set_ylabel(_label(ds.energy_per_spike))
    axes[0].set_title(f"{int(ds.neurons[0]):,} neurons")
    for (label, ds), color in zip(cost.items(), ("C0", "C1", "C2", "C3")):
        row = ds.isel(neurons=0)
        axes[1].plot(row.tiers, row.cost_kgd, "o-", color=color, label=f"{label}, known-good die")
        axes[1].plot(row.tiers, row.cost_w2w, "s--", color=color, label=f"{label}, wafer on wafer")
        best = int(row.tiers[int(np.argmin(row.cost_kgd.values))])
        axes[1].axvline(best, color=color, lw=0.6, ls=":")
    axes[1].set_ylabel(_label(ds.cost_kgd).replace(", known-good-die stacking", ""))
    axes[1].set_title("cost per good chip (dotted: cheapest tier count)")
    for label, ds in heat.items():
        row = ds.isel(neurons=0)
        axes[2].plot(row.tiers, row.temperature_top, ".-", label=label)
    limit = float(ds.attrs.get("temperature_limit", np.nan))
    if np.isfinite(limit):
        axes[2].axhline(limit, color="k", ls="--", lw=0.8, label="limit")
    axes[2].set_ylabel(_label(ds.temperature_top))
    axes[2].set_title("series thermal model")
    for ax in axes:
        ax.set_xlabel("tiers")
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    return fig


def plot_crossover_map(grids: dict[str, xr.Dataset], variable: str = "energy_per_spike"):
    """``variable`` on T tiers over its one-tier value, over (network size, tiers); one panel
    per labelled dataset, the ratio-1 contour drawn (3D pays to its right)."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import TwoSlopeNorm

    fig, axes = plt.subplots(1, len(grids), figsize=(6 * len(grids), 4.4), layout="constrained")
    axes = np.atleast_1d(axes)
    for ax, (label, ds) in zip(axes, grids.items()):
        ratio = (ds[variable] / ds[variable].sel(tiers=1)).transpose("tiers", "neurons")
        mesh = ax.pcolormesh(
            ds.neurons, ds.tiers, ratio, cmap="RdBu_r", norm=TwoSlopeNorm(1.0), shading="nearest"
        )
        ax.contour(ds.neurons, ds.tiers, ratio, levels=[1.0], colors="k", linewidths=1.0)
        ax.set_xscale("log")
        ax.set_xlabel(_label(ds.neurons))
        ax.set_ylabel("tiers")
        ax.set_title(label)
        fig.colorbar(mesh, ax=ax, label=f"{ds[variable].attrs['long_name']}: T tiers / 1 tier")
    return fig
