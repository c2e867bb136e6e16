"""Demo of :mod:`mlcore.hardware`: 2D versus 3D integration of a spiking network.

``demo(out_dir)`` writes (in a few seconds) into ``out_dir`` (``validation.demo`` passes the
``hardware`` sub-folder of its output folder):

* ``hardware_tiers.png``: communication energy per spike, cost per good chip (known-good die
  and wafer on wafer) and top-tier temperature against tier count, TrueNorth's network;
* ``hardware_crossover.png``: energy per spike on T tiers over one tier, over network size and
  tier count, for uniform and Rent-weighted traffic (hybrid bonding);
* ``hardware_chips.md`` / ``hardware_chips.csv``: TrueNorth, Loihi and TrueNorth on 2 and 4
  tiers, our estimates beside the reported figures;
* ``hardware_grid.nc``: the (network size x tier count) grid behind the crossover map;

and prints the headline numbers (crossover network size, where heat and yield bite).
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import numpy as np

from ..records import atomic_write, write_text_atomic
from .chips import COLUMNS, comparison_table
from .figures import plot_crossover_map, plot_tiers, save
from .limits import crossover_network_size, heat_limited_tiers, yield_limited_tiers
from .model import evaluate
from .network import SpikingNetwork
from .technology import Technology

__all__ = ["demo", "sweep_sizes", "markdown_table"]

#: rates of the heat panel (Hz): TrueNorth's operating point and two busier workloads
HEAT_RATES = (20.0, 200.0, 1000.0)


def sweep_sizes(n: int = 100) -> np.ndarray:
    """The demo's and benchmark's network sizes: ``n`` sizes from 256 to 1.5e6 neurons."""
    return np.unique(np.round(np.geomspace(256, 1.5e6, n)).astype(np.int64))


def markdown_table(rows: list[dict]) -> str:
    """The comparison rows as a markdown table (columns of :data:`chips.COLUMNS`)."""
    lines = ["| " + " | ".join(h for _, h, _ in COLUMNS) + " |", "|" + " --- |" * len(COLUMNS)]
    for row in rows:
        lines.append("| " + " | ".join(fmt.format(row[key]) for key, _, fmt in COLUMNS) + " |")
    return "\n".join(lines) + "\n"


def _csv_table(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[key for key, _, _ in COLUMNS])
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _tier_figure(out_dir: Path) -> None:
    tiers = np.arange(1, 17)
    energy = {
        f"{traffic}, {via}": evaluate(
            SpikingNetwork(traffic=traffic), Technology.for_via(via), tiers=tiers, warn=False
        )
        for traffic in ("uniform", "rent")
        for via in ("hybrid_bond", "tsv")
    }
    cost = {
        f"D0 = {d0:g}/cm^2": evaluate(None, Technology(defect_density=d0), tiers=tiers)
        for d0 in (0.1, 0.3)
    }
    heat = {
        f"{rate:g} Hz": evaluate(SpikingNetwork(rate_hz=rate), tiers=np.arange(1, 33), warn=False)
        for rate in HEAT_RATES
    }
    for ds in heat.values():
        ds.attrs["temperature_limit"] = Technology().temperature_limit
    save(plot_tiers(energy, cost, heat), out_dir / "hardware_tiers.png")


def demo(out_dir: Path) -> None:
    """Write the figures, the comparison table and the grid to ``out_dir`` (see the module)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    sizes, tiers = sweep_sizes(), np.arange(1, 9)
    grids = {
        f"{traffic} traffic, hybrid bond": evaluate(
            SpikingNetwork(traffic=traffic), neurons=sizes, tiers=tiers, warn=False
        )
        for traffic in ("uniform", "rent")
    }
    save(plot_crossover_map(grids), out_dir / "hardware_crossover.png")
    _tier_figure(out_dir)
    plt.close("all")
    grid = grids["uniform traffic, hybrid bond"]
    grid = grid.assign(over_temperature=grid.over_temperature.astype("int8"))
    atomic_write(
        out_dir / "hardware_grid.nc",
        lambda tmp: grid.to_netcdf(tmp, engine="h5netcdf"),
        suffix=".nc",
    )
    rows = comparison_table()
    write_text_atomic(out_dir / "hardware_chips.md", markdown_table(rows))
    write_text_atomic(out_dir / "hardware_chips.csv", _csv_table(rows))
    for label, ds in grids.items():
        print(f"  {label}: 2 tiers beat 1 from {crossover_network_size(ds, 2)} neurons")
    for rate in HEAT_RATES:
        limit = heat_limited_tiers(SpikingNetwork(rate_hz=rate))
        print(f"  heat bites at {limit or '> 64'} tiers ({rate:g} Hz, TrueNorth's network)")
    print(f"  cheapest stack (known-good die): {yield_limited_tiers()} tiers")
    print(f"hardware demo: {time.perf_counter() - start:.1f} s, outputs in {out_dir}")
