"""The continuum solver: exact BdG mode matching by the numba kernels (:mod:`.._kernels`).

Implements :class:`~.common.ConductanceSolver` on the plain arrays of a finalized system, and
adds :meth:`ContinuumSolver.scattering` (one energy and transverse momentum).
"""

from __future__ import annotations

import math

import numpy as np

from ..._validation import check_value
from .. import _kernels
from .._precision import check_scattering_conservation
from ..models import ENERGY
from .common import BTKIntegrals, ConductanceSolver, transverse_momenta

__all__ = ["ContinuumSolver", "PARALLEL_MIN_POINTS", "GAP_EDGE_SHIFT"]

#: grids with fewer (E, q) points run on one thread
PARALLEL_MIN_POINTS = 20000
#: |E| = gap exactly is evaluated at E^2 = gap^2 (1 - GAP_EDGE_SHIFT) (see _gap_edge)
GAP_EDGE_SHIFT = 1e-15


def grid_kernel(n_points: int):
    """The grid kernel for a grid of ``n_points`` (E, q) points: the thread pool only pays
    off on large grids (its start-up costs milliseconds)."""
    if n_points > PARALLEL_MIN_POINTS:
        return _kernels.conductance_grid
    return _kernels.conductance_grid_serial


def btk_integrals(syst, energies: np.ndarray, n_q: int, gap: float | None = None) -> BTKIntegrals:
    """The BTK integrals per energy (:class:`BTKIntegrals`); ``gap`` overrides the system's.

    The error bound counts, at each transverse momentum, the current-conservation violation
    (at least the double-precision epsilon) once per incoming channel: R_ee and R_he are
    obtained with absolute errors of that size, which matters when G is far below N.
    """
    gap = syst.gap if gap is None else gap
    energies = np.ascontiguousarray(energies, dtype=float)
    qs, ws = transverse_momenta(syst, energies, n_q, gap)
    sums = grid_kernel(ws.size)(energies, qs, ws, *syst.args(gap=gap))
    used = ws > 0
    failed = (np.isnan(sums.violation) & used).any(axis=1)
    integrand = sums.n_in - sums.normal + sums.andreev
    g = (ws * integrand).sum(axis=1) / (2 * np.pi)
    channels = (ws * sums.n_in).sum(axis=1) / (2 * np.pi)
    bound = np.maximum(np.nan_to_num(sums.violation, nan=0.0), np.finfo(float).eps)
    error = (ws * sums.n_in * bound).sum(axis=1) / (2 * np.pi)
    worst = float(np.nanmax(np.where(used, sums.violation, 0.0))) if used.any() else 0.0
    return BTKIntegrals(g, channels, error, float("nan") if failed.any() else worst, failed)


def _gap_edge(syst, energies: np.ndarray, n_q: int) -> BTKIntegrals:
    """The BTK integrals where energies with |E| = gap exactly are moved off the edge.

    At |E| = gap the superconductor's two quasiparticle branches coincide and the mode set
    is incomplete. G is continuous there and approaches its value as
    ``G(x) = G(0) + a sqrt(x)`` in ``x = 1 - E^2/gap^2`` (measured), on a scale x ~ 1/Z^4
    behind a barrier of strength Z (the coherence peak). Such energies are evaluated at
    ``x = 1e-15``, and a second evaluation at 4x bounds the error (added to ``error``):
    ``|G(4x) - G(x)|`` equals ``|G(x) - G(0)|`` on the square-root law and exceeds it on a
    linear one.
    """
    edge = (syst.gap > 0) & (np.abs(energies) == syst.gap)
    shifted = energies.copy()
    shifted[edge] *= math.sqrt(1 - GAP_EDGE_SHIFT)
    main = btk_integrals(syst, shifted, n_q)
    if not edge.any():
        return main
    farther = energies[edge] * math.sqrt(1 - 4 * GAP_EDGE_SHIFT)
    error = main.error.copy()
    g_far = btk_integrals(syst, farther, n_q).conductance
    error[edge] += np.abs(g_far - main.conductance[edge])
    return BTKIntegrals(
        main.conductance, main.channels, error, main.max_current_violation, main.failed
    )


class ContinuumSolver(ConductanceSolver):
    """Exact continuum BdG scattering (no lattice), matched by the numba kernels."""

    method = "continuum BdG mode matching (physcore.semidirac, numba)"

    def _btk_integrals(self, syst, energies, n_q, *, normal_state):
        if normal_state:
            return btk_integrals(syst, energies, n_q, gap=0.0)
        return _gap_edge(syst, energies, n_q)

    def _result_attrs(self, syst, parts, relative) -> dict:
        return {
            "max_current_violation": max(p.max_current_violation for p in parts),
            "max_relative_error": float(relative.max()),
        }

    def scattering(self, syst, energy: float, q: float):
        """Scattering at one (energy, q) of the finalized system; see
        :meth:`NSJunction.scattering`."""
        from ..observables import scattering_result

        energy = check_value("energy", energy, ENERGY)
        q = check_value("q", q, ENERGY)
        point = _kernels.ScatterPoint(*_kernels.scatter_point(energy, q, *syst.args()))
        if point.status != _kernels.STATUS_OK:
            raise ValueError(
                f"scattering: the mode matching failed at energy={energy:g}, q={q:g} (status "
                f"{point.status}) for {syst.junction!r}; these parameters are out of the "
                "solver's reach (mass, velocity, mu, gap, U0, delta or the barrier differ by "
                "too many orders of magnitude)"
            )
        result = scattering_result(syst, energy, q, point)
        check_scattering_conservation(syst.junction, result)
        return result
