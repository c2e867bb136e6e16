"""Cross-check of the NS-junction conductance with kwant tight-binding models.

One call, :func:`kwant_conductance` (also ``NSJunction.kwant_conductance``), builds a kwant system
from the same junction object as the continuum solver and returns the same labelled result.

Conductance (Blonder-Tinkham-Klapwijk / kwant's superconductor tutorial): the normal lead carries
the conservation law -tau_z, so its modes split into an electron block (0) and a hole block (1),
and per transverse momentum q

    g(E, q) = N_e(q) - R_ee(q) + R_he(q)

(in e^2/h) with N_e the number of incoming electron modes, R_ee and R_he the total electron and
Andreev (hole) reflection probabilities. The conductance per unit width is
G(E) = (1 / 2 pi) int dq g(E, q), taken with the same transverse-momentum quadrature as the
continuum solver (:func:`transverse_momenta`).

Particle-hole symmetry is *not* declared on the leads: the conductance needs only the
conservation law, the symmetry holds at fixed q only for some models and orientations, and
kwant 1.5 fails to drop a broken particle-hole symmetry at exactly E = 0 (it clears the
attribute 'particle-hole' instead of 'particle_hole' in ``InfiniteSystem.modes``).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from .solvers.common import BTKIntegrals, ConductanceSolver, resolve_n_q

__all__ = [
    "KwantSolver",
    "andreev_terms",
    "kwant_conductance",
    "transverse_momenta",
    "kwant_uses_mumps",
    "build_lattice_system",
    "check_lattice_spacing",
    "largest_fermi_momentum",
    "LatticeSpacingWarning",
    "convergence_study",
    "plot_convergence",
]

_LATTICES = ("continuum", "honeycomb")
#: k_x a above which kwant_conductance warns (the lattice dispersion sin(k a)/a is then off by
#: more than 1.5 %; measured on the README junction: 2.4e-2 G_N at k_F a = 0.5) ...
WARN_KA = 0.3
#: ... and above which it refuses: past k a = 1 a linear lattice band no longer reaches the
#: Fermi energy of the continuum (v sin(k a) / a <= v / a), so the channels are wrong
MAX_KA = 1.0


class LatticeSpacingWarning(UserWarning):
    """The kwant lattice is coarse for the junction's Fermi momenta (k_x a > 0.3)."""


def largest_fermi_momentum(junction, bias) -> float:
    """Largest |k_x| (inverse length) of a propagating state in any region at these biases.

    Normal region at mu +- eV, superconductor at mu + U0 +- max(|eV|, gap) and a rectangular
    barrier at mu - height +- eV; the k_x extent of a contour is its q extent at the angle
    theta + 90 degrees.
    """
    from .barriers import RectangularBarrier

    e = float(np.max(np.abs(bias)))
    mu, mu_s = junction.mu, junction.mu + junction.U0
    energies = [mu + e, mu - e, mu_s + max(e, junction.gap), mu_s - max(e, junction.gap)]
    if isinstance(junction.barrier, RectangularBarrier) and junction.barrier.width > 0:
        energies += [mu - junction.barrier.height + e, mu - junction.barrier.height - e]
    with np.errstate(all="ignore"):
        extent = junction.model.fermi_q_extent(energies, junction.theta + math.pi / 2)[:, 0]
    return float(np.nanmax(np.append(extent, 0.0)))


def check_lattice_spacing(junction, bias, lattice_spacing: float, *, stacklevel: int = 3) -> float:
    """k_x a for the junction and biases: ValueError above MAX_KA, a warning above WARN_KA
    (issued ``stacklevel`` frames up)."""
    k = largest_fermi_momentum(junction, bias)
    ka = k * float(lattice_spacing)
    message = (
        f"lattice_spacing = {lattice_spacing:g} is coarse for this junction: the largest Fermi "
        f"momentum along x is k = {k:.4g} (mu = {junction.mu:g}, U0 = {junction.U0:g}, max |bias| "
        f"= {float(np.max(np.abs(bias))):g}), so k a = {ka:.3g}"
    )
    if ka > MAX_KA:
        raise ValueError(
            f"{message}; the lattice cannot represent it (k a must be below {MAX_KA:g}, below "
            f"{WARN_KA:g} for percent accuracy): use lattice_spacing <= {WARN_KA / k:.3g}"
        )
    if ka > WARN_KA:
        warnings.warn(
            f"{message} > {WARN_KA:g}: expect errors of several percent of G_N; use "
            f"lattice_spacing <= {WARN_KA / k:.3g} (0.1 / k for about 1e-3 on clean junctions)",
            LatticeSpacingWarning,
            stacklevel=stacklevel,
        )
    return ka


def kwant_uses_mumps() -> bool:
    """True when kwant's default solver is the MUMPS one (kwant built against MUMPS)."""
    import kwant.solvers.default

    return kwant.solvers.default.smatrix.__self__.__class__.__module__.endswith("mumps")


