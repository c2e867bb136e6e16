"""Convergence of the kwant lattice conductance to the continuum solver's, with its figure.

:func:`convergence_study` runs :func:`~physcore.semidirac.kwant_crosscheck.kwant_conductance`
at several lattice spacings beside ``NSJunction.conductance`` on the same transverse
quadrature; :func:`plot_convergence` draws it. Both are importable from
:mod:`physcore.semidirac.kwant_crosscheck` as well.
"""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from ..solvers.common import resolve_n_q

__all__ = ["convergence_study", "plot_convergence"]


def convergence_study(
    junction,
    bias,
    lattice_spacings,
    *,
    n_q: int = 48,
    n_modes: int | None = None,
    progress: bool = True,
    **build_options,
) -> xr.Dataset:
    """G(eV) from kwant at several lattice spacings next to the continuum solver's G(eV).

    Parameters
    ----------
    junction : NSJunction
    bias : array_like, shape (n_bias,)
        eV (energy units), strictly increasing.
    lattice_spacings : array_like, shape (n_spacing,)
        Spacings a > 0 of the "continuum" lattice (length units).
    n_q : int
        Transverse quadrature of both solvers (the same nodes, so only the lattice differs);
        ``n_modes`` is its deprecated name.

    Returns
    -------
    xarray.Dataset
        ``conductance_kwant`` (lattice_spacing, bias), ``conductance_continuum`` (bias) and on a
        201-point grid ``conductance_continuum_fine`` (bias_fine),
        ``deviation`` = |G_kwant - G_continuum| in G_N (lattice_spacing, bias) and
        ``max_deviation`` and ``fermi_momentum_times_spacing`` (k_x a, lattice_spacing);
        attrs: the junction, ``n_q``, timings, the
        solver, and the empirical order of convergence ``observed_order`` (log-log slope of
        ``max_deviation`` between the two finest spacings).
    """
    import time

    n_q, _ = resolve_n_q(n_q, n_modes)
    spacings = np.sort(np.atleast_1d(np.asarray(lattice_spacings, dtype=float)))[::-1]
    if spacings.size == 0 or not np.all(np.isfinite(spacings) & (spacings > 0)):
        raise ValueError(f"lattice_spacings must be finite lengths > 0, got {lattice_spacings!r}")
    start = time.perf_counter()
    continuum = junction.conductance(bias, n_q=n_q)
    t_continuum = time.perf_counter() - start
    start = time.perf_counter()
    rows = _kwant_rows(junction, continuum.bias.values, spacings, n_q, progress, build_options)
    t_kwant = time.perf_counter() - start
    lattice = xr.concat(rows, dim=xr.DataArray(spacings, dims="lattice_spacing"))
    deviation = np.abs(lattice - continuum)
    max_dev = deviation.max("bias")
    dense = _continuum_fine(junction, continuum, n_q)
    ds = _study_dataset(continuum, dense, lattice, deviation, max_dev, spacings, rows)
    ds.attrs.update(
        {
            "title": "kwant lattice vs continuum NS conductance",
            "n_q": int(n_q),
            "observed_order": _observed_order(spacings, max_dev),
            "continuum_seconds": t_continuum,
            "kwant_seconds": t_kwant,
            **_provenance_attrs(continuum, rows),
        }
    )
    return ds


def _kwant_rows(junction, bias, spacings, n_q: int, progress: bool, build_options) -> list:
    """kwant G(eV) at each spacing, without the LatticeSpacingWarning: a convergence study
    starts coarse on purpose, and k a is recorded per spacing instead."""
    from ..kwant_crosscheck import LatticeSpacingWarning, kwant_conductance

    rows = []
    for a in tqdm(spacings, desc="kwant convergence", disable=not progress):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LatticeSpacingWarning)
            rows.append(
                kwant_conductance(
                    junction,
                    bias,
                    lattice_spacing=float(a),
                    n_q=n_q,
                    progress=False,
                    **build_options,
                )
            )
    return rows


def _observed_order(spacings: np.ndarray, max_dev: xr.DataArray) -> float:
    """Log-log slope of the largest deviation between the two finest spacings (NaN if none)."""
    if spacings.size >= 2 and max_dev[-1] > 0 and max_dev[-2] > 0:
        return float(np.log(max_dev[-2] / max_dev[-1]) / np.log(spacings[-2] / spacings[-1]))
    return float("nan")


def _continuum_fine(junction, continuum: xr.DataArray, n_q: int) -> xr.DataArray:
    """The continuum curve on a 201-point grid over the same bias range, for the figure (cheap)."""
    fine = np.linspace(continuum.bias.values[0], continuum.bias.values[-1], 201)
    if fine[-1] > fine[0]:
        return junction.conductance(fine, n_q=n_q).rename(bias="bias_fine")
    return continuum.rename(bias="bias_fine")


