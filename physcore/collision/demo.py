"""Demo of :mod:`physcore.collision`: currents, local-approximation error, rectification.

``demo(out_dir)`` writes (in under a minute on one core):

* ``collision_vs_g.png`` / ``collision_vs_g.nc``: heat currents of the exact and local schemes and
  the local-approximation error (trace distance, relative current error) versus the inter-system
  coupling g, for exchange and for asymmetric (``sx ax`` on the left) system-bath coupling;
* ``collision_rectification.png`` / ``collision_rectification.nc`` (and ``_xxz.nc``): heat into
  each bath and the work, separately, in the forward and backward runs (cut at g = 1), and the
  rectification ratio R of the right bath over a 100 x 100 (g, temperature bias) grid shown
  only where the work is below 10% of the heat currents (where R means rectification): for the
  asymmetric non-conserving case (sx ax left, exchange right: nowhere, R near 1 is work) and
  for a work-free asymmetric XXZ case;
* ``collision_error_vs_correlations.png``: the local-approximation error against the discord and
  the mutual information of the exact steady state, and both against ``g tau`` with the regimes
  where they move together shaded (:mod:`.regimes`).

Parameters (ours; the paper's are not available): resonant XX qubits (w = 1), T_L = 2,
T_R = 0.5, J = 0.5, tau = 1 (the long-collision regime where the error is non-monotonic).
"""

from __future__ import annotations

import pathlib
import time

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from .._io import save_figure, write_netcdf
from .model import AncillaBath, CollisionModel, TwoQubitSystem
from .regimes import comovement_regimes
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
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    g = np.linspace(0.0, 8.0, 65)
    sweeps = _coupling_sweeps(g, out_dir)
    _plot_currents_and_error(g, sweeps, out_dir)
    g_map = np.linspace(0.03, 3.0, 100)
    bias = np.geomspace(0.05, 100.0, 100)
    rects = _rectification_data(g_map, bias, out_dir)
    _plot_rectification(rects, out_dir)
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
    fig = Figure(figsize=(11, 7))
    axes = fig.subplots(2, 2, sharex=True)
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


#: R is shown only where the work is below this fraction of the largest heat current: above
#: it, a "current" out of a bath is mostly work dumped into it, and R measures no diode
WORK_THRESHOLD = 0.1
#: the line cuts of the rectification figure are at this coupling
G_CUT = 1.0


def _rectification_models() -> dict:
    """The two rectification cases: the paper's (non-conserving, does work) and a work-free
    asymmetric one (XXZ qubits, exchange baths of different strengths, all resonant)."""
    xxz = CollisionModel(
        TwoQubitSystem(g=0.0, kind="xxz", anisotropy=3.0),
        AncillaBath(2.0, strength=1.0),
        AncillaBath(0.5, strength=0.3),
        tau=0.2,
    )
    return {
        "sigma_x_sigma_x": ("sx ax left, exchange right", _model("sigma_x_sigma_x", 0.2, 1.0)),
        "xxz": ("XXZ (anisotropy 3), exchange baths, J_R = 0.3", xxz),
    }


def _rectification_data(g_map: np.ndarray, bias: np.ndarray, out_dir: pathlib.Path) -> dict:
    """Stage 2: rectification maps of both cases, with the work fraction
    ``max |power| / max |current|`` and R kept only where that is below WORK_THRESHOLD
    (``ratio_right_rectification``, NaN elsewhere). Written as collision_rectification.nc
    (the sx ax case) and collision_rectification_xxz.nc."""
    out = {}
    for name, (_, model) in _rectification_models().items():
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
        rect["ratio_right_rectification"] = rect.ratio_right.where(
            rect.work_fraction < WORK_THRESHOLD
        )
        rect.attrs["work_threshold"] = WORK_THRESHOLD
        suffix = "" if name == "sigma_x_sigma_x" else f"_{name}"
        write_netcdf(rect, out_dir / f"collision_rectification{suffix}.nc")
        out[name] = rect
    return out


