"""Honeycomb lattice with one strong hopping, t' = 2t - delta: a physical semi-Dirac point.

Geometry (before rotation): carbon-carbon distance a, primitive vectors a1 = (sqrt3 a, 0),
a2 = (sqrt3 a / 2, 3 a / 2), sublattice A at (0, 0) and B at (0, a). The A-B bond inside the
cell points along +y: it carries t', the two other bonds (along (+-sqrt3/2, -1/2) a) carry t.
The code classifies each bond by its vector, so this is checked rather than assumed.

Low-energy limit (hbar = 1). With f(k) = t' e^{i k.d1} + t e^{i k.d2} + t e^{i k.d3}, the node
sits at the time-reversal-invariant momentum K = (0, 2 pi / (3 a)) (K = -K modulo a reciprocal
vector) when t' = 2t. Expanding at K + p:

    f ~ e^{-i k_y a/2} [(2t - t') - (3 t a^2 / 4) p_x^2 - i (3 t' a / 2) p_y]

so |f| is the semi-Dirac dispersion with 1 / (2m) = 3 t a^2 / 4 perpendicular to the t' bond,
v = 3 t' a / 2 (= 3 t a at t' = 2t) along it, and delta = 2t - t' in the convention of
:class:`~physcore.semidirac.models.SemiDirac` (delta > 0: two Dirac cones, which is t' < 2t,
the graphene side). (The other sign, delta = t' - 2t, is the gap convention.) Given (m, v, delta)
the bond length is fixed: (3 delta / 2) a^2 + v a - 2 / m = 0, i.e. a = 2 / (m v) at delta = 0.

Lattice corrections are of relative order (energy / t): the next terms of the expansion are
t a^4 p_x^4, t a^2 p_y^2 and t a^3 p_x^2 p_y, each (|E| / t) times the kept ones at
p_x^2 / 2m ~ v p_y ~ |E|. That bounds the agreement with the continuum at mu + eV << t.

Transport: "linear" runs along the t' bonds (the lattice is rotated by -90 degrees so they point
along x), "quadratic" perpendicular to them. The system is periodic along y (the interface)
and wrapped with ``kwant.wraparound``; the node lies at k_y = 0 of the wrapped zone in both
orientations, and the wrapped momentum (a phase per period W) is k_y = q W.
"""

from __future__ import annotations

import math

import numpy as np

from ..models import SemiDirac
from .continuum import LatticeNSSystem
from .profile import JunctionProfile

__all__ = [
    "honeycomb_hoppings",
    "semidirac_from_honeycomb",
    "honeycomb_geometry",
    "bulk_energies",
    "node_momentum",
    "build_honeycomb_system",
]

_SQ3 = math.sqrt(3.0)


def semidirac_from_honeycomb(t: float, t_prime: float, bond_length: float) -> SemiDirac:
    """The continuum semi-Dirac model of the honeycomb lattice (t, t', carbon-carbon distance).

    Returns ``SemiDirac(mass=2 / (3 t a^2), velocity=3 t' a / 2, delta=2 t - t')``.
    """
    for name, value in (("t", t), ("t_prime", t_prime), ("bond_length", bond_length)):
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return SemiDirac(
        mass=2.0 / (3.0 * t * bond_length**2),
        velocity=1.5 * t_prime * bond_length,
        delta=2.0 * t - t_prime,
    )


def honeycomb_hoppings(model: SemiDirac) -> tuple[float, float, float]:
    """``(t, t_prime, bond_length)`` whose low-energy limit is ``model`` (inverse of
    :func:`semidirac_from_honeycomb`)."""
    if not isinstance(model, SemiDirac):
        raise ValueError(f"the honeycomb lattice realizes SemiDirac models only, got {model!r}")
    m, v, delta = model.mass, model.velocity, model.delta
    if abs(delta) < 1e-14 * m * v * v:
        a = 2.0 / (m * v)
    else:  # positive root of (3 delta / 2) a^2 + v a - 2 / m = 0
        a = (-v + math.sqrt(v * v + 12.0 * delta / m)) / (3.0 * delta)
    t = 2.0 / (3.0 * m * a * a)
    t_prime = 2.0 * t - delta
    if not t_prime > 0:
        raise ValueError(f"model.delta too large for a honeycomb realization (t' <= 0): {model!r}")
    return t, t_prime, a


