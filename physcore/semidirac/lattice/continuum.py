"""The junction's BdG Hamiltonian discretized along x with ``kwant.continuum.discretize``.

The transverse momentum q = k_y is conserved, so it stays a symbol (a kwant parameter ``k_y``)
and only x is discretized: a chain of cells of length a at x = (n + 1/2) a, one chain per q.
Plane waves along the interface are thereby treated exactly (this is ``kwant.wraparound`` with an
exact transverse dispersion), and the lattice error is that of the x direction alone.

BdG Hamiltonian (electron block first, :mod:`physcore.semidirac.junction`)::

    H = tau_z (x) (h(k_x, k_y) + w k_x**2 M - mu + V(x)) + S(x) (Re D tau_x - Im D tau_y) (x) 1

with D = gap exp(i phase), V(x) and S(x) the cell averages of the potential and of the
superconductor's indicator (:mod:`.profile`).

Fermion doubling (Wilson term)
------------------------------
Central differences turn k_x into sin(k_x a) / a, which vanishes again at k_x = pi / a: a model
that is only first order in k_x (semi-Dirac along its linear axis, graphene) gets a spurious
low-energy "doubler" branch. We add the Wilson term ``w k_x**2 M`` with w = r v a / 2 (v the
coefficient of k_x, r = ``wilson``, default 1) and M a Pauli matrix that anticommutes with every
term of h (sigma_z for both first-order models). On the lattice it reads
(r v / a)(1 - cos k_x a) M: the doubler acquires a mass 2 r v / a, which diverges as a -> 0,
while at the physical momenta the term is w k**2 = (r a k / 2) v k, a relative change of order
k a that vanishes with the spacing. Because M anticommutes with h the energies shift only at
second order in w, but the spinors tilt at first order, so G through a barrier converges at
first order in a (measured |Delta G| proportional to r a: 0.017, 0.0087, 0.0044, 0.0022 G_N
at a = 0.1, 0.05, 0.025, 0.0125 for the junction of :func:`.demo.demo`, a rectangular barrier
on the linear axis; a clean linear axis converges between first and second order). Models with a
k_x**2 term need no Wilson term: the k_x**2 term itself gaps the doubler by 4 |h2| / a**2, and
they converge at second order (central differences).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import sympy

from ..models import PAULI
from .profile import JunctionProfile

__all__ = [
    "LatticeNSSystem",
    "normal_hamiltonian_expression",
    "bdg_expression",
    "wilson_matrix",
    "build_continuum_system",
]

_PAULI_NAMES = ("x", "y", "z")


@dataclass
class LatticeNSSystem:
    """A finalized kwant NS system (lead 0 normal, lead 1 superconducting) and its parameters.

    Attributes
    ----------
    syst : kwant.system.FiniteSystem
        Finalized system; lead 0 carries the conservation law -tau_z (electron block first).
    lattice_spacing : float
        The lattice constant a (length units).
    method : str
        Which construction built it (for result attributes).
    base_params : dict
        kwant parameters except the transverse momentum and the pairing.
    momentum_name : str
        Name of the transverse-momentum parameter.
    momentum_scale : float
        Factor from q (inverse length) to the value of that parameter (1 for the continuum chain,
        the period W for a wrapped lattice, whose momentum is a phase per period).
    pairing : complex
        gap * exp(i phase), used unless the normal state is asked for.
    details : dict
        Extra provenance (Wilson coefficient, barrier representation, ...).
    """

    syst: object
    lattice_spacing: float
    method: str
    base_params: dict
    momentum_name: str
    momentum_scale: float
    pairing: complex
    details: dict = field(default_factory=dict)

    def params(self, q: float, *, normal_state: bool = False) -> dict:
        """kwant ``params`` at transverse momentum ``q``; ``normal_state`` switches the gap off."""
        pairing = 0j if normal_state else complex(self.pairing)
        return {
            **self.base_params,
            self.momentum_name: q * self.momentum_scale,
            "pairing_re": pairing.real,
            "pairing_im": pairing.imag,
        }


def _polynomial_coefficients(model, theta: float) -> dict[tuple[int, int], np.ndarray]:
    """h(k_x, q) = sum C[(i, j)] k_x**i q**j, read off ``model.transport_coefficients``.

    All models are polynomials of degree <= 2 in (k_x, q); the coefficients are read from the
    values at q = -1, 0, 1 and checked at two other q (a model that is not such a polynomial
    raises ValueError).
    """
    coeffs = {}
    at = {q: model.transport_coefficients(theta, q) for q in (-1.0, 0.0, 1.0)}
    for i in range(3):  # power of k_x
        f_m, f_0, f_p = (np.asarray(at[q][i], complex) for q in (-1.0, 0.0, 1.0))
        for j, c in enumerate((f_0, 0.5 * (f_p - f_m), 0.5 * (f_p + f_m) - f_0)):
            c = np.where(np.abs(c) < 1e-14 * (1 + np.abs(f_0).max()), 0.0, c)
            if np.any(c):
                coeffs[(i, j)] = c
    for q in (2.0, -0.37):
        for i, h_i in enumerate(model.transport_coefficients(theta, q)):
            rebuilt = sum((c * q**j for (ii, j), c in coeffs.items() if ii == i), 0.0 * h_i)
            if not np.allclose(rebuilt, h_i, rtol=1e-10, atol=1e-12):
                raise ValueError(
                    f"model {model!r}: the transport coefficients must be polynomials of degree "
                    "<= 2 in q to be discretized"
                )
    return coeffs


def _to_sympy(matrix: np.ndarray) -> sympy.Matrix:
    def num(z):
        z = complex(z)
        re = sympy.Float(z.real) if z.real else sympy.Integer(0)
        im = sympy.Float(z.imag) if z.imag else sympy.Integer(0)
        return re + sympy.I * im

    return sympy.Matrix([[num(z) for z in row] for row in np.asarray(matrix)])


def wilson_matrix(model, theta: float) -> tuple[np.ndarray, str] | None:
    """Pauli matrix that anticommutes with every term of h, for the Wilson term, or None when
    h already has a k_x**2 term (no doubling). Raises ValueError when none exists."""
    coeffs = _polynomial_coefficients(model, theta)
    if any(i == 2 for i, _ in coeffs):
        return None
    if model.norbs == 2:
        for name in reversed(_PAULI_NAMES):  # sigma_z first: a mass-like regulator
            m = PAULI[name]
            if all(np.allclose(m @ c + c @ m, 0.0) for c in coeffs.values()):
                return m, f"sigma_{name}"
    raise ValueError(
        f"model {model!r} is first order in k_x along this orientation and has no Pauli matrix "
        "anticommuting with h for a Wilson term"
    )


def linear_velocity(model, theta: float) -> float:
    """The largest singular value of the k_x coefficient at q = 0 (the velocity along x)."""
    return float(np.linalg.norm(np.asarray(model.transport_coefficients(theta, 0.0)[1]), 2))


def normal_hamiltonian_expression(model, theta: float, wilson_coefficient: float = 0.0):
    """h(k_x, k_y) (+ the Wilson term w k_x**2 M) as a sympy Matrix in kwant's momentum symbols.

    Parameters
    ----------
    model : BandModel
    theta : float
        Transport angle from the linear axis (radians).
    wilson_coefficient : float
        w (energy x length^2); 0 for none.
    """
    from kwant.continuum import momentum_operators

    k_x, k_y = momentum_operators[:2]
    expr = sympy.zeros(model.norbs, model.norbs)
    for (i, j), c in _polynomial_coefficients(model, theta).items():
        expr += _to_sympy(c) * k_x**i * k_y**j
    if wilson_coefficient:
        found = wilson_matrix(model, theta)
        if found is not None:
            expr += _to_sympy(found[0]) * sympy.Float(wilson_coefficient) * k_x**2
    return expr


def bdg_expression(model, theta: float, wilson_coefficient: float = 0.0):
    """The BdG Hamiltonian of the module docstring as a sympy Matrix (symbols ``mu``,
    ``pairing_re``, ``pairing_im``, functions ``V(x)`` and ``S(x)``)."""
    from kwant.continuum import position_operators

    x = position_operators[0]
    n = model.norbs
    h = normal_hamiltonian_expression(model, theta, wilson_coefficient)
    mu, p_re, p_im = sympy.symbols("mu pairing_re pairing_im", real=True)
    v_x, s_x = sympy.Function("V")(x), sympy.Function("S")(x)
    eye = sympy.eye(n)
    tau_z = sympy.Matrix([[1, 0], [0, -1]])
    pairing = sympy.Matrix([[0, p_re + sympy.I * p_im], [p_re - sympy.I * p_im, 0]])
    return sympy.kronecker_product(tau_z, h + (v_x - mu) * eye) + s_x * sympy.kronecker_product(
        pairing, eye
    )


def _bulk_values(expression, potential: float, superconducting_fraction: float):
    """``expression`` with V(x) and S(x) replaced by constants (a lead's bulk values)."""
    from kwant.continuum import position_operators

    x = position_operators[0]
    return expression.subs(
        {
            sympy.Function("V")(x): sympy.Float(potential),
            sympy.Function("S")(x): sympy.Float(superconducting_fraction),
        }
    )


def build_continuum_system(
    junction,
    lattice_spacing: float,
    *,
    wilson: float = 1.0,
    thin_barrier_width: float | None = None,
    padding_cells: int = 2,
) -> LatticeNSSystem:
    """Discretize ``junction`` along x with spacing ``lattice_spacing`` (see module docstring).

    Parameters
    ----------
    junction : NSJunction
    lattice_spacing : float
        a > 0 (length units); should be well below the Fermi wavelength / (2 pi).
    wilson : float
        Wilson parameter r >= 0 (only used for models first order in k_x); r = 0 leaves the
        doubler ungapped.
    thin_barrier_width : float or None
        Width d of the rectangular stand-in of a thin barrier on a first-order model (default
        :func:`.profile.thin_barrier_width`).
    padding_cells : int
        Normal and superconducting cells kept in the scattering region around the barrier.
    """
    a = float(lattice_spacing)
    if not math.isfinite(a) or a <= 0:
        raise ValueError(f"lattice_spacing must be a finite length > 0, got {lattice_spacing!r}")
    if not math.isfinite(wilson) or wilson < 0:
        raise ValueError(f"wilson must be a finite number >= 0, got {wilson!r}")
    model, theta = junction.model, junction.theta
    needs_wilson = wilson_matrix(model, theta) is not None
    w = 0.5 * wilson * linear_velocity(model, theta) * a if needs_wilson else 0.0
    profile = JunctionProfile.from_junction(junction, a, thin_barrier_width)
    syst = _chain_builder(junction, bdg_expression(model, theta, w), profile, a, padding_cells)

    def potential(x):
        return profile.potential(x, a)

    def superconducting_fraction(x):
        return profile.superconducting_fraction(x, a)

    pairing = junction.gap * complex(math.cos(junction.phase), math.sin(junction.phase))
    return LatticeNSSystem(
        syst=syst.finalized(),
        lattice_spacing=a,
        method="kwant.continuum.discretize along x, exact transverse plane waves",
        base_params={"mu": junction.mu, "V": potential, "S": superconducting_fraction},
        momentum_name="k_y",
        momentum_scale=1.0,
        pairing=pairing,
        details={
            "wilson_r": wilson if needs_wilson else 0.0,
            "wilson_coefficient": w,
            "barrier_on_lattice": profile.description,
        },
    )


def _chain_builder(junction, expression, profile, a: float, padding_cells: int):
    """The kwant Builder of the chain along x: the scattering region around the barrier
    (``padding_cells`` cells of margin) with the normal lead (conservation law -tau_z) on the
    left and the superconducting lead on the right."""
    import kwant
    import kwant.continuum

    grid = kwant.lattice.Monatomic([[a]], offset=[0.5 * a], norbs=2 * junction.model.norbs)
    template = kwant.continuum.discretize(expression, "x", grid=grid)
    # kwant evaluates a lead's values on the sites of its fundamental domain (near x = 0), not
    # where the lead sits, so the leads get the bulk values of V and S as constants.
    lead_templates = [
        kwant.continuum.discretize(_bulk_values(expression, v_bulk, s_bulk), "x", grid=grid)
        for v_bulk, s_bulk in ((0.0, 0.0), (-junction.U0, 1.0))
    ]
    x_lo, x_hi = profile.extent
    x_lo -= padding_cells * a
    x_hi += padding_cells * a

    syst = kwant.Builder()
    syst.fill(template, lambda site: x_lo < site.pos[0] < x_hi, (x_lo + 0.5 * a,))
    n = junction.model.norbs
    minus_tau_z = -np.kron(np.diag([1.0, -1.0]), np.eye(n))
    normal_lead = kwant.Builder(kwant.TranslationalSymmetry((-a,)), conservation_law=minus_tau_z)
    normal_lead.fill(lead_templates[0], lambda site: True, (x_lo,))
    super_lead = kwant.Builder(kwant.TranslationalSymmetry((a,)))
    super_lead.fill(lead_templates[1], lambda site: True, (x_hi,))
    syst.attach_lead(normal_lead)
    syst.attach_lead(super_lead)
    return syst