def transverse_momenta(
    junction, energy: float, n_q: int = 400, *, gap: float | None = None, n_modes=None
) -> tuple[np.ndarray, np.ndarray]:
    """Nodes q and weights of the continuum solver's transverse quadrature at one energy.

    The very grid of :meth:`NSJunction.conductance` (Gauss-Legendre panels split at the
    critical momenta, :mod:`physcore.semidirac._quadrature`), so that the lattice and the
    continuum integrate g(E, q) at the same q; ``gap=0`` gives the normal-state grid. Nodes with
    zero weight (no open channel) are dropped. ``junction``: an NSJunction or its finalized
    system (``junction.finalized()``); ``n_modes`` is the deprecated name of ``n_q``.
    """
    from .solvers.common import resolve_n_q
    from .solvers.common import transverse_momenta as grid

    n_q, _ = resolve_n_q(n_q, n_modes)
    syst = junction.finalized() if hasattr(junction, "finalized") else junction
    gap = syst.gap if gap is None else float(gap)
    nodes, weights = grid(syst, np.array([float(energy)]), int(n_q), gap)
    keep = weights[0] > 0
    return nodes[0][keep], weights[0][keep]


def build_lattice_system(junction, lattice_spacing: float, lattice: str = "continuum", **options):
    """Build the kwant system of ``junction`` (``lattice`` "continuum" or "honeycomb")."""
    if lattice == "continuum":
        from .lattice.continuum import build_continuum_system

        return build_continuum_system(junction, lattice_spacing, **options)
    if lattice == "honeycomb":
        from .lattice.honeycomb import build_honeycomb_system

        return build_honeycomb_system(junction, lattice_spacing, **options)
    raise ValueError(f"lattice must be one of {_LATTICES}, got {lattice!r}")


def andreev_terms(system, energy: float, q: float, *, normal_state: bool = False):
    """``(N_e, R_ee, R_he)`` of the normal lead at excitation energy ``energy`` and momentum q.

    Parameters
    ----------
    system : LatticeNSSystem
    energy : float
        Excitation energy E = eV measured from mu (energy units).
    q : float
        Transverse momentum (inverse length).
    normal_state : bool
        Switch the pairing off (the normal-state reference).
    """
    import kwant

    smatrix = kwant.smatrix(
        system.syst,
        energy,
        params=system.params(q, normal_state=normal_state),
        in_leads=[0],
        out_leads=[0],
    )
    n_e = smatrix.submatrix((0, 0), (0, 0)).shape[0]
    if n_e == 0:
        return 0, 0.0, 0.0
    return n_e, smatrix.transmission((0, 0), (0, 0)), smatrix.transmission((0, 1), (0, 0))


def _integrate(system, energy: float, nodes, weights, *, normal_state: bool = False):
    """``(G, N)``: (1/2pi) int dq (N_e - R_ee + R_he) and (1/2pi) int dq N_e on the nodes."""
    g_q = np.empty(len(nodes))
    n_q = np.empty(len(nodes))
    for j, q in enumerate(nodes):
        n_e, r_ee, r_he = andreev_terms(system, energy, float(q), normal_state=normal_state)
        g_q[j], n_q[j] = n_e - r_ee + r_he, n_e
    return weights @ g_q / (2 * math.pi), weights @ n_q / (2 * math.pi)


@dataclass(frozen=True)
class _KwantState:
    """Per-call state of :class:`KwantSolver`: the finalized junction, the kwant system
    (built once per call) and the largest k_x a."""

    syst: object
    system: object
    fermi_ka: float


class KwantSolver(ConductanceSolver):
    """The conductance of a finalized junction from a kwant tight-binding model.

    Implements the solver interface of :mod:`physcore.semidirac.solvers.common` (the same
    options, normalizations, transverse quadrature and labelled result as the continuum
    solver); only the scattering probabilities come from kwant. The lattice system is built
    once per :meth:`conductance` call. Parameters as :func:`kwant_conductance`.
    """

    convention = (
        "BTK: G(eV) = (e^2/h) (W/2pi) int dq sum_incoming (1 - R_ee + R_he); kwant: "
        "N_e - R_ee + R_he of the normal lead with conservation law -tau_z"
    )

    def __init__(
        self,
        *,
        lattice_spacing: float,
        lattice: str = "continuum",
        progress: bool = True,
        **build_options,
    ):
        self.lattice_spacing = lattice_spacing
        self.lattice = lattice
        self.progress = progress
        self.build_options = build_options

    def _prepare(self, syst, bias, temperature):
        if temperature != 0.0:
            raise ValueError(
                f"temperature must be 0 for the kwant cross-check (zero temperature only), "
                f"got {temperature!r}"
            )
        junction = syst.junction
        system = build_lattice_system(
            junction, self.lattice_spacing, self.lattice, **self.build_options
        )
        fermi_ka = check_lattice_spacing(junction, bias, system.lattice_spacing, stacklevel=6)
        self.method = f"kwant tight binding: {system.method}"
        return _KwantState(syst, system, fermi_ka)

    def _btk_integrals(self, state, energies, n_q, *, normal_state):
        from threadpoolctl import threadpool_limits

        g = np.empty(energies.size)
        channels = np.empty(energies.size)
        gap = 0.0 if normal_state else None
        desc = "kwant G_N(eV)" if normal_state else "kwant G(eV)"
        # kwant's lead-mode problems are tiny dense matrices: threaded BLAS only adds overhead
        # (measured 3-4x slower on a loaded 2-core machine), so one thread.
        with threadpool_limits(limits=1, user_api="blas"):
            for i, energy in enumerate(tqdm(energies, desc=desc, disable=not self.progress)):
                nodes, weights = transverse_momenta(state.syst, energy, n_q, gap=gap)
                g[i], channels[i] = _integrate(
                    state.system, float(energy), nodes, weights, normal_state=normal_state
                )
        zeros = np.zeros(energies.size)
        return BTKIntegrals(g, channels, zeros, 0.0, zeros.astype(bool))

    def _result_attrs(self, state, parts, relative) -> dict:
        import kwant

        mumps = kwant_uses_mumps()
        return {
            "lattice": self.lattice,
            "lattice_spacing": state.system.lattice_spacing,
            "fermi_momentum_times_spacing": state.fermi_ka,
            "solver": "kwant.solvers.mumps" if mumps else "kwant.solvers.sparse (no MUMPS)",
            "mumps": int(mumps),
            **{f"lattice_{k}": v for k, v in state.system.details.items()},
            "kwant_version": kwant.__version__,
        }


