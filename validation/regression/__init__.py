"""Regression curves: our own results stored as data, so that an unintended change fails a test.

Each :class:`Curve` names a producer (a function returning an ``xarray.DataArray``), its keyword
arguments and a tolerance. The stored result is ``validation/regression/data/<name>.nc``.
``tests/validation/test_regression.py`` recomputes every curve and fails naming the curve, the
largest deviation and where it occurs. A deliberate change (a better solver, a new default) is
recorded by regenerating the data, which is then reviewed in the commit like code::

    python -m validation regression regenerate semidirac-linear-thin-chi0.5
    python -m validation regression regenerate --all
    python -m validation regression check            # the comparison, without pytest

Adding a curve is one line in :data:`CURVES` (then ``regenerate NAME``).
These are not published references (those are in :mod:`validation.references`): agreement here
means "unchanged", not "correct".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from . import producers

__all__ = ["Curve", "CURVES", "DATA_DIR", "Deviation", "compare", "regenerate", "curve_by_name"]

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Curve:
    """A stored curve: ``producer(**kwargs)`` must keep returning the stored DataArray.

    Passes when ``|new - stored| <= atol + rtol |stored|`` everywhere, NaN where stored is NaN,
    and the coordinates are identical.
    """

    name: str
    producer: Callable[..., xr.DataArray]
    kwargs: dict = field(default_factory=dict)
    rtol: float = 1e-9
    atol: float = 1e-12

    @property
    def path(self) -> Path:
        return DATA_DIR / f"{self.name}.nc"

    def compute(self) -> xr.DataArray:
        result = self.producer(**self.kwargs)
        if not isinstance(result, xr.DataArray):
            raise TypeError(f"curve {self.name!r}: producer returned {type(result).__name__}")
        return result


_BIAS = {"start": 0.0, "stop": 2.0, "num": 41}

#: every stored curve; add one with one line, then `python -m validation regression regenerate NAME`
CURVES: list[Curve] = [
    Curve("semidirac-linear-thin-chi0.5", producers.semidirac_conductance,
          dict(orientation="linear", chi=0.5, **_BIAS)),
    Curve("semidirac-quadratic-thin-chi0.5", producers.semidirac_conductance,
          dict(orientation="quadratic", chi=0.5, **_BIAS)),
    Curve("semidirac-linear-no-barrier-T0.05", producers.semidirac_conductance,
          dict(orientation="linear", chi=0.0, temperature=0.05, **_BIAS)),
    Curve("semidirac-linear-chi-period", producers.semidirac_thin_barrier_period,
          dict(orientation="linear")),
    Curve("graphene-large-U0", producers.graphene_conductance, dict(U0=200.0, **_BIAS)),
    Curve("collision-exchange-currents", producers.collision_currents,
          dict(temperature_left=2.0, temperature_right=1.0, tau=0.1, start=0.0, stop=2.0, num=41)),
    Curve("collision-stroboscopic-currents", producers.collision_currents,
          dict(temperature_left=2.0, temperature_right=1.0, tau=1.0, start=0.0, stop=7.0, num=57)),
    Curve("collision-asymmetric-xx-currents", producers.collision_currents,
          dict(temperature_left=2.0, temperature_right=1.0, tau=0.1, start=0.0, stop=2.0, num=41,
               coupling_right="sigma_x_sigma_x")),
]  # fmt: skip


def curve_by_name(name: str) -> Curve:
    for c in CURVES:
        if c.name == name:
            return c
    raise ValueError(f"no regression curve {name!r}; known: {', '.join(c.name for c in CURVES)}")


@dataclass(frozen=True)
class Deviation:
    """The comparison of a recomputed curve with its stored data."""

    name: str
    passed: bool
    max_abs: float  # largest |new - stored|
    where: dict  # coordinates of the largest scaled deviation
    stored: float
    new: float
    message: str


def _load(path: Path) -> xr.DataArray:
    with xr.open_dataarray(path, engine="h5netcdf") as da:
        return da.load()


def compare(curve: Curve, new: xr.DataArray | None = None) -> Deviation:
    """Recompute ``curve`` (or take ``new``) and compare with its stored data."""
    if not curve.path.exists():
        return Deviation(
            curve.name, False, np.nan, {}, np.nan, np.nan,
            f"regression curve {curve.name!r}: no stored data at {curve.path}; run "
            f"`python -m validation regression regenerate {curve.name}`",
        )  # fmt: skip
    stored = _load(curve.path)
    new = curve.compute() if new is None else new
    if new.dims != stored.dims or new.shape != stored.shape:
        return Deviation(
            curve.name, False, np.nan, {}, np.nan, np.nan,
            f"regression curve {curve.name!r}: shape {dict(new.sizes)} != stored "
            f"{dict(stored.sizes)}",
        )  # fmt: skip
    for dim in stored.dims:
        if dim in stored.coords and not np.array_equal(new[dim].values, stored[dim].values):
            return Deviation(
                curve.name, False, np.nan, {}, np.nan, np.nan,
                f"regression curve {curve.name!r}: coordinate {dim!r} differs from the stored one",
            )  # fmt: skip
    a, b = np.asarray(new.values, float), np.asarray(stored.values, float)
    nan_mismatch = np.isnan(a) != np.isnan(b)
    diff = np.where(np.isnan(a) & np.isnan(b), 0.0, np.abs(a - b))
    diff = np.where(nan_mismatch, np.inf, diff)
    scaled = diff / (curve.atol + curve.rtol * np.abs(np.nan_to_num(b)))
    worst = np.unravel_index(int(np.argmax(scaled)), scaled.shape) if scaled.size else ()
    where = {
        d: stored[d].values[i].item() for d, i in zip(stored.dims, worst) if d in stored.coords
    }
    passed = bool(scaled.size == 0 or np.max(scaled) <= 1.0)
    max_abs = float(np.max(diff)) if diff.size else 0.0
    s_val = float(b[worst]) if scaled.size else np.nan
    n_val = float(a[worst]) if scaled.size else np.nan
    message = (
        f"regression curve {curve.name!r}: largest deviation |new - stored| = {max_abs:.3e} "
        f"(at {where}: stored {s_val!r}, new {n_val!r}; tolerance atol={curve.atol:g} + "
        f"rtol={curve.rtol:g}*|stored|)"
    )
    if not passed:
        message += (
            ". If the change is intended, regenerate: "
            f"`python -m validation regression regenerate {curve.name}` and commit the data."
        )
    return Deviation(curve.name, passed, max_abs, where, s_val, n_val, message)


def regenerate(curve: Curve) -> Path:
    """Recompute ``curve`` and store it (deliberately: this redefines what "unchanged" means)."""
    from physcore.sweeps.store import code_version, library_versions

    da = curve.compute()
    da = da.copy()
    da.attrs = {
        k: v for k, v in da.attrs.items() if isinstance(v, str | int | float | np.number)
    }  # netCDF attributes: plain values only
    da.attrs.update(
        {
            "regression_curve": curve.name,
            "producer": f"{curve.producer.__module__}.{curve.producer.__qualname__}",
            "producer_kwargs": json.dumps(curve.kwargs, sort_keys=True),
            "regenerated_with_code_version": code_version("physcore"),
            "regenerated_with_library_versions": library_versions(),
        }
    )
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    tmp = curve.path.with_suffix(".nc.tmp")
    da.to_netcdf(tmp, engine="h5netcdf")
    tmp.replace(curve.path)
    return curve.path
