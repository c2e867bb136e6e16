"""
A parameter sweep planned and run locally
=========================================

:mod:`physcore.sweeps` turns a TOML spec into chunks that run as a SLURM job array or on local
processes; the chunks are the same either way, and ``collect`` merges them into one netCDF file
with the spec, the code version and the library versions. Here: the semi-Dirac conductance
over the thin-barrier strength chi, serially in a temporary folder (``plan`` also writes the
``sweep.sbatch`` that ``sbatch`` would take).
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import xarray as xr

from physcore import sweeps

SPEC = """
computation = "semidirac.conductance"
name = "gallery-thin-barrier"

[parameters]
model = "semi-Dirac"
orientation = "linear"
mu = 10.0
gap = 1.0
barrier = "thin"
chi = {linspace = [0.0, 3.141592653589793, 7]}
bias = {linspace = [0.0, 2.0, 41]}

[chunks]
size = 4
"""

folder = Path(tempfile.mkdtemp())
(folder / "spec.toml").write_text(SPEC)
sweep = sweeps.plan(folder / "spec.toml", folder / "run")
sweeps.run(sweep, backend="serial")
print(sweeps.status(sweep).summary())
with xr.open_dataset(sweeps.collect(sweep)) as ds:
    G = ds["conductance"].load()

fig, ax = plt.subplots(figsize=(6, 4))
for chi in G["chi"].values:
    ax.plot(G["bias"], G.sel(chi=chi), label=f"chi = {chi:.2f}")
ax.set_xlabel(r"eV / $\Delta$")
ax.set_ylabel(r"$G_{NS}/G_{NN}$")
ax.legend(fontsize=7)
fig.tight_layout()