def kwant_conductance(
    junction,
    bias,
    *,
    lattice_spacing: float,
    lattice: str = "continuum",
    temperature: float = 0.0,
    normalize: str = "normal",
    n_q: int = 400,
    n_modes: int | None = None,
    progress: bool = True,
    **build_options,
) -> xr.DataArray:
    """NS conductance G(eV) of ``junction`` from a kwant tight-binding model.

    Same result format, quadrature and normalizations as :meth:`NSJunction.conductance`, so the
    two overlay directly; only the scattering probabilities come from kwant
    (:class:`KwantSolver` on ``junction.finalized()``, built once per call).

    Parameters
    ----------
    junction : NSJunction
    bias : array_like, shape (n_bias,)
        eV (energy units, measured from mu); non-empty, finite, strictly increasing. Exactly
        zero bias is allowed (no particle-hole symmetry is declared, see the module notes).
    lattice_spacing : float
        a (length units). ``lattice="continuum"``: the discretization step along x, to be well
        below 1 / k_F, k_F the largest Fermi momentum along x in any region at these biases
        (:func:`largest_fermi_momentum`): above k_F a = 0.3 a :class:`LatticeSpacingWarning`
        is issued, above 1 a ValueError. Measured on the README junction (semi-Dirac, linear
        axis, mu = 10, gap = 1, k_F = 11 at eV = 0.5): clean, |G_kwant - G| falls from 3.1e-3
        G_N at a = 0.05 to 1.3e-4 at a = 0.00625; with ThinBarrier(0.5) (a rectangle of
        width about sqrt(a v / (mu + U0)) on the lattice) it is 2.4e-2 at a = 0.05 and stays
        between 6e-3 and 1e-2 from a = 0.025 to 0.00625 (no convergence to better than 1e-2).
        ``"honeycomb"``: the carbon-carbon distance, which the semi-Dirac model
        fixes (a = 2 / (mass velocity) at delta = 0, :func:`.lattice.honeycomb.honeycomb_hoppings`).
    lattice : {"continuum", "honeycomb"}
        "continuum": the junction's BdG Hamiltonian discretized by ``kwant.continuum`` (any
        model and barrier); "honeycomb": the honeycomb lattice with t' = 2t - delta on one bond
        (SemiDirac models, orientation "linear" or "quadratic"; any barrier, averaged per row).
    temperature : float
        Only 0 (the cross-check is at zero temperature); anything else raises ValueError.
    normalize : {"normal", "channels", "none"}
        As :meth:`NSJunction.conductance`: "normal" divides by the same *lattice's* conductance
        with gap = 0 (on the continuum solver's gap = 0 grid), "channels" by the open channels
        (1/2pi) int dq N_e counted by kwant, "none" gives e^2/h per unit width.
    n_q : int
        Transverse momenta per energy (>= 16), the continuum solver's quadrature
        (``n_modes``: its deprecated name).
    progress : bool
        Show a tqdm bar over the bias points.
    **build_options
        Passed to the builder: ``wilson`` (r, default 1) and ``thin_barrier_width`` for
        "continuum", ``padding_rows`` for "honeycomb".

    Returns
    -------
    xarray.DataArray
        dims ("bias",), coords {"bias": bias}, name "conductance"; attrs as the continuum
        solver's plus ``lattice``, ``lattice_spacing``, ``solver``, ``mumps`` (1 if kwant used
        MUMPS) and ``kwant_version``; ``method`` names the kwant construction.
    """
    n_q, label = resolve_n_q(n_q, n_modes)
    solver = KwantSolver(
        lattice_spacing=lattice_spacing, lattice=lattice, progress=progress, **build_options
    )
    return solver._conductance(
        junction.finalized(), bias, temperature, normalize, n_q, n_q_label=label
    )


# the convergence study lives in .lattice.convergence; its names stay importable from here
from .lattice.convergence import convergence_study, plot_convergence  # noqa: E402
