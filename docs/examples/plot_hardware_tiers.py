"""
Hardware model: what stacking a neuromorphic chip buys
======================================================

:mod:`mlcore.hardware` puts a spiking network on a chip of one or more tiers and returns
energy, latency, temperature, yield and cost as a labelled xarray Dataset with units. Here:
communication energy per spike and cost per good chip against the tier count for a
TrueNorth-sized network (one million neurons), with TrueNorth's cited defaults.
"""

import matplotlib.pyplot as plt
import numpy as np

from mlcore.hardware import evaluate

# the default network and technology: TrueNorth's operating point, hybrid bonding
grid = evaluate(neurons=[2**20], tiers=np.arange(1, 9)).sel(neurons=2**20)

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
left.plot(grid.tiers, grid.energy_per_spike, "o-")
left.set_ylabel(f"{grid.energy_per_spike.long_name} ({grid.energy_per_spike.units})")
right.plot(grid.tiers, grid.cost_kgd, "o-", label="known-good die")
right.plot(grid.tiers, grid.cost_w2w, "s--", label="wafer on wafer")
right.set_ylabel(f"cost per good chip ({grid.cost_kgd.units})")
right.legend()
for ax in (left, right):
    ax.set_xlabel("tiers")
fig.tight_layout()
