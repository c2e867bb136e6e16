"""Where stacking stops paying: the crossover network size, and the tier counts where heat and
yield bite, read off :func:`mlcore.hardware.evaluate` grids."""

from __future__ import annotations

import numpy as np
import xarray as xr

from .model import evaluate
from .network import SpikingNetwork
from .technology import Technology

__all__ = ["crossover_network_size", "heat_limited_tiers", "yield_limited_tiers", "MAX_TIERS"]

#: the tallest stack the limit searches consider
MAX_TIERS = 64


def crossover_network_size(
    ds: xr.Dataset, tiers: int = 2, variable: str = "energy_per_spike"
) -> int | None:
    """Smallest network size of the grid from which on ``tiers`` tiers beat one tier.

    ``ds`` is an :func:`evaluate` result holding ``tiers`` and 1 on its ``tiers`` axis. Returns
    the smallest ``neurons`` value ``N`` such that ``variable`` on ``tiers`` tiers is below its
    one-tier value for every grid size ``>= N`` (the mesh sides are integers, so the ratio is
    not monotonic in ``N`` at small sizes), or None when the largest size does not gain.
    """
    for t in (1, tiers):
        if t not in ds.tiers.values:
            raise ValueError(f"tiers: the dataset has no tier count {t}; it has {ds.tiers.values}")
    ratio = (ds[variable].sel(tiers=tiers) / ds[variable].sel(tiers=1)).values
    gains = ratio < 1.0
    if not gains[-1]:
        return None
    losing = np.flatnonzero(~gains)
    first = 0 if losing.size == 0 else losing[-1] + 1
    return int(ds.neurons.values[first])


def _tier_sweep(network, technology, max_tiers) -> xr.Dataset:
    if not isinstance(max_tiers, int) or not 1 <= max_tiers <= MAX_TIERS:
        raise ValueError(f"max_tiers must be an integer in [1, {MAX_TIERS}]; got {max_tiers!r}")
    return evaluate(network, technology, tiers=np.arange(1, max_tiers + 1), warn=False)


def heat_limited_tiers(
    network: SpikingNetwork | None = None,
    technology: Technology | None = None,
    *,
    max_tiers: int = MAX_TIERS,
) -> int | None:
    """Smallest tier count whose top tier runs above the temperature limit (None: none up to
    ``max_tiers``). The network is split evenly over the tiers, so its power density per
    footprint grows about linearly with the tier count."""
    ds = _tier_sweep(network, technology, max_tiers).isel(neurons=0)
    hot = np.flatnonzero(ds.over_temperature.values)
    return int(ds.tiers.values[hot[0]]) if hot.size else None


def yield_limited_tiers(
    network: SpikingNetwork | None = None,
    technology: Technology | None = None,
    *,
    stacking: str = "kgd",
    max_tiers: int = MAX_TIERS,
) -> int:
    """Tier count with the lowest cost per good chip (``stacking`` ``"kgd"`` or ``"w2w"``):
    beyond it, bond yield, test escapes and bonding cost outgrow the yield gained by smaller
    dies."""
    if stacking not in ("kgd", "w2w"):
        raise ValueError(f"stacking must be 'kgd' or 'w2w'; got {stacking!r}")
    ds = _tier_sweep(network, technology, max_tiers).isel(neurons=0)
    return int(ds.tiers.values[int(np.argmin(ds[f"cost_{stacking}"].values))])