def honeycomb_geometry(bond_length: float, orientation_deg: float):
    """Lattice and periods for transport along x.

    Returns ``(lattice, t_prime_direction, transverse_period, lead_period)``: a
    ``kwant.lattice.Polyatomic`` (norbs 2: electron, hole), the unit vector of the t' bond, the
    length W of the period along y and the length L of the lead's period along x.
    """
    import kwant

    a = bond_length
    if orientation_deg == 90.0:  # t' bonds along y, transport perpendicular to them
        rot = np.eye(2)
        period_y, period_x = 3.0 * a, _SQ3 * a
    elif orientation_deg == 0.0:  # rotate by -90 deg: t' bonds along x
        rot = np.array([[0.0, 1.0], [-1.0, 0.0]])
        period_y, period_x = _SQ3 * a, 3.0 * a
    else:
        raise ValueError(
            "orientation must be 'linear' (0) or 'quadratic' (90 degrees) for the honeycomb "
            f"lattice, got {orientation_deg!r}"
        )
    prim = [rot @ np.array([_SQ3 * a, 0.0]), rot @ np.array([0.5 * _SQ3 * a, 1.5 * a])]
    basis = [np.zeros(2), rot @ np.array([0.0, a])]
    lat = kwant.lattice.general(prim, basis, norbs=2)
    return lat, rot @ np.array([0.0, 1.0]), period_y, period_x


def _template(lat, onsite, bonds):
    """Fully periodic builder: ``onsite`` on every site, -t tau_z or -t' tau_z on each bond.

    Each nearest-neighbour kind is classified by its bond vector: the t' bond is the one
    parallel to ``t_prime_dir`` (exactly one of the three).
    """
    import kwant

    t, t_prime, t_prime_dir, a = bonds
    tau_z = np.diag([1.0, -1.0])
    tmpl = kwant.Builder(kwant.TranslationalSymmetry(*lat.prim_vecs))
    tmpl[lat.shape(lambda pos: True, (0, 0))] = onsite
    n_strong = 0
    for kind in lat.neighbors():
        bond = np.asarray(kind.family_a.pos(kind.delta)) - np.asarray(kind.family_b.pos((0, 0)))
        strong = abs(abs(float(bond @ t_prime_dir)) - a) < 1e-9 * a
        n_strong += strong
        tmpl[kind] = -(t_prime if strong else t) * tau_z
    if n_strong != 1:  # pragma: no cover - geometry guard
        raise RuntimeError(f"expected exactly one t' bond per site, found {n_strong}")
    return tmpl


def bulk_energies(
    t: float, t_prime: float, bond_length: float, orientation_deg: float, kx, ky
) -> np.ndarray:
    """Normal-state bands of the bulk honeycomb lattice at momenta (kx, ky), shape (n, 2).

    Built with the same geometry and bond classification as :func:`build_honeycomb_system`
    (the lattice wrapped in both directions; its momenta are the phases k . a_i).
    """
    import kwant
    import kwant.wraparound

    lat, t_prime_dir, _, _ = honeycomb_geometry(bond_length, orientation_deg)
    bulk = kwant.wraparound.wraparound(
        _template(lat, np.zeros((2, 2)), (t, t_prime, t_prime_dir, bond_length))
    ).finalized()
    a1, a2 = (np.asarray(v) for v in lat.prim_vecs)
    out = []
    for k in np.column_stack([np.ravel(kx), np.ravel(ky)]):
        h = bulk.hamiltonian_submatrix(params={"k_x": k @ a1, "k_y": k @ a2})
        out.append(np.linalg.eigvalsh(h[0::2, 0::2]))  # electron block
    return np.array(out)


def node_momentum(bond_length: float, orientation_deg: float) -> np.ndarray:
    """The semi-Dirac node K (inverse length) of the geometry of :func:`honeycomb_geometry`."""
    _, t_prime_dir, _, _ = honeycomb_geometry(bond_length, orientation_deg)
    return 2 * math.pi / (3 * bond_length) * t_prime_dir


def _row_cells(lat, period_x: float):
    """Atomic rows (sites of equal x) and the slab of x each one stands for.

    Returns ``(cell_of, mean_spacing)``: ``cell_of(x)`` gives the interval [lo, hi] between
    the midpoints to the neighbouring rows, over which the profile is averaged (as the
    continuum chain averages over its cells), and the mean row spacing.
    """
    a1, a2 = (np.asarray(v, float) for v in lat.prim_vecs)
    xs = {
        round(float((n1 * a1[0] + n2 * a2[0] + sub.offset[0]) % period_x) / period_x, 9)
        for n1 in range(-3, 4)
        for n2 in range(-3, 4)
        for sub in lat.sublattices
    }
    rows = np.array(sorted(x % 1.0 for x in xs)) * period_x
    rows = np.unique(np.round(rows, 12))
    ext = np.concatenate([[rows[-1] - period_x], rows, [rows[0] + period_x]])
    halves = {
        round(float(r / period_x), 6): (0.5 * (r - ext[i]), 0.5 * (ext[i + 2] - r))
        for i, r in enumerate(rows)
    }

    def cell_of(x: float) -> tuple[float, float]:
        key = round(float((x % period_x) / period_x), 6) % 1.0
        left, right = halves[key]
        return x - left, x + right

    return cell_of, period_x / rows.size


