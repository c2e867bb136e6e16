"""Band models as data: the normal-state Hamiltonian h(k) of one node.

Conventions (used throughout :mod:`physcore.semidirac`)
-------------------------------------------------------
* Units: hbar = 1. Energies in the user's energy unit, lengths in its inverse momentum unit;
  ``velocity`` is an energy x length, ``mass`` is an inverse energy x length^-2 (so that
  ``k**2 / (2 * mass)`` is an energy).
* Transport runs along x; the interface is the line x = 0 with the normal metal at x < 0 and
  the superconductor at x > 0. The transverse momentum ``q = k_y`` is conserved.
* ``theta`` is the angle (radians) between the transport direction x and the crystal's
  *linear* axis b. The crystal momenta are ``k_b = k_x cos(theta) - k_y sin(theta)`` and
  ``k_a = k_x sin(theta) + k_y cos(theta)``; theta = 0 transports along the linear axis,
  theta = pi/2 along the quadratic axis.
* Every model's node sits at a time-reversal-invariant momentum, h(k) = h*(-k), so the BdG
  Hamiltonian is ``tau_z (x) (h - mu + U(x)) + Delta(x) tau_x`` (see :mod:`.junction`). For
  graphene this is Beenakker's valley-isotropic form of one valley.

Each model exposes the polynomial form of h along the transport direction,
``h(k_x; q) = h0 + h1 k_x + h2 k_x**2`` (:meth:`transport_coefficients`), which is all that the
scattering solvers and the lattice discretization need.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._operators import IDENTITY_2, PAULI_X, PAULI_Y, PAULI_Z
from .._validation import Interval, check_fields, parameter

__all__ = [
    "BandModel",
    "SemiDirac",
    "Graphene",
    "Parabolic",
    "PAULI",
    "PARAMETER_LIMIT",
    "ENERGY",
    "SCALE",
]

#: largest magnitude of an energy, mass, velocity or barrier parameter (and smallest mass and
#: velocity: 1 / PARAMETER_LIMIT); beyond it squares and fourth powers in the mode matching
#: overflow or underflow double precision
PARAMETER_LIMIT = 1e30

#: declared range of an energy (or any signed parameter) of the models and the junction
ENERGY = Interval(float, -PARAMETER_LIMIT, PARAMETER_LIMIT)
#: declared range of a mass or velocity: > 0 and within a factor PARAMETER_LIMIT of 1
SCALE = Interval(float, 1 / PARAMETER_LIMIT, PARAMETER_LIMIT)

PAULI = {"0": IDENTITY_2, "x": PAULI_X, "y": PAULI_Y, "z": PAULI_Z}


class BandModel:
    """Base class of the normal-state band models (immutable data)."""

    #: number of orbitals (pseudo-spin components) of h(k)
    norbs: int = 2
    #: short name used in result attributes
    name: str = "model"

    def transport_coefficients(self, theta: float, q: float):
        """Return ``(h0, h1, h2)``, complex ``(norbs, norbs)`` arrays with
        ``h(k_x; q) = h0 + h1 k_x + h2 k_x**2`` for transport at angle ``theta`` (radians)."""
        raise NotImplementedError

    def hamiltonian(self, kx, ky, theta: float = 0.0) -> np.ndarray:
        """h at momentum (k_x, k_y) of the transport frame; broadcasts, shape ``(..., n, n)``."""
        kx = np.asarray(kx, dtype=float)[..., None, None]
        ky = np.asarray(ky, dtype=float)
        out = []
        for q in np.atleast_1d(ky).ravel():
            h0, h1, h2 = self.transport_coefficients(theta, float(q))
            out.append(h0 + h1 * kx + h2 * kx**2)
        res = np.stack(out, axis=0)
        return res.reshape(np.shape(ky) + res.shape[1:]) if np.ndim(ky) else res[0]

    def energies(self, kx, ky, theta: float = 0.0) -> np.ndarray:
        """Band energies at (k_x, k_y), ascending, shape ``(..., norbs)``."""
        return np.linalg.eigvalsh(self.hamiltonian(kx, ky, theta))

    def fermi_q_extent(self, eps, theta: float) -> np.ndarray:
        """Critical transverse momenta of the constant-energy contour ``h(k) = eps``.

        Returns an array of shape ``(len(eps), K)`` of values ``q >= 0`` (NaN where absent):
        the largest ``|k_y|`` on the contour (first column) and any other ``q`` where the
        number of real ``k_x`` roots changes. The contour is symmetric under k -> -k, so
        the same values with a minus sign are critical too. Used to split the transverse
        momentum integral into smooth panels.
        """
        raise NotImplementedError

    def is_first_order(self, theta: float) -> bool:
        """True when h is only first order in k_x along this transport direction."""
        return bool(np.allclose(self.transport_coefficients(theta, 0.0)[2], 0.0))


@dataclass(frozen=True)
class SemiDirac(BandModel):
    r"""Semi-Dirac node, :math:`h = (k_a^2/2m - \delta)\sigma_x + v k_b \sigma_y` (hbar = 1).

    Parameters
    ----------
    mass : float
        m > 0 of the quadratic axis a (inverse energy x length^-2).
    velocity : float
        v > 0 of the linear axis b (energy x length).
    delta : float
        Merging parameter (energy): 0 is the semi-Dirac point, > 0 two Dirac cones at
        k_a = +-sqrt(2 m delta), < 0 a gap 2|delta|.
    """

    mass: float = parameter(1.0, SCALE, "mass m of the quadratic axis", "1/(energy length^2)")
    velocity: float = parameter(1.0, SCALE, "velocity v of the linear axis", "energy x length")
    delta: float = parameter(0.0, ENERGY, "semi-Dirac merging parameter", "energy")

    norbs = 2
    name = "semi-Dirac"

    def __post_init__(self):
        check_fields(self)

    def transport_coefficients(self, theta: float, q: float):
        c, s = math.cos(theta), math.sin(theta)
        # Snap the paper's orientations so that h2 (or h1's cross term) is exactly zero.
        if abs(s) < 1e-15:
            s = 0.0
        if abs(c) < 1e-15:
            c = 0.0
        sx, sy = PAULI["x"], PAULI["y"]
        inv2m = 1.0 / (2.0 * self.mass)
        # k_a = s k_x + c q,  k_b = c k_x - s q
        h0 = (inv2m * c * c * q * q - self.delta) * sx - self.velocity * s * q * sy
        h1 = (2.0 * inv2m * s * c * q) * sx + self.velocity * c * sy
        h2 = (inv2m * s * s) * sx
        return h0, h1, h2

    def fermi_q_extent(self, eps, theta: float) -> np.ndarray:
        # Contour (k_a^2/2m - delta)^2 + v^2 k_b^2 = eps^2, k_y = k_a cos(theta) - k_b sin(theta)
        e = np.abs(np.atleast_1d(np.asarray(eps, dtype=float)))
        m, v, d = self.mass, self.velocity, self.delta
        c, s = math.cos(theta), math.sin(theta)
        out = np.full((e.size, 2), np.nan)
        if abs(s) < 1e-15:  # k_y = +-k_a: k_a^2/2m = delta +- |eps|
            outer = d + e
            inner = d - e
            out[:, 0] = np.where(outer > 0, np.sqrt(2 * m * np.clip(outer, 0, None)), np.nan)
            out[:, 1] = np.where(inner > 0, np.sqrt(2 * m * np.clip(inner, 0, None)), np.nan)
            return out
        if abs(c) < 1e-15:  # k_y = -k_b; k_a^2 = 2m (delta +- sqrt(eps^2 - v^2 k_b^2)) >= 0
            inner = np.sqrt(np.clip(e**2 - d**2, 0, None)) / v
            kb = np.where(d >= 0, e / v, inner)
            out[:, 0] = np.where((d >= 0) | (e > abs(d)), kb, np.nan)
            out[:, 0] = np.where(e > 0, out[:, 0], np.nan)
            # delta > 0: the inner pair of k_a roots exists only for |k_b| > sqrt(eps^2 - delta^2)/v
            out[:, 1] = np.where((d > 0) & (e > d), inner, np.nan)
            return out
        return _semidirac_tangent_momenta(e, m, v, d, c, s)


def _semidirac_tangent_momenta(e, m, v, d, c, s) -> np.ndarray:
    """Critical |q| of the semi-Dirac contour at a generic angle (``c, s != 0``), shape (n, 3).

    The number of real k_x roots at fixed q changes where the line ``k_y = q`` is tangent to
    the contour ``F = u**2 + v**2 k_b**2 - eps**2 = 0``, ``u = k_a**2/2m - delta``. Tangency,
    ``grad F || grad k_y = (c, -s)`` in (k_a, k_b), gives ``v**2 k_b = -s u k_a / (m c)``;
    with F this is the cubic ``2 s**2 u**3 + (m c**2 v**2 + 2 s**2 delta) u**2 - m c**2 v**2
    eps**2 = 0`` in u with ``|u| <= |eps|`` and ``u + delta >= 0``. Its roots (batched companion
    eigenvalues in ``w = u / |eps|``, polished by Newton steps) give every tangent point:
    the largest |k_y| first (q_max), the others (where a pocket opens or closes) after it, NaN
    where absent.
    """
    a = m * c * c * v * v
    b = 2 * s * s
    out = np.full((e.size, 3), np.nan)
    ok = e > 0
    if not ok.any():
        return out
    ee = e[ok]
    # B e w^3 + (A + B delta) w^2 - A = 0, scaled by its largest coefficient
    p3, p2, p0 = b * ee, a + b * d + 0 * ee, -a + 0 * ee
    norm = np.maximum(np.maximum(np.abs(p3), np.abs(p2)), np.abs(p0))
    p3, p2, p0 = p3 / norm, p2 / norm, p0 / norm
    w = np.full((ee.size, 3), np.nan, complex)
    cubic = np.abs(p3) > 1e-14
    comp = np.zeros((ee.size, 3, 3))
    comp[:, 1, 0] = comp[:, 2, 1] = 1.0
    comp[cubic, 0, 0] = -p2[cubic] / p3[cubic]
    comp[cubic, 0, 2] = -p0[cubic] / p3[cubic]
    w[cubic] = np.linalg.eigvals(comp[cubic])
    quad = ~cubic  # leading term negligible: w = +-sqrt(-p0 / p2)
    w[quad, 0] = np.sqrt(-p0[quad] / p2[quad] + 0j)
    w[quad, 1] = -w[quad, 0]
    real = np.abs(w.imag) <= 1e-6 * np.maximum(1.0, np.abs(w.real))
    w = np.where(real, w.real, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        for _ in range(3):  # Newton polish of the companion-matrix roots
            f = (p3[:, None] * w + p2[:, None]) * w * w + p0[:, None]
            df = (3 * p3[:, None] * w + 2 * p2[:, None]) * w
            w = np.where(df != 0, w - f / np.where(df != 0, df, 1.0), w)
        u = np.clip(w, -1.0, 1.0) * ee[:, None]
        valid = (np.abs(w) <= 1 + 1e-9) & (u + d >= 0)
        ka = np.sqrt(2 * m * np.clip(u + d, 0, None))
        # k_b from F with the tangency's sign: k_b = -sign(s c u k_a) sqrt(eps^2 - u^2) / v
        kb = -np.sign(s * c * u) * np.sqrt(np.clip(ee[:, None] ** 2 - u * u, 0, None)) / v
        qs = np.where(valid, np.abs(ka * c - kb * s), np.nan)
    qs = -np.sort(-np.where(np.isnan(qs), -np.inf, qs), axis=1)  # descending, NaN last
    out[ok] = np.where(np.isfinite(qs), qs, np.nan)
    return out


@dataclass(frozen=True)
class Graphene(BandModel):
    r"""Graphene's Dirac node, :math:`h = v (k_x\sigma_x + k_y\sigma_y)`; isotropic (theta unused).

    In the BdG form ``tau_z (x) (h - mu)`` this is Beenakker's valley-isotropic Hamiltonian
    (PRL 97, 067007 (2006)) for one valley; the other valley gives the same conductance.
    """

    velocity: float = parameter(1.0, SCALE, "Dirac velocity v", "energy x length")

    norbs = 2
    name = "graphene"

    def __post_init__(self):
        check_fields(self)

    def transport_coefficients(self, theta: float, q: float):
        v = self.velocity
        return v * q * PAULI["y"], v * PAULI["x"], np.zeros((2, 2), complex)

    def fermi_q_extent(self, eps, theta: float) -> np.ndarray:
        e = np.abs(np.atleast_1d(np.asarray(eps, dtype=float)))
        return np.where(e > 0, e / self.velocity, np.nan)[:, None]


@dataclass(frozen=True)
class Parabolic(BandModel):
    """Parabolic two-dimensional electron gas, ``h = (k_x**2 + k_y**2) / (2 m)``; one orbital."""

    mass: float = parameter(1.0, SCALE, "effective mass m", "1/(energy length^2)")

    norbs = 1
    name = "parabolic"

    def __post_init__(self):
        check_fields(self)

    def transport_coefficients(self, theta: float, q: float):
        inv2m = 1.0 / (2.0 * self.mass)
        return (
            np.array([[inv2m * q * q]], complex),
            np.zeros((1, 1), complex),
            np.array([[inv2m]], complex),
        )

    def fermi_q_extent(self, eps, theta: float) -> np.ndarray:
        e = np.atleast_1d(np.asarray(eps, dtype=float))
        return np.where(e > 0, np.sqrt(2 * self.mass * np.clip(e, 0, None)), np.nan)[:, None]