def _study_dataset(continuum, dense, lattice, deviation, max_dev, spacings, rows) -> xr.Dataset:
    """The convergence study's variables and coordinates, with units."""
    ds = xr.Dataset(
        {
            "conductance_continuum_fine": dense.drop_attrs(),
            "conductance_kwant": lattice.drop_attrs(),
            "conductance_continuum": continuum.drop_attrs(),
            "deviation": deviation.drop_attrs(),
            "max_deviation": max_dev.drop_attrs(),
        },
        coords={
            "lattice_spacing": spacings,
            "bias": continuum.bias.values,
            "bias_fine": dense.bias_fine.values,
        },
    )
    ds["fermi_momentum_times_spacing"] = (
        "lattice_spacing",
        [row.attrs["fermi_momentum_times_spacing"] for row in rows],
        {"units": "1", "long_name": "largest Fermi momentum along x times the spacing"},
    )
    ds.lattice_spacing.attrs["units"] = "length (same unit as 1/k)"
    ds.bias.attrs["units"] = continuum.attrs["bias_units"]
    ds.bias_fine.attrs["units"] = continuum.attrs["bias_units"]
    names = ("conductance_kwant", "conductance_continuum", "conductance_continuum_fine")
    for name in (*names, "deviation", "max_deviation"):
        ds[name].attrs["units"] = "G_N (normal-state conductance of the same solver)"
    return ds


def _provenance_attrs(continuum: xr.DataArray, rows: list) -> dict:
    """The kwant solver (from the first row) and the junction (from the continuum result)."""
    skip = ("long_name", "units", "method", "n_q")
    return {
        "kwant_method": rows[0].attrs["method"],
        "solver": rows[0].attrs["solver"],
        "mumps": rows[0].attrs["mumps"],
        "kwant_version": rows[0].attrs["kwant_version"],
        **{k: v for k, v in rows[0].attrs.items() if k.startswith("lattice_wilson")},
        **{k: v for k, v in continuum.attrs.items() if k not in skip},
    }


def plot_convergence(ds: xr.Dataset, path) -> None:
    """Write the convergence figure of :func:`convergence_study` to ``path`` (PNG).

    Left: G(eV) of the continuum solver (line, fine grid) and kwant at each spacing (open
    markers). Right:
    max_eV |G_kwant - G_continuum| / G_N against the spacing on log-log axes, with slopes 1
    and 2 for reference.
    """
    # a bare Figure renders without pyplot, so no backend is chosen here (entry points do)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4), layout="constrained")
    ax_g, ax_c = fig.subplots(1, 2)
    bias = ds.bias.values
    if "conductance_continuum_fine" in ds:
        ax_g.plot(ds.bias_fine, ds.conductance_continuum_fine, "k-", lw=1.5, label="continuum")
    else:
        ax_g.plot(bias, ds.conductance_continuum, "k-", lw=1.5, label="continuum")
    markers = "osd^v<>"
    for i, a in enumerate(ds.lattice_spacing.values):
        ax_g.plot(
            bias,
            ds.conductance_kwant.sel(lattice_spacing=a),
            markers[i % len(markers)],
            ms=6,
            mfc="none",
            label=f"kwant a={a:g}",
        )
    ax_g.set_xlabel("eV (energy units)")
    ax_g.set_ylabel("G / G_N")
    ax_g.set_title("NS conductance")
    ax_g.legend(fontsize=8)
    a = ds.lattice_spacing.values
    err = ds.max_deviation.values
    ax_c.loglog(a, err, "o-", label="max |G_kwant - G_cont| / G_N")
    ref = err[-1] if err[-1] > 0 else 1e-3
    for order, style in ((1, ":"), (2, "--")):
        ax_c.loglog(a, ref * (a / a[-1]) ** order, "k" + style, lw=1, label=f"slope {order}")
    ax_c.axhline(0.02, color="r", lw=1, label="0.02 (test bound)")
    ax_c.set_xlabel("lattice spacing a")
    ax_c.set_ylabel("deviation (G_N)")
    ax_c.set_title(
        f"convergence (observed order {ds.attrs.get('observed_order', float('nan')):.2f})"
    )
    ax_c.legend(fontsize=8)
    fig.suptitle(
        f"{ds.attrs.get('model', '')} {ds.attrs.get('orientation_deg', '')} deg, "
        f"mu={ds.attrs.get('mu', '')}, gap={ds.attrs.get('gap', '')}, "
        f"barrier={ds.attrs.get('barrier', '')}",
        fontsize=9,
    )
    fig.savefig(path, dpi=120)