def build_honeycomb_system(
    junction, lattice_spacing: float, *, padding_rows: int = 3, relative_tolerance: float = 1e-6
) -> LatticeNSSystem:
    """The NS junction on the honeycomb lattice, wrapped along the interface.

    Parameters
    ----------
    junction : NSJunction
        Its model must be :class:`SemiDirac`, orientation "linear" or "quadratic". Potentials
        and pairing are averaged over the slab of x that each atomic row stands for (midpoint
        to midpoint), as on the continuum chain (:mod:`.profile`), so a barrier keeps its
        integrated strength whatever its edges' positions relative to the rows.
    lattice_spacing : float
        The carbon-carbon distance; it must equal the one the model fixes
        (:func:`honeycomb_hoppings`) within ``relative_tolerance``.
    padding_rows : int
        Extra lead periods of scattering region on each side.
    """
    model = junction.model
    t, t_prime, a = honeycomb_hoppings(model)
    if not abs(lattice_spacing - a) <= relative_tolerance * a:
        raise ValueError(
            f"lattice_spacing must be the bond length {a!r} that the model fixes on the "
            f"honeycomb lattice (a = 2/(mass*velocity) at delta = 0), got {lattice_spacing!r}"
        )
    lat, t_prime_dir, period_y, period_x = honeycomb_geometry(a, junction.orientation_deg)
    cell_of, row_spacing = _row_cells(lat, period_x)
    profile = JunctionProfile.from_junction(junction, row_spacing)
    x_lo, x_hi = profile.extent
    x_lo -= padding_rows * period_x
    x_hi += padding_rows * period_x
    syst = _wrapped_builder(
        lat,
        (t, t_prime, t_prime_dir, a),
        _onsite_functions(junction, profile, cell_of),
        (x_lo, x_hi),
        period_x,
        period_y,
    )
    pairing = junction.gap * complex(math.cos(junction.phase), math.sin(junction.phase))
    return LatticeNSSystem(
        syst=syst.finalized(),
        lattice_spacing=a,
        method="honeycomb lattice t' = 2t - delta, kwant.wraparound along the interface",
        base_params={"mu": junction.mu},
        momentum_name="k_y",
        momentum_scale=period_y,
        pairing=pairing,
        details={
            "t": t,
            "t_prime": t_prime,
            "transverse_period": period_y,
            "barrier_on_lattice": profile.description + " (cells: one per atomic row)",
        },
    )


def _onsite_functions(junction, profile: JunctionProfile, cell_of):
    """BdG onsite blocks ``(scattering, normal lead, superconducting lead)`` as kwant value
    functions of (site, mu, pairing_re, pairing_im); the scattering region's potential and
    pairing are averaged over each atomic row's cell."""
    tau_x = np.array([[0.0, 1.0], [1.0, 0.0]])
    tau_y = np.array([[0.0, -1j], [1j, 0.0]])
    tau_z = np.diag([1.0, -1.0])

    def onsite_matrix(potential, s_fraction, mu, pairing_re, pairing_im):
        return (potential - mu) * tau_z + s_fraction * (pairing_re * tau_x - pairing_im * tau_y)

    def onsite_scattering(site, mu, pairing_re, pairing_im):
        lo, hi = cell_of(site.pos[0])
        return onsite_matrix(
            profile.potential_between(lo, hi),
            profile.superconducting_fraction_between(lo, hi),
            mu,
            pairing_re,
            pairing_im,
        )

    def onsite_normal(site, mu, pairing_re, pairing_im):
        return onsite_matrix(0.0, 0.0, mu, pairing_re, pairing_im)

    def onsite_super(site, mu, pairing_re, pairing_im):
        return onsite_matrix(-junction.U0, 1.0, mu, pairing_re, pairing_im)

    return onsite_scattering, onsite_normal, onsite_super


def _wrapped_builder(lat, bonds, onsites, x_range, period_x: float, period_y: float):
    """The kwant Builder of the strip x_lo <= x < x_hi wrapped along y (periodic with
    ``period_y``), with the normal lead (conservation law -tau_z) at -x and the superconducting
    lead at +x, both wrapped too (their transverse momentum stays a parameter)."""
    import kwant
    import kwant.wraparound

    onsite_scattering, onsite_normal, onsite_super = onsites
    x_lo, x_hi = x_range
    syst = kwant.Builder(kwant.TranslationalSymmetry((0.0, period_y)))
    syst.fill(_template(lat, onsite_scattering, bonds), lambda s: x_lo <= s.pos[0] < x_hi, (0, 0))
    syst = kwant.wraparound.wraparound(syst, coordinate_names="y")
    minus_tau_z = -np.diag([1.0, -1.0])
    for sign, onsite in ((-1.0, onsite_normal), (1.0, onsite_super)):
        lead = kwant.Builder(
            kwant.TranslationalSymmetry((sign * period_x, 0.0), (0.0, period_y)),
            conservation_law=minus_tau_z if sign < 0 else None,
        )
        lead.fill(_template(lat, onsite, bonds), lambda s: True, (0.0, 0.0))
        syst.attach_lead(kwant.wraparound.wraparound(lead, keep=0))
    return syst
