"""Headline figures for semi-Dirac NS junctions, with their data (semi-Dirac paper: H. Li,
X. Hu, G. Ouyang, arXiv:2101.01333).

``demo(out_dir)`` writes, atomically (temporary file then ``os.replace``):

* ``semidirac_conductance.png`` / ``.nc``: G_NS/G_NN versus eV for transport along the linear and
  the quadratic axis, at several delta-barrier strengths Z and two Fermi energies.
* ``semidirac_barrier.png`` / ``.nc``: G versus barrier strength at fixed bias, both orientations.
* ``semidirac_andreev_angle.png`` / ``.nc``: reflected-hole angle versus incidence angle below
  and above eV = mu_N (retro: negative slope, specular: positive slope).
* ``semidirac_pseudospin.png`` / ``.nc``: pseudo-spin <sigma_x, sigma_y> of the incoming electrons
  and Andreev-reflected holes along the Fermi contour, both orientations.

Parameters (hbar = 1): SemiDirac(mass=1, velocity=1, delta=0), gap = 1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

from .._io import provenance, save_figure, write_netcdf
from . import barriers
from .junction import NSJunction
from .models import SemiDirac

__all__ = ["demo"]

MODEL = SemiDirac(mass=1.0, velocity=1.0, delta=0.0)
ORIENTATIONS = ("linear", "quadratic")
GAP = 1.0


def _save(fig, data: xr.Dataset, out_dir: Path, stem: str) -> None:
    data.attrs.update(
        {
            "model": "semi-Dirac, mass=1, velocity=1, delta=0",
            **provenance("scipy", "numba", "xarray"),
        }
    )
    write_netcdf(data, out_dir / f"{stem}.nc")
    save_figure(fig, out_dir / f"{stem}.png")


def conductance_curves(out_dir: Path) -> None:
    # 120 points (steps of 3/119): none exactly at eV = gap, where the coherence peak behind a
    # barrier is narrower than the solver resolves (conductance would warn there)
    bias = np.linspace(0.0, 3.0, 120)
    zs = [0.0, 0.5, 1.0, 2.0]
    mus = [0.5, 10.0]
    values = np.empty((len(ORIENTATIONS), len(mus), len(zs), bias.size))
    fig = Figure(figsize=(10, 7.5), layout="constrained")
    axes = fig.subplots(2, 2, sharex=True)
    for a, orientation in enumerate(ORIENTATIONS):
        for m, mu in enumerate(mus):
            ax = axes[a, m]
            for z, Z in enumerate(zs):
                junction = NSJunction(MODEL, orientation, mu=mu, gap=GAP,
                                      barrier=barriers.DeltaBarrier(Z))  # fmt: skip
                values[a, m, z] = junction.conductance(bias, n_q=160).values
                ax.plot(bias, values[a, m, z], label=f"Z = {Z:g}")
            if mu < bias[-1]:
                ax.axvline(mu, color="0.6", ls=":", lw=1)
            ax.set_title(f"{orientation} axis, $\\mu_N$ = {mu:g} $\\Delta$")
            ax.set_ylabel("$G_{NS}/G_{NN}$")
            ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("eV / $\\Delta$")
    axes[0, 0].legend()
    fig.suptitle("Differential conductance, semi-Dirac NS junction (U0 = 0)")
    data = xr.Dataset(
        {"conductance": (("orientation", "mu", "Z", "bias"), values)},
        coords={"orientation": list(ORIENTATIONS), "mu": mus, "Z": zs, "bias": bias},
        attrs={"normalize": "normal", "gap": GAP, "U0": 0.0, "barrier": "DeltaBarrier"},
    )
    _save(fig, data, out_dir, "semidirac_conductance")


def barrier_dependence(out_dir: Path) -> None:
    strengths = np.linspace(0.0, 3 * np.pi, 73)
    biases = [0.0, 0.5]
    values = np.empty((len(ORIENTATIONS), len(biases), strengths.size))
    for a, orientation in enumerate(ORIENTATIONS):
        for i, s in enumerate(strengths):
            junction = NSJunction(MODEL, orientation, mu=10.0, gap=GAP,
                                  barrier=barriers.DeltaBarrier(s))  # fmt: skip
            values[a, :, i] = junction.conductance(biases, n_q=96).values
    fig = Figure(figsize=(8, 4.8), layout="constrained")
    ax = fig.subplots()
    for a, orientation in enumerate(ORIENTATIONS):
        for b, eV in enumerate(biases):
            ax.plot(strengths, values[a, b], ls="-" if a == 0 else "--",
                    label=f"{orientation} axis, eV = {eV:g} $\\Delta$")  # fmt: skip
    for k in range(1, 4):
        ax.axvline(k * np.pi, color="0.7", lw=0.8, ls=":")
    ax.set_xlabel("barrier strength Z (= $\\chi$ along the linear axis)")
    ax.set_ylabel("$G_{NS}/G_{NN}$")
    ax.set_title("Linear axis: $\\pi$-periodic, no decay; quadratic axis: resonance, then decay")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    data = xr.Dataset(
        {"conductance": (("orientation", "bias", "Z"), values)},
        coords={"orientation": list(ORIENTATIONS), "bias": biases, "Z": strengths},
        attrs={"normalize": "normal", "mu": 10.0, "gap": GAP, "U0": 0.0},
    )
    _save(fig, data, out_dir, "semidirac_barrier")


def _sweep(orientation, energy, mu, U0, n=61, hole_window=False):
    """Scattering along the electron Fermi contour (or only where the hole propagates)."""
    junction = NSJunction(MODEL, orientation, mu=mu, gap=GAP, U0=U0)
    q_max = MODEL.fermi_q_extent([mu + energy], junction.theta)[0, 0]
    if hole_window:
        q_max = min(q_max, MODEL.fermi_q_extent([mu - energy], junction.theta)[0, 0])
    rows = []
    for q in np.linspace(-0.97, 0.97, n) * q_max:
        res = junction.scattering(energy, q)
        holes = [j for j, s in enumerate(res.reflected_species)
                 if s == "hole" and res.reflected_propagating[j]]  # fmt: skip
        hole = max(holes, key=lambda j: abs(res.reflection_amplitude[0, j])) if holes else None
        spin_h = res.pseudospin_reflected[hole] if hole is not None else np.full(3, np.nan)
        rows.append((
            q, res.incoming_momentum[0], res.incidence_angle[0],
            res.reflection_angle[hole] if hole is not None else np.nan,
            res.andreev_probability[0],
            res.reflected_momentum[hole].real if hole is not None else np.nan,
            *res.pseudospin_incoming[0], *spin_h,
        ))  # fmt: skip
    return np.array(rows)


_NAMES = ["q", "k_in", "incidence_angle", "reflection_angle", "andreev_probability", "k_hole",
          "sx_in", "sy_in", "sz_in", "sx_hole", "sy_hole", "sz_hole"]  # fmt: skip


def andreev_angles(out_dir: Path) -> None:
    mu, U0 = 0.5, 20.0
    energies = [0.3, 0.7]  # below and above eV = mu_N
    table = np.array([[_sweep(o, e, mu, U0, hole_window=True) for e in energies]
                      for o in ORIENTATIONS])  # fmt: skip
    fig = Figure(figsize=(10, 4.5), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    for a, orientation in enumerate(ORIENTATIONS):
        ax = axes[a]
        for e, energy in enumerate(energies):
            rows = table[a, e]
            kind = "eV < $\\mu_N$" if energy < mu else "eV > $\\mu_N$"
            ax.plot(np.degrees(rows[:, 2]), np.degrees(rows[:, 3]), "o-", ms=3,
                    label=f"eV = {energy:g} $\\Delta$ ({kind})")  # fmt: skip
        lim = np.degrees(np.nanmax(np.abs(table[a, :, :, 2])))
        ax.plot([-lim, lim], [-lim, lim], color="0.6", lw=0.8, ls="--", label="specular (y = x)")
        ax.plot([-lim, lim], [lim, -lim], color="0.6", lw=0.8, ls=":", label="retro (y = -x)")
        ax.set_xlabel("incidence angle of the electron (deg)")
        ax.set_title(f"{orientation} axis, $\\mu_N$ = {mu:g} $\\Delta$, $U_0$ = {U0:g} $\\Delta$")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("reflection angle of the Andreev hole (deg)")
    axes[0].legend(fontsize=8)
    data = xr.Dataset(
        {n: (("orientation", "bias", "mode"), table[..., i]) for i, n in enumerate(_NAMES)},
        coords={"orientation": list(ORIENTATIONS), "bias": energies},
        attrs={"mu": mu, "gap": GAP, "U0": U0, "angles": "radians, group-velocity directions"},
    )
    _save(fig, data, out_dir, "semidirac_andreev_angle")


def pseudospin(out_dir: Path) -> None:
    mu, U0, energy = 0.5, 20.0, 0.3
    table = np.array([[_sweep(o, energy, mu, U0)] for o in ORIENTATIONS])
    data = xr.Dataset(
        {n: (("orientation", "bias", "mode"), table[..., i]) for i, n in enumerate(_NAMES)},
        coords={"orientation": list(ORIENTATIONS), "bias": [energy]},
        attrs={"mu": mu, "gap": GAP, "U0": U0, "pseudospin": "<sigma> of the orbital part"},
    )
    fig = Figure(figsize=(10, 4.8), layout="constrained")
    axes = fig.subplots(1, 2)
    for a, orientation in enumerate(ORIENTATIONS):
        ax = axes[a]
        d = data.isel(orientation=a, bias=0)
        ax.quiver(d.k_in, d.q, d.sx_in, d.sy_in, color="C0", angles="xy", scale=14, width=0.004,
                  label="incoming electron")  # fmt: skip
        ax.quiver(d.k_hole, d.q, d.sx_hole, d.sy_hole, color="C3", angles="xy", scale=14,
                  width=0.004, label="Andreev hole")  # fmt: skip
        ax.set_xlabel("$k_x$")
        ax.set_ylabel("$q = k_y$")
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_title(f"{orientation} axis: pseudo-spin ($\\sigma_x$, $\\sigma_y$), eV = 0.3")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower left")
    _save(fig, data.isel(bias=0), out_dir, "semidirac_pseudospin")


def demo(out_dir: Path) -> None:
    """Write the semi-Dirac headline figures and their netCDF data into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    conductance_curves(out_dir)
    barrier_dependence(out_dir)
    andreev_angles(out_dir)
    pseudospin(out_dir)