def _plot_heat_and_work(ax, rect, run: str, title: str) -> None:
    """Heat into each bath and the work, per unit time, against the bias at g = G_CUT."""
    cut = rect.sel(g=G_CUT, method="nearest")
    bias = cut.bias.values
    ax.plot(bias, -cut[f"current_left_{run}"], "C0-", label="heat into the left bath")
    ax.plot(bias, -cut[f"current_right_{run}"], "C1-", label="heat into the right bath")
    ax.plot(bias, cut[f"power_{run}"], "k--", label="work done (power)")
    ax.axhline(0.0, color="0.7", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("temperature bias T_h - T_c (T_c = 0.5)")
    ax.set_ylabel("energy per unit time")
    ax.set_title(f"{title}, g = {float(cut.g):.2f}", fontsize=9)
    ax.legend(fontsize=7)


def _plot_ratio(fig, ax, rect) -> None:
    """R of the right bath where the work is below WORK_THRESHOLD of the currents, else blank."""
    r = rect.ratio_right_rectification
    shown = np.isfinite(r.values)
    ax.set_xscale("log")
    ax.set_xlabel("temperature bias T_h - T_c (T_c = 0.5)")
    ax.set_ylabel("g")
    ax.set_title("R = |J_f + J_b| / max(|J_f|, |J_b|), right bath", fontsize=9)
    if shown.any():
        mesh = ax.pcolormesh(rect.bias, rect.g, r, shading="auto", norm=LogNorm())
        fig.colorbar(mesh, ax=ax)
    else:
        ax.set_xlim(float(rect.bias.min()), float(rect.bias.max()))
        ax.set_ylim(float(rect.g.min()), float(rect.g.max()))
        ax.text(
            0.5,
            0.5,
            f"R not shown: the work is at least {float(rect.work_fraction.min()):.2f} of\n"
            f"the largest heat current everywhere (threshold {WORK_THRESHOLD:g}),\n"
            "so R measures no rectification here",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=8,
        )


def _plot_rectification(rects: dict, out_dir: pathlib.Path) -> None:
    """Figure of stage 2: per case, heat into each bath and the work in the forward (left hot)
    and backward (right hot) runs, and R only where it means rectification."""
    fig = Figure(figsize=(15, 8.5))
    axes = fig.subplots(2, 3)
    for row, (name, (label, _)) in enumerate(_rectification_models().items()):
        rect = rects[name]
        _plot_heat_and_work(axes[row, 0], rect, "forward", f"{label}: left bath hot")
        _plot_heat_and_work(axes[row, 1], rect, "backward", f"{label}: right bath hot")
        _plot_ratio(fig, axes[row, 2], rect)
    r_xxz = float(np.nanmax(rects["xxz"].ratio_right_rectification))
    fig.suptitle(
        "Rectification, tau = 0.2. Top: both baths receive heat, supplied by switching work "
        "(R near 1 there is the work, not a diode). "
        f"Bottom: no work, and R <= {r_xxz:.1e}"
    )
    fig.tight_layout()
    save_figure(fig, out_dir / "collision_rectification.png")


def _plot_regimes(ax) -> None:
    """Error and discord (each over its peak) against g tau for exchange baths, on a grid that
    resolves g < gamma / 2, the stretches where they move together shaded
    (:func:`.regimes.comovement_regimes`)."""
    model = _model("exchange")
    tau, gamma = model.tau, model.rates[0]
    g = np.concatenate([np.geomspace(0.02 * gamma, 0.9 * gamma, 10), np.linspace(0.25, 8.0, 63)])
    ds = coupling_sweep(model, g, progress=False)
    d, q = ds.trace_distance.values, ds.discord.values
    for r in comovement_regimes(g, d, q):
        if r.together:
            ax.axvspan(r.g_start * tau, r.g_end * tau, color="C2", alpha=0.15, lw=0)
    ax.plot(g * tau, d / d.max(), "k-", label="trace distance / peak")
    ax.plot(g * tau, q / q.max(), "C3-", label="discord / peak")
    ax.axvline(gamma / 2 * tau, color="0.5", ls=":", lw=1, label="g = gamma / 2 = J^2 tau / 2")
    for k in (1, 2):
        ax.axvline(k * np.pi, color="0.8", ls="--", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("g tau (dashed: pi, 2 pi)")
    ax.set_title("exchange baths: shaded where error and discord move together", fontsize=9)
    ax.legend(fontsize=7)


def _plot_error_vs_correlations(g: np.ndarray, sweeps: dict, out_dir: pathlib.Path) -> None:
    """Stage 3: the local-approximation error against the exact state's correlations."""
    fig = Figure(figsize=(16, 4.5))
    axes = fig.subplots(1, 3)
    _plot_regimes(axes[2])
    for ax, measure in zip(axes[:2], ("discord", "mutual_information")):
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
    fig.colorbar(sc, ax=axes[:2], label="g")
    fig.suptitle("Local-approximation error versus inter-qubit correlations (tau = 1, J = 0.5)")
    save_figure(fig, out_dir / "collision_error_vs_correlations.png")


if __name__ == "__main__":
    import matplotlib

    matplotlib.use("Agg")  # an entry point chooses the backend; the library functions never do
    demo(pathlib.Path("results/demo"))
