"""Functions producing the stored regression curves (each returns an ``xarray.DataArray``).

Parameters are in the units of :mod:`physcore.semidirac` (hbar = 1, energies in units of the
gap when ``gap=1``). ``n_q`` (transverse momenta) is kept moderate: a regression curve must be
cheap, not converged (convergence is checked against the published references).
"""

from __future__ import annotations

import numpy as np
import xarray as xr


def _thin(chi: float):
    from physcore import semidirac

    return semidirac.ThinBarrier(chi=chi) if chi > 0 else None


def semidirac_conductance(
    orientation: str,
    chi: float,
    start: float,
    stop: float,
    num: int,
    temperature: float = 0.0,
    mu: float = 10.0,
    gap: float = 1.0,
    n_q: int = 128,
) -> xr.DataArray:
    """G_NS / G_NN of a semi-Dirac NS junction (m = v = 1, delta = 0) against the bias."""
    from physcore import semidirac

    junction = semidirac.NSJunction(
        semidirac.SemiDirac(), orientation, mu=mu, gap=gap, barrier=_thin(chi)
    )
    return junction.conductance(np.linspace(start, stop, num), temperature=temperature, n_q=n_q)


def semidirac_thin_barrier_period(
    orientation: str, bias: float = 0.5, num: int = 25, n_q: int = 128
) -> xr.DataArray:
    """G_NS / G_NN at one bias against the thin-barrier strength chi in [0, 2 pi]."""
    from physcore import semidirac

    chis = np.linspace(0.0, 2 * np.pi, num)
    values = []
    for chi in chis:
        junction = semidirac.NSJunction(
            semidirac.SemiDirac(), orientation, mu=10.0, gap=1.0, barrier=_thin(chi)
        )
        values.append(float(junction.conductance([bias], n_q=n_q)[0]))
    return xr.DataArray(
        np.array(values), dims=("chi",), coords={"chi": chis}, name="conductance",
        attrs={"units": "G_NS / G_NN", "bias": bias, "orientation": orientation},
    )  # fmt: skip


def graphene_conductance(
    U0: float, start: float, stop: float, num: int, mu: float = 10.0, n_q: int = 128
) -> xr.DataArray:
    """G_NS / G_NN of a graphene NS junction (Beenakker's set-up) against the bias."""
    from physcore import semidirac

    junction = semidirac.NSJunction(semidirac.Graphene(), "linear", mu=mu, gap=1.0, U0=U0)
    return junction.conductance(np.linspace(start, stop, num), n_q=n_q)


_COLLISION_QUANTITIES = (
    "current_left_exact",
    "current_right_exact",
    "current_left_local",
    "current_right_local",
    "power_exact",
    "trace_distance",
)


def collision_currents(
    temperature_left: float,
    temperature_right: float,
    tau: float,
    start: float,
    stop: float,
    num: int,
    kind: str = "exchange",
    coupling_right: str = "exchange",
) -> xr.DataArray:
    """Steady-state heat currents (exact and local schemes), power and the exact-local trace
    distance of the two-bath collision model against the coupling g (default qubits and baths
    of :mod:`physcore.collision`), stacked along ``quantity``."""
    from physcore import collision

    model = collision.CollisionModel(
        collision.TwoQubitSystem(kind=kind),
        collision.AncillaBath(temperature=temperature_left),
        collision.AncillaBath(temperature=temperature_right, coupling=coupling_right),
        tau=tau,
    )
    ds = collision.coupling_sweep(
        model, np.linspace(start, stop, num), with_correlations=False, progress=False
    )
    da = xr.concat([ds[q] for q in _COLLISION_QUANTITIES], dim="quantity")
    da = da.assign_coords(quantity=list(_COLLISION_QUANTITIES)).rename("collision_steady_state")
    da.attrs = {
        "units": "energy per unit time (currents, power); dimensionless (trace_distance)",
        "model": ds.attrs["model"],
        "tau": tau,
    }
    return da
