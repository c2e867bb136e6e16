"""Demo of :mod:`physcore.collision`: currents, local-approximation error, rectification.

``demo(out_dir)`` writes (in under a minute on one core):

* ``collision_vs_g.png`` / ``collision_vs_g.nc``: heat currents of the exact and local schemes and
  the local-approximation error (trace distance, relative current error) versus the inter-system
  coupling g, for exchange and for asymmetric (``sx ax`` on the left) system-bath coupling;
* ``collision_rectification.png`` / ``collision_rectification.nc``: the rectification ratio of the
  right bath and the work fraction over a 100 x 100 (g, temperature bias) grid, asymmetric case;
* ``collision_error_vs_correlations.png``: the local-approximation error against the discord and
  the mutual information of the exact steady state.

Parameters (ours; the paper's are not available): resonant XX qubits (w = 1), T_L = 2,
T_R = 0.5, J = 0.5, tau = 1 (the long-collision regime where the error is non-monotonic).
"""

from __future__ import annotations

import pathlib
import time

import numpy as np

from .._io import save_figure, write_netcdf
from .model import AncillaBath, CollisionModel, TwoQubitSystem
from .sweeps import coupling_sweep, rectification_map

__all__ = ["demo"]

KINDS = {"exchange": "exchange both sides", "sigma_x_sigma_x": "sx ax left, exchange right"}


def _model(left: str, tau: float = 1.0, strength: float = 0.5) -> CollisionModel:
    return CollisionModel(
        TwoQubitSystem(g=0.0),
        AncillaBath(2.0, coupling=left, strength=strength),
        AncillaBath(0.5, coupling="exchange", strength=strength),
        tau=tau,
    )


def demo(out_dir: pathlib.Path) -> None:
    """Write the collision-model figures and data to ``out_dir`` (see the module docstring)."""
    import matplotlib

    matplotlib.use("Agg")

    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    g = np.linspace(0.0, 8.0, 65)
    sweeps = _coupling_sweeps(g, out_dir)
    _plot_currents_and_error(g, sweeps, out_dir)
    g_map = np.linspace(0.03, 3.0, 100)
    bias = np.geomspace(0.05, 100.0, 100)
    rect = _rectification_data(g_map, bias, out_dir)
    _plot_rectification(rect, g_map, bias, out_dir)
    _plot_error_vs_correlations(g, sweeps, out_dir)
    print(f"collision demo: {time.perf_counter() - start:.1f} s, outputs in {out_dir}")


def _coupling_sweeps(g: np.ndarray, out_dir: pathlib.Path) -> dict:
    """Stage 1: currents and local-approximation error versus g, per coupling kind (written)."""
    import xarray as xr

    sweeps = {kind: coupling_sweep(_model(kind), g, progress=True) for kind in KINDS}
    combined = xr.concat([sweeps[k] for k in KINDS], dim=xr.DataArray(list(KINDS), dims="kind"))
    write_netcdf(combined, out_dir / "collision_vs_g.nc")
    return sweeps


