"""Demo: a semi-Dirac conductance sweep over the thin-barrier strength, through the sweep machinery.

``demo(out_dir)`` plans the spec below, runs its chunks on a local process pool (the same chunks a
SLURM array would run), collects ``sweep.nc`` and draws G(eV, chi) as a map plus line cuts:
``out_dir/semidirac_thin_barrier.png`` (``make demo`` passes ``results/demo/sweeps``).
"""

from __future__ import annotations

from pathlib import Path

SPEC = """\
# Semi-Dirac NS junction, transport along the linear axis, thin barrier of strength chi.
computation = "semidirac.conductance"
name = "demo-semidirac-thin-barrier"

[parameters]
model = "semi-Dirac"
orientation = "linear"
mu = 10.0
gap = 1.0
barrier = "thin"
chi = {linspace = [0.0, 6.283185307179586, 25]}
bias = {linspace = [0.0, 2.0, 101]}
n_q = 128

[chunks]
size = 5

[slurm]
time = "00:10:00"
max_concurrent = 5
"""


def demo(out_dir) -> Path:
    """Run the demo sweep into ``out_dir``; returns the figure's path."""
    import numpy as np
    import xarray as xr
    from matplotlib.figure import Figure

    from .._io import save_figure
    from . import collect, plan, run

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    spec_path = out / "semidirac_thin_barrier.toml"
    spec_path.write_text(SPEC)
    sweep = plan(spec_path, out / "semidirac_thin_barrier.sweep")
    run(sweep, backend="processes", workers=2)
    with xr.open_dataset(collect(sweep)) as ds:
        g = ds["conductance"].load()
    # a Figure of its own: no global figure state, no backend choice (the entry point chooses)
    fig = Figure(figsize=(10, 4), constrained_layout=True)
    left, right = fig.subplots(1, 2)
    mesh = left.pcolormesh(g["bias"], g["chi"], g.values, shading="auto", cmap="viridis")
    fig.colorbar(mesh, ax=left, label="G_NS / G_NN")
    left.set(xlabel="eV / Delta", ylabel="chi", title="semi-Dirac NS junction, linear axis")
    # chi and chi + pi drawn solid and dashed: the thin-barrier conductance has period pi
    for chi, style in ((0.0, "-"), (np.pi, "--"), (np.pi / 2, "-"), (3 * np.pi / 2, "--")):
        cut = g.sel(chi=chi, method="nearest")
        right.plot(
            g["bias"],
            cut,
            style,
            lw=2.5 if style == "-" else 1.2,
            label=f"chi = {float(cut['chi']):.2f}",
        )
    right.set(xlabel="eV / Delta", ylabel="G_NS / G_NN", title="cuts at fixed barrier strength")
    right.legend(frameon=False)
    path = save_figure(fig, out / "semidirac_thin_barrier.png", dpi=110)
    print(f"sweep: {sweep.spec.n_points} points in {sweep.spec.n_chunks} chunks -> {path}")
    return path


if __name__ == "__main__":
    import matplotlib

    matplotlib.use("Agg")  # an entry point chooses the backend; the library functions never do
    demo(Path("results/demo/sweeps"))