def _plot_currents_and_error(g: np.ndarray, sweeps: dict, out_dir: pathlib.Path) -> None:
    """Figure of stage 1: heat currents (top row) and the local-approximation error (bottom)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex=True)
    for col, kind in enumerate(KINDS):
        ds = sweeps[kind]
        ax = axes[0, col]
        for scheme, style in (("exact", "-"), ("local", "--")):
            ax.plot(g, ds[f"current_left_{scheme}"], "C0" + style, label=f"J_L {scheme}")
            ax.plot(g, ds[f"current_right_{scheme}"], "C1" + style, label=f"J_R {scheme}")
            ax.plot(g, ds[f"power_{scheme}"], "C2" + style, label=f"power {scheme}")
        ax.axhline(0.0, color="0.7", lw=0.8)
        ax.set_title(f"{KINDS[kind]}: steady heat currents")
        ax.set_ylabel("current (energy / time)")
        ax.legend(fontsize=7, ncol=3)
        ax = axes[1, col]
        ax.semilogy(g[1:], ds.trace_distance[1:], "k-", label="trace distance local vs exact")
        ax.semilogy(g[1:], ds.relative_current_error[1:], "C3:", label="rel. error of J_L")
        for k in range(1, 3):
            ax.axvline(k * np.pi / ds.attrs["tau"], color="0.8", lw=0.8, ls="--")
        ax.set_xlabel("inter-system coupling g")
        ax.set_ylabel("local-approximation error")
        ax.set_title("error, log scale (dashed lines: g tau = k pi)")
        ax.legend(fontsize=8)
    fig.suptitle("Collision model, tau = 1, J = 0.5, T_L = 2, T_R = 0.5")
    fig.tight_layout()
    save_figure(fig, out_dir / "collision_vs_g.png")
    plt.close(fig)


def _rectification_data(g_map: np.ndarray, bias: np.ndarray, out_dir: pathlib.Path):
    """Stage 2: rectification map of the asymmetric non-conserving case, with the work
    fraction max |power| / max |current| (written)."""
    model = _model("sigma_x_sigma_x", tau=0.2, strength=1.0)
    rect = rectification_map(model, g_map, bias)
    current = np.maximum.reduce(
        [
            np.abs(rect[f"current_{s}_{r}"])
            for s in ("left", "right")
            for r in ("forward", "backward")
        ]
    )
    power = np.maximum(np.abs(rect.power_forward), np.abs(rect.power_backward))
    rect["work_fraction"] = power / current
    write_netcdf(rect, out_dir / "collision_rectification.nc")
    return rect


def _plot_rectification(rect, g_map: np.ndarray, bias: np.ndarray, out_dir: pathlib.Path) -> None:
    """Figure of stage 2: rectification ratio of the right bath and the work fraction."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for ax, var, label in (
        (axes[0], "ratio_right", "R = |J_f + J_b| / max(|J_f|, |J_b|), right bath"),
        (axes[1], "work_fraction", "max |power| / max |current|"),
    ):
        mesh = ax.pcolormesh(bias, g_map, rect[var], shading="auto")
        fig.colorbar(mesh, ax=ax)
        ax.set_xscale("log")
        ax.set_xlabel("temperature bias T_h - T_c (T_c = 0.5)")
        ax.set_ylabel("g")
        ax.set_title(label, fontsize=10)
    levels = axes[0].contour(
        bias, g_map, rect.ratio_right, levels=[1.01, 1.1], colors="w", linewidths=0.8
    )
    axes[0].clabel(levels, fmt="R = %.2f", fontsize=7)
    fig.suptitle("sx ax left / exchange right, tau = 0.2, J = 1: R -> 1 is switching work")
    fig.tight_layout()
    save_figure(fig, out_dir / "collision_rectification.png")
    plt.close(fig)


def _plot_error_vs_correlations(g: np.ndarray, sweeps: dict, out_dir: pathlib.Path) -> None:
    """Stage 3: the local-approximation error against the exact state's correlations."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for ax, measure in zip(axes, ("discord", "mutual_information")):
        for marker, kind in zip("os", KINDS):
            ds = sweeps[kind]
            sc = ax.scatter(
                ds[measure],
                ds.trace_distance,
                c=g,
                marker=marker,
                s=18,
                cmap="viridis",
                label=KINDS[kind],
            )
        ax.set_xlabel(f"{measure.replace('_', ' ')} of the exact steady state (bits)")
        ax.set_ylabel("trace distance local vs exact")
        ax.legend(fontsize=8)
    fig.colorbar(sc, ax=axes, label="g")
    fig.suptitle("Local-approximation error versus inter-qubit correlations (tau = 1, J = 0.5)")
    save_figure(fig, out_dir / "collision_error_vs_correlations.png")
    plt.close(fig)


if __name__ == "__main__":
    demo(pathlib.Path("results/demo"))
